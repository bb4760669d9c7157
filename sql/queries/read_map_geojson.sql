-- The map as GeoJSON text built by PostgreSQL (read_map's huts and dates, with no per-row work in
-- Python): a FeatureCollection of a page of active huts in slug order, one Point feature each
-- (geometry null without a location), with its dates in [date_from, date_to]. Keys are those of the
-- API's models (api/models.py: HutFeatureCollection); the API's tests check them against its
-- published schema. Also: the newest last_checked on the page (NULL: no date), for cache headers.
WITH matched AS (
    SELECT h.id, h.slug
    FROM huts h
    WHERE h.is_active
      AND (%(slugs)s::text[] IS NULL OR h.slug = ANY(%(slugs)s::text[]))
),
page AS (
    SELECT id, slug FROM matched ORDER BY slug OFFSET %(offset)s LIMIT %(limit)s
),
days AS (
    SELECT a.hut_id,
           json_agg(json_build_object(
               'date', a.availability_date,
               'free', a.free,
               'total', a.total,
               'occupancy_percent', a.occupancy_percent,
               'occupancy_steps', a.occupancy_steps,
               'occupancy_status', a.occupancy_status,
               'reservation_status', a.reservation_status,
               'hut_type', a.hut_type,
               'day_state', a.day_state,
               'last_checked', a.last_checked
           ) ORDER BY a.availability_date) AS days,
           max(a.last_checked) AS last_checked
    FROM page p
    JOIN hut_availability a
      ON a.hut_id = p.id
     AND a.availability_date >= %(date_from)s
     AND a.availability_date <= %(date_to)s
    GROUP BY a.hut_id
)
SELECT json_build_object(
           'type', 'FeatureCollection',
           'features', coalesce(json_agg(json_build_object(
               'type', 'Feature',
               'id', h.slug,
               'geometry', CASE WHEN h.lat IS NOT NULL AND h.lon IS NOT NULL THEN json_build_object(
                   'type', 'Point', 'coordinates', json_build_array(h.lon, h.lat)) END,
               'properties', json_build_object(
                   'id', h.id,
                   'slug', h.slug,
                   'name', h.name,
                   'country', h.country,
                   'elevation', h.elevation,
                   'capacity', h.capacity,
                   'source', o.slug,
                   'source_hut_id', h.source_hut_id,
                   'days', coalesce(d.days, '[]'::json))
           ) ORDER BY p.slug), '[]'::json),
           'date_from', %(date_from)s::date,
           'date_to', %(date_to)s::date,
           'number_matched', (SELECT count(*) FROM matched),
           'number_returned', count(p.id),
           'offset', %(offset)s::integer,
           'limit', %(limit)s::integer
       )::text AS geojson,
       max(d.last_checked) AS last_checked
FROM page p
JOIN huts h ON h.id = p.id
LEFT JOIN organizations o ON o.id = h.source_organization_id
LEFT JOIN days d ON d.hut_id = p.id
