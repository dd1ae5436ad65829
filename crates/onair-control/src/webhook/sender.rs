//! Delivery of webhook events: one bounded queue and one worker per URL.
//!
//! [`WebhookSender::send`] encodes the event once and `try_send`s it into every URL's queue;
//! it never waits, so the media loop can call it. When a URL's queue is full the **new**
//! event is dropped for that URL (the queue keeps what it already holds, so per-URL order is
//! never broken) and counted in `onair_webhooks_dropped_total{reason="queue_full"}`. Each
//! worker POSTs its events in order, retrying one event with exponential backoff until it is
//! accepted or its [`RetryPolicy`] is spent, then moves on; a dead URL therefore delays only
//! its own queue, by at most `max_elapsed` per event.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::{HeaderValue, StatusCode, header};
use livekit_protocol as proto;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::config::{RetryPolicy, WebhookConfig, WebhookConfigError};
use super::event::EncodedEvent;

const DROPPED: &str = "onair_webhooks_dropped_total";
const DELIVERED: &str = "onair_webhooks_delivered_total";
const RETRIES: &str = "onair_webhooks_retries_total";
const CONTENT_TYPE: &str = "application/webhook+json";
const USER_AGENT: &str = concat!("OnAir/", env!("CARGO_PKG_VERSION"));

/// Why an event was not enqueued at all.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The event holds a value `livekit-protocol` cannot encode (an unknown enum number).
    #[error("webhook event cannot be encoded: {0}")]
    Encode(#[from] serde_json::Error),
    /// [`WebhookSender::shutdown`] has begun.
    #[error("webhook sender is shut down")]
    Closed,
}

/// Counts since start, summed over URLs (an event for two URLs counts twice).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WebhookStats {
    pub delivered: u64,
    /// Dropped because a queue was full.
    pub dropped_queue_full: u64,
    /// Given up after the retry policy was spent, or refused with a non-retryable status.
    pub dropped_failed: u64,
}

/// What [`WebhookSender::shutdown`] achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShutdownReport {
    /// Every queue drained before the deadline.
    pub flushed: bool,
    /// Events still queued or in flight when the deadline cut them off.
    pub abandoned: usize,
}

/// Handle to the webhook queues. Cheap to clone; all clones feed the same workers.
#[derive(Debug, Clone)]
pub struct WebhookSender {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    queues: Vec<Queue>,
    closed: AtomicBool,
    shutdown: CancellationToken,
    workers: Mutex<Vec<JoinHandle<()>>>,
    stats: Arc<Counters>,
}

#[derive(Debug)]
struct Queue {
    url: String,
    tx: mpsc::Sender<Arc<EncodedEvent>>,
    /// Queued plus in flight: what a shutdown deadline would abandon.
    pending: Arc<AtomicUsize>,
}

#[derive(Debug, Default)]
struct Counters {
    delivered: AtomicU64,
    dropped_queue_full: AtomicU64,
    dropped_failed: AtomicU64,
}

impl WebhookSender {
    /// Validates `config` and spawns one worker per URL on the current Tokio runtime.
    pub fn start(config: WebhookConfig) -> Result<Self, WebhookConfigError> {
        if config.api_key.is_empty() || config.api_secret.is_empty() {
            return Err(WebhookConfigError::MissingKeys);
        }
        if config.queue_capacity == 0 {
            return Err(WebhookConfigError::ZeroCapacity);
        }
        let mut urls = Vec::with_capacity(config.urls.len());
        for url in &config.urls {
            let parsed =
                reqwest::Url::parse(url).map_err(|source| WebhookConfigError::InvalidUrl {
                    url: crate::redact_url(url),
                    source,
                })?;
            if !matches!(parsed.scheme(), "http" | "https") {
                return Err(WebhookConfigError::UnsupportedScheme {
                    url: crate::redact_url(url),
                });
            }
            urls.push(parsed);
        }
        let client = reqwest::Client::builder().user_agent(USER_AGENT).build()?;
        describe_metrics();
        let keys = Arc::new((config.api_key, config.api_secret));
        let shutdown = CancellationToken::new();
        let stats = Arc::new(Counters::default());
        let mut queues = Vec::new();
        let mut workers = Vec::new();
        for url in urls {
            let (tx, rx) = mpsc::channel(config.queue_capacity);
            let pending = Arc::new(AtomicUsize::new(0));
            let shown = crate::redact::redacted(&url).to_string();
            let worker = Worker {
                url: url.clone(),
                shown: shown.clone(),
                client: client.clone(),
                keys: keys.clone(),
                policy: config.retry.clone(),
                pending: pending.clone(),
                stats: stats.clone(),
            };
            workers.push(tokio::spawn(worker.run(rx, shutdown.clone())));
            queues.push(Queue {
                url: shown,
                tx,
                pending,
            });
        }
        let inner = Inner {
            queues,
            closed: AtomicBool::new(false),
            shutdown,
            workers: Mutex::new(workers),
            stats,
        };
        Ok(Self {
            inner: Arc::new(inner),
        })
    }

    /// Enqueues `event` for every URL without waiting. A full queue drops the event for that
    /// URL (counted); only an unencodable event or a closed sender is an error.
    pub fn send(&self, event: &proto::WebhookEvent) -> Result<(), SendError> {
        if self.inner.closed.load(Ordering::Acquire) {
            metrics::counter!(DROPPED, "reason" => "shutdown").increment(1);
            return Err(SendError::Closed);
        }
        let encoded = match EncodedEvent::new(event) {
            Ok(encoded) => Arc::new(encoded),
            Err(err) => {
                metrics::counter!(DROPPED, "reason" => "unencodable").increment(1);
                tracing::error!(%err, event = %event.event, "webhook event cannot be encoded");
                return Err(err.into());
            }
        };
        for queue in &self.inner.queues {
            queue.pending.fetch_add(1, Ordering::AcqRel);
            let reason = match queue.tx.try_send(encoded.clone()) {
                Ok(()) => continue,
                Err(mpsc::error::TrySendError::Full(_)) => {
                    self.inner
                        .stats
                        .dropped_queue_full
                        .fetch_add(1, Ordering::Relaxed);
                    "queue_full"
                }
                // The worker closed its queue: a shutdown began after the check above.
                Err(mpsc::error::TrySendError::Closed(_)) => "shutdown",
            };
            queue.pending.fetch_sub(1, Ordering::AcqRel);
            metrics::counter!(DROPPED, "reason" => reason).increment(1);
            tracing::warn!(url = %queue.url, event = %encoded.name, id = %encoded.id, reason,
                "webhook event dropped");
        }
        Ok(())
    }

    pub fn stats(&self) -> WebhookStats {
        let c = &self.inner.stats;
        WebhookStats {
            delivered: c.delivered.load(Ordering::Relaxed),
            dropped_queue_full: c.dropped_queue_full.load(Ordering::Relaxed),
            dropped_failed: c.dropped_failed.load(Ordering::Relaxed),
        }
    }

    /// Stops accepting events and lets every worker drain its queue (retries included) until
    /// `deadline`; what is left then is abandoned, counted as `reason="shutdown"`.
    /// Later calls return at once.
    pub async fn shutdown(&self, deadline: Duration) -> ShutdownReport {
        self.inner.closed.store(true, Ordering::Release);
        self.inner.shutdown.cancel();
        let workers = {
            let mut guard = self.inner.workers.lock().unwrap_or_else(|e| e.into_inner());
            std::mem::take(&mut *guard)
        };
        let until = Instant::now() + deadline;
        let mut flushed = true;
        for mut worker in workers {
            if tokio::time::timeout_at(until, &mut worker).await.is_err() {
                worker.abort();
                flushed = false;
            }
        }
        let abandoned = self
            .inner
            .queues
            .iter()
            .map(|q| q.pending.swap(0, Ordering::AcqRel))
            .sum();
        if abandoned > 0 {
            metrics::counter!(DROPPED, "reason" => "shutdown").increment(abandoned as u64);
            tracing::warn!(
                abandoned,
                "webhook shutdown deadline passed, events abandoned"
            );
        }
        ShutdownReport { flushed, abandoned }
    }
}

struct Worker {
    url: reqwest::Url,
    /// `url` as logs show it (credentials redacted).
    shown: String,
    client: reqwest::Client,
    keys: Arc<(String, String)>,
    policy: RetryPolicy,
    pending: Arc<AtomicUsize>,
    stats: Arc<Counters>,
}

/// The result of one POST.
enum Attempt {
    Delivered,
    Retry(String),
    GiveUp(String),
}

impl Worker {
    async fn run(self, mut rx: mpsc::Receiver<Arc<EncodedEvent>>, shutdown: CancellationToken) {
        let mut closing = false;
        loop {
            let next = tokio::select! {
                next = rx.recv() => next,
                () = shutdown.cancelled(), if !closing => {
                    // No new events; drain what is queued, then `recv` returns `None`.
                    rx.close();
                    closing = true;
                    continue;
                }
            };
            let Some(event) = next else { break };
            self.deliver(&event).await;
            self.pending.fetch_sub(1, Ordering::AcqRel);
        }
    }

    async fn deliver(&self, event: &EncodedEvent) {
        let started = Instant::now();
        let mut backoff = self.policy.initial_backoff;
        let mut attempt = 1;
        loop {
            let left = self.policy.max_elapsed.saturating_sub(started.elapsed());
            let outcome = if left.is_zero() {
                Attempt::Retry("retry time exhausted".into())
            } else {
                self.post(event, self.policy.request_timeout.min(left))
                    .await
            };
            let reason = match outcome {
                Attempt::Delivered => {
                    self.stats.delivered.fetch_add(1, Ordering::Relaxed);
                    metrics::counter!(DELIVERED).increment(1);
                    tracing::debug!(url = %self.shown, event = %event.name, id = %event.id, attempt,
                        "webhook delivered");
                    return;
                }
                Attempt::GiveUp(reason) => reason,
                Attempt::Retry(reason) => {
                    let out_of_time = started.elapsed() + backoff >= self.policy.max_elapsed;
                    if attempt < self.policy.max_attempts && !out_of_time {
                        tracing::debug!(url = %self.shown, id = %event.id, attempt, %reason,
                            "webhook attempt failed, retrying");
                        metrics::counter!(RETRIES).increment(1);
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(self.policy.max_backoff);
                        attempt += 1;
                        continue;
                    }
                    reason
                }
            };
            self.stats.dropped_failed.fetch_add(1, Ordering::Relaxed);
            metrics::counter!(DROPPED, "reason" => "failed").increment(1);
            tracing::warn!(url = %self.shown, event = %event.name, id = %event.id, attempt,
                %reason, "webhook not delivered, giving up");
            return;
        }
    }

    async fn post(&self, event: &EncodedEvent, timeout: Duration) -> Attempt {
        let token = match event.token(&self.keys.0, &self.keys.1) {
            Ok(token) => token,
            Err(err) => return Attempt::GiveUp(format!("signing failed: {err}")),
        };
        let Ok(auth) = HeaderValue::from_str(&token) else {
            return Attempt::GiveUp("token is not a valid header value".into());
        };
        let request = self
            .client
            .post(self.url.clone())
            .header(header::AUTHORIZATION, auth)
            .header(header::CONTENT_TYPE, CONTENT_TYPE)
            .body(event.body.clone())
            .timeout(timeout);
        match request.send().await {
            Ok(response) if response.status().is_success() => Attempt::Delivered,
            Ok(response) if retryable(response.status()) => {
                Attempt::Retry(format!("status {}", response.status()))
            }
            Ok(response) => Attempt::GiveUp(format!("status {}", response.status())),
            // reqwest's message names the URL, which `shown` already gives without credentials.
            Err(err) => Attempt::Retry(crate::error_chain(&err.without_url())),
        }
    }
}

fn describe_metrics() {
    metrics::describe_counter!(
        DROPPED,
        "Webhook deliveries abandoned, per URL, by reason (queue_full, failed, shutdown, unencodable)"
    );
    metrics::describe_counter!(DELIVERED, "Webhook deliveries accepted by a receiver (2xx)");
    metrics::describe_counter!(
        RETRIES,
        "Webhook delivery attempts that failed and were retried"
    );
}

/// go-retryablehttp's rule, which LiveKit's sender uses: 5xx except 501, 429, and 408.
fn retryable(status: StatusCode) -> bool {
    (status.is_server_error() && status != StatusCode::NOT_IMPLEMENTED)
        || status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::REQUEST_TIMEOUT
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_follow_go_retryablehttp() {
        for (status, want) in [
            (500, true),
            (502, true),
            (503, true),
            (501, false),
            (429, true),
            (408, true),
            (400, false),
            (401, false),
            (404, false),
            (413, false),
        ] {
            let status = StatusCode::from_u16(status).unwrap();
            assert_eq!(retryable(status), want, "{status}");
        }
    }
}
