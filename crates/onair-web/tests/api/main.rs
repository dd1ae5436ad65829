//! Integration tests: the real router on a real socket (127.0.0.1, port 0), a real SQLite file
//! per test (and PostgreSQL, a schema per test, when `TEST_DATABASE_URL` is set), driven over
//! HTTP like any client, with webhooks signed exactly as a LiveKit server signs them.

// Test helpers are ordinary functions, so clippy's test exemption does not reach them.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly on any unexpected error"
)]

mod bad_input;
mod helpers;
mod moderation;
mod ops;
mod participant;
mod rooms;
mod story;
mod sweep;
mod webhooks;
