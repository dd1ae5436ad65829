//! `list_streams`: filters, search, pagination, ordering and counts.

use onair_domain::{AccountId, Credits, EndReason, StreamDescription, StreamId, StreamStatus};
use onair_store::{AnyStore, Page, Store, StreamFilter};

use crate::support::{account, at, new_stream, stream};

contract_tests!(
    list_filters_by_status_creator_and_query,
    list_orders_each_status_as_documented,
    list_paginates_with_totals,
    count_streams_by_status_and_live_streams,
    totals_follow_every_change,
);

fn filter(status: Option<StreamStatus>) -> StreamFilter {
    StreamFilter {
        status,
        creator: None,
        query: None,
        page: Page { page: 1, limit: 50 },
    }
}

async fn ids(s: &AnyStore, f: &StreamFilter) -> (Vec<StreamId>, u64) {
    let (streams, total) = s.list_streams(f).await.unwrap();
    (streams.into_iter().map(|st| st.id).collect(), total)
}

async fn list_filters_by_status_creator_and_query(s: AnyStore) {
    let ada = account(&s, "ada@example.com", 0).await;
    let bob = account(&s, "bob@example.com", 0).await;
    let rust = stream(&s, ada.id, "Rust Live Coding").await;
    let mut described = new_stream(bob.id, "Evening chat", at(1));
    described.description = StreamDescription::parse("We talk about RUST and tea").unwrap();
    let described = s.create_stream(described).await.unwrap();
    let ecole = s
        .create_stream(new_stream(bob.id, "ÉCOLE d'été", at(2)))
        .await
        .unwrap();
    let gone = stream(&s, ada.id, "Rust but deleted").await;
    s.delete_stream(gone.id, at(3)).await.unwrap();
    s.go_live(rust.id, Credits::ZERO, at(4)).await.unwrap();
    s.end_stream(ecole.id, EndReason::Cancelled, at(5))
        .await
        .unwrap();

    let (all, total) = ids(&s, &filter(None)).await;
    assert_eq!(total, 3, "deleted streams are never listed");
    assert!(!all.contains(&gone.id));

    assert_eq!(
        ids(&s, &filter(Some(StreamStatus::Live))).await,
        (vec![rust.id], 1)
    );
    assert_eq!(
        ids(&s, &filter(Some(StreamStatus::Scheduled))).await,
        (vec![described.id], 1)
    );
    assert_eq!(
        ids(&s, &filter(Some(StreamStatus::Ended))).await,
        (vec![ecole.id], 1)
    );

    let mut by_bob = filter(None);
    by_bob.creator = Some(bob.id);
    let (got, total) = ids(&s, &by_bob).await;
    assert_eq!(total, 2);
    assert!(got.contains(&described.id) && got.contains(&ecole.id));
    by_bob.status = Some(StreamStatus::Ended);
    assert_eq!(ids(&s, &by_bob).await, (vec![ecole.id], 1));
    let mut nobody = filter(None);
    nobody.creator = Some(AccountId::new());
    assert_eq!(ids(&s, &nobody).await, (vec![], 0));

    // Case-insensitive substring of title or description, Unicode included.
    let mut q = filter(None);
    q.query = Some(" rUsT ".into());
    let (got, total) = ids(&s, &q).await;
    assert_eq!(total, 2);
    assert!(got.contains(&rust.id) && got.contains(&described.id));
    q.query = Some("école".into());
    assert_eq!(ids(&s, &q).await, (vec![ecole.id], 1));
    q.query = Some("100%_match".into());
    assert_eq!(ids(&s, &q).await, (vec![], 0), "no wildcard semantics");
    q.query = Some("   ".into());
    assert_eq!(ids(&s, &q).await.1, 3, "a blank query matches everything");
    q.query = Some("rust".into());
    q.status = Some(StreamStatus::Scheduled);
    q.creator = Some(bob.id);
    assert_eq!(ids(&s, &q).await, (vec![described.id], 1));
}

async fn list_orders_each_status_as_documented(s: AnyStore) {
    let a = account(&s, "ada@example.com", 0).await;
    let make = |title: &'static str, secs: i64| {
        let s = s.clone();
        async move {
            s.create_stream(new_stream(a.id, title, at(secs)))
                .await
                .unwrap()
        }
    };

    // LIVE: most viewers first, then the latest start.
    let few = make("few", 1).await;
    let many_early = make("many early", 2).await;
    let many_late = make("many late", 3).await;
    for (st, started, viewers) in [(&few, 10, 5), (&many_early, 11, 10), (&many_late, 12, 10)] {
        s.go_live(st.id, Credits::ZERO, at(started)).await.unwrap();
        s.set_participant_count(st.id, viewers, at(20))
            .await
            .unwrap();
    }
    assert_eq!(
        ids(&s, &filter(Some(StreamStatus::Live))).await.0,
        vec![many_late.id, many_early.id, few.id]
    );

    // SCHEDULED: soonest `scheduled_for` first, unset last.
    let unset = make("unset", 4).await;
    let mut later = new_stream(a.id, "later", at(5));
    later.scheduled_for = Some(at(7200));
    let later = s.create_stream(later).await.unwrap();
    let mut sooner = new_stream(a.id, "sooner", at(6));
    sooner.scheduled_for = Some(at(3600));
    let sooner = s.create_stream(sooner).await.unwrap();
    assert_eq!(
        ids(&s, &filter(Some(StreamStatus::Scheduled))).await.0,
        vec![sooner.id, later.id, unset.id]
    );

    // ENDED: most recently ended first.
    let ended_first = make("ended first", 7).await;
    let ended_last = make("ended last", 8).await;
    s.end_stream(ended_last.id, EndReason::Creator, at(50))
        .await
        .unwrap();
    s.end_stream(ended_first.id, EndReason::Creator, at(40))
        .await
        .unwrap();
    assert_eq!(
        ids(&s, &filter(Some(StreamStatus::Ended))).await.0,
        vec![ended_last.id, ended_first.id]
    );

    // No status: newest created first.
    assert_eq!(
        ids(&s, &filter(None)).await.0,
        vec![
            ended_last.id,
            ended_first.id,
            sooner.id,
            later.id,
            unset.id,
            many_late.id,
            many_early.id,
            few.id
        ]
    );
}

async fn list_paginates_with_totals(s: AnyStore) {
    let a = account(&s, "ada@example.com", 0).await;
    let mut created = Vec::new();
    for i in 0..5 {
        let st = s
            .create_stream(new_stream(a.id, &format!("stream {i}"), at(i)))
            .await
            .unwrap();
        created.push(st.id);
    }
    created.reverse(); // newest first
    let mut f = filter(None);
    f.page = Page { page: 1, limit: 2 };
    assert_eq!(ids(&s, &f).await, (created[0..2].to_vec(), 5));
    f.page.page = 2;
    assert_eq!(ids(&s, &f).await, (created[2..4].to_vec(), 5));
    f.page.page = 3;
    assert_eq!(ids(&s, &f).await, (created[4..].to_vec(), 5));
    f.page.page = 4;
    assert_eq!(ids(&s, &f).await, (vec![], 5));
    f.page = Page { page: 0, limit: 3 };
    assert_eq!(
        ids(&s, &f).await,
        (created[0..3].to_vec(), 5),
        "page 0 reads as page 1"
    );
}

async fn count_streams_by_status_and_live_streams(s: AnyStore) {
    let a = account(&s, "ada@example.com", 0).await;
    let counts = s.count_streams_by_status().await.unwrap();
    assert_eq!(
        counts,
        vec![
            (StreamStatus::Scheduled, 0),
            (StreamStatus::Live, 0),
            (StreamStatus::Ended, 0)
        ]
    );
    let one = stream(&s, a.id, "one").await;
    let two = stream(&s, a.id, "two").await;
    let three = stream(&s, a.id, "three").await;
    let hidden = stream(&s, a.id, "hidden").await;
    stream(&s, a.id, "waiting").await;
    s.go_live(two.id, Credits::ZERO, at(20)).await.unwrap();
    s.go_live(one.id, Credits::ZERO, at(10)).await.unwrap();
    s.go_live(three.id, Credits::ZERO, at(30)).await.unwrap();
    s.end_stream(three.id, EndReason::Creator, at(40))
        .await
        .unwrap();
    s.delete_stream(hidden.id, at(50)).await.unwrap();

    let counts = s.count_streams_by_status().await.unwrap();
    assert_eq!(
        counts,
        vec![
            (StreamStatus::Scheduled, 1),
            (StreamStatus::Live, 2),
            (StreamStatus::Ended, 1)
        ]
    );
    let live: Vec<_> = s
        .live_streams()
        .await
        .unwrap()
        .into_iter()
        .map(|st| st.id)
        .collect();
    assert_eq!(live, vec![one.id, two.id], "oldest start first");
}

/// `[all, scheduled, live, ended]` as listings report them; checked against
/// `count_streams_by_status`, which must agree.
async fn totals(s: &AnyStore) -> [u64; 4] {
    let mut f = filter(None);
    f.page.limit = 1;
    let all = s.list_streams(&f).await.unwrap().1;
    let mut by_status = [0; 3];
    for (slot, status) in by_status.iter_mut().zip(StreamStatus::ALL) {
        f.status = Some(status);
        *slot = s.list_streams(&f).await.unwrap().1;
    }
    let counts: Vec<u64> = s
        .count_streams_by_status()
        .await
        .unwrap()
        .into_iter()
        .map(|(_, n)| n)
        .collect();
    assert_eq!(
        counts,
        by_status.to_vec(),
        "metrics counts agree with listings"
    );
    [all, by_status[0], by_status[1], by_status[2]]
}

async fn totals_follow_every_change(s: AnyStore) {
    let a = account(&s, "ada@example.com", 0).await;
    assert_eq!(totals(&s).await, [0, 0, 0, 0]);
    let one = stream(&s, a.id, "one").await;
    let two = stream(&s, a.id, "two").await;
    let three = stream(&s, a.id, "three").await;
    assert_eq!(totals(&s).await, [3, 3, 0, 0]);
    s.go_live(one.id, Credits::ZERO, at(1)).await.unwrap();
    s.go_live(two.id, Credits::ZERO, at(2)).await.unwrap();
    assert_eq!(totals(&s).await, [3, 1, 2, 0]);
    s.end_stream(one.id, EndReason::Creator, at(3))
        .await
        .unwrap();
    assert!(s.go_live(one.id, Credits::ZERO, at(4)).await.is_err());
    assert_eq!(
        totals(&s).await,
        [3, 1, 1, 1],
        "a refused change counts nothing"
    );
    let patch = onair_store::StreamPatch {
        title: Some(onair_domain::StreamTitle::parse("renamed").unwrap()),
        description: None,
        scheduled_for: None,
    };
    s.update_stream(three.id, patch, at(5)).await.unwrap();
    assert_eq!(totals(&s).await, [3, 1, 1, 1]);
    s.delete_stream(two.id, at(6)).await.unwrap();
    s.delete_stream(two.id, at(7)).await.unwrap();
    assert_eq!(totals(&s).await, [2, 1, 0, 1], "deleted once, counted once");
    // A deleted stream that is still LIVE can be ended; it stays out of every count.
    s.end_stream(two.id, EndReason::RoomFinished, at(8))
        .await
        .unwrap();
    assert_eq!(totals(&s).await, [2, 1, 0, 1]);
    s.end_stream(three.id, EndReason::Cancelled, at(9))
        .await
        .unwrap();
    assert_eq!(totals(&s).await, [2, 0, 0, 2]);
}
