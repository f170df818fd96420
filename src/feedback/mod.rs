//! Reader feedback: likes, ratings and follows, updated in place without reloads and posted
//! as plain forms without JavaScript.
//!
//! The reader always comes from the session, never from the request: a call cannot act for
//! someone else. Every write is idempotent (set a state, never toggle).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

mod components;
#[cfg(feature = "ssr")]
pub mod store;

pub use components::{FollowControl, LikeControl, RatingControl, RatingDistribution};

/// A reader's like and the article's like count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LikeState {
    /// Whether the reader likes the article.
    pub liked: bool,
    /// Likes of the article.
    pub count: i64,
}

/// An article's ratings and the reader's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RatingSummary {
    /// Number of ratings.
    pub count: i64,
    /// Sum of their stars.
    pub sum: i64,
    /// Ratings of 1 to 5 stars, in that order.
    pub stars: [i64; 5],
    /// The reader's rating.
    pub mine: Option<i64>,
}

impl RatingSummary {
    /// "No ratings yet", or "Average 4.5 from 2 ratings".
    pub fn average_text(&self) -> String {
        let n = self.count;
        if n <= 0 {
            return "No ratings yet".to_owned();
        }
        // Tenths of a star, rounded half up, in whole numbers: the same text on the server
        // and in the browser, without float formatting in the WASM.
        let tenths = (self.sum * 10 * 2 + n) / (2 * n);
        let (whole, tenth) = (tenths / 10, tenths % 10);
        if n == 1 {
            format!("Average {whole}.{tenth} from 1 rating")
        } else {
            format!("Average {whole}.{tenth} from {n} ratings")
        }
    }
}

/// A reader's follow and the author's follower count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowState {
    /// Whether the reader follows the author.
    pub following: bool,
    /// Followers of the author.
    pub followers: i64,
}

/// A rating: a whole number of stars from 1 to 5.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rating(i64);

impl Rating {
    /// Parses a rating as typed or posted; anything but 1, 2, 3, 4 or 5 is refused.
    pub fn parse(input: &str) -> Result<Self, String> {
        match input.trim().parse::<i64>() {
            Ok(n) if (1..=5).contains(&n) => Ok(Self(n)),
            _ => Err(format!(
                "A rating is a whole number of stars from 1 to 5, not {:?}",
                input.trim()
            )),
        }
    }

    /// The number of stars.
    pub fn stars(self) -> i64 {
        self.0
    }
}

#[cfg(feature = "ssr")]
use crate::events::Change;

/// What a rating write changed, for the article's pages.
#[cfg(feature = "ssr")]
fn rated(slug: &str, summary: &RatingSummary) -> Change {
    Change::Rated {
        slug: slug.to_owned(),
        count: summary.count,
        sum: summary.sum,
        stars: summary.stars,
    }
}

#[cfg(feature = "ssr")]
async fn article_id(pool: &crate::db::Pool, slug: &str) -> Result<i64, AppError> {
    crate::articles::store::find_source(pool, slug)
        .await?
        .map(|(id, _)| id)
        .ok_or(AppError::NotFound)
}

/// Likes or unlikes the article `slug` for the signed-in reader.
#[server(endpoint = "set_like")]
pub async fn set_like(slug: String, liked: bool) -> Result<LikeState, AppError> {
    use crate::accounts::session;
    let user = session::require_user()?;
    let state = crate::state::app_state()?;
    let id = article_id(&state.pool, &slug).await?;
    let mut tx = state.pool.begin().await?;
    let result = store::set_like(&mut tx, user.id, id, liked, crate::db::now_ms())
        .await?
        .ok_or(AppError::NotFound)?;
    let change = Change::Liked {
        slug: slug.clone(),
        count: result.count,
    };
    state.events.commit(tx, change).await?;
    session::back_to_form(&format!("/articles/{slug}#reader-feedback"));
    Ok(result)
}

/// What "Save rating" without a choice is told.
pub const NO_STARS: &str = "Choose how many stars to give, from 1 to 5";

/// Rates the article `slug` (1 to 5 stars) for the signed-in reader. `stars` is optional in
/// the call so that "Save rating" pressed without a choice (no JavaScript) gets a message in
/// our words, not a 400 for a missing field.
#[server(endpoint = "rate_article")]
pub async fn rate_article(slug: String, stars: Option<String>) -> Result<RatingSummary, AppError> {
    use crate::accounts::session;
    let user = session::require_user()?;
    let stars = stars.ok_or_else(|| AppError::invalid("stars", NO_STARS))?;
    let rating = Rating::parse(&stars).map_err(|message| AppError::invalid("stars", message))?;
    let state = crate::state::app_state()?;
    let id = article_id(&state.pool, &slug).await?;
    let mut tx = state.pool.begin().await?;
    let summary = store::set_rating(
        &mut tx,
        user.id,
        id,
        Some(rating.stars()),
        crate::db::now_ms(),
    )
    .await?
    .ok_or(AppError::NotFound)?;
    state.events.commit(tx, rated(&slug, &summary)).await?;
    session::back_to_form(&format!("/articles/{slug}#reader-feedback"));
    Ok(summary)
}

/// Removes the signed-in reader's rating of the article `slug`.
#[server(endpoint = "remove_rating")]
pub async fn remove_rating(slug: String) -> Result<RatingSummary, AppError> {
    use crate::accounts::session;
    let user = session::require_user()?;
    let state = crate::state::app_state()?;
    let id = article_id(&state.pool, &slug).await?;
    let mut tx = state.pool.begin().await?;
    let summary = store::set_rating(&mut tx, user.id, id, None, crate::db::now_ms())
        .await?
        .ok_or(AppError::NotFound)?;
    state.events.commit(tx, rated(&slug, &summary)).await?;
    session::back_to_form(&format!("/articles/{slug}#reader-feedback"));
    Ok(summary)
}

/// Follows or unfollows the author `handle` for the signed-in reader. `back` is where a form
/// post without JavaScript returns to (a same-site path).
#[server(endpoint = "set_follow")]
pub async fn set_follow(
    handle: String,
    following: bool,
    back: Option<String>,
) -> Result<FollowState, AppError> {
    use crate::accounts::session;
    let user = session::require_user()?;
    let state = crate::state::app_state()?;
    let author = crate::articles::store::find_author(&state.pool, &handle)
        .await?
        .ok_or(AppError::NotFound)?;
    if author.user_id == Some(user.id) {
        return Err(AppError::invalid("following", "You cannot follow yourself"));
    }
    let mut tx = state.pool.begin().await?;
    let result = store::set_follow(&mut tx, user.id, author.id, following, crate::db::now_ms())
        .await?
        .ok_or(AppError::NotFound)?;
    let change = Change::Followed {
        handle: author.handle,
        followers: result.followers,
    };
    state.events.commit(tx, change).await?;
    let back = crate::accounts::domain::SafeNextPath::parse(back.as_deref());
    session::back_to_form(back.as_str());
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratings_are_whole_stars_from_one_to_five() {
        for good in ["1", "5", " 3 "] {
            assert!(Rating::parse(good).is_ok(), "{good}");
        }
        for bad in ["0", "6", "2.5", "x", "", "-1", "1e0"] {
            assert!(Rating::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn averages_read_naturally() {
        let mut s = RatingSummary {
            count: 0,
            sum: 0,
            stars: [0; 5],
            mine: None,
        };
        assert_eq!(s.average_text(), "No ratings yet");
        // Rounded to the nearest tenth, halves up.
        for (count, sum, text) in [
            (1, 4, "Average 4.0 from 1 rating"),
            (2, 7, "Average 3.5 from 2 ratings"),
            (3, 13, "Average 4.3 from 3 ratings"),
            (4, 17, "Average 4.3 from 4 ratings"),
            (3, 14, "Average 4.7 from 3 ratings"),
            (2, 10, "Average 5.0 from 2 ratings"),
        ] {
            s.count = count;
            s.sum = sum;
            assert_eq!(s.average_text(), text);
        }
    }
}
