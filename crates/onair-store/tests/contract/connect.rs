//! Backend selection, SQLite file handling and corrupt rows (SQLite-only checks).

use onair_domain::AccountId;
use onair_store::{AnyStore, SqliteStore, Store, StoreError};

use crate::support::account;

fn refused(result: Result<AnyStore, StoreError>, needle: &str) {
    match result {
        Err(StoreError::Database(m)) => assert!(m.contains(needle), "{m}"),
        other => panic!("expected a refusal mentioning {needle:?}, got {other:?}"),
    }
}

#[tokio::test]
async fn unsupported_urls_are_refused_with_a_reason() {
    refused(onair_store::connect("sqlite::memory:").await, "in-memory");
    refused(
        onair_store::connect("sqlite://?mode=memory").await,
        "in-memory",
    );
    refused(
        onair_store::connect("mysql://localhost/onair").await,
        "mysql",
    );
    refused(onair_store::connect("onair.db").await, "scheme");
}

#[tokio::test]
async fn sqlite_file_and_directories_are_created_and_data_persists() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/data/onair.db");
    let url = format!("sqlite://{}", path.display());
    let store = onair_store::connect(&url).await.unwrap();
    assert!(path.exists());
    let a = account(&store, "ada@example.com", 100).await;
    store.close().await;

    // Reopening runs the (already applied) migrations again and finds the data.
    let store = AnyStore::from(SqliteStore::open(&path).await.unwrap());
    assert_eq!(store.account(a.id).await.unwrap(), a);
    store.close().await;
}

#[tokio::test]
async fn a_corrupt_row_is_an_error_naming_its_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("onair.db");
    let store = AnyStore::from(SqliteStore::open(&path).await.unwrap());
    let a = account(&store, "ada@example.com", 0).await;
    let b = account(&store, "bob@example.com", 0).await;

    let raw = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let mut conn = raw.acquire().await.unwrap();
    sqlx::query("PRAGMA ignore_check_constraints = ON")
        .execute(&mut *conn)
        .await
        .unwrap();
    sqlx::query("UPDATE accounts SET role = 'wizard' WHERE id = ?")
        .bind(a.id.to_string())
        .execute(&mut *conn)
        .await
        .unwrap();
    sqlx::query("UPDATE accounts SET id = 'not-a-uuid' WHERE id = ?")
        .bind(b.id.to_string())
        .execute(&mut *conn)
        .await
        .unwrap();
    drop(conn);
    raw.close().await;

    match store.account(a.id).await {
        Err(StoreError::Database(m)) => assert!(m.contains("`role`"), "{m}"),
        other => panic!("expected a corrupt-row error, got {other:?}"),
    }
    match store.account_by_email("bob@example.com").await {
        Err(StoreError::Database(m)) => assert!(m.contains("`id`"), "{m}"),
        other => panic!("expected a corrupt-row error, got {other:?}"),
    }
    assert!(matches!(
        store.account(AccountId::new()).await,
        Err(StoreError::NotFound)
    ));
    store.close().await;
}

/// Two stores on one file stand in for two processes (the server and an admin command): their
/// writers contend for SQLite's lock through `BEGIN IMMEDIATE` and `busy_timeout`, and no caller
/// sees a busy error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_stores_on_one_file_never_surface_busy_errors() {
    use onair_domain::{Credits, LedgerReason};
    use onair_store::{Applied, NewCreditEntry, Page};

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("onair.db");
    let first = AnyStore::from(SqliteStore::open(&path).await.unwrap());
    let second = AnyStore::from(SqliteStore::open(&path).await.unwrap());
    let a = account(&first, "ada@example.com", 100).await;

    let calls = (0..60).map(|i| {
        let store = if i % 2 == 0 {
            first.clone()
        } else {
            second.clone()
        };
        tokio::spawn(async move {
            let entry = NewCreditEntry {
                account: a.id,
                delta: Credits::new(-3),
                reason: LedgerReason::AdminGrant,
                stream: None,
                idempotency_key: format!("charge-{i}"),
                now: crate::support::t0(),
            };
            store.apply_credit(entry).await
        })
    });
    let mut ok = 0;
    for r in futures::future::join_all(calls).await {
        match r.unwrap() {
            Ok(Applied::New { .. }) => ok += 1,
            Err(StoreError::InsufficientCredits { .. }) => {}
            other => panic!("unexpected outcome across two stores: {other:?}"),
        }
    }
    assert_eq!(ok, 33, "100 / 3 = 33 charges fit");
    assert_eq!(second.account(a.id).await.unwrap().balance, Credits::new(1));
    let page = Page {
        page: 1,
        limit: 100,
    };
    assert_eq!(first.credit_entries(a.id, page).await.unwrap().1, 34);
    first.close().await;
    second.close().await;
}
