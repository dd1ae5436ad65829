//! Shared test fixtures: an in-memory `RoomBackend` standing in for the SFU's room state, the
//! real RoomService router on a loopback port, and token helpers.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use hmac::{Hmac, Mac};
use livekit_api::services::room::RoomClient;
use livekit_api::services::{ServerError, ServerErrorCode, ServiceError};
use livekit_protocol as proto;
use onair_control::{ApiKeys, Missing, RoomBackend, RoomError};
use sha2::Sha256;

pub const KEY: &str = "APItestkey";
pub const SECRET: &str = "test-secret-that-is-long-enough-for-hs256";

/// Rooms and participants in a mutex. Participants join over signalling in the real server;
/// tests add them with [`MemoryRooms::join`].
#[derive(Clone, Default)]
pub struct MemoryRooms {
    state: Arc<Mutex<State>>,
}

#[derive(Default)]
pub struct State {
    pub rooms: BTreeMap<String, RoomEntry>,
    pub next_sid: u32,
    /// Every SendData and UpdateSubscriptions the backend received, for assertions.
    pub sent_data: Vec<proto::SendDataRequest>,
    pub subscriptions: Vec<proto::UpdateSubscriptionsRequest>,
    /// Makes `list_rooms` slow, to exercise `X-Twirp-Timeout-Ms`.
    pub list_delay: Duration,
}

pub struct RoomEntry {
    pub room: proto::Room,
    pub participants: BTreeMap<String, proto::ParticipantInfo>,
}

impl MemoryRooms {
    pub fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.state.lock().unwrap())
    }

    /// A participant joins `room` with one published track per entry of `tracks`.
    pub fn join(&self, room: &str, identity: &str, tracks: &[&str]) -> proto::ParticipantInfo {
        self.with(|s| {
            s.next_sid += 1;
            let sid = s.next_sid;
            let entry = s.rooms.get_mut(room).expect("room exists");
            let info = proto::ParticipantInfo {
                sid: format!("PA_{sid}"),
                identity: identity.into(),
                state: proto::participant_info::State::Active as i32,
                tracks: tracks
                    .iter()
                    .map(|t| proto::TrackInfo {
                        sid: (*t).into(),
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            };
            entry.participants.insert(identity.into(), info.clone());
            entry.room.num_participants = entry.participants.len() as u32;
            info
        })
    }

    fn room<'a>(s: &'a mut State, name: &str) -> Result<&'a mut RoomEntry, RoomError> {
        s.rooms
            .get_mut(name)
            .ok_or(RoomError::not_found(Missing::Room))
    }

    fn participant<'a>(
        s: &'a mut State,
        room: &str,
        identity: &str,
    ) -> Result<&'a mut proto::ParticipantInfo, RoomError> {
        Self::room(s, room)?
            .participants
            .get_mut(identity)
            .ok_or(RoomError::not_found(Missing::Participant))
    }
}

impl RoomBackend for MemoryRooms {
    async fn create_room(&self, req: proto::CreateRoomRequest) -> Result<proto::Room, RoomError> {
        self.with(|s| {
            s.next_sid += 1;
            let sid = s.next_sid;
            let entry = s
                .rooms
                .entry(req.name.clone())
                .or_insert_with(|| RoomEntry {
                    room: proto::Room {
                        sid: format!("RM_{sid}"),
                        name: req.name.clone(),
                        empty_timeout: 300,
                        departure_timeout: 20,
                        creation_time: 1_700_000_000,
                        creation_time_ms: 1_700_000_000_000,
                        ..Default::default()
                    },
                    participants: BTreeMap::new(),
                });
            let room = &mut entry.room;
            if req.empty_timeout != 0 {
                room.empty_timeout = req.empty_timeout;
            }
            if req.departure_timeout != 0 {
                room.departure_timeout = req.departure_timeout;
            }
            if req.max_participants != 0 {
                room.max_participants = req.max_participants;
            }
            if !req.metadata.is_empty() {
                room.metadata = req.metadata;
            }
            Ok(room.clone())
        })
    }

    async fn list_rooms(
        &self,
        req: proto::ListRoomsRequest,
    ) -> Result<Vec<proto::Room>, RoomError> {
        let delay = self.with(|s| s.list_delay);
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        self.with(|s| {
            Ok(s.rooms
                .values()
                .filter(|e| req.names.is_empty() || req.names.contains(&e.room.name))
                .map(|e| e.room.clone())
                .collect())
        })
    }

    async fn delete_room(&self, req: proto::DeleteRoomRequest) -> Result<(), RoomError> {
        self.with(|s| {
            s.rooms
                .remove(&req.room)
                .map(drop)
                .ok_or(RoomError::not_found(Missing::Room))
        })
    }

    async fn list_participants(
        &self,
        req: proto::ListParticipantsRequest,
    ) -> Result<Vec<proto::ParticipantInfo>, RoomError> {
        self.with(|s| {
            Ok(Self::room(s, &req.room)?
                .participants
                .values()
                .cloned()
                .collect())
        })
    }

    async fn get_participant(
        &self,
        req: proto::RoomParticipantIdentity,
    ) -> Result<proto::ParticipantInfo, RoomError> {
        self.with(|s| Self::participant(s, &req.room, &req.identity).map(|p| p.clone()))
    }

    async fn remove_participant(
        &self,
        req: proto::RoomParticipantIdentity,
    ) -> Result<(), RoomError> {
        self.with(|s| {
            let entry = Self::room(s, &req.room)?;
            entry
                .participants
                .remove(&req.identity)
                .ok_or(RoomError::not_found(Missing::Participant))?;
            entry.room.num_participants = entry.participants.len() as u32;
            Ok(())
        })
    }

    async fn mute_published_track(
        &self,
        req: proto::MuteRoomTrackRequest,
    ) -> Result<proto::TrackInfo, RoomError> {
        self.with(|s| {
            let p = Self::participant(s, &req.room, &req.identity)?;
            let track = p
                .tracks
                .iter_mut()
                .find(|t| t.sid == req.track_sid)
                .ok_or(RoomError::not_found(Missing::Track))?;
            track.muted = req.muted;
            Ok(track.clone())
        })
    }

    async fn update_participant(
        &self,
        req: proto::UpdateParticipantRequest,
    ) -> Result<proto::ParticipantInfo, RoomError> {
        self.with(|s| {
            let p = Self::participant(s, &req.room, &req.identity)?;
            if !req.metadata.is_empty() {
                p.metadata = req.metadata;
            }
            if !req.name.is_empty() {
                p.name = req.name;
            }
            for (k, v) in req.attributes {
                if v.is_empty() {
                    p.attributes.remove(&k);
                } else {
                    p.attributes.insert(k, v);
                }
            }
            if req.permission.is_some() {
                p.permission = req.permission;
            }
            p.version += 1;
            Ok(p.clone())
        })
    }

    async fn update_subscriptions(
        &self,
        req: proto::UpdateSubscriptionsRequest,
    ) -> Result<(), RoomError> {
        self.with(|s| {
            Self::participant(s, &req.room, &req.identity)?;
            s.subscriptions.push(req);
            Ok(())
        })
    }

    async fn send_data(&self, req: proto::SendDataRequest) -> Result<(), RoomError> {
        self.with(|s| {
            Self::room(s, &req.room)?;
            s.sent_data.push(req);
            Ok(())
        })
    }

    async fn update_room_metadata(
        &self,
        req: proto::UpdateRoomMetadataRequest,
    ) -> Result<proto::Room, RoomError> {
        self.with(|s| {
            let entry = Self::room(s, &req.room)?;
            entry.room.metadata = req.metadata;
            Ok(entry.room.clone())
        })
    }
}

/// The real router on 127.0.0.1, port 0. Returns `http://127.0.0.1:<port>`.
pub async fn spawn(backend: MemoryRooms) -> String {
    let app = onair_control::router(backend, ApiKeys::new([(KEY, SECRET), ("second", "other")]));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

/// An HS256 JWT over arbitrary claims, for tokens the SDK builders cannot make (no `exp`,
/// expired, Node-style header without `typ`).
pub fn sign_jwt(header: serde_json::Value, claims: serde_json::Value, secret: &str) -> String {
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let signing_input = format!(
        "{}.{}",
        b64.encode(header.to_string()),
        b64.encode(claims.to_string())
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(signing_input.as_bytes());
    format!(
        "{signing_input}.{}",
        b64.encode(mac.finalize().into_bytes())
    )
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// LiveKit's Rust client against a fresh server, signing with the test key. Every call is
/// bounded by the client's request timeout.
pub async fn client() -> (RoomClient, MemoryRooms, String) {
    let backend = MemoryRooms::default();
    let host = spawn(backend.clone()).await;
    let client = RoomClient::with_api_key(&host, KEY, SECRET)
        .with_failover(false)
        .with_request_timeout(Duration::from_secs(10));
    (client, backend, host)
}

/// The Twirp error the client surfaced, or a panic naming what came back instead.
pub fn twirp<T: std::fmt::Debug>(result: Result<T, ServiceError>) -> ServerErrorCode {
    match result {
        Err(ServiceError::Twirp(ServerError::Twirp(code))) => code,
        other => panic!("expected a Twirp error, got {other:?}"),
    }
}
