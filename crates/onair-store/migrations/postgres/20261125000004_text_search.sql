-- Substring search over the folded title and description (`list_streams` with a query of three
-- characters or more) through `pg_trgm` GIN indexes, which serve `LIKE '%…%'`.
--
-- Creating an extension needs a privilege the database role may lack, and `pg_trgm` ships in
-- `contrib`, which some installations leave out. Neither is fatal: without the extension the
-- migration still succeeds, creates no index, and search stays a scan with the same results.
-- (Installing the extension later does not rerun this file: create the two indexes below by hand.)
--
-- The extension goes to `public` (not the first schema on the `search_path`), so that a
-- database holding several OnAir schemas shares one copy that no schema's removal takes away.
DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'pg_trgm is unavailable (%): text search will scan', SQLERRM;
END
$$;

-- Wherever the extension lives (an administrator may have installed it elsewhere), name its
-- operator class explicitly.
DO $$
DECLARE
    ext_schema name;
BEGIN
    SELECT n.nspname INTO ext_schema
    FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
    WHERE e.extname = 'pg_trgm';
    IF ext_schema IS NOT NULL THEN
        EXECUTE format(
            'CREATE INDEX streams_title_trgm ON streams USING gin (title_folded %I.gin_trgm_ops) '
            'WHERE deleted_at IS NULL', ext_schema);
        EXECUTE format(
            'CREATE INDEX streams_description_trgm ON streams '
            'USING gin (description_folded %I.gin_trgm_ops) WHERE deleted_at IS NULL', ext_schema);
    END IF;
END
$$;
