//! The reading list: signed-in readers save articles from the article page and from every
//! listing, and find them again at `/saved`, newest saved first.
//!
//! Saving is the reader's own business: nothing another reader sees changes, so a save
//! publishes no event and drops no kept page (only anonymous pages are kept, and they show
//! a "Sign in to save" link, never the reader's state). Writes are idempotent: the form says
//! which state it wants, never "toggle".

use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;
use serde::{Deserialize, Serialize};

use crate::articles::ArticleListPage;
use crate::error::AppError;

mod components;
#[cfg(feature = "ssr")]
pub mod store;

pub use components::{SaveControl, SaveOrSignIn, SavedPage};

/// Whether the reader has the article on their list, as a save call answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaveState {
    /// Whether the article is saved now.
    pub saved: bool,
}

/// Saves (`saved`) or unsaves the article `slug` for the signed-in reader. `back` is where a
/// form post without JavaScript returns to (a same-site path; the article by default).
#[server(endpoint = "set_saved")]
pub async fn set_saved(
    slug: String,
    saved: bool,
    back: Option<String>,
) -> Result<SaveState, AppError> {
    use crate::accounts::session;
    let user = session::require_user()?;
    let state = crate::state::app_state()?;
    // Published articles only: an unknown or unpublished one is not there to save.
    let (article_id, _) = crate::articles::store::find_source(&state.pool, &slug)
        .await?
        .ok_or(AppError::NotFound)?;
    store::set_saved(&state.pool, user.id, article_id, saved, crate::db::now_ms()).await?;
    let back = match back {
        Some(back) => crate::accounts::domain::SafeNextPath::parse(Some(&back))
            .as_str()
            .to_owned(),
        None => format!("/articles/{}", crate::site::path_segment(&slug)),
    };
    session::back_to_form(&back);
    Ok(SaveState { saved })
}

/// A page of the signed-in reader's saved articles (as many as a listing's page), newest
/// saved first; 401 when signed out.
#[server(endpoint = "get_saved_page", input = GetUrl)]
pub async fn get_saved_page(page: u32) -> Result<ArticleListPage, AppError> {
    let user = crate::accounts::session::require_user()?;
    let state = crate::state::app_state()?;
    let (limit, offset) = crate::articles::page_window(page);
    let items = store::list_saved(&state.pool, user.id, limit, offset).await?;
    Ok(ArticleListPage::from_rows(page, items))
}

/// Marks which of a listing page's `items` the signed-in reader saved (one query for the
/// page); nothing for anonymous readers, whose pages are shared and kept.
#[cfg(feature = "ssr")]
pub async fn mark_saved(
    pool: &crate::db::Pool,
    items: &mut [crate::articles::ArticleListItem],
) -> sqlx::Result<()> {
    let Some(user) = crate::accounts::session::current_user() else {
        return Ok(());
    };
    let ids: Vec<i64> = items.iter().map(|item| item.id).collect();
    let saved = store::saved_ids(pool, user.id, &ids).await?;
    for item in items {
        item.saved = saved.contains(&item.id);
    }
    Ok(())
}
