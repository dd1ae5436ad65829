//! The studio: sign-in required, and its create / end / delete forms.

use crate::support::*;

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
