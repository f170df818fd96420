//! Article, author and tag storage. Every function takes its pool or connection explicitly.

use sqlx::AnyConnection;

use std::collections::HashMap;

use super::{ArticleListItem, ArticleView, AuthorProfile};
use crate::db::{now_ms, Pool};

/// An author as the importer knows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuthor {
    /// URL handle, unique.
    pub handle: String,
    /// Display name.
    pub name: String,
    /// Short biography.
    pub bio: String,
}

/// A validated article ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewArticle {
    /// URL slug, unique.
    pub slug: String,
    /// Title.
    pub title: String,
    /// One- or two-sentence summary.
    pub summary: String,
    /// The Markdown source.
    pub body_markdown: String,
    /// Sanitised HTML rendered from the source.
    pub body_html: String,
    /// BCP 47 language tag of the body.
    pub lang: String,
    /// The original's http(s) URL.
    pub source_url: String,
    /// Estimated reading time.
    pub reading_minutes: i64,
    /// Publication time (ms since the epoch).
    pub published_at: i64,
    /// Lower-case, de-duplicated tag names.
    pub tags: Vec<String>,
}

/// Whether an upsert created a row or changed an existing one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upsert {
    /// A new row.
    Inserted,
    /// An existing row, updated.
    Updated,
}

/// Creates the author or updates their name and bio; returns the author's id. A new name
/// is written into the search index of their articles too.
pub async fn upsert_author(conn: &mut AnyConnection, author: &NewAuthor) -> sqlx::Result<i64> {
    // The write comes first: on SQLite a transaction that reads before it writes cannot wait
    // for another process's write to finish (it fails with SQLITE_BUSY_SNAPSHOT), while one
    // that starts by writing waits its turn.
    let id = sqlx::query_scalar(
        "INSERT INTO authors (handle, name, bio, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (handle) DO UPDATE SET name = excluded.name, bio = excluded.bio
         RETURNING id",
    )
    .bind(&author.handle)
    .bind(&author.name)
    .bind(&author.bio)
    .bind(now_ms())
    .fetch_one(&mut *conn)
    .await?;
    crate::search::store::index_renamed_author(conn, id, &author.name).await?;
    Ok(id)
}

/// Creates the article or replaces the one with the same slug, with its tags.
///
/// Meant to run inside a transaction so that a failure leaves nothing half-written.
pub async fn upsert_article(
    conn: &mut AnyConnection,
    author_id: i64,
    article: &NewArticle,
) -> sqlx::Result<(i64, Upsert)> {
    let now = now_ms();
    let existing: Option<i64> = sqlx::query_scalar("SELECT id FROM articles WHERE slug = $1")
        .bind(&article.slug)
        .fetch_optional(&mut *conn)
        .await?;
    let (id, outcome) = match existing {
        Some(id) => {
            sqlx::query(
                "UPDATE articles SET title = $1, summary = $2, author_id = $3, body_markdown = $4,
                 body_html = $5, lang = $6, source_url = $7, reading_minutes = $8,
                 published_at = $9, updated_at = $10, render_version = $11 WHERE id = $12",
            )
            .bind(&article.title)
            .bind(&article.summary)
            .bind(author_id)
            .bind(&article.body_markdown)
            .bind(&article.body_html)
            .bind(&article.lang)
            .bind(&article.source_url)
            .bind(article.reading_minutes)
            .bind(article.published_at)
            .bind(now)
            .bind(super::render::RENDER_VERSION)
            .bind(id)
            .execute(&mut *conn)
            .await?;
            (id, Upsert::Updated)
        }
        None => {
            let id = sqlx::query_scalar(
                "INSERT INTO articles (slug, title, summary, author_id, body_markdown, body_html,
                 lang, source_url, reading_minutes, published_at, updated_at, render_version)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
            )
            .bind(&article.slug)
            .bind(&article.title)
            .bind(&article.summary)
            .bind(author_id)
            .bind(&article.body_markdown)
            .bind(&article.body_html)
            .bind(&article.lang)
            .bind(&article.source_url)
            .bind(article.reading_minutes)
            .bind(article.published_at)
            .bind(now)
            .bind(super::render::RENDER_VERSION)
            .fetch_one(&mut *conn)
            .await?;
            (id, Upsert::Inserted)
        }
    };
    set_tags(conn, id, &article.tags).await?;
    crate::search::store::index_article(conn, id).await?;
    Ok((id, outcome))
}

/// Replaces the tags of an article.
async fn set_tags(conn: &mut AnyConnection, article_id: i64, tags: &[String]) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM article_tags WHERE article_id = $1")
        .bind(article_id)
        .execute(&mut *conn)
        .await?;
    for tag in tags {
        let tag_id: i64 = sqlx::query_scalar(
            "INSERT INTO tags (name) VALUES ($1)
             ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id",
        )
        .bind(tag)
        .fetch_one(&mut *conn)
        .await?;
        sqlx::query(
            "INSERT INTO article_tags (article_id, tag_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(article_id)
        .bind(tag_id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// How many articles there are.
pub async fn count_articles(pool: &Pool) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM articles")
        .fetch_one(pool)
        .await
}

const LIST_COLUMNS: &str = "SELECT a.id, a.slug, a.title, a.summary, a.published_at,
        a.reading_minutes, au.name AS author_name, au.handle AS author_handle
     FROM articles a JOIN authors au ON au.id = a.author_id";
/// Listings show published articles only: an unpublished one (after a takedown) is gone.
const LISTED: &str = "a.removed_at IS NULL";

/// Newest articles first, `limit` of them after skipping `offset`, with their tags.
pub async fn list_newest(
    pool: &Pool,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<ArticleListItem>> {
    let items = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{LIST_COLUMNS} WHERE {LISTED} ORDER BY a.published_at DESC, a.id DESC LIMIT $1 OFFSET $2"
    )))
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await?;
    with_tags(pool, items).await
}

/// An author's articles, newest first.
pub async fn list_by_author(
    pool: &Pool,
    author_id: i64,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<ArticleListItem>> {
    let items = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{LIST_COLUMNS} WHERE a.author_id = $1 AND {LISTED}
         ORDER BY a.published_at DESC, a.id DESC LIMIT $2 OFFSET $3"
    )))
    .bind(author_id)
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await?;
    with_tags(pool, items).await
}

/// Articles with `tag`, newest first.
pub async fn list_by_tag(
    pool: &Pool,
    tag: &str,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<ArticleListItem>> {
    let items = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{LIST_COLUMNS}
         JOIN article_tags at ON at.article_id = a.id
         JOIN tags t ON t.id = at.tag_id
         WHERE t.name = $1 AND {LISTED}
         ORDER BY a.published_at DESC, a.id DESC LIMIT $2 OFFSET $3"
    )))
    .bind(tag)
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await?;
    with_tags(pool, items).await
}

/// Whether a tag exists.
pub async fn tag_exists(pool: &Pool, tag: &str) -> sqlx::Result<bool> {
    let found: Option<i64> = sqlx::query_scalar("SELECT id FROM tags WHERE name = $1")
        .bind(tag)
        .fetch_optional(pool)
        .await?;
    Ok(found.is_some())
}

/// Fills in the tags of listed articles with one query for the whole page.
async fn with_tags(
    pool: &Pool,
    mut items: Vec<ArticleListItem>,
) -> sqlx::Result<Vec<ArticleListItem>> {
    let ids: Vec<i64> = items.iter().map(|item| item.id).collect();
    let mut by_article = tags_of_articles(pool, &ids).await?;
    for item in &mut items {
        item.tags = by_article.remove(&item.id).unwrap_or_default();
    }
    Ok(items)
}

/// The tags of each of the articles `ids`, alphabetically, in one query.
pub async fn tags_of_articles(pool: &Pool, ids: &[i64]) -> sqlx::Result<HashMap<i64, Vec<String>>> {
    let mut by_article: HashMap<i64, Vec<String>> = HashMap::new();
    if ids.is_empty() {
        return Ok(by_article);
    }
    // Placeholders only, never values, go into the SQL text.
    let placeholders: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT at.article_id, t.name FROM article_tags at JOIN tags t ON t.id = at.tag_id
         WHERE at.article_id IN ({}) ORDER BY t.name",
        placeholders.join(", ")
    );
    let mut query = sqlx::query_as::<_, (i64, String)>(sqlx::AssertSqlSafe(sql));
    for id in ids {
        query = query.bind(*id);
    }
    for (article_id, name) in query.fetch_all(pool).await? {
        by_article.entry(article_id).or_default().push(name);
    }
    Ok(by_article)
}

/// The article with `slug`, if any, with its author, counters and tags.
pub async fn find_by_slug(pool: &Pool, slug: &str) -> sqlx::Result<Option<ArticleView>> {
    let article: Option<ArticleView> = sqlx::query_as(
        "SELECT a.id, a.slug, a.title, a.summary, a.body_html, a.lang, a.published_at,
                a.updated_at, a.reading_minutes, a.like_count, a.comment_count,
                a.rating_count, a.rating_sum, a.rating_1, a.rating_2, a.rating_3, a.rating_4,
                a.rating_5, au.name AS author_name, au.handle AS author_handle,
                au.bio AS author_bio, au.follower_count AS author_followers,
                au.id AS author_id, au.user_id AS author_user_id
         FROM articles a JOIN authors au ON au.id = a.author_id
         WHERE a.slug = $1",
    )
    .bind(slug)
    .fetch_optional(pool)
    .await?;
    let Some(mut article) = article else {
        return Ok(None);
    };
    article.tags = tags_of(pool, article.id).await?;
    Ok(Some(article))
}

/// Why the article with `slug` was unpublished, when it was.
pub async fn removal(pool: &Pool, slug: &str) -> sqlx::Result<Option<String>> {
    let row: Option<(Option<i64>, Option<String>)> =
        sqlx::query_as("SELECT removed_at, removed_reason FROM articles WHERE slug = $1")
            .bind(slug)
            .fetch_optional(pool)
            .await?;
    Ok(row.and_then(|(at, reason)| at.map(|_| reason.unwrap_or_default())))
}

/// The tag names of an article, alphabetically.
pub async fn tags_of(pool: &Pool, article_id: i64) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT t.name FROM article_tags at JOIN tags t ON t.id = at.tag_id
         WHERE at.article_id = $1 ORDER BY t.name",
    )
    .bind(article_id)
    .fetch_all(pool)
    .await
}

/// The author with `handle`, if any.
pub async fn find_author(pool: &Pool, handle: &str) -> sqlx::Result<Option<AuthorProfile>> {
    sqlx::query_as(
        "SELECT id, handle, name, bio, follower_count, user_id FROM authors WHERE handle = $1",
    )
    .bind(handle)
    .fetch_optional(pool)
    .await
}

/// The id and original URL of the article with `slug`.
pub async fn find_source(pool: &Pool, slug: &str) -> sqlx::Result<Option<(i64, String)>> {
    sqlx::query_as("SELECT id, source_url FROM articles WHERE slug = $1 AND removed_at IS NULL")
        .bind(slug)
        .fetch_optional(pool)
        .await
}

/// Records one use of the protected redirect to an article's source.
pub async fn record_source_redirect(
    pool: &Pool,
    user_id: i64,
    article_id: i64,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO source_redirects (user_id, article_id, created_at) VALUES ($1, $2, $3)",
    )
    .bind(user_id)
    .bind(article_id)
    .bind(now)
    .execute(pool)
    .await?;
    Ok(())
}

/// Renders again every body stored by an older renderer; returns how many.
pub async fn rerender_stale(pool: &Pool) -> sqlx::Result<usize> {
    let stale: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, body_markdown FROM articles WHERE render_version < $1")
            .bind(super::render::RENDER_VERSION)
            .fetch_all(pool)
            .await?;
    for (id, markdown) in &stale {
        let rendered = super::render::render_markdown(markdown);
        sqlx::query(
            "UPDATE articles SET body_html = $1, reading_minutes = $2, render_version = $3
             WHERE id = $4",
        )
        .bind(&rendered.html)
        .bind(super::reading_time::minutes(&rendered.plain_text))
        .bind(super::render::RENDER_VERSION)
        .bind(id)
        .execute(pool)
        .await?;
    }
    Ok(stale.len())
}
