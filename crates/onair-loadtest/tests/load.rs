//! The load generator against OnAir's real media server on loopback: every simulated subscriber
//! receives the publisher's media, latency is measured, and everyone leaves cleanly.

#![expect(clippy::unwrap_used, reason = "test helpers fail loudly")]

use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use livekit_protocol::VideoQuality;
use onair_loadtest::{Load, LoadConfig};
use onair_sfu::{MediaServer, SfuConfig};

const KEY: &str = "load-key";
const SECRET: &str = "load-secret-that-is-long-enough-for-hs256";

async fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "within {limit:?}: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribers_receive_the_publishers_media_without_loss() {
    let (server, url) = server().await;
    let config = LoadConfig {
        video_kbps: 600,
        ramp_per_sec: 50,
        ..LoadConfig::new(&url, KEY, SECRET, 3)
    };
    let load = Load::start(config);
    let stats = load.stats();
    wait_until(
        "three subscribers receive media",
        Duration::from_secs(20),
        || stats.snapshot().subscribers_receiving == 3 || stats.snapshot().failures > 0,
    )
    .await;
    assert_eq!(
        stats.snapshot().failures,
        0,
        "a client failed while joining"
    );

    stats.measuring.store(true, Relaxed);
    let before = stats.snapshot().received_packets;
    wait_until(
        "a second of media measured",
        Duration::from_secs(10),
        || stats.latency.count() >= 200,
    )
    .await;
    let errors = load.stop().await;
    assert!(errors.is_empty(), "clients failed: {errors:?}");

    let s = stats.snapshot();
    assert_eq!(s.publishers_joined, 1);
    assert_eq!(s.subscribers_joined, 3);
    assert!(s.received_packets > before, "media kept flowing");
    assert_eq!(s.lost_packets, 0, "loopback loses nothing");
    let p99 = stats.latency.quantile_us(0.99).unwrap();
    assert!(p99 < 500_000, "p99 latency {p99} µs on loopback");
    assert!(stats.join_to_media.count() == 3);
    server.shutdown().await;
}

async fn server() -> (MediaServer, String) {
    let server = MediaServer::start(SfuConfig::loopback(KEY, SECRET)).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let http = listener.local_addr().unwrap();
    let router = server.router();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (server, format!("http://{http}"))
}

/// Received video bytes per second per subscriber, over about a second of steady flow.
async fn bytes_per_sec(quality: VideoQuality) -> f64 {
    let (server, url) = server().await;
    let config = LoadConfig {
        audio: false,
        quality: Some(quality),
        ..LoadConfig::new(&url, KEY, SECRET, 2)
    };
    let load = Load::start(config);
    let stats = load.stats();
    wait_until(
        "two subscribers receive media",
        Duration::from_secs(20),
        || stats.snapshot().subscribers_receiving == 2 || stats.snapshot().failures > 0,
    )
    .await;
    // Let a layer switch (at the next keyframe, at most 2 s away) settle, then measure.
    let settle = stats.snapshot().sent_packets;
    wait_until("2.5 s of media", Duration::from_secs(10), || {
        stats.snapshot().sent_packets > settle + 2 * 2 * 30 * 3
    })
    .await;
    let (before, at) = (stats.snapshot().received_bytes, Instant::now());
    let sent = stats.snapshot().sent_packets;
    wait_until("1 s of media", Duration::from_secs(10), || {
        stats.snapshot().sent_packets > sent + 30 * 6
    })
    .await;
    let rate = (stats.snapshot().received_bytes - before) as f64 / at.elapsed().as_secs_f64() / 2.0;
    let errors = load.stop().await;
    assert!(errors.is_empty(), "clients failed: {errors:?}");
    server.shutdown().await;
    rate
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulcast_subscribers_get_the_layer_they_ask_for() {
    let high = bytes_per_sec(VideoQuality::High).await;
    let low = bytes_per_sec(VideoQuality::Low).await;
    // f is 1.2 Mbit/s (150 kB/s), q a twelfth of it.
    assert!(high > 100_000.0, "HIGH subscribers got {high:.0} B/s");
    assert!(
        low < high / 4.0,
        "LOW subscribers got {low:.0} B/s against HIGH {high:.0} B/s"
    );
}
