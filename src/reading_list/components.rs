//! The "Save" control (an island: it saves in place once hydrated, and is a plain form
//! before) and the `/saved` page (server HTML: "Remove" is a plain form post that comes back
//! to the page, with or without JavaScript).

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;

use super::{get_saved_page, set_saved, SetSaved};
use crate::accounts::sign_in_href;
use crate::articles::components::Byline;
use crate::articles::{ArticleListItem, ArticleListPage};
use crate::error::AppError;
use crate::site::{error_view, path_segment, use_page_number, Refused};

/// The "Save" button of an article (`aria-pressed` true and the text "Saved" while saved).
/// Without JavaScript it posts the state it wants and comes back to `back`; hydrated, it
/// calls the server in place, one call at a time, and rolls back with a message if the
/// server refuses.
#[island]
pub fn SaveControl(
    /// The article.
    slug: String,
    /// Whether the reader has saved it.
    saved: bool,
    /// Where a form post without JavaScript returns to.
    back: String,
) -> impl IntoView {
    let saved = RwSignal::new(saved);
    let message = RwSignal::new(None::<String>);
    let sending = StoredValue::new(false);
    let call = StoredValue::new((slug.clone(), back.clone()));
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if sending.get_value() {
            return;
        }
        sending.set_value(true);
        let want = !saved.get_untracked();
        saved.set(want);
        message.set(None);
        leptos::task::spawn_local(async move {
            let (slug, back) = call.get_value();
            let result = set_saved(slug, want, Some(back)).await;
            sending.set_value(false);
            match result {
                Ok(state) => saved.set(state.saved),
                Err(err) => {
                    saved.set(!want);
                    message.set(Some(format!("Not saved: {err}")));
                }
            }
        });
    };
    view! {
        <form method="post" action=SetSaved::PATH class="like-form save-form" on:submit=on_submit>
            <input type="hidden" name="slug" value=slug />
            <input type="hidden" name="saved" value=move || (!saved.get()).to_string() />
            <input type="hidden" name="back" value=back />
            <button type="submit" class="toggle" aria-pressed=move || saved.get().to_string()>
                {move || if saved.get() { "Saved" } else { "Save" }}
            </button>
        </form>
        <p class="feedback-message" role="status">{move || message.get()}</p>
    }
}

/// [`SaveControl`] for a signed-in reader; signed out, a link "Sign in to save" that comes
/// back to the article.
#[component]
pub fn SaveOrSignIn(
    /// The article.
    slug: String,
    /// Whether the reader has saved it.
    saved: bool,
    /// Whether a reader is signed in.
    signed_in: bool,
    /// Where a form post without JavaScript returns to.
    back: String,
) -> impl IntoView {
    if signed_in {
        view! { <SaveControl slug saved back /> }.into_any()
    } else {
        let article = format!("/articles/{}", path_segment(&slug));
        view! {
            <p class="save-sign-in">
                <a href=sign_in_href(&article, "")>"Sign in to save"</a>
            </p>
        }
        .into_any()
    }
}

/// `/saved`: the signed-in reader's saved articles, newest saved first, each with "Remove".
/// Signed out: a link to sign in and come back.
#[component]
pub fn SavedPage() -> impl IntoView {
    let page = use_page_number();
    let data = Resource::new(move || page.get(), get_saved_page);
    view! {
        <Title text="Saved articles" />
        <h1 class="page-title">"Saved articles"</h1>
        <Suspense fallback=|| view! { <p class="loading">"Loading saved articles…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(listing) => view! { <SavedList listing /> }.into_any(),
                    Err(AppError::Unauthorized) => {
                        view! {
                            <p>
                                <a href=sign_in_href("/saved", "")>
                                    "Sign in to see your saved articles"
                                </a>
                            </p>
                        }
                            .into_any()
                    }
                    Err(err) => error_view(err),
                }
            })}
        </Suspense>
    }
}

/// `/saved` or `/saved?page=N`.
fn saved_href(page: u32) -> String {
    if page > 1 {
        format!("/saved?page={page}")
    } else {
        "/saved".to_owned()
    }
}

#[component]
fn SavedList(listing: ArticleListPage) -> impl IntoView {
    let ArticleListPage {
        page,
        items,
        has_next,
    } = listing;
    let refused = view! { <Refused paths=&[SetSaved::PATH] what="Not removed" /> };
    if items.is_empty() {
        let message = if page > 1 {
            view! {
                <p>
                    "Nothing more saved. " <a href="/saved">"Back to your newest saved articles"</a>
                </p>
            }
            .into_any()
        } else {
            view! { <p>"Nothing saved yet. Press “Save” on any article to keep it here."</p> }
                .into_any()
        };
        return view! {
            {refused}
            {message}
        }
        .into_any();
    }
    let back = saved_href(page);
    let newer = (page > 1).then(|| {
        view! {
            <a href=saved_href(page - 1) rel="prev">
                "Newer"
            </a>
        }
    });
    let older = has_next.then(|| {
        view! {
            <a href=saved_href(page + 1) rel="next">
                "Older"
            </a>
        }
    });
    view! {
        {refused}
        <ol class="article-list">
            {items
                .into_iter()
                .enumerate()
                .map(|(index, item)| view! { <SavedItem item index back=back.clone() /> })
                .collect_view()}
        </ol>
        {(newer.is_some() || older.is_some())
            .then(|| {
                view! {
                    <nav class="pager" aria-label="More saved articles">
                        {newer}
                        {older}
                    </nav>
                }
            })}
    }
    .into_any()
}

/// One saved article: its title, byline and a "Remove" form (described by the title, so a
/// screen reader hears which article each "Remove" is for).
#[component]
fn SavedItem(item: ArticleListItem, index: usize, back: String) -> impl IntoView {
    let title_id = format!("saved-{index}");
    view! {
        <li class="article-card">
            <h2 class="article-card-title" id=title_id.clone()>
                <a href=format!("/articles/{}", path_segment(&item.slug))>{item.title}</a>
            </h2>
            <Byline
                author_name=item.author_name
                author_handle=item.author_handle
                published_at=item.published_at
                reading_minutes=item.reading_minutes
            />
            <form method="post" action=SetSaved::PATH class="inline-form">
                <input type="hidden" name="slug" value=item.slug />
                <input type="hidden" name="saved" value="false" />
                <input type="hidden" name="back" value=back />
                <button type="submit" class="secondary" aria-describedby=title_id>
                    "Remove"
                </button>
            </form>
        </li>
    }
}
