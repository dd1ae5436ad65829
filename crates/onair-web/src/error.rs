//! One error type for the HTTP edge, rendered as `{"error": {"code", "message", "fields"?}}`.
//!
//! Rules: every 4xx carries a stable `code` clients can branch on and a message that says what to
//! fix; 5xx are logged once here with their cause chain and shown only as `internal`.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use onair_domain::{Credits, StreamError, ValidationError};
use onair_store::StoreError;
use serde::Serialize;

/// Everything a handler can answer instead of success.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Input parsed but failed a rule; `fields` maps each JSON field to what is wrong with it.
    #[error("validation failed")]
    Validation(BTreeMap<String, String>),
    /// A request that is wrong as a whole (bad query string, bad id in the path).
    #[error("{0}")]
    BadRequest(String),
    #[error("malformed JSON: {0}")]
    MalformedJson(String),
    #[error("expected Content-Type: application/json")]
    UnsupportedMediaType,
    #[error("request body larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("sign in required")]
    Unauthenticated,
    /// Wrong email or password (deliberately not saying which).
    #[error("invalid email or password")]
    InvalidCredentials,
    /// A webhook whose signature, body hash or expiry did not verify.
    #[error("webhook verification failed: {0}")]
    InvalidSignature(String),
    #[error("{0}")]
    Forbidden(&'static str),
    /// The stream's creator or a moderator removed this identity from the stream.
    #[error("you were removed from this stream")]
    Banned,
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Gone(String),
    #[error("{0}")]
    Conflict(String),
    #[error("insufficient credits: balance {balance}, cost {cost}")]
    InsufficientCredits { balance: Credits, cost: Credits },
    #[error("too many requests, retry in {} s", retry_after.as_secs().max(1))]
    RateLimited { retry_after: Duration },
    /// Every viewer seat of the stream's room is taken (one is kept for its creator).
    #[error("this stream is full ({viewers} watching); try again in a moment")]
    StreamFull { viewers: u32 },
    /// Anything unexpected; the cause is logged and never shown.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl AppError {
    /// One invalid field.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(BTreeMap::from([(field.into(), message.into())]))
    }

    pub fn internal(err: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Internal(Box::new(err))
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::BadRequest(_) | Self::MalformedJson(_) => StatusCode::BAD_REQUEST,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unauthenticated | Self::InvalidCredentials | Self::InvalidSignature(_) => {
                StatusCode::UNAUTHORIZED
            }
            Self::Forbidden(_) | Self::Banned => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Gone(_) => StatusCode::GONE,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::InsufficientCredits { .. } => StatusCode::PAYMENT_REQUIRED,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            // A refusal with a time to come back, not a server failure (a 5xx would be logged as
            // an error and could make a proxy eject a healthy instance).
            Self::StreamFull { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Validation(_) => "validation_failed",
            Self::BadRequest(_) => "bad_request",
            Self::MalformedJson(_) => "malformed_json",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::PayloadTooLarge { .. } => "payload_too_large",
            Self::Unauthenticated => "unauthenticated",
            Self::InvalidCredentials => "invalid_credentials",
            Self::InvalidSignature(_) => "invalid_signature",
            Self::Forbidden(_) => "forbidden",
            Self::Banned => "banned",
            Self::NotFound(_) => "not_found",
            Self::Gone(_) => "gone",
            Self::Conflict(_) => "conflict",
            Self::InsufficientCredits { .. } => "insufficient_credits",
            Self::RateLimited { .. } => "rate_limited",
            Self::StreamFull { .. } => "stream_full",
            Self::Internal(_) => "internal",
        }
    }
}

/// When a viewer turned away from a full stream should ask again: seats free as viewers leave.
const STREAM_FULL_RETRY_SECS: u64 = 15;

#[derive(Serialize)]
struct Body<'a> {
    error: ErrorBody<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ErrorBody<'a> {
    code: &'a str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    fields: Option<&'a BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    balance: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cost: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    retry_after: Option<u64>,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let Self::Internal(cause) = &self {
            tracing::error!(error = %onair_control::error_chain(cause.as_ref()), "request failed");
        }
        let retry_after = match &self {
            Self::RateLimited { retry_after } => Some(retry_after.as_secs().max(1)),
            Self::StreamFull { .. } => Some(STREAM_FULL_RETRY_SECS),
            _ => None,
        };
        let (balance, cost) = match &self {
            Self::InsufficientCredits { balance, cost } => (Some(balance.get()), Some(cost.get())),
            _ => (None, None),
        };
        let message = match &self {
            Self::Validation(fields) => {
                let list: Vec<String> = fields.iter().map(|(f, m)| format!("{f} {m}")).collect();
                format!("invalid input: {}", list.join("; "))
            }
            other => other.to_string(),
        };
        let fields = match &self {
            Self::Validation(fields) => Some(fields),
            _ => None,
        };
        let body = Body {
            error: ErrorBody {
                code: self.code(),
                message,
                fields,
                balance,
                cost,
                retry_after,
            },
        };
        let mut response = (status, Json(body)).into_response();
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

impl From<ValidationError> for AppError {
    fn from(err: ValidationError) -> Self {
        Self::field(err.field, err.message)
    }
}

impl From<StreamError> for AppError {
    fn from(err: StreamError) -> Self {
        Self::Conflict(err.to_string())
    }
}

impl From<StoreError> for AppError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => Self::NotFound("resource"),
            StoreError::Conflict(what) => Self::Conflict(format!("{what} already exists")),
            StoreError::StatusConflict { actual } => Self::Conflict(format!(
                "stream is {actual}; another request changed it first"
            )),
            StoreError::InsufficientCredits { balance, needed } => Self::InsufficientCredits {
                balance,
                cost: needed,
            },
            StoreError::Database(_) => Self::internal(err),
        }
    }
}

/// Collects several field errors so a form answers all its problems at once.
#[derive(Debug, Default)]
pub struct FieldErrors(BTreeMap<String, String>);

impl FieldErrors {
    /// Keeps the value, or records the error and returns `None`.
    pub fn check<T>(&mut self, result: Result<T, ValidationError>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.insert(e.field.to_owned(), e.message);
                None
            }
        }
    }

    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.insert(field.to_owned(), message.into());
    }

    /// `Err` when anything was recorded.
    pub fn finish(self) -> Result<(), AppError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(AppError::Validation(self.0))
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;

/// The error body, for the OpenAPI document.
#[derive(Debug, utoipa::ToSchema)]
#[expect(
    dead_code,
    reason = "documentation only; responses are built by IntoResponse"
)]
pub struct ErrorSchema {
    /// `{"code": "...", "message": "...", "fields"?: {...}, "balance"?, "cost"?, "retryAfter"?}`
    error: std::collections::HashMap<String, serde_json::Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_maps_to_a_status_and_a_code() {
        let cases = [
            (
                AppError::field("title", "must not be empty"),
                422,
                "validation_failed",
            ),
            (AppError::MalformedJson("x".into()), 400, "malformed_json"),
            (
                AppError::UnsupportedMediaType,
                415,
                "unsupported_media_type",
            ),
            (
                AppError::PayloadTooLarge { limit: 1 },
                413,
                "payload_too_large",
            ),
            (AppError::Unauthenticated, 401, "unauthenticated"),
            (AppError::Forbidden("no"), 403, "forbidden"),
            (AppError::Banned, 403, "banned"),
            (AppError::NotFound("stream"), 404, "not_found"),
            (AppError::Gone("ended".into()), 410, "gone"),
            (AppError::Conflict("x".into()), 409, "conflict"),
            (
                AppError::InsufficientCredits {
                    balance: Credits::new(1),
                    cost: Credits::new(10),
                },
                402,
                "insufficient_credits",
            ),
            (
                AppError::RateLimited {
                    retry_after: Duration::from_millis(10),
                },
                429,
                "rate_limited",
            ),
        ];
        for (err, status, code) in cases {
            assert_eq!(err.status().as_u16(), status, "{err:?}");
            assert_eq!(err.code(), code);
        }
    }

    #[test]
    fn store_database_errors_become_internal() {
        let err: AppError = StoreError::Database("disk on fire".into()).into();
        assert_eq!(err.code(), "internal");
        assert!(!err.to_string().contains("disk"));
    }
}
