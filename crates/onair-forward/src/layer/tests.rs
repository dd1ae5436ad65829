use super::*;

const Q: Layer = Layer::LOW;
const H: Layer = Layer::MEDIUM;
const F: Layer = Layer::HIGH;

fn info(active: bool, w: u32, h: u32, kbps: u64) -> LayerInfo {
    LayerInfo {
        active,
        dimensions: Dimensions::new(w, h),
        bitrate_bps: kbps * 1000,
    }
}

/// LiveKit JS defaults for a 720p camera: q 320x180, h 640x360, f 1280x720.
fn three() -> TrackLayers {
    TrackLayers([
        info(true, 320, 180, 150),
        info(true, 640, 360, 400),
        info(true, 1280, 720, 1200),
    ])
}

fn with(mut t: TrackLayers, layer: Layer, f: impl FnOnce(&mut LayerInfo)) -> TrackLayers {
    f(&mut t.0[layer.index()]);
    t
}

/// (name, publisher layers, quality, requested dimensions, bandwidth, expected target)
type TargetCase = (
    &'static str,
    TrackLayers,
    VideoQuality,
    Option<Dimensions>,
    Option<u64>,
    Option<Layer>,
);

#[test]
fn target_table() {
    let now = Instant::now();
    let none = TrackLayers::default();
    let cases: Vec<TargetCase> = vec![
        (
            "high by default",
            three(),
            VideoQuality::High,
            None,
            None,
            Some(F),
        ),
        ("medium", three(), VideoQuality::Medium, None, None, Some(H)),
        ("low", three(), VideoQuality::Low, None, None, Some(Q)),
        ("off", three(), VideoQuality::Off, None, None, None),
        (
            "dims: exact match",
            three(),
            VideoQuality::High,
            Some(Dimensions::new(640, 360)),
            None,
            Some(H),
        ),
        (
            "dims: smallest covering",
            three(),
            VideoQuality::High,
            Some(Dimensions::new(400, 200)),
            None,
            Some(H),
        ),
        (
            "dims: tiny",
            three(),
            VideoQuality::High,
            Some(Dimensions::new(100, 50)),
            None,
            Some(Q),
        ),
        (
            "dims: larger than all",
            three(),
            VideoQuality::Low,
            Some(Dimensions::new(4000, 3000)),
            None,
            Some(F),
        ),
        (
            "dims: zero means unset",
            three(),
            VideoQuality::Medium,
            Some(Dimensions::new(0, 0)),
            None,
            Some(H),
        ),
        (
            "dims unknown falls back to quality",
            TrackLayers([info(true, 0, 0, 0); 3]),
            VideoQuality::Medium,
            Some(Dimensions::new(1280, 720)),
            None,
            Some(H),
        ),
        (
            "paused top layer skipped",
            with(three(), F, |l| l.active = false),
            VideoQuality::High,
            None,
            None,
            Some(H),
        ),
        (
            "only a higher layer arrives",
            with(with(three(), Q, |l| l.active = false), H, |l| {
                l.active = false
            }),
            VideoQuality::Low,
            None,
            None,
            Some(F),
        ),
        (
            "bandwidth caps",
            three(),
            VideoQuality::High,
            None,
            Some(500_000),
            Some(H),
        ),
        (
            "bandwidth exactly fits",
            three(),
            VideoQuality::High,
            None,
            Some(1_200_000),
            Some(F),
        ),
        (
            "bandwidth below everything keeps lowest",
            three(),
            VideoQuality::High,
            None,
            Some(10_000),
            Some(Q),
        ),
        (
            "unknown bitrate fits",
            TrackLayers([info(true, 0, 0, 0); 3]),
            VideoQuality::High,
            None,
            Some(1),
            Some(F),
        ),
        (
            "nothing arrives: aim at the wish",
            none,
            VideoQuality::Medium,
            None,
            None,
            Some(H),
        ),
    ];
    for (name, layers, quality, dims, bw, want) in cases {
        let mut s = LayerSelector::new(SelectorConfig::default());
        s.set_preference(quality, dims);
        s.set_bandwidth(bw);
        s.update(&layers, now);
        assert_eq!(s.target(), want, "{name}");
    }
}

#[test]
fn bandwidth_hysteresis() {
    let t0 = Instant::now();
    let ms = |n| t0 + Duration::from_millis(n);
    let layers = three();
    let mut s = LayerSelector::new(SelectorConfig {
        up_hold: Duration::from_secs(2),
        up_headroom_percent: 15,
    });
    s.set_bandwidth(Some(2_000_000));
    s.update(&layers, ms(0));
    assert_eq!(s.target(), Some(F));
    // (time ms, estimate kbps, expected target)
    let steps = [
        (100, 1000, H),  // down at once
        (200, 1300, H),  // fits F without headroom (1200) but not with it (1380)
        (300, 1400, H),  // fits with headroom: hold starts
        (1000, 1450, H), // still holding
        (1500, 1100, H), // dip: hold resets
        (1600, 1400, H), // hold starts again
        (3500, 1400, H), // 1.9 s
        (3600, 1400, F), // 2.0 s: up
        (3700, 300, Q),  // crash: down two layers at once
        (3800, 5000, Q), // big jump: still held
        (5800, 5000, F), // straight to the top after the hold
    ];
    for (t, kbps, want) in steps {
        s.set_bandwidth(Some(kbps * 1000));
        s.update(&layers, ms(t));
        assert_eq!(s.target(), Some(want), "at {t} ms with {kbps} kbps");
    }
}

#[test]
fn preference_up_is_immediate_when_bandwidth_allows() {
    let now = Instant::now();
    let mut s = LayerSelector::new(SelectorConfig::default());
    s.set_bandwidth(Some(10_000_000));
    s.set_preference(VideoQuality::Low, None);
    s.update(&three(), now);
    assert_eq!(s.target(), Some(Q));
    s.set_preference(VideoQuality::High, None);
    assert!(s.update(&three(), now));
    assert_eq!(s.target(), Some(F));
    assert_eq!(s.poll_timeout(), None);
}

#[test]
fn up_hold_reports_its_deadline() {
    let t0 = Instant::now();
    let mut s = LayerSelector::new(SelectorConfig::default());
    s.set_bandwidth(Some(200_000));
    s.update(&three(), t0);
    assert_eq!(s.target(), Some(Q));
    s.set_bandwidth(Some(5_000_000));
    s.update(&three(), t0);
    assert_eq!(
        s.poll_timeout(),
        Some(t0 + SelectorConfig::default().up_hold)
    );
}

/// (layer, keyframe, expected selection, expected current after)
type Step = (Layer, bool, Selection, Option<Layer>);

fn run_packets(s: &mut LayerSelector, steps: &[Step]) {
    for (i, (layer, key, want, current)) in steps.iter().enumerate() {
        assert_eq!(s.on_packet(*layer, *key), *want, "step {i}");
        assert_eq!(s.current(), *current, "step {i}");
    }
}

#[test]
fn switches_only_at_keyframes() {
    let now = Instant::now();
    let mut s = LayerSelector::new(SelectorConfig::default());
    s.set_preference(VideoQuality::Medium, None);
    s.update(&three(), now);
    assert_eq!(s.wants_keyframe(), Some(H));
    run_packets(
        &mut s,
        &[
            (H, false, Selection::Drop, None),
            (F, true, Selection::Drop, None), // above the target
            (Q, true, Selection::Switch, Some(Q)), // start low while waiting
            (Q, false, Selection::Forward, Some(Q)),
            (H, false, Selection::Drop, Some(Q)),
            (H, true, Selection::Switch, Some(H)),
            (Q, true, Selection::Drop, Some(H)),
            (H, false, Selection::Forward, Some(H)),
        ],
    );
    assert_eq!(s.wants_keyframe(), None);

    // down: keep forwarding the current layer until the target's keyframe
    s.set_preference(VideoQuality::Low, None);
    assert!(s.update(&three(), now));
    assert_eq!(s.wants_keyframe(), Some(Q));
    run_packets(
        &mut s,
        &[
            (H, false, Selection::Forward, Some(H)),
            (Q, false, Selection::Drop, Some(H)),
            (H, true, Selection::Forward, Some(H)),
            (Q, true, Selection::Switch, Some(Q)),
            (H, false, Selection::Drop, Some(Q)),
        ],
    );

    // up by two: a keyframe on the layer between is a step towards the target
    s.set_preference(VideoQuality::High, None);
    s.update(&three(), now);
    run_packets(
        &mut s,
        &[
            (H, true, Selection::Switch, Some(H)),
            (Q, true, Selection::Drop, Some(H)),
            (F, true, Selection::Switch, Some(F)),
        ],
    );

    // off: nothing, and the next start needs a keyframe again
    s.set_preference(VideoQuality::Off, None);
    assert!(s.update(&three(), now));
    run_packets(&mut s, &[(F, true, Selection::Off, None)]);
    s.set_preference(VideoQuality::High, None);
    s.update(&three(), now);
    run_packets(
        &mut s,
        &[
            (F, false, Selection::Drop, None),
            (F, true, Selection::Switch, Some(F)),
        ],
    );
}

#[test]
fn stalled_current_layer_lets_a_lower_keyframe_take_over() {
    let now = Instant::now();
    let mut s = LayerSelector::new(SelectorConfig::default());
    s.update(&three(), now);
    run_packets(&mut s, &[(F, true, Selection::Switch, Some(F))]);
    // f pauses: target moves to h; meanwhile a q keyframe arrives first
    let paused = with(three(), F, |l| l.active = false);
    s.update(&paused, now);
    assert_eq!(s.target(), Some(H));
    run_packets(
        &mut s,
        &[
            (Q, true, Selection::Switch, Some(Q)),
            (H, true, Selection::Switch, Some(H)),
        ],
    );
}

#[test]
fn refresh_applies_a_due_up_switch_with_the_last_layers() {
    let t0 = Instant::now();
    let mut s = LayerSelector::new(SelectorConfig::default());
    s.set_bandwidth(Some(200_000));
    s.update(&three(), t0);
    s.set_bandwidth(Some(5_000_000));
    s.update(&three(), t0);
    assert_eq!(s.target(), Some(Q));
    let hold = SelectorConfig::default().up_hold;
    assert!(
        !s.refresh(t0 + hold - Duration::from_millis(1)),
        "not due yet"
    );
    assert_eq!(s.target(), Some(Q));
    assert!(s.refresh(t0 + hold));
    assert_eq!(s.target(), Some(F));
    assert!(!s.refresh(t0 + hold * 2), "nothing pending");
}

mod props;

#[test]
fn ceiling_is_the_wish_narrowed_to_what_is_sent() {
    let q = VideoQuality::High;
    assert_eq!(ceiling(q, None, &three()), Some(F));
    assert_eq!(ceiling(VideoQuality::Off, None, &three()), None);
    assert_eq!(
        ceiling(q, Some(Dimensions::new(600, 300)), &three()),
        Some(H)
    );
    let no_top = with(three(), F, |l| l.active = false);
    assert_eq!(ceiling(q, None, &no_top), Some(H));
    let only_top = with(with(three(), Q, |l| l.active = false), H, |l| {
        l.active = false
    });
    assert_eq!(ceiling(VideoQuality::Low, None, &only_top), Some(F));
    assert_eq!(ceiling(q, None, &TrackLayers::default()), None);
}
