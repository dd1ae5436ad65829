//! Runs the media server alone, for trying LiveKit clients against it. It reads the same
//! environment as `onair serve` (`ONAIR_BIND`, `LIVEKIT_API_KEY`/`LIVEKIT_API_SECRET`,
//! `ONAIR_RTC_UDP_PORT`, `ONAIR_RTC_TCP_PORT`, `ONAIR_RTC_ADVERTISE_IP`) and answers `/readyz`,
//! so the interop suite can run against it alone:
//! `ONAIR_BIN=target/debug/examples/serve interop/.venv/bin/python -m pytest interop -k sfu`.

use std::net::{IpAddr, SocketAddr};

use axum::routing::get;
use onair_sfu::{MediaServer, SfuConfig};
use tokio::signal::unix::{SignalKind, signal};

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let bind: SocketAddr = env_or("ONAIR_BIND", SocketAddr::from(([127, 0, 0, 1], 7880)));
    let key = env_or("LIVEKIT_API_KEY", "devkey".to_owned());
    let secret = env_or("LIVEKIT_API_SECRET", "secret".to_owned());
    let mut config = SfuConfig::loopback(&key, &secret);
    config.bind_ip = bind.ip();
    config.udp_port = env_or("ONAIR_RTC_UDP_PORT", 7882);
    config.tcp_port = Some(env_or("ONAIR_RTC_TCP_PORT", 7881));
    config.advertise_ip = env_or("ONAIR_RTC_ADVERTISE_IP", IpAddr::from([127, 0, 0, 1]));
    let server = MediaServer::start(config)?;
    let listener = tokio::net::TcpListener::bind(bind).await?;
    println!(
        "listening on ws://{} (udp {})",
        listener.local_addr()?,
        server.udp_addr()
    );
    let router = server.router().route("/readyz", get(|| async { "ready" }));
    let (stop_http, http_stopped) = tokio::sync::oneshot::channel::<()>();
    let http = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = http_stopped.await;
            })
            .await
    });
    let mut term = signal(SignalKind::terminate())?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    // Media first: every participant gets a leave and its WebSocket closes, then HTTP drains.
    server.shutdown().await;
    let _ = stop_http.send(());
    tokio::time::timeout(std::time::Duration::from_secs(5), http).await???;
    Ok(())
}
