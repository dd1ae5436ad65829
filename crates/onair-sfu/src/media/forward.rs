//! The per-subscription forwarding seam: which packets of a published track reach one
//! subscriber, and with what sequence number and timestamp.
//!
//! Deliberately small: one [`Forwarder`] per (subscriber, track) decides per packet, knowing only
//! the layer the packet belongs to, the layer it should be on, and whether the packet starts a
//! keyframe. Layer switches happen only at a keyframe of the target layer, and the outgoing
//! sequence numbers and timestamps stay continuous across switches. Richer primitives (VP8
//! picture-id munging, temporal layers) replace this module without touching the rooms.

use std::time::Instant;

/// A simulcast layer: 0 = `q` (or the only layer), 1 = `h`, 2 = `f`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Layer(pub u8);

impl Layer {
    /// LiveKit's rid names; an unknown rid counts as the highest layer (as the clients do).
    pub fn from_rid(rid: Option<&str>) -> Layer {
        match rid {
            None | Some("q") => Layer(0),
            Some("h") => Layer(1),
            _ => Layer(2),
        }
    }
}

/// What to do with one packet for one subscriber.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Not for this subscriber (another layer).
    Drop,
    /// On the target layer but the subscriber waits for a keyframe there: ask the publisher.
    NeedKeyframe,
    /// Send it with these rewritten values.
    Forward {
        /// Extended outgoing sequence number.
        seq: u64,
        /// Outgoing RTP timestamp.
        timestamp: u32,
    },
}

/// First outgoing sequence number. Below 65536 so the SRTP rollover counter starts at 0, which is
/// what the receiver assumes (str0m's `RtpWrite::new` docs).
const FIRST_SEQ: u64 = 1000;

/// Rewrites one track's packets for one subscriber.
#[derive(Debug, Clone)]
pub struct Forwarder {
    /// Audio needs no keyframe to start.
    needs_keyframes: bool,
    /// RTP clock rate, for the timestamp gap across a switch.
    clock_rate: u32,
    /// Layer currently forwarded; `None` until the first keyframe.
    current: Option<Layer>,
    /// Added to incoming extended sequence numbers of the current layer.
    seq_offset: i64,
    /// Added (wrapping) to incoming timestamps of the current layer.
    ts_offset: u32,
    /// Highest sequence number sent.
    last_seq: u64,
    /// Timestamp and arrival time of the last packet sent.
    last_sent: Option<(u32, Instant)>,
}

impl Forwarder {
    /// A forwarder that has sent nothing yet.
    pub fn new(needs_keyframes: bool, clock_rate: u32) -> Self {
        Self {
            needs_keyframes,
            clock_rate,
            current: None,
            seq_offset: 0,
            ts_offset: 0,
            last_seq: FIRST_SEQ - 1,
            last_sent: None,
        }
    }

    /// The layer being forwarded, if any.
    pub fn current(&self) -> Option<Layer> {
        self.current
    }

    /// Decides for one packet of `layer` while the subscriber should receive `target`.
    pub fn push(
        &mut self,
        layer: Layer,
        target: Layer,
        seq: u64,
        timestamp: u32,
        keyframe: bool,
        arrival: Instant,
    ) -> Verdict {
        let switch = if self.current == Some(layer) {
            false
        } else if layer == target && (keyframe || !self.needs_keyframes) {
            true
        } else if layer == target {
            return Verdict::NeedKeyframe;
        } else {
            return Verdict::Drop;
        };
        if switch {
            self.current = Some(layer);
            let out_seq = self.last_seq + 1;
            self.seq_offset = out_seq as i64 - seq as i64;
            self.ts_offset = match self.last_sent {
                // Continue from the last timestamp sent, advanced by the time that passed.
                Some((last_ts, at)) => {
                    let gap = arrival.saturating_duration_since(at).as_micros() as u64
                        * self.clock_rate as u64
                        / 1_000_000;
                    last_ts
                        .wrapping_add(gap.max(1) as u32)
                        .wrapping_sub(timestamp)
                }
                None => 0,
            };
        }
        let out = seq as i64 + self.seq_offset;
        // Far older than anything sent (a reordered packet from before a switch): drop.
        if out <= 0 || (out as u64) + 1000 < self.last_seq {
            return Verdict::Drop;
        }
        let out = out as u64;
        let ts = timestamp.wrapping_add(self.ts_offset);
        if out > self.last_seq {
            self.last_seq = out;
            self.last_sent = Some((ts, arrival));
        }
        Verdict::Forward {
            seq: out,
            timestamp: ts,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn video_starts_at_a_keyframe_on_the_target_layer() {
        let t0 = Instant::now();
        let mut f = Forwarder::new(true, 90_000);
        assert_eq!(
            f.push(Layer(2), Layer(2), 70_000, 5000, false, t0),
            Verdict::NeedKeyframe
        );
        assert_eq!(
            f.push(Layer(0), Layer(2), 10, 5000, true, t0),
            Verdict::Drop
        );
        assert_eq!(
            f.push(Layer(2), Layer(2), 70_001, 8000, true, t0),
            Verdict::Forward {
                seq: FIRST_SEQ,
                timestamp: 8000
            }
        );
        assert_eq!(
            f.push(Layer(2), Layer(2), 70_002, 8000, false, t0),
            Verdict::Forward {
                seq: FIRST_SEQ + 1,
                timestamp: 8000
            }
        );
        // A gap in the input stays a gap (the subscriber NACKs it).
        assert_eq!(
            f.push(Layer(2), Layer(2), 70_005, 11000, false, t0),
            Verdict::Forward {
                seq: FIRST_SEQ + 4,
                timestamp: 11000
            }
        );
    }

    #[test]
    fn switching_layers_keeps_sequence_and_timestamps_continuous() {
        let t0 = Instant::now();
        let mut f = Forwarder::new(true, 90_000);
        f.push(Layer(0), Layer(0), 100, 1_000, true, t0);
        f.push(
            Layer(0),
            Layer(0),
            101,
            4_000,
            false,
            t0 + Duration::from_millis(33),
        );
        // Target moves up: old layer continues until the new one has a keyframe.
        assert!(matches!(
            f.push(
                Layer(0),
                Layer(1),
                102,
                7_000,
                false,
                t0 + Duration::from_millis(33)
            ),
            Verdict::Forward { seq: 1002, .. }
        ));
        assert_eq!(
            f.push(Layer(1), Layer(1), 9_000, 400_000, false, t0),
            Verdict::NeedKeyframe
        );
        let at = t0 + Duration::from_millis(66);
        let Verdict::Forward { seq, timestamp } =
            f.push(Layer(1), Layer(1), 9_001, 400_000, true, at)
        else {
            panic!()
        };
        assert_eq!(seq, 1003);
        assert_eq!(timestamp, 7_000 + 2_970);
        assert_eq!(f.current(), Some(Layer(1)));
        assert_eq!(
            f.push(Layer(0), Layer(1), 103, 10_000, false, at),
            Verdict::Drop
        );
    }

    #[test]
    fn audio_needs_no_keyframe_and_old_packets_are_dropped() {
        let t0 = Instant::now();
        let mut f = Forwarder::new(false, 48_000);
        assert!(matches!(
            f.push(Layer(0), Layer(0), 5000, 0, false, t0),
            Verdict::Forward { seq: FIRST_SEQ, .. }
        ));
        assert_eq!(f.push(Layer(0), Layer(0), 10, 0, false, t0), Verdict::Drop);
        assert_eq!(Layer::from_rid(Some("f")), Layer(2));
        assert_eq!(Layer::from_rid(None), Layer(0));
    }
}
