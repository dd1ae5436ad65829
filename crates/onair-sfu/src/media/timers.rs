//! The engine's peer deadlines as a min-heap, so a loop iteration touches only the peers that
//! are due instead of scanning every peer twice (once for what is due, once for the next
//! deadline).
//!
//! Lazy deletion: a peer's new deadline is pushed without removing its old entry; an entry is
//! acted on only if it still equals the peer's current deadline. Stale entries leave the heap
//! when their time comes, and the heap is rebuilt from the peers' current deadlines if it ever
//! holds more than a few entries per peer, so memory stays bounded.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Instant;

use crate::ids::ParticipantSid;

/// Entries per live deadline the heap may hold before it is rebuilt.
const SLACK: usize = 4;

/// See the module docs. `usize` is the PC index (`peer::idx`).
#[derive(Debug, Default)]
pub struct PeerTimers {
    heap: BinaryHeap<Reverse<(Instant, ParticipantSid, usize)>>,
}

impl PeerTimers {
    /// Wake `sid`'s PC `pc` at `at`.
    pub fn schedule(&mut self, at: Instant, sid: &ParticipantSid, pc: usize) {
        self.heap.push(Reverse((at, sid.clone(), pc)));
    }

    /// The earliest entry (possibly stale: then the wake-up finds nothing to do).
    pub fn next(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse((at, _, _))| *at)
    }

    /// Takes every entry due at `now`, earliest first.
    pub fn take_due(&mut self, now: Instant) -> Vec<(Instant, ParticipantSid, usize)> {
        let mut due = Vec::new();
        while self
            .heap
            .peek()
            .is_some_and(|Reverse((at, _, _))| *at <= now)
        {
            if let Some(Reverse(entry)) = self.heap.pop() {
                due.push(entry);
            }
        }
        due
    }

    /// Whether stale entries have piled up beyond [`SLACK`] per live deadline.
    pub fn crowded(&self, live: usize) -> bool {
        self.heap.len() > SLACK * live + 64
    }

    /// Replaces the heap with the peers' current deadlines.
    pub fn rebuild(&mut self, live: impl Iterator<Item = (Instant, ParticipantSid, usize)>) {
        self.heap = live.map(Reverse).collect();
    }

    /// Entries held (live and stale).
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.heap.len()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn due_entries_come_out_in_order_and_the_heap_stays_bounded() {
        let t0 = Instant::now();
        let (a, b) = (ParticipantSid::generate(), ParticipantSid::generate());
        let mut timers = PeerTimers::default();
        timers.schedule(t0 + Duration::from_millis(30), &a, 0);
        timers.schedule(t0 + Duration::from_millis(10), &b, 1);
        timers.schedule(t0 + Duration::from_millis(20), &a, 1);
        assert_eq!(timers.next(), Some(t0 + Duration::from_millis(10)));
        let due = timers.take_due(t0 + Duration::from_millis(20));
        assert_eq!(
            due.iter()
                .map(|(_, s, pc)| (s.clone(), *pc))
                .collect::<Vec<_>>(),
            vec![(b.clone(), 1), (a.clone(), 1)]
        );
        assert_eq!(timers.len(), 1);
        for i in 0..1000 {
            timers.schedule(t0 + Duration::from_secs(i), &a, 0);
        }
        assert!(timers.crowded(1));
        timers.rebuild([(t0, a.clone(), 0)].into_iter());
        assert!(!timers.crowded(1));
        assert_eq!(timers.len(), 1);
    }
}
