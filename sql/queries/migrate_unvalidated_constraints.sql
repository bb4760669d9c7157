-- Constraints of the current schema that were added NOT VALID and are not validated yet (a
-- partition's copy of a partitioned table's constraint is validated with its parent's).
SELECT n.nspname, t.relname, c.conname
FROM pg_constraint c
JOIN pg_class t ON t.oid = c.conrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE NOT c.convalidated
  AND c.contype IN ('f', 'c')
  AND c.conparentid = 0
  AND n.nspname = current_schema()
ORDER BY t.relname, c.conname
