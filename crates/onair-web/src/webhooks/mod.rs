//! LiveKit webhooks in: verified events drive go-live, viewer counts, creator presence and the
//! end of streams whose room closed.

pub mod api;
pub(crate) mod presence;
pub mod service;

pub use api::router;

/// Where the media server posts its webhooks.
pub const PATH: &str = "/api/livekit/webhook";
