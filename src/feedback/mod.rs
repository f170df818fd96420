//! Reader feedback: likes, ratings and follows, updated in place without reloads and posted
//! as plain forms without JavaScript.
//!
//! The reader always comes from the session, never from the request: a call cannot act for
//! someone else. Every write is idempotent (set a state, never toggle).

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[cfg(feature = "ssr")]
pub mod store;

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
        match self.count {
            0 => "No ratings yet".to_owned(),
            1 => format!("Average {:.1} from 1 rating", self.sum as f64),
            n => format!("Average {:.1} from {n} ratings", self.sum as f64 / n as f64),
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
async fn article_id(pool: &crate::db::Pool, slug: &str) -> Result<i64, AppError> {
    crate::articles::store::find_source(pool, slug)
        .await?
        .map(|(id, _)| id)
        .ok_or(AppError::NotFound)
}

/// Likes or unlikes the article `slug` for the signed-in reader.
#[server]
pub async fn set_like(slug: String, liked: bool) -> Result<LikeState, AppError> {
    use crate::accounts::session;
    let user = session::require_user()?;
    let state = crate::state::app_state()?;
    let id = article_id(&state.pool, &slug).await?;
    let result = store::set_like(&state.pool, user.id, id, liked, crate::db::now_ms())
        .await?
        .ok_or(AppError::NotFound)?;
    session::back_to_form(&format!("/articles/{slug}#reader-feedback"));
    Ok(result)
}

/// Rates the article `slug` (1 to 5 stars) for the signed-in reader.
#[server]
pub async fn rate_article(slug: String, stars: String) -> Result<RatingSummary, AppError> {
    use crate::accounts::session;
    let user = session::require_user()?;
    let rating = Rating::parse(&stars).map_err(|message| AppError::invalid("stars", message))?;
    let state = crate::state::app_state()?;
    let id = article_id(&state.pool, &slug).await?;
    let summary = store::set_rating(
        &state.pool,
        user.id,
        id,
        Some(rating.stars()),
        crate::db::now_ms(),
    )
    .await?
    .ok_or(AppError::NotFound)?;
    session::back_to_form(&format!("/articles/{slug}#reader-feedback"));
    Ok(summary)
}

/// Removes the signed-in reader's rating of the article `slug`.
#[server]
pub async fn remove_rating(slug: String) -> Result<RatingSummary, AppError> {
    use crate::accounts::session;
    let user = session::require_user()?;
    let state = crate::state::app_state()?;
    let id = article_id(&state.pool, &slug).await?;
    let summary = store::set_rating(&state.pool, user.id, id, None, crate::db::now_ms())
        .await?
        .ok_or(AppError::NotFound)?;
    session::back_to_form(&format!("/articles/{slug}#reader-feedback"));
    Ok(summary)
}

/// Follows or unfollows the author `handle` for the signed-in reader. `back` is where a form
/// post without JavaScript returns to (a same-site path).
#[server]
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
    let result = store::set_follow(
        &state.pool,
        user.id,
        author.id,
        following,
        crate::db::now_ms(),
    )
    .await?
    .ok_or(AppError::NotFound)?;
    let back = crate::accounts::domain::SafeNextPath::parse(back.as_deref());
    session::back_to_form(back.as_str());
    Ok(result)
}

/// The like button and count: optimistic, rolled back with a message if the server refuses.
#[component]
pub fn LikeControl(slug: String, initial: LikeState) -> impl IntoView {
    let liked = RwSignal::new(initial.liked);
    let count = RwSignal::new(initial.count);
    // The last state the server confirmed, to roll back to.
    let confirmed = StoredValue::new(initial);
    let message = RwSignal::new(None::<String>);
    let action = ServerAction::<SetLike>::new();
    // One call at a time: a click while one is in flight is sent when it returns, so the
    // server always ends on the reader's last choice.
    let slug_for_effect = slug.clone();
    Effect::new(move |_| match action.value().get() {
        Some(Ok(state)) => {
            confirmed.set_value(state);
            let want = liked.get_untracked();
            if state.liked == want {
                count.set(state.count);
            } else {
                count.set(state.count + if want { 1 } else { -1 });
                action.dispatch(SetLike {
                    slug: slug_for_effect.clone(),
                    liked: want,
                });
            }
        }
        Some(Err(err)) => {
            let previous = confirmed.get_value();
            liked.set(previous.liked);
            count.set(previous.count);
            message.set(Some(format!("Your like was not saved: {err}")));
        }
        None => {}
    });
    let slug_for_submit = slug.clone();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let want = !liked.get_untracked();
        liked.set(want);
        count.update(|c| *c += if want { 1 } else { -1 });
        message.set(None);
        if !action.pending().get_untracked() {
            action.dispatch(SetLike {
                slug: slug_for_submit.clone(),
                liked: want,
            });
        }
    };
    view! {
        <form method="post" action=SetLike::PATH class="like-form" on:submit=on_submit>
            <input type="hidden" name="slug" value=slug />
            <input type="hidden" name="liked" value=move || (!liked.get()).to_string() />
            <button
                type="submit"
                class="toggle"
                aria-pressed=move || liked.get().to_string()
            >
                <span aria-hidden="true">{move || if liked.get() { "♥ " } else { "♡ " }}</span>
                "Like"
            </button>
            <span class="count">{move || crate::articles::pages::plural(count.get(), "like", "likes")}</span>
        </form>
        <p class="feedback-message" role="status">{move || message.get()}</p>
    }
}

/// The "Rate this article" radio group: saves on every choice, keyboard included.
#[component]
pub fn RatingControl(slug: String, initial: RatingSummary) -> impl IntoView {
    let summary = RwSignal::new(initial);
    let message = RwSignal::new(None::<String>);
    let rate = ServerAction::<RateArticle>::new();
    let remove = ServerAction::<RemoveRating>::new();
    // The "Save rating" button is for readers without JavaScript: once hydrated, choosing saves.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    // One rating call at a time: choices made while one is in flight (arrow keys are fast)
    // are sent when it returns, so the server always ends on the reader's last choice.
    let slug_effect = slug.clone();
    let resend = move |want: Option<i64>| match want {
        Some(stars) => {
            rate.dispatch(RateArticle {
                slug: slug_effect.clone(),
                stars: stars.to_string(),
            });
        }
        None => {
            remove.dispatch(RemoveRating {
                slug: slug_effect.clone(),
            });
        }
    };
    for action_value in [rate.value(), remove.value()] {
        let resend = resend.clone();
        Effect::new(move |_| match action_value.get() {
            Some(Ok(new)) => {
                let want = summary.get_untracked().mine;
                summary.set(RatingSummary { mine: want, ..new });
                message.set(None);
                if new.mine != want {
                    resend(want);
                }
            }
            Some(Err(err)) => message.set(Some(format!("Your rating was not saved: {err}"))),
            None => {}
        });
    }
    let busy = move || rate.pending().get_untracked() || remove.pending().get_untracked();
    let resend_choice = resend.clone();
    let choose = move |stars: i64| {
        summary.update(|s| s.mine = Some(stars));
        if !busy() {
            resend_choice(Some(stars));
        }
    };
    let on_remove = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        summary.update(|s| s.mine = None);
        if !busy() {
            resend(None);
        }
    };
    let slug_hidden = slug.clone();
    view! {
        <form
            method="post"
            action=RateArticle::PATH
            class="rating-form"
            on:submit=|ev: leptos::ev::SubmitEvent| ev.prevent_default()
        >
            <input type="hidden" name="slug" value=slug.clone() />
            <div role="radiogroup" aria-labelledby="rate-heading" class="stars">
                {(1..=5)
                    .map(|stars: i64| {
                        let label = if stars == 1 { "1 star".to_owned() } else { format!("{stars} stars") };
                        let choose = choose.clone();
                        view! {
                            <label class="star">
                                <input
                                    type="radio"
                                    name="stars"
                                    value=stars.to_string()
                                    prop:checked=move || summary.get().mine == Some(stars)
                                    checked=initial.mine == Some(stars)
                                    on:change=move |_| choose(stars)
                                />
                                <span>{label}</span>
                            </label>
                        }
                    })
                    .collect_view()}
            </div>
            <button type="submit" class="secondary" hidden=move || hydrated.get()>
                "Save rating"
            </button>
        </form>
        <Show when=move || summary.get().mine.is_some()>
            <form method="post" action=RemoveRating::PATH class="inline-form" on:submit=on_remove.clone()>
                <input type="hidden" name="slug" value=slug_hidden.clone() />
                <button type="submit" class="link-button">"Remove my rating"</button>
            </form>
        </Show>
        <p class="feedback-message" role="status">{move || message.get()}</p>
        {move || {
            let summary = summary.get();
            view! {
                <p class="rating-average">{summary.average_text()}</p>
                <crate::articles::pages::RatingDistribution summary />
            }
        }}
    }
}

/// The follow button and follower count of an author.
#[component]
pub fn FollowControl(
    handle: String,
    initial: FollowState,
    /// Where a form post without JavaScript returns to.
    back: String,
    /// Whether to show the button (not for signed-out readers or the author themself).
    can_follow: bool,
) -> impl IntoView {
    let following = RwSignal::new(initial.following);
    let followers = RwSignal::new(initial.followers);
    let message = RwSignal::new(None::<String>);
    let action = ServerAction::<SetFollow>::new();
    Effect::new(move |_| match action.value().get() {
        Some(Ok(state)) => {
            following.set(state.following);
            followers.set(state.followers);
            message.set(None);
        }
        Some(Err(err)) => message.set(Some(format!("Not saved: {err}"))),
        None => {}
    });
    let handle_submit = handle.clone();
    let back_submit = back.clone();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        action.dispatch(SetFollow {
            handle: handle_submit.clone(),
            following: !following.get_untracked(),
            back: Some(back_submit.clone()),
        });
    };
    view! {
        <p class="count">{move || crate::articles::pages::plural(followers.get(), "follower", "followers")}</p>
        {can_follow
            .then(|| {
                view! {
                    <form method="post" action=SetFollow::PATH class="follow-form" on:submit=on_submit>
                        <input type="hidden" name="handle" value=handle.clone() />
                        <input type="hidden" name="following" value=move || (!following.get()).to_string() />
                        <input type="hidden" name="back" value=back.clone() />
                        <button type="submit" class="toggle" aria-pressed=move || following.get().to_string()>
                            {move || if following.get() { "Following" } else { "Follow" }}
                        </button>
                    </form>
                    <p class="feedback-message" role="status">{move || message.get()}</p>
                }
            })}
    }
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
        s.count = 1;
        s.sum = 4;
        assert_eq!(s.average_text(), "Average 4.0 from 1 rating");
        s.count = 2;
        s.sum = 7;
        assert_eq!(s.average_text(), "Average 3.5 from 2 ratings");
    }
}
