//! Small typed values shared by every module: simulcast layer index, requested quality, dimensions.

use std::fmt;

/// How many simulcast layers a published video track can have (LiveKit's `q`, `h`, `f`).
pub const MAX_LAYERS: usize = 3;

/// A simulcast layer, indexed by quality: 0 is the lowest (`q`), 2 the highest (`f`).
///
/// A newtype so a layer index cannot be confused with a sequence number or a count, and so an
/// out-of-range index is rejected once, where it is built, rather than checked per packet.
/// Audio and non-simulcast video use [`Layer::BASE`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Layer(u8);

/// A layer index outside `0..MAX_LAYERS`, or a rid that is not one of LiveKit's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LayerError {
    #[error("layer index {0} is out of range (0..{MAX_LAYERS})")]
    OutOfRange(usize),
    #[error("unknown simulcast rid {0:?} (expected q, h or f)")]
    UnknownRid(String),
    #[error("unknown video quality {0} (expected 0 LOW, 1 MEDIUM, 2 HIGH or 3 OFF)")]
    UnknownQuality(i32),
}

impl Layer {
    /// The only layer of audio and of non-simulcast video; also simulcast's lowest.
    pub const BASE: Layer = Layer(0);
    pub const LOW: Layer = Layer(0);
    pub const MEDIUM: Layer = Layer(1);
    pub const HIGH: Layer = Layer(2);

    pub fn new(index: usize) -> Result<Self, LayerError> {
        if index < MAX_LAYERS {
            Ok(Layer(index as u8))
        } else {
            Err(LayerError::OutOfRange(index))
        }
    }

    /// LiveKit's rids: `q` quarter, `h` half, `f` full resolution.
    pub fn from_rid(rid: &str) -> Result<Self, LayerError> {
        match rid {
            "q" => Ok(Layer::LOW),
            "h" => Ok(Layer::MEDIUM),
            "f" => Ok(Layer::HIGH),
            other => Err(LayerError::UnknownRid(other.to_owned())),
        }
    }

    pub fn index(self) -> usize {
        self.0 as usize
    }

    pub fn rid(self) -> &'static str {
        ["q", "h", "f"][self.index()]
    }

    /// All layers from lowest to highest.
    pub fn all() -> impl DoubleEndedIterator<Item = Layer> {
        (0..MAX_LAYERS as u8).map(Layer)
    }
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.rid())
    }
}

/// A subscriber's requested maximum quality, as LiveKit's `VideoQuality` (LOW=0, MEDIUM=1,
/// HIGH=2, OFF=3) in `UpdateTrackSettings`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum VideoQuality {
    Low,
    Medium,
    #[default]
    High,
    /// The subscriber wants no video (e.g. the element is hidden): forward nothing.
    Off,
}

impl VideoQuality {
    /// Maps the protocol's enum value; unknown values are an error rather than a guess.
    pub fn from_proto(value: i32) -> Result<Self, LayerError> {
        match value {
            0 => Ok(VideoQuality::Low),
            1 => Ok(VideoQuality::Medium),
            2 => Ok(VideoQuality::High),
            3 => Ok(VideoQuality::Off),
            other => Err(LayerError::UnknownQuality(other)),
        }
    }

    /// The highest layer this quality allows, `None` for [`VideoQuality::Off`].
    pub fn max_layer(self) -> Option<Layer> {
        match self {
            VideoQuality::Low => Some(Layer::LOW),
            VideoQuality::Medium => Some(Layer::MEDIUM),
            VideoQuality::High => Some(Layer::HIGH),
            VideoQuality::Off => None,
        }
    }
}

/// Width and height in pixels, of a layer or of a subscriber's video element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Dimensions {
    pub width: u32,
    pub height: u32,
}

impl Dimensions {
    pub const fn new(width: u32, height: u32) -> Self {
        Dimensions { width, height }
    }

    /// Whether this covers `other` in both directions (a layer big enough for an element).
    pub fn covers(self, other: Dimensions) -> bool {
        self.width >= other.width && self.height >= other.height
    }

    pub fn is_known(self) -> bool {
        self.width > 0 && self.height > 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layer_construction_and_rids() {
        assert_eq!(Layer::new(2), Ok(Layer::HIGH));
        assert_eq!(Layer::new(3), Err(LayerError::OutOfRange(3)));
        for (rid, layer) in [("q", Layer::LOW), ("h", Layer::MEDIUM), ("f", Layer::HIGH)] {
            assert_eq!(Layer::from_rid(rid), Ok(layer));
            assert_eq!(layer.rid(), rid);
        }
        assert!(matches!(
            Layer::from_rid("x"),
            Err(LayerError::UnknownRid(_))
        ));
        assert_eq!(Layer::all().count(), MAX_LAYERS);
    }

    #[test]
    fn quality_from_proto() {
        let table = [
            (0, Ok(VideoQuality::Low)),
            (1, Ok(VideoQuality::Medium)),
            (2, Ok(VideoQuality::High)),
            (3, Ok(VideoQuality::Off)),
            (4, Err(LayerError::UnknownQuality(4))),
            (-1, Err(LayerError::UnknownQuality(-1))),
        ];
        for (value, want) in table {
            assert_eq!(VideoQuality::from_proto(value), want, "value {value}");
        }
        assert_eq!(VideoQuality::Off.max_layer(), None);
        assert_eq!(VideoQuality::Medium.max_layer(), Some(Layer::MEDIUM));
    }
}
