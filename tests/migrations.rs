//! Upgrades: a database left at any earlier migration, holding data written with the SQL of
//! that version, is migrated to the latest by the app's own `db::connect`, and every counter
//! then matches the rows it counts. Also: deleting a comment never removes other rows.
#![cfg(feature = "ssr")]

mod common;

use std::collections::HashMap;
use std::path::PathBuf;

use besthub::db::{Backend, Pool};
use besthub::discussion::store::{self, Inserted};
use besthub::discussion::CommentBody;
use common::EmptyDb;
use sqlx::migrate::Migrator;

const T: i64 = 1_700_000_000_000;

fn migrations_dir(backend: Backend) -> PathBuf {
    let name = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(name)
}

/// Every migration of `backend`, as the app applies them.
async fn all_migrations(backend: Backend) -> Migrator {
    Migrator::new(migrations_dir(backend))
        .await
        .expect("migrations")
}

/// The first migration that no released database was ever left before: 0006 (threads) and
/// 0007 (sign-in attempts) landed together, so a deployed database is at 0005 or older, or
/// at the latest. (The seed below writes data the way the app did at 0001 to 0005.)
const FIRST_UNRELEASED: i64 = 6;

/// The versions a database can have been left at before the latest one.
async fn earlier_versions(backend: Backend) -> Vec<i64> {
    let all = all_migrations(backend).await;
    let versions: Vec<i64> = all
        .iter()
        .map(|m| m.version)
        .filter(|v| *v < FIRST_UNRELEASED)
        .collect();
    assert!(
        versions.len() >= 5,
        "migrations 0001 to 0005 are older: {versions:?}"
    );
    versions
}

/// A pool on `db` whose schema is at migration `version` (a migrator that knows only the
/// migrations up to it).
async fn at_version(db: &EmptyDb, backend: Backend, version: i64) -> Pool {
    sqlx::any::install_default_drivers();
    let url = match backend {
        Backend::Sqlite => format!("{}?mode=rwc", db.url),
        Backend::Postgres => db.url.clone(),
    };
    let pool = sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await
        .expect("connect");
    let known = all_migrations(backend)
        .await
        .iter()
        .filter(|m| m.version <= version)
        .cloned()
        .collect();
    Migrator::with_migrations(known)
        .run(&pool)
        .await
        .expect("migrate to the old version");
    pool
}

/// What the old database holds, to check against after the upgrade.
struct Seeded {
    articles: [i64; 2],
    /// Comment texts by id.
    texts: HashMap<i64, String>,
    /// Comments shown (not placeholders) per article, as inserted.
    shown: [i64; 2],
    /// A comment stored before 0004 (so with `reply_count` 0) that has replies.
    old_parent: i64,
    /// The deepest comment of a long chain, and its depth.
    deep: (i64, i64),
}

async fn user(pool: &Pool, n: usize) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO users (email, name, password_hash, role, created_at)
         VALUES ($1, $2, 'argon2-hash', 'reader', $3) RETURNING id",
    )
    .bind(format!("u{n}@example.com"))
    .bind(format!("User {n}"))
    .bind(T)
    .fetch_one(pool)
    .await
    .expect("user")
}

async fn author(pool: &Pool, handle: &str, user_id: Option<i64>, followers: i64) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO authors (handle, name, bio, user_id, follower_count, created_at)
         VALUES ($1, $1, 'Writes.', $2, $3, $4) RETURNING id",
    )
    .bind(handle)
    .bind(user_id)
    .bind(followers)
    .bind(T)
    .fetch_one(pool)
    .await
    .expect("author")
}

/// An article with the counters the app would have kept for `likes` and `ratings` (stars),
/// and `comment_count` as given.
async fn article(
    pool: &Pool,
    slug: &str,
    author_id: i64,
    likes: i64,
    ratings: &[i64],
    comment_count: i64,
) -> i64 {
    let per_star = |s: i64| ratings.iter().filter(|r| **r == s).count() as i64;
    sqlx::query_scalar(
        "INSERT INTO articles (slug, title, summary, author_id, body_markdown, body_html,
             source_url, reading_minutes, published_at, updated_at, like_count, comment_count,
             rating_count, rating_sum, rating_1, rating_2, rating_3, rating_4, rating_5)
         VALUES ($1, $1, 'S.', $2, 'Body.', '<p>Body.</p>', 'https://example.com/a', 1, $3, $3,
             $4, $5, $6, $7, $8, $9, $10, $11, $12)
         RETURNING id",
    )
    .bind(slug)
    .bind(author_id)
    .bind(T)
    .bind(likes)
    .bind(comment_count)
    .bind(ratings.len() as i64)
    .bind(ratings.iter().sum::<i64>())
    .bind(per_star(1))
    .bind(per_star(2))
    .bind(per_star(3))
    .bind(per_star(4))
    .bind(per_star(5))
    .fetch_one(pool)
    .await
    .expect("article")
}

/// Writes comments the way each version could: before 0004 only the columns of 0001 exist
/// (comments carried over keep depth and reply_count at 0 after it); from 0004 on, the app
/// also writes depth and counts replies.
struct Writer<'a> {
    pool: &'a Pool,
    threads: bool,
    texts: HashMap<i64, String>,
    depth: HashMap<i64, i64>,
    clock: i64,
}

impl Writer<'_> {
    async fn comment(&mut self, article: i64, parent: Option<i64>, user: i64, text: &str) -> i64 {
        self.clock += 1_000;
        let depth = parent.map_or(0, |p| self.depth[&p] + 1);
        if let (true, Some(parent)) = (self.threads, parent) {
            sqlx::query("UPDATE comments SET reply_count = reply_count + 1 WHERE id = $1")
                .bind(parent)
                .execute(self.pool)
                .await
                .expect("count reply");
        }
        let (column, value) = if self.threads {
            (", depth", ", $7")
        } else {
            ("", "")
        };
        let sql = format!(
            "INSERT INTO comments (article_id, parent_id, user_id, body_markdown, body_html,
                 created_at{column})
             VALUES ($1, $2, $3, $4, $5, $6{value}) RETURNING id"
        );
        let mut insert = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(article)
            .bind(parent)
            .bind(user)
            .bind(text)
            .bind(format!("<p>{text}</p>"))
            .bind(self.clock);
        if self.threads {
            insert = insert.bind(depth);
        }
        let id: i64 = insert.fetch_one(self.pool).await.expect("comment");
        self.texts.insert(id, text.to_owned());
        self.depth.insert(id, depth);
        id
    }

    /// Turns a comment into a "[deleted]" placeholder (its text erased).
    async fn placeholder(&mut self, id: i64) {
        sqlx::query(
            "UPDATE comments SET deleted_at = $2, body_markdown = '', body_html = '' WHERE id = $1",
        )
        .bind(id)
        .bind(self.clock)
        .execute(self.pool)
        .await
        .expect("placeholder");
        self.texts.insert(id, String::new());
    }
}

/// Users, authors, articles with likes, ratings and follows, and threaded comments several
/// levels deep with placeholders, a chain deeper than SQLite's trigger recursion limit, and
/// the damage the cascade did: a comment deleted with its replies, counted as one.
async fn seed(pool: &Pool, version: i64) -> Seeded {
    let mut users = Vec::new();
    for n in 0..4 {
        users.push(user(pool, n).await);
    }
    let ada = author(pool, "ada", Some(users[0]), 2).await;
    let bob = author(pool, "bob", None, 1).await;
    for (u, a) in [(users[1], ada), (users[2], ada), (users[3], bob)] {
        sqlx::query("INSERT INTO follows (user_id, author_id, created_at) VALUES ($1, $2, $3)")
            .bind(u)
            .bind(a)
            .bind(T)
            .execute(pool)
            .await
            .expect("follow");
    }
    let first_ratings = [5, 3, 4];
    let second_ratings = [1];
    // comment_count is set once the comments are written, below.
    let first = article(pool, "first", ada, 3, &first_ratings, 0).await;
    let second = article(pool, "second", bob, 1, &second_ratings, 0).await;
    for (u, a) in [
        (users[0], first),
        (users[1], first),
        (users[2], first),
        (users[1], second),
    ] {
        sqlx::query("INSERT INTO likes (user_id, article_id, created_at) VALUES ($1, $2, $3)")
            .bind(u)
            .bind(a)
            .bind(T)
            .execute(pool)
            .await
            .expect("like");
    }
    for (u, a, stars) in [
        (users[0], first, first_ratings[0]),
        (users[1], first, first_ratings[1]),
        (users[2], first, first_ratings[2]),
        (users[3], second, second_ratings[0]),
    ] {
        sqlx::query(
            "INSERT INTO ratings (user_id, article_id, stars, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $4)",
        )
        .bind(u)
        .bind(a)
        .bind(stars)
        .bind(T)
        .execute(pool)
        .await
        .expect("rating");
    }

    // The first article's discussion predates 0004: no depth, no reply counts.
    let mut w = Writer {
        pool,
        threads: false,
        texts: HashMap::new(),
        depth: HashMap::new(),
        clock: T,
    };
    let r1 = w.comment(first, None, users[0], "r1").await;
    let a = w.comment(first, Some(r1), users[1], "a").await;
    let b = w.comment(first, Some(a), users[2], "b").await;
    let c = w.comment(first, Some(b), users[3], "c").await;
    w.comment(first, Some(c), users[0], "d").await;
    w.comment(first, Some(r1), users[2], "e").await;
    let r2 = w.comment(first, None, users[1], "r2").await;
    let f = w.comment(first, Some(r2), users[2], "f").await;
    let g = w.comment(first, Some(f), users[3], "g").await;
    w.comment(first, Some(g), users[0], "h").await;
    w.placeholder(r2).await;
    w.placeholder(g).await;
    w.comment(first, None, users[3], "r3").await;
    // Deleted by the cascade: x and its two replies went, the count dropped by one.
    let x = w.comment(first, None, users[2], "x").await;
    w.comment(first, Some(x), users[0], "x1").await;
    w.comment(first, Some(x), users[1], "x2").await;
    // One transaction, as fast as the chain can be written on either backend.
    let mut chain_parent = w.comment(first, None, users[0], "chain 0").await;
    {
        let mut tx = pool.begin().await.expect("begin");
        for n in 1..=1_100 {
            let depth = w.depth[&chain_parent] + 1;
            chain_parent = sqlx::query_scalar(
                "INSERT INTO comments (article_id, parent_id, user_id, body_markdown, body_html,
                     created_at)
                 VALUES ($1, $2, $3, $4, $4, $5) RETURNING id",
            )
            .bind(first)
            .bind(chain_parent)
            .bind(users[n % 4])
            .bind(format!("chain {n}"))
            .bind(w.clock + n as i64)
            .fetch_one(&mut *tx)
            .await
            .expect("chain");
            w.texts.insert(chain_parent, format!("chain {n}"));
            w.depth.insert(chain_parent, depth);
        }
        tx.commit().await.expect("commit");
        w.clock += 1_100;
    }
    let deep = (chain_parent, w.depth[&chain_parent]);
    // The app counted every comment shown; then the cascade took x's replies unseen.
    let first_shown = w.texts.values().filter(|t| !t.is_empty()).count() as i64;
    set_comment_count(pool, first, first_shown).await;
    sqlx::query("DELETE FROM comments WHERE id = $1")
        .bind(x)
        .execute(pool)
        .await
        .expect("the old cascade");
    set_comment_count(pool, first, first_shown - 1).await;
    w.texts.retain(|_, t| !t.starts_with('x'));

    // From 0004 on, the app wrote depth and reply counts for new discussions.
    w.threads = version >= 4;
    let s1 = w.comment(second, None, users[0], "s1").await;
    let s2 = w.comment(second, Some(s1), users[1], "s2").await;
    let s3 = w.comment(second, Some(s2), users[2], "s3").await;
    w.comment(second, Some(s3), users[3], "s4").await;
    w.comment(second, Some(s1), users[3], "s5").await;
    w.placeholder(s2).await;
    set_comment_count(pool, second, 4).await;

    Seeded {
        articles: [first, second],
        shown: [first_shown - 3, 4],
        texts: w.texts,
        old_parent: r1,
        deep,
    }
}

async fn set_comment_count(pool: &Pool, article: i64, count: i64) {
    sqlx::query("UPDATE articles SET comment_count = $2 WHERE id = $1")
        .bind(article)
        .bind(count)
        .execute(pool)
        .await
        .expect("count");
}

/// Asserts that every counter equals what its rows say, and that no comment was lost.
async fn check_counters(pool: &Pool, seeded: &Seeded) {
    let rows: Vec<(i64, Option<i64>, i64, i64, String)> = sqlx::query_as(
        "SELECT id, parent_id, depth, reply_count, body_markdown FROM comments ORDER BY id",
    )
    .fetch_all(pool)
    .await
    .expect("comments");
    let stored: HashMap<i64, String> = rows.iter().map(|r| (r.0, r.4.clone())).collect();
    assert_eq!(stored, seeded.texts, "every comment kept, text intact");
    let parent: HashMap<i64, Option<i64>> = rows.iter().map(|r| (r.0, r.1)).collect();
    let mut replies: HashMap<i64, i64> = HashMap::new();
    for (_, p, ..) in &rows {
        if let Some(p) = p {
            *replies.entry(*p).or_default() += 1;
        }
    }
    for (id, _, depth, reply_count, _) in &rows {
        let mut walked = 0;
        let mut at = parent[id];
        while let Some(p) = at {
            walked += 1;
            at = parent[&p];
        }
        assert_eq!(*depth, walked, "depth of comment {id}");
        assert_eq!(
            *reply_count,
            replies.get(id).copied().unwrap_or(0),
            "reply_count of comment {id}"
        );
    }
    let deep: i64 = sqlx::query_scalar("SELECT depth FROM comments WHERE id = $1")
        .bind(seeded.deep.0)
        .fetch_one(pool)
        .await
        .expect("deep");
    assert_eq!(deep, seeded.deep.1);

    for (article, shown) in seeded.articles.iter().zip(seeded.shown) {
        let (count, likes, ratings, sum, r1, r2, r3, r4, r5): (
            i64,
            i64,
            i64,
            i64,
            i64,
            i64,
            i64,
            i64,
            i64,
        ) = sqlx::query_as(
            "SELECT comment_count, like_count, rating_count, rating_sum,
                    rating_1, rating_2, rating_3, rating_4, rating_5
             FROM articles WHERE id = $1",
        )
        .bind(article)
        .fetch_one(pool)
        .await
        .expect("article");
        assert_eq!(count, shown, "comment_count of article {article}");
        let rows_shown: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM comments WHERE article_id = $1 AND deleted_at IS NULL",
        )
        .bind(article)
        .fetch_one(pool)
        .await
        .expect("shown");
        assert_eq!(count, rows_shown);
        let like_rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM likes WHERE article_id = $1")
            .bind(article)
            .fetch_one(pool)
            .await
            .expect("likes");
        assert_eq!(likes, like_rows, "like_count of article {article}");
        let stars: Vec<i64> = sqlx::query_scalar("SELECT stars FROM ratings WHERE article_id = $1")
            .bind(article)
            .fetch_all(pool)
            .await
            .expect("ratings");
        let per_star = |s: i64| stars.iter().filter(|r| **r == s).count() as i64;
        assert_eq!(
            (ratings, sum, [r1, r2, r3, r4, r5]),
            (
                stars.len() as i64,
                stars.iter().sum(),
                [
                    per_star(1),
                    per_star(2),
                    per_star(3),
                    per_star(4),
                    per_star(5)
                ]
            ),
            "ratings of article {article}"
        );
    }
    let authors: Vec<(i64, i64, i64)> = sqlx::query_as(
        "SELECT a.id, a.follower_count, (SELECT COUNT(*) FROM follows f WHERE f.author_id = a.id)
         FROM authors a",
    )
    .fetch_all(pool)
    .await
    .expect("authors");
    assert_eq!(authors.len(), 2);
    for (id, count, rows) in authors {
        assert_eq!(count, rows, "follower_count of author {id}");
    }
}

/// After the upgrade the app goes on from the data: a reply to the deep end of the chain is
/// one level deeper, and deleting an old comment with replies keeps it as a placeholder.
async fn app_continues(pool: &Pool, seeded: &Seeded) {
    let user: i64 = sqlx::query_scalar("SELECT MIN(id) FROM users")
        .fetch_one(pool)
        .await
        .expect("user");
    let body = CommentBody::parse("after the upgrade").expect("valid");
    let Inserted::Id(id) = store::insert(
        pool,
        seeded.articles[0],
        Some(seeded.deep.0),
        user,
        &body,
        "<p>after the upgrade</p>",
        T + 10_000_000,
        None,
    )
    .await
    .expect("insert") else {
        panic!("reply refused")
    };
    let record = store::record(pool, id)
        .await
        .expect("record")
        .expect("found");
    assert_eq!(record.depth, seeded.deep.1 + 1);
    let before: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM comments")
        .fetch_one(pool)
        .await
        .expect("rows");
    let deleted = store::delete(pool, seeded.old_parent, T + 20_000_000)
        .await
        .expect("delete")
        .expect("found");
    assert!(
        deleted.placeholder,
        "its replies were counted by the upgrade"
    );
    assert!(deleted.removed.is_empty());
    let after: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM comments")
        .fetch_one(pool)
        .await
        .expect("rows");
    assert_eq!(after, before);
    assert_eq!(
        deleted.total, seeded.shown[0],
        "one reply added, one comment deleted"
    );
}

async fn upgrade_from_every_version(backend: Backend) {
    for version in earlier_versions(backend).await {
        let empty = match backend {
            Backend::Sqlite => common::empty_sqlite(),
            Backend::Postgres => match common::empty_postgres().await {
                Some(db) => db,
                None => {
                    eprintln!("BESTHUB_TEST_PG_URL is not set: PostgreSQL half not run here");
                    return;
                }
            },
        };
        let old = at_version(&empty, backend, version).await;
        let seeded = seed(&old, version).await;
        old.close().await;
        let db = empty.migrate().await;
        check_counters(&db.pool, &seeded).await;
        app_continues(&db.pool, &seeded).await;
        db.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_upgrades_from_every_earlier_version() {
    upgrade_from_every_version(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_upgrades_from_every_earlier_version() {
    upgrade_from_every_version(Backend::Postgres).await;
}

async fn reply(pool: &Pool, article: i64, parent: Option<i64>, user: i64, at: i64) -> i64 {
    let body = CommentBody::parse("words").expect("valid");
    match store::insert(pool, article, parent, user, &body, "<p>words</p>", at, None)
        .await
        .expect("insert")
    {
        Inserted::Id(id) => id,
        other => panic!("not stored: {other:?}"),
    }
}

async fn comment_rows(pool: &Pool) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM comments")
        .fetch_one(pool)
        .await
        .expect("rows")
}

contract_test!(
    deleting_a_comment_never_removes_others,
    |pool: Pool| async move {
        let user = user(&pool, 0).await;
        let author_id = author(&pool, "ada", None, 0).await;
        let article = article(&pool, "a", author_id, 0, &[], 0).await;
        let root = reply(&pool, article, None, user, T).await;
        let child = reply(&pool, article, Some(root), user, T + 1).await;
        reply(&pool, article, Some(child), user, T + 2).await;
        assert_eq!(comment_rows(&pool).await, 3);

        // Straight SQL: refused while replies point at it.
        let refused = sqlx::query("DELETE FROM comments WHERE id = $1")
            .bind(root)
            .execute(&pool)
            .await;
        assert!(refused.is_err(), "deleting a comment with replies");
        assert_eq!(comment_rows(&pool).await, 3);

        // A wrong reply count makes the app try to remove it outright: refused as a whole,
        // nothing removed and nothing counted.
        sqlx::query("UPDATE comments SET reply_count = 0 WHERE id = $1")
            .bind(child)
            .execute(&pool)
            .await
            .expect("damage");
        assert!(store::delete(&pool, child, T + 10).await.is_err());
        assert_eq!(comment_rows(&pool).await, 3);
        assert_eq!(
            store::comment_count(&pool, article).await.expect("count"),
            3
        );
        let kept: Option<i64> = sqlx::query_scalar("SELECT deleted_at FROM comments WHERE id = $1")
            .bind(child)
            .fetch_one(&pool)
            .await
            .expect("row");
        assert_eq!(kept, None, "the failed delete changed nothing");
    }
);
