//! `/login`, `/signup`, `/logout` as plain HTML forms.
//!
//! The posts call the JSON API's own handlers (`auth::api::login`, `auth::api::signup`,
//! `auth::api::logout`) as functions, so validation, the constant-time login and session
//! creation exist once; this module only turns their answers into a redirect with the session
//! cookie, or the form again with messages next to the fields.

use std::collections::BTreeMap;

use askama::Template;
use axum::Form;
use axum::extract::Query;
use axum::extract::State;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use onair_store::Store;
use serde::Deserialize;

use crate::auth::api::{self as auth_api, LoginRequest, SignupRequest};
use crate::error::AppError;
use crate::extract::ApiJson;
use crate::ops::ratelimit::Class;
use crate::pages::ctx::{safe_next, urlencode};
use crate::pages::{Chrome, Ctx, Failure, Nav, PageResult, WithChrome, html, see_other};
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct NextParam {
    next: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct LoginForm {
    email: String,
    password: String,
    csrf: String,
    next: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct SignupForm {
    name: String,
    email: String,
    password: String,
    csrf: String,
    next: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct LogoutForm {
    csrf: String,
}

/// Messages for a re-rendered form: per field, and for the form as a whole.
#[derive(Debug, Default)]
pub(crate) struct Errors {
    pub fields: BTreeMap<String, String>,
    pub form: Option<String>,
}

impl Errors {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }

    /// The messages in field order, for the summary at the top of the form.
    pub fn summary(&self, order: &[(&'static str, &'static str)]) -> Vec<Problem> {
        order
            .iter()
            .filter_map(|(field, label)| {
                self.fields.get(*field).map(|message| Problem {
                    field,
                    label,
                    message: message.clone(),
                })
            })
            .collect()
    }
}

/// One line of a form's error summary: links to the field it is about.
#[derive(Debug)]
pub(crate) struct Problem {
    pub field: &'static str,
    pub label: &'static str,
    pub message: String,
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    chrome: Chrome,
    csrf: String,
    next: String,
    email: String,
    errors: Errors,
}

#[derive(Template)]
#[template(path = "signup.html")]
struct SignupPage {
    chrome: Chrome,
    csrf: String,
    next: String,
    name: String,
    email: String,
    errors: Errors,
}

impl LoginPage {
    fn signup_href(&self) -> String {
        with_next("/signup", &self.next)
    }

    fn summary(&self) -> Vec<Problem> {
        self.errors
            .summary(&[("email", "Email"), ("password", "Password")])
    }
}

impl SignupPage {
    fn login_href(&self) -> String {
        with_next("/login", &self.next)
    }

    fn summary(&self) -> Vec<Problem> {
        self.errors.summary(&[
            ("name", "Display name"),
            ("email", "Email"),
            ("password", "Password"),
        ])
    }
}

fn with_next(path: &str, next: &str) -> String {
    match safe_next(next) {
        Some(next) if !next.is_empty() && next != "/" => format!("{path}?next={}", urlencode(next)),
        _ => path.to_owned(),
    }
}

/// The page to show after signing in: `next` when it is on this site.
fn destination(next: &str, default: &str) -> String {
    safe_next(next)
        .filter(|n| {
            !n.starts_with("/login") && !n.starts_with("/signup") && !n.starts_with("/logout")
        })
        .unwrap_or(default)
        .to_owned()
}

/// A form page, with the pre-session cookie when it was minted for this response.
fn form_response(
    status: StatusCode,
    page: &impl Template,
    cookie: Option<axum::http::HeaderValue>,
) -> Response {
    let mut response = html(status, page);
    if let Some(cookie) = cookie {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// The success answer: go to `to` carrying the API handler's `Set-Cookie`.
fn redirect_with_cookies(api_response: &Response, to: &str) -> Response {
    let mut response = see_other(to);
    for cookie in api_response.headers().get_all(header::SET_COOKIE) {
        response
            .headers_mut()
            .append(header::SET_COOKIE, cookie.clone());
    }
    response
}

fn check_ip<S: Store>(state: &AppState<S>, ctx: &Ctx, chrome: &Chrome) -> Result<(), Failure> {
    match ctx.ip {
        Some(ip) => state.limits.check_ip(Class::Auth, ip).page(chrome),
        None => Ok(()),
    }
}

fn bad_form(e: FormRejection) -> AppError {
    AppError::BadRequest(e.body_text())
}

/// `GET /login`.
pub(crate) async fn login_page<S: Store>(
    State(state): State<AppState<S>>,
    ctx: Ctx,
    query: Result<Query<NextParam>, QueryRejection>,
) -> Response {
    let query = query.map(|Query(q)| q).unwrap_or_default();
    if ctx.user.is_some() {
        return see_other(&destination(&query.next, "/"));
    }
    let (csrf, cookie) = ctx.form_token(state.config.is_https());
    let page = LoginPage {
        chrome: ctx.chrome(Nav::Account),
        csrf,
        next: query.next,
        email: String::new(),
        errors: Errors::default(),
    };
    form_response(StatusCode::OK, &page, cookie)
}

/// `POST /login`.
pub(crate) async fn login<S: Store>(
    State(state): State<AppState<S>>,
    ctx: Ctx,
    form: Result<Form<LoginForm>, FormRejection>,
) -> PageResult {
    let chrome = ctx.chrome(Nav::Account);
    let Form(form) = form.map_err(bad_form).page(&chrome)?;
    check_ip(&state, &ctx, &chrome)?;
    if !ctx.csrf_ok(&form.csrf) {
        return Err(Failure::csrf(&chrome, &with_next("/login", &form.next)));
    }
    let request = LoginRequest {
        email: form.email.trim().to_owned(),
        password: form.password,
    };
    let (status, errors) = match auth_api::login(State(state.clone()), ApiJson(request)).await {
        Ok(response) => {
            return Ok(redirect_with_cookies(
                &response,
                &destination(&form.next, "/"),
            ));
        }
        Err(AppError::Validation(fields)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Errors { fields, form: None },
        ),
        Err(AppError::InvalidCredentials) => (
            StatusCode::UNAUTHORIZED,
            Errors {
                fields: BTreeMap::new(),
                form: Some(
                    "That email and password don't match an account. Check both and try again."
                        .into(),
                ),
            },
        ),
        Err(other) => return Err(Failure::new(&chrome, other)),
    };
    let (csrf, cookie) = ctx.form_token(state.config.is_https());
    let page = LoginPage {
        chrome,
        csrf,
        next: form.next,
        email: form.email,
        errors,
    };
    Ok(form_response(status, &page, cookie))
}

/// `GET /signup`.
pub(crate) async fn signup_page<S: Store>(
    State(state): State<AppState<S>>,
    ctx: Ctx,
    query: Result<Query<NextParam>, QueryRejection>,
) -> Response {
    let query = query.map(|Query(q)| q).unwrap_or_default();
    if ctx.user.is_some() {
        return see_other(&destination(&query.next, "/studio"));
    }
    let (csrf, cookie) = ctx.form_token(state.config.is_https());
    let page = SignupPage {
        chrome: ctx.chrome(Nav::Account),
        csrf,
        next: query.next,
        name: String::new(),
        email: String::new(),
        errors: Errors::default(),
    };
    form_response(StatusCode::OK, &page, cookie)
}

/// `POST /signup`.
pub(crate) async fn signup<S: Store>(
    State(state): State<AppState<S>>,
    ctx: Ctx,
    form: Result<Form<SignupForm>, FormRejection>,
) -> PageResult {
    let chrome = ctx.chrome(Nav::Account);
    let Form(form) = form.map_err(bad_form).page(&chrome)?;
    check_ip(&state, &ctx, &chrome)?;
    if !ctx.csrf_ok(&form.csrf) {
        return Err(Failure::csrf(&chrome, &with_next("/signup", &form.next)));
    }
    let request = SignupRequest {
        email: form.email.trim().to_owned(),
        password: form.password,
        name: form.name.trim().to_owned(),
    };
    let mut fields = match auth_api::signup(State(state.clone()), ApiJson(request)).await {
        Ok(response) => {
            return Ok(redirect_with_cookies(
                &response,
                &destination(&form.next, "/studio"),
            ));
        }
        Err(AppError::Validation(fields)) => fields,
        Err(AppError::Conflict(_)) => BTreeMap::from([(
            "email".to_owned(),
            "An account with this email already exists. Sign in instead?".to_owned(),
        )]),
        Err(other) => return Err(Failure::new(&chrome, other)),
    };
    for message in fields.values_mut() {
        *message = sentence(message);
    }
    let (csrf, cookie) = ctx.form_token(state.config.is_https());
    let page = SignupPage {
        chrome,
        csrf,
        next: form.next,
        name: form.name,
        email: form.email,
        errors: Errors { fields, form: None },
    };
    Ok(form_response(
        StatusCode::UNPROCESSABLE_ENTITY,
        &page,
        cookie,
    ))
}

/// "must not be empty" → "Must not be empty."
pub(crate) fn sentence(message: &str) -> String {
    let mut chars = message.chars();
    let mut out: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => return String::new(),
    };
    if !out.ends_with(['.', '?', '!']) {
        out.push('.');
    }
    out
}

#[derive(Template)]
#[template(path = "logout.html")]
struct LogoutPage {
    chrome: Chrome,
}

/// `GET /logout`: a confirmation with the sign-out button (signing out is a POST).
pub(crate) async fn logout_page(ctx: Ctx) -> Response {
    if ctx.user.is_none() {
        return see_other("/");
    }
    html(
        StatusCode::OK,
        &LogoutPage {
            chrome: ctx.chrome(Nav::Account),
        },
    )
}

/// `POST /logout`.
pub(crate) async fn logout<S: Store>(
    State(state): State<AppState<S>>,
    ctx: Ctx,
    headers: HeaderMap,
    form: Result<Form<LogoutForm>, FormRejection>,
) -> PageResult {
    let chrome = ctx.chrome(Nav::Account);
    let Form(form) = form.map_err(bad_form).page(&chrome)?;
    if ctx.user.is_none() {
        // Already signed out (expired session): nothing to end.
        return Ok(see_other("/"));
    }
    if !ctx.csrf_ok(&form.csrf) {
        return Err(Failure::csrf(&chrome, "/logout"));
    }
    let response = auth_api::logout(State(state), headers)
        .await
        .page(&chrome)?;
    Ok(redirect_with_cookies(&response, "/"))
}
