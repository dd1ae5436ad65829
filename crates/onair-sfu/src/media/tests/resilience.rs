//! Faults that must stay local: garbage datagrams and SDP change nothing, a client that vanishes
//! is removed after the media timeout, a peer whose str0m `Rtc` panics takes only its own
//! participant down, reliable data sent before a receiver's data channel opens is delivered
//! when it opens, and a sender flooding the room with data is held to its budget.

use super::*;

#[test]
fn a_panicking_peer_disconnects_its_participant_only() {
    let mut net = Net::new();
    let alice = net.join("alice", true);
    let bob = net.join("bob", true);
    let mid = net.publish(alice, Some("cam-1")).unwrap();
    net.publish(bob, None);
    net.run(Duration::from_secs(2));
    assert!(net.clients[bob].subscriber.is_connected());

    // The next datagram from bob hits a (simulated) str0m bug.
    let bob_sid = net.clients[bob].sid.clone();
    net.engine.peers.get_mut(&bob_sid).unwrap().inject_panic = true;
    net.run(Duration::from_millis(500));
    assert!(
        net.engine.core().participant(&bob_sid).is_none(),
        "bob must be disconnected"
    );
    assert!(
        net.clients[bob]
            .signals
            .iter()
            .any(|m| matches!(m, Msg::Leave(_))),
        "bob must be told to leave"
    );
    assert!(
        net.clients[alice].publisher.is_connected(),
        "alice is unaffected"
    );
    assert!(
        net.clients[alice]
            .signals
            .iter()
            .any(|m| matches!(m, Msg::Update(u)
        if u.participants.iter().any(|p| p.identity == "bob"
            && p.state == proto::participant_info::State::Disconnected as i32)))
    );
    net.clients[bob].alive = false;

    // The server goes on: a newcomer connects and receives alice's media.
    let carol = net.join("carol", true);
    net.publish(carol, None);
    net.run(Duration::from_secs(2));
    assert!(net.clients[carol].subscriber.is_connected());
    for (i, seq) in (100..110).enumerate() {
        net.send_vp8(alice, mid, seq, i == 0);
        net.run(Duration::from_millis(30));
    }
    assert!(
        net.clients[carol].rtp.len() >= 9,
        "carol received {} packets",
        net.clients[carol].rtp.len()
    );
}

#[test]
fn reliable_data_sent_before_the_receivers_channel_opens_arrives_when_it_opens() {
    let mut net = Net::new();
    let alice = net.join("alice", true);
    net.publish(alice, None);
    net.run(Duration::from_secs(2));
    let channel = net.clients[alice].reliable.expect("alice's channel opened");

    // Bob has joined (signalling done) but his peer connections are not up yet: his network
    // is out while alice talks.
    let bob = net.join("bob", true);
    let bob_sid = net.clients[bob].sid.clone();
    net.clients[bob].alive = false;
    for text in [&b"first"[..], b"second"] {
        let packet = proto::DataPacket {
            value: Some(proto::data_packet::Value::User(proto::UserPacket {
                payload: text.to_vec(),
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
        net.run(STEP);
    }
    let peer = &net.engine.peers[&bob_sid];
    assert!(
        peer.sub_channels.is_empty(),
        "bob's channel is not open yet"
    );
    assert_eq!(peer.backlog.len(), 2, "both packets are held for bob");

    net.clients[bob].alive = true;
    net.publish(bob, None);
    net.run(Duration::from_secs(2));
    let got: Vec<Vec<u8>> = net.clients[bob]
        .data
        .iter()
        .filter_map(
            |d| match proto::DataPacket::decode(d.as_slice()).ok()?.value {
                Some(proto::data_packet::Value::User(u)) => Some(u.payload),
                _ => None,
            },
        )
        .collect();
    assert_eq!(got, vec![b"first".to_vec(), b"second".to_vec()]);
    assert!(net.engine.peers[&bob_sid].backlog.is_empty());
}

#[test]
fn garbage_datagrams_and_sdp_change_nothing() {
    let mut net = Net::new();
    let alice = net.join("alice", true);
    let before = net.engine.dropped_datagrams;
    let from: SocketAddr = "127.0.0.9:9".parse().unwrap();
    for g in [
        &b""[..],
        b"\x00\x01",
        &[0x80; 40],
        &[0x16, 0xfe, 0xfd, 0, 0],
        &[
            0x00, 0x01, 0x00, 0x08, 0x21, 0x12, 0xa4, 0x42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
        ],
    ] {
        net.engine.receive(net.now, Protocol::Udp, from, g);
    }
    assert_eq!(net.engine.dropped_datagrams, before + 5);
    let sid = net.clients[alice].sid.clone();
    for sdp in [
        "",
        "v=0",
        "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n",
        "m=audio\r\na=mid:\r\na=sendonly\r\n",
    ] {
        let offer = proto::SessionDescription {
            r#type: "offer".into(),
            sdp: sdp.into(),
            ..Default::default()
        };
        net.engine.signal(net.now, &sid, Req::Offer(offer));
        net.engine.signal(
            net.now,
            &sid,
            Req::Answer(proto::SessionDescription {
                sdp: sdp.into(),
                ..Default::default()
            }),
        );
    }
    net.settle();
    assert!(
        net.engine.core().participant(&sid).is_some(),
        "bad SDP must not remove the participant"
    );
    // A good offer still works afterwards.
    net.publish(alice, None);
    net.run(Duration::from_secs(1));
    assert!(net.clients[alice].publisher.is_connected());
}

#[test]
fn a_client_that_vanishes_is_removed_after_the_media_timeout() {
    let (mut net, alice, bob) = pair(Duration::from_secs(1));
    assert!(net.clients[bob].publisher.is_connected());
    net.clients[bob].alive = false;
    let bob_sid = net.clients[bob].sid.clone();
    net.run(MEDIA_TIMEOUT - Duration::from_secs(5));
    assert!(
        net.engine.core().participant(&bob_sid).is_some(),
        "removed too early"
    );
    net.run(Duration::from_secs(25));
    assert!(
        net.engine.core().participant(&bob_sid).is_none(),
        "a vanished client must be removed"
    );
    assert!(net.clients[alice].signals.iter().any(|m| matches!(m, Msg::Update(u)
        if u.participants.iter().any(|p| p.identity == "bob" && p.state == proto::participant_info::State::Disconnected as i32))));
}

#[test]
fn a_sender_flooding_the_room_with_data_is_held_to_its_budget() {
    let (mut net, alice, bob) = pair(Duration::from_secs(2));
    let channel = net.clients[alice].reliable.expect("alice's channel opened");
    let send = |net: &mut Net, n: usize| {
        for i in 0..n {
            let packet = proto::DataPacket {
                value: Some(proto::data_packet::Value::User(proto::UserPacket {
                    payload: format!("spam {i}").into_bytes(),
                    ..Default::default()
                })),
                ..Default::default()
            };
            let mut ch = net.clients[alice].publisher.channel(channel).unwrap();
            ch.write(true, &packet.encode_to_vec()).unwrap();
        }
        net.run(Duration::from_millis(50));
    };
    // 500 at once: the burst allowance (two seconds' worth) goes through, the rest is dropped.
    send(&mut net, 500);
    net.run(Duration::from_millis(500));
    let burst = net.clients[bob].data.len();
    assert!(
        (200..=260).contains(&burst),
        "{burst} of 500 relayed: the burst plus what refilled while they arrived"
    );
    assert_eq!(net.engine.dropped_data_packets, 500 - burst as u64);
    // A second later the sender may speak again.
    net.run(Duration::from_secs(1));
    send(&mut net, 1);
    net.run(Duration::from_millis(200));
    assert_eq!(net.clients[bob].data.len(), burst + 1);
}
