//! Runs the media server alone on loopback, for trying LiveKit clients against it:
//! `cargo run -p onair-sfu --example serve -- 7880` (API key `devkey`, secret `secret`).

use std::net::SocketAddr;

use onair_sfu::{MediaServer, SfuConfig};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(7880);
    let key = std::env::var("LIVEKIT_API_KEY").unwrap_or_else(|_| "devkey".into());
    let secret = std::env::var("LIVEKIT_API_SECRET").unwrap_or_else(|_| "secret".into());
    let server = MediaServer::start(SfuConfig::loopback(&key, &secret)).await?;
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await?;
    println!(
        "listening on ws://{} (udp {})",
        listener.local_addr()?,
        server.udp_addr()
    );
    axum::serve(listener, server.router())
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    server.shutdown().await;
    Ok(())
}
