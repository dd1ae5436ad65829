//! `RoomBackend` for the embedded media server: each RoomService method as admin calls.

use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

use livekit_protocol as proto;
use onair_control::{Missing, RoomBackend, RoomError};

use crate::ServerHandle;
use crate::auth::{Permission, unix_now};
use crate::config::RoomDefaults;
use crate::ids::{Identity, RoomName, TrackSid};
use crate::revocation;
use crate::room::ParticipantChange;
use crate::shell::SfuError;

/// The RoomService backend: a [`ServerHandle`] plus the server's default room rules (what a
/// CreateRoom that leaves a field at zero gets).
#[derive(Debug, Clone)]
pub struct RoomApi {
    handle: ServerHandle,
    defaults: RoomDefaults,
}

impl RoomApi {
    /// A backend over `handle`; new rooms get `defaults` where the request leaves zeros.
    pub fn new(handle: ServerHandle, defaults: RoomDefaults) -> Self {
        Self { handle, defaults }
    }

    /// `NotFound { Room }` unless the room exists.
    async fn require_room(&self, room: &RoomName) -> Result<proto::Room, RoomError> {
        self.handle
            .room(room.clone())
            .await
            .map_err(stopped)?
            .ok_or(RoomError::not_found(Missing::Room))
    }

    /// Why an admin call on a participant found nothing: the room or the participant.
    async fn missing_participant(&self, room: &RoomName, identity: &Identity) -> RoomError {
        if let Err(e) = self.require_room(room).await {
            return e;
        }
        match self
            .handle
            .get_participant(room.clone(), identity.clone())
            .await
        {
            Ok(Some(_)) => RoomError::not_found(Missing::Track),
            Ok(None) => RoomError::not_found(Missing::Participant),
            Err(e) => stopped(e),
        }
    }
}

/// The loop is gone: the server is shutting down.
fn stopped(_: SfuError) -> RoomError {
    RoomError::Unavailable("media server is shutting down".into())
}

fn parse<T: FromStr>(argument: &str, value: &str) -> Result<T, RoomError>
where
    T::Err: std::fmt::Display,
{
    value
        .parse()
        .map_err(|e| RoomError::InvalidArgument(format!("invalid {argument}: {e}")))
}

/// A room name that cannot exist (empty) is simply not found, as in LiveKit.
fn room_name(value: &str) -> Result<RoomName, RoomError> {
    value
        .parse()
        .map_err(|_| RoomError::not_found(Missing::Room))
}

fn identity(value: &str) -> Result<Identity, RoomError> {
    value
        .parse()
        .map_err(|_| RoomError::not_found(Missing::Participant))
}

/// A non-zero request value overrides `current`.
fn seconds_or(value: u32, current: Duration) -> Duration {
    if value == 0 {
        current
    } else {
        Duration::from_secs(value.into())
    }
}

impl RoomBackend for RoomApi {
    async fn create_room(&self, req: proto::CreateRoomRequest) -> Result<proto::Room, RoomError> {
        let name = parse::<RoomName>("room name", &req.name)?;
        let current = match self.handle.room(name.clone()).await.map_err(stopped)? {
            Some(room) => RoomDefaults {
                empty_timeout: Duration::from_secs(room.empty_timeout.into()),
                departure_timeout: Duration::from_secs(room.departure_timeout.into()),
                max_participants: room.max_participants,
            },
            None => self.defaults,
        };
        let rules = RoomDefaults {
            empty_timeout: seconds_or(req.empty_timeout, current.empty_timeout),
            departure_timeout: seconds_or(req.departure_timeout, current.departure_timeout),
            max_participants: if req.max_participants == 0 {
                current.max_participants
            } else {
                req.max_participants
            },
        };
        let metadata = (!req.metadata.is_empty()).then_some(req.metadata);
        self.handle
            .create_room(name, Some(rules), metadata)
            .await
            .map_err(stopped)
    }

    async fn list_rooms(
        &self,
        req: proto::ListRoomsRequest,
    ) -> Result<Vec<proto::Room>, RoomError> {
        let mut rooms = self.handle.list_rooms().await.map_err(stopped)?;
        if !req.names.is_empty() {
            rooms.retain(|r| req.names.contains(&r.name));
        }
        rooms.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(rooms)
    }

    async fn delete_room(&self, req: proto::DeleteRoomRequest) -> Result<(), RoomError> {
        let room = room_name(&req.room)?;
        if self.handle.delete_room(room).await.map_err(stopped)? {
            Ok(())
        } else {
            Err(RoomError::not_found(Missing::Room))
        }
    }

    async fn list_participants(
        &self,
        req: proto::ListParticipantsRequest,
    ) -> Result<Vec<proto::ParticipantInfo>, RoomError> {
        let room = room_name(&req.room)?;
        self.require_room(&room).await?;
        self.handle.list_participants(room).await.map_err(stopped)
    }

    async fn get_participant(
        &self,
        req: proto::RoomParticipantIdentity,
    ) -> Result<proto::ParticipantInfo, RoomError> {
        let room = room_name(&req.room)?;
        let who = identity(&req.identity)?;
        match self.handle.get_participant(room.clone(), who.clone()).await {
            Ok(Some(p)) => Ok(p),
            Ok(None) => Err(self.missing_participant(&room, &who).await),
            Err(e) => Err(stopped(e)),
        }
    }

    async fn remove_participant(
        &self,
        req: proto::RoomParticipantIdentity,
    ) -> Result<(), RoomError> {
        let room = room_name(&req.room)?;
        let who = identity(&req.identity)?;
        // Recorded first and even for someone not connected, so a rejoin racing the removal
        // (or a client between a signal loss and its rejoin) is refused too.
        if let Some(not_before) = revocation::cutoff(req.revoke_token_ts, unix_now()) {
            self.handle
                .revoke_tokens(room.clone(), who.clone(), not_before);
        }
        match self
            .handle
            .remove_participant(room.clone(), who.clone())
            .await
        {
            Ok(true) => Ok(()),
            Ok(false) => Err(self.missing_participant(&room, &who).await),
            Err(e) => Err(stopped(e)),
        }
    }

    async fn mute_published_track(
        &self,
        req: proto::MuteRoomTrackRequest,
    ) -> Result<proto::TrackInfo, RoomError> {
        let room = room_name(&req.room)?;
        let who = identity(&req.identity)?;
        let track: TrackSid = req
            .track_sid
            .parse()
            .map_err(|_| RoomError::not_found(Missing::Track))?;
        match self
            .handle
            .mute_track(room.clone(), who.clone(), track, req.muted)
            .await
        {
            Ok(Some(track)) => Ok(track),
            Ok(None) => Err(self.missing_participant(&room, &who).await),
            Err(e) => Err(stopped(e)),
        }
    }

    async fn update_participant(
        &self,
        req: proto::UpdateParticipantRequest,
    ) -> Result<proto::ParticipantInfo, RoomError> {
        let room = room_name(&req.room)?;
        let who = identity(&req.identity)?;
        let change = ParticipantChange {
            name: (!req.name.is_empty()).then_some(req.name),
            metadata: (!req.metadata.is_empty()).then_some(req.metadata),
            attributes: req.attributes,
            permission: req.permission.as_ref().map(Permission::from_proto),
        };
        match self
            .handle
            .update_participant(room.clone(), who.clone(), change)
            .await
        {
            Ok(Some(p)) => Ok(p),
            Ok(None) => Err(self.missing_participant(&room, &who).await),
            Err(e) => Err(stopped(e)),
        }
    }

    async fn update_subscriptions(
        &self,
        req: proto::UpdateSubscriptionsRequest,
    ) -> Result<(), RoomError> {
        let room = room_name(&req.room)?;
        let who = identity(&req.identity)?;
        let tracks = req
            .track_sids
            .iter()
            .chain(req.participant_tracks.iter().flat_map(|p| &p.track_sids))
            .map(|sid| parse::<TrackSid>("track sid", sid))
            .collect::<Result<Vec<_>, _>>()?;
        match self
            .handle
            .update_subscriptions(room.clone(), who.clone(), tracks, req.subscribe)
            .await
        {
            Ok(true) => Ok(()),
            Ok(false) => Err(self.missing_participant(&room, &who).await),
            Err(e) => Err(stopped(e)),
        }
    }

    #[expect(
        deprecated,
        reason = "SDKs still send `destination_sids`; clients still read the packet's `kind` and the user packet's destinations"
    )]
    async fn send_data(&self, req: proto::SendDataRequest) -> Result<(), RoomError> {
        let room = room_name(&req.room)?;
        self.require_room(&room).await?;
        let mut destinations = req.destination_identities;
        if !req.destination_sids.is_empty() {
            // The deprecated sid form: resolve to identities (unknown sids reach nobody).
            let people = self
                .handle
                .list_participants(room.clone())
                .await
                .map_err(stopped)?;
            let by_sid: HashMap<&str, &str> = people
                .iter()
                .map(|p| (p.sid.as_str(), p.identity.as_str()))
                .collect();
            destinations.extend(
                req.destination_sids
                    .iter()
                    .filter_map(|s| by_sid.get(s.as_str()).map(|i| (*i).to_owned())),
            );
            if destinations.is_empty() {
                return Ok(());
            }
        }
        let reliable = req.kind != proto::data_packet::Kind::Lossy as i32;
        let packet = proto::DataPacket {
            kind: req.kind,
            destination_identities: destinations.clone(),
            value: Some(proto::data_packet::Value::User(proto::UserPacket {
                payload: req.data,
                destination_identities: destinations,
                topic: req.topic,
                nonce: req.nonce,
                ..Default::default()
            })),
            ..Default::default()
        };
        // `false` means nobody matched the destinations: LiveKit answers success then too.
        self.handle
            .send_data(room, packet, reliable)
            .await
            .map(|_| ())
            .map_err(stopped)
    }

    async fn update_room_metadata(
        &self,
        req: proto::UpdateRoomMetadataRequest,
    ) -> Result<proto::Room, RoomError> {
        let room = room_name(&req.room)?;
        self.handle
            .update_room_metadata(room, req.metadata)
            .await
            .map_err(stopped)?
            .ok_or(RoomError::not_found(Missing::Room))
    }
}
