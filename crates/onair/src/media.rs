//! The embedded media server's mount point.

use axum::Router;

use crate::settings::Settings;
use url::Url;

/// The embedded media server is mounted here: in embedded mode (no `LIVEKIT_URL`) its routes
/// (`/rtc`, `/rtc/validate`, `/twirp/livekit.RoomService/*`) are merged onto the platform's
/// router so both answer on one listener, and its UDP/TCP ICE ports come from
/// `settings.media` (external LiveKit deployments need nothing here).
///
/// When this is called, `settings.bind` is the address actually bound (port 0 resolved) — the
/// media server posts its webhooks to `http://<bind>/api/livekit/webhook` — and
/// `settings.livekit.api_key`/`api_secret` hold the key pair in use (from the environment or
/// generated into the data directory), which tokens are signed with.
///
/// The media server closes every peer with a leave on SIGINT/SIGTERM, which also ends their
/// WebSockets so the HTTP drain can finish. A media server that cannot start (port in use)
/// stops `serve` with the cause.
pub fn mount_media_server(router: Router, settings: &Settings) -> anyhow::Result<Router> {
    if !settings.embedded() {
        return Ok(router);
    }
    let (Some(key), Some(secret)) = (&settings.livekit.api_key, &settings.livekit.api_secret)
    else {
        anyhow::bail!("the embedded media server needs the LiveKit key pair");
    };
    let mut config = onair_sfu::SfuConfig::loopback(key, &secret.0);
    config.bind_ip = settings.bind.ip();
    config.udp_port = settings.media.udp_port;
    config.tcp_port = Some(settings.media.tcp_port);
    config.advertise_ip = settings.advertise_ip();
    config.webhook_urls = webhook_urls(settings);
    let server = onair_sfu::MediaServer::start(config)?;
    let router = router.merge(server.router());
    tokio::spawn(async move {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            Some(()) = async { term.as_mut()?.recv().await } => {}
        }
        server.shutdown().await;
    });
    Ok(router)
}

/// Where the embedded media server posts its webhooks: always the platform's own
/// `/api/livekit/webhook` (on loopback when bound to every interface), then any extra
/// URLs in `media.webhook_urls` (`ONAIR_WEBHOOK_URLS`).
fn webhook_urls(settings: &Settings) -> Vec<String> {
    let mut own = settings.bind;
    if own.ip().is_unspecified() {
        own.set_ip(match own.ip() {
            std::net::IpAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            std::net::IpAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    let mut urls = vec![format!("http://{own}/api/livekit/webhook")];
    urls.extend(settings.media.webhook_urls.iter().map(Url::to_string));
    urls
}
