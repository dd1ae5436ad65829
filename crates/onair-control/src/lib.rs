//! The embedded media server's control plane, as LiveKit speaks it.
//!
//! The platform manages rooms only through LiveKit's public API, so the same code runs against
//! OnAir's embedded SFU and against a LiveKit cluster. This crate is that API's server side,
//! independent of how rooms are implemented:
//!
//! - [`twirp`]: LiveKit's **RoomService** over Twirp, `POST /twirp/livekit.RoomService/{Method}`,
//!   in both encodings the SDKs use (`application/protobuf` from the Rust and Python SDKs,
//!   `application/json` from the Node SDK).
//! - [`webhook`]: **webhooks out** — `room_started`, `room_finished`, `participant_joined`,
//!   `participant_left`, `track_published`, `track_unpublished` — signed exactly as LiveKit
//!   signs them, so LiveKit's `WebhookReceiver` in any SDK accepts them.
//! - [`redact`] and [`report`]: how URLs (credentials hidden) and error chains appear in logs,
//!   shared with the platform.
//!
//! # Request flow
//!
//! ```text
//! HTTP  POST /twirp/livekit.RoomService/UpdateParticipant   (else Twirp bad_route, 404)
//!   → route      known method; Content-Type application/protobuf | application/json
//!   → auth       Authorization: Bearer <jwt>; secret chosen by `iss` among the ApiKeys;
//!                HS256, exp required, 60 s leeway                  (else unauthenticated, 401)
//!   → body       at most Limits::max_body_size                     (else malformed, 400)
//!   → decode     prost or pbjson serde                             (else malformed, 400)
//!   → grant      roomCreate | roomList | roomAdmin + video.room == request.room
//!                                                                  (else unauthenticated, 401
//!                                                                   "permissions denied")
//!   → limits     names ≤ 256 B, metadata ≤ 512 KiB, attributes ≤ 64 KiB, nonce 0|16 B
//!                                                                  (else invalid_argument, 400)
//!   → backend    RoomBackend::update_participant(req)              (RoomError → Twirp code)
//!   → encode     200, same content type; JSON `{}` for empty messages
//! ```
//!
//! Errors are Twirp JSON `{"code","msg","meta"?}` with `Content-Type: application/json`
//! exactly, at Twirp's status for the code. One deliberate difference from LiveKit: failed
//! authentication is answered with that Twirp body (code `unauthenticated`) rather than
//! LiveKit's plain text, keeping the status (401) and message, so every SDK surfaces a code.
//! Every request is counted in `onair_roomservice_requests_total{method, code}` (`code` is `ok`
//! or the Twirp code; unknown paths are counted as method `other`).
//!
//! # Webhook delivery guarantees
//!
//! [`webhook::WebhookSender::send`] never blocks: it encodes the event once and offers it to
//! one bounded queue per URL.
//!
//! - **Order**: per URL, event N+1 is not sent before event N was accepted (2xx) or given up.
//! - **Retries**: a failed attempt (transport error, timeout, 5xx except 501, 408, 429) is
//!   retried with exponential backoff within [`webhook::RetryPolicy`] — bounded attempts and
//!   bounded total time per event — then the event is given up; other 4xx are not retried.
//! - **At least once, not exactly once**: an attempt that times out after the receiver acted
//!   on it is sent again, so receivers de-duplicate by the event `id` (`EV_…`).
//! - **Isolation**: a dead URL delays only its own queue, by at most `max_elapsed` per event.
//! - **Overload**: a full queue drops the newest event for that URL (what is queued stays, so
//!   order holds).
//! - **Accounting**: every event not delivered is counted in the `metrics` counter
//!   `onair_webhooks_dropped_total{reason}` (`queue_full`, `failed`, `shutdown`,
//!   `unencodable`); deliveries in `onair_webhooks_delivered_total`.
//! - **Shutdown**: [`webhook::WebhookSender::shutdown`] refuses new events and flushes the
//!   queues until a deadline. Delivery is not durable: events queued when the process dies are
//!   lost, which is why the platform reconciles its state with ListRooms / ListParticipants.
//!
//! # How the media server plugs in
//!
//! The SFU implements [`RoomBackend`] over its rooms (every method receives an authorised,
//! limit-checked `livekit_protocol` request and answers with `livekit_protocol` messages or a
//! [`RoomError`]) and merges the router into its HTTP server next to `/rtc`:
//!
//! ```no_run
//! use std::time::Duration;
//! use onair_control::{ApiKeys, RoomBackend, WebhookConfig, WebhookSender, webhook};
//!
//! async fn serve<B: RoomBackend>(
//!     rooms: B,
//!     signal: axum::Router,
//!     keys: ApiKeys,
//!     hooks: WebhookConfig,
//! ) -> Result<(), Box<dyn std::error::Error>> {
//!     let webhooks = WebhookSender::start(hooks)?; // spawns one worker per URL
//!     let app = signal.merge(onair_control::router(rooms, keys));
//!     let listener = tokio::net::TcpListener::bind("127.0.0.1:7880").await?;
//!     // ... serve `app`; as the room loop drains its outputs:
//!     webhooks.send(&webhook::room_started(Default::default()))?;
//!     // ... and when the server stops:
//!     webhooks.shutdown(Duration::from_secs(5)).await;
//!     # drop((app, listener));
//!     Ok(())
//! }
//! ```
//!
//! Any implementation of [`RoomBackend`] is driven by LiveKit's own SDKs exactly as the SFU
//! will be, which is how this crate's tests run (an in-memory backend behind the real router,
//! called by `livekit_api::services::room::RoomClient`).

pub mod backend;
pub mod redact;
pub mod report;
pub mod twirp;
pub mod webhook;

pub use backend::{Missing, RoomBackend, RoomError};
pub use redact::{redact_url, redacted};
pub use report::error_chain;
pub use twirp::{ApiKeys, Limits, router};
pub use webhook::{WebhookConfig, WebhookSender};
