//! The reading list over HTTP: who may save, what is refused, plain form posts that come
//! back, and the pages that show the list. On SQLite, and on PostgreSQL when
//! `BESTHUB_TEST_APP_DB=postgres` (`make unit` runs both).
#![cfg(feature = "ssr")]

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use besthub::reading_list::{GetSavedPage, SetSaved};
use common::{call_form, read, send, Reply, ORIGIN};
use leptos::server_fn::ServerFn;

const SLUG: &str = "sqlite-wal-in-production";
const TITLE: &str = "Running SQLite in WAL Mode in Production: What Actually Matters";
const OTHER: &str = "taming-cache-stampedes";

async fn rows(db: &common::TestDb) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM saved_articles")
        .fetch_one(&db.pool)
        .await
        .expect("count")
}

/// A browser's form post without JavaScript: it asks for HTML and sends no script headers.
async fn form_post(app: &axum::Router, pairs: &[(&str, &str)], session: &str) -> Reply {
    let request = Request::post(SetSaved::PATH)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(
            header::ACCEPT,
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        )
        .header(header::ORIGIN, ORIGIN)
        .header(header::REFERER, format!("{ORIGIN}/articles/{SLUG}"))
        .header(header::COOKIE, format!("besthub_session={session}"))
        .body(Body::from(common::form(pairs)))
        .expect("request");
    send(app, request).await
}

/// A page as a browser asks for it, as the reader of `session` when given.
async fn page(app: &axum::Router, path: &str, session: Option<&str>) -> Reply {
    let mut request = Request::get(path).header(header::ACCEPT, "text/html");
    if let Some(token) = session {
        request = request.header(header::COOKIE, format!("besthub_session={token}"));
    }
    send(app, request.body(Body::empty()).expect("request")).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_out_readers_cannot_save_and_are_asked_to_sign_in() {
    let (app, db) = common::test_app("").await;
    let reply = call_form(
        &app,
        SetSaved::PATH,
        &[("slug", SLUG), ("saved", "true")],
        None,
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.body);
    let reply = read(&app, &format!("{}?page=1", GetSavedPage::PATH), None).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.body);
    assert_eq!(rows(&db).await, 0);

    let article = page(&app, &format!("/articles/{SLUG}"), None).await;
    assert_eq!(article.status, StatusCode::OK);
    assert!(
        article.body.contains(&format!(
            "href=\"/signin?next=/articles/{SLUG}\">Sign in to save</a>"
        )),
        "the article page links to sign in: {}",
        article.body
    );
    assert!(!article.body.contains(SetSaved::PATH), "no form signed out");
    let home = page(&app, "/", None).await;
    let cards = home.body.matches("class=\"article-card\"").count();
    assert!(cards >= 5, "the demo articles are listed");
    assert_eq!(
        home.body.matches(">Sign in to save</a>").count(),
        cards,
        "every item of the home page"
    );
    let saved = page(&app, "/saved", None).await;
    assert_eq!(saved.status, StatusCode::OK);
    assert!(saved
        .body
        .contains("<h1 class=\"page-title\">Saved articles</h1>"));
    assert!(
        saved
            .body
            .contains("href=\"/signin?next=/saved\">Sign in to see your saved articles</a>"),
        "{}",
        saved.body
    );
    db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_and_unpublished_articles_answer_404() {
    let (app, db) = common::test_app("").await;
    let (_, token) = common::signed_in_reader(&db, "ada@example.com").await;
    let reply = call_form(
        &app,
        SetSaved::PATH,
        &[("slug", "no-such-article"), ("saved", "true")],
        Some(&token),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.body);
    besthub::moderation::store::set_removed(&db.pool, OTHER, Some("Takedown"), 1)
        .await
        .expect("unpublish");
    let reply = call_form(
        &app,
        SetSaved::PATH,
        &[("slug", OTHER), ("saved", "true")],
        Some(&token),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.body);
    // A call that is not a form of ours at all.
    let reply = call_form(
        &app,
        SetSaved::PATH,
        &[("slug", SLUG), ("saved", "maybe")],
        Some(&token),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert_eq!(rows(&db).await, 0);
    db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saving_in_place_is_idempotent_and_shows_everywhere() {
    let (app, db) = common::test_app("").await;
    let (_, token) = common::signed_in_reader(&db, "ada@example.com").await;
    for _ in 0..2 {
        let reply = call_form(
            &app,
            SetSaved::PATH,
            &[("slug", SLUG), ("saved", "true"), ("back", "/")],
            Some(&token),
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        assert_eq!(reply.body, r#"{"saved":true}"#);
    }
    assert_eq!(rows(&db).await, 1);

    let article = page(&app, &format!("/articles/{SLUG}"), Some(&token)).await;
    assert_eq!(article.status, StatusCode::OK);
    assert!(
        article
            .body
            .contains("aria-pressed=\"true\" class=\"toggle\">Saved</button>"),
        "{}",
        article.body
    );
    // The header links to the list.
    assert!(article.body.contains("<a href=\"/saved\">Saved</a>"));
    // On the home page that one item is saved and the other four are not.
    let home = page(&app, "/", Some(&token)).await;
    let cards = home.body.matches("class=\"article-card\"").count();
    assert_eq!(
        home.body
            .matches("aria-pressed=\"true\" class=\"toggle\">Saved</button>")
            .count(),
        1
    );
    assert_eq!(
        home.body
            .matches("aria-pressed=\"false\" class=\"toggle\">Save</button>")
            .count(),
        cards - 1
    );
    let tag = page(&app, "/tags/databases", Some(&token)).await;
    assert!(tag
        .body
        .contains("aria-pressed=\"true\" class=\"toggle\">Saved</button>"));

    let reply = read(
        &app,
        &format!("{}?page=1", GetSavedPage::PATH),
        Some(&token),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert!(reply.body.contains(SLUG), "{}", reply.body);

    for _ in 0..2 {
        let reply = call_form(
            &app,
            SetSaved::PATH,
            &[("slug", SLUG), ("saved", "false")],
            Some(&token),
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        assert_eq!(reply.body, r#"{"saved":false}"#);
    }
    assert_eq!(rows(&db).await, 0);
    db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_form_posts_come_back_and_saved_lists_them() {
    let (app, db) = common::test_app("").await;
    let (_, token) = common::signed_in_reader(&db, "ada@example.com").await;
    // Without `back`: to the article.
    let reply = form_post(&app, &[("slug", SLUG), ("saved", "true")], &token).await;
    assert!(
        reply.status.is_redirection(),
        "{}: {}",
        reply.status,
        reply.body
    );
    assert_eq!(reply.headers["location"], format!("/articles/{SLUG}"));
    // With `back`: to that listing, never off the site.
    let reply = form_post(
        &app,
        &[("slug", OTHER), ("saved", "true"), ("back", "/?page=1")],
        &token,
    )
    .await;
    assert!(reply.status.is_redirection(), "{}", reply.status);
    assert_eq!(reply.headers["location"], "/?page=1");
    let reply = form_post(
        &app,
        &[
            ("slug", OTHER),
            ("saved", "true"),
            ("back", "https://evil.example/"),
        ],
        &token,
    )
    .await;
    assert_eq!(reply.headers["location"], "/");
    assert_eq!(rows(&db).await, 2);

    // Newest saved first, each with a "Remove" form.
    let saved = page(&app, "/saved", Some(&token)).await;
    assert_eq!(saved.status, StatusCode::OK);
    let body = &saved.body;
    assert!(body.contains("Saved articles · BestHub</title>"), "{body}");
    let first = body
        .find("Taming Cache Stampedes")
        .expect("the second save is listed");
    let second = body.find(TITLE).expect("the first save is listed");
    assert!(first < second, "newest saved first");
    assert_eq!(body.matches(">Remove</button>").count(), 2);

    // "Remove" comes back to the list, which is then shorter.
    let reply = form_post(
        &app,
        &[("slug", OTHER), ("saved", "false"), ("back", "/saved")],
        &token,
    )
    .await;
    assert!(reply.status.is_redirection(), "{}", reply.status);
    assert_eq!(reply.headers["location"], "/saved");
    let saved = page(&app, "/saved", Some(&token)).await;
    assert!(!saved.body.contains("Taming Cache Stampedes"));
    assert!(saved.body.contains(TITLE));
    form_post(
        &app,
        &[("slug", SLUG), ("saved", "false"), ("back", "/saved")],
        &token,
    )
    .await;
    let saved = page(&app, "/saved", Some(&token)).await;
    assert!(saved.body.contains("Nothing saved yet."), "{}", saved.body);
    db.close().await;
}
