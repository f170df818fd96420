//! The search index and its queries: one contract, an index fit for each backend (see
//! migrations `0010_search`): SQLite's FTS5 trigram table, PostgreSQL's pg_trgm GIN index.
//!
//! Both keep the same lower-cased columns, find the same articles (every term somewhere in
//! the title, summary, tags, author name or body) and rank them with the same score, computed
//! in SQL so that only one page of rows leaves the database. Terms are always bound, never
//! spliced into the SQL: hostile input is just text to look for.

use sqlx::{AnyConnection, FromRow};

use crate::db::{backend_of, backend_of_conn, Backend, Pool};

/// One article found, with the text its snippet is cut from.
#[derive(Debug, Clone, FromRow)]
pub struct Hit {
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
    /// Estimated minutes to read.
    pub reading_minutes: i64,
    /// Author's display name.
    pub author_name: String,
    /// Author's handle.
    pub author_handle: String,
    /// The body as plain text, original case.
    pub body_text: String,
    /// Articles the whole query finds (the same on every row).
    pub total: i64,
}

/// Terms of three characters or more can use the trigram index; shorter ones are checked
/// row by row.
const TRIGRAM: usize = 3;

/// Writes (or rewrites) the index row of article `id` from its current title, summary, tags,
/// author name and Markdown. Call it in the transaction that changed any of them.
pub async fn index_article(conn: &mut AnyConnection, id: i64) -> sqlx::Result<()> {
    let row: Option<(String, String, String, String, i64)> = sqlx::query_as(
        "SELECT a.title, a.summary, a.body_markdown, au.name, a.published_at
         FROM articles a JOIN authors au ON au.id = a.author_id WHERE a.id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((title, summary, markdown, author, published_at)) = row else {
        return Ok(());
    };
    let tags: Vec<String> = sqlx::query_scalar(
        "SELECT t.name FROM article_tags at JOIN tags t ON t.id = at.tag_id
         WHERE at.article_id = $1 ORDER BY t.name",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let body_text = crate::articles::render::render_markdown(&markdown).plain_text;
    let fields = [
        fold(&title),
        fold(&summary),
        fold(&tags.join(" ")),
        fold(&author),
        fold(&body_text),
    ];
    let backend = backend_of_conn(conn);
    match backend {
        Backend::Sqlite => {
            sqlx::query("DELETE FROM article_search WHERE rowid = $1")
                .bind(id)
                .execute(&mut *conn)
                .await?;
            let [title, summary, tags, author, body] = fields;
            sqlx::query(
                "INSERT INTO article_search
                     (rowid, title, summary, tags, author, body, body_text, published_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(id)
            .bind(title)
            .bind(summary)
            .bind(tags)
            .bind(author)
            .bind(body)
            .bind(body_text)
            .bind(published_at)
            .execute(&mut *conn)
            .await?;
        }
        Backend::Postgres => {
            let doc = fields.join("\n");
            let [title, summary, tags, author, body] = fields;
            sqlx::query(
                "INSERT INTO article_search
                     (article_id, title, summary, tags, author, body, body_text, doc, published_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                 ON CONFLICT (article_id) DO UPDATE SET title = excluded.title,
                     summary = excluded.summary, tags = excluded.tags, author = excluded.author,
                     body = excluded.body, body_text = excluded.body_text, doc = excluded.doc,
                     published_at = excluded.published_at",
            )
            .bind(id)
            .bind(title)
            .bind(summary)
            .bind(tags)
            .bind(author)
            .bind(body)
            .bind(body_text)
            .bind(doc)
            .bind(published_at)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

/// Re-indexes the articles of author `author_id` whose index row has another name than
/// `name` (after a rename; nothing to do costs one query).
pub async fn index_renamed_author(
    conn: &mut AnyConnection,
    author_id: i64,
    name: &str,
) -> sqlx::Result<()> {
    let key = index_key(backend_of_conn(conn));
    let ids: Vec<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT s.{key} FROM article_search s JOIN articles a ON a.id = s.{key}
         WHERE a.author_id = $1 AND s.author <> $2"
    )))
    .bind(author_id)
    .bind(fold(name))
    .fetch_all(&mut *conn)
    .await?;
    for id in ids {
        index_article(conn, id).await?;
    }
    Ok(())
}

/// Indexes the articles that have no index row yet (those stored before the index existed);
/// returns how many. Run at start-up: nothing to do costs one query.
pub async fn index_missing(pool: &Pool) -> sqlx::Result<usize> {
    let key = index_key(backend_of(pool));
    let ids: Vec<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT id FROM articles WHERE id NOT IN (SELECT {key} FROM article_search)"
    )))
    .fetch_all(pool)
    .await?;
    for chunk in ids.chunks(100) {
        let mut tx = pool.begin().await?;
        for id in chunk {
            index_article(&mut tx, *id).await?;
        }
        tx.commit().await?;
    }
    Ok(ids.len())
}

/// Published articles that contain every one of `terms` (already folded by
/// [`fold`]), best first, `limit` of them after `offset`.
///
/// The score adds up, for each term: 10 when it is in the title, 5 in the tags, 5 in the
/// author's name and 3 in the summary (a term in none of them is in the body). Ties go to the
/// newer article. Only the short columns and the index's own `published_at` are read while
/// ranking every match; the body text and the article's other columns are read for the page
/// of results alone (SQLite keeps long bodies in overflow pages that reading a later column
/// of the row would walk).
pub async fn search(
    pool: &Pool,
    terms: &[String],
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<Hit>> {
    if terms.is_empty() {
        return Ok(Vec::new());
    }
    let backend = backend_of(pool);
    let mut binds: Vec<Bind> = Vec::new();
    let mut bind = |value: Bind| {
        binds.push(value);
        format!("${}", binds.len())
    };
    // FTS5 wants its table's own name on the left of MATCH, so SQLite's is not aliased.
    let (t, from, key, other_key) = match backend {
        Backend::Sqlite => (
            "article_search",
            "article_search",
            "article_search.rowid",
            "t.rowid",
        ),
        Backend::Postgres => ("s", "article_search s", "s.article_id", "t.article_id"),
    };
    // Placeholders only, never values, go into the SQL text.
    let contains = |column: &str, p: &str| match backend {
        Backend::Sqlite => format!("instr({t}.{column}, {p}) > 0"),
        Backend::Postgres => format!("strpos({t}.{column}, {p}) > 0"),
    };
    let mut score = Vec::new();
    let mut filters = Vec::new();
    let mut phrases = Vec::new();
    for term in terms {
        let p = bind(Bind::Text(term.clone()));
        score.push(format!(
            "(CASE WHEN {title} THEN 10 ELSE 0 END + CASE WHEN {tags} THEN 5 ELSE 0 END
              + CASE WHEN {author} THEN 5 ELSE 0 END + CASE WHEN {summary} THEN 3 ELSE 0 END)",
            title = contains("title", &p),
            tags = contains("tags", &p),
            author = contains("author", &p),
            summary = contains("summary", &p),
        ));
        match backend {
            Backend::Sqlite if term.chars().count() >= TRIGRAM => {
                // An FTS5 string: any character but `"` stands for itself, `"` is doubled.
                phrases.push(format!("\"{}\"", term.replace('"', "\"\"")));
            }
            Backend::Sqlite => filters.push(format!(
                "({} OR {} OR {} OR {} OR {})",
                contains("title", &p),
                contains("summary", &p),
                contains("tags", &p),
                contains("author", &p),
                contains("body", &p)
            )),
            Backend::Postgres => {
                let like = bind(Bind::Text(format!("%{}%", escape_like(term))));
                filters.push(format!("s.doc LIKE {like}"));
            }
        }
    }
    if !phrases.is_empty() {
        let m = bind(Bind::Text(phrases.join(" AND ")));
        filters.push(format!("article_search MATCH {m}"));
    }
    let limit_p = bind(Bind::Int(limit));
    let offset_p = bind(Bind::Int(offset));
    let sql = format!(
        "SELECT a.id, a.slug, a.title, a.summary, a.published_at, a.reading_minutes,
                au.name AS author_name, au.handle AS author_handle, t.body_text, r.total
         FROM (
             SELECT {key} AS id, {score} AS score, {t}.published_at AS published_at,
                    COUNT(*) OVER () AS total
             FROM {from}
             WHERE {key} NOT IN (SELECT id FROM articles WHERE removed_at IS NOT NULL)
               AND {filters}
             ORDER BY score DESC, published_at DESC, id DESC
             LIMIT {limit_p} OFFSET {offset_p}
         ) r
         JOIN articles a ON a.id = r.id
         JOIN authors au ON au.id = a.author_id
         JOIN article_search t ON {other_key} = r.id
         ORDER BY r.score DESC, r.published_at DESC, r.id DESC",
        filters = filters.join(" AND "),
        score = score.join(" + "),
    );
    let mut query = sqlx::query_as::<_, Hit>(sqlx::AssertSqlSafe(sql));
    for value in binds {
        query = match value {
            Bind::Text(text) => query.bind(text),
            Bind::Int(n) => query.bind(n),
        };
    }
    query.fetch_all(pool).await
}

/// A value bound to a numbered placeholder.
enum Bind {
    Text(String),
    Int(i64),
}

/// Text as the index keeps it and queries look for it: lower-cased (every script that has
/// case), so that matching needs no case folding in SQL.
pub fn fold(text: &str) -> String {
    text.to_lowercase()
}

/// `term` with LIKE's wildcards and its escape character taken literally.
fn escape_like(term: &str) -> String {
    let mut out = String::with_capacity(term.len());
    for c in term.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The index table's column holding the article's id: SQLite's FTS5 table keys rows by rowid.
fn index_key(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "rowid",
        Backend::Postgres => "article_id",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_are_literal() {
        assert_eq!(escape_like("100%_a\\b"), "100\\%\\_a\\\\b");
        assert_eq!(escape_like("大厂"), "大厂");
    }

    #[test]
    fn folding_lowers_every_cased_script() {
        assert_eq!(fold("SQLite ÉTÉ 大厂"), "sqlite été 大厂");
    }
}
