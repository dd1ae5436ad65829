//! The JSON encoding as the Node SDK sends it (protobuf-es `toJson`: lowerCamel names,
//! defaults omitted, int64 as strings, `application/json;charset=UTF-8`), and bad input.

use reqwest::StatusCode;
use serde_json::json;

use crate::raw::{Api, admin, create, ok_json, twirp_error};

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
