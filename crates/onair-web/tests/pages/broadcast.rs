//! `/studio/{id}` (the broadcast room) and the browser bundle's mount points: who may open
//! the studio, what the page carries for the bundle, that it works without JavaScript (the end
//! form), and how the bundle itself is served.

use crate::support::*;

/// The `src` of the page's bundle `<script>`, if it loads one.
fn script_src(page: &str) -> Option<String> {
    let marker = r#"<script type="module" src=""#;
    let start = page.find(marker)? + marker.len();
    Some(page[start..start + page[start..].find('"')?].to_owned())
}

async fn me(app: &TestApp, client: &Client) -> Value {
    client
        .get(app.url("/api/me"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn only_the_creator_broadcasts_and_an_admin_manages() {
    let app = TestApp::spawn().await;
    let creator = signup_by_form(&app, "Ada", &unique_email("ada")).await;
    let id = api_stream(&app, &creator, json!({"title": "Night build"})).await;
    let path = format!("/studio/{id}");

    // Signed out: sign in and come back.
    let res = browser().get(app.url(&path)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), format!("/login?next=/studio/{id}"));

    // The creator: the studio list links here, and the page carries the bundle's mount point.
    let (_, list) = get(&app, &creator, "/studio").await;
    assert!(list.contains(&format!(r#"href="/studio/{id}">Go live"#)));
    let (status, page) = get(&app, &creator, &path).await;
    assert_eq!(status, StatusCode::OK);
    for text in [
        "<h1 class=\"page-title\">Night build</h1>",
        "data-onair-studio",
        &format!(r#"data-stream-id="{id}""#),
        r#"data-status="SCHEDULED""#,
        r#"data-can-broadcast="true""#,
        "Going live costs 10 credits, charged once. Your balance: 100 credits.",
        "data-onair-announcer",
        r#"role="alert""#,
        "Broadcasting from the browser needs JavaScript.",
        &format!(r#"action="/studio/streams/{id}/end""#),
        "Cancel stream",
    ] {
        assert!(page.contains(text), "studio page lacks {text:?}");
    }
    let js = script_src(&page).expect("the studio loads the bundle");
    assert!(
        js.starts_with("/assets/app.") && js.ends_with(".js"),
        "{js}"
    );

    // Someone else: 403; an unknown or malformed id: 404.
    let other = signup_by_form(&app, "Eve", &unique_email("eve")).await;
    let (status, page) = get(&app, &other, &path).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        page.contains("creator can open its studio."),
        "the 403 page says why"
    );
    let (status, _) = get(&app, &other, &format!("/studio/{}", StreamId::new())).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = get(&app, &other, "/studio/not-an-id").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // An admin: the page and the end form, no broadcast controls and no bundle.
    let admin_id = me(&app, &other).await["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    app.state
        .store
        .set_role(admin_id, onair_domain::Role::Admin)
        .await
        .unwrap();
    let (status, page) = get(&app, &other, &path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("managing this stream as an administrator"));
    assert!(!page.contains("data-can-broadcast") && script_src(&page).is_none());
    assert!(page.contains(&format!(r#"action="/studio/streams/{id}/end""#)));
    app.finish().await;
}

#[tokio::test]
async fn the_studio_ends_a_live_stream_without_javascript() {
    let app = TestApp::spawn().await;
    let creator = signup_by_form(&app, "Ada", &unique_email("ada")).await;
    let id = api_stream(&app, &creator, json!({"title": "Live now"})).await;
    let res = creator
        .patch(app.url(&format!("/api/streams/{id}")))
        .json(&json!({"status": "LIVE"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let path = format!("/studio/{id}");
    let (_, page) = get(&app, &creator, &path).await;
    assert!(page.contains(r#"data-status="LIVE""#) && page.contains("data-started-at=\""));
    assert!(page.contains("End stream") && page.contains("Viewers will be disconnected."));
    let (_, list) = get(&app, &creator, "/studio").await;
    assert!(list.contains(&format!(r#"href="/studio/{id}">Open studio"#)));

    let res = post_form(
        &app,
        &creator,
        &format!("/studio/streams/{id}/end"),
        &[("csrf", &csrf_of(&page))],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(api_status(&app, &id).await["status"], "ENDED");
    let (status, page) = get(&app, &creator, &path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("This stream has ended") && page.contains("The creator ended the stream.")
    );
    assert!(
        script_src(&page).is_none(),
        "nothing to broadcast: no bundle"
    );
    assert!(page.contains("Back to the studio"));
    app.finish().await;
}

#[tokio::test]
async fn the_watch_page_mounts_the_player_until_the_stream_ends() {
    let app = TestApp::spawn().await;
    let creator = signup_by_form(&app, "Ada", &unique_email("ada")).await;
    let creator_id = me(&app, &creator).await["id"].as_str().unwrap().to_owned();
    let id = api_stream(&app, &creator, json!({"title": "Soon"})).await;
    let guest = browser();
    let (_, page) = get(&app, &guest, &format!("/watch/{id}")).await;
    assert!(script_src(&page).is_some());
    assert!(page.contains(&format!(r#"data-creator-id="{creator_id}""#)));
    assert!(page.contains("data-onair-announcer") && !page.contains("data-viewer-is-creator"));
    // The chat: a guest reads and is offered sign-in (back to this page); no message box.
    assert!(page.contains("data-onair-chat") && page.contains(r#"role="log""#));
    let signin = page
        .split("Sign in</a> to chat")
        .next()
        .and_then(|before| before.rsplit("href=\"").next())
        .unwrap_or_default();
    assert!(
        signin.starts_with("/login?next=") && signin.contains(&id),
        "sign-in link: {signin}"
    );
    assert!(!page.contains("data-chat-form"));
    // The creator's own tab must not join as a second copy of the broadcaster.
    let (_, own) = get(&app, &creator, &format!("/watch/{id}")).await;
    assert!(own.contains("data-chat-form") && own.contains(r#"maxlength="500""#));
    assert!(own.contains(r#"data-viewer-is-creator="true""#));
    assert!(own.contains(&format!(r#"href="/studio/{id}">Manage in studio"#)));

    let res = creator
        .patch(app.url(&format!("/api/streams/{id}")))
        .json(&json!({"status": "ENDED"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let (_, page) = get(&app, &guest, &format!("/watch/{id}")).await;
    assert!(
        script_src(&page).is_none(),
        "an ended stream has nothing to play"
    );
    assert!(!page.contains("data-onair-chat"), "nor anyone to chat with");
    app.finish().await;
}

#[tokio::test]
async fn the_bundle_and_its_source_map_are_served_immutable_and_gzipped() {
    let app = TestApp::spawn().await;
    let creator = signup_by_form(&app, "Ada", &unique_email("ada")).await;
    let id = api_stream(&app, &creator, json!({"title": "Soon"})).await;
    let (_, page) = get(&app, &browser(), &format!("/watch/{id}")).await;
    let js = script_src(&page).unwrap();

    let res = browser().get(app.url(&js)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()[header::CONTENT_TYPE],
        "text/javascript; charset=utf-8"
    );
    assert_eq!(
        res.headers()[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    let body = res.text().await.unwrap();
    let map = body
        .trim_end()
        .rsplit_once("//# sourceMappingURL=")
        .map(|(_, name)| format!("/assets/{name}"))
        .expect("the bundle names its source map");
    let res = browser().get(app.url(&map)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[header::CONTENT_TYPE], "application/json");
    let map: Value = res.json().await.unwrap();
    assert!(
        map["sources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s.as_str().unwrap().ends_with("frontend/src/player.ts"))
    );

    let res = browser()
        .get(app.url(&js))
        .header(header::ACCEPT_ENCODING, "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()[header::CONTENT_ENCODING], "gzip");
    let gzipped = res.bytes().await.unwrap().len();
    assert!(
        gzipped * 3 < body.len(),
        "gzip: {gzipped} bytes of {}",
        body.len()
    );
    app.finish().await;
}
