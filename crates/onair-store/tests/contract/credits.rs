//! The credit ledger: idempotency, never below zero, metered minutes, pages.

use onair_domain::{AccountId, Credits, LedgerReason, StreamId, StreamStatus};
use onair_store::{AnyStore, Applied, NewCreditEntry, Page, Store, StoreError};

use crate::support::{account, at, balance, stored, stream};

contract_tests!(
    apply_credit_is_idempotent,
    charges_never_take_the_balance_below_zero,
    concurrent_charges_stop_at_zero,
    concurrent_repeats_of_one_key_apply_once,
    charge_live_minute_bills_each_minute_once,
    metering_racing_the_end_never_bills_after_it,
    ledger_pages_newest_first,
);

fn entry(account: AccountId, delta: i64, key: &str) -> NewCreditEntry {
    NewCreditEntry {
        account,
        delta: Credits::new(delta),
        reason: if delta >= 0 {
            LedgerReason::AdminGrant
        } else {
            LedgerReason::LiveMinute
        },
        stream: None,
        idempotency_key: key.into(),
        now: at(1),
    }
}

const ALL: Page = Page {
    page: 1,
    limit: 1000,
};

async fn apply_credit_is_idempotent(s: AnyStore) {
    let a = account(&s, "ada@example.com", 100).await;
    let got = s.apply_credit(entry(a.id, 50, "grant-1")).await.unwrap();
    assert_eq!(
        got,
        Applied::New {
            balance: Credits::new(150)
        }
    );
    let again = s.apply_credit(entry(a.id, 50, "grant-1")).await.unwrap();
    assert_eq!(again, Applied::Duplicate);
    assert_eq!(balance(&s, a.id).await, 150);

    let (entries, total) = s.credit_entries(a.id, ALL).await.unwrap();
    assert_eq!(total, 2);
    assert_eq!(entries[0].idempotency_key, "grant-1");
    assert_eq!(entries[0].reason, LedgerReason::AdminGrant);
    assert_eq!(entries[0].balance_after, Credits::new(150));
    assert_eq!(entries[0].created_at, stored(at(1)));

    // A key is unique across the ledger, whoever it was for.
    let b = account(&s, "bob@example.com", 0).await;
    assert_eq!(
        s.apply_credit(entry(b.id, 50, "grant-1")).await.unwrap(),
        Applied::Duplicate
    );
    assert_eq!(balance(&s, b.id).await, 0);

    assert!(matches!(
        s.apply_credit(entry(AccountId::new(), 5, "grant-2")).await,
        Err(StoreError::NotFound)
    ));
    let mut for_unknown_stream = entry(a.id, 5, "grant-3");
    for_unknown_stream.stream = Some(StreamId::new());
    assert!(matches!(
        s.apply_credit(for_unknown_stream).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(balance(&s, a.id).await, 150);
    assert_eq!(s.credit_entries(a.id, ALL).await.unwrap().1, 2);
}

async fn charges_never_take_the_balance_below_zero(s: AnyStore) {
    let a = account(&s, "ada@example.com", 10).await;
    let err = s.apply_credit(entry(a.id, -11, "c1")).await.unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::InsufficientCredits { balance, needed }
                if balance == Credits::new(10) && needed == Credits::new(11)
        ),
        "{err:?}"
    );
    assert_eq!(balance(&s, a.id).await, 10);
    assert_eq!(s.credit_entries(a.id, ALL).await.unwrap().1, 1);
    // The refused key stays free for a later attempt.
    assert_eq!(
        s.apply_credit(entry(a.id, -10, "c1")).await.unwrap(),
        Applied::New {
            balance: Credits::ZERO
        }
    );
    // Retrying an applied charge reports the duplicate, not the now-empty balance.
    assert_eq!(
        s.apply_credit(entry(a.id, -10, "c1")).await.unwrap(),
        Applied::Duplicate
    );
    // A grant that would overflow the balance is refused and changes nothing.
    assert_eq!(
        s.apply_credit(entry(a.id, i64::MAX, "huge")).await.unwrap(),
        Applied::New {
            balance: Credits::new(i64::MAX)
        }
    );
    let err = s.apply_credit(entry(a.id, 1, "huger")).await.unwrap_err();
    assert!(
        matches!(&err, StoreError::Database(m) if m.contains("range")),
        "{err:?}"
    );
    assert_eq!(balance(&s, a.id).await, i64::MAX);
    assert_eq!(s.credit_entries(a.id, ALL).await.unwrap().1, 3);
}

async fn concurrent_charges_stop_at_zero(s: AnyStore) {
    let a = account(&s, "ada@example.com", 100).await;
    let calls = (0..100).map(|i| {
        let s = s.clone();
        tokio::spawn(async move {
            s.apply_credit(entry(a.id, -7, &format!("charge-{i}")))
                .await
        })
    });
    let (mut ok, mut refused) = (0, 0);
    for r in futures::future::join_all(calls).await {
        match r.unwrap() {
            Ok(Applied::New { balance }) => {
                ok += 1;
                assert!(balance.get() >= 0);
            }
            Err(StoreError::InsufficientCredits { .. }) => refused += 1,
            other => panic!("unexpected outcome under contention: {other:?}"),
        }
    }
    assert_eq!((ok, refused), (14, 86), "100 / 7 = 14 charges fit");
    assert_eq!(balance(&s, a.id).await, 2);
    let (entries, total) = s.credit_entries(a.id, ALL).await.unwrap();
    assert_eq!(total, 15, "signup grant + one entry per successful charge");
    let mut afters: Vec<i64> = entries.iter().map(|e| e.balance_after.get()).collect();
    afters.sort_unstable();
    afters.dedup();
    assert_eq!(afters.len(), 15, "every entry saw a distinct balance");
    assert!(afters.iter().all(|b| *b >= 0));
}

async fn concurrent_repeats_of_one_key_apply_once(s: AnyStore) {
    let a = account(&s, "ada@example.com", 0).await;
    let calls = (0..20).map(|_| {
        let s = s.clone();
        tokio::spawn(async move { s.apply_credit(entry(a.id, 5, "same-key")).await })
    });
    let outcomes: Vec<_> = futures::future::join_all(calls)
        .await
        .into_iter()
        .map(|r| r.unwrap().unwrap())
        .collect();
    let new = outcomes
        .iter()
        .filter(|o| matches!(o, Applied::New { .. }))
        .count();
    assert_eq!(new, 1, "{outcomes:?}");
    assert_eq!(balance(&s, a.id).await, 5);
    assert_eq!(s.credit_entries(a.id, ALL).await.unwrap().1, 1);
}

async fn charge_live_minute_bills_each_minute_once(s: AnyStore) {
    let a = account(&s, "ada@example.com", 5).await;
    let st = stream(&s, a.id, "Metered").await;
    assert!(matches!(
        s.charge_live_minute(st.id, 1, Credits::new(2), at(60))
            .await,
        Err(StoreError::StatusConflict {
            actual: StreamStatus::Scheduled
        })
    ));
    s.go_live(st.id, Credits::ZERO, at(0)).await.unwrap();

    assert_eq!(
        s.charge_live_minute(st.id, 1, Credits::new(2), at(60))
            .await
            .unwrap(),
        Applied::New {
            balance: Credits::new(3)
        }
    );
    assert_eq!(s.stream(st.id).await.unwrap().billed_minutes, 1);
    assert_eq!(
        s.charge_live_minute(st.id, 1, Credits::new(2), at(61))
            .await
            .unwrap(),
        Applied::Duplicate
    );
    assert_eq!(balance(&s, a.id).await, 3);
    s.charge_live_minute(st.id, 2, Credits::new(2), at(120))
        .await
        .unwrap();
    assert_eq!(s.stream(st.id).await.unwrap().billed_minutes, 2);

    let err = s
        .charge_live_minute(st.id, 3, Credits::new(2), at(180))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::InsufficientCredits { .. }),
        "{err:?}"
    );
    assert_eq!(s.stream(st.id).await.unwrap().billed_minutes, 2, "unbilled");
    assert_eq!(balance(&s, a.id).await, 1);

    // A free minute advances the meter without a ledger entry.
    let before = s.credit_entries(a.id, ALL).await.unwrap().1;
    assert_eq!(
        s.charge_live_minute(st.id, 3, Credits::ZERO, at(180))
            .await
            .unwrap(),
        Applied::New {
            balance: Credits::new(1)
        }
    );
    assert_eq!(s.stream(st.id).await.unwrap().billed_minutes, 3);
    assert_eq!(s.credit_entries(a.id, ALL).await.unwrap().1, before);

    let (entries, _) = s.credit_entries(a.id, ALL).await.unwrap();
    assert_eq!(
        entries[0].idempotency_key,
        format!("live_minute:{}:2", st.id)
    );
    assert_eq!(entries[0].reason, LedgerReason::LiveMinute);
    assert_eq!(entries[0].stream, Some(st.id));

    assert!(matches!(
        s.charge_live_minute(StreamId::new(), 1, Credits::new(1), at(1))
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        s.charge_live_minute(st.id, 4, Credits::new(-1), at(240))
            .await,
        Err(StoreError::Database(_))
    ));
    assert_eq!(balance(&s, a.id).await, 1);
}

/// Minutes charged while `end_stream` races them: every charge either lands before the end or is
/// refused with the stream ENDED, and the ledger, the balance and `billed_minutes` agree.
async fn metering_racing_the_end_never_bills_after_it(s: AnyStore) {
    let a = account(&s, "ada@example.com", 100).await;
    let st = stream(&s, a.id, "Racing the end").await;
    s.go_live(st.id, Credits::ZERO, at(0)).await.unwrap();
    let mut calls: Vec<_> = (1..=30u32)
        .map(|minute| {
            let s = s.clone();
            tokio::spawn(async move {
                s.charge_live_minute(st.id, minute, Credits::new(1), at(60 * i64::from(minute)))
                    .await
                    .map(|applied| (minute, applied))
            })
        })
        .collect();
    let ender = {
        let s = s.clone();
        tokio::spawn(async move {
            s.end_stream(st.id, onair_domain::EndReason::CreditsExhausted, at(900))
                .await
        })
    };
    calls.push(tokio::spawn(async move {
        ender.await.unwrap().map(|_| (0, Applied::Duplicate))
    }));
    let mut billed = Vec::new();
    for r in futures::future::join_all(calls).await {
        match r.unwrap() {
            Ok((0, _)) => {}
            Ok((minute, Applied::New { .. })) => billed.push(minute),
            Err(StoreError::StatusConflict {
                actual: StreamStatus::Ended,
            }) => {}
            other => panic!("unexpected outcome: {other:?}"),
        }
    }
    let after = s.stream(st.id).await.unwrap();
    assert_eq!(after.status, StreamStatus::Ended);
    assert_eq!(
        after.billed_minutes,
        billed.iter().copied().max().unwrap_or(0)
    );
    let n = i64::try_from(billed.len()).unwrap();
    assert_eq!(balance(&s, a.id).await, 100 - n);
    let (entries, _) = s.credit_entries(a.id, ALL).await.unwrap();
    let minutes = entries
        .iter()
        .filter(|e| e.reason == LedgerReason::LiveMinute)
        .count();
    assert_eq!(minutes, billed.len());
}

async fn ledger_pages_newest_first(s: AnyStore) {
    let a = account(&s, "ada@example.com", 0).await;
    for i in 1..=5 {
        s.apply_credit(entry(a.id, i, &format!("g{i}")))
            .await
            .unwrap();
    }
    let page = |page, limit| s.credit_entries(a.id, Page { page, limit });
    let (first, total) = page(1, 2).await.unwrap();
    assert_eq!(total, 5);
    let deltas: Vec<i64> = first.iter().map(|e| e.delta.get()).collect();
    assert_eq!(deltas, vec![5, 4]);
    assert_eq!(first[0].balance_after, Credits::new(15));
    let (third, _) = page(3, 2).await.unwrap();
    assert_eq!(
        third.iter().map(|e| e.delta.get()).collect::<Vec<_>>(),
        vec![1]
    );
    assert_eq!(page(4, 2).await.unwrap(), (vec![], 5));
    assert_eq!(
        s.credit_entries(AccountId::new(), ALL).await.unwrap(),
        (vec![], 0)
    );
}
