-- Check: active huts that a map cannot place: coordinates missing, outside the region of the
-- clubs' huts, or outside the box of the hut's country. The region and the country boxes are
-- bound from domain.hut_catalog (REGION, COUNTRY_BOXES), the same rule the catalog load applies;
-- a country without a box is judged by the region alone. `violations` is the number of such huts.
WITH boxes AS (
    SELECT *
    FROM unnest(%(countries)s::text[], %(lat_min)s::float8[], %(lat_max)s::float8[],
                %(lon_min)s::float8[], %(lon_max)s::float8[])
         AS b(country, lat_min, lat_max, lon_min, lon_max)
),
placed AS (
    SELECT h.slug, h.name, h.country, h.lat, h.lon,
           CASE
               WHEN h.lat IS NULL OR h.lon IS NULL THEN 'no coordinates'
               WHEN NOT (h.lat BETWEEN %(region_lat_min)s AND %(region_lat_max)s
                         AND h.lon BETWEEN %(region_lon_min)s AND %(region_lon_max)s)
                   THEN 'outside the region of the clubs'' huts'
               WHEN b.country IS NOT NULL
                    AND NOT (h.lat BETWEEN b.lat_min AND b.lat_max AND h.lon BETWEEN b.lon_min AND b.lon_max)
                   THEN 'outside ' || h.country
           END AS problem
    FROM huts h
    LEFT JOIN boxes b ON b.country = h.country
    WHERE h.is_active
)
SELECT slug, problem, name, country, lat, lon, count(*) OVER () AS violations
FROM placed
WHERE problem IS NOT NULL
ORDER BY slug
LIMIT %(limit)s
