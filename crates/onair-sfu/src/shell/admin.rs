//! The admin API the run loop serves to RoomService (Twirp) and webhook senders.

use std::time::Instant;

use livekit_protocol as proto;
use tokio::sync::{broadcast, mpsc, oneshot};

use super::run::{Command, SfuError};
use crate::ids::{Identity, RoomName, TrackSid};
use crate::media::Engine;
use crate::room::RoomEvent;

/// A cloneable handle to a running [`super::MediaServer`].
#[derive(Debug, Clone)]
pub struct ServerHandle {
    pub(super) commands: mpsc::Sender<Command>,
    pub(super) events: broadcast::Sender<RoomEvent>,
}

/// One admin request and where its answer goes.
#[derive(Debug)]
pub(super) enum AdminCommand {
    ListRooms(oneshot::Sender<Vec<proto::Room>>),
    ListParticipants(RoomName, oneshot::Sender<Vec<proto::ParticipantInfo>>),
    RemoveParticipant(RoomName, Identity, oneshot::Sender<bool>),
    MuteTrack {
        room: RoomName,
        identity: Identity,
        track: TrackSid,
        muted: bool,
        reply: oneshot::Sender<bool>,
    },
    SendData {
        room: RoomName,
        packet: Box<proto::DataPacket>,
        reliable: bool,
        reply: oneshot::Sender<bool>,
    },
}

impl AdminCommand {
    pub(super) fn apply(self, engine: &mut Engine, now: Instant) {
        match self {
            AdminCommand::ListRooms(reply) => {
                let _ = reply.send(engine.core().rooms());
            }
            AdminCommand::ListParticipants(room, reply) => {
                let list = engine
                    .core()
                    .members(&room)
                    .filter(|p| !p.permission.hidden)
                    .map(|p| p.to_proto())
                    .collect();
                let _ = reply.send(list);
            }
            AdminCommand::RemoveParticipant(room, identity, reply) => {
                let _ = reply.send(engine.remove_participant(now, &room, &identity));
            }
            AdminCommand::MuteTrack {
                room,
                identity,
                track,
                muted,
                reply,
            } => {
                let _ = reply.send(engine.mute_track(now, &room, &identity, &track, muted));
            }
            AdminCommand::SendData {
                room,
                packet,
                reliable,
                reply,
            } => {
                let _ = reply.send(engine.send_room_data(now, &room, *packet, reliable));
            }
        }
    }
}

impl ServerHandle {
    async fn ask<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<T>) -> AdminCommand,
    ) -> Result<T, SfuError> {
        let (tx, rx) = oneshot::channel();
        self.commands
            .send(Command::Admin(make(tx)))
            .await
            .map_err(|_| SfuError::Stopped)?;
        rx.await.map_err(|_| SfuError::Stopped)
    }

    /// Every open room.
    pub async fn list_rooms(&self) -> Result<Vec<proto::Room>, SfuError> {
        self.ask(AdminCommand::ListRooms).await
    }

    /// The visible participants of a room (empty if the room does not exist).
    pub async fn list_participants(
        &self,
        room: RoomName,
    ) -> Result<Vec<proto::ParticipantInfo>, SfuError> {
        self.ask(|r| AdminCommand::ListParticipants(room, r)).await
    }

    /// Disconnects a participant; false if it is not in the room.
    pub async fn remove_participant(
        &self,
        room: RoomName,
        identity: Identity,
    ) -> Result<bool, SfuError> {
        self.ask(|r| AdminCommand::RemoveParticipant(room, identity, r))
            .await
    }

    /// Mutes or unmutes a published track (the publisher is asked to follow); false if unknown.
    pub async fn mute_track(
        &self,
        room: RoomName,
        identity: Identity,
        track: TrackSid,
        muted: bool,
    ) -> Result<bool, SfuError> {
        self.ask(|reply| AdminCommand::MuteTrack {
            room,
            identity,
            track,
            muted,
            reply,
        })
        .await
    }

    /// Sends a data packet from the server to a room (or its `destination_identities`).
    pub async fn send_data(
        &self,
        room: RoomName,
        packet: proto::DataPacket,
        reliable: bool,
    ) -> Result<bool, SfuError> {
        self.ask(|reply| AdminCommand::SendData {
            room,
            packet: Box::new(packet),
            reliable,
            reply,
        })
        .await
    }

    /// Room, participant and track lifecycle events, for webhooks. A receiver that lags behind
    /// by more than the channel's capacity loses the oldest events.
    pub fn events(&self) -> broadcast::Receiver<RoomEvent> {
        self.events.subscribe()
    }
}
