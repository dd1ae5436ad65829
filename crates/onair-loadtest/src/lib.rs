//! A load generator for OnAir's embedded media server — or any LiveKit server, since it speaks
//! only LiveKit's protocol — in the spirit of `lk load-test`.
//!
//! Each simulated participant is a task with a signal WebSocket (`/rtc`, binary protobuf) and
//! str0m peer connections in RTP mode on their own UDP sockets, joining with a token minted from
//! the server's API key and secret, exactly as a LiveKit SDK would:
//!
//! ```text
//! publisher:  token → /rtc → JoinResponse → AddTrack(video[, audio]) → offer ─▶ answer
//!             then synthetic VP8 frames (keyframe every 2 s or on PLI) and Opus every 20 ms,
//!             each packet ending in its send time
//! subscriber: token → /rtc → JoinResponse → server offers ─▶ answer → RTP in
//!             counts packets, bytes, sequence gaps per SSRC, send→receive latency
//! ```
//!
//! Publishers and subscribers run in this process, so latency is measured on one clock; on one
//! machine the clients' own decryption competes with the server for CPU, which the report shows
//! (the tool's CPU beside the server's). [`Load`] starts the clients and stops them; the counters
//! in [`Stats`] are read while it runs.

mod client;
pub mod cpu;
pub mod media;
mod peer;
mod signal;
pub mod stats;

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;
use tokio::task::JoinSet;

pub use client::Role;
pub use stats::{Histogram, Snapshot, Stats};

/// What to simulate and where.
#[derive(Clone)]
pub struct LoadConfig {
    /// The server's base URL (`http://`, `ws://`; `/rtc` is appended).
    pub url: String,
    pub api_key: String,
    pub api_secret: String,
    pub room: String,
    pub publishers: usize,
    pub subscribers: usize,
    /// Video bitrate of each publisher (delta frames; keyframes are three times larger).
    pub video_kbps: u32,
    pub fps: u32,
    pub width: u16,
    pub height: u16,
    /// Each publisher also sends Opus audio (20 ms packets).
    pub audio: bool,
    /// Publish three simulcast layers (`q`, `h`, `f` at ¼, ½ and full size), as browsers do.
    pub simulcast: bool,
    /// What subscribers ask for (`UpdateTrackSettings`); `None` takes the server's default.
    pub quality: Option<livekit_protocol::VideoQuality>,
    /// New clients started per second.
    pub ramp_per_sec: u32,
    /// The address the clients' UDP sockets bind to (loopback for tests).
    pub bind_ip: IpAddr,
}

impl LoadConfig {
    /// One publisher and `subscribers` viewers of 1.2 Mbit/s 30 fps video with audio, on loopback.
    pub fn new(url: &str, api_key: &str, api_secret: &str, subscribers: usize) -> Self {
        Self {
            url: url.to_owned(),
            api_key: api_key.to_owned(),
            api_secret: api_secret.to_owned(),
            room: "loadtest".to_owned(),
            publishers: 1,
            subscribers,
            video_kbps: 1200,
            fps: 30,
            width: 1280,
            height: 720,
            audio: true,
            simulcast: true,
            quality: None,
            ramp_per_sec: 20,
            bind_ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
        }
    }
}

impl std::fmt::Debug for LoadConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadConfig")
            .field("url", &self.url)
            .field("api_key", &self.api_key)
            .field("api_secret", &"<redacted>")
            .field("room", &self.room)
            .field("publishers", &self.publishers)
            .field("subscribers", &self.subscribers)
            .field("video_kbps", &self.video_kbps)
            .field("fps", &self.fps)
            .field("audio", &self.audio)
            .field("simulcast", &self.simulcast)
            .field("quality", &self.quality)
            .field("ramp_per_sec", &self.ramp_per_sec)
            .finish_non_exhaustive()
    }
}

/// Why one simulated client failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("minting the token: {0}")]
    Token(String),
    #[error("signalling: {0}")]
    Signal(String),
    #[error("the server refused or dropped the client: {0}")]
    Refused(String),
    #[error("timed out waiting for {0}")]
    Timeout(&'static str),
    #[error("WebRTC: {0}")]
    Rtc(String),
    #[error("socket: {0}")]
    Io(#[from] std::io::Error),
}

/// A running load: clients being started at the ramp rate, then running until [`Load::stop`].
#[derive(Debug)]
pub struct Load {
    stats: Arc<Stats>,
    stop: watch::Sender<bool>,
    launcher: tokio::task::JoinHandle<Vec<ClientError>>,
}

impl Load {
    /// Starts the publishers, then the subscribers, `ramp_per_sec` clients a second.
    pub fn start(config: LoadConfig) -> Self {
        let stats = Arc::new(Stats::default());
        let (stop, stop_rx) = watch::channel(false);
        let shared = Arc::new(client::Shared {
            config,
            stats: stats.clone(),
            epoch: Instant::now(),
        });
        let launcher = tokio::spawn(launch(shared, stop_rx));
        Self {
            stats,
            stop,
            launcher,
        }
    }

    /// The live counters; they stay readable after [`Load::stop`].
    pub fn stats(&self) -> Arc<Stats> {
        self.stats.clone()
    }

    /// Tells every client to leave and waits (bounded) for them; returns the clients' errors.
    pub async fn stop(self) -> Vec<ClientError> {
        let _ = self.stop.send(true);
        match tokio::time::timeout(Duration::from_secs(20), self.launcher).await {
            Ok(Ok(errors)) => errors,
            Ok(Err(join)) => vec![ClientError::Signal(format!("launcher failed: {join}"))],
            Err(_) => vec![ClientError::Timeout("the clients to leave")],
        }
    }
}

async fn launch(shared: Arc<client::Shared>, mut stop: watch::Receiver<bool>) -> Vec<ClientError> {
    let config = &shared.config;
    let gap = Duration::from_secs(1) / config.ramp_per_sec.max(1);
    let roles = (0..config.publishers)
        .map(|i| (Role::Publisher, format!("load-pub-{i}")))
        .chain((0..config.subscribers).map(|i| (Role::Subscriber, format!("load-sub-{i}"))));
    let mut clients = JoinSet::new();
    let mut errors = Vec::new();
    for (role, identity) in roles {
        if *stop.borrow() {
            break;
        }
        let run = client::run(role, identity, shared.clone(), stop.clone());
        let stats = shared.stats.clone();
        clients.spawn(async move {
            let result = run.await;
            if result.is_err() {
                Stats::add(&stats.failures, 1);
            }
            result
        });
        tokio::select! {
            _ = tokio::time::sleep(gap) => {}
            _ = stop.changed() => break,
        }
    }
    while let Some(done) = clients.join_next().await {
        match done {
            Ok(Ok(())) => {}
            Ok(Err(e)) => errors.push(e),
            Err(join) => {
                Stats::add(&shared.stats.failures, 1);
                errors.push(ClientError::Signal(format!("client task failed: {join}")));
            }
        }
    }
    errors
}
