//! The stream's room as the platform asks RoomService to make it, seen through LiveKit's own
//! `RoomClient` against a real embedded media server, and the seats the platform hands out in it.

use std::time::Duration;

use livekit_api::services::room::RoomClient;
use livekit_protocol as proto;
use reqwest::StatusCode;

use crate::helpers::*;

/// Waits (bounded) until `room` is listed and returns it.
async fn listed(app: &TestApp, room: &str) -> proto::Room {
    let rooms = RoomClient::with_api_key(&app.base, API_KEY, API_SECRET);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let found = rooms.list_rooms(vec![room.to_owned()]).await.unwrap();
        if let Some(r) = found.into_iter().find(|r| r.name == room) {
            return r;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "within 10 s the platform did not create room {room}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn the_first_token_creates_the_room_with_the_platforms_timeouts_and_size_limit() {
    let app = TestApp::spawn_with_media_and(Backend::Sqlite, |c| c.max_participants = 7).await;
    let creator = app.signup().await;
    let stream = app.create_stream(&creator, "Sized").await;
    let id = stream["id"].as_str().unwrap();
    let room_name = stream["roomName"].as_str().unwrap();

    let res = app.token(&creator.client, id).await;
    assert_eq!(res.status(), StatusCode::OK);
    let room = listed(&app, room_name).await;
    assert_eq!(
        (
            room.empty_timeout,
            room.departure_timeout,
            room.max_participants
        ),
        (300, 20, 7),
        "{room:?}"
    );
    app.finish().await;
}

#[tokio::test]
async fn a_full_stream_turns_new_viewers_away_and_keeps_the_creators_seat() {
    // Three seats: the creator's and two viewers'.
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.max_participants = 3).await;
    let (creator, id, room) = crate::webhooks::live_stream(&app).await;
    let mut viewers = Vec::new();
    for n in 0..2 {
        let viewer = app.signup().await;
        assert_eq!(app.token(&viewer.client, &id).await.status(), 200);
        let joined = participant_event("participant_joined", &room, &viewer.id, &format!("PA_{n}"));
        assert_eq!(app.send_webhook(&joined).await.status(), 200);
        viewers.push(viewer);
    }
    assert_eq!(app.get_stream(&id).await["participantCount"], 2);

    let late = app.signup().await;
    let res = app.token(&late.client, &id).await;
    assert_eq!(res.headers()["retry-after"], "15");
    let body = expect_error(res, 429, "stream_full").await;
    assert_eq!(body["error"]["retryAfter"], 15);
    let guest = app.token(&client(), &id).await;
    expect_error(guest, 429, "stream_full").await;

    // A counted viewer reloading keeps its seat, and the creator always gets in.
    assert_eq!(app.token(&viewers[0].client, &id).await.status(), 200);
    assert_eq!(app.token(&creator.client, &id).await.status(), 200);

    // A seat frees when a viewer leaves.
    let left = participant_event("participant_left", &room, &viewers[1].id, "PA_1");
    assert_eq!(app.send_webhook(&left).await.status(), 200);
    assert_eq!(app.token(&late.client, &id).await.status(), 200);
    app.finish().await;
}
