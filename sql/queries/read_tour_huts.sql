-- The huts of a tour (by slug, active or not) with their booking system: what a tour shows of each.
SELECT h.slug, h.name, o.slug AS source, h.is_active
FROM huts h
LEFT JOIN organizations o ON o.id = h.source_organization_id
WHERE h.slug = ANY(%(slugs)s::text[])
