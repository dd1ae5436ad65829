//! CSRF tokens for HTML forms.
//!
//! A form token is a one-way hash of a secret only the visitor's browser holds: the session
//! cookie once signed in, or — for the sign-in and sign-up forms, which are posted before any
//! session exists — a random "pre-session" cookie. Both cookies are HttpOnly, so another site can
//! neither read them nor compute the token; nothing is stored on the server. This sits on top of
//! `SameSite=Lax` cookies and the Origin check every unsafe request already passes.

use axum::http::{HeaderMap, HeaderValue, header};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The pre-session cookie's name.
pub(crate) const COOKIE: &str = "onair_csrf";

/// How long a pre-session cookie lives: a sign-in form left open for a week still works.
const MAX_AGE_SECS: u64 = 7 * 24 * 3600;

/// The token bound to a session (given the hash of its cookie).
pub(crate) fn session_token(session_hash: &[u8; 32]) -> String {
    derive(b"onair csrf v1 session\0", session_hash)
}

/// The token bound to a pre-session cookie value.
pub(crate) fn presession_token(cookie_value: &str) -> String {
    derive(b"onair csrf v1 presession\0", cookie_value.as_bytes())
}

fn derive(label: &[u8], secret: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(label);
    hasher.update(secret);
    URL_SAFE_NO_PAD.encode(hasher.finalize())
}

/// Constant-time comparison of the expected token with the submitted one.
pub(crate) fn matches(expected: &str, submitted: &str) -> bool {
    expected.len() == submitted.len() && bool::from(expected.as_bytes().ct_eq(submitted.as_bytes()))
}

/// The request's pre-session cookie, if it is one we could have issued.
pub(crate) fn presession_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value)
        .filter(|value| {
            value.len() == 43
                && value
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .map(str::to_owned)
}

/// A fresh pre-session cookie value and its `Set-Cookie` header.
pub(crate) fn new_presession(https: bool) -> (String, HeaderValue) {
    let mut raw = [0u8; 32];
    rand::rng().fill_bytes(&mut raw);
    let value = URL_SAFE_NO_PAD.encode(raw);
    let secure = if https { "; Secure" } else { "" };
    let text =
        format!("{COOKIE}={value}; Path=/; Max-Age={MAX_AGE_SECS}; HttpOnly; SameSite=Lax{secure}");
    // url-safe base64 and ASCII attributes: always a valid header value.
    let header = HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""));
    (value, header)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_depend_on_the_secret_and_the_binding() {
        let (value, cookie) = new_presession(false);
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("a=b; {COOKIE}={value}")).unwrap(),
        );
        assert_eq!(presession_cookie(&headers).as_deref(), Some(value.as_str()));
        assert!(cookie.to_str().unwrap().contains("HttpOnly; SameSite=Lax"));

        let token = presession_token(&value);
        assert!(matches(&token, &token));
        assert!(!matches(&token, &presession_token("other")));
        assert!(!matches(&token, ""));
        // The same secret bound as a session gives another token.
        assert_ne!(
            session_token(&[7; 32]),
            presession_token(&URL_SAFE_NO_PAD.encode([7u8; 32]))
        );
    }

    #[test]
    fn malformed_cookies_are_ignored() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_static("onair_csrf=short"));
        assert_eq!(presession_cookie(&headers), None);
    }
}
