//! `/studio`: the signed-in creator's streams (all statuses) with their actions, the create
//! form, and the credit balance with its ledger. Actions are POST forms that call the same
//! stream service functions as `PATCH`/`DELETE /api/streams/{id}`.

use axum::Form;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDateTime, Utc};
use onair_domain::{StreamDescription, StreamId, StreamStatus, StreamTitle};
use onair_store::{Account, Store};
use serde::Deserialize;

use crate::error::{AppError, FieldErrors};
use crate::ops::ratelimit::Class;
use crate::pages::account::{Errors, sentence};
use crate::pages::{Chrome, Ctx, Failure, Nav, PageResult, WithChrome, html, see_other};
use crate::state::AppState;
use crate::streams::service::{self, EditInput, NewStreamInput};

mod broadcast;
mod view;

pub(crate) use broadcast::page as broadcast;

use view::{Draft, Studio};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct StudioParams {
    page: Option<u32>,
    ledger: Option<u32>,
    notice: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct CreateForm {
    title: String,
    description: String,
    scheduled_for: String,
    csrf: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ActionForm {
    csrf: String,
}

/// `GET /studio`.
pub(crate) async fn page<S: Store>(
    State(state): State<AppState<S>>,
    ctx: Ctx,
    query: Result<Query<StudioParams>, QueryRejection>,
) -> PageResult {
    let chrome = ctx.chrome(Nav::Studio);
    let account = signed_in(&ctx, &chrome)?;
    let params = query.map(|Query(q)| q).unwrap_or_default();
    let notice = match params.notice.as_str() {
        "created" => Some("Stream created. It shows as scheduled until you go live."),
        "ended" => Some("Stream ended."),
        "deleted" => Some("Stream deleted. It no longer appears anywhere on OnAir."),
        _ => None,
    };
    let view = Studio {
        page: params.page.unwrap_or(1).max(1),
        ledger: params.ledger.unwrap_or(1).max(1),
    };
    let page = view
        .render(
            &state,
            &ctx,
            chrome.clone(),
            account,
            notice,
            Draft::default(),
        )
        .await
        .page(&chrome)?;
    Ok(html(StatusCode::OK, &page))
}

/// The signed-in account, or a redirect to sign in and come back.
fn signed_in<'a>(ctx: &'a Ctx, chrome: &Chrome) -> Result<&'a Account, Failure> {
    ctx.user
        .as_ref()
        .ok_or_else(|| Failure::new(chrome, AppError::Unauthenticated))
}

/// A `datetime-local` value (`2030-01-31T18:00`), read as UTC — the form says so.
fn parse_schedule(raw: &str, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>, &'static str> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let at = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(raw, f).ok())
        .or_else(|| {
            DateTime::parse_from_rfc3339(raw)
                .ok()
                .map(|t| t.naive_utc())
        })
        .ok_or("Enter a date and time like 2030-01-31 18:00.")?
        .and_utc();
    if at <= now {
        return Err(
            "Pick a time in the future, or leave it empty to go live whenever you are ready.",
        );
    }
    Ok(Some(at))
}

/// `POST /studio/streams`: create a stream.
pub(crate) async fn create<S: Store>(
    State(state): State<AppState<S>>,
    ctx: Ctx,
    form: Result<Form<CreateForm>, FormRejection>,
) -> PageResult {
    let chrome = ctx.chrome(Nav::Studio);
    let account = signed_in(&ctx, &chrome)?;
    let Form(form) = form
        .map_err(|e| AppError::BadRequest(e.body_text()))
        .page(&chrome)?;
    if !ctx.csrf_ok(&form.csrf) {
        return Err(Failure::csrf(&chrome, "/studio"));
    }
    if let Some(ip) = ctx.ip {
        state.limits.check_ip(Class::Create, ip).page(&chrome)?;
    }
    state
        .limits
        .check_account(Class::Create, account.id)
        .page(&chrome)?;

    let mut errors = FieldErrors::default();
    let title = errors.check(StreamTitle::parse(form.title.trim()));
    let description = errors.check(StreamDescription::parse(form.description.trim()));
    let scheduled_for = match parse_schedule(&form.scheduled_for, Utc::now()) {
        Ok(at) => at,
        Err(message) => {
            errors.add("scheduledFor", message);
            None
        }
    };
    let input = match (errors.finish(), title, description) {
        (Ok(()), Some(title), Some(description)) => NewStreamInput {
            title,
            description,
            scheduled_for,
        },
        (result, ..) => {
            let mut fields = match result {
                Err(AppError::Validation(fields)) => fields,
                _ => Default::default(),
            };
            for message in fields.values_mut() {
                *message = sentence(message);
            }
            let draft = Draft {
                title: form.title,
                description: form.description,
                scheduled_for: form.scheduled_for,
                errors: Errors { fields, form: None },
            };
            let page = Studio { page: 1, ledger: 1 }
                .render(&state, &ctx, chrome.clone(), account, None, draft)
                .await
                .page(&chrome)?;
            return Ok(html(StatusCode::UNPROCESSABLE_ENTITY, &page));
        }
    };
    service::create(&state, account, input)
        .await
        .page(&chrome)?;
    Ok(see_other("/studio?notice=created"))
}

fn stream_id(raw: &str, chrome: &Chrome) -> Result<StreamId, Failure> {
    raw.parse()
        .map_err(|_| Failure::new(chrome, AppError::NotFound("stream")))
}

/// `POST /studio/streams/{id}/end`: end a live stream (or cancel a scheduled one).
pub(crate) async fn end<S: Store>(
    State(state): State<AppState<S>>,
    ctx: Ctx,
    Path(id): Path<String>,
    form: Result<Form<ActionForm>, FormRejection>,
) -> PageResult {
    let (chrome, account, id) = action(&ctx, &id, form)?;
    let input = EditInput {
        status: Some(StreamStatus::Ended),
        ..EditInput::default()
    };
    service::edit(&state, account, id, input)
        .await
        .page(&chrome)?;
    Ok(see_other("/studio?notice=ended"))
}

/// `POST /studio/streams/{id}/delete`: end if needed and remove from every listing.
pub(crate) async fn delete<S: Store>(
    State(state): State<AppState<S>>,
    ctx: Ctx,
    Path(id): Path<String>,
    form: Result<Form<ActionForm>, FormRejection>,
) -> PageResult {
    let (chrome, account, id) = action(&ctx, &id, form)?;
    service::delete(&state, account, id).await.page(&chrome)?;
    Ok(see_other("/studio?notice=deleted"))
}

/// The common checks of a stream action: signed in, well-formed form, valid token, real id.
fn action<'a>(
    ctx: &'a Ctx,
    raw_id: &str,
    form: Result<Form<ActionForm>, FormRejection>,
) -> Result<(Chrome, &'a Account, StreamId), Failure> {
    let chrome = ctx.chrome(Nav::Studio);
    let account = ctx.user.as_ref().ok_or_else(|| {
        // After signing in, come back to the studio rather than to a POST-only URL.
        let mut studio = chrome.clone();
        studio.here = "/studio".into();
        Failure::new(&studio, AppError::Unauthenticated)
    })?;
    let Form(form) = form
        .map_err(|e| AppError::BadRequest(e.body_text()))
        .page(&chrome)?;
    if !ctx.csrf_ok(&form.csrf) {
        return Err(Failure::csrf(&chrome, "/studio"));
    }
    let id = stream_id(raw_id, &chrome)?;
    Ok((chrome, account, id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn schedules_are_future_utc_times() {
        let now = Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap();
        assert_eq!(parse_schedule("", now), Ok(None));
        assert_eq!(
            parse_schedule("2026-11-25T18:30", now),
            Ok(Some(Utc.with_ymd_and_hms(2026, 11, 25, 18, 30, 0).unwrap()))
        );
        assert!(parse_schedule("2026-11-25T11:59", now).is_err());
        assert!(parse_schedule("tomorrow", now).is_err());
        assert!(
            parse_schedule("2030-01-31T18:00:00Z", now)
                .unwrap()
                .is_some()
        );
    }
}
