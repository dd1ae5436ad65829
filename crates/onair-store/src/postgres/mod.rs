//! The PostgreSQL backend, for deployments that run several OnAir instances on one database.
//!
//! Every state change is one conditional statement (`UPDATE … WHERE status = … RETURNING`,
//! `UPDATE accounts SET balance = balance + $delta WHERE … AND balance + $delta >= 0`) or a short
//! transaction of them, so correctness rests on row locks taken by those statements, not on
//! isolation levels: a racing request re-evaluates the `WHERE` after the winner commits and
//! matches nothing. Unique violations on idempotency keys are answered as duplicates directly,
//! without a second query.

mod accounts;
mod credits;
mod streams;
mod webhooks;

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use onair_domain::{AccountId, Credits, EndReason, Role, StreamId, StreamStatus};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::{AssertSqlSafe, Postgres, Row, Transaction};
use uuid::Uuid;

use crate::convert::{RowExt, corrupt, db};
use crate::{
    Account, Applied, CreditEntry, NewAccount, NewCreditEntry, NewStream, Page, Store, StoreError,
    StoreResult, Stream, StreamFilter, StreamPatch,
};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// Connections per instance; PostgreSQL's default server limit is 100.
const MAX_CONNECTIONS: u32 = 10;
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);

/// A [`Store`] on a PostgreSQL database. Cheap to clone.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

type Tx = Transaction<'static, Postgres>;

impl PgStore {
    /// Connects to a `postgres://` or `postgresql://` URL and runs the migrations.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        Self::with_options(parse(url)?, None).await
    }

    /// Like [`PgStore::connect`], but every connection works inside `schema` (its
    /// `search_path`), which is created if missing and migrated on its own. Tests use it to give
    /// each case a fresh database; dropping it afterwards (`DROP SCHEMA … CASCADE`) is the
    /// caller's job. `schema` must be a plain lower-case identifier (`[a-z_][a-z0-9_]*`).
    pub async fn connect_with_schema(url: &str, schema: &str) -> StoreResult<Self> {
        let plain = schema.len() <= 63
            && schema.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
            && schema
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !plain {
            return Err(StoreError::Database(format!(
                "schema name `{schema}` must match [a-z_][a-z0-9_]* (at most 63 bytes)"
            )));
        }
        let options = parse(url)?.options([("search_path", schema)]);
        Self::with_options(options, Some(schema)).await
    }

    async fn with_options(options: PgConnectOptions, schema: Option<&str>) -> StoreResult<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(db)?;
        if let Some(schema) = schema {
            // `schema` was checked to be a plain identifier above.
            let create = format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\"");
            sqlx::query(AssertSqlSafe(create))
                .execute(&pool)
                .await
                .map_err(db)?;
        }
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| StoreError::Database(format!("migration failed: {e}")))?;
        Ok(Self { pool })
    }

    /// Closes the pool; in-flight calls finish first.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    async fn tx(&self) -> StoreResult<Tx> {
        self.pool.begin().await.map_err(db)
    }
}

fn parse(url: &str) -> StoreResult<PgConnectOptions> {
    PgConnectOptions::from_str(url)
        .map_err(|e| StoreError::Database(format!("invalid PostgreSQL URL: {e}")))
}

fn get<'r, T>(row: &'r PgRow, col: &'static str) -> StoreResult<T>
where
    T: sqlx::Decode<'r, Postgres> + sqlx::Type<Postgres>,
{
    row.try_get(col).map_err(|e| corrupt(col, e))
}

impl RowExt for PgRow {
    fn uuid(&self, col: &'static str) -> StoreResult<Uuid> {
        get(self, col)
    }
    fn opt_uuid(&self, col: &'static str) -> StoreResult<Option<Uuid>> {
        get(self, col)
    }
    fn time(&self, col: &'static str) -> StoreResult<DateTime<Utc>> {
        get(self, col)
    }
    fn opt_time(&self, col: &'static str) -> StoreResult<Option<DateTime<Utc>>> {
        get(self, col)
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

/// Times are bound truncated to microseconds, PostgreSQL's precision.
fn ts(t: DateTime<Utc>) -> DateTime<Utc> {
    crate::convert::truncate(t)
}

impl Store for PgStore {
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
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }
}
