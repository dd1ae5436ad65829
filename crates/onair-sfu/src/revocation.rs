//! Tokens revoked by RemoveParticipant's `revoke_token_ts`, per (room, identity).
//!
//! LiveKit's `RoomParticipantIdentity.revoke_token_ts` is "a Unix timestamp used to invalidate
//! tokens whose `nbf` is before this value; defaults to now(server) + leeway (1 min) if left
//! empty". A removed participant therefore cannot come back with the token it held (every SDK
//! writes `nbf` = the second it minted the token), while a token minted after the cut-off joins.
//! The check runs where the other token checks run ([`crate::auth::Authenticator`]), so a
//! revoked token is a 401 before any state exists for the caller.
//!
//! Choices where LiveKit is silent:
//! - The timestamp is in seconds, as the protocol says and the Node and Python SDKs' users pass
//!   it; the Rust SDK's field doc says milliseconds, so a value too large to be seconds
//!   (≥ 10¹¹, the year 5138) is read as milliseconds. A negative value revokes nothing.
//! - The cut-off is recorded even when the participant is not in the room (RemoveParticipant
//!   still answers `not_found`): someone between a signal loss and a rejoin cannot slip back.
//! - An entry lives [`REVOCATION_TTL`] past its cut-off (or past now, if the cut-off is in the
//!   past), independent of the room: LiveKit's SDKs mint 6-hour tokens by default and the
//!   platform's are 2 h (viewers) and 6 h (creators), so a revoked token has expired long before
//!   its entry goes. A second revocation of the same identity keeps the later cut-off.
//! - At most [`MAX_REVOCATIONS`] entries: when full, expired entries go first, then the one
//!   closest to expiring (a warning is logged), so memory stays bounded under any call rate.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use crate::ids::{Identity, RoomName};

/// How long an entry outlives its cut-off.
pub const REVOCATION_TTL: Duration = Duration::from_secs(24 * 3600);
/// What an empty (`0`) `revoke_token_ts` adds to now, as LiveKit documents.
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(60);
/// Most entries kept at once.
pub const MAX_REVOCATIONS: usize = 100_000;
/// Timestamps at or above this are milliseconds (10¹¹ s is in the year 5138).
const MILLIS_THRESHOLD: i64 = 100_000_000_000;

/// The cut-off in Unix seconds that a request's `revoke_token_ts` asks for, given the server's
/// clock; `None` when it revokes nothing (negative).
pub fn cutoff(requested: i64, now_unix: u64) -> Option<u64> {
    match requested {
        0 => Some(now_unix + DEFAULT_LEEWAY.as_secs()),
        ts if ts < 0 => None,
        ts if ts >= MILLIS_THRESHOLD => Some(ts as u64 / 1000),
        ts => Some(ts as u64),
    }
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    /// Tokens whose `nbf` is before this (Unix seconds) are refused.
    not_before: u64,
    /// When the entry is forgotten (Unix seconds).
    expires: u64,
}

/// The revocation table, shared by the RoomService handler (writes) and the signalling
/// endpoints (reads). A plain mutex: it is touched once per join and once per removal, never
/// on the packet path, and no lock is held across an await.
#[derive(Debug, Default)]
pub struct Revocations {
    entries: Mutex<HashMap<(RoomName, Identity), Entry>>,
}

impl Revocations {
    /// Refuses tokens of `identity` in `room` whose `nbf` is before `not_before` (Unix s).
    pub fn revoke(&self, room: RoomName, identity: Identity, not_before: u64, now_unix: u64) {
        let expires = not_before.max(now_unix) + REVOCATION_TTL.as_secs();
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let key = (room, identity);
        if !entries.contains_key(&key) && entries.len() >= MAX_REVOCATIONS {
            entries.retain(|_, e| e.expires > now_unix);
            if entries.len() >= MAX_REVOCATIONS {
                let soonest = entries
                    .iter()
                    .min_by_key(|(_, e)| e.expires)
                    .map(|(k, _)| k.clone());
                if let Some(soonest) = soonest {
                    tracing::warn!(room = %soonest.0, identity = %soonest.1, "revocation table full; forgetting the entry closest to expiry");
                    entries.remove(&soonest);
                }
            }
        }
        let entry = entries.entry(key).or_insert(Entry {
            not_before,
            expires,
        });
        entry.not_before = entry.not_before.max(not_before);
        entry.expires = entry.expires.max(expires);
    }

    /// Whether a token of `identity` for `room` with this `nbf` (Unix s) has been revoked.
    pub fn is_revoked(
        &self,
        room: &RoomName,
        identity: &Identity,
        nbf: u64,
        now_unix: u64,
    ) -> bool {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries
            .get(&(room.clone(), identity.clone()))
            .is_some_and(|e| e.expires > now_unix && nbf < e.not_before)
    }

    /// How many entries are kept (expired ones included until the next purge).
    pub fn len(&self) -> usize {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Whether no revocation is recorded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_800_000_000;

    fn key(room: &str, who: &str) -> (RoomName, Identity) {
        (room.parse().unwrap(), who.parse().unwrap())
    }

    #[test]
    fn cutoff_reads_seconds_milliseconds_and_the_default() {
        assert_eq!(cutoff(0, NOW), Some(NOW + 60));
        assert_eq!(cutoff(NOW as i64 - 5, NOW), Some(NOW - 5));
        assert_eq!(cutoff((NOW as i64 - 5) * 1000 + 999, NOW), Some(NOW - 5));
        assert_eq!(cutoff(-1, NOW), None);
    }

    #[test]
    fn tokens_before_the_cutoff_are_refused_and_later_ones_join() {
        let table = Revocations::default();
        let (room, bob) = key("studio", "bob");
        table.revoke(room.clone(), bob.clone(), NOW, NOW);
        assert!(table.is_revoked(&room, &bob, NOW - 1, NOW));
        assert!(!table.is_revoked(&room, &bob, NOW, NOW));
        // Other rooms and other identities are untouched.
        let (other_room, alice) = key("other", "alice");
        assert!(!table.is_revoked(&other_room, &bob, NOW - 1, NOW));
        assert!(!table.is_revoked(&room, &alice, NOW - 1, NOW));
    }

    #[test]
    fn the_later_cutoff_wins_and_entries_expire() {
        let table = Revocations::default();
        let (room, bob) = key("studio", "bob");
        table.revoke(room.clone(), bob.clone(), NOW + 10, NOW);
        table.revoke(room.clone(), bob.clone(), NOW - 10, NOW);
        assert!(table.is_revoked(&room, &bob, NOW + 5, NOW));
        let gone = NOW + 10 + REVOCATION_TTL.as_secs();
        assert!(table.is_revoked(&room, &bob, NOW, gone - 1));
        assert!(!table.is_revoked(&room, &bob, NOW, gone));
    }

    #[test]
    fn a_full_table_drops_expired_entries_then_the_soonest_to_expire() {
        let table = Revocations::default();
        let room: RoomName = "studio".parse().unwrap();
        for i in 0..MAX_REVOCATIONS {
            // The first entry expires earliest.
            let at = NOW + i as u64;
            table.revoke(room.clone(), format!("v{i}").parse().unwrap(), at, NOW);
        }
        assert_eq!(table.len(), MAX_REVOCATIONS);
        let late = NOW + MAX_REVOCATIONS as u64;
        table.revoke(room.clone(), "late".parse().unwrap(), late, NOW);
        assert_eq!(table.len(), MAX_REVOCATIONS);
        let (v0, v1) = ("v0".parse().unwrap(), "v1".parse().unwrap());
        assert!(!table.is_revoked(&room, &v0, 0, NOW));
        assert!(table.is_revoked(&room, &v1, 0, NOW));
        // Once entries have expired, they are what makes room.
        let much_later = late + REVOCATION_TTL.as_secs() + 1;
        table.revoke(
            room.clone(),
            "later".parse().unwrap(),
            much_later,
            much_later,
        );
        assert_eq!(table.len(), 1);
    }
}
