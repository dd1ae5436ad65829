//! Which codec a track carries, and its keyframe test (VP8, H.264, VP9, AV1; audio never has one).

use crate::{h264, vp8};

/// The codecs the forwarder knows. Layer switching and seq/timestamp munging work for all;
/// payload rewriting exists for VP8 only (VP9 SVC and AV1 would need the dependency descriptor).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Codec {
    Opus,
    Vp8,
    Vp9,
    H264,
    Av1,
}

impl Codec {
    /// From an SDP/LiveKit mime type such as `video/VP8` or `audio/opus` (case-insensitive).
    pub fn from_mime(mime: &str) -> Option<Self> {
        let name = mime.rsplit('/').next().unwrap_or(mime);
        [
            ("opus", Codec::Opus),
            ("vp8", Codec::Vp8),
            ("vp9", Codec::Vp9),
            ("h264", Codec::H264),
            ("av1", Codec::Av1),
        ]
        .into_iter()
        .find(|(n, _)| name.eq_ignore_ascii_case(n))
        .map(|(_, c)| c)
    }

    /// The RTP clock rate WebRTC uses for this codec.
    pub fn clock_rate(self) -> u32 {
        match self {
            Codec::Opus => 48_000,
            _ => 90_000,
        }
    }

    pub fn is_video(self) -> bool {
        self != Codec::Opus
    }

    /// Whether `payload` starts a keyframe. Malformed payloads are not keyframes.
    pub fn is_keyframe(self, payload: &[u8]) -> bool {
        match self {
            Codec::Opus => false,
            Codec::Vp8 => vp8::is_keyframe(payload),
            Codec::H264 => h264::is_keyframe(payload).unwrap_or(false),
            Codec::Vp9 => vp9_is_keyframe(payload),
            Codec::Av1 => av1_is_keyframe(payload),
        }
    }
}

/// VP9 payload descriptor (RFC 9628 §4.2): `I|P|L|F|B|E|V|Z`. A keyframe starts with P=0
/// (no inter-picture dependency), B=1 (first packet of the frame) and, when layer indices are
/// present, on spatial layer 0.
pub fn vp9_is_keyframe(payload: &[u8]) -> bool {
    let Some(&first) = payload.first() else {
        return false;
    };
    let (i, p, l, b) = (
        first & 0x80 != 0,
        first & 0x40 != 0,
        first & 0x20 != 0,
        first & 0x08 != 0,
    );
    if p || !b {
        return false;
    }
    if !l {
        return true;
    }
    let mut at = 1;
    if i {
        let Some(&pid) = payload.get(1) else {
            return false;
        };
        at += if pid & 0x80 != 0 { 2 } else { 1 };
    }
    payload
        .get(at)
        .is_some_and(|layer| (layer >> 1) & 0x07 == 0)
}

/// AV1 RTP aggregation header (AV1 RTP spec §4.4): `Z|Y|W W|N|-|-|-`; N=1 marks the first
/// packet of a coded video sequence, i.e. a keyframe.
pub fn av1_is_keyframe(payload: &[u8]) -> bool {
    payload.first().is_some_and(|h| h & 0x08 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mime_types() {
        let table = [
            ("video/VP8", Some(Codec::Vp8)),
            ("audio/opus", Some(Codec::Opus)),
            ("video/H264", Some(Codec::H264)),
            ("video/vp9", Some(Codec::Vp9)),
            ("video/AV1", Some(Codec::Av1)),
            ("video/H265", None),
            ("", None),
        ];
        for (mime, want) in table {
            assert_eq!(Codec::from_mime(mime), want, "{mime}");
        }
        assert_eq!(Codec::Opus.clock_rate(), 48_000);
        assert_eq!(Codec::Vp8.clock_rate(), 90_000);
    }

    #[test]
    fn keyframes_per_codec() {
        let table: &[(Codec, &[u8], bool)] = &[
            (Codec::Opus, &[0x78, 0x00], false),
            (Codec::Vp8, &[0x10, 0x00], true),
            (Codec::Vp8, &[0x10], false),
            (Codec::H264, &[0x65], true),
            (Codec::H264, &[0x7c], false),
            // VP9: B=1, P=0, no layer indices
            (Codec::Vp9, &[0x08], true),
            (Codec::Vp9, &[0x48], false), // P=1
            (Codec::Vp9, &[0x00], false), // not the frame's first packet
            // I with 15-bit picture id, L with SID=0 then SID=1
            (Codec::Vp9, &[0xa8, 0x81, 0x02, 0x00, 0x00], true),
            (Codec::Vp9, &[0xa8, 0x81, 0x02, 0x02, 0x00], false),
            (Codec::Vp9, &[0xa8, 0x81], false), // truncated
            (Codec::Av1, &[0x08], true),
            (Codec::Av1, &[0x10], false),
            (Codec::Av1, &[], false),
        ];
        for (codec, payload, want) in table {
            assert_eq!(
                codec.is_keyframe(payload),
                *want,
                "{codec:?} {payload:02x?}"
            );
        }
    }
}
