//! Authentication and grants through LiveKit's Rust client: wrong keys, expired tokens,
//! missing grants, admin tokens for another room, and tokens as each SDK writes them.

use livekit_api::access_token::{AccessToken, VideoGrants};
use livekit_api::services::ServerErrorCode;
use livekit_api::services::room::{CreateRoomOptions, RoomClient, SendDataOptions};
use serde_json::json;

use crate::common::{KEY, SECRET, client, now, sign_jwt, twirp};

#[tokio::test]
async fn missing_grants_are_permission_denied() {
    let (_, backend, host) = client().await;
    let list_only = AccessToken::with_api_key(KEY, SECRET)
        .with_grants(VideoGrants {
            room_list: true,
            ..Default::default()
        })
        .to_jwt()
        .unwrap();
    let client = RoomClient::with_token(&host, &list_only).with_failover(false);
    assert!(client.list_rooms(vec![]).await.unwrap().is_empty());
    let err = twirp(client.create_room("r", CreateRoomOptions::default()).await);
    assert_eq!(
        (err.code.as_str(), err.msg.as_str()),
        ("unauthenticated", "permissions denied")
    );
    assert_eq!(
        twirp(client.delete_room("r").await).code,
        ServerErrorCode::UNAUTHENTICATED
    );
    assert_eq!(
        twirp(client.list_participants("r").await).code,
        ServerErrorCode::UNAUTHENTICATED
    );
    assert!(backend.with(|s| s.rooms.is_empty()), "nothing was created");
}

#[tokio::test]
async fn admin_token_for_another_room_is_refused() {
    let (admin, backend, host) = client().await;
    admin
        .create_room("mine", CreateRoomOptions::default())
        .await
        .unwrap();
    backend.join("mine", "alice", &["TR_1"]);
    let other_room = AccessToken::with_api_key(KEY, SECRET)
        .with_grants(VideoGrants {
            room_admin: true,
            room: "theirs".into(),
            ..Default::default()
        })
        .to_jwt()
        .unwrap();
    let client = RoomClient::with_token(&host, &other_room).with_failover(false);
    for err in [
        twirp(client.list_participants("mine").await),
        twirp(client.get_participant("mine", "alice").await),
        twirp(client.remove_participant("mine", "alice").await),
        twirp(
            client
                .mute_published_track("mine", "alice", "TR_1", true)
                .await,
        ),
        twirp(client.update_room_metadata("mine", "x").await),
        twirp(
            client
                .send_data("mine", vec![1], SendDataOptions::default())
                .await,
        ),
    ] {
        assert_eq!(
            (err.code.as_str(), err.msg.as_str()),
            ("unauthenticated", "permissions denied")
        );
    }
    assert_eq!(
        backend.with(|s| s.rooms["mine"].participants.len()),
        1,
        "alice is still there"
    );
    assert!(!backend.with(|s| s.rooms["mine"].participants["alice"].tracks[0].muted));
}

#[tokio::test]
async fn bad_credentials_are_unauthenticated() {
    let (_, backend, host) = client().await;
    let wrong_secret = RoomClient::with_api_key(&host, KEY, "not-the-secret").with_failover(false);
    let err = twirp(
        wrong_secret
            .create_room("r", CreateRoomOptions::default())
            .await,
    );
    assert_eq!(err.code, ServerErrorCode::UNAUTHENTICATED);
    assert!(
        err.msg.starts_with("invalid authorization token"),
        "{}",
        err.msg
    );

    let unknown_key = RoomClient::with_api_key(&host, "nobody", SECRET).with_failover(false);
    let err = twirp(unknown_key.list_rooms(vec![]).await);
    assert_eq!(
        (err.code.as_str(), err.msg.as_str()),
        ("unauthenticated", "invalid API key")
    );

    // The second configured key works with its own secret.
    let second = RoomClient::with_api_key(&host, "second", "other").with_failover(false);
    second
        .create_room("r2", CreateRoomOptions::default())
        .await
        .unwrap();

    let grants = json!({"roomCreate": true});
    let header = json!({"alg": "HS256", "typ": "JWT"});
    let no_exp = sign_jwt(
        header.clone(),
        json!({"iss": KEY, "nbf": now(), "video": grants}),
        SECRET,
    );
    let expired = sign_jwt(
        header.clone(),
        json!({"iss": KEY, "exp": now() - 120, "video": grants}),
        SECRET,
    );
    for token in [no_exp, expired] {
        let client = RoomClient::with_token(&host, &token).with_failover(false);
        let err = twirp(client.create_room("r", CreateRoomOptions::default()).await);
        assert_eq!(err.code, ServerErrorCode::UNAUTHENTICATED);
    }
    assert_eq!(backend.with(|s| s.rooms.len()), 1, "only r2 was created");
}

#[tokio::test]
async fn tokens_from_every_sdk_style_are_accepted() {
    let (_, backend, host) = client().await;
    // Node: header without `typ`, no `sub`; 30 s past `exp` is inside LiveKit's 60 s leeway.
    let node = sign_jwt(
        json!({"alg": "HS256"}),
        json!({"iss": KEY, "nbf": now(), "exp": now() - 30, "video": {"roomCreate": true}}),
        SECRET,
    );
    // Python: `sub` always present (possibly empty) and the publish flags set to true.
    let python = sign_jwt(
        json!({"alg": "HS256", "typ": "JWT"}),
        json!({"iss": KEY, "sub": "", "nbf": now(), "exp": now() + 600, "video": {
            "roomCreate": true, "canPublish": true, "canSubscribe": true, "canPublishData": true}}),
        SECRET,
    );
    for (name, token) in [("node", node), ("python", python)] {
        let client = RoomClient::with_token(&host, &token).with_failover(false);
        client
            .create_room(name, CreateRoomOptions::default())
            .await
            .unwrap();
    }
    assert_eq!(backend.with(|s| s.rooms.len()), 2);
}
