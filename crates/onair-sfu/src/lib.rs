//! OnAir's embedded media server (work in progress; see the README's "Media server" section).

pub mod auth;
pub mod config;
pub mod ids;
pub mod media;
pub mod room;
mod shell;

pub use config::{RoomDefaults, SfuConfig};
pub use shell::{MediaServer, ServerHandle, SfuError};
