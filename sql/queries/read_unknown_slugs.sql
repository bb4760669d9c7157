-- Which of the given slugs name no hut at all, in the given order.
SELECT s.slug
FROM unnest(%(slugs)s::text[]) WITH ORDINALITY AS s (slug, position)
WHERE NOT EXISTS (SELECT 1 FROM huts h WHERE h.slug = s.slug)
ORDER BY s.position
