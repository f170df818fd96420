//! Generates the benchmark database (`make bench`): 1,000 articles, 2,000 readers, likes and
//! ratings spread over the articles, and three discussions: 50 comments, 200 comments (the
//! thread compared with Isso) and 100,000 comments in realistic threads.
//!
//! Everything goes through the app's own storage functions, so counters and thread columns
//! are exactly what the app would have written. Deterministic: the same seed gives the same
//! database. Prints a JSON summary on stdout for the benchmark driver (with every article's slug,
//! for the soak's mixed traffic).
//!
//! Usage: `bench_seed --database-url sqlite://PATH [--comments-50 N] [--comments-100k N]`
//! (the two counts change the sizes of the small and the big discussion).

use besthub::accounts::domain::Password;
use besthub::db::Pool;
use besthub::discussion::store::{self as comments, Inserted};
use besthub::discussion::{body, CommentBody};

/// The password of every generated reader.
const PASSWORD: &str = "bench-password-1234";
const ARTICLES: usize = 1_000;
const READERS: usize = 2_000;
/// Slugs of the three benchmarked discussions.
const SLUG_100K: &str = "bench-discussion-100k";
const SLUG_50: &str = "bench-discussion-50";
const SLUG_200: &str = "bench-discussion-200";

/// A small deterministic generator (SplitMix64): no dependency, same data every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

const WORDS: &[&str] = &[
    "latency",
    "cache",
    "queue",
    "replica",
    "index",
    "schema",
    "deploy",
    "rollback",
    "budget",
    "p99",
    "throughput",
    "lock",
    "shard",
    "backpressure",
    "retry",
    "timeout",
    "idempotent",
    "migration",
    "vacuum",
    "checkpoint",
    "WAL",
    "trace",
    "span",
    "metric",
    "alert",
    "runbook",
];

/// A sentence of `min` to `min + spread - 1` words.
fn sentence(rng: &mut Rng, min: usize, spread: usize) -> String {
    let words = min + rng.below(spread.max(1));
    let mut out = String::new();
    for i in 0..words {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(WORDS[rng.below(WORDS.len())]);
    }
    out.push('.');
    out
}

/// A comment of one to three short paragraphs, sometimes with code or a quote.
fn comment_text(rng: &mut Rng) -> String {
    let mut text = format!("We saw the same thing: {}", sentence(rng, 8, 20));
    if rng.chance(30) {
        text.push_str(&format!("\n\n{}", sentence(rng, 10, 25)));
    }
    if rng.chance(10) {
        text.push_str("\n\n```sql\nPRAGMA wal_checkpoint(TRUNCATE);\n```");
    }
    if rng.chance(10) {
        text.push_str(&format!("\n\n> {}", sentence(rng, 6, 1)));
    }
    text
}

fn article_markdown(i: usize, slug: &str, rng: &mut Rng) -> String {
    let author = i % 40;
    let day = 1 + i % 28;
    let month = 1 + (i / 28) % 12;
    let tags = [
        "rust",
        "databases",
        "operations",
        "web",
        "performance",
        "testing",
    ];
    let (t1, t2) = (tags[i % tags.len()], tags[(i / 7) % tags.len()]);
    let mut body = String::new();
    for section in 0..4 {
        body.push_str(&format!("## Part {}\n\n", section + 1));
        for _ in 0..3 {
            body.push_str(&sentence(rng, 40, 40));
            body.push_str("\n\n");
        }
    }
    body.push_str("```rust\nfn main() {\n    println!(\"benchmark\");\n}\n```\n");
    format!(
        "---\ntitle: Benchmark article {i}\nsummary: Generated article {i} for load tests.\nauthor: Bench Author {author}\nauthor_bio: Writes generated articles.\ntags: [{t1}, {t2}]\nsource_url: https://example.com/bench/{i}\npublished: 2025-{month:02}-{day:02}\nslug: {slug}\n---\n{body}"
    )
}

struct Args {
    database_url: String,
    comments_50: usize,
    comments_100k: usize,
}

fn args() -> Result<Args, String> {
    let mut database_url = None;
    let mut comments_50 = 50;
    let mut comments_100k = 100_000;
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--database-url" => database_url = it.next(),
            "--comments-50" => {
                comments_50 = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .ok_or("--comments-50 needs a number")?;
            }
            "--comments-100k" => {
                comments_100k = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .ok_or("--comments-100k needs a number")?;
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(Args {
        database_url: database_url.ok_or("--database-url is required")?,
        comments_50,
        comments_100k,
    })
}

async fn article_id(pool: &Pool, slug: &str) -> Result<i64, Box<dyn std::error::Error>> {
    Ok(
        sqlx::query_scalar("SELECT id FROM articles WHERE slug = $1")
            .bind(slug)
            .fetch_one(pool)
            .await?,
    )
}

/// Posts a comment through the app's storage; returns its id.
async fn post(
    pool: &Pool,
    article: i64,
    parent: Option<i64>,
    user: i64,
    text: &str,
    at: i64,
) -> Result<i64, Box<dyn std::error::Error>> {
    let text = CommentBody::parse(text)?;
    let html = body::render(&text);
    // Generated history: nobody is notified of it (a real post would fan out to followers).
    match comments::insert_history(pool, article, parent, user, &text, &html, at).await? {
        Inserted::Id(id) => Ok(id),
        other => Err(format!("not stored: {other:?}").into()),
    }
}

/// A discussion of `total` comments shaped like real ones: some top-level comments, most
/// replies going to recent and already busy threads, depth thinning out as it grows.
async fn discussion(
    pool: &Pool,
    rng: &mut Rng,
    article: i64,
    readers: &[i64],
    total: usize,
    start: i64,
) -> Result<(), Box<dyn std::error::Error>> {
    // (id, depth) of comments posted so far.
    let mut posted: Vec<(i64, i64)> = Vec::with_capacity(total);
    for n in 0..total {
        let at = start + n as i64 * 1_000;
        let user = readers[rng.below(readers.len())];
        let parent = if posted.is_empty() || rng.chance(20) {
            None
        } else {
            // Mostly answer something recent; deep chains get rarer.
            let window = posted.len().min(200);
            let (id, depth) = posted[posted.len() - 1 - rng.below(window)];
            (depth < 8 || rng.chance(20)).then_some(id)
        };
        let depth = match parent {
            Some(p) => posted
                .iter()
                .rev()
                .find(|(id, _)| *id == p)
                .map_or(0, |(_, d)| d + 1),
            None => 0,
        };
        let id = post(pool, article, parent, user, &comment_text(rng), at).await?;
        posted.push((id, depth));
        if n > 0 && n % 20_000 == 0 {
            eprintln!("  {n} of {total} comments");
        }
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = args().map_err(|e| {
        format!("{e}\nusage: bench_seed --database-url URL [--comments-50 N] [--comments-100k N]")
    })?;
    let pool = besthub::db::connect(&args.database_url, 4).await?;
    let mut rng = Rng(0x5EED);
    let started = std::time::Instant::now();

    eprintln!("articles…");
    let mut slugs = Vec::with_capacity(ARTICLES);
    for i in 0..ARTICLES {
        let slug = match i {
            0 => SLUG_100K.to_owned(),
            1 => SLUG_50.to_owned(),
            2 => SLUG_200.to_owned(),
            _ => format!("bench-article-{i}"),
        };
        let text = article_markdown(ARTICLES - i, &slug, &mut rng);
        if let besthub::import::FileOutcome::Failed(why) =
            besthub::import::import_text(&pool, &slug, &text).await
        {
            return Err(why.into());
        }
        slugs.push(slug);
    }

    eprintln!("readers…");
    let hashing = besthub::accounts::password::HashingGate::new(1, 0);
    let hash = hashing
        .admit()
        .ok_or("the hashing gate has no place")?
        .hash_password(Password::parse(PASSWORD)?)
        .await?;
    let mut readers = Vec::with_capacity(READERS);
    for i in 0..READERS {
        let id = besthub::accounts::store::create_user(
            &pool,
            &format!("reader{i}@bench.example"),
            &format!("Reader {i}"),
            &hash,
            1,
        )
        .await
        .map_err(|e| format!("reader {i}: {e:?}"))?;
        readers.push(id);
    }

    eprintln!("likes and ratings…");
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM articles ORDER BY id")
        .fetch_all(&pool)
        .await?;
    let now = besthub::db::now_ms();
    for (n, article) in ids.iter().enumerate() {
        // A long tail: most articles get a few reactions, a few get many.
        let reactions = if n % 50 == 0 { 60 } else { rng.below(12) };
        for _ in 0..reactions {
            let reader = readers[rng.below(readers.len())];
            besthub::feedback::store::set_like(&pool, reader, *article, rng.chance(70), now)
                .await?;
            if rng.chance(50) {
                let stars = 1 + rng.below(5) as i64;
                besthub::feedback::store::set_rating(&pool, reader, *article, Some(stars), now)
                    .await?;
            }
        }
    }

    let start = now - 400 * 86_400_000;
    eprintln!("discussion of {}…", args.comments_50);
    discussion(
        &pool,
        &mut rng,
        article_id(&pool, SLUG_50).await?,
        &readers,
        args.comments_50,
        start,
    )
    .await?;

    // The Isso comparison thread: 40 comments with 4 replies each (Isso nests one level), so
    // both systems list all 200 in one request.
    eprintln!("discussion of 200…");
    let article_200 = article_id(&pool, SLUG_200).await?;
    let mut thread_200 = Vec::new();
    for root in 0..40usize {
        let text = comment_text(&mut rng);
        let at = start + root as i64 * 10_000;
        let author = readers[rng.below(readers.len())];
        let id = post(&pool, article_200, None, author, &text, at).await?;
        thread_200.push(serde_json::json!({"author": format!("Reader {author}"), "text": text, "created_at": at, "parent": null}));
        let root_index = thread_200.len() - 1;
        for r in 0..4 {
            let text = comment_text(&mut rng);
            let at = at + 1_000 * (r + 1);
            let author = readers[rng.below(readers.len())];
            post(&pool, article_200, Some(id), author, &text, at).await?;
            thread_200.push(serde_json::json!({"author": format!("Reader {author}"), "text": text, "created_at": at, "parent": root_index}));
        }
    }

    eprintln!("discussion of {}…", args.comments_100k);
    discussion(
        &pool,
        &mut rng,
        article_id(&pool, SLUG_100K).await?,
        &readers,
        args.comments_100k,
        start,
    )
    .await?;

    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&pool)
        .await
        .ok();
    pool.close().await;
    eprintln!("seeded in {:.1} s", started.elapsed().as_secs_f64());
    println!(
        "{}",
        serde_json::json!({
            "article_50": SLUG_50,
            "article_100k": SLUG_100K,
            "article_200": SLUG_200,
            "reader_email": "reader0@bench.example",
            // Every reader's address: {i} from 0 to readers - 1 (same password).
            "reader_email_pattern": "reader{i}@bench.example",
            "reader_password": PASSWORD,
            "readers": READERS,
            "articles": ARTICLES,
            "slugs": slugs,
            "comments_200": thread_200,
        })
    );
    Ok(())
}
