-- 0006: foreign keys again, instead of 0004's reference triggers.
--
-- 0004 checked the references of hut_availability (to huts and booking sources) and of the
-- history (to huts) with statement triggers, because per-row foreign key checks were about half
-- of a first load's database time. They still are (benchmarks/bench_engine.py; figures in the
-- README: 0.5 s more for 55k new hut-dates, three checks of about 3 µs per hut-date), but they
-- cost the other passes nothing, and they have none of the triggers' gaps: a hut deleted under
-- REPEATABLE READ while its rows are written fails to serialize instead of leaving those rows
-- behind, a table attached as a history partition is checked, and pg_dump/pg_restore know to
-- load huts first. So the triggers and their functions go, and the foreign keys of 0001 come
-- back under their old names:
--   * hut_availability.hut_id and hut_availability_history.hut_id → huts, ON DELETE CASCADE;
--   * hut_availability.source_organization_id → organizations (deleting or renumbering a
--     referenced booking source fails, as does renumbering a referenced hut).
-- On the partitioned history the key is declared once, on the parent; every partition, existing
-- or created later by ensure_history_partitions, gets it from there.
--
-- This transaction holds ACCESS EXCLUSIVE locks on huts, organizations and the two tables (DROP
-- TRIGGER takes them), so readers and writers wait for it; taken at once, huts first as the
-- writer does, so that a running batch finishes first instead of deadlocking with it. It changes
-- only the catalog: the keys are added NOT VALID, which checks new and changed rows from its
-- commit on but scans none of the stored ones. The migrator then validates the keys, each in a
-- transaction of its own whose lock lets readers and writers go on (storage/database.py,
-- validate_constraints). PostgreSQL before 18 cannot add a NOT VALID foreign key to a
-- partitioned table; there the history's key is validated here, by one scan of the history under
-- this transaction's locks (seconds for millions of rows; see the README).

LOCK TABLE huts, organizations, hut_availability, hut_availability_history IN ACCESS EXCLUSIVE MODE;

-- Triggers of 0004 and the per-partition copies that its ensure_history_partitions added.
DROP TRIGGER hut_availability_check_insert ON hut_availability;
DROP TRIGGER hut_availability_check_update ON hut_availability;
DROP TRIGGER hut_availability_history_check_insert ON hut_availability_history;
DROP TRIGGER hut_availability_history_check_update ON hut_availability_history;
DROP TRIGGER huts_delete_rows ON huts;
DROP TRIGGER huts_truncate_rows ON huts;
DROP TRIGGER huts_refuse_id_change ON huts;
DROP TRIGGER organizations_refuse_id_change ON organizations;
DROP TRIGGER organizations_refuse_delete ON organizations;

DO $$
DECLARE
    part regclass;
BEGIN
    FOR part IN
        SELECT t.tgrelid::regclass
        FROM pg_trigger t
        JOIN pg_inherits i ON i.inhrelid = t.tgrelid
        WHERE i.inhparent = 'hut_availability_history'::regclass
          AND t.tgname = 'hut_availability_history_check_insert'
    LOOP
        EXECUTE format('DROP TRIGGER hut_availability_history_check_insert ON %s', part);
    END LOOP;
END
$$;

-- As in 0002: a new partition gets the parent's foreign key by itself.
CREATE OR REPLACE FUNCTION ensure_history_partitions(from_date date, to_date date) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    m       date := date_trunc('month', from_date)::date;
    part    text;
    created integer := 0;
BEGIN
    IF from_date IS NULL OR to_date IS NULL THEN
        RETURN 0;
    END IF;
    WHILE m <= to_date LOOP
        part := 'hut_availability_history_' || to_char(m, 'YYYY_MM');
        IF to_regclass(part) IS NULL THEN
            PERFORM pg_advisory_xact_lock(7303181002);
            BEGIN
                EXECUTE format(
                    'CREATE TABLE %I PARTITION OF hut_availability_history FOR VALUES FROM (%L) TO (%L)',
                    part, m, (m + interval '1 month')::date
                );
                created := created + 1;
            EXCEPTION WHEN duplicate_table THEN
                NULL;  -- created by a concurrent caller (this function's catalog snapshot missed it)
            END;
        END IF;
        m := (m + interval '1 month')::date;
    END LOOP;
    RETURN created;
END
$$;

-- No CASCADE: a trigger still using one of them would make this fail rather than vanish.
DROP FUNCTION check_history_partition_references(regclass);
DROP FUNCTION check_hut_references();
DROP FUNCTION check_hut_reference_row();
DROP FUNCTION check_references_exist(text, text, integer[], integer[]);
DROP FUNCTION delete_hut_rows();
DROP FUNCTION truncate_hut_rows();
DROP FUNCTION refuse_referenced_key_change();

ALTER TABLE hut_availability
    ADD CONSTRAINT hut_availability_hut_id_fkey
        FOREIGN KEY (hut_id) REFERENCES huts (id) ON DELETE CASCADE NOT VALID,
    ADD CONSTRAINT hut_availability_source_organization_id_fkey
        FOREIGN KEY (source_organization_id) REFERENCES organizations (id) NOT VALID;

DO $$
BEGIN
    ALTER TABLE hut_availability_history
        ADD CONSTRAINT hut_availability_history_hut_id_fkey
            FOREIGN KEY (hut_id) REFERENCES huts (id) ON DELETE CASCADE NOT VALID;
EXCEPTION WHEN wrong_object_type THEN  -- PostgreSQL < 18: "not yet supported on partitioned tables"
    ALTER TABLE hut_availability_history
        ADD CONSTRAINT hut_availability_history_hut_id_fkey
            FOREIGN KEY (hut_id) REFERENCES huts (id) ON DELETE CASCADE;
END
$$;
