//! Reading and restricting client offers as text, before str0m sees them.
//!
//! str0m answers every m-line with the inverse of its direction and has no per-m-line hook
//! (its `docs/SDP.md`), so what the server refuses is decided here: recvonly sections on the
//! publisher PC (left over from the single-PC layout after the v1→v0 fallback) and media from a
//! participant without `canPublish` are turned `inactive` in the offer text.

use crate::room::TrackKind;

/// Direction attribute of an m-section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// `a=sendrecv` (also the default when absent).
    SendRecv,
    /// `a=sendonly`.
    SendOnly,
    /// `a=recvonly`.
    RecvOnly,
    /// `a=inactive`.
    Inactive,
}

impl Direction {
    /// Whether the offerer sends media on it.
    pub fn sends(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::SendOnly)
    }
}

/// What the server needs to know about one m-section of an offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// `a=mid`.
    pub mid: String,
    /// Audio or video; `None` for `m=application` and unknown kinds.
    pub kind: Option<TrackKind>,
    /// Direction after any restriction.
    pub direction: Direction,
    /// The track id of `a=msid:<stream> <track>`: the client's track cid.
    pub msid_track: Option<String>,
    /// Port 0: the section is rejected/stopped.
    pub port_zero: bool,
}

fn direction_of(line: &str) -> Option<Direction> {
    match line.trim_end() {
        "a=sendrecv" => Some(Direction::SendRecv),
        "a=sendonly" => Some(Direction::SendOnly),
        "a=recvonly" => Some(Direction::RecvOnly),
        "a=inactive" => Some(Direction::Inactive),
        _ => None,
    }
}

fn direction_attr(d: Direction) -> &'static str {
    match d {
        Direction::SendRecv => "a=sendrecv",
        Direction::SendOnly => "a=sendonly",
        Direction::RecvOnly => "a=recvonly",
        Direction::Inactive => "a=inactive",
    }
}

/// Parses the m-sections of an SDP (tolerant: unknown lines are skipped).
pub fn sections(sdp: &str) -> Vec<Section> {
    let mut out: Vec<Section> = Vec::new();
    for line in sdp.lines() {
        let line = line.trim_end();
        if let Some(rest) = line.strip_prefix("m=") {
            let mut parts = rest.split_whitespace();
            let kind = match parts.next() {
                Some("audio") => Some(TrackKind::Audio),
                Some("video") => Some(TrackKind::Video),
                _ => None,
            };
            let port_zero = parts.next() == Some("0");
            out.push(Section {
                mid: String::new(),
                kind,
                direction: Direction::SendRecv,
                msid_track: None,
                port_zero,
            });
            continue;
        }
        let Some(section) = out.last_mut() else {
            continue;
        };
        if let Some(mid) = line.strip_prefix("a=mid:") {
            section.mid = mid.trim().to_owned();
        } else if let Some(msid) = line.strip_prefix("a=msid:") {
            section.msid_track = msid.split_whitespace().nth(1).map(str::to_owned);
        } else if let Some(d) = direction_of(line) {
            section.direction = d;
        }
    }
    out
}

/// Rewrites a publisher-PC offer so the answer receives only what may be published:
/// recvonly media sections become inactive (the server never sends on the publisher PC),
/// sendrecv becomes sendonly, and when `may_publish` is false every media section is inactive.
pub fn restrict_publisher_offer(sdp: &str, may_publish: bool) -> String {
    let mut out = String::with_capacity(sdp.len());
    let mut in_media = false;
    for line in sdp.split_inclusive('\n') {
        let bare = line.trim_end_matches(['\r', '\n']);
        let eol = &line[bare.len()..];
        if let Some(rest) = bare.strip_prefix("m=") {
            in_media = rest.starts_with("audio") || rest.starts_with("video");
        }
        let replaced = match direction_of(bare) {
            Some(d) if in_media => {
                let new = match d {
                    _ if !may_publish => Direction::Inactive,
                    Direction::RecvOnly => Direction::Inactive,
                    Direction::SendRecv => Direction::SendOnly,
                    other => other,
                };
                Some(direction_attr(new))
            }
            _ => None,
        };
        out.push_str(replaced.unwrap_or(bare));
        out.push_str(eol);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFFER: &str = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1 2\r\n\
m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:0\r\n\
m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:1\r\na=recvonly\r\n\
m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:2\r\na=msid:- cam-1\r\na=sendrecv\r\n";

    #[test]
    fn sections_are_read_with_mid_kind_direction_and_msid() {
        let s = sections(OFFER);
        assert_eq!(s.len(), 3);
        assert_eq!((s[0].mid.as_str(), s[0].kind), ("0", None));
        assert_eq!(
            (s[1].kind, s[1].direction),
            (Some(TrackKind::Audio), Direction::RecvOnly)
        );
        assert_eq!(s[2].msid_track.as_deref(), Some("cam-1"));
        assert!(sections("garbage\nm=\na=mid:").len() == 1);
    }

    #[test]
    fn publisher_offers_are_restricted() {
        let s = sections(&restrict_publisher_offer(OFFER, true));
        assert_eq!(s[1].direction, Direction::Inactive);
        assert_eq!(s[2].direction, Direction::SendOnly);
        let s = sections(&restrict_publisher_offer(OFFER, false));
        assert!(
            s.iter()
                .filter(|s| s.kind.is_some())
                .all(|s| s.direction == Direction::Inactive)
        );
        // Line endings are kept.
        assert!(restrict_publisher_offer(OFFER, true).contains("a=sendonly\r\n"));
    }
}
