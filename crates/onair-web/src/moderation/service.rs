//! Ban and remove: the one place that decides who may remove whom.

use chrono::Utc;
use livekit_protocol::ParticipantInfo;
use onair_domain::{Role, StreamId, StreamStatus};
use onair_store::{Account, Store, StoreError, Stream};

use crate::error::{AppError, AppResult};
use crate::rooms::{Removal, Revoke};
use crate::state::AppState;
use crate::streams::service;

/// Longest identity LiveKit accepts (bytes).
const MAX_IDENTITY: usize = 256;

/// What a removal did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Removed {
    /// Whether the media server disconnected a participant that was in the room.
    pub disconnected: bool,
}

/// Bans `identity` from the stream and removes it from the room. See the module docs for rules.
pub(crate) async fn remove<S: Store>(
    state: &AppState<S>,
    who: &Account,
    id: StreamId,
    identity: &str,
) -> AppResult<Removed> {
    if identity.is_empty() || identity.len() > MAX_IDENTITY {
        return Err(AppError::BadRequest(format!(
            "a participant identity is 1 to {MAX_IDENTITY} bytes"
        )));
    }
    let stream = service::visible(state, id).await?;
    if stream.creator.id != who.id && who.role != Role::Admin {
        return Err(AppError::Forbidden(
            "only the stream's creator or an admin can remove participants",
        ));
    }
    if stream.status == StreamStatus::Ended {
        return Err(AppError::Gone(
            "this stream has ended; its room is closed".into(),
        ));
    }
    if identity == stream.creator.id.to_string() {
        return Err(AppError::field(
            "identity",
            "the stream's creator cannot be removed from their own stream; end the stream instead",
        ));
    }
    if identity == who.id.to_string() {
        return Err(AppError::field("identity", "you cannot remove yourself"));
    }
    state.store.ban(stream.id, identity, Utc::now()).await?;
    let removal = state
        .rooms
        .remove(stream.room_name.as_str(), identity, Revoke::Tokens)
        .await;
    metrics::counter!("onair_participants_removed_total").increment(1);
    tracing::info!(stream = %stream.id, identity, by = %who.id, ?removal, "participant removed and banned");
    Ok(Removed {
        disconnected: removal == Removal::Disconnected,
    })
}

/// A participant joined: if its identity is banned from the stream, it is removed again (and
/// its tokens revoked) and does not count as a viewer. `true` when that happened.
pub(crate) async fn refuse_banned<S: Store>(
    state: &AppState<S>,
    stream: &Stream,
    p: &ParticipantInfo,
) -> Result<bool, StoreError> {
    if p.identity == stream.creator.id.to_string()
        || !state.store.is_banned(stream.id, &p.identity).await?
    {
        return Ok(false);
    }
    tracing::warn!(stream = %stream.id, identity = %p.identity, "a banned identity joined the room; removing it");
    state.rooms.remove_participant(
        stream.room_name.as_str().to_owned(),
        p.identity.clone(),
        Revoke::Tokens,
    );
    Ok(true)
}
