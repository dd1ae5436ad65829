//! Shared row decoding and error mapping: rows become domain types here, and a corrupt value
//! becomes `StoreError::Database` naming its column instead of a panic.

use chrono::{DateTime, Utc};
use onair_domain::{
    AccountId, Credits, EndReason, LedgerReason, Role, RoomName, StreamId, StreamStatus,
};
use sqlx::error::ErrorKind;
use uuid::Uuid;

use crate::{Account, Creator, CreditEntry, StoreError, StoreResult, Stream};

/// The columns every stream query selects, joined with its creator. A macro so that queries
/// can `concat!` it into a `&'static str`. `LEFT JOIN` (the creator always exists: a foreign
/// key) because SQLite then keeps `streams` as the outer loop, so a listing walks its index in
/// order whatever the planner's statistics say; with an inner join and rough statistics it may
/// scan accounts first and sort every stream.
macro_rules! stream_select {
    () => {
        "SELECT s.id, s.creator_id, a.name AS creator_name, a.image AS creator_image, \
         s.title, s.description, s.status, s.room_name, s.scheduled_for, s.started_at, \
         s.ended_at, s.ended_reason, s.participant_count, s.peak_viewers, s.billed_minutes, \
         s.creator_absent_since, s.deleted_at, s.created_at, s.updated_at \
         FROM streams s LEFT JOIN accounts a ON a.id = s.creator_id"
    };
}
pub(crate) use stream_select;

/// The columns of an [`Account`].
macro_rules! account_columns {
    () => {
        "id, email, name, image, bio, role, balance, created_at"
    };
}
pub(crate) use account_columns;

/// The columns of a [`CreditEntry`].
macro_rules! entry_columns {
    () => {
        "id, account_id, delta, balance_after, reason, stream_id, idempotency_key, created_at"
    };
}
pub(crate) use entry_columns;

/// Typed column access with the column's name in every error. Each backend implements it for
/// its row type with its own storage representation of ids and times.
pub(crate) trait RowExt {
    fn uuid(&self, col: &'static str) -> StoreResult<Uuid>;
    fn opt_uuid(&self, col: &'static str) -> StoreResult<Option<Uuid>>;
    fn time(&self, col: &'static str) -> StoreResult<DateTime<Utc>>;
    fn opt_time(&self, col: &'static str) -> StoreResult<Option<DateTime<Utc>>>;
    fn text(&self, col: &'static str) -> StoreResult<String>;
    fn opt_text(&self, col: &'static str) -> StoreResult<Option<String>>;
    fn int(&self, col: &'static str) -> StoreResult<i64>;
}

/// A value that is present but not what the schema promises.
pub(crate) fn corrupt(col: &str, detail: impl std::fmt::Display) -> StoreError {
    StoreError::Database(format!("column `{col}`: {detail}"))
}

fn count(row: &impl RowExt, col: &'static str) -> StoreResult<u32> {
    let v = row.int(col)?;
    u32::try_from(v).map_err(|_| corrupt(col, format!("{v} is not a valid count")))
}

fn status(row: &impl RowExt, col: &'static str) -> StoreResult<StreamStatus> {
    let v = row.text(col)?;
    StreamStatus::parse(&v).ok_or_else(|| corrupt(col, format!("unknown status `{v}`")))
}

pub(crate) fn account_from_row(row: &impl RowExt) -> StoreResult<Account> {
    let role = row.text("role")?;
    Ok(Account {
        id: AccountId::from_uuid(row.uuid("id")?),
        email: row.text("email")?,
        name: row.text("name")?,
        image: row.opt_text("image")?,
        bio: row.text("bio")?,
        role: Role::parse(&role).ok_or_else(|| corrupt("role", format!("unknown `{role}`")))?,
        balance: Credits::new(row.int("balance")?),
        created_at: row.time("created_at")?,
    })
}

pub(crate) fn stream_from_row(row: &impl RowExt) -> StoreResult<Stream> {
    let ended_reason = match row.opt_text("ended_reason")? {
        None => None,
        Some(r) => Some(
            EndReason::parse(&r)
                .ok_or_else(|| corrupt("ended_reason", format!("unknown `{r}`")))?,
        ),
    };
    Ok(Stream {
        id: StreamId::from_uuid(row.uuid("id")?),
        creator: Creator {
            id: AccountId::from_uuid(row.uuid("creator_id")?),
            name: row.text("creator_name")?,
            image: row.opt_text("creator_image")?,
        },
        title: row.text("title")?,
        description: row.text("description")?,
        status: status(row, "status")?,
        room_name: RoomName::from_raw(row.text("room_name")?),
        scheduled_for: row.opt_time("scheduled_for")?,
        started_at: row.opt_time("started_at")?,
        ended_at: row.opt_time("ended_at")?,
        ended_reason,
        participant_count: count(row, "participant_count")?,
        peak_viewers: count(row, "peak_viewers")?,
        billed_minutes: count(row, "billed_minutes")?,
        creator_absent_since: row.opt_time("creator_absent_since")?,
        deleted_at: row.opt_time("deleted_at")?,
        created_at: row.time("created_at")?,
        updated_at: row.time("updated_at")?,
    })
}

pub(crate) fn entry_from_row(row: &impl RowExt) -> StoreResult<CreditEntry> {
    let reason = row.text("reason")?;
    Ok(CreditEntry {
        id: row.int("id")?,
        account: AccountId::from_uuid(row.uuid("account_id")?),
        delta: Credits::new(row.int("delta")?),
        balance_after: Credits::new(row.int("balance_after")?),
        reason: LedgerReason::parse(&reason)
            .ok_or_else(|| corrupt("reason", format!("unknown `{reason}`")))?,
        stream: row.opt_uuid("stream_id")?.map(StreamId::from_uuid),
        idempotency_key: row.text("idempotency_key")?,
        created_at: row.time("created_at")?,
    })
}

/// Decodes `status` alone (conflict diagnostics).
pub(crate) fn status_from_row(row: &impl RowExt) -> StoreResult<StreamStatus> {
    status(row, "status")
}

/// Every stored time is truncated to whole microseconds, the precision both backends keep, so
/// a value reads back exactly as written.
pub(crate) fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

/// [`micros`] as a `DateTime`, for backends that store native timestamps.
pub(crate) fn truncate(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(t.timestamp_micros()).unwrap_or(t)
}

/// Case folding for substring search, done in Rust so both backends agree on Unicode.
pub(crate) fn fold(s: &str) -> String {
    s.to_lowercase()
}

/// Any database error that has no more specific meaning.
pub(crate) fn db(e: sqlx::Error) -> StoreError {
    match e {
        sqlx::Error::RowNotFound => StoreError::NotFound,
        sqlx::Error::PoolTimedOut => {
            StoreError::Database("timed out waiting for a database connection".into())
        }
        e => StoreError::Database(e.to_string()),
    }
}

/// What a constraint violation was about: the constraint's name (PostgreSQL) or the message
/// naming `table.column` (SQLite).
pub(crate) fn violation(e: &sqlx::Error, kind: ErrorKind) -> Option<String> {
    let d = e.as_database_error()?;
    (d.kind() == kind).then(|| d.constraint().unwrap_or(d.message()).to_owned())
}

/// Maps a failed insert: unique violations become `Conflict(what)` (or `Conflict(other)` when
/// the violated key does not mention `key`), a missing referenced row becomes `NotFound`.
pub(crate) fn insert_err(
    e: sqlx::Error,
    key: &str,
    what: &'static str,
    other: &'static str,
) -> StoreError {
    if let Some(c) = violation(&e, ErrorKind::UniqueViolation) {
        return StoreError::Conflict(if c.contains(key) { what } else { other });
    }
    if violation(&e, ErrorKind::ForeignKeyViolation).is_some() {
        return StoreError::NotFound;
    }
    db(e)
}

/// Rejects negative costs: a negative charge would be a grant in disguise.
pub(crate) fn check_cost(cost: Credits) -> StoreResult<()> {
    if cost.get() < 0 {
        return Err(StoreError::Database(format!(
            "cost must not be negative, got {cost}"
        )));
    }
    Ok(())
}

/// The key of a stream's go-live charge.
pub(crate) fn go_live_key(id: StreamId) -> String {
    format!("go_live:{id}")
}

/// The key of one metered minute.
pub(crate) fn live_minute_key(id: StreamId, minute: u32) -> String {
    format!("live_minute:{id}:{minute}")
}

/// The key of a signup grant.
pub(crate) fn signup_key(id: AccountId) -> String {
    format!("signup_grant:{id}")
}

/// SQL offset/limit from a page; offsets beyond `i64` are clamped (they match nothing anyway).
pub(crate) fn limit_offset(page: crate::Page) -> (i64, i64) {
    (
        i64::from(page.limit),
        i64::try_from(page.offset()).unwrap_or(i64::MAX),
    )
}

/// The ORDER BY of a listing (see [`crate::Store::list_streams`]); `scheduled_order` is the
/// backend's spelling of "soonest `scheduled_for` first, unset last".
pub(crate) fn list_order(
    status: Option<StreamStatus>,
    scheduled_order: &'static str,
) -> &'static str {
    match status {
        None => " ORDER BY s.created_at DESC, s.id DESC",
        Some(StreamStatus::Live) => {
            " ORDER BY s.participant_count DESC, s.started_at DESC, s.id DESC"
        }
        Some(StreamStatus::Scheduled) => scheduled_order,
        Some(StreamStatus::Ended) => " ORDER BY s.ended_at DESC, s.id DESC",
    }
}

/// Turns the raw search text into the folded needle, or `None` when there is nothing to find.
pub(crate) fn needle(query: Option<&str>) -> Option<String> {
    query.map(str::trim).filter(|q| !q.is_empty()).map(fold)
}

/// `(status, n)` rows to one count per status, zeros included, in [`StreamStatus::ALL`] order.
pub(crate) fn status_counts(rows: &[impl RowExt]) -> StoreResult<Vec<(StreamStatus, u64)>> {
    let mut counts: Vec<(StreamStatus, u64)> = StreamStatus::ALL.iter().map(|s| (*s, 0)).collect();
    for row in rows {
        let status = status(row, "status")?;
        let n = row.int("n")?;
        let n = u64::try_from(n).map_err(|_| corrupt("n", format!("{n} is not a count")))?;
        if let Some(slot) = counts.iter_mut().find(|(s, _)| *s == status) {
            slot.1 = n;
        }
    }
    Ok(counts)
}
