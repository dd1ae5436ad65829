//! Accounts and sessions on PostgreSQL.

use chrono::{DateTime, Utc};
use onair_domain::{AccountId, LedgerReason, Role};
use sqlx::Row;

use super::{PgStore, ts};
use crate::convert::{account_columns, account_from_row, corrupt, db, insert_err, signup_key};
use crate::{Account, NewAccount, StoreError, StoreResult};

pub(super) async fn create(s: &PgStore, new: NewAccount) -> StoreResult<Account> {
    let grant = new.signup_grant;
    if grant.get() < 0 {
        return Err(StoreError::Database(format!(
            "signup grant must not be negative, got {grant}"
        )));
    }
    let id = *new.id.as_uuid();
    let mut tx = s.tx().await?;
    let row = sqlx::query(concat!(
        "INSERT INTO accounts (id, email, password_hash, name, role, balance, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ",
        account_columns!()
    ))
    .bind(id)
    .bind(new.email.as_str())
    .bind(&new.password_hash)
    .bind(new.name.as_str())
    .bind(new.role.as_str())
    .bind(grant.get())
    .bind(ts(new.now))
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| insert_err(e, "email", "email", "account id"))?;
    let account = account_from_row(&row)?;
    if grant.get() > 0 {
        sqlx::query(
            "INSERT INTO credit_entries \
             (account_id, delta, balance_after, reason, stream_id, idempotency_key, created_at) \
             VALUES ($1, $2, $2, $3, NULL, $4, $5)",
        )
        .bind(id)
        .bind(grant.get())
        .bind(LedgerReason::SignupGrant.as_str())
        .bind(signup_key(new.id))
        .bind(ts(new.now))
        .execute(&mut *tx)
        .await
        .map_err(|e| insert_err(e, "idempotency_key", "signup grant", "signup grant"))?;
    }
    tx.commit().await.map_err(db)?;
    Ok(account)
}

pub(super) async fn by_id(s: &PgStore, id: AccountId) -> StoreResult<Account> {
    let row = sqlx::query(concat!(
        "SELECT ",
        account_columns!(),
        " FROM accounts WHERE id = $1"
    ))
    .bind(*id.as_uuid())
    .fetch_optional(&s.pool)
    .await
    .map_err(db)?
    .ok_or(StoreError::NotFound)?;
    account_from_row(&row)
}

pub(super) async fn by_email(s: &PgStore, email: &str) -> StoreResult<(Account, String)> {
    let row = sqlx::query(concat!(
        "SELECT ",
        account_columns!(),
        ", password_hash FROM accounts WHERE email = $1"
    ))
    .bind(email.trim().to_lowercase())
    .fetch_optional(&s.pool)
    .await
    .map_err(db)?
    .ok_or(StoreError::NotFound)?;
    let hash = row
        .try_get("password_hash")
        .map_err(|e| corrupt("password_hash", e))?;
    Ok((account_from_row(&row)?, hash))
}

pub(super) async fn set_role(s: &PgStore, id: AccountId, role: Role) -> StoreResult<()> {
    let done = sqlx::query("UPDATE accounts SET role = $1 WHERE id = $2")
        .bind(role.as_str())
        .bind(*id.as_uuid())
        .execute(&s.pool)
        .await
        .map_err(db)?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub(super) async fn create_session(
    s: &PgStore,
    token_hash: &[u8; 32],
    account: AccountId,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO sessions (token_hash, account_id, expires_at, created_at) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(token_hash.to_vec())
    .bind(*account.as_uuid())
    .bind(ts(expires_at))
    .bind(ts(now))
    .execute(&s.pool)
    .await
    .map_err(|e| insert_err(e, "sessions_pkey", "session", "session"))?;
    Ok(())
}

pub(super) async fn session_account(
    s: &PgStore,
    token_hash: &[u8; 32],
    now: DateTime<Utc>,
) -> StoreResult<Account> {
    let row = sqlx::query(
        "SELECT a.id, a.email, a.name, a.image, a.bio, a.role, a.balance, a.created_at \
         FROM sessions s JOIN accounts a ON a.id = s.account_id \
         WHERE s.token_hash = $1 AND s.expires_at > $2",
    )
    .bind(token_hash.to_vec())
    .bind(ts(now))
    .fetch_optional(&s.pool)
    .await
    .map_err(db)?
    .ok_or(StoreError::NotFound)?;
    account_from_row(&row)
}

pub(super) async fn delete_session(s: &PgStore, token_hash: &[u8; 32]) -> StoreResult<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash.to_vec())
        .execute(&s.pool)
        .await
        .map_err(db)?;
    Ok(())
}

pub(super) async fn delete_expired_sessions(s: &PgStore, now: DateTime<Utc>) -> StoreResult<u64> {
    let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(ts(now))
        .execute(&s.pool)
        .await
        .map_err(db)?;
    Ok(done.rows_affected())
}
