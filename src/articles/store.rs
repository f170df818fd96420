//! Article, author and tag storage. Every function takes its pool or connection explicitly.

use sqlx::AnyConnection;

use super::{ArticleListItem, ArticleView};
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

/// Creates the author or updates their name and bio; returns the author's id.
pub async fn upsert_author(conn: &mut AnyConnection, author: &NewAuthor) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO authors (handle, name, bio, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (handle) DO UPDATE SET name = excluded.name, bio = excluded.bio
         RETURNING id",
    )
    .bind(&author.handle)
    .bind(&author.name)
    .bind(&author.bio)
    .bind(now_ms())
    .fetch_one(conn)
    .await
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
                 published_at = $9, updated_at = $10 WHERE id = $11",
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
            .bind(id)
            .execute(&mut *conn)
            .await?;
            (id, Upsert::Updated)
        }
        None => {
            let id = sqlx::query_scalar(
                "INSERT INTO articles (slug, title, summary, author_id, body_markdown, body_html,
                 lang, source_url, reading_minutes, published_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
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
            .fetch_one(&mut *conn)
            .await?;
            (id, Upsert::Inserted)
        }
    };
    set_tags(conn, id, &article.tags).await?;
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

/// Newest articles first, `limit` of them after skipping `offset`.
pub async fn list_newest(
    pool: &Pool,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<ArticleListItem>> {
    sqlx::query_as(
        "SELECT a.slug, a.title, a.summary, a.published_at, a.reading_minutes,
                au.name AS author_name, au.handle AS author_handle
         FROM articles a JOIN authors au ON au.id = a.author_id
         ORDER BY a.published_at DESC, a.id DESC
         LIMIT $1 OFFSET $2",
    )
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await
}

/// The article with `slug`, if any.
pub async fn find_by_slug(pool: &Pool, slug: &str) -> sqlx::Result<Option<ArticleView>> {
    let article: Option<ArticleView> = sqlx::query_as(
        "SELECT a.id, a.slug, a.title, a.summary, a.body_html, a.lang, a.published_at,
                a.updated_at, a.reading_minutes, au.name AS author_name,
                au.handle AS author_handle, au.bio AS author_bio
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
