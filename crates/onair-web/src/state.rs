//! The shared state every handler and background task sees.

use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use onair_store::Store;

use crate::auth::password::Passwords;
use crate::config::WebConfig;
use crate::ops::ratelimit::RateLimiters;
use crate::rooms::Rooms;
use crate::webhooks::presence::Presence;

/// Cheap to clone: one `Arc` around everything.
pub struct AppState<S> {
    inner: Arc<Inner<S>>,
}

impl<S> Clone for AppState<S> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<S> std::fmt::Debug for AppState<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

/// What [`AppState`] holds.
#[expect(
    missing_debug_implementations,
    reason = "AppState's Debug shows the config"
)]
pub struct Inner<S> {
    pub store: S,
    pub config: WebConfig,
    /// Hashing and verification, with the dummy hash that keeps unknown-email logins as slow
    /// as wrong-password ones.
    pub(crate) passwords: Passwords,
    pub(crate) limits: RateLimiters,
    /// RoomService client: rooms are created and deleted best-effort.
    pub(crate) rooms: Rooms,
    /// Who is in each live room, from webhooks and reconciliation; the source of viewer counts.
    pub(crate) presence: Presence,
    /// Argon2 verifications run by logins, including those against the dummy hash.
    password_checks: AtomicU64,
}

impl<S> Deref for AppState<S> {
    type Target = Inner<S>;

    fn deref(&self) -> &Inner<S> {
        &self.inner
    }
}

impl<S: Store> AppState<S> {
    pub fn new(store: S, config: WebConfig) -> Self {
        let rooms = Rooms::new(&config.livekit, config.max_participants);
        let limits = RateLimiters::new(config.rate_limits);
        Self {
            inner: Arc::new(Inner {
                store,
                passwords: Passwords::new(),
                limits,
                rooms,
                presence: Presence::default(),
                password_checks: AtomicU64::new(0),
                config,
            }),
        }
    }
}

impl<S> Inner<S> {
    /// How many password verifications logins have run (a login for an unknown email runs one
    /// too, against a dummy hash, so timing does not reveal which emails exist).
    pub fn password_checks(&self) -> u64 {
        self.password_checks.load(Ordering::Relaxed)
    }

    pub(crate) fn count_password_check(&self) {
        self.password_checks.fetch_add(1, Ordering::Relaxed);
    }
}
