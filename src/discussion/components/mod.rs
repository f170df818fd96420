//! The discussion's components.
//!
//! The pages around a discussion are server HTML; the discussion itself is an island
//! ([`thread`]), hydrated in the browser. Every control in it is a real form first:
//! "Reply", "Edit" and "Delete" are GET forms that open their box in the server render
//! (`?reply=ID`, `?edit=ID`, `?delete=ID`, read by [`query`]), and posting ([`composer`]),
//! saving and deleting ([`delete`]) are POST forms to the server functions. Once hydrated,
//! the same forms are handled in place: boxes open without navigation and results update
//! the thread.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::{get_comment_thread, CommentPage, ThreadPage};
use crate::error::AppError;
use crate::notifications::{DiscussionFollow, SetDiscussionFollow};
use crate::site::{error_view, use_page_number, Refused};

mod composer;
mod delete;
#[cfg(feature = "hydrate")]
mod live;
mod query;
mod report;
mod state;
mod thread;

use thread::{ArticleDiscussion, ThreadDiscussion};

/// The "Discussion" section of the article page.
#[component]
pub fn Discussion(
    slug: String,
    signed_in: bool,
    comments: Resource<Result<CommentPage, AppError>>,
) -> impl IntoView {
    view! {
        <section class="panel" id="discussion" aria-labelledby="discussion-heading">
            <h2 id="discussion-heading">"Discussion"</h2>
            <Suspense fallback=|| view! { <p class="loading">"Loading comments…"</p> }>
                {
                    let slug = slug.clone();
                    move || {
                        let slug = slug.clone();
                        Suspend::new(async move {
                            match comments.await {
                                Ok(page) => {
                                    let state = query::state_from_query();
                                    let since = page.live_since;
                                    let follow = page.follow.map(|initial| {
                                        let back = format!("/articles/{slug}#discussion");
                                        view! {
                                            <DiscussionFollow slug=slug.clone() initial back />
                                            <Refused paths=&[SetDiscussionFollow::PATH] what="Not saved" />
                                        }
                                    });
                                    view! {
                                        <LiveSince since />
                                        {follow}
                                        <ArticleDiscussion page slug signed_in state />
                                    }
                                        .into_any()
                                }
                                Err(err) => {
                                    view! {
                                        <p class="form-error" role="alert">
                                            {format!("Comments could not be loaded: {err}")}
                                        </p>
                                    }
                                        .into_any()
                                }
                            }
                        })
                    }
                }
            </Suspense>
        </section>
    }
}

/// `/articles/{slug}/comments/{id}`: a comment deep in a thread or with many replies, a page
/// of its replies (`?page=`) and two levels below them.
#[component]
pub fn CommentThreadPage() -> impl IntoView {
    let params = use_params_map();
    let page = use_page_number();
    let data = Resource::new(
        move || {
            let params = params.read();
            (
                params.get("slug").unwrap_or_default(),
                params.get("id").and_then(|id| id.parse::<i64>().ok()),
                page.get(),
            )
        },
        |(slug, id, page)| async move {
            match id {
                Some(id) => get_comment_thread(slug, id, Some(page)).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    let auth = crate::accounts::use_auth();
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading thread…"</p> }>
            {move || Suspend::new(async move {
                let signed_in = auth.user.await.ok().flatten().is_some();
                match data.await {
                    Ok(page) => view! { <ThreadView page signed_in /> }.into_any(),
                    Err(err) => error_view(err),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ThreadView(page: ThreadPage, signed_in: bool) -> impl IntoView {
    let title = page.title.clone();
    let slug = page.slug.clone();
    let context_href = page.context_href.clone();
    let state = query::state_from_query();
    view! {
        <Title text=format!("Thread on {title}") />
        <div class="thread-page">
            <p class="breadcrumb">
                <a href=format!("/articles/{slug}")>{format!("← {title}")}</a>
            </p>
            <h1>"A thread from the discussion"</h1>
            <p>
                <a href=context_href>"Back to where this thread starts"</a>
            </p>
            <section class="panel" id="discussion" aria-labelledby="discussion-heading">
                <h2 id="discussion-heading">"Discussion"</h2>
                <LiveSince since=page.live_since />
                <ThreadDiscussion page signed_in state />
            </section>
        </div>
    }
}

/// Where the page's live stream resumes from (read by `crate::live::client` when the first
/// island subscribes, before any island's own data arrives).
#[component]
fn LiveSince(since: i64) -> impl IntoView {
    view! { <span hidden data-live-since=since.to_string()></span> }
}
