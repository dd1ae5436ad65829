//! Health, metrics, OpenAPI, rate limits, request ids and login timing.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn health_readiness_and_request_ids() {
    let app = TestApp::spawn().await;
    let res = client().get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().contains_key("x-request-id"));
    let res = client()
        .get(app.url("/readyz"))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["x-request-id"], "abc-123", "propagated");
}

#[tokio::test]
async fn metrics_expose_the_named_series() {
    let app = TestApp::spawn().await;
    let user = app.signup().await;
    let id = app.create_stream(&user, "Metered").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.token(&user.client, &id).await;
    app.token(&client(), &id).await;
    app.send_webhook(&track_published(&format!("stream-{id}"), &user.id))
        .await;
    let text = client()
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for series in [
        "onair_http_request_duration_seconds_bucket{",
        r#"route="/api/streams/{id}/token""#,
        r#"onair_streams{status="LIVE"}"#,
        r#"onair_tokens_issued_total{role="creator"}"#,
        r#"onair_tokens_issued_total{role="viewer"}"#,
        r#"onair_webhooks_total{event="track_published",result="applied"}"#,
    ] {
        assert!(text.contains(series), "missing {series} in\n{text}");
    }
}

#[tokio::test]
async fn openapi_lists_the_paths() {
    let app = TestApp::spawn().await;
    let doc: Value = client()
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/auth/signup",
        "/api/auth/login",
        "/api/auth/logout",
        "/api/me",
        "/api/me/credits",
        "/api/streams",
        "/api/streams/{id}",
        "/api/streams/list",
        "/api/streams/{id}/token",
        "/api/streams/{id}/participants/{identity}/remove",
        "/api/livekit/webhook",
        "/healthz",
        "/readyz",
        "/metrics",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} missing");
    }
    assert!(doc["paths"]["/api/streams/{id}"]["patch"].is_object());
}

#[tokio::test]
async fn rate_limits_answer_429_with_retry_after() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.rate_limits.auth_per_minute = 3).await;
    let mut statuses = vec![];
    let mut last = None;
    for _ in 0..5 {
        let res = app
            .login(&client(), "nobody@example.com", "whatever1")
            .await;
        statuses.push(res.status().as_u16());
        last = Some(res);
    }
    assert_eq!(statuses, [401, 401, 401, 429, 429]);
    let res = last.unwrap();
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    let body = expect_error(res, 429, "rate_limited").await;
    assert_eq!(body["error"]["retryAfter"], retry);
    // Other classes are unaffected.
    assert_eq!(
        client()
            .get(app.url("/api/streams/list"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn per_account_limits_apply_to_stream_creation() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.rate_limits.create_per_minute = 2).await;
    let user = app.signup().await;
    for _ in 0..2 {
        app.create_stream(&user, "ok").await;
    }
    let res = user
        .client
        .post(app.url("/api/streams"))
        .json(&json!({"title": "third"}))
        .send()
        .await
        .unwrap();
    expect_error(res, 429, "rate_limited").await;
}

/// Unknown emails cost an argon2 verification too, so their timing matches wrong passwords.
#[tokio::test]
async fn login_timing_does_not_reveal_unknown_emails() {
    let app = TestApp::spawn().await;
    let user = app.signup().await;
    let checks = app.state.password_checks();
    expect_error(
        app.login(&client(), "nobody@example.com", "wrong password")
            .await,
        401,
        "invalid_credentials",
    )
    .await;
    assert_eq!(
        app.state.password_checks(),
        checks + 1,
        "unknown email ran one argon2 verification"
    );

    async fn median(app: &TestApp, email: &str) -> Duration {
        let mut times = vec![];
        for _ in 0..5 {
            let start = Instant::now();
            let res = app.login(&client(), email, "wrong password").await;
            assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
            times.push(start.elapsed());
        }
        times.sort();
        times[2]
    }
    let wrong_password = median(&app, &user.email).await;
    let unknown_email = median(&app, "nobody@example.com").await;
    let ratio = unknown_email.as_secs_f64() / wrong_password.as_secs_f64();
    assert!(
        (0.2..5.0).contains(&ratio),
        "unknown {unknown_email:?} vs wrong password {wrong_password:?}"
    );
}
