-- The booking sources (organizations) by slug, for the availability browser's filter.
SELECT slug FROM organizations ORDER BY slug
