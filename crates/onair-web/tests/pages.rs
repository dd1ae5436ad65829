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

#[path = "api/helpers.rs"]
#[expect(
    dead_code,
    reason = "shared with the API tests; pages use a part of it"
)]
mod helpers;

use std::time::Duration;

use chrono::Utc;
use helpers::TestApp;
use onair_domain::StreamId;
use onair_store::Store;
use reqwest::redirect::Policy;
use reqwest::{Client, Response, StatusCode, header};
use serde_json::{Value, json};

/// A cookie-keeping client that does not follow redirects, so tests see each 303.
fn browser() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

async fn get(app: &TestApp, client: &Client, path: &str) -> (StatusCode, String) {
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
async fn post_form(
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

fn urlencoded(fields: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish()
}

/// The value of the first `name="csrf"` hidden input on a page.
fn csrf_of(html: &str) -> String {
    let marker = r#"name="csrf" value=""#;
    let start = html.find(marker).expect("page has a CSRF field") + marker.len();
    let len = html[start..].find('"').unwrap();
    html[start..start + len].to_owned()
}

fn location(res: &Response) -> &str {
    res.headers()[header::LOCATION].to_str().unwrap()
}

fn sets_session(res: &Response) -> bool {
    res.headers().get_all(header::SET_COOKIE).iter().any(|c| {
        c.to_str().unwrap().starts_with("onair_session=")
            && !c.to_str().unwrap().contains("Max-Age=0")
    })
}

/// Signs up through the form; returns the signed-in browser.
async fn signup_by_form(app: &TestApp, name: &str, email: &str) -> Client {
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

fn unique_email(prefix: &str) -> String {
    format!("{prefix}{}@example.com", uuid::Uuid::new_v4().simple())
}

/// Creates a stream through the JSON API with the browser's session and returns its id.
async fn api_stream(app: &TestApp, client: &Client, body: Value) -> String {
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

async fn api_status(app: &TestApp, id: &str) -> Value {
    let res = browser()
        .get(app.url(&format!("/api/streams/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

#[tokio::test]
async fn every_page_renders_for_guests_and_members() {
    let app = TestApp::spawn().await;
    let guest = browser();

    let (status, home) = get(&app, &guest, "/").await;
    assert_eq!(status, StatusCode::OK);
    for text in [
        "Live now",
        "Upcoming",
        "Recently ended",
        "Nobody is live right now",
        "Sign in",
        "Skip to content",
        r#"<main id="main""#,
    ] {
        assert!(home.contains(text), "home lacks {text:?}");
    }
    assert!(home.contains(r#"aria-current="page">Discover"#));

    for (path, text) in [
        ("/streams?status=live", "Live now"),
        ("/streams?status=scheduled&page=1", "Upcoming"),
        ("/streams?status=ENDED", "Recently ended"),
        ("/login", "Welcome back"),
        ("/signup", "Create your account"),
    ] {
        let (status, page) = get(&app, &guest, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(page.contains(text), "{path} lacks {text:?}");
    }
    let (status, _) = get(&app, &guest, "/streams?status=bogus").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, page) = get(&app, &guest, "/streams?page=zero").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("<!doctype html>"),
        "HTML error page, not JSON"
    );

    // A member: header with name, balance and the sign-out form; studio; stream page.
    let member = signup_by_form(&app, "Grace Hopper", &unique_email("grace")).await;
    let (status, home) = get(&app, &member, "/").await;
    assert_eq!(status, StatusCode::OK);
    for text in [
        "Grace Hopper",
        "Sign out",
        r#"action="/logout""#,
        "100<span class=\"visually-hidden\"> credits",
    ] {
        assert!(home.contains(text), "member home lacks {text:?}");
    }
    let (status, studio) = get(&app, &member, "/studio").await;
    assert_eq!(status, StatusCode::OK);
    for text in [
        "My streams",
        "New stream",
        "Credits",
        "Welcome credits",
        "+100",
        "No streams yet",
    ] {
        assert!(studio.contains(text), "studio lacks {text:?}");
    }

    let at = (Utc::now() + chrono::Duration::hours(3)).to_rfc3339();
    let id = api_stream(
        &app,
        &member,
        json!({"title": "Morning show", "description": "Coffee\nand news", "scheduledFor": at}),
    )
    .await;
    for client in [&guest, &member] {
        let (status, page) = get(&app, client, &format!("/watch/{id}")).await;
        assert_eq!(status, StatusCode::OK);
        for text in [
            "Morning show",
            "Grace Hopper",
            "badge-scheduled",
            "Starts in 3 hours",
            "data-onair-player",
            &format!(r#"data-stream-id="{id}""#),
            "<time datetime=\"",
            "UTC</time>",
            "Coffee\nand news",
        ] {
            assert!(page.contains(text), "watch page lacks {text:?}");
        }
        assert!(
            !page.contains("<noscript>"),
            "no player note before the stream is live"
        );
    }
    let (_, own) = get(&app, &member, &format!("/watch/{id}")).await;
    assert!(own.contains("Manage in studio"));

    // The home page shows the upcoming stream with its reminder link.
    let (_, home) = get(&app, &guest, "/").await;
    assert!(home.contains("Morning show") && home.contains(&format!("/watch/{id}/remind.ics")));
    let ics = guest
        .get(app.url(&format!("/watch/{id}/remind.ics")))
        .send()
        .await
        .unwrap();
    assert_eq!(ics.status(), StatusCode::OK);
    assert!(
        ics.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/calendar")
    );
    let ics = ics.text().await.unwrap();
    assert!(ics.contains("BEGIN:VEVENT") && ics.contains("SUMMARY:Morning show (live on OnAir)"));
    app.finish().await;
}

#[tokio::test]
async fn signup_and_login_work_by_form_and_keep_input_on_errors() {
    let app = TestApp::spawn().await;
    let email = unique_email("ada");

    // Validation: every problem at once, the name and email kept, the password never echoed.
    let b = browser();
    let (_, page) = get(&app, &b, "/signup?next=/watch/x").await;
    let token = csrf_of(&page);
    let res = post_form(
        &app,
        &b,
        "/signup",
        &[
            ("name", "Ada"),
            ("email", "not-an-email"),
            ("password", "short1"),
            ("csrf", &token),
            ("next", "/studio"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!sets_session(&res));
    let page = res.text().await.unwrap();
    assert!(page.contains(r#"value="not-an-email""#), "email kept");
    assert!(page.contains(r#"value="Ada""#), "name kept");
    assert!(!page.contains("short1"), "password never rendered back");
    assert!(page.contains(r#"id="email-error""#) && page.contains(r#"id="password-error""#));
    assert!(page.contains(r#"aria-invalid="true""#) && page.contains(r#"role="alert""#));

    // Success: 303 to `next`, session cookie set, studio shows the account.
    let res = post_form(
        &app,
        &b,
        "/signup",
        &[
            ("name", "Ada"),
            ("email", &email),
            ("password", "correct horse"),
            ("csrf", &token),
            ("next", "/studio"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/studio");
    assert!(sets_session(&res));
    let (status, studio) = get(&app, &b, "/studio").await;
    assert_eq!(status, StatusCode::OK);
    assert!(studio.contains("Ada"));

    // The same email again: an error on the email field, input kept.
    let other = browser();
    let (_, page) = get(&app, &other, "/signup").await;
    let res = post_form(
        &app,
        &other,
        "/signup",
        &[
            ("name", "Ada 2"),
            ("email", &email),
            ("password", "correct horse"),
            ("csrf", &csrf_of(&page)),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.unwrap();
    assert!(page.contains("already exists") && page.contains(&format!(r#"value="{email}""#)));

    // Log out by form: the session ends and the studio asks to sign in again.
    let (_, home) = get(&app, &b, "/").await;
    let res = post_form(&app, &b, "/logout", &[("csrf", &csrf_of(&home))]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/");
    let res = b.get(app.url("/studio")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    // Login: a wrong password keeps the email and says so; the right one redirects to `next`.
    let (_, page) = get(&app, &b, "/login?next=/studio").await;
    assert!(page.contains(r#"name="next" value="/studio""#));
    let token = csrf_of(&page);
    let res = post_form(
        &app,
        &b,
        "/login",
        &[
            ("email", &email),
            ("password", "wrong horse"),
            ("csrf", &token),
            ("next", "/studio"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(!sets_session(&res));
    let page = res.text().await.unwrap();
    assert!(page.contains("don&#39;t match"), "{page}");
    assert!(page.contains(&format!(r#"value="{email}""#)) && !page.contains("wrong horse"));
    let res = post_form(
        &app,
        &b,
        "/login",
        &[
            ("email", &email),
            ("password", "correct horse"),
            ("csrf", &token),
            ("next", "/studio"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/studio");
    assert!(sets_session(&res));

    // `next` never leaves the site.
    let c = browser();
    let (_, page) = get(&app, &c, "/login").await;
    let res = post_form(
        &app,
        &c,
        "/login",
        &[
            ("email", &email),
            ("password", "correct horse"),
            ("csrf", &csrf_of(&page)),
            ("next", "//evil.example/"),
        ],
    )
    .await;
    assert_eq!(location(&res), "/");
    app.finish().await;
}

#[tokio::test]
async fn forms_without_a_valid_csrf_token_are_refused_and_change_nothing() {
    let app = TestApp::spawn().await;
    let email = unique_email("eve");
    let victim = signup_by_form(&app, "Victim", &email).await;

    // No token at all, and a token minted for another browser.
    let attacker = browser();
    let (_, page) = get(&app, &attacker, "/login").await;
    let foreign = csrf_of(&page);
    let fresh = browser();
    for (client, token) in [(&fresh, ""), (&fresh, foreign.as_str())] {
        let res = post_form(
            &app,
            client,
            "/login",
            &[
                ("email", &email),
                ("password", "correct horse"),
                ("csrf", token),
            ],
        )
        .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        assert!(!sets_session(&res), "no session without a valid token");
        let page = res.text().await.unwrap();
        assert!(page.contains("This form has expired") && page.contains("<!doctype html>"));
    }
    let res = post_form(
        &app,
        &fresh,
        "/signup",
        &[
            ("name", "X"),
            ("email", &unique_email("x")),
            ("password", "correct horse"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // Signed-in forms are bound to the session: a pre-session token does not create streams.
    let res = post_form(
        &app,
        &victim,
        "/studio/streams",
        &[("title", "Forged"), ("csrf", &foreign)],
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let (_, studio) = get(&app, &victim, "/studio").await;
    assert!(!studio.contains("Forged") && studio.contains("No streams yet"));

    // Logout without a token keeps the session.
    let res = post_form(&app, &victim, "/logout", &[]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let (status, _) = get(&app, &victim, "/studio").await;
    assert_eq!(status, StatusCode::OK, "still signed in");

    // A cross-site form post is refused by the Origin check before it reaches the page.
    let (_, studio) = get(&app, &victim, "/studio").await;
    let res = victim
        .post(app.url("/studio/streams"))
        .header(header::ORIGIN, "https://evil.example")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(urlencoded(&[
            ("title", "Cross-site"),
            ("csrf", csrf_of(&studio).as_str()),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let (_, studio) = get(&app, &victim, "/studio").await;
    assert!(!studio.contains("Cross-site"));
    app.finish().await;
}

#[tokio::test]
async fn the_studio_requires_sign_in() {
    let app = TestApp::spawn().await;
    let guest = browser();
    let res = guest.get(app.url("/studio")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/login?next=/studio");
    let res = guest.get(app.url("/studio?page=2")).send().await.unwrap();
    assert_eq!(location(&res), "/login?next=/studio%3Fpage%3D2");
    let res = post_form(&app, &guest, "/studio/streams", &[("title", "Nope")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(location(&res).starts_with("/login"));
    let id = StreamId::new();
    let res = post_form(&app, &guest, &format!("/studio/streams/{id}/end"), &[]).await;
    assert_eq!(location(&res), "/login?next=/studio");
    app.finish().await;
}

#[tokio::test]
async fn studio_forms_create_end_and_delete_streams() {
    let app = TestApp::spawn().await;
    let b = signup_by_form(&app, "Creator", &unique_email("c")).await;
    let (_, studio) = get(&app, &b, "/studio").await;
    let token = csrf_of(&studio);

    // Invalid: every message at once, input kept (title, description, time).
    let res = post_form(
        &app,
        &b,
        "/studio/streams",
        &[
            ("title", "   "),
            ("description", "Kept <b>text</b>"),
            ("scheduled_for", "2001-01-01T10:00"),
            ("csrf", &token),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.unwrap();
    assert!(page.contains(r#"id="title-error""#) && page.contains(r#"id="scheduledFor-error""#));
    assert!(
        page.contains("Kept &#60;b&#62;text&#60;/b&#62;</textarea>"),
        "description kept, escaped"
    );
    assert!(page.contains(r#"value="2001-01-01T10:00""#));
    let too_long = "x".repeat(121);
    let res = post_form(
        &app,
        &b,
        "/studio/streams",
        &[("title", &too_long), ("csrf", &token)],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains(&format!(r#"value="{too_long}""#)),
        "title kept"
    );
    let (_, studio) = get(&app, &b, "/studio").await;
    assert!(studio.contains("No streams yet"), "nothing was created");

    // Valid: 303 back to the studio, which lists it as scheduled.
    let res = post_form(
        &app,
        &b,
        "/studio/streams",
        &[
            ("title", "Build log"),
            ("description", "Rust, live"),
            ("scheduled_for", "2099-06-01T18:30"),
            ("csrf", &token),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/studio?notice=created");
    let (_, studio) = get(&app, &b, "/studio?notice=created").await;
    assert!(
        studio.contains("Stream created")
            && studio.contains("Build log")
            && studio.contains("badge-scheduled")
    );
    assert!(studio.contains("2099-06-01T18:30:00Z"));
    let mine: Value = b
        .get(app.url("/api/streams/list?status=SCHEDULED"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = mine["streams"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(mine["streams"][0]["title"], "Build log");
    assert_eq!(mine["streams"][0]["scheduledFor"], "2099-06-01T18:30:00Z");

    // Go live (API), then end it with the studio's form.
    let res = b
        .patch(app.url(&format!("/api/streams/{id}")))
        .json(&json!({"status": "LIVE"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let (_, studio) = get(&app, &b, "/studio").await;
    assert!(studio.contains("End stream") && studio.contains("badge-live"));
    let res = post_form(
        &app,
        &b,
        &format!("/studio/streams/{id}/end"),
        &[("csrf", &token)],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/studio?notice=ended");
    assert_eq!(api_status(&app, &id).await["status"], "ENDED");
    let (_, watch) = get(&app, &b, &format!("/watch/{id}")).await;
    assert!(
        watch.contains("This stream has ended") && watch.contains("The creator ended the stream.")
    );
    // Ending twice is a conflict page, not a second transition.
    let res = post_form(
        &app,
        &b,
        &format!("/studio/streams/{id}/end"),
        &[("csrf", &token)],
    )
    .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res.text().await.unwrap().contains("<!doctype html>"));

    // Someone else's stream cannot be touched.
    let other = signup_by_form(&app, "Other", &unique_email("o")).await;
    let theirs = api_stream(&app, &other, json!({"title": "Theirs"})).await;
    let res = post_form(
        &app,
        &b,
        &format!("/studio/streams/{theirs}/delete"),
        &[("csrf", &token)],
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(api_status(&app, &theirs).await["status"], "SCHEDULED");

    // Delete: gone from the studio, 410 on its page.
    let res = post_form(
        &app,
        &b,
        &format!("/studio/streams/{id}/delete"),
        &[("csrf", &token)],
    )
    .await;
    assert_eq!(location(&res), "/studio?notice=deleted");
    let (_, studio) = get(&app, &b, "/studio").await;
    assert!(!studio.contains("Build log"));
    let (status, page) = get(&app, &b, &format!("/watch/{id}")).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(page.contains("This stream was deleted"));
    app.finish().await;
}

#[tokio::test]
async fn discovery_shows_live_streams_with_badge_and_viewer_count() {
    let app = TestApp::spawn().await;
    let b = signup_by_form(&app, "Live Creator", &unique_email("l")).await;
    let id = api_stream(&app, &b, json!({"title": "Night sky"})).await;
    let res = b
        .patch(app.url(&format!("/api/streams/{id}")))
        .json(&json!({"status": "LIVE"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let stream_id: StreamId = id.parse().unwrap();
    app.state
        .store
        .set_participant_count(stream_id, 7, Utc::now())
        .await
        .unwrap();

    let guest = browser();
    let (_, home) = get(&app, &guest, "/").await;
    let live = &home[home.find(r#"id="live""#).unwrap()..home.find(r#"id="upcoming""#).unwrap()];
    assert!(live.contains("Night sky") && live.contains("Live Creator"));
    assert!(live.contains(r#"<span class="badge badge-live"><span class="live-dot" aria-hidden="true"></span>Live</span>"#));
    assert!(
        live.contains(r#"<span>7<span class="visually-hidden"> watching</span></span>"#),
        "{live}"
    );
    assert!(live.contains(&format!(
        r#"href="/watch/{id}" aria-label="Watch Night sky""#
    )));
    assert!(!home.contains("Nobody is live right now"));

    let (_, listing) = get(&app, &guest, "/streams?status=live").await;
    assert!(listing.contains("Night sky") && listing.contains("badge-live"));
    let (_, watch) = get(&app, &guest, &format!("/watch/{id}")).await;
    assert!(
        watch.contains("On air now")
            && watch.contains("7 watching")
            && watch.contains("<noscript>")
    );
    assert!(watch.contains(r#"data-status="LIVE""#));
    app.finish().await;
}

#[tokio::test]
async fn listings_paginate() {
    let app = TestApp::spawn().await;
    let b = signup_by_form(&app, "Prolific", &unique_email("p")).await;
    for i in 0..13 {
        api_stream(&app, &b, json!({"title": format!("Episode {i}")})).await;
    }
    let guest = browser();
    let (_, home) = get(&app, &guest, "/").await;
    assert!(home.contains(r#"href="/streams?status=scheduled">See all 13"#));
    let (_, first) = get(&app, &guest, "/streams?status=scheduled").await;
    assert!(first.contains(r#"aria-label="Upcoming pages""#));
    assert!(first.contains(r#"href="/streams?status=scheduled&#38;page=2" rel="next""#));
    assert_eq!(first.matches(r#"<article class="card"#).count(), 12);
    let (_, second) = get(&app, &guest, "/streams?status=scheduled&page=2").await;
    assert_eq!(second.matches(r#"<article class="card"#).count(), 1);
    assert!(second.contains(r#"aria-current="page">2</a>"#));
    let (status, beyond) = get(&app, &guest, "/streams?status=scheduled&page=9").await;
    assert_eq!(status, StatusCode::OK);
    assert!(beyond.contains("No streams on this page"));
    app.finish().await;
}

#[tokio::test]
async fn user_input_is_escaped() {
    let app = TestApp::spawn().await;
    let b = signup_by_form(&app, "<img src=x onerror=alert(1)>", &unique_email("x")).await;
    let (_, studio) = get(&app, &b, "/studio").await;
    let token = csrf_of(&studio);
    let res = post_form(
        &app,
        &b,
        "/studio/streams",
        &[
            ("title", "<script>alert('t')</script>"),
            ("description", "\"><script>alert(2)</script>"),
            ("csrf", &token),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let mine: Value = b
        .get(app.url("/api/streams/list"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = mine["streams"][0]["id"].as_str().unwrap().to_owned();
    for path in ["/".to_owned(), "/studio".to_owned(), format!("/watch/{id}")] {
        let (_, page) = get(&app, &b, &path).await;
        assert!(
            !page.contains("<script>alert"),
            "{path} renders a script tag"
        );
        assert!(
            !page.contains("<img src=x"),
            "{path} renders the name as markup"
        );
        assert!(
            page.contains("&#60;script&#62;alert("),
            "{path} shows the title escaped"
        );
    }
    app.finish().await;
}

#[tokio::test]
async fn unknown_and_deleted_streams_get_html_error_pages() {
    let app = TestApp::spawn().await;
    let guest = browser();
    for path in [
        format!("/watch/{}", StreamId::new()),
        "/watch/not-an-id".to_owned(),
    ] {
        let res = guest.get(app.url(&path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(
            res.headers()[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        let page = res.text().await.unwrap();
        assert!(page.contains("Stream not found") && page.contains("404"));
    }
    let b = signup_by_form(&app, "Deleter", &unique_email("d")).await;
    let id = api_stream(&app, &b, json!({"title": "Short-lived"})).await;
    let res = b
        .delete(app.url(&format!("/api/streams/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let (status, page) = get(&app, &guest, &format!("/watch/{id}")).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(page.contains("410") && page.contains("This stream was deleted"));
    let (status, _) = get(&app, &guest, &format!("/watch/{id}/remind.ics")).await;
    assert_eq!(status, StatusCode::GONE);
    app.finish().await;
}

#[tokio::test]
async fn assets_are_embedded_content_addressed_and_cached() {
    let app = TestApp::spawn().await;
    let guest = browser();
    let (_, home) = get(&app, &guest, "/").await;
    let start = home.find(r#"<link rel="stylesheet" href=""#).unwrap()
        + r#"<link rel="stylesheet" href=""#.len();
    let css_url = &home[start..start + home[start..].find('"').unwrap()];
    assert!(css_url.starts_with("/assets/onair.") && css_url.ends_with(".css"));

    let res = guest.get(app.url(css_url)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()[header::CONTENT_TYPE],
        "text/css; charset=utf-8"
    );
    assert_eq!(
        res.headers()[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    let etag = res.headers()[header::ETAG].clone();
    assert!(res.text().await.unwrap().contains("prefers-reduced-motion"));
    let res = guest
        .get(app.url(css_url))
        .header(header::IF_NONE_MATCH, etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
    let res = guest
        .get(app.url("/assets/onair.000000000000.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // Pages carry the security headers.
    let res = guest.get(app.url("/")).send().await.unwrap();
    let csp = res.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"));
    assert_eq!(res.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    app.finish().await;
}
