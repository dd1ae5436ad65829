//! Signal-level tests on a real server (port 0) with a real WebSocket client and tokens minted by
//! LiveKit's own `livekit-api`.

mod common;

use common::*;
use futures::SinkExt;
use livekit_api::access_token::VideoGrants;
use livekit_protocol as proto;
use proto::signal_request::Message as Req;
use proto::signal_response::Message as Msg;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn join_via_query_token_gets_a_complete_join_response() {
    let app = spawn().await;
    let mut ws = app
        .connect_query(&token("alice", grants("studio")))
        .await
        .unwrap();
    let j = join(&mut ws).await;
    let room = j.room.expect("room");
    assert!(room.sid.starts_with("RM_") && room.name == "studio");
    let me = j.participant.expect("participant");
    assert!(me.sid.starts_with("PA_"));
    assert_eq!(me.identity, "alice");
    let info = j.server_info.expect("server_info");
    assert_eq!(info.protocol, 17);
    let v: Vec<u32> = info
        .version
        .split('.')
        .map(|p| p.parse().unwrap())
        .collect();
    assert!(
        v >= vec![1, 8, 0],
        "server version {} below 1.8.0",
        info.version
    );
    assert_eq!((j.ping_interval, j.ping_timeout), (5, 15));
    assert!(j.ice_servers.is_empty() && !j.subscriber_primary);
    // The server then offers the subscriber PC with the data channels.
    let offer = recv_until(&mut ws, |m| match m {
        Msg::Offer(o) => Some(o),
        _ => None,
    })
    .await;
    assert_eq!(offer.r#type, "offer");
    assert!(offer.sdp.contains("m=application") && offer.sdp.contains("a=ice-lite"));
}

#[tokio::test]
async fn join_via_bearer_header_and_others_are_announced() {
    let app = spawn().await;
    let mut a = app
        .connect_bearer(&token("alice", grants("studio")))
        .await
        .unwrap();
    let ja = join(&mut a).await;
    let mut b = app
        .connect_query(&token("bob", grants("studio")))
        .await
        .unwrap();
    let jb = join(&mut b).await;
    assert_eq!(jb.other_participants.len(), 1);
    assert_eq!(jb.other_participants[0].identity, "alice");
    assert_eq!(jb.room.unwrap().sid, ja.room.unwrap().sid);
    recv_until(&mut a, |m| match m {
        Msg::Update(u) if u.participants.iter().any(|p| p.identity == "bob") => Some(()),
        _ => None,
    })
    .await;
    // Bob leaves: Alice sees him disconnected.
    send(&mut b, Req::Leave(proto::LeaveRequest::default())).await;
    recv_until(&mut a, |m| match m {
        Msg::Update(u) => u
            .participants
            .iter()
            .any(|p| {
                p.identity == "bob"
                    && p.state == proto::participant_info::State::Disconnected as i32
            })
            .then_some(()),
        _ => None,
    })
    .await;
}

#[tokio::test]
async fn bad_tokens_are_refused_before_the_upgrade() {
    let app = spawn().await;
    let forged = sign(
        &claims("x", grants("studio"), 600),
        "another-secret-entirely-different",
    );
    let no_join = token(
        "x",
        VideoGrants {
            room: "studio".into(),
            ..Default::default()
        },
    );
    let no_room = sign(
        &claims(
            "x",
            VideoGrants {
                room_join: true,
                ..Default::default()
            },
            600,
        ),
        SECRET,
    );
    let no_identity = sign(&claims("", grants("studio"), 600), SECRET);
    // Control: the hand-signed shape is accepted when nothing is wrong with it.
    let mut ok = app
        .connect_query(&sign(&claims("ok", grants("studio"), 600), SECRET))
        .await
        .unwrap();
    join(&mut ok).await;
    drop(ok);
    for bad in [
        forged,
        expired_token("x"),
        no_join,
        no_room,
        no_identity,
        "garbage".to_owned(),
    ] {
        assert_eq!(
            status_of(app.connect_query(&bad).await.unwrap_err()),
            401,
            "{bad}"
        );
        assert_eq!(
            status_of(app.connect_bearer(&bad).await.unwrap_err()),
            401,
            "{bad}"
        );
    }
    let url = format!("ws://{}/rtc", app.http);
    assert_eq!(
        status_of(tokio_tungstenite::connect_async(url).await.unwrap_err()),
        401
    );
    // Nothing was created by the refused attempts: only the control's room exists.
    let rooms = app.server.handle().list_rooms().await.unwrap();
    assert!(rooms.iter().all(|r| r.name == "studio"), "{rooms:?}");
}

#[tokio::test]
async fn validate_and_v1_fallback_answers() {
    let app = spawn().await;
    let good = token("alice", grants("studio"));
    let (status, body) = app.get(&format!("/rtc/validate?access_token={good}")).await;
    assert_eq!(status, 200);
    assert!(body.ends_with("success"));
    let (status, _) = app
        .get(&format!(
            "/rtc/validate?access_token={}",
            expired_token("x")
        ))
        .await;
    assert_eq!(status, 401);
    let (status, body) = app
        .get(&format!("/rtc/v1/validate?access_token={good}"))
        .await;
    assert_eq!(status, 404);
    assert!(
        body.to_ascii_lowercase()
            .contains("access-control-allow-origin: *")
    );
    assert!(!body.contains("requested room does not exist"));
    let url = format!("ws://{}/rtc/v1?access_token={good}", app.http);
    assert_eq!(
        status_of(tokio_tungstenite::connect_async(url).await.unwrap_err()),
        404
    );
}

#[tokio::test]
async fn ping_is_answered_and_garbage_frames_change_nothing() {
    let app = spawn().await;
    let mut a = app
        .connect_query(&token("alice", grants("studio")))
        .await
        .unwrap();
    join(&mut a).await;
    let mut b = app
        .connect_query(&token("bob", grants("studio")))
        .await
        .unwrap();
    join(&mut b).await;
    // Garbage: not protobuf, an empty request, a text frame, a truncated offer.
    a.send(Message::Binary(vec![0xff, 0x00, 0x13, 0x37].into()))
        .await
        .unwrap();
    a.send(Message::Binary(Vec::new().into())).await.unwrap();
    a.send(Message::Text("{\"offer\":1}".into())).await.unwrap();
    send(
        &mut a,
        Req::Offer(proto::SessionDescription {
            r#type: "offer".into(),
            sdp: "v=0\r\nm=video".into(),
            ..Default::default()
        }),
    )
    .await;
    send(
        &mut a,
        Req::Trickle(proto::TrickleRequest {
            candidate_init: "{not json".into(),
            ..Default::default()
        }),
    )
    .await;
    send(
        &mut a,
        Req::Answer(proto::SessionDescription {
            r#type: "answer".into(),
            sdp: "nonsense".into(),
            ..Default::default()
        }),
    )
    .await;
    send(
        &mut a,
        Req::PingReq(proto::Ping {
            timestamp: 42,
            rtt: 0,
        }),
    )
    .await;
    let pong = recv_until(&mut a, |m| match m {
        Msg::PongResp(p) => Some(p),
        _ => None,
    })
    .await;
    assert_eq!(pong.last_ping_timestamp, 42);
    assert!(pong.timestamp > 0);
    // Bob is unaffected, and both are still in the room.
    send(
        &mut b,
        Req::PingReq(proto::Ping {
            timestamp: 7,
            rtt: 0,
        }),
    )
    .await;
    recv_until(&mut b, |m| {
        matches!(m, Msg::PongResp(p) if p.last_ping_timestamp == 7).then_some(())
    })
    .await;
    let people = app
        .server
        .handle()
        .list_participants("studio".parse().unwrap())
        .await
        .unwrap();
    assert_eq!(people.len(), 2);
}

#[tokio::test]
async fn add_track_is_answered_and_refused_without_the_grant() {
    let app = spawn().await;
    let mut a = app
        .connect_query(&token("alice", grants("studio")))
        .await
        .unwrap();
    join(&mut a).await;
    let viewer = VideoGrants {
        can_publish: Some(false),
        ..grants("studio")
    };
    let mut v = app.connect_query(&token("viewer", viewer)).await.unwrap();
    let jv = join(&mut v).await;
    assert!(!jv.participant.unwrap().permission.unwrap().can_publish);
    let add = proto::AddTrackRequest {
        cid: "cam-1".into(),
        name: "camera".into(),
        r#type: proto::TrackType::Video as i32,
        source: proto::TrackSource::Camera as i32,
        width: 640,
        height: 360,
        ..Default::default()
    };
    send(&mut a, Req::AddTrack(add.clone())).await;
    let published = recv_until(&mut a, |m| match m {
        Msg::TrackPublished(p) => Some(p),
        _ => None,
    })
    .await;
    assert_eq!(published.cid, "cam-1");
    assert!(published.track.unwrap().sid.starts_with("TR_"));
    send(&mut v, Req::AddTrack(add)).await;
    let refusal = recv_until(&mut v, |m| match m {
        Msg::TrackPublished(_) => panic!("a viewer's track was accepted"),
        Msg::RequestResponse(r) => Some(r),
        _ => None,
    })
    .await;
    assert_eq!(
        refusal.reason,
        proto::request_response::Reason::NotAllowed as i32
    );
}

#[tokio::test]
async fn shutdown_sends_every_participant_a_leave() {
    let app = spawn().await;
    let mut a = app
        .connect_query(&token("alice", grants("studio")))
        .await
        .unwrap();
    join(&mut a).await;
    app.server.shutdown().await;
    let leave = recv_until(&mut a, |m| match m {
        Msg::Leave(l) => Some(l),
        _ => None,
    })
    .await;
    assert_eq!(leave.reason, proto::DisconnectReason::ServerShutdown as i32);
}

#[tokio::test]
async fn garbage_datagrams_are_dropped_and_media_port_keeps_working() {
    let app = spawn().await;
    let udp = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let garbage: [&[u8]; 5] = [
        b"",
        b"\x00",
        &[0xff; 1500],
        &[0x80, 0x60, 0, 1, 0, 0, 0, 0],
        &[0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42],
    ];
    for g in garbage {
        udp.send_to(g, app.server.udp_addr()).await.unwrap();
    }
    // ICE-TCP gets garbage too: a frame claiming 65535 bytes, then a hang-up.
    let mut tcp = TcpStream::connect(app.server.tcp_addr().unwrap())
        .await
        .unwrap();
    tcp.write_all(&[0xff, 0xff, 1, 2, 3]).await.unwrap();
    drop(tcp);
    let mut a = app
        .connect_query(&token("alice", grants("studio")))
        .await
        .unwrap();
    join(&mut a).await;
    send(
        &mut a,
        Req::PingReq(proto::Ping {
            timestamp: 1,
            rtt: 0,
        }),
    )
    .await;
    recv_until(&mut a, |m| matches!(m, Msg::PongResp(_)).then_some(())).await;
}
