//! The media server's control plane: LiveKit's RoomService and webhooks over the admin API.
//!
//! [`RoomApi`] implements [`onair_control::RoomBackend`] over a [`crate::ServerHandle`], so
//! `onair_control::router` serves `/twirp/livekit.RoomService/*` against the live rooms (the
//! protocol layer has already authenticated the caller and checked grants and limits; this
//! module maps requests onto admin calls and answers with LiveKit's `not_found` messages).
//! The `webhooks` bridge forwards the run loop's [`crate::room::RoomEvent`]s to a
//! [`onair_control::WebhookSender`] from a task of its own, so the loop never waits on HTTP.

mod rooms;
pub(crate) mod webhooks;

pub use rooms::RoomApi;
