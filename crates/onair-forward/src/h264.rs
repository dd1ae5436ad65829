//! H.264 keyframe detection on RTP payloads (RFC 6184): single NAL unit, STAP-A and FU-A.
//!
//! A packet starts a keyframe when it carries (or starts) an IDR slice (NAL type 5) or a
//! sequence parameter set (type 7): encoders send SPS/PPS right before an IDR, and a decoder
//! joining mid-stream needs the SPS, so a packet with an SPS is where forwarding may start.

/// A payload too short for what its own bytes announce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum H264Error {
    #[error("empty H.264 payload")]
    Empty,
    #[error("H.264 {what} truncated: needs {needed} bytes, has {len}")]
    Truncated {
        what: &'static str,
        needed: usize,
        len: usize,
    },
}

const IDR: u8 = 5;
const SPS: u8 = 7;
const STAP_A: u8 = 24;
const FU_A: u8 = 28;

fn starts_keyframe(nal_type: u8) -> bool {
    nal_type == IDR || nal_type == SPS
}

/// Whether the packet carries or starts an IDR slice or an SPS. Packetisations WebRTC does not
/// use (STAP-B, MTAP, FU-B) are reported as not keyframes.
pub fn is_keyframe(payload: &[u8]) -> Result<bool, H264Error> {
    let header = *payload.first().ok_or(H264Error::Empty)?;
    match header & 0x1f {
        STAP_A => {
            let mut at = 1;
            while at < payload.len() {
                let size = match payload.get(at..at + 2) {
                    Some(&[hi, lo]) => usize::from(u16::from_be_bytes([hi, lo])),
                    _ => return Err(truncated("STAP-A size", at + 2, payload.len())),
                };
                let nal = *payload.get(at + 2).filter(|_| size > 0).ok_or(truncated(
                    "STAP-A unit",
                    at + 2 + size.max(1),
                    payload.len(),
                ))?;
                if at + 2 + size > payload.len() {
                    return Err(truncated("STAP-A unit", at + 2 + size, payload.len()));
                }
                if starts_keyframe(nal & 0x1f) {
                    return Ok(true);
                }
                at += 2 + size;
            }
            Ok(false)
        }
        FU_A => {
            let fu = *payload
                .get(1)
                .ok_or(truncated("FU-A header", 2, payload.len()))?;
            let start = fu & 0x80 != 0;
            Ok(start && starts_keyframe(fu & 0x1f))
        }
        single => Ok(starts_keyframe(single)),
    }
}

fn truncated(what: &'static str, needed: usize, len: usize) -> H264Error {
    H264Error::Truncated { what, needed, len }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn keyframe_table() {
        let table: &[(&str, &[u8], Result<bool, H264Error>)] = &[
            ("empty", &[], Err(H264Error::Empty)),
            ("single IDR", &[0x65, 0x88], Ok(true)),
            ("single SPS", &[0x67, 0x42], Ok(true)),
            ("single PPS", &[0x68, 0xce], Ok(false)),
            ("single non-IDR slice", &[0x41, 0x9a], Ok(false)),
            (
                "STAP-A SPS+PPS",
                &[0x78, 0, 2, 0x67, 0x42, 0, 2, 0x68, 0xce],
                Ok(true),
            ),
            (
                "STAP-A PPS then IDR",
                &[0x78, 0, 1, 0x68, 0, 2, 0x65, 0x88],
                Ok(true),
            ),
            (
                "STAP-A slices only",
                &[0x78, 0, 2, 0x41, 0x9a, 0, 1, 0x41],
                Ok(false),
            ),
            (
                "STAP-A size cut",
                &[0x78, 0, 2, 0x41, 0x9a, 0],
                Err(H264Error::Truncated {
                    what: "STAP-A size",
                    needed: 7,
                    len: 6,
                }),
            ),
            (
                "STAP-A unit longer than payload",
                &[0x78, 0, 9, 0x41],
                Err(H264Error::Truncated {
                    what: "STAP-A unit",
                    needed: 12,
                    len: 4,
                }),
            ),
            (
                "STAP-A zero-size unit",
                &[0x78, 0, 0],
                Err(H264Error::Truncated {
                    what: "STAP-A unit",
                    needed: 4,
                    len: 3,
                }),
            ),
            ("FU-A start of IDR", &[0x7c, 0x85, 0x88], Ok(true)),
            ("FU-A middle of IDR", &[0x7c, 0x05, 0x88], Ok(false)),
            ("FU-A end of IDR", &[0x7c, 0x45, 0x88], Ok(false)),
            ("FU-A start of slice", &[0x7c, 0x81, 0x9a], Ok(false)),
            (
                "FU-A without header",
                &[0x7c],
                Err(H264Error::Truncated {
                    what: "FU-A header",
                    needed: 2,
                    len: 1,
                }),
            ),
            (
                "STAP-B is not handled",
                &[0x79, 0, 0, 0, 2, 0x65, 0x88],
                Ok(false),
            ),
        ];
        for (name, payload, want) in table {
            assert_eq!(is_keyframe(payload), *want, "{name}");
        }
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
            let _ = is_keyframe(&bytes);
        }
    }
}
