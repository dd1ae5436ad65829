//! How fast `list_streams` answers with 100 000 streams, on each backend. Ignored by default;
//! prints one line per listing:
//!
//! ```sh
//! TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \
//!   cargo test -p onair-store --test list_perf -- --ignored --nocapture
//! ```
#![expect(
    clippy::unwrap_used,
    reason = "a measurement fails loudly on any unexpected error"
)]

use std::time::{Duration, Instant};

use onair_domain::{AccountId, Credits, DisplayName, Email, Role, StreamStatus};
use onair_store::{AnyStore, NewAccount, Page, PgStore, SqliteStore, Store, StreamFilter};

const ROWS: i64 = 100_000;
const RUNS: usize = 15;

async fn creators(store: &AnyStore) -> Vec<AccountId> {
    let mut ids = Vec::new();
    for i in 0..10 {
        let new = NewAccount {
            id: AccountId::new(),
            email: Email::parse(&format!("creator{i}@example.com")).unwrap(),
            name: DisplayName::parse(&format!("Creator {i}")).unwrap(),
            password_hash: "x".into(),
            role: Role::User,
            signup_grant: Credits::ZERO,
            now: chrono::Utc::now(),
        };
        ids.push(store.create_account(new).await.unwrap().id);
    }
    ids.sort();
    ids
}

/// Streams `i` in `0..ROWS`: status by `i % 3`, creator by `i % 10`, every 50th deleted.
const SQLITE_SEED: &str = "
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?1 - 1),
c AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM accounts)
INSERT INTO streams (id, creator_id, title, description, title_folded, description_folded,
    status, room_name, scheduled_for, started_at, ended_at, ended_reason, participant_count,
    peak_viewers, created_at, updated_at, deleted_at)
SELECT printf('00000000-0000-7000-8000-%012d', i), c.id, 'Stream ' || i, 'About stream ' || i,
    'stream ' || i, 'about stream ' || i,
    CASE i % 3 WHEN 0 THEN 'SCHEDULED' WHEN 1 THEN 'LIVE' ELSE 'ENDED' END,
    printf('stream-00000000-0000-7000-8000-%012d', i),
    CASE WHEN i % 3 = 0 AND i % 2 = 0 THEN 1800000000000000 + i * 1000000 END,
    CASE WHEN i % 3 > 0 THEN 1700000000000000 + i * 1000000 END,
    CASE WHEN i % 3 = 2 THEN 1700000060000000 + i * 1000000 END,
    CASE WHEN i % 3 = 2 THEN 'creator' END,
    CASE WHEN i % 3 = 1 THEN i % 1000 ELSE 0 END, i % 1000,
    1700000000000000 + i * 1000000, 1700000000000000 + i * 1000000,
    CASE WHEN i % 50 = 0 THEN 1700000000000000 + i * 1000000 END
FROM n JOIN c ON c.k = i % 10";

const PG_SEED: &str = "
WITH c AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM accounts)
INSERT INTO streams (id, creator_id, title, description, title_folded, description_folded,
    status, room_name, scheduled_for, started_at, ended_at, ended_reason, participant_count,
    peak_viewers, created_at, updated_at, deleted_at)
SELECT ('00000000-0000-7000-8000-' || lpad(i::text, 12, '0'))::uuid, c.id, 'Stream ' || i,
    'About stream ' || i, 'stream ' || i, 'about stream ' || i,
    CASE i % 3 WHEN 0 THEN 'SCHEDULED' WHEN 1 THEN 'LIVE' ELSE 'ENDED' END,
    'stream-00000000-0000-7000-8000-' || lpad(i::text, 12, '0'),
    CASE WHEN i % 3 = 0 AND i % 2 = 0 THEN to_timestamp(1800000000 + i) END,
    CASE WHEN i % 3 > 0 THEN to_timestamp(1700000000 + i) END,
    CASE WHEN i % 3 = 2 THEN to_timestamp(1700000060 + i) END,
    CASE WHEN i % 3 = 2 THEN 'creator' END,
    CASE WHEN i % 3 = 1 THEN i % 1000 ELSE 0 END, i % 1000,
    to_timestamp(1700000000 + i), to_timestamp(1700000000 + i),
    CASE WHEN i % 50 = 0 THEN to_timestamp(1700000000 + i) END
FROM generate_series(0, $1 - 1) AS i JOIN c ON c.k = i % 10";

async fn measure(backend: &str, store: &AnyStore, creator: AccountId) {
    let base = StreamFilter {
        status: None,
        creator: None,
        query: None,
        page: Page { page: 1, limit: 20 },
    };
    let with = |f: &dyn Fn(&mut StreamFilter)| {
        let mut filter = base.clone();
        f(&mut filter);
        filter
    };
    let cases = [
        ("all, page 1", base.clone()),
        ("all, page 500", with(&|f| f.page.page = 500)),
        ("LIVE", with(&|f| f.status = Some(StreamStatus::Live))),
        (
            "SCHEDULED",
            with(&|f| f.status = Some(StreamStatus::Scheduled)),
        ),
        ("ENDED", with(&|f| f.status = Some(StreamStatus::Ended))),
        ("creator", with(&|f| f.creator = Some(creator))),
        (
            "creator + LIVE",
            with(&|f| {
                f.creator = Some(creator);
                f.status = Some(StreamStatus::Live);
            }),
        ),
        (
            "query \"stream 4242\"",
            with(&|f| f.query = Some("Stream 4242".into())),
        ),
        (
            "query \"stream 99\"",
            with(&|f| f.query = Some("stream 99".into())),
        ),
        (
            "query \"99\" (short)",
            with(&|f| f.query = Some("99".into())),
        ),
    ];
    for (name, filter) in cases {
        let mut times: Vec<Duration> = Vec::with_capacity(RUNS);
        let mut total = 0;
        for _ in 0..RUNS {
            let start = Instant::now();
            let (page, n) = store.list_streams(&filter).await.unwrap();
            times.push(start.elapsed());
            total = n;
            assert!(!page.is_empty() || n == 0);
        }
        times.sort();
        println!(
            "{backend:8} {name:22} total {total:6}  median {:>8.2?}  max {:>8.2?}",
            times[RUNS / 2],
            times[RUNS - 1]
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "measurement: seeds 100 000 streams"]
async fn list_streams_latency_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("perf.db");
    let store = AnyStore::from(SqliteStore::open(&path).await.unwrap());
    let ids = creators(&store).await;
    let raw = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    sqlx::query(SQLITE_SEED)
        .bind(ROWS)
        .execute(&raw)
        .await
        .unwrap();
    raw.close().await;
    // Reopening runs `PRAGMA optimize`, as a restarted server would: no manual ANALYZE.
    store.close().await;
    let store = AnyStore::from(SqliteStore::open(&path).await.unwrap());
    measure("sqlite", &store, ids[3]).await;
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "measurement: seeds 100 000 streams"]
async fn list_streams_latency_postgres() {
    let Ok(url) = std::env::var("TEST_DATABASE_URL") else {
        eprintln!("TEST_DATABASE_URL is unset: skipping the PostgreSQL measurement");
        return;
    };
    let schema = format!("onair_perf_{}", uuid::Uuid::new_v4().simple());
    let store = AnyStore::from(PgStore::connect_with_schema(&url, &schema).await.unwrap());
    let ids = creators(&store).await;
    let options: sqlx::postgres::PgConnectOptions = url.parse().unwrap();
    let raw = sqlx::PgPool::connect_with(options.options([("search_path", schema.as_str())]))
        .await
        .unwrap();
    sqlx::query(PG_SEED).bind(ROWS).execute(&raw).await.unwrap();
    // Steady state: autovacuum would have set the visibility map (index-only counts).
    sqlx::query("VACUUM ANALYZE streams")
        .execute(&raw)
        .await
        .unwrap();
    measure("postgres", &store, ids[3]).await;
    store.close().await;
    let drop = format!("DROP SCHEMA \"{schema}\" CASCADE");
    sqlx::query(sqlx::AssertSqlSafe(drop))
        .execute(&raw)
        .await
        .unwrap();
    raw.close().await;
}
