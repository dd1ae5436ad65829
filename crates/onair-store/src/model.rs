//! Rows as the rest of OnAir sees them.

use chrono::{DateTime, Utc};
use onair_domain::{
    AccountId, Credits, DisplayName, Email, EndReason, LedgerReason, Role, RoomName,
    StreamDescription, StreamId, StreamStatus, StreamTitle,
};

/// An account as shown to its owner (no password hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: AccountId,
    pub email: String,
    pub name: String,
    pub image: Option<String>,
    pub bio: String,
    pub role: Role,
    /// Cached sum of the ledger, updated in the same transaction as every entry.
    pub balance: Credits,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewAccount {
    pub id: AccountId,
    pub email: Email,
    pub name: DisplayName,
    /// argon2id PHC string.
    pub password_hash: String,
    pub role: Role,
    pub signup_grant: Credits,
    pub now: DateTime<Utc>,
}

/// The public face of a stream's creator, embedded in every stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Creator {
    pub id: AccountId,
    pub name: String,
    pub image: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stream {
    pub id: StreamId,
    pub creator: Creator,
    pub title: String,
    pub description: String,
    pub status: StreamStatus,
    pub room_name: RoomName,
    pub scheduled_for: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub ended_reason: Option<EndReason>,
    /// Viewers in the room now (the creator and hidden participants excluded). 0 unless LIVE.
    pub participant_count: u32,
    pub peak_viewers: u32,
    /// Live minutes already charged (per-minute metering).
    pub billed_minutes: u32,
    /// Set while the creator is out of the room; the grace-period sweeper reads it.
    pub creator_absent_since: Option<DateTime<Utc>>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewStream {
    pub id: StreamId,
    pub creator: AccountId,
    pub title: StreamTitle,
    pub description: StreamDescription,
    pub scheduled_for: Option<DateTime<Utc>>,
    pub now: DateTime<Utc>,
}

/// Fields to change; `None` leaves a field as it is. `scheduled_for: Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct StreamPatch {
    pub title: Option<StreamTitle>,
    pub description: Option<StreamDescription>,
    pub scheduled_for: Option<Option<DateTime<Utc>>>,
}

/// 1-based page of `limit` rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub page: u32,
    pub limit: u32,
}

impl Page {
    pub fn offset(self) -> u64 {
        u64::from(self.page.saturating_sub(1)) * u64::from(self.limit)
    }
}

#[derive(Debug, Clone)]
pub struct StreamFilter {
    pub status: Option<StreamStatus>,
    pub creator: Option<AccountId>,
    /// Case-insensitive substring of the title or description.
    pub query: Option<String>,
    pub page: Page,
}

#[derive(Debug, Clone)]
pub struct NewCreditEntry {
    pub account: AccountId,
    /// Positive for grants, negative for charges.
    pub delta: Credits,
    pub reason: LedgerReason,
    pub stream: Option<StreamId>,
    /// Unique across the ledger: a repeated key is a duplicate, not a second change.
    pub idempotency_key: String,
    pub now: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditEntry {
    pub id: i64,
    pub account: AccountId,
    pub delta: Credits,
    /// Balance after this entry.
    pub balance_after: Credits,
    pub reason: LedgerReason,
    pub stream: Option<StreamId>,
    pub idempotency_key: String,
    pub created_at: DateTime<Utc>,
}

/// Outcome of an idempotent credit change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// Written now; the new balance.
    New { balance: Credits },
    /// The idempotency key was already used; nothing changed.
    Duplicate,
}
