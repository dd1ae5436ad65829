-- OnAir schema, SQLite flavour.
-- Ids are hyphenated UUID text; times are INTEGER microseconds since the Unix epoch (UTC), which
-- sort numerically and round-trip exactly. STRICT tables refuse values of the wrong type.

CREATE TABLE accounts (
    id            TEXT    NOT NULL PRIMARY KEY,
    email         TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    image         TEXT,
    bio           TEXT    NOT NULL DEFAULT '',
    role          TEXT    NOT NULL CHECK (role IN ('user', 'admin')),
    balance       INTEGER NOT NULL DEFAULT 0 CHECK (balance >= 0),
    created_at    INTEGER NOT NULL,
    CONSTRAINT accounts_email_key UNIQUE (email)
) STRICT;

CREATE TABLE sessions (
    token_hash BLOB    NOT NULL PRIMARY KEY CHECK (length(token_hash) = 32),
    account_id TEXT    NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX sessions_expires_at ON sessions (expires_at);
CREATE INDEX sessions_account ON sessions (account_id);

CREATE TABLE streams (
    id                   TEXT    NOT NULL PRIMARY KEY,
    creator_id           TEXT    NOT NULL REFERENCES accounts (id),
    title                TEXT    NOT NULL,
    description          TEXT    NOT NULL DEFAULT '',
    -- Unicode-lower-cased copies (folded in Rust) for case-insensitive substring search.
    title_folded         TEXT    NOT NULL,
    description_folded   TEXT    NOT NULL,
    status               TEXT    NOT NULL CHECK (status IN ('SCHEDULED', 'LIVE', 'ENDED')),
    room_name            TEXT    NOT NULL,
    scheduled_for        INTEGER,
    started_at           INTEGER,
    ended_at             INTEGER,
    ended_reason         TEXT,
    participant_count    INTEGER NOT NULL DEFAULT 0 CHECK (participant_count >= 0),
    peak_viewers         INTEGER NOT NULL DEFAULT 0 CHECK (peak_viewers >= 0),
    billed_minutes       INTEGER NOT NULL DEFAULT 0 CHECK (billed_minutes >= 0),
    creator_absent_since INTEGER,
    deleted_at           INTEGER,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL,
    CONSTRAINT streams_room_name_key UNIQUE (room_name)
) STRICT;

-- One partial index per listing order (see `list_streams`): each serves both the page and the
-- total count without touching deleted rows. Queries name the status as a literal so that the
-- planner can match the partial index.
CREATE INDEX streams_list_all ON streams (created_at DESC, id DESC)
    WHERE deleted_at IS NULL;
CREATE INDEX streams_list_live ON streams (participant_count DESC, started_at DESC, id DESC)
    WHERE deleted_at IS NULL AND status = 'LIVE';
CREATE INDEX streams_list_scheduled ON streams ((scheduled_for IS NULL), scheduled_for, created_at, id)
    WHERE deleted_at IS NULL AND status = 'SCHEDULED';
CREATE INDEX streams_list_ended ON streams (ended_at DESC, id DESC)
    WHERE deleted_at IS NULL AND status = 'ENDED';
CREATE INDEX streams_list_creator ON streams (creator_id, created_at DESC, id DESC)
    WHERE deleted_at IS NULL;
-- Metering and the sweeper read all LIVE streams, deleted or not.
CREATE INDEX streams_live ON streams (started_at) WHERE status = 'LIVE';

CREATE TABLE credit_entries (
    id              INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    account_id      TEXT    NOT NULL REFERENCES accounts (id),
    delta           INTEGER NOT NULL,
    balance_after   INTEGER NOT NULL CHECK (balance_after >= 0),
    reason          TEXT    NOT NULL,
    stream_id       TEXT    REFERENCES streams (id),
    idempotency_key TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    CONSTRAINT credit_entries_idempotency_key_key UNIQUE (idempotency_key)
) STRICT;

CREATE INDEX credit_entries_ledger ON credit_entries (account_id, id DESC);

CREATE TABLE webhook_events (
    id          TEXT    NOT NULL PRIMARY KEY,
    received_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX webhook_events_received_at ON webhook_events (received_at);

CREATE TABLE bans (
    stream_id  TEXT    NOT NULL REFERENCES streams (id) ON DELETE CASCADE,
    identity   TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (stream_id, identity)
) STRICT, WITHOUT ROWID;
