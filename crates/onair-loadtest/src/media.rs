//! Synthetic media: VP8 and Opus RTP payloads that an SFU parses like real ones (VP8 payload
//! descriptor with picture id, key/delta frame tag, keyframe dimensions), each ending in a
//! trailer with its send time so a subscriber in the same process can measure latency.
//!
//! No encoder runs: the bytes after the headers are filler. An SFU never decodes media, so this
//! loads it exactly as real traffic of the same sizes and rates does.

/// Marks the trailer: the last [`TRAILER`] bytes are `send_time_us` (big-endian u64) + this.
const MAGIC: [u8; 4] = *b"oalt";
pub const TRAILER: usize = 12;

/// The largest RTP payload we produce, leaving room for headers, SRTP and extensions in a
/// 1200-byte datagram as browsers do.
pub const MAX_PAYLOAD: usize = 1100;

/// Appends the trailer (send time in µs since the load's epoch).
fn trailer(payload: &mut Vec<u8>, sent_us: u64) {
    payload.extend_from_slice(&sent_us.to_be_bytes());
    payload.extend_from_slice(&MAGIC);
}

/// The send time carried by a payload produced here, if it has our trailer.
pub fn sent_us(payload: &[u8]) -> Option<u64> {
    let start = payload.len().checked_sub(TRAILER)?;
    let (time, magic) = payload[start..].split_at(8);
    if magic != MAGIC {
        return None;
    }
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(time);
    Some(u64::from_be_bytes(bytes))
}

/// One VP8 stream's frame counter and picture id.
#[derive(Debug)]
pub struct Vp8Source {
    picture_id: u16,
    frame_bytes: usize,
    width: u16,
    height: u16,
}

impl Vp8Source {
    /// Frames sized for `kbps` at `fps`; keyframes are three times larger, as encoders make them.
    pub fn new(kbps: u32, fps: u32, width: u16, height: u16) -> Self {
        let frame_bytes = (u64::from(kbps) * 1000 / 8 / u64::from(fps.max(1))) as usize;
        Self {
            picture_id: 0,
            frame_bytes: frame_bytes.max(64),
            width,
            height,
        }
    }

    /// The payloads of the next frame, in order (the last one gets the RTP marker bit).
    pub fn frame(&mut self, keyframe: bool, sent_us: u64) -> Vec<Vec<u8>> {
        let total = if keyframe {
            self.frame_bytes * 3
        } else {
            self.frame_bytes
        };
        let pid = self.picture_id & 0x7fff;
        self.picture_id = self.picture_id.wrapping_add(1);
        // Payload descriptor (RFC 7741): X=1, S on the first packet, partition 0; I=1; 15-bit
        // picture id (M=1).
        let descriptor = |first: bool| {
            [
                0x80 | if first { 0x10 } else { 0 },
                0x80,
                0x80 | (pid >> 8) as u8,
                pid as u8,
            ]
        };
        let body = MAX_PAYLOAD - 4 - TRAILER;
        let packets = total.div_ceil(body).max(1);
        let mut out = Vec::with_capacity(packets);
        let mut left = total;
        for n in 0..packets {
            let mut p = Vec::with_capacity(MAX_PAYLOAD);
            p.extend_from_slice(&descriptor(n == 0));
            if n == 0 {
                // Frame tag: P bit clear for a keyframe; show_frame set; then, for keyframes,
                // the start code and the dimensions an SFU reads for layer sizes.
                p.extend_from_slice(&[if keyframe { 0x10 } else { 0x11 }, 0x02, 0x00]);
                if keyframe {
                    p.extend_from_slice(&[0x9d, 0x01, 0x2a]);
                    p.extend_from_slice(&self.width.to_le_bytes());
                    p.extend_from_slice(&self.height.to_le_bytes());
                }
            }
            let fill = left.min(body).saturating_sub(p.len() - 4);
            p.resize(p.len() + fill, 0xa5);
            left = left.saturating_sub(body);
            trailer(&mut p, sent_us);
            out.push(p);
        }
        out
    }
}

/// An Opus packet of `bytes` (20 ms at about `bytes * 400` bit/s).
pub fn opus_packet(bytes: usize, sent_us: u64) -> Vec<u8> {
    let mut p = vec![0x78; bytes.max(1)];
    trailer(&mut p, sent_us);
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyframes_carry_the_vp8_keyframe_header_and_every_packet_the_trailer() {
        let mut src = Vp8Source::new(1200, 30, 640, 360);
        let key = src.frame(true, 42);
        assert!(key.len() > 1, "a keyframe at 1.2 Mbit/s spans packets");
        assert_eq!(key[0][0] & 0x10, 0x10, "S bit on the first packet");
        assert_eq!(key[1][0] & 0x10, 0, "no S bit on later packets");
        assert_eq!(key[0][4] & 0x01, 0, "P bit clear: keyframe");
        assert_eq!(&key[0][7..10], &[0x9d, 0x01, 0x2a]);
        assert_eq!(u16::from_le_bytes([key[0][10], key[0][11]]), 640);
        for p in &key {
            assert!(p.len() <= MAX_PAYLOAD);
            assert_eq!(sent_us(p), Some(42));
        }
        let delta = src.frame(false, 43);
        assert_eq!(delta[0][4] & 0x01, 1, "P bit set: delta frame");
        assert_eq!(
            u16::from_be_bytes([delta[0][2] & 0x7f, delta[0][3]]),
            1,
            "picture id advances per frame"
        );
        let sizes = |f: &Vec<Vec<u8>>| f.iter().map(Vec::len).sum::<usize>();
        assert!(sizes(&key) > 2 * sizes(&delta));
    }

    #[test]
    fn foreign_payloads_have_no_send_time() {
        assert_eq!(sent_us(b"short"), None);
        assert_eq!(sent_us(&[0u8; 64]), None);
        assert_eq!(sent_us(&opus_packet(80, 7)), Some(7));
    }
}
