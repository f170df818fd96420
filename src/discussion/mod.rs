//! The discussion under an article: threaded comments with Markdown, replies, edits within
//! 15 minutes, deletion, ordering and pagination.
//!
//! Pages show three levels of a thread; a deeper reply is behind a "Continue this thread"
//! link to a page rooted at its ancestor (`/articles/{slug}/comments/{id}`). Under one
//! comment a page shows its first replies (ten, fewer on a crowded level), then "N more
//! replies" links to that comment's page, which lists every reply, paged. Every comment a
//! page shows is in its server-rendered HTML. The reader always comes from the session:
//! only a comment's author edits it; its author or an admin deletes it.

use leptos::prelude::*;
// Reads are GET: cacheable, and never mistaken for a write (see page_cache).
use leptos::server_fn::codec::GetUrl;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

pub mod body;
mod components;
#[cfg(feature = "ssr")]
pub mod store;

pub use body::CommentBody;
pub use components::{CommentThreadPage, Discussion};

/// Top-level comments on one page of a discussion, and replies on one page of a sub-thread.
pub const ROOTS_PER_PAGE: i64 = 50;
/// Replies a page shows under one comment at most (below the top of a sub-thread page); the
/// rest are behind "N more replies".
pub const REPLIES_PER_COMMENT: i64 = 10;
/// Replies a page shows on one level of its threads at most: under many comments, each shows
/// fewer (down to one), so a page holds at most 50 + 500 + 500 comments however its threads
/// grow (all 5,550 of a 50 × 10 × 10 page took 230 ms to serve).
pub const REPLIES_PER_LEVEL: i64 = 500;
/// Levels of a thread one page shows (a comment, its replies, and theirs).
pub const LEVELS_PER_PAGE: i64 = 3;
/// How long after posting its author may edit a comment, in ms.
pub const EDIT_WINDOW_MS: i64 = 15 * 60 * 1000;

/// Order of the top-level comments (replies are always oldest first, to read as a dialogue).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Sort {
    /// Oldest first (the default).
    #[default]
    Oldest,
    /// Newest first.
    Newest,
}

impl Sort {
    /// Reads the `sort` query parameter; anything but "newest" is the default.
    pub fn from_param(value: Option<&str>) -> Self {
        match value {
            Some("newest") => Self::Newest,
            _ => Self::Oldest,
        }
    }

    /// The `sort` query parameter value.
    pub fn as_param(self) -> &'static str {
        match self {
            Self::Oldest => "oldest",
            Self::Newest => "newest",
        }
    }
}

/// A comment as one reader sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    /// Row id (`#comment-{id}` on the page).
    pub id: i64,
    /// The comment it answers.
    pub parent_id: Option<i64>,
    /// 0 for a top-level comment, 1 for a reply to one, and so on.
    pub depth: i64,
    /// Its author's display name (empty once deleted).
    pub author_name: String,
    /// The display name of the author of the comment it answers (`None` when that one was
    /// deleted or it answers none).
    pub parent_author: Option<String>,
    /// Posting time, ms since the epoch.
    pub created_at: i64,
    /// Last edit, ms since the epoch.
    pub edited_at: Option<i64>,
    /// Deleted but kept as "[deleted]" because it has replies.
    pub deleted: bool,
    /// Hidden by a moderator: shown as "[removed by a moderator]", its replies kept.
    pub hidden: bool,
    /// Held by the spam guard until a moderator approves it: only its author sees it.
    pub held: bool,
    /// Sanitised HTML of the body (empty once deleted).
    pub body_html: String,
    /// The Markdown as typed: only sent to its author while they may still edit it.
    pub body_markdown: String,
    /// Direct replies stored (placeholders included).
    pub reply_count: i64,
    /// Whether the viewer wrote it.
    pub mine: bool,
    /// Whether the viewer may delete it (its author or an admin).
    pub can_delete: bool,
}

impl Comment {
    /// When its author can no longer edit it, ms since the epoch.
    pub fn editable_until(&self) -> i64 {
        self.created_at + EDIT_WINDOW_MS
    }

    /// Whether the viewer may edit it at `now`.
    pub fn can_edit(&self, now: i64) -> bool {
        self.mine && !self.deleted && !self.hidden && !self.held && now < self.editable_until()
    }
}

/// A comment with the replies a page shows under it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Thread {
    /// The comment.
    pub comment: Comment,
    /// Its replies shown on this page, oldest first.
    pub replies: Vec<Thread>,
}

/// One page of an article's discussion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommentPage {
    /// Top-level comments of this page with three levels of their threads.
    pub threads: Vec<Thread>,
    /// Order of the top-level comments.
    pub sort: Sort,
    /// 1-based page number.
    pub page: u32,
    /// Whether another page follows.
    pub has_more: bool,
    /// Comments of the article ("N Comments").
    pub total: i64,
    /// The server's clock when the page was read, so edit windows render the same text on
    /// the server and after hydration.
    pub now: i64,
    /// The newest change event when the page was read: its live stream resumes from there,
    /// so nothing committed between this read and the stream's start is missed.
    pub live_since: i64,
    /// The reader's own comments on the article that wait for a moderator (nobody else
    /// sees them).
    pub held: Vec<Comment>,
    /// How the signed-in reader follows the discussion ("Follow discussion"); `None` when
    /// signed out.
    pub follow: Option<crate::notifications::FollowMode>,
}

/// A sub-thread page: one comment, a page of its replies and two levels below them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadPage {
    /// The article's slug.
    pub slug: String,
    /// The article's title.
    pub title: String,
    /// The comment at the top of the page and its replies.
    pub thread: Thread,
    /// 1-based page of the top comment's replies.
    pub page: u32,
    /// Whether more of its replies follow.
    pub has_more: bool,
    /// Where the comment this thread continues from is shown.
    pub context_href: String,
    /// Comments of the article.
    pub total: i64,
    /// The server's clock when the page was read.
    pub now: i64,
    /// The newest change event when the page was read: its live stream resumes from there,
    /// so nothing committed between this read and the stream's start is missed.
    pub live_since: i64,
}

/// A comment just posted, and the article's new comment count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Posted {
    /// The new comment (`held` when it waits for a moderator, with the held comment's id).
    pub comment: Comment,
    /// Comments of the article now.
    pub total: i64,
}

/// What deleting a comment changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deleted {
    /// Whether the comment stays as a "[deleted]" placeholder (it has replies).
    pub placeholder: bool,
    /// Comments removed from the page: the comment itself unless it stays as a placeholder,
    /// and placeholders above it left without replies.
    pub removed: Vec<i64>,
    /// Comments of the article now.
    pub total: i64,
}

/// Arranges comments into threads: `roots` in the order given, each followed by its replies
/// (oldest first) found in `descendants`, down to `levels` levels in all. Comments whose
/// parent is not present are dropped: they belong to another page.
pub fn build_threads(
    roots: Vec<Comment>,
    mut descendants: Vec<Comment>,
    levels: i64,
) -> Vec<Thread> {
    use std::collections::HashMap;

    descendants.sort_by_key(|c| (c.created_at, c.id));
    let mut children: HashMap<i64, Vec<Comment>> = HashMap::new();
    for comment in descendants {
        if let Some(parent) = comment.parent_id {
            children.entry(parent).or_default().push(comment);
        }
    }
    fn attach(
        comment: Comment,
        children: &mut HashMap<i64, Vec<Comment>>,
        levels_left: i64,
    ) -> Thread {
        let replies = if levels_left > 1 {
            children
                .remove(&comment.id)
                .unwrap_or_default()
                .into_iter()
                .map(|reply| attach(reply, children, levels_left - 1))
                .collect()
        } else {
            Vec::new()
        };
        Thread { comment, replies }
    }
    roots
        .into_iter()
        .map(|root| attach(root, &mut children, levels))
        .collect()
}

// Discussion endpoints have stable paths (`/api/post_comment`, …): they are the public
// comment API that scripts and the benchmark call.

/// The page of an article's discussion: `sort` is "oldest" (default) or "newest", `page`
/// counts from 1.
#[server(endpoint = "get_comments", input = GetUrl)]
pub async fn get_comments(
    slug: String,
    sort: Option<String>,
    page: Option<u32>,
) -> Result<CommentPage, AppError> {
    let state = crate::state::app_state()?;
    let viewer = store::Viewer::from_session();
    // Read first: whatever commits after it reaches the page through its live stream.
    let live_since = crate::events::log::latest(&state.pool).await?;
    let article = store::find_article(&state.pool, &slug)
        .await?
        .ok_or(AppError::NotFound)?;
    crate::page_cache::shows(crate::page_cache::Shows::Article(&article.slug));
    let sort = Sort::from_param(sort.as_deref());
    let page = page.unwrap_or(1).clamp(1, 100_000);
    let now = crate::db::now_ms();
    let (threads, has_more) =
        store::page_threads(&state.pool, article.id, sort, page, &viewer, now).await?;
    let held = match viewer.user_id {
        Some(user_id) => crate::moderation::store::held_of(&state.pool, article.id, user_id)
            .await?
            .into_iter()
            .map(held_comment)
            .collect(),
        None => Vec::new(),
    };
    let follow = match viewer.user_id {
        Some(user_id) => {
            Some(crate::notifications::store::follow_mode(&state.pool, user_id, article.id).await?)
        }
        None => None,
    };
    Ok(CommentPage {
        threads,
        sort,
        page,
        has_more,
        total: article.comment_count,
        now,
        live_since,
        held,
        follow,
    })
}

/// The sub-thread of comment `id` under the article `slug`: `page` (from 1) of its replies.
#[server(endpoint = "get_comment_thread", input = GetUrl)]
pub async fn get_comment_thread(
    slug: String,
    id: i64,
    page: Option<u32>,
) -> Result<ThreadPage, AppError> {
    let state = crate::state::app_state()?;
    let viewer = store::Viewer::from_session();
    let live_since = crate::events::log::latest(&state.pool).await?;
    let article = store::find_article(&state.pool, &slug)
        .await?
        .ok_or(AppError::NotFound)?;
    crate::page_cache::shows(crate::page_cache::Shows::Article(&article.slug));
    let page = page.unwrap_or(1).clamp(1, 100_000);
    let now = crate::db::now_ms();
    let (thread, has_more) = store::sub_thread(&state.pool, article.id, id, page, &viewer, now)
        .await?
        .ok_or(AppError::NotFound)?;
    let context_href = store::location(&state.pool, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(ThreadPage {
        slug: article.slug,
        title: article.title,
        thread,
        page,
        has_more,
        context_href,
        total: article.comment_count,
        now,
        live_since,
    })
}

/// Comment `id` of the article `slug` as the reader sees it (their own, editable, deletable):
/// how an open page fetches a comment that a live event announced, posted or edited. Not
/// found when it is not on that article or is deleted.
#[server(endpoint = "get_comment", input = GetUrl)]
pub async fn get_comment(slug: String, id: i64) -> Result<Comment, AppError> {
    let state = crate::state::app_state()?;
    let record = store::record(&state.pool, id)
        .await?
        .filter(|r| r.article_slug == slug && !r.deleted)
        .ok_or(AppError::NotFound)?;
    let viewer = store::Viewer::from_session();
    store::find(&state.pool, record.id, &viewer, crate::db::now_ms())
        .await?
        .ok_or(AppError::NotFound)
}

#[cfg(feature = "ssr")]
use crate::events::Change;

/// A held comment as its author sees it.
#[cfg(feature = "ssr")]
fn held_comment(held: crate::moderation::store::Held) -> Comment {
    Comment {
        id: held.id,
        parent_id: held.parent_id,
        created_at: held.created_at,
        body_html: held.body_html,
        mine: true,
        held: true,
        ..Comment::default()
    }
}

/// Why a new comment must wait for a moderator, if it must: it holds more links than
/// `max_links_before_review`, or it is one of the reader's first `first_comments_held`.
/// Admins are never held.
#[cfg(feature = "ssr")]
async fn hold_reason(
    state: &crate::state::AppState,
    user: &crate::accounts::CurrentUser,
    text: &CommentBody,
    html: &str,
) -> Result<Option<&'static str>, AppError> {
    if user.role == crate::accounts::Role::Admin {
        return Ok(None);
    }
    let links = i64::try_from(body::link_count(text, html)).unwrap_or(i64::MAX);
    if links > state.config.max_links_before_review {
        return Ok(Some("links"));
    }
    let first = state.config.first_comments_held;
    if first > 0
        && crate::moderation::store::published_comments(&state.pool, user.id).await? < first
    {
        return Ok(Some("new"));
    }
    Ok(None)
}

/// Sends a reader without JavaScript to where comment `id` is shown; the hydrated page
/// updates in place, so nothing is looked up for it.
#[cfg(feature = "ssr")]
async fn back_to_comment(pool: &crate::db::Pool, id: i64) -> Result<(), AppError> {
    use crate::accounts::session;
    if session::is_form_post() {
        if let Some(location) = store::location(pool, id).await? {
            session::back_to_form(&location);
        }
    }
    Ok(())
}

/// Posts a comment on the article `slug`, or a reply to comment `parent`.
#[server(endpoint = "post_comment")]
pub async fn post_comment(
    slug: String,
    body: String,
    parent: Option<i64>,
) -> Result<Posted, AppError> {
    use crate::accounts::session;
    use crate::error::FormErrors;

    let user = session::require_user()?;
    let kept = |message: String| {
        let mut errors = FormErrors::default()
            .with("body", message)
            .keep("body", body.clone());
        if let Some(parent) = parent {
            errors = errors.keep("parent", parent.to_string());
        }
        AppError::Invalid(errors)
    };
    let text = CommentBody::parse(&body).map_err(kept)?;
    let state = crate::state::app_state()?;
    let article = store::find_article(&state.pool, &slug)
        .await?
        .ok_or(AppError::NotFound)?;
    let now = crate::db::now_ms();
    let limit = state.config.comments_per_minute;
    let bucket = format!("comment:{}", user.id);
    let rate = store::RateLimit {
        bucket: &bucket,
        since: now - 60_000,
        limit,
    };
    let html = body::render(&text);
    if let Some(why) = hold_reason(&state, &user, &text, &html).await? {
        return hold(&state, &article, parent, &user, &text, html, why, now, rate)
            .await
            .map_err(|err| match err {
                HoldRefused::ParentGone => kept(
                    "The comment you are replying to was deleted, so it cannot be answered any more"
                        .to_owned(),
                ),
                HoldRefused::RateLimited => kept(format!(
                    "You are commenting too fast: at most {limit} comments a minute. Wait a moment, then post again; your text is kept."
                )),
                HoldRefused::Failed(err) => err,
            });
    }
    let mut tx = state.pool.begin().await?;
    let inserted = store::insert(
        &mut tx,
        article.id,
        parent,
        user.id,
        &text,
        &html,
        now,
        Some(rate),
    )
    .await?;
    let id = match inserted {
        store::Inserted::Id(id) => id,
        store::Inserted::ParentGone => {
            return Err(kept(
                "The comment you are replying to was deleted, so it cannot be answered any more"
                    .to_owned(),
            ))
        }
        store::Inserted::RateLimited => {
            return Err(kept(format!(
                "You are commenting too fast: at most {limit} comments a minute. Wait a moment, then post again; your text is kept."
            )))
        }
    };
    let total = store::comment_count(&mut *tx, article.id).await?;
    let change = Change::CommentPosted {
        slug: article.slug,
        id,
        parent_id: parent,
        total,
    };
    state.events.commit(tx, change).await?;
    let viewer = store::Viewer::from_session();
    let comment = store::find(&state.pool, id, &viewer, now)
        .await?
        .ok_or(AppError::Internal)?;
    back_to_comment(&state.pool, id).await?;
    Ok(Posted { comment, total })
}

/// Why a comment could not be held.
#[cfg(feature = "ssr")]
enum HoldRefused {
    /// The comment it answers is gone.
    ParentGone,
    /// The reader is posting too fast.
    RateLimited,
    /// Anything else.
    Failed(AppError),
}

#[cfg(feature = "ssr")]
impl From<sqlx::Error> for HoldRefused {
    fn from(err: sqlx::Error) -> Self {
        Self::Failed(err.into())
    }
}

/// Keeps a new comment for a moderator (within the same posting limit as any comment):
/// nothing public changes, so no event is told.
#[cfg(feature = "ssr")]
#[expect(
    clippy::too_many_arguments,
    reason = "each is one fact of the new comment"
)]
async fn hold(
    state: &crate::state::AppState,
    article: &store::ArticleRef,
    parent: Option<i64>,
    user: &crate::accounts::CurrentUser,
    text: &CommentBody,
    html: String,
    why: &str,
    now: i64,
    rate: store::RateLimit<'_>,
) -> Result<Posted, HoldRefused> {
    use crate::moderation::store::Held;

    if let Some(parent) = parent {
        let answered = store::record(&state.pool, parent)
            .await?
            .filter(|p| p.article_id == article.id && !p.deleted);
        if answered.is_none() {
            return Err(HoldRefused::ParentGone);
        }
    }
    let mut tx = state.pool.begin().await?;
    let allowed = crate::accounts::store::take_rate_limit_in(
        &mut tx,
        rate.bucket,
        now,
        rate.since,
        rate.limit,
    )
    .await?;
    if !allowed {
        return Err(HoldRefused::RateLimited);
    }
    let mut held = Held {
        id: 0,
        article_id: article.id,
        parent_id: parent,
        user_id: user.id,
        body_markdown: text.as_str().to_owned(),
        body_html: html,
        why: why.to_owned(),
        created_at: now,
    };
    held.id = crate::moderation::store::hold(&mut *tx, &held).await?;
    tx.commit().await?;
    crate::accounts::session::back_to_form(&format!("/articles/{}#held-comments", article.slug));
    Ok(Posted {
        comment: held_comment(held),
        total: article.comment_count,
    })
}

/// Replaces the text of comment `id`: only its author, within 15 minutes of posting.
#[server(endpoint = "edit_comment")]
pub async fn edit_comment(id: i64, body: String) -> Result<Comment, AppError> {
    use crate::accounts::session;
    use crate::error::FormErrors;

    let user = session::require_user()?;
    let state = crate::state::app_state()?;
    // A comment a moderator hid is no longer its author's to change.
    let existing = store::record(&state.pool, id)
        .await?
        .filter(|c| !c.deleted && !c.hidden)
        .ok_or(AppError::NotFound)?;
    if existing.user_id != user.id {
        return Err(AppError::Forbidden);
    }
    let kept = |message: String| {
        AppError::Invalid(
            FormErrors::default()
                .with("body", message)
                .keep("body", body.clone())
                .keep("id", id.to_string()),
        )
    };
    let text = CommentBody::parse(&body).map_err(kept)?;
    let now = crate::db::now_ms();
    let html = body::render(&text);
    let mut tx = state.pool.begin().await?;
    if !store::update_body(&mut *tx, id, &text, &html, now, now - EDIT_WINDOW_MS).await? {
        return Err(kept(
            "This comment can no longer be edited: edits are possible for 15 minutes after posting"
                .to_owned(),
        ));
    }
    let change = Change::CommentEdited {
        slug: existing.article_slug,
        id,
    };
    state.events.commit(tx, change).await?;
    let viewer = store::Viewer::from_session();
    let comment = store::find(&state.pool, id, &viewer, now)
        .await?
        .ok_or(AppError::NotFound)?;
    back_to_comment(&state.pool, id).await?;
    Ok(comment)
}

/// Deletes comment `id`: its author or an admin. A comment with replies stays as
/// "[deleted]"; one without disappears, with any placeholders it leaves without replies.
#[server(endpoint = "delete_comment")]
pub async fn delete_comment(id: i64) -> Result<Deleted, AppError> {
    use crate::accounts::session;

    let user = session::require_user()?;
    let state = crate::state::app_state()?;
    let existing = store::record(&state.pool, id)
        .await?
        .filter(|c| !c.deleted)
        .ok_or(AppError::NotFound)?;
    if existing.user_id != user.id && user.role != crate::accounts::Role::Admin {
        return Err(AppError::Forbidden);
    }
    // Where a reader without JavaScript returns to: the placeholder, else the comment it
    // answered, else the discussion.
    let form_post = session::is_form_post();
    let parent_location = match existing.parent_id {
        Some(parent) if form_post => store::location(&state.pool, parent).await?,
        _ => None,
    };
    let own_location = if form_post {
        store::location(&state.pool, id).await?
    } else {
        None
    };
    let mut tx = state.pool.begin().await?;
    let deleted = store::delete(&mut tx, id, crate::db::now_ms())
        .await?
        .ok_or(AppError::NotFound)?;
    let change = Change::CommentDeleted {
        slug: existing.article_slug.clone(),
        id,
        placeholder: deleted.placeholder,
        removed: deleted.removed.clone(),
        total: deleted.total,
    };
    state.events.commit(tx, change).await?;
    let back = if deleted.placeholder {
        own_location
    } else {
        parent_location.filter(|_| {
            !deleted
                .removed
                .iter()
                .any(|r| Some(*r) == existing.parent_id)
        })
    };
    let back = back.unwrap_or_else(|| format!("/articles/{}#discussion", existing.article_slug));
    session::back_to_form(&back);
    Ok(deleted)
}

/// Renders a comment as it would appear, for the "Preview" toggle.
#[server(endpoint = "preview_comment")]
pub async fn preview_comment(body: String) -> Result<String, AppError> {
    use crate::accounts::session;
    session::require_user()?;
    let text = CommentBody::parse(&body).map_err(|message| AppError::invalid("body", message))?;
    Ok(body::render(&text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comment(id: i64, parent_id: Option<i64>, depth: i64, created_at: i64) -> Comment {
        Comment {
            id,
            parent_id,
            depth,
            created_at,
            ..Comment::default()
        }
    }

    fn shape(threads: &[Thread]) -> String {
        threads
            .iter()
            .map(|t| {
                if t.replies.is_empty() {
                    t.comment.id.to_string()
                } else {
                    format!("{}({})", t.comment.id, shape(&t.replies))
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn threads_keep_root_order_and_put_replies_oldest_first() {
        let roots = vec![comment(9, None, 0, 900), comment(1, None, 0, 100)];
        let descendants = vec![
            comment(5, Some(1), 1, 500),
            comment(3, Some(1), 1, 300),
            comment(4, Some(3), 2, 400),
            comment(10, Some(9), 1, 1000),
            // Same time: the lower id first.
            comment(7, Some(1), 1, 300),
        ];
        let threads = build_threads(roots, descendants, LEVELS_PER_PAGE);
        assert_eq!(shape(&threads), "9(10) 1(3(4) 7 5)");
    }

    #[test]
    fn threads_stop_after_three_levels() {
        let roots = vec![comment(1, None, 0, 1)];
        let descendants = vec![
            comment(2, Some(1), 1, 2),
            comment(3, Some(2), 2, 3),
            comment(4, Some(3), 3, 4),
            comment(5, Some(4), 4, 5),
        ];
        assert_eq!(shape(&build_threads(roots, descendants, 3)), "1(2(3))");
    }

    #[test]
    fn replies_whose_parent_is_elsewhere_are_dropped() {
        let roots = vec![comment(1, None, 0, 1)];
        let descendants = vec![comment(2, Some(99), 1, 2)];
        assert_eq!(shape(&build_threads(roots, descendants, 3)), "1");
    }

    #[test]
    fn the_edit_window_is_fifteen_minutes_and_only_for_the_author() {
        let mut c = comment(1, None, 0, 1_000_000);
        c.mine = true;
        assert!(c.can_edit(1_000_000));
        assert!(c.can_edit(1_000_000 + EDIT_WINDOW_MS - 1));
        assert!(!c.can_edit(1_000_000 + EDIT_WINDOW_MS));
        c.mine = false;
        assert!(!c.can_edit(1_000_000));
        c.mine = true;
        c.deleted = true;
        assert!(!c.can_edit(1_000_000));
    }

    #[test]
    fn sort_parameter() {
        assert_eq!(Sort::from_param(Some("newest")), Sort::Newest);
        assert_eq!(Sort::from_param(Some("oldest")), Sort::Oldest);
        assert_eq!(Sort::from_param(Some("bogus")), Sort::Oldest);
        assert_eq!(Sort::from_param(None), Sort::Oldest);
    }
}
