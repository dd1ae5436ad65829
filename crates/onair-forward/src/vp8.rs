//! VP8 RTP payload descriptor (RFC 7741 §4.2): parse, keyframe detection, and the in-place
//! rewrite of PictureID, TL0PICIDX and KEYIDX that keeps them continuous across layer switches.
//!
//! ```text
//!       0 1 2 3 4 5 6 7
//!      +-+-+-+-+-+-+-+-+
//!      |X|R|N|S|R| PID | (REQUIRED)
//!      +-+-+-+-+-+-+-+-+
//! X:   |I|L|T|K| RSV   | (OPTIONAL)
//!      +-+-+-+-+-+-+-+-+
//! I:   |M| PictureID   | (OPTIONAL, 7 bits, or 15 with M and a second byte)
//!      +-+-+-+-+-+-+-+-+
//! L:   |   TL0PICIDX   | (OPTIONAL)
//!      +-+-+-+-+-+-+-+-+
//! T/K: |TID|Y| KEYIDX  | (OPTIONAL)
//!      +-+-+-+-+-+-+-+-+
//! ```
//! The VP8 payload header follows; its first byte's bit 0 (P) is 0 on a keyframe, which counts
//! only on the first packet of partition 0 (S=1, PID=0).

mod munger;

pub use munger::Vp8Munger;

/// A payload too short for what its own bits announce. Never a panic: payloads come from the
/// network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Vp8Error {
    #[error("empty VP8 payload")]
    Empty,
    #[error("VP8 payload of {len} bytes is truncated: the descriptor needs {needed}")]
    Truncated { needed: usize, len: usize },
}

/// A picture id and the width it was sent with (7 or 15 bits); the rewrite keeps the width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PictureId {
    pub value: u16,
    pub wide: bool,
}

impl PictureId {
    /// The modulus of this width: 128 or 32 768.
    pub fn modulus(self) -> u16 {
        if self.wide { 1 << 15 } else { 1 << 7 }
    }
}

/// Temporal layer information (present when T=1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Temporal {
    pub tid: u8,
    /// Y: the frame depends only on the base layer (a switching point).
    pub layer_sync: bool,
}

/// The parsed descriptor of one packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Vp8Descriptor {
    /// N: the frame is not used as a reference, so it may be dropped.
    pub non_reference: bool,
    /// S: the packet starts a partition.
    pub start_of_partition: bool,
    pub partition_id: u8,
    pub picture_id: Option<PictureId>,
    pub tl0_pic_idx: Option<u8>,
    pub temporal: Option<Temporal>,
    pub key_idx: Option<u8>,
    /// Descriptor length in bytes: where the VP8 payload starts.
    pub len: usize,
    /// The packet starts a keyframe.
    pub keyframe: bool,
}

const X: u8 = 0x80;
const N: u8 = 0x20;
const S: u8 = 0x10;
const I: u8 = 0x80;
const L: u8 = 0x40;
const T: u8 = 0x20;
const K: u8 = 0x10;
const M: u8 = 0x80;

impl Vp8Descriptor {
    pub fn parse(payload: &[u8]) -> Result<Self, Vp8Error> {
        let truncated = |needed| Vp8Error::Truncated {
            needed,
            len: payload.len(),
        };
        let first = *payload.first().ok_or(Vp8Error::Empty)?;
        let mut d = Vp8Descriptor {
            non_reference: first & N != 0,
            start_of_partition: first & S != 0,
            partition_id: first & 0x07,
            picture_id: None,
            tl0_pic_idx: None,
            temporal: None,
            key_idx: None,
            len: 1,
            keyframe: false,
        };
        if first & X != 0 {
            let ext = *payload.get(1).ok_or(truncated(2))?;
            let mut at = 2;
            if ext & I != 0 {
                let b = *payload.get(at).ok_or(truncated(at + 1))?;
                if b & M != 0 {
                    let lo = *payload.get(at + 1).ok_or(truncated(at + 2))?;
                    d.picture_id = Some(PictureId {
                        value: (u16::from(b & 0x7f) << 8) | u16::from(lo),
                        wide: true,
                    });
                    at += 2;
                } else {
                    d.picture_id = Some(PictureId {
                        value: u16::from(b),
                        wide: false,
                    });
                    at += 1;
                }
            }
            if ext & L != 0 {
                d.tl0_pic_idx = Some(*payload.get(at).ok_or(truncated(at + 1))?);
                at += 1;
            }
            if ext & (T | K) != 0 {
                let b = *payload.get(at).ok_or(truncated(at + 1))?;
                if ext & T != 0 {
                    d.temporal = Some(Temporal {
                        tid: b >> 6,
                        layer_sync: b & 0x20 != 0,
                    });
                }
                if ext & K != 0 {
                    d.key_idx = Some(b & 0x1f);
                }
                at += 1;
            }
            d.len = at;
        }
        // A descriptor with no VP8 payload after it is not a packet we can forward.
        let header = *payload.get(d.len).ok_or(truncated(d.len + 1))?;
        d.keyframe = d.start_of_partition && d.partition_id == 0 && header & 0x01 == 0;
        Ok(d)
    }
}

/// Whether this VP8 payload starts a keyframe. Malformed payloads are not keyframes.
pub fn is_keyframe(payload: &[u8]) -> bool {
    Vp8Descriptor::parse(payload).is_ok_and(|d| d.keyframe)
}

/// Values to write into a packet's descriptor; a field is written only if the packet has it.
/// The values are already reduced to the packet's widths, so they can also be handed to str0m's
/// `Vp8Descriptor::patch()` builder, which applies them while serialising (no payload copy).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Vp8Patch {
    pub picture_id: Option<u16>,
    pub tl0_pic_idx: Option<u8>,
    pub key_idx: Option<u8>,
}

impl Vp8Patch {
    /// Rewrites the descriptor of `payload` in place, keeping the picture id width and the TID/Y
    /// bits. The payload is parsed first: a malformed one is an error and is left unchanged.
    pub fn apply(&self, payload: &mut [u8]) -> Result<(), Vp8Error> {
        let d = Vp8Descriptor::parse(payload)?;
        let mut at = 2;
        if let Some(pid) = d.picture_id {
            if let Some(value) = self.picture_id {
                if pid.wide {
                    let v = value & 0x7fff;
                    payload[at] = M | (v >> 8) as u8;
                    payload[at + 1] = v as u8;
                } else {
                    payload[at] = (value & 0x7f) as u8;
                }
            }
            at += if pid.wide { 2 } else { 1 };
        }
        if d.tl0_pic_idx.is_some() {
            if let Some(tl0) = self.tl0_pic_idx {
                payload[at] = tl0;
            }
            at += 1;
        }
        if d.key_idx.is_some()
            && let Some(key) = self.key_idx
        {
            payload[at] = (payload[at] & 0xe0) | (key & 0x1f);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
