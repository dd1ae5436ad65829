//! A subscriber offer lost with the signal connection: made again after the resume when the
//! client never applied it, settled with the client's sync state when it did.

use super::*;

/// Bob publishes a second camera while Alice's signal connection is failing: the offer adding
/// it to Alice's subscriber PC is lost with the connection.
pub(super) fn lost_offer() -> (Studio, Mid) {
    let mut s = studio();
    let (alice, bob) = (s.alice, s.bob);
    s.net.clients[alice].signal_up = false;
    let mid = s.net.publish(bob, Some("cam-b2")).unwrap();
    s.net.run(Duration::from_millis(200));
    assert_eq!(
        offers(&s.net.clients[alice].lost).len(),
        1,
        "the offer was lost"
    );
    let sid = s.sid(alice);
    s.net.engine.disconnected(s.net.now, &sid);
    s.net.settle();
    (s, mid)
}

#[test]
fn an_offer_lost_with_the_connection_is_made_again_after_the_resume() {
    let (mut s, mid) = lost_offer();
    let (alice, bob) = (s.alice, s.bob);
    let got = s
        .resume(alice, "alice", proto::ReconnectReason::RrSignalDisconnected)
        .unwrap();
    assert!(
        offers(&got).is_empty(),
        "the ICE restart waits for the sync state"
    );
    // The client never saw the offer: its sync state names the one before.
    let sync = s.sync_state(alice);
    s.sync_and_restart_publisher(alice, sync, None);
    assert!(
        s.flow_on(bob, mid, alice) >= 9,
        "bob's second camera does not reach alice"
    );
    assert!(s.flow(bob, alice) >= 9);
}

#[test]
fn an_offer_the_client_applied_before_the_loss_is_settled_with_its_sync_state() {
    let (mut s, mid) = lost_offer();
    let (alice, bob) = (s.alice, s.bob);
    // The client did get the offer and answered it; only the answer was lost.
    let Some(Msg::Offer(offer)) = s.net.clients[alice]
        .lost
        .iter()
        .find(|m| matches!(m, Msg::Offer(_)))
        .cloned()
    else {
        unreachable!()
    };
    let answer = s.net.clients[alice]
        .subscriber
        .sdp_api()
        .accept_offer(SdpOffer::from_sdp_string(&offer.sdp).unwrap())
        .unwrap();
    s.resume(alice, "alice", proto::ReconnectReason::RrSignalDisconnected)
        .unwrap();
    let sync = proto::SyncState {
        offer: Some(offer.clone()),
        answer: Some(proto::SessionDescription {
            r#type: "answer".into(),
            sdp: answer.to_sdp_string(),
            id: offer.id,
            ..Default::default()
        }),
        ..s.sync_state(alice)
    };
    // The ICE restart offer that follows must extend what the client has (the deliverer
    // panics on an offer the client's str0m refuses).
    s.sync_and_restart_publisher(alice, sync, None);
    assert!(
        s.flow_on(bob, mid, alice) >= 9,
        "bob's second camera does not reach alice"
    );
}
