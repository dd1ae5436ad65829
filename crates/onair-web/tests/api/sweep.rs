//! The background sweep's housekeeping: metering a stream that ended meanwhile, and forgetting
//! old webhook event ids.

use chrono::{Duration, Utc};
use onair_domain::{EndReason, StreamId};
use onair_store::Store;

use crate::helpers::*;
use crate::webhooks::live_stream;

#[tokio::test]
async fn metering_a_stream_that_ended_meanwhile_stops_without_error_or_charge() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.per_minute_cost = onair_domain::Credits::new(30);
    })
    .await;
    let (creator, id, _room) = live_stream(&app).await;
    let id: StreamId = id.parse().unwrap();
    let store = &app.state.store;
    // The sweep's snapshot, taken while LIVE; then the creator ends the stream.
    let stale = store.stream(id).await.unwrap();
    store
        .end_stream(id, EndReason::Creator, Utc::now())
        .await
        .unwrap();
    let before = app.balance(&creator).await;

    onair_web::tasks::meter(
        &app.state,
        &stale,
        Utc::now() + Duration::seconds(3 * 60 + 1),
    )
    .await
    .expect("a stream that ended meanwhile is not a metering error");

    assert_eq!(app.balance(&creator).await, before, "no minute charged");
    let s = store.stream(id).await.unwrap();
    assert_eq!(s.billed_minutes, 0);
    assert_eq!(s.ended_reason, Some(EndReason::Creator), "end reason kept");
    app.finish().await;
}

#[tokio::test]
async fn the_sweep_forgets_webhook_ids_older_than_the_retention() {
    let app = TestApp::spawn().await;
    let store = &app.state.store;
    let now = Utc::now();
    let retention = onair_web::tasks::WEBHOOK_ID_RETENTION;
    assert!(
        retention >= Duration::hours(1),
        "must outlast LiveKit's redelivery"
    );
    let old = now - retention - Duration::minutes(1);
    let recent = now - retention + Duration::minutes(1);
    assert!(store.record_webhook_event("old", old).await.unwrap());
    assert!(store.record_webhook_event("recent", recent).await.unwrap());

    onair_web::tasks::sweep(&app.state, now).await.unwrap();

    assert!(
        store.record_webhook_event("old", now).await.unwrap(),
        "an id past the retention is forgotten, so it records anew"
    );
    assert!(
        !store.record_webhook_event("recent", now).await.unwrap(),
        "an id within the retention is still a replay"
    );
    app.finish().await;
}

/// A RoomService URL where every request gets `status` with `body` (`content_type`): what a
/// reverse proxy answers for a dead media server, or a media server that refuses the key.
async fn answering(status: u16, content_type: &'static str, body: &'static str) -> String {
    use axum::http::{StatusCode, header};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let status = StatusCode::from_u16(status).unwrap();
    let app = axum::Router::new()
        .fallback(move || async move { (status, [(header::CONTENT_TYPE, content_type)], body) });
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

/// Runs the sweep against a media server at `room_service_url` that never lists participants,
/// and says whether the stream ended after the grace period (checking, when it counts the
/// creator absent, that it does so from the first sweep and never within the grace period).
async fn ends_after_the_grace_period(room_service_url: &str) -> bool {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.livekit.mode = onair_web::MediaMode::Embedded {
            room_service_url: room_service_url.parse().unwrap(),
        };
        c.creator_grace = std::time::Duration::from_secs(60);
    })
    .await;
    let (_creator, id, _room) = live_stream(&app).await;
    let sid: StreamId = id.parse().unwrap();
    let now = Utc::now();

    onair_web::tasks::sweep(&app.state, now).await.unwrap();
    let absent = app
        .state
        .store
        .stream(sid)
        .await
        .unwrap()
        .creator_absent_since;
    if let Some(since) = absent {
        assert_eq!(
            since.timestamp(),
            now.timestamp(),
            "counted absent from the first failed sweep"
        );
    }
    onair_web::tasks::sweep(&app.state, now + Duration::seconds(59))
        .await
        .unwrap();
    assert_eq!(
        app.get_stream(&id).await["status"],
        "LIVE",
        "within the grace period"
    );

    onair_web::tasks::sweep(&app.state, now + Duration::seconds(61))
        .await
        .unwrap();
    let after = app.get_stream(&id).await;
    let ended = after["status"] == "ENDED";
    if ended {
        assert_eq!(after["endedReason"], "creator_absent");
    } else {
        assert!(absent.is_none(), "absent, yet LIVE past the grace period");
    }
    app.finish().await;
    ended
}

#[tokio::test]
async fn a_media_server_that_stays_unreachable_ends_its_streams_after_the_grace_period() {
    // Nothing listens on port 1: every RoomService call is refused at connect.
    assert!(ends_after_the_grace_period("http://127.0.0.1:1").await);
}

#[tokio::test]
async fn a_proxy_whose_media_server_is_down_counts_as_unreachable() {
    // nginx in front of a dead LiveKit: 502 with an HTML page, not a Twirp error.
    for status in [502, 503, 504] {
        let proxy = answering(status, "text/html", "<html><h1>Bad Gateway</h1></html>").await;
        assert!(
            ends_after_the_grace_period(&proxy).await,
            "{status} from a proxy"
        );
    }
    // LiveKit itself says it cannot serve (no node available).
    let unavailable = answering(
        503,
        "application/json",
        r#"{"code":"unavailable","msg":"no nodes available"}"#,
    )
    .await;
    assert!(ends_after_the_grace_period(&unavailable).await);
}

#[tokio::test]
async fn a_media_server_that_answers_with_an_error_ends_nothing() {
    // It is up, and says no (a rotated key): nothing is learnt about the creator.
    let refusing = answering(
        401,
        "application/json",
        r#"{"code":"unauthenticated","msg":"invalid token"}"#,
    )
    .await;
    assert!(!ends_after_the_grace_period(&refusing).await);
    // A real LiveKit refuses a rotated key in plain text, which the client cannot decode as
    // Twirp: the probe sees the 401 and it still ends nothing.
    let plain = answering(401, "text/plain", "invalid API key: APIold\n").await;
    assert!(!ends_after_the_grace_period(&plain).await);
}
