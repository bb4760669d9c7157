-- 0015: the huts in the availability table's default order (by name, any case, then slug).
--
-- read_current goes from each hut to its dates by the primary key; with this index it takes the
-- huts in `show`'s and the web table's default order (ORDER BY lower(name), slug, availability_date)
-- and stops once the page is full, instead of reading and sorting every hut-date of the range:
-- `show`'s first 500 of 14 days × 567 huts walk 37 huts. A few hundred rows that change when the
-- catalog is loaded: the index costs nothing worth counting on writes.
CREATE INDEX huts_name_idx ON huts (lower(name), slug);
