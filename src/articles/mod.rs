//! Articles: what readers browse. Types shared by server and browser, the server functions
//! that read them, the pages that show them, and (server only) storage and rendering.

use leptos::server;
// Reads are GET: cacheable, and never mistaken for a write (see page_cache).
use leptos::server_fn::codec::GetUrl;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

pub mod components;
pub mod reading_time;
#[cfg(feature = "ssr")]
pub mod render;
#[cfg(feature = "ssr")]
pub mod slug;
#[cfg(feature = "ssr")]
pub mod source;
#[cfg(feature = "ssr")]
pub mod store;

pub use components::{ArticlePage, AuthorPage, HomePage, TagPage};

/// Articles on one page of a listing.
pub const PAGE_SIZE: u32 = 20;

/// One row of an article listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct ArticleListItem {
    /// Row id.
    pub id: i64,
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
    /// Tag names.
    #[cfg_attr(feature = "ssr", sqlx(skip))]
    pub tags: Vec<String>,
    /// Whether the signed-in reader saved the article (always false for anonymous readers).
    #[cfg_attr(feature = "ssr", sqlx(skip))]
    pub saved: bool,
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
    /// Likes.
    pub like_count: i64,
    /// Visible comments.
    pub comment_count: i64,
    /// Ratings.
    pub rating_count: i64,
    /// Sum of all ratings' stars.
    pub rating_sum: i64,
    /// Ratings of one star.
    pub rating_1: i64,
    /// Ratings of two stars.
    pub rating_2: i64,
    /// Ratings of three stars.
    pub rating_3: i64,
    /// Ratings of four stars.
    pub rating_4: i64,
    /// Ratings of five stars.
    pub rating_5: i64,
    /// Author's display name.
    pub author_name: String,
    /// Author's handle.
    pub author_handle: String,
    /// Author's biography.
    pub author_bio: String,
    /// Author's followers.
    pub author_followers: i64,
    /// Author's id.
    pub author_id: i64,
    /// The user account of the author, when they have one.
    pub author_user_id: Option<i64>,
    /// Whether the signed-in reader likes the article.
    #[cfg_attr(feature = "ssr", sqlx(skip))]
    pub liked: bool,
    /// The signed-in reader's rating.
    #[cfg_attr(feature = "ssr", sqlx(skip))]
    pub my_rating: Option<i64>,
    /// Whether the signed-in reader follows the author.
    #[cfg_attr(feature = "ssr", sqlx(skip))]
    pub following: bool,
    /// Whether the signed-in reader saved the article to their reading list.
    #[cfg_attr(feature = "ssr", sqlx(skip))]
    pub saved: bool,
    /// Tag names.
    #[cfg_attr(feature = "ssr", sqlx(skip))]
    pub tags: Vec<String>,
    /// Canonical URL on this site.
    #[cfg_attr(feature = "ssr", sqlx(skip))]
    pub canonical_url: String,
    /// schema.org `Article` as JSON, safe to place inside a `<script>` element.
    #[cfg_attr(feature = "ssr", sqlx(skip))]
    pub json_ld: String,
}

/// An author as their page shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct AuthorProfile {
    /// Row id.
    pub id: i64,
    /// URL handle.
    pub handle: String,
    /// Display name.
    pub name: String,
    /// Biography.
    pub bio: String,
    /// Followers.
    pub follower_count: i64,
    /// The user account of the author, when they have one.
    pub user_id: Option<i64>,
}

/// The author page: the author and a page of their articles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorPageData {
    /// The author.
    pub author: AuthorProfile,
    /// Their articles.
    pub articles: ArticleListPage,
    /// Whether the signed-in reader follows them.
    pub following: bool,
}

/// Lists the newest articles, [`PAGE_SIZE`] a page.
#[server(endpoint = "list_articles", input = GetUrl)]
pub async fn list_articles(page: u32) -> Result<ArticleListPage, AppError> {
    let state = crate::state::app_state()?;
    let (limit, offset) = page_window(page);
    let mut items = store::list_newest(&state.pool, limit, offset).await?;
    crate::reading_list::mark_saved(&state.pool, &mut items).await?;
    crate::page_cache::shows(crate::page_cache::Shows::Listings);
    Ok(ArticleListPage::from_rows(page, items))
}

/// The article with `slug`, with what its page shows.
#[server(endpoint = "get_article", input = GetUrl)]
pub async fn get_article(slug: String) -> Result<ArticleView, AppError> {
    let state = crate::state::app_state()?;
    if let Some(reason) = store::removal(&state.pool, &slug).await? {
        // Republishing is a write that drops this page like any other.
        crate::page_cache::shows(crate::page_cache::Shows::Article(&slug));
        return Err(AppError::Gone(reason));
    }
    let mut article = store::find_by_slug(&state.pool, &slug)
        .await?
        .ok_or(AppError::NotFound)?;
    // The page shows the article's counts and its author's followers.
    crate::page_cache::shows(crate::page_cache::Shows::Article(&article.slug));
    crate::page_cache::shows(crate::page_cache::Shows::Author(&article.author_handle));
    if let Some(user) = crate::accounts::session::current_user() {
        let (liked, rating, following) = crate::feedback::store::viewer_state(
            &state.pool,
            user.id,
            article.id,
            article.author_id,
        )
        .await?;
        article.liked = liked;
        article.my_rating = rating;
        article.following = following;
        article.saved =
            crate::reading_list::store::is_saved(&state.pool, user.id, article.id).await?;
    }
    article.canonical_url = format!("{}/articles/{}", state.config.public_url, article.slug);
    article.json_ld = json_ld(&article);
    Ok(article)
}

/// The author with `handle` and a page of their articles.
#[server(endpoint = "get_author_page", input = GetUrl)]
pub async fn get_author_page(handle: String, page: u32) -> Result<AuthorPageData, AppError> {
    let state = crate::state::app_state()?;
    let author = store::find_author(&state.pool, &handle)
        .await?
        .ok_or(AppError::NotFound)?;
    crate::page_cache::shows(crate::page_cache::Shows::Author(&author.handle));
    let (limit, offset) = page_window(page);
    let mut items = store::list_by_author(&state.pool, author.id, limit, offset).await?;
    crate::reading_list::mark_saved(&state.pool, &mut items).await?;
    let following = match crate::accounts::session::current_user() {
        Some(user) => crate::feedback::store::is_following(&state.pool, user.id, author.id).await?,
        None => false,
    };
    Ok(AuthorPageData {
        author,
        articles: ArticleListPage::from_rows(page, items),
        following,
    })
}

/// A page of the articles tagged `tag`.
#[server(endpoint = "get_tag_page", input = GetUrl)]
pub async fn get_tag_page(tag: String, page: u32) -> Result<ArticleListPage, AppError> {
    let state = crate::state::app_state()?;
    if !store::tag_exists(&state.pool, &tag).await? {
        return Err(AppError::NotFound);
    }
    let (limit, offset) = page_window(page);
    let mut items = store::list_by_tag(&state.pool, &tag, limit, offset).await?;
    crate::reading_list::mark_saved(&state.pool, &mut items).await?;
    crate::page_cache::shows(crate::page_cache::Shows::Listings);
    Ok(ArticleListPage::from_rows(page, items))
}

/// `(limit, offset)` for a 1-based page, asking one extra row to learn if a next page exists.
#[cfg(feature = "ssr")]
pub(crate) fn page_window(page: u32) -> (i64, i64) {
    let page = page.max(1);
    (
        i64::from(PAGE_SIZE) + 1,
        i64::from(page - 1) * i64::from(PAGE_SIZE),
    )
}

impl ArticleListPage {
    /// A page from rows fetched with [`page_window`]'s extra row.
    #[cfg(feature = "ssr")]
    pub(crate) fn from_rows(page: u32, mut items: Vec<ArticleListItem>) -> Self {
        let has_next = items.len() > PAGE_SIZE as usize;
        items.truncate(PAGE_SIZE as usize);
        Self {
            page: page.max(1),
            items,
            has_next,
        }
    }
}

/// schema.org `Article` for search engines, with `<` escaped so it cannot close the script.
#[cfg(feature = "ssr")]
fn json_ld(article: &ArticleView) -> String {
    let (date, _) = crate::site::format_date(article.published_at);
    let mut value = serde_json::json!({
        "@context": "https://schema.org",
        "@type": "Article",
        "headline": article.title,
        "description": article.summary,
        "author": { "@type": "Person", "name": article.author_name },
        "datePublished": date,
        "keywords": article.tags.join(", "),
        "inLanguage": article.lang,
        "mainEntityOfPage": article.canonical_url,
    });
    // Search engines show stars only for real ratings: none until the first one.
    if article.rating_count > 0 {
        value["aggregateRating"] = serde_json::json!({
            "@type": "AggregateRating",
            "ratingValue": format!("{:.1}", article.rating_sum as f64 / article.rating_count as f64),
            "ratingCount": article.rating_count,
            "bestRating": 5,
            "worstRating": 1,
        });
    }
    value.to_string().replace('<', "\\u003c")
}
