//! Cross-site request protection for the JSON API.
//!
//! A cross-site HTML form cannot send `Content-Type: application/json` (the JSON extractor
//! demands it), and browsers attach `Origin` to every cross-site unsafe request: this layer
//! refuses unsafe requests whose `Origin` is neither the configured public URL nor the host the
//! request was sent to. The webhook is exempt: the media server signs it instead.

use axum::extract::{Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use onair_store::Store;

use crate::error::AppError;
use crate::state::AppState;

pub(crate) async fn check_origin<S: Store>(
    State(state): State<AppState<S>>,
    req: Request,
    next: Next,
) -> Response {
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if unsafe_method
        && req.uri().path() != crate::webhooks::PATH
        && let Some(origin) = req.headers().get(header::ORIGIN)
    {
        let origin = origin.to_str().unwrap_or("");
        if !origin_allowed(origin, &state, req.headers()) {
            tracing::warn!(origin, "cross-site request refused");
            return AppError::Forbidden("cross-site request refused").into_response();
        }
    }
    next.run(req).await
}

fn origin_allowed<S>(origin: &str, state: &AppState<S>, headers: &axum::http::HeaderMap) -> bool {
    if let Some(public) = &state.config.public_url
        && public.origin().ascii_serialization() == origin
    {
        return true;
    }
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let Ok(origin) = url::Url::parse(origin) else {
        return false;
    };
    let origin_host = match (origin.host_str(), origin.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_owned(),
        _ => return false,
    };
    origin_host.eq_ignore_ascii_case(host)
}
