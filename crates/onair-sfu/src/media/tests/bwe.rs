//! Bandwidth-driven layer choice end to end: a str0m publisher sends three simulcast layers,
//! two str0m subscribers receive through modelled links, and one link is squeezed to a
//! bottleneck and then freed. The squeezed subscriber must fall to a layer its link carries
//! while the other keeps the top layer, and climb back once capacity returns.

use std::fmt::Write as _;

use str0m::media::{Rid, Simulcast, SimulcastLayer};

use super::link::Link;
use super::*;

/// Per layer (lowest first): rid, packets per frame, payload bytes per packet. At 30 frames
/// per second: q ≈ 150 kbit/s, h ≈ 490 kbit/s, f ≈ 1.6 Mbit/s.
const LAYERS: [(&str, usize, usize); 3] = [("q", 1, 600), ("h", 2, 1000), ("f", 6, 1100)];
const FRAME: Duration = Duration::from_micros(33_333);
/// Byte of the payload that names the layer, so a subscriber can tell what it receives.
pub(super) const LAYER_BYTE: usize = 7;

/// A simulcast camera on a client's publisher PC.
pub(super) struct Camera {
    client: usize,
    mid: Mid,
    frame: u64,
    seq: [u64; 3],
    next_frame: Instant,
    plis_seen: usize,
}

impl Camera {
    /// Announces and offers a three-layer simulcast video track.
    pub(super) fn publish(net: &mut Net, client: usize) -> Self {
        let sid = net.clients[client].sid.clone();
        let layers = [(320, 180), (640, 360), (1280, 720)]
            .iter()
            .zip([
                proto::VideoQuality::Low,
                proto::VideoQuality::Medium,
                proto::VideoQuality::High,
            ])
            .map(|((w, h), q)| proto::VideoLayer {
                quality: q as i32,
                width: *w,
                height: *h,
                ..Default::default()
            })
            .collect();
        let add = proto::AddTrackRequest {
            cid: "camera".into(),
            r#type: proto::TrackType::Video as i32,
            source: proto::TrackSource::Camera as i32,
            width: 1280,
            height: 720,
            layers,
            ..Default::default()
        };
        net.engine.signal(net.now, &sid, Req::AddTrack(add));
        let mut simulcast = Simulcast::new();
        for (rid, _, _) in LAYERS {
            simulcast.add_send_layer(SimulcastLayer::new(rid));
        }
        let c = &mut net.clients[client];
        let mut api = c.publisher.sdp_api();
        let mid = api.add_media(
            MediaKind::Video,
            Direction::SendOnly,
            Some("stream".into()),
            Some("camera".into()),
            Some(simulcast),
        );
        api.add_channel("_reliable".into());
        let (offer, pending) = api.apply().unwrap();
        c.pending = Some(pending);
        let offer = proto::SessionDescription {
            r#type: "offer".into(),
            sdp: offer.to_sdp_string(),
            id: 1,
            ..Default::default()
        };
        net.engine.signal(net.now, &sid, Req::Offer(offer));
        net.settle();
        Camera {
            client,
            mid,
            frame: 0,
            seq: [1, 1, 1],
            next_frame: net.now,
            plis_seen: 0,
        }
    }

    /// One frame on every layer: a keyframe every 4 s or after a keyframe request, as a
    /// browser's simulcast encoder does (on all layers at once).
    fn send_frame(&mut self, net: &mut Net) {
        let c = &mut net.clients[self.client];
        let keyframe = self.frame.is_multiple_of(120) || c.plis > self.plis_seen;
        self.plis_seen = c.plis;
        let pt = c
            .publisher
            .codec_config()
            .params()
            .iter()
            .find(|p| p.spec().codec == Codec::Vp8)
            .unwrap()
            .pt();
        let ts = (self.frame * 3000) as u32;
        for (i, (rid, packets, size)) in LAYERS.iter().enumerate() {
            for p in 0..*packets {
                // VP8 descriptor (S=1 on the first packet of a frame), then the frame tag.
                let mut payload = vec![0u8; *size];
                payload[0] = if p == 0 { 0x10 } else { 0x00 };
                payload[1] = if keyframe { 0x00 } else { 0x01 };
                payload[2..7].copy_from_slice(&[0, 0, 0x9d, 0x01, 0x2a]);
                payload[LAYER_BYTE] = i as u8;
                let mut api = c.publisher.direct_api();
                let tx = api
                    .stream_tx_by_mid(self.mid, Some(Rid::from(*rid)))
                    .unwrap();
                let write = RtpWrite::new(pt, SeqNo::from(self.seq[i]), ts, net.now, payload)
                    .marker(p + 1 == *packets);
                tx.write_rtp(write);
                self.seq[i] += 1;
            }
        }
        c.publisher.handle_input(Input::Timeout(net.now)).unwrap();
        self.frame += 1;
        self.next_frame += FRAME;
        net.settle();
    }

    /// Runs the network for `duration` with frames flowing.
    pub(super) fn run(&mut self, net: &mut Net, duration: Duration) {
        // A camera that was not running picks up from now, not with a burst of missed frames.
        self.next_frame = self.next_frame.max(net.now);
        let end = net.now + duration;
        while net.now < end {
            while self.next_frame <= net.now {
                self.send_frame(net);
            }
            net.run(net.step);
        }
    }
}

/// The layer of the newest packet a client received since the last call, and forgets them.
fn newest_layer(net: &mut Net, c: usize) -> Option<u8> {
    let rtp = std::mem::take(&mut net.clients[c].rtp);
    rtp.last().map(|p| p.payload[LAYER_BYTE])
}

fn estimate_kbps(net: &Net, c: usize) -> u64 {
    let sid = &net.clients[c].sid;
    net.engine.peers[sid].bwe.estimate_bps.unwrap_or(0) / 1000
}

/// Samples both subscribers' layers every half second for `duration`; returns the samples
/// `(seconds, layer of a, layer of b)` and appends them to `log`.
fn watch(
    net: &mut Net,
    camera: &mut Camera,
    (a, b): (usize, usize),
    duration: Duration,
    log: &mut String,
    t0: Instant,
) -> Vec<(f64, Option<u8>, Option<u8>)> {
    let mut samples = Vec::new();
    let end = net.now + duration;
    let delivered = |net: &Net, c: usize| net.links[&net.clients[c].addrs[1]].delivered;
    while net.now < end {
        let before = (delivered(net, a), delivered(net, b));
        camera.run(net, Duration::from_millis(500));
        let rates = (
            (delivered(net, a) - before.0) * 16 / 1000,
            (delivered(net, b) - before.1) * 16 / 1000,
        );
        let s = (
            net.now.duration_since(t0).as_secs_f64(),
            newest_layer(net, a),
            newest_layer(net, b),
        );
        let _ = writeln!(
            log,
            "{:5.1}s a: layer {:?} (estimate {}, got {} kbit/s)  b: layer {:?} (estimate {}, got {} kbit/s, {} dropped)",
            s.0,
            s.1,
            estimate_kbps(net, a),
            rates.0,
            s.2,
            estimate_kbps(net, b),
            rates.1,
            net.links[&net.clients[b].addrs[1]].dropped,
        );
        samples.push(s);
    }
    samples
}

#[test]
fn a_constrained_subscriber_moves_down_a_layer_and_back_up_when_capacity_returns() {
    const F: Option<u8> = Some(2);
    /// An open link: a good home connection.
    const OPEN: u64 = 20_000_000;
    /// Bottleneck buffer: about 1.1 s at 700 kbit/s.
    const QUEUE: usize = 100_000;
    let mut net = Net::new();
    // Fine enough for the pacer's and the probes' timing to mean something.
    net.step = Duration::from_millis(1);
    let publisher = net.join("camera", true);
    let a = net.join("viewer-a", false);
    let b = net.join("viewer-b", false);
    for c in [a, b] {
        let addr = net.clients[c].addrs[1];
        let mut link = Link::new(Duration::from_millis(20));
        link.set_capacity(Some(OPEN), QUEUE);
        net.links.insert(addr, link);
        net.publish(c, None);
    }
    let mut camera = Camera::publish(&mut net, publisher);
    net.run(Duration::from_secs(1));
    let t0 = net.now;
    let mut log = String::new();

    // Open links: both reach the top layer.
    let open = watch(
        &mut net,
        &mut camera,
        (a, b),
        Duration::from_secs(8),
        &mut log,
        t0,
    );
    let last = open.last().copied().unwrap();
    assert_eq!((last.1, last.2), (F, F), "both should receive f:\n{log}");

    // b's link narrows to 700 kbit/s with a 40 KB queue (about 450 ms of buffer).
    let b_addr = net.clients[b].addrs[1];
    net.links
        .get_mut(&b_addr)
        .unwrap()
        .set_capacity(Some(700_000), QUEUE);
    let _ = writeln!(log, "-- b limited to 700 kbit/s");
    let squeezed = watch(
        &mut net,
        &mut camera,
        (a, b),
        Duration::from_secs(12),
        &mut log,
        t0,
    );
    assert!(
        squeezed.iter().all(|s| s.1 == F),
        "a must keep f while b is squeezed:\n{log}"
    );
    let settled = &squeezed[squeezed.len() - 8..];
    assert!(
        settled.iter().all(|s| s.2.is_some_and(|l| l < 2)),
        "b must settle below f within 8 s of the squeeze:\n{log}"
    );

    // Capacity returns: b climbs back to f.
    net.links
        .get_mut(&b_addr)
        .unwrap()
        .set_capacity(Some(OPEN), QUEUE);
    let _ = writeln!(log, "-- b unlimited again");
    let freed = watch(
        &mut net,
        &mut camera,
        (a, b),
        Duration::from_secs(20),
        &mut log,
        t0,
    );
    let back = freed.iter().position(|s| s.2 == F);
    assert!(back.is_some(), "b must return to f:\n{log}");
    assert!(
        freed.iter().all(|s| s.1 == F),
        "a must keep f throughout:\n{log}"
    );
    println!("{log}");
}
