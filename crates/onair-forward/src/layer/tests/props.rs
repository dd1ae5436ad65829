//! Property tests of the selector: random preferences, bandwidth, layers, time and packets.

use super::*;
use proptest::prelude::*;

fn layer_info() -> impl Strategy<Value = LayerInfo> {
    (any::<bool>(), 0..2000u64).prop_map(|(active, kbps)| LayerInfo {
        active,
        dimensions: Dimensions::default(),
        bitrate_bps: kbps * 1000,
    })
}

#[derive(Debug, Clone)]
enum Change {
    Quality(u8),
    Bandwidth(Option<u64>),
    Layers([LayerInfo; 3]),
    Wait(u64),
    Packet(u8, bool),
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        (0..4u8).prop_map(Change::Quality),
        proptest::option::of(0..3000u64).prop_map(|b| Change::Bandwidth(b.map(|k| k * 1000))),
        [layer_info(), layer_info(), layer_info()].prop_map(Change::Layers),
        (0..3000u64).prop_map(Change::Wait),
        (0..3u8, any::<bool>()).prop_map(|(l, k)| Change::Packet(l, k)),
    ]
}

proptest! {
    /// The target respects the wish and the publisher's layers; the current layer only ever
    /// changes at a keyframe; after a switch, the current layer's packets are forwarded.
    #[test]
    fn selector_invariants(changes in proptest::collection::vec(change(), 1..80)) {
        let mut now = Instant::now();
        let mut layers = three();
        let mut quality = VideoQuality::High;
        let mut s = LayerSelector::new(SelectorConfig::default());
        s.update(&layers, now);
        for c in changes {
            match c {
                Change::Quality(q) => {
                    quality = VideoQuality::from_proto(i32::from(q)).unwrap();
                    s.set_preference(quality, None);
                    s.update(&layers, now);
                }
                Change::Bandwidth(b) => {
                    s.set_bandwidth(b);
                    s.update(&layers, now);
                }
                Change::Layers(l) => {
                    layers = TrackLayers(l);
                    s.update(&layers, now);
                }
                Change::Wait(ms) => {
                    now += Duration::from_millis(ms);
                    s.refresh(now);
                }
                Change::Packet(l, key) => {
                    let layer = Layer::new(usize::from(l)).unwrap();
                    let before = s.current();
                    let sel = s.on_packet(layer, key);
                    match sel {
                        Selection::Switch => {
                            prop_assert!(key, "switched without a keyframe");
                            prop_assert_eq!(s.current(), Some(layer));
                            // to the target, below it (nothing usable yet), or a step towards it
                            let target = s.target().unwrap();
                            let dist = |l: Layer| l.index().abs_diff(target.index());
                            let closer = before.is_none_or(|b| dist(layer) < dist(b));
                            prop_assert!(layer <= target || closer, "switched away from the target");
                        }
                        Selection::Forward => {
                            prop_assert_eq!(before, Some(layer));
                        }
                        Selection::Drop | Selection::Off => {
                            prop_assert_eq!(s.current(), before);
                            prop_assert!(before != Some(layer) || sel == Selection::Off);
                        }
                    }
                }
            }
            match (quality.max_layer(), s.target()) {
                (None, target) => prop_assert_eq!(target, None),
                (Some(_), None) => prop_assert!(false, "no target while video is wanted"),
                (Some(cap), Some(target)) => {
                    let any_active = layers.active().next().is_some();
                    if any_active {
                        prop_assert!(layers.get(target).active, "target {target} is not sending");
                        // above the wish only when nothing at or below it is sending
                        if target > cap {
                            prop_assert!(layers.active().all(|l| l > cap));
                        }
                    }
                }
            }
        }
    }
}
