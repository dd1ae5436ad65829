//! Typed ids. A malformed id in a URL fails to parse, so handlers answer 400 before touching state.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Why a string is not an id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not a valid {kind} id")]
pub struct IdError {
    /// Which id was expected ("stream", "account").
    pub kind: &'static str,
    /// The rejected input, truncated so an attacker cannot make error messages large.
    pub value: String,
}

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A new id. UUIDv7 ids sort by creation time, which keeps index inserts local.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            /// Wraps a UUID read back from storage.
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// The underlying UUID.
            pub const fn as_uuid(&self) -> &Uuid {
                &self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0.as_hyphenated(), f)
            }
        }

        impl FromStr for $name {
            type Err = IdError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::try_parse(s).map(Self).map_err(|_| IdError {
                    kind: $kind,
                    value: s.chars().take(64).collect(),
                })
            }
        }
    };
}

uuid_id!(
    /// An account (creator, viewer or admin). Also the LiveKit identity of a signed-in participant.
    AccountId,
    "account"
);
uuid_id!(
    /// A stream. Its room name is derived from it ([`RoomName::for_stream`]).
    StreamId,
    "stream"
);

/// The LiveKit room that carries one stream. One room per stream is the isolation boundary:
/// a token for one stream's room can never join another's.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RoomName(String);

impl RoomName {
    const PREFIX: &'static str = "stream-";

    /// The room of a stream: `stream-<uuid>`.
    pub fn for_stream(id: StreamId) -> Self {
        Self(format!("{}{id}", Self::PREFIX))
    }

    /// The stream a room belongs to, if the room is one of OnAir's stream rooms.
    pub fn stream_id(&self) -> Option<StreamId> {
        self.0.strip_prefix(Self::PREFIX)?.parse().ok()
    }

    /// Wraps a room name read from storage or a webhook.
    pub fn from_raw(name: impl Into<String>) -> Self {
        Self(name.into())
    }

    /// The name as LiveKit sees it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RoomName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_strings_and_json() {
        let id = StreamId::new();
        assert_eq!(id.to_string().parse::<StreamId>(), Ok(id));
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{id}\""));
        assert_eq!(serde_json::from_str::<StreamId>(&json).unwrap(), id);
    }

    #[test]
    fn malformed_ids_are_rejected_with_a_bounded_message() {
        let long = "x".repeat(10_000);
        let err = long.parse::<AccountId>().unwrap_err();
        assert_eq!(err.kind, "account");
        assert_eq!(err.value.len(), 64);
        assert!("not-a-uuid".parse::<StreamId>().is_err());
        assert!("".parse::<StreamId>().is_err());
    }

    #[test]
    fn room_names_map_back_to_their_stream() {
        let id = StreamId::new();
        let room = RoomName::for_stream(id);
        assert!(room.as_str().starts_with("stream-"));
        assert_eq!(room.stream_id(), Some(id));
        assert_eq!(RoomName::from_raw("lobby").stream_id(), None);
        assert_eq!(RoomName::from_raw("stream-nope").stream_id(), None);
    }

    #[test]
    fn v7_ids_sort_by_creation() {
        let a = StreamId::new();
        let b = StreamId::new();
        assert!(a < b);
    }
}
