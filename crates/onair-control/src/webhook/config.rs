//! Webhook configuration: where to send, how to sign, how hard to retry.

use std::time::Duration;

/// How hard one event is retried at one URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per event, the first included.
    pub max_attempts: u32,
    /// Wait before the second attempt; doubled after each failure up to `max_backoff`.
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// Time one event may take at one URL, attempts and waits together. Bounds how long a
    /// dead endpoint holds up the events queued behind it.
    pub max_elapsed: Duration,
    /// Timeout of one POST (also capped by what is left of `max_elapsed`).
    pub request_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(5),
            max_elapsed: Duration::from_secs(30),
            request_timeout: Duration::from_secs(5),
        }
    }
}

/// Where and how to send webhooks.
#[derive(Clone)]
pub struct WebhookConfig {
    /// `http://` or `https://` URLs. HTTPS is rustls on aws-lc-rs and verifies the receiver's
    /// certificate against the system's roots (`SSL_CERT_FILE` / `SSL_CERT_DIR` replace them).
    pub urls: Vec<String>,
    /// Signs the token: `iss` = key, HMAC-SHA256 with the secret. Receivers verify with the
    /// same pair (`WebhookReceiver` in LiveKit's SDKs).
    pub api_key: String,
    pub api_secret: String,
    /// Events held per URL before new ones are dropped.
    pub queue_capacity: usize,
    pub retry: RetryPolicy,
}

impl WebhookConfig {
    pub fn new(
        urls: Vec<String>,
        api_key: impl Into<String>,
        api_secret: impl Into<String>,
    ) -> Self {
        Self {
            urls,
            api_key: api_key.into(),
            api_secret: api_secret.into(),
            queue_capacity: 1024,
            retry: RetryPolicy::default(),
        }
    }
}

impl std::fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookConfig")
            .field(
                "urls",
                &self
                    .urls
                    .iter()
                    .map(|u| crate::redact_url(u))
                    .collect::<Vec<_>>(),
            )
            .field("api_key", &self.api_key)
            .field("api_secret", &"<redacted>")
            .field("queue_capacity", &self.queue_capacity)
            .field("retry", &self.retry)
            .finish()
    }
}

/// A configuration the sender cannot start with.
#[derive(Debug, thiserror::Error)]
pub enum WebhookConfigError {
    #[error("webhook URL {url:?} is invalid: {source}")]
    InvalidUrl {
        url: String,
        source: url::ParseError,
    },
    #[error("webhook URL {url:?}: only http:// and https:// are supported")]
    UnsupportedScheme { url: String },
    #[error("webhooks need an API key and secret to sign with")]
    MissingKeys,
    #[error("webhook queue capacity must be at least 1")]
    ZeroCapacity,
    #[error("HTTP client: {0}")]
    Client(#[from] reqwest::Error),
}
