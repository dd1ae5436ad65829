//! Granting credits: one ledger entry under a fresh idempotency key.

use chrono::Utc;
use onair_domain::{AccountId, Credits, LedgerReason};
use onair_store::{Applied, NewCreditEntry, Store, StoreResult};
use uuid::Uuid;

/// Grants `amount` (positive) to `account`; returns the new balance. `key` makes a retried grant
/// (same key) a no-op; `None` generates a fresh one.
pub async fn grant<S: Store>(
    store: &S,
    account: AccountId,
    amount: Credits,
    key: Option<String>,
) -> StoreResult<Applied> {
    store
        .apply_credit(NewCreditEntry {
            account,
            delta: amount,
            reason: LedgerReason::AdminGrant,
            stream: None,
            idempotency_key: key.unwrap_or_else(|| format!("admin_grant:{}", Uuid::now_v7())),
            now: Utc::now(),
        })
        .await
}
