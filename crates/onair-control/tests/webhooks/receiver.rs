//! A webhook receiver on loopback that verifies every delivery with LiveKit's own Rust
//! `WebhookReceiver`, and an endpoint that never answers.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use livekit_api::access_token::TokenVerifier;
use livekit_api::webhooks::WebhookReceiver;
use livekit_protocol as proto;
use tokio::sync::mpsc;
use tokio::time::Instant;

pub const KEY: &str = "APIwebhookkey";
pub const SECRET: &str = "webhook-secret-long-enough";

/// What a receiver saw: a verified event, or why verification failed.
type Delivery = Result<proto::WebhookEvent, String>;

pub struct Receiver {
    pub url: String,
    deliveries: mpsc::UnboundedReceiver<Delivery>,
    pub attempts: Arc<Mutex<u32>>,
}

struct ReceiverState {
    verifier: WebhookReceiver,
    /// Answer 500 to the first attempt of every event id.
    fail_first: bool,
    seen: Mutex<HashSet<String>>,
    attempts: Arc<Mutex<u32>>,
    tx: mpsc::UnboundedSender<Delivery>,
}

async fn receive(
    State(state): State<Arc<ReceiverState>>,
    headers: HeaderMap,
    body: String,
) -> StatusCode {
    *state.attempts.lock().unwrap() += 1;
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if content_type != "application/webhook+json" || auth.starts_with("Bearer ") {
        let _ = state
            .tx
            .send(Err(format!("bad headers: {content_type:?} {auth:?}")));
        return StatusCode::BAD_REQUEST;
    }
    let event = match state.verifier.receive(&body, auth) {
        Ok(event) => event,
        Err(err) => {
            let _ = state.tx.send(Err(err.to_string()));
            return StatusCode::UNAUTHORIZED;
        }
    };
    if state.fail_first && state.seen.lock().unwrap().insert(event.id.clone()) {
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    let _ = state.tx.send(Ok(event));
    StatusCode::OK
}

pub async fn receiver(fail_first: bool) -> Receiver {
    let (tx, deliveries) = mpsc::unbounded_channel();
    let attempts = Arc::new(Mutex::new(0));
    let state = Arc::new(ReceiverState {
        verifier: WebhookReceiver::new(TokenVerifier::with_api_key(KEY, SECRET)),
        fail_first,
        seen: Mutex::default(),
        attempts: attempts.clone(),
        tx,
    });
    let app = axum::Router::new()
        .route("/hook", axum::routing::post(receive))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Receiver {
        url,
        deliveries,
        attempts,
    }
}

/// An endpoint that accepts connections and never answers.
pub async fn black_hole() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    url
}

impl Receiver {
    /// The next `n` verified events, in arrival order.
    pub async fn next(&mut self, n: usize, within: Duration) -> Vec<proto::WebhookEvent> {
        let mut events = Vec::new();
        let deadline = Instant::now() + within;
        while events.len() < n {
            let got = tokio::time::timeout_at(deadline, self.deliveries.recv()).await;
            match got {
                Ok(Some(Ok(event))) => events.push(event),
                Ok(Some(Err(err))) => panic!("receiver rejected a delivery: {err}"),
                Ok(None) => panic!("receiver stopped"),
                Err(_) => panic!(
                    "only {} of {n} webhooks arrived within {within:?}",
                    events.len()
                ),
            }
        }
        events
    }
}
