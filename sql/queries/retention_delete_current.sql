-- Delete current-state rows of availability dates before the cutoff (only when configured).
DELETE FROM hut_availability WHERE availability_date < %(cutoff)s
