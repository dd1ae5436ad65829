//! Extractors that turn a request into typed input or a precise error: JSON bodies, path ids,
//! and the signed-in account.

use std::str::FromStr;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use chrono::Utc;
use onair_store::{Account, Store, StoreError};
use serde::de::DeserializeOwned;

use crate::auth::session;
use crate::error::AppError;
use crate::state::AppState;

/// Largest JSON body the API accepts.
pub const JSON_BODY_LIMIT: usize = 64 * 1024;

/// A JSON body. Unlike `axum::Json`, every failure is an [`AppError`] with a stable code:
/// wrong content type → `unsupported_media_type`, unparseable → `malformed_json`, wrong types,
/// missing or unknown fields (types use `deny_unknown_fields`) → `validation_failed` naming the
/// field, too large → `payload_too_large`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, St: Send + Sync> FromRequest<St> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &St) -> Result<Self, AppError> {
        if !is_json(req.headers().get(CONTENT_TYPE)) {
            return Err(AppError::UnsupportedMediaType);
        }
        let bytes = read_body(req, state).await?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Reads the whole body within the router's limit, mapping "too large" to 413.
pub async fn read_body<St: Send + Sync>(req: Request, state: &St) -> Result<Bytes, AppError> {
    Bytes::from_request(req, state)
        .await
        .map_err(|rejection: BytesRejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                AppError::PayloadTooLarge {
                    limit: JSON_BODY_LIMIT,
                }
            } else {
                AppError::BadRequest(rejection.body_text())
            }
        })
}

fn is_json(value: Option<&axum::http::HeaderValue>) -> bool {
    let Some(Ok(value)) = value.map(|v| v.to_str()) else {
        return false;
    };
    let mime = value.split(';').next().unwrap_or("").trim();
    mime.eq_ignore_ascii_case("application/json")
}

/// Parses JSON, naming the offending field when the shape is wrong.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize::<_, T>(de) {
        Ok(v) => Ok(v),
        Err(err) => {
            let path = err.path().to_string();
            let inner = err.into_inner();
            match inner.classify() {
                serde_json::error::Category::Data => {
                    let message = strip_position(&inner.to_string());
                    // A missing field is reported on its parent object: name the field itself.
                    // (Unknown fields and type errors already carry their own path.)
                    let field = match backticked(&message) {
                        Some(name) if message.starts_with("missing field") => {
                            join_path(&path, name)
                        }
                        _ if path == "." => "body".to_owned(),
                        _ => path,
                    };
                    Err(AppError::field(field, message))
                }
                _ => Err(AppError::MalformedJson(strip_position(&inner.to_string()))),
            }
        }
    }
}

fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

fn backticked(message: &str) -> Option<&str> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(&message[start..start + len])
}

fn join_path(parent: &str, field: &str) -> String {
    if parent == "." || parent.is_empty() {
        field.to_owned()
    } else {
        format!("{parent}.{field}")
    }
}

/// A typed id from the path (`/api/streams/{id}`); malformed ids are a 400 before any lookup.
#[derive(Debug, Clone, Copy)]
pub struct PathId<T>(pub T);

impl<T, St> FromRequestParts<St> for PathId<T>
where
    T: FromStr + Send,
    T::Err: std::fmt::Display,
    St: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &St) -> Result<Self, AppError> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|e| AppError::BadRequest(e.body_text()))?;
        raw.parse()
            .map(PathId)
            .map_err(|e: T::Err| AppError::BadRequest(e.to_string()))
    }
}

/// The signed-in account; requests without a valid session are answered 401.
#[derive(Debug, Clone)]
pub struct AuthUser(pub Account);

/// The signed-in account, if any (guests are welcome).
#[derive(Debug, Clone)]
pub struct MaybeUser(pub Option<Account>);

impl<S: Store> FromRequestParts<AppState<S>> for AuthUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState<S>) -> Result<Self, AppError> {
        match MaybeUser::from_request_parts(parts, state).await? {
            MaybeUser(Some(account)) => Ok(Self(account)),
            MaybeUser(None) => Err(AppError::Unauthenticated),
        }
    }
}

impl<S: Store> FromRequestParts<AppState<S>> for MaybeUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState<S>) -> Result<Self, AppError> {
        if let Some(account) = parts.extensions.get::<Account>() {
            return Ok(Self(Some(account.clone())));
        }
        let Some(hash) = session::cookie_hash(&parts.headers) else {
            return Ok(Self(None));
        };
        match state.store.session_account(&hash, Utc::now()).await {
            Ok(account) => {
                parts.extensions.insert(account.clone());
                Ok(Self(Some(account)))
            }
            Err(StoreError::NotFound) => Ok(Self(None)),
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "fields exist to be parsed")]
    struct Input {
        title: String,
        count: u32,
    }

    fn code_and_fields(r: Result<Input, AppError>) -> (String, Vec<String>) {
        match r.unwrap_err() {
            AppError::Validation(f) => ("validation_failed".into(), f.into_keys().collect()),
            other => (other.code().into(), vec![]),
        }
    }

    #[test]
    fn json_errors_name_the_field() {
        let table: &[(&str, &str, &[&str])] = &[
            (r#"{"title":"a","count":1"#, "malformed_json", &[]),
            ("not json", "malformed_json", &[]),
            (r#"{"title":5,"count":1}"#, "validation_failed", &["title"]),
            (r#"{"count":1}"#, "validation_failed", &["title"]),
            (
                r#"{"title":"a","count":1,"x":2}"#,
                "validation_failed",
                &["x"],
            ),
            (
                r#"{"title":"a","count":-1}"#,
                "validation_failed",
                &["count"],
            ),
            ("[]", "validation_failed", &["body"]),
        ];
        for (body, code, fields) in table {
            let (c, f) = code_and_fields(parse_json::<Input>(body.as_bytes()));
            assert_eq!(&c, code, "{body}");
            assert_eq!(
                f,
                fields.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
                "{body}"
            );
        }
    }

    #[test]
    fn content_type_must_be_json() {
        use axum::http::HeaderValue;
        assert!(is_json(Some(&HeaderValue::from_static("application/json"))));
        assert!(is_json(Some(&HeaderValue::from_static(
            "Application/JSON; charset=utf-8"
        ))));
        assert!(!is_json(Some(&HeaderValue::from_static("text/plain"))));
        assert!(!is_json(None));
    }
}
