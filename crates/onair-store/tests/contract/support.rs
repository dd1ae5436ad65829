//! Test databases and fixtures shared by the contract tests.

use std::future::Future;
use std::panic::AssertUnwindSafe;

use chrono::{DateTime, Duration, TimeZone, Utc};
use futures::FutureExt;
use onair_domain::{
    AccountId, Credits, DisplayName, Email, Role, StreamDescription, StreamId, StreamTitle,
};
use onair_store::{Account, AnyStore, NewAccount, NewStream, PgStore, Store, Stream};

pub const PG_ENV: &str = "TEST_DATABASE_URL";

/// Runs `test` on a fresh SQLite file that is removed afterwards.
pub async fn run_sqlite<F, Fut>(test: F)
where
    F: FnOnce(AnyStore) -> Fut,
    Fut: Future<Output = ()>,
{
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("onair.db").display());
    let store = onair_store::connect(&url).await.unwrap();
    assert_eq!(store.backend_name(), "sqlite");
    test(store.clone()).await;
    store.close().await;
}

/// Runs `test` in a schema of its own on `TEST_DATABASE_URL`, dropped afterwards even when
/// the test fails. Without the variable, says so and passes.
pub async fn run_postgres<F, Fut>(test: F)
where
    F: FnOnce(AnyStore) -> Fut,
    Fut: Future<Output = ()>,
{
    let Ok(url) = std::env::var(PG_ENV) else {
        eprintln!("{PG_ENV} is unset: skipping the PostgreSQL half of this contract test");
        return;
    };
    let schema = format!("onair_test_{}", uuid::Uuid::new_v4().simple());
    let store = AnyStore::from(PgStore::connect_with_schema(&url, &schema).await.unwrap());
    assert_eq!(store.backend_name(), "postgres");
    let outcome = AssertUnwindSafe(test(store.clone())).catch_unwind().await;
    store.close().await;
    drop_schema(&url, &schema).await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

pub async fn drop_schema(url: &str, schema: &str) {
    let pool = sqlx::PgPool::connect(url).await.unwrap();
    let sql = format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
}

/// A fixed instant with sub-microsecond digits, so truncation is exercised everywhere.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap() + Duration::nanoseconds(123_456_789)
}

/// `t0` plus `secs` seconds.
pub fn at(secs: i64) -> DateTime<Utc> {
    t0() + Duration::seconds(secs)
}

/// What the store gives back for a time written as `t`: whole microseconds.
pub fn stored(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(t.timestamp_micros()).unwrap()
}

pub fn new_account(email: &str, grant: i64) -> NewAccount {
    NewAccount {
        id: AccountId::new(),
        email: Email::parse(email).unwrap(),
        name: DisplayName::parse("Ada Lovelace").unwrap(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        role: Role::User,
        signup_grant: Credits::new(grant),
        now: t0(),
    }
}

pub async fn account(store: &AnyStore, email: &str, grant: i64) -> Account {
    store
        .create_account(new_account(email, grant))
        .await
        .unwrap()
}

pub fn new_stream(creator: AccountId, title: &str, now: DateTime<Utc>) -> NewStream {
    NewStream {
        id: StreamId::new(),
        creator,
        title: StreamTitle::parse(title).unwrap(),
        description: StreamDescription::parse("").unwrap(),
        scheduled_for: None,
        now,
    }
}

pub async fn stream(store: &AnyStore, creator: AccountId, title: &str) -> Stream {
    store
        .create_stream(new_stream(creator, title, t0()))
        .await
        .unwrap()
}

pub async fn balance(store: &AnyStore, id: AccountId) -> i64 {
    store.account(id).await.unwrap().balance.get()
}
