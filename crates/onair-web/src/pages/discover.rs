//! Discovery: `/` shows the first page of "Live now", "Upcoming" and "Recently ended";
//! `/streams?status=live&page=2` pages through one of them.
//!
//! Each section pages on its own URL rather than `/?live_page=2&ended_page=3`: a listing page
//! can be bookmarked and shared, its links do not have to carry the state of the other two
//! sections, and it takes the same `status`/`page` parameters as `GET /api/streams/list`.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use chrono::Utc;
use onair_domain::StreamStatus;
use onair_store::{Page, Store, StreamFilter};
use serde::Deserialize;

use crate::error::AppError;
use crate::pages::card::Card;
use crate::pages::pager::Pager;
use crate::pages::{Chrome, Ctx, Nav, PageResult, WithChrome, html};
use crate::state::AppState;

/// Cards per section on `/` (two rows of four on a desktop); "See all" leads to the listing.
const HOME_LIMIT: u32 = 8;
/// Cards per listing page (fills 1, 2, 3 and 4 columns evenly).
const LISTING_LIMIT: u32 = 12;

/// One status's listing, as a section of a page.
#[derive(Debug)]
pub(crate) struct Section {
    /// Anchor and heading id (`live`, `upcoming`, `ended`).
    pub slug: &'static str,
    pub title: &'static str,
    pub blurb: &'static str,
    pub cards: Vec<Card>,
    pub total: u64,
    pub pager: Option<Pager>,
    /// The listing of this status (`/streams?status=live`).
    pub all_href: String,
    pub empty_title: &'static str,
    pub empty_text: &'static str,
    pub status_class: &'static str,
}

impl Section {
    fn of(status: StreamStatus) -> Section {
        let (slug, title, blurb, empty_title, empty_text) = match status {
            StreamStatus::Live => (
                "live",
                "Live now",
                "Streams on air right now.",
                "Nobody is live right now",
                "When a creator goes live, their stream shows up here first. Why not be the \
                 first? Open the studio and schedule a stream.",
            ),
            StreamStatus::Scheduled => (
                "upcoming",
                "Upcoming",
                "Scheduled streams, soonest first.",
                "Nothing scheduled yet",
                "Scheduled streams appear here with their start time, so viewers can add them \
                 to a calendar.",
            ),
            StreamStatus::Ended => (
                "ended",
                "Recently ended",
                "Streams that went off air, newest first.",
                "No finished streams yet",
                "Streams land here when they end.",
            ),
        };
        Section {
            slug,
            title,
            blurb,
            cards: Vec::new(),
            total: 0,
            pager: None,
            all_href: format!("/streams?status={}", param(status)),
            empty_title,
            empty_text,
            status_class: match status {
                StreamStatus::Live => "live",
                StreamStatus::Scheduled => "scheduled",
                StreamStatus::Ended => "ended",
            },
        }
    }

    /// Whether the home page shows only part of this section.
    pub fn has_more(&self) -> bool {
        self.total > self.cards.len() as u64
    }
}

fn param(status: StreamStatus) -> &'static str {
    match status {
        StreamStatus::Live => "live",
        StreamStatus::Scheduled => "scheduled",
        StreamStatus::Ended => "ended",
    }
}

/// One page of one status, with links to its other pages.
async fn section<S: Store>(
    state: &AppState<S>,
    status: StreamStatus,
    page: u32,
    limit: u32,
) -> Result<Section, AppError> {
    let filter = StreamFilter {
        status: Some(status),
        creator: None,
        query: None,
        page: Page { page, limit },
    };
    let (streams, total) = state.store.list_streams(&filter).await?;
    let now = Utc::now();
    let mut section = Section::of(status);
    section.cards = streams.iter().map(|s| Card::new(s, now)).collect();
    section.total = total;
    let pages = total.div_ceil(u64::from(limit));
    let base = section.all_href.clone();
    section.pager = Pager::new(
        format!("{} pages", section.title),
        u64::from(page),
        pages,
        |n| format!("{base}&page={n}"),
    );
    Ok(section)
}

#[derive(Template)]
#[template(path = "discover.html")]
struct Home {
    chrome: Chrome,
    sections: Vec<Section>,
}

/// `GET /`.
pub(crate) async fn home<S: Store>(State(state): State<AppState<S>>, ctx: Ctx) -> PageResult {
    let chrome = ctx.chrome(Nav::Discover);
    let mut sections = Vec::with_capacity(3);
    for status in [
        StreamStatus::Live,
        StreamStatus::Scheduled,
        StreamStatus::Ended,
    ] {
        sections.push(section(&state, status, 1, HOME_LIMIT).await.page(&chrome)?);
    }
    Ok(html(StatusCode::OK, &Home { chrome, sections }))
}

#[derive(Debug, Deserialize)]
pub(crate) struct ListingParams {
    status: Option<String>,
    page: Option<String>,
}

#[derive(Template)]
#[template(path = "listing.html")]
struct Listing {
    chrome: Chrome,
    section: Section,
    page: u32,
}

/// `GET /streams?status=live&page=2`.
pub(crate) async fn listing<S: Store>(
    State(state): State<AppState<S>>,
    ctx: Ctx,
    query: Result<Query<ListingParams>, QueryRejection>,
) -> PageResult {
    let chrome = ctx.chrome(Nav::Discover);
    let Query(params) = query
        .map_err(|e| AppError::BadRequest(e.body_text()))
        .page(&chrome)?;
    let status = match params.status.as_deref() {
        None | Some("") => StreamStatus::Live,
        Some(raw) => StreamStatus::parse(raw)
            .ok_or(AppError::NotFound("listing"))
            .page(&chrome)?,
    };
    let page = match params.page.as_deref() {
        None | Some("") => 1,
        Some(raw) => raw
            .parse::<u32>()
            .ok()
            .filter(|p| (1..=1_000_000).contains(p))
            .ok_or_else(|| AppError::BadRequest("page must be a whole number from 1".into()))
            .page(&chrome)?,
    };
    let section = section(&state, status, page, LISTING_LIMIT)
        .await
        .page(&chrome)?;
    Ok(html(
        StatusCode::OK,
        &Listing {
            chrome,
            section,
            page,
        },
    ))
}
