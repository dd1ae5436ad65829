use super::*;

const L0: Layer = Layer::LOW;
const L1: Layer = Layer::MEDIUM;

#[derive(Debug, Clone, Copy)]
enum Op {
    /// forward(layer, seq) must give this result
    Fwd(Layer, u64, Result<u64, SeqDrop>),
    Skip(Layer, u64),
    Start(Layer, u64),
}
use Op::*;

fn run(name: &str, initial: u16, ops: &[Op]) -> SeqMunger {
    let mut m = SeqMunger::new(initial, 16).unwrap();
    for (i, op) in ops.iter().enumerate() {
        match *op {
            Fwd(layer, seq, want) => {
                assert_eq!(m.forward(layer, seq), want, "{name}: op {i} {op:?}")
            }
            Skip(layer, seq) => m.skip(layer, seq),
            Start(layer, seq) => m.start_source(layer, seq),
        }
    }
    m
}

#[test]
fn table() {
    let cases: &[(&str, u16, &[Op])] = &[
        (
            "in order keeps the step",
            1000,
            &[
                Fwd(L0, 70000, Ok(1000)),
                Fwd(L0, 70001, Ok(1001)),
                Fwd(L0, 70002, Ok(1002)),
            ],
        ),
        (
            "duplicate dropped",
            10,
            &[
                Fwd(L0, 5, Ok(10)),
                Fwd(L0, 6, Ok(11)),
                Fwd(L0, 6, Err(SeqDrop::Duplicate)),
                Fwd(L0, 5, Err(SeqDrop::Duplicate)),
                Fwd(L0, 7, Ok(12)),
            ],
        ),
        (
            "upstream loss leaves the same gap, late arrival fills it",
            10,
            &[
                Fwd(L0, 5, Ok(10)),
                Fwd(L0, 8, Ok(13)),
                Fwd(L0, 6, Ok(11)),
                Fwd(L0, 7, Ok(12)),
                Fwd(L0, 7, Err(SeqDrop::Duplicate)),
                Fwd(L0, 9, Ok(14)),
            ],
        ),
        (
            "skipped newest packets leave no hole",
            0,
            &[
                Fwd(L0, 100, Ok(0)),
                Skip(L0, 101),
                Skip(L0, 102),
                Fwd(L0, 103, Ok(1)),
                Fwd(L0, 102, Err(SeqDrop::Duplicate)),
                Fwd(L0, 104, Ok(2)),
            ],
        ),
        (
            "a skip after a gap keeps the reserved slot for the late packet",
            0,
            &[
                Fwd(L0, 100, Ok(0)),
                Skip(L0, 102),
                Fwd(L0, 103, Ok(2)),
                Fwd(L0, 101, Ok(1)),
            ],
        ),
        (
            "a switch after a skip that followed a gap keeps the reserved number",
            0,
            &[
                Fwd(L0, 10, Ok(0)),
                Skip(L0, 12),
                Start(L1, 50),
                Fwd(L1, 50, Ok(2)),
                Fwd(L0, 11, Err(SeqDrop::OtherSource)),
            ],
        ),
        (
            "a late skipped packet leaves its hole",
            0,
            &[
                Fwd(L0, 100, Ok(0)),
                Fwd(L0, 102, Ok(2)),
                Skip(L0, 101),
                Fwd(L0, 101, Err(SeqDrop::Duplicate)),
            ],
        ),
        (
            "older than the source start",
            0,
            &[Fwd(L0, 100, Ok(0)), Fwd(L0, 99, Err(SeqDrop::TooOld))],
        ),
        (
            "older than the window",
            0,
            &[
                Fwd(L0, 100, Ok(0)),
                Fwd(L0, 120, Ok(20)),
                Fwd(L0, 104, Err(SeqDrop::Stale)),
                Fwd(L0, 105, Ok(5)),
            ],
        ),
        (
            "switch continues at +1 and ignores the old layer",
            500,
            &[
                Fwd(L0, 10, Ok(500)),
                Fwd(L0, 11, Ok(501)),
                Start(L1, 9000),
                Fwd(L1, 9000, Ok(502)),
                Fwd(L0, 12, Err(SeqDrop::OtherSource)),
                Fwd(L1, 8999, Err(SeqDrop::TooOld)),
                Fwd(L1, 9001, Ok(503)),
            ],
        ),
        (
            "switch after reserved gap continues after the gap",
            0,
            &[
                Fwd(L0, 10, Ok(0)),
                Fwd(L0, 13, Ok(3)),
                Start(L1, 50),
                Fwd(L1, 50, Ok(4)),
            ],
        ),
        (
            "resume of the same layer after a pause has no hole",
            0,
            &[
                Fwd(L0, 10, Ok(0)),
                Start(L0, 400),
                Fwd(L0, 400, Ok(1)),
                Fwd(L0, 11, Err(SeqDrop::Stale)),
            ],
        ),
        (
            "outgoing u16 wraps, extended keeps counting",
            65534,
            &[
                Fwd(L0, 1, Ok(65534)),
                Fwd(L0, 2, Ok(65535)),
                Fwd(L0, 4, Ok(65537)),
                Fwd(L0, 3, Ok(65536)),
            ],
        ),
        (
            "incoming crosses a 16-bit boundary",
            0,
            &[
                Fwd(L0, 65535, Ok(0)),
                Fwd(L0, 65537, Ok(2)),
                Fwd(L0, 65536, Ok(1)),
            ],
        ),
    ];
    for (name, initial, ops) in cases {
        run(name, *initial, ops);
    }
}

#[test]
fn stale_means_a_whole_window_behind() {
    let cases: &[(&str, &[Op])] = &[
        (
            "just inside the window is late",
            &[
                Fwd(L0, 100, Ok(0)),
                Fwd(L0, 115, Ok(15)),
                Fwd(L0, 100, Err(SeqDrop::Duplicate)),
            ],
        ),
        (
            "a window behind is stale",
            &[
                Fwd(L0, 100, Ok(0)),
                Fwd(L0, 116, Ok(16)),
                Fwd(L0, 100, Err(SeqDrop::Stale)),
            ],
        ),
        (
            "a publisher restart far below",
            &[
                Fwd(L0, 50_000, Ok(0)),
                Fwd(L0, 3, Err(SeqDrop::Stale)),
                Start(L0, 3),
                Fwd(L0, 3, Ok(1)),
            ],
        ),
        (
            "before the start but within the window is only too old",
            &[Fwd(L0, 100, Ok(0)), Fwd(L0, 90, Err(SeqDrop::TooOld))],
        ),
    ];
    for (name, ops) in cases {
        run(name, 0, ops);
    }
}

#[test]
fn window_must_be_power_of_two() {
    for bad in [0, 1, 3, 100, 65536] {
        assert_eq!(SeqMunger::new(0, bad).err(), Some(WindowError(bad)));
    }
    assert!(SeqMunger::new(0, 2).is_ok());
    assert!(SeqMunger::new(0, 32768).is_ok());
}

#[test]
fn origin_translates_nacks() {
    let m = run(
        "origin",
        65530,
        &[
            Fwd(L0, 10, Ok(65530)),
            Fwd(L0, 12, Ok(65532)), // 11 missing -> 65531
            Start(L1, 700),
            Fwd(L1, 700, Ok(65533)),
            Fwd(L1, 702, Ok(65535)),
            Skip(L1, 701), // late skip -> 65534 is a hole
            Fwd(L1, 703, Ok(65536)),
        ],
    );
    let table = [
        (65530u16, Origin::Forwarded { layer: L0, seq: 10 }),
        (65531, Origin::NotForwarded), // reserved for L0's 11, given up at the switch
        (65532, Origin::Forwarded { layer: L0, seq: 12 }),
        (
            65533,
            Origin::Forwarded {
                layer: L1,
                seq: 700,
            },
        ),
        (65534, Origin::NotForwarded),
        (
            65535,
            Origin::Forwarded {
                layer: L1,
                seq: 702,
            },
        ),
        (
            0,
            Origin::Forwarded {
                layer: L1,
                seq: 703,
            },
        ),
        (1, Origin::Unknown),     // not handed out yet
        (65529, Origin::Unknown), // before the first
        (30000, Origin::Unknown),
    ];
    for (out, want) in table {
        assert_eq!(m.origin(out), want, "out {out}");
    }
}

#[test]
fn origin_forgets_beyond_the_window() {
    let mut m = SeqMunger::new(0, 16).unwrap();
    for seq in 0..40 {
        m.forward(L0, seq).unwrap();
    }
    assert_eq!(m.origin(39), Origin::Forwarded { layer: L0, seq: 39 });
    assert_eq!(m.origin(24), Origin::Forwarded { layer: L0, seq: 24 });
    assert_eq!(m.origin(23), Origin::Unknown);
}

#[test]
fn huge_gap_reserves_only_a_window() {
    let mut m = SeqMunger::new(0, 16).unwrap();
    assert_eq!(m.forward(L0, 0), Ok(0));
    assert_eq!(m.forward(L0, 10_000), Ok(10_000));
    assert_eq!(m.forward(L0, 9_990), Ok(9_990));
    assert_eq!(m.forward(L0, 9_000), Err(SeqDrop::Stale));
}

#[test]
fn reserved_numbers_stay_missing_until_the_source_ends() {
    let mut m = SeqMunger::new(0, 16).unwrap();
    m.forward(L0, 10).unwrap();
    m.forward(L0, 12).unwrap();
    assert_eq!(m.origin(1), Origin::Missing { layer: L0, seq: 11 });
    // a restart on the same layer from an older keyframe must not leave 11 claimable twice
    m.start_source(L0, 11);
    assert_eq!(m.origin(1), Origin::NotForwarded);
    assert_eq!(m.forward(L0, 11), Ok(3));
    assert_eq!(m.origin(3), Origin::Forwarded { layer: L0, seq: 11 });
}

#[test]
fn slot_sizes_match_the_documented_memory() {
    assert_eq!(
        std::mem::size_of::<InSlot>() + std::mem::size_of::<OutSlot>(),
        22
    );
}
