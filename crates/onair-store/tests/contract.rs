//! The store contract: every behaviour the platform relies on, run against SQLite (a temporary
//! file) always and against PostgreSQL (a fresh schema per test) when `TEST_DATABASE_URL` is set.

// Test helpers are ordinary functions, so clippy's test exemption does not reach them.
#![expect(
    clippy::unwrap_used,
    reason = "a contract test fails loudly on any unexpected error"
)]

/// Generates, for each named `async fn(AnyStore)`, a test module with one test per backend.
macro_rules! contract_tests {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                crate::support::run_sqlite(super::$name).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                crate::support::run_postgres(super::$name).await;
            }
        }
    )*};
}

#[path = "contract/support.rs"]
mod support;

#[path = "contract/accounts.rs"]
mod accounts;
#[path = "contract/connect.rs"]
mod connect;
#[path = "contract/credits.rs"]
mod credits;
#[path = "contract/lifecycle.rs"]
mod lifecycle;
#[path = "contract/listing.rs"]
mod listing;
#[path = "contract/misc.rs"]
mod misc;
#[path = "contract/search.rs"]
mod search;
#[path = "contract/streams.rs"]
mod streams;
