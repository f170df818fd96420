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

#[tokio::test]
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

#[tokio::test]
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

#[tokio::test]
async fn article_page_renders_body_and_notice() {
    let (app, _db) = app().await;
    let (status, html) = get(&app, "/articles/cjk-typography-on-the-web").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("lang=\"zh\""), "{html}");
    assert!(html.contains("Republication Notice"));
    assert!(html.contains("mailto:takedown@example.com"));
}

#[tokio::test]
async fn unknown_pages_answer_404_not_found() {
    let (app, _db) = app().await;
    for uri in ["/articles/no-such-article", "/no/such/page"] {
        let (status, html) = get(&app, uri).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
        assert!(html.contains("Not found"), "{uri}: {html}");
    }
}

#[tokio::test]
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

#[tokio::test]
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
