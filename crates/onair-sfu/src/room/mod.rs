//! The sans-IO room core: rooms, participants, published tracks and who is subscribed to what.
//!
//! No sockets, no tokio, no clock: every call takes `now`, and everything the core wants done is
//! queued as a [`RoomOutput`] for the caller to drain with [`RoomCore::poll_output`]. Media
//! (str0m peers) lives elsewhere; the core only says "subscribe B to track T" and the media
//! layer makes it so.

mod admin;
mod output;
mod participant;
mod quality;
mod refresh;
mod resume;
mod speakers;
#[cfg(test)]
mod tests;
mod tracks;

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use livekit_protocol as proto;
use proto::signal_response::Message as Msg;

pub use admin::ParticipantChange;
pub use output::{RoomEvent, RoomOutput};
pub use participant::{Participant, Track, TrackKind};
pub use quality::{LinkStats, STATS_INTERVAL};
pub use refresh::TokenSigner;
pub use resume::ResumeError;

use crate::auth::JoinGrant;
use crate::config::RoomDefaults;
use crate::ids::{ParticipantSid, RoomName, RoomSid, TrackSid};

/// The version clients are told this server is. JS refuses RPC below 1.8.0 and enables SVC
/// codecs only above 1.13.6, which this server does not forward yet.
pub const SERVER_VERSION: &str = "1.9.0";
/// The signalling protocol spoken (the reference server's `CurrentProtocol`). 17 keeps the Rust
/// SDK on in-band (DCEP) data channels.
pub const SERVER_PROTOCOL: i32 = 17;
/// Seconds between client pings; must be > 0 (the Rust SDK panics on 0).
pub const PING_INTERVAL_SECS: i32 = 5;
/// Seconds without any message before either side gives the connection up.
pub const PING_TIMEOUT_SECS: i32 = 15;

/// Why a join was refused after the token was accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JoinError {
    /// The room does not exist and rooms are not created on join.
    #[error("requested room does not exist")]
    RoomNotFound,
    /// The room is at its participant limit.
    #[error("room is full")]
    RoomFull,
}

/// Why an AddTrackRequest was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PublishError {
    /// The participant's grant does not allow this source.
    #[error("not allowed to publish {0:?}")]
    NotAllowed(proto::TrackSource),
    /// Track type is neither audio nor video.
    #[error("unsupported track type")]
    UnsupportedType,
    /// The participant is unknown (already left).
    #[error("unknown participant")]
    UnknownParticipant,
}

/// Per-join options the client chose in its connection URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JoinOptions {
    /// Subscribe to every track automatically (the default).
    pub auto_subscribe: bool,
    /// Data-streams protocol level (`client_protocol`).
    pub client_protocol: i32,
}

impl Default for JoinOptions {
    fn default() -> Self {
        Self {
            auto_subscribe: true,
            client_protocol: 0,
        }
    }
}

/// One room.
#[derive(Debug, Clone)]
struct Room {
    sid: RoomSid,
    name: RoomName,
    created_at_ms: i64,
    /// Participants in join order.
    members: Vec<ParticipantSid>,
    /// Since when, and why, the room has been empty; `None` while anyone is in it.
    waiting: Option<Waiting>,
    rules: RoomDefaults,
    metadata: String,
    version: u32,
}

/// An empty room's wait to close. Its deadline is computed from the room's *current* rules, so a
/// CreateRoom that shortens (or lengthens) a timeout moves the closing time of a room already
/// waiting, as LiveKit does.
#[derive(Debug, Clone, Copy)]
struct Waiting {
    since: Instant,
    /// The last participant left (departure timeout) rather than nobody having come yet
    /// (empty timeout).
    after_departure: bool,
}

impl Room {
    /// When the room closes if it stays empty.
    fn close_at(&self) -> Option<Instant> {
        self.waiting.map(|w| {
            w.since
                + if w.after_departure {
                    self.rules.departure_timeout
                } else {
                    self.rules.empty_timeout
                }
        })
    }

    fn to_proto(&self, participants: &HashMap<ParticipantSid, Participant>) -> proto::Room {
        let members = self.members.iter().filter_map(|p| participants.get(p));
        let (mut num, mut publishers) = (0, 0);
        for p in members {
            num += 1;
            if !p.tracks.is_empty() {
                publishers += 1;
            }
        }
        proto::Room {
            sid: self.sid.to_string(),
            name: self.name.to_string(),
            empty_timeout: self.rules.empty_timeout.as_secs() as u32,
            departure_timeout: self.rules.departure_timeout.as_secs() as u32,
            max_participants: self.rules.max_participants,
            creation_time: self.created_at_ms / 1000,
            creation_time_ms: self.created_at_ms,
            metadata: self.metadata.clone(),
            num_participants: num,
            num_publishers: publishers,
            version: Some(proto::TimedVersion {
                unix_micro: self.created_at_ms * 1000,
                ticks: self.version as i32,
            }),
            ..Default::default()
        }
    }
}

/// Rooms and participants of the whole server.
#[derive(Debug)]
pub struct RoomCore {
    defaults: RoomDefaults,
    auto_create: bool,
    /// A monotonic instant and the unix time (ms) it corresponds to, for timestamps in messages.
    epoch: (Instant, i64),
    rooms: BTreeMap<RoomName, Room>,
    participants: HashMap<ParticipantSid, Participant>,
    /// Who receives each track.
    subscribers: HashMap<TrackSid, HashSet<ParticipantSid>>,
    /// Which participant publishes each track.
    track_owner: HashMap<TrackSid, ParticipantSid>,
    /// Participants whose signal connection dropped, and when their resume window ends.
    detached: HashMap<ParticipantSid, Instant>,
    /// Original tokens and when each participant is next sent a refreshed one.
    refresher: refresh::Refresher,
    outputs: VecDeque<RoomOutput>,
    /// Audio levels and who each room was last told is speaking.
    speakers: speakers::Speakers,
}

impl RoomCore {
    /// An empty core. `unix_ms_at_now` anchors message timestamps to wall time.
    pub fn new(
        defaults: RoomDefaults,
        auto_create: bool,
        now: Instant,
        unix_ms_at_now: i64,
    ) -> Self {
        Self {
            defaults,
            auto_create,
            epoch: (now, unix_ms_at_now),
            rooms: BTreeMap::new(),
            participants: HashMap::new(),
            subscribers: HashMap::new(),
            track_owner: HashMap::new(),
            detached: HashMap::new(),
            refresher: refresh::Refresher::default(),
            outputs: VecDeque::new(),
            speakers: speakers::Speakers::default(),
        }
    }

    /// Unix time in milliseconds at `now`.
    pub fn unix_ms(&self, now: Instant) -> i64 {
        self.epoch.1 + now.saturating_duration_since(self.epoch.0).as_millis() as i64
    }

    /// The next output to act on.
    pub fn poll_output(&mut self) -> Option<RoomOutput> {
        self.outputs.pop_front()
    }

    /// When [`RoomCore::handle_timeout`] should next run.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.rooms
            .values()
            .filter_map(Room::close_at)
            .chain(self.next_detach_expiry())
            .chain(self.refresher.next_at())
            .chain(self.speakers.poll_timeout())
            .min()
    }

    /// Closes empty rooms whose timeout passed, ends resume windows, refreshes tokens, sends
    /// speaker changes when due.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.expire_detached(now);
        self.refresh_due_tokens(now);
        self.update_speakers(now);
        let due: Vec<RoomName> = self
            .rooms
            .values()
            .filter(|r| r.members.is_empty() && r.close_at().is_some_and(|t| t <= now))
            .map(|r| r.name.clone())
            .collect();
        for name in due {
            if let Some(room) = self.rooms.remove(&name) {
                let room = room.to_proto(&self.participants);
                self.outputs
                    .push_back(RoomOutput::event(RoomEvent::RoomFinished { room }));
            }
        }
    }

    /// Creates a room explicitly (RoomService CreateRoom). Returns its info; idempotent. A new
    /// room starts with `metadata` (so `room_started` carries it). For an existing room,
    /// `rules` (when given) replace its rules — an empty room's closing time follows them,
    /// counted from when it became empty — and `metadata` (when given) replaces its metadata,
    /// which everyone in it is told.
    pub fn create_room(
        &mut self,
        now: Instant,
        name: RoomName,
        rules: Option<RoomDefaults>,
        metadata: Option<String>,
    ) -> proto::Room {
        if let Some(room) = self.rooms.get_mut(&name) {
            if let Some(new) = rules {
                room.rules = new;
            }
            match metadata {
                Some(metadata) => {
                    self.set_room_metadata(&name, metadata);
                }
                None if rules.is_some() => self.room_updated(&name),
                None => {}
            }
            return self.room_info(&name).unwrap_or_default();
        }
        let room = Room {
            sid: RoomSid::generate(),
            name: name.clone(),
            created_at_ms: self.unix_ms(now),
            members: Vec::new(),
            waiting: Some(Waiting {
                since: now,
                after_departure: false,
            }),
            rules: rules.unwrap_or(self.defaults),
            metadata: metadata.unwrap_or_default(),
            version: 0,
        };
        let info = room.to_proto(&self.participants);
        self.rooms.insert(name.clone(), room);
        self.outputs
            .push_back(RoomOutput::event(RoomEvent::RoomStarted {
                room: info.clone(),
            }));
        info
    }

    /// Announces a room's changed settings or metadata to its observers (no signal to clients).
    fn room_updated(&mut self, name: &RoomName) {
        if let Some(room) = self.room_info(name) {
            self.outputs
                .push_back(RoomOutput::event(RoomEvent::RoomUpdated { room }));
        }
    }

    /// Admits a participant. On success the JoinResponse is queued for it, others are told, and
    /// its subscriptions to existing tracks are queued.
    pub fn join(
        &mut self,
        now: Instant,
        grant: JoinGrant,
        opts: JoinOptions,
    ) -> Result<ParticipantSid, JoinError> {
        if !self.rooms.contains_key(&grant.room) {
            if !self.auto_create {
                return Err(JoinError::RoomNotFound);
            }
            self.create_room(now, grant.room.clone(), None, None);
        }
        // The same identity joining again replaces the old session (LiveKit's rule).
        let duplicate = self.rooms.get(&grant.room).and_then(|r| {
            r.members
                .iter()
                .find(|p| {
                    self.participants
                        .get(*p)
                        .is_some_and(|p| p.identity == grant.identity)
                })
                .cloned()
        });
        if let Some(old) = duplicate {
            self.leave(now, &old, proto::DisconnectReason::DuplicateIdentity);
        }
        let room = self
            .rooms
            .get_mut(&grant.room)
            .ok_or(JoinError::RoomNotFound)?;
        let max = room.rules.max_participants;
        if max > 0 && room.members.len() >= max as usize {
            return Err(JoinError::RoomFull);
        }
        let sid = ParticipantSid::generate();
        room.members.push(sid.clone());
        room.waiting = None;
        let participant = Participant {
            sid: sid.clone(),
            identity: grant.identity,
            name: grant.name,
            metadata: grant.metadata,
            attributes: grant.attributes,
            room: grant.room.clone(),
            permission: grant.permission,
            joined_at_ms: self.epoch.1
                + now.saturating_duration_since(self.epoch.0).as_millis() as i64,
            version: 1,
            tracks: Vec::new(),
            state: proto::participant_info::State::Joined,
            quality: Default::default(),
            auto_subscribe: opts.auto_subscribe,
            client_protocol: opts.client_protocol,
        };
        let info = participant.to_proto();
        self.participants.insert(sid.clone(), participant);

        let others: Vec<proto::ParticipantInfo> = self
            .members(&grant.room)
            .filter(|p| p.sid != sid && !p.permission.hidden)
            .map(Participant::to_proto)
            .collect();
        let join = proto::JoinResponse {
            room: self.room_info(&grant.room),
            participant: Some(info.clone()),
            other_participants: others,
            server_version: SERVER_VERSION.to_owned(),
            server_info: Some(resume::server_info()),
            subscriber_primary: false,
            ping_interval: PING_INTERVAL_SECS,
            ping_timeout: PING_TIMEOUT_SECS,
            ..Default::default()
        };
        self.signal(&sid, Msg::Join(join));
        self.broadcast_participant(&sid);
        self.outputs
            .push_back(RoomOutput::event(RoomEvent::ParticipantJoined {
                room: grant.room.clone(),
                participant: info,
            }));
        // Subscribe the newcomer to every track that already carries media.
        let existing: Vec<(ParticipantSid, TrackSid, TrackKind, String)> = self
            .members(&grant.room)
            .filter(|p| p.sid != sid)
            .flat_map(|p| {
                p.tracks.iter().filter_map(|t| {
                    t.mid
                        .clone()
                        .map(|mid| (p.sid.clone(), t.sid.clone(), t.kind, mid))
                })
            })
            .collect();
        if self.wants_auto_subscribe(&sid) {
            for (publisher, track, kind, mid) in existing {
                self.subscribe(&sid, publisher, track, kind, mid);
            }
        }
        Ok(sid)
    }

    /// Removes a participant: its tracks go away for everyone, it gets a leave, others an update.
    pub fn leave(&mut self, now: Instant, sid: &ParticipantSid, reason: proto::DisconnectReason) {
        let Some(mut participant) = self.participants.remove(sid) else {
            return;
        };
        self.detached.remove(sid);
        self.refresher.forget(sid);
        for track in &participant.tracks {
            self.unsubscribe_all(&track.sid);
            self.track_owner.remove(&track.sid);
        }
        for subs in self.subscribers.values_mut() {
            subs.remove(sid);
        }
        participant.version += 1;
        participant.state = proto::participant_info::State::Disconnected;
        let mut info = participant.to_proto();
        info.disconnect_reason = reason as i32;
        let room_name = participant.room.clone();
        if let Some(room) = self.rooms.get_mut(&room_name) {
            room.members.retain(|p| p != sid);
            if room.members.is_empty() {
                room.waiting = Some(Waiting {
                    since: now,
                    after_departure: true,
                });
            }
        }
        if !participant.permission.hidden {
            let to: Vec<ParticipantSid> = self.members(&room_name).map(|p| p.sid.clone()).collect();
            for to in to {
                self.signal(
                    &to,
                    Msg::Update(proto::ParticipantUpdate {
                        participants: vec![info.clone()],
                    }),
                );
            }
        }
        self.outputs.push_back(RoomOutput::Disconnect {
            participant: sid.clone(),
            reason,
        });
        // Its tracks end with it (LiveKit sends track_unpublished for each before
        // participant_left).
        for track in &participant.tracks {
            self.outputs
                .push_back(RoomOutput::event(RoomEvent::TrackUnpublished {
                    room: room_name.clone(),
                    participant: info.clone(),
                    track: track.to_proto(),
                }));
        }
        self.outputs
            .push_back(RoomOutput::event(RoomEvent::ParticipantLeft {
                room: room_name,
                participant: info,
            }));
    }

    /// Closes every room: each participant gets a leave (server shutdown).
    pub fn shutdown(&mut self, now: Instant) {
        let all: Vec<ParticipantSid> = self.participants.keys().cloned().collect();
        for p in all {
            self.leave(now, &p, proto::DisconnectReason::ServerShutdown);
        }
        let names: Vec<RoomName> = self.rooms.keys().cloned().collect();
        for name in names {
            if let Some(room) = self.rooms.remove(&name) {
                let room = room.to_proto(&self.participants);
                self.outputs
                    .push_back(RoomOutput::event(RoomEvent::RoomFinished { room }));
            }
        }
    }

    /// A participant by sid.
    pub fn participant(&self, sid: &ParticipantSid) -> Option<&Participant> {
        self.participants.get(sid)
    }

    /// Participants of a room in join order.
    pub fn members<'a>(&'a self, room: &RoomName) -> impl Iterator<Item = &'a Participant> + 'a {
        self.rooms
            .get(room)
            .map(|r| r.members.as_slice())
            .unwrap_or_default()
            .iter()
            .filter_map(|p| self.participants.get(p))
    }

    /// A room's info.
    pub fn room_info(&self, room: &RoomName) -> Option<proto::Room> {
        self.rooms.get(room).map(|r| r.to_proto(&self.participants))
    }

    /// Every room's info, by name.
    pub fn rooms(&self) -> Vec<proto::Room> {
        self.rooms
            .values()
            .map(|r| r.to_proto(&self.participants))
            .collect()
    }

    /// Who currently receives a track.
    pub fn subscribers_of(&self, track: &TrackSid) -> impl Iterator<Item = &ParticipantSid> {
        self.subscribers.get(track).into_iter().flatten()
    }

    fn signal(&mut self, to: &ParticipantSid, message: Msg) {
        self.outputs.push_back(RoomOutput::Signal {
            to: to.clone(),
            message: Box::new(message),
        });
    }

    /// Sends the participant's current info to everyone in its room (itself included, which is
    /// how clients learn their own permission and track changes). Hidden participants are only
    /// told about themselves.
    fn broadcast_participant(&mut self, sid: &ParticipantSid) {
        let Some(p) = self.participants.get(sid) else {
            return;
        };
        let info = p.to_proto();
        let hidden = p.permission.hidden;
        let room = p.room.clone();
        let to: Vec<ParticipantSid> = if hidden {
            vec![sid.clone()]
        } else {
            self.members(&room).map(|m| m.sid.clone()).collect()
        };
        for to in to {
            self.signal(
                &to,
                Msg::Update(proto::ParticipantUpdate {
                    participants: vec![info.clone()],
                }),
            );
        }
    }

    /// Default room rules (for rooms created by join).
    pub fn defaults(&self) -> RoomDefaults {
        self.defaults
    }

    /// Longest time an empty room may stay open, for tests and callers that need a bound.
    pub fn max_close_delay(&self) -> Duration {
        self.defaults
            .empty_timeout
            .max(self.defaults.departure_timeout)
    }
}
