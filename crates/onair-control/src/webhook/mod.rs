//! Webhooks out: LiveKit's six room events, signed as LiveKit signs them, delivered from
//! bounded per-URL queues with retries.

mod config;
mod event;
mod sender;

pub use config::{RetryPolicy, WebhookConfig, WebhookConfigError};
pub use event::{
    EncodedEvent, names, new_event_id, participant_joined, participant_left, room_finished,
    room_started, track_published, track_unpublished,
};
pub use sender::{SendError, ShutdownReport, WebhookSender, WebhookStats};
