//! The JSON encoding as the Node SDK sends it (protobuf-es `toJson`: lowerCamel names,
//! defaults omitted, int64 as strings, `application/json;charset=UTF-8`), and bad input.

use std::time::Duration;

use livekit_api::access_token::{AccessToken, VideoGrants};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

use crate::common::{KEY, MemoryRooms, SECRET, spawn};

fn token(grants: VideoGrants) -> String {
    AccessToken::with_api_key(KEY, SECRET)
        .with_grants(grants)
        .to_jwt()
        .unwrap()
}

fn create() -> String {
    token(VideoGrants {
        room_create: true,
        room_list: true,
        ..Default::default()
    })
}

fn admin(room: &str) -> String {
    token(VideoGrants {
        room_admin: true,
        room: room.into(),
        ..Default::default()
    })
}

struct Api {
    host: String,
    http: reqwest::Client,
    backend: MemoryRooms,
}

impl Api {
    async fn start() -> Self {
        let backend = MemoryRooms::default();
        let host = spawn(backend.clone()).await;
        Self {
            host,
            http: reqwest::Client::new(),
            backend,
        }
    }

    fn url(&self, method: &str) -> String {
        format!("{}/twirp/livekit.RoomService/{method}", self.host)
    }

    /// A request the way the Node SDK makes it.
    async fn node(&self, method: &str, token: &str, body: Value) -> Response {
        self.raw(
            method,
            token,
            "application/json;charset=UTF-8",
            body.to_string().into_bytes(),
        )
        .await
    }

    async fn raw(&self, method: &str, token: &str, content_type: &str, body: Vec<u8>) -> Response {
        let request = self
            .http
            .post(self.url(method))
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", content_type)
            .body(body);
        tokio::time::timeout(Duration::from_secs(10), request.send())
            .await
            .unwrap_or_else(|_| panic!("{method} got no answer within 10 s"))
            .unwrap()
    }
}

/// Status and JSON body of a Twirp error, after checking the exact content type.
async fn twirp_error(response: Response) -> (StatusCode, Value) {
    let status = response.status();
    assert_eq!(
        response.headers()["content-type"],
        "application/json",
        "exactly, no charset"
    );
    (status, response.json().await.unwrap())
}

async fn ok_json(response: Response) -> Value {
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/json");
    response.json().await.unwrap()
}

#[tokio::test]
async fn node_style_json_round_trips() {
    let api = Api::start().await;
    let body = json!({"name": "j", "emptyTimeout": 60, "maxParticipants": 10, "metadata": "m"});
    let room = ok_json(api.node("CreateRoom", &create(), body).await).await;
    assert_eq!(room["name"], "j");
    assert_eq!(room["emptyTimeout"], 60);
    assert_eq!(room["creationTime"], "1700000000", "int64 as a string");
    assert!(room.get("activeRecording").is_none(), "defaults omitted");

    // snake_case keys (Go protojson, Python json_format) are accepted too.
    let snake = json!({"name": "j", "departure_timeout": 7});
    assert_eq!(
        ok_json(api.node("CreateRoom", &create(), snake).await).await["departureTimeout"],
        7
    );

    let rooms = ok_json(
        api.node("ListRooms", &create(), json!({"names": ["j"]}))
            .await,
    )
    .await;
    assert_eq!(rooms["rooms"][0]["sid"], room["sid"]);
    let none = ok_json(
        api.node("ListRooms", &create(), json!({"names": ["x"]}))
            .await,
    )
    .await;
    assert_eq!(none, json!({}), "an empty list is a default, omitted");

    api.backend.join("j", "alice", &["TR_1"]);
    let revoke = json!({"room": "j", "identity": "alice", "revokeTokenTs": "1700000000000"});
    let p = ok_json(
        api.node("GetParticipant", &admin("j"), revoke.clone())
            .await,
    )
    .await;
    assert_eq!(
        (&p["identity"], &p["state"]),
        (&json!("alice"), &json!("ACTIVE"))
    );

    let subs = json!({"room": "j", "identity": "alice", "trackSids": ["TR_1"], "subscribe": true,
        "participantTracks": []});
    assert_eq!(
        ok_json(api.node("UpdateSubscriptions", &admin("j"), subs).await).await,
        json!({})
    );

    let data = json!({"room": "j", "data": "aGVsbG8=", "kind": "LOSSY", "topic": "chat",
        "destinationIdentities": ["alice"], "nonce": "AAECAwQFBgcICQoLDA0ODw=="});
    assert_eq!(
        ok_json(api.node("SendData", &admin("j"), data).await).await,
        json!({})
    );
    let sent = api.backend.with(|s| s.sent_data[0].clone());
    assert_eq!(
        (sent.data.as_slice(), sent.kind, sent.nonce.len()),
        (&b"hello"[..], 1, 16)
    );

    let mute = json!({"room": "j", "identity": "alice", "trackSid": "TR_1", "muted": true});
    let track = ok_json(api.node("MutePublishedTrack", &admin("j"), mute).await).await;
    assert_eq!(
        (&track["track"]["sid"], &track["track"]["muted"]),
        (&json!("TR_1"), &json!(true))
    );

    let update = json!({"room": "j", "identity": "alice", "attributes": {}, "metadata": "x",
        "permission": {"canSubscribe": true, "canPublishSources": ["CAMERA", "MICROPHONE"]}});
    let p = ok_json(api.node("UpdateParticipant", &admin("j"), update).await).await;
    assert_eq!(
        p["permission"]["canPublishSources"],
        json!(["CAMERA", "MICROPHONE"])
    );

    let meta = json!({"room": "j", "metadata": "new"});
    assert_eq!(
        ok_json(api.node("UpdateRoomMetadata", &admin("j"), meta).await).await["metadata"],
        "new"
    );
    assert_eq!(
        ok_json(api.node("RemoveParticipant", &admin("j"), revoke).await).await,
        json!({})
    );
    assert_eq!(
        ok_json(
            api.node("DeleteRoom", &create(), json!({"room": "j"}))
                .await
        )
        .await,
        json!({})
    );
}

#[tokio::test]
async fn json_errors_carry_twirp_codes() {
    let api = Api::start().await;
    let (status, body) = twirp_error(
        api.node("DeleteRoom", &create(), json!({"room": "nope"}))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        body,
        json!({"code": "not_found", "msg": "requested room does not exist"})
    );

    let (status, body) = twirp_error(
        api.node("CreateRoom", &admin("r"), json!({"name": "r"}))
            .await,
    )
    .await;
    assert_eq!(
        (status, &body["code"]),
        (StatusCode::UNAUTHORIZED, &json!("unauthenticated"))
    );

    api.node("CreateRoom", &create(), json!({"name": "r"}))
        .await;
    let big = json!({"room": "r", "metadata": "m".repeat(512 * 1024 + 1)});
    let (status, body) = twirp_error(api.node("UpdateRoomMetadata", &admin("r"), big).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], "invalid_argument");
    assert_eq!(body["meta"]["argument"], "metadata size exceeds limits");
    assert_eq!(api.backend.with(|s| s.rooms["r"].room.metadata.clone()), "");

    let nonce = json!({"room": "r", "data": "aA==", "nonce": "AAEC"});
    let (status, _) = twirp_error(api.node("SendData", &admin("r"), nonce).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(api.backend.with(|s| s.sent_data.is_empty()));
}

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
