//! Property test: whatever sync state a resuming client sends — garbage SDP, unknown or
//! malformed track sids, with an offer in flight or not — nothing panics, nobody else is
//! disturbed, and the resumed session either continues or is told to rejoin.

use proptest::prelude::*;

use super::*;

fn sids() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(
        prop_oneof![Just("TR_x".to_owned()), "[A-Z_a-z0-9]{0,14}"],
        0..3,
    )
}

fn description() -> impl Strategy<Value = Option<proto::SessionDescription>> {
    let line = prop_oneof![
        Just("v=0".to_owned()),
        Just("m=video 9 UDP/TLS/RTP/SAVPF 96".to_owned()),
        Just("m=application 0 UDP/DTLS/SCTP webrtc-datachannel".to_owned()),
        Just("a=mid:0".to_owned()),
        Just("a=ice-ufrag:x".to_owned()),
        Just("a=setup:active".to_owned()),
        "[ -~]{0,30}",
    ];
    prop::option::of(
        prop::collection::vec(line, 0..10).prop_map(|l| proto::SessionDescription {
            r#type: "answer".into(),
            sdp: l.join("\r\n"),
            ..Default::default()
        }),
    )
}

fn sync_state() -> impl Strategy<Value = proto::SyncState> {
    (
        description(),
        description(),
        sids(),
        sids(),
        sids(),
        any::<bool>(),
    )
        .prop_map(
            |(offer, answer, published, subscription, disabled, subscribe)| proto::SyncState {
                offer,
                answer,
                publish_tracks: published
                    .into_iter()
                    .map(|sid| proto::TrackPublishedResponse {
                        cid: String::new(),
                        track: Some(proto::TrackInfo {
                            sid,
                            ..Default::default()
                        }),
                    })
                    .collect(),
                subscription: Some(proto::UpdateSubscription {
                    track_sids: subscription,
                    subscribe,
                    ..Default::default()
                }),
                track_sids_disabled: disabled,
                ..Default::default()
            },
        )
}

/// 24 cases per run; `PROPTEST_CASES=N` runs longer campaigns.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(24)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn hostile_sync_states_disturb_no_one(state in sync_state(), in_flight in any::<bool>()) {
        let mut s = if in_flight { lost_offer::lost_offer().0 } else {
            let mut s = studio();
            let alice = s.alice;
            s.drop_signal(alice);
            s
        };
        let (alice, bob) = (s.alice, s.bob);
        s.resume(alice, "alice", proto::ReconnectReason::RrSignalDisconnected).unwrap();
        let sid = s.sid(alice);
        s.net.engine.signal(s.net.now, &sid, Req::SyncState(state));
        s.net.settle();
        s.net.run(Duration::from_millis(500));
        prop_assert!(s.net.engine.core().participant(&s.sid(bob)).is_some(), "bob was removed");
        if s.net.engine.core().participant(&sid).is_some() {
            prop_assert!(s.flow(alice, bob) >= 9, "alice's media stopped reaching bob");
        } else {
            let told = s.net.clients[alice].signals.iter().any(|m| matches!(m, Msg::Leave(l)
                if l.action == proto::leave_request::Action::Reconnect as i32));
            prop_assert!(told, "a session ended by its sync state is told to rejoin");
        }
        let bob_client = &s.net.clients[bob];
        prop_assert!(bob_client.publisher.is_connected() && bob_client.subscriber.is_connected());
        let carol = s.net.join("carol", true);
        s.net.publish(carol, None);
        s.net.run(Duration::from_secs(1));
        prop_assert!(s.net.clients[carol].publisher.is_connected(), "a new client could not connect");
    }
}
