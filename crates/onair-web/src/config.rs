//! The web platform's settings, built by the binary from its layered configuration (or in code by tests).

use std::fmt;
use std::time::Duration;

use onair_domain::Credits;
use url::Url;

/// A string that must never reach a log line: `Debug` prints `<redacted>`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the one place that needs it (signing, verifying).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Where the LiveKit-compatible media server is.
#[derive(Debug, Clone)]
pub enum MediaMode {
    /// The embedded server answers on the platform's own listener (`/rtc`, `/twirp`).
    /// `room_service_url` is how the platform reaches that listener (`http://127.0.0.1:8080`).
    Embedded { room_service_url: Url },
    /// A LiveKit deployment; clients and the RoomService client both use `url`.
    External { url: Url },
}

/// The LiveKit credentials the platform signs tokens with and verifies webhooks against.
#[derive(Debug, Clone)]
pub struct LiveKitConfig {
    pub mode: MediaMode,
    pub api_key: String,
    pub api_secret: Secret,
}

/// Requests allowed per minute for each class of request (per client IP, and per account where
/// an account is known). Bursts of up to the same number are allowed.
#[derive(Debug, Clone, Copy)]
pub struct RateLimits {
    /// Login and signup: password guessing and account spam.
    pub auth_per_minute: u32,
    /// Token minting: each token is a room join.
    pub token_per_minute: u32,
    /// Stream creation.
    pub create_per_minute: u32,
    /// Everything else under `/api`.
    pub general_per_minute: u32,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            auth_per_minute: 20,
            token_per_minute: 60,
            create_per_minute: 10,
            general_per_minute: 600,
        }
    }
}

/// Everything `onair-web` needs to know about its deployment.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// The external base URL (`https://live.example.com`) when behind a proxy; decides the
    /// cookie's `Secure` flag, the allowed `Origin`, and the embedded server URL in tokens.
    pub public_url: Option<Url>,
    pub livekit: LiveKitConfig,
    pub go_live_cost: Credits,
    /// Cost of each live minute; zero turns metering off.
    pub per_minute_cost: Credits,
    pub signup_grant: Credits,
    /// How long a creator may be out of their room before the stream ends.
    pub creator_grace: Duration,
    pub creator_token_ttl: Duration,
    pub viewer_token_ttl: Duration,
    pub session_ttl: Duration,
    pub rate_limits: RateLimits,
    /// Period of the background sweeper (grace period, metering, session cleanup).
    pub sweep_interval: Duration,
    /// The most participants (the creator and viewers) a stream's room admits; 0 is unlimited.
    /// The media server refuses joins beyond it.
    pub max_participants: u32,
}

impl WebConfig {
    /// Defaults for everything but the media server, which every deployment must name.
    pub fn new(livekit: LiveKitConfig) -> Self {
        Self {
            public_url: None,
            livekit,
            go_live_cost: Credits::new(10),
            per_minute_cost: Credits::ZERO,
            signup_grant: Credits::new(100),
            creator_grace: Duration::from_secs(60),
            creator_token_ttl: Duration::from_secs(6 * 3600),
            viewer_token_ttl: Duration::from_secs(2 * 3600),
            session_ttl: Duration::from_secs(30 * 24 * 3600),
            rate_limits: RateLimits::default(),
            sweep_interval: Duration::from_secs(5),
            max_participants: 1000,
        }
    }

    /// Whether the site is served over HTTPS (then cookies are `Secure`).
    pub fn is_https(&self) -> bool {
        self.public_url
            .as_ref()
            .is_some_and(|u| u.scheme() == "https")
    }
}
