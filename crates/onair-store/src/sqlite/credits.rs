//! The credit ledger on SQLite: every balance change is a ledger entry in the same transaction.

use chrono::{DateTime, Utc};
use onair_domain::{AccountId, CreditError, Credits, LedgerReason, StreamId, StreamStatus};
use sqlx::SqliteConnection;

use super::{SqliteStore, id_text, ts};
use crate::convert::{
    check_cost, db, entry_columns, entry_from_row, insert_err, limit_offset, live_minute_key,
};
use crate::{Applied, CreditEntry, NewCreditEntry, Page, StoreError, StoreResult};

/// One ledger entry to apply inside a write transaction.
pub(super) struct Entry<'a> {
    /// Hyphenated account id, as stored.
    pub account: &'a str,
    pub delta: Credits,
    pub reason: LedgerReason,
    pub stream: Option<StreamId>,
    pub key: &'a str,
    pub now: DateTime<Utc>,
}

/// Applies `entry` on a connection that holds the write lock (`BEGIN IMMEDIATE`), so the
/// read-check-write below cannot interleave with another writer. A repeated key wins over an
/// insufficient balance: retrying an applied charge reports `Duplicate`.
pub(super) async fn apply_in(
    conn: &mut SqliteConnection,
    entry: Entry<'_>,
) -> StoreResult<Applied> {
    let seen: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM credit_entries WHERE idempotency_key = ?)",
    )
    .bind(entry.key)
    .fetch_one(&mut *conn)
    .await
    .map_err(db)?;
    if seen {
        return Ok(Applied::Duplicate);
    }
    let balance: i64 = sqlx::query_scalar("SELECT balance FROM accounts WHERE id = ?")
        .bind(entry.account)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?
        .ok_or(StoreError::NotFound)?;
    let balance = Credits::new(balance);
    let after = balance.apply(entry.delta).map_err(|e| match e {
        CreditError::Insufficient { balance, needed } => {
            StoreError::InsufficientCredits { balance, needed }
        }
        other => StoreError::Database(format!("credit change refused: {other}")),
    })?;
    sqlx::query("UPDATE accounts SET balance = ? WHERE id = ?")
        .bind(after.get())
        .bind(entry.account)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    sqlx::query(
        "INSERT INTO credit_entries \
         (account_id, delta, balance_after, reason, stream_id, idempotency_key, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(entry.account)
    .bind(entry.delta.get())
    .bind(after.get())
    .bind(entry.reason.as_str())
    .bind(entry.stream.map(|s| id_text(s.as_uuid())))
    .bind(entry.key)
    .bind(ts(entry.now))
    .execute(&mut *conn)
    .await
    .map_err(|e| insert_err(e, "idempotency_key", "idempotency key", "credit entry"))?;
    Ok(Applied::New { balance: after })
}

pub(super) async fn apply_credit(s: &SqliteStore, new: NewCreditEntry) -> StoreResult<Applied> {
    let account = id_text(new.account.as_uuid());
    let mut tx = s.write().await?;
    let applied = apply_in(
        &mut tx,
        Entry {
            account: &account,
            delta: new.delta,
            reason: new.reason,
            stream: new.stream,
            key: &new.idempotency_key,
            now: new.now,
        },
    )
    .await?;
    tx.commit().await.map_err(db)?;
    Ok(applied)
}

pub(super) async fn charge_live_minute(
    s: &SqliteStore,
    stream: StreamId,
    minute: u32,
    cost: Credits,
    now: DateTime<Utc>,
) -> StoreResult<Applied> {
    check_cost(cost)?;
    let mut tx = s.write().await?;
    let row: Option<(String, String)> =
        sqlx::query_as("SELECT creator_id, status FROM streams WHERE id = ?")
            .bind(id_text(stream.as_uuid()))
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
    let (creator, status) = row.ok_or(StoreError::NotFound)?;
    let status = StreamStatus::parse(&status)
        .ok_or_else(|| crate::convert::corrupt("status", format!("unknown `{status}`")))?;
    if status != StreamStatus::Live {
        return Err(StoreError::StatusConflict { actual: status });
    }
    let applied = if cost.get() == 0 {
        let balance: i64 = sqlx::query_scalar("SELECT balance FROM accounts WHERE id = ?")
            .bind(&creator)
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        Applied::New {
            balance: Credits::new(balance),
        }
    } else {
        let key = live_minute_key(stream, minute);
        let entry = Entry {
            account: &creator,
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
    sqlx::query("UPDATE streams SET billed_minutes = MAX(billed_minutes, ?) WHERE id = ?")
        .bind(i64::from(minute))
        .bind(id_text(stream.as_uuid()))
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    tx.commit().await.map_err(db)?;
    Ok(applied)
}

pub(super) async fn entries(
    s: &SqliteStore,
    account: AccountId,
    page: Page,
) -> StoreResult<(Vec<CreditEntry>, u64)> {
    let account = id_text(account.as_uuid());
    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM credit_entries WHERE account_id = ?")
        .bind(&account)
        .fetch_one(&s.reader)
        .await
        .map_err(db)?;
    let (limit, offset) = limit_offset(page);
    let rows = sqlx::query(concat!(
        "SELECT ",
        entry_columns!(),
        " FROM credit_entries WHERE account_id = ? ORDER BY id DESC LIMIT ? OFFSET ?"
    ))
    .bind(&account)
    .bind(limit)
    .bind(offset)
    .fetch_all(&s.reader)
    .await
    .map_err(db)?;
    let entries = rows
        .iter()
        .map(entry_from_row)
        .collect::<StoreResult<_>>()?;
    Ok((entries, u64::try_from(total).unwrap_or(0)))
}
