//! Pages anyone can see: discovery, listings, stream pages, error pages, assets, escaping.

use crate::support::*;

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
            page.contains(
                "<noscript><p class=\"player-note\">When it starts, the video plays here."
            ),
            "the player region says, without JavaScript, that watching will need it"
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

#[tokio::test]
async fn unknown_paths_answer_html_to_browsers_and_json_to_api_clients() {
    let app = TestApp::spawn().await;
    let guest = browser();
    let navigate = |path: &str| {
        guest
            .get(app.url(path))
            .header(header::ACCEPT, "text/html,application/xhtml+xml,*/*;q=0.8")
    };
    let res = navigate("/no-such-page").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(
        res.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let page = res.text().await.unwrap();
    assert!(page.contains("Page not found") && page.contains("Discover streams"));

    // API paths and clients that do not ask for HTML keep the JSON error shape.
    for res in [
        navigate("/api/no-such-endpoint").send().await.unwrap(),
        guest.get(app.url("/no-such-page")).send().await.unwrap(),
    ] {
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "not_found");
    }
    app.finish().await;
}
