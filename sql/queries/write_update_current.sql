-- Bring existing current-state rows up to a newer check (older checks are stale: skipped).
-- first_checked moves only when the state changed; changed hut-dates are staged in
-- incoming_changes with the last time the old state was confirmed, read from the statement's
-- snapshot (which does not see this statement's own update). Restricting to the batch's huts
-- lets the planner read only their rows instead of the whole table.
WITH updated AS (
    UPDATE hut_availability a
    SET source_organization_id = i.source_organization_id,
        source_hut_id = i.source_hut_id,
        free = i.free,
        total = i.total,
        occupancy_percent = i.occupancy_percent,
        occupancy_steps = i.occupancy_steps,
        occupancy_status = i.occupancy_status,
        reservation_status = i.reservation_status,
        link = i.link,
        hut_type = i.hut_type,
        day_state = i.day_state,
        first_checked = CASE
            WHEN (a.free, a.total, a.hut_type, a.reservation_status, a.day_state)
                 IS DISTINCT FROM (i.free, i.total, i.hut_type, i.reservation_status, i.day_state)
            THEN i.checked_at ELSE a.first_checked END,
        last_checked = i.checked_at
    FROM incoming_availability i
    WHERE a.hut_id = ANY(%(hut_ids)s::integer[])
      AND a.hut_id = i.hut_id
      AND a.availability_date = i.availability_date
      AND i.checked_at > a.last_checked
    RETURNING a.hut_id,
              a.availability_date,
              CASE WHEN a.first_checked = i.checked_at THEN (
                  SELECT o.last_checked FROM hut_availability o
                  WHERE o.hut_id = a.hut_id AND o.availability_date = a.availability_date
              ) END AS previous_checked
),
staged AS (
    INSERT INTO incoming_changes (hut_id, availability_date, previous_checked)
    SELECT hut_id, availability_date, previous_checked FROM updated WHERE previous_checked IS NOT NULL
)
SELECT hut_id, count(*) AS updated, count(previous_checked) AS changed
FROM updated
GROUP BY hut_id
