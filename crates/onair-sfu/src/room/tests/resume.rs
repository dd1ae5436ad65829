//! Resume and token refresh in the room core: a detached participant is kept for the departure
//! timeout without anyone being told, a resume must match its identity and room, and refreshed
//! tokens verify with LiveKit's own verifier and carry the session's current grants.

use std::time::SystemTime;

use livekit_api::access_token::{Claims, TokenVerifier, VideoGrants};

use super::*;
use crate::config::TokenRefresh;

const KEY: &str = "key";
const SECRET: &str = "a-secret-long-enough-for-hs256-signing";

/// The core's clock starts 1000 s in the past, so tokens issued at simulated times up to then
/// are already valid for LiveKit's verifier, which reads the real clock.
fn epoch_ms() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
        - 1_000_000
}

/// Refreshed-token lifetime in these tests: long enough to outlast the clock's head start.
const VALIDITY_S: i64 = 3600;

/// Two participants, alice publishing a bound video track that bob receives.
fn studio(now: Instant) -> (RoomCore, ParticipantSid, ParticipantSid, TrackSid) {
    let mut core = core(now);
    let a = core
        .join(now, grant("studio", "alice"), JoinOptions::default())
        .unwrap();
    let b = core
        .join(now, grant("studio", "bob"), JoinOptions::default())
        .unwrap();
    let t = core.add_track(&a, video("cam")).unwrap();
    core.bind_track(&a, Some("cam"), TrackKind::Video, "1");
    drain(&mut core);
    (core, a, b, t)
}

#[test]
fn a_detached_participant_is_kept_silently_and_resumes_with_its_sid_and_tracks() {
    let now = Instant::now();
    let (mut core, a, b, t) = studio(now);
    assert!(core.detach(now, &a));
    assert!(core.is_detached(&a));
    let later = now + Duration::from_secs(19);
    core.handle_timeout(later);
    let out = drain(&mut core);
    assert!(
        out.is_empty(),
        "nothing happens within the departure timeout: {out:?}"
    );
    assert!(core.subscribers_of(&t).any(|s| s == &b));

    core.resume(&a, &grant("studio", "alice"), 0).unwrap();
    core.resync(&a);
    let out = drain(&mut core);
    assert!(
        signals_to(&out, &b).is_empty(),
        "bob hears nothing of alice's resume"
    );
    let to_a = signals_to(&out, &a);
    let Some(Msg::Reconnect(r)) = to_a.first() else {
        panic!("the first message of a resume must be `reconnect`: {to_a:?}");
    };
    let info = r.server_info.as_ref().unwrap();
    assert_eq!((info.protocol, info.version.as_str()), (17, SERVER_VERSION));
    let Some(Msg::Update(u)) = to_a.get(1) else {
        panic!("then the room's participants: {to_a:?}")
    };
    let me = u.participants.iter().find(|p| p.sid == a.as_str()).unwrap();
    assert_eq!(me.tracks[0].sid, t.as_str());
    assert!(u.participants.iter().any(|p| p.identity == "bob"));
    assert!(matches!(to_a.get(2), Some(Msg::RoomUpdate(_))));
    assert!(!core.is_detached(&a));
    // Reattached: the old window no longer applies.
    core.handle_timeout(now + Duration::from_secs(60));
    assert!(core.participant(&a).is_some());
}

#[test]
fn a_participant_not_resumed_within_the_departure_timeout_leaves_as_usual() {
    let now = Instant::now();
    let (mut core, a, b, t) = studio(now);
    core.detach(now, &a);
    assert_eq!(core.poll_timeout(), Some(now + Duration::from_secs(20)));
    core.handle_timeout(now + Duration::from_secs(20));
    let out = drain(&mut core);
    assert!(core.participant(&a).is_none());
    assert!(out.iter().any(|o| matches!(o, RoomOutput::Disconnect { participant, reason: proto::DisconnectReason::SignalClose } if participant == &a)));
    assert!(out.iter().any(|o| matches!(o, RoomOutput::Unsubscribe { subscriber, track } if subscriber == &b && track == &t)));
    assert!(
        signals_to(&out, &b)
            .iter()
            .any(|m| matches!(m, Msg::Update(u)
        if u.participants[0].state == proto::participant_info::State::Disconnected as i32))
    );
    let events: Vec<&RoomEvent> = out
        .iter()
        .filter_map(|o| match o {
            RoomOutput::Event(e) => Some(&**e),
            _ => None,
        })
        .collect();
    assert!(matches!(
        events.as_slice(),
        [
            RoomEvent::TrackUnpublished { .. },
            RoomEvent::ParticipantLeft { .. }
        ]
    ));
    assert_eq!(
        core.resume(&a, &grant("studio", "alice"), 0),
        Err(ResumeError::UnknownParticipant)
    );
}

#[test]
fn a_room_with_a_longer_departure_timeout_gives_a_longer_window() {
    let now = Instant::now();
    let mut core = core(now);
    let rules = RoomDefaults {
        departure_timeout: Duration::from_secs(45),
        ..RoomDefaults::default()
    };
    core.create_room(now, "studio".parse().unwrap(), Some(rules), None);
    let a = core
        .join(now, grant("studio", "alice"), JoinOptions::default())
        .unwrap();
    core.detach(now, &a);
    core.handle_timeout(now + Duration::from_secs(44));
    assert!(core.participant(&a).is_some());
    core.handle_timeout(now + Duration::from_secs(45));
    assert!(core.participant(&a).is_none());
}

#[test]
fn a_resume_for_another_identity_or_room_is_refused_and_changes_nothing() {
    let now = Instant::now();
    let (mut core, a, _b, _t) = studio(now);
    core.detach(now, &a);
    for (room, identity) in [("studio", "bob"), ("studio", "mallory"), ("other", "alice")] {
        assert_eq!(
            core.resume(&a, &grant(room, identity), 0),
            Err(ResumeError::Mismatch),
            "{identity}@{room}"
        );
    }
    assert_eq!(
        core.resume(&ParticipantSid::generate(), &grant("studio", "alice"), 0),
        Err(ResumeError::UnknownParticipant)
    );
    assert!(drain(&mut core).is_empty());
    assert!(
        core.is_detached(&a),
        "a refused resume leaves the session waiting"
    );
}

fn signer(interval_s: u64) -> TokenSigner {
    TokenSigner::new(
        KEY,
        SECRET,
        TokenRefresh {
            interval: Duration::from_secs(interval_s),
            validity: Duration::from_secs(VALIDITY_S as u64),
        },
    )
}

fn original_claims(now_s: i64, ttl_s: i64) -> Claims {
    Claims {
        exp: (now_s + ttl_s) as usize,
        nbf: now_s as usize,
        iss: KEY.into(),
        sub: "alice".into(),
        name: "alice".into(),
        video: VideoGrants {
            room_join: true,
            room: "studio".into(),
            room_admin: true,
            can_publish_sources: vec!["camera".into(), "microphone".into()],
            ..Default::default()
        },
        ..Default::default()
    }
}

fn refreshed(out: &[RoomOutput], to: &ParticipantSid) -> Vec<Claims> {
    let verifier = TokenVerifier::with_api_key(KEY, SECRET);
    signals_to(out, to)
        .into_iter()
        .filter_map(|m| match m {
            Msg::RefreshToken(t) => Some(verifier.verify(&t).expect("refreshed token verifies")),
            _ => None,
        })
        .collect()
}

#[test]
fn refreshed_tokens_verify_keep_the_grants_and_expire_later() {
    let now = Instant::now();
    let unix_ms = epoch_ms();
    let now_s = unix_ms / 1000;
    let mut core = RoomCore::new(RoomDefaults::default(), true, now, unix_ms);
    core.set_token_signer(signer(300));
    let mut g = grant("studio", "alice");
    g.permission.can_publish_sources =
        vec![proto::TrackSource::Camera, proto::TrackSource::Microphone];
    let a = core.join(now, g, JoinOptions::default()).unwrap();
    drain(&mut core);
    // The original expires in 2 minutes: the refreshed one is valid for the refresh validity.
    let original = original_claims(now_s, 120);
    core.keep_token(now, &a, original.clone());
    let out = drain(&mut core);
    let [first] = &refreshed(&out, &a)[..] else {
        panic!("one token at session start: {out:?}")
    };
    assert_eq!(first.sub, "alice");
    assert_eq!(first.name, "alice");
    assert_eq!(first.iss, KEY);
    assert_eq!(first.video, original.video, "grants are unchanged");
    assert_eq!(first.exp as i64, now_s + VALIDITY_S);
    assert!(first.exp > original.exp);

    // Nothing before the interval, one at it.
    assert_eq!(core.poll_timeout(), Some(now + Duration::from_secs(300)));
    core.handle_timeout(now + Duration::from_secs(299));
    assert!(refreshed(&drain(&mut core), &a).is_empty());
    core.handle_timeout(now + Duration::from_secs(300));
    let [second] = &refreshed(&drain(&mut core), &a)[..] else {
        panic!("a second token after the interval")
    };
    assert_eq!(second.exp as i64, now_s + 300 + VALIDITY_S);

    // A long original token is never shortened.
    let long = original_claims(now_s, 6 * VALIDITY_S);
    core.keep_token(now, &a, long.clone());
    let [kept] = &refreshed(&drain(&mut core), &a)[..] else {
        panic!()
    };
    assert_eq!(kept.exp, long.exp);
}

#[test]
fn a_permission_change_is_in_the_next_refreshed_token() {
    let now = Instant::now();
    let unix_ms = epoch_ms();
    let mut core = RoomCore::new(RoomDefaults::default(), true, now, unix_ms);
    core.set_token_signer(signer(300));
    let a = core
        .join(now, grant("studio", "alice"), JoinOptions::default())
        .unwrap();
    core.keep_token(now, &a, original_claims(unix_ms / 1000, 600));
    drain(&mut core);
    let change = ParticipantChange {
        name: Some("Alice A.".into()),
        metadata: Some("{\"seat\":1}".into()),
        permission: Some(Permission {
            can_subscribe: true,
            can_publish: false,
            can_publish_data: true,
            can_publish_sources: vec![],
            hidden: false,
            can_update_metadata: true,
        }),
        ..Default::default()
    };
    core.update_participant(&a, change);
    drain(&mut core);
    core.handle_timeout(now + Duration::from_secs(300));
    let [t] = &refreshed(&drain(&mut core), &a)[..] else {
        panic!()
    };
    assert!(!t.video.can_publish());
    assert!(
        t.video.can_publish_data(),
        "explicitly kept: canPublish no longer implies it"
    );
    assert!(t.video.can_update_own_metadata());
    assert!(t.video.can_publish_sources.is_empty());
    assert!(
        t.video.room_admin,
        "grants the server does not manage are kept"
    );
    assert_eq!(
        (t.name.as_str(), t.metadata.as_str()),
        ("Alice A.", "{\"seat\":1}")
    );
}

#[test]
fn a_detached_participant_gets_no_refreshed_token_until_it_resumes() {
    let now = Instant::now();
    let unix_ms = epoch_ms();
    let mut core = RoomCore::new(
        RoomDefaults {
            departure_timeout: Duration::from_secs(600),
            ..RoomDefaults::default()
        },
        true,
        now,
        unix_ms,
    );
    core.set_token_signer(signer(60));
    let a = core
        .join(now, grant("studio", "alice"), JoinOptions::default())
        .unwrap();
    core.keep_token(now, &a, original_claims(unix_ms / 1000, 600));
    drain(&mut core);
    core.detach(now, &a);
    core.handle_timeout(now + Duration::from_secs(60));
    assert!(refreshed(&drain(&mut core), &a).is_empty());
    let back = now + Duration::from_secs(90);
    core.resume(&a, &grant("studio", "alice"), 0).unwrap();
    core.refresh_token_now(back, &a);
    assert_eq!(refreshed(&drain(&mut core), &a).len(), 1);
    assert_eq!(core.poll_timeout(), Some(back + Duration::from_secs(60)));
}
