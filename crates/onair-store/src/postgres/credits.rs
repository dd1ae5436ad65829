//! The credit ledger on PostgreSQL: the balance change and its ledger entry are one statement.

use chrono::{DateTime, Utc};
use onair_domain::{AccountId, Credits, LedgerReason, StreamId, StreamStatus};
use sqlx::PgConnection;
use sqlx::error::ErrorKind;
use uuid::Uuid;

use super::{PgStore, ts};
use crate::convert::{
    check_cost, corrupt, db, entry_columns, entry_from_row, limit_offset, live_minute_key,
    violation,
};
use crate::{Applied, CreditEntry, NewCreditEntry, Page, StoreError, StoreResult};

/// One ledger entry to apply.
pub(super) struct Entry<'a> {
    pub account: Uuid,
    pub delta: Credits,
    pub reason: LedgerReason,
    pub stream: Option<StreamId>,
    pub key: &'a str,
    pub now: DateTime<Utc>,
}

/// The conditional balance update and the ledger insert as one atomic statement. The update
/// locks the account row; a racing charge waits and re-checks `balance + delta >= 0` against
/// the committed balance. A key already committed matches nothing (no error, so an enclosing
/// transaction stays usable); a key inserted concurrently fails the unique constraint.
const APPLY: &str = "\
WITH acc AS (
    UPDATE accounts SET balance = balance + $2
    WHERE id = $1 AND balance + $2 >= 0
      AND NOT EXISTS (SELECT 1 FROM credit_entries WHERE idempotency_key = $5)
    RETURNING balance
)
INSERT INTO credit_entries
    (account_id, delta, balance_after, reason, stream_id, idempotency_key, created_at)
SELECT $1, $2, acc.balance, $3::text, $4::uuid, $5, $6::timestamptz FROM acc
RETURNING balance_after";

/// Applies `entry`. On the refusal path only, one more query tells a duplicate key from an
/// unknown account from an insufficient balance (a duplicate wins, so a retried charge that
/// was applied reports `Duplicate` even after the balance dropped).
pub(super) async fn apply_in(conn: &mut PgConnection, entry: Entry<'_>) -> StoreResult<Applied> {
    let result = sqlx::query_scalar::<_, i64>(APPLY)
        .bind(entry.account)
        .bind(entry.delta.get())
        .bind(entry.reason.as_str())
        .bind(entry.stream.map(|s| *s.as_uuid()))
        .bind(entry.key)
        .bind(ts(entry.now))
        .fetch_optional(&mut *conn)
        .await;
    match result {
        Ok(Some(after)) => Ok(Applied::New {
            balance: Credits::new(after),
        }),
        Ok(None) => refused(conn, &entry).await,
        Err(e) if violation(&e, ErrorKind::UniqueViolation).is_some() => Ok(Applied::Duplicate),
        Err(e) if violation(&e, ErrorKind::ForeignKeyViolation).is_some() => {
            Err(StoreError::NotFound)
        }
        Err(e) if is_out_of_range(&e) => {
            Err(StoreError::Database("credit balance out of range".into()))
        }
        Err(e) => Err(db(e)),
    }
}

/// SQLSTATE 22003: `balance + delta` overflowed BIGINT.
fn is_out_of_range(e: &sqlx::Error) -> bool {
    e.as_database_error().and_then(|d| d.code()).as_deref() == Some("22003")
}

async fn refused(conn: &mut PgConnection, entry: &Entry<'_>) -> StoreResult<Applied> {
    let (balance, seen): (Option<i64>, bool) = sqlx::query_as(
        "SELECT (SELECT balance FROM accounts WHERE id = $1), \
                EXISTS (SELECT 1 FROM credit_entries WHERE idempotency_key = $2)",
    )
    .bind(entry.account)
    .bind(entry.key)
    .fetch_one(&mut *conn)
    .await
    .map_err(db)?;
    match balance {
        _ if seen => Ok(Applied::Duplicate),
        None => Err(StoreError::NotFound),
        Some(balance) => Err(StoreError::InsufficientCredits {
            balance: Credits::new(balance),
            needed: Credits::new(entry.delta.get().saturating_neg()),
        }),
    }
}

pub(super) async fn apply_credit(s: &PgStore, new: NewCreditEntry) -> StoreResult<Applied> {
    let mut conn = s.pool.acquire().await.map_err(db)?;
    let entry = Entry {
        account: *new.account.as_uuid(),
        delta: new.delta,
        reason: new.reason,
        stream: new.stream,
        key: &new.idempotency_key,
        now: new.now,
    };
    apply_in(&mut conn, entry).await
}

pub(super) async fn charge_live_minute(
    s: &PgStore,
    stream: StreamId,
    minute: u32,
    cost: Credits,
    now: DateTime<Utc>,
) -> StoreResult<Applied> {
    check_cost(cost)?;
    let mut tx = s.tx().await?;
    // Locking the stream row orders this charge against a concurrent `end_stream`.
    let row: Option<(Uuid, String)> =
        sqlx::query_as("SELECT creator_id, status FROM streams WHERE id = $1 FOR UPDATE")
            .bind(*stream.as_uuid())
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
    let (creator, status) = row.ok_or(StoreError::NotFound)?;
    let status = StreamStatus::parse(&status)
        .ok_or_else(|| corrupt("status", format!("unknown `{status}`")))?;
    if status != StreamStatus::Live {
        return Err(StoreError::StatusConflict { actual: status });
    }
    let applied = if cost.get() == 0 {
        let balance: i64 = sqlx::query_scalar("SELECT balance FROM accounts WHERE id = $1")
            .bind(creator)
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        Applied::New {
            balance: Credits::new(balance),
        }
    } else {
        let key = live_minute_key(stream, minute);
        let entry = Entry {
            account: creator,
            delta: cost.as_charge(),
            reason: LedgerReason::LiveMinute,
            stream: Some(stream),
            key: &key,
            now,
        };
        apply_in(&mut tx, entry).await?
    };
    if applied == Applied::Duplicate {
        return Ok(Applied::Duplicate);
    }
    sqlx::query("UPDATE streams SET billed_minutes = GREATEST(billed_minutes, $1) WHERE id = $2")
        .bind(i64::from(minute))
        .bind(*stream.as_uuid())
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    tx.commit().await.map_err(db)?;
    Ok(applied)
}

pub(super) async fn entries(
    s: &PgStore,
    account: AccountId,
    page: Page,
) -> StoreResult<(Vec<CreditEntry>, u64)> {
    let total: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM credit_entries WHERE account_id = $1")
            .bind(*account.as_uuid())
            .fetch_one(&s.pool)
            .await
            .map_err(db)?;
    let (limit, offset) = limit_offset(page);
    let rows = sqlx::query(concat!(
        "SELECT ",
        entry_columns!(),
        " FROM credit_entries WHERE account_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3"
    ))
    .bind(*account.as_uuid())
    .bind(limit)
    .bind(offset)
    .fetch_all(&s.pool)
    .await
    .map_err(db)?;
    let entries = rows
        .iter()
        .map(entry_from_row)
        .collect::<StoreResult<_>>()?;
    Ok((entries, u64::try_from(total).unwrap_or(0)))
}
