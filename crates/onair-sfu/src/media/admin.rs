//! Server-side operations (RoomService): each keeps the room core and the peers in step.

use std::time::Instant;

use livekit_protocol as proto;
use proto::signal_response::Message as Msg;

use super::{Engine, EngineOutput};
use crate::config::RoomDefaults;
use crate::ids::{Identity, RoomName, TrackSid};
use crate::room::ParticipantChange;

impl Engine {
    /// Creates a room (idempotent) with its rules and metadata.
    pub fn create_room(
        &mut self,
        now: Instant,
        name: RoomName,
        rules: Option<RoomDefaults>,
        metadata: Option<String>,
    ) -> proto::Room {
        let room = self.core.create_room(now, name, rules, metadata);
        self.pump(now);
        room
    }

    /// Closes a room and disconnects everyone in it; false if there is no such room.
    pub fn delete_room(&mut self, now: Instant, room: &RoomName) -> bool {
        let deleted = self.core.delete_room(now, room);
        self.pump(now);
        deleted
    }

    /// One participant's info.
    pub fn get_participant(
        &self,
        room: &RoomName,
        identity: &Identity,
    ) -> Option<proto::ParticipantInfo> {
        let sid = self.core.find(room, identity)?;
        self.core.participant(&sid).map(|p| p.to_proto())
    }

    /// Updates name/metadata/attributes/permission; the peer follows a permission change at once
    /// (media and data from it stop being accepted when revoked).
    pub fn update_participant(
        &mut self,
        now: Instant,
        room: &RoomName,
        identity: &Identity,
        change: ParticipantChange,
    ) -> Option<proto::ParticipantInfo> {
        let sid = self.core.find(room, identity)?;
        let permission_changed = change.permission.is_some();
        let info = self.core.update_participant(&sid, change);
        if let (Some(p), Some(peer)) = (self.core.participant(&sid), self.peers.get_mut(&sid)) {
            peer.can_publish = p.permission.can_publish;
            peer.can_publish_data = p.permission.can_publish_data;
        }
        // The client's stored token should grant what it now may do (a rejoin uses it).
        if permission_changed {
            self.core.refresh_token_now(now, &sid);
        }
        self.pump(now);
        info
    }

    /// Subscribes or unsubscribes a participant to tracks; false if it is not in the room.
    pub fn update_subscriptions(
        &mut self,
        now: Instant,
        room: &RoomName,
        identity: &Identity,
        tracks: &[TrackSid],
        subscribe: bool,
    ) -> bool {
        let Some(sid) = self.core.find(room, identity) else {
            return false;
        };
        self.core.update_subscription(&sid, tracks, subscribe);
        self.pump(now);
        true
    }

    /// Sets a room's metadata (everyone in it gets a room update).
    pub fn set_room_metadata(
        &mut self,
        now: Instant,
        room: &RoomName,
        metadata: String,
    ) -> Option<proto::Room> {
        let info = self.core.set_room_metadata(room, metadata);
        self.pump(now);
        info
    }

    /// Server-side mute: the track is marked muted and its publisher asked to follow.
    pub fn mute_track(
        &mut self,
        now: Instant,
        room: &RoomName,
        identity: &Identity,
        track: &TrackSid,
        muted: bool,
    ) -> Option<proto::TrackInfo> {
        let sid = self.core.find(room, identity)?;
        let info = self.core.mute_track(&sid, track, muted)?;
        let request = proto::MuteTrackRequest {
            sid: track.to_string(),
            muted,
        };
        self.outputs
            .push_back(EngineOutput::Signal(sid, Box::new(Msg::Mute(request))));
        self.pump(now);
        Some(info)
    }
}
