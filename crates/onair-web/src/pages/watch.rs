//! `/watch/{id}`: the stream page (title, creator, status, viewers, description, and the player
//! region the browser bundle mounts into), and `/watch/{id}/remind.ics`, the "Remind me" of a
//! scheduled stream as a calendar event — a reminder that needs no account and no JavaScript.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use chrono::{Duration, Utc};
use onair_domain::{EndReason, StreamId, StreamStatus};
use onair_store::{Store, Stream};

use crate::error::AppError;
use crate::pages::card::{Card, Time};
use crate::pages::{Chrome, Ctx, Failure, Nav, PageResult, WithChrome, html};
use crate::state::AppState;
use crate::streams::service;

#[derive(Template)]
#[template(path = "watch.html")]
struct WatchPage {
    chrome: Chrome,
    card: Card,
    description: String,
    status: &'static str,
    scheduled_for: Option<Time>,
    started_at: Option<Time>,
    ended_at: Option<Time>,
    ended_reason: Option<&'static str>,
    /// The signed-in viewer created this stream.
    is_creator: bool,
    /// The creator's participant identity in the room (their account id): the player shows
    /// that participant's tracks and counts everyone else as a viewer.
    creator_id: String,
}

/// Why a stream ended, as a viewer reads it.
pub(crate) fn reason_text(reason: EndReason) -> &'static str {
    match reason {
        EndReason::Creator => "The creator ended the stream.",
        EndReason::Admin => "An administrator ended the stream.",
        EndReason::CreditsExhausted => "The stream ran out of credits.",
        EndReason::CreatorAbsent => "The creator lost their connection and did not come back.",
        EndReason::RoomFinished => "The broadcast finished.",
        EndReason::Cancelled => "The creator cancelled it before it started.",
    }
}

/// The stream behind `/watch/{id}`: malformed ids are as unknown as missing ones (404).
async fn find<S: Store>(
    state: &AppState<S>,
    raw: &str,
    chrome: &Chrome,
) -> Result<Stream, Failure> {
    let id: StreamId = raw
        .parse()
        .map_err(|_| Failure::new(chrome, AppError::NotFound("stream")))?;
    service::visible(state, id).await.page(chrome)
}

/// `GET /watch/{id}`.
pub(crate) async fn page<S: Store>(
    State(state): State<AppState<S>>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> PageResult {
    let chrome = ctx.chrome(Nav::Other);
    let stream = find(&state, &id, &chrome).await?;
    let now = Utc::now();
    let page = WatchPage {
        is_creator: ctx.user.as_ref().is_some_and(|u| u.id == stream.creator.id),
        creator_id: stream.creator.id.to_string(),
        card: Card::new(&stream, now),
        description: stream.description.clone(),
        status: stream.status.as_str(),
        scheduled_for: stream.scheduled_for.map(|t| Time::new(t, now)),
        started_at: stream.started_at.map(|t| Time::new(t, now)),
        ended_at: stream.ended_at.map(|t| Time::new(t, now)),
        ended_reason: (stream.status == StreamStatus::Ended)
            .then_some(stream.ended_reason.map(reason_text))
            .flatten(),
        chrome,
    };
    Ok(html(StatusCode::OK, &page))
}

/// `GET /watch/{id}/remind.ics`: an iCalendar event for a scheduled stream.
pub(crate) async fn calendar<S: Store>(
    State(state): State<AppState<S>>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> PageResult {
    let chrome = ctx.chrome(Nav::Other);
    let stream = find(&state, &id, &chrome).await?;
    let Some(start) = stream
        .scheduled_for
        .filter(|_| stream.status == StreamStatus::Scheduled)
    else {
        return Err(Failure::new(
            &chrome,
            AppError::NotFound("calendar event (the stream has no upcoming start time)"),
        ));
    };
    let url = match &state.config.public_url {
        Some(base) => base
            .join(&format!("watch/{}", stream.id))
            .map(|u| u.to_string())
            .unwrap_or_default(),
        None => String::new(),
    };
    let stamp = |t: chrono::DateTime<Utc>| t.format("%Y%m%dT%H%M%SZ").to_string();
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        "PRODID:-//OnAir//Stream reminder//EN".to_owned(),
        "METHOD:PUBLISH".to_owned(),
        "BEGIN:VEVENT".to_owned(),
        format!("UID:{}@onair", stream.id),
        format!("DTSTAMP:{}", stamp(Utc::now())),
        format!("DTSTART:{}", stamp(start)),
        format!("DTEND:{}", stamp(start + Duration::hours(1))),
        format!(
            "SUMMARY:{}",
            ics_text(&format!("{} (live on OnAir)", stream.title))
        ),
        format!(
            "DESCRIPTION:{}",
            ics_text(&format!(
                "With {}. {}",
                stream.creator.name, stream.description
            ))
        ),
    ];
    if !url.is_empty() {
        lines.push(format!("URL:{}", ics_text(&url)));
    }
    lines.extend([
        "BEGIN:VALARM".to_owned(),
        "ACTION:DISPLAY".to_owned(),
        "TRIGGER:-PT10M".to_owned(),
        format!("DESCRIPTION:{}", ics_text(&stream.title)),
        "END:VALARM".to_owned(),
        "END:VEVENT".to_owned(),
        "END:VCALENDAR".to_owned(),
    ]);
    let body: String = lines.iter().map(|l| fold(l)).collect();
    let disposition =
        HeaderValue::from_str(&format!("attachment; filename=\"onair-{}.ics\"", stream.id))
            .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/calendar; charset=utf-8"),
            ),
            (header::CONTENT_DISPOSITION, disposition),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-cache"),
            ),
        ],
        body,
    )
        .into_response())
}

/// Escapes a TEXT value (RFC 5545 §3.3.11).
fn ics_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Folds a content line at 75 octets (never inside a UTF-8 sequence) and ends it with CRLF.
fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let mut width = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out.push_str("\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_text_is_escaped_and_folded() {
        assert_eq!(ics_text("a,b;c\\d\ne"), "a\\,b\\;c\\\\d\\ne");
        let long = format!("SUMMARY:{}", "é".repeat(60));
        let folded = fold(&long);
        assert!(folded.ends_with("\r\n"));
        for line in folded.trim_end().split("\r\n") {
            assert!(line.len() <= 75, "{} octets", line.len());
        }
        let unfolded = folded.trim_end().replace("\r\n ", "");
        assert_eq!(unfolded, long);
    }
}
