//! The stream lifecycle: go live (charged once), end, live counters and creator presence.

use onair_domain::{Credits, EndReason, LedgerReason, StreamId, StreamStatus};
use onair_store::{AnyStore, Page, Store, StoreError};

use crate::support::{account, at, balance, stored, stream, t0};

contract_tests!(
    go_live_charges_once_and_records_started_at,
    go_live_without_enough_credits_changes_nothing,
    go_live_with_zero_cost_writes_no_entry,
    go_live_refuses_unknown_deleted_and_ended_streams,
    go_live_refuses_a_negative_cost,
    concurrent_go_live_has_exactly_one_winner,
    end_stream_is_conditional,
    participant_count_raises_peak_only_when_live,
    creator_absent_since_is_recorded_and_cleared,
);

const PAGE: Page = Page {
    page: 1,
    limit: 500,
};

async fn go_live_entries(s: &AnyStore, account: onair_domain::AccountId) -> usize {
    let (entries, _) = s.credit_entries(account, PAGE).await.unwrap();
    entries
        .iter()
        .filter(|e| e.reason == LedgerReason::GoLive)
        .count()
}

async fn go_live_charges_once_and_records_started_at(s: AnyStore) {
    let a = account(&s, "ada@example.com", 100).await;
    let st = stream(&s, a.id, "Launch").await;
    let live = s.go_live(st.id, Credits::new(10), at(60)).await.unwrap();
    assert_eq!(live.status, StreamStatus::Live);
    assert_eq!(live.started_at, Some(stored(at(60))));
    assert_eq!(live.updated_at, stored(at(60)));
    assert_eq!(s.stream(st.id).await.unwrap(), live);
    assert_eq!(balance(&s, a.id).await, 90);

    let (entries, total) = s.credit_entries(a.id, PAGE).await.unwrap();
    assert_eq!(total, 2);
    let charge = &entries[0];
    assert_eq!(charge.reason, LedgerReason::GoLive);
    assert_eq!(charge.delta, Credits::new(-10));
    assert_eq!(charge.balance_after, Credits::new(90));
    assert_eq!(charge.stream, Some(st.id));
    assert_eq!(charge.idempotency_key, format!("go_live:{}", st.id));

    let again = s.go_live(st.id, Credits::new(10), at(61)).await;
    assert!(
        matches!(
            again,
            Err(StoreError::StatusConflict {
                actual: StreamStatus::Live
            })
        ),
        "{again:?}"
    );
    assert_eq!(balance(&s, a.id).await, 90);
    assert_eq!(
        s.stream(st.id).await.unwrap().started_at,
        Some(stored(at(60)))
    );
}

async fn go_live_without_enough_credits_changes_nothing(s: AnyStore) {
    let a = account(&s, "ada@example.com", 5).await;
    let st = stream(&s, a.id, "Too expensive").await;
    let err = s.go_live(st.id, Credits::new(10), at(1)).await.unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::InsufficientCredits { balance, needed }
                if balance == Credits::new(5) && needed == Credits::new(10)
        ),
        "{err:?}"
    );
    assert_eq!(
        s.stream(st.id).await.unwrap(),
        st,
        "still SCHEDULED, untouched"
    );
    assert_eq!(balance(&s, a.id).await, 5);
    assert_eq!(go_live_entries(&s, a.id).await, 0);
    // Once the creator can pay, the same stream goes live.
    s.go_live(st.id, Credits::new(5), at(2)).await.unwrap();
    assert_eq!(balance(&s, a.id).await, 0);
}

async fn go_live_with_zero_cost_writes_no_entry(s: AnyStore) {
    let a = account(&s, "ada@example.com", 0).await;
    let st = stream(&s, a.id, "Free").await;
    s.go_live(st.id, Credits::ZERO, at(1)).await.unwrap();
    assert_eq!(s.credit_entries(a.id, PAGE).await.unwrap().1, 0);
}

async fn go_live_refuses_unknown_deleted_and_ended_streams(s: AnyStore) {
    let a = account(&s, "ada@example.com", 100).await;
    assert!(matches!(
        s.go_live(StreamId::new(), Credits::new(10), t0()).await,
        Err(StoreError::NotFound)
    ));
    let deleted = stream(&s, a.id, "Deleted").await;
    s.delete_stream(deleted.id, at(1)).await.unwrap();
    assert!(matches!(
        s.go_live(deleted.id, Credits::new(10), at(2)).await,
        Err(StoreError::NotFound)
    ));
    let ended = stream(&s, a.id, "Cancelled").await;
    s.end_stream(ended.id, EndReason::Cancelled, at(1))
        .await
        .unwrap();
    assert!(matches!(
        s.go_live(ended.id, Credits::new(10), at(2)).await,
        Err(StoreError::StatusConflict {
            actual: StreamStatus::Ended
        })
    ));
    assert_eq!(balance(&s, a.id).await, 100);
}

async fn go_live_refuses_a_negative_cost(s: AnyStore) {
    let a = account(&s, "ada@example.com", 100).await;
    let st = stream(&s, a.id, "Negative").await;
    let err = s
        .go_live(st.id, Credits::new(-10), at(1))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Database(m) if m.contains("negative")),
        "{err:?}"
    );
    assert_eq!(
        s.stream(st.id).await.unwrap().status,
        StreamStatus::Scheduled
    );
    assert_eq!(balance(&s, a.id).await, 100);
}

async fn concurrent_go_live_has_exactly_one_winner(s: AnyStore) {
    let a = account(&s, "ada@example.com", 100).await;
    let st = stream(&s, a.id, "Race").await;
    let calls = (0..100).map(|i| {
        let s = s.clone();
        tokio::spawn(async move { s.go_live(st.id, Credits::new(10), at(i)).await })
    });
    let results = futures::future::join_all(calls).await;
    let (mut ok, mut conflict) = (0, 0);
    for r in results {
        match r.unwrap() {
            Ok(live) => {
                ok += 1;
                assert_eq!(live.status, StreamStatus::Live);
            }
            Err(StoreError::StatusConflict {
                actual: StreamStatus::Live,
            }) => conflict += 1,
            Err(other) => panic!("unexpected error under contention: {other:?}"),
        }
    }
    assert_eq!((ok, conflict), (1, 99));
    assert_eq!(go_live_entries(&s, a.id).await, 1);
    assert_eq!(balance(&s, a.id).await, 90);
}

async fn end_stream_is_conditional(s: AnyStore) {
    let a = account(&s, "ada@example.com", 0).await;
    let st = stream(&s, a.id, "Show").await;
    s.go_live(st.id, Credits::ZERO, at(1)).await.unwrap();
    s.set_participant_count(st.id, 7, at(2)).await.unwrap();
    s.set_creator_absent_since(st.id, Some(at(3)))
        .await
        .unwrap();
    let ended = s
        .end_stream(st.id, EndReason::Creator, at(4))
        .await
        .unwrap();
    assert_eq!(ended.status, StreamStatus::Ended);
    assert_eq!(ended.ended_at, Some(stored(at(4))));
    assert_eq!(ended.ended_reason, Some(EndReason::Creator));
    assert_eq!(ended.participant_count, 0);
    assert_eq!(ended.peak_viewers, 7);
    assert_eq!(ended.creator_absent_since, None);
    assert_eq!(ended.started_at, Some(stored(at(1))));

    let again = s.end_stream(st.id, EndReason::Admin, at(5)).await;
    assert!(matches!(
        again,
        Err(StoreError::StatusConflict {
            actual: StreamStatus::Ended
        })
    ));
    assert_eq!(
        s.stream(st.id).await.unwrap(),
        ended,
        "the first end stands"
    );

    let scheduled = stream(&s, a.id, "Never aired").await;
    let cancelled = s
        .end_stream(scheduled.id, EndReason::Cancelled, at(6))
        .await
        .unwrap();
    assert_eq!(cancelled.ended_reason, Some(EndReason::Cancelled));
    assert_eq!(cancelled.started_at, None);
    assert!(matches!(
        s.end_stream(StreamId::new(), EndReason::Admin, t0()).await,
        Err(StoreError::NotFound)
    ));
}

async fn participant_count_raises_peak_only_when_live(s: AnyStore) {
    let a = account(&s, "ada@example.com", 0).await;
    let st = stream(&s, a.id, "Counted").await;
    s.set_participant_count(st.id, 4, at(1)).await.unwrap();
    let got = s.stream(st.id).await.unwrap();
    assert_eq!(
        (got.participant_count, got.peak_viewers),
        (0, 0),
        "not LIVE yet"
    );

    s.go_live(st.id, Credits::ZERO, at(2)).await.unwrap();
    for (count, want_peak) in [(5, 5), (3, 5), (8, 8), (0, 8)] {
        s.set_participant_count(st.id, count, at(3)).await.unwrap();
        let got = s.stream(st.id).await.unwrap();
        assert_eq!(
            (got.participant_count, got.peak_viewers),
            (count, want_peak)
        );
    }
    s.end_stream(st.id, EndReason::Creator, at(4))
        .await
        .unwrap();
    s.set_participant_count(st.id, 50, at(5)).await.unwrap();
    let got = s.stream(st.id).await.unwrap();
    assert_eq!(
        (got.participant_count, got.peak_viewers),
        (0, 8),
        "ENDED is frozen"
    );
    // Unknown streams are a no-op as well (webhooks may name rooms we no longer know).
    s.set_participant_count(StreamId::new(), 1, at(6))
        .await
        .unwrap();
}

async fn creator_absent_since_is_recorded_and_cleared(s: AnyStore) {
    let a = account(&s, "ada@example.com", 0).await;
    let st = stream(&s, a.id, "Presence").await;
    s.go_live(st.id, Credits::ZERO, at(1)).await.unwrap();
    s.set_creator_absent_since(st.id, Some(at(10)))
        .await
        .unwrap();
    assert_eq!(
        s.stream(st.id).await.unwrap().creator_absent_since,
        Some(stored(at(10)))
    );
    assert_eq!(
        s.live_streams().await.unwrap()[0].creator_absent_since,
        Some(stored(at(10)))
    );
    s.set_creator_absent_since(st.id, None).await.unwrap();
    assert_eq!(s.stream(st.id).await.unwrap().creator_absent_since, None);
    assert!(matches!(
        s.set_creator_absent_since(StreamId::new(), Some(t0()))
            .await,
        Err(StoreError::NotFound)
    ));
}
