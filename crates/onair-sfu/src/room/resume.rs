//! Resume: a participant whose signal connection dropped without a leave stays in its room —
//! same sid, tracks and subscriptions, nobody told anything — for the room's departure timeout.
//! A resume (`reconnect=1&sid=PA_…`) with a token for the same identity and room reattaches it:
//! it gets `reconnect` first, then the current state of the room. When the window passes, it
//! leaves as any participant does (`SIGNAL_CLOSE`), with the usual updates and webhooks.

use std::time::Instant;

use livekit_protocol as proto;
use proto::signal_response::Message as Msg;

use super::{Participant, RoomCore, SERVER_PROTOCOL, SERVER_VERSION};
use crate::auth::JoinGrant;
use crate::ids::ParticipantSid;

/// Why a resume was refused; the client is told to rejoin from scratch (`leave{RECONNECT}`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResumeError {
    /// No such session: it left, expired, was removed, or never existed.
    #[error("no session to resume")]
    UnknownParticipant,
    /// The token is for another identity or room than the session.
    #[error("token does not match the session's identity and room")]
    Mismatch,
    /// The session missed more while detached than can be replayed to it.
    #[error("session state was lost while detached")]
    StateLost,
}

/// What this server tells clients about itself (JoinResponse and ReconnectResponse).
pub(super) fn server_info() -> proto::ServerInfo {
    proto::ServerInfo {
        edition: proto::server_info::Edition::Standard as i32,
        version: SERVER_VERSION.to_owned(),
        protocol: SERVER_PROTOCOL,
        node_id: "onair".to_owned(),
        ..Default::default()
    }
}

impl RoomCore {
    /// The participant's signal connection dropped without a leave: it is kept until its room's
    /// departure timeout passes. False if there is no such participant.
    pub fn detach(&mut self, now: Instant, sid: &ParticipantSid) -> bool {
        let Some(p) = self.participants.get(sid) else {
            return false;
        };
        let window = self
            .rooms
            .get(&p.room)
            .map(|r| r.rules.departure_timeout)
            .unwrap_or(self.defaults.departure_timeout);
        self.detached.insert(sid.clone(), now + window);
        true
    }

    /// Whether the participant is waiting for a resume.
    pub fn is_detached(&self, sid: &ParticipantSid) -> bool {
        self.detached.contains_key(sid)
    }

    /// Reattaches a session to a new signal connection whose token verified as `grant`: the
    /// identity and room must be the session's. Queues the ReconnectResponse, which must be the
    /// first message on the new connection. The session may also still be attached (a second
    /// connection replaces the first). `last_message_seq` is the last reliable data sequence
    /// received from the participant (the client resends later ones).
    pub fn resume(
        &mut self,
        sid: &ParticipantSid,
        grant: &JoinGrant,
        last_message_seq: u32,
    ) -> Result<(), ResumeError> {
        self.check_resume(sid, grant)?;
        self.detached.remove(sid);
        let reconnect = proto::ReconnectResponse {
            server_info: Some(server_info()),
            last_message_seq,
            ..Default::default()
        };
        self.signal(sid, Msg::Reconnect(reconnect));
        Ok(())
    }

    /// Whether a connection whose token verified as `grant` may resume this session.
    pub fn check_resume(&self, sid: &ParticipantSid, grant: &JoinGrant) -> Result<(), ResumeError> {
        let p = self
            .participants
            .get(sid)
            .ok_or(ResumeError::UnknownParticipant)?;
        if p.identity != grant.identity || p.room != grant.room {
            return Err(ResumeError::Mismatch);
        }
        Ok(())
    }

    /// After a resume: the current info of everyone the participant can see (itself included,
    /// its metadata or permission may have changed) and of the room.
    pub fn resync(&mut self, sid: &ParticipantSid) {
        let Some(room) = self.participants.get(sid).map(|p| p.room.clone()) else {
            return;
        };
        let participants: Vec<proto::ParticipantInfo> = self
            .members(&room)
            .filter(|p| &p.sid == sid || !p.permission.hidden)
            .map(Participant::to_proto)
            .collect();
        self.signal(sid, Msg::Update(proto::ParticipantUpdate { participants }));
        if let Some(info) = self.room_info(&room) {
            self.signal(sid, Msg::RoomUpdate(proto::RoomUpdate { room: Some(info) }));
        }
    }

    /// Participants whose resume window passed leave the room.
    pub(super) fn expire_detached(&mut self, now: Instant) {
        let expired: Vec<ParticipantSid> = self
            .detached
            .iter()
            .filter(|(_, until)| **until <= now)
            .map(|(sid, _)| sid.clone())
            .collect();
        for sid in expired {
            tracing::info!(participant = %sid, "not resumed within the departure timeout");
            self.leave(now, &sid, proto::DisconnectReason::SignalClose);
        }
    }

    /// When the next resume window ends.
    pub(super) fn next_detach_expiry(&self) -> Option<Instant> {
        self.detached.values().copied().min()
    }
}
