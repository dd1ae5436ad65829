use super::*;
use proptest::prelude::*;

fn pid(value: u16, wide: bool) -> Option<PictureId> {
    Some(PictureId { value, wide })
}

/// A descriptor with every optional field off, for struct-update syntax in the table.
fn base(len: usize) -> Vp8Descriptor {
    Vp8Descriptor {
        non_reference: false,
        start_of_partition: false,
        partition_id: 0,
        picture_id: None,
        tl0_pic_idx: None,
        temporal: None,
        key_idx: None,
        len,
        keyframe: false,
    }
}

#[test]
fn parse_table() {
    let cases: Vec<(&str, Vec<u8>, Result<Vp8Descriptor, Vp8Error>)> = vec![
        ("empty", vec![], Err(Vp8Error::Empty)),
        (
            "no extension, keyframe",
            vec![0x10, 0x00],
            Ok(Vp8Descriptor {
                start_of_partition: true,
                keyframe: true,
                ..base(1)
            }),
        ),
        (
            "no extension, interframe",
            vec![0x10, 0x01],
            Ok(Vp8Descriptor {
                start_of_partition: true,
                ..base(1)
            }),
        ),
        (
            "keyframe byte but not start of partition",
            vec![0x00, 0x00],
            Ok(base(1)),
        ),
        (
            "keyframe byte but partition 1",
            vec![0x11, 0x00],
            Ok(Vp8Descriptor {
                start_of_partition: true,
                partition_id: 1,
                ..base(1)
            }),
        ),
        (
            "N bit",
            vec![0x20, 0x01],
            Ok(Vp8Descriptor {
                non_reference: true,
                ..base(1)
            }),
        ),
        (
            "descriptor without payload",
            vec![0x10],
            Err(Vp8Error::Truncated { needed: 2, len: 1 }),
        ),
        (
            "X without extension byte",
            vec![0x90],
            Err(Vp8Error::Truncated { needed: 2, len: 1 }),
        ),
        (
            "7-bit picture id",
            vec![0x90, 0x80, 0x55, 0x00],
            Ok(Vp8Descriptor {
                start_of_partition: true,
                picture_id: pid(0x55, false),
                keyframe: true,
                ..base(3)
            }),
        ),
        (
            "15-bit picture id",
            vec![0x90, 0x80, 0xab, 0xcd, 0x01],
            Ok(Vp8Descriptor {
                start_of_partition: true,
                picture_id: pid(0x2bcd, true),
                ..base(4)
            }),
        ),
        (
            "15-bit picture id cut",
            vec![0x90, 0x80, 0xab],
            Err(Vp8Error::Truncated { needed: 4, len: 3 }),
        ),
        (
            "all fields, 15-bit",
            vec![0x90, 0xf0, 0x80, 0x01, 0x07, 0b1010_0011, 0x00],
            Ok(Vp8Descriptor {
                start_of_partition: true,
                picture_id: pid(1, true),
                tl0_pic_idx: Some(7),
                temporal: Some(Temporal {
                    tid: 2,
                    layer_sync: true,
                }),
                key_idx: Some(3),
                keyframe: true,
                ..base(6)
            }),
        ),
        (
            "K only: TID bits ignored",
            vec![0x80, 0x10, 0xff, 0x00],
            Ok(Vp8Descriptor {
                key_idx: Some(0x1f),
                ..base(3)
            }),
        ),
        (
            "T only: KEYIDX ignored",
            vec![0x80, 0x20, 0x5f, 0x00],
            Ok(Vp8Descriptor {
                temporal: Some(Temporal {
                    tid: 1,
                    layer_sync: false,
                }),
                ..base(3)
            }),
        ),
        (
            "L cut",
            vec![0x80, 0x40],
            Err(Vp8Error::Truncated { needed: 3, len: 2 }),
        ),
        (
            "T/K byte cut",
            vec![0x80, 0xe0, 0x01, 0x02],
            Err(Vp8Error::Truncated { needed: 5, len: 4 }),
        ),
        (
            "everything but no payload",
            vec![0x80, 0xf0, 0x81, 0x01, 0x07, 0x00],
            Err(Vp8Error::Truncated { needed: 7, len: 6 }),
        ),
    ];
    for (name, bytes, want) in cases {
        assert_eq!(Vp8Descriptor::parse(&bytes), want, "{name}");
        assert_eq!(
            is_keyframe(&bytes),
            want.is_ok_and(|d| d.keyframe),
            "{name}"
        );
    }
}

#[test]
fn apply_table() {
    let patch = Vp8Patch {
        picture_id: Some(0x1234),
        tl0_pic_idx: Some(0xaa),
        key_idx: Some(0x25),
    };
    let cases: Vec<(&str, Vec<u8>, Vec<u8>)> = vec![
        (
            "no extension: unchanged",
            vec![0x10, 0x00, 0x42],
            vec![0x10, 0x00, 0x42],
        ),
        (
            "7-bit keeps width, wraps",
            vec![0x90, 0x80, 0x05, 0x9d],
            vec![0x90, 0x80, 0x34, 0x9d],
        ),
        (
            "15-bit",
            vec![0x90, 0x80, 0x80, 0x05, 0x9d],
            vec![0x90, 0x80, 0x92, 0x34, 0x9d],
        ),
        (
            "all fields keep TID and Y",
            vec![0x90, 0xf0, 0x80, 0x01, 0x07, 0b1110_0011, 0x9d],
            vec![0x90, 0xf0, 0x92, 0x34, 0xaa, 0b1110_0101, 0x9d],
        ),
        (
            "L without I",
            vec![0x80, 0x40, 0x07, 0x9d],
            vec![0x80, 0x40, 0xaa, 0x9d],
        ),
        (
            "T without K: TID byte kept",
            vec![0x80, 0x20, 0x40, 0x9d],
            vec![0x80, 0x20, 0x40, 0x9d],
        ),
    ];
    for (name, mut bytes, want) in cases {
        patch.apply(&mut bytes).unwrap();
        assert_eq!(bytes, want, "{name}");
    }
}

#[test]
fn apply_rejects_malformed_and_changes_nothing() {
    let patch = Vp8Patch {
        picture_id: Some(1),
        tl0_pic_idx: Some(1),
        key_idx: Some(1),
    };
    for bytes in [
        vec![],
        vec![0x90, 0x80, 0x80],
        vec![0x80, 0xf0, 0x81, 0x01, 0x07, 0x00],
    ] {
        let mut copy = bytes.clone();
        assert!(patch.apply(&mut copy).is_err());
        assert_eq!(copy, bytes);
    }
}

/// Packet of a frame with a 15-bit picture id, TL0PICIDX and KEYIDX.
fn packet(pic: u16, tl0: u8, key: u8, keyframe: bool) -> Vec<u8> {
    vec![
        0x90,
        0xd0 | 0x20,
        0x80 | (pic >> 8) as u8,
        pic as u8,
        tl0,
        key,
        u8::from(!keyframe),
    ]
}

#[test]
fn munger_continues_across_switch() {
    let mut m = Vp8Munger::new();
    let d = |p: &[u8]| Vp8Descriptor::parse(p).unwrap();
    // first source keeps its values
    assert_eq!(
        m.map(&d(&packet(32766, 255, 31, true))),
        Vp8Patch {
            picture_id: Some(32766),
            tl0_pic_idx: Some(255),
            key_idx: Some(31)
        }
    );
    assert_eq!(
        m.map(&d(&packet(32767, 0, 31, false))).picture_id,
        Some(32767)
    );
    // late packet of an older frame keeps its mapping and does not move "newest"
    assert_eq!(
        m.map(&d(&packet(32766, 255, 31, false))).picture_id,
        Some(32766)
    );
    // switch: the new layer's ids follow the newest sent + 1, with wrap
    m.start_source();
    assert_eq!(
        m.map(&d(&packet(100, 40, 3, true))),
        Vp8Patch {
            picture_id: Some(0),
            tl0_pic_idx: Some(1),
            key_idx: Some(0)
        }
    );
    assert_eq!(
        m.map(&d(&packet(101, 41, 3, false))),
        Vp8Patch {
            picture_id: Some(1),
            tl0_pic_idx: Some(2),
            key_idx: Some(0)
        }
    );
}

#[test]
fn munger_keeps_narrow_ids_continuous_mod_128() {
    let mut m = Vp8Munger::new();
    let narrow = |pic: u8| Vp8Descriptor::parse(&[0x90, 0x80, pic & 0x7f, 0x00]).unwrap();
    let wide = |pic: u16| {
        Vp8Descriptor::parse(&[0x90, 0x80, 0x80 | (pic >> 8) as u8, pic as u8, 0x00]).unwrap()
    };
    assert_eq!(m.map(&wide(5000)).picture_id, Some(5000));
    m.start_source();
    assert_eq!(m.map(&narrow(126)).picture_id, Some(5001 & 0x7f));
    assert_eq!(m.map(&narrow(127)).picture_id, Some(5002 & 0x7f));
    assert_eq!(m.map(&narrow(0)).picture_id, Some(5003 & 0x7f));
    m.start_source();
    assert_eq!(m.map(&wide(20)).picture_id, Some((5003 & 0x7f) + 1));
}

proptest! {
    #[test]
    fn parse_and_apply_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..12), pic in any::<u16>(), tl0 in any::<u8>(), key in any::<u8>()) {
        let parsed = Vp8Descriptor::parse(&bytes);
        let mut copy = bytes.clone();
        let patch = Vp8Patch { picture_id: Some(pic), tl0_pic_idx: Some(tl0), key_idx: Some(key) };
        let applied = patch.apply(&mut copy);
        prop_assert_eq!(parsed.is_ok(), applied.is_ok());
        if let Ok(before) = parsed {
            let after = Vp8Descriptor::parse(&copy).unwrap();
            // structure and everything but the patched values is unchanged
            prop_assert_eq!(after.len, before.len);
            prop_assert_eq!(after.keyframe, before.keyframe);
            prop_assert_eq!(after.temporal, before.temporal);
            prop_assert_eq!(&copy[after.len..], &bytes[before.len..]);
            if let (Some(b), Some(a)) = (before.picture_id, after.picture_id) {
                prop_assert_eq!(a.wide, b.wide);
                prop_assert_eq!(a.value, pic % b.modulus());
            }
            prop_assert_eq!(after.tl0_pic_idx, before.tl0_pic_idx.map(|_| tl0));
            prop_assert_eq!(after.key_idx, before.key_idx.map(|_| key & 0x1f));
        }
    }
}
