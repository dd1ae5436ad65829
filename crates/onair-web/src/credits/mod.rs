//! Credits: the caller's ledger, and admin grants (API and CLI).

pub mod api;
pub mod service;

pub use api::router;
