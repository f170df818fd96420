//! Reply notifications: a reader is told when someone answers their comment, or comments on
//! an article whose discussion they follow ("Follow discussion"; posting a comment follows
//! it). A muted discussion tells them of nothing, replies included. Nobody is told of their
//! own comments, nor of comments a moderator hid or their author deleted.
//!
//! The header shows the unread count, live while the page is open (the per-reader stream of
//! [`stream_path`]); `/notifications` lists them, newest first, with "Mark all as read".
//!
//! The reader always comes from the session, never from the request. Every write states an
//! outcome (follow, mute, back to replies only; read through a notification), so repeating
//! it changes nothing.

use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

mod components;
#[cfg(feature = "hydrate")]
mod live;
#[cfg(feature = "ssr")]
pub mod store;
#[cfg(feature = "ssr")]
pub mod stream;

pub use components::{
    link_label, DiscussionFollow, NotificationsLink, NotificationsPage, COMMENTED_EVENT,
};

/// Notifications on one page of `/notifications`.
pub const PER_PAGE: i64 = 30;

/// The path of the signed-in reader's stream of unread counts (Server-Sent Events: each
/// message's data is the count).
pub fn stream_path() -> &'static str {
    "/notifications/events"
}

/// How a reader follows one article's discussion.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum FollowMode {
    /// Not following: told only of replies to their own comments.
    #[default]
    Replies,
    /// Following: told of every new comment there, replies included.
    Following,
    /// Muted: told of nothing there, not even replies.
    Muted,
}

impl FollowMode {
    /// The form value of a mode.
    pub fn as_param(self) -> &'static str {
        match self {
            Self::Replies => "replies",
            Self::Following => "following",
            Self::Muted => "muted",
        }
    }

    /// The mode a form value names, if any.
    pub fn from_param(value: &str) -> Option<Self> {
        match value {
            "replies" => Some(Self::Replies),
            "following" => Some(Self::Following),
            "muted" => Some(Self::Muted),
            _ => None,
        }
    }
}

/// Why a reader was notified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NotificationKind {
    /// Someone replied to their comment.
    Reply,
    /// Someone commented on a discussion they follow.
    Comment,
}

/// One notification as its reader sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    /// Row id.
    pub id: i64,
    /// A reply or a comment.
    pub kind: NotificationKind,
    /// When the comment was posted (or approved), ms since the epoch.
    pub created_at: i64,
    /// Not read yet.
    pub unread: bool,
    /// The comment.
    pub comment_id: i64,
    /// The start of the comment's text, as plain text.
    pub excerpt: String,
    /// Who wrote it.
    pub author_name: String,
    /// Its article's slug.
    pub article_slug: String,
    /// Its article's title.
    pub article_title: String,
    /// Where the comment is shown.
    pub href: String,
}

/// One page of `/notifications`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationPage {
    /// Newest first.
    pub items: Vec<Notification>,
    /// 1-based page number.
    pub page: u32,
    /// Whether another page follows.
    pub has_more: bool,
    /// Unread notifications in all.
    pub unread: i64,
}

/// Characters of a comment an excerpt keeps at most.
const EXCERPT_CHARS: usize = 140;

/// The start of a comment's sanitised HTML as plain text: tags dropped, the entities the
/// sanitiser writes decoded, whitespace collapsed, cut at a word with "…".
pub fn excerpt(html: &str) -> String {
    let mut text = String::with_capacity(html.len().min(1024));
    let mut in_tag = false;
    for ch in html.chars() {
        match ch {
            '<' => {
                in_tag = true;
                // Block ends and line breaks separate words.
                text.push(' ');
            }
            '>' if in_tag => in_tag = false,
            _ if in_tag => {}
            _ => text.push(ch),
        }
    }
    let text = text
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&");
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut out = String::new();
    for word in words {
        let needed = out.chars().count() + usize::from(!out.is_empty()) + word.chars().count();
        if needed > EXCERPT_CHARS {
            if out.is_empty() {
                out = word.chars().take(EXCERPT_CHARS).collect();
            }
            out.push('…');
            return out;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Follows, mutes, or goes back to replies only (`mode`: "following", "muted" or "replies")
/// on the discussion of the article `slug`, for the signed-in reader. `back` is where a form
/// post without JavaScript returns to (a same-site path).
#[server(endpoint = "set_discussion_follow")]
pub async fn set_discussion_follow(
    slug: String,
    mode: String,
    back: Option<String>,
) -> Result<FollowMode, AppError> {
    use crate::accounts::session;
    let user = session::require_user()?;
    let mode = FollowMode::from_param(&mode).ok_or_else(|| {
        AppError::invalid("mode", "Choose to follow, mute or leave the discussion")
    })?;
    let state = crate::state::app_state()?;
    let article = crate::discussion::store::find_article(&state.pool, &slug)
        .await?
        .ok_or(AppError::NotFound)?;
    store::set_follow_mode(&state.pool, user.id, article.id, mode, crate::db::now_ms()).await?;
    let back = crate::accounts::domain::SafeNextPath::parse(back.as_deref());
    session::back_to_form(back.as_str());
    Ok(mode)
}

/// Page `page` (from 1) of the signed-in reader's notifications, newest first.
#[server(endpoint = "get_notifications", input = GetUrl)]
pub async fn get_notifications(page: Option<u32>) -> Result<NotificationPage, AppError> {
    let user = crate::accounts::session::require_user()?;
    let state = crate::state::app_state()?;
    let page = page.unwrap_or(1).clamp(1, 100_000);
    let offset = i64::from(page - 1) * PER_PAGE;
    let mut items = store::page(&state.pool, user.id, PER_PAGE + 1, offset).await?;
    let has_more = items.len() > PER_PAGE as usize;
    items.truncate(PER_PAGE as usize);
    for item in &mut items {
        item.href = crate::discussion::store::location(&state.pool, item.comment_id)
            .await?
            .unwrap_or_else(|| format!("/articles/{}#discussion", item.article_slug));
    }
    let unread = store::unread_count(&state.pool, user.id).await?;
    Ok(NotificationPage {
        items,
        page,
        has_more,
        unread,
    })
}

/// The signed-in reader's unread notifications.
#[server(endpoint = "unread_count", input = GetUrl)]
pub async fn unread_count() -> Result<i64, AppError> {
    let user = crate::accounts::session::require_user()?;
    let state = crate::state::app_state()?;
    Ok(store::unread_count(&state.pool, user.id).await?)
}

/// Marks the signed-in reader's notifications read, up to `through` (the newest one their
/// page showed, so one that arrived since is not marked unseen; all when absent). `back` is
/// where a form post without JavaScript returns to.
#[server(endpoint = "mark_all_read")]
pub async fn mark_all_read(through: Option<i64>, back: Option<String>) -> Result<i64, AppError> {
    use crate::accounts::session;
    let user = session::require_user()?;
    let state = crate::state::app_state()?;
    store::mark_all_read(&state.pool, user.id, through, crate::db::now_ms()).await?;
    let unread = store::unread_count(&state.pool, user.id).await?;
    let back = crate::accounts::domain::SafeNextPath::parse(back.as_deref());
    session::back_to_form(back.as_str());
    Ok(unread)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_are_plain_text_cut_at_a_word() {
        assert_eq!(
            excerpt("<p>Hello <em>there</em> &amp; welcome</p><p>again</p>"),
            "Hello there & welcome again"
        );
        let long = format!("<p>{}</p>", "word ".repeat(60));
        let cut = excerpt(&long);
        assert!(cut.ends_with('…'), "{cut}");
        assert!(cut.chars().count() <= EXCERPT_CHARS + 1, "{cut}");
        assert!(!cut.contains("wor…"), "{cut}");
        assert_eq!(excerpt(""), "");
    }

    #[test]
    fn follow_modes_round_trip() {
        for mode in [
            FollowMode::Replies,
            FollowMode::Following,
            FollowMode::Muted,
        ] {
            assert_eq!(FollowMode::from_param(mode.as_param()), Some(mode));
        }
        assert_eq!(FollowMode::from_param("toggle"), None);
    }
}
