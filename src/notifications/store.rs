//! Notification storage: who follows which discussion, and who is told of which comment. One
//! portable SQL contract for SQLite and PostgreSQL.
//!
//! Notifications are written with the comment, in its transaction ([`notify_for_comment`]),
//! so a comment that fails to post notifies nobody. What a moderator hides later, or its
//! author deletes, is filtered out whenever notifications are read (joined with the comment),
//! so it leaves the list and the unread count at once, and comes back if it is restored.

use sqlx::{Any, AnyConnection, Executor};

use super::{FollowMode, Notification, NotificationKind};
use crate::db::Pool;

/// The notifications of reader `$1` they may see: of comments still shown (neither hidden
/// nor deleted) on articles still published. `n` is the notification, `c` its comment, `a`
/// its article; [`VISIBLE_WHERE`] follows any further joins.
const VISIBLE_FROM: &str = "FROM notifications n
     JOIN comments c ON c.id = n.comment_id
     JOIN articles a ON a.id = n.article_id";
/// The conditions of [`VISIBLE_FROM`].
const VISIBLE_WHERE: &str = "WHERE n.user_id = $1 AND c.hidden_at IS NULL
     AND c.deleted_at IS NULL AND a.removed_at IS NULL";

/// Tells the readers concerned of the new comment `comment_id` on `article_id` by
/// `author_id` (a reply to `parent_id` when given), in the transaction that stores it:
///
/// 1. its author now follows the discussion, unless they already follow or muted it (a mute
///    is kept);
/// 2. the author of the comment it answers gets a "reply" notification, unless that is the
///    poster or they muted the discussion;
/// 3. every reader following the discussion (not muted) gets a "comment" notification, except
///    the poster and whoever step 2 already told.
///
/// Nobody is told of their own comment. Running it twice for one comment changes nothing.
pub async fn notify_for_comment(
    conn: &mut AnyConnection,
    comment_id: i64,
    article_id: i64,
    parent_id: Option<i64>,
    author_id: i64,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO discussion_follows (user_id, article_id, muted_at, created_at)
         VALUES ($1, $2, NULL, $3) ON CONFLICT DO NOTHING",
    )
    .bind(author_id)
    .bind(article_id)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    if let Some(parent_id) = parent_id {
        // SQLite needs the WHERE to tell the upsert's ON CONFLICT from a join's ON.
        sqlx::query(
            "INSERT INTO notifications (user_id, comment_id, article_id, kind, created_at)
             SELECT p.user_id, $1, $2, 'reply', $3 FROM comments p
             WHERE p.id = $4 AND p.user_id <> $5 AND p.deleted_at IS NULL
               AND NOT EXISTS (
                   SELECT 1 FROM discussion_follows f
                   WHERE f.user_id = p.user_id AND f.article_id = $2 AND f.muted_at IS NOT NULL
               )
             ON CONFLICT DO NOTHING",
        )
        .bind(comment_id)
        .bind(article_id)
        .bind(now)
        .bind(parent_id)
        .bind(author_id)
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query(
        "INSERT INTO notifications (user_id, comment_id, article_id, kind, created_at)
         SELECT f.user_id, $1, $2, 'comment', $3 FROM discussion_follows f
         WHERE f.article_id = $2 AND f.muted_at IS NULL AND f.user_id <> $4
         ON CONFLICT DO NOTHING",
    )
    .bind(comment_id)
    .bind(article_id)
    .bind(now)
    .bind(author_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// How the reader `user_id` follows the discussion of `article_id`.
pub async fn follow_mode<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
    article_id: i64,
) -> sqlx::Result<FollowMode> {
    let row: Option<(Option<i64>,)> = sqlx::query_as(
        "SELECT muted_at FROM discussion_follows WHERE user_id = $1 AND article_id = $2",
    )
    .bind(user_id)
    .bind(article_id)
    .fetch_optional(db)
    .await?;
    Ok(match row {
        None => FollowMode::Replies,
        Some((None,)) => FollowMode::Following,
        Some((Some(_),)) => FollowMode::Muted,
    })
}

/// Sets how the reader `user_id` follows the discussion of `article_id`: one statement that
/// states the outcome, so repeating it (or racing with a comment that follows) changes
/// nothing more.
pub async fn set_follow_mode<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
    article_id: i64,
    mode: FollowMode,
    now: i64,
) -> sqlx::Result<()> {
    let query = match mode {
        FollowMode::Replies => {
            sqlx::query("DELETE FROM discussion_follows WHERE user_id = $1 AND article_id = $2")
                .bind(user_id)
                .bind(article_id)
                .execute(db)
                .await?;
            return Ok(());
        }
        FollowMode::Following => sqlx::query(
            "INSERT INTO discussion_follows (user_id, article_id, muted_at, created_at)
             VALUES ($1, $2, NULL, $3)
             ON CONFLICT (user_id, article_id) DO UPDATE SET muted_at = NULL",
        ),
        FollowMode::Muted => sqlx::query(
            "INSERT INTO discussion_follows (user_id, article_id, muted_at, created_at)
             VALUES ($1, $2, $3, $3)
             ON CONFLICT (user_id, article_id) DO UPDATE SET muted_at = excluded.muted_at",
        ),
    };
    query
        .bind(user_id)
        .bind(article_id)
        .bind(now)
        .execute(db)
        .await?;
    Ok(())
}

/// Unread notifications of `user_id` that are still shown.
pub async fn unread_count<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
) -> sqlx::Result<i64> {
    let sql = format!("SELECT COUNT(*) {VISIBLE_FROM} {VISIBLE_WHERE} AND n.read_at IS NULL");
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(user_id)
        .fetch_one(db)
        .await
}

type Row = (
    i64,
    String,
    i64,
    Option<i64>,
    i64,
    String,
    String,
    String,
    String,
);

/// `limit` notifications of `user_id` from the `offset`-th, newest first, each with its
/// comment's text and the `href` left empty (see [`super::get_notifications`]).
pub async fn page(
    pool: &Pool,
    user_id: i64,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<Notification>> {
    let sql = format!(
        "SELECT n.id, n.kind, n.created_at, n.read_at, c.id, c.body_html, u.name, a.slug, a.title
         {VISIBLE_FROM} JOIN users u ON u.id = c.user_id
         {VISIBLE_WHERE}
         ORDER BY n.id DESC LIMIT $2 OFFSET $3"
    );
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(user_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(pool)
        .await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, kind, created_at, read_at, comment_id, body_html, author_name, slug, title)| {
                Notification {
                    id,
                    kind: if kind == "reply" {
                        NotificationKind::Reply
                    } else {
                        NotificationKind::Comment
                    },
                    created_at,
                    unread: read_at.is_none(),
                    comment_id,
                    excerpt: super::excerpt(&body_html),
                    author_name,
                    article_slug: slug,
                    article_title: title,
                    href: String::new(),
                }
            },
        )
        .collect())
}

/// Marks every notification of `user_id` up to `through` (a notification id; all when
/// `None`) as read at `now`; returns how many were unread.
pub async fn mark_all_read<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
    through: Option<i64>,
    now: i64,
) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "UPDATE notifications SET read_at = $2
         WHERE user_id = $1 AND read_at IS NULL AND id <= $3",
    )
    .bind(user_id)
    .bind(now)
    .bind(through.unwrap_or(i64::MAX))
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}
