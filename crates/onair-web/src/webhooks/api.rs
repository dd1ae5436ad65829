//! `POST /api/livekit/webhook`: verify over the raw body, deduplicate by event id, dispatch.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::post;
use chrono::Utc;
use livekit_api::access_token::TokenVerifier;
use livekit_api::webhooks::{WebhookError, WebhookReceiver};
use onair_store::Store;

use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::webhooks::{PATH, service};

/// Webhook bodies carry whole participant records; allow more than the JSON API's limit.
const BODY_LIMIT: usize = 1024 * 1024;

pub fn router<S: Store>() -> Router<AppState<S>> {
    Router::new().route(
        PATH,
        post(receive::<S>).layer(DefaultBodyLimit::max(BODY_LIMIT)),
    )
}

/// Receives a LiveKit webhook. The `Authorization` header carries the JWT LiveKit signed (a
/// `Bearer ` prefix is tolerated); its `sha256` claim must match the body.
#[utoipa::path(post, path = "/api/livekit/webhook", tag = "webhooks",
    request_body(content = String, content_type = "application/webhook+json"),
    responses((status = 200, description = "accepted (applied, ignored or replay)"),
              (status = 401, description = "bad signature, hash or expired token")))]
pub async fn receive<S: Store>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
    body: Bytes,
) -> AppResult<StatusCode> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.strip_prefix("Bearer ").unwrap_or(v).trim())
        .unwrap_or("");
    let body = std::str::from_utf8(&body)
        .map_err(|_| AppError::MalformedJson("body is not UTF-8".into()))?;
    let livekit = &state.config.livekit;
    let receiver = WebhookReceiver::new(TokenVerifier::with_api_key(
        &livekit.api_key,
        livekit.api_secret.expose(),
    ));
    let event = match receiver.receive(body, token) {
        Ok(event) => event,
        Err(WebhookError::InvalidData(e)) => {
            count("unknown", "malformed");
            return Err(AppError::MalformedJson(e.to_string()));
        }
        Err(e) => {
            count("unknown", "rejected");
            tracing::warn!(error = %e, "webhook refused");
            return Err(AppError::InvalidSignature(e.to_string()));
        }
    };
    let name = event_label(&event.event);
    if !event.id.is_empty()
        && !state
            .store
            .record_webhook_event(&event.id, Utc::now())
            .await?
    {
        count(name, "replay");
        return Ok(StatusCode::OK);
    }
    match service::handle(&state, &event).await {
        Ok(outcome) => {
            count(name, outcome.as_str());
            tracing::debug!(event = %event.event, id = %event.id, outcome = outcome.as_str(), "webhook");
            Ok(StatusCode::OK)
        }
        Err(e) => {
            count(name, "error");
            Err(e.into())
        }
    }
}

/// Metric label for an event name: known names as is, anything else `other` (bounded cardinality).
fn event_label(event: &str) -> &'static str {
    const KNOWN: [&str; 8] = [
        "room_started",
        "room_finished",
        "participant_joined",
        "participant_left",
        "participant_connection_aborted",
        "track_published",
        "track_unpublished",
        "egress_ended",
    ];
    KNOWN.into_iter().find(|k| *k == event).unwrap_or("other")
}

fn count(event: &'static str, result: &'static str) {
    metrics::counter!("onair_webhooks_total", "event" => event, "result" => result).increment(1);
}
