//! Moderation storage: reports, hidden and held comments, suspensions' targets, the public
//! log and takedown requests. One portable SQL contract for SQLite and PostgreSQL; every
//! function takes its pool or connection.

use sqlx::{Any, Executor};

use super::{
    HeldItem, LogEntry, ReportReason, ReportView, ReportedItem, TakedownAdminItem, TakedownStatus,
    TakedownView,
};
use crate::db::Pool;

/// The outcome of [`report`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reported {
    /// The report is stored.
    Sent,
    /// This reader already reported this comment.
    Duplicate,
    /// The reader used up their reports for the hour.
    RateLimited,
}

/// Stores a report of comment `comment_id` by `reporter_id`, within the reader's hourly
/// limit: the report and the limit's slot are one transaction, and a duplicate takes no slot.
pub async fn report(
    pool: &Pool,
    comment_id: i64,
    reporter_id: i64,
    reason: ReportReason,
    note: &str,
    now: i64,
    per_hour: i64,
) -> sqlx::Result<Reported> {
    let mut tx = pool.begin().await?;
    let inserted = sqlx::query(
        "INSERT INTO reports (comment_id, reporter_id, reason, note, created_at)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (comment_id, reporter_id) DO NOTHING",
    )
    .bind(comment_id)
    .bind(reporter_id)
    .bind(reason.as_param())
    .bind(note)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() == 0 {
        return Ok(Reported::Duplicate);
    }
    let allowed = crate::accounts::store::take_rate_limit_in(
        &mut tx,
        &format!("report:{reporter_id}"),
        now,
        now - 60 * 60 * 1000,
        per_hour,
    )
    .await?;
    if !allowed {
        return Ok(Reported::RateLimited);
    }
    tx.commit().await?;
    Ok(Reported::Sent)
}

/// Reported comments with open reports, most reported first, then oldest report first.
pub async fn reported(pool: &Pool, limit: i64) -> sqlx::Result<Vec<ReportedItem>> {
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT r.comment_id, COUNT(*) AS n FROM reports r
         JOIN comments c ON c.id = r.comment_id
         WHERE r.resolved_at IS NULL AND c.hidden_at IS NULL AND c.deleted_at IS NULL
         GROUP BY r.comment_id
         ORDER BY n DESC, MIN(r.created_at) ASC, r.comment_id ASC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(pool)
    .await?;
    let mut items = Vec::with_capacity(rows.len());
    for (comment_id, _) in rows {
        if let Some(item) = queue_item(pool, comment_id, true).await? {
            items.push(item);
        }
    }
    Ok(items)
}

/// Comments hidden by a moderator, most recently hidden first.
pub async fn hidden(pool: &Pool, limit: i64) -> sqlx::Result<Vec<ReportedItem>> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM comments WHERE hidden_at IS NOT NULL AND deleted_at IS NULL
         ORDER BY hidden_at DESC, id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(pool)
    .await?;
    let mut items = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(item) = queue_item(pool, id, false).await? {
            items.push(item);
        }
    }
    Ok(items)
}

type ItemRow = (i64, String, String, String, String, i64, Option<i64>);

/// A comment as the queue shows it, with its reports (the open ones when `open_only`).
async fn queue_item(
    pool: &Pool,
    comment_id: i64,
    open_only: bool,
) -> sqlx::Result<Option<ReportedItem>> {
    let row: Option<ItemRow> = sqlx::query_as(
        "SELECT c.id, a.slug, a.title, u.name, c.body_html, c.created_at, c.hidden_at
         FROM comments c JOIN articles a ON a.id = c.article_id JOIN users u ON u.id = c.user_id
         WHERE c.id = $1",
    )
    .bind(comment_id)
    .fetch_optional(pool)
    .await?;
    let Some((id, article_slug, article_title, author_name, body_html, created_at, hidden_at)) =
        row
    else {
        return Ok(None);
    };
    let reports: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT reason, note, created_at FROM reports
         WHERE comment_id = $1 AND ($2 = 0 OR resolved_at IS NULL)
         ORDER BY created_at, id",
    )
    .bind(comment_id)
    .bind(i64::from(open_only))
    .fetch_all(pool)
    .await?;
    let href = crate::discussion::store::location(pool, id)
        .await?
        .unwrap_or_else(|| format!("/articles/{article_slug}#discussion"));
    Ok(Some(ReportedItem {
        id,
        article_slug,
        article_title,
        author_name,
        body_html,
        created_at,
        hidden: hidden_at.is_some(),
        href,
        reports: reports
            .into_iter()
            .map(|(reason, note, created_at)| ReportView {
                reason: ReportReason::from_param(&reason)
                    .unwrap_or(ReportReason::Other)
                    .label()
                    .to_owned(),
                note,
                created_at,
            })
            .collect(),
    }))
}

/// Marks the open reports of comment `id` resolved; returns how many were.
pub async fn resolve_reports<'e>(
    db: impl Executor<'e, Database = Any>,
    id: i64,
    now: i64,
) -> sqlx::Result<u64> {
    let result = sqlx::query(
        "UPDATE reports SET resolved_at = $2 WHERE comment_id = $1 AND resolved_at IS NULL",
    )
    .bind(id)
    .bind(now)
    .execute(db)
    .await?;
    Ok(result.rows_affected())
}

/// Hides comment `id` at `now` (or shows it again when `hide` is false); whether it changed.
pub async fn set_hidden<'e>(
    db: impl Executor<'e, Database = Any>,
    id: i64,
    hide: bool,
    now: i64,
) -> sqlx::Result<bool> {
    let result = if hide {
        sqlx::query(
            "UPDATE comments SET hidden_at = $2
             WHERE id = $1 AND hidden_at IS NULL AND deleted_at IS NULL",
        )
        .bind(id)
        .bind(now)
        .execute(db)
        .await?
    } else {
        sqlx::query(
            "UPDATE comments SET hidden_at = NULL
             WHERE id = $1 AND hidden_at IS NOT NULL AND deleted_at IS NULL",
        )
        .bind(id)
        .execute(db)
        .await?
    };
    Ok(result.rows_affected() == 1)
}

/// Appends an action to the public moderation log.
pub async fn log<'e>(
    db: impl Executor<'e, Database = Any>,
    entry: &LogEntry,
    moderator_id: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO moderation_log (created_at, moderator_id, action, target, target_href, reason)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(entry.created_at)
    .bind(moderator_id)
    .bind(&entry.action)
    .bind(&entry.target)
    .bind(entry.target_href.as_deref())
    .bind(&entry.reason)
    .execute(db)
    .await?;
    Ok(())
}

/// A page of the log (`per_page` entries after skipping `offset`), newest first, and whether
/// more follow.
pub async fn log_page(
    pool: &Pool,
    per_page: i64,
    offset: i64,
) -> sqlx::Result<(Vec<LogEntry>, bool)> {
    let rows: Vec<(i64, String, String, Option<String>, String)> = sqlx::query_as(
        "SELECT created_at, action, target, target_href, reason FROM moderation_log
         ORDER BY created_at DESC, id DESC LIMIT $1 OFFSET $2",
    )
    .bind(per_page + 1)
    .bind(offset)
    .fetch_all(pool)
    .await?;
    let more = rows.len() as i64 > per_page;
    Ok((
        rows.into_iter()
            .take(per_page as usize)
            .map(
                |(created_at, action, target, target_href, reason)| LogEntry {
                    created_at,
                    action,
                    target,
                    target_href,
                    reason,
                },
            )
            .collect(),
        more,
    ))
}

/// How many comments of `user_id` are published (held ones not counted).
pub async fn published_comments(pool: &Pool, user_id: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM comments WHERE user_id = $1")
        .bind(user_id)
        .fetch_one(pool)
        .await
}

/// A comment held for review, as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Held {
    /// Row id.
    pub id: i64,
    /// Its article.
    pub article_id: i64,
    /// The comment it answers.
    pub parent_id: Option<i64>,
    /// Its author.
    pub user_id: i64,
    /// The Markdown as typed.
    pub body_markdown: String,
    /// Its sanitised HTML.
    pub body_html: String,
    /// Why it waits (`links` or `new`).
    pub why: String,
    /// When it was posted.
    pub created_at: i64,
}

/// Stores a comment to wait for a moderator; returns its id.
pub async fn hold<'e>(db: impl Executor<'e, Database = Any>, held: &Held) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO held_comments
             (article_id, parent_id, user_id, body_markdown, body_html, why, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(held.article_id)
    .bind(held.parent_id)
    .bind(held.user_id)
    .bind(&held.body_markdown)
    .bind(&held.body_html)
    .bind(&held.why)
    .bind(held.created_at)
    .fetch_one(db)
    .await
}

const HELD_COLUMNS: &str =
    "id, article_id, parent_id, user_id, body_markdown, body_html, why, created_at";

/// The held comment `id`.
pub async fn find_held(pool: &Pool, id: i64) -> sqlx::Result<Option<Held>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {HELD_COLUMNS} FROM held_comments WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(pool)
    .await
}

/// The held comments of `user_id` on the article `article_id`, oldest first: only their
/// author sees them.
pub async fn held_of(pool: &Pool, article_id: i64, user_id: i64) -> sqlx::Result<Vec<Held>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {HELD_COLUMNS} FROM held_comments WHERE article_id = $1 AND user_id = $2
         ORDER BY created_at, id"
    )))
    .bind(article_id)
    .bind(user_id)
    .fetch_all(pool)
    .await
}

/// Removes held comment `id` (approved into a comment, or rejected); whether it was there.
pub async fn release_held<'e>(
    db: impl Executor<'e, Database = Any>,
    id: i64,
) -> sqlx::Result<bool> {
    let result = sqlx::query("DELETE FROM held_comments WHERE id = $1")
        .bind(id)
        .execute(db)
        .await?;
    Ok(result.rows_affected() == 1)
}

/// Every held comment, oldest first, as the queue shows it.
pub async fn held_queue(pool: &Pool, limit: i64) -> sqlx::Result<Vec<HeldItem>> {
    let rows: Vec<(i64, String, String, String, String, String, i64)> = sqlx::query_as(
        "SELECT h.id, a.slug, a.title, u.name, h.body_html, h.why, h.created_at
         FROM held_comments h JOIN articles a ON a.id = h.article_id JOIN users u ON u.id = h.user_id
         ORDER BY h.created_at, h.id LIMIT $1",
    )
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, article_slug, article_title, author_name, body_html, why, created_at)| HeldItem {
                id,
                article_slug,
                article_title,
                author_name,
                body_html,
                why: held_why(&why).to_owned(),
                created_at,
            },
        )
        .collect())
}

/// Why a comment waits, in words.
pub fn held_why(code: &str) -> &'static str {
    match code {
        "links" => "Many links",
        _ => "One of the reader's first comments",
    }
}

/// The author (id and name) of comment `id`, and its article's title.
pub async fn comment_target(
    pool: &Pool,
    id: i64,
) -> sqlx::Result<Option<(i64, String, String, String)>> {
    sqlx::query_as(
        "SELECT c.user_id, u.name, a.title, a.slug FROM comments c
         JOIN users u ON u.id = c.user_id JOIN articles a ON a.id = c.article_id
         WHERE c.id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await
}

/// A new takedown request, as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTakedown<'a> {
    /// The unguessable part of its status link.
    pub token: &'a str,
    /// The article it is about.
    pub article_id: i64,
    /// The requester's name.
    pub name: &'a str,
    /// Their email.
    pub email: &'a str,
    /// Their relationship to the work.
    pub relationship: &'a str,
    /// What infringes and why.
    pub claim: &'a str,
}

/// Stores a takedown request, within the client address's hourly limit (`None` past it);
/// returns its id.
pub async fn create_takedown(
    pool: &Pool,
    new: &NewTakedown<'_>,
    now: i64,
    bucket: &str,
    per_hour: i64,
) -> sqlx::Result<Option<i64>> {
    let mut tx = pool.begin().await?;
    let allowed = crate::accounts::store::take_rate_limit_in(
        &mut tx,
        bucket,
        now,
        now - 60 * 60 * 1000,
        per_hour,
    )
    .await?;
    if !allowed {
        return Ok(None);
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO takedowns
             (token, article_id, name, email, relationship, claim, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
    )
    .bind(new.token)
    .bind(new.article_id)
    .bind(new.name)
    .bind(new.email)
    .bind(new.relationship)
    .bind(new.claim)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Some(id))
}

type TakedownRow = (
    i64,
    String,
    String,
    String,
    String,
    Option<String>,
    i64,
    i64,
    String,
    String,
    String,
    String,
    Option<i64>,
    String,
);

const TAKEDOWN_COLUMNS: &str = "t.id, t.token, a.slug, a.title, t.status, t.reason, t.created_at,
    t.updated_at, t.name, t.email, t.relationship, t.claim, a.removed_at, au.handle";
const TAKEDOWN_JOINS: &str = "FROM takedowns t JOIN articles a ON a.id = t.article_id
    JOIN authors au ON au.id = a.author_id";

fn takedown_admin_item(row: TakedownRow) -> TakedownAdminItem {
    let (
        id,
        token,
        article_slug,
        article_title,
        status,
        reason,
        created_at,
        updated_at,
        name,
        email,
        relationship,
        claim,
        removed_at,
        author_handle,
    ) = row;
    TakedownAdminItem {
        view: TakedownView {
            reference: super::reference(id),
            token,
            article_slug,
            article_title,
            status: TakedownStatus::from_db(&status),
            reason,
            created_at,
            updated_at,
        },
        name,
        email,
        relationship,
        claim,
        article_removed: removed_at.is_some(),
        author_handle,
    }
}

/// The takedown request with status link `token`, with what admins see of it.
pub async fn find_takedown(pool: &Pool, token: &str) -> sqlx::Result<Option<TakedownAdminItem>> {
    let row: Option<TakedownRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {TAKEDOWN_COLUMNS} {TAKEDOWN_JOINS} WHERE t.token = $1"
    )))
    .bind(token)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(takedown_admin_item))
}

/// Takedown requests, newest first.
pub async fn takedowns(pool: &Pool, limit: i64) -> sqlx::Result<Vec<TakedownAdminItem>> {
    let rows: Vec<TakedownRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {TAKEDOWN_COLUMNS} {TAKEDOWN_JOINS} ORDER BY t.created_at DESC, t.id DESC LIMIT $1"
    )))
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(takedown_admin_item).collect())
}

/// Sets the status and reason of takedown request `token`.
pub async fn set_takedown_status<'e>(
    db: impl Executor<'e, Database = Any>,
    token: &str,
    status: TakedownStatus,
    reason: Option<&str>,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE takedowns SET status = $2, reason = $3, updated_at = $4 WHERE token = $1")
        .bind(token)
        .bind(status.as_db())
        .bind(reason)
        .bind(now)
        .execute(db)
        .await?;
    Ok(())
}

/// Unpublishes the article `slug` with `reason` (or publishes it again when `reason` is
/// `None`); whether it changed.
pub async fn set_removed<'e>(
    db: impl Executor<'e, Database = Any>,
    slug: &str,
    reason: Option<&str>,
    now: i64,
) -> sqlx::Result<bool> {
    let result = match reason {
        Some(reason) => {
            sqlx::query(
                "UPDATE articles SET removed_at = $2, removed_reason = $3
                 WHERE slug = $1 AND removed_at IS NULL",
            )
            .bind(slug)
            .bind(now)
            .bind(reason)
            .execute(db)
            .await?
        }
        None => {
            sqlx::query(
                "UPDATE articles SET removed_at = NULL, removed_reason = NULL
                 WHERE slug = $1 AND removed_at IS NOT NULL",
            )
            .bind(slug)
            .execute(db)
            .await?
        }
    };
    Ok(result.rows_affected() == 1)
}

/// The id and title of the article `slug` (published or not), for the takedown form.
pub async fn article_for_takedown(pool: &Pool, slug: &str) -> sqlx::Result<Option<(i64, String)>> {
    sqlx::query_as("SELECT id, title FROM articles WHERE slug = $1")
        .bind(slug)
        .fetch_optional(pool)
        .await
}

/// The slug and title of article `id`.
pub async fn article_by_id(pool: &Pool, id: i64) -> sqlx::Result<Option<(String, String)>> {
    sqlx::query_as("SELECT slug, title FROM articles WHERE id = $1")
        .bind(id)
        .fetch_optional(pool)
        .await
}

/// The display name of user `id`.
pub async fn user_name(pool: &Pool, id: i64) -> sqlx::Result<String> {
    sqlx::query_scalar("SELECT name FROM users WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
}

/// Whether user `id` is an admin.
pub async fn is_admin(pool: &Pool, id: i64) -> sqlx::Result<bool> {
    let role: Option<String> = sqlx::query_scalar("SELECT role FROM users WHERE id = $1")
        .bind(id)
        .fetch_optional(pool)
        .await?;
    Ok(role.as_deref() == Some("admin"))
}
