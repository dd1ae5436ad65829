//! One participant's media: its two str0m peer connections and what the server knows about
//! their m-lines, data channels and subscriptions.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::Instant;

use str0m::change::SdpPendingOffer;
use str0m::channel::ChannelId;
use str0m::format::PayloadParams;
use str0m::media::{Mid, Pt};
use str0m::net::Protocol;
use str0m::rtp::Ssrc;
use str0m::{Input, Output, Rtc};

use onair_forward::Layer;

use super::forward::SubscriberForwarding;
use super::guard::{PeerError, guard};
use crate::ids::{Identity, ParticipantSid, RoomName, TrackSid};
use crate::room::TrackKind;

/// Which of a participant's two peer connections (named from the client's side, as LiveKit's
/// `SignalTarget` does).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pc {
    /// The client sends on it; the client offers.
    Publisher,
    /// The client receives on it; the server offers.
    Subscriber,
}

/// Data channel labels LiveKit clients use.
pub const RELIABLE: &str = "_reliable";
/// Unordered, no retransmits.
pub const LOSSY: &str = "_lossy";

/// One forwarded track on a subscriber PC.
#[derive(Debug)]
pub struct Subscription {
    /// Who publishes it.
    pub publisher: ParticipantSid,
    /// Audio or video.
    pub kind: TrackKind,
    /// The subscriber-PC m-line, once offered.
    pub mid: Option<Mid>,
    /// True once the client's answer accepted the m-line.
    pub live: bool,
    /// Per-packet decisions (created at the first packet).
    pub forwarding: SubscriberForwarding,
    /// Publisher payload type to subscriber payload type, learnt per codec.
    pub pt_map: Vec<(Pt, Pt)>,
}

/// A queued change to the subscriber PC, negotiated one offer at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubChange {
    /// Add a sendonly m-line for this track.
    Add(TrackSid),
    /// Stop this m-line.
    Stop(Mid),
}

/// A subscriber offer waiting for its answer, with what it changes so that it can be made again
/// if the answer never comes (the signal connection dropped while it was in flight).
#[derive(Debug)]
pub struct SubOffer {
    /// str0m's pending change set (dropping it rolls the offer back).
    pub pending: SdpPendingOffer,
    /// Tracks it adds.
    pub added: Vec<TrackSid>,
    /// m-lines it stops.
    pub stopped: Vec<Mid>,
    /// The first offer (it also opens the data channels).
    pub first: bool,
    /// The offer as sent, to recognise it in a resuming client's sync state.
    pub sdp: String,
}

/// A participant's media state.
#[derive(Debug)]
pub struct Peer {
    /// Who.
    pub sid: ParticipantSid,
    /// Its identity (stamped on data packets).
    pub identity: Identity,
    /// Its room.
    pub room: RoomName,
    /// From its grant: may media be accepted at all.
    pub can_publish: bool,
    /// From its grant: may data packets be relayed.
    pub can_publish_data: bool,
    /// Client offers, server answers.
    pub publisher: Rtc,
    /// Server offers, client answers.
    pub subscriber: Rtc,
    /// Next time each Rtc wants a timeout.
    pub deadline: [Instant; 2],
    /// Local ICE ufrags (demux keys), publisher then subscriber.
    pub ufrags: [String; 2],
    /// Remote addresses learnt for this participant (removed from the demux when it leaves).
    pub addrs: Vec<(Protocol, SocketAddr, Pc)>,
    /// Publisher-PC m-lines bound to announced tracks.
    pub pub_mids: HashMap<Mid, TrackSid>,
    /// Incoming SSRC to (m-line, simulcast layer), resolved once per SSRC.
    pub ssrc_layers: HashMap<Ssrc, (Mid, Layer)>,
    /// Labels of the client's data channels on the publisher PC.
    pub pub_channels: HashMap<ChannelId, String>,
    /// The server's data channels on the subscriber PC, by label, once open.
    pub sub_channels: HashMap<String, ChannelId>,
    /// Tracks this participant receives.
    pub subscriptions: HashMap<TrackSid, Subscription>,
    /// Subscriber-PC m-line to track, for keyframe requests.
    pub sub_mids: HashMap<Mid, TrackSid>,
    /// Changes waiting for the next subscriber offer.
    pub sub_queue: VecDeque<SubChange>,
    /// The offer in flight.
    pub sub_pending: Option<SubOffer>,
    /// Id of the last subscriber offer (JS echoes it in the answer).
    pub sub_offer_id: u32,
    /// The first subscriber offer (with the data channels) has been made.
    pub sub_started: bool,
    /// Server candidates were trickled on this PC.
    pub trickled: [bool; 2],
    /// Last time either PC was connected (or the join time): for the connect/ICE timeout.
    pub alive_at: Instant,
    /// The publisher PC reported Connected once.
    pub connected: bool,
    /// The signal connection: attached or waiting for a resume, and what a resume must redo.
    pub signal: super::resume::SignalLink,
    /// The subscriber PC's bandwidth estimate and what str0m was asked to probe for.
    pub bwe: super::bwe::SubscriberBwe,
    /// How much more data it may have relayed.
    pub data_budget: super::budget::DataBudget,
    /// What each PC measured last (publisher, subscriber): its connection quality.
    pub links: [crate::room::LinkStats; 2],
    /// Reliable data packets waiting for the subscriber PC's `_reliable` channel to open.
    pub backlog: super::backlog::DataBacklog,
    /// One of its `Rtc`s panicked: never call into them again.
    pub poisoned: bool,
    /// Test hook: the next datagram this participant sends makes its `Rtc` call panic.
    #[cfg(test)]
    pub inject_panic: bool,
}

impl Peer {
    /// The Rtc for one PC.
    pub fn rtc(&mut self, pc: Pc) -> &mut Rtc {
        match pc {
            Pc::Publisher => &mut self.publisher,
            Pc::Subscriber => &mut self.subscriber,
        }
    }
}

/// Index of a PC in the per-PC arrays.
pub fn idx(pc: Pc) -> usize {
    match pc {
        Pc::Publisher => 0,
        Pc::Subscriber => 1,
    }
}

/// Drains one Rtc after a mutation: transmits and events are returned, the next deadline stored.
/// An error means the Rtc is unusable and the participant must go.
pub fn drain(
    rtc: &mut Rtc,
    deadline: &mut Instant,
    transmits: &mut Vec<str0m::net::Transmit>,
    events: &mut Vec<str0m::Event>,
) -> Result<(), PeerError> {
    let drained = guard(|| -> Result<(), str0m::RtcError> {
        loop {
            match rtc.poll_output()? {
                Output::Timeout(t) => {
                    *deadline = t;
                    return Ok(());
                }
                Output::Transmit(t) => transmits.push(t),
                Output::Event(e) => events.push(e),
            }
        }
    })?;
    Ok(drained?)
}

/// Feeds a timeout and drains.
pub fn tick(
    rtc: &mut Rtc,
    now: Instant,
    deadline: &mut Instant,
    transmits: &mut Vec<str0m::net::Transmit>,
    events: &mut Vec<str0m::Event>,
) -> Result<(), PeerError> {
    guard(|| rtc.handle_input(Input::Timeout(now)))??;
    drain(rtc, deadline, transmits, events)
}

/// The publisher's payload parameters for a payload type.
pub fn params_for(rtc: &Rtc, pt: Pt) -> Option<PayloadParams> {
    rtc.codec_config()
        .params()
        .iter()
        .find(|p| p.pt() == pt)
        .cloned()
}
