-- One hut by id or by slug (the other one NULL), active or not.
SELECT h.id AS hut_id, h.slug, h.name, h.country, h.lat, h.lon, h.elevation, h.capacity, o.slug AS source,
       h.source_hut_id, h.is_active
FROM huts h
LEFT JOIN organizations o ON o.id = h.source_organization_id
WHERE h.id = coalesce(%(hut_id)s::integer, (SELECT id FROM huts WHERE slug = %(slug)s))
