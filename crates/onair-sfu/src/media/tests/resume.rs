//! Resume on simulated time with real str0m clients: the signal connection drops while media
//! keeps flowing, the client resumes (same sid, same tracks, nobody else told anything), both
//! peer connections restart ICE — the publisher's from a new address, found again through its
//! new ufrag — and media flows again. Late, foreign and overflowing resumes are refused; an
//! offer lost with the connection is settled; refreshed tokens verify.

use std::time::SystemTime;

use str0m::Candidate;

use super::*;
use crate::room::ResumeError;

mod continuity;
mod hostile;
mod lost_offer;

fn unix_ms_now() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// Alice and Bob each publish a camera and receive the other's.
struct Studio {
    net: Net,
    alice: usize,
    bob: usize,
    mids: [Mid; 2],
    seq: [u64; 2],
}

fn studio() -> Studio {
    let mut net = Net::new_at(unix_ms_now());
    let alice = net.join("alice", true);
    let bob = net.join("bob", true);
    let alice_mid = net.publish(alice, Some("cam-a")).unwrap();
    let bob_mid = net.publish(bob, Some("cam-b")).unwrap();
    net.run(Duration::from_secs(2));
    for c in [alice, bob] {
        assert!(net.clients[c].publisher.is_connected());
        assert!(net.clients[c].subscriber.is_connected());
    }
    Studio {
        net,
        alice,
        bob,
        mids: [alice_mid, bob_mid],
        seq: [1, 1],
    }
}

impl Studio {
    fn sid(&self, c: usize) -> ParticipantSid {
        self.net.clients[c].sid.clone()
    }

    /// Ten frames (a keyframe first) from `from` on `mid`; how many packets `to` received.
    fn flow_on(&mut self, from: usize, mid: Mid, to: usize) -> usize {
        let before = self.net.clients[to].rtp.len();
        let i = usize::from(from != self.alice);
        for n in 0..10 {
            self.net.send_vp8(from, mid, self.seq[i], n == 0);
            self.seq[i] += 1;
            self.net.run(Duration::from_millis(20));
        }
        self.net.clients[to].rtp.len() - before
    }

    fn flow(&mut self, from: usize, to: usize) -> usize {
        let mid = self.mids[usize::from(from != self.alice)];
        self.flow_on(from, mid, to)
    }

    /// The signal connection of `c` is gone (its client has not noticed yet, or is redialling).
    fn drop_signal(&mut self, c: usize) {
        self.net.clients[c].signal_up = false;
        let sid = self.sid(c);
        self.net.engine.disconnected(self.net.now, &sid);
        self.net.settle();
    }

    /// `c` comes back on a new signal connection; returns the messages it got from then on.
    fn resume(
        &mut self,
        c: usize,
        identity: &str,
        reason: proto::ReconnectReason,
    ) -> Result<Vec<Msg>, ResumeError> {
        self.net.clients[c].signal_up = true;
        let seen = self.net.clients[c].signals.len();
        let sid = self.sid(c);
        self.net
            .engine
            .resume(self.net.now, &sid, &grant(identity, true), reason)?;
        self.net.settle();
        Ok(self.net.clients[c].signals[seen..].to_vec())
    }

    /// What a resuming LiveKit client sends next: its sync state, then an ICE-restart offer on
    /// its publisher PC — from `new_addr` when it moved.
    fn sync_and_restart_publisher(
        &mut self,
        c: usize,
        sync: proto::SyncState,
        new_addr: Option<SocketAddr>,
    ) {
        let sid = self.sid(c);
        self.net
            .engine
            .signal(self.net.now, &sid, Req::SyncState(sync));
        self.net.settle();
        let client = &mut self.net.clients[c];
        let mut api = client.publisher.sdp_api();
        api.ice_restart(new_addr.is_none());
        let (offer, pending) = api.apply().unwrap();
        client.pending = Some(pending);
        let offer = proto::SessionDescription {
            r#type: "offer".into(),
            sdp: offer.to_sdp_string(),
            id: 2,
            ..Default::default()
        };
        self.net
            .engine
            .signal(self.net.now, &sid, Req::Offer(offer));
        self.net.settle();
        if let Some(addr) = new_addr {
            // The old host candidate went with the old network.
            let client = &mut self.net.clients[c];
            client.addrs[0] = addr;
            client
                .publisher
                .add_local_candidate(Candidate::host(addr, "udp").unwrap());
        }
        self.net.run(Duration::from_secs(2));
    }

    fn sync_state(&self, c: usize) -> proto::SyncState {
        let published = self
            .net
            .engine
            .core()
            .participant(&self.sid(c))
            .unwrap()
            .tracks
            .iter()
            .map(|t| proto::TrackPublishedResponse {
                cid: t.cid.clone(),
                track: Some(t.to_proto()),
            })
            .collect();
        proto::SyncState {
            publish_tracks: published,
            subscription: Some(proto::UpdateSubscription {
                subscribe: false,
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn ufrags(&self, c: usize) -> [String; 2] {
        self.net.engine.peers[&self.sid(c)].ufrags.clone()
    }
}

fn offers(msgs: &[Msg]) -> Vec<&str> {
    msgs.iter()
        .filter_map(|m| match m {
            Msg::Offer(o) => Some(o.sdp.as_str()),
            _ => None,
        })
        .collect()
}

/// Everything Bob was told about Alice.
fn about<'a>(msgs: &'a [Msg], identity: &str) -> Vec<&'a Msg> {
    msgs.iter()
        .filter(|m| match m {
            Msg::Update(u) => u.participants.iter().any(|p| p.identity == identity),
            Msg::Leave(_) | Msg::Join(_) => true,
            _ => false,
        })
        .collect()
}

#[test]
fn a_resumed_participant_keeps_its_sid_tracks_and_media_and_nobody_notices() {
    let mut s = studio();
    let (alice, bob) = (s.alice, s.bob);
    let alice_sid = s.sid(alice);
    let tracks_before: Vec<TrackSid> = s
        .net
        .engine
        .core()
        .participant(&alice_sid)
        .unwrap()
        .tracks
        .iter()
        .map(|t| t.sid.clone())
        .collect();
    assert!(s.flow(alice, bob) >= 9 && s.flow(bob, alice) >= 9);
    let old_ufrags = s.ufrags(alice);

    s.drop_signal(alice);
    let bob_seen = s.net.clients[bob].signals.len();
    let events_seen = s.net.events.len();
    // Media keeps flowing both ways while the signal connection is down.
    assert!(
        s.flow(alice, bob) >= 9,
        "alice's media stopped reaching bob"
    );
    assert!(
        s.flow(bob, alice) >= 9,
        "bob's media stopped reaching alice"
    );
    // Carol joins meanwhile; alice misses the announcement and gets it replayed.
    s.net.join("carol", false);
    s.net.run(Duration::from_secs(5));
    assert!(
        s.net.clients[alice].lost.is_empty(),
        "messages to a detached participant are held, not sent"
    );

    let got = s
        .resume(alice, "alice", proto::ReconnectReason::RrSignalDisconnected)
        .unwrap();
    assert!(
        matches!(got.first(), Some(Msg::Reconnect(_))),
        "reconnect comes first: {got:?}"
    );
    let carol_at = got
        .iter()
        .position(
            |m| matches!(m, Msg::Update(u) if u.participants.iter().any(|p| p.identity == "carol")),
        )
        .expect("carol's join is replayed");
    assert!(carol_at > 0);
    let restart = offers(&got);
    let [restart] = restart[..] else {
        panic!("one subscriber offer, the ICE restart: {got:?}")
    };
    assert!(
        !restart.contains(&format!("a=ice-ufrag:{}", old_ufrags[1])),
        "the offer restarts ICE"
    );

    let sync = s.sync_state(alice);
    s.sync_and_restart_publisher(alice, sync, Some("127.0.0.3:20000".parse().unwrap()));
    let new_ufrags = s.ufrags(alice);
    assert_ne!(
        new_ufrags[0], old_ufrags[0],
        "publisher credentials follow the restart"
    );
    assert_ne!(
        new_ufrags[1], old_ufrags[1],
        "subscriber credentials follow the restart"
    );
    for (old, new) in old_ufrags.iter().zip(&new_ufrags) {
        assert!(!s.net.engine.by_ufrag.contains_key(old));
        assert!(s.net.engine.by_ufrag.contains_key(new));
    }
    let client = &s.net.clients[alice];
    assert!(client.publisher.is_connected() && client.subscriber.is_connected());
    assert!(
        s.flow(alice, bob) >= 9,
        "alice's media, now from a new address, does not reach bob"
    );
    assert!(
        s.flow(bob, alice) >= 9,
        "bob's media does not reach alice after the ICE restart"
    );

    let p = s
        .net
        .engine
        .core()
        .participant(&alice_sid)
        .expect("same session");
    let tracks_after: Vec<TrackSid> = p.tracks.iter().map(|t| t.sid.clone()).collect();
    assert_eq!(tracks_after, tracks_before);
    let told = about(&s.net.clients[bob].signals[bob_seen..], "alice");
    assert!(told.is_empty(), "bob was told about alice: {told:?}");
    let events: Vec<&RoomEvent> = s.net.events[events_seen..]
        .iter()
        .filter(|e| !matches!(e, RoomEvent::ParticipantJoined { participant, .. } if participant.identity == "carol"))
        .collect();
    assert!(events.is_empty(), "{events:?}");
    assert_eq!(s.net.engine.dropped_datagrams, 0);
}

#[test]
fn after_the_departure_timeout_the_participant_leaves_and_cannot_resume() {
    let mut s = studio();
    let (alice, bob) = (s.alice, s.bob);
    s.drop_signal(alice);
    s.net.run(Duration::from_secs(19));
    assert!(s.net.engine.core().participant(&s.sid(alice)).is_some());
    s.net.run(Duration::from_secs(2));
    assert!(s.net.engine.core().participant(&s.sid(alice)).is_none());
    assert!(s.net.clients[bob].signals.iter().any(|m| matches!(m, Msg::Update(u)
        if u.participants.iter().any(|p| p.identity == "alice" && p.state == proto::participant_info::State::Disconnected as i32))));
    let left = s.net.events.iter().find_map(|e| match e {
        RoomEvent::ParticipantLeft { participant, .. } if participant.identity == "alice" => {
            Some(participant)
        }
        _ => None,
    });
    assert_eq!(
        left.expect("participant_left").disconnect_reason,
        proto::DisconnectReason::SignalClose as i32
    );
    assert!(s.net.events.iter().any(|e| matches!(e, RoomEvent::TrackUnpublished { participant, .. } if participant.identity == "alice")));
    assert_eq!(
        s.resume(alice, "alice", proto::ReconnectReason::RrSignalDisconnected),
        Err(ResumeError::UnknownParticipant)
    );
}

#[test]
fn a_resume_with_another_identity_is_refused_and_the_session_still_resumes() {
    let mut s = studio();
    let alice = s.alice;
    s.drop_signal(alice);
    assert_eq!(
        s.resume(alice, "bob", proto::ReconnectReason::RrSignalDisconnected),
        Err(ResumeError::Mismatch)
    );
    assert!(s.net.engine.core().is_detached(&s.sid(alice)));
    assert_eq!(
        s.net.clients[alice]
            .signals
            .last()
            .map(|m| matches!(m, Msg::Reconnect(_))),
        Some(false)
    );
    let got = s
        .resume(alice, "alice", proto::ReconnectReason::RrSignalDisconnected)
        .unwrap();
    assert!(matches!(got.first(), Some(Msg::Reconnect(_))));
}

#[test]
fn a_resume_after_peer_connection_failure_restarts_ice_and_media_flows_again() {
    let mut s = studio();
    let (alice, bob) = (s.alice, s.bob);
    // Alice's network is gone for a while; her signal connection is still considered open.
    s.net.clients[alice].alive = false;
    s.net.run(Duration::from_secs(8));
    assert_eq!(
        s.flow(bob, alice),
        0,
        "nothing reaches a client whose network is gone"
    );
    s.net.clients[alice].alive = true;
    // Her client resumes on a second connection (the first is replaced).
    let got = s
        .resume(alice, "alice", proto::ReconnectReason::RrPublisherFailed)
        .unwrap();
    assert!(matches!(got.first(), Some(Msg::Reconnect(_))));
    let sync = s.sync_state(alice);
    s.sync_and_restart_publisher(alice, sync, None);
    assert!(
        s.flow(alice, bob) >= 9,
        "alice's media does not reach bob again"
    );
    // Alice's bandwidth estimate restarts with her ICE, but the feedback for what was sent into
    // the outage lowers it at first: the pacer holds part of a burst until probing recovers.
    let flows: Vec<usize> = (0..15).map(|_| s.flow(bob, alice)).collect();
    assert!(
        flows.iter().any(|n| *n >= 9),
        "bob's media does not reach alice again at full rate within 3 s: {flows:?}"
    );
}

#[test]
fn a_session_that_missed_too_much_is_told_to_rejoin() {
    let mut s = studio();
    let (alice, bob) = (s.alice, s.bob);
    s.drop_signal(alice);
    let bob_sid = s.sid(bob);
    let track = s.net.engine.core().participant(&bob_sid).unwrap().tracks[0]
        .sid
        .to_string();
    for i in 0..=super::super::resume::HELD_CAPACITY {
        let mute = proto::MuteTrackRequest {
            sid: track.clone(),
            muted: i % 2 == 0,
        };
        s.net.engine.signal(s.net.now, &bob_sid, Req::Mute(mute));
    }
    s.net.settle();
    let refused = s.resume(alice, "alice", proto::ReconnectReason::RrSignalDisconnected);
    assert!(
        matches!(refused, Err(ResumeError::StateLost)),
        "{} messages replayed",
        refused.map(|m| m.len()).unwrap_or_default()
    );
    assert!(s.net.engine.core().participant(&s.sid(alice)).is_none());
}
