//! Prometheus metrics: one process-wide recorder, the HTTP latency middleware, and the
//! `/metrics` scrape (which refreshes the streams-by-status gauge from the store first).
//!
//! Series: `onair_http_request_duration_seconds{method,route,status}` (histogram),
//! `onair_streams{status}`, `onair_tokens_issued_total{role}`,
//! `onair_webhooks_total{event,result}`, `onair_stream_transitions_total{to}`,
//! `onair_rate_limited_total{class,key}`, `onair_room_service_errors_total{op}`,
//! `onair_live_minutes_charged_total`.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use onair_domain::StreamStatus;
use onair_store::Store;

use crate::error::AppResult;
use crate::state::AppState;

const LATENCY: &str = "onair_http_request_duration_seconds";
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// The process-wide recorder, installed on first use. `None` when another recorder was
/// installed first (then `/metrics` answers an empty page rather than failing).
pub fn handle() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full(LATENCY.to_owned()), &BUCKETS)
                .ok()?;
            match builder.install_recorder() {
                Ok(handle) => Some(handle),
                Err(e) => {
                    tracing::warn!(error = %e, "metrics recorder not installed");
                    None
                }
            }
        })
        .as_ref()
}

/// Middleware: records each request's latency under its route template (bounded cardinality:
/// unmatched paths are `unmatched`).
pub(crate) async fn track(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = req.method().as_str().to_owned();
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    metrics::histogram!(LATENCY, "method" => method, "route" => route, "status" => status)
        .record(start.elapsed().as_secs_f64());
    response
}

/// Prometheus text exposition.
#[utoipa::path(get, path = "/metrics", tag = "ops", responses((status = 200, content_type = "text/plain")))]
pub async fn scrape<S: Store>(State(state): State<AppState<S>>) -> AppResult<Response> {
    // A database hiccup must not hide every other series: keep the last gauge values then.
    match state.store.count_streams_by_status().await {
        Ok(counts) => {
            for status in StreamStatus::ALL {
                let n = counts
                    .iter()
                    .find(|(s, _)| *s == status)
                    .map_or(0, |(_, n)| *n);
                // Gauges are f64, exact for integers below 2^53.
                let n = u32::try_from(n).map_or(f64::from(u32::MAX), f64::from);
                metrics::gauge!("onair_streams", "status" => status.as_str()).set(n);
            }
        }
        Err(e) => tracing::warn!(error = %e, "streams gauge not refreshed"),
    }
    let body = handle().map(|h| {
        h.run_upkeep();
        h.render()
    });
    Ok((
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        body.unwrap_or_default(),
    )
        .into_response())
}
