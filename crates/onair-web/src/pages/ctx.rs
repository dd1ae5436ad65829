//! What every page handler knows about its request: who is signed in, the CSRF bindings, the
//! client address, and the layout ("chrome") built from them.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderValue;
use axum::http::request::Parts;
use axum::response::Response;
use onair_store::{Account, Store};

use crate::auth::session;
use crate::extract::MaybeUser;
use crate::pages::{assets, card, csrf, error};
use crate::state::AppState;

/// The request as pages see it. Extraction fails only when the session lookup itself fails
/// (database down), answered with the HTML 500 page.
#[derive(Debug)]
pub(crate) struct Ctx {
    pub user: Option<Account>,
    /// Hash of the session cookie (signed-in forms are bound to it).
    session: Option<[u8; 32]>,
    /// The pre-session CSRF cookie (sign-in and sign-up forms are bound to it).
    presession: Option<String>,
    pub ip: Option<IpAddr>,
    /// Path and query of this request, for `?next=` after signing in.
    pub here: String,
}

impl<S: Store> FromRequestParts<AppState<S>> for Ctx {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState<S>) -> Result<Self, Response> {
        let here = parts
            .uri
            .path_and_query()
            .map_or_else(|| parts.uri.path().to_owned(), |pq| pq.as_str().to_owned());
        let MaybeUser(user) = MaybeUser::from_request_parts(parts, state)
            .await
            .map_err(|e| error::bare(e, &here))?;
        Ok(Self {
            session: user.as_ref().and(session::cookie_hash(&parts.headers)),
            presession: csrf::presession_cookie(&parts.headers),
            ip: parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip()),
            user,
            here,
        })
    }
}

impl Ctx {
    /// The layout for this request, with `nav` marked as the current section.
    pub fn chrome(&self, nav: Nav) -> Chrome {
        Chrome {
            user: self.user.as_ref().map(|a| UserChip {
                name: a.name.clone(),
                initials: card::initials(&a.name),
                tone: card::tone(a.id.as_uuid().as_bytes()),
                image: card::safe_image(a.image.as_deref()),
                balance: a.balance.get(),
            }),
            csrf: self
                .session
                .map(|h| csrf::session_token(&h))
                .unwrap_or_default(),
            nav,
            here: self.here.clone(),
        }
    }

    /// A token for a form on this page: bound to the session when signed in, otherwise to the
    /// pre-session cookie — minted now (with its `Set-Cookie`) when the browser has none.
    pub fn form_token(&self, https: bool) -> (String, Option<HeaderValue>) {
        if let Some(hash) = &self.session {
            return (csrf::session_token(hash), None);
        }
        match &self.presession {
            Some(value) => (csrf::presession_token(value), None),
            None => {
                let (value, cookie) = csrf::new_presession(https);
                (csrf::presession_token(&value), Some(cookie))
            }
        }
    }

    /// Whether `submitted` is a token this browser could only have got from one of our pages.
    pub fn csrf_ok(&self, submitted: &str) -> bool {
        let by_session = self
            .session
            .as_ref()
            .is_some_and(|h| csrf::matches(&csrf::session_token(h), submitted));
        let by_presession = self
            .presession
            .as_deref()
            .is_some_and(|v| csrf::matches(&csrf::presession_token(v), submitted));
        by_session || by_presession
    }
}

/// The section of the site a page belongs to (marked `aria-current` in the header).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Nav {
    Discover,
    Studio,
    Account,
    Other,
}

/// The signed-in account as the header shows it.
#[derive(Debug, Clone)]
pub(crate) struct UserChip {
    pub name: String,
    pub initials: String,
    pub tone: u8,
    pub image: Option<String>,
    pub balance: i64,
}

/// The layout around every page: header (brand, nav, account), footer.
#[derive(Debug, Clone)]
pub(crate) struct Chrome {
    pub user: Option<UserChip>,
    /// Token for the header's sign-out form (empty when signed out).
    pub csrf: String,
    pub nav: Nav,
    pub here: String,
}

impl Chrome {
    /// A layout for responses that have no request context (e.g. a failed session lookup).
    pub fn anonymous(here: &str) -> Self {
        Self {
            user: None,
            csrf: String::new(),
            nav: Nav::Other,
            here: here.to_owned(),
        }
    }

    pub fn css_url(&self) -> &'static str {
        assets::url("onair.css")
    }

    /// The browser bundle (the player and the studio), for the pages that mount it.
    pub fn js_url(&self) -> &'static str {
        assets::url("app.js")
    }

    pub fn icon_url(&self) -> &'static str {
        assets::url("icon.svg")
    }

    pub fn is_discover(&self) -> bool {
        self.nav == Nav::Discover
    }

    pub fn is_studio(&self) -> bool {
        self.nav == Nav::Studio
    }

    pub fn is_account(&self) -> bool {
        self.nav == Nav::Account
    }

    /// `/login?next=<this page>` (the login link keeps where the visitor was).
    pub fn login_href(&self) -> String {
        login_href(&self.here)
    }
}

/// The sign-in URL that returns to `next` afterwards.
pub(crate) fn login_href(next: &str) -> String {
    match safe_next(next) {
        Some(next)
            if next != "/" && !next.starts_with("/login") && !next.starts_with("/signup") =>
        {
            format!("/login?next={}", urlencode(next))
        }
        _ => "/login".to_owned(),
    }
}

/// `next` if it is a path on this site (never `//host` or a scheme: no open redirects).
pub(crate) fn safe_next(next: &str) -> Option<&str> {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(|c| c.is_control());
    ok.then_some(next)
}

/// Percent-encodes a query value (RFC 3986 unreserved characters and `/` stay as they are).
pub(crate) fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next("/studio"), Some("/studio"));
        assert_eq!(safe_next("//evil.example"), None);
        assert_eq!(safe_next("/\\evil.example"), None);
        assert_eq!(safe_next("https://evil.example"), None);
        assert_eq!(safe_next("/a\nb"), None);
        assert_eq!(
            login_href("/studio?page=2"),
            "/login?next=/studio%3Fpage%3D2"
        );
        assert_eq!(login_href("/"), "/login");
        assert_eq!(login_href("/login?next=/x"), "/login");
    }
}
