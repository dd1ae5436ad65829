//! `POST /api/streams/{id}/token`.

use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::routing::post;
use axum::{Json, Router};
use onair_domain::{RoomName, StreamId, StreamStatus};
use onair_store::Store;
use rand::RngCore;
use serde::Serialize;
use url::Url;
use utoipa::ToSchema;

use crate::config::{MediaMode, WebConfig};
use crate::error::{AppError, AppResult};
use crate::extract::{MaybeUser, PathId};
use crate::ops::ratelimit::Class;
use crate::state::AppState;
use crate::streams::service;
use crate::tokens::mint::{self, TokenRequest, TokenRole};

pub fn router<S: Store>() -> Router<AppState<S>> {
    Router::new().route("/api/streams/{id}/token", post(issue::<S>))
}

/// A signed LiveKit token and where to use it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenResponse {
    pub token: String,
    /// WebSocket URL of the media server (`ws://…` or `wss://…`).
    pub server_url: String,
    pub role: TokenRole,
    /// The participant identity in the room: the account id, or `guest-…`.
    pub identity: String,
}

/// Mints a token for the stream's room: publish grants for its creator, subscribe-only for
/// everyone else (guests included, with a generated identity).
#[utoipa::path(post, path = "/api/streams/{id}/token", tag = "tokens",
    params(("id" = String, Path, description = "stream id")),
    responses((status = 200, body = TokenResponse), (status = 403, description = "banned: removed from this stream"),
              (status = 404), (status = 410, description = "stream ended or deleted"),
              (status = 429, description = "rate_limited, or stream_full: every viewer seat is taken; Retry-After says when to ask again")))]
pub async fn issue<S: Store>(
    State(state): State<AppState<S>>,
    MaybeUser(account): MaybeUser,
    PathId(id): PathId<StreamId>,
    headers: HeaderMap,
) -> AppResult<Json<TokenResponse>> {
    if let Some(account) = &account {
        state.limits.check_account(Class::Token, account.id)?;
    }
    let stream = service::visible(&state, id).await?;
    if stream.status == StreamStatus::Ended {
        return Err(AppError::Gone("this stream has ended".into()));
    }
    let (identity, name) = match &account {
        Some(a) => (a.id.to_string(), a.name.clone()),
        None => {
            let mut bytes = [0u8; 8];
            rand::rng().fill_bytes(&mut bytes);
            let suffix: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            (format!("guest-{suffix}"), "Guest".to_owned())
        }
    };
    if state.store.is_banned(stream.id, &identity).await? {
        return Err(AppError::Banned);
    }
    let role = if account.as_ref().is_some_and(|a| a.id == stream.creator.id) {
        TokenRole::Creator
    } else {
        TokenRole::Viewer
    };
    if role == TokenRole::Viewer {
        seat_for(&state, &stream.room_name, &identity)?;
    }
    let ttl = match role {
        TokenRole::Creator => state.config.creator_token_ttl,
        TokenRole::Viewer => state.config.viewer_token_ttl,
    };
    let token = mint::mint(
        &state.config.livekit,
        &TokenRequest {
            room: &stream.room_name,
            identity: &identity,
            name: &name,
            role,
            signed_in: account.is_some(),
            ttl,
        },
    )
    .map_err(AppError::internal)?;
    if role == TokenRole::Creator {
        state
            .rooms
            .ensure_room(stream.room_name.as_str().to_owned());
    }
    metrics::counter!("onair_tokens_issued_total", "role" => role.as_str()).increment(1);
    Ok(Json(TokenResponse {
        token,
        server_url: server_url(&state.config, &headers),
        role,
        identity,
    }))
}

/// A viewer gets a token only while the room has a seat for it beside the creator's: the media
/// server counts everyone against `max_participants`, so viewers filling the room would lock a
/// rejoining creator out of their own stream. A viewer already counted (a reload, a second tab)
/// keeps its seat. The count comes from webhooks, so viewers who hold a token but have not
/// joined yet can still race past it; the media server's own limit then refuses them.
fn seat_for<S: Store>(state: &AppState<S>, room: &RoomName, identity: &str) -> AppResult<()> {
    let max = state.config.max_participants;
    if max == 0 {
        return Ok(());
    }
    let viewers = state.presence.viewers(room.as_str());
    if viewers < max - 1 || state.presence.has_viewer(room.as_str(), identity) {
        return Ok(());
    }
    metrics::counter!("onair_tokens_refused_total", "reason" => "stream_full").increment(1);
    Err(AppError::StreamFull { viewers })
}

/// Where clients connect: LiveKit's URL in external mode; in embedded mode this very server,
/// as the public URL names it or as the request reached it.
pub fn server_url(config: &WebConfig, headers: &HeaderMap) -> String {
    if let MediaMode::External { url } = &config.livekit.mode {
        return url.as_str().trim_end_matches('/').to_owned();
    }
    if let Some(public) = &config.public_url {
        return ws_of(public);
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1:8080");
    let https = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .is_some_and(|p| {
            p.split(',')
                .next()
                .unwrap_or("")
                .trim()
                .eq_ignore_ascii_case("https")
        });
    format!("{}://{host}", if https { "wss" } else { "ws" })
}

fn ws_of(url: &Url) -> String {
    let base = url.as_str().trim_end_matches('/');
    if let Some(rest) = base.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if let Some(rest) = base.strip_prefix("http://") {
        format!("ws://{rest}")
    } else {
        base.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;
    use crate::config::{LiveKitConfig, Secret};

    fn config(mode: MediaMode, public: Option<&str>) -> WebConfig {
        let mut c = WebConfig::new(LiveKitConfig {
            mode,
            api_key: "k".into(),
            api_secret: Secret::new("s"),
        });
        c.public_url = public.map(|p| p.parse().unwrap());
        c
    }

    #[test]
    fn server_url_follows_mode_public_url_and_request() {
        let embedded = MediaMode::Embedded {
            room_service_url: "http://127.0.0.1:1".parse().unwrap(),
        };
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("10.0.0.5:9000"));
        assert_eq!(
            server_url(&config(embedded.clone(), None), &h),
            "ws://10.0.0.5:9000"
        );
        h.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        assert_eq!(
            server_url(&config(embedded.clone(), None), &h),
            "wss://10.0.0.5:9000"
        );
        assert_eq!(
            server_url(&config(embedded, Some("https://live.example.com/")), &h),
            "wss://live.example.com"
        );
        let external = MediaMode::External {
            url: "wss://lk.example.com".parse().unwrap(),
        };
        assert_eq!(
            server_url(&config(external, None), &h),
            "wss://lk.example.com"
        );
    }
}
