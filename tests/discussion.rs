//! The discussion: storage contract on SQLite and PostgreSQL, and the server functions over
//! HTTP (who may do what, limits, form posts without JavaScript, server-rendered threads).
#![cfg(feature = "ssr")]

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use besthub::db::Pool;
use besthub::discussion::store::{self, Inserted, Viewer};
use besthub::discussion::{
    CommentBody, DeleteComment, EditComment, GetCommentThread, GetComments, PostComment, Sort,
    Thread, EDIT_WINDOW_MS,
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
        let (sub, more) = store::sub_thread(&pool, article, a11, 1, &viewer, NOW)
            .await
            .expect("sub")
            .expect("found");
        assert_eq!(shape(&[sub]), "a11(a111)");
        assert!(!more);
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
            store::sub_thread(&pool, article + 1, a11, 1, &viewer, NOW)
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

// --- Threads of any size ------------------------------------------------------------------

/// Stores `n` comments by `user` under `parent` (top-level when `None`) in one statement, one
/// second apart after `at`, and counts them as the app does: texts `{prefix}1` (the oldest)
/// to `{prefix}{n}`.
async fn bulk(
    pool: &Pool,
    article: i64,
    parent: Option<i64>,
    user: i64,
    prefix: &str,
    n: i64,
    at: i64,
) {
    let depth: i64 = match parent {
        Some(p) => sqlx::query_scalar("SELECT depth + 1 FROM comments WHERE id = $1")
            .bind(p)
            .fetch_one(pool)
            .await
            .expect("parent"),
        None => 0,
    };
    let mut tx = pool.begin().await.expect("begin");
    sqlx::query(
        "WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
         INSERT INTO comments (article_id, parent_id, user_id, body_markdown, body_html,
             created_at, depth)
         SELECT $2, $3, $4, $5 || i, '<p>' || $5 || i || '</p>', $6 + i * 1000, $7 FROM n",
    )
    .bind(n)
    .bind(article)
    .bind(parent)
    .bind(user)
    .bind(prefix)
    .bind(at)
    .bind(depth)
    .execute(&mut *tx)
    .await
    .expect("bulk insert");
    if let Some(p) = parent {
        sqlx::query("UPDATE comments SET reply_count = reply_count + $2 WHERE id = $1")
            .bind(p)
            .bind(n)
            .execute(&mut *tx)
            .await
            .expect("reply count");
    }
    sqlx::query("UPDATE articles SET comment_count = comment_count + $2 WHERE id = $1")
        .bind(article)
        .bind(n)
        .execute(&mut *tx)
        .await
        .expect("comment count");
    tx.commit().await.expect("commit");
}

async fn id_of(pool: &Pool, text: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM comments WHERE body_markdown = $1")
        .bind(text)
        .fetch_one(pool)
        .await
        .expect("comment")
}

async fn located(pool: &Pool, id: i64) -> String {
    store::location(pool, id)
        .await
        .expect("location")
        .expect("found")
}

/// Page `n` of the article's discussion as an anonymous reader sees it.
async fn page(pool: &Pool, article: i64, sort: Sort, n: u32) -> (Vec<Thread>, bool) {
    store::page_threads(pool, article, sort, n, &Viewer::default(), NOW)
        .await
        .expect("page")
}

/// Page `n` of comment `id`'s own page as an anonymous reader sees it.
async fn sub(pool: &Pool, article: i64, id: i64, n: u32) -> (Thread, bool) {
    store::sub_thread(pool, article, id, n, &Viewer::default(), NOW)
        .await
        .expect("sub")
        .expect("found")
}

/// `{prefix}{from}` to `{prefix}{to}`, as [`shape`] writes leaves.
fn leaves(prefix: &str, from: i64, to: i64) -> String {
    (from..=to)
        .map(|i| format!("{prefix}{i}"))
        .collect::<Vec<_>>()
        .join(" ")
}

contract_test!(
    forty_thousand_replies_to_one_comment,
    |pool: Pool| async move {
        let (article, r) = setup(&pool, 2).await;
        let root = post(&pool, article, None, r[0], "root", NOW).await;
        bulk(&pool, article, Some(root), r[1], "r", 40_000, NOW).await;
        let (r5, r12, r40000) = (
            id_of(&pool, "r5").await,
            id_of(&pool, "r12").await,
            id_of(&pool, "r40000").await,
        );
        bulk(&pool, article, Some(r5), r[0], "s", 12, NOW + 100_000_000).await;
        let under_r12 = post(&pool, article, Some(r12), r[0], "t", NOW + 200_000_000).await;

        // The article's page: the first ten replies, the first ten of theirs.
        let (threads, more) = page(&pool, article, Sort::Oldest, 1).await;
        assert!(!more);
        assert_eq!(
            shape(&threads),
            format!(
                "root({} r5({}) {})",
                leaves("r", 1, 4),
                leaves("s", 1, 10),
                leaves("r", 6, 10)
            )
        );
        let top = &threads[0];
        assert_eq!(
            top.comment.reply_count - top.replies.len() as i64,
            39_990,
            "\"39990 more replies\""
        );
        assert_eq!(top.replies[4].comment.reply_count, 12, "\"2 more replies\"");

        // The comment's own page lists every reply, fifty a page, each with its first ten.
        let (first, more) = sub(&pool, article, root, 1).await;
        assert!(more);
        assert_eq!(first.replies.len(), 50);
        assert_eq!(
            shape(&first.replies[4..5]),
            format!("r5({})", leaves("s", 1, 10))
        );
        assert_eq!(shape(&first.replies[11..12]), "r12(t)");
        let (last, more) = sub(&pool, article, root, 800).await;
        assert!(!more);
        assert_eq!(shape(&last.replies), leaves("r", 39_951, 40_000));
        let (beyond, more) = sub(&pool, article, root, 801).await;
        assert!(beyond.replies.is_empty() && !more);

        // Every reply has a page that shows it.
        let page = "/articles/threads";
        assert_eq!(located(&pool, r5).await, format!("{page}#comment-{r5}"));
        assert_eq!(
            located(&pool, r12).await,
            format!("{page}/comments/{root}#comment-{r12}")
        );
        assert_eq!(
            located(&pool, r40000).await,
            format!("{page}/comments/{root}?page=800#comment-{r40000}")
        );
        assert_eq!(
            located(&pool, under_r12).await,
            format!("{page}/comments/{r12}#comment-{under_r12}")
        );
        let s10 = id_of(&pool, "s10").await;
        let s11 = id_of(&pool, "s11").await;
        assert_eq!(located(&pool, s10).await, format!("{page}#comment-{s10}"));
        assert_eq!(
            located(&pool, s11).await,
            format!("{page}/comments/{r5}#comment-{s11}")
        );
        assert_eq!(counts(&pool, article).await, (40_014, 40_014));
    }
);

contract_test!(
    a_crowded_page_shows_fewer_replies_each,
    |pool: Pool| async move {
        let (article, r) = setup(&pool, 1).await;
        bulk(&pool, article, None, r[0], "root", 50, NOW).await;
        for i in 1..=50 {
            let root = id_of(&pool, &format!("root{i}")).await;
            let prefix = format!("reply{i}.");
            bulk(
                &pool,
                article,
                Some(root),
                r[0],
                &prefix,
                10,
                NOW + 100_000_000,
            )
            .await;
        }
        let busy = id_of(&pool, "reply1.1").await;
        bulk(
            &pool,
            article,
            Some(busy),
            r[0],
            "deep",
            3,
            NOW + 200_000_000,
        )
        .await;
        let (threads, _) = page(&pool, article, Sort::Oldest, 1).await;
        assert_eq!(threads.len(), 50);
        assert!(threads.iter().all(|t| t.replies.len() == 10));
        // 500 replies on the first level: one reply each on the second, "2 more replies".
        assert_eq!(shape(&threads[0].replies[..1]), "reply1.1(deep1)");
        assert_eq!(threads[0].replies[0].comment.reply_count, 3);
        let (deep1, deep2) = (id_of(&pool, "deep1").await, id_of(&pool, "deep2").await);
        assert_eq!(
            located(&pool, deep1).await,
            format!("/articles/threads#comment-{deep1}")
        );
        assert_eq!(
            located(&pool, deep2).await,
            format!("/articles/threads/comments/{busy}#comment-{deep2}")
        );
        // On the comment's own page it shows all three.
        let (own, _) = sub(&pool, article, busy, 1).await;
        assert_eq!(shape(&[own]), "reply1.1(deep1 deep2 deep3)");
    }
);

contract_test!(a_thousand_deep_chain, |pool: Pool| async move {
    let (article, r) = setup(&pool, 1).await;
    let mut ids = vec![post(&pool, article, None, r[0], "c0", NOW).await];
    for depth in 1..1_000 {
        let parent = ids[ids.len() - 1];
        bulk(
            &pool,
            article,
            Some(parent),
            r[0],
            &format!("c{depth}-"),
            1,
            NOW + depth,
        )
        .await;
        ids.push(id_of(&pool, &format!("c{depth}-1")).await);
    }
    let (threads, _) = page(&pool, article, Sort::Oldest, 1).await;
    assert_eq!(shape(&threads), "c0(c1-1(c2-1))");
    assert_eq!(
        threads[0].replies[0].replies[0].comment.reply_count, 1,
        "\"Continue this thread\""
    );
    let (deepest, more) = sub(&pool, article, ids[998], 1).await;
    assert!(!more);
    assert_eq!(shape(&[deepest]), "c998-1(c999-1)");
    let (middle, _) = sub(&pool, article, ids[500], 1).await;
    assert_eq!(shape(&[middle]), "c500-1(c501-1(c502-1))");
    let page = "/articles/threads";
    for depth in [2, 3, 4, 5, 997, 998, 999] {
        // Each "Continue this thread" page starts two levels below the previous one.
        let top = if depth <= 2 { 0 } else { 2 * ((depth - 1) / 2) };
        let expected = if top == 0 {
            format!("{page}#comment-{}", ids[depth])
        } else {
            format!("{page}/comments/{}#comment-{}", ids[top], ids[depth])
        };
        assert_eq!(located(&pool, ids[depth]).await, expected, "depth {depth}");
    }
    assert_eq!(counts(&pool, article).await, (1_000, 1_000));
});

contract_test!(
    a_hundred_thousand_top_level_comments,
    |pool: Pool| async move {
        let (article, r) = setup(&pool, 1).await;
        bulk(&pool, article, None, r[0], "t", 100_000, NOW).await;
        let (first, more) = page(&pool, article, Sort::Oldest, 1).await;
        assert!(more);
        assert_eq!(shape(&first), leaves("t", 1, 50));
        let (last, more) = page(&pool, article, Sort::Oldest, 2_000).await;
        assert!(!more);
        assert_eq!(shape(&last), leaves("t", 99_951, 100_000));
        let (newest, _) = page(&pool, article, Sort::Newest, 1).await;
        assert_eq!(shape(&newest[..2]), "t100000 t99999");
        let t100000 = id_of(&pool, "t100000").await;
        assert_eq!(
            located(&pool, t100000).await,
            format!("/articles/threads?page=2000#comment-{t100000}")
        );
        assert_eq!(counts(&pool, article).await, (100_000, 100_000));
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

#[tokio::test]
async fn a_long_list_of_replies_ends_in_a_link_to_the_comment_page() {
    let (app, db) = common::test_app("").await;
    let article: i64 = sqlx::query_scalar("SELECT id FROM articles WHERE slug = $1")
        .bind(SLUG)
        .fetch_one(&db.pool)
        .await
        .expect("article");
    let (user, _) = common::signed_in_reader(&db, "ada@example.com").await;
    // Posted an hour ago, so a reply posted now comes last.
    let at = besthub::db::now_ms() - 3_600_000;
    let root = post(&db.pool, article, None, user, "Many answers", at).await;
    for i in 1..=62 {
        post(
            &db.pool,
            article,
            Some(root),
            user,
            &format!("answer #{i:02}"),
            at + i,
        )
        .await;
    }
    let thread_href = format!("/articles/{SLUG}/comments/{root}");

    let page = get(&app, &format!("/articles/{SLUG}"), None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("answer #10") && !page.body.contains("answer #11"));
    assert!(
        page.body.contains(&format!(
            "<p class=\"more-replies\"><a href=\"{thread_href}\">52 more replies</a></p>"
        )),
        "the link under the tenth reply"
    );

    // The comment's page: fifty replies, then the next page with the rest.
    let thread = get(&app, &thread_href, None).await;
    assert_eq!(thread.status, StatusCode::OK);
    assert!(thread.body.contains("answer #50") && !thread.body.contains("answer #51"));
    assert!(
        !thread.body.contains("class=\"more-replies\""),
        "no link to itself"
    );
    assert!(thread.body.contains(&format!(
        "href=\"{thread_href}?page=2#discussion\">Show more replies"
    )));
    let next = get(&app, &format!("{thread_href}?page=2"), None).await;
    assert!(next.body.contains("answer #51") && next.body.contains("answer #62"));
    assert!(!next.body.contains("answer #50"));
    assert!(next.body.contains(&format!(
        "href=\"{thread_href}#discussion\">Previous replies"
    )));

    // The server functions the hydrated page calls answer the same.
    let json = |reply: Reply| -> serde_json::Value {
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        serde_json::from_str(&reply.body).expect("json")
    };
    let comments = json(get(&app, &format!("{}?slug={SLUG}", GetComments::PATH), None).await);
    let top = &comments["threads"][0];
    assert_eq!(top["comment"]["reply_count"], 62);
    assert_eq!(top["replies"].as_array().expect("replies").len(), 10);
    let second = json(
        get(
            &app,
            &format!("{}?slug={SLUG}&id={root}&page=2", GetCommentThread::PATH),
            None,
        )
        .await,
    );
    assert_eq!(
        second["thread"]["replies"]
            .as_array()
            .expect("replies")
            .len(),
        12
    );
    assert_eq!(second["has_more"], false);

    // Without JavaScript, a reply to the long list lands on the page that shows it.
    let (_, session) = common::signed_in_reader(&db, "bob@example.com").await;
    let reply = send(
        &app,
        Request::post(PostComment::PATH)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "text/html")
            .header(header::ORIGIN, ORIGIN)
            .header(header::REFERER, format!("{ORIGIN}/articles/{SLUG}"))
            .header(header::COOKIE, format!("besthub_session={session}"))
            .body(Body::from(format!("slug={SLUG}&body=late&parent={root}")))
            .expect("request"),
    )
    .await;
    let location = reply.headers["location"].to_str().expect("location");
    assert!(
        location.starts_with(&format!("{thread_href}?page=2#comment-")),
        "{location}"
    );
}
