//! The two Twirp encodings: binary protobuf (Rust and Python SDKs) and proto3 JSON (Node SDK).
//!
//! JSON goes through `livekit_protocol`'s pbjson serde impls, which read lowerCamel and
//! snake_case keys, int64 as string or number, enums as name or number, and skip unknown keys;
//! they write lowerCamel keys with defaults omitted, int64 as strings and enums as names —
//! what protobuf-es (Node), `json_format` (Python) and pbjson (Rust) all parse.

use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, StatusCode, header::CONTENT_TYPE};
use serde::{Serialize, de::DeserializeOwned};

use super::error::{Code, TwirpError};

/// Which encoding the request used; the response uses the same one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Protobuf,
    Json,
}

impl Encoding {
    /// From the request's `Content-Type`: the media type before any `;`, case-insensitive.
    /// `None` for anything else, which Twirp answers with `bad_route`.
    pub fn from_headers(headers: &HeaderMap) -> Option<Self> {
        let value = headers.get(CONTENT_TYPE)?.to_str().ok()?;
        let media = value.split(';').next().unwrap_or_default().trim();
        if media.eq_ignore_ascii_case("application/protobuf") {
            Some(Encoding::Protobuf)
        } else if media.eq_ignore_ascii_case("application/json") {
            Some(Encoding::Json)
        } else {
            None
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Encoding::Protobuf => "application/protobuf",
            Encoding::Json => "application/json",
        }
    }

    /// Decodes a request body; a body that does not parse is Twirp `malformed` (400).
    pub fn decode<T>(self, body: &[u8]) -> Result<T, TwirpError>
    where
        T: prost::Message + Default + DeserializeOwned,
    {
        match self {
            Encoding::Protobuf => T::decode(body).map_err(|err| {
                TwirpError::new(
                    Code::Malformed,
                    format!("the protobuf request could not be decoded: {err}"),
                )
            }),
            Encoding::Json => serde_json::from_slice(body).map_err(|err| {
                TwirpError::new(
                    Code::Malformed,
                    format!("the json request could not be decoded: {err}"),
                )
            }),
        }
    }

    /// Encodes a successful response: HTTP 200, the same content type as the request.
    pub fn respond<T>(self, message: &T) -> Response
    where
        T: prost::Message + Serialize,
    {
        let body = match self {
            Encoding::Protobuf => message.encode_to_vec(),
            Encoding::Json => match serde_json::to_vec(message) {
                Ok(body) => body,
                // pbjson refuses enum numbers it has no name for; that is a backend bug.
                Err(err) => {
                    tracing::error!(%err, "response could not be encoded as JSON");
                    return TwirpError::new(Code::Internal, "internal error").into_response();
                }
            },
        };
        let mut response = (StatusCode::OK, body).into_response();
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static(self.content_type()));
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use livekit_protocol as proto;

    fn headers(content_type: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, content_type.parse().unwrap());
        headers
    }

    #[test]
    fn media_type_is_matched_before_parameters_and_case_insensitively() {
        let table = [
            ("application/protobuf", Some(Encoding::Protobuf)),
            ("Application/Protobuf", Some(Encoding::Protobuf)),
            ("application/json", Some(Encoding::Json)),
            ("application/json;charset=UTF-8", Some(Encoding::Json)),
            ("APPLICATION/JSON ; charset=utf-8", Some(Encoding::Json)),
            ("application/x-protobuf", None),
            ("text/plain", None),
            ("application/jsonx", None),
        ];
        for (value, want) in table {
            assert_eq!(Encoding::from_headers(&headers(value)), want, "{value}");
        }
        assert_eq!(Encoding::from_headers(&HeaderMap::new()), None);
    }

    #[test]
    fn json_accepts_camel_and_snake_case_and_ignores_unknown_keys() {
        let camel: proto::CreateRoomRequest = Encoding::Json
            .decode(br#"{"name":"r","emptyTimeout":30,"maxParticipants":"5","future":1}"#)
            .unwrap();
        let snake: proto::CreateRoomRequest = Encoding::Json
            .decode(br#"{"name":"r","empty_timeout":30,"max_participants":5}"#)
            .unwrap();
        assert_eq!(camel, snake);
        assert_eq!(camel.empty_timeout, 30);
        assert_eq!(camel.max_participants, 5);
    }

    #[test]
    fn garbage_is_malformed() {
        let err = Encoding::Json
            .decode::<proto::ListRoomsRequest>(b"{not json")
            .unwrap_err();
        assert_eq!(err.code, Code::Malformed);
        let err = Encoding::Protobuf
            .decode::<proto::ListRoomsRequest>(&[0xff, 0xff])
            .unwrap_err();
        assert_eq!(err.code, Code::Malformed);
    }
}
