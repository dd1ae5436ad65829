//! Sequence-number munging: one continuous outgoing sequence per (subscriber, track), whatever
//! layer it is fed from, with a ring that maps outgoing numbers back to the publisher's.
//!
//! The outgoing sequence is kept extended (`u64`, starting below 65 536 so the subscriber's SRTP
//! rollover counter starts at 0) and follows the current *source* (one layer, from the keyframe
//! that started it) with an offset: `out = in - offset`.
//!
//! - An upstream gap (lost packets) reserves the missing outgoing numbers, so a packet that
//!   arrives late (reordered, or repaired by RTX) still gets its own number and the subscriber
//!   sees the same gap the SFU saw — which it will NACK.
//! - A packet the SFU chooses not to forward ([`SeqMunger::skip`], e.g. padding) shifts the
//!   offset by one when it is the newest, so it leaves no hole. A *late* skipped packet cannot
//!   take its reserved number back; that hole is marked so NACKs for it are ignored.
//! - A new source ([`SeqMunger::start_source`], a layer switch or a resume) continues at the
//!   last outgoing number + 1.
//! - Duplicates and packets older than the source or the window are dropped; one a whole
//!   window behind the newest is [`SeqDrop::Stale`] — the publisher's numbering started over —
//!   and the caller starts a new source with it (at a keyframe, for video).
//!
//! Two rings of `window` slots (a power of two) do the bookkeeping in O(1) per packet: one
//! indexed by incoming number (late packets find their reserved outgoing number), one indexed by
//! outgoing number (NACK translation).

use crate::types::Layer;

/// Default ring size for video: 512 packets is about a second of 720p.
pub const DEFAULT_VIDEO_WINDOW: usize = 512;
/// Default ring size for audio: Opus at 50 packets/s needs little history.
pub const DEFAULT_AUDIO_WINDOW: usize = 64;

/// Why an incoming packet got no outgoing sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeqDrop {
    /// Already forwarded (or already skipped): a duplicate.
    Duplicate,
    /// Older than the start of the current source or than the window: its slot is gone.
    TooOld,
    /// Behind the newest packet by more than a whole window: not reordering but a publisher
    /// whose sequence numbers started over (a new SSRC, a restarted encoder). Only a new source
    /// ([`SeqMunger::start_source`]) can take it.
    Stale,
    /// From a layer that is not the current source.
    OtherSource,
}

/// A ring size that is not a power of two between 2 and 32 768.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("sequence window {0} must be a power of two between 2 and 32768")]
pub struct WindowError(pub usize);

/// Where an outgoing sequence number came from, for NACK handling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Forwarded from this layer's incoming packet: resend it from the publisher-side cache.
    Forwarded { layer: Layer, seq: u64 },
    /// Reserved for a packet the SFU has not received (upstream loss): nothing to resend yet.
    Missing { layer: Layer, seq: u64 },
    /// A number the SFU deliberately left unused (a late packet it chose to drop).
    NotForwarded,
    /// Not one this munger handed out, or older than the window.
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Empty,
    Reserved,
    Sent,
    Dropped,
}

/// Indexed by incoming number; `out` is the low 16 bits of the outgoing number it maps to.
#[derive(Debug, Clone, Copy)]
struct InSlot {
    seq: u16,
    out: u16,
    state: Slot,
}

/// Indexed by outgoing number.
#[derive(Debug, Clone, Copy)]
struct OutSlot {
    in_seq: u64,
    out: u16,
    layer: Layer,
    state: Slot,
}

const IN_EMPTY: InSlot = InSlot {
    seq: 0,
    out: 0,
    state: Slot::Empty,
};
const OUT_EMPTY: OutSlot = OutSlot {
    in_seq: 0,
    out: 0,
    layer: Layer::BASE,
    state: Slot::Empty,
};

/// The source currently forwarded.
#[derive(Debug, Clone, Copy)]
struct Source {
    layer: Layer,
    /// The incoming number that started the source; anything older is too old.
    start: u64,
    /// Highest incoming number relative to `start` (-1 before the first packet).
    highest: i64,
    /// `out = in - offset` (wrapping) for packets newer than `highest`.
    offset: u64,
}

/// See the module docs.
#[derive(Debug, Clone)]
pub struct SeqMunger {
    mask: u64,
    ins: Box<[InSlot]>,
    outs: Box<[OutSlot]>,
    source: Option<Source>,
    /// The outgoing number the next new packet gets; everything below has been handed out
    /// (forwarded or reserved).
    next_out: u64,
    /// The first outgoing number, so the ring never answers for numbers before it.
    first_out: u64,
}

impl SeqMunger {
    /// `initial` is the first outgoing number (pick it at random per subscriber, below 65 536).
    pub fn new(initial: u16, window: usize) -> Result<Self, WindowError> {
        if !window.is_power_of_two() || !(2..=32768).contains(&window) {
            return Err(WindowError(window));
        }
        Ok(SeqMunger {
            mask: window as u64 - 1,
            ins: vec![IN_EMPTY; window].into_boxed_slice(),
            outs: vec![OUT_EMPTY; window].into_boxed_slice(),
            source: None,
            next_out: u64::from(initial),
            first_out: u64::from(initial),
        })
    }

    fn window(&self) -> u64 {
        self.mask + 1
    }

    /// The layer currently forwarded, if any.
    pub fn source_layer(&self) -> Option<Layer> {
        self.source.map(|s| s.layer)
    }

    /// The next outgoing number a new packet would get.
    pub fn next_out(&self) -> u64 {
        self.next_out
    }

    /// Starts forwarding a new source at incoming number `first`: its packets continue the
    /// outgoing sequence at the last handed-out number + 1. Packets older than `first` are
    /// dropped as too old.
    pub fn start_source(&mut self, layer: Layer, first: u64) {
        self.ins.fill(IN_EMPTY);
        // Numbers still reserved for the old source can never be filled now: its late packets
        // are dropped. Mark them so a NACK for them is not answered with an old-source packet
        // the new source may also carry.
        for slot in self.outs.iter_mut().filter(|s| s.state == Slot::Reserved) {
            slot.state = Slot::Dropped;
        }
        self.source = Some(Source {
            layer,
            start: first,
            highest: -1,
            offset: first.wrapping_sub(self.next_out),
        });
    }

    /// Maps a packet of the current source to its outgoing (extended) number. Without a source
    /// yet, this packet starts one.
    pub fn forward(&mut self, layer: Layer, seq: u64) -> Result<u64, SeqDrop> {
        let src = match self.source {
            Some(src) if src.layer == layer => src,
            Some(_) => return Err(SeqDrop::OtherSource),
            None => {
                self.start_source(layer, seq);
                self.source.ok_or(SeqDrop::OtherSource)?
            }
        };
        let rel = seq.wrapping_sub(src.start) as i64;
        if src.highest.saturating_sub(rel) >= self.window() as i64 {
            return Err(SeqDrop::Stale);
        }
        if rel < 0 {
            return Err(SeqDrop::TooOld);
        }
        if rel > src.highest {
            self.advance_to(src, seq, rel);
            let out = seq.wrapping_sub(src.offset);
            self.write(layer, seq, out, Slot::Sent);
            self.next_out = out + 1;
            return Ok(out);
        }
        let slot = self.late_slot(src, seq, rel)?;
        match slot.state {
            Slot::Reserved => {
                let out = self.extend_out(slot.out);
                self.write(layer, seq, out, Slot::Sent);
                Ok(out)
            }
            Slot::Sent | Slot::Dropped => Err(SeqDrop::Duplicate),
            Slot::Empty => Err(SeqDrop::TooOld),
        }
    }

    /// Records that the SFU will not forward this packet of the current source (padding,
    /// a frame it thins out). When it is the newest packet no outgoing number is used; when it
    /// is late, its reserved number stays a hole (marked, so NACKs for it are ignored).
    pub fn skip(&mut self, layer: Layer, seq: u64) {
        let Some(src) = self.source.filter(|s| s.layer == layer) else {
            return;
        };
        let rel = seq.wrapping_sub(src.start) as i64;
        if rel < 0 {
            return;
        }
        if rel > src.highest {
            self.advance_to(src, seq, rel);
            let idx = (seq & self.mask) as usize;
            self.ins[idx] = InSlot {
                seq: seq as u16,
                out: 0,
                state: Slot::Dropped,
            };
            // Numbers reserved for the gap before it are handed out; the skipped packet's own
            // number goes to the next packet instead.
            self.next_out = seq.wrapping_sub(src.offset);
            if let Some(s) = self.source.as_mut() {
                s.offset = s.offset.wrapping_add(1);
            }
            return;
        }
        if let Ok(slot) = self.late_slot(src, seq, rel)
            && slot.state == Slot::Reserved
        {
            let out = self.extend_out(slot.out);
            self.write(layer, seq, out, Slot::Dropped);
        }
    }

    /// Where an outgoing number came from (for NACKs from the subscriber).
    pub fn origin(&self, out_seq: u16) -> Origin {
        let back = u64::from((self.next_out as u16).wrapping_sub(out_seq));
        if back == 0 || back > self.window() || back > self.next_out - self.first_out {
            return Origin::Unknown;
        }
        let out = self.next_out - back;
        let slot = self.outs[(out & self.mask) as usize];
        if slot.out != out_seq {
            return Origin::Unknown;
        }
        match slot.state {
            Slot::Sent => Origin::Forwarded {
                layer: slot.layer,
                seq: slot.in_seq,
            },
            Slot::Reserved => Origin::Missing {
                layer: slot.layer,
                seq: slot.in_seq,
            },
            Slot::Dropped => Origin::NotForwarded,
            Slot::Empty => Origin::Unknown,
        }
    }

    /// Makes `seq` (relative `rel`) the newest packet of `src`, reserving outgoing numbers for
    /// the gap before it (at most a window's worth: older ones could never be looked up).
    fn advance_to(&mut self, src: Source, seq: u64, rel: i64) {
        let gap = (rel - src.highest - 1) as u64;
        let reserve = gap.min(self.window());
        for missing in (seq - reserve)..seq {
            let out = missing.wrapping_sub(src.offset);
            self.write(src.layer, missing, out, Slot::Reserved);
        }
        if let Some(s) = self.source.as_mut() {
            s.highest = rel;
        }
    }

    /// The ring slot of a late packet, if it is still inside the window.
    fn late_slot(&self, src: Source, seq: u64, rel: i64) -> Result<InSlot, SeqDrop> {
        if (src.highest - rel) as u64 >= self.window() {
            return Err(SeqDrop::TooOld);
        }
        let slot = self.ins[(seq & self.mask) as usize];
        if slot.state == Slot::Empty || slot.seq != seq as u16 {
            return Err(SeqDrop::TooOld);
        }
        Ok(slot)
    }

    /// An outgoing number from its low 16 bits; it is always within a window below `next_out`.
    fn extend_out(&self, out: u16) -> u64 {
        self.next_out - u64::from((self.next_out as u16).wrapping_sub(out))
    }

    fn write(&mut self, layer: Layer, seq: u64, out: u64, state: Slot) {
        self.ins[(seq & self.mask) as usize] = InSlot {
            seq: seq as u16,
            out: out as u16,
            state,
        };
        self.outs[(out & self.mask) as usize] = OutSlot {
            in_seq: seq,
            out: out as u16,
            layer,
            state,
        };
    }
}

#[cfg(test)]
mod tests;
