//! A small HTTP load tool for the platform's figures: requests/s and latency percentiles for
//! the token endpoint and for listing with many streams.
//!
//! It starts the real router in-process on 127.0.0.1:0 over a fresh SQLite file, signs up one
//! creator, seeds `--streams` streams (a third SCHEDULED, a third LIVE, a third ENDED) through
//! the store, then drives `--concurrency` keep-alive clients for `--seconds` per scenario.
//! Client and server share the machine, so the figures are a floor, not a ceiling.
//!
//! ```sh
//! cargo run --release -p onair --example loadgen -- --streams 100000 --seconds 10 --concurrency 32
//! ```

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a measurement tool fails loudly"
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use onair_domain::{Credits, EndReason, StreamDescription, StreamId, StreamTitle};
use onair_store::{NewStream, Store};
use onair_web::{AppState, LiveKitConfig, MediaMode, RateLimits, Secret, WebConfig};

struct Args {
    streams: usize,
    seconds: u64,
    concurrency: usize,
}

fn args() -> Args {
    let mut a = Args {
        streams: 100_000,
        seconds: 10,
        concurrency: 32,
    };
    let argv: Vec<String> = std::env::args().skip(1).collect();
    for pair in argv.chunks(2) {
        let value = pair.get(1).expect("every flag takes a value");
        match pair[0].as_str() {
            "--streams" => a.streams = value.parse().expect("--streams N"),
            "--seconds" => a.seconds = value.parse().expect("--seconds N"),
            "--concurrency" => a.concurrency = value.parse().expect("--concurrency N"),
            other => panic!("unknown flag {other}"),
        }
    }
    a
}

#[tokio::main]
async fn main() {
    let args = args();
    let dir = tempfile::tempdir().unwrap();
    let store = onair_store::connect(&format!(
        "sqlite://{}",
        dir.path().join("onair.db").display()
    ))
    .await
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut config = WebConfig::new(LiveKitConfig {
        mode: MediaMode::External {
            url: "ws://127.0.0.1:7880".parse().unwrap(),
        },
        api_key: "APIloadgen".into(),
        api_secret: Secret::new("loadgen-secret-loadgen-secret-000000"),
    });
    config.rate_limits = RateLimits {
        auth_per_minute: u32::MAX,
        token_per_minute: u32::MAX,
        create_per_minute: u32::MAX,
        general_per_minute: u32::MAX,
    };
    config.go_live_cost = Credits::ZERO;
    let state = AppState::new(store.clone(), config);
    tokio::spawn(onair_web::serve(
        listener,
        onair_web::router(state),
        std::future::pending(),
    ));
    let base = format!("http://{addr}");

    // One creator through the API; the streams straight into the store.
    let http = reqwest::Client::new();
    let res = http
        .post(format!("{base}/api/auth/signup"))
        .json(&serde_json::json!({"email": "load@example.com", "password": "load test pw", "name": "Load"}))
        .send()
        .await
        .unwrap();
    let creator: serde_json::Value = res.json().await.unwrap();
    let creator = creator["id"].as_str().unwrap().parse().unwrap();
    let seeding = Instant::now();
    let mut live_id = None;
    for i in 0..args.streams {
        let id = StreamId::new();
        store
            .create_stream(NewStream {
                id,
                creator,
                title: StreamTitle::parse(&format!("Stream {i}")).unwrap(),
                description: StreamDescription::parse(&format!("About stream {i}")).unwrap(),
                scheduled_for: None,
                now: Utc::now(),
            })
            .await
            .unwrap();
        if i % 3 >= 1 {
            store.go_live(id, Credits::ZERO, Utc::now()).await.unwrap();
            live_id.get_or_insert(id);
        }
        if i % 3 == 2 {
            store
                .end_stream(id, EndReason::Creator, Utc::now())
                .await
                .unwrap();
        }
    }
    println!(
        "seeded {} streams in {:.1?}",
        args.streams,
        seeding.elapsed()
    );
    let live = live_id.expect("at least two streams");

    let scenarios = [
        (
            "POST /api/streams/{id}/token (guest)",
            "POST",
            format!("{base}/api/streams/{live}/token"),
        ),
        (
            "GET /api/streams/list?status=LIVE&limit=20",
            "GET",
            format!("{base}/api/streams/list?status=LIVE&limit=20"),
        ),
        (
            "GET /api/streams/list?limit=20&page=50",
            "GET",
            format!("{base}/api/streams/list?limit=20&page=50"),
        ),
        (
            "GET /api/streams/list?q=stream%2099&limit=20",
            "GET",
            format!("{base}/api/streams/list?q=stream%2099&limit=20"),
        ),
    ];
    println!("| scenario | requests/s | p50 ms | p99 ms | requests | errors |");
    println!("|---|---|---|---|---|---|");
    for (name, method, url) in scenarios {
        let (count, errors, mut latencies) = drive(
            method,
            &url,
            args.concurrency,
            Duration::from_secs(args.seconds),
        )
        .await;
        latencies.sort_unstable();
        let pct = |p: f64| {
            let i = ((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1));
            latencies.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
        };
        println!(
            "| {name} | {:.0} | {:.2} | {:.2} | {count} | {errors} |",
            count as f64 / args.seconds as f64,
            pct(0.50),
            pct(0.99)
        );
    }
}

/// `concurrency` clients loop on one request until `duration` passes.
async fn drive(
    method: &'static str,
    url: &str,
    concurrency: usize,
    duration: Duration,
) -> (usize, usize, Vec<Duration>) {
    let stop = Arc::new(AtomicBool::new(false));
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .unwrap();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, url, stop) = (client.clone(), url.to_owned(), Arc::clone(&stop));
        tasks.push(tokio::spawn(async move {
            let (mut ok, mut errors, mut lat) = (0usize, 0usize, Vec::new());
            while !stop.load(Ordering::Relaxed) {
                let start = Instant::now();
                let req = if method == "POST" {
                    client.post(&url)
                } else {
                    client.get(&url)
                };
                match req.send().await {
                    Ok(res) if res.status().is_success() => {
                        let _ = res.bytes().await;
                        ok += 1;
                        lat.push(start.elapsed());
                    }
                    _ => errors += 1,
                }
            }
            (ok, errors, lat)
        }));
    }
    tokio::time::sleep(duration).await;
    stop.store(true, Ordering::Relaxed);
    let mut all = (0, 0, Vec::new());
    for t in tasks {
        let (ok, errors, lat) = t.await.unwrap();
        all.0 += ok;
        all.1 += errors;
        all.2.extend(lat);
    }
    all
}
