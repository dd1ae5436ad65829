//! `list_streams` text search: a case-insensitive substring of the title or description, for
//! needles of any length (short ones and long ones take different paths on some backends),
//! that follows edits and deletes.

use onair_domain::{StreamDescription, StreamId, StreamTitle};
use onair_store::{AnyStore, Page, Store, StreamFilter, StreamPatch};

use crate::support::{account, at, new_stream};

contract_tests!(
    search_matches_substrings_of_every_length,
    search_follows_edits_and_deletes,
);

async fn search(s: &AnyStore, q: &str) -> (Vec<StreamId>, u64) {
    let filter = StreamFilter {
        status: None,
        creator: None,
        query: Some(q.into()),
        page: Page { page: 1, limit: 50 },
    };
    let (streams, total) = s.list_streams(&filter).await.unwrap();
    let mut ids: Vec<StreamId> = streams.into_iter().map(|st| st.id).collect();
    ids.sort();
    (ids, total)
}

fn sorted(mut ids: Vec<StreamId>) -> Vec<StreamId> {
    ids.sort();
    ids
}

async fn search_matches_substrings_of_every_length(s: AnyStore) {
    let ada = account(&s, "ada@example.com", 0).await;
    let make = |title: &'static str, description: &'static str, secs: i64| {
        let s = s.clone();
        async move {
            let mut new = new_stream(ada.id, title, at(secs));
            new.description = StreamDescription::parse(description).unwrap();
            s.create_stream(new).await.unwrap().id
        }
    };
    let rust = make("Rust Live Coding", "", 1).await;
    let japan = make("日本語ライブ", "東京から", 2).await;
    let music = make("Guitar 🎸🎸🎸 night", "Say \"hi\" AND NEAR(*) -x", 3).await;
    let greek = make("ΣΟΦΙΑ live", "Straße und Ärger", 4).await;
    let sale = make("Sale: 50%_off", "Files in C:\\temp", 5).await;

    // One and two characters: the short path.
    assert_eq!(
        search(&s, "r").await.1,
        3,
        "every title or description with an r"
    );
    assert_eq!(search(&s, "ru").await, (vec![rust], 1));
    assert_eq!(search(&s, "本語").await, (vec![japan], 1));
    assert_eq!(search(&s, "🎸").await, (vec![music], 1));
    assert_eq!(search(&s, "Ä").await, (vec![greek], 1));
    // Three and more: the indexed path, same answers.
    assert_eq!(search(&s, "rus").await, (vec![rust], 1));
    assert_eq!(search(&s, "LIVE").await, (sorted(vec![rust, greek]), 2));
    assert_eq!(search(&s, "語ライ").await, (vec![japan], 1));
    assert_eq!(search(&s, "東京から").await, (vec![japan], 1));
    assert_eq!(search(&s, "🎸🎸🎸").await, (vec![music], 1));
    assert_eq!(
        search(&s, "σοφια").await,
        (vec![greek], 1),
        "folded like the title"
    );
    assert_eq!(
        search(&s, "STRASSE").await,
        (vec![], 0),
        "no ß expansion either way"
    );
    assert_eq!(search(&s, "straße").await, (vec![greek], 1));
    assert_eq!(search(&s, "ärger").await, (vec![greek], 1));
    assert_eq!(
        search(&s, "arger").await,
        (vec![], 0),
        "accents are significant"
    );
    // Query syntax of any engine is plain text here.
    assert_eq!(search(&s, "\"hi\"").await, (vec![music], 1));
    assert_eq!(search(&s, "and near(*)").await, (vec![music], 1));
    assert_eq!(search(&s, "NEAR").await, (vec![music], 1));
    assert_eq!(
        search(&s, "hi AND").await,
        (vec![], 0),
        "a substring, not a boolean"
    );
    assert_eq!(search(&s, "%_%").await, (vec![], 0));
    assert_eq!(
        search(&s, "50%_o").await,
        (vec![sale], 1),
        "% and _ are literal"
    );
    assert_eq!(search(&s, "0%").await, (vec![sale], 1));
    assert_eq!(search(&s, "5_%").await, (vec![], 0));
    assert_eq!(
        search(&s, "c:\\te").await,
        (vec![sale], 1),
        "so is a backslash"
    );
    assert_eq!(search(&s, "\\t").await, (vec![sale], 1));
    assert_eq!(search(&s, "c:\\\\").await, (vec![], 0));
    assert_eq!(
        search(&s, "e c").await,
        (vec![rust], 1),
        "spaces are part of it"
    );
    assert_eq!(search(&s, "coding x").await, (vec![], 0));
}

async fn search_follows_edits_and_deletes(s: AnyStore) {
    let ada = account(&s, "ada@example.com", 0).await;
    let yoga = s
        .create_stream(new_stream(ada.id, "Morning yoga", at(1)))
        .await
        .unwrap();
    let other = s
        .create_stream(new_stream(ada.id, "Chess openings", at(2)))
        .await
        .unwrap();
    assert_eq!(search(&s, "yoga").await, (vec![yoga.id], 1));

    let retitle = StreamPatch {
        title: Some(StreamTitle::parse("Evening run").unwrap()),
        description: None,
        scheduled_for: None,
    };
    s.update_stream(yoga.id, retitle, at(3)).await.unwrap();
    assert_eq!(
        search(&s, "yoga").await,
        (vec![], 0),
        "the old title is gone"
    );
    assert_eq!(search(&s, "evening run").await, (vec![yoga.id], 1));
    assert_eq!(search(&s, "run").await, (vec![yoga.id], 1));

    let describe = StreamPatch {
        title: None,
        description: Some(StreamDescription::parse("Slow yoga after the run").unwrap()),
        scheduled_for: None,
    };
    s.update_stream(yoga.id, describe, at(4)).await.unwrap();
    assert_eq!(
        search(&s, "yoga").await,
        (vec![yoga.id], 1),
        "found by description"
    );
    assert_eq!(
        search(&s, "evening").await,
        (vec![yoga.id], 1),
        "title kept"
    );

    let retitle_only = StreamPatch {
        title: Some(StreamTitle::parse("Chess endgames").unwrap()),
        description: None,
        scheduled_for: None,
    };
    s.update_stream(yoga.id, retitle_only, at(5)).await.unwrap();
    assert_eq!(
        search(&s, "chess").await,
        (sorted(vec![yoga.id, other.id]), 2)
    );
    assert_eq!(search(&s, "slow yoga").await, (vec![yoga.id], 1));

    s.delete_stream(yoga.id, at(6)).await.unwrap();
    assert_eq!(
        search(&s, "chess").await,
        (vec![other.id], 1),
        "deleted: never listed"
    );
    assert_eq!(search(&s, "yoga").await, (vec![], 0));
    assert_eq!(search(&s, "ch").await, (vec![other.id], 1));
}
