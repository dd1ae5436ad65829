//! The media engine on simulated time, against str0m clients in the same process: negotiation on
//! both peer connections, ICE/DTLS over an in-memory network, RTP forwarded with continuous
//! sequence numbers, data packets stamped and relayed. Faults (garbage input, vanished clients,
//! panics) are in `tests/resilience.rs`.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use livekit_protocol as proto;
use prost::Message as _;
use proto::signal_request::Message as Req;
use proto::signal_response::Message as Msg;
use str0m::change::{SdpAnswer, SdpOffer, SdpPendingOffer};
use str0m::channel::ChannelId;
use str0m::format::Codec;
use str0m::media::{Direction, MediaKind, Mid};
use str0m::net::{Protocol, Receive, Transmit};
use str0m::rtp::{RtpWrite, SeqNo};
use str0m::{Candidate, Event, Input, Output, Rtc, RtcConfig};

use super::*;

mod bwe;
mod fuzz;
mod idle;
mod link;
mod loss;
mod quality;
mod resilience;
mod resume;
use crate::auth::{JoinGrant, Permission};

const SERVER: &str = "127.0.0.1:7882";
const STEP: Duration = Duration::from_millis(5);

fn grant(identity: &str, can_publish: bool) -> JoinGrant {
    JoinGrant {
        identity: identity.parse().unwrap(),
        name: String::new(),
        room: "studio".parse().unwrap(),
        metadata: String::new(),
        attributes: Default::default(),
        permission: Permission {
            can_subscribe: true,
            can_publish,
            can_publish_data: can_publish,
            can_publish_sources: vec![],
            hidden: false,
            can_update_metadata: false,
        },
    }
}

/// A LiveKit-like client: a publisher PC that offers and a subscriber PC that answers.
struct Client {
    sid: ParticipantSid,
    publisher: Rtc,
    subscriber: Rtc,
    addrs: [SocketAddr; 2],
    pending: Option<SdpPendingOffer>,
    signals: Vec<Msg>,
    rtp: Vec<str0m::rtp::RtpPacket>,
    data: Vec<Vec<u8>>,
    reliable: Option<ChannelId>,
    alive: bool,
    /// Its signal connection works (else messages to it are lost, kept in `lost`).
    signal_up: bool,
    lost: Vec<Msg>,
    /// Keyframe requests the publisher PC received (the next frame should be a keyframe).
    plis: usize,
}

struct Net {
    now: Instant,
    engine: Engine,
    clients: Vec<Client>,
    /// Lifecycle events the engine emitted (webhooks).
    events: Vec<RoomEvent>,
    /// Wall-clock time spent inside the engine (for the forwarding-cost measurement).
    engine_time: Duration,
    /// Modelled links toward client addresses; others deliver at once.
    links: std::collections::HashMap<SocketAddr, link::Link>,
    /// Loss on the way from a client address to the server.
    uplink_loss: std::collections::HashMap<SocketAddr, link::Loss>,
    /// Simulated time per round of timeouts.
    step: Duration,
}

fn rtc(now: Instant, addr: SocketAddr) -> Rtc {
    let mut rtc = RtcConfig::new().set_rtp_mode(true).build(now);
    rtc.add_local_candidate(Candidate::host(addr, "udp").unwrap());
    rtc
}

impl Net {
    fn new() -> Self {
        Self::new_at(1_700_000_000_000)
    }

    /// A network whose engine believes `now` is `unix_ms` (tokens it signs use that clock).
    fn new_at(unix_ms: i64) -> Self {
        let now = Instant::now();
        let endpoints = Endpoints {
            udp: SERVER.parse().unwrap(),
            tcp: None,
        };
        let engine = Engine::new(endpoints, RoomDefaults::default(), true, now, unix_ms).unwrap();
        Net {
            now,
            engine,
            clients: Vec::new(),
            events: Vec::new(),
            engine_time: Duration::ZERO,
            links: Default::default(),
            uplink_loss: Default::default(),
            step: STEP,
        }
    }

    fn join(&mut self, identity: &str, can_publish: bool) -> usize {
        let sid = self
            .engine
            .join(
                self.now,
                grant(identity, can_publish),
                JoinOptions::default(),
            )
            .unwrap();
        let i = self.clients.len() as u16;
        let addrs = [
            SocketAddr::from(([127, 0, 0, 2], 10_000 + 2 * i)),
            SocketAddr::from(([127, 0, 0, 2], 10_001 + 2 * i)),
        ];
        self.clients.push(Client {
            sid,
            publisher: rtc(self.now, addrs[0]),
            subscriber: rtc(self.now, addrs[1]),
            addrs,
            pending: None,
            signals: Vec::new(),
            rtp: Vec::new(),
            data: Vec::new(),
            reliable: None,
            alive: true,
            signal_up: true,
            lost: Vec::new(),
            plis: 0,
        });
        self.settle();
        self.clients.len() - 1
    }

    /// Delivers everything in flight until nothing moves. Each peer is drained after every
    /// input it gets (str0m's contract: otherwise a received packet's event is overwritten by
    /// the next).
    fn settle(&mut self) {
        for _ in 0..10_000 {
            let mut moved = false;
            while let Some(out) = self.engine.poll_output() {
                moved = true;
                self.deliver(out);
                self.drain_clients();
            }
            moved |= self.drain_clients();
            if !moved {
                return;
            }
        }
        panic!("the network never settled");
    }

    /// Polls every client's peers until each asks for a timeout; whether anything moved.
    fn drain_clients(&mut self) -> bool {
        let mut moved = false;
        for c in 0..self.clients.len() {
            if !self.clients[c].alive {
                continue;
            }
            for pc in 0..2 {
                loop {
                    let client = &mut self.clients[c];
                    let rtc = if pc == 0 {
                        &mut client.publisher
                    } else {
                        &mut client.subscriber
                    };
                    match rtc.poll_output().unwrap() {
                        Output::Timeout(_) => break,
                        Output::Transmit(t) => {
                            moved = true;
                            if self
                                .uplink_loss
                                .get_mut(&t.source)
                                .is_some_and(|l| l.drops(&t.contents))
                            {
                                continue;
                            }
                            let started = Instant::now();
                            self.engine
                                .receive(self.now, Protocol::Udp, t.source, &t.contents);
                            self.engine_time += started.elapsed();
                        }
                        Output::Event(e) => match e {
                            Event::RtpPacket(p) => client.rtp.push(p),
                            Event::ChannelData(d) => client.data.push(d.data),
                            Event::ChannelOpen(id, label) if pc == 0 && label == "_reliable" => {
                                client.reliable = Some(id)
                            }
                            Event::KeyframeRequest(_) if pc == 0 => client.plis += 1,
                            _ => {}
                        },
                    }
                }
            }
        }
        moved
    }

    fn deliver(&mut self, out: EngineOutput) {
        match out {
            EngineOutput::Transmit(t) => {
                if let Some(link) = self.links.get_mut(&t.destination) {
                    link.send(self.now, t);
                    return;
                }
                self.arrive(self.now, t);
            }
            other => self.deliver_signal(other),
        }
    }

    /// A datagram reaches its client at `at` (no later than now).
    fn arrive(&mut self, at: Instant, t: Transmit) {
        let Some(client) = self
            .clients
            .iter_mut()
            .find(|c| c.alive && c.addrs.contains(&t.destination))
        else {
            return;
        };
        let rtc = if client.addrs[0] == t.destination {
            &mut client.publisher
        } else {
            &mut client.subscriber
        };
        let receive = Receive::new(Protocol::Udp, t.source, t.destination, &t.contents).unwrap();
        rtc.handle_input(Input::Receive(at, receive)).unwrap();
    }

    fn deliver_signal(&mut self, out: EngineOutput) {
        match out {
            EngineOutput::Transmit(t) => self.arrive(self.now, t),
            EngineOutput::Signal(to, msg) => {
                let Some(c) = self.clients.iter().position(|c| c.sid == to && c.alive) else {
                    return;
                };
                if !self.clients[c].signal_up {
                    self.clients[c].lost.push(*msg);
                    return;
                }
                match &*msg {
                    Msg::Offer(offer) => {
                        let parsed = SdpOffer::from_sdp_string(&offer.sdp).unwrap();
                        let answer = self.clients[c]
                            .subscriber
                            .sdp_api()
                            .accept_offer(parsed)
                            .unwrap();
                        let reply = proto::SessionDescription {
                            r#type: "answer".into(),
                            sdp: answer.to_sdp_string(),
                            id: offer.id,
                            ..Default::default()
                        };
                        let sid = self.clients[c].sid.clone();
                        self.engine.signal(self.now, &sid, Req::Answer(reply));
                    }
                    Msg::Answer(answer) => {
                        let client = &mut self.clients[c];
                        let pending = client.pending.take().expect("answer without an offer");
                        client
                            .publisher
                            .sdp_api()
                            .accept_answer(
                                pending,
                                SdpAnswer::from_sdp_string(&answer.sdp).unwrap(),
                            )
                            .unwrap();
                    }
                    _ => {}
                }
                self.clients[c].signals.push(*msg);
            }
            EngineOutput::Close(sid) => {
                if let Some(c) = self.clients.iter_mut().find(|c| c.sid == sid) {
                    c.signals.push(Msg::Leave(proto::LeaveRequest::default()));
                }
            }
            EngineOutput::Event(e) => self.events.push(*e),
        }
    }

    /// Advances simulated time, feeding every timeout.
    fn run(&mut self, duration: Duration) {
        let end = self.now + duration;
        while self.now < end {
            self.now += self.step;
            let now = self.now;
            let mut due: Vec<(Instant, Transmit)> = self
                .links
                .values_mut()
                .flat_map(|l| std::iter::from_fn(|| l.due(now)))
                .collect();
            due.sort_by_key(|(at, _)| *at);
            for (at, t) in due {
                self.arrive(at, t);
                self.drain_clients();
            }
            for c in self.clients.iter_mut().filter(|c| c.alive) {
                c.publisher.handle_input(Input::Timeout(self.now)).unwrap();
                c.subscriber.handle_input(Input::Timeout(self.now)).unwrap();
            }
            let started = Instant::now();
            self.engine.handle_timeout(self.now);
            self.engine_time += started.elapsed();
            self.settle();
        }
    }

    /// The client offers its publisher PC: data channel, plus a video track announced first.
    fn publish(&mut self, c: usize, video_cid: Option<&str>) -> Option<Mid> {
        let sid = self.clients[c].sid.clone();
        if let Some(cid) = video_cid {
            let add = proto::AddTrackRequest {
                cid: cid.into(),
                r#type: proto::TrackType::Video as i32,
                source: proto::TrackSource::Camera as i32,
                ..Default::default()
            };
            self.engine.signal(self.now, &sid, Req::AddTrack(add));
        }
        let client = &mut self.clients[c];
        let mut api = client.publisher.sdp_api();
        let mid = video_cid.map(|cid| {
            api.add_media(
                MediaKind::Video,
                Direction::SendOnly,
                Some("stream".into()),
                Some(cid.into()),
                None,
            )
        });
        api.add_channel("_reliable".into());
        let (offer, pending) = api.apply().unwrap();
        client.pending = Some(pending);
        let offer = proto::SessionDescription {
            r#type: "offer".into(),
            sdp: offer.to_sdp_string(),
            id: 1,
            ..Default::default()
        };
        self.engine.signal(self.now, &sid, Req::Offer(offer));
        self.settle();
        mid
    }

    fn send_vp8(&mut self, c: usize, mid: Mid, seq: u64, keyframe: bool) {
        let client = &mut self.clients[c];
        let pt = client
            .publisher
            .codec_config()
            .params()
            .iter()
            .find(|p| p.spec().codec == Codec::Vp8)
            .unwrap()
            .pt();
        // VP8 descriptor with S=1, then a frame tag whose P bit says key or delta frame.
        let mut payload = vec![
            0x10,
            if keyframe { 0x00 } else { 0x01 },
            0,
            0,
            0x9d,
            0x01,
            0x2a,
        ];
        payload.resize(1100, seq as u8);
        let ts = (seq * 3000) as u32;
        let mut api = client.publisher.direct_api();
        let tx = api.stream_tx_by_mid(mid, None).unwrap();
        tx.write_rtp(RtpWrite::new(pt, SeqNo::from(seq), ts, self.now, payload).nackable(true));
        client
            .publisher
            .handle_input(Input::Timeout(self.now))
            .unwrap();
        self.settle();
    }
}

#[test]
fn media_flows_from_a_publisher_to_a_subscriber_with_continuous_sequence_numbers() {
    let mut net = Net::new();
    let alice = net.join("alice", true);
    let bob = net.join("bob", true);
    assert!(matches!(
        net.clients[alice].signals.first(),
        Some(Msg::Join(_))
    ));
    let mid = net.publish(alice, Some("cam-1")).unwrap();
    net.publish(bob, None);
    net.run(Duration::from_secs(2));
    assert!(
        net.clients[alice].publisher.is_connected(),
        "publisher PC did not connect"
    );
    assert!(
        net.clients[bob].subscriber.is_connected(),
        "subscriber PC did not connect"
    );
    // Bob was offered a sendonly m-line carrying LiveKit's packed msid.
    let offers: Vec<&String> = net.clients[bob]
        .signals
        .iter()
        .filter_map(|m| match m {
            Msg::Offer(o) => Some(&o.sdp),
            _ => None,
        })
        .collect();
    let alice_sid = net.clients[alice].sid.clone();
    assert!(
        offers
            .iter()
            .any(|sdp| sdp.contains(&format!("a=msid:{alice_sid}|TR_"))),
        "{offers:?}"
    );

    // Deltas before any keyframe are held back; the keyframe starts the stream.
    net.send_vp8(alice, mid, 5000, false);
    for (i, seq) in (5001..5031).enumerate() {
        net.send_vp8(alice, mid, seq, i % 15 == 0);
        net.run(Duration::from_millis(30));
    }
    let got = &net.clients[bob].rtp;
    assert!(got.len() >= 28, "bob received {} packets", got.len());
    assert_eq!(
        got[0].payload[1] & 0x01,
        0,
        "the first forwarded packet is a keyframe"
    );
    for pair in got.windows(2) {
        assert_eq!(
            *pair[1].seq_no,
            *pair[0].seq_no + 1,
            "sequence numbers must be continuous"
        );
    }
    assert!(
        *got[0].seq_no < 65_536,
        "the first sequence number must not start the SRTP rollover"
    );
    assert!(
        net.engine.dropped_datagrams == 0,
        "well-formed traffic was dropped"
    );
}

/// Alice and Bob, both allowed to publish, their publisher PCs offered with a data channel and
/// no media, after `settle` of simulated time (enough for them to connect).
fn pair(settle: Duration) -> (Net, usize, usize) {
    let mut net = Net::new();
    let alice = net.join("alice", true);
    let bob = net.join("bob", true);
    net.publish(alice, None);
    net.publish(bob, None);
    net.run(settle);
    (net, alice, bob)
}

#[test]
fn data_packets_are_stamped_with_the_sender_and_relayed() {
    let (mut net, alice, bob) = pair(Duration::from_secs(2));
    let channel = net.clients[alice]
        .reliable
        .expect("alice's _reliable channel opened");
    let packet = proto::DataPacket {
        participant_identity: "somebody-else".into(),
        value: Some(proto::data_packet::Value::User(proto::UserPacket {
            payload: b"hi".to_vec(),
            ..Default::default()
        })),
        ..Default::default()
    };
    net.clients[alice]
        .publisher
        .channel(channel)
        .unwrap()
        .write(true, &packet.encode_to_vec())
        .unwrap();
    net.run(Duration::from_millis(200));
    let received = net.clients[bob]
        .data
        .iter()
        .map(|d| proto::DataPacket::decode(d.as_slice()).unwrap())
        .next()
        .expect("bob got the packet");
    assert_eq!(received.participant_identity, "alice");
    assert_eq!(received.participant_sid, net.clients[alice].sid.to_string());
    assert!(
        net.clients[alice].data.is_empty(),
        "the sender does not get its own packet"
    );
}

#[test]
fn a_participant_without_can_publish_gets_inactive_media_and_forwards_nothing() {
    let mut net = Net::new();
    let viewer = net.join("viewer", false);
    let bob = net.join("bob", true);
    let mid = net.publish(viewer, Some("cam-1")).unwrap();
    let answer = net.clients[viewer].signals.iter().find_map(|m| match m {
        Msg::Answer(a) => Some(a.sdp.clone()),
        _ => None,
    });
    let answer = answer.expect("the offer is still answered");
    let video = answer.split("m=").find(|s| s.starts_with("video")).unwrap();
    assert!(video.contains("a=inactive"), "{video}");
    net.publish(bob, None);
    net.run(Duration::from_secs(1));
    assert!(
        net.engine
            .core()
            .participant(&net.clients[viewer].sid)
            .unwrap()
            .tracks
            .is_empty()
    );
    assert!(
        !net.clients[bob]
            .signals
            .iter()
            .any(|m| matches!(m, Msg::Offer(o) if o.sdp.contains("m=video")))
    );
    let _ = mid;
}

/// Server CPU per forwarded packet per subscriber: everything the engine does (SRTP decrypt,
/// forwarding decision, VP8 rewrite, `write_rtp`, SRTP encrypt, RTCP, timers) while one
/// publisher's 1100-byte VP8 packets, 200 per second (1.8 Mbit/s, a 720p layer), fan out to N
/// subscribers, with the subscribers' bandwidth estimation (and so str0m's pacer) on and off.
/// Run with
/// `cargo test -p onair-sfu --release --lib forwarding_cost -- --ignored --nocapture`.
#[test]
#[ignore = "a measurement, not a check"]
fn forwarding_cost() {
    for (subscribers, bwe) in [1, 10, 25]
        .into_iter()
        .flat_map(|n| [(n, true), (n, false)])
    {
        let mut net = Net::new();
        net.engine.bwe = bwe;
        let publisher = net.join("publisher", true);
        let mid = net.publish(publisher, Some("cam")).unwrap();
        for i in 0..subscribers {
            let s = net.join(&format!("viewer-{i}"), false);
            net.publish(s, None);
        }
        net.run(Duration::from_secs(2));
        net.send_vp8(publisher, mid, 1, true);
        net.run(Duration::from_millis(100));
        let before = (
            net.engine_time,
            net.clients.iter().map(|c| c.rtp.len()).sum::<usize>(),
        );
        let packets = 2000u64;
        for seq in 2..2 + packets {
            net.send_vp8(publisher, mid, seq, seq % 300 == 0);
            net.run(STEP);
        }
        net.run(Duration::from_millis(500));
        let forwarded = net.clients.iter().map(|c| c.rtp.len()).sum::<usize>() - before.1;
        let spent = net.engine_time - before.0;
        println!(
            "{subscribers:>3} subscribers, BWE {}: {forwarded} packets forwarded, {:.2} us of engine time per packet per subscriber",
            if bwe { "on " } else { "off" },
            spent.as_secs_f64() * 1e6 / forwarded as f64
        );
        assert!(forwarded as u64 >= packets * subscribers as u64 * 9 / 10);
    }
}
