-- Monthly partitions for the big central tables (numerics, waveform_chunks, raw_bytes, device_status).
--
-- Run as the database administrator (a member of infusion_owner), at a quiet time (it locks the table
-- while its rows are moved; chairs keep recording and catch up afterwards):
--   psql "service=clinic-admin" -f docs/central-partition-by-month.sql
--   psql "service=clinic-admin" -c "SET ROLE infusion_owner" -c "CALL infusion.partition_by_month('numerics', 't', '2026-01-01', 36)"
--   infusion-monitor central init "service=clinic-admin"     # restores grants, row security and indexes
-- and each month (cron), so next month's partition exists before its first row:
--   psql "service=clinic-admin" -c "SET ROLE infusion_owner" -c "CALL infusion.add_month_partitions('numerics', 3)"
--
-- The primary key becomes (chair_id, local_rowid, t): a row keeps its time when it is sent again, so a
-- resend still conflicts and is dropped. Rows outside every month land in the table's _other partition.
-- An old month is archived with ALTER TABLE ... DETACH PARTITION, then pg_dump of that table.

SET ROLE infusion_owner;

CREATE OR REPLACE PROCEDURE infusion.add_month_partitions(tbl text, months int, first_month date DEFAULT NULL)
LANGUAGE plpgsql AS $$
DECLARE
    m date := COALESCE(first_month, date_trunc('month', now() AT TIME ZONE 'UTC')::date);
BEGIN
    FOR i IN 0 .. months - 1 LOOP
        EXECUTE format('CREATE TABLE IF NOT EXISTS infusion.%I PARTITION OF infusion.%I FOR VALUES FROM (%s) TO (%s)',
                       tbl || '_' || to_char(m, 'YYYY_MM'), tbl,
                       extract(epoch FROM m::timestamp AT TIME ZONE 'UTC'),
                       extract(epoch FROM (m + interval '1 month')::timestamp AT TIME ZONE 'UTC'));
        m := m + interval '1 month';
    END LOOP;
END $$;

CREATE OR REPLACE PROCEDURE infusion.partition_by_month(tbl text, time_column text, first_month date, months int)
LANGUAGE plpgsql AS $$
DECLARE
    old text := tbl || '_unpartitioned';
BEGIN
    EXECUTE format('ALTER TABLE infusion.%I RENAME TO %I', tbl, old);
    EXECUTE format('CREATE TABLE infusion.%I (LIKE infusion.%I INCLUDING DEFAULTS) PARTITION BY RANGE (%I)',
                   tbl, old, time_column);
    EXECUTE format('ALTER TABLE infusion.%I ADD PRIMARY KEY (chair_id, local_rowid, %I)', tbl, time_column);
    CALL infusion.add_month_partitions(tbl, months, first_month);
    EXECUTE format('CREATE TABLE infusion.%I PARTITION OF infusion.%I DEFAULT', tbl || '_other', tbl);
    EXECUTE format('INSERT INTO infusion.%I SELECT * FROM infusion.%I', tbl, old);
    EXECUTE format('DROP TABLE infusion.%I', old);
END $$;

RESET ROLE;
