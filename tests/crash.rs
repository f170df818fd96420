//! Crash safety: the server is killed with SIGKILL while readers post comments, replies,
//! likes, ratings and follows as fast as it answers, then started again on the same
//! database. Every write it acknowledged (answered 2xx) must be there, and every counter must
//! equal the rows it counts.
//!
//! `BESTHUB_CRASH_ROUNDS` kills per backend (default 3; `make soak` runs 20). PostgreSQL runs
//! when `BESTHUB_TEST_PG_URL` is set. Each round prints its figures (see them with
//! `cargo test --features ssr --test crash -- --nocapture`).
//!
//! What can be checked exactly: each reader sends one request at a time, so the requests on
//! one (reader, article) or (reader, author) are ordered. The state there must be the value of
//! the last acknowledged request, or of a request sent after it whose answer never came (in
//! flight at the kill, or answered with an error): such a request may or may not have
//! committed, and nothing else may have. A comment acknowledged with an id must be stored
//! under that id with its article, author, parent and text.
#![cfg(feature = "ssr")]

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use besthub::discussion::{PostComment, Posted};
use besthub::feedback::{
    FollowState, LikeState, RateArticle, RatingSummary, RemoveRating, SetFollow, SetLike,
};
use common::server::{HttpClient, HttpReply, ServerProcess};
use leptos::server_fn::ServerFn;

/// Readers writing at once, each on its own connection.
const READERS: usize = 24;
/// The load runs for a random time in this range (ms) before the kill.
const LOAD_MS: (u64, u64) = (300, 1500);

fn rounds() -> u32 {
    std::env::var("BESTHUB_CRASH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_keeps_every_acknowledged_write_through_sigkill() {
    let db = common::sqlite().await;
    crash_rounds("SQLite", db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_keeps_every_acknowledged_write_through_sigkill() {
    let Some(db) = common::postgres().await else {
        eprintln!("BESTHUB_TEST_PG_URL is not set: PostgreSQL half not run here");
        return;
    };
    crash_rounds("PostgreSQL", db).await;
}

/// A random number below `n` (the kill's timing is not reproducible, so neither need the
/// requests be).
fn below(n: u64) -> u64 {
    use rand_core::RngCore;
    rand_core::OsRng.next_u64() % n
}

/// A random index into a list of `len` items.
fn pick(len: usize) -> usize {
    below(len as u64) as usize
}

/// One piece of state a reader sets: which of their relations, and with what.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Key {
    /// (user, article): 1 liked, 0 not.
    Like(i64, i64),
    /// (user, article): the stars, 0 for no rating.
    Rating(i64, i64),
    /// (user, author): 1 following, 0 not.
    Follow(i64, i64),
}

/// A comment the server acknowledged.
#[derive(Debug, Clone, PartialEq, Eq)]
struct AckedComment {
    id: i64,
    article_id: i64,
    user_id: i64,
    parent: Option<i64>,
    body: String,
}

/// What may be stored for each key: the last acknowledged value, then the value of every
/// request sent after it whose answer did not come. New readers start with nothing (0).
#[derive(Default)]
struct Model {
    allowed: HashMap<Key, Vec<i64>>,
    comments: Vec<AckedComment>,
}

impl Model {
    fn acked(&mut self, key: Key, value: i64) {
        self.allowed.insert(key, vec![value]);
    }

    fn unknown(&mut self, key: Key, value: i64) {
        let values = self.allowed.entry(key).or_insert_with(|| vec![0]);
        if !values.contains(&value) {
            values.push(value);
        }
    }
}

#[derive(Clone)]
struct Article {
    id: i64,
    slug: String,
}

#[derive(Clone)]
struct Author {
    id: i64,
    handle: String,
}

/// What one reader did in one round.
#[derive(Default)]
struct Tally {
    acked: u64,
    comments: u64,
    likes: u64,
    ratings: u64,
    follows: u64,
    /// Requests whose answer never came because the server died.
    in_flight: u64,
    /// Non-2xx answers and connection failures before the kill.
    errors: Vec<String>,
}

impl Tally {
    fn add(&mut self, other: Tally) {
        self.acked += other.acked;
        self.comments += other.comments;
        self.likes += other.likes;
        self.ratings += other.ratings;
        self.follows += other.follows;
        self.in_flight += other.in_flight;
        self.errors.extend(other.errors);
    }
}

/// The request a reader sends next.
enum Op {
    Comment {
        article: Article,
        parent: Option<i64>,
        body: String,
    },
    Like(Article, bool),
    Rate(Article, Option<i64>),
    Follow(Author, bool),
}

struct World {
    articles: Vec<Article>,
    authors: Vec<Author>,
    /// Acknowledged comments to reply to: (id, article).
    parents: Mutex<Vec<(i64, i64)>>,
    killed: AtomicBool,
    /// Writes acknowledged this round, so the kill waits for the load to be under way.
    acked: AtomicU64,
}

fn pick_op(world: &World, round: u32, reader: usize, n: u64) -> Op {
    let article = world.articles[pick(world.articles.len())].clone();
    match below(100) {
        0..=34 => {
            let parent = if below(2) == 0 {
                let parents = world.parents.lock().expect("parents");
                parents
                    .iter()
                    .rev()
                    .take(200)
                    .filter(|(_, a)| *a == article.id)
                    .nth(pick(8))
                    .map(|(id, _)| *id)
            } else {
                None
            };
            Op::Comment {
                article,
                parent,
                body: format!(
                    "Crash round {round}, reader {reader}, comment {n}: *kept* after a kill."
                ),
            }
        }
        35..=59 => Op::Like(article, below(2) == 0),
        60..=84 => {
            let stars = below(6) as i64;
            Op::Rate(article, (stars > 0).then_some(stars))
        }
        _ => {
            let author = world.authors[pick(world.authors.len())].clone();
            Op::Follow(author, below(2) == 0)
        }
    }
}

/// Reads the answer as `T` and checks that it reports the state asked for; counts it if so.
fn confirm<T: serde::de::DeserializeOwned + std::fmt::Debug>(
    reply: &HttpReply,
    count: &mut u64,
    agrees: impl FnOnce(&T) -> bool,
) -> Result<(), String> {
    let state: T = reply.json().map_err(|e| e.to_string())?;
    if !agrees(&state) {
        return Err(format!("{state:?}"));
    }
    *count += 1;
    Ok(())
}

/// One reader writing as fast as the server answers until the server dies.
async fn reader_loop(
    world: Arc<World>,
    model: Arc<Mutex<Model>>,
    mut client: HttpClient,
    user_id: i64,
    reader: usize,
    round: u32,
) -> Tally {
    let mut tally = Tally::default();
    for n in 0.. {
        let op = pick_op(&world, round, reader, n);
        let (key, value, reply) = match &op {
            Op::Comment {
                article,
                parent,
                body,
            } => {
                let parent_text = parent.map(|p| p.to_string());
                let mut form = vec![("slug", article.slug.as_str()), ("body", body.as_str())];
                if let Some(p) = &parent_text {
                    form.push(("parent", p.as_str()));
                }
                (None, 0, client.call(PostComment::PATH, &form).await)
            }
            Op::Like(article, liked) => (
                Some(Key::Like(user_id, article.id)),
                i64::from(*liked),
                client
                    .call(
                        SetLike::PATH,
                        &[
                            ("slug", article.slug.as_str()),
                            ("liked", &liked.to_string()),
                        ],
                    )
                    .await,
            ),
            Op::Rate(article, stars) => {
                let key = Some(Key::Rating(user_id, article.id));
                let reply = match stars {
                    Some(stars) => {
                        client
                            .call(
                                RateArticle::PATH,
                                &[
                                    ("slug", article.slug.as_str()),
                                    ("stars", &stars.to_string()),
                                ],
                            )
                            .await
                    }
                    None => {
                        client
                            .call(RemoveRating::PATH, &[("slug", article.slug.as_str())])
                            .await
                    }
                };
                (key, stars.unwrap_or(0), reply)
            }
            Op::Follow(author, following) => (
                Some(Key::Follow(user_id, author.id)),
                i64::from(*following),
                client
                    .call(
                        SetFollow::PATH,
                        &[
                            ("handle", author.handle.as_str()),
                            ("following", &following.to_string()),
                        ],
                    )
                    .await,
            ),
        };
        let reply = match reply {
            Ok(reply) => reply,
            Err(err) => {
                // No answer: it may or may not have committed.
                if let Some(key) = key {
                    model.lock().expect("model").unknown(key, value);
                }
                if world.killed.load(Ordering::SeqCst) {
                    tally.in_flight += 1;
                } else {
                    tally
                        .errors
                        .push(format!("reader {reader}: no answer before the kill: {err}"));
                }
                return tally;
            }
        };
        if !reply.is_success() {
            if let Some(key) = key {
                model.lock().expect("model").unknown(key, value);
            }
            tally.errors.push(format!(
                "reader {reader}: status {}: {}",
                reply.status,
                reply.text().chars().take(200).collect::<String>()
            ));
            continue;
        }
        let confirmed = match &op {
            Op::Comment {
                article,
                parent,
                body,
            } => match reply.json::<Posted>() {
                Ok(posted) => {
                    world
                        .parents
                        .lock()
                        .expect("parents")
                        .push((posted.comment.id, article.id));
                    model.lock().expect("model").comments.push(AckedComment {
                        id: posted.comment.id,
                        article_id: article.id,
                        user_id,
                        parent: *parent,
                        body: body.clone(),
                    });
                    tally.comments += 1;
                    Ok(())
                }
                Err(err) => Err(err.to_string()),
            },
            Op::Like(_, liked) => {
                confirm(&reply, &mut tally.likes, |s: &LikeState| s.liked == *liked)
            }
            Op::Rate(_, stars) => confirm(&reply, &mut tally.ratings, |s: &RatingSummary| {
                s.mine == *stars
            }),
            Op::Follow(_, following) => confirm(&reply, &mut tally.follows, |s: &FollowState| {
                s.following == *following
            }),
        };
        match confirmed {
            Ok(()) => {
                tally.acked += 1;
                world.acked.fetch_add(1, Ordering::SeqCst);
                if let Some(key) = key {
                    model.lock().expect("model").acked(key, value);
                }
            }
            Err(why) => {
                if let Some(key) = key {
                    model.lock().expect("model").unknown(key, value);
                }
                tally
                    .errors
                    .push(format!("reader {reader}: unexpected answer {why}"));
            }
        }
    }
    tally
}

/// What the check after a restart found.
#[derive(Default)]
struct Findings {
    /// Acknowledged writes not (or not so) in the database.
    lost: Vec<String>,
    /// Counters that differ from the rows they count.
    counters: Vec<String>,
    /// Rows whose counters were compared.
    counted_rows: usize,
}

type Triple = (i64, i64, i64);

/// Queries giving, for every counted row, (id, stored counter, count of the rows it counts),
/// each named by its counter.
fn counter_checks() -> Vec<(String, String)> {
    let mut checks = vec![
        (
            "articles.comment_count",
            "SELECT a.id, a.comment_count, (SELECT COUNT(*) FROM comments c
                WHERE c.article_id = a.id AND c.deleted_at IS NULL) FROM articles a",
        ),
        (
            "articles.like_count",
            "SELECT a.id, a.like_count, (SELECT COUNT(*) FROM likes l WHERE l.article_id = a.id)
             FROM articles a",
        ),
        (
            "articles.rating_count",
            "SELECT a.id, a.rating_count, (SELECT COUNT(*) FROM ratings r
                WHERE r.article_id = a.id) FROM articles a",
        ),
        (
            "articles.rating_sum",
            "SELECT a.id, a.rating_sum, (SELECT CAST(COALESCE(SUM(r.stars), 0) AS BIGINT)
                FROM ratings r WHERE r.article_id = a.id) FROM articles a",
        ),
        (
            "comments.reply_count",
            "SELECT c.id, c.reply_count, (SELECT COUNT(*) FROM comments r
                WHERE r.parent_id = c.id) FROM comments c",
        ),
        (
            "authors.follower_count",
            "SELECT a.id, a.follower_count, (SELECT COUNT(*) FROM follows f
                WHERE f.author_id = a.id) FROM authors a",
        ),
    ]
    .into_iter()
    .map(|(name, sql)| (name.to_owned(), sql.to_owned()))
    .collect::<Vec<_>>();
    for stars in 1..=5 {
        checks.push((
            format!("articles.rating_{stars}"),
            format!(
                "SELECT a.id, a.rating_{stars}, (SELECT COUNT(*) FROM ratings r
                    WHERE r.article_id = a.id AND r.stars = {stars}) FROM articles a"
            ),
        ));
    }
    checks
}

/// The likes, ratings and follows stored, by key (absent means 0).
async fn stored_state(pool: &besthub::db::Pool) -> HashMap<Key, i64> {
    let mut stored: HashMap<Key, i64> = HashMap::new();
    let likes: Vec<(i64, i64)> = sqlx::query_as("SELECT user_id, article_id FROM likes")
        .fetch_all(pool)
        .await
        .expect("likes");
    stored.extend(likes.into_iter().map(|(u, a)| (Key::Like(u, a), 1)));
    let ratings: Vec<Triple> = sqlx::query_as("SELECT user_id, article_id, stars FROM ratings")
        .fetch_all(pool)
        .await
        .expect("ratings");
    stored.extend(ratings.into_iter().map(|(u, a, s)| (Key::Rating(u, a), s)));
    let follows: Vec<(i64, i64)> = sqlx::query_as("SELECT user_id, author_id FROM follows")
        .fetch_all(pool)
        .await
        .expect("follows");
    stored.extend(follows.into_iter().map(|(u, a)| (Key::Follow(u, a), 1)));
    stored
}

/// Compares the database with the model, then makes the model the database's state (nothing
/// is in flight any more, so the next round starts from what is known).
async fn check(pool: &besthub::db::Pool, model: &mut Model) -> Findings {
    let mut findings = Findings::default();
    let stored = stored_state(pool).await;
    for (key, allowed) in &mut model.allowed {
        let value = stored.get(key).copied().unwrap_or(0);
        if !allowed.contains(&value) {
            findings.lost.push(format!(
                "{key:?} is {value}; acknowledged state and requests in flight allow {allowed:?}"
            ));
        }
        *allowed = vec![value];
    }
    type CommentRow = (i64, i64, i64, Option<i64>, String, Option<i64>);
    let rows: Vec<CommentRow> = sqlx::query_as(
        "SELECT id, article_id, user_id, parent_id, body_markdown, deleted_at FROM comments",
    )
    .fetch_all(pool)
    .await
    .expect("comments");
    let rows: HashMap<i64, CommentRow> = rows.into_iter().map(|r| (r.0, r)).collect();
    for acked in &model.comments {
        let found = rows.get(&acked.id).map(|r| AckedComment {
            id: r.0,
            article_id: r.1,
            user_id: r.2,
            parent: r.3,
            body: r.4.clone(),
        });
        if found.as_ref() != Some(acked) {
            findings.lost.push(format!(
                "acknowledged comment {acked:?} is stored as {found:?}"
            ));
        }
    }
    for (name, sql) in counter_checks() {
        let rows: Vec<Triple> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .fetch_all(pool)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        findings.counted_rows += rows.len();
        for (id, kept, counted) in rows {
            if kept != counted {
                findings.counters.push(format!(
                    "{name} of row {id} is {kept}, its rows count {counted}"
                ));
            }
        }
    }
    findings
}

/// How the killed server's PostgreSQL sessions went.
#[derive(Default)]
struct Settled {
    /// Sessions still there once the readers had their answers (or errors).
    sessions: i64,
    /// How long they took to go.
    took: Duration,
    /// Likes, ratings, follows and comments that changed meanwhile: writes in flight at the
    /// kill that committed after it.
    landed: usize,
}

/// Waits until no PostgreSQL session named `name` is left.
async fn backends_gone(url: &str, name: &str) -> Settled {
    let pool = besthub::db::connect(url, 1).await.expect("open to watch");
    let started = Instant::now();
    let count = || async {
        let (n,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = $1")
                .bind(name)
                .fetch_one(&pool)
                .await
                .expect("pg_stat_activity");
        n
    };
    let comments = || async {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM comments")
            .fetch_one(&pool)
            .await
            .expect("comments");
        n
    };
    let (before, comments_before) = (stored_state(&pool).await, comments().await);
    let sessions = count().await;
    while count().await > 0 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the killed server's database sessions are still there after 60 s"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let took = started.elapsed();
    let after = stored_state(&pool).await;
    let changed = before
        .keys()
        .chain(after.keys())
        .collect::<std::collections::HashSet<_>>()
        .into_iter()
        .filter(|key| before.get(key) != after.get(key))
        .count();
    let new_comments = usize::try_from(comments().await - comments_before).unwrap_or(0);
    pool.close().await;
    Settled {
        sessions,
        took,
        landed: changed + new_comments,
    }
}

async fn crash_rounds(backend: &str, db: common::TestDb) {
    besthub::import::seed_demo_if_empty(&db.pool)
        .await
        .expect("demo content");
    let mut users = Vec::new();
    for i in 0..READERS {
        users.push(common::signed_in_reader(&db, &format!("crash{i}@example.com")).await);
    }
    let articles: Vec<(i64, String)> = sqlx::query_as("SELECT id, slug FROM articles ORDER BY id")
        .fetch_all(&db.pool)
        .await
        .expect("articles");
    let authors: Vec<(i64, String)> = sqlx::query_as("SELECT id, handle FROM authors ORDER BY id")
        .fetch_all(&db.pool)
        .await
        .expect("authors");
    // Only the server touches the database while it runs; the checks open their own pool.
    db.pool.close().await;
    let world = Arc::new(World {
        articles: articles
            .into_iter()
            .map(|(id, slug)| Article { id, slug })
            .collect(),
        authors: authors
            .into_iter()
            .map(|(id, handle)| Author { id, handle })
            .collect(),
        parents: Mutex::new(Vec::new()),
        killed: AtomicBool::new(false),
        acked: AtomicU64::new(0),
    });
    let model = Arc::new(Mutex::new(Model::default()));
    let rounds = rounds();
    println!("{backend}: {rounds} rounds, {READERS} readers");
    // A PostgreSQL backend outlives the server that was killed until it notices its client is
    // gone, and a COMMIT sent just before the kill still lands meanwhile. So the server's
    // connections carry a name, and each check waits until none of them is left: only then is
    // every write that was in flight settled one way or the other.
    let (server_url, backend_name) = if db.url.starts_with("postgres") {
        let name = format!("besthub_crash_{}_{}", std::process::id(), below(1 << 32));
        let separator = if db.url.contains('?') { '&' } else { '?' };
        (
            format!("{}{separator}application_name={name}", db.url),
            Some(name),
        )
    } else {
        (db.url.clone(), None)
    };
    let mut server = ServerProcess::start(&server_url, &[]).await;
    let (mut total_acked, mut total_lost, mut total_errors) = (0, 0, 0);
    for round in 1..=rounds {
        world.killed.store(false, Ordering::SeqCst);
        world.acked.store(0, Ordering::SeqCst);
        let mut readers = Vec::new();
        for (i, (user_id, token)) in users.iter().enumerate() {
            readers.push(tokio::spawn(reader_loop(
                world.clone(),
                model.clone(),
                server.client().with_session(token),
                *user_id,
                i,
                round,
            )));
        }
        // The load counts from the first acknowledged write (a busy machine may take a while
        // to get there), so every round kills the server in full flow.
        let deadline = Instant::now() + Duration::from_secs(60);
        while world.acked.load(Ordering::SeqCst) == 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let load = Duration::from_millis(LOAD_MS.0 + below(LOAD_MS.1 - LOAD_MS.0));
        tokio::time::sleep(load).await;
        let rss = server.rss_kib().unwrap_or(0);
        world.killed.store(true, Ordering::SeqCst);
        server.kill();
        let mut tally = Tally::default();
        for reader in readers {
            tally.add(reader.await.expect("reader task"));
        }
        let settled = match &backend_name {
            Some(name) => backends_gone(&db.url, name).await,
            None => Settled::default(),
        };
        let restarted = Instant::now();
        server.restart().await;
        let ready = restarted.elapsed();
        let pool = besthub::db::connect(&db.url, 2)
            .await
            .expect("open for check");
        // The readers are done: the model is this task's alone until the next round.
        let mut known = std::mem::take(&mut *model.lock().expect("model"));
        let findings = check(&pool, &mut known).await;
        *model.lock().expect("model") = known;
        pool.close().await;
        println!(
            "{backend} round {round}/{rounds}: {} writes acknowledged, killed {} ms after the first ({} comments, {} likes, \
             {} ratings, {} follows), {} in flight at the kill, {} database sessions outlived it \
             (gone after {} ms, {} writes landed meanwhile), {} lost, {} counters wrong of {} checked, {} errors; RSS {} MiB \
             at the kill, ready again in {} ms",
            tally.acked,
            load.as_millis(),
            tally.comments,
            tally.likes,
            tally.ratings,
            tally.follows,
            tally.in_flight,
            settled.sessions,
            settled.took.as_millis(),
            settled.landed,
            findings.lost.len(),
            findings.counters.len(),
            findings.counted_rows,
            tally.errors.len(),
            rss / 1024,
            ready.as_millis(),
        );
        for line in findings
            .lost
            .iter()
            .chain(&findings.counters)
            .chain(&tally.errors)
            .take(20)
        {
            println!("  {line}");
        }
        assert!(
            tally.acked > 0,
            "{backend} round {round}: no write was acknowledged:\n{}",
            server.log_tail(20)
        );
        assert!(
            findings.counters.is_empty(),
            "{backend} round {round}: counters differ from their rows: {:?}",
            findings.counters
        );
        total_acked += tally.acked;
        total_lost += findings.lost.len();
        total_errors += tally.errors.len();
    }
    println!(
        "{backend}: {rounds} kills, {total_acked} writes acknowledged, {total_lost} lost, \
         {total_errors} errors"
    );
    assert_eq!(total_lost, 0, "{backend}: acknowledged writes were lost");
    assert_eq!(
        total_errors, 0,
        "{backend}: requests failed before the kill"
    );

    // The check itself must notice a lost write: take one acknowledged comment away.
    server.kill();
    let pool = besthub::db::connect(&db.url, 2).await.expect("open");
    let mut known = std::mem::take(&mut *model.lock().expect("model"));
    let victim = known.comments.last().expect("a comment").id;
    sqlx::query("UPDATE comments SET body_markdown = 'changed' WHERE id = $1")
        .bind(victim)
        .execute(&pool)
        .await
        .expect("tamper");
    let findings = check(&pool, &mut known).await;
    assert_eq!(findings.lost.len(), 1, "{:?}", findings.lost);
    pool.close().await;
    db.close().await;
}
