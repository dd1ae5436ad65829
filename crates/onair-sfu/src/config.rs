//! The media server's settings, built by the binary (or a test) in code.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

/// Everything [`crate::MediaServer::start`] needs. `Debug` redacts the API secret.
#[derive(Clone)]
pub struct SfuConfig {
    /// API key tokens must be issued by (`iss`).
    pub api_key: String,
    /// HMAC secret tokens are signed with (HS256).
    pub api_secret: String,
    /// Address the UDP and ICE-TCP sockets bind to (usually the HTTP bind address).
    pub bind_ip: IpAddr,
    /// UDP port for all WebRTC media (0 picks a free one, for tests).
    pub udp_port: u16,
    /// ICE-TCP port (0 picks a free one). `None` disables ICE-TCP.
    pub tcp_port: Option<u16>,
    /// The address put into ICE candidates: what clients can reach.
    pub advertise_ip: IpAddr,
    /// Room rules applied to rooms created on first join.
    pub rooms: RoomDefaults,
    /// Whether a join may create its room (LiveKit's default is yes).
    pub auto_create_rooms: bool,
    /// `http://` URLs that receive LiveKit's signed webhooks (room and participant lifecycle,
    /// tracks). Empty: no webhooks.
    pub webhook_urls: Vec<String>,
    /// How often connected participants get a fresh access token (`refresh_token`), so a long
    /// session can still resume or rejoin after its original token expired.
    pub token_refresh: TokenRefresh,
}

/// When the server re-issues a participant's access token, and for how long the new one is
/// valid. LiveKit's server sends one at session start and then every 5 minutes, valid for 10
/// minutes (or until the original token's expiry when that is later).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenRefresh {
    /// Time between two refreshed tokens for one participant.
    pub interval: Duration,
    /// Lifetime of a refreshed token; a token never expires earlier than the one it replaces.
    pub validity: Duration,
}

impl Default for TokenRefresh {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(5 * 60),
            validity: Duration::from_secs(10 * 60),
        }
    }
}

/// Limits and timeouts every room gets (LiveKit's defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoomDefaults {
    /// How long a room nobody ever joined stays open.
    pub empty_timeout: Duration,
    /// How long a room stays open after its last participant left.
    pub departure_timeout: Duration,
    /// 0 means unlimited.
    pub max_participants: u32,
}

impl Default for RoomDefaults {
    fn default() -> Self {
        Self {
            empty_timeout: Duration::from_secs(300),
            departure_timeout: Duration::from_secs(20),
            max_participants: 0,
        }
    }
}

impl SfuConfig {
    /// Settings for a server on loopback with free ports: what tests use.
    pub fn loopback(api_key: &str, api_secret: &str) -> Self {
        Self {
            api_key: api_key.to_owned(),
            api_secret: api_secret.to_owned(),
            bind_ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
            udp_port: 0,
            tcp_port: Some(0),
            advertise_ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
            rooms: RoomDefaults::default(),
            auto_create_rooms: true,
            webhook_urls: Vec::new(),
            token_refresh: TokenRefresh::default(),
        }
    }
}

impl fmt::Debug for SfuConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SfuConfig")
            .field("api_key", &self.api_key)
            .field("api_secret", &"<redacted>")
            .field("bind_ip", &self.bind_ip)
            .field("udp_port", &self.udp_port)
            .field("tcp_port", &self.tcp_port)
            .field("advertise_ip", &self.advertise_ip)
            .field("rooms", &self.rooms)
            .field("auto_create_rooms", &self.auto_create_rooms)
            .field("webhook_urls", &self.webhook_urls)
            .field("token_refresh", &self.token_refresh)
            .finish()
    }
}
