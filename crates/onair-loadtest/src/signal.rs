//! LiveKit's signalling as a client speaks it: a WebSocket to `/rtc` carrying binary protobuf
//! `SignalRequest`s and `SignalResponse`s, and trickled candidates as JSON.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::{SinkExt, StreamExt};
use livekit_api::access_token::{AccessToken, VideoGrants};
use livekit_protocol as proto;
use prost::Message as _;
use proto::signal_request::Message as Req;
use proto::signal_response::Message as Msg;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::ClientError;

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A participant token as a LiveKit application mints it.
pub fn token(
    key: &str,
    secret: &str,
    identity: &str,
    room: &str,
    publish: bool,
) -> Result<String, ClientError> {
    let grants = VideoGrants {
        room_join: true,
        room: room.to_owned(),
        can_publish: Some(publish),
        can_subscribe: Some(true),
        can_publish_data: Some(publish),
        ..Default::default()
    };
    AccessToken::with_api_key(key, secret)
        .with_identity(identity)
        .with_ttl(Duration::from_secs(6 * 3600))
        .with_grants(grants)
        .to_jwt()
        .map_err(|e| ClientError::Token(e.to_string()))
}

/// The signal WebSocket of one participant.
#[derive(Debug)]
pub struct Signal {
    ws: Ws,
}

impl Signal {
    /// Dials `<base>/rtc` (classic dual peer connection, as LiveKit's SDKs fall back to) and
    /// waits for the JoinResponse.
    pub async fn join(
        base: &str,
        token: &str,
        wait: Duration,
    ) -> Result<(Self, proto::JoinResponse), ClientError> {
        let base = base.trim_end_matches('/');
        let base = base
            .strip_prefix("http://")
            .map(|rest| format!("ws://{rest}"))
            .or_else(|| base.strip_prefix("https://").map(|r| format!("wss://{r}")))
            .unwrap_or_else(|| base.to_owned());
        let url = format!(
            "{base}/rtc?access_token={token}&auto_subscribe=1&protocol=16&sdk=rust&version=onair-loadtest"
        );
        let (ws, _) = tokio::time::timeout(wait, tokio_tungstenite::connect_async(url))
            .await
            .map_err(|_| ClientError::Timeout("the signal WebSocket to open"))?
            .map_err(|e| ClientError::Signal(e.to_string()))?;
        let mut signal = Self { ws };
        let first = tokio::time::timeout(wait, signal.recv())
            .await
            .map_err(|_| ClientError::Timeout("the JoinResponse"))??;
        match first {
            Some(Msg::Join(join)) => Ok((signal, join)),
            Some(Msg::Leave(leave)) => Err(ClientError::Refused(format!("{leave:?}"))),
            other => Err(ClientError::Signal(format!(
                "expected the JoinResponse first, got {other:?}"
            ))),
        }
    }

    /// The next signal message; `None` when the server closed the socket.
    pub async fn recv(&mut self) -> Result<Option<Msg>, ClientError> {
        while let Some(frame) = self.ws.next().await {
            match frame.map_err(|e| ClientError::Signal(e.to_string()))? {
                Message::Binary(bytes) => {
                    let response = proto::SignalResponse::decode(bytes)
                        .map_err(|e| ClientError::Signal(format!("undecodable frame: {e}")))?;
                    if let Some(message) = response.message {
                        return Ok(Some(message));
                    }
                }
                Message::Close(_) => return Ok(None),
                _ => {}
            }
        }
        Ok(None)
    }

    pub async fn send(&mut self, message: Req) -> Result<(), ClientError> {
        let bytes = proto::SignalRequest {
            message: Some(message),
        }
        .encode_to_vec();
        self.ws
            .send(Message::Binary(bytes.into()))
            .await
            .map_err(|e| ClientError::Signal(e.to_string()))
    }

    pub async fn ping(&mut self) -> Result<(), ClientError> {
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        self.send(Req::PingReq(proto::Ping {
            timestamp: now_ms,
            rtt: 0,
        }))
        .await
    }

    /// Says goodbye as the SDKs do, then closes.
    pub async fn leave(mut self) {
        let leave = proto::LeaveRequest {
            reason: proto::DisconnectReason::ClientInitiated as i32,
            action: proto::leave_request::Action::Disconnect as i32,
            ..Default::default()
        };
        // Best effort: the server also cleans up after the socket closes.
        let _ = self.send(Req::Leave(leave)).await;
        let _ = self.ws.close(None).await;
    }
}

/// A description message for an offer or answer.
pub fn description(kind: &str, sdp: String, id: u32) -> proto::SessionDescription {
    proto::SessionDescription {
        r#type: kind.to_owned(),
        sdp,
        id,
        ..Default::default()
    }
}

/// The candidate line inside a trickled `candidateInit` JSON object.
pub fn trickled_candidate(trickle: &proto::TrickleRequest) -> Option<String> {
    let init: serde_json::Value = serde_json::from_str(&trickle.candidate_init).ok()?;
    let candidate = init.get("candidate")?.as_str()?;
    (!candidate.is_empty()).then(|| candidate.to_owned())
}
