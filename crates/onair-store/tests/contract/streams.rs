//! Creating, reading, editing and deleting streams.

use onair_domain::{RoomName, StreamDescription, StreamId, StreamStatus, StreamTitle};
use onair_store::{AnyStore, Store, StoreError, StreamPatch};

use crate::support::{account, at, new_stream, stored, stream, t0};

contract_tests!(
    stream_create_and_get,
    stream_create_refuses_unknown_creator_and_reused_id,
    update_stream_patches_only_given_fields,
    update_stream_refuses_unknown_and_deleted,
    delete_stream_hides_but_keeps_the_row,
);

async fn stream_create_and_get(s: AnyStore) {
    let a = account(&s, "ada@example.com", 0).await;
    let mut new = new_stream(a.id, "  First light ", at(1));
    new.description = StreamDescription::parse("line one\nline two").unwrap();
    new.scheduled_for = Some(at(3600));
    let created = s.create_stream(new.clone()).await.unwrap();

    assert_eq!(created.id, new.id);
    assert_eq!(created.creator.id, a.id);
    assert_eq!(created.creator.name, "Ada Lovelace");
    assert_eq!(created.creator.image, None);
    assert_eq!(created.title, "First light");
    assert_eq!(created.description, "line one\nline two");
    assert_eq!(created.status, StreamStatus::Scheduled);
    assert_eq!(created.room_name, RoomName::for_stream(new.id));
    assert_eq!(created.scheduled_for, Some(stored(at(3600))));
    assert_eq!(created.started_at, None);
    assert_eq!(created.ended_at, None);
    assert_eq!(created.ended_reason, None);
    assert_eq!(created.participant_count, 0);
    assert_eq!(created.peak_viewers, 0);
    assert_eq!(created.billed_minutes, 0);
    assert_eq!(created.creator_absent_since, None);
    assert_eq!(created.deleted_at, None);
    assert_eq!(created.created_at, stored(at(1)));
    assert_eq!(created.updated_at, stored(at(1)));

    assert_eq!(s.stream(new.id).await.unwrap(), created);
    assert!(matches!(
        s.stream(StreamId::new()).await,
        Err(StoreError::NotFound)
    ));
}

async fn stream_create_refuses_unknown_creator_and_reused_id(s: AnyStore) {
    let orphan = new_stream(onair_domain::AccountId::new(), "Nobody's", t0());
    assert!(matches!(
        s.create_stream(orphan.clone()).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        s.stream(orphan.id).await,
        Err(StoreError::NotFound)
    ));

    let a = account(&s, "ada@example.com", 0).await;
    let first = stream(&s, a.id, "One").await;
    let mut again = new_stream(a.id, "Two", t0());
    again.id = first.id;
    assert!(matches!(
        s.create_stream(again).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(s.stream(first.id).await.unwrap().title, "One");
}

async fn update_stream_patches_only_given_fields(s: AnyStore) {
    let a = account(&s, "ada@example.com", 0).await;
    let mut new = new_stream(a.id, "Old title", t0());
    new.description = StreamDescription::parse("old description").unwrap();
    new.scheduled_for = Some(at(600));
    let id = s.create_stream(new).await.unwrap().id;

    let title_only = StreamPatch {
        title: Some(StreamTitle::parse("New title").unwrap()),
        ..StreamPatch::default()
    };
    let got = s.update_stream(id, title_only, at(10)).await.unwrap();
    assert_eq!(got.title, "New title");
    assert_eq!(got.description, "old description");
    assert_eq!(got.scheduled_for, Some(stored(at(600))));
    assert_eq!(got.updated_at, stored(at(10)));
    assert_eq!(got.created_at, stored(t0()));

    let reschedule = StreamPatch {
        description: Some(StreamDescription::parse("new description").unwrap()),
        scheduled_for: Some(Some(at(7200))),
        ..StreamPatch::default()
    };
    let got = s.update_stream(id, reschedule, at(20)).await.unwrap();
    assert_eq!(got.title, "New title");
    assert_eq!(got.description, "new description");
    assert_eq!(got.scheduled_for, Some(stored(at(7200))));

    let clear = StreamPatch {
        scheduled_for: Some(None),
        ..StreamPatch::default()
    };
    let got = s.update_stream(id, clear, at(30)).await.unwrap();
    assert_eq!(got.scheduled_for, None);
    assert_eq!(got.title, "New title");
    assert_eq!(got.description, "new description");

    // An empty patch changes only `updated_at`.
    let got = s
        .update_stream(id, StreamPatch::default(), at(40))
        .await
        .unwrap();
    assert_eq!(got.scheduled_for, None);
    assert_eq!(got.updated_at, stored(at(40)));
    assert_eq!(s.stream(id).await.unwrap(), got);
}

async fn update_stream_refuses_unknown_and_deleted(s: AnyStore) {
    let patch = StreamPatch {
        title: Some(StreamTitle::parse("Renamed").unwrap()),
        ..StreamPatch::default()
    };
    assert!(matches!(
        s.update_stream(StreamId::new(), patch.clone(), t0()).await,
        Err(StoreError::NotFound)
    ));
    let a = account(&s, "ada@example.com", 0).await;
    let st = stream(&s, a.id, "Doomed").await;
    s.delete_stream(st.id, at(1)).await.unwrap();
    assert!(matches!(
        s.update_stream(st.id, patch, at(2)).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(s.stream(st.id).await.unwrap().title, "Doomed");
}

async fn delete_stream_hides_but_keeps_the_row(s: AnyStore) {
    let a = account(&s, "ada@example.com", 0).await;
    let st = stream(&s, a.id, "Short-lived").await;
    s.delete_stream(st.id, at(5)).await.unwrap();
    let got = s.stream(st.id).await.unwrap();
    assert_eq!(got.deleted_at, Some(stored(at(5))));
    // Deleting again is harmless and keeps the first time.
    s.delete_stream(st.id, at(9)).await.unwrap();
    assert_eq!(
        s.stream(st.id).await.unwrap().deleted_at,
        Some(stored(at(5)))
    );
    assert!(matches!(
        s.delete_stream(StreamId::new(), t0()).await,
        Err(StoreError::NotFound)
    ));
}
