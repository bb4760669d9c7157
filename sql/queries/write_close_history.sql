-- Close the open state of every changed hut-date at the last time it was confirmed.
WITH closed AS (
    UPDATE hut_availability_history h
    SET last_checked = c.previous_checked
    FROM incoming_changes c
    WHERE h.hut_id = ANY(%(hut_ids)s::integer[])
      AND h.hut_id = c.hut_id
      AND h.availability_date = c.availability_date
      AND h.last_checked IS NULL
    RETURNING h.hut_id
)
SELECT hut_id, count(*) FROM closed GROUP BY hut_id
