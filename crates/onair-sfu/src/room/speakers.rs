//! Active speakers: each published audio track's RFC 6464 audio level (the `ssrc-audio-level`
//! header extension both LiveKit clients negotiate) smoothed into a 0–1 level, and the room told
//! who speaks as `SpeakersChanged` deltas at most once per [`UPDATE_INTERVAL`].
//!
//! Per track, packets are observed over windows of [`UPDATE_INTERVAL`]: a window counts as
//! speech when at least [`MIN_PERCENTILE`] % of its duration was at or above [`ACTIVE_LEVEL`]
//! (−35 dBov); its loudest level, weighted by how much of the window was active, becomes a
//! linear level (1.0 = 0 dBov) smoothed by an exponential moving average over
//! [`SMOOTH_INTERVALS`] windows. A window without enough speech resets the level to 0, and a
//! track that stops sending is silent after two windows. These are LiveKit's server defaults,
//! so a room sounds the same to clients as on LiveKit.
//!
//! Per room, every [`UPDATE_INTERVAL`]: a participant's level is its loudest unmuted audio
//! track; hidden participants are never listed. Speakers at or above the active threshold,
//! loudest first, are sent when they are new or their level moved (levels are rounded to
//! hundredths so noise does not resend them), followed by `{active: false, level: 0}` for
//! each speaker who stopped. Nothing is sent when nothing changed.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

use livekit_protocol as proto;
use proto::signal_response::Message as Msg;

use super::RoomCore;
use crate::ids::{ParticipantSid, RoomName, TrackSid};

/// How often the room hears about speakers, and the observation window per track.
pub const UPDATE_INTERVAL: Duration = Duration::from_millis(400);
/// −dBov at or below which (i.e. at least this loud) a packet counts as speech.
pub const ACTIVE_LEVEL: u8 = 35;
/// Share (percent) of a window that must be speech for it to count.
pub const MIN_PERCENTILE: u32 = 40;
/// Windows the level is smoothed over.
pub const SMOOTH_INTERVALS: u32 = 2;
/// RFC 6464's silence: −127 dBov.
const SILENT: u8 = 127;
/// Packet duration assumed when timestamps do not tell (Opus' default 20 ms frames).
const DEFAULT_FRAME_MS: u32 = 20;

/// A −dBov level as a linear 0–1 value.
fn linear(dbov: f64) -> f64 {
    10f64.powf(-dbov / 20.0)
}

/// The linear level from which a participant counts as speaking.
fn threshold() -> f64 {
    linear(f64::from(ACTIVE_LEVEL))
}

/// One audio track's smoothed level.
#[derive(Debug, Clone)]
pub struct LevelMeter {
    smoothed: f64,
    loudest: u8,
    active_ms: u32,
    observed_ms: u32,
    last_observed: Option<Instant>,
    /// RTP timestamp of the previous packet (48 kHz), to know each packet's duration.
    last_timestamp: Option<u32>,
}

impl Default for LevelMeter {
    fn default() -> Self {
        Self {
            smoothed: 0.0,
            loudest: SILENT,
            active_ms: 0,
            observed_ms: 0,
            last_observed: None,
            last_timestamp: None,
        }
    }
}

impl LevelMeter {
    /// One packet's level (0 = loudest, 127 = silence) with its RTP timestamp.
    pub fn observe(&mut self, level: u8, timestamp: u32, now: Instant) {
        let ms = self
            .last_timestamp
            .map(|prev| timestamp.wrapping_sub(prev) / 48)
            .filter(|ms| (1..=120).contains(ms))
            .unwrap_or(DEFAULT_FRAME_MS);
        self.last_timestamp = Some(timestamp);
        self.last_observed = Some(now);
        self.observed_ms += ms;
        if level <= ACTIVE_LEVEL {
            self.active_ms += ms;
            self.loudest = self.loudest.min(level);
        }
        let window = UPDATE_INTERVAL.as_millis() as u32;
        if self.observed_ms < window {
            return;
        }
        let mut next = 0.0;
        if self.active_ms >= MIN_PERCENTILE * window / 100 {
            // Louder when the window was speech throughout, softer when only partly.
            let weight = 20.0 * (f64::from(self.active_ms) / f64::from(window)).log10();
            let level = linear(f64::from(self.loudest) - weight);
            let factor = 2.0 / f64::from(SMOOTH_INTERVALS + 1);
            next = self.smoothed + (level - self.smoothed) * factor;
        }
        self.reset(next);
    }

    /// The smoothed level at `now` (0 once the track has been quiet for two windows).
    pub fn level(&mut self, now: Instant) -> f64 {
        let stale = self
            .last_observed
            .is_none_or(|t| now.saturating_duration_since(t) >= 2 * UPDATE_INTERVAL);
        if stale {
            self.reset(0.0);
        }
        self.smoothed
    }

    fn reset(&mut self, smoothed: f64) {
        self.smoothed = smoothed;
        self.loudest = SILENT;
        self.active_ms = 0;
        self.observed_ms = 0;
    }
}

/// The room core's speaker state.
#[derive(Debug, Default)]
pub(super) struct Speakers {
    meters: HashMap<TrackSid, LevelMeter>,
    /// Who each room was last told is speaking, with the level sent.
    last: BTreeMap<RoomName, Vec<proto::SpeakerInfo>>,
    /// The next update, while anything is metered or was last reported speaking.
    next_update: Option<Instant>,
}

impl Speakers {
    pub(super) fn poll_timeout(&self) -> Option<Instant> {
        self.next_update
    }
}

impl RoomCore {
    /// One audio packet's RFC 6464 level (0 = loudest, 127 = silence) on `track`.
    pub fn observe_audio_level(
        &mut self,
        track: &TrackSid,
        level: u8,
        timestamp: u32,
        now: Instant,
    ) {
        let speakers = &mut self.speakers;
        match speakers.meters.get_mut(track) {
            Some(m) => m.observe(level, timestamp, now),
            None => {
                let mut m = LevelMeter::default();
                m.observe(level, timestamp, now);
                speakers.meters.insert(track.clone(), m);
            }
        }
        speakers.next_update.get_or_insert(now + UPDATE_INTERVAL);
    }

    /// Sends each room its speaker changes, if the update is due.
    pub(super) fn update_speakers(&mut self, now: Instant) {
        if self.speakers.next_update.is_none_or(|t| now < t) {
            return;
        }
        let threshold = threshold();
        // Each visible participant's loudest unmuted track, per room.
        let mut levels: BTreeMap<RoomName, HashMap<ParticipantSid, f64>> = BTreeMap::new();
        let (owners, participants) = (&self.track_owner, &self.participants);
        self.speakers.meters.retain(|track, meter| {
            let Some(p) = owners.get(track).and_then(|o| participants.get(o)) else {
                return false; // unpublished or gone
            };
            let level = meter.level(now);
            let muted = p.track(track).is_none_or(|t| t.muted);
            if level >= threshold && !muted && !p.permission.hidden {
                let best = levels
                    .entry(p.room.clone())
                    .or_default()
                    .entry(p.sid.clone())
                    .or_insert(0.0);
                *best = best.max(level);
            }
            true
        });
        let rooms: BTreeSet<RoomName> = levels
            .keys()
            .chain(self.speakers.last.keys())
            .cloned()
            .collect();
        for room in rooms {
            let mut now_speaking: Vec<proto::SpeakerInfo> = levels
                .remove(&room)
                .unwrap_or_default()
                .into_iter()
                .map(|(sid, level)| proto::SpeakerInfo {
                    sid: sid.to_string(),
                    level: ((level * 100.0).round() / 100.0) as f32,
                    active: true,
                })
                .collect();
            now_speaking.sort_by(|a, b| b.level.total_cmp(&a.level).then(a.sid.cmp(&b.sid)));
            let before = self.speakers.last.remove(&room).unwrap_or_default();
            let mut changed: Vec<proto::SpeakerInfo> = now_speaking
                .iter()
                .filter(|s| !before.iter().any(|b| b.sid == s.sid && b.level == s.level))
                .cloned()
                .collect();
            changed.extend(
                before
                    .iter()
                    .filter(|b| !now_speaking.iter().any(|s| s.sid == b.sid))
                    .map(|b| proto::SpeakerInfo {
                        sid: b.sid.clone(),
                        level: 0.0,
                        active: false,
                    }),
            );
            if !now_speaking.is_empty() {
                self.speakers.last.insert(room.clone(), now_speaking);
            }
            if changed.is_empty() {
                continue;
            }
            let to: Vec<ParticipantSid> = self.members(&room).map(|p| p.sid.clone()).collect();
            for to in to {
                self.signal(
                    &to,
                    Msg::SpeakersChanged(proto::SpeakersChanged {
                        speakers: changed.clone(),
                    }),
                );
            }
        }
        let busy = !self.speakers.meters.is_empty() || !self.speakers.last.is_empty();
        self.speakers.next_update = busy.then_some(now + UPDATE_INTERVAL);
    }
}

#[cfg(test)]
mod tests;
