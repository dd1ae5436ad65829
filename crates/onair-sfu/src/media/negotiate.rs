//! SDP offer/answer and trickle on both peer connections.

use std::time::Instant;

use livekit_protocol as proto;
use proto::signal_response::Message as Msg;
use str0m::Candidate;
use str0m::change::{SdpAnswer, SdpOffer};
use str0m::channel::{ChannelConfig, Reliability};
use str0m::media::{Direction, MediaKind};

use super::guard::guard;
use super::peer::{self, LOSSY, Pc, RELIABLE, SubChange};
use super::{Engine, EngineOutput, sdp};
use crate::ids::ParticipantSid;
use crate::room::TrackKind;

/// JSON shape of a trickled candidate (what `RTCIceCandidate.toJSON()` gives; the Rust SDK
/// requires a string `sdpMid`).
#[derive(Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct CandidateInit {
    candidate: String,
    #[serde(default)]
    sdp_mid: Option<String>,
    #[serde(default)]
    sdp_m_line_index: Option<u32>,
}

impl Engine {
    /// The client's offer on its publisher PC: restricted by grants, answered by str0m, and its
    /// sending m-lines bound to announced tracks (or, when they stop sending, unpublished).
    pub(super) fn handle_offer(
        &mut self,
        now: Instant,
        sid: &ParticipantSid,
        offer: proto::SessionDescription,
    ) {
        // A resumed client that sent no sync state: its lost subscriber offer is made again.
        self.settle_lost_offer(now, sid, None);
        let Some(peer) = self.peers.get_mut(sid).filter(|p| !p.poisoned) else {
            return;
        };
        let text = sdp::restrict_publisher_offer(&offer.sdp, peer.can_publish);
        let sections = sdp::sections(&text);
        let parsed = match SdpOffer::from_sdp_string(&text) {
            Ok(o) => o,
            Err(e) => {
                tracing::info!(participant = %sid, error = %e, "unparsable offer ignored");
                return;
            }
        };
        let publisher = &mut peer.publisher;
        let answer = match guard(|| publisher.sdp_api().accept_offer(parsed)) {
            Ok(Ok(a)) => a,
            Ok(Err(e)) => {
                tracing::info!(participant = %sid, error = %e, "offer refused");
                return;
            }
            Err(e) => return self.peer_failed(now, sid, &e),
        };
        let answer_sdp = answer.to_sdp_string();
        // An ICE restart (a resuming client) changed the local credentials.
        self.follow_ice_credentials(sid, Pc::Publisher);
        self.outputs.push_back(EngineOutput::Signal(
            sid.clone(),
            Box::new(Msg::Answer(proto::SessionDescription {
                r#type: "answer".into(),
                sdp: answer_sdp.clone(),
                id: offer.id,
                ..Default::default()
            })),
        ));
        self.trickle_local(sid, Pc::Publisher, &answer_sdp);
        self.drain_peer(now, sid, Pc::Publisher);

        for s in sections {
            let Some(kind) = s.kind else { continue };
            let mid = str0m::media::Mid::from(s.mid.as_str());
            let Some(peer) = self.peers.get_mut(sid) else {
                return;
            };
            let bound = peer.pub_mids.get(&mid).cloned();
            if s.direction.sends() && !s.port_zero {
                if bound.is_none()
                    && let Some(track) =
                        self.core
                            .bind_track(sid, s.msid_track.as_deref(), kind, &s.mid)
                    && let Some(peer) = self.peers.get_mut(sid)
                {
                    peer.pub_mids.insert(mid, track.clone());
                    self.track_media(sid, &track, kind);
                }
            } else if bound.is_some() {
                peer.pub_mids.remove(&mid);
                self.core.unpublish_mid(sid, &s.mid);
            }
        }
    }

    /// The client's answer to the server's subscriber offer.
    pub(super) fn handle_answer(
        &mut self,
        now: Instant,
        sid: &ParticipantSid,
        answer: proto::SessionDescription,
    ) {
        let Some(peer) = self.peers.get_mut(sid).filter(|p| !p.poisoned) else {
            return;
        };
        let Some(offer) = peer.sub_pending.take() else {
            tracing::info!(participant = %sid, "answer without an offer ignored");
            return;
        };
        let parsed = match SdpAnswer::from_sdp_string(&answer.sdp) {
            Ok(a) => a,
            Err(e) => {
                tracing::info!(participant = %sid, error = %e, "unparsable answer ignored");
                peer.sub_pending = Some(offer);
                return;
            }
        };
        let subscriber = &mut peer.subscriber;
        match guard(|| subscriber.sdp_api().accept_answer(offer.pending, parsed)) {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                tracing::info!(participant = %sid, error = %e, "answer refused");
                return;
            }
            Err(e) => return self.peer_failed(now, sid, &e),
        }
        for track in offer.added {
            if let Some(sub) = peer.subscriptions.get_mut(&track) {
                sub.live = true;
            }
        }
        self.follow_ice_credentials(sid, Pc::Subscriber);
        self.drain_peer(now, sid, Pc::Subscriber);
        self.negotiate_subscriber(now, sid);
    }

    /// A client candidate for one of its PCs.
    pub(super) fn handle_trickle(
        &mut self,
        now: Instant,
        sid: &ParticipantSid,
        trickle: proto::TrickleRequest,
    ) {
        let Some(peer) = self.peers.get_mut(sid) else {
            return;
        };
        let Ok(init) = serde_json::from_str::<CandidateInit>(&trickle.candidate_init) else {
            tracing::debug!(participant = %sid, "malformed trickle ignored");
            return;
        };
        if init.candidate.is_empty() {
            return;
        }
        let Ok(candidate) = Candidate::from_sdp_string(&init.candidate) else {
            tracing::debug!(participant = %sid, "unparsable candidate ignored");
            return;
        };
        let pc = if trickle.target == proto::SignalTarget::Subscriber as i32 {
            Pc::Subscriber
        } else {
            Pc::Publisher
        };
        if peer.poisoned {
            return;
        }
        let rtc = peer.rtc(pc);
        if let Err(e) = guard(|| rtc.add_remote_candidate(candidate)) {
            self.peer_failed(now, sid, &e);
        }
    }

    /// Sends the server's candidates once per PC (they are also in the SDP).
    fn trickle_local(&mut self, sid: &ParticipantSid, pc: Pc, sdp_text: &str) {
        let Some(peer) = self.peers.get_mut(sid) else {
            return;
        };
        if peer.trickled[peer::idx(pc)] {
            return;
        }
        peer.trickled[peer::idx(pc)] = true;
        let Some(first_mid) = sdp::sections(sdp_text)
            .into_iter()
            .map(|s| s.mid)
            .find(|m| !m.is_empty())
        else {
            return;
        };
        let target = match pc {
            Pc::Publisher => proto::SignalTarget::Publisher,
            Pc::Subscriber => proto::SignalTarget::Subscriber,
        };
        let mut candidates = vec![Candidate::host(self.endpoints.udp, "udp").ok()];
        if let Some(tcp) = self.endpoints.tcp {
            candidates.push(
                Candidate::builder()
                    .tcp()
                    .host(tcp)
                    .tcptype(str0m::net::TcpType::Passive)
                    .build()
                    .ok(),
            );
        }
        for c in candidates.into_iter().flatten() {
            let init = CandidateInit {
                candidate: c.to_sdp_string(),
                sdp_mid: Some(first_mid.clone()),
                sdp_m_line_index: Some(0),
            };
            let Ok(json) = serde_json::to_string(&init) else {
                continue;
            };
            let msg = proto::TrickleRequest {
                candidate_init: json,
                target: target as i32,
                ..Default::default()
            };
            self.outputs.push_back(EngineOutput::Signal(
                sid.clone(),
                Box::new(Msg::Trickle(msg)),
            ));
        }
    }

    /// Makes the next subscriber offer if none is in flight and something is queued (the first
    /// offer carries the data channels), or an ICE restart is wanted (a resume). Nothing is
    /// offered while the signal connection is down: the offer could not be answered.
    pub(super) fn negotiate_subscriber(&mut self, now: Instant, sid: &ParticipantSid) {
        let Some(peer) = self.peers.get_mut(sid) else {
            return;
        };
        if peer.signal.detached || peer.sub_pending.is_some() {
            return;
        }
        let restart = peer.signal.take_ice_restart();
        if peer.sub_started && peer.sub_queue.is_empty() && !restart {
            return;
        }
        let first = !peer.sub_started;
        let mut stopped = Vec::new();
        let mut api = peer.subscriber.sdp_api();
        if restart {
            // Same candidates, new credentials: the client's new checks find us again.
            api.ice_restart(true);
            peer.trickled[peer::idx(Pc::Subscriber)] = false;
        }
        if !peer.sub_started {
            peer.sub_started = true;
            api.add_channel_with_config(ChannelConfig {
                label: RELIABLE.into(),
                ordered: true,
                reliability: Reliability::Reliable,
                ..Default::default()
            });
            api.add_channel_with_config(ChannelConfig {
                label: LOSSY.into(),
                ordered: false,
                reliability: Reliability::MaxRetransmits { retransmits: 0 },
                ..Default::default()
            });
        }
        let mut added = Vec::new();
        while let Some(change) = peer.sub_queue.pop_front() {
            match change {
                SubChange::Add(track) => {
                    let Some(sub) = peer.subscriptions.get_mut(&track) else {
                        continue;
                    };
                    let kind = match sub.kind {
                        TrackKind::Audio => MediaKind::Audio,
                        TrackKind::Video => MediaKind::Video,
                    };
                    // LiveKit's packed stream id: clients split it to find the publisher.
                    let stream = format!("{}|{}", sub.publisher, track);
                    let mid = api.add_media(
                        kind,
                        Direction::SendOnly,
                        Some(stream),
                        Some(track.to_string()),
                        None,
                    );
                    sub.mid = Some(mid);
                    peer.sub_mids.insert(mid, track.clone());
                    added.push(track);
                }
                SubChange::Stop(mid) => {
                    api.stop_media(mid);
                    stopped.push(mid);
                }
            }
        }
        let Some((offer, pending)) = (match guard(|| api.apply()) {
            Ok(applied) => applied,
            Err(e) => return self.peer_failed(now, sid, &e),
        }) else {
            return;
        };
        let sdp_text = offer.to_sdp_string();
        peer.sub_pending = Some(peer::SubOffer {
            pending,
            added,
            stopped,
            first,
            sdp: sdp_text.clone(),
        });
        peer.sub_offer_id += 1;
        let msg = proto::SessionDescription {
            r#type: "offer".into(),
            sdp: sdp_text.clone(),
            id: peer.sub_offer_id,
            ..Default::default()
        };
        self.outputs
            .push_back(EngineOutput::Signal(sid.clone(), Box::new(Msg::Offer(msg))));
        self.trickle_local(sid, Pc::Subscriber, &sdp_text);
        self.drain_peer(now, sid, Pc::Subscriber);
        if restart {
            self.restart_estimate(now, sid);
        }
    }
}
