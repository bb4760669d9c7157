-- Every slug taken by a hut.
SELECT slug
FROM huts
