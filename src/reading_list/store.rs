//! Saved articles: one row per reader and article, written idempotently (set a state, never
//! toggle), read back newest saved first in the shape of the article listings.

use std::collections::HashSet;

use sqlx::{Any, Executor};

use crate::articles::ArticleListItem;
use crate::db::Pool;

/// Saves (`saved`) or unsaves the article for the reader; returns whether anything changed.
/// Saving what is saved keeps its first time (the list's order does not move), and unsaving
/// what is not saved does nothing.
pub async fn set_saved<'c>(
    db: impl Executor<'c, Database = Any>,
    user_id: i64,
    article_id: i64,
    saved: bool,
    now: i64,
) -> sqlx::Result<bool> {
    let done = if saved {
        sqlx::query(
            "INSERT INTO saved_articles (user_id, article_id, saved_at) VALUES ($1, $2, $3)
             ON CONFLICT DO NOTHING",
        )
        .bind(user_id)
        .bind(article_id)
        .bind(now)
        .execute(db)
        .await?
    } else {
        sqlx::query("DELETE FROM saved_articles WHERE user_id = $1 AND article_id = $2")
            .bind(user_id)
            .bind(article_id)
            .execute(db)
            .await?
    };
    Ok(done.rows_affected() > 0)
}

/// Whether the reader saved the article.
pub async fn is_saved(pool: &Pool, user_id: i64, article_id: i64) -> sqlx::Result<bool> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM saved_articles WHERE user_id = $1 AND article_id = $2")
            .bind(user_id)
            .bind(article_id)
            .fetch_optional(pool)
            .await?;
    Ok(found.is_some())
}

/// Which of `article_ids` the reader saved, in one query for a whole listing page.
pub async fn saved_ids(
    pool: &Pool,
    user_id: i64,
    article_ids: &[i64],
) -> sqlx::Result<HashSet<i64>> {
    if article_ids.is_empty() {
        return Ok(HashSet::new());
    }
    // Placeholders only, never values, go into the SQL text; $1 is the reader.
    let placeholders: Vec<String> = (2..=article_ids.len() + 1)
        .map(|i| format!("${i}"))
        .collect();
    let sql = format!(
        "SELECT article_id FROM saved_articles WHERE user_id = $1 AND article_id IN ({})",
        placeholders.join(", ")
    );
    let mut query = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql)).bind(user_id);
    for id in article_ids {
        query = query.bind(*id);
    }
    Ok(query.fetch_all(pool).await?.into_iter().collect())
}

/// The reader's saved articles, newest saved first, `limit` of them after skipping
/// `offset`, with their tags. Unpublished articles are left out while they are down.
pub async fn list_saved(
    pool: &Pool,
    user_id: i64,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<ArticleListItem>> {
    let mut items: Vec<ArticleListItem> = sqlx::query_as(
        "SELECT a.id, a.slug, a.title, a.summary, a.published_at, a.reading_minutes,
                au.name AS author_name, au.handle AS author_handle
         FROM saved_articles s
         JOIN articles a ON a.id = s.article_id
         JOIN authors au ON au.id = a.author_id
         WHERE s.user_id = $1 AND a.removed_at IS NULL
         ORDER BY s.saved_at DESC, s.article_id DESC LIMIT $2 OFFSET $3",
    )
    .bind(user_id)
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await?;
    let ids: Vec<i64> = items.iter().map(|item| item.id).collect();
    let mut tags = crate::articles::store::tags_of_articles(pool, &ids).await?;
    for item in &mut items {
        item.tags = tags.remove(&item.id).unwrap_or_default();
        item.saved = true;
    }
    Ok(items)
}
