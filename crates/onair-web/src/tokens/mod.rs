//! LiveKit access tokens for a stream's room: publish grants for its creator, subscribe-only
//! grants for everyone else.

pub mod api;
pub mod mint;

pub use api::router;
