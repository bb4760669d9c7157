-- The active huts for the tour planner's search: slug, name and booking system, by name.
SELECT h.slug, h.name, o.slug AS source
FROM huts h
LEFT JOIN organizations o ON o.id = h.source_organization_id
WHERE h.is_active
ORDER BY h.name, h.slug
