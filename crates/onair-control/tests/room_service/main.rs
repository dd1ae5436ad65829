//! RoomService over real loopback sockets: LiveKit's Rust `RoomClient` (protobuf) for every
//! method and its errors, raw HTTP for the JSON encoding the Node SDK uses and for bad input.

// Test helpers are ordinary functions, so clippy's test exemption does not reach them.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly on any unexpected error"
)]

mod auth;
mod common;
mod json;
mod protobuf;
mod raw;
mod transport;
