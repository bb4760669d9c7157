-- Insert current-state rows for hut-dates seen for the first time and open their first history
-- state in the same statement (no staging, no second join: this is most of a first load).
WITH inserted AS (
    INSERT INTO hut_availability
        (hut_id, availability_date, source_organization_id, source_hut_id, free, total,
         occupancy_percent, occupancy_steps, occupancy_status, reservation_status, link, hut_type,
         day_state, first_checked, last_checked)
    SELECT i.hut_id, i.availability_date, i.source_organization_id, i.source_hut_id, i.free, i.total,
           i.occupancy_percent, i.occupancy_steps, i.occupancy_status, i.reservation_status, i.link,
           i.hut_type, i.day_state, i.checked_at, i.checked_at
    FROM incoming_availability i
    WHERE NOT EXISTS (
        SELECT 1 FROM hut_availability a
        WHERE a.hut_id = ANY(%(hut_ids)s::integer[]) AND a.hut_id = i.hut_id AND a.availability_date = i.availability_date
    )
    RETURNING hut_id, availability_date, free, total, occupancy_percent, hut_type, reservation_status, day_state,
              first_checked
),
opened AS (
    INSERT INTO hut_availability_history
        (hut_id, availability_date, free, total, occupancy_percent, hut_type, reservation_status, day_state,
         first_checked)
    SELECT hut_id, availability_date, free, total, occupancy_percent, hut_type, reservation_status, day_state,
           first_checked
    FROM inserted
)
SELECT hut_id, count(*) FROM inserted GROUP BY hut_id
