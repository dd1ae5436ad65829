//! Typed settings: defaults → optional `onair.toml` → environment → command-line flags.
//!
//! Every environment variable is listed in [`ENV`] with the setting it fills; values are parsed
//! to the setting's type here, so a bad value names its variable. Secrets are redacted in
//! `Debug` and in `onair print-config`.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use figment::Figment;
use figment::providers::{Format, Serialized, Toml};
use figment::value::Value;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use url::Url;

/// A secret from configuration: `Debug` and serialization print `<redacted>`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("<redacted>")
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Secret)
    }
}

/// URLs whose parse errors name them redacted (the `url` crate's own error quotes the input,
/// credentials included).
fn urls_redacted<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Url>, D::Error> {
    Vec::<String>::deserialize(d)?
        .iter()
        .map(|raw| {
            Url::parse(raw).map_err(|e| {
                serde::de::Error::custom(format!(
                    "{} is not a URL: {e}",
                    onair_control::redact_url(raw)
                ))
            })
        })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Pretty,
    Json,
}

/// The whole configuration of one `onair` process.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// HTTP listener (`ONAIR_BIND`, `--bind`).
    pub bind: SocketAddr,
    /// Where SQLite, the generated LiveKit key and other state live (`ONAIR_DATA_DIR`, `--data-dir`).
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…` (`DATABASE_URL`); default `sqlite://<data_dir>/onair.db`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    /// External base URL when behind a proxy (`ONAIR_PUBLIC_URL`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_url: Option<Url>,
    /// `pretty` or `json` (`ONAIR_LOG_FORMAT`); the filter comes from `RUST_LOG`.
    pub log_format: LogFormat,
    pub livekit: LiveKitSettings,
    pub media: MediaSettings,
    pub credits: CreditSettings,
    pub streams: StreamSettings,
    pub rate_limits: RateLimitSettings,
}

/// LiveKit: unset `url` means the embedded media server.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LiveKitSettings {
    /// `LIVEKIT_URL` (alias `LIVEKIT_WS_URL`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// `LIVEKIT_API_KEY`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key: Option<String>,
    /// `LIVEKIT_API_SECRET`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_secret: Option<Secret>,
}

/// The embedded media server's network settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MediaSettings {
    /// ICE over UDP (`ONAIR_RTC_UDP_PORT`).
    pub udp_port: u16,
    /// ICE over TCP (`ONAIR_RTC_TCP_PORT`).
    pub tcp_port: u16,
    /// The address put in ICE candidates (`ONAIR_RTC_ADVERTISE_IP`); default: the bind IP if
    /// specific, else a detected local address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub advertise_ip: Option<IpAddr>,
    /// Where webhooks go besides the platform's own `/api/livekit/webhook`
    /// (`ONAIR_WEBHOOK_URLS`, comma-separated; `http://` or `https://`).
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "urls_redacted"
    )]
    pub webhook_urls: Vec<Url>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreditSettings {
    /// `ONAIR_GO_LIVE_COST`.
    pub go_live_cost: i64,
    /// `ONAIR_PER_MINUTE_COST`; 0 turns metering off.
    pub per_minute_cost: i64,
    /// `ONAIR_SIGNUP_GRANT`.
    pub signup_grant: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamSettings {
    /// `ONAIR_CREATOR_GRACE_SECS`.
    pub creator_grace_secs: u64,
    /// `ONAIR_CREATOR_TOKEN_TTL_SECS`.
    pub creator_token_ttl_secs: u64,
    /// `ONAIR_VIEWER_TOKEN_TTL_SECS`.
    pub viewer_token_ttl_secs: u64,
    /// `ONAIR_SESSION_TTL_SECS`.
    pub session_ttl_secs: u64,
    /// `ONAIR_SWEEP_INTERVAL_SECS`: background sweep period.
    pub sweep_interval_secs: u64,
    /// `ONAIR_MAX_PARTICIPANTS`: room size limit (creator included); 0 is unlimited.
    pub max_participants: u32,
}

/// Requests per minute per client IP and per account.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitSettings {
    /// `ONAIR_RATE_LIMIT_AUTH`.
    pub auth_per_minute: u32,
    /// `ONAIR_RATE_LIMIT_TOKEN`.
    pub token_per_minute: u32,
    /// `ONAIR_RATE_LIMIT_CREATE`.
    pub create_per_minute: u32,
    /// `ONAIR_RATE_LIMIT_GENERAL`.
    pub general_per_minute: u32,
}

impl Default for Settings {
    fn default() -> Self {
        let limits = onair_web::RateLimits::default();
        Self {
            bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 8080)),
            data_dir: PathBuf::from("./data"),
            database_url: None,
            public_url: None,
            log_format: LogFormat::Pretty,
            livekit: LiveKitSettings::default(),
            media: MediaSettings {
                udp_port: 7882,
                tcp_port: 7881,
                advertise_ip: None,
                webhook_urls: Vec::new(),
            },
            credits: CreditSettings {
                go_live_cost: 10,
                per_minute_cost: 0,
                signup_grant: 100,
            },
            streams: StreamSettings {
                creator_grace_secs: 60,
                creator_token_ttl_secs: 6 * 3600,
                viewer_token_ttl_secs: 2 * 3600,
                session_ttl_secs: 30 * 24 * 3600,
                sweep_interval_secs: 5,
                max_participants: 1000,
            },
            rate_limits: RateLimitSettings {
                auth_per_minute: limits.auth_per_minute,
                token_per_minute: limits.token_per_minute,
                create_per_minute: limits.create_per_minute,
                general_per_minute: limits.general_per_minute,
            },
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Text,
    Int,
    /// Comma-separated text.
    List,
}

/// Environment variable → setting. Later entries win (so `LIVEKIT_URL` beats its alias).
const ENV: &[(&str, &str, Kind)] = &[
    ("ONAIR_BIND", "bind", Kind::Text),
    ("ONAIR_DATA_DIR", "data_dir", Kind::Text),
    ("DATABASE_URL", "database_url", Kind::Text),
    ("ONAIR_PUBLIC_URL", "public_url", Kind::Text),
    ("ONAIR_LOG_FORMAT", "log_format", Kind::Text),
    ("LIVEKIT_WS_URL", "livekit.url", Kind::Text),
    ("LIVEKIT_URL", "livekit.url", Kind::Text),
    ("LIVEKIT_API_KEY", "livekit.api_key", Kind::Text),
    ("LIVEKIT_API_SECRET", "livekit.api_secret", Kind::Text),
    ("ONAIR_RTC_UDP_PORT", "media.udp_port", Kind::Int),
    ("ONAIR_RTC_TCP_PORT", "media.tcp_port", Kind::Int),
    ("ONAIR_RTC_ADVERTISE_IP", "media.advertise_ip", Kind::Text),
    ("ONAIR_WEBHOOK_URLS", "media.webhook_urls", Kind::List),
    ("ONAIR_GO_LIVE_COST", "credits.go_live_cost", Kind::Int),
    (
        "ONAIR_PER_MINUTE_COST",
        "credits.per_minute_cost",
        Kind::Int,
    ),
    ("ONAIR_SIGNUP_GRANT", "credits.signup_grant", Kind::Int),
    (
        "ONAIR_CREATOR_GRACE_SECS",
        "streams.creator_grace_secs",
        Kind::Int,
    ),
    (
        "ONAIR_CREATOR_TOKEN_TTL_SECS",
        "streams.creator_token_ttl_secs",
        Kind::Int,
    ),
    (
        "ONAIR_VIEWER_TOKEN_TTL_SECS",
        "streams.viewer_token_ttl_secs",
        Kind::Int,
    ),
    (
        "ONAIR_SESSION_TTL_SECS",
        "streams.session_ttl_secs",
        Kind::Int,
    ),
    (
        "ONAIR_SWEEP_INTERVAL_SECS",
        "streams.sweep_interval_secs",
        Kind::Int,
    ),
    (
        "ONAIR_MAX_PARTICIPANTS",
        "streams.max_participants",
        Kind::Int,
    ),
    (
        "ONAIR_RATE_LIMIT_AUTH",
        "rate_limits.auth_per_minute",
        Kind::Int,
    ),
    (
        "ONAIR_RATE_LIMIT_TOKEN",
        "rate_limits.token_per_minute",
        Kind::Int,
    ),
    (
        "ONAIR_RATE_LIMIT_CREATE",
        "rate_limits.create_per_minute",
        Kind::Int,
    ),
    (
        "ONAIR_RATE_LIMIT_GENERAL",
        "rate_limits.general_per_minute",
        Kind::Int,
    ),
];

/// Overrides given on the command line.
#[derive(Debug, Default, Clone)]
pub struct Flags {
    pub config: Option<PathBuf>,
    pub bind: Option<SocketAddr>,
    pub data_dir: Option<PathBuf>,
}

impl Settings {
    /// Composes the layers, reading the process environment.
    pub fn load(flags: &Flags) -> anyhow::Result<Self> {
        Self::load_from(flags, |name| std::env::var(name).ok())
    }

    /// Composes the layers with `env` as the environment (tests pass a map).
    pub fn load_from(flags: &Flags, env: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        match &flags.config {
            Some(path) if !path.exists() => bail!("config file {} does not exist", path.display()),
            Some(path) => figment = figment.merge(Toml::file(path)),
            None if Path::new("onair.toml").exists() => {
                figment = figment.merge(Toml::file("onair.toml"));
            }
            None => {}
        }
        for (var, key, kind) in ENV {
            let Some(raw) = env(var).filter(|v| !v.trim().is_empty()) else {
                continue;
            };
            let value = match kind {
                Kind::Text => Value::from(raw),
                Kind::Int => Value::from(
                    raw.trim()
                        .parse::<i64>()
                        .with_context(|| format!("{var}={raw:?} is not a whole number"))?,
                ),
                Kind::List => Value::from(
                    raw.split(',')
                        .map(str::trim)
                        .filter(|item| !item.is_empty())
                        .map(Value::from)
                        .collect::<Vec<_>>(),
                ),
            };
            figment = figment.merge(Serialized::global(key, value));
        }
        if let Some(bind) = flags.bind {
            figment = figment.merge(Serialized::global("bind", bind.to_string()));
        }
        if let Some(dir) = &flags.data_dir {
            figment = figment.merge(Serialized::global("data_dir", dir.display().to_string()));
        }
        let settings: Settings = figment.extract().context("invalid configuration")?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> anyhow::Result<()> {
        let c = &self.credits;
        for (name, v) in [
            ("ONAIR_GO_LIVE_COST", c.go_live_cost),
            ("ONAIR_PER_MINUTE_COST", c.per_minute_cost),
            ("ONAIR_SIGNUP_GRANT", c.signup_grant),
        ] {
            if v < 0 {
                bail!("{name} must not be negative (got {v})");
            }
        }
        if self.streams.sweep_interval_secs == 0 {
            bail!("ONAIR_SWEEP_INTERVAL_SECS must be at least 1");
        }
        if let Some(url) = self
            .media
            .webhook_urls
            .iter()
            .find(|u| !matches!(u.scheme(), "http" | "https"))
        {
            bail!(
                "ONAIR_WEBHOOK_URLS (media.webhook_urls): {} is not an http:// or https:// URL",
                onair_control::redacted(url)
            );
        }
        Ok(())
    }

    /// The database URL: `DATABASE_URL`, else SQLite in the data directory.
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("onair.db").display()))
    }

    /// Embedded mode: no `LIVEKIT_URL`.
    pub fn embedded(&self) -> bool {
        self.livekit.url.is_none()
    }

    /// The IP the media server advertises in ICE candidates.
    pub fn advertise_ip(&self) -> IpAddr {
        if let Some(ip) = self.media.advertise_ip {
            return ip;
        }
        if !self.bind.ip().is_unspecified() {
            return self.bind.ip();
        }
        detect_local_ip().unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST))
    }
}

/// The address the OS would route outward from (no packet is sent: UDP `connect` only picks a route).
fn detect_local_ip() -> Option<IpAddr> {
    let socket = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0)).ok()?;
    socket.connect((Ipv4Addr::new(192, 0, 2, 1), 9)).ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_unspecified()).then_some(ip)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn load(vars: &[(&str, &str)], flags: Flags) -> anyhow::Result<Settings> {
        let env: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Settings::load_from(&flags, |k| env.get(k).cloned())
    }

    #[test]
    fn defaults_match_the_documentation() {
        let s = load(&[], Flags::default()).unwrap();
        assert_eq!(s.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(s.data_dir, PathBuf::from("./data"));
        assert_eq!(s.database_url(), "sqlite://./data/onair.db");
        assert!(s.embedded());
        assert_eq!((s.media.udp_port, s.media.tcp_port), (7882, 7881));
        assert_eq!(s.credits.go_live_cost, 10);
        assert_eq!(s.credits.signup_grant, 100);
        assert_eq!(s.streams.creator_grace_secs, 60);
        assert_eq!(s.advertise_ip(), IpAddr::V4(Ipv4Addr::LOCALHOST));
    }

    #[test]
    fn environment_then_flags_override() {
        let s = load(
            &[
                ("ONAIR_BIND", "0.0.0.0:9000"),
                ("LIVEKIT_WS_URL", "ws://old:7880"),
                ("LIVEKIT_URL", "wss://new.example.com"),
                ("LIVEKIT_API_SECRET", "12345"),
                ("ONAIR_RTC_UDP_PORT", "50000"),
                ("ONAIR_PER_MINUTE_COST", "2"),
                ("ONAIR_LOG_FORMAT", "json"),
                ("DATABASE_URL", ""),
            ],
            Flags {
                bind: Some("127.0.0.1:1234".parse().unwrap()),
                ..Flags::default()
            },
        )
        .unwrap();
        assert_eq!(s.bind.port(), 1234, "flag beats env");
        assert_eq!(s.livekit.url.as_deref(), Some("wss://new.example.com"));
        assert_eq!(s.livekit.api_secret, Some(Secret("12345".into())));
        assert_eq!(s.media.udp_port, 50000);
        assert_eq!(s.credits.per_minute_cost, 2);
        assert_eq!(s.log_format, LogFormat::Json);
        assert!(s.database_url.is_none(), "empty means unset");
        assert!(
            !format!("{s:?}").contains("12345"),
            "secret redacted in Debug"
        );
    }

    #[test]
    fn webhook_urls_are_a_comma_separated_list_of_http_urls() {
        let s = load(
            &[(
                "ONAIR_WEBHOOK_URLS",
                " https://hooks.example.com/lk , http://10.0.0.2:9000/x,",
            )],
            Flags::default(),
        )
        .unwrap();
        let urls: Vec<&str> = s.media.webhook_urls.iter().map(Url::as_str).collect();
        assert_eq!(
            urls,
            ["https://hooks.example.com/lk", "http://10.0.0.2:9000/x"]
        );
        assert!(
            load(&[], Flags::default())
                .unwrap()
                .media
                .webhook_urls
                .is_empty()
        );
        for bad in ["ftp://example.com/hook", "not a url"] {
            let err = load(&[("ONAIR_WEBHOOK_URLS", bad)], Flags::default()).unwrap_err();
            assert!(
                format!("{err:#}").contains("webhook_urls"),
                "{bad}: {err:#}"
            );
        }
        // Credentials in a URL that does not parse stay out of the error.
        let bad = "https://ops:hunter2@hooks example.com/x";
        let err = load(&[("ONAIR_WEBHOOK_URLS", bad)], Flags::default()).unwrap_err();
        let text = format!("{err:#}");
        assert!(
            text.contains("webhook_urls") && !text.contains("hunter2"),
            "{text}"
        );
    }

    #[test]
    fn bad_values_name_their_variable() {
        let err = load(&[("ONAIR_RTC_UDP_PORT", "lots")], Flags::default()).unwrap_err();
        assert!(format!("{err:#}").contains("ONAIR_RTC_UDP_PORT"), "{err:#}");
        assert!(load(&[("ONAIR_RTC_UDP_PORT", "70000")], Flags::default()).is_err());
        assert!(load(&[("ONAIR_GO_LIVE_COST", "-1")], Flags::default()).is_err());
        assert!(load(&[("ONAIR_BIND", "nowhere")], Flags::default()).is_err());
    }
}
