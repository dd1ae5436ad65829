//! LiveKit's RoomService over Twirp: `POST /twirp/livekit.RoomService/{Method}`.
//!
//! One handler serves every method: route (path, POST, method name, content type) →
//! authentication → body (size-limited) → the method (decode → grant → limits → backend →
//! encode). Every failure is a [`TwirpError`].

mod auth;
mod codec;
mod error;
mod methods;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Path, State, rejection::PathRejection};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use http::{HeaderMap, Method as HttpMethod, Uri};

pub use auth::{ApiKeys, Grant};
pub use codec::Encoding;
pub use error::{Code, TwirpError};
pub use methods::{Limits, Method, Route};

use crate::backend::RoomBackend;

/// The Twirp package and service prefix every RoomService path starts with.
const SERVICE: &str = "livekit.RoomService/";

/// The RoomService router with LiveKit's default [`Limits`].
///
/// It owns every path under `/twirp/` (unknown services and methods get Twirp `bad_route`),
/// so merge it into the server's router with [`Router::merge`]; do not nest it.
pub fn router<B: RoomBackend>(backend: B, keys: ApiKeys) -> Router {
    router_with_limits(backend, keys, Limits::default())
}

/// [`router`] with explicit limits.
pub fn router_with_limits<B: RoomBackend>(backend: B, keys: ApiKeys, limits: Limits) -> Router {
    metrics::describe_counter!(REQUESTS, "RoomService requests by method and outcome");
    let service = Arc::new(Service {
        backend,
        keys,
        limits,
    });
    Router::new()
        .route("/twirp/{*path}", any(handle::<B>))
        .with_state(service)
}

struct Service<B> {
    backend: B,
    keys: ApiKeys,
    limits: Limits,
}

async fn handle<B: RoomBackend>(
    State(service): State<Arc<Service<B>>>,
    method: HttpMethod,
    uri: Uri,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let path = path.map(|Path(p)| p).unwrap_or_default();
    // Only known method names become label values, so arbitrary paths cannot grow the series.
    let label = match path.strip_prefix(SERVICE).map(Route::from_name) {
        Some(Route::Method(m)) => m.name(),
        _ => "other",
    };
    let (code, response) = match serve(&service, &method, &uri, &path, &headers, body).await {
        Ok(response) => ("ok", response),
        Err(err) => {
            tracing::debug!(%uri, code = err.code.as_str(), msg = %err.msg, "twirp error");
            (err.code.as_str(), err.into_response())
        }
    };
    metrics::counter!(REQUESTS, "method" => label, "code" => code).increment(1);
    response
}

/// RoomService requests by method and outcome (`ok` or the Twirp error code).
const REQUESTS: &str = "onair_roomservice_requests_total";

async fn serve<B: RoomBackend>(
    service: &Service<B>,
    http_method: &HttpMethod,
    uri: &Uri,
    path: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, TwirpError> {
    let full_path = uri.path();
    let Some(name) = path.strip_prefix(SERVICE) else {
        return Err(TwirpError::bad_route(
            format!("no handler for path {full_path:?}"),
            http_method,
            full_path,
        ));
    };
    if http_method != HttpMethod::POST {
        return Err(TwirpError::bad_route(
            format!(
                "unsupported method {:?} (only POST is allowed)",
                http_method.as_str()
            ),
            http_method,
            full_path,
        ));
    }
    let method = match Route::from_name(name) {
        Route::Method(method) => method,
        Route::Unsupported => {
            return Err(TwirpError::new(
                Code::Unimplemented,
                format!("{name} is not supported by this server"),
            ));
        }
        Route::Unknown => {
            return Err(TwirpError::bad_route(
                format!("no handler for path {full_path:?}"),
                http_method,
                full_path,
            ));
        }
    };
    let Some(encoding) = Encoding::from_headers(headers) else {
        let content_type = headers
            .get(http::header::CONTENT_TYPE)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .unwrap_or_default();
        return Err(TwirpError::bad_route(
            format!("unexpected Content-Type: {content_type:?}"),
            http_method,
            full_path,
        ));
    };

    let claims = auth::authenticate(&service.keys, headers, uri.query())?;
    let limit = service.limits.max_body_size;
    let body = to_bytes(body, limit).await.map_err(|err| {
        TwirpError::new(
            Code::Malformed,
            format!("failed to read request body (limit {limit} bytes): {err}"),
        )
    })?;

    let cx = methods::Call {
        backend: &service.backend,
        encoding,
        body: &body,
        claims: claims.as_ref(),
        limits: &service.limits,
        deadline: twirp_timeout(headers),
    };
    methods::dispatch(method, cx).await
}

/// `X-Twirp-Timeout-Ms`: the caller's deadline for this request, honoured as LiveKit does.
fn twirp_timeout(headers: &HeaderMap) -> Option<Duration> {
    let ms: u64 = headers
        .get("x-twirp-timeout-ms")?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    (ms > 0).then(|| Duration::from_millis(ms))
}
