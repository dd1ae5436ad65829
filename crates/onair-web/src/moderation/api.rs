//! `POST /api/streams/{id}/participants/{identity}/remove`.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::routing::post;
use axum::{Json, Router};
use onair_domain::StreamId;
use onair_store::Store;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{AppError, AppResult};
use crate::extract::AuthUser;
use crate::moderation::service;
use crate::state::AppState;

pub fn router<S: Store>() -> Router<AppState<S>> {
    Router::new().route(
        "/api/streams/{id}/participants/{identity}/remove",
        post(remove::<S>),
    )
}

/// The outcome of a removal.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RemovalView {
    /// The removed identity.
    pub identity: String,
    /// Always true: the identity can no longer get a token for this stream.
    pub banned: bool,
    /// Whether a connected participant was disconnected (false when it was not in the room,
    /// or the media server could not be reached).
    pub disconnected: bool,
}

/// Removes a participant from the stream's room and bans the identity from the stream: its
/// token stops working and no new one is issued. Creator of the stream or admin.
#[utoipa::path(post, path = "/api/streams/{id}/participants/{identity}/remove", tag = "moderation",
    params(("id" = String, Path, description = "stream id"),
           ("identity" = String, Path, description = "participant identity (the token response's `identity`)")),
    responses((status = 200, body = RemovalView), (status = 400), (status = 401),
              (status = 403, description = "not the creator or an admin"), (status = 404),
              (status = 410, description = "stream ended or deleted"),
              (status = 422, description = "the creator, or yourself"), (status = 429)))]
pub async fn remove<S: Store>(
    State(state): State<AppState<S>>,
    AuthUser(account): AuthUser,
    path: Result<Path<(String, String)>, PathRejection>,
) -> AppResult<Json<RemovalView>> {
    let Path((id, identity)) = path.map_err(|e| AppError::BadRequest(e.body_text()))?;
    let id: StreamId = id
        .parse()
        .map_err(|_| AppError::BadRequest(format!("invalid stream id {id:?}")))?;
    let removed = service::remove(&state, &account, id, &identity).await?;
    Ok(Json(RemovalView {
        identity,
        banned: true,
        disconnected: removed.disconnected,
    }))
}
