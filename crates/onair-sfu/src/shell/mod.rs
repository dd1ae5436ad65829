//! The async shell around the sans-IO engine: sockets, WebSocket sessions, timers.
//!
//! One task (the run loop) owns the [`Engine`](crate::media::Engine) and the UDP socket. Every
//! other task talks to it through one bounded command channel; the loop answers through one
//! bounded channel per signal session and per ICE-TCP connection.

mod admin;
mod run;
mod signal;
mod tcp;

pub use admin::ServerHandle;
pub use run::{MediaServer, SfuError};
