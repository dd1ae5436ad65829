//! The embedded media server's mount point.

use axum::Router;

use crate::settings::Settings;

/// The embedded media server is mounted here: in embedded mode (no `LIVEKIT_URL`) its routes
/// (`/rtc`, `/rtc/validate`, `/twirp/livekit.RoomService/*`) are merged onto the platform's
/// router so both answer on one listener, and its UDP/TCP ICE ports come from
/// `settings.media`. Until the media server crate provides them, the router is returned
/// unchanged (external LiveKit deployments need nothing here).
///
/// When this is called, `settings.bind` is the address actually bound (port 0 resolved) — the
/// media server posts its webhooks to `http://<bind>/api/livekit/webhook` — and
/// `settings.livekit.api_key`/`api_secret` hold the key pair in use (from the environment or
/// generated into the data directory), which tokens are signed with.
pub fn mount_media_server(router: Router, settings: &Settings) -> Router {
    if settings.embedded() {
        tracing::debug!(
            udp = settings.media.udp_port,
            tcp = settings.media.tcp_port,
            advertise = %settings.advertise_ip(),
            "embedded media server not mounted in this build"
        );
    }
    router
}
