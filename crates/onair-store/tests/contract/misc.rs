//! Webhook replay protection, bans and the readiness ping.

use onair_domain::StreamId;
use onair_store::{AnyStore, Store, StoreError};

use crate::support::{account, at, stream, t0};

contract_tests!(
    record_webhook_event_detects_replays,
    prune_webhook_events_forgets_old_ids,
    bans_are_per_stream,
    ping_answers
);

async fn record_webhook_event_detects_replays(s: AnyStore) {
    assert!(s.record_webhook_event("EV_one", t0()).await.unwrap());
    assert!(!s.record_webhook_event("EV_one", at(1)).await.unwrap());
    assert!(s.record_webhook_event("EV_two", at(2)).await.unwrap());
}

async fn prune_webhook_events_forgets_old_ids(s: AnyStore) {
    assert!(s.record_webhook_event("EV_old", t0()).await.unwrap());
    assert!(s.record_webhook_event("EV_edge", at(60)).await.unwrap());
    assert!(s.record_webhook_event("EV_new", at(120)).await.unwrap());
    // Strictly before: an id received exactly at the cut-off is kept.
    assert_eq!(s.prune_webhook_events(at(60)).await.unwrap(), 1);
    assert_eq!(s.prune_webhook_events(at(60)).await.unwrap(), 0);
    assert!(
        s.record_webhook_event("EV_old", at(130)).await.unwrap(),
        "forgotten"
    );
    assert!(!s.record_webhook_event("EV_edge", at(130)).await.unwrap());
    assert!(!s.record_webhook_event("EV_new", at(130)).await.unwrap());
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
