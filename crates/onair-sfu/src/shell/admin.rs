//! The admin API the run loop serves to RoomService (Twirp) and webhook senders.

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use livekit_protocol as proto;
use tokio::sync::{broadcast, mpsc, oneshot};

use super::run::{Command, SfuError};
use crate::config::RoomDefaults;
use crate::ids::{Identity, RoomName, TrackSid};
use crate::media::Engine;
use crate::revocation::Revocations;
use crate::room::{ParticipantChange, RoomEvent};

/// A cloneable handle to a running [`super::MediaServer`].
#[derive(Debug, Clone)]
pub struct ServerHandle {
    pub(super) commands: mpsc::Sender<Command>,
    pub(super) events: broadcast::Sender<RoomEvent>,
    /// Read by the signalling endpoints' token check; written here.
    pub(super) revocations: Arc<Revocations>,
}

/// An operation run by the loop against the engine at `now`.
type AdminOp = Box<dyn FnOnce(&mut Engine, Instant) + Send>;

/// One admin request, run by the loop against the engine; it carries its own reply channel.
pub(super) struct AdminCommand(AdminOp);

impl fmt::Debug for AdminCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AdminCommand")
    }
}

impl AdminCommand {
    pub(super) fn apply(self, engine: &mut Engine, now: Instant) {
        (self.0)(engine, now);
    }
}

impl ServerHandle {
    async fn ask<T: Send + 'static>(
        &self,
        op: impl FnOnce(&mut Engine, Instant) -> T + Send + 'static,
    ) -> Result<T, SfuError> {
        let (tx, rx) = oneshot::channel();
        let command = AdminCommand(Box::new(move |engine, now| {
            let _ = tx.send(op(engine, now));
        }));
        self.commands
            .send(Command::Admin(command))
            .await
            .map_err(|_| SfuError::Stopped)?;
        rx.await.map_err(|_| SfuError::Stopped)
    }

    /// Creates a room (idempotent); `rules` default to the server's.
    pub async fn create_room(
        &self,
        room: RoomName,
        rules: Option<RoomDefaults>,
        metadata: Option<String>,
    ) -> Result<proto::Room, SfuError> {
        self.ask(move |e, now| e.create_room(now, room, rules, metadata))
            .await
    }

    /// Every open room.
    pub async fn list_rooms(&self) -> Result<Vec<proto::Room>, SfuError> {
        self.ask(|e, _| e.core().rooms()).await
    }

    /// One room; `None` if there is no such room.
    pub async fn room(&self, room: RoomName) -> Result<Option<proto::Room>, SfuError> {
        self.ask(move |e, _| e.core().room_info(&room)).await
    }

    /// Closes a room, disconnecting everyone; `false` if there is no such room.
    pub async fn delete_room(&self, room: RoomName) -> Result<bool, SfuError> {
        self.ask(move |e, now| e.delete_room(now, &room)).await
    }

    /// The visible participants of a room (empty if the room does not exist).
    pub async fn list_participants(
        &self,
        room: RoomName,
    ) -> Result<Vec<proto::ParticipantInfo>, SfuError> {
        self.ask(move |e, _| {
            e.core()
                .members(&room)
                .filter(|p| !p.permission.hidden)
                .map(|p| p.to_proto())
                .collect()
        })
        .await
    }

    /// One participant; `None` if it is not in the room.
    pub async fn get_participant(
        &self,
        room: RoomName,
        identity: Identity,
    ) -> Result<Option<proto::ParticipantInfo>, SfuError> {
        self.ask(move |e, _| e.get_participant(&room, &identity))
            .await
    }

    /// Disconnects a participant; `false` if it is not in the room.
    pub async fn remove_participant(
        &self,
        room: RoomName,
        identity: Identity,
    ) -> Result<bool, SfuError> {
        self.ask(move |e, now| e.remove_participant(now, &room, &identity))
            .await
    }

    /// Refuses, from now on, tokens of `identity` for `room` whose `nbf` is before `not_before`
    /// (Unix seconds), whether or not the participant is connected.
    pub fn revoke_tokens(&self, room: RoomName, identity: Identity, not_before: u64) {
        self.revocations
            .revoke(room, identity, not_before, crate::auth::unix_now());
    }

    /// Mutes or unmutes a published track (the publisher is asked to follow); `None` if unknown.
    pub async fn mute_track(
        &self,
        room: RoomName,
        identity: Identity,
        track: TrackSid,
        muted: bool,
    ) -> Result<Option<proto::TrackInfo>, SfuError> {
        self.ask(move |e, now| e.mute_track(now, &room, &identity, &track, muted))
            .await
    }

    /// Changes a participant's name, metadata, attributes or permission; `None` if unknown.
    pub async fn update_participant(
        &self,
        room: RoomName,
        identity: Identity,
        change: ParticipantChange,
    ) -> Result<Option<proto::ParticipantInfo>, SfuError> {
        self.ask(move |e, now| e.update_participant(now, &room, &identity, change))
            .await
    }

    /// Subscribes or unsubscribes a participant to tracks; `false` if it is not in the room.
    pub async fn update_subscriptions(
        &self,
        room: RoomName,
        identity: Identity,
        tracks: Vec<TrackSid>,
        subscribe: bool,
    ) -> Result<bool, SfuError> {
        self.ask(move |e, now| e.update_subscriptions(now, &room, &identity, &tracks, subscribe))
            .await
    }

    /// Sets a room's metadata; `None` if there is no such room.
    pub async fn update_room_metadata(
        &self,
        room: RoomName,
        metadata: String,
    ) -> Result<Option<proto::Room>, SfuError> {
        self.ask(move |e, now| e.set_room_metadata(now, &room, metadata))
            .await
    }

    /// Sends a data packet from the server to a room (or its `destination_identities`); `false`
    /// if nobody was there to receive it.
    pub async fn send_data(
        &self,
        room: RoomName,
        packet: proto::DataPacket,
        reliable: bool,
    ) -> Result<bool, SfuError> {
        self.ask(move |e, now| e.send_room_data(now, &room, packet, reliable))
            .await
    }

    /// Room, participant and track lifecycle events, for webhooks. A receiver that lags behind
    /// by more than the channel's capacity loses the oldest events (`RecvError::Lagged`).
    pub fn events(&self) -> broadcast::Receiver<RoomEvent> {
        self.events.subscribe()
    }
}
