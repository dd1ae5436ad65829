//! Bandwidth-driven layer choice: each subscriber's send-side estimate (str0m's GoogCC BWE on
//! its subscriber PC) shared among the tracks it receives, and each publisher layer's bitrate
//! measured as it arrives.
//!
//! Per subscriber, on every estimate and whenever what it receives changes:
//!
//! 1. The usable budget is [`USABLE_PERCENT`] of the estimate; audio comes off first (it is
//!    always forwarded and costs little).
//! 2. What each video track could use is the measured bitrate of its *ceiling* (the layer it
//!    would get with unlimited bandwidth: the subscriber's quality or size, narrowed to what the
//!    publisher sends), plus the selector's up-switch headroom.
//! 3. The rest of the budget is split max-min fair ([`allocate`]): a track that wants less than
//!    an equal share gets what it wants, the others split what is left.
//! 4. Each track's share goes to its forwarder ([`onair_forward::Forwarder::set_bandwidth`]),
//!    whose selector goes down at once when its layer no longer fits and up only after the
//!    higher layer has fitted with headroom for two seconds, switching at a keyframe.
//! 5. str0m is told to probe for what the tracks could use in total (`desired`). While a track
//!    is held below its ceiling, GoogCC cannot prove more than about 1.5× what is acknowledged,
//!    so the subscriber PC keeps sending at what the next layer needs (`minimum`: media plus
//!    padding, never above the estimate), and with backoff ([`ProbeSchedule`]) `desired` dips
//!    to the estimate for one window and comes back, which asks str0m for an allocation probe.
//!    The price is padding on a constrained link up to its estimate; the gain is that a
//!    subscriber whose link recovers climbs back within seconds.
//!
//! Shown by `media::tests::bwe` (a squeezed link on the in-memory network: what the subscriber
//! receives falls from `f` to `h` about 3 s after its link narrows to 700 kbit/s, the 1.1 s
//! bottleneck queue included, while the other keeps `f`; it is back on `f` 7–9 s after the link
//! opens again).

use std::time::{Duration, Instant};

use onair_forward::layer::ceiling;
use onair_forward::{Layer, MAX_LAYERS, SelectorConfig, TrackLayers};
use str0m::bwe::Bitrate;

use super::Engine;
use super::guard::guard;
use super::peer::Pc;
use crate::ids::{ParticipantSid, TrackSid};
use crate::room::TrackKind;

/// The estimate a subscriber PC starts from, before TWCC feedback and probes refine it.
/// Optimistic, as LiveKit's allocator is: enough for the top layer of a 720p camera (about
/// 1.7 Mbit/s plus headroom), so a viewer on a good link starts on it instead of climbing for
/// seconds, and one on a poor link falls back as soon as feedback shows the limit. (1.5 Mbit/s
/// held loopback viewers of a 1.2 Mbit/s layer on the middle one for about 7 s.)
pub const INITIAL_ESTIMATE: Bitrate = Bitrate::kbps(3_000);
/// Share of the estimate handed to media; the rest absorbs estimate error, RTCP and
/// retransmissions.
pub const USABLE_PERCENT: u64 = 90;
/// A publisher layer's bitrate is measured over windows this long.
pub const RATE_WINDOW: Duration = Duration::from_secs(1);
/// A measured bitrate that moves by less than this (percent) does not trigger a reallocation.
const RATE_CHANGE_PERCENT: u64 = 10;
/// `minimum` and `desired` are re-sent to str0m only when one moves by more than this
/// (percent): repeating them does nothing, and a rise of `desired` asks for a probe.
const CHANGE_PERCENT: u64 = 5;

/// What the engine keeps per subscriber PC.
#[derive(Debug, Default)]
pub struct SubscriberBwe {
    /// The last TWCC estimate in bit/s; `None` until the first one (then nothing is limited).
    pub estimate_bps: Option<u64>,
    /// The `(minimum, desired)` rates last given to str0m.
    requested: (u64, u64),
    /// When to probe for more while a track is held down.
    probe: ProbeSchedule,
}

/// Measures what each layer of a published track brings in, over [`RATE_WINDOW`]s.
#[derive(Debug, Default)]
pub struct LayerMeter {
    bytes: [u64; MAX_LAYERS],
    window_start: Option<Instant>,
}

impl LayerMeter {
    /// Counts one packet (RTP header and payload).
    pub fn on_packet(&mut self, layer: Layer, bytes: usize, now: Instant) {
        self.window_start.get_or_insert(now);
        self.bytes[layer.index()] += bytes as u64;
    }

    /// Closes the window once it is [`RATE_WINDOW`] old: layers that brought bytes get their
    /// new bitrate (a silent layer keeps its last one: it is marked inactive elsewhere).
    /// Returns `None` while the window is open, else whether any bitrate moved enough to
    /// reallocate.
    pub fn roll(&mut self, layers: &mut TrackLayers, now: Instant) -> Option<bool> {
        let start = self.window_start?;
        let elapsed = now.saturating_duration_since(start);
        if elapsed < RATE_WINDOW {
            return None;
        }
        let ms = elapsed.as_millis().max(1) as u64;
        let mut changed = false;
        for layer in Layer::all() {
            let bytes = std::mem::take(&mut self.bytes[layer.index()]);
            if bytes == 0 {
                continue;
            }
            let bps = bytes * 8 * 1000 / ms;
            let mut info = *layers.get(layer);
            let old = info.bitrate_bps;
            if old.abs_diff(bps) * 100 > old * RATE_CHANGE_PERCENT {
                changed = true;
            }
            info.bitrate_bps = bps;
            layers.set(layer, info);
        }
        self.window_start = Some(now);
        Some(changed)
    }
}

/// `bps` plus the selector's up-switch headroom: what a track must be given for its forwarder
/// to move up to a layer of that bitrate.
fn with_headroom(bps: u64) -> u64 {
    bps.saturating_mul(100 + SelectorConfig::default().up_headroom_percent) / 100
}

/// Splits `budget` max-min fair over `wants`: each gets at most what it wants, and no one gets
/// less than an equal share of what the more modest left over. Shares add up to at most
/// `budget`.
pub fn allocate(budget: u64, wants: &[u64]) -> Vec<u64> {
    let mut order: Vec<usize> = (0..wants.len()).collect();
    order.sort_by_key(|i| wants[*i]);
    let mut shares = vec![0; wants.len()];
    let mut left = budget;
    for (n, i) in order.iter().enumerate() {
        let fair = left / (wants.len() - n) as u64;
        let share = wants[*i].min(fair);
        shares[*i] = share;
        left -= share;
    }
    shares
}

impl Engine {
    /// A new TWCC estimate for `sid`'s subscriber PC.
    pub(super) fn on_estimate(&mut self, now: Instant, sid: &ParticipantSid, estimate: Bitrate) {
        let Some(peer) = self.peers.get_mut(sid) else {
            return;
        };
        peer.bwe.estimate_bps = Some(estimate.as_u64());
        self.reallocate(now, sid);
    }

    /// `sid`'s subscriber PC restarted ICE (a resume): the path may be new and what was
    /// learnt about the old one (an estimate collapsed while the client was unreachable, say)
    /// says nothing about it, so estimation starts over from [`INITIAL_ESTIMATE`].
    pub(super) fn restart_estimate(&mut self, now: Instant, sid: &ParticipantSid) {
        if !self.bwe {
            return;
        }
        let Some(peer) = self.peers.get_mut(sid) else {
            return;
        };
        let rtc = &mut peer.subscriber;
        if let Err(e) = guard(|| rtc.bwe().reset(INITIAL_ESTIMATE)) {
            return self.peer_failed(now, sid, &e);
        }
        peer.bwe = SubscriberBwe {
            estimate_bps: Some(INITIAL_ESTIMATE.as_u64()),
            ..SubscriberBwe::default()
        };
        self.reallocate(now, sid);
    }

    /// Hands `sid`'s estimate out to the tracks it receives and tells str0m what to probe for.
    pub(super) fn reallocate(&mut self, now: Instant, sid: &ParticipantSid) {
        let Some(peer) = self.peers.get_mut(sid) else {
            return;
        };
        let mut audio = 0u64;
        let mut video: Vec<(TrackSid, TrackLayers, Option<Layer>)> = Vec::new();
        for (track, sub) in &peer.subscriptions {
            let Some(media) = self.tracks.get(track) else {
                continue;
            };
            let layers = media.forwarding.layers;
            match sub.kind {
                TrackKind::Audio => audio += layers.get(Layer::BASE).bitrate_bps,
                TrackKind::Video => {
                    let f = &sub.forwarding;
                    video.push((
                        track.clone(),
                        layers,
                        ceiling(f.quality, f.dimensions, &layers),
                    ));
                }
            }
        }
        let wants: Vec<u64> = video
            .iter()
            .map(|(_, layers, top)| top.map_or(0, |l| with_headroom(layers.get(l).bitrate_bps)))
            .collect();
        let mut keyframes = Vec::new();
        if let Some(estimate) = peer.bwe.estimate_bps {
            let budget = (estimate * USABLE_PERCENT / 100).saturating_sub(audio);
            let shares = allocate(budget, &wants);
            for (((track, layers, _), share), want) in video.iter().zip(shares).zip(&wants) {
                let Some(sub) = peer.subscriptions.get_mut(track) else {
                    continue;
                };
                // No measured bitrate yet: nothing to limit by.
                let share = (*want > 0).then_some(share);
                if sub.forwarding.set_share(share, layers, now)
                    && let Some(layer) = sub
                        .forwarding
                        .forwarder
                        .as_mut()
                        .and_then(|f| f.keyframe_request(now))
                {
                    keyframes.push((track.clone(), layer));
                }
            }
        }
        // Probe for everything the tracks could use (step 5 of the module docs): while one is
        // held below its ceiling, pad up to what its next layer needs and now and then dip
        // `desired` so that its return asks for an allocation probe.
        let mut sending = audio;
        let mut step: Option<u64> = None;
        for (track, layers, top) in &video {
            let target = peer
                .subscriptions
                .get(track)
                .and_then(|s| s.forwarding.forwarder.as_ref())
                .and_then(|f| f.target_layer());
            let (Some(target), Some(top)) = (target, *top) else {
                continue;
            };
            let rate = |l: Layer| layers.get(l).bitrate_bps;
            sending += rate(target);
            let next = Layer::all().find(|l| *l > target && *l <= top && layers.get(*l).active);
            if let Some(next) = next {
                let more = with_headroom(rate(next)).saturating_sub(rate(target));
                step = Some(step.map_or(more, |s| s.min(more)));
            }
        }
        let limited = step.is_some();
        let desired = usable_to_estimate(audio + wants.iter().sum::<u64>());
        let minimum = step.map_or(0, |s| usable_to_estimate(sending + s).min(desired));
        let desired = match (peer.bwe.probe.step(limited, now), peer.bwe.estimate_bps) {
            (ProbeStep::Dip, Some(estimate)) => desired.min(estimate),
            _ => desired,
        };
        let (old_min, old) = peer.bwe.requested;
        if desired > 0 && (moved(old, desired) || moved(old_min, minimum)) {
            peer.bwe.requested = (minimum, desired);
            let rtc = &mut peer.subscriber;
            let set = guard(|| {
                rtc.bwe()
                    .set_bitrate(Bitrate::bps(minimum), Bitrate::bps(desired))
            });
            if let Err(e) = set {
                return self.peer_failed(now, sid, &e);
            }
        }
        self.drain_peer(now, sid, Pc::Subscriber);
        for (track, layer) in keyframes {
            self.request_keyframe(now, &track, layer);
        }
    }
}

/// First wait before probing above a bandwidth-limited layer; it doubles after each probe up
/// to [`PROBE_MAX_INTERVAL`], and starts over once nothing is limited.
pub const PROBE_INTERVAL: Duration = Duration::from_secs(3);
/// Longest wait between probes while a subscriber stays limited.
pub const PROBE_MAX_INTERVAL: Duration = Duration::from_secs(12);

/// What [`ProbeSchedule::step`] asks for this reallocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeStep {
    /// Ask for everything the tracks could use.
    Full,
    /// Ask for no more than the estimate, so that the next `Full` is a rise.
    Dip,
}

/// When a bandwidth-limited subscriber probes for more, with exponential backoff.
#[derive(Debug)]
pub struct ProbeSchedule {
    next: Option<Instant>,
    interval: Duration,
    dipped: bool,
}

impl Default for ProbeSchedule {
    fn default() -> Self {
        Self {
            next: None,
            interval: PROBE_INTERVAL,
            dipped: false,
        }
    }
}

impl ProbeSchedule {
    /// Called at every reallocation (at least once per [`RATE_WINDOW`] while media flows).
    pub fn step(&mut self, limited: bool, now: Instant) -> ProbeStep {
        if !limited {
            *self = Self::default();
            return ProbeStep::Full;
        }
        if self.dipped {
            self.dipped = false;
            self.interval = (self.interval * 2).min(PROBE_MAX_INTERVAL);
            self.next = Some(now + self.interval);
            return ProbeStep::Full;
        }
        match self.next {
            None => {
                self.next = Some(now + self.interval);
                ProbeStep::Full
            }
            Some(at) if now >= at => {
                self.dipped = true;
                ProbeStep::Dip
            }
            Some(_) => ProbeStep::Full,
        }
    }
}

/// The estimate at which `bps` is the usable share.
fn usable_to_estimate(bps: u64) -> u64 {
    bps.saturating_mul(100) / USABLE_PERCENT
}

/// Whether a rate moved enough to tell str0m again.
fn moved(old: u64, new: u64) -> bool {
    old.abs_diff(new) * 100 > old * CHANGE_PERCENT
}

#[cfg(test)]
mod tests {
    use super::*;
    use onair_forward::LayerInfo;

    #[test]
    fn allocation_is_max_min_fair() {
        assert_eq!(allocate(1000, &[]), Vec::<u64>::new());
        assert_eq!(allocate(1000, &[300]), vec![300]);
        assert_eq!(allocate(1000, &[2000]), vec![1000]);
        // The modest track gets all it wants; the others split the rest.
        assert_eq!(allocate(1000, &[2000, 100, 2000]), vec![450, 100, 450]);
        assert_eq!(allocate(900, &[0, 0]), vec![0, 0]);
        let shares = allocate(1001, &[600, 600, 600]);
        assert!(shares.iter().sum::<u64>() <= 1001);
        assert!(shares.iter().all(|s| *s == 333 || *s == 334), "{shares:?}");
    }

    #[test]
    fn layer_rates_are_measured_per_window() {
        let t0 = Instant::now();
        let mut layers = TrackLayers([LayerInfo::default(); MAX_LAYERS]);
        let mut meter = LayerMeter::default();
        assert_eq!(meter.roll(&mut layers, t0), None);
        // 100 packets of 1250 bytes in a second on `h`: 1 Mbit/s.
        for i in 0..100 {
            meter.on_packet(Layer::MEDIUM, 1250, t0 + Duration::from_millis(i * 10));
        }
        assert_eq!(
            meter.roll(&mut layers, t0 + Duration::from_millis(990)),
            None
        );
        assert_eq!(meter.roll(&mut layers, t0 + RATE_WINDOW), Some(true));
        assert_eq!(layers.get(Layer::MEDIUM).bitrate_bps, 1_000_000);
        assert_eq!(layers.get(Layer::LOW).bitrate_bps, 0);
        // A similar second changes nothing worth reallocating; a silent one keeps the rate.
        for i in 0..98 {
            meter.on_packet(
                Layer::MEDIUM,
                1250,
                t0 + RATE_WINDOW + Duration::from_millis(i),
            );
        }
        assert_eq!(meter.roll(&mut layers, t0 + 2 * RATE_WINDOW), Some(false));
        assert_eq!(meter.roll(&mut layers, t0 + 3 * RATE_WINDOW), Some(false));
        assert_eq!(layers.get(Layer::MEDIUM).bitrate_bps, 980_000);
    }
}
