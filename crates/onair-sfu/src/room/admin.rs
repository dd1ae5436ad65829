//! Server-side operations on rooms and participants: what LiveKit's RoomService asks of a room.

use std::collections::HashMap;
use std::time::Instant;

use livekit_protocol as proto;
use proto::signal_response::Message as Msg;

use super::{RoomCore, RoomEvent, RoomOutput};
use crate::auth::Permission;
use crate::ids::{Identity, ParticipantSid, RoomName, TrackSid};

/// Changes to a participant; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParticipantChange {
    /// New display name.
    pub name: Option<String>,
    /// New metadata.
    pub metadata: Option<String>,
    /// Attributes to set; an empty value deletes the key (LiveKit's rule).
    pub attributes: HashMap<String, String>,
    /// New permission.
    pub permission: Option<Permission>,
}

impl Permission {
    /// From the protobuf shape (RoomService UpdateParticipant).
    pub fn from_proto(p: &proto::ParticipantPermission) -> Self {
        Permission {
            can_subscribe: p.can_subscribe,
            can_publish: p.can_publish,
            can_publish_data: p.can_publish_data,
            can_publish_sources: p
                .can_publish_sources
                .iter()
                .map(|s| proto::TrackSource::try_from(*s).unwrap_or(proto::TrackSource::Unknown))
                .collect(),
            hidden: p.hidden,
            can_update_metadata: p.can_update_metadata,
        }
    }
}

impl RoomCore {
    /// The participant of `room` with this identity.
    pub fn find(&self, room: &RoomName, identity: &Identity) -> Option<ParticipantSid> {
        self.members(room)
            .find(|p| &p.identity == identity)
            .map(|p| p.sid.clone())
    }

    /// Sets a room's metadata and tells everyone in it.
    pub fn set_room_metadata(&mut self, room: &RoomName, metadata: String) -> Option<proto::Room> {
        let r = self.rooms.get_mut(room)?;
        r.metadata = metadata;
        r.version += 1;
        let info = self.room_info(room)?;
        let to: Vec<ParticipantSid> = self.members(room).map(|p| p.sid.clone()).collect();
        for p in to {
            self.signal(
                &p,
                Msg::RoomUpdate(proto::RoomUpdate {
                    room: Some(info.clone()),
                }),
            );
        }
        self.room_updated(room);
        Some(info)
    }

    /// Closes a room now: everyone in it gets a leave (ROOM_DELETED).
    pub fn delete_room(&mut self, now: Instant, room: &RoomName) -> bool {
        if !self.rooms.contains_key(room) {
            return false;
        }
        let members: Vec<ParticipantSid> = self.members(room).map(|p| p.sid.clone()).collect();
        for p in members {
            self.leave(now, &p, proto::DisconnectReason::RoomDeleted);
        }
        if let Some(r) = self.rooms.remove(room) {
            let room = r.to_proto(&self.participants);
            self.outputs
                .push_back(RoomOutput::event(RoomEvent::RoomFinished { room }));
        }
        true
    }

    /// Changes a participant's name, metadata, attributes or permission; everyone is told.
    /// Tracks the new permission no longer allows are unpublished.
    pub fn update_participant(
        &mut self,
        sid: &ParticipantSid,
        change: ParticipantChange,
    ) -> Option<proto::ParticipantInfo> {
        let p = self.participants.get_mut(sid)?;
        if let Some(name) = change.name {
            p.name = name;
        }
        if let Some(metadata) = change.metadata {
            p.metadata = metadata;
        }
        for (k, v) in change.attributes {
            if v.is_empty() {
                p.attributes.remove(&k);
            } else {
                p.attributes.insert(k, v);
            }
        }
        let mut revoked = Vec::new();
        if let Some(permission) = change.permission {
            revoked = p
                .tracks
                .iter()
                .filter(|t| !permission.allows_source(t.source))
                .map(|t| t.sid.clone())
                .collect();
            p.permission = permission;
        }
        p.version += 1;
        for track in &revoked {
            self.unpublish(sid, track);
        }
        self.broadcast_participant(sid);
        self.participant(sid).map(|p| p.to_proto())
    }

    /// Server-side mute; the track's new info, or `None` if unknown.
    pub fn mute_track(
        &mut self,
        sid: &ParticipantSid,
        track: &TrackSid,
        muted: bool,
    ) -> Option<proto::TrackInfo> {
        if !self.set_muted(sid, track, muted) {
            return None;
        }
        self.participant(sid)?.track(track).map(|t| t.to_proto())
    }
}
