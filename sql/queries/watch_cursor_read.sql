-- Since when changes are still to be evaluated (NULL: never evaluated), and the database's now:
-- the start of this evaluation, where the cursor moves after it.
SELECT changes_since, now()
FROM watch_evaluation
