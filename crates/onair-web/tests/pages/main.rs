//! The server-rendered pages, driven like a browser without JavaScript: GET a page, read the
//! form's CSRF token from the HTML, POST the form url-encoded (with the `Origin` a browser
//! sends), follow nothing automatically, and check statuses, redirects, cookies and markup.
//! Real server on 127.0.0.1 port 0, real SQLite file (the API tests' `TestApp`).

// Test helpers are ordinary functions, so clippy's test exemption does not reach them.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly on any unexpected error"
)]

#[path = "../api/helpers.rs"]
#[expect(
    dead_code,
    reason = "shared with the API tests; pages use a part of it"
)]
mod helpers;

mod accounts;
mod broadcast;
mod browse;
mod studio;
mod support;
