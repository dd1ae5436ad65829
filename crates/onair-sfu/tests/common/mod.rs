//! Shared helpers: a real server on port 0, LiveKit-minted tokens, a WebSocket signal client.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers fail loudly"
)]

use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::{SinkExt, StreamExt};
use livekit_api::access_token::{AccessToken, Claims, VideoGrants};
use livekit_protocol as proto;
use onair_sfu::{MediaServer, SfuConfig};
use prost::Message as _;
use proto::signal_request::Message as Req;
use proto::signal_response::Message as Msg;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub const KEY: &str = "test-key";
pub const SECRET: &str = "test-secret-that-is-long-enough-for-hs256";
pub const WAIT: Duration = Duration::from_secs(5);

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

pub struct TestServer {
    pub http: SocketAddr,
    pub server: MediaServer,
}

pub async fn spawn() -> TestServer {
    let server = MediaServer::start(SfuConfig::loopback(KEY, SECRET)).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let http = listener.local_addr().unwrap();
    let router = server.router();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    TestServer { http, server }
}

pub fn grants(room: &str) -> VideoGrants {
    VideoGrants {
        room_join: true,
        room: room.into(),
        ..Default::default()
    }
}

pub fn token(identity: &str, grants: VideoGrants) -> String {
    AccessToken::with_api_key(KEY, SECRET)
        .with_identity(identity)
        .with_grants(grants)
        .to_jwt()
        .unwrap()
}

/// Signs arbitrary claims with HS256, for tokens `AccessToken` refuses to mint (expired, no room).
pub fn sign(claims: &Claims, secret: &str) -> String {
    use base64::Engine as _;
    use hmac::Mac as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header = b64.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = b64.encode(serde_json::to_vec(claims).unwrap());
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{header}.{payload}").as_bytes());
    format!(
        "{header}.{payload}.{}",
        b64.encode(mac.finalize().into_bytes())
    )
}

pub fn claims(identity: &str, video: VideoGrants, exp_offset: i64) -> Claims {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    Claims {
        exp: (now + exp_offset) as usize,
        nbf: (now - 7200) as usize,
        iss: KEY.into(),
        sub: identity.into(),
        video,
        ..Default::default()
    }
}

pub fn expired_token(identity: &str) -> String {
    sign(&claims(identity, grants("studio"), -3600), SECRET)
}

impl TestServer {
    pub async fn connect_query(&self, token: &str) -> Result<Ws, tungstenite::Error> {
        let url = format!(
            "ws://{}/rtc?access_token={token}&auto_subscribe=1&protocol=17",
            self.http
        );
        tokio_tungstenite::connect_async(url)
            .await
            .map(|(ws, _)| ws)
    }

    pub async fn connect_bearer(&self, token: &str) -> Result<Ws, tungstenite::Error> {
        let mut req = format!("ws://{}/rtc?protocol=18&auto_subscribe=1", self.http)
            .into_client_request()
            .unwrap();
        req.headers_mut()
            .insert("Authorization", format!("Bearer {token}").parse().unwrap());
        tokio_tungstenite::connect_async(req)
            .await
            .map(|(ws, _)| ws)
    }

    /// Raw HTTP GET: status line, headers and body as text.
    pub async fn get(&self, path: &str) -> (u16, String) {
        let mut s = TcpStream::connect(self.http).await.unwrap();
        let req = format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.http
        );
        s.write_all(req.as_bytes()).await.unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).await.unwrap();
        let status = out.split_whitespace().nth(1).unwrap().parse().unwrap();
        (status, out)
    }
}

pub fn status_of(err: tungstenite::Error) -> u16 {
    match err {
        tungstenite::Error::Http(resp) => resp.status().as_u16(),
        other => panic!("expected an HTTP refusal, got {other:?}"),
    }
}

pub async fn recv(ws: &mut Ws) -> Msg {
    loop {
        let frame = tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("no signal message within 5 s");
        match frame.expect("socket closed").expect("socket error") {
            Message::Binary(b) => {
                return proto::SignalResponse::decode(b)
                    .unwrap()
                    .message
                    .expect("empty SignalResponse");
            }
            Message::Close(_) => panic!("socket closed while waiting for a message"),
            _ => continue,
        }
    }
}

pub async fn recv_until<T>(ws: &mut Ws, mut pick: impl FnMut(Msg) -> Option<T>) -> T {
    loop {
        if let Some(t) = pick(recv(ws).await) {
            return t;
        }
    }
}

pub async fn send(ws: &mut Ws, message: Req) {
    let bytes = proto::SignalRequest {
        message: Some(message),
    }
    .encode_to_vec();
    ws.send(Message::Binary(bytes.into())).await.unwrap();
}

pub async fn join(ws: &mut Ws) -> proto::JoinResponse {
    match recv(ws).await {
        Msg::Join(j) => j,
        other => panic!("first message must be the JoinResponse, got {other:?}"),
    }
}
