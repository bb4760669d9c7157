-- How many current-state rows retention would delete (dry run).
SELECT count(*) FROM hut_availability WHERE availability_date < %(cutoff)s
