//! Streams: create, read, edit, go live, end, delete, and the public listing.

pub mod api;
pub mod service;
pub mod view;

pub use api::router;
