//! Comment storage: one portable SQL contract for SQLite and PostgreSQL.
//!
//! Counters are kept in the same transaction as the rows they count: `articles.comment_count`
//! (comments shown, placeholders not) and `comments.reply_count` (direct replies stored), so
//! pages never count rows. A page of threads is three indexed queries whatever the size of
//! the discussion: the top-level comments of the page, then each level of replies below them.

use sqlx::{Acquire, Any, AssertSqlSafe, Executor};

use super::{
    build_threads, Comment, CommentBody, Deleted, Sort, Thread, LEVELS_PER_PAGE,
    REPLIES_PER_COMMENT, REPLIES_PER_LEVEL, ROOTS_PER_PAGE,
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
    sqlx::query_as("SELECT id, slug, title, comment_count FROM articles WHERE slug = $1 AND removed_at IS NULL")
        .bind(slug)
        .fetch_optional(pool)
        .await
}

/// Comments shown on the article `article_id`.
pub async fn comment_count<'e>(
    db: impl Executor<'e, Database = Any>,
    article_id: i64,
) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT comment_count FROM articles WHERE id = $1")
        .bind(article_id)
        .fetch_one(db)
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
    /// Whether a moderator hid it.
    pub hidden: bool,
}

type RecordRow = (
    i64,
    i64,
    String,
    i64,
    Option<i64>,
    i64,
    i64,
    Option<i64>,
    Option<i64>,
);

/// The comment `id`, placeholders included.
pub async fn record(pool: &Pool, id: i64) -> sqlx::Result<Option<Record>> {
    let row: Option<RecordRow> = sqlx::query_as(
        "SELECT c.id, c.article_id, a.slug, c.user_id, c.parent_id, c.depth, c.created_at,
             c.deleted_at, c.hidden_at
         FROM comments c JOIN articles a ON a.id = c.article_id WHERE c.id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(
        |(
            id,
            article_id,
            article_slug,
            user_id,
            parent_id,
            depth,
            created_at,
            deleted_at,
            hidden_at,
        )| {
            Record {
                id,
                article_id,
                article_slug,
                user_id,
                parent_id,
                depth,
                created_at,
                deleted: deleted_at.is_some(),
                hidden: hidden_at.is_some(),
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
    hidden_at: Option<i64>,
    body_html: String,
    body_markdown: String,
    reply_count: i64,
}

impl CommentRow {
    fn into_comment(self, viewer: &Viewer, now: i64) -> Comment {
        let deleted = self.deleted_at.is_some();
        let hidden = self.hidden_at.is_some() && !deleted;
        // A hidden comment shows nothing of itself: "[removed by a moderator]".
        let blank = deleted || hidden;
        let mine = viewer.user_id == Some(self.user_id);
        let mut comment = Comment {
            id: self.id,
            parent_id: self.parent_id,
            depth: self.depth,
            author_name: if blank {
                String::new()
            } else {
                self.author_name
            },
            parent_author: self.parent_author,
            created_at: self.created_at,
            edited_at: self.edited_at,
            deleted,
            hidden,
            held: false,
            body_html: if blank { String::new() } else { self.body_html },
            body_markdown: String::new(),
            reply_count: self.reply_count,
            mine: mine && !blank,
            can_delete: !blank && (mine || viewer.admin),
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
    c.created_at, c.edited_at, c.deleted_at, c.hidden_at, c.body_html, c.body_markdown, c.reply_count";
const JOINS: &str = "JOIN users u ON u.id = c.user_id
    LEFT JOIN comments p ON p.id = c.parent_id
    LEFT JOIN users pu ON pu.id = p.user_id";

fn into_comments(rows: Vec<CommentRow>, viewer: &Viewer, now: i64) -> Vec<Comment> {
    rows.into_iter()
        .map(|r| r.into_comment(viewer, now))
        .collect()
}

/// Replies a page shows under each of `parents` comments of one level: ten, fewer when there
/// are more than 50 of them, so the level holds at most [`REPLIES_PER_LEVEL`] (or one each).
fn replies_shown_each(parents: usize) -> i64 {
    let parents = i64::try_from(parents.max(1)).unwrap_or(i64::MAX);
    (REPLIES_PER_LEVEL / parents).clamp(1, REPLIES_PER_COMMENT)
}

/// The first replies (oldest first, [`replies_shown_each`]) of each of `parents`, and theirs,
/// `levels` levels down: one indexed query a level, whatever the number of replies stored.
///
/// The parents of a level are at most the page's comments times the cap, so their ids are
/// bound one by one. Per parent, a subquery finds the last reply shown (the cap-th, by the
/// `comments_by_parent` index), and the replies are read as one index range up to it.
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
        let shown_each = replies_shown_each(parents.len());
        let placeholders = (1..=parents.len())
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ");
        // Materialised, so each parent's cutoff is looked up once and the replies are then
        // one index range per parent (inlined, PostgreSQL re-ran the lookup for every reply).
        let sql = format!(
            "WITH shown AS MATERIALIZED (
                 SELECT parent.id AS parent_id,
                     COALESCE(cutoff.created_at, {max}) AS cut_at,
                     COALESCE(cutoff.id, {max}) AS cut_id
                 FROM comments parent
                 LEFT JOIN comments cutoff ON cutoff.id = (
                     SELECT r.id FROM comments r WHERE r.parent_id = parent.id
                     ORDER BY r.created_at, r.id LIMIT 1 OFFSET {last})
                 WHERE parent.id IN ({placeholders})
             )
             SELECT {COLUMNS} FROM shown
             JOIN comments c ON c.parent_id = shown.parent_id
                 AND (c.created_at, c.id) <= (shown.cut_at, shown.cut_id)
             {JOINS}",
            last = shown_each - 1,
            max = i64::MAX,
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
    let (roots, has_more) = page_of(
        pool,
        "article_id = $1 AND parent_id IS NULL",
        article_id,
        direction,
        page,
    )
    .await?;
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

/// Page `page` (from 1) of [`ROOTS_PER_PAGE`] comments: those `filter` selects (with `$1`
/// bound to `key`) in `direction` of posting, and whether more follow. The page is chosen on
/// the index alone, then joined: joining first would join every row the offset skips (50 ms
/// at page 2,000 of 100,000 comments on SQLite).
async fn page_of(
    pool: &Pool,
    filter: &str,
    key: i64,
    direction: &str,
    page: u32,
) -> sqlx::Result<(Vec<CommentRow>, bool)> {
    let sql = format!(
        "SELECT {COLUMNS} FROM comments c {JOINS}
         WHERE c.id IN (
             SELECT id FROM comments WHERE {filter}
             ORDER BY created_at {direction}, id {direction} LIMIT $2 OFFSET $3)
         ORDER BY c.created_at {direction}, c.id {direction}"
    );
    let mut rows: Vec<CommentRow> = sqlx::query_as(AssertSqlSafe(sql))
        .bind(key)
        .bind(ROOTS_PER_PAGE + 1)
        .bind(i64::from(page.max(1) - 1) * ROOTS_PER_PAGE)
        .fetch_all(pool)
        .await?;
    let more = rows.len() > ROOTS_PER_PAGE as usize;
    rows.truncate(ROOTS_PER_PAGE as usize);
    Ok((rows, more))
}

/// Page `page` of the sub-thread page of comment `id` (of the article `article_id`): the
/// comment, [`ROOTS_PER_PAGE`] of its replies (oldest first) and theirs, and whether more
/// replies follow.
pub async fn sub_thread(
    pool: &Pool,
    article_id: i64,
    id: i64,
    page: u32,
    viewer: &Viewer,
    now: i64,
) -> sqlx::Result<Option<(Thread, bool)>> {
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
    let (replies, has_more) = page_of(pool, "parent_id = $1", id, "ASC", page).await?;
    let mut below = descendants(
        pool,
        replies.iter().map(|r| r.id).collect(),
        LEVELS_PER_PAGE - 2,
    )
    .await?;
    below.extend(replies);
    Ok(build_threads(
        into_comments(vec![root], viewer, now),
        into_comments(below, viewer, now),
        LEVELS_PER_PAGE,
    )
    .into_iter()
    .next()
    .map(|thread| (thread, has_more)))
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
/// the limit's event and the comment are one transaction, one write. Its author now follows
/// the discussion, and whoever it concerns is notified, in the same transaction.
#[expect(
    clippy::too_many_arguments,
    reason = "each is one fact of the new comment"
)]
pub async fn insert<'a>(
    db: impl Acquire<'a, Database = Any>,
    article_id: i64,
    parent: Option<i64>,
    user_id: i64,
    body: &CommentBody,
    body_html: &str,
    now: i64,
    rate: Option<RateLimit<'_>>,
) -> sqlx::Result<Inserted> {
    let new = NewComment {
        article_id,
        parent,
        user_id,
        body,
        body_html,
        now,
    };
    insert_comment(db, new, rate, true).await
}

/// Stores a comment that is history, not news (the benchmark generator's 100,000-comment
/// thread): counted like any other, but nobody is notified and its author follows nothing.
/// Fanning each of those comments out to every follower would make the generator write
/// hundreds of millions of notifications.
pub async fn insert_history<'a>(
    db: impl Acquire<'a, Database = Any>,
    article_id: i64,
    parent: Option<i64>,
    user_id: i64,
    body: &CommentBody,
    body_html: &str,
    at: i64,
) -> sqlx::Result<Inserted> {
    let new = NewComment {
        article_id,
        parent,
        user_id,
        body,
        body_html,
        now: at,
    };
    insert_comment(db, new, None, false).await
}

/// The facts of a comment being stored.
struct NewComment<'b> {
    article_id: i64,
    parent: Option<i64>,
    user_id: i64,
    body: &'b CommentBody,
    body_html: &'b str,
    now: i64,
}

async fn insert_comment<'a>(
    db: impl Acquire<'a, Database = Any>,
    new: NewComment<'_>,
    rate: Option<RateLimit<'_>>,
    notify: bool,
) -> sqlx::Result<Inserted> {
    let NewComment {
        article_id,
        parent,
        user_id,
        body,
        body_html,
        now,
    } = new;
    let mut tx = db.begin().await?;
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
    // In the same transaction: a comment that fails to post notifies nobody.
    if notify {
        crate::notifications::store::notify_for_comment(
            &mut tx, id, article_id, parent, user_id, now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(Inserted::Id(id))
}

/// Replaces the text of comment `id` if it is not deleted and was posted after
/// `posted_after`; returns whether it did.
pub async fn update_body<'e>(
    db: impl Executor<'e, Database = Any>,
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
    .execute(db)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Deletes comment `id`: kept as a placeholder (text erased) when it has replies, removed
/// otherwise, together with placeholders above it left without replies. `None` when there is
/// no such comment or it was already deleted.
pub async fn delete<'a>(
    db: impl Acquire<'a, Database = Any>,
    id: i64,
    now: i64,
) -> sqlx::Result<Option<Deleted>> {
    let mut tx = db.begin().await?;
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

/// Where a comment sits among its siblings.
#[derive(Debug, Clone, Copy)]
struct Place {
    id: i64,
    parent_id: Option<i64>,
    created_at: i64,
}

async fn place(pool: &Pool, id: i64) -> sqlx::Result<Place> {
    let (id, parent_id, created_at) =
        sqlx::query_as("SELECT id, parent_id, created_at FROM comments WHERE id = $1")
            .bind(id)
            .fetch_one(pool)
            .await?;
    Ok(Place {
        id,
        parent_id,
        created_at,
    })
}

/// How many replies to the same parent come before `place` (oldest first), counting no
/// further than `limit`: one range of the `comments_by_parent` index.
async fn replies_before(pool: &Pool, place: Place, limit: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM (
             SELECT 1 FROM comments
             WHERE parent_id = $1 AND (created_at, id) < ($2, $3)
             LIMIT $4
         ) earlier",
    )
    .bind(place.parent_id)
    .bind(place.created_at)
    .bind(place.id)
    .bind(limit)
    .fetch_one(pool)
    .await
}

/// Whether `place` is among the first `shown` replies of its parent.
async fn among_first(pool: &Pool, place: Place, shown: i64) -> sqlx::Result<bool> {
    Ok(replies_before(pool, place, shown).await? < shown)
}

/// `?page=N`, or nothing for the first page.
fn page_query(rows_before: i64) -> String {
    match rows_before / ROOTS_PER_PAGE + 1 {
        1 => String::new(),
        page => format!("?page={page}"),
    }
}

/// The page where comment `id` is shown, with its anchor. The first three levels of a thread
/// are on the article's discussion (oldest first), deeper ones on the sub-thread page that
/// "Continue this thread" leads to (rooted every second level), as long as each reply on the
/// way is among the replies its parent shows there ([`replies_shown_each`]). A comment further
/// down a long list of replies is on its parent's sub-thread page, which lists them all, paged.
pub async fn location(pool: &Pool, id: i64) -> sqlx::Result<Option<String>> {
    let Some(comment) = record(pool, id).await? else {
        return Ok(None);
    };
    let anchor = format!("#comment-{id}");
    let article = format!("/articles/{}", comment.article_slug);
    let step = LEVELS_PER_PAGE - 1;
    let top_depth = if comment.depth <= step {
        0
    } else {
        step * ((comment.depth - 1) / step)
    };
    // The comment and its ancestors up to the top of the page that would show it, top first.
    let mut chain = vec![place(pool, id).await?];
    for _ in top_depth..comment.depth {
        match chain.last().and_then(|p| p.parent_id) {
            Some(parent) => chain.push(place(pool, parent).await?),
            None => break,
        }
    }
    chain.reverse();
    let top = chain[0];
    // Below a page's top level (at most 50 comments) every comment shows ten replies.
    let first_level = replies_shown_each(ROOTS_PER_PAGE as usize);
    if top_depth == 0 {
        let before: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM comments
             WHERE article_id = $1 AND parent_id IS NULL AND (created_at, id) < ($2, $3)",
        )
        .bind(comment.article_id)
        .bind(top.created_at)
        .bind(top.id)
        .fetch_one(pool)
        .await?;
        let shown = match chain.get(1) {
            None => true,
            Some(reply) if !among_first(pool, *reply, first_level).await? => false,
            Some(_) => match chain.get(2) {
                None => true,
                Some(reply) => {
                    let second_level =
                        second_level_shown_each(pool, comment.article_id, before).await?;
                    among_first(pool, *reply, second_level).await?
                }
            },
        };
        if shown {
            return Ok(Some(format!("{article}{}{anchor}", page_query(before))));
        }
    } else if let Some(first) = chain.get(1) {
        // The top's own replies are all listed, paged; below them the cap applies.
        let shown = match chain.get(2) {
            None => true,
            Some(reply) => among_first(pool, *reply, first_level).await?,
        };
        if shown {
            let before = replies_before(pool, *first, i64::MAX).await?;
            return Ok(Some(format!(
                "{article}/comments/{}{}{anchor}",
                top.id,
                page_query(before)
            )));
        }
    }
    let own = chain[chain.len() - 1];
    let Some(parent) = own.parent_id else {
        // A top-level comment is always shown on the article's page (above).
        return Ok(None);
    };
    let before = replies_before(pool, own, i64::MAX).await?;
    Ok(Some(format!(
        "{article}/comments/{parent}{}{anchor}",
        page_query(before)
    )))
}

/// Replies each second-level comment shows on the page of the article's discussion (oldest
/// first) whose top-level comments start after `roots_before`: it depends on how many
/// first-level replies that page shows.
async fn second_level_shown_each(
    pool: &Pool,
    article_id: i64,
    roots_before: i64,
) -> sqlx::Result<i64> {
    let first_level = replies_shown_each(ROOTS_PER_PAGE as usize);
    let replies: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(CASE WHEN reply_count < $3 THEN reply_count ELSE $3 END), 0)
                 AS BIGINT)
         FROM comments WHERE id IN (
             SELECT id FROM comments WHERE article_id = $1 AND parent_id IS NULL
             ORDER BY created_at, id LIMIT $4 OFFSET $2)",
    )
    .bind(article_id)
    .bind(roots_before / ROOTS_PER_PAGE * ROOTS_PER_PAGE)
    .bind(first_level)
    .bind(ROOTS_PER_PAGE)
    .fetch_one(pool)
    .await?;
    Ok(replies_shown_each(
        usize::try_from(replies).unwrap_or(usize::MAX),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_level_shows_ten_replies_each_until_it_would_pass_five_hundred() {
        assert_eq!(replies_shown_each(0), 10);
        assert_eq!(replies_shown_each(1), 10);
        assert_eq!(replies_shown_each(50), 10);
        assert_eq!(replies_shown_each(51), 9);
        assert_eq!(replies_shown_each(100), 5);
        assert_eq!(replies_shown_each(250), 2);
        assert_eq!(replies_shown_each(251), 1);
        assert_eq!(replies_shown_each(500), 1);
    }
}
