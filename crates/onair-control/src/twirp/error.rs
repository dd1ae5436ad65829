//! Twirp errors: the JSON body every LiveKit SDK parses, with Twirp's code → HTTP status table.

use std::collections::BTreeMap;

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header::CONTENT_TYPE};

use crate::backend::RoomError;

/// Twirp's error codes (twirp v8 `errors.go`), the subset a RoomService answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    InvalidArgument,
    Malformed,
    DeadlineExceeded,
    NotFound,
    BadRoute,
    Unauthenticated,
    ResourceExhausted,
    FailedPrecondition,
    Unimplemented,
    Internal,
    Unavailable,
}

impl Code {
    /// The wire spelling in the `code` field.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::InvalidArgument => "invalid_argument",
            Code::Malformed => "malformed",
            Code::DeadlineExceeded => "deadline_exceeded",
            Code::NotFound => "not_found",
            Code::BadRoute => "bad_route",
            Code::Unauthenticated => "unauthenticated",
            Code::ResourceExhausted => "resource_exhausted",
            Code::FailedPrecondition => "failed_precondition",
            Code::Unimplemented => "unimplemented",
            Code::Internal => "internal",
            Code::Unavailable => "unavailable",
        }
    }

    /// Twirp's fixed HTTP status for the code (`ServerHTTPStatusFromErrorCode`).
    pub fn status(self) -> StatusCode {
        match self {
            Code::InvalidArgument | Code::Malformed => StatusCode::BAD_REQUEST,
            Code::DeadlineExceeded => StatusCode::REQUEST_TIMEOUT,
            Code::NotFound | Code::BadRoute => StatusCode::NOT_FOUND,
            Code::Unauthenticated => StatusCode::UNAUTHORIZED,
            Code::ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
            Code::FailedPrecondition => StatusCode::PRECONDITION_FAILED,
            Code::Unimplemented => StatusCode::NOT_IMPLEMENTED,
            Code::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

/// One Twirp error response: `{"code", "msg", "meta"?}` with `Content-Type: application/json`
/// exactly (the Node SDK reads the code only when the header has no parameters).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {msg}", code.as_str())]
pub struct TwirpError {
    pub code: Code,
    pub msg: String,
    /// Extra string context; omitted from the body when empty, as Twirp does.
    pub meta: BTreeMap<String, String>,
}

impl TwirpError {
    pub fn new(code: Code, msg: impl Into<String>) -> Self {
        Self {
            code,
            msg: msg.into(),
            meta: BTreeMap::new(),
        }
    }

    pub fn with_meta(mut self, key: &str, value: impl Into<String>) -> Self {
        self.meta.insert(key.to_owned(), value.into());
        self
    }

    /// Twirp's `InvalidArgumentError(argument, validationMsg)` as LiveKit calls it for limits:
    /// msg `"<argument> <detail>"`, meta `argument = <argument>`.
    pub fn invalid_argument(argument: &str, detail: impl std::fmt::Display) -> Self {
        Self::new(Code::InvalidArgument, format!("{argument} {detail}"))
            .with_meta("argument", argument)
    }

    /// `bad_route` with the meta Twirp adds so the caller sees what was refused.
    pub fn bad_route(msg: impl Into<String>, method: &http::Method, path: &str) -> Self {
        Self::new(Code::BadRoute, msg).with_meta("twirp_invalid_route", format!("{method} {path}"))
    }

    /// LiveKit's answer to a missing or insufficient grant.
    pub fn permission_denied() -> Self {
        Self::new(Code::Unauthenticated, "permissions denied")
    }

    /// A request that could not be authenticated (bad header, bad or expired token, unknown
    /// key). LiveKit answers these with a plain-text 401; OnAir keeps the status and message
    /// but uses the Twirp body, so every SDK also sees the `unauthenticated` code.
    pub fn unauthenticated(msg: impl Into<String>) -> Self {
        Self::new(Code::Unauthenticated, msg)
    }

    fn body(&self) -> Vec<u8> {
        #[derive(serde::Serialize)]
        struct Body<'a> {
            code: &'a str,
            msg: &'a str,
            #[serde(skip_serializing_if = "BTreeMap::is_empty")]
            meta: &'a BTreeMap<String, String>,
        }
        let body = Body {
            code: self.code.as_str(),
            msg: &self.msg,
            meta: &self.meta,
        };
        // A struct of strings always serialises.
        serde_json::to_vec(&body).unwrap_or_default()
    }
}

impl From<RoomError> for TwirpError {
    fn from(err: RoomError) -> Self {
        match err {
            RoomError::NotFound { what } => Self::new(Code::NotFound, what.message()),
            RoomError::InvalidArgument(msg) => Self::new(Code::InvalidArgument, msg),
            RoomError::FailedPrecondition(msg) => Self::new(Code::FailedPrecondition, msg),
            RoomError::ResourceExhausted(msg) => Self::new(Code::ResourceExhausted, msg),
            RoomError::Unavailable(msg) => Self::new(Code::Unavailable, msg),
            RoomError::Internal(cause) => {
                tracing::error!(%cause, "room backend failed");
                Self::new(Code::Internal, "internal error")
            }
        }
    }
}

impl IntoResponse for TwirpError {
    fn into_response(self) -> Response {
        let mut response = (self.code.status(), self.body()).into_response();
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::Missing;

    #[test]
    fn body_omits_empty_meta_and_keeps_codes() {
        let err = TwirpError::from(RoomError::not_found(Missing::Room));
        assert_eq!(err.code.status(), StatusCode::NOT_FOUND);
        assert_eq!(
            String::from_utf8(err.body()).unwrap(),
            r#"{"code":"not_found","msg":"requested room does not exist"}"#
        );
        let err = TwirpError::invalid_argument("metadata size exceeds limits", 10);
        assert_eq!(
            String::from_utf8(err.body()).unwrap(),
            r#"{"code":"invalid_argument","msg":"metadata size exceeds limits 10","meta":{"argument":"metadata size exceeds limits"}}"#
        );
    }

    #[test]
    fn statuses_follow_twirp() {
        let table = [
            (Code::InvalidArgument, 400),
            (Code::Malformed, 400),
            (Code::DeadlineExceeded, 408),
            (Code::NotFound, 404),
            (Code::BadRoute, 404),
            (Code::Unauthenticated, 401),
            (Code::ResourceExhausted, 429),
            (Code::FailedPrecondition, 412),
            (Code::Unimplemented, 501),
            (Code::Internal, 500),
            (Code::Unavailable, 503),
        ];
        for (code, status) in table {
            assert_eq!(code.status().as_u16(), status, "{}", code.as_str());
        }
    }

    #[test]
    fn internal_errors_hide_their_cause() {
        let err = TwirpError::from(RoomError::Internal("lock poisoned at room.rs:42".into()));
        assert_eq!(err.code, Code::Internal);
        assert_eq!(err.msg, "internal error");
    }
}
