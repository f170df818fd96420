//! Contract tests: every storage function behaves the same on SQLite and PostgreSQL.
#![cfg(feature = "ssr")]

mod common;

use besthub::articles::store::{self, NewAuthor, Upsert};
use besthub::db::{self, Pool};
use besthub::import::{self, FileOutcome};

fn author(handle: &str, bio: &str) -> NewAuthor {
    NewAuthor {
        handle: handle.into(),
        name: format!("Name of {handle}"),
        bio: bio.into(),
    }
}

async fn insert(pool: &Pool, slug: &str, published_at: i64, tags: &[&str]) -> (i64, Upsert) {
    let mut tx = pool.begin().await.expect("begin");
    let author_id = store::upsert_author(&mut tx, &author("ada", "bio"))
        .await
        .expect("author");
    let result = store::upsert_article(
        &mut tx,
        author_id,
        &common::new_article(slug, published_at, tags),
    )
    .await
    .expect("article");
    tx.commit().await.expect("commit");
    result
}

const GOOD_FILE: &str = "---
title: Good file
summary: A good one.
author: Ada Example
author_bio: Writes.
tags: [Rust, rust, ' SQL ']
source_url: https://example.com/good
published: 2026-01-02
---
Hello **world**.
";

contract_test!(ping_answers, |pool: Pool| async move {
    assert!(db::ping(&pool).await);
});

contract_test!(
    author_upsert_is_idempotent_and_updates,
    |pool: Pool| async move {
        let mut conn = pool.acquire().await.expect("conn");
        let first = store::upsert_author(&mut conn, &author("ada", "old bio"))
            .await
            .expect("insert");
        let again = store::upsert_author(&mut conn, &author("ada", "new bio"))
            .await
            .expect("update");
        assert_eq!(first, again);
        let bio: String = sqlx::query_scalar("SELECT bio FROM authors WHERE id = $1")
            .bind(first)
            .fetch_one(&mut *conn)
            .await
            .expect("bio");
        assert_eq!(bio, "new bio");
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM authors")
            .fetch_one(&mut *conn)
            .await
            .expect("count");
        assert_eq!(count, 1);
    }
);

contract_test!(
    article_upsert_replaces_by_slug_with_tags,
    |pool: Pool| async move {
        let (id, outcome) = insert(&pool, "one", 1_000, &["rust", "sql"]).await;
        assert_eq!(outcome, Upsert::Inserted);
        let (again, outcome) = insert(&pool, "one", 2_000, &["sql", "web"]).await;
        assert_eq!((again, outcome), (id, Upsert::Updated));
        assert_eq!(store::count_articles(&pool).await.expect("count"), 1);
        let found = store::find_by_slug(&pool, "one")
            .await
            .expect("query")
            .expect("found");
        assert_eq!(found.published_at, 2_000);
        assert_eq!(found.tags, vec!["sql", "web"]);
        assert_eq!(found.author_handle, "ada");
        assert!(store::find_by_slug(&pool, "missing")
            .await
            .expect("query")
            .is_none());
    }
);

contract_test!(listing_is_newest_first_and_paged, |pool: Pool| async move {
    for (slug, at) in [("old", 1_000), ("new", 3_000), ("mid", 2_000)] {
        insert(&pool, slug, at, &[]).await;
    }
    let slugs = |items: Vec<besthub::articles::ArticleListItem>| {
        items.into_iter().map(|i| i.slug).collect::<Vec<_>>()
    };
    let first = store::list_newest(&pool, 2, 0).await.expect("page 1");
    assert_eq!(slugs(first), vec!["new", "mid"]);
    let second = store::list_newest(&pool, 2, 2).await.expect("page 2");
    assert_eq!(slugs(second), vec!["old"]);
});

contract_test!(
    import_writes_good_files_and_nothing_of_bad_ones,
    |pool: Pool| async move {
        let outcome = import::import_text(&pool, "good.md", GOOD_FILE).await;
        assert_eq!(outcome, FileOutcome::Imported("good-file".into()));
        let found = store::find_by_slug(&pool, "good-file")
            .await
            .expect("query")
            .expect("found");
        assert_eq!(found.tags, vec!["rust", "sql"]);
        assert!(found.body_html.contains("<strong>world</strong>"));

        let bad = GOOD_FILE
            .replace("Good file", "Bad file")
            .replace("https://example.com/good", "javascript:alert(1)");
        let outcome = import::import_text(&pool, "bad.md", &bad).await;
        let FileOutcome::Failed(message) = outcome else {
            panic!("bad file imported: {outcome:?}");
        };
        assert!(message.starts_with("bad.md: source_url: "), "{message}");
        assert_eq!(store::count_articles(&pool).await.expect("count"), 1);
        let authors: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM authors")
            .fetch_one(&pool)
            .await
            .expect("authors");
        assert_eq!(authors, 1);

        let edited = GOOD_FILE.replace("Hello", "Goodbye");
        let outcome = import::import_text(&pool, "good.md", &edited).await;
        assert_eq!(outcome, FileOutcome::Updated("good-file".into()));
        let found = store::find_by_slug(&pool, "good-file")
            .await
            .expect("query")
            .expect("found");
        assert!(found.body_html.contains("Goodbye"));
    }
);

contract_test!(
    demo_content_seeds_an_empty_database_once,
    |pool: Pool| async move {
        let summary = import::seed_demo_if_empty(&pool)
            .await
            .expect("seed")
            .expect("was empty");
        assert_eq!(summary.failed, 0, "{summary}");
        assert!(summary.imported >= 4, "{summary}");
        assert!(import::seed_demo_if_empty(&pool)
            .await
            .expect("seed")
            .is_none());
        let chinese = store::find_by_slug(&pool, "cjk-typography-on-the-web")
            .await
            .expect("query")
            .expect("chinese demo article");
        assert_eq!(chinese.lang, "zh");
        assert!(chinese.reading_minutes >= 2, "{}", chinese.reading_minutes);
    }
);

mod accounts {
    use super::*;
    use besthub::accounts::store::{self as users, CreateUserError};
    use besthub::accounts::Role;

    contract_test!(users_are_unique_by_email, |pool: Pool| async move {
        let id = users::create_user(&pool, "ada@example.com", "Ada", "hash", 1)
            .await
            .expect("created");
        let taken = users::create_user(&pool, "ada@example.com", "Other", "hash", 2).await;
        assert!(
            matches!(taken, Err(CreateUserError::EmailTaken)),
            "{taken:?}"
        );
        let found = users::find_user_by_email(&pool, "ada@example.com")
            .await
            .expect("query")
            .expect("found");
        assert_eq!((found.id, found.name.as_str()), (id, "Ada"));
        assert_eq!(found.current_user().role, Role::Reader);
        assert!(users::set_role(&pool, "ada@example.com", Role::Admin)
            .await
            .expect("grant"));
        assert!(!users::set_role(&pool, "nobody@example.com", Role::Admin)
            .await
            .expect("grant"));
        let found = users::find_user_by_email(&pool, "ada@example.com")
            .await
            .expect("query")
            .expect("found");
        assert_eq!(found.current_user().role, Role::Admin);
    });

    contract_test!(
        a_suspension_ends_sessions_for_good_and_itself_in_time,
        |pool: Pool| async move {
            let user = users::create_user(&pool, "sus@example.com", "Sus", "hash", 1)
                .await
                .expect("created");
            users::create_session(&pool, "old", user, 1_000, 1_000_000)
                .await
                .expect("session");
            users::suspend(&pool, user, 2_000, 10_000)
                .await
                .expect("suspend");
            // While suspended the old session signs nobody in, and says until when.
            assert_eq!(
                users::find_session(&pool, "old", 5_000)
                    .await
                    .expect("query"),
                Some(users::SessionFound::Suspended(10_000))
            );
            // Over by itself: the old session stays ended, a new one works.
            assert_eq!(
                users::find_session(&pool, "old", 10_000)
                    .await
                    .expect("query"),
                None
            );
            users::create_session(&pool, "new", user, 10_001, 1_000_000)
                .await
                .expect("session");
            assert!(matches!(
                users::find_session(&pool, "new", 10_002).await.expect("query"),
                Some(users::SessionFound::Active(found, _)) if found.id == user
            ));
            let record = users::find_user_by_email(&pool, "sus@example.com")
                .await
                .expect("query")
                .expect("found");
            assert_eq!(record.suspended_until, Some(10_000));
        }
    );

    contract_test!(sessions_expire_slide_and_end, |pool: Pool| async move {
        let user = users::create_user(&pool, "ada@example.com", "Ada", "hash", 1)
            .await
            .expect("created");
        users::create_session(&pool, "h1", user, 1_000, 2_000)
            .await
            .expect("session");
        let Some(users::SessionFound::Active(found, expires)) =
            users::find_session(&pool, "h1", 1_500)
                .await
                .expect("query")
        else {
            panic!("the session is live");
        };
        assert_eq!((found.id, expires), (user, 2_000));
        assert!(users::find_session(&pool, "h1", 2_000)
            .await
            .expect("query")
            .is_none());
        users::extend_session(&pool, "h1", 5_000)
            .await
            .expect("extend");
        assert!(users::find_session(&pool, "h1", 4_000)
            .await
            .expect("query")
            .is_some());
        users::create_session(&pool, "h2", user, 1_000, 1_500)
            .await
            .expect("session");
        assert_eq!(
            users::delete_expired_sessions(&pool, 3_000)
                .await
                .expect("sweep"),
            1
        );
        users::delete_session(&pool, "h1").await.expect("delete");
        assert!(users::find_session(&pool, "h1", 4_000)
            .await
            .expect("query")
            .is_none());
    });

    contract_test!(
        sign_in_attempts_are_claimed_and_locked,
        |pool: Pool| async move {
            use users::SignInClaim::{Attempt, Locked};
            let user = users::create_user(&pool, "ada@example.com", "Ada", "hash", 1)
                .await
                .expect("created");
            let window = 15 * 60 * 1000;
            // An old attempt outside the window does not count.
            assert_eq!(
                users::claim_sign_in_attempt(&pool, user, 1_000, window)
                    .await
                    .expect("claim"),
                Attempt(1)
            );
            let mut now = 1_000 + window + 10;
            for n in 1..=6 {
                now += 1;
                let claim = users::claim_sign_in_attempt(&pool, user, now, window)
                    .await
                    .expect("claim");
                assert_eq!(claim, Attempt(n), "each claim counts, one after the other");
            }
            let until = users::lock_sign_in(&pool, user, now, now + window)
                .await
                .expect("lock");
            assert_eq!(until, now + window);
            // A second lock while the first holds keeps the first.
            let again = users::lock_sign_in(&pool, user, now + 5, now + 5 + window)
                .await
                .expect("lock");
            assert_eq!(again, now + window);
            let found = users::find_user_by_email(&pool, "ada@example.com")
                .await
                .expect("query")
                .expect("found");
            assert_eq!(found.locked_until, Some(now + window));
            // While locked nothing is claimed; afterwards the count starts over.
            assert_eq!(
                users::claim_sign_in_attempt(&pool, user, now + 10, window)
                    .await
                    .expect("claim"),
                Locked(now + window)
            );
            assert_eq!(
                users::claim_sign_in_attempt(&pool, user, now + window, window)
                    .await
                    .expect("claim"),
                Attempt(1)
            );
            users::clear_sign_in_attempts(&pool, user)
                .await
                .expect("clear");
            assert_eq!(
                users::claim_sign_in_attempt(&pool, user, now + window + 1, window)
                    .await
                    .expect("claim"),
                Attempt(1)
            );
        }
    );

    contract_test!(
        parallel_claims_never_share_a_number,
        |pool: Pool| async move {
            let user = users::create_user(&pool, "ada@example.com", "Ada", "hash", 1)
                .await
                .expect("created");
            let mut claims = Vec::new();
            for _ in 0..40 {
                let pool = pool.clone();
                claims.push(tokio::spawn(async move {
                    users::claim_sign_in_attempt(&pool, user, 10_000, 60_000).await
                }));
            }
            let mut numbers = Vec::new();
            for claim in claims {
                match claim.await.expect("task").expect("claim") {
                    users::SignInClaim::Attempt(n) => numbers.push(n),
                    other => panic!("not locked: {other:?}"),
                }
            }
            numbers.sort_unstable();
            assert_eq!(numbers, (1..=40).collect::<Vec<_>>());
        }
    );

    contract_test!(
        sweeping_removes_only_what_has_expired,
        |pool: Pool| async move {
            let user = users::create_user(&pool, "ada@example.com", "Ada", "hash", 1)
                .await
                .expect("created");
            let hour = besthub::accounts::LONGEST_RATE_WINDOW_MS;
            let now = 10 * hour;
            users::create_session(&pool, "old", user, 1, now - 1)
                .await
                .expect("session");
            users::create_session(&pool, "live", user, 1, now + 1)
                .await
                .expect("session");
            assert!(
                users::take_rate_limit(&pool, "signup:old", now - hour - 1, 0, 5)
                    .await
                    .expect("slot")
            );
            assert!(users::take_rate_limit(&pool, "signup:new", now - 1, 0, 5)
                .await
                .expect("slot"));
            let swept = users::sweep_expired(&pool, now).await.expect("sweep");
            assert_eq!(swept.sessions, 1);
            assert_eq!(swept.rate_limit_windows, 1);
            assert!(users::find_session(&pool, "live", now)
                .await
                .expect("query")
                .is_some());
            let windows: Vec<String> = sqlx::query_scalar("SELECT bucket FROM rate_limit_windows")
                .fetch_all(&pool)
                .await
                .expect("windows");
            assert_eq!(windows, vec!["signup:new".to_owned()]);
            assert!(users::sweep_expired(&pool, now)
                .await
                .expect("sweep")
                .is_empty());
        }
    );

    contract_test!(
        rate_limits_count_within_the_window,
        |pool: Pool| async move {
            for at in 0..3 {
                assert!(
                    users::take_rate_limit(&pool, "signup:1.2.3.4", 100 + at, 0, 3)
                        .await
                        .expect("take")
                );
            }
            assert!(!users::take_rate_limit(&pool, "signup:1.2.3.4", 104, 0, 3)
                .await
                .expect("take"));
            assert!(users::take_rate_limit(&pool, "signup:5.6.7.8", 104, 0, 3)
                .await
                .expect("other bucket"));
            // Later, the old events fall out of the window.
            assert!(users::take_rate_limit(&pool, "signup:1.2.3.4", 500, 200, 3)
                .await
                .expect("take"));
        }
    );
}

contract_test!(
    listings_by_author_and_tag_carry_tags,
    |pool: Pool| async move {
        insert(&pool, "a", 1_000, &["rust", "sql"]).await;
        insert(&pool, "b", 2_000, &["sql"]).await;
        let newest = store::list_newest(&pool, 10, 0).await.expect("list");
        assert_eq!(newest[0].slug, "b");
        assert_eq!(newest[1].tags, vec!["rust", "sql"]);
        let by_tag = store::list_by_tag(&pool, "rust", 10, 0)
            .await
            .expect("by tag");
        assert_eq!(by_tag.len(), 1);
        assert_eq!(by_tag[0].slug, "a");
        assert!(store::tag_exists(&pool, "sql").await.expect("exists"));
        assert!(!store::tag_exists(&pool, "nope").await.expect("exists"));
        let author = store::find_author(&pool, "ada")
            .await
            .expect("author")
            .expect("found");
        let by_author = store::list_by_author(&pool, author.id, 1, 1)
            .await
            .expect("page 2");
        assert_eq!(by_author.len(), 1);
        assert_eq!(by_author[0].slug, "a");
        assert!(store::find_author(&pool, "nobody")
            .await
            .expect("query")
            .is_none());
    }
);

contract_test!(
    source_lookups_and_redirect_records,
    |pool: Pool| async move {
        let (id, _) = insert(&pool, "a", 1_000, &[]).await;
        let (found_id, url) = store::find_source(&pool, "a")
            .await
            .expect("query")
            .expect("found");
        assert_eq!((found_id, url.as_str()), (id, "https://example.com/x"));
        let user = besthub::accounts::store::create_user(&pool, "ada@example.com", "Ada", "x", 1)
            .await
            .expect("user");
        store::record_source_redirect(&pool, user, id, 5)
            .await
            .expect("record");
        store::record_source_redirect(&pool, user, id, 6)
            .await
            .expect("record");
        let uses: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM source_redirects WHERE article_id = $1")
                .bind(id)
                .fetch_one(&pool)
                .await
                .expect("count");
        assert_eq!(uses, 2);
    }
);

contract_test!(stale_bodies_are_rendered_again, |pool: Pool| async move {
    let (id, _) = insert(&pool, "a", 1_000, &[]).await;
    sqlx::query("UPDATE articles SET body_markdown = $1, render_version = 0 WHERE id = $2")
        .bind("## Fresh heading\n\ntext")
        .bind(id)
        .execute(&pool)
        .await
        .expect("update");
    assert_eq!(store::rerender_stale(&pool).await.expect("rerender"), 1);
    assert_eq!(store::rerender_stale(&pool).await.expect("rerender"), 0);
    let found = store::find_by_slug(&pool, "a")
        .await
        .expect("q")
        .expect("found");
    assert!(
        found.body_html.contains("id=\"h-fresh-heading\""),
        "{}",
        found.body_html
    );
});

mod feedback {
    use super::*;
    use besthub::feedback::store as fb;

    async fn readers(pool: &Pool, n: usize) -> Vec<i64> {
        let mut ids = Vec::new();
        for i in 0..n {
            let id = besthub::accounts::store::create_user(
                pool,
                &format!("reader{i}@example.com"),
                "Reader",
                "x",
                1,
            )
            .await
            .expect("user");
            ids.push(id);
        }
        ids
    }

    async fn counted(pool: &Pool, article: i64) -> (i64, i64) {
        let stored: i64 = sqlx::query_scalar("SELECT like_count FROM articles WHERE id = $1")
            .bind(article)
            .fetch_one(pool)
            .await
            .expect("count");
        let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM likes WHERE article_id = $1")
            .bind(article)
            .fetch_one(pool)
            .await
            .expect("rows");
        (stored, rows)
    }

    contract_test!(
        likes_stay_exact_under_concurrency,
        |pool: Pool| async move {
            let (article, _) = insert(&pool, "a", 1, &[]).await;
            let users = readers(&pool, 50).await;
            // Every reader likes twice and half of them unlike twice, all at once.
            let mut tasks = Vec::new();
            for (i, user) in users.iter().copied().enumerate() {
                let pool = pool.clone();
                tasks.push(tokio::spawn(async move {
                    for _ in 0..2 {
                        fb::set_like(&pool, user, article, true, 1)
                            .await
                            .expect("like");
                    }
                    if i % 2 == 0 {
                        for _ in 0..2 {
                            fb::set_like(&pool, user, article, false, 2)
                                .await
                                .expect("unlike");
                        }
                    }
                }));
            }
            for task in tasks {
                task.await.expect("task");
            }
            assert_eq!(counted(&pool, article).await, (25, 25));
            assert!(fb::set_like(&pool, users[0], 999_999, true, 1)
                .await
                .expect("query")
                .is_none());
        }
    );

    contract_test!(
        ratings_upsert_and_keep_the_distribution,
        |pool: Pool| async move {
            let (article, _) = insert(&pool, "a", 1, &[]).await;
            let users = readers(&pool, 2).await;
            let s = fb::set_rating(&pool, users[0], article, Some(4), 1)
                .await
                .expect("rate")
                .expect("found");
            assert_eq!(
                (s.count, s.sum, s.stars, s.mine),
                (1, 4, [0, 0, 0, 1, 0], Some(4))
            );
            let s = fb::set_rating(&pool, users[0], article, Some(2), 2)
                .await
                .expect("rate")
                .expect("found");
            assert_eq!((s.count, s.sum, s.stars), (1, 2, [0, 1, 0, 0, 0]));
            let s = fb::set_rating(&pool, users[1], article, Some(5), 3)
                .await
                .expect("rate")
                .expect("found");
            assert_eq!((s.count, s.sum, s.stars), (2, 7, [0, 1, 0, 0, 1]));
            assert_eq!(s.average_text(), "Average 3.5 from 2 ratings");
            let s = fb::set_rating(&pool, users[0], article, None, 4)
                .await
                .expect("remove")
                .expect("found");
            assert_eq!(
                (s.count, s.sum, s.stars, s.mine),
                (1, 5, [0, 0, 0, 0, 1], None)
            );
            // Removing again changes nothing.
            let again = fb::set_rating(&pool, users[0], article, None, 5)
                .await
                .expect("remove")
                .expect("found");
            assert_eq!((again.count, again.sum), (1, 5));
        }
    );

    contract_test!(follows_are_idempotent, |pool: Pool| async move {
        insert(&pool, "a", 1, &[]).await;
        let author = store::find_author(&pool, "ada")
            .await
            .expect("q")
            .expect("author");
        let users = readers(&pool, 2).await;
        for _ in 0..2 {
            let s = fb::set_follow(&pool, users[0], author.id, true, 1)
                .await
                .expect("follow")
                .expect("found");
            assert_eq!((s.following, s.followers), (true, 1));
        }
        fb::set_follow(&pool, users[1], author.id, true, 1)
            .await
            .expect("follow");
        let s = fb::set_follow(&pool, users[0], author.id, false, 2)
            .await
            .expect("unfollow")
            .expect("found");
        assert_eq!((s.following, s.followers), (false, 1));
        assert!(fb::is_following(&pool, users[1], author.id)
            .await
            .expect("q"));
        assert!(!fb::is_following(&pool, users[0], author.id)
            .await
            .expect("q"));
    });
}
