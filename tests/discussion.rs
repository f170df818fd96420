//! The discussion: storage contract on SQLite and PostgreSQL, and the server functions over
//! HTTP (who may do what, limits, form posts without JavaScript, server-rendered threads).
#![cfg(feature = "ssr")]

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use besthub::db::Pool;
use besthub::discussion::store::{self, Inserted, Viewer};
use besthub::discussion::{
    CommentBody, DeleteComment, EditComment, PostComment, Sort, Thread, EDIT_WINDOW_MS,
};
use common::{call_form, send, Reply, ORIGIN};
use leptos::server_fn::ServerFn;

const NOW: i64 = 1_800_000_000_000;

/// An article and `n` readers; returns (article id, reader ids).
async fn setup(pool: &Pool, n: usize) -> (i64, Vec<i64>) {
    let outcome = besthub::import::import_text(
        pool,
        "a.md",
        "---\ntitle: Threads\nsummary: S.\nauthor: Ada\nauthor_bio: B.\ntags: [x]\nsource_url: https://example.com/a\npublished: 2026-01-02\nslug: threads\n---\nBody.\n",
    )
    .await;
    assert!(
        matches!(outcome, besthub::import::FileOutcome::Imported(_)),
        "{outcome:?}"
    );
    let article: i64 = sqlx::query_scalar("SELECT id FROM articles WHERE slug = 'threads'")
        .fetch_one(pool)
        .await
        .expect("article");
    let mut readers = Vec::new();
    for i in 0..n {
        readers.push(
            besthub::accounts::store::create_user(
                pool,
                &format!("r{i}@example.com"),
                &format!("Reader {i}"),
                "x",
                1,
            )
            .await
            .expect("user"),
        );
    }
    (article, readers)
}

async fn post(
    pool: &Pool,
    article: i64,
    parent: Option<i64>,
    user: i64,
    text: &str,
    at: i64,
) -> i64 {
    let body = CommentBody::parse(text).expect("valid");
    let html = besthub::discussion::body::render(&body);
    match store::insert(pool, article, parent, user, &body, &html, at, None)
        .await
        .expect("insert")
    {
        Inserted::Id(id) => id,
        other => panic!("not stored: {other:?}"),
    }
}

async fn counts(pool: &Pool, article: i64) -> (i64, i64) {
    let stored = store::comment_count(pool, article).await.expect("count");
    let shown: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM comments WHERE article_id = $1 AND deleted_at IS NULL",
    )
    .bind(article)
    .fetch_one(pool)
    .await
    .expect("rows");
    (stored, shown)
}

fn shape(threads: &[Thread]) -> String {
    threads
        .iter()
        .map(|t| {
            let me = if t.comment.deleted {
                "[deleted]".to_owned()
            } else {
                t.comment.body_markdown_or_text()
            };
            if t.replies.is_empty() {
                me
            } else {
                format!("{me}({})", shape(&t.replies))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The comment's text as the tests wrote it (one word, rendered as `<p>word</p>`).
trait Text {
    fn body_markdown_or_text(&self) -> String;
}

impl Text for besthub::discussion::Comment {
    fn body_markdown_or_text(&self) -> String {
        self.body_html
            .trim()
            .trim_start_matches("<p>")
            .trim_end_matches("</p>")
            .to_owned()
    }
}

contract_test!(
    threads_are_built_three_levels_deep,
    |pool: Pool| async move {
        let (article, r) = setup(&pool, 2).await;
        let a = post(&pool, article, None, r[0], "a", NOW).await;
        let b = post(&pool, article, None, r[1], "b", NOW + 1).await;
        let a1 = post(&pool, article, Some(a), r[1], "a1", NOW + 2).await;
        let a11 = post(&pool, article, Some(a1), r[0], "a11", NOW + 3).await;
        let a111 = post(&pool, article, Some(a11), r[1], "a111", NOW + 4).await;
        post(&pool, article, Some(a), r[0], "a2", NOW + 5).await;
        let viewer = Viewer {
            user_id: Some(r[0]),
            admin: false,
        };
        let (threads, more) = store::page_threads(&pool, article, Sort::Oldest, 1, &viewer, NOW)
            .await
            .expect("page");
        assert!(!more);
        assert_eq!(shape(&threads), "a(a1(a11) a2) b");
        let a11_node = &threads[0].replies[0].replies[0].comment;
        assert_eq!(a11_node.depth, 2);
        assert_eq!(a11_node.reply_count, 1, "a deeper reply is behind the link");
        assert_eq!(a11_node.parent_author.as_deref(), Some("Reader 1"));
        assert!(a11_node.mine && a11_node.can_delete);
        assert!(!threads[0].replies[0].comment.mine, "someone else's");
        let (newest, _) = store::page_threads(&pool, article, Sort::Newest, 1, &viewer, NOW)
            .await
            .expect("page");
        assert_eq!(
            shape(&newest),
            "b a(a1(a11) a2)",
            "replies stay oldest first"
        );
        // The sub-thread page of a11 shows it and what is below.
        let sub = store::sub_thread(&pool, article, a11, &viewer, NOW)
            .await
            .expect("sub")
            .expect("found");
        assert_eq!(shape(&[sub]), "a11(a111)");
        assert_eq!(
            store::location(&pool, a111)
                .await
                .expect("location")
                .as_deref(),
            Some(format!("/articles/threads/comments/{a11}#comment-{a111}").as_str())
        );
        assert_eq!(
            store::location(&pool, a11)
                .await
                .expect("location")
                .as_deref(),
            Some(format!("/articles/threads#comment-{a11}").as_str())
        );
        assert_eq!(counts(&pool, article).await, (6, 6));
        assert!(
            store::sub_thread(&pool, article + 1, a11, &viewer, NOW)
                .await
                .expect("sub")
                .is_none(),
            "a comment is only found under its own article"
        );
        let _ = b;
    }
);

contract_test!(
    pages_hold_fifty_top_level_comments,
    |pool: Pool| async move {
        let (article, r) = setup(&pool, 1).await;
        let mut ids = Vec::new();
        for i in 0..51 {
            ids.push(post(&pool, article, None, r[0], &format!("c{i}"), NOW + i).await);
        }
        post(&pool, article, Some(ids[50]), r[0], "reply", NOW + 100).await;
        let viewer = Viewer::default();
        let (first, more) = store::page_threads(&pool, article, Sort::Oldest, 1, &viewer, NOW)
            .await
            .expect("page 1");
        assert_eq!(first.len(), 50);
        assert!(more);
        assert_eq!(shape(&first[..1]), "c0");
        let (second, more) = store::page_threads(&pool, article, Sort::Oldest, 2, &viewer, NOW)
            .await
            .expect("page 2");
        assert!(!more);
        assert_eq!(shape(&second), "c50(reply)");
        assert_eq!(
            store::location(&pool, ids[50])
                .await
                .expect("location")
                .as_deref(),
            Some(format!("/articles/threads?page=2#comment-{}", ids[50]).as_str())
        );
        let (newest, _) = store::page_threads(&pool, article, Sort::Newest, 1, &viewer, NOW)
            .await
            .expect("newest");
        assert_eq!(shape(&newest[..1]), "c50(reply)");
        assert!(
            !first[0].comment.mine && !first[0].comment.can_delete,
            "anonymous viewer"
        );
        assert_eq!(counts(&pool, article).await, (52, 52));
    }
);

contract_test!(
    deleting_keeps_placeholders_only_while_they_hold_replies,
    |pool: Pool| async move {
        let (article, r) = setup(&pool, 2).await;
        let a = post(&pool, article, None, r[0], "a", NOW).await;
        let a1 = post(&pool, article, Some(a), r[1], "a1", NOW + 1).await;
        let b = post(&pool, article, None, r[1], "b", NOW + 2).await;

        // With a reply: stays as "[deleted]", its text erased, the count drops.
        let deleted = store::delete(&pool, a, NOW + 10)
            .await
            .expect("delete")
            .expect("found");
        assert!(deleted.placeholder);
        assert!(deleted.removed.is_empty());
        assert_eq!(deleted.total, 2);
        let erased: String = sqlx::query_scalar("SELECT body_markdown FROM comments WHERE id = $1")
            .bind(a)
            .fetch_one(&pool)
            .await
            .expect("row");
        assert_eq!(erased, "");
        let viewer = Viewer {
            user_id: Some(r[0]),
            admin: false,
        };
        let (threads, _) = store::page_threads(&pool, article, Sort::Oldest, 1, &viewer, NOW)
            .await
            .expect("page");
        assert_eq!(shape(&threads), "[deleted](a1) b");
        assert!(!threads[0].comment.mine && !threads[0].comment.can_delete);
        assert_eq!(threads[0].comment.author_name, "");
        assert_eq!(
            threads[0].replies[0].comment.parent_author, None,
            "answers a deleted comment"
        );
        assert!(
            store::delete(&pool, a, NOW + 11)
                .await
                .expect("again")
                .is_none(),
            "already deleted"
        );

        // A reply to a placeholder is refused.
        let body = CommentBody::parse("late").expect("valid");
        assert_eq!(
            store::insert(
                &pool,
                article,
                Some(a),
                r[1],
                &body,
                "<p>late</p>",
                NOW + 12,
                None
            )
            .await
            .expect("insert"),
            Inserted::ParentGone
        );

        // Its last reply goes, and the placeholder with it.
        let deleted = store::delete(&pool, a1, NOW + 20)
            .await
            .expect("delete")
            .expect("found");
        assert!(!deleted.placeholder);
        assert_eq!(deleted.removed, vec![a1, a]);
        assert_eq!(deleted.total, 1);
        let (threads, _) = store::page_threads(&pool, article, Sort::Oldest, 1, &viewer, NOW)
            .await
            .expect("page");
        assert_eq!(shape(&threads), "b");
        assert_eq!(counts(&pool, article).await, (1, 1));

        // Without replies: gone at once.
        let deleted = store::delete(&pool, b, NOW + 30)
            .await
            .expect("delete")
            .expect("found");
        assert_eq!(deleted.removed, vec![b]);
        assert_eq!(counts(&pool, article).await, (0, 0));
        let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM comments")
            .fetch_one(&pool)
            .await
            .expect("rows");
        assert_eq!(rows, 0);
    }
);

contract_test!(
    edits_are_accepted_only_inside_the_window,
    |pool: Pool| async move {
        let (article, r) = setup(&pool, 1).await;
        let id = post(&pool, article, None, r[0], "first", NOW).await;
        let body = CommentBody::parse("second").expect("valid");
        let later = NOW + EDIT_WINDOW_MS - 1;
        assert!(store::update_body(
            &pool,
            id,
            &body,
            "<p>second</p>",
            later,
            later - EDIT_WINDOW_MS
        )
        .await
        .expect("edit"));
        let late = NOW + EDIT_WINDOW_MS;
        assert!(!store::update_body(
            &pool,
            id,
            &body,
            "<p>third</p>",
            late,
            late - EDIT_WINDOW_MS
        )
        .await
        .expect("edit"));
        let viewer = Viewer {
            user_id: Some(r[0]),
            admin: false,
        };
        let comment = store::find(&pool, id, &viewer, later)
            .await
            .expect("find")
            .expect("found");
        assert_eq!(comment.body_html, "<p>second</p>");
        assert_eq!(comment.edited_at, Some(later));
        assert_eq!(
            comment.body_markdown, "second",
            "its author may still edit it"
        );
        let comment = store::find(&pool, id, &viewer, late)
            .await
            .expect("find")
            .expect("found");
        assert_eq!(
            comment.body_markdown, "",
            "the Markdown is not sent once edits are over"
        );
    }
);

contract_test!(
    any_text_a_person_types_is_stored_exactly,
    |pool: Pool| async move {
        let (article, r) = setup(&pool, 1).await;
        let text = "中文 🎉 مرحبا \u{202E}abc\u{202C} <b>&amp;</b>\n\ttab";
        let id = post(&pool, article, None, r[0], text, NOW).await;
        let stored: String = sqlx::query_scalar("SELECT body_markdown FROM comments WHERE id = $1")
            .bind(id)
            .fetch_one(&pool)
            .await
            .expect("row");
        assert_eq!(stored, text);
    }
);

// --- Over HTTP ---------------------------------------------------------------------------

const SLUG: &str = "sqlite-wal-in-production";
async fn get(app: &axum::Router, path: &str, session: Option<&str>) -> Reply {
    let mut request = Request::get(path);
    if let Some(token) = session {
        request = request.header(header::COOKIE, format!("besthub_session={token}"));
    }
    send(app, request.body(Body::empty()).expect("request")).await
}

fn posted_id(reply: &Reply) -> i64 {
    let value: serde_json::Value = serde_json::from_str(&reply.body).expect("json");
    value["comment"]["id"].as_i64().expect("id")
}

async fn comment_rows(db: &common::TestDb) -> (i64, String) {
    sqlx::query_as("SELECT COUNT(*), COALESCE(MAX(body_markdown), '') FROM comments")
        .fetch_one(&db.pool)
        .await
        .expect("rows")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_authors_edit_and_authors_or_admins_delete() {
    let (app, db) = common::test_app("").await;
    let (_, ada) = common::signed_in_reader(&db, "ada@example.com").await;
    let (_, bob) = common::signed_in_reader(&db, "bob@example.com").await;
    let reply = call_form(
        &app,
        PostComment::PATH,
        &[("slug", SLUG), ("body", "mine")],
        Some(&ada),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let id = posted_id(&reply).to_string();

    // Anonymous: 401 for every call, nothing changes.
    for (path, pairs) in [
        (PostComment::PATH, vec![("slug", SLUG), ("body", "anon")]),
        (
            EditComment::PATH,
            vec![("id", id.as_str()), ("body", "anon")],
        ),
        (DeleteComment::PATH, vec![("id", id.as_str())]),
    ] {
        let reply = call_form(&app, path, &pairs, None).await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "{path}: {}",
            reply.body
        );
    }
    // Someone else: 403, nothing changes.
    let reply = call_form(
        &app,
        EditComment::PATH,
        &[("id", &id), ("body", "bob was here")],
        Some(&bob),
    )
    .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.body);
    let reply = call_form(&app, DeleteComment::PATH, &[("id", &id)], Some(&bob)).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.body);
    assert_eq!(comment_rows(&db).await, (1, "mine".to_owned()));

    // The author edits; an admin deletes.
    let reply = call_form(
        &app,
        EditComment::PATH,
        &[("id", &id), ("body", "mine, edited")],
        Some(&ada),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert!(reply.body.contains("mine, edited"));
    besthub::accounts::store::set_role(&db.pool, "bob@example.com", besthub::accounts::Role::Admin)
        .await
        .expect("role");
    let reply = call_form(&app, DeleteComment::PATH, &[("id", &id)], Some(&bob)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(comment_rows(&db).await.0, 0);
    let reply = call_form(&app, DeleteComment::PATH, &[("id", &id)], Some(&bob)).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "deleting twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_comments_are_refused_with_the_text_kept() {
    let (app, db) = common::test_app("").await;
    let (_, ada) = common::signed_in_reader(&db, "ada@example.com").await;
    let long = "x".repeat(10_001);
    for (body, message) in [
        ("   \n ", "Comment cannot be empty"),
        (long.as_str(), "Comment is too long: 10,001 characters"),
        ("ring\u{7}", "control character (U+0007)"),
    ] {
        let reply = call_form(
            &app,
            PostComment::PATH,
            &[("slug", SLUG), ("body", body)],
            Some(&ada),
        )
        .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{message}");
        assert!(reply.body.contains(message), "{message}: {}", reply.body);
        let value: serde_json::Value = serde_json::from_str(&reply.body).expect("json");
        assert_eq!(
            value["Invalid"]["kept"][0],
            serde_json::json!(["body", body]),
            "the typed text comes back: {}",
            reply.body
        );
    }
    let reply = call_form(
        &app,
        PostComment::PATH,
        &[("slug", "no-such-article"), ("body", "hi")],
        Some(&ada),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    let reply = call_form(
        &app,
        PostComment::PATH,
        &[("slug", SLUG), ("body", "hi"), ("parent", "999999")],
        Some(&ada),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reply.body.contains("cannot be answered"), "{}", reply.body);
    assert_eq!(comment_rows(&db).await.0, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_may_post_five_comments_a_minute() {
    let (app, db) = common::test_app("").await;
    let (_, ada) = common::signed_in_reader(&db, "ada@example.com").await;
    let (_, bob) = common::signed_in_reader(&db, "bob@example.com").await;
    for i in 0..5 {
        let reply = call_form(
            &app,
            PostComment::PATH,
            &[("slug", SLUG), ("body", &format!("n{i}"))],
            Some(&ada),
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK, "{i}: {}", reply.body);
    }
    let reply = call_form(
        &app,
        PostComment::PATH,
        &[("slug", SLUG), ("body", "one too many")],
        Some(&ada),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        reply.body.contains("at most 5 comments a minute"),
        "{}",
        reply.body
    );
    assert!(
        reply.body.contains("one too many"),
        "text kept: {}",
        reply.body
    );
    let reply = call_form(
        &app,
        PostComment::PATH,
        &[("slug", SLUG), ("body", "bob's first")],
        Some(&bob),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "the limit is per reader");
    assert_eq!(comment_rows(&db).await.0, 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_after_fifteen_minutes_are_refused() {
    let (app, db) = common::test_app("").await;
    let (_, ada) = common::signed_in_reader(&db, "ada@example.com").await;
    let reply = call_form(
        &app,
        PostComment::PATH,
        &[("slug", SLUG), ("body", "old")],
        Some(&ada),
    )
    .await;
    let id = posted_id(&reply);
    sqlx::query("UPDATE comments SET created_at = created_at - $1 WHERE id = $2")
        .bind(EDIT_WINDOW_MS + 1)
        .bind(id)
        .execute(&db.pool)
        .await
        .expect("age");
    let reply = call_form(
        &app,
        EditComment::PATH,
        &[("id", &id.to_string()), ("body", "new")],
        Some(&ada),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        reply.body.contains("can no longer be edited"),
        "{}",
        reply.body
    );
    assert_eq!(comment_rows(&db).await, (1, "old".to_owned()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn form_posts_land_on_the_new_comment_and_pages_render_threads() {
    let (app, db) = common::test_app("").await;
    let (_, ada) = common::signed_in_reader(&db, "ada@example.com").await;
    let form_post = |path: &'static str, body: String| {
        Request::post(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "text/html")
            .header(header::ORIGIN, ORIGIN)
            .header(header::REFERER, format!("{ORIGIN}/articles/{SLUG}"))
            .header(header::COOKIE, format!("besthub_session={ada}"))
            .body(Body::from(body))
            .expect("request")
    };
    let reply = send(
        &app,
        form_post(PostComment::PATH, format!("slug={SLUG}&body=**Top**+level")),
    )
    .await;
    assert!(reply.status.is_redirection(), "{}", reply.status);
    let location = reply.headers["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let (_, top) = location.split_once("#comment-").expect("anchor");
    assert_eq!(location, format!("/articles/{SLUG}#comment-{top}"));

    // Replies three deep; the fourth level is behind "Continue this thread".
    let mut parent = top.to_owned();
    let mut ids = vec![parent.clone()];
    for depth in 1..=3 {
        let reply = send(
            &app,
            form_post(
                PostComment::PATH,
                format!("slug={SLUG}&body=level+{depth}&parent={parent}"),
            ),
        )
        .await;
        let location = reply.headers["location"]
            .to_str()
            .expect("location")
            .to_owned();
        parent = location
            .rsplit_once("#comment-")
            .expect("anchor")
            .1
            .to_owned();
        ids.push(parent.clone());
        if depth == 3 {
            assert_eq!(
                location,
                format!("/articles/{SLUG}/comments/{}#comment-{parent}", ids[2])
            );
        }
    }
    let page = get(&app, &format!("/articles/{SLUG}"), None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("4 Comments"), "count");
    assert!(
        page.body.contains("<strong>Top</strong> level"),
        "Markdown rendered"
    );
    assert!(page.body.contains("level 2"));
    assert!(
        !page.body.contains("level 3"),
        "the fourth level is on the thread page"
    );
    assert!(page
        .body
        .contains(&format!("href=\"/articles/{SLUG}/comments/{}\"", ids[2])));
    assert!(page.body.contains("Continue this thread"));
    assert!(page.body.contains("<time datetime=\""));
    let thread = get(&app, &format!("/articles/{SLUG}/comments/{}", ids[2]), None).await;
    assert_eq!(thread.status, StatusCode::OK);
    assert!(thread.body.contains("level 2") && thread.body.contains("level 3"));
    assert!(!thread.body.contains("level 1"), "only the sub-thread");
    let missing = get(&app, &format!("/articles/{SLUG}/comments/999999"), None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    // A refused form post returns to the page with the error and the text.
    let reply = send(
        &app,
        form_post(
            PostComment::PATH,
            format!("slug={SLUG}&body=+&parent={top}"),
        ),
    )
    .await;
    let location = reply.headers["location"]
        .to_str()
        .expect("location")
        .to_owned();
    assert!(location.contains("__err="), "{location}");
    let page = get(&app, location.trim_start_matches(ORIGIN), Some(&ada)).await;
    assert!(
        page.body.contains("Comment cannot be empty"),
        "error shown beside the box"
    );
    assert!(
        page.body.contains(&format!("id=\"reply-{top}\"")),
        "in the reply box it came from"
    );

    // The delete confirmation page, then the delete: the comment with replies stays.
    let confirm = get(&app, &format!("/articles/{SLUG}?delete={top}"), Some(&ada)).await;
    assert!(confirm.body.contains("Yes, delete"));
    let reply = send(&app, form_post(DeleteComment::PATH, format!("id={top}"))).await;
    assert_eq!(
        reply.headers["location"],
        format!("/articles/{SLUG}#comment-{top}")
    );
    let page = get(&app, &format!("/articles/{SLUG}"), None).await;
    assert!(page.body.contains("[deleted]"));
    assert!(page.body.contains("3 Comments"));
}
