//! Browser-like helpers: a client that keeps cookies and does not follow redirects, form
//! posts with the `Origin` a browser sends, and the CSRF token read from a page.

use std::time::Duration;

pub use chrono::Utc;
pub use onair_domain::StreamId;
pub use onair_store::Store;
use reqwest::redirect::Policy;
pub use reqwest::{Client, Response, StatusCode, header};
pub use serde_json::{Value, json};

pub use crate::helpers::TestApp;

/// A cookie-keeping client that does not follow redirects, so tests see each 303.
pub fn browser() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

pub async fn get(app: &TestApp, client: &Client, path: &str) -> (StatusCode, String) {
    let res = client.get(app.url(path)).send().await.unwrap();
    let status = res.status();
    if status == StatusCode::OK {
        let ct = res.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .to_owned();
        assert_eq!(ct, "text/html; charset=utf-8", "{path}");
    }
    (status, res.text().await.unwrap())
}

/// POSTs a form the way a browser does.
pub async fn post_form(
    app: &TestApp,
    client: &Client,
    path: &str,
    fields: &[(&str, &str)],
) -> Response {
    client
        .post(app.url(path))
        .header(header::ORIGIN, &app.base)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(urlencoded(fields))
        .send()
        .await
        .unwrap()
}

pub fn urlencoded(fields: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish()
}

/// The value of the first `name="csrf"` hidden input on a page.
pub fn csrf_of(html: &str) -> String {
    let marker = r#"name="csrf" value=""#;
    let start = html.find(marker).expect("page has a CSRF field") + marker.len();
    let len = html[start..].find('"').unwrap();
    html[start..start + len].to_owned()
}

pub fn location(res: &Response) -> &str {
    res.headers()[header::LOCATION].to_str().unwrap()
}

pub fn sets_session(res: &Response) -> bool {
    res.headers().get_all(header::SET_COOKIE).iter().any(|c| {
        c.to_str().unwrap().starts_with("onair_session=")
            && !c.to_str().unwrap().contains("Max-Age=0")
    })
}

/// Signs up through the form; returns the signed-in browser.
pub async fn signup_by_form(app: &TestApp, name: &str, email: &str) -> Client {
    let b = browser();
    let (status, page) = get(app, &b, "/signup").await;
    assert_eq!(status, StatusCode::OK);
    let token = csrf_of(&page);
    let res = post_form(
        app,
        &b,
        "/signup",
        &[
            ("name", name),
            ("email", email),
            ("password", "correct horse"),
            ("csrf", &token),
        ],
    )
    .await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "{}",
        res.text().await.unwrap()
    );
    assert_eq!(location(&res), "/studio");
    assert!(sets_session(&res), "signup sets the session cookie");
    b
}

pub fn unique_email(prefix: &str) -> String {
    format!("{prefix}{}@example.com", uuid::Uuid::new_v4().simple())
}

/// Creates a stream through the JSON API with the browser's session and returns its id.
pub async fn api_stream(app: &TestApp, client: &Client, body: Value) -> String {
    let res = client
        .post(app.url("/api/streams"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let v: Value = res.json().await.unwrap();
    v["id"].as_str().unwrap().to_owned()
}

pub async fn api_status(app: &TestApp, id: &str) -> Value {
    let res = browser()
        .get(app.url(&format!("/api/streams/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}
