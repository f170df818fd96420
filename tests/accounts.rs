//! Accounts over HTTP: sessions, rotation and expiry, the sign-in lock, CSRF and 401s.
#![cfg(feature = "ssr")]

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use besthub::accounts::{GetCurrentUser, SignIn, SignOut, SignUp};
use common::{call, form, read, send, Reply, ORIGIN};
use leptos::server_fn::ServerFn;

async fn sign_up(app: &axum::Router, email: &str, password: &str) -> Reply {
    call(
        app,
        SignUp::PATH,
        form(&[("name", "Ada"), ("email", email), ("password", password)]),
        None,
    )
    .await
}

async fn sign_in(app: &axum::Router, email: &str, password: &str, session: Option<&str>) -> Reply {
    call(
        app,
        SignIn::PATH,
        form(&[("email", email), ("password", password)]),
        session,
    )
    .await
}

async fn who(app: &axum::Router, session: &str) -> String {
    read(app, GetCurrentUser::PATH, Some(session)).await.body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_up_starts_a_hardened_session() {
    let (app, _db) = common::test_app("").await;
    let reply = sign_up(&app, "  Ada@Example.com ", "correct horse battery").await;
    assert!(
        reply.status.is_success() || reply.status.is_redirection(),
        "{}",
        reply.body
    );
    let cookie = reply
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("besthub_session="))
        .expect("session cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(cookie.contains("Path=/"), "{cookie}");
    assert!(!cookie.contains("Secure"), "http site: {cookie}");
    let token = reply.cookie("besthub_session").expect("token");
    assert!(who(&app, &token).await.contains("\"name\":\"Ada\""));

    // The same email, differently cased, is taken.
    let again = sign_up(&app, "ada@EXAMPLE.com", "another password").await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        again
            .body
            .contains("An account with this email already exists"),
        "{}",
        again.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secure_cookies_on_https_sites() {
    let (app, _db) = common::test_app("public_url = \"https://besthub.example\"").await;
    let reply = call(
        &app,
        SignUp::PATH,
        form(&[
            ("name", "Ada"),
            ("email", "ada@example.com"),
            ("password", "correct horse"),
        ]),
        None,
    )
    .await;
    // The request's Origin is not the https public URL but matches no Host either: refused.
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    let request = Request::post(SignUp::PATH)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "application/json")
        .header(header::ORIGIN, "https://besthub.example")
        .body(Body::from(form(&[
            ("name", "Ada"),
            ("email", "ada@example.com"),
            ("password", "correct horse"),
        ])))
        .expect("request");
    let reply = send(&app, request).await;
    let cookie = reply
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("besthub_session="))
        .expect("session cookie");
    assert!(cookie.contains("Secure"), "{cookie}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_rotates_the_session_and_sign_out_ends_it() {
    let (app, _db) = common::test_app("").await;
    let first = sign_up(&app, "ada@example.com", "correct horse").await;
    let old = first.cookie("besthub_session").expect("token");

    let reply = sign_in(&app, "ada@example.com", "correct horse", Some(&old)).await;
    let new = reply.cookie("besthub_session").expect("new token");
    assert_ne!(old, new, "sign-in must issue a new session id");
    assert_eq!(who(&app, &old).await, "null", "the old session is gone");
    assert!(who(&app, &new).await.contains("Ada"));

    let out = call(&app, SignOut::PATH, String::new(), Some(&new)).await;
    assert!(out.status.is_success(), "{}", out.body);
    assert_eq!(out.cookie("besthub_session").as_deref(), Some(""));
    assert_eq!(who(&app, &new).await, "null");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_sessions_are_refused_and_live_ones_slide() {
    let (app, db) = common::test_app("").await;
    let token = sign_up(&app, "ada@example.com", "correct horse")
        .await
        .cookie("besthub_session")
        .expect("token");
    let now = besthub::db::now_ms();

    // Ten days left: the next request slides it back to thirty.
    sqlx::query("UPDATE sessions SET expires_at = $1")
        .bind(now + 10 * 24 * 3600 * 1000)
        .execute(&db.pool)
        .await
        .expect("update");
    let reply = read(&app, GetCurrentUser::PATH, Some(&token)).await;
    assert!(
        reply.cookie("besthub_session").is_some(),
        "cookie refreshed"
    );
    let expires: i64 = sqlx::query_scalar("SELECT expires_at FROM sessions")
        .fetch_one(&db.pool)
        .await
        .expect("expiry");
    assert!(expires > now + 29 * 24 * 3600 * 1000, "expiry slid forward");

    // Expired: anonymous, and the browser is told to drop the cookie.
    sqlx::query("UPDATE sessions SET expires_at = $1")
        .bind(now - 1)
        .execute(&db.pool)
        .await
        .expect("update");
    let reply = read(&app, GetCurrentUser::PATH, Some(&token)).await;
    assert_eq!(reply.body, "null");
    assert_eq!(reply.cookie("besthub_session").as_deref(), Some(""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_failures_lock_the_account_even_for_the_right_password() {
    let (app, db) = common::test_app("").await;
    sign_up(&app, "ada@example.com", "correct horse").await;
    for attempt in 1..=4 {
        let reply = sign_in(&app, "ada@example.com", "wrong password", None).await;
        assert!(
            reply.body.contains("Email or password is incorrect"),
            "attempt {attempt}: {}",
            reply.body
        );
        assert!(reply.cookie("besthub_session").is_none());
    }
    let fifth = sign_in(&app, "ada@example.com", "wrong password", None).await;
    assert!(
        fifth
            .body
            .contains("Too many failed sign-ins. Try again in 15 minutes."),
        "{}",
        fifth.body
    );
    let right = sign_in(&app, "ada@example.com", "correct horse", None).await;
    assert!(
        right.body.contains("Too many failed sign-ins."),
        "{}",
        right.body
    );
    assert!(
        right.cookie("besthub_session").is_none(),
        "no session during the lock"
    );

    // Once the lock has passed, the right password works again.
    sqlx::query("UPDATE users SET locked_until = $1")
        .bind(besthub::db::now_ms() - 1)
        .execute(&db.pool)
        .await
        .expect("unlock");
    let right = sign_in(&app, "ada@example.com", "correct horse", None).await;
    assert!(right.cookie("besthub_session").is_some(), "{}", right.body);

    // An unknown email reads exactly like a wrong password.
    let unknown = sign_in(&app, "nobody@example.com", "whatever123", None).await;
    assert!(unknown.body.contains("Email or password is incorrect"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_origin_posts_are_refused() {
    let (app, db) = common::test_app("").await;
    let body = form(&[
        ("name", "Eve"),
        ("email", "eve@example.com"),
        ("password", "correct horse"),
    ]);
    for (name, value) in [
        ("origin", "https://evil.example"),
        ("sec-fetch-site", "cross-site"),
    ] {
        let request = Request::post(SignUp::PATH)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(name, value)
            .body(Body::from(body.clone()))
            .expect("request");
        assert_eq!(
            send(&app, request).await.status,
            StatusCode::FORBIDDEN,
            "{name}"
        );
    }
    // Neither header and no token: refused too.
    let request = Request::post(SignUp::PATH)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body.clone()))
        .expect("request");
    assert_eq!(send(&app, request).await.status, StatusCode::FORBIDDEN);
    let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(&db.pool)
        .await
        .expect("count");
    assert_eq!(users, 0, "nothing was created");

    // The token fallback: a header equal to the CSRF cookie.
    let request = Request::post(SignUp::PATH)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "application/json")
        .header(header::COOKIE, "besthub_csrf=abc123token")
        .header("x-csrf-token", "abc123token")
        .body(Body::from(body))
        .expect("request");
    assert!(send(&app, request)
        .await
        .cookie("besthub_session")
        .is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_calls_to_protected_functions_get_401() {
    let (app, _db) = common::test_app("").await;
    let reply = call(&app, SignOut::PATH, String::new(), None).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    let reply = call(
        &app,
        SignOut::PATH,
        String::new(),
        Some("forged-session-id"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_ups_are_limited_per_client_address() {
    let (app, _db) = common::test_app("signups_per_hour = 60").await;
    for _ in 0..60 {
        // Invalid attempts count too, and cost no password hashing.
        let reply = sign_up(&app, "not-an-email", "short").await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let reply = sign_up(&app, "ada@example.com", "correct horse").await;
    assert!(
        reply.body.contains("Too many sign-up attempts"),
        "{}",
        reply.body
    );
    assert!(reply.cookie("besthub_session").is_none());
}

/// Wrong passwords sent all at once: each claims its attempt before it is checked, so no more
/// than the lock allows are ever answered "incorrect" (checked), and the account ends locked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_wrong_passwords_get_no_more_checks_than_the_lock_allows() {
    let (app, db) = common::test_app("sign_ins_per_minute = 100000").await;
    sign_up(&app, "ada@example.com", "correct horse").await;
    let mut tasks = Vec::new();
    for _ in 0..40 {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            sign_in(&app, "ada@example.com", "wrong password", None).await
        }));
    }
    let (mut incorrect, mut locked, mut busy) = (0, 0, 0);
    for task in tasks {
        let reply = task.await.expect("task");
        if reply.body.contains("Email or password is incorrect") {
            incorrect += 1;
        } else if reply.body.contains("Too many failed sign-ins.") {
            locked += 1;
        } else if reply.status == StatusCode::TOO_MANY_REQUESTS {
            busy += 1;
        } else {
            panic!("unexpected answer {}: {}", reply.status, reply.body);
        }
    }
    assert!(
        incorrect < besthub::accounts::MAX_FAILED_SIGN_INS,
        "{incorrect} wrong passwords were checked"
    );
    assert!(
        locked >= 1,
        "incorrect {incorrect}, locked {locked}, busy {busy}"
    );
    let locked_until: Option<i64> = sqlx::query_scalar("SELECT locked_until FROM users")
        .fetch_one(&db.pool)
        .await
        .expect("user");
    assert!(locked_until.is_some_and(|until| until > besthub::db::now_ms()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_ins_are_limited_per_client_address() {
    let (app, _db) = common::test_app("sign_ins_per_minute = 5").await;
    sign_up(&app, "ada@example.com", "correct horse").await;
    for _ in 0..5 {
        let reply = sign_in(&app, "nobody@example.com", "wrong password", None).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            reply.body
        );
    }
    // Even the right password waits for the next minute: the limit is on the address.
    let reply = sign_in(&app, "ada@example.com", "correct horse", None).await;
    assert_eq!(
        reply.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        reply.body
    );
    assert!(
        reply
            .body
            .contains("Too many sign-in attempts. Try again in a minute."),
        "{}",
        reply.body
    );
    assert!(reply.cookie("besthub_session").is_none());
}

/// More sign-ins than the hashing queue holds: the excess is refused at once with 429, and
/// the ones admitted are answered normally.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_ins_beyond_the_hashing_queue_get_429_at_once() {
    let (app, _db) = common::test_app("sign_ins_per_minute = 100000").await;
    let mut tasks = Vec::new();
    for i in 0..150 {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            let started = std::time::Instant::now();
            let email = format!("nobody{i}@example.com");
            let reply = sign_in(&app, &email, "wrong password", None).await;
            (reply, started.elapsed())
        }));
    }
    let (mut checked, mut refused) = (0, 0);
    for task in tasks {
        let (reply, _) = task.await.expect("task");
        match reply.status {
            StatusCode::UNPROCESSABLE_ENTITY => checked += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                assert!(
                    reply
                        .body
                        .contains("Too many sign-in attempts. Try again in a minute."),
                    "{}",
                    reply.body
                );
                refused += 1;
            }
            other => panic!("unexpected {other}: {}", reply.body),
        }
    }
    assert!(
        checked >= 1 && refused >= 1,
        "checked {checked}, refused {refused}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn form_posts_without_javascript_redirect_to_next_or_back_with_the_error() {
    let (app, _db) = common::test_app("").await;
    sign_up(&app, "ada@example.com", "correct horse").await;
    let post = |body: String| {
        Request::post(SignIn::PATH)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "text/html")
            .header(header::ORIGIN, ORIGIN)
            .header(header::REFERER, format!("{ORIGIN}/signin?next=/articles/x"))
            .body(Body::from(body))
            .expect("request")
    };
    let ok = send(
        &app,
        post(form(&[
            ("email", "ada@example.com"),
            ("password", "correct horse"),
            ("next", "/articles/x#reader-feedback"),
        ])),
    )
    .await;
    assert!(ok.status.is_redirection());
    assert_eq!(ok.headers["location"], "/articles/x#reader-feedback");

    for evil in ["//evil.example", "https://evil.example", "/\\evil.example"] {
        let reply = send(
            &app,
            post(form(&[
                ("email", "ada@example.com"),
                ("password", "correct horse"),
                ("next", evil),
            ])),
        )
        .await;
        assert_eq!(reply.headers["location"], "/", "{evil}");
    }

    let bad = send(
        &app,
        post(form(&[
            ("email", "ada@example.com"),
            ("password", "nope nope"),
            ("next", "/"),
        ])),
    )
    .await;
    assert!(bad.status.is_redirection());
    let location = bad.headers["location"].to_str().expect("location");
    assert!(location.contains("/signin?next=/articles/x"), "{location}");
    assert!(location.contains("__err="), "{location}");
}
