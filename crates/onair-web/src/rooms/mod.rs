//! The stream's LiveKit room, managed through LiveKit's RoomService (the public seam, also
//! against the embedded server).
//!
//! Room management is housekeeping, never a reason to fail a user's request: LiveKit creates a
//! room on first join anyway and closes empty rooms by itself. Failures are logged and counted
//! (`onair_room_service_errors_total{op}`) and the request carries on.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use livekit_api::services::room::{CreateRoomOptions, RemoveParticipantOptions, RoomClient};
use livekit_api::services::{ServerError, ServerErrorCode, ServiceError};
use livekit_protocol::ParticipantInfo;

use crate::config::{LiveKitConfig, MediaMode};

/// How long one RoomService call may take before we give up on it.
const CALL_TIMEOUT: Duration = Duration::from_secs(5);

/// A stream's room closes this long after its last participant left. The creator-absent grace
/// period ends the stream itself; this only frees a room nobody came back to.
const EMPTY_TIMEOUT_SECS: u32 = 300;

/// A participant whose connection dropped keeps its place (tracks, subscriptions, count) this
/// long while its client resumes. LiveKit's own default, asked for explicitly so the platform
/// behaves the same on any deployment.
const DEPARTURE_TIMEOUT_SECS: u32 = 20;

/// What RemoveParticipant's `revoke_token_ts` asks of the media server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Revoke {
    /// The identity's tokens for the room minted until now (plus LiveKit's one-minute leeway
    /// for clock skew) are refused: `0`, the server's default.
    Tokens,
    /// Nothing is revoked: the participant may come back with the token it holds. LiveKit has
    /// no "don't revoke" value, so this asks for tokens older than 1970-01-01T00:00:01, i.e. none.
    Nothing,
}

impl Revoke {
    fn timestamp(self) -> i64 {
        match self {
            Revoke::Tokens => 0,
            Revoke::Nothing => 1,
        }
    }
}

/// What a RemoveParticipant call found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Removal {
    /// The participant was connected and has been sent away.
    Disconnected,
    /// The media server answered that the room or the participant does not exist.
    NotInRoom,
    /// The media server could not be reached or failed.
    Unreachable,
}

/// A shared RoomService client.
#[derive(Clone)]
pub(crate) struct Rooms {
    client: Arc<RoomClient>,
    max_participants: u32,
    /// Where an unauthenticated probe tells a dead media server behind a proxy (502/503/504)
    /// from a live one answering in plain text (LiveKit's 401 for a refused key).
    probe_url: Option<reqwest::Url>,
    /// Built on the first probe (rarely needed): no second TLS client, with its parse of the
    /// system's CA roots, at start-up.
    probe: Arc<OnceLock<reqwest::Client>>,
}

impl std::fmt::Debug for Rooms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rooms").finish_non_exhaustive()
    }
}

impl Rooms {
    /// A client for `config`'s media server that creates rooms for at most `max_participants`
    /// (the creator included; 0 is unlimited).
    pub(crate) fn new(config: &LiveKitConfig, max_participants: u32) -> Self {
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
        let probe_url =
            http_of(host).and_then(|base| base.join("twirp/livekit.RoomService/ListRooms").ok());
        Self {
            client: Arc::new(client),
            max_participants,
            probe_url,
            probe: Arc::default(),
        }
    }

    /// Creates the room in the background (idempotent on LiveKit's side).
    pub(crate) fn ensure_room(&self, room: String) {
        let client = Arc::clone(&self.client);
        let options = CreateRoomOptions {
            empty_timeout: EMPTY_TIMEOUT_SECS,
            departure_timeout: DEPARTURE_TIMEOUT_SECS,
            max_participants: self.max_participants,
            ..Default::default()
        };
        tokio::spawn(async move {
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

    /// Removes one participant in the background (e.g. a creator who cannot pay to go live, or
    /// a banned viewer who came back); `revoke` says whether its tokens die with it.
    pub(crate) fn remove_participant(&self, room: String, identity: String, revoke: Revoke) {
        let rooms = self.clone();
        tokio::spawn(async move {
            rooms.remove(&room, &identity, revoke).await;
        });
    }

    /// Removes one participant and says whether it was in the room. A failure of the
    /// RoomService is logged and counted, and answers [`Removal::Unreachable`].
    pub(crate) async fn remove(&self, room: &str, identity: &str, revoke: Revoke) -> Removal {
        let options = RemoveParticipantOptions {
            revoke_token_ts: revoke.timestamp(),
        };
        match self
            .client
            .remove_participant_with_options(room, identity, options)
            .await
        {
            Ok(()) => Removal::Disconnected,
            Err(ServiceError::Twirp(ServerError::Twirp(code)))
                if code.code == ServerErrorCode::NOT_FOUND =>
            {
                Removal::NotInRoom
            }
            Err(e) => {
                failed("remove_participant", room, &e);
                Removal::Unreachable
            }
        }
    }

    /// The room's participants, as far as the media server can say. A room the
    /// media server does not know (`not_found`: never created, closed, or lost in a restart of
    /// the media server) has nobody in it, so the creator counts as absent and the grace period
    /// runs: a stream is never left LIVE forever by a room that no longer exists.
    pub(crate) async fn participants(&self, room: &str) -> Listing {
        match self.client.list_participants(room).await {
            Ok(list) => Listing::Participants(list),
            Err(ServiceError::Twirp(ServerError::Twirp(code)))
                if code.code == ServerErrorCode::NOT_FOUND =>
            {
                Listing::NoRoom
            }
            Err(e) => {
                // Asked every sweep; a media server without RoomService would flood the log.
                metrics::counter!("onair_room_service_errors_total", "op" => "list_participants")
                    .increment(1);
                tracing::debug!(room, error = %e, "list_participants failed");
                match down(&e) {
                    Down::Yes => Listing::Unreachable,
                    Down::No => Listing::Unanswered,
                    Down::Ask => self.probe().await,
                }
            }
        }
    }
}

/// What the media server said about a room's participants.
#[derive(Debug)]
pub(crate) enum Listing {
    /// Its participants.
    Participants(Vec<ParticipantInfo>),
    /// The room does not exist (never created, closed, or lost in a restart): nobody is in it.
    NoRoom,
    /// No connection, no answer in time, `unavailable`, or a proxy's 502/503/504 instead of a
    /// Twirp answer: the media server is down or cut off.
    Unreachable,
    /// It answered as a RoomService, but not with a list (a refused key, an internal error):
    /// nothing learnt.
    Unanswered,
}

/// What a RoomService error says about the media server being up.
enum Down {
    Yes,
    No,
    /// An answer that is not Twirp (the client cannot decode it, and drops its status): a
    /// proxy's page for a dead media server, or LiveKit's own plain-text refusal of a key.
    Ask,
}

/// No connection, no answer in time, or LiveKit's own `unavailable`: down. A Twirp error from
/// a live server (a refused key, an internal error): up.
fn down(err: &ServiceError) -> Down {
    match err {
        ServiceError::Twirp(ServerError::Request(r)) if r.is_connect() || r.is_timeout() => {
            Down::Yes
        }
        ServiceError::Twirp(ServerError::Request(r)) if r.is_decode() => Down::Ask,
        ServiceError::Twirp(ServerError::Twirp(code))
            if code.code == ServerErrorCode::UNAVAILABLE =>
        {
            Down::Yes
        }
        _ => Down::No,
    }
}

impl Rooms {
    /// Asks once more without credentials, to see the status the client dropped: 502, 503 or
    /// 504 is a proxy (or load balancer) with nothing behind it; anything else is a media
    /// server that is up and said no.
    async fn probe(&self) -> Listing {
        let Some(url) = &self.probe_url else {
            return Listing::Unanswered;
        };
        match self
            .probe
            .get_or_init(reqwest::Client::new)
            .post(url.clone())
            .timeout(CALL_TIMEOUT)
            .send()
            .await
        {
            Err(e) if e.is_connect() || e.is_timeout() => Listing::Unreachable,
            Ok(r) if matches!(r.status().as_u16(), 502..=504) => Listing::Unreachable,
            _ => Listing::Unanswered,
        }
    }
}

/// The HTTP(S) base of a LiveKit URL (`ws://` and `wss://` as LiveKit's clients accept them).
fn http_of(host: &str) -> Option<reqwest::Url> {
    let mut url = reqwest::Url::parse(host).ok()?;
    let scheme = match url.scheme() {
        "ws" => "http",
        "wss" => "https",
        other => other,
    }
    .to_owned();
    url.set_scheme(&scheme).ok()?;
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Some(url)
}

fn failed(op: &'static str, room: &str, err: &dyn std::error::Error) {
    metrics::counter!("onair_room_service_errors_total", "op" => op).increment(1);
    tracing::warn!(op, room, error = %err, "room service call failed; carrying on");
}
