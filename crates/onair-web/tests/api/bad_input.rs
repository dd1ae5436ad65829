//! Bad input on every endpoint: a 4xx with a stable code, and nothing changed.

use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::*;
use onair_store::Store as _;

/// (method, url, content type, body, status, code, field named in `fields`)
type Case<'a> = (
    &'a str,
    &'a str,
    &'a str,
    String,
    u16,
    &'a str,
    Option<&'a str>,
);

/// A snapshot of what bad requests must not change.
async fn snapshot(app: &TestApp, user: &User) -> (i64, u64, String) {
    let list: Value = client()
        .get(app.url(&format!("/api/streams/list?creator={}", user.id)))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let first = list["streams"]
        .get(0)
        .map(|s| s.to_string())
        .unwrap_or_default();
    (
        app.balance(user).await,
        list["pagination"]["total"].as_u64().unwrap(),
        first,
    )
}

#[tokio::test]
async fn bad_bodies_get_stable_codes_and_change_nothing() {
    let app = TestApp::spawn().await;
    let user = app.signup().await;
    let id = app.create_stream(&user, "Keep me").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let before = snapshot(&app, &user).await;
    let stream_url = app.url(&format!("/api/streams/{id}"));
    let create_url = app.url("/api/streams");
    let signup_url = app.url("/api/auth/signup");

    // (method, url, content-type, body, status, code, field)
    let big = format!(r#"{{"title":"{}"}}"#, "x".repeat(70 * 1024));
    let cases: Vec<Case<'_>> = vec![
        (
            "POST",
            &create_url,
            "application/json",
            "{\"title\":".into(),
            400,
            "malformed_json",
            None,
        ),
        (
            "POST",
            &create_url,
            "application/json",
            "".into(),
            400,
            "malformed_json",
            None,
        ),
        (
            "POST",
            &create_url,
            "text/plain",
            r#"{"title":"x"}"#.into(),
            415,
            "unsupported_media_type",
            None,
        ),
        (
            "POST",
            &create_url,
            "application/json",
            r#"{"title":5}"#.into(),
            422,
            "validation_failed",
            Some("title"),
        ),
        (
            "POST",
            &create_url,
            "application/json",
            r#"{"description":"no title"}"#.into(),
            422,
            "validation_failed",
            Some("title"),
        ),
        (
            "POST",
            &create_url,
            "application/json",
            r#"{"title":"x","extra":1}"#.into(),
            422,
            "validation_failed",
            Some("extra"),
        ),
        (
            "POST",
            &create_url,
            "application/json",
            r#"{"title":"   "}"#.into(),
            422,
            "validation_failed",
            Some("title"),
        ),
        (
            "POST",
            &create_url,
            "application/json",
            r#"{"title":"x","scheduledFor":"2001-01-01T00:00:00Z"}"#.into(),
            422,
            "validation_failed",
            Some("scheduledFor"),
        ),
        (
            "POST",
            &create_url,
            "application/json",
            r#"{"title":"x","scheduledFor":"soon"}"#.into(),
            422,
            "validation_failed",
            Some("scheduledFor"),
        ),
        (
            "POST",
            &create_url,
            "application/json",
            big.clone(),
            413,
            "payload_too_large",
            None,
        ),
        (
            "PATCH",
            &stream_url,
            "application/json",
            "{}".into(),
            422,
            "validation_failed",
            Some("body"),
        ),
        (
            "PATCH",
            &stream_url,
            "application/json",
            r#"{"status":"PAUSED"}"#.into(),
            422,
            "validation_failed",
            Some("status"),
        ),
        (
            "PATCH",
            &stream_url,
            "application/json",
            r#"{"status":"SCHEDULED"}"#.into(),
            422,
            "validation_failed",
            Some("status"),
        ),
        (
            "PATCH",
            &stream_url,
            "application/json",
            r#"{"title":["x"]}"#.into(),
            422,
            "validation_failed",
            Some("title"),
        ),
        (
            "PATCH",
            &stream_url,
            "application/json",
            r#"{"titel":"typo"}"#.into(),
            422,
            "validation_failed",
            Some("titel"),
        ),
        (
            "PATCH",
            &stream_url,
            "application/json",
            r#"{"title":"x","#.into(),
            400,
            "malformed_json",
            None,
        ),
        (
            "POST",
            &signup_url,
            "application/json",
            r#"{"email":"bad","password":"short","name":""}"#.into(),
            422,
            "validation_failed",
            Some("email"),
        ),
        (
            "POST",
            &signup_url,
            "application/json",
            r#"{"email":"x@y.co","password":"long enough","name":"N","admin":true}"#.into(),
            422,
            "validation_failed",
            Some("admin"),
        ),
    ];
    for (method, url, ctype, body, status, code, field) in cases {
        let res = user
            .client
            .request(method.parse().unwrap(), url)
            .header("Content-Type", ctype)
            .body(body.clone())
            .send()
            .await
            .unwrap();
        let label = format!("{method} {url} {}", &body[..body.len().min(60)]);
        assert_eq!(res.status().as_u16(), status, "{label}");
        let err: Value = res.json().await.unwrap();
        assert_eq!(err["error"]["code"], code, "{label}: {err}");
        if let Some(field) = field {
            assert!(
                err["error"]["fields"][field].is_string(),
                "{label}: field {field} in {err}"
            );
        }
    }
    // Signup reports every bad field at once.
    let res = client()
        .post(&signup_url)
        .json(&json!({"email":"bad","password":"short","name":""}))
        .send()
        .await
        .unwrap();
    let err = expect_error(res, 422, "validation_failed").await;
    for f in ["email", "password", "name"] {
        assert!(err["error"]["fields"][f].is_string(), "{f}");
    }
    assert_eq!(snapshot(&app, &user).await, before, "nothing changed");
}

#[tokio::test]
async fn ids_sessions_and_duplicates() {
    let app = TestApp::spawn().await;
    let user = app.signup().await;
    let before = snapshot(&app, &user).await;

    // Bad and unknown ids.
    expect_error(
        client()
            .get(app.url("/api/streams/not-a-uuid"))
            .send()
            .await
            .unwrap(),
        400,
        "bad_request",
    )
    .await;
    let unknown = uuid::Uuid::now_v7();
    expect_error(
        client()
            .get(app.url(&format!("/api/streams/{unknown}")))
            .send()
            .await
            .unwrap(),
        404,
        "not_found",
    )
    .await;
    expect_error(app.token(&user.client, "nope").await, 400, "bad_request").await;
    expect_error(
        app.token(&user.client, &unknown.to_string()).await,
        404,
        "not_found",
    )
    .await;
    expect_error(
        app.patch(&user.client, &unknown.to_string(), json!({"title": "x"}))
            .await,
        404,
        "not_found",
    )
    .await;
    expect_error(
        client()
            .get(app.url("/api/streams/list?limit=0"))
            .send()
            .await
            .unwrap(),
        422,
        "validation_failed",
    )
    .await;
    expect_error(
        client()
            .get(app.url("/api/streams/list?limit=51"))
            .send()
            .await
            .unwrap(),
        422,
        "validation_failed",
    )
    .await;
    expect_error(
        client()
            .get(app.url("/api/streams/list?status=paused"))
            .send()
            .await
            .unwrap(),
        422,
        "validation_failed",
    )
    .await;
    expect_error(
        client()
            .get(app.url("/api/streams/list?creator=me"))
            .send()
            .await
            .unwrap(),
        422,
        "validation_failed",
    )
    .await;
    expect_error(
        client()
            .get(app.url("/api/nothing-here"))
            .send()
            .await
            .unwrap(),
        404,
        "not_found",
    )
    .await;

    // Without a session, with a forged one, with an expired one.
    let anon = client();
    expect_error(
        anon.get(app.url("/api/me")).send().await.unwrap(),
        401,
        "unauthenticated",
    )
    .await;
    expect_error(
        anon.post(app.url("/api/streams"))
            .json(&json!({"title": "x"}))
            .send()
            .await
            .unwrap(),
        401,
        "unauthenticated",
    )
    .await;
    let forged = format!("onair_session={}", "A".repeat(43));
    let res = client()
        .get(app.url("/api/me"))
        .header("Cookie", forged)
        .send()
        .await
        .unwrap();
    expect_error(res, 401, "unauthenticated").await;
    let value = "B".repeat(43);
    let hash: [u8; 32] = Sha256::digest(value.as_bytes()).into();
    let now = chrono::Utc::now();
    app.state
        .store
        .create_session(
            &hash,
            user.id.parse().unwrap(),
            now - chrono::Duration::seconds(1),
            now - chrono::Duration::hours(1),
        )
        .await
        .unwrap();
    let res = client()
        .get(app.url("/api/me"))
        .header("Cookie", format!("onair_session={value}"))
        .send()
        .await
        .unwrap();
    expect_error(res, 401, "unauthenticated").await;

    // Duplicate signup (case-insensitive email), wrong password, unknown email.
    let res = client()
        .post(app.url("/api/auth/signup"))
        .json(&json!({"email": user.email.to_uppercase(), "password": "another password", "name": "Dup"}))
        .send().await.unwrap();
    expect_error(res, 409, "conflict").await;
    expect_error(
        app.login(&client(), &user.email, "wrong password").await,
        401,
        "invalid_credentials",
    )
    .await;
    expect_error(
        app.login(&client(), "nobody@example.com", "wrong password")
            .await,
        401,
        "invalid_credentials",
    )
    .await;

    // Logout ends the session.
    let res = user
        .client
        .post(app.url("/api/auth/logout"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    expect_error(
        user.client.get(app.url("/api/me")).send().await.unwrap(),
        401,
        "unauthenticated",
    )
    .await;
    let res = app.login(&user.client, &user.email, "correct horse").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(snapshot(&app, &user).await, before, "nothing changed");
}

#[tokio::test]
async fn cross_site_requests_are_refused() {
    let app = TestApp::spawn().await;
    let user = app.signup().await;
    let res = user
        .client
        .post(app.url("/api/streams"))
        .header("Origin", "https://evil.example")
        .json(&json!({"title": "csrf"}))
        .send()
        .await
        .unwrap();
    expect_error(res, 403, "forbidden").await;
    let res = user
        .client
        .post(app.url("/api/streams"))
        .header("Origin", app.base.as_str())
        .json(&json!({"title": "same site"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let list: Value = client()
        .get(app.url(&format!("/api/streams/list?creator={}", user.id)))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["pagination"]["total"], 1);
}

#[tokio::test]
async fn ledger_grant_and_logout_edge_cases() {
    let app = TestApp::spawn().await;
    let user = app.signup().await;
    for query in ["page=0", "limit=0", "limit=101"] {
        let res = user
            .client
            .get(app.url(&format!("/api/me/credits?{query}")))
            .send()
            .await
            .unwrap();
        expect_error(res, 422, "validation_failed").await;
    }
    let res = user
        .client
        .get(app.url("/api/me/credits?page=abc"))
        .send()
        .await
        .unwrap();
    expect_error(res, 400, "bad_request").await;
    let ledger = app.ledger(&user).await;
    assert_eq!(ledger["entries"][0]["reason"], "signup_grant");
    assert_eq!(ledger["entries"][0]["delta"], 100);
    assert_eq!(ledger["pagination"]["total"], 1);

    let res = client()
        .post(app.url("/api/admin/credits"))
        .json(&json!({"accountId": user.id, "amount": 5}))
        .send()
        .await
        .unwrap();
    expect_error(res, 401, "unauthenticated").await;
    // Logging out without a session is fine; the cookie is cleared either way.
    let res = client()
        .post(app.url("/api/auth/logout"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert!(
        res.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );

    // Deleted streams: gone for reads, tokens and edits.
    let id = app.create_stream(&user, "Short-lived").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = user
        .client
        .delete(app.url(&format!("/api/streams/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    expect_error(app.token(&user.client, &id).await, 410, "gone").await;
    expect_error(
        app.patch(&user.client, &id, json!({"title": "back"})).await,
        410,
        "gone",
    )
    .await;
    let res = user
        .client
        .delete(app.url(&format!("/api/streams/{id}")))
        .send()
        .await
        .unwrap();
    expect_error(res, 410, "gone").await;
    assert_eq!(app.balance(&user).await, 100);
}
