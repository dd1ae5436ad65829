//! Resume on the media side: what happens to a participant's peers while its signal connection
//! is down, and how a resume brings it back without anyone else noticing.
//!
//! While detached, media keeps flowing both ways (the peers are untouched), messages for the
//! participant are held in order (bounded), and no subscriber offer is made (nobody could answer
//! it). On resume the client gets `reconnect`, the held messages, the room's current state and a
//! refreshed token; then the server restarts ICE on the subscriber PC with a new offer, and the
//! client restarts ICE on its publisher PC with its own offer. New ICE credentials replace the
//! old ones in the ufrag demux, so a client that comes back from a new address is found again.
//! A subscriber offer that was in flight when the connection dropped is settled with the client's
//! `sync_state`: accepted with the answer the client reports if the client applied it, else
//! rolled back and made again.
//!
//! ICE restart with str0m 0.25: the server's own restart is `SdpApi::ice_restart(true)` (new
//! credentials, same host candidates) in the next subscriber offer; str0m switches to the new
//! local credentials when the answer is accepted. A client's restart needs nothing: an offer
//! whose `a=ice-ufrag` differs makes `accept_offer` pick new local credentials itself. Either
//! way the engine reads the PC's local credentials after the offer/answer and moves the ufrag
//! demux entry. The address demux keeps the old addresses (a client that moved may still send
//! from them until its new pair is nominated); they are dropped when the participant leaves.

use std::collections::VecDeque;
use std::time::Instant;

use livekit_protocol as proto;
use proto::signal_response::Message as Msg;
use str0m::change::SdpAnswer;

use super::peer::{Pc, SubChange, SubOffer};
use super::{Engine, EngineOutput, sdp};
use crate::auth::JoinGrant;
use crate::ids::{ParticipantSid, TrackSid};
use crate::room::{ResumeError, TokenSigner};

/// Messages held for a detached participant. A session that misses more than this cannot be
/// brought up to date by a replay: its resume is refused and the client rejoins from scratch.
pub const HELD_CAPACITY: usize = 256;

/// A participant's signal connection as the engine sees it.
#[derive(Debug, Default)]
pub struct SignalLink {
    /// No signal connection: outputs are held, subscriber offers wait.
    pub detached: bool,
    /// Messages produced while detached, replayed after the ReconnectResponse.
    held: VecDeque<Box<Msg>>,
    /// More than [`HELD_CAPACITY`] messages were produced while detached.
    overflowed: bool,
    /// Resumed, and the client's `sync_state` has not arrived yet.
    awaiting_sync: bool,
    /// The next subscriber offer restarts ICE.
    ice_restart: bool,
    /// A subscriber offer was in flight at the resume: the ICE restart waits until it is
    /// settled (sync state, the client's next offer, or its late answer).
    restart_after_pending: bool,
    /// Highest `sequence` of the reliable data packets received from the participant: a
    /// resuming client resends what it sent after it (`last_message_seq`).
    last_reliable_seq: u32,
}

impl SignalLink {
    /// A reliable data packet with `sequence` arrived (relayed or not): a resume must not make
    /// the client send it again.
    pub fn note_reliable(&mut self, sequence: u32) {
        self.last_reliable_seq = self.last_reliable_seq.max(sequence);
    }

    /// Whether the next subscriber offer must restart ICE (and forgets it). A restart that was
    /// waiting for an in-flight offer becomes due once that offer is settled.
    pub fn take_ice_restart(&mut self) -> bool {
        let restart = self.ice_restart || self.restart_after_pending;
        self.ice_restart = false;
        self.restart_after_pending = false;
        restart
    }
}

/// The m-lines of an SDP and whether each is stopped: enough to tell whether a client applied
/// a given offer (a client reports the last offer it applied in its sync state).
fn shape(text: &str) -> Vec<(String, bool)> {
    sdp::sections(text)
        .into_iter()
        .map(|s| (s.mid, s.port_zero))
        .collect()
}

impl Engine {
    /// Turns token refresh on (the shell does, with the server's key pair).
    pub fn set_token_signer(&mut self, signer: TokenSigner) {
        self.core.set_token_signer(signer);
    }

    /// Remembers the verified token claims a participant joined with; it is sent a refreshed
    /// token now and then periodically.
    pub fn keep_token(
        &mut self,
        now: Instant,
        sid: &ParticipantSid,
        claims: livekit_api::access_token::Claims,
    ) {
        self.core.keep_token(now, sid, claims);
        self.pump(now);
    }

    /// Holds a signal message for a detached participant; returns every other output.
    pub(super) fn hold_if_detached(&mut self, out: EngineOutput) -> Option<EngineOutput> {
        let EngineOutput::Signal(to, message) = out else {
            return Some(out);
        };
        let Some(link) = self.peers.get_mut(&to).map(|p| &mut p.signal) else {
            return Some(EngineOutput::Signal(to, message));
        };
        if !link.detached {
            return Some(EngineOutput::Signal(to, message));
        }
        if link.held.len() < HELD_CAPACITY {
            link.held.push_back(message);
        } else if !link.overflowed {
            link.overflowed = true;
            link.held.clear();
            tracing::info!(participant = %to, "too much missed while detached; a resume will be refused");
        }
        None
    }

    /// The signal connection closed without a leave. A participant whose media connected is
    /// kept for its room's departure timeout; one that never got media through leaves now (its
    /// client cannot resume a session that never connected).
    pub(super) fn signal_closed(&mut self, now: Instant, sid: &ParticipantSid) {
        let media_up = self.peers.get(sid).is_some_and(|p| {
            p.connected || p.publisher.is_connected() || p.subscriber.is_connected()
        });
        if media_up && self.core.detach(now, sid) {
            if let Some(peer) = self.peers.get_mut(sid) {
                peer.signal.detached = true;
                peer.signal.awaiting_sync = false;
            }
            tracing::info!(participant = %sid, "signal connection lost; kept for a resume");
        } else {
            self.core
                .leave(now, sid, proto::DisconnectReason::ClientInitiated);
        }
        self.pump(now);
    }

    /// Attaches a new signal connection to an existing session (`reconnect=1&sid=…`) whose
    /// token verified as `grant`. On success the outputs start with the ReconnectResponse; on
    /// failure nothing changed for anyone, except that a session whose missed messages
    /// overflowed is removed (its client rejoins).
    pub fn resume(
        &mut self,
        now: Instant,
        sid: &ParticipantSid,
        grant: &JoinGrant,
        reason: proto::ReconnectReason,
    ) -> Result<(), ResumeError> {
        if !self.peers.contains_key(sid) {
            return Err(ResumeError::UnknownParticipant);
        }
        self.core.check_resume(sid, grant)?;
        let Some(peer) = self.peers.get_mut(sid) else {
            return Err(ResumeError::UnknownParticipant);
        };
        if peer.signal.overflowed {
            self.core
                .leave(now, sid, proto::DisconnectReason::StateMismatch);
            self.pump(now);
            return Err(ResumeError::StateLost);
        }
        tracing::info!(participant = %sid, reason = reason.as_str_name(), detached = peer.signal.detached, "resuming");
        peer.signal.detached = false;
        peer.signal.awaiting_sync = true;
        let held = std::mem::take(&mut peer.signal.held);
        let last_seq = peer.signal.last_reliable_seq;
        self.core.resume(sid, grant, last_seq)?;
        self.pump(now);
        self.outputs.extend(
            held.into_iter()
                .map(|m| EngineOutput::Signal(sid.clone(), m)),
        );
        self.core.resync(sid);
        self.core.refresh_token_now(now, sid);
        self.pump(now);
        let Some(peer) = self.peers.get_mut(sid) else {
            return Ok(());
        };
        if peer.sub_pending.is_some() {
            peer.signal.restart_after_pending = true;
        } else {
            peer.signal.ice_restart = true;
            self.negotiate_subscriber(now, sid);
        }
        Ok(())
    }

    /// The resuming client's view of its session. Only read right after a resume (elsewhere it
    /// means nothing and is ignored). Tracks it publishes that the server does not know mean
    /// the session cannot be resumed: it is told to rejoin.
    pub(super) fn sync_state(
        &mut self,
        now: Instant,
        sid: &ParticipantSid,
        state: proto::SyncState,
    ) {
        let Some(peer) = self.peers.get_mut(sid) else {
            return;
        };
        if !std::mem::take(&mut peer.signal.awaiting_sync) {
            tracing::debug!(participant = %sid, "sync state outside a resume ignored");
            return;
        }
        let known = |track: &proto::TrackPublishedResponse| {
            track
                .track
                .as_ref()
                .and_then(|t| t.sid.parse::<TrackSid>().ok())
                .is_some_and(|t| {
                    self.core
                        .participant(sid)
                        .is_some_and(|p| p.track(&t).is_some())
                })
        };
        if !state.publish_tracks.iter().all(known) {
            tracing::info!(participant = %sid, "resume with unknown published tracks; full reconnect");
            self.core
                .leave(now, sid, proto::DisconnectReason::StateMismatch);
            self.pump(now);
            return;
        }
        if let Some(sub) = &state.subscription {
            let tracks: Vec<TrackSid> = sub
                .track_sids
                .iter()
                .chain(sub.participant_tracks.iter().flat_map(|p| &p.track_sids))
                .filter_map(|t| t.parse().ok())
                .collect();
            self.core.update_subscription(sid, &tracks, sub.subscribe);
        }
        if !state.track_sids_disabled.is_empty() {
            let disabled = proto::UpdateTrackSettings {
                track_sids: state.track_sids_disabled.clone(),
                disabled: true,
                ..Default::default()
            };
            self.track_settings(now, sid, &disabled);
        }
        let applied = match (&state.offer, &state.answer) {
            (Some(offer), Some(answer)) => Some((offer.sdp.as_str(), answer.sdp.as_str())),
            _ => None,
        };
        self.settle_lost_offer(now, sid, applied);
        self.pump(now);
    }

    /// Settles a subscriber offer that was in flight when the signal connection dropped, then
    /// makes the ICE restart offer that waited for it. `applied` is the last offer the client
    /// applied and its answer (from its sync state): if that is our offer, the answer is taken;
    /// otherwise the offer is rolled back and its changes queued again.
    pub(super) fn settle_lost_offer(
        &mut self,
        now: Instant,
        sid: &ParticipantSid,
        applied: Option<(&str, &str)>,
    ) {
        let Some(peer) = self.peers.get_mut(sid) else {
            return;
        };
        if !peer.signal.restart_after_pending {
            return;
        }
        let Some(offer) = peer.sub_pending.take() else {
            self.negotiate_subscriber(now, sid);
            return;
        };
        let answer = applied
            .filter(|(client_offer, _)| shape(client_offer) == shape(&offer.sdp))
            .and_then(|(_, answer)| SdpAnswer::from_sdp_string(answer).ok());
        let SubOffer {
            pending,
            added,
            stopped,
            first,
            ..
        } = offer;
        let accepted = answer.is_some_and(|answer| {
            peer.subscriber
                .sdp_api()
                .accept_answer(pending, answer)
                .is_ok()
        });
        if accepted {
            for track in &added {
                if let Some(sub) = peer.subscriptions.get_mut(track) {
                    sub.live = true;
                }
            }
            tracing::debug!(participant = %sid, "in-flight subscriber offer settled by the sync state");
        } else {
            // Rolled back: nothing of it reached the session; make the same changes again.
            for mid in stopped {
                peer.sub_queue.push_front(SubChange::Stop(mid));
            }
            for track in added.into_iter().rev() {
                if let Some(sub) = peer.subscriptions.get_mut(&track) {
                    if let Some(mid) = sub.mid.take() {
                        peer.sub_mids.remove(&mid);
                    }
                    sub.live = false;
                    peer.sub_queue.push_front(SubChange::Add(track));
                }
            }
            if first {
                peer.sub_started = false;
            }
            tracing::debug!(participant = %sid, "in-flight subscriber offer rolled back");
        }
        self.drain_peer(now, sid, Pc::Subscriber);
        self.negotiate_subscriber(now, sid);
    }

    /// Follows a PC's local ICE credentials into the ufrag demux after an offer or answer
    /// (an ICE restart replaces them). Returns whether they changed.
    pub(super) fn follow_ice_credentials(&mut self, sid: &ParticipantSid, pc: Pc) -> bool {
        let Some(peer) = self.peers.get_mut(sid) else {
            return false;
        };
        let ufrag = peer.rtc(pc).direct_api().local_ice_credentials().ufrag;
        let i = super::peer::idx(pc);
        if peer.ufrags[i] == ufrag {
            return false;
        }
        let old = std::mem::replace(&mut peer.ufrags[i], ufrag.clone());
        self.by_ufrag.remove(&old);
        self.by_ufrag.insert(ufrag, (sid.clone(), pc));
        if pc == Pc::Publisher {
            // The answer carries new credentials: trickle the candidates again with them.
            peer.trickled[i] = false;
        }
        true
    }
}
