//! HTML error pages: every failure of a page route is answered with a designed page in the
//! site's layout and the right status (404, 410, 403, 429, 500…), never with JSON.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::error::AppError;
use crate::pages::ctx::login_href;
use crate::pages::{Chrome, html, see_other};

/// What page handlers return.
pub(crate) type PageResult = Result<Response, Failure>;

/// A failed page request, with the layout to render its error page in.
#[derive(Debug)]
pub(crate) struct Failure {
    chrome: Box<Chrome>,
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    App(AppError),
    /// A form arrived without a valid CSRF token; `back` is the form's page.
    Csrf {
        back: String,
    },
}

impl Failure {
    pub fn new(chrome: &Chrome, error: impl Into<AppError>) -> Self {
        Self {
            chrome: Box::new(chrome.clone()),
            kind: Kind::App(error.into()),
        }
    }

    pub fn csrf(chrome: &Chrome, back: &str) -> Self {
        Self {
            chrome: Box::new(chrome.clone()),
            kind: Kind::Csrf {
                back: back.to_owned(),
            },
        }
    }
}

/// `result.page(&chrome)?`: lifts any error the API layer produces into a page failure.
pub(crate) trait WithChrome<T> {
    fn page(self, chrome: &Chrome) -> Result<T, Failure>;
}

impl<T, E: Into<AppError>> WithChrome<T> for Result<T, E> {
    fn page(self, chrome: &Chrome) -> Result<T, Failure> {
        self.map_err(|e| Failure::new(chrome, e))
    }
}

/// An error page without request context (the session lookup itself failed).
pub(crate) fn bare(error: AppError, here: &str) -> Response {
    Failure::new(&Chrome::anonymous(here), error).into_response()
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    chrome: &'a Chrome,
    status: u16,
    title: &'a str,
    message: String,
    action_href: String,
    action_label: &'a str,
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let chrome = &*self.chrome;
        let home = ("/".to_owned(), "Discover streams");
        let (status, title, message, (action_href, action_label)) = match &self.kind {
            Kind::Csrf { back } => (
                StatusCode::FORBIDDEN,
                "This form has expired",
                "For your safety, OnAir only accepts forms sent from a page it just showed \
                 you. Go back, reload the page and send the form again. If this keeps \
                 happening, check that your browser accepts cookies from this site."
                    .to_owned(),
                (back.clone(), "Back to the form"),
            ),
            Kind::App(error) => match error {
                AppError::Unauthenticated => return see_other(&login_href(&chrome.here)),
                AppError::NotFound(what) => (
                    StatusCode::NOT_FOUND,
                    if *what == "stream" {
                        "Stream not found"
                    } else {
                        "Page not found"
                    },
                    "Nothing lives at this address. The link may be mistyped, or it pointed \
                     somewhere that never existed."
                        .to_owned(),
                    home,
                ),
                AppError::Gone(_) => (
                    StatusCode::GONE,
                    "This stream was deleted",
                    "Its creator removed it, so there is nothing left to watch here.".to_owned(),
                    home,
                ),
                AppError::Forbidden(why) => (
                    StatusCode::FORBIDDEN,
                    "You can't do that",
                    format!("{}.", capitalized(why)),
                    home,
                ),
                AppError::Conflict(why) => (
                    StatusCode::CONFLICT,
                    "That changed in the meantime",
                    format!(
                        "{}. Reload the page to see where things stand.",
                        capitalized(why)
                    ),
                    ("/studio".to_owned(), "Back to the studio"),
                ),
                AppError::InsufficientCredits { balance, cost } => (
                    StatusCode::PAYMENT_REQUIRED,
                    "Not enough credits",
                    format!("This costs {cost} credits and your balance is {balance}."),
                    ("/studio".to_owned(), "Back to the studio"),
                ),
                AppError::RateLimited { retry_after } => (
                    StatusCode::TOO_MANY_REQUESTS,
                    "Slow down a little",
                    format!(
                        "Too many requests from your connection. Try again in {} seconds.",
                        retry_after.as_secs().max(1)
                    ),
                    (chrome.here.clone(), "Try again"),
                ),
                AppError::Internal(cause) => {
                    log_internal(cause.as_ref());
                    (
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "Something went wrong on our side",
                        "The problem has been logged. Try again in a moment.".to_owned(),
                        home,
                    )
                }
                other => (
                    other.status(),
                    "That request didn't work",
                    format!("{}.", capitalized(&other.to_string())),
                    home,
                ),
            },
        };
        let page = ErrorPage {
            chrome,
            status: status.as_u16(),
            title,
            message,
            action_href,
            action_label,
        };
        let mut response = html(status, &page);
        if let Kind::App(AppError::RateLimited { retry_after }) = &self.kind {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(retry_after.as_secs().max(1)),
            );
        }
        response
    }
}

fn log_internal(cause: &(dyn std::error::Error + Send + Sync + 'static)) {
    tracing::error!(error = %onair_control::error_chain(cause), "page request failed");
}

fn capitalized(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
