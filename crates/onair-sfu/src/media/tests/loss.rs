//! Loss on either side of the media server, recovered with NACK and RTX, and simulcast layer
//! switches as a subscriber sees them: only at keyframes, with sequence numbers that run on
//! without a gap. Real str0m peers on both ends; the network drops every n-th RTP datagram.

use super::bwe::{Camera, LAYER_BYTE};
use super::link::{Link, Loss};
use super::*;

/// The distinct sequence numbers a client received, sorted.
fn received_seqs(net: &Net, c: usize) -> Vec<u64> {
    let mut seqs: Vec<u64> = net.clients[c].rtp.iter().map(|p| *p.seq_no).collect();
    seqs.sort_unstable();
    seqs.dedup();
    seqs
}

fn gaps(seqs: &[u64]) -> Vec<u64> {
    seqs.windows(2)
        .flat_map(|w| w[0] + 1..w[1])
        .collect::<Vec<u64>>()
}

/// Alice publishes one VP8 track, Bob subscribes; both connected.
fn studio() -> (Net, usize, usize, Mid) {
    let mut net = Net::new();
    let alice = net.join("alice", true);
    let bob = net.join("bob", false);
    let mid = net.publish(alice, Some("cam")).unwrap();
    net.publish(bob, None);
    net.run(Duration::from_secs(1));
    assert!(net.clients[bob].subscriber.is_connected());
    (net, alice, bob, mid)
}

/// 100 packets at 50 per second (a keyframe first), then a second for repairs. Only the first
/// 80 are checked: a receiver finds a loss when a later packet arrives, and asks again for a
/// lost retransmission when its NACK timer runs with traffic flowing, so the tail of a stream
/// that stops is not fully repairable (as in any WebRTC stack).
fn send_hundred(net: &mut Net, alice: usize, mid: Mid) {
    for (i, seq) in (100..200).enumerate() {
        net.send_vp8(alice, mid, seq, i == 0);
        net.run(Duration::from_millis(20));
    }
    net.run(Duration::from_secs(1));
}

/// The RTX payload type a peer negotiated for VP8.
fn rtx_pt(rtc: &Rtc) -> u8 {
    let vp8 = rtc
        .codec_config()
        .params()
        .iter()
        .find(|p| p.spec().codec == Codec::Vp8)
        .unwrap();
    *vp8.resend().expect("RTX negotiated for VP8")
}

/// Every lost packet was sent again (`resent` counts RTX datagrams on the wire) and the
/// receiver ends up with all of them, in a continuous sequence.
fn assert_repaired(seqs: &[u64], expected: usize, lost: u64, resent: u64) {
    assert!(
        lost >= 5,
        "the link dropped only {lost} RTP datagrams: nothing to repair"
    );
    // The last losses of a stream that stops can go unnoticed (see `send_hundred`).
    assert!(
        resent + 2 >= lost,
        "{lost} packets were lost but only {resent} retransmitted"
    );
    let first = seqs[0];
    let seqs: Vec<u64> = seqs
        .iter()
        .copied()
        .filter(|s| *s < first + expected as u64)
        .collect();
    let missing = gaps(&seqs);
    assert!(
        missing.is_empty() && seqs.len() == expected,
        "{} of {lost} lost packets were never repaired: gaps at {missing:?}",
        expected - seqs.len()
    );
}

#[test]
fn packets_lost_toward_a_subscriber_are_resent_after_its_nack() {
    let (mut net, alice, bob, mid) = studio();
    let bob_addr = net.clients[bob].addrs[1];
    let mut link = Link::new(Duration::from_millis(15));
    link.loss = Loss::every(7);
    net.links.insert(bob_addr, link);

    send_hundred(&mut net, alice, mid);

    let loss = &net.links[&bob_addr].loss;
    let resent = loss
        .by_pt
        .get(&rtx_pt(&net.clients[bob].subscriber))
        .copied()
        .unwrap_or(0);
    assert_repaired(&received_seqs(&net, bob), 80, loss.lost, resent);
}

#[test]
fn packets_a_publisher_loses_on_the_way_in_are_nacked_by_the_server_and_forwarded() {
    let (mut net, alice, bob, mid) = studio();
    let alice_addr = net.clients[alice].addrs[0];
    net.uplink_loss.insert(alice_addr, Loss::every(7));

    send_hundred(&mut net, alice, mid);

    // Alice retransmits only what the server asked for with a NACK.
    let loss = &net.uplink_loss[&alice_addr];
    let resent = loss
        .by_pt
        .get(&rtx_pt(&net.clients[alice].publisher))
        .copied()
        .unwrap_or(0);
    let seqs = received_seqs(&net, bob);
    assert_repaired(&seqs, 80, loss.lost, resent);
    // Repaired packets arrive late; each still goes out under the number it belongs at, so
    // what Bob receives in sequence order is what Alice sent, in order.
    let mut by_seq: Vec<&str0m::rtp::RtpPacket> = net.clients[bob].rtp.iter().collect();
    by_seq.sort_by_key(|p| *p.seq_no);
    by_seq.dedup_by_key(|p| *p.seq_no);
    let first = *by_seq[0].seq_no;
    for p in &by_seq {
        let sent_as = u64::from(p.payload[20]) - 100;
        assert_eq!(
            *p.seq_no - first,
            sent_as,
            "Alice's packet {sent_as} was forwarded as number {}",
            *p.seq_no - first
        );
    }
}

/// The sid of the first video track `c` was told about.
fn video_track(net: &Net, c: usize) -> String {
    net.clients[c]
        .signals
        .iter()
        .filter_map(|m| match m {
            Msg::Update(u) => Some(u),
            _ => None,
        })
        .flat_map(|u| &u.participants)
        .flat_map(|p| &p.tracks)
        .find(|t| t.r#type == proto::TrackType::Video as i32)
        .map(|t| t.sid.clone())
        .expect("no video track announced")
}

fn ask_for(net: &mut Net, c: usize, track: &str, quality: proto::VideoQuality) {
    let sid = net.clients[c].sid.clone();
    let settings = proto::UpdateTrackSettings {
        track_sids: vec![track.to_owned()],
        quality: quality as i32,
        ..Default::default()
    };
    net.engine
        .signal(net.now, &sid, Req::TrackSetting(settings));
    net.settle();
}

#[test]
fn layer_switches_happen_at_keyframes_with_continuous_sequence_numbers() {
    let mut net = Net::new();
    // Requests alone drive the layer here; `bwe.rs` tests the estimate's part.
    net.engine.bwe = false;
    let publisher = net.join("camera", true);
    let bob = net.join("bob", false);
    net.publish(bob, None);
    let mut camera = Camera::publish(&mut net, publisher);
    camera.run(&mut net, Duration::from_secs(2));
    let track = video_track(&net, bob);

    // Each request, then what Bob receives three seconds later.
    let mut settled = Vec::new();
    for quality in [
        proto::VideoQuality::Low,
        proto::VideoQuality::High,
        proto::VideoQuality::Medium,
    ] {
        ask_for(&mut net, bob, &track, quality);
        camera.run(&mut net, Duration::from_secs(3));
        let newest = net.clients[bob].rtp.last().map(|p| p.payload[LAYER_BYTE]);
        settled.push(newest);
    }
    assert_eq!(
        settled,
        vec![Some(0), Some(2), Some(1)],
        "Bob follows LOW, HIGH, MEDIUM"
    );

    // In sequence order, as the receiver's jitter buffer sees them.
    let mut rtp: Vec<&str0m::rtp::RtpPacket> = net.clients[bob].rtp.iter().collect();
    rtp.sort_by_key(|p| *p.seq_no);
    rtp.dedup_by_key(|p| *p.seq_no);
    let layers: Vec<u8> = rtp.iter().map(|p| p.payload[LAYER_BYTE]).collect();
    let mut switches = Vec::new();
    for (i, pair) in rtp.windows(2).enumerate() {
        assert_eq!(
            *pair[1].seq_no,
            *pair[0].seq_no + 1,
            "sequence numbers jump at packet {i} (layers {} → {})",
            layers[i],
            layers[i + 1]
        );
        assert!(
            pair[1].header.timestamp >= pair[0].header.timestamp,
            "timestamp goes back at packet {i}"
        );
        if layers[i] != layers[i + 1] {
            let p = &pair[1];
            assert!(
                p.payload[0] & 0x10 != 0 && p.payload[1] & 0x01 == 0,
                "switch {} → {} at packet {} is not at the start of a keyframe",
                layers[i],
                layers[i + 1],
                i + 1
            );
            switches.push(layers[i + 1]);
        }
    }
    assert!(
        switches.len() >= 3,
        "expected at least three layer switches, saw {switches:?}"
    );
}
