//! The seam between str0m packets and `onair-forward`'s per-subscriber [`Forwarder`]: what the
//! media engine keeps per published track (codec, which simulcast layers are sending, the
//! keyframe-request throttle) and per subscription (the forwarder and the subscriber's wish).

use std::time::{Duration, Instant};

use livekit_protocol as proto;
use onair_forward::{
    Codec, Dimensions, Forwarder, ForwarderConfig, KeyframeThrottle, Layer, LayerInfo, TrackLayers,
    VideoQuality,
};
use rand::Rng;

use super::bwe::LayerMeter;

/// A simulcast layer counts as sending while its last packet is this recent.
pub const LAYER_FRESH: Duration = Duration::from_millis(1500);
/// At most one keyframe request per layer of a track in this interval, however many
/// subscribers ask.
pub const KEYFRAME_INTERVAL: Duration = Duration::from_millis(500);

/// LiveKit's rid names; none means the only layer, an unknown rid counts as the highest (as the
/// clients do).
pub fn layer_of(rid: Option<&str>) -> Layer {
    match rid {
        None => Layer::BASE,
        Some(rid) => Layer::from_rid(rid).unwrap_or(Layer::HIGH),
    }
}

/// The forwarding codec for a negotiated str0m codec; `None` for codecs not forwarded.
pub fn codec_of(codec: str0m::format::Codec) -> Option<Codec> {
    use str0m::format::Codec as S;
    match codec {
        S::Opus => Some(Codec::Opus),
        S::Vp8 => Some(Codec::Vp8),
        S::H264 => Some(Codec::H264),
        S::Vp9 => Some(Codec::Vp9),
        S::Av1 => Some(Codec::Av1),
        _ => None,
    }
}

/// Per published track.
#[derive(Debug)]
pub struct TrackForwarding {
    /// Which layers are sending and their announced sizes.
    pub layers: TrackLayers,
    last_seen: [Option<Instant>; onair_forward::MAX_LAYERS],
    /// Keyframe requests toward the publisher, coalesced across subscribers.
    pub throttle: KeyframeThrottle,
    /// Each layer's incoming bitrate, rolled into `layers` once per window.
    pub meter: LayerMeter,
}

impl TrackForwarding {
    /// Nothing received yet; layer sizes from the AddTrackRequest's announced layers.
    pub fn new(announced: &[proto::VideoLayer]) -> Self {
        let mut layers = TrackLayers::default();
        for l in announced {
            let layer = match proto::VideoQuality::try_from(l.quality) {
                Ok(proto::VideoQuality::Low) => Layer::LOW,
                Ok(proto::VideoQuality::Medium) => Layer::MEDIUM,
                _ => Layer::HIGH,
            };
            layers.set(
                layer,
                LayerInfo {
                    active: false,
                    dimensions: Dimensions::new(l.width, l.height),
                    bitrate_bps: 0,
                },
            );
        }
        Self {
            layers,
            last_seen: [None; onair_forward::MAX_LAYERS],
            throttle: KeyframeThrottle::new(KEYFRAME_INTERVAL),
            meter: LayerMeter::default(),
        }
    }

    /// A packet of `bytes` arrived on `layer`; returns whether the set of sending layers
    /// changed.
    pub fn on_packet(&mut self, layer: Layer, bytes: usize, now: Instant) -> bool {
        self.last_seen[layer.index()] = Some(now);
        self.meter.on_packet(layer, bytes, now);
        let info = *self.layers.get(layer);
        if info.active {
            return false;
        }
        self.layers.set(
            layer,
            LayerInfo {
                active: true,
                ..info
            },
        );
        true
    }

    /// Marks layers that stopped sending; returns whether anything changed.
    pub fn expire(&mut self, now: Instant) -> bool {
        let mut changed = false;
        for layer in Layer::all() {
            let info = *self.layers.get(layer);
            let stale = self.last_seen[layer.index()]
                .is_none_or(|t| now.saturating_duration_since(t) >= LAYER_FRESH);
            if info.active && stale {
                self.layers.set(
                    layer,
                    LayerInfo {
                        active: false,
                        ..info
                    },
                );
                changed = true;
            }
        }
        changed
    }
}

/// Per (subscriber, track).
#[derive(Debug)]
pub struct SubscriberForwarding {
    /// Created at the first packet, once the track's codec is known.
    pub forwarder: Option<Forwarder>,
    /// The subscriber's wish from UpdateTrackSettings.
    pub quality: VideoQuality,
    /// Requested element size, if any (wins over `quality`).
    pub dimensions: Option<Dimensions>,
    /// This track's share of the subscriber's bandwidth estimate; `None` = not limited.
    pub share_bps: Option<u64>,
}

impl Default for SubscriberForwarding {
    fn default() -> Self {
        Self {
            forwarder: None,
            quality: VideoQuality::High,
            dimensions: None,
            share_bps: None,
        }
    }
}

impl SubscriberForwarding {
    /// The forwarder, created for `codec` on first use with the subscriber's wish applied.
    pub fn forwarder(
        &mut self,
        codec: Codec,
        layers: &TrackLayers,
        now: Instant,
    ) -> Option<&mut Forwarder> {
        if self.forwarder.is_none() {
            // Random start below 2^15: no SRTP rollover at the receiver, and not guessable.
            let initial_seq = rand::rng().random_range(1..0x8000u16);
            let mut f = Forwarder::new(ForwarderConfig::new(codec, initial_seq)).ok()?;
            f.set_preference(self.quality, self.dimensions, layers, now);
            f.set_bandwidth(self.share_bps, layers, now);
            self.forwarder = Some(f);
        }
        self.forwarder.as_mut()
    }

    /// Applies a new bandwidth share; returns whether the forwarder's target changed.
    pub fn set_share(&mut self, share: Option<u64>, layers: &TrackLayers, now: Instant) -> bool {
        self.share_bps = share;
        match self.forwarder.as_mut() {
            Some(f) => f.set_bandwidth(share, layers, now),
            None => false,
        }
    }

    /// Applies UpdateTrackSettings; returns whether the forwarder's target changed.
    pub fn set_settings(
        &mut self,
        settings: &proto::UpdateTrackSettings,
        layers: &TrackLayers,
        now: Instant,
    ) -> bool {
        let quality = settings.quality;
        self.quality = if settings.disabled {
            VideoQuality::Off
        } else {
            VideoQuality::from_proto(quality).unwrap_or(VideoQuality::High)
        };
        // A width/height of 0 means "use quality".
        self.dimensions = (settings.width > 0 && settings.height > 0)
            .then(|| Dimensions::new(settings.width, settings.height));
        match self.forwarder.as_mut() {
            Some(f) => f.set_preference(self.quality, self.dimensions, layers, now),
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_become_active_on_packets_and_expire_when_silent() {
        let t0 = Instant::now();
        let mut t = TrackForwarding::new(&[proto::VideoLayer {
            quality: proto::VideoQuality::Low as i32,
            width: 320,
            height: 180,
            ..Default::default()
        }]);
        assert_eq!(
            t.layers.get(Layer::LOW).dimensions,
            Dimensions::new(320, 180)
        );
        assert!(t.on_packet(Layer::LOW, 100, t0));
        assert!(!t.on_packet(Layer::LOW, 100, t0 + Duration::from_millis(10)));
        assert!(!t.expire(t0 + Duration::from_millis(100)));
        assert!(t.expire(t0 + LAYER_FRESH + Duration::from_millis(10)));
        assert!(!t.layers.get(Layer::LOW).active);
    }

    #[test]
    fn rids_and_codecs_map() {
        assert_eq!(layer_of(None), Layer::BASE);
        assert_eq!(layer_of(Some("h")), Layer::MEDIUM);
        assert_eq!(layer_of(Some("x")), Layer::HIGH);
        assert_eq!(codec_of(str0m::format::Codec::Vp8), Some(Codec::Vp8));
        assert_eq!(codec_of(str0m::format::Codec::PCMU), None);
    }

    #[test]
    fn settings_map_to_a_wish() {
        let t0 = Instant::now();
        let layers = TrackLayers::default();
        let mut s = SubscriberForwarding::default();
        s.set_settings(
            &proto::UpdateTrackSettings {
                disabled: true,
                ..Default::default()
            },
            &layers,
            t0,
        );
        assert_eq!(s.quality, VideoQuality::Off);
        s.set_settings(
            &proto::UpdateTrackSettings {
                width: 320,
                height: 180,
                ..Default::default()
            },
            &layers,
            t0,
        );
        assert_eq!(s.dimensions, Some(Dimensions::new(320, 180)));
        assert!(s.forwarder(Codec::Vp8, &layers, t0).is_some());
    }
}
