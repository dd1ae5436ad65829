//! What the room core asks of the world: messages to clients, media subscriptions to set up or
//! tear down, disconnects, and lifecycle events (what a webhook sender subscribes to).

use livekit_protocol as proto;

use crate::ids::{ParticipantSid, RoomName, TrackSid};
use crate::room::participant::TrackKind;

/// One instruction from the room core, drained with [`super::RoomCore::poll_output`].
#[derive(Debug, Clone)]
pub enum RoomOutput {
    /// Send this message on the participant's signal connection.
    Signal {
        /// Receiver.
        to: ParticipantSid,
        /// The message (boxed: protobuf messages are large).
        message: Box<proto::signal_response::Message>,
    },
    /// Start forwarding `track` of `publisher` to `subscriber` (a new m-line on its subscriber PC).
    Subscribe {
        /// Who receives.
        subscriber: ParticipantSid,
        /// Who publishes.
        publisher: ParticipantSid,
        /// Which track.
        track: TrackSid,
        /// Audio or video.
        kind: TrackKind,
        /// The publisher-PC m-line the media arrives on.
        publisher_mid: String,
    },
    /// Stop forwarding `track` to `subscriber`.
    Unsubscribe {
        /// Who received.
        subscriber: ParticipantSid,
        /// Which track.
        track: TrackSid,
    },
    /// The participant is gone from the room: close its peers and signal connection.
    Disconnect {
        /// Who.
        participant: ParticipantSid,
        /// Why, as sent in the LeaveRequest.
        reason: proto::DisconnectReason,
    },
    /// A lifecycle event for webhooks and the admin API.
    Event(Box<RoomEvent>),
}

impl RoomOutput {
    /// Wraps an event (boxed: events are large and rare, outputs are queued often).
    pub fn event(e: RoomEvent) -> Self {
        RoomOutput::Event(Box::new(e))
    }
}

/// Room, participant and track lifecycle, shaped like LiveKit's webhook events.
#[derive(Debug, Clone, PartialEq)]
pub enum RoomEvent {
    /// A room was created.
    RoomStarted {
        /// The room.
        room: proto::Room,
    },
    /// A room's settings or metadata changed (no LiveKit webhook of its own: later webhooks
    /// carry the room as it is now).
    RoomUpdated {
        /// The room.
        room: proto::Room,
    },
    /// A room was closed.
    RoomFinished {
        /// The room.
        room: proto::Room,
    },
    /// A participant joined.
    ParticipantJoined {
        /// Its room.
        room: RoomName,
        /// Who.
        participant: proto::ParticipantInfo,
    },
    /// A participant left.
    ParticipantLeft {
        /// Its room.
        room: RoomName,
        /// Who.
        participant: proto::ParticipantInfo,
    },
    /// A track was published.
    TrackPublished {
        /// Its room.
        room: RoomName,
        /// The publisher.
        participant: proto::ParticipantInfo,
        /// The track.
        track: proto::TrackInfo,
    },
    /// A track was unpublished.
    TrackUnpublished {
        /// Its room.
        room: RoomName,
        /// The publisher.
        participant: proto::ParticipantInfo,
        /// The track.
        track: proto::TrackInfo,
    },
}
