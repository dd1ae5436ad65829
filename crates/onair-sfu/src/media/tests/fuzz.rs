//! Property-based fuzzing of the engine's two untrusted inputs: signal requests from a joined
//! participant and datagrams on the media port, including datagrams spoofed from a connected
//! client's own address. Whatever arrives, nothing panics, no other participant is disturbed, and
//! a well-behaved client can still connect afterwards.

use proptest::prelude::*;

use super::*;

/// Lines that make str0m's SDP parser take its interesting paths, mixed with noise.
fn sdp_line() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("v=0".to_owned()),
        Just("o=- 1 2 IN IP4 127.0.0.1".to_owned()),
        Just("s=-".to_owned()),
        Just("t=0 0".to_owned()),
        Just("a=group:BUNDLE 0 1".to_owned()),
        Just("m=video 9 UDP/TLS/RTP/SAVPF 96 97".to_owned()),
        Just("m=audio 9 UDP/TLS/RTP/SAVPF 111".to_owned()),
        Just("m=application 9 UDP/DTLS/SCTP webrtc-datachannel".to_owned()),
        Just("c=IN IP4 0.0.0.0".to_owned()),
        Just("a=mid:0".to_owned()),
        Just("a=mid:1".to_owned()),
        Just("a=sendonly".to_owned()),
        Just("a=recvonly".to_owned()),
        Just("a=rtpmap:96 VP8/90000".to_owned()),
        Just("a=rtpmap:97 rtx/90000".to_owned()),
        Just("a=fmtp:97 apt=96".to_owned()),
        Just("a=rtpmap:111 opus/48000/2".to_owned()),
        Just("a=ice-ufrag:fuzz".to_owned()),
        Just("a=ice-pwd:fuzzfuzzfuzzfuzzfuzzfuzz".to_owned()),
        Just("a=fingerprint:sha-256 AB:CD:EF".to_owned()),
        Just("a=setup:actpass".to_owned()),
        Just("a=rid:q send".to_owned()),
        Just("a=rid:f send".to_owned()),
        Just("a=simulcast:send q;h;f".to_owned()),
        Just("a=ssrc:1 cname:x".to_owned()),
        Just("a=ssrc-group:FID 1 2".to_owned()),
        Just("a=sctp-port:5000".to_owned()),
        Just("a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid".to_owned()),
        "[ -~]{0,40}",
    ]
}

fn sdp() -> impl Strategy<Value = String> {
    prop::collection::vec(sdp_line(), 0..24).prop_map(|lines| lines.join("\r\n"))
}

fn sids() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(
        prop_oneof![Just("TR_x".to_owned()), "[A-Z_a-z0-9]{0,12}"],
        0..4,
    )
}

/// Any request a hostile or buggy client could send once joined (keepalives are answered by
/// the WebSocket task and never reach the engine).
fn request() -> impl Strategy<Value = Req> {
    fn description() -> impl Strategy<Value = proto::SessionDescription> {
        (
            prop_oneof![Just("offer"), Just("answer"), Just("pranswer")],
            sdp(),
        )
            .prop_map(|(kind, sdp)| proto::SessionDescription {
                r#type: kind.to_owned(),
                sdp,
                ..Default::default()
            })
    }
    prop_oneof![
        description().prop_map(Req::Offer),
        description().prop_map(Req::Answer),
        ("[ -~]{0,80}", any::<i32>(), any::<bool>()).prop_map(|(candidate_init, target, fin)| {
            Req::Trickle(proto::TrickleRequest {
                candidate_init,
                target,
                r#final: fin,
            })
        }),
        (
            "[ -~]{0,12}",
            any::<i32>(),
            any::<i32>(),
            any::<u32>(),
            any::<u32>()
        )
            .prop_map(|(cid, kind, source, width, height)| {
                Req::AddTrack(proto::AddTrackRequest {
                    cid,
                    r#type: kind,
                    source,
                    width,
                    height,
                    ..Default::default()
                })
            }),
        ("[ -~]{0,12}", any::<bool>())
            .prop_map(|(sid, muted)| Req::Mute(proto::MuteTrackRequest { sid, muted })),
        (sids(), any::<bool>()).prop_map(|(track_sids, subscribe)| {
            Req::Subscription(proto::UpdateSubscription {
                track_sids,
                subscribe,
                ..Default::default()
            })
        }),
        (
            sids(),
            any::<bool>(),
            any::<i32>(),
            any::<u32>(),
            any::<u32>()
        )
            .prop_map(|(track_sids, disabled, quality, width, height)| {
                Req::TrackSetting(proto::UpdateTrackSettings {
                    track_sids,
                    disabled,
                    quality,
                    width,
                    height,
                    ..Default::default()
                })
            }),
        // A protobuf field header for one of the request's message fields, then random bytes:
        // the decoder accepts most of these, so the engine sees oddly shaped messages.
        (1u8..16, prop::collection::vec(any::<u8>(), 0..120)).prop_map(|(field, body)| {
            let mut bytes = vec![(field << 3) | 2, body.len() as u8];
            bytes.extend_from_slice(&body);
            proto::SignalRequest::decode(bytes.as_slice())
                .ok()
                .and_then(|r| r.message)
                .unwrap_or(Req::Mute(proto::MuteTrackRequest::default()))
        }),
    ]
}

/// A datagram whose first byte lands in each of the demultiplexer's classes (RFC 7983) or
/// outside all of them.
fn datagram() -> impl Strategy<Value = Vec<u8>> {
    (
        prop_oneof![0u8..4, 20u8..64, 128u8..192, any::<u8>()],
        prop::collection::vec(any::<u8>(), 0..1200),
    )
        .prop_map(|(first, mut rest)| {
            rest.insert(0, first);
            rest
        })
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(48)
}

proptest! {
    // 48 cases per run in CI; `PROPTEST_CASES=N` runs longer campaigns (see the README).
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn hostile_signal_requests_disturb_no_one(requests in prop::collection::vec(request(), 1..8)) {
        let mut net = Net::new();
        let alice = net.join("alice", true);
        let mallory = net.join("mallory", true);
        let alice_sid = net.clients[alice].sid.clone();
        let mallory_sid = net.clients[mallory].sid.clone();
        let leaves = requests.iter().any(|r| matches!(r, Req::Leave(_)));
        for request in requests {
            net.engine.signal(net.now, &mallory_sid, request);
            net.settle();
        }
        prop_assert!(net.engine.core().participant(&alice_sid).is_some(), "alice was removed");
        if !leaves {
            prop_assert!(
                net.engine.core().participant(&mallory_sid).is_some(),
                "bad requests alone must not remove their sender"
            );
        }
        net.publish(alice, None);
        net.run(Duration::from_secs(1));
        prop_assert!(net.clients[alice].publisher.is_connected(), "alice could not connect afterwards");
    }

    #[test]
    fn hostile_datagrams_disturb_no_one(
        datagrams in prop::collection::vec((datagram(), 0usize..3), 1..24)
    ) {
        let mut net = Net::new();
        let alice = net.join("alice", true);
        net.publish(alice, None);
        net.run(Duration::from_secs(1));
        prop_assert!(net.clients[alice].publisher.is_connected());
        let stranger: SocketAddr = "127.0.0.9:4444".parse().unwrap();
        for (bytes, from) in datagrams {
            // From a stranger, or spoofed from alice's own connections.
            let source = if from == 0 { stranger } else { net.clients[alice].addrs[from - 1] };
            net.engine.receive(net.now, Protocol::Udp, source, &bytes);
            net.settle();
        }
        net.run(Duration::from_secs(1));
        prop_assert!(net.engine.core().participant(&net.clients[alice].sid).is_some());
        let bob = net.join("bob", true);
        net.publish(bob, None);
        net.run(Duration::from_secs(1));
        prop_assert!(net.clients[bob].publisher.is_connected(), "a new client could not connect afterwards");
    }
}
