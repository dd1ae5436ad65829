//! Per-IP and per-account rate limits (GCRA via `governor`), strictest on sign-in, token
//! minting and stream creation. A refused request is a 429 with `Retry-After`.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use onair_domain::AccountId;
use onair_store::Store;

use crate::config::RateLimits;
use crate::error::AppError;
use crate::state::AppState;

/// Which budget a request draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    Auth,
    Token,
    Create,
    General,
}

impl Class {
    /// The class of a request, from its route template and method.
    fn of(method: &Method, route: &str) -> Option<Self> {
        if !route.starts_with("/api/") || route == crate::webhooks::PATH {
            return None;
        }
        Some(match (method, route) {
            (&Method::POST, "/api/auth/login" | "/api/auth/signup") => Self::Auth,
            (&Method::POST, "/api/streams/{id}/token") => Self::Token,
            (&Method::POST, "/api/streams") => Self::Create,
            _ => Self::General,
        })
    }

    fn label(self) -> &'static str {
        match self {
            Self::Auth => "auth",
            Self::Token => "token",
            Self::Create => "create",
            Self::General => "general",
        }
    }
}

struct Pair {
    ip: DefaultKeyedRateLimiter<IpAddr>,
    account: DefaultKeyedRateLimiter<AccountId>,
}

impl Pair {
    fn new(per_minute: u32) -> Self {
        let n = NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::per_minute(n).allow_burst(n);
        Self {
            ip: RateLimiter::keyed(quota),
            account: RateLimiter::keyed(quota),
        }
    }
}

/// All limiters; keyed state grows with distinct clients and is pruned by the sweeper.
pub(crate) struct RateLimiters {
    auth: Pair,
    token: Pair,
    create: Pair,
    general: Pair,
}

impl std::fmt::Debug for RateLimiters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiters").finish_non_exhaustive()
    }
}

impl RateLimiters {
    pub(crate) fn new(limits: RateLimits) -> Self {
        Self {
            auth: Pair::new(limits.auth_per_minute),
            token: Pair::new(limits.token_per_minute),
            create: Pair::new(limits.create_per_minute),
            general: Pair::new(limits.general_per_minute),
        }
    }

    fn pair(&self, class: Class) -> &Pair {
        match class {
            Class::Auth => &self.auth,
            Class::Token => &self.token,
            Class::Create => &self.create,
            Class::General => &self.general,
        }
    }

    pub(crate) fn check_ip(&self, class: Class, ip: IpAddr) -> Result<(), AppError> {
        refuse(class, "ip", self.pair(class).ip.check_key(&ip))
    }

    pub(crate) fn check_account(&self, class: Class, account: AccountId) -> Result<(), AppError> {
        refuse(
            class,
            "account",
            self.pair(class).account.check_key(&account),
        )
    }

    /// Forgets clients whose budget is full again (bounded memory).
    pub(crate) fn prune(&self) {
        for class in [Class::Auth, Class::Token, Class::Create, Class::General] {
            let pair = self.pair(class);
            pair.ip.retain_recent();
            pair.account.retain_recent();
            pair.ip.shrink_to_fit();
            pair.account.shrink_to_fit();
        }
    }
}

fn refuse(
    class: Class,
    key: &'static str,
    result: Result<(), governor::NotUntil<<DefaultClock as Clock>::Instant>>,
) -> Result<(), AppError> {
    result.map_err(|not_until| {
        metrics::counter!("onair_rate_limited_total", "class" => class.label(), "key" => key)
            .increment(1);
        AppError::RateLimited {
            retry_after: not_until.wait_time_from(DefaultClock::default().now()),
        }
    })
}

/// Middleware: the per-IP check, by route class. Per-account checks happen in the handlers
/// that know the account.
pub(crate) async fn limit_by_ip<S: Store>(
    State(state): State<AppState<S>>,
    req: Request,
    next: Next,
) -> Response {
    let class = req
        .extensions()
        .get::<MatchedPath>()
        .and_then(|p| Class::of(req.method(), p.as_str()));
    let ip = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    if let (Some(class), Some(ip)) = (class, ip)
        && let Err(e) = state.limits.check_ip(class, ip)
    {
        return e.into_response();
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_fall_into_classes() {
        assert_eq!(
            Class::of(&Method::POST, "/api/auth/login"),
            Some(Class::Auth)
        );
        assert_eq!(
            Class::of(&Method::POST, "/api/streams/{id}/token"),
            Some(Class::Token)
        );
        assert_eq!(
            Class::of(&Method::POST, "/api/streams"),
            Some(Class::Create)
        );
        assert_eq!(
            Class::of(&Method::GET, "/api/streams/list"),
            Some(Class::General)
        );
        assert_eq!(Class::of(&Method::POST, "/api/livekit/webhook"), None);
        assert_eq!(Class::of(&Method::GET, "/metrics"), None);
    }

    #[test]
    fn a_spent_budget_answers_retry_after() {
        let limits = RateLimiters::new(RateLimits {
            auth_per_minute: 2,
            ..RateLimits::default()
        });
        let ip: IpAddr = [10, 0, 0, 1].into();
        assert!(limits.check_ip(Class::Auth, ip).is_ok());
        assert!(limits.check_ip(Class::Auth, ip).is_ok());
        match limits.check_ip(Class::Auth, ip) {
            Err(AppError::RateLimited { retry_after }) => assert!(retry_after.as_secs() <= 30),
            other => panic!("expected 429, got {other:?}"),
        }
        assert!(
            limits.check_ip(Class::Auth, [10, 0, 0, 2].into()).is_ok(),
            "per key"
        );
        assert!(limits.check_ip(Class::General, ip).is_ok(), "per class");
    }
}
