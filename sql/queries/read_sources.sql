-- The booking sources (organizations) by slug, for the source filter of `show`, the API and the web table.
SELECT slug FROM organizations ORDER BY slug
