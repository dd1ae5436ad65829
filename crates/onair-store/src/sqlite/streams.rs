//! Streams, their lifecycle and per-stream bans on SQLite.

use chrono::{DateTime, Utc};
use onair_domain::{Credits, EndReason, LedgerReason, RoomName, StreamId, StreamStatus};
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};

use super::{SqliteStore, credits, id_text, ts};
use crate::convert::{
    check_cost, db, fold, go_live_key, insert_err, limit_offset, list_order, needle,
    status_from_row, stream_from_row, stream_select,
};
use crate::{Applied, NewStream, StoreError, StoreResult, Stream, StreamFilter, StreamPatch};

/// SQLite sorts NULL first; the expression index `streams_list_scheduled` matches this order.
const SCHEDULED_ORDER: &str =
    " ORDER BY (s.scheduled_for IS NULL), s.scheduled_for, s.created_at, s.id";

async fn fetch(conn: &mut SqliteConnection, id: StreamId) -> StoreResult<Stream> {
    let row = sqlx::query(concat!(stream_select!(), " WHERE s.id = ?"))
        .bind(id_text(id.as_uuid()))
        .fetch_optional(conn)
        .await
        .map_err(db)?
        .ok_or(StoreError::NotFound)?;
    stream_from_row(&row)
}

/// Why a conditional update matched nothing: the stream is missing (or deleted, when
/// `deleted_hides`), or it is in another status.
async fn diagnose(conn: &mut SqliteConnection, id: StreamId, deleted_hides: bool) -> StoreError {
    let row =
        sqlx::query("SELECT status, deleted_at IS NOT NULL AS deleted FROM streams WHERE id = ?")
            .bind(id_text(id.as_uuid()))
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

pub(super) async fn create(s: &SqliteStore, new: NewStream) -> StoreResult<Stream> {
    let mut tx = s.write().await?;
    sqlx::query(
        "INSERT INTO streams (id, creator_id, title, description, title_folded, \
         description_folded, status, room_name, scheduled_for, created_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?, 'SCHEDULED', ?, ?, ?, ?)",
    )
    .bind(id_text(new.id.as_uuid()))
    .bind(id_text(new.creator.as_uuid()))
    .bind(new.title.as_str())
    .bind(new.description.as_str())
    .bind(fold(new.title.as_str()))
    .bind(fold(new.description.as_str()))
    .bind(RoomName::for_stream(new.id).as_str())
    .bind(new.scheduled_for.map(ts))
    .bind(ts(new.now))
    .bind(ts(new.now))
    .execute(&mut *tx)
    .await
    .map_err(|e| insert_err(e, "room_name", "room name", "stream id"))?;
    let stream = fetch(&mut tx, new.id).await?;
    tx.commit().await.map_err(db)?;
    Ok(stream)
}

pub(super) async fn by_id(s: &SqliteStore, id: StreamId) -> StoreResult<Stream> {
    let mut conn = s.reader.acquire().await.map_err(db)?;
    fetch(&mut conn, id).await
}

pub(super) async fn update(
    s: &SqliteStore,
    id: StreamId,
    patch: StreamPatch,
    now: DateTime<Utc>,
) -> StoreResult<Stream> {
    let title = patch.title.as_ref().map(|t| t.as_str());
    let description = patch.description.as_ref().map(|d| d.as_str());
    let mut tx = s.write().await?;
    let done = sqlx::query(
        "UPDATE streams SET \
           title = COALESCE(?1, title), title_folded = COALESCE(?2, title_folded), \
           description = COALESCE(?3, description), \
           description_folded = COALESCE(?4, description_folded), \
           scheduled_for = CASE WHEN ?5 THEN ?6 ELSE scheduled_for END, \
           updated_at = ?7 \
         WHERE id = ?8 AND deleted_at IS NULL",
    )
    .bind(title)
    .bind(title.map(fold))
    .bind(description)
    .bind(description.map(fold))
    .bind(patch.scheduled_for.is_some())
    .bind(patch.scheduled_for.flatten().map(ts))
    .bind(ts(now))
    .bind(id_text(id.as_uuid()))
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
    s: &SqliteStore,
    id: StreamId,
    cost: Credits,
    now: DateTime<Utc>,
) -> StoreResult<Stream> {
    check_cost(cost)?;
    let mut tx = s.write().await?;
    let creator: Option<String> = sqlx::query_scalar(
        "UPDATE streams SET status = 'LIVE', started_at = ?, updated_at = ? \
         WHERE id = ? AND status = 'SCHEDULED' AND deleted_at IS NULL RETURNING creator_id",
    )
    .bind(ts(now))
    .bind(ts(now))
    .bind(id_text(id.as_uuid()))
    .fetch_optional(&mut *tx)
    .await
    .map_err(db)?;
    let Some(creator) = creator else {
        return Err(diagnose(&mut tx, id, true).await);
    };
    if cost.get() > 0 {
        let charge = credits::Entry {
            account: &creator,
            delta: cost.as_charge(),
            reason: LedgerReason::GoLive,
            stream: Some(id),
            key: &go_live_key(id),
            now,
        };
        // A duplicate cannot happen (the status update above succeeds once per stream); if it
        // somehow did, the charge is already on the ledger and going live is still correct.
        match credits::apply_in(&mut tx, charge).await? {
            Applied::New { .. } | Applied::Duplicate => {}
        }
    }
    let stream = fetch(&mut tx, id).await?;
    tx.commit().await.map_err(db)?;
    Ok(stream)
}

pub(super) async fn end(
    s: &SqliteStore,
    id: StreamId,
    reason: EndReason,
    now: DateTime<Utc>,
) -> StoreResult<Stream> {
    let mut tx = s.write().await?;
    let done = sqlx::query(
        "UPDATE streams SET status = 'ENDED', ended_at = ?, ended_reason = ?, \
         participant_count = 0, creator_absent_since = NULL, updated_at = ? \
         WHERE id = ? AND status IN ('SCHEDULED', 'LIVE')",
    )
    .bind(ts(now))
    .bind(reason.as_str())
    .bind(ts(now))
    .bind(id_text(id.as_uuid()))
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

pub(super) async fn delete(s: &SqliteStore, id: StreamId, now: DateTime<Utc>) -> StoreResult<()> {
    // Idempotent: a second delete keeps the first `deleted_at`.
    let done = sqlx::query(
        "UPDATE streams SET deleted_at = COALESCE(deleted_at, ?1), \
         updated_at = CASE WHEN deleted_at IS NULL THEN ?1 ELSE updated_at END WHERE id = ?2",
    )
    .bind(ts(now))
    .bind(id_text(id.as_uuid()))
    .execute(&s.writer)
    .await
    .map_err(db)?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// The shortest needle the trigram index `streams_fts` can answer; shorter ones scan.
const TRIGRAM: usize = 3;

/// `needle` as one FTS5 phrase: a double-quoted string (inner quotes doubled), so that no
/// character of it is read as query syntax.
fn fts_phrase(needle: &str) -> String {
    format!("\"{}\"", needle.replace('"', "\"\""))
}

fn push_filter(q: &mut QueryBuilder<Sqlite>, filter: &StreamFilter, needle: Option<&str>) {
    q.push(" WHERE s.deleted_at IS NULL");
    if let Some(status) = filter.status {
        // A literal, not a parameter, so that the planner can use the status's partial index.
        q.push(format_args!(" AND s.status = '{}'", status.as_str()));
    }
    if let Some(creator) = filter.creator {
        q.push(" AND s.creator_id = ")
            .push_bind(id_text(creator.as_uuid()));
    }
    if let Some(needle) = needle {
        if needle.chars().count() >= TRIGRAM {
            // The trigram index narrows the candidates to rows holding every trigram of the
            // needle in order; `instr` below keeps the exact substring semantics.
            q.push(" AND s.rowid IN (SELECT rowid FROM streams_fts WHERE streams_fts MATCH ")
                .push_bind(fts_phrase(needle))
                .push(")");
        }
        q.push(" AND (instr(s.title_folded, ")
            .push_bind(needle.to_owned())
            .push(") > 0 OR instr(s.description_folded, ")
            .push_bind(needle.to_owned())
            .push(") > 0)");
    }
}

pub(super) async fn list(
    s: &SqliteStore,
    filter: &StreamFilter,
) -> StoreResult<(Vec<Stream>, u64)> {
    let needle = needle(filter.query.as_deref());
    let total: i64 = if filter.creator.is_none() && needle.is_none() {
        // Kept per status by triggers (`stream_counts`): no row counting.
        let mut count =
            QueryBuilder::<Sqlite>::new("SELECT COALESCE(SUM(n), 0) FROM stream_counts");
        if let Some(status) = filter.status {
            count.push(" WHERE status = ").push_bind(status.as_str());
        }
        count.build_query_scalar().fetch_one(&s.reader).await
    } else {
        let mut count = QueryBuilder::<Sqlite>::new("SELECT COUNT(*) FROM streams s");
        push_filter(&mut count, filter, needle.as_deref());
        count.build_query_scalar().fetch_one(&s.reader).await
    }
    .map_err(db)?;

    let (limit, offset) = limit_offset(filter.page);
    let mut page = QueryBuilder::<Sqlite>::new(stream_select!());
    push_filter(&mut page, filter, needle.as_deref());
    page.push(list_order(filter.status, SCHEDULED_ORDER));
    page.push(" LIMIT ").push_bind(limit);
    page.push(" OFFSET ").push_bind(offset);
    let rows = page.build().fetch_all(&s.reader).await.map_err(db)?;
    let streams = rows
        .iter()
        .map(stream_from_row)
        .collect::<StoreResult<_>>()?;
    Ok((streams, u64::try_from(total).unwrap_or(0)))
}

pub(super) async fn set_participant_count(
    s: &SqliteStore,
    id: StreamId,
    count: u32,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE streams SET participant_count = ?1, peak_viewers = MAX(peak_viewers, ?1), \
         updated_at = ?2 WHERE id = ?3 AND status = 'LIVE'",
    )
    .bind(i64::from(count))
    .bind(ts(now))
    .bind(id_text(id.as_uuid()))
    .execute(&s.writer)
    .await
    .map_err(db)?;
    Ok(())
}

pub(super) async fn set_creator_absent_since(
    s: &SqliteStore,
    id: StreamId,
    since: Option<DateTime<Utc>>,
) -> StoreResult<()> {
    let done = sqlx::query("UPDATE streams SET creator_absent_since = ? WHERE id = ?")
        .bind(since.map(ts))
        .bind(id_text(id.as_uuid()))
        .execute(&s.writer)
        .await
        .map_err(db)?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub(super) async fn live(s: &SqliteStore) -> StoreResult<Vec<Stream>> {
    let rows = sqlx::query(concat!(
        stream_select!(),
        " WHERE s.status = 'LIVE' ORDER BY s.started_at, s.id"
    ))
    .fetch_all(&s.reader)
    .await
    .map_err(db)?;
    rows.iter().map(stream_from_row).collect()
}

pub(super) async fn count_by_status(s: &SqliteStore) -> StoreResult<Vec<(StreamStatus, u64)>> {
    let rows = sqlx::query("SELECT status, n FROM stream_counts")
        .fetch_all(&s.reader)
        .await
        .map_err(db)?;
    crate::convert::status_counts(&rows)
}

pub(super) async fn ban(
    s: &SqliteStore,
    stream: StreamId,
    identity: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO bans (stream_id, identity, created_at) VALUES (?, ?, ?) \
         ON CONFLICT (stream_id, identity) DO NOTHING",
    )
    .bind(id_text(stream.as_uuid()))
    .bind(identity)
    .bind(ts(now))
    .execute(&s.writer)
    .await
    .map_err(|e| insert_err(e, "bans", "ban", "ban"))?;
    Ok(())
}

pub(super) async fn is_banned(
    s: &SqliteStore,
    stream: StreamId,
    identity: &str,
) -> StoreResult<bool> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM bans WHERE stream_id = ? AND identity = ?)")
        .bind(id_text(stream.as_uuid()))
        .bind(identity)
        .fetch_one(&s.reader)
        .await
        .map_err(db)
}
