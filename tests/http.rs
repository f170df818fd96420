//! The HTTP surface: pages, 404s, `/healthz`, compression and the body limit.
#![cfg(feature = "ssr")]

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use tower::ServiceExt;

async fn app() -> (axum::Router, common::TestDb) {
    common::test_app("body_limit_bytes = 4096").await
}

async fn get(app: &axum::Router, uri: &str) -> (StatusCode, String) {
    let response = app
        .clone()
        .oneshot(Request::get(uri).body(Body::empty()).expect("request"))
        .await
        .expect("response");
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_says_ok_while_the_database_answers() {
    let (app, db) = app().await;
    assert_eq!(
        get(&app, "/healthz").await,
        (StatusCode::OK, "ok".to_owned())
    );
    db.pool.close().await;
    let (status, _) = get(&app, "/healthz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn home_lists_demo_articles_in_the_first_response() {
    let (app, _db) = app().await;
    let (status, html) = get(&app, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("href=\"/articles/cjk-typography-on-the-web\""),
        "{html}"
    );
    assert!(html.contains("href=\"/articles/sqlite-wal-in-production\""));
    assert!(html.contains("<html lang=\"en\""));
    assert!(html.contains(">BestHub</a>"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn article_page_renders_body_and_notice() {
    let (app, _db) = app().await;
    let (status, html) = get(&app, "/articles/cjk-typography-on-the-web").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("lang=\"zh\""), "{html}");
    assert!(html.contains("Republication Notice"));
    assert!(html.contains("mailto:takedown@example.com"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_pages_answer_404_not_found() {
    let (app, _db) = app().await;
    for uri in ["/articles/no-such-article", "/no/such/page"] {
        let (status, html) = get(&app, uri).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
        assert!(html.contains("Not found"), "{uri}: {html}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn responses_are_compressed_when_asked() {
    let (app, _db) = app().await;
    let response = app
        .oneshot(
            Request::get("/")
                .header(header::ACCEPT_ENCODING, "br")
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .expect("response");
    assert_eq!(
        response
            .headers()
            .get(header::CONTENT_ENCODING)
            .map(|v| v.as_bytes()),
        Some(&b"br"[..])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_bodies_are_refused() {
    let (app, _db) = app().await;
    let response = app
        .oneshot(
            Request::post("/api/anything")
                .header(header::CONTENT_LENGTH, "10000")
                .body(Body::from(vec![b'x'; 10_000]))
                .expect("request"),
        )
        .await
        .expect("response");
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn article_sections_come_in_contract_order() {
    let (app, _db) = app().await;
    let (status, html) = get(&app, "/articles/sqlite-wal-in-production").await;
    assert_eq!(status, StatusCode::OK);
    let order = [
        "<h1>",
        "min read",
        "class=\"prose\"",
        ">Original Source</h2>",
        "Sign in to view source",
        ">Republication Notice</h2>",
        "aria-label=\"Tags\"",
        ">Written by</h2>",
        "Sign in to follow",
        ">Reader feedback</h2>",
        "How this landed with the community",
        "Sign in to like",
        ">Rate this article</h3>",
        "Was this worth your time?",
        "Sign in to rate",
        "No ratings yet",
        "5 stars: 0",
        "1 star: 0",
        ">Discussion</h2>",
        "0 Comments",
        "Sign in to comment",
    ];
    let mut from = 0;
    for needle in order {
        let at = html[from..]
            .find(needle)
            .unwrap_or_else(|| panic!("{needle:?} missing or out of order"));
        from += at + needle.len();
    }
    assert_eq!(html.matches("<h1").count(), 1);
    assert!(
        html.contains("href=\"/signin?next=/articles/sqlite-wal-in-production%23reader-feedback\"")
    );
    let head = &html[..html.find("<body").unwrap_or(html.len())];
    assert!(
        head.contains("rel=\"canonical\"")
            && head.contains("href=\"http://127.0.0.1:3000/articles/sqlite-wal-in-production\""),
        "{head}"
    );
    assert!(html.contains("property=\"og:title\""));
    assert!(html.contains("\"@type\":\"Article\""));
    assert!(
        !html.contains("example.com/"),
        "the source URL must not leak to signed-out readers"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn author_and_tag_pages_and_their_404s() {
    let (app, _db) = app().await;
    let (status, html) = get(&app, "/authors/selma-arvidsson").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<h1>Selma Arvidsson</h1>"), "{html}");
    assert!(html.contains("0 followers"));
    assert!(html.contains("/articles/sqlite-wal-in-production"));
    let (status, html) = get(&app, "/tags/performance").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(">performance</h1>"), "{html}");
    assert!(html.contains("/articles/taming-cache-stampedes"));
    for uri in ["/authors/nobody-at-all", "/tags/no-such-tag"] {
        let (status, html) = get(&app, uri).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
        assert!(html.contains("Not found"), "{uri}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn source_redirect_is_for_signed_in_readers_only() {
    let (app, db) = app().await;
    let response = app
        .clone()
        .oneshot(
            Request::get("/articles/sqlite-wal-in-production/source")
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .expect("response");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        response.headers()[header::LOCATION],
        "/signin?next=/articles/sqlite-wal-in-production"
    );

    // A reader with a session is sent to the stored URL, and the use is recorded.
    let (user, token) = common::signed_in_reader(&db, "ada@example.com").await;
    let response = app
        .clone()
        .oneshot(
            Request::get("/articles/sqlite-wal-in-production/source?to=https://evil.example")
                .header(header::COOKIE, format!("besthub_session={token}"))
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .expect("response");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()[header::LOCATION]
        .to_str()
        .expect("location");
    assert!(location.starts_with("https://example."), "{location}");
    let uses: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM source_redirects WHERE user_id = $1")
        .bind(user)
        .fetch_one(&db.pool)
        .await
        .expect("count");
    assert_eq!(uses, 1);

    let (status, _) = get(&app, "/articles/no-such-article/source").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listings_page_by_twenty_with_links_that_need_no_script() {
    let (app, db) = app().await;
    // 5 demo articles + 21 more, all tagged "paging": two pages everywhere.
    for i in 0..21 {
        let text = format!(
            "---\ntitle: Paging article {i}\nsummary: S.\nauthor: Selma Arvidsson\nauthor_bio: Bio.\n\
             tags: [paging]\nsource_url: https://example.com/{i}\npublished: 2025-01-{:02}\n---\nBody.\n",
            i + 1
        );
        let outcome = besthub::import::import_text(&db.pool, "gen.md", &text).await;
        assert!(
            matches!(outcome, besthub::import::FileOutcome::Imported(_)),
            "{outcome:?}"
        );
    }
    for base in ["/", "/authors/selma-arvidsson", "/tags/paging"] {
        let (_, first) = get(&app, base).await;
        let next = if base == "/" {
            "/?page=2".to_owned()
        } else {
            format!("{base}?page=2")
        };
        assert!(
            first.contains(&format!("href=\"{next}\" rel=\"next\"")),
            "{base}: {first}"
        );
        assert!(!first.contains("rel=\"prev\""), "{base}");
        let (status, second) = get(&app, &next).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            second.contains(&format!("href=\"{base}\" rel=\"prev\"")),
            "{base}: {second}"
        );
        assert!(!second.contains("rel=\"next\""), "{base}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_are_kept_until_a_write_and_never_shown_to_another_reader() {
    let (app, db) = app().await;
    let page = |cookie: Option<String>| {
        let mut request = Request::get("/articles/sqlite-wal-in-production");
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        request.body(Body::empty()).expect("request")
    };
    let first = common::send(&app, page(None)).await;
    assert_eq!(first.status, StatusCode::OK);
    let first_csrf = first.cookie("besthub_csrf").expect("a CSRF cookie");

    // A change the server did not make itself is not seen while the page is kept…
    sqlx::query("UPDATE articles SET title = 'Changed behind its back' WHERE slug = $1")
        .bind("sqlite-wal-in-production")
        .execute(&db.pool)
        .await
        .expect("update");
    let second = common::send(&app, page(None)).await;
    assert_eq!(second.body, first.body, "served from memory");
    let second_csrf = second.cookie("besthub_csrf").expect("its own CSRF cookie");
    assert_ne!(
        first_csrf, second_csrf,
        "cookies are never replayed to the next reader"
    );
    let with_cookie = common::send(&app, page(Some(format!("besthub_csrf={second_csrf}")))).await;
    assert!(
        with_cookie.set_cookies().is_empty(),
        "{:?}",
        with_cookie.set_cookies()
    );

    // …a signed-in reader gets a page of their own, kept for them alone…
    let (_, token) = common::signed_in_reader(&db, "ada@example.com").await;
    let signed_in = common::send(&app, page(Some(format!("besthub_session={token}")))).await;
    assert!(signed_in.body.contains("Changed behind its back"));
    assert!(signed_in.body.contains("Sign out"));
    let (_, other) = common::signed_in_reader(&db, "bob@example.com").await;
    sqlx::query("UPDATE users SET name = 'Bob Example' WHERE email = 'bob@example.com'")
        .execute(&db.pool)
        .await
        .expect("rename");
    let bob = common::send(&app, page(Some(format!("besthub_session={other}")))).await;
    assert!(
        bob.body.contains("Bob Example"),
        "never another reader's page"
    );
    assert!(
        !bob.body.contains(">Reader<"),
        "never another reader's page"
    );

    // …a refused write changes nothing, so the page stays kept…
    let write = |session: Option<&str>| {
        let mut request = Request::post("/api/post_comment")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ORIGIN, "http://127.0.0.1:3000");
        if let Some(token) = session {
            request = request.header(header::COOKIE, format!("besthub_session={token}"));
        }
        request
            .body(Body::from("slug=sqlite-wal-in-production&body=hi"))
            .expect("request")
    };
    let refused = common::send(&app, write(None)).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    let third = common::send(&app, page(None)).await;
    assert_eq!(third.body, first.body, "still served from memory");

    // …and a write to the article drops its page at once.
    let posted = common::send(&app, write(Some(&token))).await;
    assert_eq!(posted.status, StatusCode::OK, "{}", posted.body);
    let fourth = common::send(&app, page(None)).await;
    assert!(fourth.body.contains("Changed behind its back"));
}

/// Sends `body` to `uri` with `content_type`, as a script calling the API would, and returns
/// the status and body text.
async fn post_raw(
    app: &axum::Router,
    uri: &str,
    content_type: &str,
    body: Vec<u8>,
    declare_length: bool,
) -> (StatusCode, String) {
    let mut request = Request::post(uri)
        .header(header::CONTENT_TYPE, content_type)
        .header(header::ACCEPT, "application/json")
        .header(header::ORIGIN, common::ORIGIN);
    if declare_length {
        request = request.header(header::CONTENT_LENGTH, body.len().to_string());
    }
    let reply = common::send(app, request.body(Body::from(body)).expect("request")).await;
    (reply.status, reply.body)
}

/// Bodies and queries that cannot be decoded are the client's fault: 400 with our words,
/// never 500 or the decoder's message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undecodable_server_function_calls_get_400_in_our_words() {
    let (app, _db) = app().await;
    let slug = "sqlite-wal-in-production";
    let mut utf16 = Vec::new();
    for unit in format!("slug={slug}&body=hello").encode_utf16() {
        utf16.extend_from_slice(&unit.to_le_bytes());
    }
    let posts: Vec<(&str, Vec<u8>)> = vec![
        ("application/x-www-form-urlencoded", Vec::new()),
        ("application/x-www-form-urlencoded", b"slug=x".to_vec()),
        (
            "application/json",
            format!(r#"{{"slug":"{slug}","body":"hi"}}"#).into_bytes(),
        ),
        (
            "multipart/form-data; boundary=XyZ",
            b"--XyZ\r\nContent-Disposition: form-data; name=\"slug\"\r\n\r\nx\r\n--XyZ--\r\n"
                .to_vec(),
        ),
        ("application/x-www-form-urlencoded; charset=utf-16", utf16),
        (
            "application/x-www-form-urlencoded",
            b"slug=\xff\xfe&body=\xc3(".to_vec(),
        ),
        (
            "application/x-www-form-urlencoded",
            b"slug=x&body=hi&parent=abc".to_vec(),
        ),
    ];
    for (content_type, body) in posts {
        let shown = String::from_utf8_lossy(&body).into_owned();
        let (status, text) = post_raw(&app, "/api/post_comment", content_type, body, true).await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "{content_type} {shown:?}: {text}"
        );
        assert!(
            text.contains("The request could not be read"),
            "{content_type} {shown:?}: {text}"
        );
        assert!(
            !text.contains("deserializ") && !text.contains("missing field"),
            "the decoder's text leaked: {text}"
        );
    }
    for query in [
        format!("slug={slug}&page=-1"),
        format!("slug={slug}&page=99999999999999999999"),
        format!("slug={slug}&page=2&page=3"),
        format!("slug={slug}&page=two"),
        "page=1".to_owned(),
    ] {
        let (status, text) = get(&app, &format!("/api/get_comments?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {text}");
    }
    let (status, text) = get(&app, &format!("/api/get_comment_thread?slug={slug}&id=abc")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
}

/// A body over the limit is 413 whether its length is declared or it comes chunked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_over_the_limit_get_413_declared_or_chunked() {
    let (app, _db) = app().await;
    for declared in [true, false] {
        let body = format!("slug=x&body={}", "y".repeat(5_000)).into_bytes();
        let (status, text) = post_raw(
            &app,
            "/api/post_comment",
            "application/x-www-form-urlencoded",
            body,
            declared,
        )
        .await;
        assert_eq!(
            status,
            StatusCode::PAYLOAD_TOO_LARGE,
            "declared {declared}: {text}"
        );
        let err: besthub::error::AppError = serde_json::from_str(&text).expect("an AppError");
        assert_eq!(err.to_string(), "The request is too large.");
    }
    // Under the limit and chunked, the body reaches the function (401: nobody signed in).
    let (status, _) = post_raw(
        &app,
        "/api/post_comment",
        "application/x-www-form-urlencoded",
        b"slug=x&body=hello".to_vec(),
        false,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

/// Every error answers with its own status, set in one place: "not found" from feedback is
/// 404, validation 422, a missing session 401.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_function_errors_carry_their_status() {
    use besthub::feedback::{RateArticle, SetLike};
    use leptos::server_fn::ServerFn;
    let (app, db) = app().await;
    let (_, token) = common::signed_in_reader(&db, "ada@example.com").await;
    let reply = common::call_form(
        &app,
        SetLike::PATH,
        &[("slug", "no-such-article"), ("liked", "true")],
        Some(&token),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.body);
    let reply = common::call_form(
        &app,
        RateArticle::PATH,
        &[("slug", "sqlite-wal-in-production"), ("stars", "9")],
        Some(&token),
    )
    .await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.body
    );
    let reply = common::call_form(
        &app,
        SetLike::PATH,
        &[("slug", "sqlite-wal-in-production"), ("liked", "true")],
        None,
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.body);
}
