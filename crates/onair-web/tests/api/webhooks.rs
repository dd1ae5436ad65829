//! Webhooks in: verification, and the events that drive streams; the background sweep.

use chrono::{Duration, Utc};
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;

pub(crate) async fn live_stream(app: &TestApp) -> (User, String, String) {
    let creator = app.signup().await;
    let id = app.create_stream(&creator, "Live").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let room = format!("stream-{id}");
    assert_eq!(
        app.send_webhook(&track_published(&room, &creator.id))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(app.get_stream(&id).await["status"], "LIVE");
    (creator, id, room)
}

#[tokio::test]
async fn forged_expired_or_tampered_webhooks_are_401_and_change_nothing() {
    let app = TestApp::spawn().await;
    let creator = app.signup().await;
    let id = app.create_stream(&creator, "Quiet").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let room = format!("stream-{id}");
    let body = serde_json::to_string(&track_published(&room, &creator.id)).unwrap();

    let cases = [
        (
            "wrong secret",
            webhook_jwt(&body, API_KEY, "not-the-secret-not-the-secret-0000", 300),
        ),
        ("wrong key", webhook_jwt(&body, "APIother", API_SECRET, 300)),
        ("expired", webhook_jwt(&body, API_KEY, API_SECRET, -600)),
        ("other body", webhook_jwt("{}", API_KEY, API_SECRET, 300)),
        ("garbage", "not.a.jwt".to_owned()),
        ("missing", String::new()),
    ];
    for (what, auth) in cases {
        let res = app.send_webhook_raw(&body, &auth).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{what}");
        let err: Value = res.json().await.unwrap();
        assert_eq!(err["error"]["code"], "invalid_signature", "{what}");
    }
    // A valid token over a tampered body.
    let auth = webhook_jwt(&body, API_KEY, API_SECRET, 300);
    let tampered = body.replace("track_published", "room_finished");
    assert_eq!(
        app.send_webhook_raw(&tampered, &auth).await.status(),
        StatusCode::UNAUTHORIZED
    );

    assert_eq!(app.get_stream(&id).await["status"], "SCHEDULED");
    assert_eq!(app.balance(&creator).await, 100);

    // The same body, correctly signed, with a tolerated `Bearer ` prefix, works.
    let res = app.send_webhook_raw(&body, &format!("Bearer {auth}")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(app.get_stream(&id).await["status"], "LIVE");
}

#[tokio::test]
async fn viewer_counts_survive_replays_and_reordering() {
    let app = TestApp::spawn().await;
    let (_creator, id, room) = live_stream(&app).await;
    let count = |app: &TestApp| {
        let id = id.clone();
        let url = app.url(&format!("/api/streams/{id}"));
        async move {
            let s: Value = client()
                .get(url)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            (
                s["participantCount"].as_u64().unwrap(),
                s["peakViewers"].as_u64().unwrap(),
            )
        }
    };
    for (identity, sid) in [("a", "PA_a"), ("b", "PA_b"), ("c", "PA_c")] {
        app.send_webhook(&participant_event(
            "participant_joined",
            &room,
            identity,
            sid,
        ))
        .await;
    }
    assert_eq!(count(&app).await, (3, 3));
    let left = participant_event("participant_left", &room, "b", "PA_b");
    app.send_webhook(&left).await;
    app.send_webhook(&left).await;
    let mut again = left.clone();
    again.id = "EV_redelivered".into();
    app.send_webhook(&again).await;
    assert_eq!(count(&app).await, (2, 3));
    // A leave that overtook its join: the late join does not count.
    app.send_webhook(&participant_event("participant_left", &room, "d", "PA_d"))
        .await;
    app.send_webhook(&participant_event("participant_joined", &room, "d", "PA_d"))
        .await;
    assert_eq!(count(&app).await, (2, 3));
}

#[tokio::test]
async fn room_finished_ends_a_live_stream() {
    let app = TestApp::spawn().await;
    let (_creator, id, room) = live_stream(&app).await;
    assert_eq!(
        app.send_webhook(&room_event("room_finished", &room))
            .await
            .status(),
        StatusCode::OK
    );
    let s = app.get_stream(&id).await;
    assert_eq!(s["status"], "ENDED");
    assert_eq!(s["endedReason"], "room_finished");
}

#[tokio::test]
async fn creator_absent_past_the_grace_period_ends_the_stream() {
    let app = TestApp::spawn().await;
    let (creator, id, room) = live_stream(&app).await;
    app.send_webhook(&participant_event(
        "participant_joined",
        &room,
        &creator.id,
        "PA_c1",
    ))
    .await;
    app.send_webhook(&participant_event(
        "participant_left",
        &room,
        &creator.id,
        "PA_c1",
    ))
    .await;
    // Within the grace period: still live.
    onair_web::tasks::sweep(&app.state, Utc::now() + Duration::seconds(30))
        .await
        .unwrap();
    assert_eq!(app.get_stream(&id).await["status"], "LIVE");
    // A reconnect clears the absence.
    app.send_webhook(&participant_event(
        "participant_joined",
        &room,
        &creator.id,
        "PA_c2",
    ))
    .await;
    onair_web::tasks::sweep(&app.state, Utc::now() + Duration::seconds(120))
        .await
        .unwrap();
    assert_eq!(app.get_stream(&id).await["status"], "LIVE");
    // Gone for good.
    app.send_webhook(&participant_event(
        "participant_left",
        &room,
        &creator.id,
        "PA_c2",
    ))
    .await;
    onair_web::tasks::sweep(&app.state, Utc::now() + Duration::seconds(61))
        .await
        .unwrap();
    let s = app.get_stream(&id).await;
    assert_eq!(s["status"], "ENDED");
    assert_eq!(s["endedReason"], "creator_absent");
}

#[tokio::test]
async fn metering_charges_each_minute_and_ends_when_credits_run_out() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.per_minute_cost = onair_domain::Credits::new(30);
    })
    .await;
    let (creator, id, _room) = live_stream(&app).await;
    assert_eq!(app.balance(&creator).await, 90);
    let start = Utc::now();
    onair_web::tasks::sweep(&app.state, start + Duration::seconds(61))
        .await
        .unwrap();
    assert_eq!(app.balance(&creator).await, 60, "one minute");
    onair_web::tasks::sweep(&app.state, start + Duration::seconds(61))
        .await
        .unwrap();
    assert_eq!(
        app.balance(&creator).await,
        60,
        "never twice for the same minute"
    );
    onair_web::tasks::sweep(&app.state, start + Duration::seconds(4 * 60 + 1))
        .await
        .unwrap();
    assert_eq!(
        app.balance(&creator).await,
        0,
        "minutes 2 and 3 paid, minute 4 not"
    );
    let s = app.get_stream(&id).await;
    assert_eq!(s["status"], "ENDED");
    assert_eq!(s["endedReason"], "credits_exhausted");
    let ledger = app.ledger(&creator).await;
    let minutes = ledger["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["reason"] == "live_minute")
        .count();
    assert_eq!(minutes, 3);
}

#[tokio::test]
async fn webhook_bodies_may_exceed_the_json_limit_but_not_a_megabyte() {
    let app = TestApp::spawn().await;
    let creator = app.signup().await;
    let id = app.create_stream(&creator, "Big").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let room = format!("stream-{id}");
    let mut event = track_published(&room, &creator.id);
    event.room.as_mut().unwrap().metadata = "m".repeat(200 * 1024);
    assert_eq!(app.send_webhook(&event).await.status(), StatusCode::OK);
    assert_eq!(app.get_stream(&id).await["status"], "LIVE");
    let mut huge = room_event("room_finished", &room);
    huge.room.as_mut().unwrap().metadata = "m".repeat(1024 * 1024);
    let res = app.send_webhook(&huge).await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(app.get_stream(&id).await["status"], "LIVE");
}

#[tokio::test]
async fn viewers_waiting_before_go_live_are_counted_once_live() {
    let app = TestApp::spawn().await;
    let creator = app.signup().await;
    let id = app.create_stream(&creator, "Soon").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let room = format!("stream-{id}");
    for (identity, sid) in [("early-1", "PA_e1"), ("early-2", "PA_e2")] {
        app.send_webhook(&participant_event(
            "participant_joined",
            &room,
            identity,
            sid,
        ))
        .await;
    }
    assert_eq!(
        app.get_stream(&id).await["participantCount"],
        0,
        "not live yet"
    );
    let res = app
        .patch(&creator.client, &id, serde_json::json!({"status": "LIVE"}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let live: Value = res.json().await.unwrap();
    assert_eq!(live["participantCount"], 2);
    assert_eq!(live["peakViewers"], 2);
}

#[tokio::test]
async fn an_absence_before_going_live_does_not_end_the_stream() {
    let app = TestApp::spawn().await;
    let creator = app.signup().await;
    let id = app.create_stream(&creator, "Preview first").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let room = format!("stream-{id}");
    app.send_webhook(&participant_event(
        "participant_joined",
        &room,
        &creator.id,
        "PA_p",
    ))
    .await;
    app.send_webhook(&participant_event(
        "participant_left",
        &room,
        &creator.id,
        "PA_p",
    ))
    .await;
    let res = app
        .patch(&creator.client, &id, serde_json::json!({"status": "LIVE"}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    onair_web::tasks::sweep(&app.state, Utc::now() + Duration::seconds(30))
        .await
        .unwrap();
    assert_eq!(app.get_stream(&id).await["status"], "LIVE");
}

#[tokio::test]
async fn events_for_unknown_rooms_and_streams_are_accepted_and_ignored() {
    let app = TestApp::spawn().await;
    for room in [
        "lobby",
        "stream-not-a-uuid",
        &format!("stream-{}", uuid::Uuid::now_v7()),
    ] {
        let res = app
            .send_webhook(&participant_event("participant_joined", room, "x", "PA_x"))
            .await;
        assert_eq!(res.status(), StatusCode::OK, "{room}");
    }
    let mut no_room = room_event("room_started", "lobby");
    no_room.room = None;
    assert_eq!(app.send_webhook(&no_room).await.status(), StatusCode::OK);
    let body = r#"{"event": 5}"#;
    let res = app
        .send_webhook_raw(body, &webhook_jwt(body, API_KEY, API_SECRET, 300))
        .await;
    expect_error(res, 400, "malformed_json").await;
}
