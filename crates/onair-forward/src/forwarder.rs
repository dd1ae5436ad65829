//! The [`Forwarder`]: one per (subscriber, published track), tying layer selection, sequence
//! and timestamp munging and VP8 rewriting into one decision per incoming packet.

use std::time::{Duration, Instant};

use crate::codec::Codec;
use crate::layer::{LayerSelector, Selection, SelectorConfig, TrackLayers};
use crate::seq::{self, Origin, SeqDrop, SeqMunger, WindowError};
use crate::timestamp::TimestampMunger;
use crate::types::{Dimensions, Layer, VideoQuality};
use crate::vp8::{Vp8Descriptor, Vp8Error, Vp8Munger, Vp8Patch};

/// How one forwarder is set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForwarderConfig {
    pub codec: Codec,
    /// First outgoing sequence number; pick it at random per subscriber (it must be below
    /// 65 536 so the subscriber's SRTP rollover counter starts at 0).
    pub initial_seq: u16,
    /// Ring size of the sequence munger (power of two).
    pub seq_window: usize,
    /// How often to repeat a keyframe request while the wanted keyframe has not come.
    pub keyframe_retry: Duration,
    pub selector: SelectorConfig,
}

impl ForwarderConfig {
    /// Defaults for a codec: a 512-packet window for video, 64 for audio.
    pub fn new(codec: Codec, initial_seq: u16) -> Self {
        ForwarderConfig {
            codec,
            initial_seq,
            seq_window: if codec.is_video() {
                seq::DEFAULT_VIDEO_WINDOW
            } else {
                seq::DEFAULT_AUDIO_WINDOW
            },
            keyframe_retry: Duration::from_secs(1),
            selector: SelectorConfig::default(),
        }
    }
}

/// What the SFU learns once per incoming packet and shares with every subscriber's forwarder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PacketInfo {
    pub keyframe: bool,
    /// The VP8 descriptor; `None` for other codecs and for a malformed VP8 payload.
    pub vp8: Option<Vp8Descriptor>,
}

impl PacketInfo {
    /// Parses what the forwarders need from a payload; done once per packet, not per subscriber.
    pub fn parse(codec: Codec, payload: &[u8]) -> Self {
        match codec {
            Codec::Vp8 => {
                let vp8 = Vp8Descriptor::parse(payload).ok();
                PacketInfo {
                    keyframe: vp8.is_some_and(|d| d.keyframe),
                    vp8,
                }
            }
            other => PacketInfo {
                keyframe: other.is_keyframe(payload),
                vp8: None,
            },
        }
    }
}

/// A view of one incoming RTP packet (str0m's `Event::RtpPacket` plus the layer its SSRC maps to).
#[derive(Debug, Clone, Copy)]
pub struct IncomingPacket<'a> {
    pub layer: Layer,
    /// Extended (rollover-counted) sequence number.
    pub seq: u64,
    pub timestamp: u32,
    pub marker: bool,
    pub arrival: Instant,
    pub payload: &'a [u8],
    pub info: PacketInfo,
}

/// A packet to write to the subscriber: everything `RtpWrite` needs besides the payload, which
/// the SFU passes on unchanged (shared) with [`Forwarded::vp8`] as a patch, or copies with
/// [`Forwarded::write_payload`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Forwarded {
    /// Extended outgoing sequence number (str0m's `SeqNo`).
    pub seq: u64,
    pub timestamp: u32,
    pub marker: bool,
    /// Descriptor values to write (VP8 only).
    pub vp8: Option<Vp8Patch>,
    /// This packet starts a new source (the first packet, a layer switch, a resume, or a
    /// publisher restart); for video it is a keyframe.
    pub switched: bool,
}

impl Forwarded {
    /// The 16-bit sequence number on the wire.
    pub fn seq16(&self) -> u16 {
        self.seq as u16
    }

    /// Copies `payload` into `out` (reusing its allocation) with the VP8 patch applied.
    pub fn write_payload(&self, payload: &[u8], out: &mut Vec<u8>) -> Result<(), Vp8Error> {
        out.clear();
        out.extend_from_slice(payload);
        match &self.vp8 {
            Some(patch) => patch.apply(out),
            None => Ok(()),
        }
    }
}

/// Why a packet is not forwarded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    /// Empty payload (padding); its number is reused.
    Padding,
    /// A VP8 payload whose descriptor does not parse.
    Malformed,
    /// Not the layer being forwarded (or no keyframe yet to start on).
    NotSelected,
    /// The publisher's sequence numbers started over; forwarding resumes at its next keyframe
    /// ([`Forwarder::keyframe_request`] asks for it).
    Stale,
    /// The subscriber wants no video.
    Off,
    Duplicate,
    TooOld,
}

/// The per-packet answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Forward(Forwarded),
    Drop(DropReason),
}

/// See the module docs.
#[derive(Debug, Clone)]
pub struct Forwarder {
    codec: Codec,
    seq: SeqMunger,
    ts: TimestampMunger,
    vp8: Vp8Munger,
    /// `None` for audio: one layer, no selection.
    selector: Option<LayerSelector>,
    keyframe_retry: Duration,
    last_keyframe_request: Option<(Layer, Instant)>,
    /// The current layer's numbering started over and a keyframe is needed to resume it.
    resync_wanted: bool,
}

impl Forwarder {
    pub fn new(config: ForwarderConfig) -> Result<Self, WindowError> {
        Ok(Forwarder {
            codec: config.codec,
            seq: SeqMunger::new(config.initial_seq, config.seq_window)?,
            ts: TimestampMunger::new(config.codec.clock_rate()),
            vp8: Vp8Munger::new(),
            selector: config
                .codec
                .is_video()
                .then(|| LayerSelector::new(config.selector)),
            keyframe_retry: config.keyframe_retry,
            last_keyframe_request: None,
            resync_wanted: false,
        })
    }

    /// Decides for one incoming packet. No allocation; O(1), except that starting a new source
    /// (a switch, at a keyframe) clears the sequence rings once.
    pub fn forward(&mut self, pkt: &IncomingPacket<'_>) -> Decision {
        let Some(selector) = self.selector.as_mut() else {
            return self.forward_audio(pkt);
        };
        // A bandwidth up-switch that has held long enough takes effect with the next packet,
        // even if the caller never polls the timeout.
        if selector.refresh(pkt.arrival) {
            self.last_keyframe_request = None;
        }
        if pkt.payload.is_empty() || (self.codec == Codec::Vp8 && pkt.info.vp8.is_none()) {
            if selector.current() == Some(pkt.layer) {
                self.seq.skip(pkt.layer, pkt.seq);
            }
            return Decision::Drop(if pkt.payload.is_empty() {
                DropReason::Padding
            } else {
                DropReason::Malformed
            });
        }
        let switched = match selector.on_packet(pkt.layer, pkt.info.keyframe) {
            Selection::Forward => false,
            Selection::Switch => true,
            Selection::Drop => return Decision::Drop(DropReason::NotSelected),
            Selection::Off => return Decision::Drop(DropReason::Off),
        };
        if switched {
            self.resync_wanted = false;
            self.seq.start_source(pkt.layer, pkt.seq);
        }
        let (seq, switched) = match self.seq.forward(pkt.layer, pkt.seq) {
            Ok(seq) => (seq, switched),
            // The publisher's numbering started over: resume at its next keyframe.
            Err(SeqDrop::Stale) if pkt.info.keyframe => {
                self.resync_wanted = false;
                self.seq.start_source(pkt.layer, pkt.seq);
                match self.seq.forward(pkt.layer, pkt.seq) {
                    Ok(seq) => (seq, true),
                    Err(drop) => return Decision::Drop(seq_drop(drop)),
                }
            }
            Err(SeqDrop::Stale) => {
                self.resync_wanted = true;
                return Decision::Drop(DropReason::Stale);
            }
            Err(drop) => return Decision::Drop(seq_drop(drop)),
        };
        let timestamp = if switched {
            self.vp8.start_source();
            self.ts.start_source(pkt.timestamp, pkt.arrival)
        } else {
            self.ts.map(pkt.timestamp, pkt.arrival)
        };
        let vp8 = pkt.info.vp8.map(|d| self.vp8.map(&d));
        Decision::Forward(Forwarded {
            seq,
            timestamp,
            marker: pkt.marker,
            vp8,
            switched,
        })
    }

    /// Audio: one source, nothing to select or rewrite — just the two offsets.
    fn forward_audio(&mut self, pkt: &IncomingPacket<'_>) -> Decision {
        if pkt.payload.is_empty() {
            self.seq.skip(pkt.layer, pkt.seq);
            return Decision::Drop(DropReason::Padding);
        }
        let first = self.seq.source_layer().is_none();
        let forwarded = match self.seq.forward(pkt.layer, pkt.seq) {
            // Audio has no keyframes: a restarted publisher resumes at once.
            Err(SeqDrop::Stale) => {
                self.seq.start_source(pkt.layer, pkt.seq);
                let seq = self.seq.forward(pkt.layer, pkt.seq);
                return match seq {
                    Ok(seq) => Decision::Forward(Forwarded {
                        seq,
                        timestamp: self.ts.start_source(pkt.timestamp, pkt.arrival),
                        marker: pkt.marker,
                        vp8: None,
                        switched: true,
                    }),
                    Err(drop) => Decision::Drop(seq_drop(drop)),
                };
            }
            other => other,
        };
        match forwarded {
            Ok(seq) => Decision::Forward(Forwarded {
                seq,
                timestamp: self.ts.map(pkt.timestamp, pkt.arrival),
                marker: pkt.marker,
                vp8: None,
                switched: first,
            }),
            Err(drop) => Decision::Drop(seq_drop(drop)),
        }
    }

    /// The subscriber's wish (LiveKit `UpdateTrackSettings`). Returns whether the target layer
    /// changed; then poll [`Forwarder::keyframe_request`].
    pub fn set_preference(
        &mut self,
        quality: VideoQuality,
        dimensions: Option<Dimensions>,
        layers: &TrackLayers,
        now: Instant,
    ) -> bool {
        self.with_selector(layers, now, |s| s.set_preference(quality, dimensions))
    }

    /// This track's share of the subscriber's bandwidth estimate.
    pub fn set_bandwidth(&mut self, bps: Option<u64>, layers: &TrackLayers, now: Instant) -> bool {
        self.with_selector(layers, now, |s| s.set_bandwidth(bps))
    }

    /// The publisher's layers changed (one paused or resumed, new bitrates), or a pending
    /// up-switch's hold expired ([`Forwarder::poll_timeout`]).
    pub fn update_layers(&mut self, layers: &TrackLayers, now: Instant) -> bool {
        self.with_selector(layers, now, |_| {})
    }

    fn with_selector(
        &mut self,
        layers: &TrackLayers,
        now: Instant,
        change: impl FnOnce(&mut LayerSelector),
    ) -> bool {
        let Some(selector) = self.selector.as_mut() else {
            return false;
        };
        change(selector);
        let changed = selector.update(layers, now);
        if changed {
            self.last_keyframe_request = None;
        }
        changed
    }

    /// When the selector wants to be updated again (a pending up-switch); the next packet
    /// arriving after it does that too.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.selector.as_ref().and_then(LayerSelector::poll_timeout)
    }

    /// A layer to ask a keyframe for (through the track's
    /// [`KeyframeThrottle`](crate::keyframe::KeyframeThrottle)): at once when the target
    /// changes, then again every `keyframe_retry` while it has not come.
    pub fn keyframe_request(&mut self, now: Instant) -> Option<Layer> {
        let selector = self.selector.as_ref()?;
        let wanted = selector
            .wants_keyframe()
            .or_else(|| selector.current().filter(|_| self.resync_wanted))?;
        let due = match self.last_keyframe_request {
            Some((layer, at)) if layer == wanted => {
                now.saturating_duration_since(at) >= self.keyframe_retry
            }
            _ => true,
        };
        due.then(|| {
            self.last_keyframe_request = Some((wanted, now));
            wanted
        })
    }

    /// The layer being forwarded.
    pub fn current_layer(&self) -> Option<Layer> {
        match &self.selector {
            Some(s) => s.current(),
            None => self.seq.source_layer(),
        }
    }

    /// The layer aimed for.
    pub fn target_layer(&self) -> Option<Layer> {
        match &self.selector {
            Some(s) => s.target(),
            None => Some(Layer::BASE),
        }
    }

    /// Where an outgoing sequence number came from (for a subscriber's NACK).
    pub fn origin(&self, out_seq: u16) -> Origin {
        self.seq.origin(out_seq)
    }

    /// The sequence munger, for [`crate::nack::translate`].
    pub fn seq_munger(&self) -> &SeqMunger {
        &self.seq
    }
}

fn seq_drop(drop: SeqDrop) -> DropReason {
    match drop {
        SeqDrop::Duplicate => DropReason::Duplicate,
        SeqDrop::TooOld => DropReason::TooOld,
        SeqDrop::Stale => DropReason::Stale,
        SeqDrop::OtherSource => DropReason::NotSelected,
    }
}

#[cfg(test)]
mod tests;
