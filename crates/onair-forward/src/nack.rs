//! NACK handling: expand RTCP generic NACK entries, translate a subscriber's lost outgoing
//! numbers to the publisher's (layer, sequence number), and a bounded per-layer packet cache to
//! resend from.
//!
//! str0m answers NACKs from its own send buffer for packets written as nackable, so the SFU
//! needs this only where that buffer cannot help (e.g. a packet older than str0m keeps, or a
//! transport without it); the translation is also what lets the SFU ask the publisher again.

use crate::seq::{Origin, SeqMunger};
use crate::types::Layer;

/// The sequence numbers one RTCP generic NACK entry (RFC 4585 §6.2.1) names: `pid`, then
/// `pid + i + 1` for every set bit `i` of the bitmask `blp`.
pub fn expand(pid: u16, blp: u16) -> impl Iterator<Item = u16> {
    std::iter::once(pid).chain(
        (0..16)
            .filter(move |i| blp & (1 << i) != 0)
            .map(move |i| pid.wrapping_add(i + 1)),
    )
}

/// The publisher packets to resend for a subscriber's lost outgoing numbers. Numbers the SFU
/// never forwarded (upstream loss, deliberate drops, too old) are left out: there is nothing to
/// resend for them.
pub fn translate<'a>(
    munger: &'a SeqMunger,
    lost: impl IntoIterator<Item = u16> + 'a,
) -> impl Iterator<Item = (u16, Layer, u64)> + 'a {
    lost.into_iter()
        .filter_map(move |out| match munger.origin(out) {
            Origin::Forwarded { layer, seq } => Some((out, layer, seq)),
            _ => None,
        })
}

/// A capacity that is not a power of two between 1 and 65 536.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("packet cache capacity {0} must be a power of two between 1 and 65536")]
pub struct CapacityError(pub usize);

/// The last `capacity` packets of one layer, keyed by extended incoming sequence number. O(1)
/// insert and lookup, fixed memory; `T` is whatever the SFU keeps per packet (e.g. a shared
/// payload plus header fields).
#[derive(Debug, Clone)]
pub struct PacketCache<T> {
    slots: Box<[Option<(u64, T)>]>,
    mask: u64,
    highest: Option<u64>,
}

impl<T> PacketCache<T> {
    pub fn new(capacity: usize) -> Result<Self, CapacityError> {
        if !capacity.is_power_of_two() || capacity > 65536 {
            return Err(CapacityError(capacity));
        }
        Ok(PacketCache {
            slots: (0..capacity).map(|_| None).collect(),
            mask: capacity as u64 - 1,
            highest: None,
        })
    }

    /// Stores a packet. One older than the window is refused (`false`): storing it would evict
    /// a newer one.
    pub fn insert(&mut self, seq: u64, packet: T) -> bool {
        let window = self.mask + 1;
        match self.highest {
            Some(h) if seq.saturating_add(window) <= h => return false,
            Some(h) if seq <= h => {}
            _ => self.highest = Some(seq),
        }
        self.slots[(seq & self.mask) as usize] = Some((seq, packet));
        true
    }

    /// The packet stored under `seq`, if it is still inside the window.
    pub fn get(&self, seq: u64) -> Option<&T> {
        if self
            .highest
            .is_some_and(|h| seq.saturating_add(self.mask + 1) <= h)
        {
            return None;
        }
        match &self.slots[(seq & self.mask) as usize] {
            Some((stored, packet)) if *stored == seq => Some(packet),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expand_table() {
        let table: &[(u16, u16, &[u16])] = &[
            (100, 0, &[100]),
            (100, 0b1, &[100, 101]),
            (100, 0b1000_0000_0000_0101, &[100, 101, 103, 116]),
            (65535, 0b11, &[65535, 0, 1]),
        ];
        for (pid, blp, want) in table {
            assert_eq!(
                expand(*pid, *blp).collect::<Vec<_>>(),
                *want,
                "{pid} {blp:b}"
            );
        }
    }

    #[test]
    fn translate_keeps_only_forwarded() {
        let mut m = SeqMunger::new(10, 64).unwrap();
        m.forward(Layer::LOW, 500).unwrap(); // out 10
        m.forward(Layer::LOW, 502).unwrap(); // 501 missing -> out 11, 502 -> out 12
        m.start_source(Layer::HIGH, 9000);
        m.forward(Layer::HIGH, 9000).unwrap(); // out 13
        let got: Vec<_> = translate(&m, expand(10, 0b1111_1111)).collect();
        assert_eq!(
            got,
            vec![
                (10, Layer::LOW, 500),
                (12, Layer::LOW, 502),
                (13, Layer::HIGH, 9000)
            ]
        );
    }

    #[test]
    fn cache_is_bounded_and_exact() {
        assert_eq!(PacketCache::<u8>::new(3).err(), Some(CapacityError(3)));
        assert_eq!(PacketCache::<u8>::new(0).err(), Some(CapacityError(0)));
        let mut c = PacketCache::new(4).unwrap();
        for seq in 10..20u64 {
            assert!(c.insert(seq, seq * 2));
        }
        assert_eq!(c.get(19), Some(&38));
        assert_eq!(c.get(16), Some(&32));
        assert_eq!(c.get(15), None, "evicted");
        assert_eq!(c.get(20), None, "not yet");
        assert!(!c.insert(15, 0), "older than the window");
        assert_eq!(c.get(19), Some(&38), "a refused insert evicts nothing");
        assert!(c.insert(17, 99), "late packet inside the window");
        assert_eq!(c.get(17), Some(&99));
        assert!(c.insert(1000, 1), "a jump forward");
        assert_eq!(c.get(1000), Some(&1));
        assert_eq!(c.get(19), None);
    }
}
