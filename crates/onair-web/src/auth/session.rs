//! Server-side sessions: the cookie carries 32 random bytes; the database keeps only their
//! SHA-256, so a leaked database cannot be replayed as cookies.

use std::time::Duration;

use axum::http::{HeaderMap, HeaderValue, header};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// The session cookie's name.
pub const COOKIE: &str = "onair_session";

/// A new random cookie value and its hash for the store.
pub(crate) fn new_token() -> (String, [u8; 32]) {
    let mut raw = [0u8; 32];
    rand::rng().fill_bytes(&mut raw);
    let value = URL_SAFE_NO_PAD.encode(raw);
    let hash = hash(&value);
    (value, hash)
}

fn hash(value: &str) -> [u8; 32] {
    Sha256::digest(value.as_bytes()).into()
}

/// The hash of the request's session cookie, if it carries a well-formed one.
pub(crate) fn cookie_hash(headers: &HeaderMap) -> Option<[u8; 32]> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        // Only values we could have issued: 43 url-safe base64 characters.
        .filter(|(_, value)| {
            value.len() == 43
                && value
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .map(|(_, value)| hash(value))
}

/// `Set-Cookie` for a new session.
pub(crate) fn set_cookie(value: &str, ttl: Duration, secure: bool) -> HeaderValue {
    cookie_header(value, ttl.as_secs(), secure)
}

/// `Set-Cookie` that removes the session cookie.
pub(crate) fn clear_cookie(secure: bool) -> HeaderValue {
    cookie_header("", 0, secure)
}

fn cookie_header(value: &str, max_age: u64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let text =
        format!("{COOKIE}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}");
    // The value is url-safe base64 and the attributes ASCII: always a valid header value.
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_round_trip_to_the_same_hash() {
        let (value, stored) = new_token();
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("other=1; {COOKIE}={value}")).unwrap(),
        );
        assert_eq!(cookie_hash(&headers), Some(stored));
        let set = set_cookie(&value, Duration::from_secs(60), true);
        let set = set.to_str().unwrap();
        for attr in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/", "Max-Age=60"] {
            assert!(set.contains(attr), "{set} lacks {attr}");
        }
        assert!(
            !set_cookie(&value, Duration::from_secs(1), false)
                .to_str()
                .unwrap()
                .contains("Secure")
        );
    }

    #[test]
    fn malformed_cookies_are_ignored() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("onair_session=short"),
        );
        assert_eq!(cookie_hash(&headers), None);
    }
}
