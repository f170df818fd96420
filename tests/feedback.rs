//! Feedback over HTTP: anonymous calls get 401, bad ratings are refused, self-follows too.
#![cfg(feature = "ssr")]

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use besthub::feedback::{RateArticle, RemoveRating, SetFollow, SetLike};
use common::{call_form, send};
use leptos::server_fn::ServerFn;

const SLUG: &str = "sqlite-wal-in-production";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_calls_get_401_and_change_nothing() {
    let (app, db) = common::test_app("").await;
    let cases: [(&str, Vec<(&str, &str)>); 4] = [
        (SetLike::PATH, vec![("slug", SLUG), ("liked", "true")]),
        (RateArticle::PATH, vec![("slug", SLUG), ("stars", "5")]),
        (RemoveRating::PATH, vec![("slug", SLUG)]),
        (
            SetFollow::PATH,
            vec![("handle", "selma-arvidsson"), ("following", "true")],
        ),
    ];
    for (path, pairs) in &cases {
        let reply = call_form(&app, path, pairs, None).await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "{path}: {}",
            reply.body
        );
    }
    let changed: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM likes) + (SELECT COUNT(*) FROM ratings) + (SELECT COUNT(*) FROM follows)",
    )
    .fetch_one(&db.pool)
    .await
    .expect("count");
    assert_eq!(changed, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_whole_ratings_from_one_to_five_are_accepted() {
    let (app, db) = common::test_app("").await;
    let (_, token) = common::signed_in_reader(&db, "ada@example.com").await;
    for bad in ["0", "6", "2.5", "x"] {
        let reply = call_form(
            &app,
            RateArticle::PATH,
            &[("slug", SLUG), ("stars", bad)],
            Some(&token),
        )
        .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert!(
            reply.body.contains("whole number of stars from 1 to 5"),
            "{bad}: {}",
            reply.body
        );
    }
    // "Save rating" without a choice (no JavaScript): no stars at all.
    let reply = call_form(&app, RateArticle::PATH, &[("slug", SLUG)], Some(&token)).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        reply.body.contains(besthub::feedback::NO_STARS),
        "{}",
        reply.body
    );
    let ratings: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ratings")
        .fetch_one(&db.pool)
        .await
        .expect("count");
    assert_eq!(ratings, 0);
    let sum: i64 = sqlx::query_scalar("SELECT rating_count FROM articles WHERE slug = $1")
        .bind(SLUG)
        .fetch_one(&db.pool)
        .await
        .expect("count");
    assert_eq!(sum, 0);

    let reply = call_form(
        &app,
        RateArticle::PATH,
        &[("slug", SLUG), ("stars", "4")],
        Some(&token),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert!(reply.body.contains("\"mine\":4"), "{}", reply.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readers_act_only_as_themselves_and_authors_cannot_follow_themselves() {
    let (app, db) = common::test_app("").await;
    let (user, token) = common::signed_in_reader(&db, "selma@example.com").await;
    // Extra fields naming someone else are not part of the call: the session decides.
    let reply = call_form(
        &app,
        SetLike::PATH,
        &[("slug", SLUG), ("liked", "true"), ("user_id", "999")],
        Some(&token),
    )
    .await;
    assert!(reply.status.is_success() || reply.status.is_client_error());
    let others: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM likes WHERE user_id <> $1")
        .bind(user)
        .fetch_one(&db.pool)
        .await
        .expect("count");
    assert_eq!(others, 0);

    sqlx::query("UPDATE authors SET user_id = $1 WHERE handle = 'selma-arvidsson'")
        .bind(user)
        .execute(&db.pool)
        .await
        .expect("link author");
    let reply = call_form(
        &app,
        SetFollow::PATH,
        &[("handle", "selma-arvidsson"), ("following", "true")],
        Some(&token),
    )
    .await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.body
    );
    assert!(reply.body.contains("You cannot follow yourself"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn form_posts_without_javascript_return_to_the_section() {
    let (app, db) = common::test_app("").await;
    let (_, token) = common::signed_in_reader(&db, "ada@example.com").await;
    let request = Request::post(SetLike::PATH)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "text/html")
        .header(header::ORIGIN, "http://127.0.0.1:3000")
        .header(
            header::REFERER,
            format!("http://127.0.0.1:3000/articles/{SLUG}"),
        )
        .header(header::COOKIE, format!("besthub_session={token}"))
        .body(Body::from(format!("slug={SLUG}&liked=true")))
        .expect("request");
    let reply = send(&app, request).await;
    assert!(reply.status.is_redirection(), "{}", reply.status);
    assert_eq!(
        reply.headers["location"],
        format!("/articles/{SLUG}#reader-feedback")
    );
    let (status, html) = {
        let request = Request::get(format!("/articles/{SLUG}"))
            .header(header::COOKIE, format!("besthub_session={token}"))
            .body(Body::empty())
            .expect("request");
        let reply = send(&app, request).await;
        (reply.status, reply.body)
    };
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("aria-pressed=\"true\""), "liked state shown");
    assert!(html.contains("1 like<"), "count shown");
}
