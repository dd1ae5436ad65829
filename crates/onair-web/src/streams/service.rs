//! The stream use cases: every path that changes a stream (API, webhooks, background tasks)
//! goes through here, so the rules, the charge and the room cleanup happen in one place.

use chrono::{DateTime, Utc};
use onair_domain::{
    EndReason, Role, StreamDescription, StreamId, StreamStatus, StreamTitle, Transition,
};
use onair_store::{Account, NewStream, Store, StoreError, Stream, StreamPatch};

use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// A validated creation request.
#[derive(Debug)]
pub struct NewStreamInput {
    pub title: StreamTitle,
    pub description: StreamDescription,
    pub scheduled_for: Option<DateTime<Utc>>,
}

/// A validated edit: fields to change, then an optional status transition.
#[derive(Debug, Default)]
pub struct EditInput {
    pub fields: StreamPatch,
    pub status: Option<StreamStatus>,
}

impl EditInput {
    fn has_fields(&self) -> bool {
        self.fields.title.is_some()
            || self.fields.description.is_some()
            || self.fields.scheduled_for.is_some()
    }
}

pub async fn create<S: Store>(
    state: &AppState<S>,
    creator: &Account,
    input: NewStreamInput,
) -> AppResult<Stream> {
    let stream = state
        .store
        .create_stream(NewStream {
            id: StreamId::new(),
            creator: creator.id,
            title: input.title,
            description: input.description,
            scheduled_for: input.scheduled_for,
            now: Utc::now(),
        })
        .await?;
    tracing::info!(stream = %stream.id, creator = %creator.id, "stream created");
    Ok(stream)
}

/// A stream anyone may see: deleted streams are gone (410).
pub async fn visible<S: Store>(state: &AppState<S>, id: StreamId) -> AppResult<Stream> {
    let stream = state.store.stream(id).await.map_err(not_found)?;
    if stream.deleted_at.is_some() {
        return Err(AppError::Gone("this stream was deleted".into()));
    }
    Ok(stream)
}

/// A stream the account may change: its creator's, or any for an admin.
async fn editable<S: Store>(state: &AppState<S>, id: StreamId, who: &Account) -> AppResult<Stream> {
    let stream = visible(state, id).await?;
    if stream.creator.id != who.id && who.role != Role::Admin {
        return Err(AppError::Forbidden(
            "only the stream's creator can change it",
        ));
    }
    Ok(stream)
}

pub async fn edit<S: Store>(
    state: &AppState<S>,
    who: &Account,
    id: StreamId,
    input: EditInput,
) -> AppResult<Stream> {
    let mut stream = editable(state, id, who).await?;
    if input.has_fields() {
        if stream.status == StreamStatus::Ended {
            return Err(AppError::Gone(
                "this stream has ended and can no longer be edited".into(),
            ));
        }
        stream = state
            .store
            .update_stream(id, input.fields, Utc::now())
            .await
            .map_err(not_found)?;
    }
    if let Some(to) = input.status {
        stream = match stream.status.transition(to)? {
            Transition::GoLive => go_live(state, id).await?,
            Transition::End => end(state, &stream, end_reason(&stream, who)).await?,
        };
    }
    Ok(stream)
}

/// Ends (if not ended) and hides a stream.
pub async fn delete<S: Store>(state: &AppState<S>, who: &Account, id: StreamId) -> AppResult<()> {
    let stream = editable(state, id, who).await?;
    if stream.status != StreamStatus::Ended {
        match end(state, &stream, end_reason(&stream, who)).await {
            Ok(_) | Err(StoreError::StatusConflict { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    state
        .store
        .delete_stream(id, Utc::now())
        .await
        .map_err(not_found)?;
    tracing::info!(stream = %id, by = %who.id, "stream deleted");
    Ok(())
}

fn end_reason(stream: &Stream, who: &Account) -> EndReason {
    if stream.status == StreamStatus::Scheduled {
        EndReason::Cancelled
    } else if stream.creator.id == who.id {
        EndReason::Creator
    } else {
        EndReason::Admin
    }
}

/// SCHEDULED → LIVE with the go-live charge, atomically in the store; creates the room.
pub async fn go_live<S: Store>(state: &AppState<S>, id: StreamId) -> Result<Stream, StoreError> {
    let stream = state
        .store
        .go_live(id, state.config.go_live_cost, Utc::now())
        .await?;
    metrics::counter!("onair_stream_transitions_total", "to" => "LIVE").increment(1);
    tracing::info!(stream = %id, cost = %state.config.go_live_cost, "stream live");
    state
        .rooms
        .ensure_room(stream.room_name.as_str().to_owned());
    // An absence recorded before going live (a preview, then a break) must not end the stream
    // at once; the grace period starts afresh if the creator is still away.
    if stream.creator_absent_since.is_some() {
        state.store.set_creator_absent_since(id, None).await?;
    }
    // Viewers who joined while it was SCHEDULED count from now on.
    let viewers = state.presence.viewers(stream.room_name.as_str());
    if viewers > 0 {
        state
            .store
            .set_participant_count(id, viewers, Utc::now())
            .await?;
        return state.store.stream(id).await;
    }
    Ok(stream)
}

/// → ENDED with a reason; forgets the room's presence and deletes the room.
pub async fn end<S: Store>(
    state: &AppState<S>,
    stream: &Stream,
    reason: EndReason,
) -> Result<Stream, StoreError> {
    let ended = state
        .store
        .end_stream(stream.id, reason, Utc::now())
        .await?;
    metrics::counter!("onair_stream_transitions_total", "to" => "ENDED").increment(1);
    tracing::info!(stream = %stream.id, reason = reason.as_str(), "stream ended");
    state.presence.forget(stream.room_name.as_str());
    state
        .rooms
        .delete_room(stream.room_name.as_str().to_owned());
    Ok(ended)
}

fn not_found(e: StoreError) -> AppError {
    match e {
        StoreError::NotFound => AppError::NotFound("stream"),
        other => other.into(),
    }
}
