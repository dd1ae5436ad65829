//! Typed identifiers: LiveKit's prefixed sids and the names clients choose.
//!
//! LiveKit's Rust and Python SDKs unwrap the `RM_`/`PA_`/`TR_` prefixes, so a sid is only ever
//! made here, with its prefix, and travels typed until it is written into a protobuf.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use rand::Rng;
use rand::distr::Alphanumeric;

/// Length of the random part of a generated sid (LiveKit uses 12 base62 characters).
const SID_RANDOM_LEN: usize = 12;

fn random_suffix() -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(SID_RANDOM_LEN)
        .map(char::from)
        .collect()
}

/// A malformed id: wrong prefix, or empty.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind}: {value:?}")]
pub struct InvalidId {
    /// Which id was being parsed.
    pub kind: &'static str,
    /// What was given.
    pub value: String,
}

macro_rules! sid_type {
    ($(#[$doc:meta])* $name:ident, $prefix:literal, $kind:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Arc<str>);

        impl $name {
            /// The prefix every sid of this kind carries.
            pub const PREFIX: &'static str = $prefix;

            /// A fresh random sid.
            pub fn generate() -> Self {
                Self(format!("{}{}", $prefix, random_suffix()).into())
            }

            /// The sid as sent on the wire.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = InvalidId;
            fn from_str(s: &str) -> Result<Self, InvalidId> {
                if s.len() > $prefix.len() && s.starts_with($prefix) {
                    Ok(Self(s.into()))
                } else {
                    Err(InvalidId { kind: $kind, value: s.to_owned() })
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

sid_type!(
    /// A room's server-assigned id (`RM_…`), new each time a room is created.
    RoomSid, "RM_", "room sid"
);
sid_type!(
    /// A participant session's id (`PA_…`), new on every join.
    ParticipantSid, "PA_", "participant sid"
);
sid_type!(
    /// A published track's id (`TR_…`), made when the server accepts an AddTrackRequest.
    TrackSid, "TR_", "track sid"
);

macro_rules! name_type {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Arc<str>);

        impl $name {
            /// The name as sent on the wire.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = InvalidId;
            fn from_str(s: &str) -> Result<Self, InvalidId> {
                if s.is_empty() || s.len() > 256 {
                    Err(InvalidId { kind: $kind, value: s.to_owned() })
                } else {
                    Ok(Self(s.into()))
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{:?}", &*self.0)
            }
        }
    };
}

name_type!(
    /// A room's name, chosen by whoever minted the token (the `video.room` grant).
    RoomName, "room name"
);
name_type!(
    /// A participant's identity (the token's `sub`), unique within a room.
    Identity, "identity"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_sids_carry_their_prefix_and_parse_back() {
        let p = ParticipantSid::generate();
        assert!(p.as_str().starts_with("PA_"));
        assert_eq!(p.as_str().len(), 3 + SID_RANDOM_LEN);
        assert_eq!(p.as_str().parse::<ParticipantSid>(), Ok(p.clone()));
        assert!(TrackSid::generate().as_str().starts_with("TR_"));
        assert!(RoomSid::generate().as_str().starts_with("RM_"));
        assert_ne!(ParticipantSid::generate(), ParticipantSid::generate());
    }

    #[test]
    fn malformed_ids_are_refused() {
        for bad in ["", "PA_", "TR_abc", "pa_abc"] {
            assert!(bad.parse::<ParticipantSid>().is_err(), "{bad:?}");
        }
        assert!("".parse::<RoomName>().is_err());
        assert!("x".repeat(257).parse::<Identity>().is_err());
        assert!("studio".parse::<RoomName>().is_ok());
    }
}
