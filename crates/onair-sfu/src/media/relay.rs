//! The packet path: events out of a participant's Rtc, RTP forwarded to subscribers, data
//! packets relayed, keyframe requests sent to publishers.

use std::time::Instant;

use livekit_protocol as proto;
use prost::Message as _;
use str0m::Event;
use str0m::bwe::BweKind;
use str0m::media::{KeyframeRequestKind, Mid};
use str0m::rtp::RtpWrite;
use str0m::rtp::{ExtensionValues, RtpPacket, SeqNo};
use str0m::stats::PeerStats;

use onair_forward::{Codec, Decision, IncomingPacket, Layer, PacketInfo};
use str0m::rtp::Vp8Descriptor;

use super::forward;
use super::guard::guard;
use super::peer::{self, LOSSY, Pc, RELIABLE};
use super::{Engine, EngineOutput};
use crate::ids::{ParticipantSid, TrackSid};
use crate::room::{LinkStats, TrackKind};

impl Engine {
    /// Drains one Rtc and acts on its events.
    pub(super) fn drain_peer(&mut self, now: Instant, sid: &ParticipantSid, pc: Pc) {
        let mut transmits = Vec::new();
        let mut events = Vec::new();
        let Some(peer) = self.peers.get_mut(sid) else {
            return;
        };
        if peer.poisoned {
            return;
        }
        let idx = peer::idx(pc);
        let mut deadline = peer.deadline[idx];
        let result = peer::drain(peer.rtc(pc), &mut deadline, &mut transmits, &mut events);
        if peer.deadline[idx] != deadline {
            peer.deadline[idx] = deadline;
            self.timers.schedule(deadline, sid, idx);
        }
        self.outputs
            .extend(transmits.into_iter().map(EngineOutput::Transmit));
        if let Err(e) = result {
            self.peer_failed(now, sid, &e);
            return;
        }
        for event in events {
            self.handle_event(now, sid, pc, event);
        }
    }

    fn handle_event(&mut self, now: Instant, sid: &ParticipantSid, pc: Pc, event: Event) {
        match (pc, event) {
            (Pc::Publisher, Event::RtpPacket(pkt)) => self.forward_rtp(now, sid, pkt),
            (Pc::Publisher, Event::Connected) => {
                if let Some(peer) = self.peers.get_mut(sid) {
                    peer.connected = true;
                }
                self.core.set_active(sid);
            }
            (Pc::Publisher, Event::ChannelOpen(id, label)) => {
                if let Some(peer) = self.peers.get_mut(sid) {
                    peer.pub_channels.insert(id, label);
                }
            }
            (Pc::Publisher, Event::ChannelData(data)) => {
                let label = self
                    .peers
                    .get(sid)
                    .and_then(|p| p.pub_channels.get(&data.id).cloned());
                let reliable = label.as_deref() != Some(LOSSY);
                self.relay_data(now, sid, &data.data, reliable);
            }
            (Pc::Subscriber, Event::ChannelOpen(id, label)) => {
                let mut flushed = Ok(());
                if let Some(peer) = self.peers.get_mut(sid) {
                    if label == RELIABLE {
                        // What was sent while the client connected, in order.
                        let held = peer.backlog.take();
                        let rtc = &mut peer.subscriber;
                        flushed = guard(|| {
                            let mut channel = rtc.channel(id);
                            for packet in held {
                                let written = channel.as_mut().map(|c| c.write(true, &packet));
                                if !matches!(written, Some(Ok(true))) {
                                    tracing::debug!(participant = %sid, "held data packet dropped");
                                }
                            }
                        });
                    }
                    peer.sub_channels.insert(label, id);
                }
                match flushed {
                    Ok(()) => self.drain_peer(now, sid, Pc::Subscriber),
                    Err(e) => self.peer_failed(now, sid, &e),
                }
            }
            (Pc::Subscriber, Event::KeyframeRequest(req)) => {
                self.subscriber_wants_keyframe(now, sid, req.mid)
            }
            (pc, Event::PeerStats(stats)) => self.on_peer_stats(sid, pc, &stats),
            (Pc::Subscriber, Event::EgressBitrateEstimate(BweKind::Twcc { estimate, .. })) => {
                self.on_estimate(now, sid, estimate)
            }
            _ => {}
        }
    }

    /// One PC's loss and round trip; the worse of the participant's two PCs is its quality.
    fn on_peer_stats(&mut self, sid: &ParticipantSid, pc: Pc, stats: &PeerStats) {
        let Some(peer) = self.peers.get_mut(sid) else {
            return;
        };
        let loss = match (stats.ingress_loss_fraction, stats.egress_loss_fraction) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        // An interval without reports keeps what was last measured (stale, not perfect).
        let link = &mut peer.links[peer::idx(pc)];
        *link = LinkStats {
            loss: loss.or(link.loss),
            rtt: stats.rtt.or(link.rtt),
        };
        let [publisher, subscriber] = peer.links;
        self.core
            .set_connection_quality(sid, publisher.worst(subscriber));
    }

    fn subscriber_wants_keyframe(&mut self, now: Instant, sid: &ParticipantSid, mid: Mid) {
        let Some(peer) = self.peers.get(sid) else {
            return;
        };
        let Some(track) = peer.sub_mids.get(&mid).cloned() else {
            return;
        };
        let layer = peer
            .subscriptions
            .get(&track)
            .and_then(|s| s.forwarding.forwarder.as_ref())
            .and_then(|f| f.current_layer());
        if let Some(layer) = layer {
            self.request_keyframe(now, &track, layer);
        }
    }

    /// Asks the publisher of `track` for a keyframe on `layer`, through the track's throttle
    /// (a throttled request is parked and sent from [`Engine::handle_timeout`]).
    pub(super) fn request_keyframe(&mut self, now: Instant, track: &TrackSid, layer: Layer) {
        let Some(media) = self.tracks.get_mut(track) else {
            return;
        };
        if media.kind != TrackKind::Video || !media.forwarding.throttle.request(layer, now) {
            return;
        }
        let publisher = media.publisher.clone();
        self.send_pli(now, &publisher, track, layer);
    }

    /// Sends a PLI for one layer of a track to its publisher.
    pub(super) fn send_pli(
        &mut self,
        now: Instant,
        publisher: &ParticipantSid,
        track: &TrackSid,
        layer: Layer,
    ) {
        let Some(peer) = self.peers.get_mut(publisher) else {
            return;
        };
        let Some(mid) = peer
            .pub_mids
            .iter()
            .find(|(_, t)| *t == track)
            .map(|(m, _)| *m)
        else {
            return;
        };
        // The stream for that layer: the SSRC seen with it (simulcast), or the m-line's only one.
        let ssrc = peer
            .ssrc_layers
            .iter()
            .find(|(_, (m, l))| *m == mid && *l == layer)
            .map(|(ssrc, _)| *ssrc);
        let rtc = &mut peer.publisher;
        let asked = guard(|| {
            let mut api = rtc.direct_api();
            let stream = match ssrc {
                Some(ssrc) => api.stream_rx(&ssrc),
                None => api.stream_rx_by_mid(mid, None),
            };
            if let Some(stream) = stream {
                stream.request_keyframe(KeyframeRequestKind::Pli);
            }
        });
        match asked {
            Ok(()) => self.drain_peer(now, publisher, Pc::Publisher),
            Err(e) => self.peer_failed(now, publisher, &e),
        }
    }

    fn forward_rtp(&mut self, now: Instant, sid: &ParticipantSid, pkt: RtpPacket) {
        let Some(peer) = self.peers.get_mut(sid) else {
            return;
        };
        let ssrc = pkt.header.ssrc;
        let (mid, layer) = match peer.ssrc_layers.get(&ssrc) {
            Some(v) => *v,
            None => {
                let mut api = peer.publisher.direct_api();
                let Some(stream) = api.stream_rx(&ssrc) else {
                    return;
                };
                let v = (stream.mid(), forward::layer_of(stream.rid().as_deref()));
                peer.ssrc_layers.insert(ssrc, v);
                v
            }
        };
        // Media on an m-line not bound to an accepted track is never forwarded.
        let Some(track) = peer.pub_mids.get(&mid).cloned() else {
            return;
        };
        let Some(params) = peer::params_for(&peer.publisher, pkt.header.payload_type) else {
            return;
        };
        let Some(codec) = forward::codec_of(params.spec().codec) else {
            return;
        };
        if let Some(level) = pkt.header.ext_vals.audio_level {
            let level = level.unsigned_abs().min(127);
            self.core
                .observe_audio_level(&track, level, pkt.header.timestamp, now);
        }
        let info = PacketInfo::parse(codec, &pkt.payload);
        // str0m applies VP8 descriptor rewrites while serialising; it needs its own parse.
        let vp8 = (codec == Codec::Vp8)
            .then(|| Vp8Descriptor::parse(&pkt.payload).ok())
            .flatten();
        let Some(media) = self.tracks.get_mut(&track) else {
            return;
        };
        let layers_changed =
            media
                .forwarding
                .on_packet(layer, pkt.header.header_len + pkt.payload.len(), now);
        if info.keyframe {
            media.forwarding.throttle.on_keyframe(layer);
        }
        let layers = media.forwarding.layers;
        let subscribers = media.subscribers.clone();
        let incoming = IncomingPacket {
            layer,
            seq: *pkt.seq_no,
            timestamp: pkt.header.timestamp,
            marker: pkt.header.marker,
            arrival: now,
            payload: &pkt.payload,
            info,
        };
        let mut keyframes = Vec::new();
        let (mut transmits, mut events) = (Vec::new(), Vec::new());
        for sub_sid in subscribers {
            let Some(sub_peer) = self.peers.get_mut(&sub_sid) else {
                continue;
            };
            if !sub_peer.subscriber.is_connected() {
                continue;
            }
            let Some(sub) = sub_peer.subscriptions.get_mut(&track) else {
                continue;
            };
            let (Some(sub_mid), true) = (sub.mid, sub.live) else {
                continue;
            };
            let Some(fwd) = sub.forwarding.forwarder(codec, &layers, now) else {
                continue;
            };
            if layers_changed {
                fwd.update_layers(&layers, now);
            }
            let decision = fwd.forward(&incoming);
            if let Some(wanted) = fwd.keyframe_request(now) {
                keyframes.push(wanted);
            }
            let Decision::Forward(out) = decision else {
                continue;
            };
            let pub_pt = pkt.header.payload_type;
            let pt = match sub.pt_map.iter().find(|(p, _)| *p == pub_pt) {
                Some((_, s)) => *s,
                None => {
                    let Some(s) = sub_peer
                        .subscriber
                        .codec_config()
                        .match_params(params)
                        .map(|p| p.pt())
                    else {
                        continue;
                    };
                    sub.pt_map.push((pub_pt, s));
                    s
                }
            };
            // Fresh values: copied mid/rid would leak the publisher's onto the subscriber's wire.
            let ext = ExtensionValues {
                audio_level: pkt.header.ext_vals.audio_level,
                voice_activity: pkt.header.ext_vals.voice_activity,
                video_orientation: pkt.header.ext_vals.video_orientation,
                ..Default::default()
            };
            let mut write = RtpWrite::new(
                pt,
                SeqNo::from(out.seq),
                out.timestamp,
                now,
                pkt.payload.clone(),
            )
            .marker(out.marker)
            .ext_vals(ext)
            .nackable(sub.kind == TrackKind::Video);
            if let (Some(patch), Some(desc)) = (out.vp8, vp8.as_ref()) {
                let mut builder = desc.patch();
                if let Some(p) = patch.picture_id {
                    builder = builder.picture_id(p);
                }
                if let Some(t) = patch.tl0_pic_idx {
                    builder = builder.tl0_pic_idx(t);
                }
                if let Some(k) = patch.key_idx {
                    builder = builder.key_idx(k);
                }
                match builder.build() {
                    Ok(p) => write = write.vp8_patch(p),
                    Err(_) => continue,
                }
            }
            if sub_peer.poisoned {
                continue;
            }
            let subscriber = &mut sub_peer.subscriber;
            let written = guard(|| {
                let mut api = subscriber.direct_api();
                api.stream_tx_by_mid(sub_mid, None)
                    .map(|tx| tx.write_rtp(write))
                    .is_some()
            });
            let result = match written {
                Ok(false) => continue,
                Ok(true) => {
                    let mut deadline = sub_peer.deadline[1];
                    let result = peer::tick(
                        &mut sub_peer.subscriber,
                        now,
                        &mut deadline,
                        &mut transmits,
                        &mut events,
                    );
                    if sub_peer.deadline[1] != deadline {
                        sub_peer.deadline[1] = deadline;
                        self.timers.schedule(deadline, &sub_sid, 1);
                    }
                    result
                }
                Err(e) => Err(e),
            };
            self.outputs
                .extend(transmits.drain(..).map(EngineOutput::Transmit));
            if let Err(e) = result {
                events.clear();
                self.peer_failed(now, &sub_sid, &e);
                continue;
            }
            for e in events.drain(..) {
                self.handle_event(now, &sub_sid, Pc::Subscriber, e);
            }
        }
        keyframes.sort_by_key(|l| l.index());
        keyframes.dedup();
        for layer in keyframes {
            self.request_keyframe(now, &track, layer);
        }
    }

    /// Relays a DataPacket from `sid` to its room (or the named identities), stamped with the
    /// sender's identity and sid. Nothing is relayed without `canPublishData`.
    #[expect(
        deprecated,
        reason = "older clients still read the user-packet identity fields"
    )]
    pub(super) fn relay_data(
        &mut self,
        now: Instant,
        sid: &ParticipantSid,
        bytes: &[u8],
        reliable: bool,
    ) {
        let Some(sender) = self.peers.get_mut(sid) else {
            return;
        };
        if !sender.can_publish_data {
            tracing::debug!(participant = %sid, "data packet dropped: no canPublishData");
            return;
        }
        let Ok(mut packet) = proto::DataPacket::decode(bytes) else {
            tracing::debug!(participant = %sid, "malformed data packet dropped");
            return;
        };
        if reliable {
            sender.signal.note_reliable(packet.sequence);
        }
        if !sender.data_budget.allow(now, bytes.len()) {
            self.dropped_data_packets += 1;
            tracing::debug!(participant = %sid, "data packet dropped: over the sender's budget");
            return;
        }
        let identity = sender.identity.to_string();
        let room = sender.room.clone();
        packet.participant_identity = identity.clone();
        packet.participant_sid = sid.to_string();
        let mut destinations = std::mem::take(&mut packet.destination_identities);
        if let Some(proto::data_packet::Value::User(user)) = &mut packet.value {
            if destinations.is_empty() {
                destinations = std::mem::take(&mut user.destination_identities);
            }
            user.participant_identity = identity;
            user.participant_sid = sid.to_string();
            user.destination_identities.clear();
        }
        let receivers: Vec<ParticipantSid> = self
            .core
            .members(&room)
            .filter(|p| {
                &p.sid != sid
                    && (destinations.is_empty()
                        || destinations.iter().any(|d| d == p.identity.as_str()))
            })
            .map(|p| p.sid.clone())
            .collect();
        self.send_data(now, &receivers, &packet, reliable);
    }

    /// Sends one DataPacket to each receiver's subscriber-PC data channel.
    pub(crate) fn send_data(
        &mut self,
        now: Instant,
        receivers: &[ParticipantSid],
        packet: &proto::DataPacket,
        reliable: bool,
    ) {
        let encoded = packet.encode_to_vec();
        let label = if reliable { RELIABLE } else { LOSSY };
        for r in receivers {
            let Some(peer) = self.peers.get_mut(r) else {
                continue;
            };
            let Some(id) = peer.sub_channels.get(label).copied() else {
                // Reliable data waits for the channel (bounded); lossy data is lost.
                if !reliable || !peer.backlog.push(encoded.clone()) {
                    tracing::debug!(participant = %r, "data channel not open; packet dropped");
                }
                continue;
            };
            let rtc = &mut peer.subscriber;
            let written = guard(|| rtc.channel(id).map(|mut c| c.write(true, &encoded)));
            match written {
                Ok(Some(Ok(true))) => {}
                Ok(_) => tracing::debug!(participant = %r, "data channel full; packet dropped"),
                Err(e) => {
                    self.peer_failed(now, r, &e);
                    continue;
                }
            }
            self.drain_peer(now, r, Pc::Subscriber);
        }
    }
}
