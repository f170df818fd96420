//! The notification controls and page: "Follow discussion" and "Mute discussion" in the
//! Discussion section and the header's "Notifications" link (islands: real forms and links
//! first, handled in place and kept live once hydrated), and `/notifications` (server HTML
//! with a plain form).

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;

use super::{
    get_notifications, set_discussion_follow, FollowMode, MarkAllRead, Notification,
    NotificationKind, NotificationPage, SetDiscussionFollow,
};
use crate::error::AppError;
use crate::site::{format_date_time, use_page_number, Refused};

/// The event the discussion's composer dispatches on `window` once the reader's comment is
/// posted (not held): posting follows the discussion, so the follow buttons say so.
pub const COMMENTED_EVENT: &str = "besthub:commented";

/// "Follow discussion" and "Mute discussion", two toggle buttons (`aria-pressed` carries the
/// state, their names stay). Following tells the reader of every new comment; muting of
/// nothing, replies included; pressing a pressed one goes back to replies only. Handled in
/// place once hydrated; plain form posts without JavaScript (whose refusals the page shows
/// beside it with `site::Refused`: an island has no router to read them from).
#[island]
pub fn DiscussionFollow(
    /// The article.
    slug: String,
    /// How the reader follows it now.
    initial: FollowMode,
    /// Where a form post without JavaScript returns to.
    back: String,
) -> impl IntoView {
    let mode = RwSignal::new(initial);
    let message = RwSignal::new(None::<String>);
    let sending = StoredValue::new(false);
    let slug_submit = StoredValue::new(slug.clone());
    let back_submit = StoredValue::new(back.clone());
    #[cfg(feature = "hydrate")]
    {
        // Posting follows the discussion, unless the reader muted it (a mute is kept).
        let handle = window_event_listener_untyped(COMMENTED_EVENT, move |_| {
            if mode.try_get_untracked() == Some(FollowMode::Replies) {
                mode.set(FollowMode::Following);
            }
        });
        // The listener lives as long as the page; nav.js swaps the whole section anyway.
        std::mem::forget(handle);
    }
    // The mode a press of the button for `target` asks for.
    let next = move |target: FollowMode| {
        if mode.get() == target {
            FollowMode::Replies
        } else {
            target
        }
    };
    let submit = move |target: FollowMode| {
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            if sending.get_value() {
                return;
            }
            sending.set_value(true);
            let want = next(target);
            leptos::task::spawn_local(async move {
                let result = set_discussion_follow(
                    slug_submit.get_value(),
                    want.as_param().to_owned(),
                    Some(back_submit.get_value()),
                )
                .await;
                sending.set_value(false);
                match result {
                    Ok(now) => {
                        mode.set(now);
                        message.set(None);
                    }
                    Err(err) => message.set(Some(format!("Not saved: {err}"))),
                }
            });
        }
    };
    let form = move |target: FollowMode, label: &'static str| {
        view! {
            <form
                method="post"
                action=SetDiscussionFollow::PATH
                class="follow-form"
                on:submit=submit(target)
            >
                <input type="hidden" name="slug" value=slug.clone() />
                <input type="hidden" name="mode" value=move || next(target).as_param() />
                <input type="hidden" name="back" value=back.clone() />
                <button
                    type="submit"
                    class="toggle"
                    aria-pressed=move || (mode.get() == target).to_string()
                >
                    {label}
                </button>
            </form>
        }
    };
    view! {
        <div class="discussion-follow">
            {form(FollowMode::Following, "Follow discussion")}
            {form(FollowMode::Muted, "Mute discussion")}
            <p class="follow-hint">
                {move || match mode.get() {
                    FollowMode::Replies => "You are notified of replies to your comments.",
                    FollowMode::Following => "You are notified of every new comment here.",
                    FollowMode::Muted => "Muted: you are not notified of anything here, replies included.",
                }}
            </p>
            <p class="feedback-message" role="status">
                {move || message.get()}
            </p>
        </div>
    }
}

/// "Notifications, N unread" when `count` is above zero, else "Notifications": the header
/// link's accessible name.
pub fn link_label(count: i64) -> String {
    if count > 0 {
        format!("Notifications, {count} unread")
    } else {
        "Notifications".to_owned()
    }
}

/// The header's link to `/notifications` with the unread count as a badge; the count follows
/// the reader's live stream once hydrated. Its name is [`link_label`]; the badge shows the
/// number through CSS (`data-count`), so the link's visible text stays "Notifications", a
/// part of its name, as speech users say it.
#[island]
pub fn NotificationsLink(
    /// Unread notifications when the page was rendered.
    initial: i64,
) -> impl IntoView {
    let count = RwSignal::new(initial);
    #[cfg(feature = "hydrate")]
    super::live::watch(count);
    view! {
        <a class="notifications-link" href="/notifications" aria-label=move || link_label(count.get())>
            "Notifications"
            {move || {
                let n = count.get();
                (n > 0)
                    .then(|| {
                        view! { <span class="badge" aria-hidden="true" data-count=n.to_string()></span> }
                    })
            }}
        </a>
    }
}

/// `/notifications`: the signed-in reader's notifications, newest first, 30 a page, with
/// "Mark all as read"; signed out, a link to sign in.
#[component]
pub fn NotificationsPage() -> impl IntoView {
    let page = use_page_number();
    let data = Resource::new(move || page.get(), |page| get_notifications(Some(page)));
    view! {
        <Title text="Notifications" />
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(page) => view! { <Listing page /> }.into_any(),
                    Err(AppError::Unauthorized) => {
                        let href = crate::accounts::sign_in_href("/notifications", "");
                        view! {
                            <div class="notifications">
                                <h1>"Notifications"</h1>
                                <p>
                                    <a href=href>"Sign in to see your notifications"</a>
                                </p>
                            </div>
                        }
                            .into_any()
                    }
                    Err(err) => crate::site::error_view(err),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Listing(page: NotificationPage) -> impl IntoView {
    let NotificationPage {
        items,
        page,
        has_more,
        unread,
    } = page;
    let newest = items.first().map(|n| n.id);
    let newer = (page > 1).then(|| {
        let href = if page == 2 {
            "/notifications".to_owned()
        } else {
            format!("/notifications?page={}", page - 1)
        };
        view! { <a href=href rel="prev">"Newer notifications"</a> }
    });
    let older = has_more.then(|| {
        view! {
            <a href=format!("/notifications?page={}", page + 1) rel="next">
                "Older notifications"
            </a>
        }
    });
    let summary = if unread > 0 {
        format!("{unread} unread.")
    } else {
        "All read.".to_owned()
    };
    view! {
        <div class="notifications">
            <h1>"Notifications"</h1>
            {if items.is_empty() && page == 1 {
                view! {
                    <p>
                        "No notifications yet. Replies to your comments, and new comments on "
                        "discussions you follow, will show up here."
                    </p>
                }
                    .into_any()
            } else {
                view! {
                    <p class="notifications-summary">{summary}</p>
                    <form method="post" action=MarkAllRead::PATH class="mark-read-form">
                        {newest.map(|id| view! { <input type="hidden" name="through" value=id.to_string() /> })}
                        <input type="hidden" name="back" value="/notifications" />
                        <button type="submit" class="secondary" disabled={unread == 0}>
                            "Mark all as read"
                        </button>
                    </form>
                    <Refused paths=&[MarkAllRead::PATH] what="Not marked" />
                    <ol class="notification-list">
                        {items.into_iter().map(|item| view! { <Item item /> }).collect_view()}
                    </ol>
                }
                    .into_any()
            }}
            {(newer.is_some() || older.is_some())
                .then(|| {
                    view! {
                        <nav class="pager" aria-label="More notifications">
                            {newer}
                            {older}
                        </nav>
                    }
                })}
        </div>
    }
}

#[component]
fn Item(item: Notification) -> impl IntoView {
    let (machine, human) = format_date_time(item.created_at);
    let what = match item.kind {
        NotificationKind::Reply => " replied to your comment on ",
        NotificationKind::Comment => " commented on ",
    };
    let class = if item.unread {
        "notification unread"
    } else {
        "notification"
    };
    view! {
        <li class=class>
            <p class="notification-line">
                {item.unread.then(|| view! { <span class="unread-mark">"Unread"</span> " " })}
                <a href=item.href>
                    <strong>{item.author_name}</strong>
                    {what}
                    {format!("“{}”", item.article_title)}
                </a>
            </p>
            <p class="notification-excerpt">{item.excerpt}</p>
            <p class="notification-time">
                <time datetime=machine>{human}</time>
            </p>
        </li>
    }
}
