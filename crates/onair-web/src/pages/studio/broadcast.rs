//! `/studio/{id}`: the broadcast room of one stream — the server-rendered frame (status, facts,
//! the end/cancel form that works without JavaScript) that the browser bundle's studio mounts
//! into (`data-onair-studio`) for the preview, device pickers, go live, timer and viewers.
//!
//! Only the stream's creator can broadcast (their token is the one with publish grants); an
//! admin sees the same page without the broadcast controls and can end the stream. Anyone else
//! gets the 403 page, and a signed-out visitor is sent to sign in and back.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::Utc;
use onair_domain::{Role, StreamStatus};
use onair_store::Store;

use crate::error::AppError;
use crate::pages::card::{Card, Time};
use crate::pages::watch::reason_text;
use crate::pages::{Chrome, Ctx, Failure, Nav, PageResult, WithChrome, html};
use crate::state::AppState;
use crate::streams::service;

#[derive(Template)]
#[template(path = "broadcast.html")]
struct BroadcastPage {
    chrome: Chrome,
    csrf: String,
    card: Card,
    status: &'static str,
    started_at: Option<Time>,
    ended_reason: Option<&'static str>,
    /// "End stream" (LIVE) or "Cancel stream" (SCHEDULED); none once ENDED.
    end_label: Option<&'static str>,
    /// The signed-in account is the creator (an admin only manages).
    can_broadcast: bool,
    go_live_cost: i64,
    balance: i64,
}

impl BroadcastPage {
    fn is_ended(&self) -> bool {
        self.status == "ENDED"
    }

    fn can_afford(&self) -> bool {
        self.balance >= self.go_live_cost
    }
}

/// `GET /studio/{id}`.
pub(crate) async fn page<S: Store>(
    State(state): State<AppState<S>>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> PageResult {
    let chrome = ctx.chrome(Nav::Studio);
    let account = super::signed_in(&ctx, &chrome)?;
    let id = super::stream_id(&id, &chrome)?;
    let stream = service::visible(&state, id).await.page(&chrome)?;
    let can_broadcast = stream.creator.id == account.id;
    if !can_broadcast && account.role != Role::Admin {
        return Err(Failure::new(
            &chrome,
            AppError::Forbidden("only the stream's creator can open its studio"),
        ));
    }
    let now = Utc::now();
    let (csrf, _) = ctx.form_token(state.config.is_https());
    let page = BroadcastPage {
        csrf,
        card: Card::new(&stream, now),
        status: stream.status.as_str(),
        started_at: stream.started_at.map(|t| Time::new(t, now)),
        ended_reason: (stream.status == StreamStatus::Ended)
            .then_some(stream.ended_reason.map(reason_text))
            .flatten(),
        end_label: match stream.status {
            StreamStatus::Live => Some("End stream"),
            StreamStatus::Scheduled => Some("Cancel stream"),
            StreamStatus::Ended => None,
        },
        can_broadcast,
        go_live_cost: state.config.go_live_cost.get(),
        balance: account.balance.get(),
        chrome,
    };
    Ok(html(StatusCode::OK, &page))
}
