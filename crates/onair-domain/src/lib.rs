//! OnAir's domain: the rules of the product with no IO and no clock.
//!
//! Every other crate speaks these types. Web handlers parse requests into them
//! ([`StreamTitle::parse`], [`Email::parse`], …), ask them for decisions
//! ([`StreamStatus::transition`], [`Credits::checked_sub`]) and hand the outcome to the store,
//! which persists it with a conditional update. Time is always passed in.
//!
//! Keeping the rules here means they are unit-tested without a database and read in one place.

pub mod account;
pub mod credits;
pub mod ids;
pub mod stream;

pub use account::{DisplayName, Email, Password, Role, ValidationError};
pub use credits::{CreditError, Credits, LedgerReason};
pub use ids::{AccountId, IdError, RoomName, StreamId};
pub use stream::{
    EndReason, StreamDescription, StreamError, StreamStatus, StreamTitle, Transition,
};
