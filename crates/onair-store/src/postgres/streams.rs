//! Streams, their lifecycle and per-stream bans on PostgreSQL.

use chrono::{DateTime, Utc};
use onair_domain::{Credits, EndReason, LedgerReason, RoomName, StreamId, StreamStatus};
use sqlx::{PgConnection, Postgres, QueryBuilder, Row};
use uuid::Uuid;

use super::{PgStore, credits, ts};
use crate::convert::{
    check_cost, db, fold, go_live_key, insert_err, limit_offset, list_order, needle,
    status_from_row, stream_from_row, stream_select,
};
use crate::{Applied, NewStream, StoreError, StoreResult, Stream, StreamFilter, StreamPatch};

/// Matches the index `streams_list_scheduled`.
const SCHEDULED_ORDER: &str = " ORDER BY s.scheduled_for ASC NULLS LAST, s.created_at, s.id";

async fn fetch(conn: &mut PgConnection, id: StreamId) -> StoreResult<Stream> {
    let row = sqlx::query(concat!(stream_select!(), " WHERE s.id = $1"))
        .bind(*id.as_uuid())
        .fetch_optional(conn)
        .await
        .map_err(db)?
        .ok_or(StoreError::NotFound)?;
    stream_from_row(&row)
}

/// Why a conditional update matched nothing: the stream is missing (or deleted, when
/// `deleted_hides`), or it is in another status.
async fn diagnose(conn: &mut PgConnection, id: StreamId, deleted_hides: bool) -> StoreError {
    let row =
        sqlx::query("SELECT status, deleted_at IS NOT NULL AS deleted FROM streams WHERE id = $1")
            .bind(*id.as_uuid())
            .fetch_optional(conn)
            .await;
    match row {
        Err(e) => db(e),
        Ok(None) => StoreError::NotFound,
        Ok(Some(row)) => {
            if deleted_hides && row.try_get::<bool, _>("deleted").unwrap_or(false) {
                return StoreError::NotFound;
            }
            match status_from_row(&row) {
                Ok(actual) => StoreError::StatusConflict { actual },
                Err(e) => e,
            }
        }
    }
}

pub(super) async fn create(s: &PgStore, new: NewStream) -> StoreResult<Stream> {
    let mut tx = s.tx().await?;
    sqlx::query(
        "INSERT INTO streams (id, creator_id, title, description, title_folded, \
         description_folded, status, room_name, scheduled_for, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'SCHEDULED', $7, $8, $9, $9)",
    )
    .bind(*new.id.as_uuid())
    .bind(*new.creator.as_uuid())
    .bind(new.title.as_str())
    .bind(new.description.as_str())
    .bind(fold(new.title.as_str()))
    .bind(fold(new.description.as_str()))
    .bind(RoomName::for_stream(new.id).as_str())
    .bind(new.scheduled_for.map(ts))
    .bind(ts(new.now))
    .execute(&mut *tx)
    .await
    .map_err(|e| insert_err(e, "room_name", "room name", "stream id"))?;
    let stream = fetch(&mut tx, new.id).await?;
    tx.commit().await.map_err(db)?;
    Ok(stream)
}

pub(super) async fn by_id(s: &PgStore, id: StreamId) -> StoreResult<Stream> {
    let mut conn = s.pool.acquire().await.map_err(db)?;
    fetch(&mut conn, id).await
}

pub(super) async fn update(
    s: &PgStore,
    id: StreamId,
    patch: StreamPatch,
    now: DateTime<Utc>,
) -> StoreResult<Stream> {
    let title = patch.title.as_ref().map(|t| t.as_str());
    let description = patch.description.as_ref().map(|d| d.as_str());
    let mut tx = s.tx().await?;
    let done = sqlx::query(
        "UPDATE streams SET \
           title = COALESCE($1, title), title_folded = COALESCE($2, title_folded), \
           description = COALESCE($3, description), \
           description_folded = COALESCE($4, description_folded), \
           scheduled_for = CASE WHEN $5 THEN $6 ELSE scheduled_for END, \
           updated_at = $7 \
         WHERE id = $8 AND deleted_at IS NULL",
    )
    .bind(title)
    .bind(title.map(fold))
    .bind(description)
    .bind(description.map(fold))
    .bind(patch.scheduled_for.is_some())
    .bind(patch.scheduled_for.flatten().map(ts))
    .bind(ts(now))
    .bind(*id.as_uuid())
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    let stream = fetch(&mut tx, id).await?;
    tx.commit().await.map_err(db)?;
    Ok(stream)
}

pub(super) async fn go_live(
    s: &PgStore,
    id: StreamId,
    cost: Credits,
    now: DateTime<Utc>,
) -> StoreResult<Stream> {
    check_cost(cost)?;
    let mut tx = s.tx().await?;
    // Racing calls block on the row lock and then find the status no longer SCHEDULED.
    let creator: Option<Uuid> = sqlx::query_scalar(
        "UPDATE streams SET status = 'LIVE', started_at = $1, updated_at = $1 \
         WHERE id = $2 AND status = 'SCHEDULED' AND deleted_at IS NULL RETURNING creator_id",
    )
    .bind(ts(now))
    .bind(*id.as_uuid())
    .fetch_optional(&mut *tx)
    .await
    .map_err(db)?;
    let Some(creator) = creator else {
        return Err(diagnose(&mut tx, id, true).await);
    };
    if cost.get() > 0 {
        let key = go_live_key(id);
        let charge = credits::Entry {
            account: creator,
            delta: cost.as_charge(),
            reason: LedgerReason::GoLive,
            stream: Some(id),
            key: &key,
            now,
        };
        // A duplicate cannot happen (the status update succeeds once per stream); if it did,
        // the charge is already on the ledger and going live is still correct.
        match credits::apply_in(&mut tx, charge).await? {
            Applied::New { .. } | Applied::Duplicate => {}
        }
    }
    let stream = fetch(&mut tx, id).await?;
    tx.commit().await.map_err(db)?;
    Ok(stream)
}

pub(super) async fn end(
    s: &PgStore,
    id: StreamId,
    reason: EndReason,
    now: DateTime<Utc>,
) -> StoreResult<Stream> {
    let mut tx = s.tx().await?;
    let done = sqlx::query(
        "UPDATE streams SET status = 'ENDED', ended_at = $1, ended_reason = $2, \
         participant_count = 0, creator_absent_since = NULL, updated_at = $1 \
         WHERE id = $3 AND status IN ('SCHEDULED', 'LIVE')",
    )
    .bind(ts(now))
    .bind(reason.as_str())
    .bind(*id.as_uuid())
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    if done.rows_affected() == 0 {
        return Err(diagnose(&mut tx, id, false).await);
    }
    let stream = fetch(&mut tx, id).await?;
    tx.commit().await.map_err(db)?;
    Ok(stream)
}

pub(super) async fn delete(s: &PgStore, id: StreamId, now: DateTime<Utc>) -> StoreResult<()> {
    // Idempotent: a second delete keeps the first `deleted_at`.
    let done = sqlx::query(
        "UPDATE streams SET deleted_at = COALESCE(deleted_at, $1), \
         updated_at = CASE WHEN deleted_at IS NULL THEN $1 ELSE updated_at END WHERE id = $2",
    )
    .bind(ts(now))
    .bind(*id.as_uuid())
    .execute(&s.pool)
    .await
    .map_err(db)?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

fn push_filter(q: &mut QueryBuilder<Postgres>, filter: &StreamFilter, needle: Option<&str>) {
    q.push(" WHERE s.deleted_at IS NULL");
    if let Some(status) = filter.status {
        // A literal, not a parameter, so that the planner can use the status's partial index.
        q.push(format_args!(" AND s.status = '{}'", status.as_str()));
    }
    if let Some(creator) = filter.creator {
        q.push(" AND s.creator_id = ").push_bind(*creator.as_uuid());
    }
    let Some(needle) = needle else {
        return;
    };
    if needle.chars().count() >= TRIGRAM {
        // `LIKE` with every wildcard escaped is the same substring test as `strpos`, and the
        // `pg_trgm` indexes (when the extension is installed) can answer it.
        let pattern = like_pattern(needle);
        q.push(" AND (s.title_folded LIKE ")
            .push_bind(pattern.clone())
            .push(" OR s.description_folded LIKE ")
            .push_bind(pattern)
            .push(")");
    } else {
        q.push(" AND (strpos(s.title_folded, ")
            .push_bind(needle.to_owned())
            .push(") > 0 OR strpos(s.description_folded, ")
            .push_bind(needle.to_owned())
            .push(") > 0)");
    }
}

/// The shortest needle a trigram index can narrow; shorter ones scan.
const TRIGRAM: usize = 3;

/// `%needle%` with `\`, `%` and `_` escaped (backslash is `LIKE`'s default escape character).
fn like_pattern(needle: &str) -> String {
    let mut p = String::with_capacity(needle.len() + 2);
    p.push('%');
    for c in needle.chars() {
        if matches!(c, '\\' | '%' | '_') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

pub(super) async fn list(s: &PgStore, filter: &StreamFilter) -> StoreResult<(Vec<Stream>, u64)> {
    let needle = needle(filter.query.as_deref());
    let mut count = QueryBuilder::<Postgres>::new("SELECT COUNT(*) FROM streams s");
    push_filter(&mut count, filter, needle.as_deref());
    let total: i64 = count
        .build_query_scalar()
        .fetch_one(&s.pool)
        .await
        .map_err(db)?;

    let (limit, offset) = limit_offset(filter.page);
    let mut page = QueryBuilder::<Postgres>::new(stream_select!());
    push_filter(&mut page, filter, needle.as_deref());
    page.push(list_order(filter.status, SCHEDULED_ORDER));
    page.push(" LIMIT ").push_bind(limit);
    page.push(" OFFSET ").push_bind(offset);
    let rows = page.build().fetch_all(&s.pool).await.map_err(db)?;
    let streams = rows
        .iter()
        .map(stream_from_row)
        .collect::<StoreResult<_>>()?;
    Ok((streams, u64::try_from(total).unwrap_or(0)))
}

pub(super) async fn set_participant_count(
    s: &PgStore,
    id: StreamId,
    count: u32,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE streams SET participant_count = $1, peak_viewers = GREATEST(peak_viewers, $1), \
         updated_at = $2 WHERE id = $3 AND status = 'LIVE'",
    )
    .bind(i64::from(count))
    .bind(ts(now))
    .bind(*id.as_uuid())
    .execute(&s.pool)
    .await
    .map_err(db)?;
    Ok(())
}

pub(super) async fn set_creator_absent_since(
    s: &PgStore,
    id: StreamId,
    since: Option<DateTime<Utc>>,
) -> StoreResult<()> {
    let done = sqlx::query("UPDATE streams SET creator_absent_since = $1 WHERE id = $2")
        .bind(since.map(ts))
        .bind(*id.as_uuid())
        .execute(&s.pool)
        .await
        .map_err(db)?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub(super) async fn live(s: &PgStore) -> StoreResult<Vec<Stream>> {
    let rows = sqlx::query(concat!(
        stream_select!(),
        " WHERE s.status = 'LIVE' ORDER BY s.started_at, s.id"
    ))
    .fetch_all(&s.pool)
    .await
    .map_err(db)?;
    rows.iter().map(stream_from_row).collect()
}

pub(super) async fn count_by_status(s: &PgStore) -> StoreResult<Vec<(StreamStatus, u64)>> {
    let rows = sqlx::query(
        "SELECT status, COUNT(*) AS n FROM streams WHERE deleted_at IS NULL GROUP BY status",
    )
    .fetch_all(&s.pool)
    .await
    .map_err(db)?;
    crate::convert::status_counts(&rows)
}

pub(super) async fn ban(
    s: &PgStore,
    stream: StreamId,
    identity: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO bans (stream_id, identity, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (stream_id, identity) DO NOTHING",
    )
    .bind(*stream.as_uuid())
    .bind(identity)
    .bind(ts(now))
    .execute(&s.pool)
    .await
    .map_err(|e| insert_err(e, "bans", "ban", "ban"))?;
    Ok(())
}

pub(super) async fn is_banned(s: &PgStore, stream: StreamId, identity: &str) -> StoreResult<bool> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM bans WHERE stream_id = $1 AND identity = $2)")
        .bind(*stream.as_uuid())
        .bind(identity)
        .fetch_one(&s.pool)
        .await
        .map_err(db)
}
