//! Connection quality: what each participant's `connectionQuality` in LiveKit's SDKs shows.
//!
//! The media side measures each peer connection (packet loss and round-trip time, in
//! str0m's peer stats every [`STATS_INTERVAL`]) and hands the worse of a participant's two
//! connections to [`RoomCore::set_connection_quality`]. That scores it like a MOS, 1 to 5:
//!
//! ```text
//! score = 5 − 25 × loss − max(0, rtt − 150 ms) / 200 ms        clamped to 1..=5
//! EXCELLENT ≥ 4.0 > GOOD ≥ 3.0 > POOR
//! ```
//!
//! so 2 % loss or a 300 ms round trip still reads EXCELLENT, 6 % or 500 ms GOOD, 10 % or
//! 950 ms POOR. Loss comes from RTCP receiver reports both ways; the round trip from
//! transport-wide feedback on media the server sends, so it is measured on connections that
//! carry media to the client (a viewer's; a creator's only while it subscribes to someone).
//! An interval without reports keeps the last measurement; nothing is sent before the first.
//!
//! The first measurement is sent at once; after that a new level is sent when two measurements
//! in a row (4 s) agree on it, so a link on a threshold does not flap. It goes as a
//! `ConnectionQualityUpdate` to the participant itself and, when it publishes, to everyone in
//! its room (viewers see the creator's quality; a viewer's own is nobody else's business, and
//! broadcasting it would cost O(n²) messages). A participant's first update also carries the
//! current quality of the room's publishers (sent a couple of seconds after its join, once the
//! client knows them), and a participant's first published track tells its room its quality.
//! Not sent: LOST (LiveKit's clients reconnect after ten seconds of it, and a false one would
//! cut a healthy broadcast); a dead connection shows as a reconnection instead.

use std::time::Duration;

use livekit_protocol as proto;
use proto::signal_response::Message as Msg;

use super::RoomCore;
use crate::ids::{ParticipantSid, RoomName};

/// How often str0m reports peer stats, and so how often a quality can change.
pub const STATS_INTERVAL: Duration = Duration::from_secs(2);

/// What one peer connection measured over the last interval.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LinkStats {
    /// Fraction of packets lost (0.0..=1.0), either way; `None` before any report.
    pub loss: Option<f32>,
    /// Round-trip time from RTCP; `None` before any report.
    pub rtt: Option<Duration>,
}

impl LinkStats {
    /// The worse of two links: the higher loss and the longer round trip (unmeasured is the
    /// better of anything).
    pub fn worst(self, other: Self) -> Self {
        let loss = match (self.loss, other.loss) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        Self {
            loss,
            rtt: self.rtt.max(other.rtt),
        }
    }

    /// The MOS-like score, 1.0 (unusable) to 5.0 (perfect); unmeasured counts as perfect.
    pub fn score(self) -> f32 {
        let loss = self.loss.unwrap_or(0.0).clamp(0.0, 1.0);
        let rtt_ms = self.rtt.map_or(0.0, |r| r.as_secs_f32() * 1000.0);
        let rtt_penalty = (rtt_ms - 150.0).max(0.0) / 200.0;
        (5.0 - 25.0 * loss - rtt_penalty).clamp(1.0, 5.0)
    }
}

/// The level LiveKit's SDKs show for `score`.
pub fn quality(score: f32) -> proto::ConnectionQuality {
    if score >= 4.0 {
        proto::ConnectionQuality::Excellent
    } else if score >= 3.0 {
        proto::ConnectionQuality::Good
    } else {
        proto::ConnectionQuality::Poor
    }
}

/// What a participant was told about its quality, and a different level seen once.
#[derive(Debug, Clone, Copy, Default)]
pub struct Reported {
    /// The level (and score) last sent; `None` before the first measurement.
    sent: Option<(proto::ConnectionQuality, f32)>,
    /// A level different from `sent`, measured once: sent if the next measurement agrees.
    candidate: Option<proto::ConnectionQuality>,
}

impl RoomCore {
    /// A participant's connections measured `stats`. The first measurement is sent at once; a
    /// different level afterwards once two measurements in a row agree on it. It goes to the
    /// participant (with, on its first, the publishers' current qualities: it joined knowing
    /// nothing) and, when it publishes, to everyone in its room.
    pub fn set_connection_quality(&mut self, sid: &ParticipantSid, stats: LinkStats) {
        if stats.loss.is_none() && stats.rtt.is_none() {
            return; // Nothing measured yet: say nothing rather than "excellent".
        }
        let score = stats.score();
        let level = quality(score);
        let Some(p) = self.participants.get_mut(sid) else {
            return;
        };
        let first = p.quality.sent.is_none();
        match p.quality.sent {
            Some((sent, _)) if sent == level => {
                p.quality.candidate = None;
                return;
            }
            Some(_) if p.quality.candidate != Some(level) => {
                p.quality.candidate = Some(level);
                return;
            }
            _ => {}
        }
        p.quality = Reported {
            sent: Some((level, score)),
            candidate: None,
        };
        let own = info(sid, (level, score));
        let (room, publishes) = (p.room.clone(), !p.tracks.is_empty() && !p.permission.hidden);
        if first {
            let mut known = vec![own.clone()];
            known.extend(
                self.members(&room)
                    .filter(|m| &m.sid != sid && !m.tracks.is_empty() && !m.permission.hidden)
                    .filter_map(|m| m.quality.sent.map(|q| info(&m.sid, q))),
            );
            self.tell_quality(std::slice::from_ref(sid), known);
        } else {
            self.tell_quality(std::slice::from_ref(sid), vec![own.clone()]);
        }
        if publishes {
            let others = self.others_in(&room, sid);
            self.tell_quality(&others, vec![own]);
        }
    }

    /// A participant started publishing: its room learns the quality it was last measured at.
    pub(super) fn tell_room_quality(&mut self, sid: &ParticipantSid) {
        let Some(p) = self.participants.get(sid) else {
            return;
        };
        let Some(known) = p.quality.sent.filter(|_| !p.permission.hidden) else {
            return;
        };
        let room = p.room.clone();
        let others = self.others_in(&room, sid);
        self.tell_quality(&others, vec![info(sid, known)]);
    }

    /// Everyone in `room` but `sid`.
    fn others_in(&self, room: &RoomName, sid: &ParticipantSid) -> Vec<ParticipantSid> {
        self.members(room)
            .filter(|m| &m.sid != sid)
            .map(|m| m.sid.clone())
            .collect()
    }

    fn tell_quality(&mut self, to: &[ParticipantSid], updates: Vec<proto::ConnectionQualityInfo>) {
        let update = proto::ConnectionQualityUpdate { updates };
        for to in to {
            self.signal(to, Msg::ConnectionQuality(update.clone()));
        }
    }
}

fn info(
    sid: &ParticipantSid,
    (level, score): (proto::ConnectionQuality, f32),
) -> proto::ConnectionQualityInfo {
    proto::ConnectionQualityInfo {
        participant_sid: sid.to_string(),
        quality: level as i32,
        score,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(loss: f32, rtt_ms: u64) -> LinkStats {
        LinkStats {
            loss: Some(loss),
            rtt: Some(Duration::from_millis(rtt_ms)),
        }
    }

    #[test]
    fn loss_and_round_trip_map_to_the_levels_in_the_module_docs() {
        use proto::ConnectionQuality::{Excellent, Good, Poor};
        for (stats, level) in [
            (LinkStats::default(), Excellent),
            (link(0.0, 5), Excellent),
            (link(0.02, 20), Excellent),
            (link(0.0, 300), Excellent),
            (link(0.06, 20), Good),
            (link(0.0, 500), Good),
            (link(0.10, 20), Poor),
            (link(0.0, 950), Poor),
            (link(1.0, 5000), Poor),
        ] {
            assert_eq!(quality(stats.score()), level, "{stats:?}");
        }
        assert_eq!(link(1.0, 5000).score(), 1.0, "clamped");
    }

    #[test]
    fn the_worse_link_counts() {
        let publisher = link(0.08, 40);
        let subscriber = link(0.01, 600);
        assert_eq!(publisher.worst(subscriber), link(0.08, 600));
        let unmeasured = LinkStats::default();
        assert_eq!(unmeasured.worst(publisher), publisher);
    }
}
