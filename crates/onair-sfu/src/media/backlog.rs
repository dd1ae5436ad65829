//! Reliable data packets for a participant whose `_reliable` data channel (on its subscriber PC,
//! created by the server) is not open yet: a chat message sent while a viewer is still
//! connecting is held and delivered, in order, the moment the channel opens.
//!
//! Bounded by [`MAX_PACKETS`] and [`MAX_BYTES`] (which fit in str0m's SCTP send buffer, so the
//! whole backlog can be written at once); when full, newer packets are dropped and counted, so
//! a participant that never connects cannot hold unbounded memory. Lossy packets are never held:
//! late is as good as lost for them.

use std::collections::VecDeque;

/// Packets held per participant.
pub const MAX_PACKETS: usize = 256;
/// Bytes held per participant (str0m buffers 128 KiB per SCTP association).
pub const MAX_BYTES: usize = 64 * 1024;

/// See the module docs.
#[derive(Debug, Default)]
pub struct DataBacklog {
    packets: VecDeque<Vec<u8>>,
    bytes: usize,
    /// Packets refused because the backlog was full.
    pub dropped: u64,
}

impl DataBacklog {
    /// Holds an encoded packet; `false` (and counted) when the backlog is full.
    pub fn push(&mut self, packet: Vec<u8>) -> bool {
        if self.packets.len() >= MAX_PACKETS || self.bytes + packet.len() > MAX_BYTES {
            self.dropped += 1;
            return false;
        }
        self.bytes += packet.len();
        self.packets.push_back(packet);
        true
    }

    /// Packets held.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.packets.len()
    }

    /// Whether nothing is held.
    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.packets.is_empty()
    }

    /// Everything held, oldest first, leaving the backlog empty.
    pub fn take(&mut self) -> VecDeque<Vec<u8>> {
        self.bytes = 0;
        std::mem::take(&mut self.packets)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_in_order_up_to_its_bounds() {
        let mut b = DataBacklog::default();
        assert!(b.push(vec![1]));
        assert!(b.push(vec![2]));
        assert_eq!(b.take(), VecDeque::from([vec![1], vec![2]]));
        assert!(b.take().is_empty());
        for _ in 0..MAX_PACKETS {
            assert!(b.push(vec![0]));
        }
        assert!(!b.push(vec![0]));
        b.take();
        assert!(b.push(vec![0; MAX_BYTES]));
        assert!(!b.push(vec![0]));
        assert_eq!(b.dropped, 2);
    }
}
