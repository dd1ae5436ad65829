//! Containment of str0m panics. A panic inside an `Rtc` is a str0m bug, possibly triggered by
//! hostile input (str0m's docs suggest catching it per peer). Every call into a participant's
//! `Rtc` goes through [`guard`]: a panic becomes [`PeerError::Panicked`], that participant is
//! disconnected (its `Rtc` is never touched again, not even to say goodbye), and the server and
//! everyone else carry on.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Instant;

use super::Engine;
use crate::ids::ParticipantSid;

/// Why a participant's peer connection is unusable.
#[derive(Debug, thiserror::Error)]
pub enum PeerError {
    /// str0m reported an error (a broken DTLS/SCTP session, a bad packet it refuses to go on from).
    #[error(transparent)]
    Rtc(#[from] str0m::RtcError),
    /// str0m panicked; the `Rtc`'s state cannot be trusted.
    #[error("str0m panicked")]
    Panicked,
}

/// Runs one call into an `Rtc`, turning a panic into [`PeerError::Panicked`].
///
/// Unwind safety is asserted: after a panic the `Rtc` (the only state the closure mutates
/// that outlives it) is marked poisoned by the caller and dropped, never used again.
pub fn guard<T>(f: impl FnOnce() -> T) -> Result<T, PeerError> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|_| {
        tracing::error!("a peer connection panicked; disconnecting its participant");
        PeerError::Panicked
    })
}

impl Engine {
    /// A participant's `Rtc` failed: it is disconnected; after a panic its `Rtc` is poisoned so
    /// that nothing touches it again.
    pub(super) fn peer_failed(&mut self, now: Instant, sid: &ParticipantSid, error: &PeerError) {
        tracing::info!(participant = %sid, %error, "peer failed");
        if let (PeerError::Panicked, Some(peer)) = (error, self.peers.get_mut(sid)) {
            peer.poisoned = true;
        }
        self.fail(now, sid);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_error_and_a_value_passes_through() {
        assert_eq!(guard(|| 7).ok(), Some(7));
        let caught = guard(|| -> u8 { panic!("injected") });
        assert!(matches!(caught, Err(PeerError::Panicked)));
    }
}
