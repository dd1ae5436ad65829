//! Webhook replay protection, bans and the readiness ping.

use onair_domain::StreamId;
use onair_store::{AnyStore, Store, StoreError};

use crate::support::{account, at, stream, t0};

contract_tests!(
    record_webhook_event_detects_replays,
    bans_are_per_stream,
    ping_answers
);

async fn record_webhook_event_detects_replays(s: AnyStore) {
    assert!(s.record_webhook_event("EV_one", t0()).await.unwrap());
    assert!(!s.record_webhook_event("EV_one", at(1)).await.unwrap());
    assert!(s.record_webhook_event("EV_two", at(2)).await.unwrap());
}

async fn bans_are_per_stream(s: AnyStore) {
    let a = account(&s, "ada@example.com", 0).await;
    let one = stream(&s, a.id, "One").await;
    let two = stream(&s, a.id, "Two").await;
    assert!(!s.is_banned(one.id, "troll").await.unwrap());
    s.ban(one.id, "troll", t0()).await.unwrap();
    s.ban(one.id, "troll", at(1)).await.unwrap();
    assert!(s.is_banned(one.id, "troll").await.unwrap());
    assert!(!s.is_banned(one.id, "guest-1").await.unwrap());
    assert!(!s.is_banned(two.id, "troll").await.unwrap());
    assert!(matches!(
        s.ban(StreamId::new(), "troll", t0()).await,
        Err(StoreError::NotFound)
    ));
}

async fn ping_answers(s: AnyStore) {
    s.ping().await.unwrap();
}
