//! Webhook replay protection on SQLite.

use chrono::{DateTime, Utc};

use super::{SqliteStore, ts};
use crate::StoreResult;
use crate::convert::db;

pub(super) async fn record(
    s: &SqliteStore,
    event_id: &str,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "INSERT INTO webhook_events (id, received_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING",
    )
    .bind(event_id)
    .bind(ts(now))
    .execute(&s.writer)
    .await
    .map_err(db)?;
    Ok(done.rows_affected() == 1)
}

pub(super) async fn prune(s: &SqliteStore, before: DateTime<Utc>) -> StoreResult<u64> {
    let done = sqlx::query("DELETE FROM webhook_events WHERE received_at < ?")
        .bind(ts(before))
        .execute(&s.writer)
        .await
        .map_err(db)?;
    Ok(done.rows_affected())
}
