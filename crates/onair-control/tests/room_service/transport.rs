//! What happens before a method runs: routes, HTTP methods, content types, body size,
//! authentication, deadlines, and the request counter.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::raw::{Api, admin, create, ok_json, twirp_error};

#[tokio::test]
async fn garbage_bodies_are_malformed() {
    let api = Api::start().await;
    let cases: [(&str, &[u8]); 4] = [
        ("application/json", b"{not json"),
        ("application/json", b""),
        ("application/json", br#"{"name": 5}"#),
        ("application/protobuf", &[0x0a, 0xff, 0xff, 0xff]),
    ];
    for (content_type, body) in cases {
        let (status, body) = twirp_error(
            api.raw("CreateRoom", &create(), content_type, body.to_vec())
                .await,
        )
        .await;
        assert_eq!(
            (status, &body["code"]),
            (StatusCode::BAD_REQUEST, &json!("malformed")),
            "{content_type}"
        );
    }
    // Larger than the 2 MiB body limit.
    let huge = vec![b' '; 3 * 1024 * 1024];
    let (status, body) = twirp_error(
        api.raw("CreateRoom", &create(), "application/json", huge)
            .await,
    )
    .await;
    assert_eq!(
        (status, &body["code"]),
        (StatusCode::BAD_REQUEST, &json!("malformed"))
    );
    assert!(api.backend.with(|s| s.rooms.is_empty()));
}

#[tokio::test]
async fn routes_methods_and_content_types_are_checked() {
    let api = Api::start().await;
    for content_type in ["text/plain", "application/x-protobuf", "application/grpc"] {
        let (status, body) = twirp_error(
            api.raw("ListRooms", &create(), content_type, b"{}".to_vec())
                .await,
        )
        .await;
        assert_eq!(
            (status, &body["code"]),
            (StatusCode::NOT_FOUND, &json!("bad_route")),
            "{content_type}"
        );
    }
    let no_type = api
        .http
        .post(api.url("ListRooms"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(twirp_error(no_type).await.1["code"], "bad_route");

    let get = api.http.get(api.url("ListRooms")).send().await.unwrap();
    let (status, body) = twirp_error(get).await;
    assert_eq!(
        (status, &body["code"]),
        (StatusCode::NOT_FOUND, &json!("bad_route"))
    );
    assert_eq!(
        body["meta"]["twirp_invalid_route"],
        "GET /twirp/livekit.RoomService/ListRooms"
    );

    for method in ["Nope", "createRoom", "CreateRoom/extra"] {
        let (status, body) = twirp_error(api.node(method, &create(), json!({})).await).await;
        assert_eq!(
            (status, &body["code"]),
            (StatusCode::NOT_FOUND, &json!("bad_route")),
            "{method}"
        );
    }
    let other_service = format!("{}/twirp/livekit.Egress/ListEgress", api.host);
    let response = api
        .http
        .post(other_service)
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(twirp_error(response).await.1["code"], "bad_route");

    let (status, body) = twirp_error(api.node("PerformRpc", &admin("r"), json!({})).await).await;
    assert_eq!(
        (status, &body["code"]),
        (StatusCode::NOT_IMPLEMENTED, &json!("unimplemented"))
    );
}

#[tokio::test]
async fn authentication_follows_livekit() {
    let api = Api::start().await;
    let list = |auth: Option<&str>, query: &str| {
        let mut request = api
            .http
            .post(format!("{}{query}", api.url("ListRooms")))
            .header("content-type", "application/json")
            .body("{}");
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        request.send()
    };
    let (status, body) = twirp_error(
        list(Some(&format!("Basic {}", create())), "")
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        body["msg"],
        "invalid authorization header. Must start with Bearer "
    );
    let (status, body) = twirp_error(list(Some("Bearer not.a.jwt"), "").await.unwrap()).await;
    assert_eq!(
        (status, &body["code"]),
        (StatusCode::UNAUTHORIZED, &json!("unauthenticated"))
    );

    // No token at all reaches the grant check, as in LiveKit.
    let (status, body) = twirp_error(list(None, "").await.unwrap()).await;
    assert_eq!(
        (status, &body["msg"]),
        (StatusCode::UNAUTHORIZED, &json!("permissions denied"))
    );

    // Without an Authorization header, `access_token` in the query is used.
    let response = list(None, &format!("?access_token={}", create()))
        .await
        .unwrap();
    assert_eq!(ok_json(response).await, json!({}));
}

#[tokio::test]
async fn twirp_timeout_header_bounds_the_backend() {
    let api = Api::start().await;
    api.backend.with(|s| s.list_delay = Duration::from_secs(5));
    let response = api
        .http
        .post(api.url("ListRooms"))
        .header("authorization", format!("Bearer {}", create()))
        .header("content-type", "application/json")
        .header("x-twirp-timeout-ms", "50")
        .body("{}")
        .send()
        .await
        .unwrap();
    let (status, body) = twirp_error(response).await;
    assert_eq!(
        (status, &body["code"]),
        (StatusCode::REQUEST_TIMEOUT, &json!("deadline_exceeded"))
    );
}

#[tokio::test]
async fn requests_are_counted_by_method_and_outcome() {
    static RECORDER: std::sync::OnceLock<metrics_exporter_prometheus::PrometheusHandle> =
        std::sync::OnceLock::new();
    let metrics = RECORDER.get_or_init(|| {
        metrics_exporter_prometheus::PrometheusBuilder::new()
            .install_recorder()
            .unwrap()
    });
    let api = Api::start().await;
    api.node("DeleteRoom", &create(), json!({"room": "counted"}))
        .await;
    api.node("CreateRoom", &create(), json!({"name": "counted"}))
        .await;
    api.node("NoSuchMethod", &create(), json!({})).await;
    let rendered = metrics.render();
    for series in [
        r#"onair_roomservice_requests_total{method="DeleteRoom",code="not_found"}"#,
        r#"onair_roomservice_requests_total{method="CreateRoom",code="ok"}"#,
        r#"onair_roomservice_requests_total{method="other",code="bad_route"}"#,
    ] {
        assert!(
            rendered.contains(series),
            "{series} missing from\n{rendered}"
        );
    }
}
