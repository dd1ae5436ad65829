//! Webhook replay protection on PostgreSQL.

use chrono::{DateTime, Utc};

use super::{PgStore, ts};
use crate::StoreResult;
use crate::convert::db;

pub(super) async fn record(s: &PgStore, event_id: &str, now: DateTime<Utc>) -> StoreResult<bool> {
    let done = sqlx::query(
        "INSERT INTO webhook_events (id, received_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
    )
    .bind(event_id)
    .bind(ts(now))
    .execute(&s.pool)
    .await
    .map_err(db)?;
    Ok(done.rows_affected() == 1)
}

pub(super) async fn prune(s: &PgStore, before: DateTime<Utc>) -> StoreResult<u64> {
    let done = sqlx::query("DELETE FROM webhook_events WHERE received_at < $1")
        .bind(ts(before))
        .execute(&s.pool)
        .await
        .map_err(db)?;
    Ok(done.rows_affected())
}
