//! Webhook delivery to real receivers on loopback, each verifying every request with
//! LiveKit's own Rust `WebhookReceiver`.

// Test helpers are ordinary functions, so clippy's test exemption does not reach them.
#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on any unexpected error"
)]

mod receiver;
mod tls;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::StatusCode;
use livekit_protocol as proto;
use onair_control::webhook::{
    self, RetryPolicy, SendError, WebhookConfig, WebhookConfigError, WebhookSender,
};
use tokio::time::Instant;

use receiver::{KEY, SECRET, black_hole, receiver};

fn config(urls: Vec<String>, retry: RetryPolicy) -> WebhookConfig {
    WebhookConfig {
        retry,
        ..WebhookConfig::new(urls, KEY, SECRET)
    }
}

fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        initial_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(100),
        max_elapsed: Duration::from_secs(1),
        request_timeout: Duration::from_millis(300),
    }
}

fn room(name: &str) -> proto::Room {
    proto::Room {
        sid: format!("RM_{name}"),
        name: name.into(),
        ..Default::default()
    }
}

fn numbered(i: usize) -> proto::WebhookEvent {
    webhook::room_started(room(&format!("r{i}")))
}

#[tokio::test]
async fn every_event_reaches_every_url_in_order_and_verifies() {
    let (mut a, mut b) = (receiver(false).await, receiver(false).await);
    let sender =
        WebhookSender::start(config(vec![a.url.clone(), b.url.clone()], fast_retry())).unwrap();
    let alice = proto::ParticipantInfo {
        sid: "PA_1".into(),
        identity: "alice".into(),
        metadata: "m".into(),
        state: proto::participant_info::State::Active as i32,
        ..Default::default()
    };
    let track = proto::TrackInfo {
        sid: "TR_1".into(),
        r#type: proto::TrackType::Audio as i32,
        ..Default::default()
    };
    let sent = [
        webhook::room_started(room("r")),
        webhook::participant_joined(room("r"), alice.clone()),
        webhook::track_published(room("r"), &alice, track.clone()),
        webhook::track_unpublished(room("r"), &alice, track),
        webhook::participant_left(room("r"), alice.clone()),
        webhook::room_finished(room("r")),
    ];
    for event in &sent {
        sender.send(event).unwrap();
    }
    for receiver in [&mut a, &mut b] {
        let got = receiver.next(sent.len(), Duration::from_secs(5)).await;
        assert_eq!(
            got, sent,
            "same events, same order, byte-exact after verification"
        );
    }
    let names: Vec<&str> = sent.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(
        names,
        [
            "room_started",
            "participant_joined",
            "track_published",
            "track_unpublished",
            "participant_left",
            "room_finished"
        ]
    );
    assert_eq!(
        sent[1].participant.as_ref().unwrap().metadata,
        "m",
        "joins carry the full participant"
    );
    let publisher = sent[2].participant.as_ref().unwrap();
    assert_eq!(
        (
            publisher.sid.as_str(),
            publisher.identity.as_str(),
            publisher.state
        ),
        ("PA_1", "alice", 0)
    );
    // Receivers record before answering; the sender counts after the answer: drain first.
    assert!(sender.shutdown(Duration::from_secs(5)).await.flushed);
    assert_eq!(sender.stats().delivered, 12);
}

#[tokio::test]
async fn a_500_is_retried_and_order_is_kept() {
    let mut flaky = receiver(true).await;
    let sender = WebhookSender::start(config(vec![flaky.url.clone()], fast_retry())).unwrap();
    let sent: Vec<_> = (0..3).map(numbered).collect();
    for event in &sent {
        sender.send(event).unwrap();
    }
    let got = flaky.next(3, Duration::from_secs(5)).await;
    assert_eq!(got, sent);
    assert_eq!(
        *flaky.attempts.lock().unwrap(),
        6,
        "each event failed once, then succeeded"
    );
    assert!(sender.shutdown(Duration::from_secs(5)).await.flushed);
    let stats = sender.stats();
    assert_eq!((stats.delivered, stats.dropped_failed), (3, 0));
}

#[tokio::test]
async fn a_dead_url_delays_only_itself_and_within_the_retry_bound() {
    let mut live = receiver(false).await;
    let retry = fast_retry();
    let sender = WebhookSender::start(config(
        vec![black_hole().await, live.url.clone()],
        retry.clone(),
    ))
    .unwrap();
    let started = Instant::now();
    for i in 0..3 {
        sender.send(&numbered(i)).unwrap();
    }
    // The live URL has everything before the dead one has given up on its first event.
    live.next(3, retry.max_elapsed).await;

    let report = sender.shutdown(Duration::from_secs(10)).await;
    let elapsed = started.elapsed();
    assert!(report.flushed && report.abandoned == 0, "{report:?}");
    assert_eq!(
        sender.stats().dropped_failed,
        3,
        "the dead URL gave up on each event"
    );
    let bound = retry.max_elapsed * 3 + Duration::from_millis(500);
    assert!(
        elapsed < bound,
        "dead URL held its queue for {elapsed:?}, bound {bound:?}"
    );
    assert!(
        elapsed >= retry.request_timeout * 3,
        "each event was attempted ({elapsed:?})"
    );
}

#[tokio::test]
async fn a_client_error_is_not_retried() {
    let attempts = Arc::new(Mutex::new(0u32));
    let counter = attempts.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move || async move {
            *counter.lock().unwrap() += 1;
            StatusCode::BAD_REQUEST
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let sender = WebhookSender::start(config(vec![url], fast_retry())).unwrap();
    for i in 0..2 {
        sender.send(&numbered(i)).unwrap();
    }
    assert!(sender.shutdown(Duration::from_secs(5)).await.flushed);
    assert_eq!(*attempts.lock().unwrap(), 2, "one attempt per event");
    assert_eq!(sender.stats().dropped_failed, 2);
}

#[tokio::test]
async fn a_full_queue_drops_the_newest_and_counts_it() {
    let mut slow = receiver(false).await;
    let sender = WebhookSender::start(WebhookConfig {
        queue_capacity: 2,
        ..config(vec![slow.url.clone()], fast_retry())
    })
    .unwrap();
    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
    let metrics = recorder.handle();
    let sent: Vec<_> = (0..10).map(numbered).collect();
    // The test runtime is single-threaded: the worker cannot drain while these sends run.
    metrics::with_local_recorder(&recorder, || {
        for event in &sent {
            sender.send(event).unwrap();
        }
    });
    assert_eq!(sender.stats().dropped_queue_full, 8);
    let rendered = metrics.render();
    assert!(
        rendered.contains(r#"onair_webhooks_dropped_total{reason="queue_full"} 8"#),
        "{rendered}"
    );
    assert_eq!(
        slow.next(2, Duration::from_secs(5)).await,
        sent[..2],
        "the oldest two were kept"
    );
}

#[tokio::test]
async fn shutdown_flushes_then_refuses_new_events() {
    let mut live = receiver(false).await;
    let sender = WebhookSender::start(config(vec![live.url.clone()], fast_retry())).unwrap();
    for i in 0..5 {
        sender.send(&numbered(i)).unwrap();
    }
    let report = sender.shutdown(Duration::from_secs(5)).await;
    assert!(report.flushed && report.abandoned == 0, "{report:?}");
    assert_eq!(live.next(5, Duration::from_millis(100)).await.len(), 5);
    assert!(matches!(sender.send(&numbered(9)), Err(SendError::Closed)));
}

#[tokio::test]
async fn a_shutdown_deadline_abandons_what_is_left() {
    let patient = RetryPolicy {
        max_elapsed: Duration::from_secs(30),
        request_timeout: Duration::from_secs(30),
        ..fast_retry()
    };
    let sender = WebhookSender::start(config(vec![black_hole().await], patient)).unwrap();
    for i in 0..3 {
        sender.send(&numbered(i)).unwrap();
    }
    let started = Instant::now();
    let report = sender.shutdown(Duration::from_millis(200)).await;
    assert!(!report.flushed);
    assert_eq!(report.abandoned, 3);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "shutdown took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn bad_configuration_and_unencodable_events_are_refused() {
    let ftp = WebhookSender::start(WebhookConfig::new(
        vec!["ftp://example.com/hook".into()],
        KEY,
        SECRET,
    ));
    assert!(matches!(
        ftp,
        Err(WebhookConfigError::UnsupportedScheme { .. })
    ));
    let junk = WebhookSender::start(WebhookConfig::new(vec!["not a url".into()], KEY, SECRET));
    assert!(matches!(junk, Err(WebhookConfigError::InvalidUrl { .. })));
    let unsigned = WebhookSender::start(WebhookConfig::new(vec![], KEY, ""));
    assert!(matches!(unsigned, Err(WebhookConfigError::MissingKeys)));

    let mut live = receiver(false).await;
    let sender = WebhookSender::start(config(vec![live.url.clone()], fast_retry())).unwrap();
    let odd = proto::ParticipantInfo {
        kind: 99,
        ..Default::default()
    };
    assert!(matches!(
        sender.send(&webhook::participant_joined(room("r"), odd)),
        Err(SendError::Encode(_))
    ));
    sender.send(&numbered(1)).unwrap();
    assert_eq!(
        live.next(1, Duration::from_secs(5)).await[0]
            .room
            .as_ref()
            .unwrap()
            .name,
        "r1"
    );

    let nowhere = WebhookSender::start(WebhookConfig::new(vec![], KEY, SECRET)).unwrap();
    nowhere.send(&numbered(1)).unwrap();
}
