-- Create the missing monthly history partitions of the given months (first days); how many.
SELECT coalesce(sum(ensure_history_partitions(m, m)), 0)::integer
FROM unnest(%(months)s::date[]) AS m
