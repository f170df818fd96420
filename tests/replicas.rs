//! Two replicas on one PostgreSQL database: a write through one reaches the other's pages
//! and live streams at once; clocks that differ by seconds agree on the time. PostgreSQL only
//! (`BESTHUB_TEST_PG_URL`, set by `make test`): SQLite is one process by design.
#![cfg(feature = "ssr")]

mod common;

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use besthub::discussion::PostComment;
use futures::StreamExt;
use leptos::server_fn::ServerFn;
use tower::ServiceExt;

const SLUG: &str = "sqlite-wal-in-production";

async fn page(app: &axum::Router, path: &str) -> String {
    let request = Request::get(path).body(Body::empty()).expect("request");
    let reply = common::send(app, request).await;
    assert_eq!(reply.status, StatusCode::OK, "{path}");
    reply.body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_comment_posted_through_one_replica_reaches_the_other_within_a_second() {
    let Some(db) = common::postgres().await else {
        eprintln!("BESTHUB_TEST_PG_URL is not set: two replicas need PostgreSQL");
        return;
    };
    besthub::import::seed_demo_if_empty(&db.pool)
        .await
        .expect("seed");
    let (a, _) = common::replica(&db, "").await;
    let (b, _) = common::replica(&db, "").await;
    let (_, token) = common::signed_in_reader(&db, "ada@example.com").await;
    let article = format!("/articles/{SLUG}");
    // B keeps its page, and a reader of B follows the article live.
    page(&b, &article).await;
    let stream = b
        .clone()
        .oneshot(
            Request::get(format!("/articles/{SLUG}/events"))
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .expect("stream");
    assert_eq!(stream.status(), StatusCode::OK);
    assert_eq!(
        stream
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| v.as_bytes()),
        Some(&b"text/event-stream"[..])
    );
    let mut frames = stream.into_body().into_data_stream();
    let ready = tokio::time::timeout(Duration::from_secs(5), frames.next())
        .await
        .expect("the stream starts")
        .expect("a frame")
        .expect("bytes");
    assert!(String::from_utf8_lossy(&ready).contains("event: ready"));

    let posted = common::call_form(
        &a,
        PostComment::PATH,
        &[("slug", SLUG), ("body", "Across replicas.")],
        Some(&token),
    )
    .await;
    assert_eq!(posted.status, StatusCode::OK, "{}", posted.body);
    let committed = Instant::now();
    let value: serde_json::Value = serde_json::from_str(&posted.body).expect("JSON");
    let id = value["comment"]["id"].as_i64().expect("id");

    // B's next anonymous page view has it.
    loop {
        if page(&b, &article).await.contains("Across replicas.") {
            break;
        }
        assert!(
            committed.elapsed() < Duration::from_secs(1),
            "B still served the page from before the comment"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // And B's stream told its reader.
    let wanted = format!("\"id\":{id}");
    let told = tokio::time::timeout(Duration::from_secs(1), async {
        while let Some(Ok(frame)) = frames.next().await {
            let text = String::from_utf8_lossy(&frame).into_owned();
            if text.contains("comment_posted") && text.contains(&wanted) {
                return Some(text);
            }
        }
        None
    })
    .await;
    let told = told
        .expect("on B's stream within a second")
        .expect("the stream stayed open");
    assert!(told.contains("id: "), "{told}");
    db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_whose_clocks_differ_by_seconds_agree_on_the_time() {
    let Some(db) = common::postgres().await else {
        eprintln!("BESTHUB_TEST_PG_URL is not set: the database clock is PostgreSQL's");
        return;
    };
    let real = || chrono::Utc::now().timestamp_millis();
    let ahead = || real() + 7_000;
    let behind = || real() - 5_000;
    let offset_ahead = besthub::db::clock_offset(&db.pool, ahead)
        .await
        .expect("offset");
    let offset_behind = besthub::db::clock_offset(&db.pool, behind)
        .await
        .expect("offset");
    let (now_ahead, now_behind) = (ahead() + offset_ahead, behind() + offset_behind);
    assert!(
        (now_ahead - now_behind).abs() < 250,
        "corrected clocks differ by {} ms",
        now_ahead - now_behind
    );
    // A session (or edit window, or rate-limit window) ending 3 s from now is still open on
    // both, though one raw clock is already 7 s past it.
    let expires_at = real() + 3_000;
    assert!(ahead() > expires_at, "the raw clock ahead would end it");
    assert!(now_ahead < expires_at && now_behind < expires_at);
    db.close().await;
}
