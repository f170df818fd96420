//! Reply notifications (issue 15): who is notified, on SQLite and PostgreSQL (storage
//! contract), and the endpoints and header over HTTP (the whole app, on the database
//! `BESTHUB_TEST_APP_DB` names).
#![cfg(feature = "ssr")]

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use besthub::db::Pool;
use besthub::discussion::store::{self as comments, Inserted};
use besthub::discussion::CommentBody;
use besthub::notifications::store as notes;
use besthub::notifications::{
    FollowMode, GetNotifications, MarkAllRead, NotificationKind, SetDiscussionFollow, UnreadCount,
};
use common::{call_form, comment, read, send, user};
use leptos::server_fn::ServerFn;

/// An article `slug` by the author "ada"; returns its id.
async fn article(pool: &Pool, slug: &str) -> i64 {
    common::store_article(pool, "ada", &common::new_article(slug, 1_000, &["rust"])).await
}

/// What `user` is notified of, newest first: (kind, comment id, unread).
async fn seen(pool: &Pool, user: i64) -> Vec<(NotificationKind, i64, bool)> {
    notes::page(pool, user, 100, 0)
        .await
        .expect("page")
        .into_iter()
        .map(|n| (n.kind, n.comment_id, n.unread))
        .collect()
}

async fn unread(pool: &Pool, user: i64) -> i64 {
    notes::unread_count(pool, user).await.expect("count")
}

async fn mode(pool: &Pool, user: i64, article: i64) -> FollowMode {
    notes::follow_mode(pool, user, article).await.expect("mode")
}

async fn set_mode(pool: &Pool, user: i64, article: i64, mode: FollowMode) {
    notes::set_follow_mode(pool, user, article, mode, 9_000)
        .await
        .expect("set mode");
}

contract_test!(
    a_reply_notifies_the_parent_author_and_commenting_follows,
    |pool: Pool| async move {
        let article = article(&pool, "a").await;
        let (ann, bob) = (user(&pool, "ann").await, user(&pool, "bob").await);
        assert_eq!(mode(&pool, ann, article).await, FollowMode::Replies);
        let first = comment(&pool, article, None, ann, "first").await;
        assert_eq!(mode(&pool, ann, article).await, FollowMode::Following);
        // Nobody else follows yet, and Ann is not told of her own comment.
        assert!(seen(&pool, ann).await.is_empty());
        let reply = comment(&pool, article, Some(first), bob, "a reply").await;
        assert_eq!(
            seen(&pool, ann).await,
            vec![(NotificationKind::Reply, reply, true)]
        );
        assert_eq!(unread(&pool, ann).await, 1);
        assert_eq!(mode(&pool, bob, article).await, FollowMode::Following);
        assert!(seen(&pool, bob).await.is_empty());
        let page = notes::page(&pool, ann, 10, 0).await.expect("page");
        assert_eq!(page[0].author_name, "bob");
        assert_eq!(page[0].article_title, "Title a");
        assert_eq!(page[0].excerpt, "a reply");
    }
);

contract_test!(
    followers_get_comment_notifications_but_never_their_own,
    |pool: Pool| async move {
        let article = article(&pool, "a").await;
        let (ann, bob, cy, dee) = (
            user(&pool, "ann").await,
            user(&pool, "bob").await,
            user(&pool, "cy").await,
            user(&pool, "dee").await,
        );
        // Dee follows without commenting.
        set_mode(&pool, dee, article, FollowMode::Following).await;
        let first = comment(&pool, article, None, ann, "first").await;
        assert_eq!(
            seen(&pool, dee).await,
            vec![(NotificationKind::Comment, first, true)]
        );
        // Bob answers Ann: Ann hears of a reply (once, not also as a follower), Dee of a comment.
        let reply = comment(&pool, article, Some(first), bob, "reply").await;
        assert_eq!(
            seen(&pool, ann).await,
            vec![(NotificationKind::Reply, reply, true)]
        );
        assert_eq!(
            seen(&pool, dee).await,
            vec![
                (NotificationKind::Comment, reply, true),
                (NotificationKind::Comment, first, true)
            ]
        );
        // Ann answers her own comment: nobody tells her of it; Bob and Dee follow.
        let own = comment(&pool, article, Some(first), ann, "to myself").await;
        assert_eq!(unread(&pool, ann).await, 1);
        assert_eq!(
            seen(&pool, bob).await,
            vec![(NotificationKind::Comment, own, true)]
        );
        // Cy comments elsewhere: nobody here hears of it.
        let other = self::article(&pool, "b").await;
        comment(&pool, other, None, cy, "elsewhere").await;
        assert_eq!(unread(&pool, dee).await, 3);
        assert_eq!(unread(&pool, cy).await, 0);
    }
);

contract_test!(
    a_muted_discussion_notifies_of_nothing,
    |pool: Pool| async move {
        let article = article(&pool, "a").await;
        let (ann, bob) = (user(&pool, "ann").await, user(&pool, "bob").await);
        let first = comment(&pool, article, None, ann, "first").await;
        set_mode(&pool, ann, article, FollowMode::Muted).await;
        assert_eq!(mode(&pool, ann, article).await, FollowMode::Muted);
        comment(&pool, article, Some(first), bob, "a reply").await;
        comment(&pool, article, None, bob, "a comment").await;
        assert!(seen(&pool, ann).await.is_empty());
        // Commenting again keeps the mute.
        comment(&pool, article, None, ann, "again").await;
        assert_eq!(mode(&pool, ann, article).await, FollowMode::Muted);
        // Following again unmutes.
        set_mode(&pool, ann, article, FollowMode::Following).await;
        let later = comment(&pool, article, Some(first), bob, "later").await;
        assert_eq!(
            seen(&pool, ann).await,
            vec![(NotificationKind::Reply, later, true)]
        );
    }
);

contract_test!(follow_and_mute_are_idempotent, |pool: Pool| async move {
    let article = article(&pool, "a").await;
    let ann = user(&pool, "ann").await;
    for wanted in [
        FollowMode::Following,
        FollowMode::Following,
        FollowMode::Muted,
        FollowMode::Muted,
        FollowMode::Replies,
        FollowMode::Replies,
        FollowMode::Following,
    ] {
        set_mode(&pool, ann, article, wanted).await;
        assert_eq!(mode(&pool, ann, article).await, wanted);
    }
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM discussion_follows")
        .fetch_one(&pool)
        .await
        .expect("count");
    assert_eq!(rows, 1);
});

contract_test!(
    hidden_and_deleted_comments_leave_the_list_and_the_count,
    |pool: Pool| async move {
        let article = article(&pool, "a").await;
        let (ann, bob) = (user(&pool, "ann").await, user(&pool, "bob").await);
        let first = comment(&pool, article, None, ann, "first").await;
        let hidden = comment(&pool, article, Some(first), bob, "rude").await;
        let kept = comment(&pool, article, Some(first), bob, "polite").await;
        let deleted = comment(&pool, article, Some(first), bob, "oops").await;
        assert_eq!(unread(&pool, ann).await, 3);
        assert!(
            besthub::moderation::store::set_hidden(&pool, hidden, true, 9_000)
                .await
                .expect("hide")
        );
        comments::delete(&pool, deleted, 9_000)
            .await
            .expect("delete")
            .expect("deleted");
        assert_eq!(
            seen(&pool, ann).await,
            vec![(NotificationKind::Reply, kept, true)]
        );
        assert_eq!(unread(&pool, ann).await, 1);
        // Restored by a moderator: it is back.
        besthub::moderation::store::set_hidden(&pool, hidden, false, 9_500)
            .await
            .expect("restore");
        assert_eq!(unread(&pool, ann).await, 2);
        // A deleted comment kept as a placeholder (it has replies) is not shown either.
        let parent = comment(&pool, article, Some(first), bob, "will go").await;
        comment(&pool, article, Some(parent), ann, "answer").await;
        assert_eq!(unread(&pool, ann).await, 3);
        comments::delete(&pool, parent, 9_600)
            .await
            .expect("delete")
            .expect("deleted");
        assert_eq!(unread(&pool, ann).await, 2);
    }
);

contract_test!(
    mark_all_read_clears_the_count_up_to_the_newest_seen,
    |pool: Pool| async move {
        let article = article(&pool, "a").await;
        let (ann, bob) = (user(&pool, "ann").await, user(&pool, "bob").await);
        let first = comment(&pool, article, None, ann, "first").await;
        comment(&pool, article, Some(first), bob, "one").await;
        comment(&pool, article, Some(first), bob, "two").await;
        let page = notes::page(&pool, ann, 10, 0).await.expect("page");
        let newest = page[0].id;
        // One arrives after the page was read: marking through the newest seen leaves it.
        let late = comment(&pool, article, Some(first), bob, "three").await;
        assert_eq!(
            notes::mark_all_read(&pool, ann, Some(newest), 9_000)
                .await
                .expect("mark"),
            2
        );
        assert_eq!(unread(&pool, ann).await, 1);
        assert_eq!(
            seen(&pool, ann).await[0],
            (NotificationKind::Reply, late, true)
        );
        notes::mark_all_read(&pool, ann, None, 9_100)
            .await
            .expect("mark");
        assert_eq!(unread(&pool, ann).await, 0);
        assert!(seen(&pool, ann).await.iter().all(|(_, _, unread)| !unread));
        // Idempotent.
        assert_eq!(
            notes::mark_all_read(&pool, ann, None, 9_200)
                .await
                .expect("mark"),
            0
        );
    }
);

contract_test!(a_failed_post_notifies_nobody, |pool: Pool| async move {
    let article = article(&pool, "a").await;
    let (ann, bob) = (user(&pool, "ann").await, user(&pool, "bob").await);
    let first = comment(&pool, article, None, ann, "first").await;
    comments::delete(&pool, first, 9_000)
        .await
        .expect("delete")
        .expect("deleted");
    let body = CommentBody::parse("too late").expect("body");
    let outcome = comments::insert(
        &pool,
        article,
        Some(first),
        bob,
        &body,
        "<p>x</p>",
        9_500,
        None,
    )
    .await
    .expect("insert");
    assert_eq!(outcome, Inserted::ParentGone);
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM notifications")
        .fetch_one(&pool)
        .await
        .expect("count");
    assert_eq!(rows, 0);
    assert_eq!(mode(&pool, bob, article).await, FollowMode::Replies);
});

// Over HTTP, against the whole app.

const SLUG: &str = "sqlite-wal-in-production";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_calls_get_401_and_change_nothing() {
    let (app, db) = common::test_app("").await;
    for (path, pairs) in [
        (
            SetDiscussionFollow::PATH,
            vec![("slug", SLUG), ("mode", "following")],
        ),
        (MarkAllRead::PATH, vec![]),
    ] {
        let reply = call_form(&app, path, &pairs, None).await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "{path}: {}",
            reply.body
        );
    }
    for path in [UnreadCount::PATH, GetNotifications::PATH] {
        let reply = read(&app, path, None).await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "{path}: {}",
            reply.body
        );
    }
    let stream = read(&app, besthub::notifications::stream_path(), None).await;
    assert_eq!(stream.status, StatusCode::UNAUTHORIZED);
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM discussion_follows")
        .fetch_one(&db.pool)
        .await
        .expect("count");
    assert_eq!(rows, 0);
    // The page itself asks to sign in.
    let page = page(&app, "/notifications", None).await;
    assert!(page.contains("Sign in to see your notifications"), "{page}");
}

/// The accessible name of the header's notifications link.
fn link_text(html: &str) -> String {
    let Some(start) = html.find(r#"class="notifications-link""#) else {
        return String::new();
    };
    // The whole start tag, whatever the order of its attributes.
    let open = html[..start].rfind('<').unwrap_or(start);
    let tag = &html[open..html[start..].find('>').map_or(html.len(), |at| start + at)];
    tag.split(r#"aria-label=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .to_owned()
}

/// The HTML of `path` as the reader of `session` sees it.
async fn page(app: &axum::Router, path: &str, session: Option<&str>) -> String {
    let mut request = Request::get(path).header(header::ACCEPT, "text/html");
    if let Some(token) = session {
        request = request.header(header::COOKIE, format!("besthub_session={token}"));
    }
    let reply = send(app, request.body(Body::empty()).expect("request")).await;
    assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.body);
    reply.body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_shows_in_the_header_and_on_the_page_until_read() {
    let (app, db) = common::test_app("first_comments_held = 0").await;
    let (_, ann) = common::signed_in_as(&db, "ann@example.com", "Ann").await;
    let (_, bob) = common::signed_in_as(&db, "bob@example.com", "Bob").await;
    let posted = call_form(
        &app,
        "/api/post_comment",
        &[("slug", SLUG), ("body", "What about checkpoints?")],
        Some(&ann),
    )
    .await;
    assert_eq!(posted.status, StatusCode::OK, "{}", posted.body);
    let posted: serde_json::Value = serde_json::from_str(&posted.body).expect("json");
    let id = posted["comment"]["id"].as_i64().expect("id").to_string();
    let header = page(&app, "/", Some(&ann)).await;
    assert_eq!(link_text(&header), "Notifications", "{header}");
    // The discussion shows Ann following it.
    let article = page(&app, &format!("/articles/{SLUG}"), Some(&ann)).await;
    assert!(article.contains("Follow discussion"), "no follow button");
    let reply = call_form(
        &app,
        "/api/post_comment",
        &[
            ("slug", SLUG),
            ("body", "They run on their own."),
            ("parent", &id),
        ],
        Some(&bob),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let header = page(&app, "/", Some(&ann)).await;
    assert_eq!(link_text(&header), "Notifications, 1 unread", "{header}");
    let count = read(&app, UnreadCount::PATH, Some(&ann)).await;
    assert_eq!(count.body.trim(), "1");
    let list = page(&app, "/notifications", Some(&ann)).await;
    assert!(list.contains("replied to your comment on"), "{list}");
    assert!(list.contains("They run on their own."), "{list}");
    assert!(list.contains("#comment-"), "{list}");
    // Marking read as a plain form: back to the page, count gone.
    let marked = call_form(
        &app,
        MarkAllRead::PATH,
        &[("back", "/notifications")],
        Some(&ann),
    )
    .await;
    assert_eq!(marked.status, StatusCode::OK, "{}", marked.body);
    let header = page(&app, "/", Some(&ann)).await;
    assert_eq!(link_text(&header), "Notifications", "{header}");
    // Bob was never told of his own reply.
    let count = read(&app, UnreadCount::PATH, Some(&bob)).await;
    assert_eq!(count.body.trim(), "0");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn following_and_muting_over_http() {
    let (app, db) = common::test_app("").await;
    let (ann_id, ann) = common::signed_in_as(&db, "ann@example.com", "Ann").await;
    let article = comments::find_article(&db.pool, SLUG)
        .await
        .expect("query")
        .expect("article")
        .id;
    for wanted in ["following", "following", "muted", "replies"] {
        let reply = call_form(
            &app,
            SetDiscussionFollow::PATH,
            &[("slug", SLUG), ("mode", wanted)],
            Some(&ann),
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK, "{wanted}: {}", reply.body);
        let mode = notes::follow_mode(&db.pool, ann_id, article)
            .await
            .expect("mode");
        assert_eq!(mode.as_param(), wanted);
    }
    let bad = call_form(
        &app,
        SetDiscussionFollow::PATH,
        &[("slug", SLUG), ("mode", "toggle")],
        Some(&ann),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    let missing = call_form(
        &app,
        SetDiscussionFollow::PATH,
        &[("slug", "no-such-article"), ("mode", "following")],
        Some(&ann),
    )
    .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "{}", missing.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_sends_the_count_and_follows_replies() {
    use futures::StreamExt;
    use tower::ServiceExt;

    let (app, db) = common::test_app("first_comments_held = 0").await;
    let (_, ann) = common::signed_in_as(&db, "ann@example.com", "Ann").await;
    let (_, bob) = common::signed_in_as(&db, "bob@example.com", "Bob").await;
    let posted = call_form(
        &app,
        "/api/post_comment",
        &[("slug", SLUG), ("body", "Hello")],
        Some(&ann),
    )
    .await;
    let posted: serde_json::Value = serde_json::from_str(&posted.body).expect("json");
    let id = posted["comment"]["id"].as_i64().expect("id").to_string();
    let request = Request::get(besthub::notifications::stream_path())
        .header(header::ACCEPT, "text/event-stream")
        .header(header::COOKIE, format!("besthub_session={ann}"))
        .body(Body::empty())
        .expect("request");
    let response = app.clone().oneshot(request).await.expect("response");
    assert_eq!(response.status(), StatusCode::OK);
    let mut body = response.into_body().into_data_stream();
    let mut text = String::new();
    let mut next_data = async || loop {
        if let Some(at) = text.find("data:") {
            if let Some(end) = text[at..].find('\n') {
                let data = text[at + 5..at + end].trim().to_owned();
                text = text[at + end..].to_owned();
                return data;
            }
        }
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(10), body.next())
            .await
            .expect("a message within 10 s")
            .expect("the stream goes on")
            .expect("chunk");
        text.push_str(&String::from_utf8_lossy(&chunk));
    };
    assert_eq!(next_data().await, "0");
    let reply = call_form(
        &app,
        "/api/post_comment",
        &[("slug", SLUG), ("body", "Hi Ann"), ("parent", &id)],
        Some(&bob),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(next_data().await, "1");
}
