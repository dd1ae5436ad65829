//! Server-rendered pages: discovery, sign-in, the studio (with each stream's broadcast room) and
//! the stream page.
//!
//! Every page works without JavaScript. A request flows like an API request — the `Ctx`
//! extractor finds the signed-in account (the same session lookup as `MaybeUser`), the handler
//! validates the form, calls the same service functions as the JSON API, and renders an askama
//! template (checked at compile time) inside the shared layout. Failures become HTML error pages
//! (`error`), never JSON. Form posts carry a CSRF token (`csrf`) on top of the API's Origin
//! check and the cookie's `SameSite=Lax`.
//!
//! # The browser bundle
//!
//! Media is the one thing that needs JavaScript. `frontend/` (TypeScript on LiveKit's
//! `livekit-client`, bundled by esbuild, committed as `assets/app.js` with its source map) mounts
//! into two pages and only those load it: the player on `/watch/{id}` (`data-onair-player`) and
//! the broadcast studio on `/studio/{id}` (`data-onair-studio`). Both pages render a complete
//! state without it (status, times, the end form, a `<noscript>` note), and the bundle talks to
//! the same JSON API (`POST /api/streams/{id}/token`, `PATCH`/`GET /api/streams/{id}`) with the
//! session cookie. Choices the product brief left open:
//!
//! - **Going live** joins the room first, then `PATCH {status: LIVE}` (the one charge; a 402 is
//!   shown with balance and cost before anything is published), then publishes the previewed
//!   tracks (simulcast, dynacast). A stream already LIVE (reload, lost connection) resumes
//!   without a charge; a lost connection retries with backoff, within the grace period.
//! - **Quality**: the viewer's room runs with `adaptiveStream` off so the menu means what it
//!   says: *Auto* asks for the layer that fits the player's size (followed on resize, video
//!   off while the tab is hidden), *High/Medium/Low* pin a layer.
//! - **Sound**: playback starts with sound; when the browser blocks it, the player says so,
//!   shows "Turn sound on" and the mute button reads "Unmute". Volume is remembered, mute not.
//! - **Identity**: a signed-in viewer's identity is their account, so the creator's own watch
//!   page does not join (it would take over the broadcast), and a second tab of the same
//!   viewer shows "Playing in another window" with "Watch here".
//! - **Ended**: the room's deletion (`ROOM_DELETED`) ends the player at once; while the creator
//!   is away (the grace period) the player says so and asks `GET /api/streams/{id}` every 5 s.
//! - **Controls** hide after 3 s without pointer or keyboard activity while video plays, never
//!   while a keyboard user's focus is on one of them. Shortcuts: Space/K pause, M mute, F full
//!   screen, ↑/↓ volume (documented in the player's keyboard menu). Every state change is said
//!   in the page's `aria-live` region.
//! - **Viewers** are counted from the room's participants (the creator excluded), not the
//!   database. The studio lists them; removing one waits for the moderation endpoint.

mod account;
pub mod assets;
mod card;
mod csrf;
mod ctx;
mod discover;
mod error;
mod pager;
mod studio;
mod watch;

use askama::Template;
use axum::Router;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use onair_store::Store;

use crate::error::AppError;
use crate::state::AppState;

pub(crate) use ctx::{Chrome, Ctx, Nav};
pub(crate) use error::{Failure, PageResult, WithChrome};

/// The page routes, to be merged into the platform's router.
pub fn router<S: Store>() -> Router<AppState<S>> {
    Router::new()
        .route("/", get(discover::home::<S>))
        .route("/streams", get(discover::listing::<S>))
        .route(
            "/login",
            get(account::login_page::<S>).post(account::login::<S>),
        )
        .route(
            "/signup",
            get(account::signup_page::<S>).post(account::signup::<S>),
        )
        .route(
            "/logout",
            get(account::logout_page).post(account::logout::<S>),
        )
        .route("/studio", get(studio::page::<S>))
        .route("/studio/streams", post(studio::create::<S>))
        .route("/studio/{id}", get(studio::broadcast::<S>))
        .route("/studio/streams/{id}/end", post(studio::end::<S>))
        .route("/studio/streams/{id}/delete", post(studio::delete::<S>))
        .route("/watch/{id}", get(watch::page::<S>))
        .route("/watch/{id}/remind.ics", get(watch::calendar::<S>))
        .route(
            "/assets/{file}",
            get(assets::serve).layer(tower_http::compression::CompressionLayer::new()),
        )
}

/// The router's fallback: a designed HTML 404 page for a browser navigating to an unknown
/// path, the API's JSON 404 for everything else (API clients, `/api/*`, anything not asking
/// for HTML).
pub(crate) async fn not_found(ctx: Ctx, headers: axum::http::HeaderMap) -> Response {
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if !wants_html || ctx.here.starts_with("/api/") {
        return crate::ops::not_found().await.into_response();
    }
    Failure::new(&ctx.chrome(Nav::Other), AppError::NotFound("page")).into_response()
}

/// Content-Security-Policy for every page: no inline script or style, no third-party origins
/// except avatar images and the media server's WebSocket/HTTPS endpoints (for the player).
const CSP: &str = "default-src 'self'; img-src 'self' data: https:; style-src 'self'; \
                   script-src 'self'; connect-src 'self' ws: wss: https:; media-src 'self' blob:; \
                   base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Renders a template into an HTML response with the page security headers. Pages are
/// personal (header, CSRF tokens), so they are never stored by shared caches.
pub(crate) fn html(status: StatusCode, template: &impl Template) -> Response {
    match template.render() {
        Ok(body) => {
            let mut response = (status, body).into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            headers.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-cache"),
            );
            headers.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CSP),
            );
            headers.insert(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            );
            headers.insert(
                header::REFERRER_POLICY,
                HeaderValue::from_static("same-origin"),
            );
            headers.insert(
                HeaderName::from_static("x-frame-options"),
                HeaderValue::from_static("DENY"),
            );
            response
        }
        Err(e) => {
            // Templates are type-checked; a failure here is a formatting error in a value.
            AppError::internal(e).into_response()
        }
    }
}

/// `303 See Other`: the answer to every successful form post (post/redirect/get).
pub(crate) fn see_other(location: &str) -> Response {
    let location =
        HeaderValue::from_str(location).unwrap_or_else(|_| HeaderValue::from_static("/"));
    (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
}
