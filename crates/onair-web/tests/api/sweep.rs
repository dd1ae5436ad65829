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
