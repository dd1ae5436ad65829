//! Backend selection from a URL, and [`AnyStore`], which delegates to the chosen backend.

use chrono::{DateTime, Utc};
use onair_domain::{AccountId, Credits, EndReason, Role, StreamId, StreamStatus};

use crate::{
    Account, Applied, CreditEntry, NewAccount, NewCreditEntry, NewStream, Page, PgStore,
    SqliteStore, Store, StoreError, StoreResult, Stream, StreamFilter, StreamPatch,
};

/// The store the binary runs on, chosen at start-up from the database URL.
#[derive(Debug, Clone)]
pub enum AnyStore {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

/// Connects to the database named by `url` and runs its migrations.
///
/// - `sqlite://path/to/onair.db` or `sqlite:path/to/onair.db`: a file, created (with its
///   directory) if missing. In-memory SQLite is refused.
/// - `postgres://…` or `postgresql://…`: a PostgreSQL database.
pub async fn connect(url: &str) -> StoreResult<AnyStore> {
    if url.starts_with("sqlite:") {
        SqliteStore::connect(url).await.map(AnyStore::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        PgStore::connect(url).await.map(AnyStore::Postgres)
    } else {
        let scheme = url.split(':').next().unwrap_or_default();
        Err(StoreError::Database(format!(
            "unsupported database URL scheme `{scheme}`: use sqlite://path or postgres://…"
        )))
    }
}

impl AnyStore {
    /// `"sqlite"` or `"postgres"`, for logs, metrics and `/readyz`.
    pub fn backend_name(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }

    /// Closes the pools; in-flight calls finish first.
    pub async fn close(&self) {
        match self {
            Self::Sqlite(s) => s.close().await,
            Self::Postgres(s) => s.close().await,
        }
    }
}

impl From<SqliteStore> for AnyStore {
    fn from(s: SqliteStore) -> Self {
        Self::Sqlite(s)
    }
}

impl From<PgStore> for AnyStore {
    fn from(s: PgStore) -> Self {
        Self::Postgres(s)
    }
}

/// Writes each `Store` method as a match that forwards its arguments to the backend.
macro_rules! delegate {
    ($(fn $name:ident(&self $(, $arg:ident: $ty:ty)*) -> $ret:ty;)*) => {
        $(
            async fn $name(&self $(, $arg: $ty)*) -> StoreResult<$ret> {
                match self {
                    Self::Sqlite(s) => s.$name($($arg),*).await,
                    Self::Postgres(s) => s.$name($($arg),*).await,
                }
            }
        )*
    };
}

impl Store for AnyStore {
    delegate! {
        fn create_account(&self, new: NewAccount) -> Account;
        fn account(&self, id: AccountId) -> Account;
        fn account_by_email(&self, email: &str) -> (Account, String);
        fn set_role(&self, id: AccountId, role: Role) -> ();
        fn create_session(&self, token_hash: &[u8; 32], account: AccountId, expires_at: DateTime<Utc>, now: DateTime<Utc>) -> ();
        fn session_account(&self, token_hash: &[u8; 32], now: DateTime<Utc>) -> Account;
        fn delete_session(&self, token_hash: &[u8; 32]) -> ();
        fn delete_expired_sessions(&self, now: DateTime<Utc>) -> u64;
        fn create_stream(&self, new: NewStream) -> Stream;
        fn stream(&self, id: StreamId) -> Stream;
        fn update_stream(&self, id: StreamId, patch: StreamPatch, now: DateTime<Utc>) -> Stream;
        fn go_live(&self, id: StreamId, cost: Credits, now: DateTime<Utc>) -> Stream;
        fn end_stream(&self, id: StreamId, reason: EndReason, now: DateTime<Utc>) -> Stream;
        fn delete_stream(&self, id: StreamId, now: DateTime<Utc>) -> ();
        fn list_streams(&self, filter: &StreamFilter) -> (Vec<Stream>, u64);
        fn set_participant_count(&self, id: StreamId, count: u32, now: DateTime<Utc>) -> ();
        fn set_creator_absent_since(&self, id: StreamId, since: Option<DateTime<Utc>>) -> ();
        fn live_streams(&self) -> Vec<Stream>;
        fn count_streams_by_status(&self) -> Vec<(StreamStatus, u64)>;
        fn apply_credit(&self, entry: NewCreditEntry) -> Applied;
        fn charge_live_minute(&self, stream: StreamId, minute: u32, cost: Credits, now: DateTime<Utc>) -> Applied;
        fn credit_entries(&self, account: AccountId, page: Page) -> (Vec<CreditEntry>, u64);
        fn record_webhook_event(&self, event_id: &str, now: DateTime<Utc>) -> bool;
        fn prune_webhook_events(&self, before: DateTime<Utc>) -> u64;
        fn ban(&self, stream: StreamId, identity: &str, now: DateTime<Utc>) -> ();
        fn is_banned(&self, stream: StreamId, identity: &str) -> bool;
        fn ping(&self) -> ();
    }
}
