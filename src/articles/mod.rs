//! Articles: what readers browse. Types shared by server and browser, the server functions
//! that read them, the pages that show them, and (server only) storage and rendering.

use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::{use_params_map, use_query_map};
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::site::{use_site_info, DateTime, NotFound, SiteInfo};

pub mod reading_time;
#[cfg(feature = "ssr")]
pub mod render;
#[cfg(feature = "ssr")]
pub mod store;

/// Articles on one page of a listing.
pub const PAGE_SIZE: u32 = 20;

/// One row of an article listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct ArticleListItem {
    /// URL slug.
    pub slug: String,
    /// Title.
    pub title: String,
    /// Summary.
    pub summary: String,
    /// Publication time, ms since the epoch.
    pub published_at: i64,
    /// Estimated minutes to read.
    pub reading_minutes: i64,
    /// Author's display name.
    pub author_name: String,
    /// Author's handle.
    pub author_handle: String,
}

/// One page of a listing, with whether more pages follow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArticleListPage {
    /// 1-based page number.
    pub page: u32,
    /// The articles on this page.
    pub items: Vec<ArticleListItem>,
    /// Whether a next page exists.
    pub has_next: bool,
}

/// Everything the article page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct ArticleView {
    /// Row id.
    pub id: i64,
    /// URL slug.
    pub slug: String,
    /// Title.
    pub title: String,
    /// Summary.
    pub summary: String,
    /// Sanitised HTML of the body.
    pub body_html: String,
    /// BCP 47 language of the body.
    pub lang: String,
    /// Publication time, ms since the epoch.
    pub published_at: i64,
    /// Last import time, ms since the epoch.
    pub updated_at: i64,
    /// Estimated minutes to read.
    pub reading_minutes: i64,
    /// Author's display name.
    pub author_name: String,
    /// Author's handle.
    pub author_handle: String,
    /// Author's biography.
    pub author_bio: String,
    /// Tag names.
    #[cfg_attr(feature = "ssr", sqlx(skip))]
    pub tags: Vec<String>,
}

/// Lists the newest articles, [`PAGE_SIZE`] a page.
#[server]
pub async fn list_articles(page: u32) -> Result<ArticleListPage, AppError> {
    let state = crate::state::app_state()?;
    let page = page.max(1);
    let offset = i64::from(page - 1) * i64::from(PAGE_SIZE);
    // One extra row tells whether a next page exists without a COUNT(*).
    let mut items = store::list_newest(&state.pool, i64::from(PAGE_SIZE) + 1, offset).await?;
    let has_next = items.len() > PAGE_SIZE as usize;
    items.truncate(PAGE_SIZE as usize);
    Ok(ArticleListPage {
        page,
        items,
        has_next,
    })
}

/// The article with `slug`.
#[server]
pub async fn get_article(slug: String) -> Result<ArticleView, AppError> {
    let state = crate::state::app_state()?;
    store::find_by_slug(&state.pool, &slug)
        .await?
        .ok_or(AppError::NotFound)
}

/// The home page: newest articles first.
#[component]
pub fn HomePage() -> impl IntoView {
    let query = use_query_map();
    let page = move || {
        query
            .read()
            .get("page")
            .and_then(|p| p.parse::<u32>().ok())
            .unwrap_or(1)
            .max(1)
    };
    let listing = Resource::new(page, list_articles);
    view! {
        <Title text="Latest articles" />
        <h1 class="page-title">"Latest articles"</h1>
        <Suspense fallback=|| view! { <p class="loading">"Loading articles…"</p> }>
            {move || Suspend::new(async move {
                match listing.await {
                    Ok(listing) => view! { <ArticleList listing /> }.into_any(),
                    Err(err) => view! { <p role="alert">{err.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// A page of article cards with previous/next links that work without JavaScript.
#[component]
fn ArticleList(listing: ArticleListPage) -> impl IntoView {
    let ArticleListPage {
        page,
        items,
        has_next,
    } = listing;
    if items.is_empty() {
        return view! { <p>"No articles yet."</p> }.into_any();
    }
    view! {
        <ol class="article-list">
            {items
                .into_iter()
                .map(|item| {
                    let href = format!("/articles/{}", item.slug);
                    view! {
                        <li class="article-card">
                            <h2 class="article-card-title">
                                <a href=href>{item.title}</a>
                            </h2>
                            <p class="article-card-summary">{item.summary}</p>
                            <p class="byline">
                                <span>{item.author_name}</span>
                                " · "
                                <DateTime ms=item.published_at />
                                " · "
                                <span>{format!("{} min read", item.reading_minutes)}</span>
                            </p>
                        </li>
                    }
                })
                .collect_view()}
        </ol>
        <nav class="pager" aria-label="Pages">
            {(page > 1)
                .then(|| {
                    let href = if page == 2 { "/".to_owned() } else { format!("/?page={}", page - 1) };
                    view! { <a href=href rel="prev">"Newer articles"</a> }
                })}
            {has_next
                .then(|| {
                    view! { <a href=format!("/?page={}", page + 1) rel="next">"Older articles"</a> }
                })}
        </nav>
    }
    .into_any()
}

/// The article page.
#[component]
pub fn ArticlePage() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let article = Resource::new(slug, get_article);
    let site = use_site_info();
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading article…"</p> }>
            {move || Suspend::new(async move {
                match (article.await, site.get().await) {
                    (Ok(article), Ok(site)) => view! { <ArticleReader article site /> }.into_any(),
                    (Err(AppError::NotFound), _) => view! { <NotFound /> }.into_any(),
                    (Err(err), _) | (_, Err(err)) => {
                        view! { <p role="alert">{err.to_string()}</p> }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
fn ArticleReader(article: ArticleView, site: SiteInfo) -> impl IntoView {
    view! {
        <Title text=article.title.clone() />
        <Meta name="description" content=article.summary.clone() />
        <article class="article" lang=article.lang.clone()>
            <header class="article-header">
                <h1>{article.title.clone()}</h1>
                <p class="article-summary">{article.summary.clone()}</p>
                <p class="byline">
                    <span>{article.author_name.clone()}</span>
                    " · "
                    <DateTime ms=article.published_at />
                    " · "
                    <span>{format!("{} min read", article.reading_minutes)}</span>
                </p>
            </header>
            <div class="prose" inner_html=article.body_html.clone()></div>
        </article>
        <section class="notice" aria-labelledby="notice-heading">
            <h2 id="notice-heading">"Republication Notice"</h2>
            <p>{site.republication_notice.clone()}</p>
            <p>
                <a href=format!(
                    "mailto:{}",
                    site.contact_email,
                )>{site.contact_email.clone()}</a>
            </p>
        </section>
    }
}
