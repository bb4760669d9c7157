-- Move the change cursor to the start of the evaluation that just ran; greatest() skips NULL, so
-- the first evaluation sets it, and a slower concurrent one never moves it back.
UPDATE watch_evaluation
SET changes_since = greatest(changes_since, %(started)s)
