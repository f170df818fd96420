//! Search: the storage contract (the same answers from SQLite's FTS5 trigram index and
//! PostgreSQL's pg_trgm index) and the page and server functions over HTTP. The HTTP half runs
//! on SQLite, and on PostgreSQL when `BESTHUB_TEST_APP_DB=postgres` (`make unit` runs both).
#![cfg(feature = "ssr")]

mod common;

use axum::http::StatusCode;
use besthub::articles::store::{self as articles, NewArticle, NewAuthor};
use besthub::db::Pool;
use besthub::search::store as search;
use besthub::search::SearchQuery;

/// Stores an article by `author` (handle and name) and returns its id.
#[expect(
    clippy::too_many_arguments,
    reason = "each is one field of the article"
)]
async fn article(
    pool: &Pool,
    (handle, name): (&str, &str),
    slug: &str,
    title: &str,
    summary: &str,
    body: &str,
    tags: &[&str],
    published_at: i64,
) -> i64 {
    let mut tx = pool.begin().await.expect("begin");
    let author = articles::upsert_author(
        &mut tx,
        &NewAuthor {
            handle: handle.into(),
            name: name.into(),
            bio: String::new(),
        },
    )
    .await
    .expect("author");
    let (id, _) = articles::upsert_article(
        &mut tx,
        author,
        &NewArticle {
            slug: slug.into(),
            title: title.into(),
            summary: summary.into(),
            body_markdown: body.into(),
            body_html: String::new(),
            lang: "en".into(),
            source_url: "https://example.com/x".into(),
            reading_minutes: 1,
            published_at,
            tags: tags.iter().map(|t| (*t).to_owned()).collect(),
        },
    )
    .await
    .expect("article");
    tx.commit().await.expect("commit");
    id
}

/// Slugs found for `query`, best first.
async fn find(pool: &Pool, query: &str) -> Vec<String> {
    let query = SearchQuery::parse(query).expect("query runs");
    search::search(pool, query.terms(), 50, 0)
        .await
        .expect("search")
        .into_iter()
        .map(|hit| hit.slug)
        .collect()
}

async fn seeded(pool: &Pool) {
    besthub::import::seed_demo_if_empty(pool)
        .await
        .expect("seed");
}

contract_test!(
    chinese_words_are_found_without_spaces,
    |pool: Pool| async move {
        seeded(&pool).await;
        // Two characters (shorter than a trigram) and four characters, inside sentences.
        for query in ["大厂", "人才流失", "排版", "中文排版", "大厂 人才流失"] {
            assert_eq!(
                find(&pool, query).await,
                ["cjk-typography-on-the-web"],
                "{query}"
            );
        }
        assert!(find(&pool, "人才流动").await.is_empty());
    }
);

contract_test!(
    english_finds_words_by_their_beginning,
    |pool: Pool| async move {
        seeded(&pool).await;
        let stampede = find(&pool, "stampe").await;
        assert_eq!(
            stampede.first().map(String::as_str),
            Some("taming-cache-stampedes")
        );
        // Case does not matter; every term must be found.
        assert_eq!(
            find(&pool, "WAL CHECKPOINT").await,
            find(&pool, "wal checkpoint").await
        );
        assert!(find(&pool, "wal checkpoint")
            .await
            .contains(&"sqlite-wal-in-production".to_owned()));
        assert!(find(&pool, "checkpoint zzzqqq").await.is_empty());
    }
);

contract_test!(mixed_chinese_and_english, |pool: Pool| async move {
    seeded(&pool).await;
    // The Chinese article has CSS property names in its text.
    assert_eq!(
        find(&pool, "断行 overflow-wrap").await,
        ["cjk-typography-on-the-web"]
    );
    // Author names and tags are searched too (she wrote two of the demo articles).
    let mut by_author = find(&pool, "Liang Shuwen").await;
    by_author.sort();
    assert_eq!(
        by_author,
        ["cjk-typography-on-the-web", "web-font-loading-costs"]
    );
    assert!(find(&pool, "typography")
        .await
        .contains(&"cjk-typography-on-the-web".to_owned()));
});

contract_test!(
    titles_outrank_bodies_and_ties_go_to_the_newer,
    |pool: Pool| async move {
        let ada = ("ada", "Ada Lovelace");
        article(
            &pool,
            ada,
            "in-body",
            "Notes",
            "Notes.",
            "A word on zebras here.",
            &[],
            3_000,
        )
        .await;
        article(
            &pool,
            ada,
            "in-title",
            "Zebras at work",
            "Stripes.",
            "Nothing else.",
            &[],
            1_000,
        )
        .await;
        article(
            &pool,
            ada,
            "in-tags",
            "Animals",
            "Stripes.",
            "Nothing.",
            &["zebras"],
            2_000,
        )
        .await;
        article(
            &pool,
            ada,
            "body-again",
            "More",
            "More.",
            "Zebras, zebras, zebras.",
            &[],
            500,
        )
        .await;
        article(
            &pool,
            ada,
            "unrelated",
            "Horses",
            "Hooves.",
            "Nothing.",
            &[],
            4_000,
        )
        .await;
        assert_eq!(
            find(&pool, "zebra").await,
            ["in-title", "in-tags", "in-body", "body-again"]
        );
        // Equal scores: newest first.
        article(&pool, ada, "twin-old", "Quokka", "A.", "B.", &[], 10).await;
        article(&pool, ada, "twin-new", "Quokka", "A.", "B.", &[], 20).await;
        assert_eq!(find(&pool, "quokka").await, ["twin-new", "twin-old"]);
    }
);

contract_test!(hostile_queries_are_only_text, |pool: Pool| async move {
    seeded(&pool).await;
    let ada = ("ada", "Ada");
    article(
        &pool,
        ada,
        "percent",
        "A 100% guide",
        "x",
        "Half_done and 100% sure.",
        &[],
        1,
    )
    .await;
    // FTS5 syntax, LIKE wildcards, SQL quotes and comments: no error, and no match-everything.
    // (Words such as AND or NOT are words here, found like any other.)
    for query in [
        "\"",
        "\"\"\"",
        "'",
        "''; DROP TABLE articles; --",
        "NEAR(a b)",
        "a* OR b*",
        "title:x",
        "^wal",
        "(",
        ")",
        "-",
        "%",
        "_",
        "\\",
        "%_%",
        "{}",
        "NOT wal",
        "*",
        "\u{0}",
        "大厂\"",
        "c++",
        "SELECT * FROM users",
    ] {
        match SearchQuery::parse(query) {
            Ok(parsed) => {
                let hits = search::search(&pool, parsed.terms(), 50, 0).await;
                let hits = hits.unwrap_or_else(|err| panic!("{query:?}: {err}"));
                assert!(hits.len() < 6, "{query:?} matched {} articles", hits.len());
            }
            Err(problem) => assert_eq!(problem, besthub::search::QueryProblem::Empty, "{query:?}"),
        }
    }
    // A wildcard character is a character: "100" finds the article, "%" alone is no query.
    assert_eq!(
        find(&pool, "100%").await.first().map(String::as_str),
        Some("percent")
    );
    assert!(find(&pool, "half_done")
        .await
        .contains(&"percent".to_owned()));
    assert!(find(&pool, "articles; --").await.len() < 6);
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM articles")
        .fetch_one(&pool)
        .await
        .expect("articles still there");
    assert_eq!(count, 6);
});

contract_test!(removed_articles_are_not_found, |pool: Pool| async move {
    seeded(&pool).await;
    assert_eq!(find(&pool, "大厂").await, ["cjk-typography-on-the-web"]);
    sqlx::query("UPDATE articles SET removed_at = 1, removed_reason = 'x' WHERE slug = $1")
        .bind("cjk-typography-on-the-web")
        .execute(&pool)
        .await
        .expect("unpublish");
    assert!(find(&pool, "大厂").await.is_empty());
});

contract_test!(
    reimport_and_renamed_authors_update_the_index,
    |pool: Pool| async move {
        let ada = ("ada", "Ada Lovelace");
        article(&pool, ada, "a", "Pelicans", "x", "Body one.", &[], 1).await;
        assert_eq!(find(&pool, "pelican").await, ["a"]);
        article(&pool, ada, "a", "Flamingos", "x", "Body two.", &[], 1).await;
        assert!(find(&pool, "pelican").await.is_empty());
        assert_eq!(find(&pool, "flamingo").await, ["a"]);
        article(
            &pool,
            ("ada", "Augusta King"),
            "b",
            "Other",
            "x",
            "y",
            &[],
            2,
        )
        .await;
        assert_eq!(find(&pool, "augusta").await, ["b", "a"]);
        assert!(find(&pool, "lovelace").await.is_empty());
    }
);

contract_test!(
    articles_stored_before_the_index_are_indexed_at_start,
    |pool: Pool| async move {
        seeded(&pool).await;
        sqlx::query("DELETE FROM article_search")
            .execute(&pool)
            .await
            .expect("empty the index");
        assert!(find(&pool, "大厂").await.is_empty());
        assert_eq!(search::index_missing(&pool).await.expect("index"), 5);
        assert_eq!(find(&pool, "大厂").await, ["cjk-typography-on-the-web"]);
        assert_eq!(search::index_missing(&pool).await.expect("index"), 0);
    }
);

contract_test!(pages_and_totals, |pool: Pool| async move {
    let ada = ("ada", "Ada");
    for i in 0..25 {
        article(
            &pool,
            ada,
            &format!("otter-{i:02}"),
            "Otters",
            "x",
            "y",
            &[],
            i,
        )
        .await;
    }
    let query = SearchQuery::parse("otter").expect("query");
    let first = search::search(&pool, query.terms(), 20, 0)
        .await
        .expect("page 1");
    let second = search::search(&pool, query.terms(), 20, 20)
        .await
        .expect("page 2");
    assert_eq!((first.len(), second.len()), (20, 5));
    assert!(first.iter().chain(&second).all(|hit| hit.total == 25));
    assert_eq!(first[0].slug, "otter-24");
    assert_eq!(second[4].slug, "otter-00");
});

// --- Over HTTP (the in-process router with the demo content). ---

async fn page(app: &axum::Router, path: &str) -> (StatusCode, String) {
    let reply = common::send(
        app,
        axum::http::Request::get(path)
            .body(axum::body::Body::empty())
            .expect("request"),
    )
    .await;
    (reply.status, reply.body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_search_page_finds_and_explains() {
    let (app, db) = common::test_app("").await;
    let q = |text: &str| format!("/search?q={}", besthub::site::query_value(text));

    let (status, html) = page(&app, &q("人才流失")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(">Search</h1>"), "{html}");
    assert!(html.contains("href=\"/articles/cjk-typography-on-the-web\""));
    assert!(
        html.contains("<mark>人才流失</mark>"),
        "snippet marks the term"
    );
    assert!(html.contains("1 result for"));

    // The header's box keeps the query.
    assert!(html.contains("role=\"search\""));
    assert!(html.contains("value=\"人才流失\""));

    let (status, html) = page(&app, "/search?q=").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Type something to search for"));
    let (status, html) = page(&app, "/search").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Type something to search for"));

    let (status, html) = page(&app, &q("zzzqqqxxx")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("No articles match"));

    let (status, html) = page(&app, &q(&"x".repeat(500))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("searches can be at most 200"), "{html}");

    for hostile in [
        "</title><b>x</b>",
        "\"",
        "'; --",
        "NEAR(",
        "%",
        "\"><b>y</b>",
    ] {
        let (status, html) = page(&app, &q(hostile)).await;
        assert_eq!(status, StatusCode::OK, "{hostile}");
        assert!(
            !html.contains("<b>x</b>") && !html.contains("<b>y</b>"),
            "{hostile}: markup is escaped: {html}"
        );
    }
    // The query in the title cannot end it.
    let (_, html) = page(&app, &q("</title><b>x</b> & co")).await;
    assert!(
        html.contains("<title>“&lt;/title&gt;&lt;b&gt;x&lt;/b&gt; &amp; co” · Search"),
        "{html}"
    );
    let (_, html) = page(&app, &q("<script>zzqv(1)</script>")).await;
    assert!(html.contains("No articles match"), "{html}");
    assert!(
        html.contains("&lt;script&gt;zzqv(1)&lt;/script&gt;"),
        "{html}"
    );
    assert!(!html.contains("<script>zzqv"), "{html}");
    // Snippets are text: markup in an article's body cannot reach the page through them.
    let (_, html) = page(&app, &q("stampede")).await;
    assert!(html.contains("<mark>"), "{html}");
    db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suggestions_are_titles() {
    let (app, db) = common::test_app("").await;
    let reply = common::read(&app, "/api/suggest_titles?q=%E5%A4%A7%E5%8E%82", None).await;
    assert_eq!(reply.status, StatusCode::OK);
    let found: Vec<besthub::search::Suggestion> = serde_json::from_str(&reply.body).expect("json");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].slug, "cjk-typography-on-the-web");
    let reply = common::read(&app, "/api/suggest_titles?q=%22", None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body, "[]");
    db.close().await;
}
