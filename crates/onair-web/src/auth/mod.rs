//! Accounts: signup, login, logout and the session behind every signed-in request.

pub mod api;
pub(crate) mod csrf;
pub mod password;
pub mod session;

pub use api::router;
