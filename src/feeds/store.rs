//! What feeds and the sitemap read: published articles only (an unpublished one is gone).

use super::Scope;
use crate::db::Pool;

/// An article as a feed lists it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FeedEntry {
    /// Row id.
    pub id: i64,
    /// URL slug.
    pub slug: String,
    /// Title.
    pub title: String,
    /// Summary.
    pub summary: String,
    /// Publication time, ms since the epoch.
    pub published_at: i64,
    /// Last change, ms since the epoch.
    pub updated_at: i64,
    /// Its author's name.
    pub author_name: String,
    /// Its author's handle.
    pub author_handle: String,
    /// Its tags.
    #[sqlx(skip)]
    pub tags: Vec<String>,
}

/// The newest `limit` published articles of `scope`, with their tags.
pub async fn entries(pool: &Pool, scope: Scope<'_>, limit: i64) -> sqlx::Result<Vec<FeedEntry>> {
    let (filter, key) = match scope {
        Scope::Site => ("", ""),
        Scope::Author(handle) => ("AND au.handle = $2", handle),
        Scope::Tag(tag) => (
            "AND a.id IN (SELECT at.article_id FROM article_tags at
                 JOIN tags t ON t.id = at.tag_id WHERE t.name = $2)",
            tag,
        ),
    };
    let sql = format!(
        "SELECT a.id, a.slug, a.title, a.summary, a.published_at, a.updated_at,
             au.name AS author_name, au.handle AS author_handle
         FROM articles a JOIN authors au ON au.id = a.author_id
         WHERE a.removed_at IS NULL {filter}
         ORDER BY a.published_at DESC, a.id DESC LIMIT $1"
    );
    let mut query = sqlx::query_as::<_, FeedEntry>(sqlx::AssertSqlSafe(sql)).bind(limit);
    if !filter.is_empty() {
        query = query.bind(key);
    }
    let mut entries = query.fetch_all(pool).await?;
    let ids: Vec<i64> = entries.iter().map(|entry| entry.id).collect();
    let mut tags = crate::articles::store::tags_of_articles(pool, &ids).await?;
    for entry in &mut entries {
        entry.tags = tags.remove(&entry.id).unwrap_or_default();
    }
    Ok(entries)
}

/// The display name of the author `handle`.
pub async fn author_name(pool: &Pool, handle: &str) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT name FROM authors WHERE handle = $1")
        .bind(handle)
        .fetch_optional(pool)
        .await
}

/// A page the sitemap lists, and when it last changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SitemapUrl {
    /// Its path (`/articles/…`), percent-encoded.
    pub path: String,
    /// Last change, ms since the epoch.
    pub updated_at: i64,
}

/// Every published article, and every author and tag page that lists one (an author's or a
/// tag's page changes when its newest article does).
///
/// The articles come from the covering index `articles_published` alone, and authors' and
/// tags' dates are worked out here from them: joining articles in SQL would read each
/// article's row, and on SQLite that walks its body's overflow pages.
pub async fn sitemap(pool: &Pool) -> sqlx::Result<Vec<SitemapUrl>> {
    use std::collections::{BTreeMap, HashMap};

    use crate::site::path_segment;

    let articles: Vec<(i64, String, i64, i64)> = sqlx::query_as(
        "SELECT id, slug, updated_at, author_id FROM articles WHERE removed_at IS NULL
         ORDER BY published_at DESC, id DESC",
    )
    .fetch_all(pool)
    .await?;
    let handles: HashMap<i64, String> = sqlx::query_as("SELECT id, handle FROM authors")
        .fetch_all(pool)
        .await?
        .into_iter()
        .collect();
    let tagged: Vec<(i64, String)> = sqlx::query_as(
        "SELECT at.article_id, t.name FROM article_tags at JOIN tags t ON t.id = at.tag_id",
    )
    .fetch_all(pool)
    .await?;

    let updated: HashMap<i64, i64> = articles.iter().map(|(id, _, at, _)| (*id, *at)).collect();
    let mut authors: BTreeMap<&str, i64> = BTreeMap::new();
    for (_, _, at, author_id) in &articles {
        if let Some(handle) = handles.get(author_id) {
            let newest = authors.entry(handle).or_insert(*at);
            *newest = (*newest).max(*at);
        }
    }
    let mut tags: BTreeMap<&str, i64> = BTreeMap::new();
    for (article_id, tag) in &tagged {
        // Tags of unpublished articles are not in `updated`: a tag only they carry is left out.
        if let Some(at) = updated.get(article_id) {
            let newest = tags.entry(tag).or_insert(*at);
            *newest = (*newest).max(*at);
        }
    }

    let mut urls = Vec::with_capacity(articles.len() + authors.len() + tags.len());
    urls.extend(articles.iter().map(|(_, slug, at, _)| SitemapUrl {
        path: format!("/articles/{}", path_segment(slug)),
        updated_at: *at,
    }));
    urls.extend(authors.iter().map(|(handle, at)| SitemapUrl {
        path: format!("/authors/{}", path_segment(handle)),
        updated_at: *at,
    }));
    urls.extend(tags.iter().map(|(tag, at)| SitemapUrl {
        path: format!("/tags/{}", path_segment(tag)),
        updated_at: *at,
    }));
    Ok(urls)
}
