//! Comment storage: one portable SQL contract for SQLite and PostgreSQL.
//!
//! Counters are kept in the same transaction as the rows they count: `articles.comment_count`
//! (comments shown, placeholders not) and `comments.reply_count` (direct replies stored), so
//! pages never count rows. A page of threads is three indexed queries whatever the size of
//! the discussion: the top-level comments of the page, then each level of replies below them.

use sqlx::AssertSqlSafe;

use super::{
    build_threads, Comment, CommentBody, Deleted, Sort, Thread, LEVELS_PER_PAGE, ROOTS_PER_PAGE,
};
use crate::db::Pool;

/// Who is reading: decides `mine`, `can_delete` and whether the Markdown is sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Viewer {
    /// The signed-in reader.
    pub user_id: Option<i64>,
    /// Whether they are an admin.
    pub admin: bool,
}

impl Viewer {
    /// The reader of the request being served.
    pub fn from_session() -> Self {
        match crate::accounts::session::current_user() {
            Some(user) => Self {
                user_id: Some(user.id),
                admin: user.role == crate::accounts::Role::Admin,
            },
            None => Self::default(),
        }
    }
}

/// What the discussion needs to know about an article.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ArticleRef {
    /// Row id.
    pub id: i64,
    /// URL slug.
    pub slug: String,
    /// Title.
    pub title: String,
    /// Comments shown.
    pub comment_count: i64,
}

/// The article with `slug`.
pub async fn find_article(pool: &Pool, slug: &str) -> sqlx::Result<Option<ArticleRef>> {
    sqlx::query_as("SELECT id, slug, title, comment_count FROM articles WHERE slug = $1")
        .bind(slug)
        .fetch_optional(pool)
        .await
}

/// Comments shown on the article `article_id`.
pub async fn comment_count(pool: &Pool, article_id: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT comment_count FROM articles WHERE id = $1")
        .bind(article_id)
        .fetch_one(pool)
        .await
}

/// A comment's facts for authorisation and navigation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Row id.
    pub id: i64,
    /// Its article.
    pub article_id: i64,
    /// Its article's slug.
    pub article_slug: String,
    /// Its author.
    pub user_id: i64,
    /// The comment it answers.
    pub parent_id: Option<i64>,
    /// 0 for top-level.
    pub depth: i64,
    /// Posting time.
    pub created_at: i64,
    /// Whether it is a "[deleted]" placeholder.
    pub deleted: bool,
}

type RecordRow = (i64, i64, String, i64, Option<i64>, i64, i64, Option<i64>);

/// The comment `id`, placeholders included.
pub async fn record(pool: &Pool, id: i64) -> sqlx::Result<Option<Record>> {
    let row: Option<RecordRow> = sqlx::query_as(
        "SELECT c.id, c.article_id, a.slug, c.user_id, c.parent_id, c.depth, c.created_at, c.deleted_at
         FROM comments c JOIN articles a ON a.id = c.article_id WHERE c.id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(
        |(id, article_id, article_slug, user_id, parent_id, depth, created_at, deleted_at)| {
            Record {
                id,
                article_id,
                article_slug,
                user_id,
                parent_id,
                depth,
                created_at,
                deleted: deleted_at.is_some(),
            }
        },
    ))
}

#[derive(Debug, sqlx::FromRow)]
struct CommentRow {
    id: i64,
    parent_id: Option<i64>,
    depth: i64,
    user_id: i64,
    author_name: String,
    parent_author: Option<String>,
    created_at: i64,
    edited_at: Option<i64>,
    deleted_at: Option<i64>,
    body_html: String,
    body_markdown: String,
    reply_count: i64,
}

impl CommentRow {
    fn into_comment(self, viewer: &Viewer, now: i64) -> Comment {
        let deleted = self.deleted_at.is_some();
        let mine = viewer.user_id == Some(self.user_id);
        let mut comment = Comment {
            id: self.id,
            parent_id: self.parent_id,
            depth: self.depth,
            author_name: if deleted {
                String::new()
            } else {
                self.author_name
            },
            parent_author: self.parent_author,
            created_at: self.created_at,
            edited_at: self.edited_at,
            deleted,
            body_html: if deleted {
                String::new()
            } else {
                self.body_html
            },
            body_markdown: String::new(),
            reply_count: self.reply_count,
            mine: mine && !deleted,
            can_delete: !deleted && (mine || viewer.admin),
        };
        // The Markdown only travels to the one reader who can still edit it.
        if comment.can_edit(now) {
            comment.body_markdown = self.body_markdown;
        }
        comment
    }
}

/// Columns of a [`CommentRow`] for a query over `comments c` joined with [`JOINS`].
const COLUMNS: &str = "c.id, c.parent_id, c.depth, c.user_id, u.name AS author_name,
    CASE WHEN p.deleted_at IS NULL THEN pu.name END AS parent_author,
    c.created_at, c.edited_at, c.deleted_at, c.body_html, c.body_markdown, c.reply_count";
const JOINS: &str = "JOIN users u ON u.id = c.user_id
    LEFT JOIN comments p ON p.id = c.parent_id
    LEFT JOIN users pu ON pu.id = p.user_id";

fn into_comments(rows: Vec<CommentRow>, viewer: &Viewer, now: i64) -> Vec<Comment> {
    rows.into_iter()
        .map(|r| r.into_comment(viewer, now))
        .collect()
}

/// The replies of `parents`, and theirs, `levels` levels down: one indexed query a level.
///
/// Level by level rather than one recursive query: the plan is the same simple index lookup
/// on every backend and SQLite version (a recursive CTE was planned into a 40 ms scan by
/// SQLite 3.51 on a 100,000-comment table).
async fn descendants(
    pool: &Pool,
    mut parents: Vec<i64>,
    levels: i64,
) -> sqlx::Result<Vec<CommentRow>> {
    let mut found = Vec::new();
    for _ in 0..levels {
        if parents.is_empty() {
            break;
        }
        let placeholders = (1..=parents.len())
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {COLUMNS} FROM comments c {JOINS} WHERE c.parent_id IN ({placeholders})"
        );
        let mut query = sqlx::query_as::<_, CommentRow>(AssertSqlSafe(sql));
        for id in &parents {
            query = query.bind(*id);
        }
        let rows = query.fetch_all(pool).await?;
        parents = rows.iter().map(|r| r.id).collect();
        found.extend(rows);
    }
    Ok(found)
}

/// One page of an article's top-level comments with their threads, and whether more follow.
pub async fn page_threads(
    pool: &Pool,
    article_id: i64,
    sort: Sort,
    page: u32,
    viewer: &Viewer,
    now: i64,
) -> sqlx::Result<(Vec<Thread>, bool)> {
    let direction = match sort {
        Sort::Oldest => "ASC",
        Sort::Newest => "DESC",
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM comments c {JOINS}
         WHERE c.article_id = $1 AND c.parent_id IS NULL
         ORDER BY c.created_at {direction}, c.id {direction}
         LIMIT $2 OFFSET $3"
    );
    let mut roots: Vec<CommentRow> = sqlx::query_as(AssertSqlSafe(sql))
        .bind(article_id)
        .bind(ROOTS_PER_PAGE + 1)
        .bind(i64::from(page.max(1) - 1) * ROOTS_PER_PAGE)
        .fetch_all(pool)
        .await?;
    let has_more = roots.len() > ROOTS_PER_PAGE as usize;
    roots.truncate(ROOTS_PER_PAGE as usize);
    let below = descendants(
        pool,
        roots.iter().map(|r| r.id).collect(),
        LEVELS_PER_PAGE - 1,
    )
    .await?;
    Ok((
        build_threads(
            into_comments(roots, viewer, now),
            into_comments(below, viewer, now),
            LEVELS_PER_PAGE,
        ),
        has_more,
    ))
}

/// Comment `id` of the article `article_id` with its replies, three levels in all.
pub async fn sub_thread(
    pool: &Pool,
    article_id: i64,
    id: i64,
    viewer: &Viewer,
    now: i64,
) -> sqlx::Result<Option<Thread>> {
    let sql =
        format!("SELECT {COLUMNS} FROM comments c {JOINS} WHERE c.id = $1 AND c.article_id = $2");
    let root: Option<CommentRow> = sqlx::query_as(AssertSqlSafe(sql))
        .bind(id)
        .bind(article_id)
        .fetch_optional(pool)
        .await?;
    let Some(root) = root else {
        return Ok(None);
    };
    let below = descendants(pool, vec![root.id], LEVELS_PER_PAGE - 1).await?;
    Ok(build_threads(
        into_comments(vec![root], viewer, now),
        into_comments(below, viewer, now),
        LEVELS_PER_PAGE,
    )
    .into_iter()
    .next())
}

/// Comment `id` as `viewer` sees it.
pub async fn find(
    pool: &Pool,
    id: i64,
    viewer: &Viewer,
    now: i64,
) -> sqlx::Result<Option<Comment>> {
    let sql = format!("SELECT {COLUMNS} FROM comments c {JOINS} WHERE c.id = $1");
    let row: Option<CommentRow> = sqlx::query_as(AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(pool)
        .await?;
    Ok(row.map(|r| r.into_comment(viewer, now)))
}

/// The outcome of [`insert`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inserted {
    /// The new comment's id.
    Id(i64),
    /// The comment replied to does not exist (any more) on that article, or is deleted.
    ParentGone,
    /// The reader already posted as many comments as the limit allows in its window.
    RateLimited,
}

/// A posting limit: at most `limit` comments in `bucket` since `since` (ms since the epoch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit<'a> {
    /// Whose comments are counted, e.g. `comment:42`.
    pub bucket: &'a str,
    /// Start of the window.
    pub since: i64,
    /// Comments allowed in the window.
    pub limit: i64,
}

/// Stores a comment (a reply when `parent` is given) and counts it, within `rate` when given:
/// the limit's event and the comment are one transaction, one write.
#[expect(
    clippy::too_many_arguments,
    reason = "each is one fact of the new comment"
)]
pub async fn insert(
    pool: &Pool,
    article_id: i64,
    parent: Option<i64>,
    user_id: i64,
    body: &CommentBody,
    body_html: &str,
    now: i64,
    rate: Option<RateLimit<'_>>,
) -> sqlx::Result<Inserted> {
    let mut tx = pool.begin().await?;
    if let Some(rate) = rate {
        let allowed = crate::accounts::store::take_rate_limit_in(
            &mut tx,
            rate.bucket,
            now,
            rate.since,
            rate.limit,
        )
        .await?;
        if !allowed {
            return Ok(Inserted::RateLimited);
        }
    }
    let depth = match parent {
        Some(parent) => {
            // Counting the reply first locks the parent row, so a delete racing with this
            // insert either sees the reply or makes this update match nothing.
            let counted = sqlx::query(
                "UPDATE comments SET reply_count = reply_count + 1
                 WHERE id = $1 AND article_id = $2 AND deleted_at IS NULL",
            )
            .bind(parent)
            .bind(article_id)
            .execute(&mut *tx)
            .await?;
            if counted.rows_affected() == 0 {
                return Ok(Inserted::ParentGone);
            }
            let depth: i64 = sqlx::query_scalar("SELECT depth FROM comments WHERE id = $1")
                .bind(parent)
                .fetch_one(&mut *tx)
                .await?;
            depth + 1
        }
        None => 0,
    };
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO comments (article_id, parent_id, user_id, body_markdown, body_html, created_at, depth)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(article_id)
    .bind(parent)
    .bind(user_id)
    .bind(body.as_str())
    .bind(body_html)
    .bind(now)
    .bind(depth)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query("UPDATE articles SET comment_count = comment_count + 1 WHERE id = $1")
        .bind(article_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Inserted::Id(id))
}

/// Replaces the text of comment `id` if it is not deleted and was posted after
/// `posted_after`; returns whether it did.
pub async fn update_body(
    pool: &Pool,
    id: i64,
    body: &CommentBody,
    body_html: &str,
    now: i64,
    posted_after: i64,
) -> sqlx::Result<bool> {
    let result = sqlx::query(
        "UPDATE comments SET body_markdown = $2, body_html = $3, edited_at = $4
         WHERE id = $1 AND deleted_at IS NULL AND created_at > $5",
    )
    .bind(id)
    .bind(body.as_str())
    .bind(body_html)
    .bind(now)
    .bind(posted_after)
    .execute(pool)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Deletes comment `id`: kept as a placeholder (text erased) when it has replies, removed
/// otherwise, together with placeholders above it left without replies. `None` when there is
/// no such comment or it was already deleted.
pub async fn delete(pool: &Pool, id: i64, now: i64) -> sqlx::Result<Option<Deleted>> {
    let mut tx = pool.begin().await?;
    // Marking it first locks the row against a reply being attached meanwhile (see insert).
    let marked = sqlx::query(
        "UPDATE comments SET deleted_at = $2, body_markdown = '', body_html = ''
         WHERE id = $1 AND deleted_at IS NULL",
    )
    .bind(id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    if marked.rows_affected() == 0 {
        return Ok(None);
    }
    let (article_id, mut parent, reply_count): (i64, Option<i64>, i64) =
        sqlx::query_as("SELECT article_id, parent_id, reply_count FROM comments WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
    let placeholder = reply_count > 0;
    let mut removed = Vec::new();
    if !placeholder {
        sqlx::query("DELETE FROM comments WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        removed.push(id);
        // A placeholder exists only to hold replies: remove those left without any.
        while let Some(parent_id) = parent {
            let (grandparent, replies_left, deleted_at): (Option<i64>, i64, Option<i64>) =
                sqlx::query_as(
                    "UPDATE comments SET reply_count = reply_count - 1 WHERE id = $1
                     RETURNING parent_id, reply_count, deleted_at",
                )
                .bind(parent_id)
                .fetch_one(&mut *tx)
                .await?;
            if replies_left > 0 || deleted_at.is_none() {
                break;
            }
            sqlx::query("DELETE FROM comments WHERE id = $1")
                .bind(parent_id)
                .execute(&mut *tx)
                .await?;
            removed.push(parent_id);
            parent = grandparent;
        }
    }
    let total: i64 = sqlx::query_scalar(
        "UPDATE articles SET comment_count = comment_count - 1 WHERE id = $1 RETURNING comment_count",
    )
    .bind(article_id)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Some(Deleted {
        placeholder,
        removed,
        total,
    }))
}

/// The page where comment `id` is shown, with its anchor: the right page of the article's
/// discussion (oldest first) for the first three levels, else the sub-thread page of its
/// ancestor that shows it.
pub async fn location(pool: &Pool, id: i64) -> sqlx::Result<Option<String>> {
    let Some(comment) = record(pool, id).await? else {
        return Ok(None);
    };
    let anchor = format!("#comment-{id}");
    let article = format!("/articles/{}", comment.article_slug);
    let step = LEVELS_PER_PAGE - 1;
    if comment.depth > step {
        let page_root_depth = step * ((comment.depth - 1) / step);
        let ancestor = ancestor(pool, id, comment.depth - page_root_depth).await?;
        return Ok(Some(format!("{article}/comments/{ancestor}{anchor}")));
    }
    let root = ancestor(pool, id, comment.depth).await?;
    let (created_at, root_id): (i64, i64) =
        sqlx::query_as("SELECT created_at, id FROM comments WHERE id = $1")
            .bind(root)
            .fetch_one(pool)
            .await?;
    let before: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM comments
         WHERE article_id = $1 AND parent_id IS NULL
           AND (created_at < $2 OR (created_at = $2 AND id < $3))",
    )
    .bind(comment.article_id)
    .bind(created_at)
    .bind(root_id)
    .fetch_one(pool)
    .await?;
    let page = before / ROOTS_PER_PAGE + 1;
    Ok(Some(if page > 1 {
        format!("{article}?page={page}{anchor}")
    } else {
        format!("{article}{anchor}")
    }))
}

/// The ancestor `levels` steps above comment `id` (`id` itself for 0).
async fn ancestor(pool: &Pool, id: i64, levels: i64) -> sqlx::Result<i64> {
    let mut current = id;
    for _ in 0..levels {
        let parent: Option<i64> =
            sqlx::query_scalar("SELECT parent_id FROM comments WHERE id = $1")
                .bind(current)
                .fetch_one(pool)
                .await?;
        match parent {
            Some(parent) => current = parent,
            None => break,
        }
    }
    Ok(current)
}
