//! Room core on simulated time: joins, announcements, versions, grants, subscriptions, timeouts.

use std::time::{Duration, Instant};

use livekit_protocol as proto;
use proto::signal_response::Message as Msg;

use super::*;
use crate::auth::Permission;

mod quality;
mod resume;

fn grant(room: &str, identity: &str) -> JoinGrant {
    JoinGrant {
        identity: identity.parse().unwrap(),
        name: identity.to_owned(),
        room: room.parse().unwrap(),
        metadata: String::new(),
        attributes: Default::default(),
        permission: Permission {
            can_subscribe: true,
            can_publish: true,
            can_publish_data: true,
            can_publish_sources: vec![],
            hidden: false,
            can_update_metadata: false,
        },
    }
}

fn core(now: Instant) -> RoomCore {
    RoomCore::new(RoomDefaults::default(), true, now, 1_700_000_000_000)
}

fn drain(core: &mut RoomCore) -> Vec<RoomOutput> {
    std::iter::from_fn(|| core.poll_output()).collect()
}

fn signals_to(outputs: &[RoomOutput], to: &ParticipantSid) -> Vec<Msg> {
    outputs
        .iter()
        .filter_map(|o| match o {
            RoomOutput::Signal { to: t, message } if t == to => Some((**message).clone()),
            _ => None,
        })
        .collect()
}

fn video(cid: &str) -> proto::AddTrackRequest {
    proto::AddTrackRequest {
        cid: cid.into(),
        name: "camera".into(),
        r#type: proto::TrackType::Video as i32,
        source: proto::TrackSource::Camera as i32,
        width: 640,
        height: 480,
        ..Default::default()
    }
}

#[test]
fn join_response_is_complete() {
    let now = Instant::now();
    let mut core = core(now);
    let a = core
        .join(now, grant("studio", "alice"), JoinOptions::default())
        .unwrap();
    let out = drain(&mut core);
    let Some(Msg::Join(join)) = signals_to(&out, &a).into_iter().next() else {
        panic!("first message to a joiner must be the JoinResponse: {out:?}");
    };
    let room = join.room.unwrap();
    assert!(room.sid.starts_with("RM_"));
    assert_eq!(room.name, "studio");
    let me = join.participant.unwrap();
    assert_eq!(me.sid, a.to_string());
    assert!(me.sid.starts_with("PA_"));
    assert_eq!(me.identity, "alice");
    assert!(me.permission.unwrap().can_publish);
    let info = join.server_info.unwrap();
    assert_eq!(info.protocol, 17);
    assert!(!info.version.is_empty());
    assert_eq!((join.ping_interval, join.ping_timeout), (5, 15));
    assert!(!join.subscriber_primary);
    assert!(join.ice_servers.is_empty());
    assert!(out.iter().any(
        |o| matches!(o, RoomOutput::Event(e) if matches!(**e, RoomEvent::RoomStarted { .. }))
    ));
    assert!(out.iter().any(
        |o| matches!(o, RoomOutput::Event(e) if matches!(**e, RoomEvent::ParticipantJoined { .. }))
    ));
}

#[test]
fn second_joiner_sees_the_first_and_the_first_is_told() {
    let now = Instant::now();
    let mut core = core(now);
    let a = core
        .join(now, grant("studio", "alice"), JoinOptions::default())
        .unwrap();
    drain(&mut core);
    let b = core
        .join(now, grant("studio", "bob"), JoinOptions::default())
        .unwrap();
    let out = drain(&mut core);
    let Some(Msg::Join(join)) = signals_to(&out, &b).into_iter().next() else {
        panic!()
    };
    assert_eq!(join.other_participants.len(), 1);
    assert_eq!(join.other_participants[0].identity, "alice");
    let to_a = signals_to(&out, &a);
    assert!(
        to_a.iter().any(
            |m| matches!(m, Msg::Update(u) if u.participants.iter().any(|p| p.identity == "bob"))
        ),
        "alice was not told about bob: {to_a:?}"
    );
}

#[test]
fn publishing_bumps_versions_and_subscribes_others_once_media_is_bound() {
    let now = Instant::now();
    let mut core = core(now);
    let a = core
        .join(now, grant("studio", "alice"), JoinOptions::default())
        .unwrap();
    let b = core
        .join(now, grant("studio", "bob"), JoinOptions::default())
        .unwrap();
    drain(&mut core);
    let track = core.add_track(&a, video("cam-1")).unwrap();
    assert!(track.as_str().starts_with("TR_"));
    let out = drain(&mut core);
    let to_a = signals_to(&out, &a);
    assert!(
        matches!(&to_a[0], Msg::TrackPublished(r) if r.cid == "cam-1" && r.track.as_ref().unwrap().sid == track.as_str())
    );
    let version = |msgs: &[Msg]| {
        msgs.iter()
            .filter_map(|m| match m {
                Msg::Update(u) => u
                    .participants
                    .iter()
                    .find(|p| p.identity == "alice")
                    .map(|p| p.version),
                _ => None,
            })
            .next_back()
            .unwrap()
    };
    let v1 = version(&signals_to(&out, &b));
    assert!(
        !out.iter()
            .any(|o| matches!(o, RoomOutput::Subscribe { .. })),
        "no media yet, no subscription"
    );

    assert_eq!(
        core.bind_track(&a, Some("cam-1"), TrackKind::Video, "1"),
        Some(track.clone())
    );
    let out = drain(&mut core);
    assert!(
        version(&signals_to(&out, &b)) > v1,
        "participant version must increase"
    );
    let subs: Vec<_> = out
        .iter()
        .filter(|o| matches!(o, RoomOutput::Subscribe { .. }))
        .collect();
    assert!(
        matches!(subs.as_slice(), [RoomOutput::Subscribe { subscriber, track: t, .. }] if subscriber == &b && t == &track)
    );

    // A late joiner is subscribed at once.
    let c = core
        .join(now, grant("studio", "carol"), JoinOptions::default())
        .unwrap();
    let out = drain(&mut core);
    assert!(
        out.iter()
            .any(|o| matches!(o, RoomOutput::Subscribe { subscriber, .. } if subscriber == &c))
    );

    // The publisher leaves: both subscriptions end, others see it disconnected.
    core.leave(now, &a, proto::DisconnectReason::ClientInitiated);
    let out = drain(&mut core);
    assert_eq!(
        out.iter()
            .filter(|o| matches!(o, RoomOutput::Unsubscribe { .. }))
            .count(),
        2
    );
    assert!(
        signals_to(&out, &b)
            .iter()
            .any(|m| matches!(m, Msg::Update(u)
        if u.participants[0].state == proto::participant_info::State::Disconnected as i32))
    );
}

#[test]
fn publishing_without_the_grant_is_refused_and_announces_nothing() {
    let now = Instant::now();
    let mut core = core(now);
    let mut viewer = grant("studio", "viewer");
    viewer.permission.can_publish = false;
    let v = core.join(now, viewer, JoinOptions::default()).unwrap();
    let b = core
        .join(now, grant("studio", "bob"), JoinOptions::default())
        .unwrap();
    drain(&mut core);
    assert!(matches!(
        core.add_track(&v, video("x")),
        Err(PublishError::NotAllowed(_))
    ));
    let out = drain(&mut core);
    assert!(
        signals_to(&out, &b).is_empty(),
        "nobody hears of a refused track"
    );
    assert!(matches!(
        signals_to(&out, &v).as_slice(),
        [Msg::RequestResponse(_)]
    ));
    assert_eq!(core.bind_track(&v, Some("x"), TrackKind::Video, "0"), None);

    let mut mic_only = grant("studio", "mic");
    mic_only.permission.can_publish_sources = vec![proto::TrackSource::Microphone];
    let m = core.join(now, mic_only, JoinOptions::default()).unwrap();
    assert!(core.add_track(&m, video("cam")).is_err());
}

#[test]
fn hidden_participants_are_not_announced() {
    let now = Instant::now();
    let mut core = core(now);
    let a = core
        .join(now, grant("studio", "alice"), JoinOptions::default())
        .unwrap();
    drain(&mut core);
    let mut ghost = grant("studio", "ghost");
    ghost.permission.hidden = true;
    let g = core.join(now, ghost, JoinOptions::default()).unwrap();
    let out = drain(&mut core);
    assert!(signals_to(&out, &a).is_empty());
    let b = core
        .join(now, grant("studio", "bob"), JoinOptions::default())
        .unwrap();
    let out = drain(&mut core);
    let Some(Msg::Join(join)) = signals_to(&out, &b).into_iter().next() else {
        panic!()
    };
    assert!(
        join.other_participants
            .iter()
            .all(|p| p.identity != "ghost")
    );
    core.leave(now, &g, proto::DisconnectReason::ClientInitiated);
    let out = drain(&mut core);
    assert!(signals_to(&out, &a).is_empty() && signals_to(&out, &b).is_empty());
}

#[test]
fn max_participants_and_duplicate_identity() {
    let now = Instant::now();
    let rules = RoomDefaults {
        max_participants: 1,
        ..RoomDefaults::default()
    };
    let mut core = RoomCore::new(rules, true, now, 0);
    let a = core
        .join(now, grant("studio", "alice"), JoinOptions::default())
        .unwrap();
    assert_eq!(
        core.join(now, grant("studio", "bob"), JoinOptions::default()),
        Err(JoinError::RoomFull)
    );
    drain(&mut core);
    // Same identity again: the old session is replaced, not refused.
    let a2 = core
        .join(now, grant("studio", "alice"), JoinOptions::default())
        .unwrap();
    let out = drain(&mut core);
    assert!(out.iter().any(|o| matches!(o, RoomOutput::Disconnect { participant, reason: proto::DisconnectReason::DuplicateIdentity } if participant == &a)));
    assert_ne!(a, a2);
}

#[test]
fn create_room_with_a_shorter_timeout_moves_the_closing_time_of_an_empty_room() {
    let t0 = Instant::now();
    let mut core = core(t0);
    let studio = || "studio".parse::<RoomName>().unwrap();
    let rules = |empty: u64, departure: u64| RoomDefaults {
        empty_timeout: Duration::from_secs(empty),
        departure_timeout: Duration::from_secs(departure),
        max_participants: 0,
    };
    core.create_room(t0, studio(), Some(rules(300, 20)), None);
    assert_eq!(core.poll_timeout(), Some(t0 + Duration::from_secs(300)));

    // Waiting for its first participant: counted from creation, with the new timeout.
    let t1 = t0 + Duration::from_secs(10);
    core.create_room(t1, studio(), Some(rules(30, 20)), None);
    assert_eq!(core.poll_timeout(), Some(t0 + Duration::from_secs(30)));
    // Lengthening works the same way.
    core.create_room(t1, studio(), Some(rules(120, 20)), None);
    assert_eq!(core.poll_timeout(), Some(t0 + Duration::from_secs(120)));

    // Emptied by a departure: counted from the last leave, with the departure timeout.
    let a = core
        .join(t1, grant("studio", "alice"), JoinOptions::default())
        .unwrap();
    assert_eq!(core.poll_timeout(), None, "an occupied room does not close");
    let t2 = t1 + Duration::from_secs(5);
    core.leave(t2, &a, proto::DisconnectReason::ClientInitiated);
    assert_eq!(core.poll_timeout(), Some(t2 + Duration::from_secs(20)));
    core.create_room(t2, studio(), Some(rules(120, 3)), None);
    assert_eq!(core.poll_timeout(), Some(t2 + Duration::from_secs(3)));
    drain(&mut core);
    core.handle_timeout(t2 + Duration::from_secs(3));
    assert!(core.rooms().is_empty());
}

#[test]
fn rooms_close_after_the_departure_timeout_and_not_before() {
    let now = Instant::now();
    let mut core = core(now);
    let a = core
        .join(now, grant("studio", "alice"), JoinOptions::default())
        .unwrap();
    core.leave(now, &a, proto::DisconnectReason::ClientInitiated);
    drain(&mut core);
    let deadline = core.poll_timeout().unwrap();
    assert_eq!(deadline, now + Duration::from_secs(20));
    core.handle_timeout(deadline - Duration::from_millis(1));
    assert!(drain(&mut core).is_empty());
    assert_eq!(core.rooms().len(), 1);
    core.handle_timeout(deadline);
    let out = drain(&mut core);
    assert!(
        matches!(out.as_slice(), [RoomOutput::Event(e)] if matches!(&**e, RoomEvent::RoomFinished { room } if room.name == "studio"))
    );
    assert!(core.rooms().is_empty());
}

#[test]
fn rooms_are_not_created_on_join_when_disabled() {
    let now = Instant::now();
    let mut core = RoomCore::new(RoomDefaults::default(), false, now, 0);
    assert_eq!(
        core.join(now, grant("studio", "a"), JoinOptions::default()),
        Err(JoinError::RoomNotFound)
    );
    core.create_room(now, "studio".parse().unwrap(), None, None);
    assert!(
        core.join(now, grant("studio", "a"), JoinOptions::default())
            .is_ok()
    );
}

#[test]
fn unpublish_by_mid_removes_the_track_everywhere() {
    let now = Instant::now();
    let mut core = core(now);
    let a = core
        .join(now, grant("studio", "alice"), JoinOptions::default())
        .unwrap();
    let b = core
        .join(now, grant("studio", "bob"), JoinOptions::default())
        .unwrap();
    let t = core.add_track(&a, video("cam")).unwrap();
    core.bind_track(&a, Some("cam"), TrackKind::Video, "3");
    drain(&mut core);
    core.unpublish_mid(&a, "3");
    let out = drain(&mut core);
    assert!(out.iter().any(|o| matches!(o, RoomOutput::Unsubscribe { subscriber, track } if subscriber == &b && track == &t)));
    assert!(
        signals_to(&out, &a)
            .iter()
            .any(|m| matches!(m, Msg::TrackUnpublished(u) if u.track_sid == t.as_str()))
    );
    assert!(
        signals_to(&out, &b)
            .iter()
            .any(|m| matches!(m, Msg::Update(u) if u.participants[0].tracks.is_empty()))
    );
}
