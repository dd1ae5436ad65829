-- Listed (not deleted) streams per status, kept by triggers in the same transaction as every
-- change to `streams`. An unfiltered or status-only listing reads its total here instead of
-- counting every row of an index; counts by creator or by search text still count rows.
-- SQLite has one writer at a time, so this single hot row costs no contention.
CREATE TABLE stream_counts (
    status TEXT    NOT NULL PRIMARY KEY,
    n      INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

WITH statuses (status) AS (VALUES ('SCHEDULED'), ('LIVE'), ('ENDED'))
INSERT INTO stream_counts (status, n)
SELECT status, (SELECT COUNT(*) FROM streams s WHERE s.status = statuses.status
                AND s.deleted_at IS NULL)
FROM statuses;

CREATE TRIGGER stream_counts_insert AFTER INSERT ON streams WHEN new.deleted_at IS NULL BEGIN
    UPDATE stream_counts SET n = n + 1 WHERE status = new.status;
END;

CREATE TRIGGER stream_counts_delete AFTER DELETE ON streams WHEN old.deleted_at IS NULL BEGIN
    UPDATE stream_counts SET n = n - 1 WHERE status = old.status;
END;

CREATE TRIGGER stream_counts_update AFTER UPDATE OF status, deleted_at ON streams
WHEN old.status IS NOT new.status OR (old.deleted_at IS NULL) <> (new.deleted_at IS NULL)
BEGIN
    UPDATE stream_counts SET n = n - 1 WHERE status = old.status AND old.deleted_at IS NULL;
    UPDATE stream_counts SET n = n + 1 WHERE status = new.status AND new.deleted_at IS NULL;
END;
