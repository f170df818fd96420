//! Moderation and takedowns: readers report comments, admins act on them with a reason
//! (dismiss, hide, restore, suspend the author, approve or reject a held comment), rights
//! holders ask for an article to be taken down and follow their request, and every action is
//! in the public log at `/moderation`.
//!
//! Admin pages and actions answer 404 to everyone but admins. Their forms are plain posts
//! that answer with a redirect back to the page (with what was done, or why not), so they work
//! the same with and without JavaScript.

use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

mod components;
#[cfg(feature = "ssr")]
pub mod store;

pub use components::{
    AdminTakedownsPage, ModerationLogPage, ModerationQueuePage, TakedownFormPage,
    TakedownStatusPage,
};

/// Entries of the public log on one page.
pub const LOG_PER_PAGE: i64 = 50;
/// Longest note a report may carry, and longest reason of a moderator's action, in characters.
pub const NOTE_MAX_CHARS: usize = 500;

/// Why a reader reports a comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReportReason {
    /// Advertising, scams, link farms.
    Spam,
    /// Abuse aimed at someone.
    Harassment,
    /// Not about the article.
    OffTopic,
    /// Anything else (the note says what).
    Other,
}

impl ReportReason {
    /// Every reason, in the order the form lists them.
    pub const ALL: [Self; 4] = [Self::Spam, Self::Harassment, Self::OffTopic, Self::Other];

    /// The form value.
    pub fn as_param(self) -> &'static str {
        match self {
            Self::Spam => "spam",
            Self::Harassment => "harassment",
            Self::OffTopic => "off-topic",
            Self::Other => "other",
        }
    }

    /// Reads a form value.
    pub fn from_param(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_param() == value)
    }

    /// What the reader reads.
    pub fn label(self) -> &'static str {
        match self {
            Self::Spam => "Spam",
            Self::Harassment => "Harassment",
            Self::OffTopic => "Off-topic",
            Self::Other => "Other",
        }
    }
}

/// One report as the queue shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportView {
    /// The reason, in words.
    pub reason: String,
    /// The reporter's note (may be empty).
    pub note: String,
    /// When it was sent.
    pub created_at: i64,
}

/// A reported or hidden comment in the queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportedItem {
    /// The comment.
    pub id: i64,
    /// Its article's slug.
    pub article_slug: String,
    /// Its article's title.
    pub article_title: String,
    /// Its author's name.
    pub author_name: String,
    /// Its sanitised HTML.
    pub body_html: String,
    /// When it was posted.
    pub created_at: i64,
    /// Whether a moderator hid it.
    pub hidden: bool,
    /// Where it is shown in its discussion.
    pub href: String,
    /// Its reports (the open ones for a reported comment).
    pub reports: Vec<ReportView>,
}

/// A comment held by the spam guard, in the queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldItem {
    /// The held comment's id.
    pub id: i64,
    /// Its article's slug.
    pub article_slug: String,
    /// Its article's title.
    pub article_title: String,
    /// Its author's name.
    pub author_name: String,
    /// Its sanitised HTML.
    pub body_html: String,
    /// Why it waits, in words.
    pub why: String,
    /// When it was posted.
    pub created_at: i64,
}

/// What waits for a moderator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModerationQueue {
    /// Comments held by the spam guard, oldest first.
    pub held: Vec<HeldItem>,
    /// Reported comments, most reported first, then oldest.
    pub reported: Vec<ReportedItem>,
    /// Comments hidden by a moderator, most recently hidden first.
    pub hidden: Vec<ReportedItem>,
}

/// One action in the public log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    /// When, ms since the epoch.
    pub created_at: i64,
    /// What was done ("Hid a comment").
    pub action: String,
    /// What it was done to ("Comment by Ada on “Title”").
    pub target: String,
    /// Where that is, if anywhere.
    pub target_href: Option<String>,
    /// The moderator's reason.
    pub reason: String,
}

/// A page of the public log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogPage {
    /// Newest first.
    pub entries: Vec<LogEntry>,
    /// 1-based page.
    pub page: u32,
    /// Whether older entries follow.
    pub has_more: bool,
}

/// Where a takedown request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TakedownStatus {
    /// Sent, nobody has looked yet.
    Received,
    /// A moderator is looking into it.
    Reviewing,
    /// The article was unpublished.
    Removed,
    /// The request was declined.
    Declined,
}

impl TakedownStatus {
    /// The stored value.
    pub fn as_db(self) -> &'static str {
        match self {
            Self::Received => "received",
            Self::Reviewing => "reviewing",
            Self::Removed => "removed",
            Self::Declined => "declined",
        }
    }

    /// Reads a stored value.
    pub fn from_db(value: &str) -> Self {
        match value {
            "reviewing" => Self::Reviewing,
            "removed" => Self::Removed,
            "declined" => Self::Declined,
            _ => Self::Received,
        }
    }

    /// What the requester reads.
    pub fn label(self) -> &'static str {
        match self {
            Self::Received => "Received",
            Self::Reviewing => "Under review",
            Self::Removed => "Article removed",
            Self::Declined => "Request declined",
        }
    }
}

/// A takedown request as its requester sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TakedownView {
    /// "TD-00012".
    pub reference: String,
    /// The unguessable part of its status link.
    pub token: String,
    /// The article's slug.
    pub article_slug: String,
    /// The article's title.
    pub article_title: String,
    /// Where it stands.
    pub status: TakedownStatus,
    /// The moderator's reason, once decided.
    pub reason: Option<String>,
    /// When it was sent.
    pub created_at: i64,
    /// When it last changed.
    pub updated_at: i64,
}

/// A takedown request as admins see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TakedownAdminItem {
    /// What the requester sees.
    pub view: TakedownView,
    /// The requester's name.
    pub name: String,
    /// Their email.
    pub email: String,
    /// Their relationship to the work.
    pub relationship: String,
    /// What infringes and why.
    pub claim: String,
    /// Whether the article is unpublished now.
    pub article_removed: bool,
    /// The article's author's handle.
    pub author_handle: String,
}

/// What sending a takedown request gives back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TakedownReceipt {
    /// The unguessable part of the status link (`/takedowns/{token}`).
    pub token: String,
    /// "TD-00012".
    pub reference: String,
}

/// The article a takedown form is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TakedownSubject {
    /// Its slug.
    pub slug: String,
    /// Its title.
    pub title: String,
}

/// A takedown request's reference, from its row id.
pub fn reference(id: i64) -> String {
    format!("TD-{id:05}")
}

#[cfg(feature = "ssr")]
/// A moderator's reason: required, at most [`NOTE_MAX_CHARS`]. Refusals keep `id` so the
/// page shows the message beside the right item.
fn reason(text: &str, id: &str) -> Result<String, AppError> {
    use crate::error::FormErrors;
    let text = text.trim();
    let message = if text.is_empty() {
        "Give a reason for this action"
    } else if text.chars().count() > NOTE_MAX_CHARS {
        "Keep the reason under 500 characters"
    } else {
        return Ok(text.to_owned());
    };
    Err(AppError::Invalid(
        FormErrors::default()
            .with("reason", message)
            .keep("id", id)
            .keep("reason", text),
    ))
}

/// A refusal about the whole action, beside item `id`.
#[cfg(feature = "ssr")]
fn refuse(id: &str, message: &str) -> AppError {
    AppError::Invalid(
        crate::error::FormErrors::default()
            .with("form", message)
            .keep("id", id),
    )
}

/// `location` (a path with an optional `#anchor`) with `param=value` added to its query.
pub fn with_param(location: &str, param: &str, value: &str) -> String {
    let (path, anchor) = match location.find('#') {
        Some(at) => location.split_at(at),
        None => (location, ""),
    };
    let joiner = if path.contains('?') { '&' } else { '?' };
    format!("{path}{joiner}{param}={value}{anchor}")
}

/// Reports comment `id`: `reason` is `spam`, `harassment`, `off-topic` or `other`, with an
/// optional `note`. One report per reader per comment, never one's own, and at most
/// `reports_per_hour` an hour.
#[server(endpoint = "report_comment")]
pub async fn report_comment(
    id: i64,
    reason: Option<String>,
    note: Option<String>,
) -> Result<(), AppError> {
    use crate::accounts::session;
    use crate::error::FormErrors;
    use store::Reported;

    let user = session::require_user()?;
    let note = note.unwrap_or_default().trim().to_owned();
    let kept = |field: &str, message: &str| {
        AppError::Invalid(
            FormErrors::default()
                .with(field, message)
                .keep("id", id.to_string())
                .keep("note", note.clone()),
        )
    };
    let Some(reason) = reason.as_deref().and_then(ReportReason::from_param) else {
        return Err(kept("reason", "Choose a reason"));
    };
    if note.chars().count() > NOTE_MAX_CHARS {
        return Err(kept("note", "Keep the note under 500 characters"));
    }
    let state = crate::state::app_state()?;
    // A hidden comment shows nothing left to report.
    let comment = crate::discussion::store::record(&state.pool, id)
        .await?
        .filter(|c| !c.deleted && !c.hidden)
        .ok_or(AppError::NotFound)?;
    if comment.user_id == user.id {
        return Err(kept("form", "You cannot report your own comment"));
    }
    let now = crate::db::now_ms();
    let per_hour = state.config.reports_per_hour;
    match store::report(&state.pool, id, user.id, reason, &note, now, per_hour).await? {
        Reported::Sent => {}
        Reported::Duplicate => {
            return Err(kept("form", "You have already reported this comment"));
        }
        Reported::RateLimited => {
            return Err(AppError::TooManyRequests(format!(
                "You have sent {per_hour} reports in the last hour, the most we take. Try again later."
            )));
        }
    }
    if session::is_form_post() {
        if let Some(location) = crate::discussion::store::location(&state.pool, id).await? {
            session::back_to_form(&with_param(&location, "reported", &id.to_string()));
        }
    }
    Ok(())
}

/// What waits for a moderator (admins only).
#[server(endpoint = "moderation_queue", input = GetUrl)]
pub async fn get_moderation_queue() -> Result<ModerationQueue, AppError> {
    crate::accounts::session::require_admin()?;
    let state = crate::state::app_state()?;
    Ok(ModerationQueue {
        held: store::held_queue(&state.pool, 200).await?,
        reported: store::reported(&state.pool, 100).await?,
        hidden: store::hidden(&state.pool, 50).await?,
    })
}

/// Sends a moderator back to the queue saying what was done.
#[cfg(feature = "ssr")]
fn back_to_queue(page: &str, done: &str) {
    crate::accounts::session::back_to_form(&format!("{page}?done={done}"));
}

/// Acts on comment `id` (admins only): `action` is `dismiss` (its reports), `hide` or
/// `restore`, with a `reason` for the public log.
#[server(endpoint = "moderate_comment")]
pub async fn moderate_comment(id: i64, action: String, reason: String) -> Result<(), AppError> {
    use crate::events::Change;

    let admin = crate::accounts::session::require_admin()?;
    let key = id.to_string();
    let reason = self::reason(&reason, &key)?;
    let state = crate::state::app_state()?;
    let comment = crate::discussion::store::record(&state.pool, id)
        .await?
        .filter(|c| !c.deleted)
        .ok_or(AppError::NotFound)?;
    let (_, author, title, _) = store::comment_target(&state.pool, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let href = crate::discussion::store::location(&state.pool, id).await?;
    let now = crate::db::now_ms();
    let mut tx = state.pool.begin().await?;
    let (done, logged) = match action.as_str() {
        "dismiss" => {
            if store::resolve_reports(&mut *tx, id, now).await? == 0 {
                return Err(refuse(&key, "This comment has no open reports"));
            }
            ("dismissed", "Dismissed reports")
        }
        "hide" => {
            if !store::set_hidden(&mut *tx, id, true, now).await? {
                return Err(refuse(&key, "This comment is already hidden"));
            }
            store::resolve_reports(&mut *tx, id, now).await?;
            ("hidden", "Hid a comment")
        }
        "restore" => {
            if !store::set_hidden(&mut *tx, id, false, now).await? {
                return Err(refuse(&key, "This comment is not hidden"));
            }
            ("restored", "Restored a comment")
        }
        _ => return Err(refuse(&key, "Choose Dismiss, Hide or Restore")),
    };
    let entry = LogEntry {
        created_at: now,
        action: logged.to_owned(),
        target: format!("Comment by {author} on “{title}”"),
        target_href: href,
        reason,
    };
    store::log(&mut *tx, &entry, admin.id).await?;
    if done == "dismissed" {
        tx.commit().await?;
    } else {
        // Its pages show it differently now: the same event as an edit.
        let change = Change::CommentEdited {
            slug: comment.article_slug,
            id,
        };
        state.events.commit(tx, change).await?;
    }
    back_to_queue("/admin/moderation", done);
    Ok(())
}

/// Suspends the author of comment `id` (admins only) for `duration` days (`1`, `7`, `30`) or
/// `permanent`ly, with a `reason` for the public log. Their sessions end at once.
#[server(endpoint = "suspend_author")]
pub async fn suspend_author(id: i64, duration: String, reason: String) -> Result<(), AppError> {
    let admin = crate::accounts::session::require_admin()?;
    let key = id.to_string();
    let days: Option<i64> = match duration.as_str() {
        "1" => Some(1),
        "7" => Some(7),
        "30" => Some(30),
        "permanent" => None,
        _ => {
            return Err(AppError::Invalid(
                crate::error::FormErrors::default()
                    .with("duration", "Choose how long the suspension lasts")
                    .keep("id", key),
            ))
        }
    };
    let reason = self::reason(&reason, &key)?;
    let state = crate::state::app_state()?;
    let (user_id, author, title, _) = store::comment_target(&state.pool, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if store::is_admin(&state.pool, user_id).await? {
        return Err(refuse(
            &key,
            "Admins cannot be suspended: revoke the admin role first (besthub user revoke-admin)",
        ));
    }
    let href = crate::discussion::store::location(&state.pool, id).await?;
    let now = crate::db::now_ms();
    let (until, action) = match days {
        Some(1) => (
            now + 24 * 60 * 60 * 1000,
            "Suspended a reader for 1 day".to_owned(),
        ),
        Some(days) => (
            now + days * 24 * 60 * 60 * 1000,
            format!("Suspended a reader for {days} days"),
        ),
        None => (i64::MAX, "Suspended a reader permanently".to_owned()),
    };
    let mut tx = state.pool.begin().await?;
    crate::accounts::store::suspend(&mut *tx, user_id, now, until).await?;
    let entry = LogEntry {
        created_at: now,
        action,
        target: format!("{author}, for a comment on “{title}”"),
        target_href: href,
        reason,
    };
    store::log(&mut *tx, &entry, admin.id).await?;
    tx.commit().await?;
    back_to_queue("/admin/moderation", "suspended");
    Ok(())
}

/// Approves or rejects held comment `id` (admins only): `action` is `approve` or `reject`,
/// with a `reason` for the public log.
#[server(endpoint = "review_held")]
pub async fn review_held(id: i64, action: String, reason: String) -> Result<(), AppError> {
    use crate::discussion::store::Inserted;
    use crate::discussion::CommentBody;
    use crate::events::Change;

    let admin = crate::accounts::session::require_admin()?;
    let key = format!("held-{id}");
    let reason = self::reason(&reason, &key)?;
    let state = crate::state::app_state()?;
    let held = store::find_held(&state.pool, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let (slug, title) = store::article_by_id(&state.pool, held.article_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let author = store::user_name(&state.pool, held.user_id).await?;
    let now = crate::db::now_ms();
    let mut tx = state.pool.begin().await?;
    if !store::release_held(&mut *tx, id).await? {
        return Err(AppError::NotFound);
    }
    match action.as_str() {
        "approve" => {
            let body = CommentBody::parse(&held.body_markdown)
                .map_err(|_| refuse(&key, "This comment can no longer be published as it is"))?;
            let inserted = crate::discussion::store::insert(
                &mut *tx,
                held.article_id,
                held.parent_id,
                held.user_id,
                &body,
                &held.body_html,
                held.created_at,
                None,
            )
            .await?;
            let comment_id =
                match inserted {
                    Inserted::Id(comment_id) => comment_id,
                    Inserted::ParentGone | Inserted::RateLimited => return Err(refuse(
                        &key,
                        "The comment it answers was deleted, so it cannot be published: reject it",
                    )),
                };
            let entry = LogEntry {
                created_at: now,
                action: "Approved a held comment".to_owned(),
                target: format!("Comment by {author} on “{title}”"),
                target_href: Some(format!("/articles/{slug}#comment-{comment_id}")),
                reason,
            };
            store::log(&mut *tx, &entry, admin.id).await?;
            let total = crate::discussion::store::comment_count(&mut *tx, held.article_id).await?;
            let change = Change::CommentPosted {
                slug,
                id: comment_id,
                parent_id: held.parent_id,
                total,
            };
            state.events.commit(tx, change).await?;
            back_to_queue("/admin/moderation", "approved");
        }
        "reject" => {
            let entry = LogEntry {
                created_at: now,
                action: "Rejected a held comment".to_owned(),
                target: format!("A held comment on “{title}”"),
                target_href: Some(format!("/articles/{slug}")),
                reason,
            };
            store::log(&mut *tx, &entry, admin.id).await?;
            tx.commit().await?;
            back_to_queue("/admin/moderation", "rejected");
        }
        _ => return Err(refuse(&key, "Choose Approve or Reject")),
    }
    Ok(())
}

/// Page `page` (from 1) of the public moderation log, newest first.
#[server(endpoint = "moderation_log", input = GetUrl)]
pub async fn moderation_log(page: Option<u32>) -> Result<LogPage, AppError> {
    let state = crate::state::app_state()?;
    let page = page.unwrap_or(1).clamp(1, 100_000);
    let (entries, has_more) = store::log_page(
        &state.pool,
        LOG_PER_PAGE,
        i64::from(page - 1) * LOG_PER_PAGE,
    )
    .await?;
    Ok(LogPage {
        entries,
        page,
        has_more,
    })
}

/// The article the takedown form of `slug` is about.
#[server(endpoint = "takedown_subject", input = GetUrl)]
pub async fn get_takedown_subject(slug: String) -> Result<TakedownSubject, AppError> {
    let state = crate::state::app_state()?;
    let (_, title) = store::article_for_takedown(&state.pool, &slug)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(TakedownSubject { slug, title })
}

/// Sends a takedown request about the article `slug` (no account needed; at most
/// `takedowns_per_hour` per client address). Answers with the request's reference and the
/// token of its private status page.
#[server(endpoint = "request_takedown")]
pub async fn request_takedown(
    slug: String,
    name: String,
    email: String,
    relationship: String,
    claim: String,
) -> Result<TakedownReceipt, AppError> {
    use crate::error::FormErrors;

    let mut errors = FormErrors::default();
    let bounded = |text: &str, empty: &str, max: usize| -> Result<String, String> {
        let text = text.trim();
        if text.is_empty() {
            Err(empty.to_owned())
        } else if text.chars().count() > max {
            Err(format!("Keep this under {max} characters"))
        } else {
            Ok(text.to_owned())
        }
    };
    let name_ok = errors.check("name", bounded(&name, "Enter your name", 100));
    let email_ok = errors.check(
        "email",
        crate::accounts::domain::Email::parse(&email)
            .map_err(|_| "Enter an email address we can answer you at".to_owned()),
    );
    let relationship_ok = errors.check(
        "relationship",
        bounded(&relationship, "Say how you are related to the work", 300),
    );
    let claim_ok = errors.check(
        "claim",
        bounded(&claim, "Describe what infringes your rights and why", 5000),
    );
    let (Some(name), Some(email), Some(relationship), Some(claim)) =
        (name_ok, email_ok, relationship_ok, claim_ok)
    else {
        return Err(AppError::Invalid(
            errors
                .keep("name", name)
                .keep("email", email)
                .keep("relationship", relationship)
                .keep("claim", claim),
        ));
    };
    let state = crate::state::app_state()?;
    let (article_id, _) = store::article_for_takedown(&state.pool, &slug)
        .await?
        .ok_or(AppError::NotFound)?;
    let (token, _) = crate::accounts::session::new_session_id();
    let new = store::NewTakedown {
        token: &token,
        article_id,
        name: &name,
        email: email.as_str(),
        relationship: &relationship,
        claim: &claim,
    };
    let bucket = format!("takedown:{}", crate::accounts::client_key());
    let now = crate::db::now_ms();
    let Some(id) = store::create_takedown(
        &state.pool,
        &new,
        now,
        &bucket,
        state.config.takedowns_per_hour,
    )
    .await?
    else {
        return Err(AppError::TooManyRequests(
            "Too many takedown requests from your address. Try again in an hour.".to_owned(),
        ));
    };
    tracing::info!(reference = %reference(id), article = %slug, "takedown request received");
    crate::accounts::session::back_to_form(&format!("/takedowns/{token}?sent=1"));
    Ok(TakedownReceipt {
        token,
        reference: reference(id),
    })
}

/// The takedown request whose status link holds `token`, as its requester sees it.
#[server(endpoint = "get_takedown", input = GetUrl)]
pub async fn get_takedown(token: String) -> Result<TakedownView, AppError> {
    let state = crate::state::app_state()?;
    store::find_takedown(&state.pool, &token)
        .await?
        .map(|item| item.view)
        .ok_or(AppError::NotFound)
}

/// Every takedown request, newest first (admins only).
#[server(endpoint = "admin_takedowns", input = GetUrl)]
pub async fn admin_takedowns() -> Result<Vec<TakedownAdminItem>, AppError> {
    crate::accounts::session::require_admin()?;
    let state = crate::state::app_state()?;
    Ok(store::takedowns(&state.pool, 500).await?)
}

/// Decides on takedown request `token` (admins only): `action` is `review`, `unpublish`,
/// `decline` or `republish`, with a `reason` the requester and the public log read.
#[server(endpoint = "decide_takedown")]
pub async fn decide_takedown(
    token: String,
    action: String,
    reason: String,
) -> Result<(), AppError> {
    use crate::events::Change;

    let admin = crate::accounts::session::require_admin()?;
    let reason = self::reason(&reason, &token)?;
    let state = crate::state::app_state()?;
    let item = store::find_takedown(&state.pool, &token)
        .await?
        .ok_or(AppError::NotFound)?;
    let slug = item.view.article_slug.clone();
    let now = crate::db::now_ms();
    let mut tx = state.pool.begin().await?;
    let (status, logged, done, article_changed) = match action.as_str() {
        "review" => (
            TakedownStatus::Reviewing,
            "Started reviewing a takedown request",
            "reviewing",
            false,
        ),
        "unpublish" => {
            if !store::set_removed(&mut *tx, &slug, Some(&reason), now).await? {
                return Err(refuse(&token, "The article is already unpublished"));
            }
            (
                TakedownStatus::Removed,
                "Unpublished an article",
                "removed",
                true,
            )
        }
        "decline" => {
            if item.article_removed {
                return Err(refuse(
                    &token,
                    "The article is unpublished: republish it to decline the request",
                ));
            }
            (
                TakedownStatus::Declined,
                "Declined a takedown request",
                "declined",
                false,
            )
        }
        "republish" => {
            if !store::set_removed(&mut *tx, &slug, None, now).await? {
                return Err(refuse(&token, "The article is not unpublished"));
            }
            (
                TakedownStatus::Declined,
                "Republished an article",
                "republished",
                true,
            )
        }
        _ => {
            return Err(refuse(
                &token,
                "Choose Mark under review, Unpublish, Decline or Republish",
            ))
        }
    };
    let decided = (status != TakedownStatus::Reviewing).then_some(reason.as_str());
    store::set_takedown_status(&mut *tx, &token, status, decided, now).await?;
    let entry = LogEntry {
        created_at: now,
        action: logged.to_owned(),
        target: format!("“{}”", item.view.article_title),
        target_href: Some(format!("/articles/{slug}")),
        reason,
    };
    store::log(&mut *tx, &entry, admin.id).await?;
    if article_changed {
        // Its page, its author's page and every listing show it differently now.
        let change = Change::ArticleSaved {
            slug,
            handle: item.author_handle,
        };
        state.events.commit(tx, change).await?;
    } else {
        tx.commit().await?;
    }
    back_to_queue("/admin/takedowns", done);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_reasons_round_trip() {
        for reason in ReportReason::ALL {
            assert_eq!(ReportReason::from_param(reason.as_param()), Some(reason));
        }
        assert_eq!(ReportReason::from_param("bogus"), None);
    }

    #[test]
    fn params_join_the_query_before_the_anchor() {
        assert_eq!(
            with_param("/articles/a#comment-3", "reported", "3"),
            "/articles/a?reported=3#comment-3"
        );
        assert_eq!(
            with_param("/articles/a?page=2#comment-3", "reported", "3"),
            "/articles/a?page=2&reported=3#comment-3"
        );
        assert_eq!(with_param("/x", "a", "b"), "/x?a=b");
    }

    #[test]
    fn references_are_padded() {
        assert_eq!(reference(12), "TD-00012");
        assert_eq!(reference(123_456), "TD-123456");
    }
}
