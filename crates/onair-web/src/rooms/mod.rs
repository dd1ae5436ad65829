//! The stream's LiveKit room, managed through LiveKit's RoomService (the public seam, also
//! against the embedded server).
//!
//! Room management is housekeeping, never a reason to fail a user's request: LiveKit creates a
//! room on first join anyway and closes empty rooms by itself. Failures are logged and counted
//! (`onair_room_service_errors_total{op}`) and the request carries on.

use std::sync::Arc;
use std::time::Duration;

use livekit_api::services::room::{CreateRoomOptions, RoomClient};
use livekit_api::services::{ServerError, ServerErrorCode, ServiceError};
use livekit_protocol::ParticipantInfo;

use crate::config::{LiveKitConfig, MediaMode};

/// How long one RoomService call may take before we give up on it.
const CALL_TIMEOUT: Duration = Duration::from_secs(5);

/// A shared RoomService client.
#[derive(Clone)]
pub(crate) struct Rooms {
    client: Arc<RoomClient>,
}

impl std::fmt::Debug for Rooms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rooms").finish_non_exhaustive()
    }
}

impl Rooms {
    pub(crate) fn new(config: &LiveKitConfig) -> Self {
        let host = match &config.mode {
            MediaMode::Embedded { room_service_url } => room_service_url.as_str(),
            MediaMode::External { url } => url.as_str(),
        };
        let client = RoomClient::with_api_key(
            host.trim_end_matches('/'),
            &config.api_key,
            config.api_secret.expose(),
        )
        .with_failover(false)
        .with_request_timeout(CALL_TIMEOUT);
        Self {
            client: Arc::new(client),
        }
    }

    /// Creates the room in the background (idempotent on LiveKit's side).
    pub(crate) fn ensure_room(&self, room: String) {
        let client = Arc::clone(&self.client);
        tokio::spawn(async move {
            let options = CreateRoomOptions {
                // Close the room a while after the last participant leaves; the creator-absent
                // grace period ends the stream itself.
                empty_timeout: 300,
                ..Default::default()
            };
            if let Err(e) = client.create_room(&room, options).await {
                failed("create_room", &room, &e);
            }
        });
    }

    /// Deletes the room in the background, disconnecting everyone still in it.
    pub(crate) fn delete_room(&self, room: String) {
        let client = Arc::clone(&self.client);
        tokio::spawn(async move {
            if let Err(e) = client.delete_room(&room).await {
                failed("delete_room", &room, &e);
            }
        });
    }

    /// Removes one participant (e.g. a creator who cannot pay to go live).
    pub(crate) fn remove_participant(&self, room: String, identity: String) {
        let client = Arc::clone(&self.client);
        tokio::spawn(async move {
            if let Err(e) = client.remove_participant(&room, &identity).await {
                failed("remove_participant", &room, &e);
            }
        });
    }

    /// The room's participants, or `None` when the RoomService could not answer. A room the
    /// media server does not know (`not_found`: never created, closed, or lost in a restart of
    /// the media server) has nobody in it, so the creator counts as absent and the grace period
    /// runs: a stream is never left LIVE forever by a room that no longer exists.
    pub(crate) async fn participants(&self, room: &str) -> Option<Vec<ParticipantInfo>> {
        match self.client.list_participants(room).await {
            Ok(list) => Some(list),
            Err(ServiceError::Twirp(ServerError::Twirp(code)))
                if code.code == ServerErrorCode::NOT_FOUND =>
            {
                Some(Vec::new())
            }
            Err(e) => {
                // Asked every sweep; a media server without RoomService would flood the log.
                metrics::counter!("onair_room_service_errors_total", "op" => "list_participants")
                    .increment(1);
                tracing::debug!(room, error = %e, "list_participants failed");
                None
            }
        }
    }
}

fn failed(op: &'static str, room: &str, err: &dyn std::error::Error) {
    metrics::counter!("onair_room_service_errors_total", "op" => op).increment(1);
    tracing::warn!(op, room, error = %err, "room service call failed; carrying on");
}
