//! Background work, one sweep per `sweep_interval` until cancelled: reconcile room presence
//! with the media server, end streams whose creator stayed away past the grace period, meter
//! live minutes, and drop expired sessions, old webhook event ids and idle rate-limit state.
//!
//! Each sweep is bounded by a timeout, so a hung database or media server delays the next sweep
//! instead of piling up work. Errors are logged and the next sweep tries again.

use std::time::Duration;

use chrono::{DateTime, Utc};
use onair_domain::{EndReason, StreamStatus};
use onair_store::{Applied, Store, StoreError, Stream};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::rooms::Listing;
use crate::state::AppState;
use crate::streams::service;

/// How long a webhook event id is remembered for replay protection. LiveKit retries a failed
/// delivery for minutes, not hours, so a day is far longer than any redelivery of the same
/// event while keeping the table from growing with every event ever received.
pub const WEBHOOK_ID_RETENTION: chrono::Duration = chrono::Duration::hours(24);

/// Starts the sweeper; it stops when `cancel` fires.
pub fn spawn<S: Store>(state: AppState<S>, cancel: CancellationToken) -> JoinHandle<()> {
    tokio::spawn(async move {
        let period = state.config.sweep_interval;
        let mut ticker = tokio::time::interval(period);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = cancel.cancelled() => break,
                _ = ticker.tick() => {}
            }
            let bound = period.max(Duration::from_secs(30));
            match tokio::time::timeout(bound, sweep(&state, Utc::now())).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "sweep failed"),
                Err(_) => tracing::warn!(?bound, "sweep timed out"),
            }
        }
        tracing::debug!("background tasks stopped");
    })
}

/// One pass over the live streams and the housekeeping. Public so tests can drive it.
pub async fn sweep<S: Store>(state: &AppState<S>, now: DateTime<Utc>) -> Result<(), StoreError> {
    // One unreachable answer stands for the whole sweep: a media server that swallows packets
    // would otherwise cost a full call timeout per live stream.
    let mut media_down = false;
    for stream in state.store.live_streams().await? {
        let stream = reconcile(state, stream, now, &mut media_down).await?;
        if creator_gone(state, &stream, now) {
            match service::end(state, &stream, EndReason::CreatorAbsent).await {
                Ok(_) | Err(StoreError::StatusConflict { .. }) => {}
                Err(e) => return Err(e),
            }
            continue;
        }
        meter(state, &stream, now).await?;
    }
    state.store.delete_expired_sessions(now).await?;
    state
        .store
        .prune_webhook_events(now - WEBHOOK_ID_RETENTION)
        .await?;
    state.limits.prune();
    Ok(())
}

fn creator_gone<S>(state: &AppState<S>, stream: &Stream, now: DateTime<Utc>) -> bool {
    let Some(since) = stream.creator_absent_since else {
        return false;
    };
    let grace =
        chrono::Duration::from_std(state.config.creator_grace).unwrap_or(chrono::Duration::MAX);
    now.signed_duration_since(since) > grace
}

/// Replaces the room's presence with the media server's participant list, when it can answer.
///
/// While the media server cannot be reached at all (or only its proxy answers), nobody can be broadcasting through it as
/// far as the platform can tell: the creator counts as absent from the first failed sweep, so an
/// outage shorter than the grace period ends nothing (the next answer finds the creator and
/// clears it) and a media server that died and stays down does not leave its streams LIVE
/// forever. A Twirp error that is not a list (a refused key, an internal error) changes nothing.
///
/// A LIVE stream whose room does not exist (the media server restarted) gets it back with the
/// platform's settings, so clients rejoining with the tokens they hold do not find a room made
/// with the server's defaults.
async fn reconcile<S: Store>(
    state: &AppState<S>,
    mut stream: Stream,
    now: DateTime<Utc>,
    media_down: &mut bool,
) -> Result<Stream, StoreError> {
    let room = stream.room_name.as_str();
    let listing = if *media_down {
        Listing::Unreachable
    } else {
        state.rooms.participants(room).await
    };
    let participants = match listing {
        Listing::Participants(list) => list,
        Listing::NoRoom => {
            state.rooms.ensure_room(room.to_owned());
            Vec::new()
        }
        Listing::Unanswered => return Ok(stream),
        Listing::Unreachable => {
            *media_down = true;
            if stream.creator_absent_since.is_none() {
                state
                    .store
                    .set_creator_absent_since(stream.id, Some(now))
                    .await?;
                stream.creator_absent_since = Some(now);
            }
            return Ok(stream);
        }
    };
    let creator_id = stream.creator.id.to_string();
    let creator = participants
        .iter()
        .find(|p| p.identity == creator_id)
        .map(|p| p.sid.clone());
    let viewers = participants
        .iter()
        .filter(|p| p.identity != creator_id && !p.permission.as_ref().is_some_and(|x| x.hidden))
        .map(|p| (p.identity.clone(), p.sid.clone()));
    let present = creator.is_some();
    let count = state.presence.replace(room, viewers, creator);
    if count != stream.participant_count {
        state
            .store
            .set_participant_count(stream.id, count, now)
            .await?;
    }
    if present && stream.creator_absent_since.is_some() {
        state
            .store
            .set_creator_absent_since(stream.id, None)
            .await?;
        stream.creator_absent_since = None;
    } else if !present && stream.creator_absent_since.is_none() {
        state
            .store
            .set_creator_absent_since(stream.id, Some(now))
            .await?;
        stream.creator_absent_since = Some(now);
    }
    Ok(stream)
}

/// Charges each live minute completed since `started_at` and not yet billed; ends the stream
/// with `credits_exhausted` when a minute cannot be paid. `stream` is a snapshot: when the
/// stream ended since it was read, the store refuses the charge and metering simply stops.
/// Public so tests can drive it with a stale snapshot.
pub async fn meter<S: Store>(
    state: &AppState<S>,
    stream: &Stream,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let cost = state.config.per_minute_cost;
    if cost.get() <= 0 || stream.status != StreamStatus::Live {
        return Ok(());
    }
    let Some(started) = stream.started_at else {
        return Ok(());
    };
    let elapsed =
        u32::try_from(now.signed_duration_since(started).num_minutes().max(0)).unwrap_or(u32::MAX);
    for minute in stream.billed_minutes.saturating_add(1)..=elapsed {
        match state
            .store
            .charge_live_minute(stream.id, minute, cost, now)
            .await
        {
            Ok(Applied::New { .. }) => {
                metrics::counter!("onair_live_minutes_charged_total").increment(1);
            }
            Ok(Applied::Duplicate) => {}
            Err(StoreError::InsufficientCredits { balance, needed }) => {
                tracing::info!(stream = %stream.id, %balance, %needed, "credits exhausted");
                match service::end(state, stream, EndReason::CreditsExhausted).await {
                    Ok(_) | Err(StoreError::StatusConflict { .. }) => {}
                    Err(e) => return Err(e),
                }
                break;
            }
            // Ended meanwhile (by its creator, a webhook or another sweep): nothing to bill.
            Err(StoreError::StatusConflict { .. }) => break,
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
