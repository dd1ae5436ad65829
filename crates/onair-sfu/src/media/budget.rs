//! How much data one participant may have relayed: a token bucket of packets and bytes.
//!
//! A data packet to the room is copied to every member, so one sender's rate is multiplied by
//! the room's size (a chat message to 300 viewers is 300 sends). The allowance is generous
//! for chat, reactions, cursors or game state at 60 Hz, and bounds what one participant can
//! make the server do: [`PACKETS_PER_SEC`] packets and [`BYTES_PER_SEC`] bytes sustained, with
//! bursts of twice that. Beyond it, packets are dropped (counted in
//! `Engine::dropped_data_packets`); LiveKit's reliable-data sequence numbers let clients see
//! the gap.

use std::time::Instant;

/// Sustained packets per second per sender.
pub const PACKETS_PER_SEC: f64 = 100.0;
/// Sustained bytes per second per sender.
pub const BYTES_PER_SEC: f64 = 1024.0 * 1024.0;
/// A full bucket holds this many seconds of the sustained rate.
const BURST_SECS: f64 = 2.0;

/// One sender's allowance.
#[derive(Debug, Clone)]
pub struct DataBudget {
    packets: f64,
    bytes: f64,
    at: Option<Instant>,
}

impl Default for DataBudget {
    fn default() -> Self {
        Self {
            packets: PACKETS_PER_SEC * BURST_SECS,
            bytes: BYTES_PER_SEC * BURST_SECS,
            at: None,
        }
    }
}

impl DataBudget {
    /// Whether a packet of `len` bytes may be relayed at `now` (and if so, it is spent).
    pub fn allow(&mut self, now: Instant, len: usize) -> bool {
        if let Some(at) = self.at {
            let secs = now.saturating_duration_since(at).as_secs_f64();
            self.packets =
                (self.packets + secs * PACKETS_PER_SEC).min(PACKETS_PER_SEC * BURST_SECS);
            self.bytes = (self.bytes + secs * BYTES_PER_SEC).min(BYTES_PER_SEC * BURST_SECS);
        }
        self.at = Some(now);
        let len = len as f64;
        if self.packets < 1.0 || self.bytes < len {
            return false;
        }
        self.packets -= 1.0;
        self.bytes -= len;
        true
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_burst_then_the_sustained_rate() {
        let start = Instant::now();
        let mut budget = DataBudget::default();
        let sent = (0..500).filter(|_| budget.allow(start, 100)).count();
        assert_eq!(sent, 200, "a burst of two seconds' worth");
        let later = start + Duration::from_millis(100);
        let sent = (0..500).filter(|_| budget.allow(later, 100)).count();
        assert_eq!(sent, 10, "then 100 per second");
    }

    #[test]
    fn bytes_count_too() {
        let now = Instant::now();
        let mut budget = DataBudget::default();
        assert!(budget.allow(now, 2 * 1024 * 1024));
        assert!(!budget.allow(now, 1), "two seconds of bytes spent at once");
        assert!(budget.allow(now + Duration::from_millis(10), 1000));
    }
}
