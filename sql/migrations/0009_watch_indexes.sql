-- 0009: indexes the watch evaluation and `watch list` need at scale (10,000 watches).
--
-- A watch's newest notification (watch_read.sql) was found by scanning notifications backwards
-- by id and filtering by watch: with ~10,000 notifications, reading every watch took 45 s
-- (benchmarks/bench_watches.py). By (watch_id, id) it is one index probe per watch.
CREATE INDEX IF NOT EXISTS notifications_watch_idx ON notifications (watch_id, id);
