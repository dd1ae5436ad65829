//! RemoveParticipant's `revoke_token_ts` through LiveKit's Rust `RoomClient`: the removed
//! identity's old token is refused on `/rtc` (and `/rtc/validate`) before any state exists,
//! while a token minted after the cut-off joins.

#![expect(clippy::unwrap_used, reason = "test helpers fail loudly")]

#[expect(dead_code, reason = "this binary uses only some of the shared helpers")]
mod common;

use std::time::{SystemTime, UNIX_EPOCH};

use common::*;
use livekit_api::services::room::{RemoveParticipantOptions, RoomClient};
use livekit_api::services::{ServerError, ServiceError};
use livekit_protocol as proto;
use proto::signal_response::Message as Msg;

fn client(app: &TestServer) -> RoomClient {
    RoomClient::with_api_key(&format!("http://{}", app.http), KEY, SECRET).with_failover(false)
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A valid token for `identity` in "studio" minted two hours ago (`nbf` = now − 7200).
fn old_token(identity: &str) -> String {
    sign(&claims(identity, grants("studio"), 3600), SECRET)
}

async fn joined(app: &TestServer, token: &str) -> Ws {
    let mut ws = app.connect_query(token).await.unwrap();
    join(&mut ws).await;
    ws
}

async fn removed(rooms: &RoomClient, ws: &mut Ws, identity: &str, revoke_token_ts: i64) {
    let options = RemoveParticipantOptions { revoke_token_ts };
    rooms
        .remove_participant_with_options("studio", identity, options)
        .await
        .unwrap();
    let leave = recv_until(ws, |m| match m {
        Msg::Leave(l) => Some(l),
        _ => None,
    })
    .await;
    assert_eq!(
        leave.reason,
        proto::DisconnectReason::ParticipantRemoved as i32
    );
}

async fn refused(app: &TestServer, token: &str, who: &str) {
    let err = app
        .connect_query(token)
        .await
        .err()
        .unwrap_or_else(|| panic!("{who}'s revoked token was let in"));
    assert_eq!(status_of(err), 401, "{who}'s revoked token");
}

#[tokio::test]
async fn a_removed_identitys_old_token_is_refused_and_a_newer_one_joins() {
    let app = spawn().await;
    let rooms = client(&app);
    let _host = joined(&app, &token("host", grants("studio"))).await;
    let bob_old = old_token("bob");
    let mut bob = joined(&app, &bob_old).await;

    // Cut-off one minute ago: the two-hour-old token is before it, a fresh one after.
    removed(&rooms, &mut bob, "bob", now() - 60).await;
    refused(&app, &bob_old, "bob").await;
    let (status, body) = app
        .get(&format!("/rtc/validate?access_token={bob_old}"))
        .await;
    assert_eq!(status, 401);
    assert!(body.contains("revoked"), "{body}");
    // A resume attempt with the revoked token is refused before the upgrade as well.
    let resume = app
        .get(&format!("/rtc?access_token={bob_old}&reconnect=1"))
        .await;
    assert_eq!(resume.0, 401, "{}", resume.1);
    // The same identity elsewhere, and other identities here, are untouched.
    let elsewhere = sign(&claims("bob", grants("lobby"), 3600), SECRET);
    joined(&app, &elsewhere).await;
    joined(&app, &old_token("carol")).await;

    let bob_new = token("bob", grants("studio"));
    let mut bob = joined(&app, &bob_new).await;
    let people = rooms.list_participants("studio").await.unwrap();
    assert!(people.iter().any(|p| p.identity == "bob"));

    // Milliseconds (as the Rust SDK's field doc says) are read as the same instant.
    removed(&rooms, &mut bob, "bob", (now() - 60) * 1000).await;
    refused(&app, &bob_old, "bob").await;
    joined(&app, &token("bob", grants("studio"))).await;
}

#[tokio::test]
async fn an_empty_cutoff_refuses_tokens_minted_within_the_next_minute() {
    let app = spawn().await;
    let rooms = client(&app);
    let dave_token = token("dave", grants("studio"));
    let mut dave = joined(&app, &dave_token).await;
    // LiveKit: "defaults to now(server) + leeway (1 min) if left empty".
    removed(&rooms, &mut dave, "dave", 0).await;
    refused(&app, &dave_token, "dave").await;
    refused(&app, &token("dave", grants("studio")), "dave (fresh)").await;
}

#[tokio::test]
async fn removing_someone_not_connected_still_revokes_their_token() {
    let app = spawn().await;
    let rooms = client(&app);
    let _host = joined(&app, &token("host", grants("studio"))).await;
    let options = RemoveParticipantOptions {
        revoke_token_ts: now(),
    };
    let answer = rooms
        .remove_participant_with_options("studio", "erin", options)
        .await;
    match answer {
        Err(ServiceError::Twirp(ServerError::Twirp(e))) => {
            assert_eq!(e.code.as_str(), "not_found")
        }
        other => panic!("erin is not in the room: expected not_found, got {other:?}"),
    }
    refused(&app, &old_token("erin"), "erin").await;
}
