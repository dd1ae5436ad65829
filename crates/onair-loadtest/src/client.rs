//! One simulated participant: a signal WebSocket plus, as LiveKit's SDKs do, a subscriber peer
//! connection the server offers and (for publishers) a publisher peer connection the client
//! offers, each a str0m `Rtc` in RTP mode on its own UDP socket, all driven by one task.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use livekit_protocol as proto;
use proto::signal_request::Message as Req;
use proto::signal_response::Message as Msg;
use str0m::Event;
use str0m::change::{SdpAnswer, SdpOffer, SdpPendingOffer};
use str0m::format::Codec;
use str0m::media::{Direction, MediaKind, Mid, Rid, Simulcast, SimulcastLayer};
use str0m::rtp::{RtpWrite, SeqNo, Ssrc};
use tokio::sync::watch;

use crate::media::{self, Vp8Source};
use crate::peer::Peer;
use crate::signal::{self, Signal};
use crate::stats::Stats;
use crate::{ClientError, LoadConfig};

/// How long joining and negotiating may take before the client counts as failed.
const JOIN_WAIT: Duration = Duration::from_secs(15);
/// LiveKit's SDKs ping every `ping_interval` (5 s from OnAir); the server drops silent clients.
const PING_EVERY: Duration = Duration::from_secs(5);
const KEYFRAME_EVERY: Duration = Duration::from_secs(2);
const AUDIO_EVERY: Duration = Duration::from_millis(20);
const OPUS_BYTES: usize = 80;

/// What one client does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Publisher,
    Subscriber,
}

/// What every client shares.
#[derive(Debug)]
pub(crate) struct Shared {
    pub config: LoadConfig,
    pub stats: Arc<Stats>,
    /// The load's time origin: publishers stamp packets with microseconds since it.
    pub epoch: Instant,
}

impl Shared {
    fn now_us(&self) -> u64 {
        self.epoch.elapsed().as_micros() as u64
    }
}

/// One simulcast layer of the published video (or the only one, with no rid).
struct Layer {
    rid: Option<Rid>,
    source: Vp8Source,
    seq: u64,
}

/// What a publisher sends: one VP8 track (three simulcast layers, or one) and optionally Opus.
struct Outgoing {
    video: Mid,
    audio: Option<Mid>,
    layers: Vec<Layer>,
    audio_seq: u64,
    started: Option<Instant>,
    last_keyframe: Option<Instant>,
    keyframe_wanted: bool,
    pending: Option<SdpPendingOffer>,
}

/// Received sequence numbers per SSRC, for loss after retransmissions.
#[derive(Default)]
struct Incoming {
    per_ssrc: HashMap<Ssrc, (u64, u64, u64)>, // (lowest, highest, count) of extended seq
    first_packet: bool,
}

impl Incoming {
    fn lost(&self) -> u64 {
        self.per_ssrc
            .values()
            .map(|&(lo, hi, n)| (hi - lo + 1).saturating_sub(n))
            .sum()
    }
}

/// Joins, negotiates, sends or receives until `stop` turns true, then leaves.
pub(crate) async fn run(
    role: Role,
    identity: String,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) -> Result<(), ClientError> {
    let config = &shared.config;
    let stats = &shared.stats;
    let minted = Instant::now();
    let token = signal::token(
        &config.api_key,
        &config.api_secret,
        &identity,
        &config.room,
        role == Role::Publisher,
    )?;
    let (mut signal, join) = Signal::join(&config.url, &token, JOIN_WAIT).await?;
    let mut quality = QualityChoice::new(config.quality);
    quality
        .request(&mut signal, join.other_participants.iter())
        .await?;
    match role {
        Role::Publisher => Stats::add(&stats.publishers_joined, 1),
        Role::Subscriber => Stats::add(&stats.subscribers_joined, 1),
    }

    let mut subscriber = Peer::bind(config.bind_ip).await?;
    let mut publisher = None;
    let mut outgoing = None;
    if role == Role::Publisher {
        let mut peer = Peer::bind(config.bind_ip).await?;
        let out = offer_tracks(&mut signal, &mut peer, config).await?;
        publisher = Some(peer);
        outgoing = Some(out);
    }

    let mut incoming = Incoming::default();
    let mut events = Vec::new();
    let mut ping = tokio::time::interval(PING_EVERY);
    let frame_every = Duration::from_secs(1) / config.fps.max(1);
    let mut frames = tokio::time::interval(frame_every);
    let mut audio = tokio::time::interval(AUDIO_EVERY);
    for t in [&mut frames, &mut audio] {
        t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    }
    let sending = role == Role::Publisher;

    let result = loop {
        let deadline = publisher
            .as_ref()
            .map_or(subscriber.next_timeout, |p: &Peer| {
                p.next_timeout.min(subscriber.next_timeout)
            });
        let step: Result<bool, ClientError> = tokio::select! {
            _ = stop.changed() => Ok(false),
            msg = signal.recv() => match msg {
                Ok(Some(Msg::Update(update))) => quality
                    .request(&mut signal, update.participants.iter())
                    .await
                    .map(|()| true),
                Ok(Some(msg)) => handle_signal(msg, &mut signal, &mut subscriber, publisher.as_mut(), outgoing.as_mut()).await,
                Ok(None) => Err(ClientError::Signal("the server closed the signal socket".into())),
                Err(e) => Err(e),
            },
            r = subscriber.socket.recv_from(&mut subscriber.buf) => {
                let (n, from) = r?;
                subscriber.receive(n, from).map(|()| true)
            }
            r = recv_optional(publisher.as_mut()) => {
                let (n, from) = r?;
                match publisher.as_mut() {
                    Some(p) => p.receive(n, from).map(|()| true),
                    None => Ok(true),
                }
            }
            _ = tokio::time::sleep_until(deadline.into()) => {
                subscriber.timeout()?;
                if let Some(p) = publisher.as_mut() { p.timeout()?; }
                Ok(true)
            }
            _ = ping.tick() => signal.ping().await.map(|()| true),
            _ = frames.tick(), if sending => {
                if let (Some(p), Some(o)) = (publisher.as_mut(), outgoing.as_mut()) {
                    send_frame(p, o, &shared)?;
                }
                Ok(true)
            }
            _ = audio.tick(), if sending && config.audio => {
                if let (Some(p), Some(o)) = (publisher.as_mut(), outgoing.as_mut()) {
                    send_audio(p, o, &shared)?;
                }
                Ok(true)
            }
        };
        match step {
            Ok(true) => {}
            Ok(false) => break Ok(()),
            Err(e) => break Err(e),
        }

        // Drain both peers and act on what they report.
        subscriber.drain(&mut events)?;
        for e in events.drain(..) {
            if let Event::RtpPacket(p) = e {
                on_media(&p, &mut incoming, &shared, minted);
            }
        }
        if let (Some(p), Some(o)) = (publisher.as_mut(), outgoing.as_mut()) {
            p.drain(&mut events)?;
            for e in events.drain(..) {
                if let Event::KeyframeRequest(_) = e {
                    Stats::add(&stats.keyframe_requests, 1);
                    o.keyframe_wanted = true;
                }
            }
        }
    };

    Stats::add(&stats.lost_packets, incoming.lost());
    signal.leave().await;
    result
}

async fn recv_optional(peer: Option<&mut Peer>) -> std::io::Result<(usize, SocketAddr)> {
    match peer {
        Some(p) => p.socket.recv_from(&mut p.buf).await,
        None => std::future::pending().await,
    }
}

/// One layer to publish: LiveKit's rid names and quality, sized like the browser SDK's
/// defaults (each lower layer half the resolution of the next).
struct PlannedLayer {
    rid: Option<&'static str>,
    quality: proto::VideoQuality,
    width: u16,
    height: u16,
    kbps: u32,
}

fn layer_plan(config: &LoadConfig) -> Vec<PlannedLayer> {
    let full = PlannedLayer {
        rid: config.simulcast.then_some("f"),
        quality: proto::VideoQuality::High,
        width: config.width,
        height: config.height,
        kbps: config.video_kbps,
    };
    if !config.simulcast {
        return vec![full];
    }
    vec![
        PlannedLayer {
            rid: Some("q"),
            quality: proto::VideoQuality::Low,
            width: config.width / 4,
            height: config.height / 4,
            kbps: (config.video_kbps / 12).max(60),
        },
        PlannedLayer {
            rid: Some("h"),
            quality: proto::VideoQuality::Medium,
            width: config.width / 2,
            height: config.height / 2,
            kbps: (config.video_kbps / 4).max(120),
        },
        full,
    ]
}

/// Announces the tracks (AddTrack, as the SDKs do) and offers the publisher connection.
async fn offer_tracks(
    signal: &mut Signal,
    peer: &mut Peer,
    config: &LoadConfig,
) -> Result<Outgoing, ClientError> {
    let plan = layer_plan(config);
    let add = |cid: &str, kind: proto::TrackType, source: proto::TrackSource| {
        let video = kind == proto::TrackType::Video;
        Req::AddTrack(proto::AddTrackRequest {
            cid: cid.into(),
            name: cid.into(),
            r#type: kind as i32,
            source: source as i32,
            width: if video { u32::from(config.width) } else { 0 },
            height: if video { u32::from(config.height) } else { 0 },
            layers: if video {
                plan.iter()
                    .map(|l| proto::VideoLayer {
                        quality: l.quality as i32,
                        width: u32::from(l.width),
                        height: u32::from(l.height),
                        bitrate: l.kbps * 1000,
                        rid: l.rid.unwrap_or_default().to_owned(),
                        ..Default::default()
                    })
                    .collect()
            } else {
                Vec::new()
            },
            ..Default::default()
        })
    };
    signal
        .send(add(
            "video",
            proto::TrackType::Video,
            proto::TrackSource::Camera,
        ))
        .await?;
    if config.audio {
        signal
            .send(add(
                "audio",
                proto::TrackType::Audio,
                proto::TrackSource::Microphone,
            ))
            .await?;
    }
    let mut api = peer.rtc.sdp_api();
    let stream = Some("load".to_owned());
    let simulcast = config.simulcast.then(|| Simulcast {
        send: plan
            .iter()
            .filter_map(|l| l.rid.map(SimulcastLayer::new))
            .collect(),
        recv: Vec::new(),
    });
    let video = api.add_media(
        MediaKind::Video,
        Direction::SendOnly,
        stream.clone(),
        Some("video".into()),
        simulcast,
    );
    let audio = config.audio.then(|| {
        api.add_media(
            MediaKind::Audio,
            Direction::SendOnly,
            stream,
            Some("audio".into()),
            None,
        )
    });
    api.add_channel("_reliable".into());
    let (offer, pending) = api
        .apply()
        .ok_or_else(|| ClientError::Rtc("nothing to offer".into()))?;
    signal
        .send(Req::Offer(signal::description(
            "offer",
            offer.to_sdp_string(),
            1,
        )))
        .await?;
    Ok(Outgoing {
        video,
        audio,
        layers: plan
            .iter()
            .map(|l| Layer {
                rid: l.rid.map(Rid::from),
                source: Vp8Source::new(l.kbps, config.fps, l.width, l.height),
                seq: 1,
            })
            .collect(),
        audio_seq: 1,
        started: None,
        last_keyframe: None,
        keyframe_wanted: true,
        pending: Some(pending),
    })
}

/// A subscriber's fixed quality request, sent once for each video track it learns about (as
/// `setVideoQuality` does in the browser SDK). `None` leaves the server's default.
struct QualityChoice {
    quality: Option<proto::VideoQuality>,
    asked: HashSet<String>,
}

impl QualityChoice {
    fn new(quality: Option<proto::VideoQuality>) -> Self {
        Self {
            quality,
            asked: HashSet::new(),
        }
    }

    async fn request(
        &mut self,
        signal: &mut Signal,
        participants: impl Iterator<Item = &proto::ParticipantInfo>,
    ) -> Result<(), ClientError> {
        let Some(quality) = self.quality else {
            return Ok(());
        };
        let new: Vec<String> = participants
            .flat_map(|p| &p.tracks)
            .filter(|t| t.r#type == proto::TrackType::Video as i32)
            .filter(|t| self.asked.insert(t.sid.clone()))
            .map(|t| t.sid.clone())
            .collect();
        if new.is_empty() {
            return Ok(());
        }
        signal
            .send(Req::TrackSetting(proto::UpdateTrackSettings {
                track_sids: new,
                quality: quality as i32,
                ..Default::default()
            }))
            .await
    }
}

/// Applies one signal message; `Ok(false)` ends the client (the server said leave).
async fn handle_signal(
    msg: Msg,
    signal: &mut Signal,
    subscriber: &mut Peer,
    publisher: Option<&mut Peer>,
    outgoing: Option<&mut Outgoing>,
) -> Result<bool, ClientError> {
    match msg {
        Msg::Offer(offer) => {
            let parsed = SdpOffer::from_sdp_string(&offer.sdp)
                .map_err(|e| ClientError::Rtc(format!("server offer: {e}")))?;
            let answer = subscriber
                .rtc
                .sdp_api()
                .accept_offer(parsed)
                .map_err(|e| ClientError::Rtc(format!("accepting the offer: {e}")))?;
            signal
                .send(Req::Answer(signal::description(
                    "answer",
                    answer.to_sdp_string(),
                    offer.id,
                )))
                .await?;
        }
        Msg::Answer(answer) => {
            if let (Some(p), Some(o)) = (publisher, outgoing)
                && let Some(pending) = o.pending.take()
            {
                let parsed = SdpAnswer::from_sdp_string(&answer.sdp)
                    .map_err(|e| ClientError::Rtc(format!("server answer: {e}")))?;
                p.rtc
                    .sdp_api()
                    .accept_answer(pending, parsed)
                    .map_err(|e| ClientError::Rtc(format!("accepting the answer: {e}")))?;
            }
        }
        Msg::Trickle(trickle) => {
            if let Some(line) = signal::trickled_candidate(&trickle) {
                if trickle.target == proto::SignalTarget::Subscriber as i32 {
                    subscriber.add_remote_candidate(&line);
                } else if let Some(p) = publisher {
                    p.add_remote_candidate(&line);
                }
            }
        }
        Msg::Leave(leave) => {
            return Err(ClientError::Refused(format!(
                "the server sent leave: {leave:?}"
            )));
        }
        _ => {}
    }
    Ok(true)
}

fn send_frame(peer: &mut Peer, out: &mut Outgoing, shared: &Shared) -> Result<(), ClientError> {
    if !peer.rtc.is_connected() {
        return Ok(());
    }
    let Some(pt) = peer.pt(Codec::Vp8) else {
        return Err(ClientError::Rtc("VP8 was not negotiated".into()));
    };
    let now = Instant::now();
    let started = *out.started.get_or_insert(now);
    let keyframe = out.keyframe_wanted
        || out
            .last_keyframe
            .is_none_or(|at| now.duration_since(at) >= KEYFRAME_EVERY);
    if keyframe {
        out.keyframe_wanted = false;
        out.last_keyframe = Some(now);
    }
    let rtp_time = (now.duration_since(started).as_micros() * 90 / 1000) as u32;
    let sent_us = shared.now_us();
    let mut api = peer.rtc.direct_api();
    for layer in &mut out.layers {
        let Some(tx) = api.stream_tx_by_mid(out.video, layer.rid) else {
            continue; // not negotiated (yet)
        };
        let packets = layer.source.frame(keyframe, sent_us);
        let last = packets.len() - 1;
        for (i, payload) in packets.into_iter().enumerate() {
            Stats::add(&shared.stats.sent_packets, 1);
            Stats::add(&shared.stats.sent_bytes, payload.len() as u64);
            let write = RtpWrite::new(pt, SeqNo::from(layer.seq), rtp_time, now, payload)
                .marker(i == last)
                .nackable(true);
            tx.write_rtp(write);
            layer.seq += 1;
        }
    }
    peer.timeout()
}

fn send_audio(peer: &mut Peer, out: &mut Outgoing, shared: &Shared) -> Result<(), ClientError> {
    let Some(mid) = out.audio else { return Ok(()) };
    if !peer.rtc.is_connected() {
        return Ok(());
    }
    let Some(pt) = peer.pt(Codec::Opus) else {
        return Err(ClientError::Rtc("Opus was not negotiated".into()));
    };
    let now = Instant::now();
    let rtp_time = (out.audio_seq * 960) as u32;
    let payload = media::opus_packet(OPUS_BYTES, shared.now_us());
    Stats::add(&shared.stats.sent_packets, 1);
    Stats::add(&shared.stats.sent_bytes, payload.len() as u64);
    let mut api = peer.rtc.direct_api();
    if let Some(tx) = api.stream_tx_by_mid(mid, None) {
        tx.write_rtp(RtpWrite::new(
            pt,
            SeqNo::from(out.audio_seq),
            rtp_time,
            now,
            payload,
        ));
        out.audio_seq += 1;
    }
    peer.timeout()
}

fn on_media(
    packet: &str0m::rtp::RtpPacket,
    incoming: &mut Incoming,
    shared: &Shared,
    minted: Instant,
) {
    let stats = &shared.stats;
    Stats::add(&stats.received_packets, 1);
    Stats::add(&stats.received_bytes, packet.payload.len() as u64);
    if !incoming.first_packet {
        incoming.first_packet = true;
        Stats::add(&stats.subscribers_receiving, 1);
        stats
            .join_to_media
            .record(minted.elapsed().as_micros() as u64);
    }
    let seq = *packet.seq_no;
    let entry = incoming
        .per_ssrc
        .entry(packet.header.ssrc)
        .or_insert((seq, seq, 0));
    entry.0 = entry.0.min(seq);
    entry.1 = entry.1.max(seq);
    entry.2 += 1;
    if stats.measuring.load(Relaxed)
        && let Some(sent) = media::sent_us(&packet.payload)
    {
        stats.latency.record(shared.now_us().saturating_sub(sent));
    }
}
