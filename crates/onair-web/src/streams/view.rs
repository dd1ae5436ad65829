//! The JSON shape of a stream, as stream cards and the player need it.

use chrono::{DateTime, Utc};
use onair_domain::{AccountId, StreamId};
use onair_store::Stream;
use serde::Serialize;
use utoipa::ToSchema;

/// The public face of a stream's creator.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatorView {
    #[schema(value_type = String, format = Uuid)]
    pub id: AccountId,
    pub name: String,
    pub image: Option<String>,
}

/// A stream.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StreamView {
    #[schema(value_type = String, format = Uuid)]
    pub id: StreamId,
    pub title: String,
    pub description: String,
    /// `SCHEDULED`, `LIVE` or `ENDED`.
    #[schema(value_type = String)]
    pub status: &'static str,
    pub scheduled_for: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    /// Why it ended: `creator`, `admin`, `credits_exhausted`, `creator_absent`, `room_finished`, `cancelled`.
    pub ended_reason: Option<&'static str>,
    /// Viewers in the room now (the creator and hidden participants excluded).
    pub participant_count: u32,
    pub peak_viewers: u32,
    /// The LiveKit room carrying this stream.
    pub room_name: String,
    pub creator: CreatorView,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Stream> for StreamView {
    fn from(s: Stream) -> Self {
        Self {
            id: s.id,
            title: s.title,
            description: s.description,
            status: s.status.as_str(),
            scheduled_for: s.scheduled_for,
            started_at: s.started_at,
            ended_at: s.ended_at,
            ended_reason: s.ended_reason.map(|r| r.as_str()),
            participant_count: s.participant_count,
            peak_viewers: s.peak_viewers,
            room_name: s.room_name.as_str().to_owned(),
            creator: CreatorView {
                id: s.creator.id,
                name: s.creator.name,
                image: s.creator.image,
            },
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

/// Where a page sits in the whole listing.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Pagination {
    pub page: u32,
    pub limit: u32,
    pub total: u64,
    pub pages: u64,
}

impl Pagination {
    pub fn new(page: u32, limit: u32, total: u64) -> Self {
        Self {
            page,
            limit,
            total,
            pages: total.div_ceil(u64::from(limit.max(1))),
        }
    }
}

/// A page of streams.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StreamList {
    pub streams: Vec<StreamView>,
    pub pagination: Pagination,
}
