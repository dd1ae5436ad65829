//! Simulcast layer selection per subscriber: which layer to aim for (the *target*), and which
//! layer each packet's forwarding actually follows (the *current* layer), switching only at a
//! keyframe.
//!
//! The target is, in order: the subscriber's wish (requested dimensions → the smallest layer that
//! covers them; otherwise the requested [`VideoQuality`]), then what the publisher is actually
//! sending (a paused or absent layer is skipped: the highest active layer at or below the wish,
//! else the lowest active one above it), then the bandwidth estimate (the highest of those whose
//! bitrate fits). Bandwidth may lower the target at once but raises it only after the higher
//! layer has fitted, with headroom, for [`SelectorConfig::up_hold`] — so estimate jitter does
//! not flap layers. The selector never pauses video for lack of bandwidth: the lowest active
//! layer is the floor; a room-level allocator that wants to pause sets [`VideoQuality::Off`].

use std::time::{Duration, Instant};

use crate::types::{Dimensions, Layer, MAX_LAYERS, VideoQuality};

/// What the publisher currently sends on one layer, as the SFU measures it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LayerInfo {
    /// Receiving packets now (not paused, not absent).
    pub active: bool,
    /// Known from the track's published layers; zero when unknown.
    pub dimensions: Dimensions,
    /// Measured ingress bitrate; zero when unknown (then it always "fits").
    pub bitrate_bps: u64,
}

/// The publisher side of one video track: one [`LayerInfo`] per layer, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TrackLayers(pub [LayerInfo; MAX_LAYERS]);

impl TrackLayers {
    pub fn get(&self, layer: Layer) -> &LayerInfo {
        &self.0[layer.index()]
    }

    pub fn set(&mut self, layer: Layer, info: LayerInfo) {
        self.0[layer.index()] = info;
    }

    fn active(&self) -> impl DoubleEndedIterator<Item = Layer> + '_ {
        Layer::all().filter(|l| self.get(*l).active)
    }
}

/// Tuning of the bandwidth hysteresis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SelectorConfig {
    /// How long a higher layer must keep fitting before the target moves up to it.
    pub up_hold: Duration,
    /// Extra share of a layer's bitrate the estimate must cover to move up (percent).
    pub up_headroom_percent: u64,
}

impl Default for SelectorConfig {
    fn default() -> Self {
        SelectorConfig {
            up_hold: Duration::from_secs(2),
            up_headroom_percent: 15,
        }
    }
}

/// What to do with one incoming packet, as far as layers are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection {
    /// It belongs to the current layer.
    Forward,
    /// It is the keyframe that makes its layer the current one: start a new source with it.
    Switch,
    /// Another layer, or a non-keyframe while nothing is being forwarded.
    Drop,
    /// The subscriber wants no video.
    Off,
}

/// The layer a subscriber would get with unlimited bandwidth: its wish (quality, or the
/// smallest layer covering the requested dimensions) narrowed to what the publisher sends.
/// `None` when it wants no video or nothing is arriving. A bandwidth allocator asks this to
/// know what each track could use before handing out shares.
pub fn ceiling(
    quality: VideoQuality,
    dimensions: Option<Dimensions>,
    layers: &TrackLayers,
) -> Option<Layer> {
    available(layers, wish(quality, dimensions, layers)?)
}

/// The preference alone, as a layer cap; `None` when the subscriber wants no video.
fn wish(
    quality: VideoQuality,
    dimensions: Option<Dimensions>,
    layers: &TrackLayers,
) -> Option<Layer> {
    let cap = quality.max_layer()?;
    let Some(wanted) = dimensions.filter(|d| d.is_known()) else {
        return Some(cap);
    };
    let known = || Layer::all().filter(|l| layers.get(*l).dimensions.is_known());
    let Some(largest) = known().next_back() else {
        return Some(cap);
    };
    Some(
        known()
            .find(|l| layers.get(*l).dimensions.covers(wanted))
            .unwrap_or(largest),
    )
}

/// The highest active layer at or below `wish`, else the lowest active one above it.
fn available(layers: &TrackLayers, wish: Layer) -> Option<Layer> {
    layers
        .active()
        .rev()
        .find(|l| *l <= wish)
        .or_else(|| layers.active().find(|l| *l > wish))
}

/// See the module docs.
#[derive(Debug, Clone)]
pub struct LayerSelector {
    config: SelectorConfig,
    quality: VideoQuality,
    dimensions: Option<Dimensions>,
    bandwidth_bps: Option<u64>,
    target: Option<Layer>,
    current: Option<Layer>,
    /// The current layer stopped arriving: any keyframe at or below the target may take over.
    current_stalled: bool,
    /// A higher layer the estimate fits, and since when (the up-switch hysteresis).
    up_candidate: Option<(Layer, Instant)>,
    /// The last target was held below what the subscriber wants and the publisher sends
    /// because of bandwidth.
    limited: bool,
    /// The publisher's layers as of the last update, so a pending up-switch can be re-evaluated
    /// from packet arrival times alone ([`LayerSelector::refresh`]).
    layers: TrackLayers,
}

impl LayerSelector {
    pub fn new(config: SelectorConfig) -> Self {
        LayerSelector {
            config,
            quality: VideoQuality::High,
            dimensions: None,
            bandwidth_bps: None,
            // Until the first update: aim high and take whatever keyframe comes first.
            target: VideoQuality::High.max_layer(),
            current: None,
            current_stalled: false,
            up_candidate: None,
            limited: false,
            layers: TrackLayers::default(),
        }
    }

    pub fn target(&self) -> Option<Layer> {
        self.target
    }

    pub fn current(&self) -> Option<Layer> {
        self.current
    }

    /// LiveKit `UpdateTrackSettings`: quality, and dimensions that take precedence when set.
    /// Call [`LayerSelector::update`] afterwards.
    pub fn set_preference(&mut self, quality: VideoQuality, dimensions: Option<Dimensions>) {
        self.quality = quality;
        self.dimensions = dimensions.filter(|d| d.is_known());
    }

    /// The share of the subscriber's estimated bandwidth given to this track; `None` = unlimited.
    /// Call [`LayerSelector::update`] afterwards.
    pub fn set_bandwidth(&mut self, bps: Option<u64>) {
        self.bandwidth_bps = bps;
    }

    /// Recomputes the target from the preference, the publisher's layers and the bandwidth.
    /// Returns whether the target changed (then a keyframe is wanted).
    pub fn update(&mut self, layers: &TrackLayers, now: Instant) -> bool {
        self.layers = *layers;
        let before = self.target;
        self.current_stalled = self.current.is_some_and(|c| !layers.get(c).active);
        let Some(wish) = self.wish(layers) else {
            self.target = None;
            self.current = None;
            self.up_candidate = None;
            return before.is_some();
        };
        let Some(available) = available(layers, wish) else {
            // Nothing is arriving: keep aiming where we were (or at the wish) until it does.
            self.target = Some(before.unwrap_or(wish).min(wish));
            self.up_candidate = None;
            return self.target != before;
        };
        self.target = Some(self.fit_bandwidth(layers, available, before, now));
        self.target != before
    }

    /// The preference alone, as a layer cap; `None` when the subscriber wants no video.
    fn wish(&self, layers: &TrackLayers) -> Option<Layer> {
        wish(self.quality, self.dimensions, layers)
    }

    fn fit_bandwidth(
        &mut self,
        layers: &TrackLayers,
        ceiling: Layer,
        before: Option<Layer>,
        now: Instant,
    ) -> Layer {
        let target = self.hysteresis(layers, ceiling, before, now);
        self.limited = target < ceiling;
        target
    }

    fn hysteresis(
        &mut self,
        layers: &TrackLayers,
        ceiling: Layer,
        before: Option<Layer>,
        now: Instant,
    ) -> Layer {
        let lowest = layers.active().next().unwrap_or(ceiling);
        let Some(budget) = self.bandwidth_bps else {
            self.up_candidate = None;
            return ceiling;
        };
        let fits = |l: Layer, headroom: u64| {
            let rate = layers.get(l).bitrate_bps;
            rate == 0 || rate.saturating_mul(100 + headroom) / 100 <= budget
        };
        let candidates = || layers.active().rev().filter(move |l| *l <= ceiling);
        let within = candidates().find(|l| fits(*l, 0)).unwrap_or(lowest);
        let Some(before) = before else {
            return within;
        };
        // Down at once; up without delay when bandwidth was not what held the target down
        // (a new preference, a layer that came back) or when the old target stopped sending.
        // The hold is for the estimate's jitter.
        if within <= before || !self.limited || !layers.get(before).active {
            self.up_candidate = None;
            return within;
        }
        // Up only to a layer that fits with headroom, and only once it has for a while.
        let headroom = self.config.up_headroom_percent;
        let up = candidates()
            .find(|l| fits(*l, headroom))
            .filter(|l| *l > before);
        let Some(up) = up else {
            self.up_candidate = None;
            return before;
        };
        match self.up_candidate {
            Some((layer, since)) if layer == up => {
                if now.saturating_duration_since(since) >= self.config.up_hold {
                    self.up_candidate = None;
                    up
                } else {
                    before
                }
            }
            _ => {
                self.up_candidate = Some((up, now));
                before
            }
        }
    }

    /// Re-runs [`LayerSelector::update`] with the layers it last saw, once a pending up-switch
    /// is due. Cheap when nothing is due, so it can run per packet.
    pub fn refresh(&mut self, now: Instant) -> bool {
        if self.poll_timeout().is_none_or(|due| now < due) {
            return false;
        }
        let layers = self.layers;
        self.update(&layers, now)
    }

    /// When [`LayerSelector::update`] (or [`LayerSelector::refresh`]) should run again for a
    /// pending up-switch.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.up_candidate
            .map(|(_, since)| since + self.config.up_hold)
    }

    /// The layer whose keyframe the selector is waiting for, if any.
    pub fn wants_keyframe(&self) -> Option<Layer> {
        let target = self.target?;
        (self.current != Some(target)).then_some(target)
    }

    /// Decides for one incoming packet of `layer`.
    pub fn on_packet(&mut self, layer: Layer, keyframe: bool) -> Selection {
        let Some(target) = self.target else {
            return Selection::Off;
        };
        if self.current == Some(layer) {
            return Selection::Forward;
        }
        if !keyframe {
            return Selection::Drop;
        }
        let take = match self.current {
            _ if layer == target => true,
            // Nothing (usable) is forwarded yet: start with any layer up to the target.
            None => layer < target,
            Some(_) if self.current_stalled => layer < target,
            // Waiting for the target: a keyframe on a layer between is a step towards it.
            Some(current) => {
                (current < layer && layer < target) || (target < layer && layer < current)
            }
        };
        if take {
            self.current = Some(layer);
            self.current_stalled = false;
            Selection::Switch
        } else {
            Selection::Drop
        }
    }
}

#[cfg(test)]
mod tests;
