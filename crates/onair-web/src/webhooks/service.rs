//! What each verified LiveKit event means for a stream.

use chrono::Utc;
use livekit_protocol::{ParticipantInfo, WebhookEvent};
use onair_domain::{EndReason, RoomName, StreamStatus};
use onair_store::{Store, StoreError, Stream};

use crate::moderation;
use crate::rooms::Revoke;
use crate::state::AppState;
use crate::streams::service;
use crate::webhooks::presence::Change;

/// How an event was handled (the `result` label of `onair_webhooks_total`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It changed something.
    Applied,
    /// Valid, but nothing to do (unknown room, stale or duplicate in effect, other events).
    Ignored,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Applied => "applied",
            Self::Ignored => "ignored",
        }
    }
}

pub async fn handle<S: Store>(
    state: &AppState<S>,
    event: &WebhookEvent,
) -> Result<Outcome, StoreError> {
    let Some(room) = event.room.as_ref() else {
        return Ok(Outcome::Ignored);
    };
    let room_name = RoomName::from_raw(room.name.clone());
    let Some(stream_id) = room_name.stream_id() else {
        return Ok(Outcome::Ignored);
    };
    let stream = match state.store.stream(stream_id).await {
        Ok(s) => s,
        Err(StoreError::NotFound) => return Ok(Outcome::Ignored),
        Err(e) => return Err(e),
    };
    match event.event.as_str() {
        "participant_joined" => match &event.participant {
            Some(p) if moderation::service::refuse_banned(state, &stream, p).await? => {
                Ok(Outcome::Applied)
            }
            Some(p) => joined(state, &stream, p).await,
            None => Ok(Outcome::Ignored),
        },
        "participant_left" | "participant_connection_aborted" => match &event.participant {
            Some(p) => left(state, &stream, p).await,
            None => Ok(Outcome::Ignored),
        },
        "track_published" => match &event.participant {
            Some(p) if is_creator(&stream, p) => creator_published(state, &stream).await,
            _ => Ok(Outcome::Ignored),
        },
        "room_finished" if stream.status == StreamStatus::Live => {
            match service::end(state, &stream, EndReason::RoomFinished).await {
                Ok(_) => Ok(Outcome::Applied),
                Err(StoreError::StatusConflict { .. }) => Ok(Outcome::Ignored),
                Err(e) => Err(e),
            }
        }
        "room_finished" => {
            state.presence.forget(room_name.as_str());
            Ok(Outcome::Ignored)
        }
        _ => Ok(Outcome::Ignored),
    }
}

fn is_creator(stream: &Stream, p: &ParticipantInfo) -> bool {
    p.identity == stream.creator.id.to_string()
}

fn is_hidden(p: &ParticipantInfo) -> bool {
    p.permission.as_ref().is_some_and(|perm| perm.hidden)
}

async fn joined<S: Store>(
    state: &AppState<S>,
    stream: &Stream,
    p: &ParticipantInfo,
) -> Result<Outcome, StoreError> {
    if is_hidden(p) || stream.status == StreamStatus::Ended {
        return Ok(Outcome::Ignored);
    }
    let room = stream.room_name.as_str();
    apply(
        state,
        stream,
        state
            .presence
            .joined(room, &p.identity, &p.sid, is_creator(stream, p)),
    )
    .await
}

async fn left<S: Store>(
    state: &AppState<S>,
    stream: &Stream,
    p: &ParticipantInfo,
) -> Result<Outcome, StoreError> {
    if is_hidden(p) || stream.status == StreamStatus::Ended {
        return Ok(Outcome::Ignored);
    }
    let room = stream.room_name.as_str();
    apply(
        state,
        stream,
        state
            .presence
            .left(room, &p.identity, &p.sid, is_creator(stream, p)),
    )
    .await
}

async fn apply<S: Store>(
    state: &AppState<S>,
    stream: &Stream,
    change: Change,
) -> Result<Outcome, StoreError> {
    let now = Utc::now();
    match change {
        Change::Viewers(n) => state.store.set_participant_count(stream.id, n, now).await?,
        Change::CreatorJoined => {
            state
                .store
                .set_creator_absent_since(stream.id, None)
                .await?
        }
        Change::CreatorLeft => {
            state
                .store
                .set_creator_absent_since(stream.id, Some(now))
                .await?
        }
        Change::None => return Ok(Outcome::Ignored),
    }
    Ok(Outcome::Applied)
}

/// The creator's first published track takes a SCHEDULED stream live (charging once).
async fn creator_published<S: Store>(
    state: &AppState<S>,
    stream: &Stream,
) -> Result<Outcome, StoreError> {
    if stream.status != StreamStatus::Scheduled {
        return Ok(Outcome::Ignored);
    }
    match service::go_live(state, stream.id).await {
        Ok(_) => Ok(Outcome::Applied),
        Err(StoreError::StatusConflict { .. }) => Ok(Outcome::Ignored),
        Err(StoreError::InsufficientCredits { balance, needed }) => {
            // The stream stays SCHEDULED; the creator is taken out of the room so that they do
            // not broadcast unpaid. Nothing was charged.
            tracing::warn!(stream = %stream.id, %balance, %needed, "creator cannot pay to go live");
            // Their tokens stay valid: once they can pay, they rejoin with the same token.
            state.rooms.remove_participant(
                stream.room_name.as_str().to_owned(),
                stream.creator.id.to_string(),
                Revoke::Nothing,
            );
            Ok(Outcome::Ignored)
        }
        Err(e) => Err(e),
    }
}
