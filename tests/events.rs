//! Change events over HTTP: exactly one per successful write, none for a refused, failed or
//! rolled-back one; and the page cache they drive drops exactly the pages a write changed.
//! Run on SQLite, and on PostgreSQL by `make unit` (`BESTHUB_TEST_APP_DB=postgres`).
#![cfg(feature = "ssr")]

mod common;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use besthub::accounts::{SignIn, SignOut};
use besthub::discussion::{DeleteComment, EditComment, PostComment};
use besthub::events::{Change, Event, Events};
use besthub::feedback::{RateArticle, RemoveRating, SetFollow, SetLike};
use common::{call_form, send, TestDb, ORIGIN};
use leptos::server_fn::ServerFn;
use tokio::sync::broadcast;

/// An article by Selma Arvidsson, who wrote [`SIBLING`] too.
const A: &str = "sqlite-wal-in-production";
const SIBLING: &str = "taming-cache-stampedes";
/// An article by someone else.
const B: &str = "incident-reviews-that-change-things";
const AUTHOR: &str = "selma-arvidsson";

/// Every event published so far, emptied.
fn drain(events: &mut broadcast::Receiver<Arc<Event>>) -> Vec<Change> {
    let mut seen = Vec::new();
    while let Ok(event) = events.try_recv() {
        seen.push(event.change.clone());
    }
    seen
}

fn comment_id(body: &str) -> i64 {
    let value: serde_json::Value = serde_json::from_str(body).expect("JSON reply");
    value["comment"]["id"].as_i64().expect("comment id")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_successful_write_says_what_it_changed_once() {
    let (app, db, events) = common::test_app_events("").await;
    let mut heard = events.subscribe();
    let (_, token) = common::signed_in_reader(&db, "ada@example.com").await;
    let me = Some(token.as_str());

    let posted = call_form(
        &app,
        PostComment::PATH,
        &[("slug", A), ("body", "First.")],
        me,
    )
    .await;
    assert_eq!(posted.status, StatusCode::OK, "{}", posted.body);
    let first = comment_id(&posted.body);
    assert_eq!(
        drain(&mut heard),
        [Change::CommentPosted {
            slug: A.into(),
            id: first,
            parent_id: None,
            total: 1
        }]
    );
    let reply = call_form(
        &app,
        PostComment::PATH,
        &[
            ("slug", A),
            ("body", "A reply."),
            ("parent", &first.to_string()),
        ],
        me,
    )
    .await;
    let second = comment_id(&reply.body);
    assert_eq!(
        drain(&mut heard),
        [Change::CommentPosted {
            slug: A.into(),
            id: second,
            parent_id: Some(first),
            total: 2
        }]
    );
    let edited = call_form(
        &app,
        EditComment::PATH,
        &[("id", &second.to_string()), ("body", "Edited.")],
        me,
    )
    .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.body);
    assert_eq!(
        drain(&mut heard),
        [Change::CommentEdited {
            slug: A.into(),
            id: second
        }]
    );
    let deleted = call_form(&app, DeleteComment::PATH, &[("id", &first.to_string())], me).await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.body);
    assert_eq!(
        drain(&mut heard),
        [Change::CommentDeleted {
            slug: A.into(),
            id: first,
            placeholder: true,
            removed: vec![],
            total: 1
        }]
    );
    call_form(&app, SetLike::PATH, &[("slug", A), ("liked", "true")], me).await;
    assert_eq!(
        drain(&mut heard),
        [Change::Liked {
            slug: A.into(),
            count: 1
        }]
    );
    call_form(&app, RateArticle::PATH, &[("slug", A), ("stars", "4")], me).await;
    assert_eq!(
        drain(&mut heard),
        [Change::Rated {
            slug: A.into(),
            count: 1,
            sum: 4,
            stars: [0, 0, 0, 1, 0]
        }]
    );
    call_form(&app, RemoveRating::PATH, &[("slug", A)], me).await;
    assert_eq!(
        drain(&mut heard),
        [Change::Rated {
            slug: A.into(),
            count: 0,
            sum: 0,
            stars: [0; 5]
        }]
    );
    call_form(
        &app,
        SetFollow::PATH,
        &[("handle", AUTHOR), ("following", "true")],
        me,
    )
    .await;
    assert_eq!(
        drain(&mut heard),
        [Change::Followed {
            handle: AUTHOR.into(),
            followers: 1
        }]
    );
    let out = call_form(&app, SignOut::PATH, &[], me).await;
    assert_eq!(out.status, StatusCode::OK, "{}", out.body);
    assert_eq!(
        drain(&mut heard),
        [Change::SessionEnded {
            session: besthub::accounts::session::hash_token(&token)
        }]
    );
    // What live pages were told is in the log, in order, for browsers that reconnect.
    let logged: Vec<String> = sqlx::query_scalar("SELECT payload FROM live_events ORDER BY id")
        .fetch_all(&db.pool)
        .await
        .expect("log");
    assert_eq!(logged.len(), 8, "{logged:?}");
    assert!(logged[0].contains("comment_posted"), "{}", logged[0]);
    assert!(logged[7].contains("followers"), "{}", logged[7]);
    db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_and_failed_writes_say_nothing() {
    let (app, db, events) = common::test_app_events("comments_per_minute = 1").await;
    let mut heard = events.subscribe();
    let (_, token) = common::signed_in_reader(&db, "ada@example.com").await;
    let (_, other) = common::signed_in_reader(&db, "bob@example.com").await;
    let mine = call_form(
        &app,
        PostComment::PATH,
        &[("slug", A), ("body", "Mine.")],
        Some(&token),
    )
    .await;
    let mine = comment_id(&mine.body);
    drain(&mut heard);

    // 401: anonymous.
    let reply = call_form(&app, SetLike::PATH, &[("slug", A), ("liked", "true")], None).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    // 403: someone else's comment.
    let reply = call_form(
        &app,
        EditComment::PATH,
        &[("id", &mine.to_string()), ("body", "Not yours.")],
        Some(&other),
    )
    .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    // 422: bad input.
    let reply = call_form(
        &app,
        RateArticle::PATH,
        &[("slug", A), ("stars", "9")],
        Some(&token),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    // 422 after the transaction began: the rate limit (one a minute) is past, rolled back.
    let reply = call_form(
        &app,
        PostComment::PATH,
        &[("slug", A), ("body", "Too fast.")],
        Some(&token),
    )
    .await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.body
    );
    // 404: no such article.
    let reply = call_form(
        &app,
        SetLike::PATH,
        &[("slug", "no-such-article"), ("liked", "true")],
        Some(&token),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    // 403: a cross-site form post (CSRF).
    let request = Request::post(SetLike::PATH)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ORIGIN, "https://evil.example")
        .header(header::COOKIE, format!("besthub_session={token}"))
        .body(Body::from("slug=sqlite-wal-in-production&liked=true"))
        .expect("request");
    assert_eq!(send(&app, request).await.status, StatusCode::FORBIDDEN);
    // A wrong password, and a post to no endpoint at all.
    let reply = call_form(
        &app,
        SignIn::PATH,
        &[("email", "ada@example.com"), ("password", "wrong-password")],
        None,
    )
    .await;
    assert!(reply.status.is_client_error(), "{}", reply.status);
    let reply = call_form(&app, "/api/no_such_thing", &[("a", "b")], None).await;
    assert!(reply.status.is_client_error(), "{}", reply.status);
    assert_eq!(drain(&mut heard), [], "nothing refused is an event");
    db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rolled_back_write_leaves_no_event_anywhere() {
    let (_app, db, events) = common::test_app_events("").await;
    let mut heard = events.subscribe();
    let mut tx = db.pool.begin().await.expect("begin");
    let event = events
        .record(
            &mut tx,
            Change::Liked {
                slug: A.into(),
                count: 99,
            },
        )
        .await
        .expect("recorded");
    assert!(event.id > 0, "logged inside the transaction");
    tx.rollback().await.expect("rollback");
    let logged: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM live_events")
        .fetch_one(&db.pool)
        .await
        .expect("count");
    assert_eq!(logged, 0);
    // On PostgreSQL the NOTIFY went with the rollback: no replica hears it either.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(drain(&mut heard), []);
    db.close().await;
}

// --- The page cache ---------------------------------------------------------------------------

/// Pages a write may or may not change.
const PAGES: &[&str] = &[
    "/articles/sqlite-wal-in-production",
    "/articles/taming-cache-stampedes",
    "/articles/incident-reviews-that-change-things",
    "/",
    "/tags/databases",
    "/authors/selma-arvidsson",
    "/authors/dario-okonkwo-reyes",
];

async fn page(app: &axum::Router, path: &str, cookie: Option<&str>) -> String {
    let mut request = Request::get(path).header(header::ACCEPT_ENCODING, "identity");
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    let reply = send(app, request.body(Body::empty()).expect("request")).await;
    assert_eq!(reply.status, StatusCode::OK, "{path}");
    reply.body
}

/// Changes every title and author name behind the app's back (no event): a page that still
/// shows the old ones was served from the cache.
async fn poke(db: &TestDb) {
    for sql in [
        "UPDATE articles SET title = title || ' [poked]'",
        "UPDATE authors SET name = name || ' [poked]'",
    ] {
        sqlx::query(sql).execute(&db.pool).await.expect("poke");
    }
}

/// The pages (of [`PAGES`]) rendered again since [`poke`].
async fn rendered_again(app: &axum::Router) -> Vec<&'static str> {
    let mut fresh = Vec::new();
    for path in PAGES {
        if page(app, path, None).await.contains("[poked]") {
            fresh.push(*path);
        }
    }
    fresh
}

/// A fresh app with every page of [`PAGES`] kept, then poked.
async fn warm() -> (axum::Router, TestDb, Events, String) {
    let (app, db, events) = common::test_app_events("").await;
    let (_, token) = common::signed_in_reader(&db, "ada@example.com").await;
    for path in PAGES {
        page(&app, path, None).await;
    }
    poke(&db).await;
    assert_eq!(rendered_again(&app).await, Vec::<&str>::new(), "all kept");
    (app, db, events, token)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_write_drops_exactly_the_pages_it_changes() {
    let article_a = &PAGES[..1];
    let selma = [PAGES[0], PAGES[1], PAGES[5]];
    type Case = (&'static str, Vec<(&'static str, String)>, Vec<&'static str>);
    let cases: Vec<Case> = vec![
        (
            PostComment::PATH,
            vec![("slug", A.into()), ("body", "Hello.".into())],
            article_a.to_vec(),
        ),
        (
            SetLike::PATH,
            vec![("slug", A.into()), ("liked", "true".into())],
            article_a.to_vec(),
        ),
        (
            RateArticle::PATH,
            vec![("slug", A.into()), ("stars", "5".into())],
            article_a.to_vec(),
        ),
        (
            SetFollow::PATH,
            vec![("handle", AUTHOR.into()), ("following", "true".into())],
            selma.to_vec(),
        ),
    ];
    for (path, pairs, expected) in cases {
        let (app, db, _events, token) = warm().await;
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let reply = call_form(&app, path, &pairs, Some(&token)).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.body);
        assert_eq!(rendered_again(&app).await, expected, "{path}");
        db.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_article_saved_drops_its_pages_its_authors_and_the_listings() {
    let (app, db, events, _) = warm().await;
    events.publish(Event {
        id: 0,
        change: Change::ArticleSaved {
            slug: B.into(),
            handle: "dario-okonkwo-reyes".into(),
        },
    });
    assert_eq!(
        rendered_again(&app).await,
        [PAGES[2], PAGES[3], PAGES[4], PAGES[6]]
    );
    db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_and_deletions_drop_the_article_and_its_thread_pages() {
    let (app, db, _events) = common::test_app_events("").await;
    let (_, token) = common::signed_in_reader(&db, "ada@example.com").await;
    let me = Some(token.as_str());
    let posted = call_form(
        &app,
        PostComment::PATH,
        &[("slug", SIBLING), ("body", "Top.")],
        me,
    )
    .await;
    let top = comment_id(&posted.body);
    let thread = format!("/articles/{SIBLING}/comments/{top}");
    let article = format!("/articles/{SIBLING}");
    page(&app, &thread, None).await;
    page(&app, &article, None).await;
    page(&app, PAGES[2], None).await;
    let edited = call_form(
        &app,
        EditComment::PATH,
        &[("id", &top.to_string()), ("body", "Top, edited.")],
        me,
    )
    .await;
    assert_eq!(edited.status, StatusCode::OK);
    assert!(page(&app, &thread, None).await.contains("Top, edited."));
    assert!(page(&app, &article, None).await.contains("Top, edited."));
    poke(&db).await;
    let deleted = call_form(&app, DeleteComment::PATH, &[("id", &top.to_string())], me).await;
    assert_eq!(deleted.status, StatusCode::OK);
    assert!(page(&app, &article, None).await.contains("[poked]"));
    assert!(
        !page(&app, PAGES[2], None).await.contains("[poked]"),
        "another article's page is kept"
    );
    db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn junk_requests_random_queries_and_garbage_cookies_neither_drop_nor_thrash() {
    let (app, db, _events, token) = warm().await;
    // Junk POSTs: an unknown path, a cross-site post, a wrong password, an anonymous like.
    let junk = Request::post("/no/such/path")
        .header(header::ORIGIN, ORIGIN)
        .body(Body::from("x=1"))
        .expect("request");
    send(&app, junk).await;
    let cross_site = Request::post(SetLike::PATH)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ORIGIN, "https://evil.example")
        .header(header::COOKIE, format!("besthub_session={token}"))
        .body(Body::from("slug=sqlite-wal-in-production&liked=true"))
        .expect("request");
    assert_eq!(send(&app, cross_site).await.status, StatusCode::FORBIDDEN);
    call_form(
        &app,
        SignIn::PATH,
        &[
            ("email", "ada@example.com"),
            ("password", "not-the-password"),
        ],
        None,
    )
    .await;
    call_form(&app, SetLike::PATH, &[("slug", A), ("liked", "true")], None).await;
    assert_eq!(
        rendered_again(&app).await,
        Vec::<&str>::new(),
        "nothing dropped"
    );
    // Random query strings and garbage cookies are the anonymous page, served as kept.
    for n in 0..50 {
        let path = format!("{}?utm_source={n}&fbclid=x{n}", PAGES[0]);
        assert!(!page(&app, &path, None).await.contains("[poked]"), "{path}");
        let cookie = format!("besthub_session=garbage{n}");
        assert!(!page(&app, PAGES[3], Some(&cookie))
            .await
            .contains("[poked]"));
    }
    db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reader_dependent_responses_are_private() {
    let (app, db, _events, token) = warm().await;
    let cookie = format!("besthub_session={token}");
    let mut request = Request::get(PAGES[0]).header(header::COOKIE, &cookie);
    let signed_in = send(&app, request.body(Body::empty()).expect("request")).await;
    assert_eq!(
        signed_in
            .headers
            .get(header::CACHE_CONTROL)
            .map(|v| v.to_str().ok()),
        Some(Some("private, no-store"))
    );
    request = Request::get(PAGES[0]);
    let anonymous = send(&app, request.body(Body::empty()).expect("request")).await;
    assert_eq!(anonymous.headers.get(header::CACHE_CONTROL), None);
    let api = common::read(
        &app,
        &format!("/api/get_comments?slug={A}&sort=oldest"),
        Some(&token),
    )
    .await;
    assert_eq!(api.status, StatusCode::OK);
    assert_eq!(
        api.headers
            .get(header::CACHE_CONTROL)
            .map(|v| v.to_str().ok()),
        Some(Some("private, no-store"))
    );
    assert!(
        signed_in.headers.get("x-besthub-shows").is_none(),
        "the page's declaration stays inside"
    );
    db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_out_session_reads_as_anonymous_at_once() {
    let (app, db, _events, token) = warm().await;
    let cookie = format!("besthub_session={token}");
    let before = page(&app, PAGES[3], Some(&cookie)).await;
    assert!(before.contains("Sign out"), "signed in");
    let out = call_form(&app, SignOut::PATH, &[], Some(&token)).await;
    assert_eq!(out.status, StatusCode::OK);
    let after = page(&app, PAGES[3], Some(&cookie)).await;
    assert!(
        !after.contains("Sign out"),
        "the kept signed-in page is not served again"
    );
    db.close().await;
}
