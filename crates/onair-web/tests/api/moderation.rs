//! Moderation: `POST /api/streams/{id}/participants/{identity}/remove` bans and removes, with a
//! real embedded media server where a connection matters.

use std::time::Duration;

use livekit_protocol as proto;
use onair_store::Store as _;
use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;
use crate::participant::Participant;

async fn remove(app: &TestApp, client: &Client, id: &str, identity: &str) -> Response {
    client
        .post(app.url(&format!("/api/streams/{id}/participants/{identity}/remove")))
        .send()
        .await
        .unwrap()
}

/// The token a user gets for a stream (asserting 200).
async fn token_of(app: &TestApp, client: &Client, id: &str) -> String {
    let res = app.token(client, id).await;
    assert_eq!(res.status(), StatusCode::OK, "token");
    let body: Value = res.json().await.unwrap();
    body["token"].as_str().unwrap().to_owned()
}

async fn new_stream(app: &TestApp) -> (User, String) {
    let creator = app.signup().await;
    let id = app.create_stream(&creator, "Moderated").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    (creator, id)
}

/// A LIVE stream (viewer counts are kept for live streams).
async fn live_stream(app: &TestApp) -> (User, String) {
    let (creator, id) = new_stream(app).await;
    let res = app
        .patch(&creator.client, &id, json!({"status": "LIVE"}))
        .await;
    assert_eq!(res.status(), StatusCode::OK, "go live");
    (creator, id)
}

/// Waits (bounded) until the stream's viewer count is `n`.
async fn viewers_become(app: &TestApp, id: &str, n: u64) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let count = app.get_stream(id).await["participantCount"].as_u64();
        if count == Some(n) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "within 10 s the participant count did not become {n} (it is {count:?})"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_removed_viewer_is_disconnected_and_cannot_come_back() {
    for backend in backends() {
        let app = TestApp::spawn_with_media(backend).await;
        removed_viewer_story(&app).await;
        app.finish().await;
    }
}

async fn removed_viewer_story(app: &TestApp) {
    let (creator, id) = live_stream(app).await;
    let _studio = Participant::join(app, &token_of(app, &creator.client, &id).await).await;
    let viewer = app.signup().await;
    let viewer_token = token_of(app, &viewer.client, &id).await;
    let mut watching = Participant::join(app, &viewer_token).await;
    // The media server's participant_joined webhook counts the viewer.
    viewers_become(app, &id, 1).await;

    let res = remove(app, &creator.client, &id, &viewer.id).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body,
        json!({"identity": viewer.id, "banned": true, "disconnected": true})
    );
    assert_eq!(
        watching.left().await,
        proto::DisconnectReason::ParticipantRemoved
    );
    viewers_become(app, &id, 0).await;
    // The token it held is revoked at the media server, and no new one is issued.
    assert_eq!(Participant::refused(app, &viewer_token).await, 401);
    expect_error(app.token(&viewer.client, &id).await, 403, "banned").await;
    // Removing again is idempotent: still banned, nobody to disconnect.
    let again: Value = remove(app, &creator.client, &id, &viewer.id)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["disconnected"], false);
    // Others still get in.
    let other = app.signup().await;
    Participant::join(app, &token_of(app, &other.client, &id).await).await;
}

#[tokio::test]
async fn a_banned_identity_that_joins_anyway_is_removed_again() {
    for backend in backends() {
        let app = TestApp::spawn_with_media(backend).await;
        let (_creator, id) = live_stream(&app).await;
        let viewer = app.signup().await;
        let mut watching =
            Participant::join(&app, &token_of(&app, &viewer.client, &id).await).await;
        viewers_become(&app, &id, 1).await;
        // Banned on the platform, but the media server was never told (as with a LiveKit
        // deployment that lost or ignored the removal): its participant_joined webhook is
        // answered by removing the participant.
        app.state
            .store
            .ban(id.parse().unwrap(), &viewer.id, chrono::Utc::now())
            .await
            .unwrap();
        let joined = participant_event(
            "participant_joined",
            &format!("stream-{id}"),
            &viewer.id,
            &watching.join.participant.as_ref().unwrap().sid,
        );
        assert_eq!(app.send_webhook(&joined).await.status(), StatusCode::OK);
        assert_eq!(
            watching.left().await,
            proto::DisconnectReason::ParticipantRemoved
        );
        viewers_become(&app, &id, 0).await;
        app.finish().await;
    }
}

#[tokio::test]
async fn who_may_remove_whom() {
    for backend in backends() {
        let app = TestApp::spawn_with(backend, |_| {}).await;
        rules(&app).await;
        app.finish().await;
    }
}

async fn rules(app: &TestApp) {
    let (creator, id) = new_stream(app).await;
    let viewer = app.signup().await;

    expect_error(
        remove(app, &client(), &id, &viewer.id).await,
        401,
        "unauthenticated",
    )
    .await;
    let stranger = app.signup().await;
    expect_error(
        remove(app, &stranger.client, &id, &viewer.id).await,
        403,
        "forbidden",
    )
    .await;
    let body = expect_error(
        remove(app, &creator.client, &id, &creator.id).await,
        422,
        "validation_failed",
    )
    .await;
    assert!(
        body["error"]["fields"]["identity"]
            .as_str()
            .is_some_and(|m| m.contains("creator")),
        "{body}"
    );
    let unknown = uuid::Uuid::new_v4();
    expect_error(
        remove(app, &creator.client, &unknown.to_string(), "x").await,
        404,
        "not_found",
    )
    .await;
    expect_error(
        remove(app, &creator.client, "not-an-id", "x").await,
        400,
        "bad_request",
    )
    .await;
    let long = "x".repeat(257);
    expect_error(
        remove(app, &creator.client, &id, &long).await,
        400,
        "bad_request",
    )
    .await;
    // Cross-site requests are refused like every other unsafe request.
    let res = creator
        .client
        .post(app.url(&format!(
            "/api/streams/{id}/participants/{}/remove",
            viewer.id
        )))
        .header("Origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    expect_error(res, 403, "forbidden").await;

    // Someone who is not in the room is banned all the same.
    let res = remove(app, &creator.client, &id, &viewer.id).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["banned"], true);
    assert_eq!(body["disconnected"], false);
    expect_error(app.token(&viewer.client, &id).await, 403, "banned").await;
    // The ban is per stream.
    let (_, other_stream) = new_stream(app).await;
    token_of(app, &viewer.client, &other_stream).await;

    // An admin may remove on anyone's stream, but not the creator, nor themselves.
    let admin = app.signup().await;
    app.state
        .store
        .set_role(admin.id.parse().unwrap(), onair_domain::Role::Admin)
        .await
        .unwrap();
    assert_eq!(
        remove(app, &admin.client, &id, &stranger.id).await.status(),
        StatusCode::OK
    );
    expect_error(
        remove(app, &admin.client, &id, &creator.id).await,
        422,
        "validation_failed",
    )
    .await;
    expect_error(
        remove(app, &admin.client, &id, &admin.id).await,
        422,
        "validation_failed",
    )
    .await;

    // Ended and deleted streams have no room to moderate.
    let res = app
        .patch(&creator.client, &id, json!({"status": "ENDED"}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    expect_error(
        remove(app, &creator.client, &id, "someone").await,
        410,
        "gone",
    )
    .await;
    let (owner, doomed) = new_stream(app).await;
    let res = owner
        .client
        .delete(app.url(&format!("/api/streams/{doomed}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    expect_error(
        remove(app, &owner.client, &doomed, "someone").await,
        410,
        "gone",
    )
    .await;
}
