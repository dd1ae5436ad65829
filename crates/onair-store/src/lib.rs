//! OnAir persistence.
//!
//! One [`Store`] trait describes everything the platform keeps; [`sqlite`] (the default,
//! embedded) and [`postgres`] (multi-instance deployments) implement it, each with its own
//! migrations, and one contract test suite (`tests/contract.rs`) runs against both. The backend
//! is chosen from the database URL's scheme ([`connect`]), and [`AnyStore`] forwards every call
//! to it.
//!
//! The store applies decisions, it does not make them: callers ask `onair-domain` whether a
//! transition or a charge is allowed, then the store applies it atomically with a conditional
//! update, so concurrent requests cannot double-apply it. Every method that changes a balance
//! writes a ledger entry in the same transaction.
//!
//! # URLs
//!
//! | URL | backend |
//! |---|---|
//! | `sqlite://data/onair.db`, `sqlite:data/onair.db`, `sqlite:///abs/path.db` | SQLite file, created with its directory if missing |
//! | `postgres://user@host:5432/db`, `postgresql://…` | PostgreSQL |
//!
//! In-memory SQLite (`sqlite::memory:`, `mode=memory`) is refused: it would vanish with the
//! process and is private to one connection. [`PgStore::connect_with_schema`] confines a store
//! to one PostgreSQL schema (created if missing); tests use it for a fresh database per case.
//!
//! # Migrations
//!
//! `migrations/sqlite/` and `migrations/postgres/` are embedded with `sqlx::migrate!` and run on
//! every connect (already-applied ones are skipped; sqlx records them in `_sqlx_migrations`).
//! The two schemas are the same tables with each backend's native types:
//!
//! | | SQLite | PostgreSQL |
//! |---|---|---|
//! | ids | `TEXT`, hyphenated UUID | `uuid` |
//! | times | `INTEGER` microseconds since the Unix epoch (UTC) | `timestamptz` |
//! | integers | `INTEGER` (STRICT tables) | `BIGINT` |
//!
//! Every time is truncated to whole microseconds before it is written (PostgreSQL's precision),
//! so both backends read back exactly what was written and sort it correctly; chrono's own
//! SQLite text encoding varies its fractional digits and would not sort as text. Ids are native
//! `uuid` in PostgreSQL (16 bytes, typed); in SQLite, text keeps the database readable with the
//! `sqlite3` shell at a modest size cost.
//!
//! Search (`StreamFilter::query`) matches a case-insensitive substring of the title or
//! description. Titles and descriptions are stored a second time lower-cased by Rust
//! (`title_folded`, `description_folded`), so both backends fold Unicode the same way and `%`
//! or `_` in a query are plain characters. On SQLite, a query of three characters or more is
//! narrowed by an FTS5 trigram index over the folded columns (`streams_fts`, kept in sync by
//! triggers) and then re-checked as a plain substring, so results equal a scan's; shorter
//! queries scan the filtered rows. On PostgreSQL, such a query is an escaped `LIKE '%…%'`,
//! served by `pg_trgm` GIN indexes when the extension could be created (the migration goes on
//! without it, and search then scans). Every other listing is served by a partial index per
//! order. On SQLite, the total of an unfiltered or status-only listing (and
//! `count_streams_by_status`) is read from `stream_counts`, kept per status by triggers, rather
//! than counted row by row.
//!
//! # Concurrency
//!
//! - **SQLite**: one writer connection per process, a small pool of readers (WAL). In-process
//!   writers queue for the writer instead of racing for SQLite's lock, so callers never see
//!   `SQLITE_BUSY`; multi-statement writes begin with `BEGIN IMMEDIATE`, taking the write lock
//!   before the first read, so a read-then-write cannot fail to upgrade, and another process
//!   waits on `busy_timeout` (10 s). `synchronous = NORMAL` and `foreign_keys = ON`.
//! - **PostgreSQL**: transitions are `UPDATE … WHERE status = … RETURNING`; a racing request
//!   waits for the winner's row lock, re-checks the condition and matches nothing, which the
//!   store reports as `StatusConflict`. A credit change is one statement that updates the
//!   balance only if it stays non-negative and inserts the ledger entry; a repeated idempotency
//!   key is answered as `Applied::Duplicate` from the unique constraint, without a second query.
//!
//! # Behaviour the trait leaves open
//!
//! - `delete_stream` is idempotent (the first `deleted_at` stands); `NotFound` only for an unknown id.
//! - `go_live` answers `NotFound` for a deleted stream.
//! - `set_participant_count` is a no-op for unknown streams as well as for streams not LIVE.
//! - `set_creator_absent_since` answers `NotFound` for an unknown stream.
//! - `charge_live_minute` answers `NotFound` for an unknown stream and `StatusConflict` unless
//!   the stream is LIVE (a minute is never billed after the end); a zero cost advances
//!   `billed_minutes` without a ledger entry. `go_live` and `charge_live_minute` refuse negative
//!   costs with `Database`.
//! - `apply_credit`: a key already used (by any account) is `Duplicate` even when the balance
//!   could no longer cover the charge; an unknown account or stream is `NotFound`; a balance
//!   that would overflow is `Database`.
//! - `count_streams_by_status` lists all three statuses, zeros included.
//! - `list_streams` orders ties by id so pages are stable: LIVE by `participant_count` desc,
//!   then `started_at` newest first; SCHEDULED by `scheduled_for` (unset last), then creation;
//!   ENDED by `ended_at` newest first. The total and the page are two reads.
//! - Foreign keys: a session, stream, ban or ledger entry naming an unknown row is `NotFound`.
//! - `prune_webhook_events(before)` deletes ids received strictly before `before`; without it
//!   the replay table only grows.

mod any;
mod convert;
mod model;
pub mod postgres;
pub mod sqlite;

pub use any::{AnyStore, connect};
pub use model::*;
pub use postgres::PgStore;
pub use sqlite::SqliteStore;

use std::future::Future;

use chrono::{DateTime, Utc};
use onair_domain::{AccountId, Credits, EndReason, StreamId, StreamStatus};

/// Why a store call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No row with that key (or it is hidden from the caller).
    #[error("not found")]
    NotFound,
    /// A unique key already exists (email taken, …).
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// A conditional update found the row in another state than required; nothing changed.
    #[error("stream is {actual}, not in a state that allows this")]
    StatusConflict { actual: StreamStatus },
    /// A charge exceeds the balance; nothing changed.
    #[error("insufficient credits: balance {balance}, needed {needed}")]
    InsufficientCredits { balance: Credits, needed: Credits },
    /// The database failed (connection, constraint we did not expect, corrupt row).
    #[error("database error: {0}")]
    Database(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Everything OnAir persists. Implementations are cheap to clone (a pool handle inside).
///
/// All times are passed in by the caller; implementations never read the clock, which keeps
/// them deterministic under test.
pub trait Store: Clone + Send + Sync + 'static {
    // ----- accounts --------------------------------------------------------------------------

    /// Creates an account and, in the same transaction, credits `signup_grant` (ledger reason
    /// `signup_grant`; nothing when zero). `Conflict("email")` when the email is taken.
    fn create_account(&self, new: NewAccount) -> impl Future<Output = StoreResult<Account>> + Send;

    fn account(&self, id: AccountId) -> impl Future<Output = StoreResult<Account>> + Send;

    /// The account and its password hash, for login. `NotFound` when no such email.
    fn account_by_email(
        &self,
        email: &str,
    ) -> impl Future<Output = StoreResult<(Account, String)>> + Send;

    fn set_role(
        &self,
        id: AccountId,
        role: onair_domain::Role,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    // ----- sessions --------------------------------------------------------------------------

    /// Stores a session by the SHA-256 of its cookie value (the raw value is never stored).
    fn create_session(
        &self,
        token_hash: &[u8; 32],
        account: AccountId,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// The account behind a live session; `NotFound` when unknown or expired at `now`.
    fn session_account(
        &self,
        token_hash: &[u8; 32],
        now: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<Account>> + Send;

    /// Idempotent.
    fn delete_session(&self, token_hash: &[u8; 32])
    -> impl Future<Output = StoreResult<()>> + Send;

    /// Removes sessions expired before `now`; returns how many.
    fn delete_expired_sessions(
        &self,
        now: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<u64>> + Send;

    // ----- streams ---------------------------------------------------------------------------

    /// Creates a SCHEDULED stream.
    fn create_stream(&self, new: NewStream) -> impl Future<Output = StoreResult<Stream>> + Send;

    /// A stream with its creator, deleted ones included (`deleted_at` set) so that the API can
    /// answer 410 for them; listings never show deleted streams.
    fn stream(&self, id: StreamId) -> impl Future<Output = StoreResult<Stream>> + Send;

    /// Edits title/description/schedule (fields left `None` are unchanged). `NotFound` for
    /// unknown or deleted streams.
    fn update_stream(
        &self,
        id: StreamId,
        patch: StreamPatch,
        now: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<Stream>> + Send;

    /// SCHEDULED → LIVE and the go-live charge, atomically: the conditional status update, the
    /// ledger entry (reason `go_live`, idempotency key `go_live:<stream id>`) and the balance
    /// change commit together or not at all. `StatusConflict` when the stream is not SCHEDULED
    /// (a racing request already won); `InsufficientCredits` when the creator cannot pay (the
    /// stream stays SCHEDULED). A zero cost writes no ledger entry.
    fn go_live(
        &self,
        id: StreamId,
        cost: Credits,
        now: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<Stream>> + Send;

    /// SCHEDULED/LIVE → ENDED with `ended_at = now` and the reason; clears the live count.
    /// `StatusConflict` when already ENDED.
    fn end_stream(
        &self,
        id: StreamId,
        reason: EndReason,
        now: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<Stream>> + Send;

    /// Hides the stream from listings (`deleted_at = now`). Callers end it first if live.
    fn delete_stream(
        &self,
        id: StreamId,
        now: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// A page of non-deleted streams matching the filter, and the total count of matches.
    /// Order: LIVE by viewers then start time, SCHEDULED by `scheduled_for` (soonest first, unset
    /// last), ENDED by `ended_at` newest first; with no status filter, newest first by creation.
    fn list_streams(
        &self,
        filter: &StreamFilter,
    ) -> impl Future<Output = StoreResult<(Vec<Stream>, u64)>> + Send;

    /// Sets the live viewer count of a LIVE stream and raises `peak_viewers` if exceeded.
    /// No-op (Ok) when the stream is not LIVE.
    fn set_participant_count(
        &self,
        id: StreamId,
        count: u32,
        now: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// Records whether the creator is present in the room: `Some(now)` when they left, `None`
    /// when they (re)joined. Drives the creator-absent grace period.
    fn set_creator_absent_since(
        &self,
        id: StreamId,
        since: Option<DateTime<Utc>>,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// All LIVE streams (for metering, reconciliation and the grace-period sweeper).
    fn live_streams(&self) -> impl Future<Output = StoreResult<Vec<Stream>>> + Send;

    /// Number of non-deleted streams per status, for metrics.
    fn count_streams_by_status(
        &self,
    ) -> impl Future<Output = StoreResult<Vec<(StreamStatus, u64)>>> + Send;

    // ----- credits ---------------------------------------------------------------------------

    /// Applies one ledger entry (positive: grant; negative: charge) and updates the cached
    /// balance in the same transaction. Idempotent on `idempotency_key`: a repeated key returns
    /// `Ok(Applied::Duplicate)` and changes nothing. A charge that would take the balance below
    /// zero is `InsufficientCredits` and changes nothing.
    fn apply_credit(
        &self,
        entry: NewCreditEntry,
    ) -> impl Future<Output = StoreResult<Applied>> + Send;

    /// Charges one metered live minute (`live_minute:<stream>:<minute>` key) and advances the
    /// stream's `billed_minutes` to `minute` in one transaction. Same errors as `apply_credit`.
    fn charge_live_minute(
        &self,
        stream: StreamId,
        minute: u32,
        cost: Credits,
        now: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<Applied>> + Send;

    /// The account's ledger, newest first, and the total number of entries.
    fn credit_entries(
        &self,
        account: AccountId,
        page: Page,
    ) -> impl Future<Output = StoreResult<(Vec<CreditEntry>, u64)>> + Send;

    // ----- webhook bookkeeping -----------------------------------------------------------------

    /// Records a webhook event id; `true` the first time, `false` for a replay.
    fn record_webhook_event(
        &self,
        event_id: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<bool>> + Send;

    /// Forgets webhook event ids received before `before`; returns how many. A replay can only
    /// arrive while its signed token is valid, so ids older than that window are dead weight;
    /// a periodic task prunes them.
    fn prune_webhook_events(
        &self,
        before: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<u64>> + Send;

    // ----- moderation ---------------------------------------------------------------------------

    /// Bars an identity from a stream (idempotent).
    fn ban(
        &self,
        stream: StreamId,
        identity: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    fn is_banned(
        &self,
        stream: StreamId,
        identity: &str,
    ) -> impl Future<Output = StoreResult<bool>> + Send;

    // ----- ops -------------------------------------------------------------------------------

    /// Cheap round trip for `/readyz`.
    fn ping(&self) -> impl Future<Output = StoreResult<()>> + Send;
}
