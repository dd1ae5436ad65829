//! Resume and token refresh on a real server (port 0) over real WebSockets: a `reconnect=1`
//! connection for a live session gets `reconnect` first and replaces the old connection, with
//! the refreshed token the server sent; foreign and unknown resumes are told to rejoin.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "the helpers of these tests fail loudly"
)]

#[expect(dead_code, reason = "this binary uses only some of the shared helpers")]
mod common;

use common::*;
use futures::StreamExt;
use livekit_api::access_token::TokenVerifier;
use livekit_protocol as proto;
use onair_sfu::auth::Permission;
use onair_sfu::room::{ParticipantChange, RoomEvent};
use proto::signal_request::Message as Req;
use proto::signal_response::Message as Msg;
use tokio_tungstenite::tungstenite::Message;

async fn dial(app: &TestServer, query: &str) -> Ws {
    let url = format!("ws://{}/rtc?{query}&auto_subscribe=1&protocol=17", app.http);
    tokio_tungstenite::connect_async(url)
        .await
        .map(|(ws, _)| ws)
        .expect("the upgrade is accepted")
}

/// Joins and returns the socket, the participant sid and the refreshed token sent at start.
async fn join_with_refresh(app: &TestServer, identity: &str) -> (Ws, String, String) {
    let mut ws = app
        .connect_query(&token(identity, grants("studio")))
        .await
        .unwrap();
    let sid = join(&mut ws).await.participant.unwrap().sid;
    let refreshed = recv_until(&mut ws, |m| match m {
        Msg::RefreshToken(t) => Some(t),
        _ => None,
    })
    .await;
    (ws, sid, refreshed)
}

/// Waits until the server closes the socket (other messages are skipped).
async fn closed(ws: &mut Ws) {
    loop {
        let frame = tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("the replaced connection was not closed within 5 s");
        match frame {
            None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
            Some(Ok(_)) => continue,
        }
    }
}

fn is_reconnect_leave(m: &Msg) -> bool {
    matches!(m, Msg::Leave(l) if l.action == proto::leave_request::Action::Reconnect as i32
        && l.reason == proto::DisconnectReason::StateMismatch as i32)
}

#[tokio::test]
async fn the_server_sends_a_refreshed_token_that_verifies_with_the_same_grants() {
    let app = spawn().await;
    let (_ws, _sid, refreshed) = join_with_refresh(&app, "alice").await;
    let claims = TokenVerifier::with_api_key(KEY, SECRET)
        .verify(&refreshed)
        .expect("the refreshed token verifies");
    assert_eq!(claims.sub, "alice");
    assert_eq!(claims.video, grants("studio"));
    assert!(claims.exp > claims.nbf);
}

#[tokio::test]
async fn reconnect_on_a_live_session_gets_reconnect_first_and_replaces_the_old_connection() {
    let app = spawn().await;
    let (mut old, sid, refreshed) = join_with_refresh(&app, "alice").await;
    let mut bob = app
        .connect_query(&token("bob", grants("studio")))
        .await
        .unwrap();
    join(&mut bob).await;

    // The client resumes with the token the server refreshed.
    let mut new = dial(
        &app,
        &format!("access_token={refreshed}&reconnect=1&sid={sid}&reconnect_reason=1"),
    )
    .await;
    match recv(&mut new).await {
        Msg::Reconnect(r) => {
            let info = r.server_info.expect("server_info");
            assert_eq!(info.protocol, 17);
            assert!(!info.version.is_empty());
        }
        other => panic!("the first message of a resume must be `reconnect`, got {other:?}"),
    }
    // Then the room as it is now, with the same session.
    let update = recv_until(&mut new, |m| match m {
        Msg::Update(u) => Some(u),
        _ => None,
    })
    .await;
    assert!(update.participants.iter().any(|p| p.sid == sid));
    assert!(update.participants.iter().any(|p| p.identity == "bob"));
    closed(&mut old).await;

    // The new connection carries the session: requests are answered, nobody left.
    send(
        &mut new,
        Req::PingReq(proto::Ping {
            timestamp: 9,
            rtt: 0,
        }),
    )
    .await;
    recv_until(&mut new, |m| {
        matches!(m, Msg::PongResp(p) if p.last_ping_timestamp == 9).then_some(())
    })
    .await;
    let people = app
        .server
        .handle()
        .list_participants("studio".parse().unwrap())
        .await
        .unwrap();
    let alice = people
        .iter()
        .find(|p| p.identity == "alice")
        .expect("alice is still in the room");
    assert_eq!(alice.sid, sid);
    // Bob heard nothing of alice leaving.
    send(
        &mut bob,
        Req::PingReq(proto::Ping {
            timestamp: 3,
            rtt: 0,
        }),
    )
    .await;
    recv_until(&mut bob, |m| match m {
        Msg::Update(u) if u.participants.iter().any(|p| p.identity == "alice") => {
            panic!("bob was told about alice: {u:?}")
        }
        Msg::PongResp(p) if p.last_ping_timestamp == 3 => Some(()),
        _ => None,
    })
    .await;

    // A leave on the new connection ends the session for everyone.
    send(&mut new, Req::Leave(proto::LeaveRequest::default())).await;
    recv_until(&mut bob, |m| match m {
        Msg::Update(u) => u
            .participants
            .iter()
            .any(|p| {
                p.identity == "alice"
                    && p.state == proto::participant_info::State::Disconnected as i32
            })
            .then_some(()),
        _ => None,
    })
    .await;
}

#[tokio::test]
async fn resumes_that_cannot_continue_a_session_are_told_to_rejoin() {
    let app = spawn().await;
    let (_alice, sid, _) = join_with_refresh(&app, "alice").await;
    let mallory = token("mallory", grants("studio"));
    let other_room = token("alice", grants("elsewhere"));
    let alice = token("alice", grants("studio"));
    for query in [
        format!("access_token={mallory}&reconnect=1&sid={sid}"),
        format!("access_token={other_room}&reconnect=1&sid={sid}"),
        format!("access_token={alice}&reconnect=1&sid=PA_unknownsession"),
        format!("access_token={alice}&reconnect=1&sid=not-a-sid"),
        format!("access_token={alice}&reconnect=1"),
    ] {
        let mut ws = dial(&app, &query).await;
        let first = recv(&mut ws).await;
        assert!(is_reconnect_leave(&first), "{query}: {first:?}");
    }
    // Alice's own session was not disturbed.
    let people = app
        .server
        .handle()
        .list_participants("studio".parse().unwrap())
        .await
        .unwrap();
    assert_eq!(people.len(), 1);
    assert_eq!(people[0].sid, sid);
    // A token that does not verify is refused before any upgrade, as for a join.
    let forged = sign(
        &claims("alice", grants("studio"), 600),
        "another-secret-entirely-different",
    );
    let url = format!(
        "ws://{}/rtc?access_token={forged}&reconnect=1&sid={sid}",
        app.http
    );
    assert_eq!(
        status_of(tokio_tungstenite::connect_async(url).await.unwrap_err()),
        401
    );
}

#[tokio::test]
async fn a_session_whose_media_never_connected_leaves_when_its_socket_drops() {
    let app = spawn().await;
    let (alice, sid, refreshed) = join_with_refresh(&app, "alice").await;
    let mut events = app.server.handle().events();
    drop(alice);
    let left = async {
        loop {
            if let RoomEvent::ParticipantLeft { participant, .. } = events.recv().await.unwrap() {
                return participant;
            }
        }
    };
    let left = tokio::time::timeout(WAIT, left)
        .await
        .expect("alice did not leave within 5 s of her socket closing");
    assert_eq!(left.sid, sid);
    let mut ws = dial(
        &app,
        &format!("access_token={refreshed}&reconnect=1&sid={sid}"),
    )
    .await;
    assert!(is_reconnect_leave(&recv(&mut ws).await));
}

#[tokio::test]
async fn a_permission_change_sends_a_token_with_the_new_grants() {
    let app = spawn().await;
    let (mut ws, _sid, _) = join_with_refresh(&app, "alice").await;
    let change = ParticipantChange {
        permission: Some(Permission {
            can_subscribe: true,
            can_publish: false,
            can_publish_data: false,
            can_publish_sources: vec![],
            hidden: false,
            can_update_metadata: true,
        }),
        ..Default::default()
    };
    app.server
        .handle()
        .update_participant("studio".parse().unwrap(), "alice".parse().unwrap(), change)
        .await
        .unwrap()
        .expect("alice is in the room");
    let refreshed = recv_until(&mut ws, |m| match m {
        Msg::RefreshToken(t) => Some(t),
        _ => None,
    })
    .await;
    let claims = TokenVerifier::with_api_key(KEY, SECRET)
        .verify(&refreshed)
        .unwrap();
    assert!(!claims.video.can_publish());
    assert!(!claims.video.can_publish_data());
    assert!(claims.video.can_subscribe());
    assert!(claims.video.can_update_own_metadata());
    assert_eq!(
        (claims.sub.as_str(), claims.video.room.as_str()),
        ("alice", "studio")
    );
}
