//! Sign-up, sign-in and sign-out by form, and CSRF rejection.

use crate::support::*;

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
async fn sign_in_forms_share_the_login_rate_limit() {
    let app = TestApp::spawn_with(crate::helpers::Backend::Sqlite, |config| {
        config.rate_limits.auth_per_minute = 2;
    })
    .await;
    let b = browser();
    let (_, page) = get(&app, &b, "/login").await;
    let token = csrf_of(&page);
    let fields = [
        ("email", "nobody@example.com"),
        ("password", "wrong horse"),
        ("csrf", token.as_str()),
    ];
    for _ in 0..2 {
        let res = post_form(&app, &b, "/login", &fields).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let res = post_form(&app, &b, "/login", &fields).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().contains_key(header::RETRY_AFTER));
    let page = res.text().await.unwrap();
    assert!(page.contains("Slow down a little") && page.contains("<!doctype html>"));
    app.finish().await;
}
