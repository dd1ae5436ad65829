//! The seam between the RoomService protocol layer and whatever holds the rooms.
//!
//! The Twirp layer authenticates the caller, decodes the request, checks the grant and the
//! limits, and only then calls a [`RoomBackend`] method. The backend therefore sees requests
//! that are already authorised and within LiveKit's size limits; it owns the semantics (what a
//! room is, when it closes, what removing a participant does to its connection) and answers
//! with `livekit_protocol` messages, which the protocol layer encodes for the caller.

use std::future::Future;

use livekit_protocol as proto;

/// What a backend call could not find. Each maps to the exact `not_found` message LiveKit
/// sends, so SDK users matching on messages see the same text from OnAir.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// "requested room does not exist"
    Room,
    /// "participant does not exist"
    Participant,
    /// "track is not found"
    Track,
}

impl Missing {
    /// LiveKit's message for this case.
    pub fn message(self) -> &'static str {
        match self {
            Missing::Room => "requested room does not exist",
            Missing::Participant => "participant does not exist",
            Missing::Track => "track is not found",
        }
    }
}

/// Why a backend call failed. Each variant becomes one Twirp error code (see
/// [`crate::twirp::TwirpError`]); the message of the client-facing variants is shown to the
/// caller, [`RoomError::Internal`] is logged and replaced by a generic message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoomError {
    /// Twirp `not_found` (404).
    #[error("{}", what.message())]
    NotFound { what: Missing },
    /// Twirp `invalid_argument` (400): the request is well-formed but not acceptable.
    #[error("{0}")]
    InvalidArgument(String),
    /// Twirp `failed_precondition` (412): the room or participant is not in a state that
    /// allows this (e.g. a participant that has not finished joining).
    #[error("{0}")]
    FailedPrecondition(String),
    /// Twirp `resource_exhausted` (429): a limit such as max participants is reached.
    #[error("{0}")]
    ResourceExhausted(String),
    /// Twirp `unavailable` (503): the media server is shutting down or overloaded; retry later.
    #[error("{0}")]
    Unavailable(String),
    /// Twirp `internal` (500): a bug or a broken invariant. Logged; never shown to the caller.
    #[error("{0}")]
    Internal(String),
}

impl RoomError {
    /// Shorthand for the three `not_found` cases.
    pub fn not_found(what: Missing) -> Self {
        RoomError::NotFound { what }
    }
}

/// The room state the RoomService manages. The embedded media server implements it; tests
/// implement it in memory.
///
/// Every method is called after authentication, the per-method grant check and LiveKit's size
/// limits (room name, participant name ≤ 256 bytes, metadata ≤ [`crate::Limits`], attributes,
/// SendData nonce of 0 or 16 bytes), so implementations need not repeat them. Requests are
/// the decoded `livekit_protocol` messages as the SDK sent them: fields the SDK left at their
/// default arrive as defaults (`0`, `""`, `None`), and LiveKit's meaning of "default" (e.g.
/// "a zero `empty_timeout` keeps the current value") is the backend's to apply.
///
/// Implementations are shared across requests (`&self`) and must be cheap to call
/// concurrently; the protocol layer holds one instance in an `Arc`.
pub trait RoomBackend: Send + Sync + 'static {
    /// Create-or-get by `name`. A new room gets a `RM_…` sid, `creation_time` (s) and
    /// `creation_time_ms`, and LiveKit's defaults when the request leaves them at zero
    /// (`empty_timeout` 300 s, `departure_timeout` 20 s, unlimited participants). For an
    /// existing room, non-zero timeouts / `max_participants` and non-empty `metadata` overwrite
    /// the current values. Returns the room as it now is.
    fn create_room(
        &self,
        req: proto::CreateRoomRequest,
    ) -> impl Future<Output = Result<proto::Room, RoomError>> + Send;

    /// The rooms whose names are in `req.names`, or every room when it is empty. Unknown names
    /// are skipped, not an error (LiveKit behaves the same).
    fn list_rooms(
        &self,
        req: proto::ListRoomsRequest,
    ) -> impl Future<Output = Result<Vec<proto::Room>, RoomError>> + Send;

    /// Closes `req.room`: every participant is disconnected (with a leave), then the room is
    /// gone. `NotFound { Room }` when it does not exist.
    fn delete_room(
        &self,
        req: proto::DeleteRoomRequest,
    ) -> impl Future<Output = Result<(), RoomError>> + Send;

    /// The participants of `req.room`. `NotFound { Room }` when the room does not exist.
    fn list_participants(
        &self,
        req: proto::ListParticipantsRequest,
    ) -> impl Future<Output = Result<Vec<proto::ParticipantInfo>, RoomError>> + Send;

    /// One participant by identity. `NotFound { Room | Participant }`.
    fn get_participant(
        &self,
        req: proto::RoomParticipantIdentity,
    ) -> impl Future<Output = Result<proto::ParticipantInfo, RoomError>> + Send;

    /// Disconnects the participant (with a leave). `req.revoke_token_ts` (Unix seconds; `0`
    /// means the server's now + 1 min, as LiveKit documents) asks that this identity's tokens
    /// for this room whose `nbf` is before it be refused from now on.
    /// `NotFound { Room | Participant }`.
    fn remove_participant(
        &self,
        req: proto::RoomParticipantIdentity,
    ) -> impl Future<Output = Result<(), RoomError>> + Send;

    /// Mutes or unmutes one published track and returns it as it now is (the Rust SDK
    /// unwraps the response's `track`, so a track is always returned).
    /// `NotFound { Room | Participant | Track }`.
    fn mute_published_track(
        &self,
        req: proto::MuteRoomTrackRequest,
    ) -> impl Future<Output = Result<proto::TrackInfo, RoomError>> + Send;

    /// Updates metadata (when non-empty), name (when non-empty), attributes (merged; an empty
    /// value deletes the key) and permission (when present, replaces the whole permission; a
    /// revoked `can_publish` unpublishes the participant's tracks). Returns the participant as
    /// it now is. `NotFound { Room | Participant }`.
    fn update_participant(
        &self,
        req: proto::UpdateParticipantRequest,
    ) -> impl Future<Output = Result<proto::ParticipantInfo, RoomError>> + Send;

    /// Subscribes or unsubscribes the participant to `req.track_sids` and to the tracks in
    /// `req.participant_tracks`. `NotFound { Room | Participant }`.
    fn update_subscriptions(
        &self,
        req: proto::UpdateSubscriptionsRequest,
    ) -> impl Future<Output = Result<(), RoomError>> + Send;

    /// Delivers a server-originated data packet to `req.destination_identities` (or
    /// `destination_sids`, or everyone when both are empty), with `req.topic` and `req.kind`.
    /// The nonce is already checked to be empty or 16 bytes. `NotFound { Room }`.
    fn send_data(
        &self,
        req: proto::SendDataRequest,
    ) -> impl Future<Output = Result<(), RoomError>> + Send;

    /// Replaces the room's metadata (an empty string clears it) and returns the room.
    /// `NotFound { Room }`.
    fn update_room_metadata(
        &self,
        req: proto::UpdateRoomMetadataRequest,
    ) -> impl Future<Output = Result<proto::Room, RoomError>> + Send;
}
