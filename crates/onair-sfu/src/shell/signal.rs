//! The signalling endpoints: token check before anything else, then one WebSocket session per
//! participant carrying binary protobuf `SignalRequest`/`SignalResponse` frames.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::ws::{
    Message, WebSocket, WebSocketUpgrade, rejection::WebSocketUpgradeRejection,
};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use futures::{SinkExt, StreamExt};
use livekit_api::access_token::Claims;
use livekit_protocol as proto;
use prost::Message as _;
use proto::signal_request::Message as Req;
use proto::signal_response::Message as Msg;
use tokio::sync::{mpsc, oneshot};

use super::run::{Command, ConnId, OUTBOUND_CAPACITY, Outbound};
use crate::auth::{AuthError, Authenticator, JoinGrant};
use crate::ids::ParticipantSid;
use crate::room::{JoinError, JoinOptions, PING_TIMEOUT_SECS};

/// Largest signal frame accepted (SDP offers with many m-lines stay far below this).
const MAX_FRAME: usize = 1 << 20;

/// What the handlers share.
#[derive(Debug, Clone)]
pub(super) struct SignalState {
    pub auth: Arc<Authenticator>,
    pub commands: mpsc::Sender<Command>,
}

pub(super) fn router(state: SignalState) -> Router {
    Router::new()
        .route("/rtc", get(rtc))
        .route("/rtc/validate", get(validate))
        .route("/rtc/v1", any(v1_not_found))
        .route("/rtc/v1/validate", any(v1_validate_not_found))
        .with_state(state)
}

fn token<'a>(headers: &'a HeaderMap, query: &'a HashMap<String, String>) -> Option<&'a str> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    bearer
        .or_else(|| query.get("access_token").map(String::as_str))
        .filter(|t| !t.is_empty())
}

fn authenticate(
    state: &SignalState,
    headers: &HeaderMap,
    query: &HashMap<String, String>,
) -> Result<(JoinGrant, Claims), AuthError> {
    state
        .auth
        .verify(token(headers, query).ok_or(AuthError::Missing)?)
}

/// Each WebSocket gets its own id, so the loop can tell a session's current connection from
/// one it replaced (a resume while the old connection is still open).
fn next_conn() -> ConnId {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    ConnId(NEXT.fetch_add(1, Ordering::Relaxed))
}

fn cors(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    response
}

async fn validate(
    State(state): State<SignalState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let response = match authenticate(&state, &headers, &query) {
        Ok(_) => (StatusCode::OK, "success").into_response(),
        Err(e) => (StatusCode::UNAUTHORIZED, e.to_string()).into_response(),
    };
    cors(response)
}

/// Single-PC mode is not offered: the 404 makes LiveKit clients fall back to `/rtc`.
async fn v1_not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        "single peer connection mode is not supported; use /rtc",
    )
        .into_response()
}

/// Browsers only see this status (not the failed upgrade's), so it must be a CORS-readable 404
/// whose body does not say "requested room does not exist".
async fn v1_validate_not_found() -> Response {
    cors(v1_not_found().await)
}

fn flag(query: &HashMap<String, String>, name: &str, default: bool) -> bool {
    query
        .get(name)
        .map(|v| v == "1" || v == "true")
        .unwrap_or(default)
}

async fn rtc(
    State(state): State<SignalState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let (grant, claims) = match authenticate(&state, &headers, &query) {
        Ok(verified) => verified,
        Err(e) => return (StatusCode::UNAUTHORIZED, e.to_string()).into_response(),
    };
    let Ok(upgrade) = upgrade else {
        return (StatusCode::NOT_FOUND, "expected a WebSocket upgrade").into_response();
    };
    let opts = JoinOptions {
        auto_subscribe: flag(&query, "auto_subscribe", true),
        client_protocol: query
            .get("client_protocol")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0),
    };
    // A resume names the session it continues; the token must be for its identity and room.
    let resume = flag(&query, "reconnect", false).then(|| Resume {
        sid: query.get("sid").and_then(|s| s.parse().ok()),
        reason: query
            .get("reconnect_reason")
            .and_then(|r| r.parse::<i32>().ok())
            .and_then(|r| proto::ReconnectReason::try_from(r).ok())
            .unwrap_or(proto::ReconnectReason::RrUnknown),
    });
    upgrade
        .max_message_size(MAX_FRAME)
        .on_upgrade(move |socket| async move {
            match resume {
                Some(resume) => resume_session(socket, state, grant, resume).await,
                None => join_session(socket, state, grant, claims, opts).await,
            }
        })
}

/// What a `reconnect=1` connection asks for.
#[derive(Debug)]
struct Resume {
    sid: Option<ParticipantSid>,
    reason: proto::ReconnectReason,
}

fn encode(message: Msg) -> Message {
    Message::Binary(
        proto::SignalResponse {
            message: Some(message),
        }
        .encode_to_vec()
        .into(),
    )
}

async fn refuse(
    mut socket: WebSocket,
    reason: proto::DisconnectReason,
    action: proto::leave_request::Action,
) {
    let leave = proto::LeaveRequest {
        reason: reason as i32,
        action: action as i32,
        ..Default::default()
    };
    let _ = socket.send(encode(Msg::Leave(leave))).await;
    let _ = socket.send(Message::Close(None)).await;
}

fn unix_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

async fn join_session(
    socket: WebSocket,
    state: SignalState,
    grant: JoinGrant,
    claims: Claims,
    opts: JoinOptions,
) {
    let (outbound, outbound_rx) = mpsc::channel(OUTBOUND_CAPACITY);
    let (reply, joined) = oneshot::channel();
    let conn = next_conn();
    if state
        .commands
        .send(Command::Join {
            grant: Box::new(grant),
            claims: Box::new(claims),
            opts,
            conn,
            outbound,
            reply,
        })
        .await
        .is_err()
    {
        return;
    }
    let sid = match joined.await {
        Ok(Ok(sid)) => sid,
        Ok(Err(e)) => {
            let reason = match e {
                JoinError::RoomFull | JoinError::RoomNotFound => {
                    proto::DisconnectReason::JoinFailure
                }
            };
            refuse(socket, reason, proto::leave_request::Action::Disconnect).await;
            return;
        }
        Err(_) => return,
    };
    session(socket, state, sid, conn, outbound_rx).await;
}

/// A resume: the loop attaches this connection to the session, or it is told to rejoin from
/// scratch (`leave{RECONNECT}`) when the session is gone or not the token's.
async fn resume_session(socket: WebSocket, state: SignalState, grant: JoinGrant, resume: Resume) {
    let (outbound, outbound_rx) = mpsc::channel(OUTBOUND_CAPACITY);
    let (reply, resumed) = oneshot::channel();
    let conn = next_conn();
    let Some(sid) = resume.sid else {
        tracing::info!(identity = %grant.identity, "resume without a session id refused");
        refuse(
            socket,
            proto::DisconnectReason::StateMismatch,
            proto::leave_request::Action::Reconnect,
        )
        .await;
        return;
    };
    let command = Command::Resume {
        sid: sid.clone(),
        grant: Box::new(grant),
        reason: resume.reason,
        conn,
        outbound,
        reply,
    };
    if state.commands.send(command).await.is_err() {
        return;
    }
    match resumed.await {
        Ok(Ok(())) => session(socket, state, sid, conn, outbound_rx).await,
        Ok(Err(e)) => {
            tracing::info!(participant = %sid, error = %e, "resume refused; the client rejoins");
            refuse(
                socket,
                proto::DisconnectReason::StateMismatch,
                proto::leave_request::Action::Reconnect,
            )
            .await;
        }
        Err(_) => {}
    }
}

/// Carries one connection of a session until it closes: requests to the loop, the loop's
/// messages to the client, keepalives answered here.
async fn session(
    socket: WebSocket,
    state: SignalState,
    sid: ParticipantSid,
    conn: ConnId,
    mut outbound_rx: mpsc::Receiver<Outbound>,
) {
    let (mut sink, mut stream) = socket.split();
    let ping_timeout = Duration::from_secs(PING_TIMEOUT_SECS as u64);
    let mut last_heard = tokio::time::Instant::now();
    loop {
        tokio::select! {
            frame = stream.next() => {
                let bytes = match frame {
                    Some(Ok(Message::Binary(b))) => b,
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                    Some(Ok(_)) => {
                        last_heard = tokio::time::Instant::now();
                        continue;
                    }
                };
                last_heard = tokio::time::Instant::now();
                let Ok(proto::SignalRequest { message: Some(message) }) = proto::SignalRequest::decode(bytes) else {
                    tracing::debug!(participant = %sid, "malformed signal frame ignored");
                    continue;
                };
                let reply = match message {
                    // Keepalives are answered here; the loop never sees them.
                    Req::PingReq(ping) => Some(Msg::PongResp(proto::Pong { last_ping_timestamp: ping.timestamp, timestamp: unix_ms() })),
                    Req::Ping(ts) => Some(Msg::Pong(ts)),
                    other => {
                        let leaving = matches!(other, Req::Leave(_));
                        if state.commands.send(Command::Signal { sid: sid.clone(), conn, message: Box::new(other) }).await.is_err() || leaving {
                            break;
                        }
                        None
                    }
                };
                if let Some(reply) = reply && sink.send(encode(reply)).await.is_err() {
                    break;
                }
            }
            out = outbound_rx.recv() => match out {
                Some(Outbound::Message(m)) => {
                    if sink.send(encode(*m)).await.is_err() {
                        break;
                    }
                }
                Some(Outbound::Close) | None => {
                    let _ = sink.send(Message::Close(None)).await;
                    break;
                }
            },
            _ = tokio::time::sleep_until(last_heard + ping_timeout) => {
                tracing::info!(participant = %sid, "signal ping timeout");
                break;
            }
        }
    }
    // Drain what the loop already queued (e.g. the leave) before closing.
    while let Ok(Outbound::Message(m)) = outbound_rx.try_recv() {
        let _ = sink.send(encode(*m)).await;
    }
    let _ = sink.close().await;
    let _ = state
        .commands
        .send(Command::Disconnected { sid, conn })
        .await;
}
