-- The source hut ids already stored for a booking source (its organization's slug).
SELECT h.source_hut_id
FROM huts h
JOIN organizations o ON o.id = h.source_organization_id
WHERE o.slug = %(source)s
