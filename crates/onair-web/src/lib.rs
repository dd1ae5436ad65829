//! OnAir's web platform: the JSON API, sessions, credits, LiveKit tokens and webhooks in.
//!
//! Data flows one way through every request:
//!
//! ```text
//! request ─▶ layers (request id, trace, metrics, Origin check, per-IP rate limit, body limit)
//!         ─▶ extractors (ApiJson, PathId, AuthUser/MaybeUser: parse, validate, authenticate)
//!         ─▶ service (streams::service, …: the only orchestrator)
//!         ─▶ onair-domain decision (StreamStatus::transition, Credits)
//!         ─▶ onair-store (conditional update, ledger entry in the same transaction)
//!         ─▶ view (camelCase JSON) or AppError ({"error": {"code", "message", …}})
//! ```
//!
//! The media server is reached only through LiveKit's public API (`livekit-api`): tokens are
//! minted with `AccessToken` ([`tokens`]), rooms are created and deleted with `RoomClient`
//! (`rooms`), and events arrive as signed webhooks ([`webhooks`]) that drive go-live, viewer
//! counts and the creator-absent grace period. [`moderation`] removes and bans participants
//! (RoomService `RemoveParticipant` with token revocation). [`tasks`] sweeps live streams in
//! the background.
//! The same code therefore runs against the embedded server and against LiveKit Cloud.
//! Pages ([`pages`]) are rendered on the server; the player and the broadcast studio are a
//! TypeScript bundle (`frontend/`) embedded as an asset and mounted into two of them.

pub mod auth;
pub mod config;
pub mod credits;
pub mod error;
pub mod extract;
pub mod moderation;
pub mod ops;
pub mod pages;
pub(crate) mod rooms;
pub mod state;
pub mod streams;
pub mod tasks;
pub mod tokens;
pub mod webhooks;

use std::future::Future;
use std::net::SocketAddr;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Request};
use axum::response::IntoResponse;
use onair_store::Store;
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

pub use config::{LiveKitConfig, MediaMode, RateLimits, Secret, WebConfig};
pub use error::AppError;
pub use state::AppState;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The platform's routes with every layer applied. Other route sets (the embedded media
/// server, pages) are merged by the caller onto the returned router.
pub fn router<S: Store>(state: AppState<S>) -> Router {
    // Install the recorder before the first request records anything.
    let _ = ops::metrics::handle();
    let api = Router::new()
        .merge(auth::router())
        .merge(credits::router())
        .merge(streams::router())
        .merge(moderation::router())
        .merge(tokens::router())
        .merge(webhooks::router())
        .merge(ops::router())
        .merge(pages::router())
        .fallback(pages::not_found)
        .method_not_allowed_fallback(ops::method_not_allowed)
        .layer(DefaultBodyLimit::max(extract::JSON_BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            ops::ratelimit::limit_by_ip::<S>,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::csrf::check_origin::<S>,
        ))
        .layer(axum::middleware::from_fn(ops::metrics::track));
    api.layer(
        ServiceBuilder::new()
            .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
            .layer(
                TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
                    let id = req
                        .headers()
                        .get(REQUEST_ID)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("");
                    tracing::info_span!("http", method = %req.method(), path = %req.uri().path(), request_id = id)
                }),
            )
            .layer(PropagateRequestIdLayer::new(REQUEST_ID))
            // A panicking handler answers a logged 500 in the usual JSON shape instead of
            // dropping the connection.
            .layer(CatchPanicLayer::custom(|_: Box<dyn std::any::Any + Send>| {
                AppError::Internal("handler panicked".into()).into_response()
            })),
    )
    .with_state(state)
}

/// Serves `router` on `listener` until `shutdown` completes, then drains in-flight requests.
/// Client addresses are passed to handlers (per-IP rate limits).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
