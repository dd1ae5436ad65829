//! The stream lifecycle: SCHEDULED → LIVE → ENDED, with ENDED terminal.
//!
//! The decision "may this stream move from A to B?" is made here; the store then applies it as
//! a conditional update (`… WHERE status = A`), so two racing requests produce one transition and
//! one 409, never two transitions or two charges.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::account::ValidationError;

/// Where a stream is in its life. Serialized upper-case, as the API has always spoken it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum StreamStatus {
    Scheduled,
    Live,
    Ended,
}

impl StreamStatus {
    pub const ALL: [Self; 3] = [Self::Scheduled, Self::Live, Self::Ended];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Scheduled => "SCHEDULED",
            Self::Live => "LIVE",
            Self::Ended => "ENDED",
        }
    }

    /// Parses the API spelling (case-insensitive, so `?status=live` works too).
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str().eq_ignore_ascii_case(s))
    }

    /// Decides whether moving to `to` is allowed, and what it means.
    pub fn transition(self, to: StreamStatus) -> Result<Transition, StreamError> {
        match (self, to) {
            (Self::Scheduled, Self::Live) => Ok(Transition::GoLive),
            (Self::Scheduled | Self::Live, Self::Ended) => Ok(Transition::End),
            (from, to) if from == to => Err(StreamError::AlreadyInStatus(to)),
            (from, to) => Err(StreamError::InvalidTransition { from, to }),
        }
    }
}

impl fmt::Display for StreamStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An allowed change of status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// SCHEDULED → LIVE: charges the go-live cost once and records `started_at`.
    GoLive,
    /// SCHEDULED or LIVE → ENDED: deletes the room and records `ended_at` and the reason.
    End,
}

impl Transition {
    /// The status a stream must have for this transition to apply.
    pub fn from_statuses(self) -> &'static [StreamStatus] {
        match self {
            Self::GoLive => &[StreamStatus::Scheduled],
            Self::End => &[StreamStatus::Scheduled, StreamStatus::Live],
        }
    }

    pub fn to(self) -> StreamStatus {
        match self {
            Self::GoLive => StreamStatus::Live,
            Self::End => StreamStatus::Ended,
        }
    }
}

/// Why a stream ended. Stored as its `as_str` name and shown to viewers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    /// The creator ended it (PATCH status ENDED or DELETE).
    Creator,
    /// An admin ended it.
    Admin,
    /// The creator's balance could not cover the next metered minute.
    CreditsExhausted,
    /// The creator stayed away longer than the grace period.
    CreatorAbsent,
    /// The media server closed the room (`room_finished`).
    RoomFinished,
    /// Cancelled before it went live.
    Cancelled,
}

impl EndReason {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Creator => "creator",
            Self::Admin => "admin",
            Self::CreditsExhausted => "credits_exhausted",
            Self::CreatorAbsent => "creator_absent",
            Self::RoomFinished => "room_finished",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Creator,
            Self::Admin,
            Self::CreditsExhausted,
            Self::CreatorAbsent,
            Self::RoomFinished,
            Self::Cancelled,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }
}

/// Why a lifecycle request is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StreamError {
    #[error("stream is already {0}")]
    AlreadyInStatus(StreamStatus),
    #[error("a {from} stream cannot become {to}")]
    InvalidTransition {
        from: StreamStatus,
        to: StreamStatus,
    },
}

/// A stream title: 1–120 characters after trimming, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StreamTitle(String);

impl StreamTitle {
    pub const MAX_CHARS: usize = 120;

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let title = raw.trim();
        if title.is_empty() {
            return Err(ValidationError::new("title", "must not be empty"));
        }
        if title.chars().count() > Self::MAX_CHARS {
            return Err(ValidationError::new(
                "title",
                format!("must be at most {} characters", Self::MAX_CHARS),
            ));
        }
        if title.chars().any(char::is_control) {
            return Err(ValidationError::new(
                "title",
                "must not contain control characters",
            ));
        }
        Ok(Self(title.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A stream description: at most 2000 characters (newlines allowed).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StreamDescription(String);

impl StreamDescription {
    pub const MAX_CHARS: usize = 2000;

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let text = raw.trim();
        if text.chars().count() > Self::MAX_CHARS {
            return Err(ValidationError::new(
                "description",
                format!("must be at most {} characters", Self::MAX_CHARS),
            ));
        }
        if text
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
        {
            return Err(ValidationError::new(
                "description",
                "must not contain control characters",
            ));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::StreamStatus::*;
    use super::*;

    #[test]
    fn lifecycle_table() {
        let cases = [
            (Scheduled, Live, Ok(Transition::GoLive)),
            (Scheduled, Ended, Ok(Transition::End)),
            (Live, Ended, Ok(Transition::End)),
            (Live, Live, Err(StreamError::AlreadyInStatus(Live))),
            (Ended, Ended, Err(StreamError::AlreadyInStatus(Ended))),
            (
                Scheduled,
                Scheduled,
                Err(StreamError::AlreadyInStatus(Scheduled)),
            ),
            (
                Live,
                Scheduled,
                Err(StreamError::InvalidTransition {
                    from: Live,
                    to: Scheduled,
                }),
            ),
            (
                Ended,
                Live,
                Err(StreamError::InvalidTransition {
                    from: Ended,
                    to: Live,
                }),
            ),
        ];
        for (from, to, want) in cases {
            assert_eq!(from.transition(to), want, "{from} -> {to}");
        }
    }

    #[test]
    fn transitions_name_their_preconditions() {
        assert_eq!(Transition::GoLive.from_statuses(), &[Scheduled]);
        assert!(Transition::End.from_statuses().contains(&Live));
        assert!(!Transition::End.from_statuses().contains(&Ended));
    }

    #[test]
    fn status_parses_case_insensitively_and_serializes_upper_case() {
        assert_eq!(StreamStatus::parse("live"), Some(Live));
        assert_eq!(StreamStatus::parse("ENDED"), Some(Ended));
        assert_eq!(StreamStatus::parse("paused"), None);
        assert_eq!(serde_json::to_string(&Scheduled).unwrap(), "\"SCHEDULED\"");
    }

    #[test]
    fn titles_are_trimmed_and_bounded() {
        assert_eq!(StreamTitle::parse("  Hello  ").unwrap().as_str(), "Hello");
        assert!(StreamTitle::parse("   ").is_err());
        assert!(StreamTitle::parse(&"é".repeat(120)).is_ok());
        let err = StreamTitle::parse(&"a".repeat(121)).unwrap_err();
        assert_eq!(err.field, "title");
        assert!(StreamTitle::parse("bell\u{7}").is_err());
    }

    #[test]
    fn descriptions_allow_newlines_but_not_other_controls() {
        assert!(StreamDescription::parse("line one\nline two").is_ok());
        assert!(StreamDescription::parse("nul\0").is_err());
        assert!(StreamDescription::parse(&"a".repeat(2001)).is_err());
        assert_eq!(StreamDescription::parse("").unwrap().as_str(), "");
    }

    #[test]
    fn end_reasons_round_trip() {
        for r in [
            EndReason::Creator,
            EndReason::Admin,
            EndReason::CreditsExhausted,
            EndReason::CreatorAbsent,
            EndReason::RoomFinished,
            EndReason::Cancelled,
        ] {
            assert_eq!(EndReason::parse(r.as_str()), Some(r));
        }
    }
}
