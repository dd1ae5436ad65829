//! The load generator against OnAir's real media server on loopback: every simulated subscriber
//! receives the publisher's media, latency is measured, and everyone leaves cleanly.

use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

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
    let server = MediaServer::start(SfuConfig::loopback(KEY, SECRET)).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let http = listener.local_addr().unwrap();
    let router = server.router();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });

    let config = LoadConfig {
        video_kbps: 600,
        ramp_per_sec: 50,
        ..LoadConfig::new(&format!("http://{http}"), KEY, SECRET, 3)
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
