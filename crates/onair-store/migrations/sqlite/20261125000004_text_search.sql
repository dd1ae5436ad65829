-- Substring search over the folded title and description (`list_streams` with a query of three
-- characters or more): an FTS5 trigram index that narrows the candidates, which the query then
-- re-checks with `instr`, so the results are exactly those of the plain substring scan.
--
-- External content (`content='streams'`): the indexed text already lives in `streams`, so the
-- index stores only trigrams, not a second copy of every title and description. Triggers, not
-- the store's code, keep it in sync, so every writer to the file (the server, an admin command,
-- a manual fix in the sqlite3 shell) updates it in the same transaction as the row.
--
-- The index is keyed by `streams`' implicit rowid. `VACUUM` may renumber the rowids of a table
-- without an INTEGER PRIMARY KEY; after a `VACUUM`, rebuild the index with
-- `INSERT INTO streams_fts (streams_fts) VALUES ('rebuild')`.
--
-- `case_sensitive 1`: the columns are already folded in Rust (the query is folded the same way),
-- and SQLite's own case folding differs from Rust's for some scripts.
CREATE VIRTUAL TABLE streams_fts USING fts5 (
    title_folded,
    description_folded,
    content = 'streams',
    tokenize = 'trigram case_sensitive 1'
);

INSERT INTO streams_fts (streams_fts) VALUES ('rebuild');

CREATE TRIGGER streams_fts_insert AFTER INSERT ON streams BEGIN
    INSERT INTO streams_fts (rowid, title_folded, description_folded)
    VALUES (new.rowid, new.title_folded, new.description_folded);
END;

CREATE TRIGGER streams_fts_delete AFTER DELETE ON streams BEGIN
    INSERT INTO streams_fts (streams_fts, rowid, title_folded, description_folded)
    VALUES ('delete', old.rowid, old.title_folded, old.description_folded);
END;

CREATE TRIGGER streams_fts_update AFTER UPDATE OF title_folded, description_folded ON streams
WHEN old.title_folded IS NOT new.title_folded OR old.description_folded IS NOT new.description_folded
BEGIN
    INSERT INTO streams_fts (streams_fts, rowid, title_folded, description_folded)
    VALUES ('delete', old.rowid, old.title_folded, old.description_folded);
    INSERT INTO streams_fts (rowid, title_folded, description_folded)
    VALUES (new.rowid, new.title_folded, new.description_folded);
END;
