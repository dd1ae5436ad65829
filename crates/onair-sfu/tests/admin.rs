//! The admin API (what RoomService and webhooks use) against a real server with real signal
//! clients: every change reaches the participants it concerns.

#[expect(dead_code, reason = "this binary uses only some of the shared helpers")]
mod common;

use common::*;
use livekit_protocol as proto;
use onair_sfu::room::{ParticipantChange, RoomEvent};
use proto::signal_request::Message as Req;
use proto::signal_response::Message as Msg;

#[tokio::test]
async fn rooms_and_participants_are_managed_and_everyone_concerned_is_told() {
    let app = spawn().await;
    let admin = app.server.handle();
    let mut events = admin.events();
    let studio: onair_sfu::ids::RoomName = "studio".parse().unwrap();

    let room = admin
        .create_room(studio.clone(), None, Some("hello".into()))
        .await
        .unwrap();
    assert!(room.sid.starts_with("RM_"));
    assert_eq!(room.metadata, "hello");
    assert!(
        matches!(events.recv().await.unwrap(), RoomEvent::RoomStarted { room } if room.name == "studio")
    );

    let mut a = app
        .connect_query(&token("alice", grants("studio")))
        .await
        .unwrap();
    let join_a = join(&mut a).await;
    assert_eq!(join_a.room.unwrap().metadata, "hello");
    let mut b = app
        .connect_query(&token("bob", grants("studio")))
        .await
        .unwrap();
    join(&mut b).await;
    assert!(
        matches!(events.recv().await.unwrap(), RoomEvent::ParticipantJoined { participant, .. } if participant.identity == "alice")
    );

    let people = admin.list_participants(studio.clone()).await.unwrap();
    assert_eq!(
        people
            .iter()
            .map(|p| p.identity.as_str())
            .collect::<Vec<_>>(),
        ["alice", "bob"]
    );
    let alice = admin
        .get_participant(studio.clone(), "alice".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(
        admin
            .get_participant(studio.clone(), "nobody".parse().unwrap())
            .await
            .unwrap()
            .is_none()
    );

    // Metadata and name changes reach everyone with a higher version.
    let change = ParticipantChange {
        metadata: Some("on stage".into()),
        name: Some("Alice".into()),
        ..Default::default()
    };
    let updated = admin
        .update_participant(studio.clone(), "alice".parse().unwrap(), change)
        .await
        .unwrap()
        .unwrap();
    assert!(updated.version > alice.version);
    recv_until(&mut b, |m| match m {
        Msg::Update(u) => u
            .participants
            .iter()
            .any(|p| p.identity == "alice" && p.metadata == "on stage" && p.name == "Alice")
            .then_some(()),
        _ => None,
    })
    .await;

    // A published track can be muted by the server: the publisher is asked to mute it.
    let add = proto::AddTrackRequest {
        cid: "mic".into(),
        r#type: proto::TrackType::Audio as i32,
        source: proto::TrackSource::Microphone as i32,
        ..Default::default()
    };
    send(&mut a, Req::AddTrack(add)).await;
    let track = recv_until(&mut a, |m| match m {
        Msg::TrackPublished(p) => p.track,
        _ => None,
    })
    .await;
    let sid = track.sid.parse().unwrap();
    let muted = admin
        .mute_track(studio.clone(), "alice".parse().unwrap(), sid, true)
        .await
        .unwrap()
        .unwrap();
    assert!(muted.muted);
    recv_until(&mut a, |m| {
        matches!(m, Msg::Mute(r) if r.sid == track.sid && r.muted).then_some(())
    })
    .await;

    let room = admin
        .update_room_metadata(studio.clone(), "live".into())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(room.metadata, "live");
    recv_until(&mut b, |m| {
        matches!(m, Msg::RoomUpdate(u) if u.room.as_ref().is_some_and(|r| r.metadata == "live"))
            .then_some(())
    })
    .await;

    // Removing bob sends him a leave; deleting the room sends alice one.
    assert!(
        admin
            .remove_participant(studio.clone(), "bob".parse().unwrap())
            .await
            .unwrap()
    );
    let leave = recv_until(&mut b, |m| match m {
        Msg::Leave(l) => Some(l),
        _ => None,
    })
    .await;
    assert_eq!(
        leave.reason,
        proto::DisconnectReason::ParticipantRemoved as i32
    );
    assert!(
        !admin
            .remove_participant(studio.clone(), "bob".parse().unwrap())
            .await
            .unwrap()
    );
    assert!(admin.delete_room(studio.clone()).await.unwrap());
    let leave = recv_until(&mut a, |m| match m {
        Msg::Leave(l) => Some(l),
        _ => None,
    })
    .await;
    assert_eq!(leave.reason, proto::DisconnectReason::RoomDeleted as i32);
    assert!(admin.list_rooms().await.unwrap().is_empty());
    assert!(!admin.delete_room(studio).await.unwrap());
}

#[tokio::test]
async fn revoking_can_publish_unpublishes_and_stops_data() {
    let app = spawn().await;
    let admin = app.server.handle();
    let mut a = app
        .connect_query(&token("alice", grants("studio")))
        .await
        .unwrap();
    join(&mut a).await;
    let add = proto::AddTrackRequest {
        cid: "cam".into(),
        r#type: proto::TrackType::Video as i32,
        source: proto::TrackSource::Camera as i32,
        ..Default::default()
    };
    send(&mut a, Req::AddTrack(add)).await;
    let track = recv_until(&mut a, |m| match m {
        Msg::TrackPublished(p) => p.track,
        _ => None,
    })
    .await;
    let viewer = proto::ParticipantPermission {
        can_subscribe: true,
        ..Default::default()
    };
    let change = ParticipantChange {
        permission: Some(onair_sfu::auth::Permission::from_proto(&viewer)),
        ..Default::default()
    };
    let info = admin
        .update_participant("studio".parse().unwrap(), "alice".parse().unwrap(), change)
        .await
        .unwrap()
        .unwrap();
    assert!(
        info.tracks.is_empty(),
        "the camera must be unpublished: {info:?}"
    );
    assert!(!info.permission.unwrap().can_publish);
    recv_until(&mut a, |m| {
        matches!(m, Msg::TrackUnpublished(u) if u.track_sid == track.sid).then_some(())
    })
    .await;
}
