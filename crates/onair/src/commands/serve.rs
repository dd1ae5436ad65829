//! `onair serve`: open the store, build the platform (and mount the media server), serve until
//! SIGINT/SIGTERM, then drain requests and stop background tasks.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use anyhow::Context;
use onair_control::redact_url;
use onair_domain::Credits;
use onair_web::{AppState, LiveKitConfig, MediaMode, RateLimits, WebConfig};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::livekit::{self, Credentials};
use crate::media;
use crate::settings::{Secret, Settings};

pub async fn run(mut settings: Settings) -> anyhow::Result<()> {
    check_tls_roots()?;
    let creds = livekit::credentials(&settings, true)?
        .context("no LiveKit credentials could be resolved")?;
    let database_url = settings.database_url();
    let store = onair_store::connect(&database_url)
        .await
        .with_context(|| format!("opening the database ({})", redact_url(&database_url)))?;
    let listener = TcpListener::bind(settings.bind)
        .await
        .with_context(|| format!("cannot listen on {}", settings.bind))?;
    let local = listener.local_addr()?;
    // From here on the settings name what is real: the bound address (port 0 resolved) and the
    // LiveKit key pair in use (possibly generated), which the media server needs too.
    settings.bind = local;
    settings.livekit.api_key = Some(creds.api_key.clone());
    settings.livekit.api_secret = Some(Secret(creds.api_secret.expose().to_owned()));
    let config = web_config(&settings, &creds, local)?;
    let state = AppState::new(store.clone(), config);
    let router = media::mount_media_server(onair_web::router(state.clone()), &settings)?;

    let cancel = CancellationToken::new();
    let tasks = onair_web::tasks::spawn(state, cancel.clone());
    let mode = if settings.embedded() {
        "embedded"
    } else {
        "external"
    };
    tracing::info!(
        url = %format!("http://{local}"),
        mode,
        livekit_url = creds
            .url
            .as_ref()
            .map_or_else(|| "(this server)".to_owned(), |u| redact_url(u.as_str())),
        data_dir = %settings.data_dir.display(),
        database = store.backend_name(),
        "onair listening"
    );
    onair_web::serve(listener, router, shutdown_signal(cancel.clone())).await?;
    cancel.cancel();
    if tokio::time::timeout(Duration::from_secs(10), tasks)
        .await
        .is_err()
    {
        tracing::warn!("background tasks did not stop within 10 s");
    }
    store.close().await;
    tracing::info!("onair stopped");
    Ok(())
}

/// The platform's settings from the process's settings and where it actually listens.
pub fn web_config(
    settings: &Settings,
    creds: &Credentials,
    local: SocketAddr,
) -> anyhow::Result<WebConfig> {
    let mode = match &creds.url {
        Some(url) => MediaMode::External { url: url.clone() },
        None => {
            let ip = match local.ip() {
                IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
                ip => ip,
            };
            let url = Url::parse(&format!("http://{}", SocketAddr::new(ip, local.port())))
                .context("room service URL")?;
            MediaMode::Embedded {
                room_service_url: url,
            }
        }
    };
    let mut config = WebConfig::new(LiveKitConfig {
        mode,
        api_key: creds.api_key.clone(),
        api_secret: creds.api_secret.clone(),
    });
    let s = &settings.streams;
    config.public_url = settings.public_url.clone();
    config.go_live_cost = Credits::new(settings.credits.go_live_cost);
    config.per_minute_cost = Credits::new(settings.credits.per_minute_cost);
    config.signup_grant = Credits::new(settings.credits.signup_grant);
    config.creator_grace = Duration::from_secs(s.creator_grace_secs);
    config.creator_token_ttl = Duration::from_secs(s.creator_token_ttl_secs);
    config.viewer_token_ttl = Duration::from_secs(s.viewer_token_ttl_secs);
    config.session_ttl = Duration::from_secs(s.session_ttl_secs);
    config.sweep_interval = Duration::from_secs(s.sweep_interval_secs);
    config.max_participants = s.max_participants;
    let r = &settings.rate_limits;
    config.rate_limits = RateLimits {
        auth_per_minute: r.auth_per_minute,
        token_per_minute: r.token_per_minute,
        create_per_minute: r.create_per_minute,
        general_per_minute: r.general_per_minute,
    };
    Ok(config)
}

/// Every HTTP client here (RoomService calls, webhooks out) verifies TLS against the system's CA
/// certificates, and building one fails where there are none — livekit-api's `RoomClient` would
/// even panic. Say so once, clearly, before anything is started.
fn check_tls_roots() -> anyhow::Result<()> {
    reqwest::Client::builder().build().map(drop).map_err(|e| {
        anyhow::anyhow!(
            "no CA certificates found for TLS ({e}): install the system's CA bundle \
             (Debian/Ubuntu: `apt-get install ca-certificates`) or point SSL_CERT_FILE at a PEM file"
        )
    })
}

/// Completes on SIGINT or SIGTERM, and cancels the background tasks.
async fn shutdown_signal(cancel: CancellationToken) {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
    tracing::info!("shutting down: draining requests");
    cancel.cancel();
}
