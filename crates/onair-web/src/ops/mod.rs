//! Operations: health and readiness, metrics, the OpenAPI document, rate limits, and the
//! request-id / tracing layers.

pub mod metrics;
pub mod openapi;
pub(crate) mod ratelimit;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use onair_store::Store;

use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub fn router<S: Store>() -> Router<AppState<S>> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz::<S>))
        .route("/metrics", get(metrics::scrape::<S>))
        .route("/api/openapi.json", get(openapi::document))
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "ops", responses((status = 200, body = String)))]
pub async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: the database answers.
#[utoipa::path(get, path = "/readyz", tag = "ops",
    responses((status = 200, body = String), (status = 500, description = "database unreachable")))]
pub async fn readyz<S: Store>(State(state): State<AppState<S>>) -> AppResult<&'static str> {
    state.store.ping().await?;
    Ok("ready")
}

/// Unknown paths answer the JSON error shape too.
pub(crate) async fn not_found() -> AppError {
    AppError::NotFound("route")
}

/// The status of an unmatched method, in the JSON error shape.
pub(crate) async fn method_not_allowed() -> (StatusCode, Json<serde_json::Value>) {
    (
        StatusCode::METHOD_NOT_ALLOWED,
        Json(serde_json::json!({
            "error": {"code": "method_not_allowed", "message": "method not allowed on this path"}
        })),
    )
}
