//! The whole story, and the race: sign up → create → token → webhook go-live (charged once) →
//! viewers → list → end → tokens refused.

use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;
use onair_store::Store as _;

#[tokio::test]
async fn a_stream_from_signup_to_ended() {
    for backend in backends() {
        let app = TestApp::spawn_with(backend, |_| {}).await;
        story(&app).await;
        app.finish().await;
    }
}

async fn story(app: &TestApp) {
    let creator = app
        .signup_as(
            &format!("ada{}@example.com", uuid::Uuid::new_v4().simple()),
            "Ada",
        )
        .await;
    assert_eq!(app.balance(&creator).await, 100, "signup grant");

    let stream = app.create_stream(&creator, "  Hello world  ").await;
    let id = stream["id"].as_str().unwrap().to_owned();
    assert_eq!(stream["title"], "Hello world");
    assert_eq!(stream["status"], "SCHEDULED");
    assert_eq!(stream["creator"]["id"], creator.id.as_str());
    assert_eq!(stream["creator"]["name"], "Ada");
    let room = stream["roomName"].as_str().unwrap().to_owned();
    assert_eq!(room, format!("stream-{id}"));

    // The creator's token: every publish grant, identity = account id.
    let res = app.token(&creator.client, &id).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["role"], "creator");
    assert_eq!(body["identity"], creator.id.as_str());
    assert_eq!(body["serverUrl"], format!("ws://{}", app.addr));
    let claims = verify_token(body["token"].as_str().unwrap());
    assert_eq!(claims.sub, creator.id);
    assert_eq!(claims.name, "Ada");
    let v = &claims.video;
    assert!(v.room_join);
    assert_eq!(v.room, room);
    assert!(v.can_publish() && v.can_subscribe() && v.can_publish_data());
    assert_eq!(
        v.can_publish_sources,
        ["camera", "microphone", "screen_share", "screen_share_audio"]
    );
    let ttl = claims.exp as i64 - chrono::Utc::now().timestamp();
    assert!(
        (6 * 3600 - 60..=6 * 3600).contains(&ttl),
        "creator TTL 6 h, got {ttl}"
    );

    // The creator publishes: LIVE, charged once; a replay and a second track change nothing.
    let published = track_published(&room, &creator.id);
    assert_eq!(app.send_webhook(&published).await.status(), StatusCode::OK);
    assert_eq!(app.get_stream(&id).await["status"], "LIVE");
    assert_eq!(app.balance(&creator).await, 90);
    assert_eq!(
        app.send_webhook(&published).await.status(),
        StatusCode::OK,
        "replay"
    );
    let mut second = track_published(&room, &creator.id);
    second.track.as_mut().unwrap().source = livekit_protocol::TrackSource::Microphone as i32;
    assert_eq!(app.send_webhook(&second).await.status(), StatusCode::OK);
    assert_eq!(app.balance(&creator).await, 90, "charged exactly once");
    let ledger = app.ledger(&creator).await;
    let go_live: Vec<&Value> = ledger["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["reason"] == "go_live")
        .collect();
    assert_eq!(go_live.len(), 1);
    assert_eq!(go_live[0]["delta"], -10);
    assert_eq!(go_live[0]["balanceAfter"], 90);
    assert_eq!(go_live[0]["streamId"], id.as_str());
    assert_eq!(ledger["balance"], 90);

    // A viewer joins (the creator's own join does not count; a replay does not either).
    let viewer = app.signup().await;
    let creator_joined = participant_event("participant_joined", &room, &creator.id, "PA_creator");
    app.send_webhook(&creator_joined).await;
    let joined = participant_event("participant_joined", &room, &viewer.id, "PA_viewer");
    assert_eq!(app.send_webhook(&joined).await.status(), StatusCode::OK);
    let mut replay = joined.clone();
    replay.id = "EV_other_id_same_fact".into();
    app.send_webhook(&replay).await;
    let mut hidden = participant_event("participant_joined", &room, "recorder", "PA_hidden");
    hidden.participant.as_mut().unwrap().permission =
        Some(livekit_protocol::ParticipantPermission {
            hidden: true,
            ..Default::default()
        });
    app.send_webhook(&hidden).await;

    let list: Value = client()
        .get(app.url("/api/streams/list?status=live&limit=50"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let card = list["streams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id.as_str())
        .expect("the live stream is listed");
    assert_eq!(card["status"], "LIVE");
    assert_eq!(card["participantCount"], 1);
    assert_eq!(card["peakViewers"], 1);
    assert_eq!(list["pagination"]["page"], 1);
    assert_eq!(list["pagination"]["limit"], 50);
    assert!(list["pagination"]["total"].as_u64().unwrap() >= 1);

    // The creator ends it: ENDED, and tokens are refused from now on.
    let res = app
        .patch(&creator.client, &id, json!({"status": "ENDED"}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let ended: Value = res.json().await.unwrap();
    assert_eq!(ended["status"], "ENDED");
    assert_eq!(ended["endedReason"], "creator");
    assert!(ended["endedAt"].is_string());
    assert_eq!(ended["peakViewers"], 1);
    expect_error(app.token(&viewer.client, &id).await, 410, "gone").await;
    expect_error(app.token(&creator.client, &id).await, 410, "gone").await;
    expect_error(
        app.patch(&creator.client, &id, json!({"status": "LIVE"}))
            .await,
        409,
        "conflict",
    )
    .await;
}

#[tokio::test]
async fn viewer_and_guest_tokens_cannot_publish() {
    let app = TestApp::spawn().await;
    let creator = app.signup().await;
    let viewer = app.signup().await;
    let id = app.create_stream(&creator, "Watch me").await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let body: Value = app.token(&viewer.client, &id).await.json().await.unwrap();
    assert_eq!(body["role"], "viewer");
    assert_eq!(body["identity"], viewer.id.as_str());
    let claims = verify_token(body["token"].as_str().unwrap());
    assert!(claims.video.room_join && claims.video.can_subscribe());
    assert!(!claims.video.can_publish(), "viewer cannot publish");
    assert!(
        claims.video.can_publish_data(),
        "signed-in viewers may chat"
    );
    assert!(!claims.video.can_update_own_metadata());
    let ttl = claims.exp as i64 - chrono::Utc::now().timestamp();
    assert!(
        (2 * 3600 - 60..=2 * 3600).contains(&ttl),
        "viewer TTL 2 h, got {ttl}"
    );

    let guest = client();
    let body: Value = app.token(&guest, &id).await.json().await.unwrap();
    assert_eq!(body["role"], "viewer");
    let identity = body["identity"].as_str().unwrap();
    assert!(identity.starts_with("guest-"), "{identity}");
    let claims = verify_token(body["token"].as_str().unwrap());
    assert_eq!(claims.sub, identity);
    assert!(!claims.video.can_publish());
    assert!(!claims.video.can_publish_data(), "guests cannot chat");
    let other: Value = app.token(&guest, &id).await.json().await.unwrap();
    assert_ne!(
        other["identity"], body["identity"],
        "each guest token is a new identity"
    );

    // Banned identities get no token.
    let stream_id = id.parse().unwrap();
    app.state
        .store
        .ban(stream_id, &viewer.id, chrono::Utc::now())
        .await
        .unwrap();
    expect_error(app.token(&viewer.client, &id).await, 403, "banned").await;
}

#[tokio::test]
async fn one_hundred_concurrent_go_lives_charge_once() {
    for backend in backends() {
        let app = TestApp::spawn_with(backend, |_| {}).await;
        let creator = app.signup().await;
        let id = app.create_stream(&creator, "Race").await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let requests = (0..100).map(|_| app.patch(&creator.client, &id, json!({"status": "LIVE"})));
        let statuses: Vec<u16> = join_all(requests)
            .await
            .iter()
            .map(|r| r.status().as_u16())
            .collect();
        let ok = statuses.iter().filter(|s| **s == 200).count();
        let conflict = statuses.iter().filter(|s| **s == 409).count();
        assert_eq!((ok, conflict), (1, 99), "{backend:?}: {statuses:?}");
        assert_eq!(app.balance(&creator).await, 90, "{backend:?}");
        let ledger = app.ledger(&creator).await;
        let charges = ledger["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["reason"] == "go_live")
            .count();
        assert_eq!(charges, 1, "{backend:?}");
        app.finish().await;
    }
}

#[tokio::test]
async fn going_live_without_credits_is_402_and_changes_nothing() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.go_live_cost = onair_domain::Credits::new(150)
    })
    .await;
    let creator = app.signup().await;
    let id = app.create_stream(&creator, "Too dear").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let body = expect_error(
        app.patch(&creator.client, &id, json!({"status": "LIVE"}))
            .await,
        402,
        "insufficient_credits",
    )
    .await;
    assert_eq!(body["error"]["balance"], 100);
    assert_eq!(body["error"]["cost"], 150);
    assert_eq!(app.get_stream(&id).await["status"], "SCHEDULED");
    assert_eq!(app.balance(&creator).await, 100);

    // Through the webhook: stays SCHEDULED, nothing charged.
    let room = format!("stream-{id}");
    assert_eq!(
        app.send_webhook(&track_published(&room, &creator.id))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(app.get_stream(&id).await["status"], "SCHEDULED");
    assert_eq!(app.balance(&creator).await, 100);
}

#[tokio::test]
async fn edits_deletes_and_permissions() {
    let app = TestApp::spawn().await;
    let creator = app.signup().await;
    let other = app.signup().await;
    let id = app.create_stream(&creator, "Original").await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let res = app
        .patch(&creator.client, &id, json!({"title": "Renamed", "description": "about", "scheduledFor": "2999-01-01T10:00:00Z"}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let s: Value = res.json().await.unwrap();
    assert_eq!(
        (s["title"].as_str(), s["description"].as_str()),
        (Some("Renamed"), Some("about"))
    );
    assert_eq!(s["scheduledFor"], "2999-01-01T10:00:00Z");
    let s: Value = app
        .patch(&creator.client, &id, json!({"scheduledFor": null}))
        .await
        .json()
        .await
        .unwrap();
    assert!(s["scheduledFor"].is_null(), "null clears the schedule");

    expect_error(
        app.patch(&other.client, &id, json!({"title": "Mine"}))
            .await,
        403,
        "forbidden",
    )
    .await;
    let res = other
        .client
        .delete(app.url(&format!("/api/streams/{id}")))
        .send()
        .await
        .unwrap();
    expect_error(res, 403, "forbidden").await;
    assert_eq!(
        app.get_stream(&id).await["title"],
        "Renamed",
        "unchanged by the refused edits"
    );

    // Listing by creator and search.
    let list: Value = client()
        .get(app.url(&format!("/api/streams/list?creator={}&q=renam", creator.id)))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["pagination"]["total"], 1);

    let res = creator
        .client
        .delete(app.url(&format!("/api/streams/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = client()
        .get(app.url(&format!("/api/streams/{id}")))
        .send()
        .await
        .unwrap();
    expect_error(res, 410, "gone").await;
    let list: Value = client()
        .get(app.url(&format!("/api/streams/list?creator={}", creator.id)))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        list["pagination"]["total"], 0,
        "deleted streams leave listings"
    );
    let deleted = app.state.store.stream(id.parse().unwrap()).await.unwrap();
    assert_eq!(
        deleted.ended_reason,
        Some(onair_domain::EndReason::Cancelled)
    );
}

#[tokio::test]
async fn admins_end_any_stream_and_grant_credits() {
    let app = TestApp::spawn().await;
    let creator = app.signup().await;
    let admin = app.signup().await;
    let id = app.create_stream(&creator, "Moderated").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        app.patch(&creator.client, &id, json!({"status": "LIVE"}))
            .await
            .status(),
        StatusCode::OK
    );

    // Not yet an admin: no grants.
    let grant = json!({"accountId": creator.id, "amount": 25, "idempotencyKey": "bonus-1"});
    let res = admin
        .client
        .post(app.url("/api/admin/credits"))
        .json(&grant)
        .send()
        .await
        .unwrap();
    expect_error(res, 403, "forbidden").await;

    app.state
        .store
        .set_role(admin.id.parse().unwrap(), onair_domain::Role::Admin)
        .await
        .unwrap();
    let res = admin
        .client
        .post(app.url("/api/admin/credits"))
        .json(&grant)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["balance"], 115);
    let again: Value = admin
        .client
        .post(app.url("/api/admin/credits"))
        .json(&grant)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again["duplicate"], true, "same idempotency key");
    assert_eq!(app.balance(&creator).await, 115);
    let bad = json!({"accountId": creator.id, "amount": 0});
    let res = admin
        .client
        .post(app.url("/api/admin/credits"))
        .json(&bad)
        .send()
        .await
        .unwrap();
    expect_error(res, 422, "validation_failed").await;

    let res = app
        .patch(&admin.client, &id, json!({"status": "ENDED"}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let ended: Value = res.json().await.unwrap();
    assert_eq!(ended["endedReason"], "admin");
}

#[tokio::test]
async fn cookies_are_secure_when_the_public_url_is_https() {
    let plain = TestApp::spawn().await;
    let res = client()
        .post(plain.url("/api/auth/signup"))
        .json(&json!({"email": "plain@example.com", "password": "correct horse", "name": "P"}))
        .send()
        .await
        .unwrap();
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    for attr in ["HttpOnly", "SameSite=Lax", "Max-Age=2592000", "Path=/"] {
        assert!(cookie.contains(attr), "{cookie} lacks {attr}");
    }
    assert!(!cookie.contains("Secure"), "plain HTTP: {cookie}");

    let https = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.public_url = Some("https://live.example.com".parse().unwrap());
    })
    .await;
    let res = client()
        .post(https.url("/api/auth/signup"))
        .json(&json!({"email": "secure@example.com", "password": "correct horse", "name": "S"}))
        .send()
        .await
        .unwrap();
    let cookie = res.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.contains("; Secure"), "{cookie}");
    // The token's serverUrl follows the public URL in embedded mode.
    let user = https.signup().await;
    let id = https.create_stream(&user, "Public").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let body: Value = https.token(&user.client, &id).await.json().await.unwrap();
    assert_eq!(body["serverUrl"], "wss://live.example.com");
}
