//! RoomService and webhooks of a real media server, driven by LiveKit's own Rust `RoomClient`
//! and verified with LiveKit's `WebhookReceiver`, with participants joined over signalling.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers fail loudly"
)]

#[expect(dead_code, reason = "this binary uses only some of the shared helpers")]
mod common;

use std::collections::HashMap;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use common::*;
use livekit_api::access_token::TokenVerifier;
use livekit_api::services::room::{
    CreateRoomOptions, RoomClient, SendDataOptions, UpdateParticipantOptions,
};
use livekit_api::services::{ServerError, ServiceError};
use livekit_api::webhooks::WebhookReceiver;
use livekit_protocol as proto;
use onair_sfu::{MediaServer, SfuConfig};
use proto::signal_request::Message as Req;
use proto::signal_response::Message as Msg;
use tokio::sync::mpsc;

fn client(app: &TestServer) -> RoomClient {
    RoomClient::with_api_key(&format!("http://{}", app.http), KEY, SECRET).with_failover(false)
}

/// Twirp code and message of a failed call.
fn twirp<T: std::fmt::Debug>(result: Result<T, ServiceError>) -> (String, String) {
    match result {
        Err(ServiceError::Twirp(ServerError::Twirp(e))) => (e.code.as_str().to_owned(), e.msg),
        other => panic!("expected a Twirp error, got {other:?}"),
    }
}

#[tokio::test]
async fn rooms_are_created_listed_and_deleted_through_room_client() {
    let app = spawn().await;
    let rooms = client(&app);
    let options = CreateRoomOptions {
        empty_timeout: 60,
        departure_timeout: 5,
        max_participants: 2,
        metadata: "first".into(),
        ..Default::default()
    };
    let room = rooms.create_room("show", options).await.unwrap();
    assert!(room.sid.starts_with("RM_"));
    assert_eq!(
        (
            room.empty_timeout,
            room.departure_timeout,
            room.max_participants
        ),
        (60, 5, 2)
    );
    assert_eq!(room.metadata, "first");

    // Create-or-get: same sid, only the fields the request sets change.
    let again = CreateRoomOptions {
        max_participants: 3,
        ..Default::default()
    };
    let same = rooms.create_room("show", again).await.unwrap();
    assert_eq!(same.sid, room.sid);
    assert_eq!((same.empty_timeout, same.max_participants), (60, 3));
    assert_eq!(same.metadata, "first");
    rooms
        .create_room("other", CreateRoomOptions::default())
        .await
        .unwrap();
    let names: Vec<String> = rooms
        .list_rooms(vec![])
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(names, ["other", "show"]);
    assert_eq!(
        rooms
            .list_rooms(vec!["show".into(), "missing".into()])
            .await
            .unwrap()
            .len(),
        1
    );
    let updated = rooms.update_room_metadata("show", "live").await.unwrap();
    assert_eq!((updated.sid, updated.metadata), (room.sid, "live".into()));

    rooms.delete_room("show").await.unwrap();
    assert_eq!(
        twirp(rooms.delete_room("show").await),
        ("not_found".into(), "requested room does not exist".into())
    );
    assert_eq!(twirp(rooms.list_participants("show").await).0, "not_found");
    assert_eq!(
        twirp(rooms.update_room_metadata("show", "x").await).0,
        "not_found"
    );
    let wrong = RoomClient::with_api_key(&format!("http://{}", app.http), KEY, "wrong-secret")
        .with_failover(false);
    assert_eq!(twirp(wrong.list_rooms(vec![]).await).0, "unauthenticated");
}

#[tokio::test]
async fn participants_are_listed_updated_muted_and_removed() {
    let app = spawn().await;
    let rooms = client(&app);
    let mut alice = app
        .connect_query(&token("alice", grants("studio")))
        .await
        .unwrap();
    join(&mut alice).await;
    let mut bob = app
        .connect_query(&token("bob", grants("studio")))
        .await
        .unwrap();
    join(&mut bob).await;

    let people = rooms.list_participants("studio").await.unwrap();
    let mut identities: Vec<&str> = people.iter().map(|p| p.identity.as_str()).collect();
    identities.sort_unstable();
    assert_eq!(identities, ["alice", "bob"]);
    let got = rooms.get_participant("studio", "alice").await.unwrap();
    assert!(got.sid.starts_with("PA_"));
    assert_eq!(
        twirp(rooms.get_participant("studio", "nobody").await),
        ("not_found".into(), "participant does not exist".into())
    );
    assert_eq!(
        twirp(rooms.get_participant("nowhere", "alice").await),
        ("not_found".into(), "requested room does not exist".into())
    );

    let options = UpdateParticipantOptions {
        metadata: "on stage".into(),
        name: "Alice".into(),
        attributes: HashMap::from([("role".into(), "host".into())]),
        ..Default::default()
    };
    let updated = rooms
        .update_participant("studio", "alice", options)
        .await
        .unwrap();
    assert_eq!(
        (updated.metadata.as_str(), updated.name.as_str()),
        ("on stage", "Alice")
    );
    assert_eq!(
        updated.attributes.get("role").map(String::as_str),
        Some("host")
    );
    recv_until(&mut bob, |m| match m {
        Msg::Update(u) => u
            .participants
            .iter()
            .any(|p| p.identity == "alice" && p.metadata == "on stage")
            .then_some(()),
        _ => None,
    })
    .await;

    let add = proto::AddTrackRequest {
        cid: "mic".into(),
        r#type: proto::TrackType::Audio as i32,
        source: proto::TrackSource::Microphone as i32,
        ..Default::default()
    };
    send(&mut alice, Req::AddTrack(add)).await;
    let track = recv_until(&mut alice, |m| match m {
        Msg::TrackPublished(p) => p.track,
        _ => None,
    })
    .await;
    let muted = rooms
        .mute_published_track("studio", "alice", &track.sid, true)
        .await
        .unwrap();
    assert_eq!(
        (muted.sid.as_str(), muted.muted),
        (track.sid.as_str(), true)
    );
    recv_until(&mut alice, |m| {
        matches!(m, Msg::Mute(r) if r.sid == track.sid && r.muted).then_some(())
    })
    .await;
    assert_eq!(
        twirp(
            rooms
                .mute_published_track("studio", "alice", "TR_unknown", true)
                .await
        ),
        ("not_found".into(), "track is not found".into())
    );

    rooms.remove_participant("studio", "bob").await.unwrap();
    let leave = recv_until(&mut bob, |m| match m {
        Msg::Leave(l) => Some(l),
        _ => None,
    })
    .await;
    assert_eq!(
        leave.reason,
        proto::DisconnectReason::ParticipantRemoved as i32
    );
    assert_eq!(
        twirp(rooms.remove_participant("studio", "bob").await).0,
        "not_found"
    );

    // Deleting the room sends the last participant a leave, and the room is gone.
    rooms.delete_room("studio").await.unwrap();
    let leave = recv_until(&mut alice, |m| match m {
        Msg::Leave(l) => Some(l),
        _ => None,
    })
    .await;
    assert_eq!(leave.reason, proto::DisconnectReason::RoomDeleted as i32);
    assert!(rooms.list_rooms(vec![]).await.unwrap().is_empty());
}

#[tokio::test]
async fn permissions_subscriptions_and_data_reach_the_room_or_refuse_bad_input() {
    let app = spawn().await;
    let rooms = client(&app);
    let mut alice = app
        .connect_query(&token("alice", grants("studio")))
        .await
        .unwrap();
    join(&mut alice).await;
    let add = proto::AddTrackRequest {
        cid: "cam".into(),
        r#type: proto::TrackType::Video as i32,
        source: proto::TrackSource::Camera as i32,
        ..Default::default()
    };
    send(&mut alice, Req::AddTrack(add)).await;
    let track = recv_until(&mut alice, |m| match m {
        Msg::TrackPublished(p) => p.track,
        _ => None,
    })
    .await;

    // Bad input is refused and changes nothing.
    assert_eq!(
        twirp(
            rooms
                .update_subscriptions("studio", "alice", vec!["not-a-sid".into()], true)
                .await
        )
        .0,
        "invalid_argument"
    );
    assert_eq!(
        twirp(
            rooms
                .update_subscriptions("studio", "nobody", vec![track.sid.clone()], false)
                .await
        )
        .0,
        "not_found"
    );
    rooms
        .update_subscriptions("studio", "alice", vec![track.sid.clone()], false)
        .await
        .unwrap();
    let options = SendDataOptions {
        destination_identities: vec!["alice".into()],
        topic: Some("news".into()),
        ..Default::default()
    };
    rooms
        .send_data("studio", b"hello".to_vec(), options)
        .await
        .unwrap();
    assert_eq!(
        twirp(
            rooms
                .send_data("nowhere", b"x".to_vec(), SendDataOptions::default())
                .await
        ),
        ("not_found".into(), "requested room does not exist".into())
    );
    let still = rooms.get_participant("studio", "alice").await.unwrap();
    assert_eq!(still.tracks.len(), 1);

    // Revoking canPublish unpublishes the camera; the publisher is told.
    let viewer = UpdateParticipantOptions {
        permission: Some(proto::ParticipantPermission {
            can_subscribe: true,
            ..Default::default()
        }),
        ..Default::default()
    };
    let info = rooms
        .update_participant("studio", "alice", viewer)
        .await
        .unwrap();
    assert!(
        info.tracks.is_empty(),
        "camera must be unpublished: {info:?}"
    );
    assert!(!info.permission.unwrap().can_publish);
    recv_until(&mut alice, |m| {
        matches!(m, Msg::TrackUnpublished(u) if u.track_sid == track.sid).then_some(())
    })
    .await;
}

/// A verified webhook, or why it was refused.
type Delivery = Result<proto::WebhookEvent, String>;
type ReceiverState = (
    std::sync::Arc<WebhookReceiver>,
    mpsc::UnboundedSender<Delivery>,
);

/// A receiver that verifies every webhook with LiveKit's `WebhookReceiver`.
async fn webhook_receiver() -> (String, mpsc::UnboundedReceiver<Delivery>) {
    async fn receive(
        State((verifier, tx)): State<ReceiverState>,
        headers: HeaderMap,
        body: String,
    ) -> StatusCode {
        let auth = headers
            .get("Authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let verified = verifier.receive(&body, auth).map_err(|e| e.to_string());
        let status = if verified.is_ok() {
            StatusCode::OK
        } else {
            StatusCode::UNAUTHORIZED
        };
        let _ = tx.send(verified);
        status
    }
    let (tx, rx) = mpsc::unbounded_channel();
    let verifier = std::sync::Arc::new(WebhookReceiver::new(TokenVerifier::with_api_key(
        KEY, SECRET,
    )));
    let app = axum::Router::new()
        .route("/hook", axum::routing::post(receive))
        .with_state((verifier, tx));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, rx)
}

async fn next_hooks(
    rx: &mut mpsc::UnboundedReceiver<Delivery>,
    n: usize,
) -> Vec<proto::WebhookEvent> {
    let mut out = Vec::new();
    while out.len() < n {
        let got = tokio::time::timeout(WAIT, rx.recv())
            .await
            .unwrap_or_else(|_| panic!("only {} of {n} webhooks arrived: {out:?}", out.len()));
        out.push(got.expect("receiver stopped").expect("webhook must verify"));
    }
    out
}

/// A media server on loopback whose webhooks reach a verifying receiver.
async fn spawn_with_hooks() -> (TestServer, mpsc::UnboundedReceiver<Delivery>) {
    let (url, hooks) = webhook_receiver().await;
    let mut config = SfuConfig::loopback(KEY, SECRET);
    config.webhook_urls = vec![url];
    let server = MediaServer::start(config).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let http = listener.local_addr().unwrap();
    let router = server.router();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (TestServer { http, server }, hooks)
}

#[tokio::test]
async fn webhooks_carry_the_room_as_it_is_now() {
    let (app, mut hooks) = spawn_with_hooks().await;
    let rooms = client(&app);
    let options = CreateRoomOptions {
        metadata: "first".into(),
        ..Default::default()
    };
    rooms.create_room("show", options).await.unwrap();
    let started = next_hooks(&mut hooks, 1).await;
    assert_eq!(started[0].event, "room_started");
    assert_eq!(started[0].room.as_ref().unwrap().metadata, "first");

    rooms.update_room_metadata("show", "live").await.unwrap();
    let shorter = CreateRoomOptions {
        empty_timeout: 42,
        ..Default::default()
    };
    rooms.create_room("show", shorter).await.unwrap();
    let mut alice = app
        .connect_query(&token("alice", grants("show")))
        .await
        .unwrap();
    join(&mut alice).await;
    let joined = next_hooks(&mut hooks, 1).await;
    assert_eq!(joined[0].event, "participant_joined");
    let room = joined[0].room.as_ref().unwrap();
    assert_eq!(
        (
            room.metadata.as_str(),
            room.empty_timeout,
            room.num_participants
        ),
        ("live", 42, 1)
    );
    app.server.shutdown().await;
}

#[tokio::test]
async fn room_events_become_signed_webhooks_in_order_and_shutdown_flushes_them() {
    let (app, mut hooks) = spawn_with_hooks().await;

    let mut alice = app
        .connect_query(&token("alice", grants("studio")))
        .await
        .unwrap();
    join(&mut alice).await;
    let add = proto::AddTrackRequest {
        cid: "mic".into(),
        r#type: proto::TrackType::Audio as i32,
        source: proto::TrackSource::Microphone as i32,
        ..Default::default()
    };
    send(&mut alice, Req::AddTrack(add)).await;
    let track = recv_until(&mut alice, |m| match m {
        Msg::TrackPublished(p) => p.track,
        _ => None,
    })
    .await;
    let first = next_hooks(&mut hooks, 2).await;
    let names: Vec<&str> = first.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(names, ["room_started", "participant_joined"]);
    let room = first[0].room.clone().unwrap();
    assert!(room.sid.starts_with("RM_"));
    assert_eq!(first[1].room.as_ref().unwrap().sid, room.sid);
    assert_eq!(first[1].participant.as_ref().unwrap().identity, "alice");
    assert_eq!(first[1].room.as_ref().unwrap().num_participants, 1);
    assert!(first.iter().all(|e| e.id.starts_with("EV_")));

    // The unpublish below comes from the shutdown's leave; everything must arrive although the
    // server is stopping.
    let _ = track;
    app.server.shutdown().await;
    let rest = next_hooks(&mut hooks, 4).await;
    let names: Vec<&str> = rest.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(
        names,
        [
            "track_published",
            "track_unpublished",
            "participant_left",
            "room_finished"
        ]
    );
}

#[tokio::test]
async fn create_room_limits_apply_to_joins_and_a_second_create_raises_them() {
    let app = spawn().await;
    let rooms = client(&app);
    let one = CreateRoomOptions {
        max_participants: 1,
        ..Default::default()
    };
    rooms.create_room("small", one).await.unwrap();
    let mut alice = app
        .connect_query(&token("alice", grants("small")))
        .await
        .unwrap();
    join(&mut alice).await;
    let mut bob = app
        .connect_query(&token("bob", grants("small")))
        .await
        .unwrap();
    match recv(&mut bob).await {
        Msg::Leave(l) => assert_eq!(l.reason, proto::DisconnectReason::JoinFailure as i32),
        other => panic!("a full room must refuse bob with a leave, got {other:?}"),
    }

    let two = CreateRoomOptions {
        max_participants: 2,
        ..Default::default()
    };
    assert_eq!(
        rooms
            .create_room("small", two)
            .await
            .unwrap()
            .max_participants,
        2
    );
    let mut carol = app
        .connect_query(&token("carol", grants("small")))
        .await
        .unwrap();
    join(&mut carol).await;
    let people = rooms.list_participants("small").await.unwrap();
    assert_eq!(people.len(), 2);
}
