//! A participant and its published tracks as the room core sees them: metadata, grants and the
//! versioned `ParticipantInfo` clients receive.

use std::collections::HashMap;

use livekit_protocol as proto;

use crate::auth::Permission;
use crate::ids::{Identity, ParticipantSid, RoomName, TrackSid};

/// Audio or video; LiveKit's DATA track type is never produced (the Rust SDK panics on it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrackKind {
    /// Opus.
    Audio,
    /// VP8 or H.264.
    Video,
}

impl TrackKind {
    fn to_proto(self) -> proto::TrackType {
        match self {
            TrackKind::Audio => proto::TrackType::Audio,
            TrackKind::Video => proto::TrackType::Video,
        }
    }
}

/// A track a participant announced with AddTrackRequest.
#[derive(Debug, Clone)]
pub struct Track {
    /// Server id, sent back in TrackPublishedResponse.
    pub sid: TrackSid,
    /// The client's id for the track: the msid track id in its offer.
    pub cid: String,
    /// Other client ids the same track may appear under (simulcast codecs).
    pub alt_cids: Vec<String>,
    /// Audio or video.
    pub kind: TrackKind,
    /// Camera, microphone, screen share…
    pub source: proto::TrackSource,
    /// Client-chosen name.
    pub name: String,
    /// Muted by the publisher (or the server).
    pub muted: bool,
    /// Announced video size.
    pub width: u32,
    /// Announced video size.
    pub height: u32,
    /// Announced simulcast layers.
    pub layers: Vec<proto::VideoLayer>,
    /// The codec, e.g. `video/VP8`.
    pub mime_type: String,
    /// The publisher-PC m-line carrying it, once its offer has been answered.
    pub mid: Option<String>,
    /// Stream name for lip-sync grouping.
    pub stream: String,
}

impl Track {
    /// The `TrackInfo` clients see.
    #[expect(deprecated, reason = "clients still read `simulcast` and `layers`")]
    pub fn to_proto(&self) -> proto::TrackInfo {
        proto::TrackInfo {
            sid: self.sid.to_string(),
            r#type: self.kind.to_proto() as i32,
            name: self.name.clone(),
            muted: self.muted,
            width: self.width,
            height: self.height,
            simulcast: self.layers.len() > 1,
            source: self.source as i32,
            layers: self.layers.clone(),
            mime_type: self.mime_type.clone(),
            mid: self.mid.clone().unwrap_or_default(),
            stream: self.stream.clone(),
            ..Default::default()
        }
    }
}

/// One participant session in a room.
#[derive(Debug, Clone)]
pub struct Participant {
    /// Session id.
    pub sid: ParticipantSid,
    /// Identity from the token.
    pub identity: Identity,
    /// Display name.
    pub name: String,
    /// Opaque metadata.
    pub metadata: String,
    /// Key/value attributes.
    pub attributes: HashMap<String, String>,
    /// The room it is in.
    pub room: RoomName,
    /// What it may do.
    pub permission: Permission,
    /// Join time, unix milliseconds.
    pub joined_at_ms: i64,
    /// Bumped on every change so clients drop stale infos.
    pub version: u32,
    /// Published tracks (the complete list is always sent).
    pub tracks: Vec<Track>,
    /// JOINED until a peer connection is up, then ACTIVE.
    pub state: proto::participant_info::State,
    /// Its connection quality as reported (see `room::quality`).
    pub quality: super::quality::Reported,
    /// Whether it wants every track without asking.
    pub auto_subscribe: bool,
    /// Data-streams protocol level the client advertised.
    pub client_protocol: i32,
}

impl Participant {
    /// The `ParticipantInfo` clients see.
    pub fn to_proto(&self) -> proto::ParticipantInfo {
        proto::ParticipantInfo {
            sid: self.sid.to_string(),
            identity: self.identity.to_string(),
            state: self.state as i32,
            tracks: self.tracks.iter().map(Track::to_proto).collect(),
            metadata: self.metadata.clone(),
            joined_at: self.joined_at_ms / 1000,
            joined_at_ms: self.joined_at_ms,
            name: self.name.clone(),
            version: self.version,
            permission: Some(self.permission.to_proto()),
            is_publisher: !self.tracks.is_empty(),
            attributes: self.attributes.clone(),
            client_protocol: self.client_protocol,
            ..Default::default()
        }
    }

    /// The track with this sid.
    pub fn track(&self, sid: &TrackSid) -> Option<&Track> {
        self.tracks.iter().find(|t| &t.sid == sid)
    }
}
