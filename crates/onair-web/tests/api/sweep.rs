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

#[tokio::test]
async fn a_media_server_that_stays_unreachable_ends_its_streams_after_the_grace_period() {
    // Nothing listens on port 1: every RoomService call is refused at connect.
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.livekit.mode = onair_web::MediaMode::Embedded {
            room_service_url: "http://127.0.0.1:1".parse().unwrap(),
        };
        c.creator_grace = std::time::Duration::from_secs(60);
    })
    .await;
    let (_creator, id, _room) = live_stream(&app).await;
    let sid: StreamId = id.parse().unwrap();
    let store = &app.state.store;
    let now = Utc::now();

    onair_web::tasks::sweep(&app.state, now).await.unwrap();
    let s = store.stream(sid).await.unwrap();
    assert_eq!(
        s.creator_absent_since.map(|t| t.timestamp()),
        Some(now.timestamp()),
        "an unreachable media server counts the creator absent from the first failed sweep"
    );
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
    let ended = app.get_stream(&id).await;
    assert_eq!(
        (ended["status"].as_str(), ended["endedReason"].as_str()),
        (Some("ENDED"), Some("creator_absent"))
    );
    app.finish().await;
}
