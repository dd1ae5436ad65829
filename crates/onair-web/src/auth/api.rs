//! `/api/auth/*` and `/api/me`: sessions in, profiles out.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use onair_domain::{AccountId, DisplayName, Email, Password, Role};
use onair_store::{Account, NewAccount, Store, StoreError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::session;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::extract::{ApiJson, AuthUser};
use crate::state::AppState;

pub fn router<S: Store>() -> Router<AppState<S>> {
    Router::new()
        .route("/api/auth/signup", post(signup::<S>))
        .route("/api/auth/login", post(login::<S>))
        .route("/api/auth/logout", post(logout::<S>))
        .route("/api/me", get(me))
}

/// An account as its owner sees it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    #[schema(value_type = String, format = Uuid)]
    pub id: AccountId,
    pub email: String,
    pub name: String,
    pub image: Option<String>,
    pub bio: String,
    /// `user` or `admin`.
    #[schema(value_type = String)]
    pub role: Role,
    /// Current credit balance.
    pub credits: i64,
}

impl From<Account> for Profile {
    fn from(a: Account) -> Self {
        Self {
            id: a.id,
            email: a.email,
            name: a.name,
            image: a.image,
            bio: a.bio,
            role: a.role,
            credits: a.balance.get(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignupRequest {
    pub email: String,
    /// 8–128 characters.
    pub password: String,
    /// Display name, 1–64 characters.
    pub name: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

/// Creates an account (with the signup credit grant) and signs it in.
#[utoipa::path(post, path = "/api/auth/signup", tag = "auth", request_body = SignupRequest,
    responses((status = 201, body = Profile), (status = 409, description = "email taken"),
              (status = 422, description = "invalid fields")))]
pub async fn signup<S: Store>(
    State(state): State<AppState<S>>,
    ApiJson(req): ApiJson<SignupRequest>,
) -> AppResult<Response> {
    let mut errors = FieldErrors::default();
    let email = errors.check(Email::parse(&req.email));
    let password = errors.check(Password::parse(&req.password));
    let name = errors.check(DisplayName::parse(&req.name));
    errors.finish()?;
    let (Some(email), Some(password), Some(name)) = (email, password, name) else {
        return Err(AppError::BadRequest("invalid input".into()));
    };
    let password_hash = state.passwords.hash(password.expose().to_owned()).await?;
    let account = state
        .store
        .create_account(NewAccount {
            id: AccountId::new(),
            email,
            name,
            password_hash,
            role: Role::User,
            signup_grant: state.config.signup_grant,
            now: Utc::now(),
        })
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => {
                AppError::Conflict("an account with this email already exists".into())
            }
            other => other.into(),
        })?;
    tracing::info!(account = %account.id, "account created");
    start_session(&state, account, StatusCode::CREATED).await
}

/// Signs in with email and password.
#[utoipa::path(post, path = "/api/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = Profile), (status = 401, description = "invalid credentials")))]
pub async fn login<S: Store>(
    State(state): State<AppState<S>>,
    ApiJson(req): ApiJson<LoginRequest>,
) -> AppResult<Response> {
    let email = Email::parse(&req.email)?;
    let found = match state.store.account_by_email(email.as_str()).await {
        Ok(found) => Some(found),
        Err(StoreError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    let (account, hash) = match found {
        Some((account, hash)) => (Some(account), Some(hash)),
        None => (None, None),
    };
    // Unknown emails verify against a dummy hash: the same work, so the same response time.
    state.count_password_check();
    let ok = state.passwords.verify(req.password, hash).await;
    match account {
        Some(account) if ok => start_session(&state, account, StatusCode::OK).await,
        _ => Err(AppError::InvalidCredentials),
    }
}

async fn start_session<S: Store>(
    state: &AppState<S>,
    account: Account,
    status: StatusCode,
) -> AppResult<Response> {
    let (value, hash) = session::new_token();
    let now = Utc::now();
    let ttl = state.config.session_ttl;
    let expires_at = now + chrono::Duration::from_std(ttl).map_err(AppError::internal)?;
    state
        .store
        .create_session(&hash, account.id, expires_at, now)
        .await?;
    let cookie = session::set_cookie(&value, ttl, state.config.is_https());
    Ok((
        status,
        [(header::SET_COOKIE, cookie)],
        Json(Profile::from(account)),
    )
        .into_response())
}

/// Ends the current session (if any) and clears the cookie.
#[utoipa::path(post, path = "/api/auth/logout", tag = "auth", responses((status = 204)))]
pub async fn logout<S: Store>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
) -> AppResult<Response> {
    if let Some(hash) = session::cookie_hash(&headers) {
        state.store.delete_session(&hash).await?;
    }
    let cookie = session::clear_cookie(state.config.is_https());
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]).into_response())
}

/// The signed-in account.
#[utoipa::path(get, path = "/api/me", tag = "auth",
    responses((status = 200, body = Profile), (status = 401, description = "not signed in")))]
pub async fn me(AuthUser(account): AuthUser) -> Json<Profile> {
    Json(account.into())
}
