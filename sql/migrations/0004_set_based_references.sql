-- 0004: reference checks of the two big tables done once per statement instead of once per row.
--
-- A foreign key checks every inserted row with its own query: on a first load (a year of dates
-- for each hut, written to hut_availability and hut_availability_history) those checks were
-- about half the database time. The same guarantees now come from triggers that look at all the
-- rows of a statement at once (transition tables):
--   * inserting a row whose hut (or, in hut_availability, booking source) does not exist fails
--     with foreign_key_violation; the referenced huts are locked FOR KEY SHARE first, as a
--     foreign key would, so a concurrent delete waits for the inserting transaction;
--   * changing hut_id (or source_organization_id) of a row is checked the same way, row by row,
--     and only when the value changes (the writer never changes them, so it pays nothing);
--   * statements naming a history partition instead of the parent are checked too;
--   * deleting or truncating huts removes their rows (the old ON DELETE CASCADE); changing a
--     hut's id, or deleting or renumbering a booking source, while rows refer to it fails.
-- One difference from a foreign key: its cascade sees rows committed after a REPEATABLE READ
-- transaction's snapshot; this trigger's does not, so deleting a hut in REPEATABLE READ while
-- another transaction writes that hut's rows can leave those rows behind. Everything here runs
-- in READ COMMITTED, where the delete waits for the writer and then removes its rows.
-- Also dropped, to spare every new row two index entries:
--   * hut_availability (availability_date, hut_id): the queries over all huts on some dates go
--     from huts and look each hut's dates up by the primary key (hut_id, availability_date); only
--     the daily retention job's delete of past dates scans the table;
--   * hut_availability_history (hut_id, availability_date, first_checked): the primary key
--     (hut_id, availability_date, id) serves every lookup of a hut-date's states.

DO $$
DECLARE
    fk record;
BEGIN
    FOR fk IN
        SELECT conrelid::regclass AS tbl, conname
        FROM pg_constraint
        WHERE contype = 'f'
          AND conparentid = 0
          AND conrelid IN ('hut_availability'::regclass, 'hut_availability_history'::regclass)
    LOOP
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', fk.tbl, fk.conname);
    END LOOP;
END
$$;

DROP INDEX hut_availability_date_idx;
DROP INDEX hut_availability_history_first_checked_idx;

-- Lock the given huts and booking sources FOR KEY SHARE, as a foreign key does, and raise
-- foreign_key_violation naming the first that does not exist ("<action> <table>: hut 7 does not
-- exist"). The ids must be distinct; NULL or empty: nothing to check.
CREATE FUNCTION check_references_exist(action text, tbl text, hut_ids integer[], source_ids integer[])
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    missing integer;
BEGIN
    IF cardinality(hut_ids) > (SELECT count(*) FROM (SELECT FROM huts WHERE id = ANY(hut_ids) FOR KEY SHARE) l) THEN
        SELECT m INTO missing FROM unnest(hut_ids) m WHERE NOT EXISTS (SELECT FROM huts WHERE id = m) LIMIT 1;
        RAISE foreign_key_violation
            USING MESSAGE = format('%s %I: hut %s does not exist', action, tbl, missing),
                  TABLE = tbl, COLUMN = 'hut_id';
    END IF;
    IF cardinality(source_ids) >
       (SELECT count(*) FROM (SELECT FROM organizations WHERE id = ANY(source_ids) FOR KEY SHARE) l) THEN
        SELECT m INTO missing FROM unnest(source_ids) m WHERE NOT EXISTS (SELECT FROM organizations WHERE id = m)
        LIMIT 1;
        RAISE foreign_key_violation
            USING MESSAGE = format('%s %I: booking source %s does not exist', action, tbl, missing),
                  TABLE = tbl, COLUMN = 'source_organization_id';
    END IF;
END
$$;

-- AFTER INSERT ... FOR EACH STATEMENT, transition table `new_rows`: one pass over the new rows
-- collects the distinct references, then one query per referenced table locks and counts them.
-- (Only hut_availability has source_organization_id; a branch not taken is never planned.)
CREATE FUNCTION check_hut_references() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    hut_ids     integer[];
    source_ids  integer[];
BEGIN
    IF TG_TABLE_NAME = 'hut_availability' THEN
        SELECT array_agg(DISTINCT hut_id),
               array_agg(DISTINCT source_organization_id) FILTER (WHERE source_organization_id IS NOT NULL)
        INTO hut_ids, source_ids
        FROM new_rows;
    ELSE
        SELECT array_agg(DISTINCT hut_id) INTO hut_ids FROM new_rows;
    END IF;
    PERFORM check_references_exist('insert into', TG_TABLE_NAME, hut_ids, source_ids);
    RETURN NULL;
END
$$;

-- BEFORE UPDATE ... FOR EACH ROW WHEN (a reference changed): the same check for one row. BEFORE,
-- because AFTER row triggers do not fire for an update that moves a history row to another partition.
CREATE FUNCTION check_hut_reference_row() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'hut_availability' THEN
        PERFORM check_references_exist('update of', TG_TABLE_NAME, ARRAY[NEW.hut_id],
                                       array_remove(ARRAY[NEW.source_organization_id], NULL));
    ELSE
        PERFORM check_references_exist('update of', TG_TABLE_NAME, ARRAY[NEW.hut_id], NULL);
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER hut_availability_check_insert
    AFTER INSERT ON hut_availability
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION check_hut_references();

CREATE TRIGGER hut_availability_history_check_insert
    AFTER INSERT ON hut_availability_history
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION check_hut_references();

CREATE TRIGGER hut_availability_check_update
    BEFORE UPDATE ON hut_availability
    FOR EACH ROW
    WHEN (NEW.hut_id IS DISTINCT FROM OLD.hut_id
          OR NEW.source_organization_id IS DISTINCT FROM OLD.source_organization_id)
    EXECUTE FUNCTION check_hut_reference_row();

CREATE TRIGGER hut_availability_history_check_update
    BEFORE UPDATE ON hut_availability_history
    FOR EACH ROW
    WHEN (NEW.hut_id IS DISTINCT FROM OLD.hut_id)
    EXECUTE FUNCTION check_hut_reference_row();

-- A statement trigger fires only for statements that name its table, so each history partition
-- gets the same check (for statements that name a partition; those naming the parent are checked
-- once, by the parent's). Existing partitions here, new ones in ensure_history_partitions.
-- Not checked: rows of a table attached as a partition (ALTER TABLE ... ATTACH PARTITION); nothing
-- here attaches partitions (retention only drops them).
CREATE FUNCTION check_history_partition_references(part regclass) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format(
        'CREATE TRIGGER hut_availability_history_check_insert AFTER INSERT ON %s'
        ' REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION check_hut_references()',
        part
    );
END
$$;

SELECT check_history_partition_references(inhrelid::regclass)
FROM pg_inherits
WHERE inhparent = 'hut_availability_history'::regclass;

-- As in 0002, and each new partition gets the reference check.
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
                PERFORM check_history_partition_references(part::regclass);
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

-- Deleting huts deletes their current state and history (AFTER DELETE ... FOR EACH STATEMENT).
CREATE FUNCTION delete_hut_rows() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM hut_availability WHERE hut_id IN (SELECT id FROM old_rows);
    DELETE FROM hut_availability_history WHERE hut_id IN (SELECT id FROM old_rows);
    RETURN NULL;
END
$$;

CREATE TRIGGER huts_delete_rows
    AFTER DELETE ON huts
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION delete_hut_rows();

CREATE FUNCTION truncate_hut_rows() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE hut_availability, hut_availability_history;
    RETURN NULL;
END
$$;

CREATE TRIGGER huts_truncate_rows
    AFTER TRUNCATE ON huts
    FOR EACH STATEMENT EXECUTE FUNCTION truncate_hut_rows();

-- Changing the id of a hut or booking source, or deleting a booking source, while current
-- states refer to it fails (the old foreign keys' NO ACTION). BEFORE UPDATE OF id / DELETE, per row.
CREATE FUNCTION refuse_referenced_key_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    referenced boolean;
BEGIN
    IF TG_TABLE_NAME = 'huts' THEN
        referenced := EXISTS (SELECT 1 FROM hut_availability WHERE hut_id = OLD.id)
                   OR EXISTS (SELECT 1 FROM hut_availability_history WHERE hut_id = OLD.id);
    ELSE
        referenced := EXISTS (SELECT 1 FROM hut_availability WHERE source_organization_id = OLD.id);
    END IF;
    IF referenced THEN
        RAISE foreign_key_violation
            USING MESSAGE = format('%s %s of %I is still referenced by hut availability rows',
                                   lower(TG_OP), OLD.id, TG_TABLE_NAME),
                  TABLE = TG_TABLE_NAME, COLUMN = 'id';
    END IF;
    RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
END
$$;

CREATE TRIGGER huts_refuse_id_change
    BEFORE UPDATE OF id ON huts
    FOR EACH ROW WHEN (NEW.id IS DISTINCT FROM OLD.id)
    EXECUTE FUNCTION refuse_referenced_key_change();

CREATE TRIGGER organizations_refuse_id_change
    BEFORE UPDATE OF id ON organizations
    FOR EACH ROW WHEN (NEW.id IS DISTINCT FROM OLD.id)
    EXECUTE FUNCTION refuse_referenced_key_change();

CREATE TRIGGER organizations_refuse_delete
    BEFORE DELETE ON organizations
    FOR EACH ROW EXECUTE FUNCTION refuse_referenced_key_change();
