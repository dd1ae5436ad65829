//! Every RoomService method through LiveKit's own Rust client (`application/protobuf`).

use std::collections::HashMap;

use livekit_api::services::ServerErrorCode;
use livekit_api::services::room::{CreateRoomOptions, SendDataOptions, UpdateParticipantOptions};
use livekit_protocol as proto;

use crate::common::{client, twirp};

#[tokio::test]
async fn create_list_update_and_delete_rooms() {
    let (client, _backend, _) = client().await;
    let options = CreateRoomOptions {
        empty_timeout: 60,
        departure_timeout: 5,
        max_participants: 100,
        metadata: "first".into(),
        ..Default::default()
    };
    let room = client.create_room("show", options).await.unwrap();
    assert!(room.sid.starts_with("RM_"));
    assert_eq!(
        (
            room.name.as_str(),
            room.empty_timeout,
            room.departure_timeout
        ),
        ("show", 60, 5)
    );
    assert_eq!(
        (room.max_participants, room.metadata.as_str()),
        (100, "first")
    );

    // Create-or-get: same room, only the non-default fields change.
    let again = CreateRoomOptions {
        metadata: "second".into(),
        ..Default::default()
    };
    let same = client.create_room("show", again).await.unwrap();
    assert_eq!(
        (same.sid.as_str(), same.empty_timeout),
        (room.sid.as_str(), 60)
    );
    assert_eq!(same.metadata, "second");
    client
        .create_room("other", CreateRoomOptions::default())
        .await
        .unwrap();

    let all = client.list_rooms(vec![]).await.unwrap();
    assert_eq!(
        all.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
        ["other", "show"]
    );
    let some = client
        .list_rooms(vec!["show".into(), "missing".into()])
        .await
        .unwrap();
    assert_eq!(some.len(), 1);

    let updated = client.update_room_metadata("show", "third").await.unwrap();
    assert_eq!(
        (updated.sid.as_str(), updated.metadata.as_str()),
        (room.sid.as_str(), "third")
    );

    client.delete_room("show").await.unwrap();
    assert_eq!(client.list_rooms(vec![]).await.unwrap().len(), 1);
    let err = twirp(client.delete_room("show").await);
    assert_eq!(
        (err.code.as_str(), err.msg.as_str()),
        ("not_found", "requested room does not exist")
    );
    let err = twirp(client.update_room_metadata("show", "x").await);
    assert_eq!(err.code, ServerErrorCode::NOT_FOUND);
}

#[tokio::test]
async fn participants_are_listed_fetched_updated_and_removed() {
    let (client, backend, _) = client().await;
    client
        .create_room("r", CreateRoomOptions::default())
        .await
        .unwrap();
    backend.join("r", "alice", &["TR_a1", "TR_a2"]);
    backend.join("r", "bob", &[]);

    let list = client.list_participants("r").await.unwrap();
    assert_eq!(
        list.iter().map(|p| p.identity.as_str()).collect::<Vec<_>>(),
        ["alice", "bob"]
    );
    let alice = client.get_participant("r", "alice").await.unwrap();
    assert_eq!((alice.identity.as_str(), alice.tracks.len()), ("alice", 2));

    let permission = proto::ParticipantPermission {
        can_subscribe: true,
        can_publish: false,
        can_publish_sources: vec![proto::TrackSource::Camera as i32],
        ..Default::default()
    };
    let options = UpdateParticipantOptions {
        metadata: "{\"role\":\"guest\"}".into(),
        attributes: HashMap::from([("seat".into(), "3".into())]),
        permission: Some(permission.clone()),
        name: "Alice".into(),
    };
    let updated = client
        .update_participant("r", "alice", options)
        .await
        .unwrap();
    assert_eq!(
        (updated.name.as_str(), updated.metadata.as_str()),
        ("Alice", "{\"role\":\"guest\"}")
    );
    assert_eq!(updated.attributes["seat"], "3");
    assert_eq!(updated.permission, Some(permission));

    let track = client
        .mute_published_track("r", "alice", "TR_a2", true)
        .await
        .unwrap();
    assert_eq!((track.sid.as_str(), track.muted), ("TR_a2", true));
    let err = twirp(
        client
            .mute_published_track("r", "alice", "TR_zz", true)
            .await,
    );
    assert_eq!(
        (err.code.as_str(), err.msg.as_str()),
        ("not_found", "track is not found")
    );

    client
        .update_subscriptions("r", "bob", vec!["TR_a1".into()], true)
        .await
        .unwrap();
    let subs = backend.with(|s| s.subscriptions.clone());
    assert_eq!(
        (
            subs[0].identity.as_str(),
            subs[0].track_sids.clone(),
            subs[0].subscribe
        ),
        ("bob", vec!["TR_a1".to_string()], true)
    );

    let options = SendDataOptions {
        kind: proto::data_packet::Kind::Lossy,
        destination_identities: vec!["bob".into()],
        topic: Some("chat".into()),
        ..Default::default()
    };
    client
        .send_data("r", b"hello".to_vec(), options)
        .await
        .unwrap();
    let sent = backend.with(|s| s.sent_data.clone());
    assert_eq!(
        (sent[0].data.as_slice(), sent[0].topic.as_deref()),
        (&b"hello"[..], Some("chat"))
    );
    assert_eq!(
        (sent[0].kind, sent[0].nonce.len()),
        (proto::data_packet::Kind::Lossy as i32, 16)
    );

    client.remove_participant("r", "bob").await.unwrap();
    let err = twirp(client.get_participant("r", "bob").await);
    assert_eq!(
        (err.code.as_str(), err.msg.as_str()),
        ("not_found", "participant does not exist")
    );
    let err = twirp(client.remove_participant("r", "bob").await);
    assert_eq!(err.code, ServerErrorCode::NOT_FOUND);
    let err = twirp(client.list_participants("nope").await);
    assert_eq!(err.code, ServerErrorCode::NOT_FOUND);
}

#[tokio::test]
async fn limits_are_invalid_argument_and_change_nothing() {
    let (client, backend, _) = client().await;
    client
        .create_room("r", CreateRoomOptions::default())
        .await
        .unwrap();
    backend.join("r", "alice", &[]);

    let err = twirp(
        client
            .update_room_metadata("r", &"m".repeat(512 * 1024 + 1))
            .await,
    );
    assert_eq!(err.code, ServerErrorCode::INVALID_ARGUMENT);
    assert_eq!(err.meta["argument"], "metadata size exceeds limits");
    client
        .update_room_metadata("r", &"m".repeat(512 * 1024))
        .await
        .unwrap();

    let err = twirp(
        client
            .create_room(&"n".repeat(257), CreateRoomOptions::default())
            .await,
    );
    assert_eq!(
        (err.code.as_str(), err.msg.as_str()),
        ("invalid_argument", "room name length exceeds limits 256")
    );

    let big = UpdateParticipantOptions {
        attributes: HashMap::from([("k".into(), "v".repeat(64 * 1024))]),
        ..Default::default()
    };
    let err = twirp(client.update_participant("r", "alice", big).await);
    assert_eq!(err.meta["argument"], "attribute size exceeds limits");
    let long_name = UpdateParticipantOptions {
        name: "x".repeat(257),
        ..Default::default()
    };
    let err = twirp(client.update_participant("r", "alice", long_name).await);
    assert_eq!(err.meta["argument"], "name length exceeds limits");

    assert_eq!(backend.with(|s| s.rooms.len()), 1);
    let alice = client.get_participant("r", "alice").await.unwrap();
    assert!(alice.attributes.is_empty() && alice.name.is_empty());
}
