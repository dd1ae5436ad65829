//! TLS: the webhook sender and livekit-api's `RoomClient` (this build's one TLS stack) speak TLS
//! and verify the server's certificate. A receiver
//! on loopback with a self-signed certificate (no system root vouches for it) sees a real TLS
//! handshake that the sender aborts for the certificate — not a refused scheme, not plain HTTP.
//! (`interop/test_webhooks.py` delivers over HTTPS to a receiver whose CA the server trusts.)

use std::sync::Arc;
use std::time::Duration;

use onair_control::webhook::{RetryPolicy, WebhookConfig, WebhookSender};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::{self, pki_types::PrivateKeyDer};

use crate::numbered;
use crate::receiver::{KEY, SECRET};

/// A TLS listener on 127.0.0.1 with a fresh self-signed certificate for `127.0.0.1`; returns
/// its URL and the outcome of the first handshake.
async fn self_signed_receiver() -> (String, tokio::task::JoinHandle<Result<(), String>>) {
    let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let key = PrivateKeyDer::Pkcs8(cert.signing_key.serialize_der().into());
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.cert.der().clone()], key)
        .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("https://{}/hook", listener.local_addr().unwrap());
    let handshake = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.map_err(|e| e.to_string())?;
        acceptor
            .accept(tcp)
            .await
            .map(drop)
            .map_err(|e| e.to_string())
    });
    (url, handshake)
}

#[tokio::test]
async fn an_https_receiver_with_an_untrusted_certificate_is_refused_in_the_handshake() {
    let (url, handshake) = self_signed_receiver().await;
    let once = RetryPolicy {
        max_attempts: 1,
        request_timeout: Duration::from_secs(5),
        ..RetryPolicy::default()
    };
    let sender = WebhookSender::start(WebhookConfig {
        retry: once,
        ..WebhookConfig::new(vec![url], KEY, SECRET)
    })
    .expect("https URLs are accepted");
    sender.send(&numbered(1)).unwrap();

    let outcome = tokio::time::timeout(Duration::from_secs(10), handshake)
        .await
        .expect("within 10 s the sender did not open a TLS connection")
        .unwrap();
    let err = outcome.expect_err("the sender must not trust a self-signed certificate");
    assert!(
        err.contains("UnknownCA") || err.contains("BadCertificate"),
        "the client should abort the handshake for the certificate, got: {err}"
    );

    let report = sender.shutdown(Duration::from_secs(5)).await;
    assert!(report.flushed);
    let stats = sender.stats();
    assert_eq!((stats.delivered, stats.dropped_failed), (0, 1));
}

/// The platform's RoomService calls go through livekit-api's `RoomClient`, which shares this
/// build's reqwest and so its TLS: an `https://` LiveKit URL is a TLS connection with the
/// certificate checked (LiveKit Cloud's is trusted through the system's roots).
#[tokio::test]
async fn livekit_room_client_speaks_tls_to_an_https_server() {
    let (url, handshake) = self_signed_receiver().await;
    let host = url.trim_end_matches("/hook");
    let client = livekit_api::services::room::RoomClient::with_api_key(host, KEY, SECRET);
    let call = tokio::time::timeout(Duration::from_secs(10), client.list_rooms(vec![]))
        .await
        .expect("within 10 s the RoomClient call did not finish");
    assert!(call.is_err(), "an untrusted certificate must fail the call");
    let err = tokio::time::timeout(Duration::from_secs(10), handshake)
        .await
        .expect("within 10 s the RoomClient did not open a TLS connection")
        .unwrap()
        .expect_err("the handshake must fail");
    assert!(
        err.contains("UnknownCA") || err.contains("BadCertificate"),
        "the client should abort the handshake for the certificate, got: {err}"
    );
}
