//! `/api/streams*`: parse and validate, call the service, render the view.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use onair_domain::{AccountId, StreamDescription, StreamId, StreamStatus, StreamTitle};
use onair_store::{Page, Store, StreamFilter, StreamPatch};
use serde::{Deserialize, Deserializer};
use utoipa::{IntoParams, ToSchema};

use crate::error::{AppError, AppResult, FieldErrors};
use crate::extract::{ApiJson, AuthUser, PathId};
use crate::ops::ratelimit::Class;
use crate::state::AppState;
use crate::streams::service::{self, EditInput, NewStreamInput};
use crate::streams::view::{Pagination, StreamList, StreamView};

pub fn router<S: Store>() -> Router<AppState<S>> {
    Router::new()
        .route("/api/streams", post(create::<S>))
        .route("/api/streams/list", get(list::<S>))
        .route(
            "/api/streams/{id}",
            get(get_one::<S>).patch(patch::<S>).delete(delete::<S>),
        )
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateStreamRequest {
    /// 1–120 characters.
    pub title: String,
    /// Up to 2000 characters.
    pub description: Option<String>,
    /// RFC 3339 date-time in the future.
    pub scheduled_for: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PatchStreamRequest {
    pub title: Option<String>,
    pub description: Option<String>,
    /// RFC 3339 date-time in the future; `null` clears it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub scheduled_for: Option<Option<String>>,
    /// `LIVE` (go live: charges the go-live cost) or `ENDED`.
    pub status: Option<String>,
}

/// Distinguishes an explicit `null` (Some(None)) from an absent field (None).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

fn parse_schedule(raw: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, &'static str> {
    let at = DateTime::parse_from_rfc3339(raw)
        .map_err(|_| "must be an RFC 3339 date-time like 2030-01-31T18:00:00Z")?
        .with_timezone(&Utc);
    if at <= now {
        return Err("must be in the future");
    }
    Ok(at)
}

/// Creates a SCHEDULED stream owned by the caller.
#[utoipa::path(post, path = "/api/streams", tag = "streams", request_body = CreateStreamRequest,
    responses((status = 201, body = StreamView), (status = 401), (status = 422), (status = 429)))]
pub async fn create<S: Store>(
    State(state): State<AppState<S>>,
    AuthUser(account): AuthUser,
    ApiJson(req): ApiJson<CreateStreamRequest>,
) -> AppResult<(StatusCode, Json<StreamView>)> {
    state.limits.check_account(Class::Create, account.id)?;
    let mut errors = FieldErrors::default();
    let title = errors.check(StreamTitle::parse(&req.title));
    let description = errors.check(StreamDescription::parse(
        req.description.as_deref().unwrap_or(""),
    ));
    let scheduled_for = match req.scheduled_for.as_deref() {
        None => None,
        Some(raw) => match parse_schedule(raw, Utc::now()) {
            Ok(at) => Some(at),
            Err(msg) => {
                errors.add("scheduledFor", msg);
                None
            }
        },
    };
    errors.finish()?;
    let (Some(title), Some(description)) = (title, description) else {
        return Err(AppError::BadRequest("invalid input".into()));
    };
    let input = NewStreamInput {
        title,
        description,
        scheduled_for,
    };
    let stream = service::create(&state, &account, input).await?;
    Ok((StatusCode::CREATED, Json(stream.into())))
}

/// One stream.
#[utoipa::path(get, path = "/api/streams/{id}", tag = "streams",
    params(("id" = String, Path, description = "stream id")),
    responses((status = 200, body = StreamView), (status = 400), (status = 404), (status = 410)))]
pub async fn get_one<S: Store>(
    State(state): State<AppState<S>>,
    PathId(id): PathId<StreamId>,
) -> AppResult<Json<StreamView>> {
    Ok(Json(service::visible(&state, id).await?.into()))
}

/// Edits fields and/or moves the status (`LIVE`, `ENDED`). Creator or admin only.
#[utoipa::path(patch, path = "/api/streams/{id}", tag = "streams", request_body = PatchStreamRequest,
    params(("id" = String, Path, description = "stream id")),
    responses((status = 200, body = StreamView), (status = 402, description = "insufficient credits"),
              (status = 403), (status = 404), (status = 409, description = "lost a race or invalid transition"),
              (status = 410), (status = 422)))]
pub async fn patch<S: Store>(
    State(state): State<AppState<S>>,
    AuthUser(account): AuthUser,
    PathId(id): PathId<StreamId>,
    ApiJson(req): ApiJson<PatchStreamRequest>,
) -> AppResult<Json<StreamView>> {
    let mut errors = FieldErrors::default();
    let mut fields = StreamPatch::default();
    if let Some(raw) = &req.title {
        fields.title = errors.check(StreamTitle::parse(raw));
    }
    if let Some(raw) = &req.description {
        fields.description = errors.check(StreamDescription::parse(raw));
    }
    match &req.scheduled_for {
        None => {}
        Some(None) => fields.scheduled_for = Some(None),
        Some(Some(raw)) => match parse_schedule(raw, Utc::now()) {
            Ok(at) => fields.scheduled_for = Some(Some(at)),
            Err(msg) => errors.add("scheduledFor", msg),
        },
    }
    let status = match req.status.as_deref() {
        None => None,
        Some(raw) => match StreamStatus::parse(raw) {
            Some(s @ (StreamStatus::Live | StreamStatus::Ended)) => Some(s),
            _ => {
                errors.add("status", "must be \"LIVE\" or \"ENDED\"");
                None
            }
        },
    };
    let nothing = req.title.is_none()
        && req.description.is_none()
        && req.scheduled_for.is_none()
        && req.status.is_none();
    if nothing {
        errors.add(
            "body",
            "give at least one of title, description, scheduledFor, status",
        );
    }
    errors.finish()?;
    let stream = service::edit(&state, &account, id, EditInput { fields, status }).await?;
    Ok(Json(stream.into()))
}

/// Ends the stream if needed and removes it from listings. Creator or admin only.
#[utoipa::path(delete, path = "/api/streams/{id}", tag = "streams",
    params(("id" = String, Path, description = "stream id")),
    responses((status = 204), (status = 403), (status = 404), (status = 410)))]
pub async fn delete<S: Store>(
    State(state): State<AppState<S>>,
    AuthUser(account): AuthUser,
    PathId(id): PathId<StreamId>,
) -> AppResult<StatusCode> {
    service::delete(&state, &account, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Query of `GET /api/streams/list`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// `LIVE`, `SCHEDULED` or `ENDED` (any case).
    pub status: Option<String>,
    /// 1-based page, default 1.
    pub page: Option<String>,
    /// 1–50, default 10.
    pub limit: Option<String>,
    /// Only this creator's streams (account id).
    pub creator: Option<String>,
    /// Case-insensitive search in title and description.
    pub q: Option<String>,
}

/// Public listing, newest/most relevant first per status.
#[utoipa::path(get, path = "/api/streams/list", tag = "streams", params(ListParams),
    responses((status = 200, body = StreamList), (status = 422)))]
pub async fn list<S: Store>(
    State(state): State<AppState<S>>,
    query: Result<Query<ListParams>, QueryRejection>,
) -> AppResult<Json<StreamList>> {
    let Query(params) = query.map_err(|e| AppError::BadRequest(e.body_text()))?;
    let mut errors = FieldErrors::default();
    let status = params
        .status
        .as_deref()
        .filter(|s| !s.is_empty())
        .and_then(|s| {
            let parsed = StreamStatus::parse(s);
            if parsed.is_none() {
                errors.add("status", "must be LIVE, SCHEDULED or ENDED");
            }
            parsed
        });
    let page = number(&mut errors, "page", params.page.as_deref(), 1, 1, 1_000_000);
    let limit = number(&mut errors, "limit", params.limit.as_deref(), 10, 1, 50);
    let creator = params
        .creator
        .as_deref()
        .filter(|s| !s.is_empty())
        .and_then(|s| {
            let parsed = s.parse::<AccountId>().ok();
            if parsed.is_none() {
                errors.add("creator", "must be an account id");
            }
            parsed
        });
    let query = params
        .q
        .as_deref()
        .map(str::trim)
        .filter(|q| !q.is_empty())
        .map(str::to_owned);
    if query.as_ref().is_some_and(|q| q.chars().count() > 100) {
        errors.add("q", "must be at most 100 characters");
    }
    errors.finish()?;
    let filter = StreamFilter {
        status,
        creator,
        query,
        page: Page { page, limit },
    };
    let (streams, total) = state.store.list_streams(&filter).await?;
    Ok(Json(StreamList {
        streams: streams.into_iter().map(StreamView::from).collect(),
        pagination: Pagination::new(page, limit, total),
    }))
}

fn number(
    errors: &mut FieldErrors,
    field: &str,
    raw: Option<&str>,
    default: u32,
    min: u32,
    max: u32,
) -> u32 {
    match raw.filter(|s| !s.is_empty()) {
        None => default,
        Some(s) => match s.parse::<u32>() {
            Ok(n) if (min..=max).contains(&n) => n,
            _ => {
                errors.add(field, format!("must be a whole number from {min} to {max}"));
                default
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_must_be_future_rfc3339() {
        let now = Utc::now();
        assert!(parse_schedule("2999-01-01T00:00:00Z", now).is_ok());
        assert_eq!(
            parse_schedule("2000-01-01T00:00:00Z", now),
            Err("must be in the future")
        );
        assert!(parse_schedule("tomorrow", now).is_err());
    }

    #[test]
    fn pagination_counts_pages() {
        assert_eq!(Pagination::new(1, 10, 0).pages, 0);
        assert_eq!(Pagination::new(1, 10, 10).pages, 1);
        assert_eq!(Pagination::new(1, 10, 11).pages, 2);
    }
}
