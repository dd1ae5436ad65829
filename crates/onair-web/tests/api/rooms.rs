//! The stream's room as the platform asks RoomService to make it, seen through LiveKit's own
//! `RoomClient` against a real embedded media server.

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
