use super::*;

const Q: Layer = Layer::LOW;
const H: Layer = Layer::MEDIUM;
const F: Layer = Layer::HIGH;

fn ms(t0: Instant, n: u64) -> Instant {
    t0 + Duration::from_millis(n)
}

/// A VP8 payload: 15-bit picture id, TL0PICIDX, KEYIDX, then a VP8 header byte.
fn vp8(pic: u16, tl0: u8, key: u8, keyframe: bool) -> Vec<u8> {
    vec![
        0x90,
        0xd0,
        0x80 | (pic >> 8) as u8,
        pic as u8,
        tl0,
        key,
        u8::from(!keyframe),
        0xaa,
        0xbb,
    ]
}

struct Pkt {
    layer: Layer,
    seq: u64,
    ts: u32,
    at: u64,
    payload: Vec<u8>,
}

fn decide(f: &mut Forwarder, codec: Codec, t0: Instant, p: &Pkt) -> Decision {
    let pkt = IncomingPacket {
        layer: p.layer,
        seq: p.seq,
        timestamp: p.ts,
        marker: false,
        arrival: ms(t0, p.at),
        payload: &p.payload,
        info: PacketInfo::parse(codec, &p.payload),
    };
    f.forward(&pkt)
}

#[test]
fn audio_is_rebased_and_cheap() {
    let t0 = Instant::now();
    let mut f = Forwarder::new(ForwarderConfig::new(Codec::Opus, 1000)).unwrap();
    let opus = vec![0x78; 80];
    let cases = [
        (70_000u64, 960u32, Some((1000u64, 960u32))),
        (70_001, 1920, Some((1001, 1920))),
        (70_001, 1920, None), // duplicate
        (70_003, 3840, Some((1003, 3840))),
        (70_002, 2880, Some((1002, 2880))), // late, fills its slot
    ];
    for (i, (seq, ts, want)) in cases.into_iter().enumerate() {
        let p = Pkt {
            layer: Layer::BASE,
            seq,
            ts,
            at: i as u64 * 20,
            payload: opus.clone(),
        };
        match (decide(&mut f, Codec::Opus, t0, &p), want) {
            (Decision::Forward(out), Some((s, t))) => {
                assert_eq!(
                    (out.seq, out.timestamp, out.vp8, out.switched),
                    (s, t, None, i == 0),
                    "case {i}"
                )
            }
            (Decision::Drop(DropReason::Duplicate), None) => {}
            (got, want) => panic!("case {i}: got {got:?}, want {want:?}"),
        }
    }
    // padding is consumed without a hole
    let pad = Pkt {
        layer: Layer::BASE,
        seq: 70_004,
        ts: 3840,
        at: 100,
        payload: vec![],
    };
    assert_eq!(
        decide(&mut f, Codec::Opus, t0, &pad),
        Decision::Drop(DropReason::Padding)
    );
    let next = Pkt {
        layer: Layer::BASE,
        seq: 70_005,
        ts: 4800,
        at: 120,
        payload: opus,
    };
    assert!(matches!(
        decide(&mut f, Codec::Opus, t0, &next),
        Decision::Forward(Forwarded { seq: 1004, .. })
    ));
    assert_eq!(f.keyframe_request(t0), None);
    assert_eq!(f.current_layer(), Some(Layer::BASE));
}

#[test]
fn simulcast_vp8_switches_at_keyframes_and_stays_continuous() {
    let t0 = Instant::now();
    let mut layers = TrackLayers::default();
    for l in Layer::all() {
        layers.set(
            l,
            crate::layer::LayerInfo {
                active: true,
                ..Default::default()
            },
        );
    }
    let mut f = Forwarder::new(ForwarderConfig::new(Codec::Vp8, 5)).unwrap();
    assert!(f.set_preference(VideoQuality::Medium, None, &layers, t0));
    assert_eq!(f.keyframe_request(t0), Some(H));
    assert_eq!(f.keyframe_request(ms(t0, 500)), None, "retry waits");
    assert_eq!(f.keyframe_request(ms(t0, 1000)), Some(H), "retried");

    // Each layer has its own seq, timestamp and picture id spaces.
    let pkt = |layer: Layer, n: u64, key: bool, at: u64| {
        let (seq0, ts0, pic0) = [
            (100, 1_000_000, 10),
            (5000, 7_000_000, 20_000),
            (60_000, 90, 32_760),
        ][layer.index()];
        Pkt {
            layer,
            seq: seq0 + n,
            ts: ts0 + 3000 * n as u32,
            at,
            payload: vp8((pic0 + n as u16) & 0x7fff, n as u8, 0, key),
        }
    };
    // (packet, expected: None = dropped, Some((seq, ts, pic, switched)))
    type Want = Option<(u64, u32, u16, bool)>;
    let steps: Vec<(Pkt, Want)> = vec![
        (pkt(H, 0, false, 0), None),                          // no keyframe yet
        (pkt(Q, 0, true, 0), Some((5, 1_000_000, 10, true))), // start low while waiting for h
        (pkt(Q, 1, false, 33), Some((6, 1_003_000, 11, false))),
        (pkt(H, 2, true, 66), Some((7, 1_003_000 + 2970, 12, true))), // h keyframe: switch
        (pkt(Q, 2, false, 66), None),
        (pkt(H, 3, false, 99), Some((8, 1_005_970 + 3000, 13, false))),
    ];
    for (i, (p, want)) in steps.iter().enumerate() {
        let got = decide(&mut f, Codec::Vp8, t0, p);
        match (got, want) {
            (Decision::Forward(out), Some((seq, ts, pic, switched))) => {
                assert_eq!(
                    (
                        out.seq,
                        out.timestamp,
                        out.vp8.and_then(|v| v.picture_id),
                        out.switched
                    ),
                    (*seq, *ts, Some(*pic), *switched),
                    "step {i}"
                );
            }
            (Decision::Drop(_), None) => {}
            (got, want) => panic!("step {i}: got {got:?}, want {want:?}"),
        }
    }
    assert_eq!(f.current_layer(), Some(H));
    assert_eq!(f.keyframe_request(ms(t0, 2000)), None, "target reached");

    // NACK translation goes back to the right layer
    assert_eq!(f.origin(6), Origin::Forwarded { layer: Q, seq: 101 });
    assert_eq!(
        f.origin(8),
        Origin::Forwarded {
            layer: H,
            seq: 5003
        }
    );

    // Up to f: a keyframe there continues every counter
    assert!(f.set_preference(VideoQuality::High, None, &layers, ms(t0, 100)));
    let p = pkt(F, 0, true, 110);
    let Decision::Forward(out) = decide(&mut f, Codec::Vp8, t0, &p) else {
        panic!("f keyframe dropped")
    };
    assert_eq!(out.seq, 9);
    assert_eq!(out.timestamp, 1_008_970 + 990); // 11 ms after the newest packet
    assert_eq!(
        out.vp8,
        Some(Vp8Patch {
            picture_id: Some(14),
            tl0_pic_idx: Some(4),
            key_idx: Some(2)
        })
    );
    let mut buf = Vec::new();
    out.write_payload(&p.payload, &mut buf).unwrap();
    assert_eq!(buf, vp8(14, 4, 2, true));
}

#[test]
fn malformed_and_padding_video_leave_no_hole() {
    let t0 = Instant::now();
    let mut f = Forwarder::new(ForwarderConfig::new(Codec::Vp8, 0)).unwrap();
    let ok = |seq, key| Pkt {
        layer: F,
        seq,
        ts: 0,
        at: 0,
        payload: vp8(1, 0, 0, key),
    };
    assert!(matches!(
        decide(&mut f, Codec::Vp8, t0, &ok(10, true)),
        Decision::Forward(Forwarded { seq: 0, .. })
    ));
    let bad = Pkt {
        layer: F,
        seq: 11,
        ts: 0,
        at: 0,
        payload: vec![0x90, 0x80],
    };
    assert_eq!(
        decide(&mut f, Codec::Vp8, t0, &bad),
        Decision::Drop(DropReason::Malformed)
    );
    let pad = Pkt {
        layer: F,
        seq: 12,
        ts: 0,
        at: 0,
        payload: vec![],
    };
    assert_eq!(
        decide(&mut f, Codec::Vp8, t0, &pad),
        Decision::Drop(DropReason::Padding)
    );
    assert!(matches!(
        decide(&mut f, Codec::Vp8, t0, &ok(13, false)),
        Decision::Forward(Forwarded { seq: 1, .. })
    ));
}

#[test]
fn off_then_resume_needs_a_keyframe_and_continues() {
    let t0 = Instant::now();
    let layers = TrackLayers(
        [crate::layer::LayerInfo {
            active: true,
            ..Default::default()
        }; 3],
    );
    let mut f = Forwarder::new(ForwarderConfig::new(Codec::H264, 0)).unwrap();
    f.update_layers(&layers, t0);
    let idr = vec![0x65, 0x88];
    let slice = vec![0x41, 0x9a];
    let p = |seq, ts, payload: &Vec<u8>| Pkt {
        layer: F,
        seq,
        ts,
        at: seq,
        payload: payload.clone(),
    };
    assert!(matches!(
        decide(&mut f, Codec::H264, t0, &p(1, 0, &idr)),
        Decision::Forward(Forwarded { seq: 0, .. })
    ));
    assert!(matches!(
        decide(&mut f, Codec::H264, t0, &p(2, 3000, &slice)),
        Decision::Forward(Forwarded { seq: 1, .. })
    ));
    f.set_preference(VideoQuality::Off, None, &layers, t0);
    assert_eq!(
        decide(&mut f, Codec::H264, t0, &p(3, 6000, &idr)),
        Decision::Drop(DropReason::Off)
    );
    assert_eq!(f.keyframe_request(t0), None);
    f.set_preference(VideoQuality::High, None, &layers, t0);
    assert_eq!(f.keyframe_request(t0), Some(F));
    assert_eq!(
        decide(&mut f, Codec::H264, t0, &p(500, 9000, &slice)),
        Decision::Drop(DropReason::NotSelected)
    );
    let Decision::Forward(out) = decide(&mut f, Codec::H264, t0, &p(501, 9000, &idr)) else {
        panic!()
    };
    assert_eq!(out.seq, 2, "continues at +1 after the pause");
    assert!(out.switched);
    assert_eq!(out.timestamp, 3000 + 499 * 90, "499 ms later");
}

#[test]
fn publisher_restart_resumes_at_the_next_keyframe() {
    let t0 = Instant::now();
    let layers = TrackLayers(
        [crate::layer::LayerInfo {
            active: true,
            ..Default::default()
        }; 3],
    );
    let mut f = Forwarder::new(ForwarderConfig::new(Codec::H264, 0)).unwrap();
    f.update_layers(&layers, t0);
    let (idr, slice) = (vec![0x65, 0x88], vec![0x41, 0x9a]);
    let p = |seq, ts, at, payload: &Vec<u8>| Pkt {
        layer: F,
        seq,
        ts,
        at,
        payload: payload.clone(),
    };
    assert!(matches!(
        decide(&mut f, Codec::H264, t0, &p(40_000, 1000, 0, &idr)),
        Decision::Forward(Forwarded { seq: 0, .. })
    ));
    assert!(matches!(
        decide(&mut f, Codec::H264, t0, &p(40_001, 4000, 33, &slice)),
        Decision::Forward(Forwarded { seq: 1, .. })
    ));
    assert_eq!(f.keyframe_request(ms(t0, 40)), None);
    // numbering starts over far below: dropped until a keyframe, which is asked for
    assert_eq!(
        decide(&mut f, Codec::H264, t0, &p(7, 50, 66, &slice)),
        Decision::Drop(DropReason::Stale)
    );
    assert_eq!(f.keyframe_request(ms(t0, 66)), Some(F));
    let Decision::Forward(out) = decide(&mut f, Codec::H264, t0, &p(8, 3050, 100, &idr)) else {
        panic!("restart keyframe dropped")
    };
    assert_eq!((out.seq, out.switched), (2, true));
    assert_eq!(
        out.timestamp,
        4000 + 67 * 90,
        "67 ms after the newest packet"
    );
    assert!(matches!(
        decide(&mut f, Codec::H264, t0, &p(9, 6050, 133, &slice)),
        Decision::Forward(Forwarded { seq: 3, .. })
    ));
    assert_eq!(f.keyframe_request(ms(t0, 2000)), None);
}

#[test]
fn audio_publisher_restart_resumes_at_once() {
    let t0 = Instant::now();
    let mut f = Forwarder::new(ForwarderConfig::new(Codec::Opus, 100)).unwrap();
    let p = |seq, ts, at| Pkt {
        layer: Layer::BASE,
        seq,
        ts,
        at,
        payload: vec![0x78; 10],
    };
    assert!(matches!(
        decide(&mut f, Codec::Opus, t0, &p(30_000, 960, 0)),
        Decision::Forward(Forwarded { seq: 100, .. })
    ));
    let Decision::Forward(out) = decide(&mut f, Codec::Opus, t0, &p(5, 77, 20)) else {
        panic!("restart dropped")
    };
    assert_eq!((out.seq, out.timestamp), (101, 960 + 960));
    assert!(matches!(
        decide(&mut f, Codec::Opus, t0, &p(6, 77 + 960, 40)),
        Decision::Forward(Forwarded { seq: 102, .. })
    ));
}
