//! Keeps VP8 PictureID, TL0PICIDX and KEYIDX continuous across sources (layer switches).

use super::{Vp8Descriptor, Vp8Patch};

/// One field's continuity state: `out = (in + offset) mod modulus`, rebased at a new source so
/// its first value is the newest value sent + 1.
#[derive(Debug, Clone, Copy, Default)]
struct Field {
    offset: u16,
    /// The newest outgoing value, `None` before the first.
    newest: Option<u16>,
    /// A new source started and this field has not been rebased on it yet.
    rebase: bool,
}

impl Field {
    /// `modulus` is the width of this packet's field (a power of two); offsets are kept in the
    /// widest space of the field (`space`) so a 7-bit picture id stays continuous modulo 128.
    fn map(&mut self, value: u16, modulus: u16, space: u16) -> u16 {
        let mask = modulus - 1;
        if self.rebase {
            self.rebase = false;
            if let Some(newest) = self.newest {
                self.offset = newest.wrapping_add(1).wrapping_sub(value) & (space - 1);
            }
        }
        let out = value.wrapping_add(self.offset) & mask;
        let newer = match self.newest {
            None => true,
            Some(n) => {
                let d = out.wrapping_sub(n) & mask;
                d != 0 && d < modulus / 2
            }
        };
        if newer {
            self.newest = Some(out);
        }
        out
    }
}

/// Per-forwarder VP8 state. Feed every forwarded packet's descriptor to [`Vp8Munger::map`]
/// and call [`Vp8Munger::start_source`] when a new source starts (before its first packet).
#[derive(Debug, Clone, Default)]
pub struct Vp8Munger {
    picture_id: Field,
    tl0_pic_idx: Field,
    key_idx: Field,
}

impl Vp8Munger {
    pub fn new() -> Self {
        Self::default()
    }

    /// The next packet is the first of a new source: its values will follow the newest sent.
    pub fn start_source(&mut self) {
        self.picture_id.rebase = true;
        self.tl0_pic_idx.rebase = true;
        self.key_idx.rebase = true;
    }

    /// The values this packet must carry on the way out.
    pub fn map(&mut self, d: &Vp8Descriptor) -> Vp8Patch {
        Vp8Patch {
            picture_id: d
                .picture_id
                .map(|p| self.picture_id.map(p.value, p.modulus(), 1 << 15)),
            tl0_pic_idx: d
                .tl0_pic_idx
                .map(|v| self.tl0_pic_idx.map(u16::from(v), 256, 256) as u8),
            key_idx: d
                .key_idx
                .map(|v| self.key_idx.map(u16::from(v), 32, 32) as u8),
        }
    }
}
