//! The SQLite backend: one file, WAL, one writer connection and a small pool of readers.
//!
//! SQLite allows one writer at a time. Rather than let concurrent writers race for the lock
//! (and surface `SQLITE_BUSY`, or fail to upgrade a read transaction to a write one), every
//! write in this process goes through a pool of exactly one connection: writers queue in the
//! pool, fairly, and never see a busy error. Each multi-statement write still opens with
//! `BEGIN IMMEDIATE`, which takes the write lock up front, so another process on the same file
//! (an admin command) waits on `busy_timeout` instead of deadlocking. Reads run in parallel on
//! the reader pool and see the last committed state (WAL snapshots).

mod accounts;
mod credits;
mod streams;
mod webhooks;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use onair_domain::{AccountId, Credits, EndReason, Role, StreamId, StreamStatus};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{Row, Sqlite, Transaction};
use uuid::Uuid;

use crate::convert::{RowExt, corrupt, db};
use crate::{
    Account, Applied, CreditEntry, NewAccount, NewCreditEntry, NewStream, Page, Store, StoreError,
    StoreResult, Stream, StreamFilter, StreamPatch,
};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");

/// How long a statement waits for another process's write lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Parallel readers; WAL lets them run beside the writer.
const READERS: u32 = 4;

/// A [`Store`] on one SQLite file. Cheap to clone.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// Exactly one connection: in-process writers queue here instead of racing for the lock.
    writer: SqlitePool,
    /// Read-only work; never used inside a write transaction.
    reader: SqlitePool,
}

type Tx = Transaction<'static, Sqlite>;

impl SqliteStore {
    /// Opens (creating it and its directory if missing) the database at `path` and migrates it.
    pub async fn open(path: impl AsRef<Path>) -> StoreResult<Self> {
        let options = SqliteConnectOptions::new().filename(path.as_ref());
        Self::with_options(options).await
    }

    /// Opens a `sqlite://path` or `sqlite:path` URL. In-memory databases are refused: OnAir's
    /// data must outlive the process, and a memory database is private to one connection.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        if url.contains(":memory:") || url.contains("mode=memory") {
            return Err(StoreError::Database(
                "in-memory SQLite is not supported; use a file path (sqlite://data/onair.db)"
                    .into(),
            ));
        }
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Database(format!("invalid SQLite URL: {e}")))?;
        Self::with_options(options).await
    }

    async fn with_options(options: SqliteConnectOptions) -> StoreResult<Self> {
        if let Some(dir) = options.get_filename().parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).map_err(|e| {
                StoreError::Database(format!("cannot create {}: {e}", dir.display()))
            })?;
        }
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT)
            // Bounds the work of `PRAGMA optimize` below on large tables.
            .analysis_limit(Some(1000));
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await
            .map_err(db)?;
        MIGRATOR
            .run(&writer)
            .await
            .map_err(|e| StoreError::Database(format!("migration failed: {e}")))?;
        // Gives the planner statistics for tables that lack them (a fresh or never-analysed
        // file), so listings keep choosing their partial indexes as the data grows.
        sqlx::query("PRAGMA optimize = 0x10002")
            .execute(&writer)
            .await
            .map_err(db)?;
        let reader = SqlitePoolOptions::new()
            .max_connections(READERS)
            .connect_with(options)
            .await
            .map_err(db)?;
        Ok(Self { writer, reader })
    }

    /// Closes both pools (checkpointing the WAL when the last connection closes).
    pub async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }

    /// A write transaction holding the write lock from its first statement.
    async fn write(&self) -> StoreResult<Tx> {
        self.writer.begin_with("BEGIN IMMEDIATE").await.map_err(db)
    }
}

/// Ids are stored as hyphenated text.
fn id_text(id: &Uuid) -> String {
    id.as_hyphenated().to_string()
}

/// Times are stored as integer microseconds since the Unix epoch.
fn ts(t: DateTime<Utc>) -> i64 {
    crate::convert::micros(t)
}

fn get<'r, T>(row: &'r SqliteRow, col: &'static str) -> StoreResult<T>
where
    T: sqlx::Decode<'r, Sqlite> + sqlx::Type<Sqlite>,
{
    row.try_get(col).map_err(|e| corrupt(col, e))
}

fn parse_uuid(col: &str, s: &str) -> StoreResult<Uuid> {
    Uuid::try_parse(s).map_err(|_| corrupt(col, format!("`{s}` is not a UUID")))
}

fn parse_time(col: &str, v: i64) -> StoreResult<DateTime<Utc>> {
    DateTime::from_timestamp_micros(v).ok_or_else(|| corrupt(col, format!("{v} is out of range")))
}

impl RowExt for SqliteRow {
    fn uuid(&self, col: &'static str) -> StoreResult<Uuid> {
        parse_uuid(col, &get::<String>(self, col)?)
    }
    fn opt_uuid(&self, col: &'static str) -> StoreResult<Option<Uuid>> {
        get::<Option<String>>(self, col)?
            .map(|s| parse_uuid(col, &s))
            .transpose()
    }
    fn time(&self, col: &'static str) -> StoreResult<DateTime<Utc>> {
        parse_time(col, get(self, col)?)
    }
    fn opt_time(&self, col: &'static str) -> StoreResult<Option<DateTime<Utc>>> {
        get::<Option<i64>>(self, col)?
            .map(|v| parse_time(col, v))
            .transpose()
    }
    fn text(&self, col: &'static str) -> StoreResult<String> {
        get(self, col)
    }
    fn opt_text(&self, col: &'static str) -> StoreResult<Option<String>> {
        get(self, col)
    }
    fn int(&self, col: &'static str) -> StoreResult<i64> {
        get(self, col)
    }
}

impl Store for SqliteStore {
    async fn create_account(&self, new: NewAccount) -> StoreResult<Account> {
        accounts::create(self, new).await
    }
    async fn account(&self, id: AccountId) -> StoreResult<Account> {
        accounts::by_id(self, id).await
    }
    async fn account_by_email(&self, email: &str) -> StoreResult<(Account, String)> {
        accounts::by_email(self, email).await
    }
    async fn set_role(&self, id: AccountId, role: Role) -> StoreResult<()> {
        accounts::set_role(self, id, role).await
    }
    async fn create_session(
        &self,
        token_hash: &[u8; 32],
        account: AccountId,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        accounts::create_session(self, token_hash, account, expires_at, now).await
    }
    async fn session_account(
        &self,
        token_hash: &[u8; 32],
        now: DateTime<Utc>,
    ) -> StoreResult<Account> {
        accounts::session_account(self, token_hash, now).await
    }
    async fn delete_session(&self, token_hash: &[u8; 32]) -> StoreResult<()> {
        accounts::delete_session(self, token_hash).await
    }
    async fn delete_expired_sessions(&self, now: DateTime<Utc>) -> StoreResult<u64> {
        accounts::delete_expired_sessions(self, now).await
    }
    async fn create_stream(&self, new: NewStream) -> StoreResult<Stream> {
        streams::create(self, new).await
    }
    async fn stream(&self, id: StreamId) -> StoreResult<Stream> {
        streams::by_id(self, id).await
    }
    async fn update_stream(
        &self,
        id: StreamId,
        patch: StreamPatch,
        now: DateTime<Utc>,
    ) -> StoreResult<Stream> {
        streams::update(self, id, patch, now).await
    }
    async fn go_live(
        &self,
        id: StreamId,
        cost: Credits,
        now: DateTime<Utc>,
    ) -> StoreResult<Stream> {
        streams::go_live(self, id, cost, now).await
    }
    async fn end_stream(
        &self,
        id: StreamId,
        reason: EndReason,
        now: DateTime<Utc>,
    ) -> StoreResult<Stream> {
        streams::end(self, id, reason, now).await
    }
    async fn delete_stream(&self, id: StreamId, now: DateTime<Utc>) -> StoreResult<()> {
        streams::delete(self, id, now).await
    }
    async fn list_streams(&self, filter: &StreamFilter) -> StoreResult<(Vec<Stream>, u64)> {
        streams::list(self, filter).await
    }
    async fn set_participant_count(
        &self,
        id: StreamId,
        count: u32,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        streams::set_participant_count(self, id, count, now).await
    }
    async fn set_creator_absent_since(
        &self,
        id: StreamId,
        since: Option<DateTime<Utc>>,
    ) -> StoreResult<()> {
        streams::set_creator_absent_since(self, id, since).await
    }
    async fn live_streams(&self) -> StoreResult<Vec<Stream>> {
        streams::live(self).await
    }
    async fn count_streams_by_status(&self) -> StoreResult<Vec<(StreamStatus, u64)>> {
        streams::count_by_status(self).await
    }
    async fn apply_credit(&self, entry: NewCreditEntry) -> StoreResult<Applied> {
        credits::apply_credit(self, entry).await
    }
    async fn charge_live_minute(
        &self,
        stream: StreamId,
        minute: u32,
        cost: Credits,
        now: DateTime<Utc>,
    ) -> StoreResult<Applied> {
        credits::charge_live_minute(self, stream, minute, cost, now).await
    }
    async fn credit_entries(
        &self,
        account: AccountId,
        page: Page,
    ) -> StoreResult<(Vec<CreditEntry>, u64)> {
        credits::entries(self, account, page).await
    }
    async fn record_webhook_event(&self, event_id: &str, now: DateTime<Utc>) -> StoreResult<bool> {
        webhooks::record(self, event_id, now).await
    }
    async fn prune_webhook_events(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        webhooks::prune(self, before).await
    }
    async fn ban(&self, stream: StreamId, identity: &str, now: DateTime<Utc>) -> StoreResult<()> {
        streams::ban(self, stream, identity, now).await
    }
    async fn is_banned(&self, stream: StreamId, identity: &str) -> StoreResult<bool> {
        streams::is_banned(self, stream, identity).await
    }
    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.reader)
            .await
            .map_err(db)?;
        Ok(())
    }
}
