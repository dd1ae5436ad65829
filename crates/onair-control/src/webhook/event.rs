//! The webhook events the media server emits, shaped as LiveKit's `pkg/telemetry/events.go`
//! shapes them, and their signed wire form.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use livekit_api::access_token::{AccessToken, AccessTokenError};
use livekit_protocol as proto;
use rand::distr::{Alphanumeric, SampleString};
use sha2::{Digest, Sha256};

/// LiveKit's event names (`webhook/consts.go`) for the events OnAir emits.
pub mod names {
    pub const ROOM_STARTED: &str = "room_started";
    pub const ROOM_FINISHED: &str = "room_finished";
    pub const PARTICIPANT_JOINED: &str = "participant_joined";
    pub const PARTICIPANT_LEFT: &str = "participant_left";
    pub const TRACK_PUBLISHED: &str = "track_published";
    pub const TRACK_UNPUBLISHED: &str = "track_unpublished";
}

/// A room was created (by CreateRoom or by the first join). Payload: room.
pub fn room_started(room: proto::Room) -> proto::WebhookEvent {
    event(names::ROOM_STARTED, Some(room), None, None)
}

/// A room closed (deleted, or empty past its timeout). Payload: room.
pub fn room_finished(room: proto::Room) -> proto::WebhookEvent {
    event(names::ROOM_FINISHED, Some(room), None, None)
}

/// A participant became active (not sent for a resume or migration). Payload: room and the
/// full participant.
pub fn participant_joined(
    room: proto::Room,
    participant: proto::ParticipantInfo,
) -> proto::WebhookEvent {
    event(
        names::PARTICIPANT_JOINED,
        Some(room),
        Some(participant),
        None,
    )
}

/// A participant left or was removed. Payload: room and the full participant (with
/// `disconnect_reason` when known).
pub fn participant_left(
    room: proto::Room,
    participant: proto::ParticipantInfo,
) -> proto::WebhookEvent {
    event(names::PARTICIPANT_LEFT, Some(room), Some(participant), None)
}

/// A track was published. Payload: room, the publisher reduced to sid and identity, track.
pub fn track_published(
    room: proto::Room,
    participant: &proto::ParticipantInfo,
    track: proto::TrackInfo,
) -> proto::WebhookEvent {
    event(
        names::TRACK_PUBLISHED,
        Some(room),
        Some(publisher(participant)),
        Some(track),
    )
}

/// A track was unpublished. Payload as for [`track_published`].
pub fn track_unpublished(
    room: proto::Room,
    participant: &proto::ParticipantInfo,
    track: proto::TrackInfo,
) -> proto::WebhookEvent {
    event(
        names::TRACK_UNPUBLISHED,
        Some(room),
        Some(publisher(participant)),
        Some(track),
    )
}

/// LiveKit sends only sid and identity of the publisher with track events.
fn publisher(participant: &proto::ParticipantInfo) -> proto::ParticipantInfo {
    proto::ParticipantInfo {
        sid: participant.sid.clone(),
        identity: participant.identity.clone(),
        ..Default::default()
    }
}

fn event(
    name: &str,
    room: Option<proto::Room>,
    participant: Option<proto::ParticipantInfo>,
    track: Option<proto::TrackInfo>,
) -> proto::WebhookEvent {
    proto::WebhookEvent {
        event: name.to_owned(),
        room,
        participant,
        track,
        id: new_event_id(),
        created_at: unix_seconds(),
        ..Default::default()
    }
}

/// `EV_` and 12 random alphanumerics, like LiveKit's `guid.New("EV_")`.
pub fn new_event_id() -> String {
    format!("EV_{}", Alphanumeric.sample_string(&mut rand::rng(), 12))
}

fn unix_seconds() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}

/// An event ready to POST: the exact body bytes and their hash, which the token signs.
#[derive(Debug, Clone)]
pub struct EncodedEvent {
    /// Event name, for logs.
    pub name: String,
    pub id: String,
    /// camelCase proto3 JSON of the `WebhookEvent`.
    pub body: bytes::Bytes,
    /// Standard padded base64 of SHA-256(body): the token's `sha256` claim.
    pub sha256: String,
}

impl EncodedEvent {
    /// Encodes `event`. Fails when the event holds an enum number `livekit-protocol` has no
    /// name for: such an event would be rejected by LiveKit's Rust receiver, so it is refused
    /// here, where the caller can see it.
    pub fn new(event: &proto::WebhookEvent) -> Result<Self, serde_json::Error> {
        let body = serde_json::to_vec(event)?;
        let sha256 = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(&body));
        Ok(Self {
            name: event.event.clone(),
            id: event.id.clone(),
            body: body.into(),
            sha256,
        })
    }

    /// The `Authorization` header value: a raw JWT (no `Bearer`) with `iss` = API key, the
    /// body's `sha256`, valid for five minutes. Signed per attempt so retries stay valid.
    pub fn token(&self, api_key: &str, api_secret: &str) -> Result<String, AccessTokenError> {
        AccessToken::with_api_key(api_key, api_secret)
            .with_ttl(std::time::Duration::from_secs(5 * 60))
            .with_sha256(&self.sha256)
            .to_jwt()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use livekit_api::{access_token::TokenVerifier, webhooks::WebhookReceiver};

    fn room() -> proto::Room {
        proto::Room {
            sid: "RM_abc".into(),
            name: "r".into(),
            creation_time: 1_700_000_000,
            ..Default::default()
        }
    }

    #[test]
    fn encoded_events_verify_with_livekits_receiver() {
        let participant = proto::ParticipantInfo {
            sid: "PA_1".into(),
            identity: "alice".into(),
            metadata: "secret plans".into(),
            ..Default::default()
        };
        let track = proto::TrackInfo {
            sid: "TR_1".into(),
            r#type: proto::TrackType::Video as i32,
            ..Default::default()
        };
        let ev = track_published(room(), &participant, track);
        let encoded = EncodedEvent::new(&ev).unwrap();
        let token = encoded.token("key", "secret").unwrap();

        let receiver = WebhookReceiver::new(TokenVerifier::with_api_key("key", "secret"));
        let body = std::str::from_utf8(&encoded.body).unwrap();
        let got = receiver.receive(body, &token).unwrap();
        assert_eq!(got, ev);
        assert_eq!(
            got.participant.unwrap().metadata,
            "",
            "track events carry sid and identity only"
        );

        let json: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(json["event"], "track_published");
        assert_eq!(
            json["createdAt"],
            ev.created_at.to_string(),
            "int64 as a string of seconds"
        );
        assert_eq!(json["room"]["creationTime"], "1700000000");
        assert_eq!(json["track"]["type"], "VIDEO");
        assert!(json["id"].as_str().unwrap().starts_with("EV_"));
        assert_eq!(json["id"].as_str().unwrap().len(), 15);

        let wrong = WebhookReceiver::new(TokenVerifier::with_api_key("key", "other"));
        assert!(wrong.receive(body, &token).is_err());
        assert!(
            receiver
                .receive(&body.replace("VIDEO", "AUDIO"), &token)
                .is_err()
        );
    }

    #[test]
    fn unknown_enum_numbers_are_refused() {
        let participant = proto::ParticipantInfo {
            kind: 99,
            ..Default::default()
        };
        assert!(EncodedEvent::new(&participant_joined(room(), participant)).is_err());
    }
}
