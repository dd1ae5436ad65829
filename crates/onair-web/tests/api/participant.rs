//! A LiveKit participant as far as signalling goes: joins the embedded media server's `/rtc`
//! with a token and reads what the server says (enough to see a join, a refusal or a leave).

use std::time::Duration;

use futures::StreamExt;
use livekit_protocol as proto;
use prost::Message as _;
use proto::signal_response::Message as Msg;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::helpers::TestApp;

const WAIT: Duration = Duration::from_secs(10);

pub struct Participant {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    pub join: proto::JoinResponse,
}

/// Opens `/rtc` with `token`: the HTTP status of a refusal, or the socket.
async fn open(
    app: &TestApp,
    token: &str,
) -> Result<WebSocketStream<MaybeTlsStream<TcpStream>>, u16> {
    let url = format!(
        "ws://{}/rtc?access_token={token}&auto_subscribe=1&protocol=17",
        app.addr
    );
    match tokio_tungstenite::connect_async(url).await {
        Ok((ws, _)) => Ok(ws),
        Err(tungstenite::Error::Http(res)) => Err(res.status().as_u16()),
        Err(other) => panic!("connecting to /rtc failed without an HTTP answer: {other:?}"),
    }
}

impl Participant {
    /// Joins and waits for the JoinResponse.
    pub async fn join(app: &TestApp, token: &str) -> Self {
        let ws = open(app, token)
            .await
            .unwrap_or_else(|status| panic!("/rtc refused a valid token with HTTP {status}"));
        let mut p = Self {
            ws,
            join: proto::JoinResponse::default(),
        };
        match p.next().await {
            Some(Msg::Join(join)) => p.join = join,
            other => panic!("the first signal message must be a JoinResponse, got {other:?}"),
        }
        p
    }

    /// The HTTP status `/rtc` answers `token` with when it refuses it.
    pub async fn refused(app: &TestApp, token: &str) -> u16 {
        match open(app, token).await {
            Ok(_) => panic!("/rtc let a token in that it should refuse"),
            Err(status) => status,
        }
    }

    /// The next signal message, `None` once the socket closes.
    async fn next(&mut self) -> Option<Msg> {
        loop {
            let frame = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .unwrap_or_else(|_| panic!("no signal message within {WAIT:?}"));
            match frame? {
                Ok(Message::Binary(b)) => {
                    return proto::SignalResponse::decode(b).unwrap().message;
                }
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => continue,
            }
        }
    }

    /// Waits for the server's leave and returns its reason.
    pub async fn left(&mut self) -> proto::DisconnectReason {
        loop {
            match self.next().await {
                Some(Msg::Leave(l)) => return l.reason(),
                Some(_) => continue,
                None => panic!("the socket closed without a leave"),
            }
        }
    }
}
