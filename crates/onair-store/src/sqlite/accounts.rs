//! Accounts and sessions on SQLite.

use chrono::{DateTime, Utc};
use onair_domain::{AccountId, LedgerReason, Role};
use sqlx::Row;

use super::{SqliteStore, id_text, ts};
use crate::convert::{account_columns, account_from_row, corrupt, db, insert_err, signup_key};
use crate::{Account, NewAccount, StoreError, StoreResult};

pub(super) async fn create(s: &SqliteStore, new: NewAccount) -> StoreResult<Account> {
    let grant = new.signup_grant;
    if grant.get() < 0 {
        return Err(StoreError::Database(format!(
            "signup grant must not be negative, got {grant}"
        )));
    }
    let id = id_text(new.id.as_uuid());
    let now = ts(new.now);
    let mut tx = s.write().await?;
    let row = sqlx::query(concat!(
        "INSERT INTO accounts (id, email, password_hash, name, role, balance, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING ",
        account_columns!()
    ))
    .bind(&id)
    .bind(new.email.as_str())
    .bind(&new.password_hash)
    .bind(new.name.as_str())
    .bind(new.role.as_str())
    .bind(grant.get())
    .bind(now)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| insert_err(e, "email", "email", "account id"))?;
    let account = account_from_row(&row)?;
    if grant.get() > 0 {
        sqlx::query(
            "INSERT INTO credit_entries \
             (account_id, delta, balance_after, reason, stream_id, idempotency_key, created_at) \
             VALUES (?, ?, ?, ?, NULL, ?, ?)",
        )
        .bind(&id)
        .bind(grant.get())
        .bind(grant.get())
        .bind(LedgerReason::SignupGrant.as_str())
        .bind(signup_key(new.id))
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|e| insert_err(e, "idempotency_key", "signup grant", "signup grant"))?;
    }
    tx.commit().await.map_err(db)?;
    Ok(account)
}

pub(super) async fn by_id(s: &SqliteStore, id: AccountId) -> StoreResult<Account> {
    let row = sqlx::query(concat!(
        "SELECT ",
        account_columns!(),
        " FROM accounts WHERE id = ?"
    ))
    .bind(id_text(id.as_uuid()))
    .fetch_optional(&s.reader)
    .await
    .map_err(db)?
    .ok_or(StoreError::NotFound)?;
    account_from_row(&row)
}

pub(super) async fn by_email(s: &SqliteStore, email: &str) -> StoreResult<(Account, String)> {
    let row = sqlx::query(concat!(
        "SELECT ",
        account_columns!(),
        ", password_hash FROM accounts WHERE email = ?"
    ))
    .bind(email.trim().to_lowercase())
    .fetch_optional(&s.reader)
    .await
    .map_err(db)?
    .ok_or(StoreError::NotFound)?;
    let hash = row
        .try_get("password_hash")
        .map_err(|e| corrupt("password_hash", e))?;
    Ok((account_from_row(&row)?, hash))
}

pub(super) async fn set_role(s: &SqliteStore, id: AccountId, role: Role) -> StoreResult<()> {
    let done = sqlx::query("UPDATE accounts SET role = ? WHERE id = ?")
        .bind(role.as_str())
        .bind(id_text(id.as_uuid()))
        .execute(&s.writer)
        .await
        .map_err(db)?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub(super) async fn create_session(
    s: &SqliteStore,
    token_hash: &[u8; 32],
    account: AccountId,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO sessions (token_hash, account_id, expires_at, created_at) VALUES (?, ?, ?, ?)",
    )
    .bind(token_hash.to_vec())
    .bind(id_text(account.as_uuid()))
    .bind(ts(expires_at))
    .bind(ts(now))
    .execute(&s.writer)
    .await
    .map_err(|e| insert_err(e, "token_hash", "session", "session"))?;
    Ok(())
}

pub(super) async fn session_account(
    s: &SqliteStore,
    token_hash: &[u8; 32],
    now: DateTime<Utc>,
) -> StoreResult<Account> {
    let row = sqlx::query(
        "SELECT a.id, a.email, a.name, a.image, a.bio, a.role, a.balance, a.created_at \
         FROM sessions s JOIN accounts a ON a.id = s.account_id \
         WHERE s.token_hash = ? AND s.expires_at > ?",
    )
    .bind(token_hash.to_vec())
    .bind(ts(now))
    .fetch_optional(&s.reader)
    .await
    .map_err(db)?
    .ok_or(StoreError::NotFound)?;
    account_from_row(&row)
}

pub(super) async fn delete_session(s: &SqliteStore, token_hash: &[u8; 32]) -> StoreResult<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = ?")
        .bind(token_hash.to_vec())
        .execute(&s.writer)
        .await
        .map_err(db)?;
    Ok(())
}

pub(super) async fn delete_expired_sessions(
    s: &SqliteStore,
    now: DateTime<Utc>,
) -> StoreResult<u64> {
    let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= ?")
        .bind(ts(now))
        .execute(&s.writer)
        .await
        .map_err(db)?;
    Ok(done.rows_affected())
}
