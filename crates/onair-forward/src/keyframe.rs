//! Keyframe-request throttle per published track: many subscribers asking, one PLI per layer
//! per interval toward the publisher.
//!
//! Every request either goes out at once (none was sent on that layer within the interval) or is
//! parked as pending; [`KeyframeThrottle::poll`] releases parked requests when the interval has
//! passed, and a keyframe arriving on the layer clears its pending request — it already answered
//! it. Time is passed in; [`KeyframeThrottle::poll_timeout`] says when to poll next.

use std::time::{Duration, Instant};

use crate::types::{Layer, MAX_LAYERS};

/// LiveKit's publisher-side PLI throttle is of this order; a keyframe costs the publisher a
/// burst of bitrate, so asking more often buys little.
pub const DEFAULT_KEYFRAME_INTERVAL: Duration = Duration::from_millis(500);

#[derive(Debug, Clone, Copy, Default)]
struct LayerState {
    last_sent: Option<Instant>,
    pending: bool,
}

/// See the module docs.
#[derive(Debug, Clone)]
pub struct KeyframeThrottle {
    interval: Duration,
    layers: [LayerState; MAX_LAYERS],
}

impl Default for KeyframeThrottle {
    fn default() -> Self {
        Self::new(DEFAULT_KEYFRAME_INTERVAL)
    }
}

impl KeyframeThrottle {
    pub fn new(interval: Duration) -> Self {
        KeyframeThrottle {
            interval,
            layers: [LayerState::default(); MAX_LAYERS],
        }
    }

    fn may_send(&self, state: &LayerState, now: Instant) -> bool {
        state
            .last_sent
            .is_none_or(|at| now.saturating_duration_since(at) >= self.interval)
    }

    /// A subscriber wants a keyframe on `layer`. Returns `true` when the SFU should send a PLI
    /// now; otherwise the request is parked until [`KeyframeThrottle::poll`] releases it.
    pub fn request(&mut self, layer: Layer, now: Instant) -> bool {
        let state = self.layers[layer.index()];
        if self.may_send(&state, now) {
            self.layers[layer.index()] = LayerState {
                last_sent: Some(now),
                pending: false,
            };
            true
        } else {
            self.layers[layer.index()].pending = true;
            false
        }
    }

    /// A keyframe arrived on `layer`: a parked request for it is answered.
    pub fn on_keyframe(&mut self, layer: Layer) {
        self.layers[layer.index()].pending = false;
    }

    /// A parked request whose interval has passed: send a PLI for this layer now. Call until
    /// it returns `None`.
    pub fn poll(&mut self, now: Instant) -> Option<Layer> {
        let layer = Layer::all().find(|l| {
            let state = &self.layers[l.index()];
            state.pending && self.may_send(state, now)
        })?;
        self.layers[layer.index()] = LayerState {
            last_sent: Some(now),
            pending: false,
        };
        Some(layer)
    }

    /// When the earliest parked request may go out.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.layers
            .iter()
            .filter(|s| s.pending)
            .filter_map(|s| s.last_sent.map(|at| at + self.interval))
            .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    enum Step {
        /// request(layer) at t ms must return this
        Req(u64, Layer, bool),
        Key(Layer),
        /// poll at t ms must return this
        Poll(u64, Option<Layer>),
        Timeout(Option<u64>),
    }
    use Step::*;

    #[test]
    fn table() {
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        let (q, h) = (Layer::LOW, Layer::MEDIUM);
        let steps = [
            Timeout(None),
            Req(0, h, true),   // first request goes out
            Req(10, h, false), // many subscribers within the window: parked
            Req(20, h, false),
            Req(20, q, true), // layers are independent
            Poll(100, None),
            Timeout(Some(500)),
            Poll(499, None),
            Poll(500, Some(h)), // one PLI for all the parked requests
            Poll(500, None),
            Req(600, h, false),
            Key(h), // keyframe answers the parked request
            Poll(2000, None),
            Timeout(None),
            Req(2000, h, true),
        ];
        let mut k = KeyframeThrottle::new(Duration::from_millis(500));
        for (i, step) in steps.iter().enumerate() {
            match *step {
                Req(t, layer, want) => {
                    assert_eq!(k.request(layer, ms(t)), want, "step {i}: {step:?}")
                }
                Key(layer) => k.on_keyframe(layer),
                Poll(t, want) => assert_eq!(k.poll(ms(t)), want, "step {i}: {step:?}"),
                Timeout(want) => assert_eq!(k.poll_timeout(), want.map(ms), "step {i}: {step:?}"),
            }
        }
    }

    #[test]
    fn interval_is_configurable() {
        let t0 = Instant::now();
        let mut k = KeyframeThrottle::new(Duration::from_secs(2));
        assert!(k.request(Layer::HIGH, t0));
        assert!(!k.request(Layer::HIGH, t0 + Duration::from_millis(1999)));
        assert!(k.request(Layer::HIGH, t0 + Duration::from_secs(2)));
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// However requests, polls and keyframes interleave, no layer gets two PLIs within the
        /// interval, and a request is never forgotten: it is sent at once, or a later poll sends
        /// it unless a keyframe answered it first.
        #[test]
        fn at_most_one_pli_per_interval(ops in proptest::collection::vec((0..3usize, 0..4u8, 0..400u64), 1..200)) {
            let interval = Duration::from_millis(500);
            let t0 = Instant::now();
            let mut k = KeyframeThrottle::new(interval);
            let mut now = t0;
            let mut sent: Vec<Vec<Instant>> = vec![Vec::new(); MAX_LAYERS];
            let mut owed = [false; MAX_LAYERS];
            for (layer, op, wait) in ops {
                now += Duration::from_millis(wait);
                let layer = Layer::new(layer).unwrap();
                match op {
                    0 | 1 => {
                        if k.request(layer, now) {
                            sent[layer.index()].push(now);
                            owed[layer.index()] = false;
                        } else {
                            owed[layer.index()] = true;
                        }
                    }
                    2 => {
                        k.on_keyframe(layer);
                        owed[layer.index()] = false;
                    }
                    _ => {
                        while let Some(l) = k.poll(now) {
                            sent[l.index()].push(now);
                            owed[l.index()] = false;
                        }
                    }
                }
            }
            for times in &sent {
                for pair in times.windows(2) {
                    prop_assert!(pair[1] - pair[0] >= interval);
                }
            }
            // everything still owed goes out once the interval has passed
            let later = now + interval;
            while let Some(l) = k.poll(later) {
                prop_assert!(owed[l.index()], "sent a request nobody made");
                owed[l.index()] = false;
            }
            prop_assert_eq!(owed, [false; MAX_LAYERS]);
        }
    }
}
