//! Authentication and grants, as LiveKit's `APIKeyAuthMiddleware` and `Ensure*Permission` do.
//!
//! A request carries `Authorization: Bearer <jwt>` (or, without that header, an
//! `access_token` query parameter). The token's `iss` names the API key; its secret verifies
//! the HS256 signature with `exp` required and 60 s leeway (`livekit_api`'s `TokenVerifier`).
//! A request without any token is not rejected here: it reaches the grant check with no
//! claims and fails there with `permissions denied`, exactly as in LiveKit.

use std::collections::HashMap;
use std::fmt;

use http::{HeaderMap, header::AUTHORIZATION};
use livekit_api::access_token::{Claims, TokenVerifier};

use super::error::TwirpError;

/// The API keys the server accepts: key → secret. Cheap to clone; `Debug` shows keys only.
#[derive(Clone, Default)]
pub struct ApiKeys {
    secrets: HashMap<String, String>,
}

impl ApiKeys {
    /// Keys from `(key, secret)` pairs. Pairs with an empty key or secret are ignored: an
    /// empty secret would let anyone sign tokens.
    pub fn new<K: Into<String>, S: Into<String>>(pairs: impl IntoIterator<Item = (K, S)>) -> Self {
        let secrets = pairs
            .into_iter()
            .map(|(k, s)| (k.into(), s.into()))
            .filter(|(k, s)| !k.is_empty() && !s.is_empty())
            .collect();
        Self { secrets }
    }

    /// The usual single-key configuration (`LIVEKIT_API_KEY` / `LIVEKIT_API_SECRET`).
    pub fn single(key: impl Into<String>, secret: impl Into<String>) -> Self {
        Self::new([(key.into(), secret.into())])
    }

    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    fn secret(&self, key: &str) -> Option<&str> {
        self.secrets.get(key).map(String::as_str)
    }

    /// Verifies `token` against the secret of the key it names.
    pub fn verify(&self, token: &str) -> Result<Claims, TwirpError> {
        let unverified = Claims::from_unverified(token)
            .map_err(|_| TwirpError::unauthenticated("invalid authorization token"))?;
        let secret = self
            .secret(&unverified.iss)
            .ok_or_else(|| TwirpError::unauthenticated("invalid API key"))?;
        TokenVerifier::with_api_key(&unverified.iss, secret)
            .verify(token)
            .map_err(|err| {
                tracing::debug!(%err, key = %unverified.iss, "token rejected");
                TwirpError::unauthenticated(format!("invalid authorization token: {err}"))
            })
    }
}

impl fmt::Debug for ApiKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut keys: Vec<&String> = self.secrets.keys().collect();
        keys.sort();
        f.debug_struct("ApiKeys")
            .field("keys", &keys)
            .field("secrets", &"<redacted>")
            .finish()
    }
}

const BEARER: &str = "Bearer ";

/// The caller's verified claims, or `None` when the request carried no token at all.
pub fn authenticate(
    keys: &ApiKeys,
    headers: &HeaderMap,
    query: Option<&str>,
) -> Result<Option<Claims>, TwirpError> {
    let token = match headers.get(AUTHORIZATION) {
        Some(value) => {
            let value = value.to_str().unwrap_or_default();
            let Some(token) = value.strip_prefix(BEARER) else {
                return Err(TwirpError::unauthenticated(
                    "invalid authorization header. Must start with Bearer ",
                ));
            };
            token.trim().to_owned()
        }
        None => match query.and_then(access_token_param) {
            Some(token) => token,
            None => return Ok(None),
        },
    };
    keys.verify(&token).map(Some)
}

fn access_token_param(query: &str) -> Option<String> {
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(name, _)| name == "access_token")
        .map(|(_, value)| value.into_owned())
        .filter(|token| !token.is_empty())
}

/// The grant a RoomService method requires (LiveKit `pkg/service/auth.go`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant<'a> {
    /// `video.roomCreate`: CreateRoom, DeleteRoom.
    Create,
    /// `video.roomList`: ListRooms.
    List,
    /// `video.roomAdmin` and `video.room` equal to the request's room: everything else.
    Admin { room: &'a str },
}

impl Grant<'_> {
    /// `Ok` when `claims` carry this grant; `unauthenticated` "permissions denied" otherwise.
    pub fn check(self, claims: Option<&Claims>) -> Result<(), TwirpError> {
        let Some(video) = claims.map(|c| &c.video) else {
            return Err(TwirpError::permission_denied());
        };
        let allowed = match self {
            Grant::Create => video.room_create,
            Grant::List => video.room_list,
            Grant::Admin { room } => video.room_admin && video.room == room,
        };
        if allowed {
            Ok(())
        } else {
            Err(TwirpError::permission_denied())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use livekit_api::access_token::{AccessToken, VideoGrants};

    fn token(key: &str, secret: &str, grants: VideoGrants) -> String {
        AccessToken::with_api_key(key, secret)
            .with_grants(grants)
            .to_jwt()
            .unwrap()
    }

    fn bearer(token: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, format!("Bearer {token}").parse().unwrap());
        headers
    }

    #[test]
    fn secret_is_chosen_by_issuer() {
        let keys = ApiKeys::new([("k1", "secret-one"), ("k2", "secret-two")]);
        let t = token(
            "k2",
            "secret-two",
            VideoGrants {
                room_list: true,
                ..Default::default()
            },
        );
        let claims = authenticate(&keys, &bearer(&t), None).unwrap().unwrap();
        assert_eq!(claims.iss, "k2");
        assert!(Grant::List.check(Some(&claims)).is_ok());
        assert!(Grant::Create.check(Some(&claims)).is_err());

        let forged = token("k2", "secret-one", VideoGrants::default());
        let err = authenticate(&keys, &bearer(&forged), None).unwrap_err();
        assert_eq!(err.code.status(), 401);
        let unknown = token("k3", "secret-one", VideoGrants::default());
        assert_eq!(
            authenticate(&keys, &bearer(&unknown), None)
                .unwrap_err()
                .msg,
            "invalid API key"
        );
    }

    #[test]
    fn header_must_be_bearer_and_absence_defers_to_grants() {
        let keys = ApiKeys::single("k", "s");
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, "Basic abc".parse().unwrap());
        assert_eq!(
            authenticate(&keys, &headers, None)
                .unwrap_err()
                .code
                .status(),
            401
        );

        let none = authenticate(&keys, &HeaderMap::new(), None).unwrap();
        assert!(none.is_none());
        assert_eq!(
            Grant::List.check(None).unwrap_err().msg,
            "permissions denied"
        );

        let t = token(
            "k",
            "s",
            VideoGrants {
                room_create: true,
                ..Default::default()
            },
        );
        let query = format!("foo=1&access_token={t}");
        let claims = authenticate(&keys, &HeaderMap::new(), Some(&query)).unwrap();
        assert!(Grant::Create.check(claims.as_ref()).is_ok());
    }

    #[test]
    fn admin_grant_needs_the_same_room() {
        let claims = Claims {
            video: VideoGrants {
                room_admin: true,
                room: "a".into(),
                ..Default::default()
            },
            ..Default::default()
        };
        assert!(Grant::Admin { room: "a" }.check(Some(&claims)).is_ok());
        assert!(Grant::Admin { room: "b" }.check(Some(&claims)).is_err());
        assert!(Grant::Admin { room: "" }.check(Some(&claims)).is_err());
        assert!(Grant::Create.check(Some(&claims)).is_err());
    }

    #[test]
    fn debug_hides_secrets() {
        let shown = format!("{:?}", ApiKeys::single("APIkey", "topsecret"));
        assert!(shown.contains("APIkey") && !shown.contains("topsecret"));
        assert!(ApiKeys::new([("k", "")]).is_empty());
    }
}
