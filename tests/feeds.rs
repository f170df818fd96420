//! Feeds and crawlers: Atom feeds read back by a feed parser, the sitemap, robots.txt, the
//! pages' feed links and the rating in an article's JSON-LD. On SQLite, and on PostgreSQL
//! when `BESTHUB_TEST_APP_DB=postgres` (`make unit` runs both).
#![cfg(feature = "ssr")]

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use tower::ServiceExt;

async fn get(app: &axum::Router, uri: &str) -> (StatusCode, String, String) {
    let response = app
        .clone()
        .oneshot(Request::get(uri).body(Body::empty()).expect("request"))
        .await
        .expect("response");
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    (
        status,
        content_type,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

/// The feed at `uri`, parsed as a feed reader would.
async fn feed(app: &axum::Router, uri: &str) -> atom_syndication::Feed {
    let (status, content_type, body) = get(app, uri).await;
    assert_eq!(status, StatusCode::OK, "{uri}: {body}");
    assert!(
        content_type.starts_with("application/atom+xml"),
        "{uri}: {content_type}"
    );
    body.parse::<atom_syndication::Feed>()
        .unwrap_or_else(|err| panic!("{uri} is not a valid Atom feed: {err}\n{body}"))
}

fn entry_links(feed: &atom_syndication::Feed) -> Vec<String> {
    feed.entries()
        .iter()
        .map(|entry| entry.links()[0].href().to_owned())
        .collect()
}

/// RFC 4287's must-haves: a feed id, title and update time; each entry an id, a title, an
/// update time, an author (the feed has none of its own) and a link to its article.
fn assert_valid(feed: &atom_syndication::Feed) {
    assert!(!feed.id().is_empty() && !feed.title().is_empty());
    assert!(feed.links().iter().any(|l| l.rel() == "self"));
    let mut ids = std::collections::HashSet::new();
    for entry in feed.entries() {
        assert!(ids.insert(entry.id().to_owned()), "entry ids are unique");
        assert!(!entry.title().is_empty());
        assert!(!entry.authors().is_empty(), "every entry names its author");
        assert!(entry.links()[0].href().contains("/articles/"));
        assert!(entry.published().is_some());
        assert!(entry.summary().is_some());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_site_author_and_tag_feeds_are_valid_atom_newest_first() {
    let (app, db) = common::test_app("").await;
    let site = feed(&app, "/feed.xml").await;
    assert_valid(&site);
    assert_eq!(site.entries().len(), 5, "every demo article");
    let published: Vec<_> = site
        .entries()
        .iter()
        .filter_map(|e| e.published())
        .collect();
    assert!(published.windows(2).all(|w| w[0] >= w[1]), "newest first");
    assert_eq!(
        site.updated(),
        site.entries()
            .iter()
            .map(|e| e.updated())
            .max()
            .expect("entries")
    );

    let author = feed(&app, "/authors/selma-arvidsson/feed.xml").await;
    assert_valid(&author);
    let mut links = entry_links(&author);
    links.sort();
    assert!(links[0].ends_with("/articles/sqlite-wal-in-production"));
    assert!(links[1].ends_with("/articles/taming-cache-stampedes"));
    assert_eq!(links.len(), 2);
    assert!(author.title().contains("Selma Arvidsson"));

    let tag = feed(&app, "/tags/typography/feed.xml").await;
    assert_valid(&tag);
    assert_eq!(tag.entries().len(), 2);
    assert!(tag
        .entries()
        .iter()
        .all(|e| e.categories().iter().any(|c| c.term() == "typography")));

    for unknown in ["/authors/nobody/feed.xml", "/tags/no-such-tag/feed.xml"] {
        assert_eq!(
            get(&app, unknown).await.0,
            StatusCode::NOT_FOUND,
            "{unknown}"
        );
    }
    db.close().await;
}

/// Unpublishes article `slug` by `handle` as a moderator's decision does: the write, then
/// the event that drops what shows it.
async fn unpublish(
    pool: &besthub::db::Pool,
    events: &besthub::events::Events,
    slug: &str,
    handle: &str,
) {
    let mut tx = pool.begin().await.expect("begin");
    besthub::moderation::store::set_removed(&mut *tx, slug, Some("Claim"), 1)
        .await
        .expect("unpublish");
    let change = besthub::events::Change::ArticleSaved {
        slug: slug.into(),
        handle: handle.into(),
    };
    events.commit(tx, change).await.expect("commit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feeds_and_the_sitemap_are_kept_until_a_write_changes_them() {
    let (app, db, events) = common::test_app_events("").await;
    let (_, _, sitemap) = get(&app, "/sitemap.xml").await;
    let (_, _, site_feed) = get(&app, "/feed.xml").await;
    // A change the server is not told of (none of its own writes does this) shows that the
    // documents are kept: they are answered as they were.
    sqlx::query("UPDATE articles SET title = 'Renamed quietly' WHERE slug = $1")
        .bind("sqlite-wal-in-production")
        .execute(&db.pool)
        .await
        .expect("rename");
    assert_eq!(get(&app, "/feed.xml").await.2, site_feed);
    // A write that says what it changed drops them.
    unpublish(
        &db.pool,
        &events,
        "cjk-typography-on-the-web",
        "liang-shuwen",
    )
    .await;
    let (_, _, now) = get(&app, "/feed.xml").await;
    assert!(now.contains("Renamed quietly"));
    assert!(!now.contains("/articles/cjk-typography-on-the-web<"));
    let (_, _, now) = get(&app, "/sitemap.xml").await;
    assert_ne!(now, sitemap);
    assert!(!now.contains("/articles/cjk-typography-on-the-web<"));
    db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sitemap_lists_every_published_page_and_robots_points_at_it() {
    let (app, db, events) = common::test_app_events("").await;
    let (status, content_type, sitemap) = get(&app, "/sitemap.xml").await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with("application/xml"));
    for path in [
        "/</loc>",
        "/articles/sqlite-wal-in-production</loc>",
        "/articles/cjk-typography-on-the-web</loc>",
        "/authors/liang-shuwen</loc>",
        "/tags/databases</loc>",
    ] {
        assert!(sitemap.contains(path), "{path} in the sitemap");
    }
    assert_eq!(
        sitemap.matches("<url>").count(),
        sitemap.matches("<lastmod>").count()
    );
    // The home page, 5 articles, 3 authors and 10 tags.
    assert_eq!(sitemap.matches("<url>").count(), 1 + 5 + 3 + 10);

    let feeds = [
        "/feed.xml",
        "/authors/selma-arvidsson/feed.xml",
        "/tags/databases/feed.xml",
    ];
    for uri in feeds {
        let links = entry_links(&feed(&app, uri).await);
        assert!(
            links
                .iter()
                .any(|l| l.ends_with("/sqlite-wal-in-production")),
            "{uri} before"
        );
    }

    // An unpublished article leaves the sitemap and every feed (kept ones included), as a
    // moderator's decision does it: the write and its event.
    unpublish(
        &db.pool,
        &events,
        "sqlite-wal-in-production",
        "selma-arvidsson",
    )
    .await;
    let (_, _, sitemap) = get(&app, "/sitemap.xml").await;
    assert!(!sitemap.contains("/articles/sqlite-wal-in-production<"));
    assert!(
        !sitemap.contains("/tags/rust<"),
        "a tag with no published article goes too"
    );
    for uri in feeds {
        let links = entry_links(&feed(&app, uri).await);
        assert!(
            !links
                .iter()
                .any(|l| l.ends_with("/sqlite-wal-in-production")),
            "{uri}"
        );
    }

    let (status, content_type, robots) = get(&app, "/robots.txt").await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with("text/plain"));
    assert!(robots
        .lines()
        .any(|l| l.starts_with("Sitemap: ") && l.ends_with("/sitemap.xml")));
    assert!(robots.contains("Disallow: /admin/") && robots.contains("Disallow: /takedowns/"));
    db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_link_their_feeds_and_rated_articles_carry_their_rating() {
    let (app, db) = common::test_app("").await;
    let alternate = "rel=\"alternate\" type=\"application/atom+xml\"";
    let (_, _, home) = get(&app, "/").await;
    assert!(home.contains(alternate) && home.contains("href=\"/feed.xml\""));
    let (_, _, author) = get(&app, "/authors/liang-shuwen").await;
    assert!(author.contains("href=\"/authors/liang-shuwen/feed.xml\""));
    let (_, _, tag) = get(&app, "/tags/web").await;
    assert!(tag.contains("href=\"/tags/web/feed.xml\""));

    let (_, _, unrated) = get(&app, "/articles/taming-cache-stampedes").await;
    assert!(!unrated.contains("AggregateRating"), "no rating, no stars");
    sqlx::query("UPDATE articles SET rating_count = 2, rating_sum = 9 WHERE slug = $1")
        .bind("web-font-loading-costs")
        .execute(&db.pool)
        .await
        .expect("rate");
    let (_, _, rated) = get(&app, "/articles/web-font-loading-costs").await;
    let start = rated.find("application/ld+json").expect("JSON-LD");
    let json = &rated[start..];
    let json = &json[json.find('>').expect("tag") + 1..json.find("</script>").expect("end")];
    let value: serde_json::Value = serde_json::from_str(json).expect("JSON");
    let rating = &value["aggregateRating"];
    assert_eq!(rating["@type"], "AggregateRating");
    assert_eq!(rating["ratingValue"], "4.5");
    assert_eq!(rating["ratingCount"], 2);
    assert_eq!(rating["bestRating"], 5);
    db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_files_set_no_cookie_that_a_shared_cache_could_keep() {
    let (app, db) = common::test_app("").await;
    for path in [
        "/feed.xml",
        "/sitemap.xml",
        "/robots.txt",
        "/tags/web/feed.xml",
    ] {
        let reply = common::send(
            &app,
            Request::get(path).body(Body::empty()).expect("request"),
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        assert!(
            reply.set_cookies().is_empty(),
            "{path}: {:?}",
            reply.set_cookies()
        );
    }
    // Pages still give a client its CSRF fallback cookie.
    let reply = common::send(
        &app,
        Request::get("/").body(Body::empty()).expect("request"),
    )
    .await;
    assert!(reply.cookie("besthub_csrf").is_some());
    db.close().await;
}

/// Stores article `slug` by `handle` with `tags`, published at `published` and last changed
/// at `updated`, unpublished when `removed`.
async fn dated_article(
    pool: &besthub::db::Pool,
    (slug, handle, tags): (&str, &str, &[&str]),
    published: i64,
    updated: i64,
    removed: bool,
) {
    common::store_article(pool, handle, &common::new_article(slug, published, tags)).await;
    sqlx::query("UPDATE articles SET updated_at = $1 WHERE slug = $2")
        .bind(updated)
        .bind(slug)
        .execute(pool)
        .await
        .expect("date");
    if removed {
        besthub::moderation::store::set_removed(pool, slug, Some("Claim"), updated)
            .await
            .expect("unpublish");
    }
}

contract_test!(
    sitemap_dates_authors_and_tags_by_their_newest_published_article,
    |pool: besthub::db::Pool| async move {
        use besthub::feeds::store::{sitemap, SitemapUrl};

        dated_article(&pool, ("a", "ada", &["rust", "sql"]), 10, 100, false).await;
        dated_article(&pool, ("b", "ada", &["rust", "old"]), 20, 300, true).await;
        dated_article(&pool, ("c", "ada", &["sql"]), 30, 200, false).await;
        dated_article(&pool, ("d", "bob", &["bobs"]), 40, 50, true).await;
        dated_article(&pool, ("e", "cy", &[]), 5, 70, false).await;
        let url = |path: &str, updated_at: i64| SitemapUrl {
            path: path.to_owned(),
            updated_at,
        };
        assert_eq!(
            sitemap(&pool).await.expect("sitemap"),
            vec![
                // Newest published first; unpublished ones are gone.
                url("/articles/c", 200),
                url("/articles/a", 100),
                url("/articles/e", 70),
                // An author by their newest published article's change, not an unpublished
                // one's; an author with none published is left out.
                url("/authors/ada", 200),
                url("/authors/cy", 70),
                // The same for tags.
                url("/tags/rust", 100),
                url("/tags/sql", 200),
            ]
        );
    }
);
