//! The sans-IO media engine: the room core plus every participant's str0m peers.
//!
//! Inputs (signal requests, datagrams, timeouts) come in with `now`; transmits, signal messages,
//! disconnects and room events go out through [`Engine::poll_output`]. No sockets, no tokio:
//! the shell owns those. One engine owns all `Rtc`s, so the packet path takes no locks.

mod admin;
mod backlog;
mod budget;
mod bwe;
mod drive;
mod forward;
mod guard;
mod negotiate;
mod peer;
mod relay;
mod resume;
pub mod sdp;
#[cfg(test)]
mod tests;
mod timers;

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use livekit_protocol as proto;
use proto::signal_request::Message as Req;
use proto::signal_response::Message as Msg;
use str0m::config::DtlsCert;
use str0m::ice::StunMessage;
use str0m::net::{Protocol, Receive, TcpType, Transmit};
use str0m::{Candidate, IceCreds, Input, Rtc, RtcConfig};

use peer::{Pc, Peer};

use crate::auth::JoinGrant;
use crate::config::RoomDefaults;
use crate::ids::{Identity, ParticipantSid, RoomName, TrackSid};
use crate::room::{JoinError, JoinOptions, LinkStats, RoomCore, RoomEvent, RoomOutput, TrackKind};

/// A participant whose peer connections have not been connected for this long is removed
/// (it vanished, or never got media through).
pub const MEDIA_TIMEOUT: Duration = Duration::from_secs(20);

/// Something the shell must do.
#[derive(Debug)]
pub enum EngineOutput {
    /// Send a datagram (UDP) or frame (ICE-TCP).
    Transmit(Transmit),
    /// Send a message on a participant's signal connection.
    Signal(ParticipantSid, Box<Msg>),
    /// Close a participant's signal connection (after any queued messages).
    Close(ParticipantSid),
    /// A lifecycle event (webhooks, admin).
    Event(Box<RoomEvent>),
}

/// Media state of one published track.
#[derive(Debug)]
struct TrackMedia {
    publisher: ParticipantSid,
    kind: TrackKind,
    /// Sending layers and keyframe throttle.
    forwarding: forward::TrackForwarding,
    subscribers: Vec<ParticipantSid>,
}

impl TrackMedia {
    fn new(publisher: ParticipantSid, kind: TrackKind, announced: &[proto::VideoLayer]) -> Self {
        Self {
            publisher,
            kind,
            forwarding: forward::TrackForwarding::new(announced),
            subscribers: Vec::new(),
        }
    }
}

/// Where the server's candidates are.
#[derive(Debug, Clone, Copy)]
pub struct Endpoints {
    /// Advertised UDP address (the `destination` of every UDP datagram).
    pub udp: SocketAddr,
    /// Advertised ICE-TCP address.
    pub tcp: Option<SocketAddr>,
}

/// Rooms, participants and their peers.
#[derive(Debug)]
pub struct Engine {
    core: RoomCore,
    endpoints: Endpoints,
    cert: DtlsCert,
    peers: HashMap<ParticipantSid, Peer>,
    by_ufrag: HashMap<String, (ParticipantSid, Pc)>,
    by_addr: HashMap<(Protocol, SocketAddr), (ParticipantSid, Pc)>,
    tracks: HashMap<TrackSid, TrackMedia>,
    outputs: VecDeque<EngineOutput>,
    /// Datagrams that matched no participant or failed to parse (garbage, stale clients).
    pub dropped_datagrams: u64,
    /// Data packets not relayed because their sender exceeded its [`budget::DataBudget`].
    pub dropped_data_packets: u64,
    /// Subscriber PCs estimate their bandwidth (on unless a measurement compares without).
    bwe: bool,
    /// Every peer's next deadline, so a loop touches only the peers that are due.
    timers: timers::PeerTimers,
    /// Next pass over published tracks (silent layers, bitrates, parked keyframe requests).
    next_track_tick: Instant,
    /// Next pass over participants for the media timeout.
    next_liveness: Instant,
}

/// The engine could not be built.
#[derive(Debug, thiserror::Error)]
#[error("no DTLS certificate could be generated")]
pub struct CertError;

impl Engine {
    /// A new engine. `unix_ms_at_now` anchors timestamps sent to clients.
    pub fn new(
        endpoints: Endpoints,
        rooms: RoomDefaults,
        auto_create: bool,
        now: Instant,
        unix_ms_at_now: i64,
    ) -> Result<Self, CertError> {
        let provider = str0m::crypto::from_feature_flags();
        let cert = provider
            .dtls_provider
            .generate_certificate()
            .ok_or(CertError)?;
        Ok(Self {
            core: RoomCore::new(rooms, auto_create, now, unix_ms_at_now),
            endpoints,
            cert,
            peers: HashMap::new(),
            by_ufrag: HashMap::new(),
            by_addr: HashMap::new(),
            tracks: HashMap::new(),
            outputs: VecDeque::new(),
            dropped_datagrams: 0,
            dropped_data_packets: 0,
            bwe: true,
            timers: timers::PeerTimers::default(),
            next_track_tick: now,
            next_liveness: now,
        })
    }

    /// The room core, for queries.
    pub fn core(&self) -> &RoomCore {
        &self.core
    }

    /// The next thing for the shell to do. Messages for a participant whose signal connection
    /// is down are held for its resume instead.
    pub fn poll_output(&mut self) -> Option<EngineOutput> {
        loop {
            let out = self.outputs.pop_front()?;
            if let Some(out) = self.hold_if_detached(out) {
                return Some(out);
            }
        }
    }

    /// A peer connection; the subscriber PC (`pc`) estimates its send bandwidth.
    fn new_rtc(&self, now: Instant, pc: Pc) -> (Rtc, String) {
        let creds = IceCreds::new();
        let ufrag = creds.ufrag.clone();
        let bwe = (pc == Pc::Subscriber && self.bwe).then_some(bwe::INITIAL_ESTIMATE);
        let mut rtc = RtcConfig::new()
            .enable_bwe(bwe)
            .set_ice_lite(true)
            .set_rtp_mode(true)
            .set_stats_interval(Some(crate::room::STATS_INTERVAL))
            .set_dtls_cert(self.cert.clone())
            .set_local_ice_credentials(creds)
            .clear_codecs()
            // Answer order follows this order: VP8 first (what clients request by default).
            .enable_vp8(true)
            .enable_h264(true)
            .enable_opus(true, false)
            .build(now);
        if let Ok(c) = Candidate::host(self.endpoints.udp, "udp") {
            rtc.add_local_candidate(c);
        }
        if let Some(tcp) = self.endpoints.tcp
            && let Ok(c) = Candidate::builder()
                .tcp()
                .host(tcp)
                .tcptype(TcpType::Passive)
                .build()
        {
            rtc.add_local_candidate(c);
        }
        (rtc, ufrag)
    }

    /// Admits a verified participant: the JoinResponse and the first subscriber offer are queued.
    pub fn join(
        &mut self,
        now: Instant,
        grant: JoinGrant,
        opts: JoinOptions,
    ) -> Result<ParticipantSid, JoinError> {
        let identity = grant.identity.clone();
        let room = grant.room.clone();
        let (can_publish, can_publish_data) = (
            grant.permission.can_publish,
            grant.permission.can_publish_data,
        );
        let sid = self.core.join(now, grant, opts)?;
        let (publisher, pub_ufrag) = self.new_rtc(now, Pc::Publisher);
        let (subscriber, sub_ufrag) = self.new_rtc(now, Pc::Subscriber);
        self.by_ufrag
            .insert(pub_ufrag.clone(), (sid.clone(), Pc::Publisher));
        self.by_ufrag
            .insert(sub_ufrag.clone(), (sid.clone(), Pc::Subscriber));
        let peer = Peer {
            sid: sid.clone(),
            identity,
            room,
            can_publish,
            can_publish_data,
            publisher,
            subscriber,
            deadline: [now; 2],
            ufrags: [pub_ufrag, sub_ufrag],
            addrs: Vec::new(),
            pub_mids: HashMap::new(),
            ssrc_layers: HashMap::new(),
            pub_channels: HashMap::new(),
            sub_channels: HashMap::new(),
            subscriptions: HashMap::new(),
            sub_mids: HashMap::new(),
            sub_queue: VecDeque::new(),
            sub_pending: None,
            sub_offer_id: 0,
            sub_started: false,
            trickled: [false; 2],
            alive_at: now,
            connected: false,
            signal: resume::SignalLink::default(),
            bwe: bwe::SubscriberBwe::default(),
            links: [LinkStats::default(); 2],
            data_budget: budget::DataBudget::default(),
            backlog: backlog::DataBacklog::default(),
            poisoned: false,
            #[cfg(test)]
            inject_panic: false,
        };
        self.peers.insert(sid.clone(), peer);
        for pc in [Pc::Publisher, Pc::Subscriber] {
            self.timers.schedule(now, &sid, peer::idx(pc));
        }
        // The JoinResponse goes out first, then subscriptions (which need the peer) apply.
        self.pump(now);
        self.negotiate_subscriber(now, &sid);
        Ok(sid)
    }

    /// A signal request from a joined participant.
    pub fn signal(&mut self, now: Instant, sid: &ParticipantSid, req: Req) {
        if !self.peers.contains_key(sid) {
            return;
        }
        match req {
            Req::Offer(offer) => self.handle_offer(now, sid, offer),
            Req::Answer(answer) => self.handle_answer(now, sid, answer),
            Req::Trickle(trickle) => self.handle_trickle(now, sid, trickle),
            Req::AddTrack(add) => {
                if let Err(e) = self.core.add_track(sid, add) {
                    tracing::info!(participant = %sid, error = %e, "AddTrack refused");
                }
            }
            Req::Mute(m) => {
                if let Ok(track) = m.sid.parse::<TrackSid>() {
                    self.core.set_muted(sid, &track, m.muted);
                }
            }
            Req::Subscription(s) => {
                let tracks: Vec<TrackSid> = s
                    .track_sids
                    .iter()
                    .chain(
                        s.participant_tracks
                            .iter()
                            .flat_map(|p| p.track_sids.iter()),
                    )
                    .filter_map(|t| t.parse().ok())
                    .collect();
                self.core.update_subscription(sid, &tracks, s.subscribe);
            }
            Req::TrackSetting(settings) => self.track_settings(now, sid, &settings),
            Req::Leave(_) => self
                .core
                .leave(now, sid, proto::DisconnectReason::ClientInitiated),
            Req::PingReq(ping) => {
                let pong = proto::Pong {
                    last_ping_timestamp: ping.timestamp,
                    timestamp: self.core.unix_ms(now),
                };
                self.outputs.push_back(EngineOutput::Signal(
                    sid.clone(),
                    Box::new(Msg::PongResp(pong)),
                ));
            }
            Req::Ping(ts) => self
                .outputs
                .push_back(EngineOutput::Signal(sid.clone(), Box::new(Msg::Pong(ts)))),
            Req::SyncState(state) => self.sync_state(now, sid, state),
            // Accepted and not acted on yet: metadata updates, simulate, data tracks.
            other => {
                tracing::debug!(participant = %sid, request = ?std::mem::discriminant(&other), "signal request ignored")
            }
        }
        self.pump(now);
    }

    /// The participant's signal connection closed without a leave: it is kept for a resume if
    /// its media ever connected, and leaves at once otherwise.
    pub fn disconnected(&mut self, now: Instant, sid: &ParticipantSid) {
        self.signal_closed(now, sid);
    }

    /// Removes a participant (server side), e.g. RoomService RemoveParticipant.
    pub fn remove_participant(
        &mut self,
        now: Instant,
        room: &RoomName,
        identity: &Identity,
    ) -> bool {
        let sid = self
            .core
            .members(room)
            .find(|p| &p.identity == identity)
            .map(|p| p.sid.clone());
        let Some(sid) = sid else { return false };
        self.core
            .leave(now, &sid, proto::DisconnectReason::ParticipantRemoved);
        self.pump(now);
        true
    }

    /// A data packet from the server to a room, or to its `destination_identities`.
    pub fn send_room_data(
        &mut self,
        now: Instant,
        room: &RoomName,
        mut packet: proto::DataPacket,
        reliable: bool,
    ) -> bool {
        let destinations = std::mem::take(&mut packet.destination_identities);
        let receivers: Vec<ParticipantSid> = self
            .core
            .members(room)
            .filter(|p| {
                destinations.is_empty() || destinations.iter().any(|d| d == p.identity.as_str())
            })
            .map(|p| p.sid.clone())
            .collect();
        if receivers.is_empty() {
            return false;
        }
        self.send_data(now, &receivers, &packet, reliable);
        true
    }

    /// Closes everyone with a leave (server shutdown).
    pub fn shutdown(&mut self, now: Instant) {
        self.core.shutdown(now);
        self.pump(now);
    }

    /// UpdateTrackSettings: the subscriber's wished quality/size (or disabling) per track.
    fn track_settings(
        &mut self,
        now: Instant,
        sid: &ParticipantSid,
        settings: &proto::UpdateTrackSettings,
    ) {
        for track in settings
            .track_sids
            .iter()
            .filter_map(|t| t.parse::<TrackSid>().ok())
        {
            let Some(media) = self.tracks.get(&track) else {
                continue;
            };
            let layers = media.forwarding.layers;
            let Some(sub) = self
                .peers
                .get_mut(sid)
                .and_then(|p| p.subscriptions.get_mut(&track))
            else {
                continue;
            };
            sub.forwarding.set_settings(settings, &layers, now);
            let wanted = sub
                .forwarding
                .forwarder
                .as_mut()
                .and_then(|f| f.keyframe_request(now));
            if let Some(layer) = wanted {
                self.request_keyframe(now, &track, layer);
            }
        }
        // What the tracks could use changed: the estimate is shared anew.
        self.reallocate(now, sid);
    }

    fn fail(&mut self, now: Instant, sid: &ParticipantSid) {
        self.core
            .leave(now, sid, proto::DisconnectReason::StateMismatch);
        self.pump(now);
    }

    /// Acts on everything the room core queued.
    fn pump(&mut self, now: Instant) {
        let mut renegotiate = Vec::new();
        while let Some(out) = self.core.poll_output() {
            match out {
                RoomOutput::Signal { to, message } => {
                    self.outputs.push_back(EngineOutput::Signal(to, message))
                }
                RoomOutput::Event(e) => {
                    if let RoomEvent::TrackUnpublished { track, .. } = &*e
                        && let Ok(sid) = track.sid.parse::<TrackSid>()
                    {
                        self.tracks.remove(&sid);
                    }
                    self.outputs.push_back(EngineOutput::Event(e));
                }
                RoomOutput::Subscribe {
                    subscriber,
                    publisher,
                    track,
                    kind,
                    ..
                } => {
                    let media = self.track_media(&publisher, &track, kind);
                    if !media.subscribers.contains(&subscriber) {
                        media.subscribers.push(subscriber.clone());
                    }
                    if let Some(peer) = self.peers.get_mut(&subscriber) {
                        peer.subscriptions.insert(
                            track.clone(),
                            peer::Subscription {
                                publisher,
                                kind,
                                mid: None,
                                live: false,
                                forwarding: forward::SubscriberForwarding::default(),
                                pt_map: Vec::new(),
                            },
                        );
                        peer.sub_queue.push_back(peer::SubChange::Add(track));
                        renegotiate.push(subscriber);
                    }
                }
                RoomOutput::Unsubscribe { subscriber, track } => {
                    if let Some(media) = self.tracks.get_mut(&track) {
                        media.subscribers.retain(|s| s != &subscriber);
                    }
                    if let Some(peer) = self.peers.get_mut(&subscriber)
                        && let Some(sub) = peer.subscriptions.remove(&track)
                    {
                        match sub.mid {
                            Some(mid) => {
                                peer.sub_mids.remove(&mid);
                                peer.sub_queue.push_back(peer::SubChange::Stop(mid));
                            }
                            None => peer
                                .sub_queue
                                .retain(|c| c != &peer::SubChange::Add(track.clone())),
                        }
                        renegotiate.push(subscriber);
                    }
                }
                RoomOutput::Disconnect {
                    participant,
                    reason,
                } => {
                    self.drop_peer(now, &participant);
                    // A client that asked to leave is not told to leave again. A session whose
                    // state the server lost (a failed peer, an impossible resume) is told to
                    // rejoin from scratch rather than give up.
                    if reason != proto::DisconnectReason::ClientInitiated {
                        let action = if reason == proto::DisconnectReason::StateMismatch {
                            proto::leave_request::Action::Reconnect
                        } else {
                            proto::leave_request::Action::Disconnect
                        };
                        let leave = proto::LeaveRequest {
                            reason: reason as i32,
                            action: action as i32,
                            ..Default::default()
                        };
                        self.outputs.push_back(EngineOutput::Signal(
                            participant.clone(),
                            Box::new(Msg::Leave(leave)),
                        ));
                    }
                    self.outputs.push_back(EngineOutput::Close(participant));
                }
            }
        }
        for sid in renegotiate {
            self.negotiate_subscriber(now, &sid);
            self.reallocate(now, &sid);
        }
    }

    /// The media state of a track, created with the layer sizes its publisher announced.
    fn track_media(
        &mut self,
        publisher: &ParticipantSid,
        track: &TrackSid,
        kind: TrackKind,
    ) -> &mut TrackMedia {
        let announced = self
            .core
            .participant(publisher)
            .and_then(|p| p.track(track))
            .map(|t| t.layers.clone())
            .unwrap_or_default();
        self.tracks
            .entry(track.clone())
            .or_insert_with(|| TrackMedia::new(publisher.clone(), kind, &announced))
    }

    fn drop_peer(&mut self, now: Instant, sid: &ParticipantSid) {
        let Some(mut peer) = self.peers.remove(sid) else {
            return;
        };
        for ufrag in &peer.ufrags {
            self.by_ufrag.remove(ufrag);
        }
        for (proto, addr, _) in &peer.addrs {
            self.by_addr.remove(&(*proto, *addr));
        }
        self.tracks.retain(|_, t| &t.publisher != sid);
        for t in self.tracks.values_mut() {
            t.subscribers.retain(|s| s != sid);
        }
        // Say goodbye on the wire (DTLS close_notify, SCTP shutdown) as far as one drain goes;
        // a poisoned peer is just dropped.
        let mut transmits = Vec::new();
        let mut events = Vec::new();
        for pc in [Pc::Publisher, Pc::Subscriber] {
            if peer.poisoned {
                break;
            }
            let rtc = peer.rtc(pc);
            if matches!(guard::guard(|| rtc.close()), Ok(Ok(()))) {
                let mut deadline = now;
                if let Err(guard::PeerError::Panicked) =
                    peer::drain(rtc, &mut deadline, &mut transmits, &mut events)
                {
                    peer.poisoned = true;
                }
            }
        }
        self.outputs
            .extend(transmits.into_iter().map(EngineOutput::Transmit));
    }
}
