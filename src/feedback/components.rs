//! The feedback controls: islands, hydrated in the browser on pages that are otherwise
//! server HTML. Each is a real form first, posted without JavaScript, and handled in place
//! once hydrated. On an article page they follow its live events (`crate::live`), for
//! signed-out readers too, who get the counts and a "Sign in to …" link instead of the form:
//! counts change as other readers act, the reader's own choice never does, and a count a
//! call of the reader's is settling is left to its answer.

use leptos::either::Either;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

use super::{
    rate_article, remove_rating, set_follow, set_like, FollowState, LikeState, RateArticle,
    RatingSummary, RemoveRating, SetFollow, SetLike,
};
#[cfg(feature = "hydrate")]
use crate::live::LiveEvent;
use crate::site::plural;

/// The like button and count: optimistic, rolled back with a message if the server refuses.
/// Signed out (`sign_in` is where to sign in): the count and a link "Sign in to like".
#[island]
pub fn LikeControl(slug: String, initial: LikeState, sign_in: Option<String>) -> impl IntoView {
    let like = Like {
        slug: StoredValue::new(slug.clone()),
        liked: RwSignal::new(initial.liked),
        count: RwSignal::new(initial.count),
        confirmed: StoredValue::new(initial),
        sending: StoredValue::new(false),
        message: RwSignal::new(None),
    };
    #[cfg(feature = "hydrate")]
    crate::live::client::subscribe(
        &slug,
        Box::new(move |event| {
            let count = match *event {
                LiveEvent::Likes { count } | LiveEvent::Snapshot { likes: count, .. } => count,
                _ => return,
            };
            if !like.sending.get_value() {
                like.confirmed.update_value(|c| c.count = count);
                like.count.set(count);
            }
        }),
    );
    let (liked, count, message) = (like.liked, like.count, like.message);
    let count_text = move || plural(count.get(), "like", "likes");
    if let Some(href) = sign_in {
        return Either::Left(view! {
            <p class="count">{count_text}</p>
            <a href=href>"Sign in to like"</a>
        });
    }
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let want = !like.liked.get_untracked();
        like.liked.set(want);
        like.count.update(|c| *c += if want { 1 } else { -1 });
        like.message.set(None);
        if !like.sending.get_value() {
            like.send(want);
        }
    };
    Either::Right(view! {
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
            <span class="count">{count_text}</span>
        </form>
        <p class="feedback-message" role="status">{move || message.get()}</p>
    })
}

/// The state of a [`LikeControl`]. Calls go one at a time (server functions called
/// directly: an action's machinery per call type would weigh on the WASM): a click while one
/// is in flight is sent when it returns, so the server always ends on the reader's last
/// choice.
#[derive(Clone, Copy)]
struct Like {
    slug: StoredValue<String>,
    liked: RwSignal<bool>,
    count: RwSignal<i64>,
    /// The last state the server confirmed, to roll back to.
    confirmed: StoredValue<LikeState>,
    sending: StoredValue<bool>,
    message: RwSignal<Option<String>>,
}

impl Like {
    fn send(self, want: bool) {
        self.sending.set_value(true);
        leptos::task::spawn_local(async move {
            let result = set_like(self.slug.get_value(), want).await;
            self.sending.set_value(false);
            match result {
                Ok(state) => {
                    self.confirmed.set_value(state);
                    let want = self.liked.get_untracked();
                    if state.liked == want {
                        self.count.set(state.count);
                    } else {
                        self.count.set(state.count + if want { 1 } else { -1 });
                        self.send(want);
                    }
                }
                Err(err) => {
                    let previous = self.confirmed.get_value();
                    self.liked.set(previous.liked);
                    self.count.set(previous.count);
                    self.message
                        .set(Some(format!("Your like was not saved: {err}")));
                }
            }
        });
    }
}

/// The "Rate this article" radio group: saves on every choice, keyboard included; then the
/// average and the distribution. Signed out (`sign_in` is where to sign in): a link "Sign in
/// to rate" instead of the radios.
#[island]
pub fn RatingControl(
    slug: String,
    initial: RatingSummary,
    sign_in: Option<String>,
) -> impl IntoView {
    let rating = Rating {
        slug: StoredValue::new(slug.clone()),
        summary: RwSignal::new(initial),
        sending: StoredValue::new(false),
        message: RwSignal::new(None),
    };
    let (summary, message) = (rating.summary, rating.message);
    #[cfg(feature = "hydrate")]
    crate::live::client::subscribe(
        &slug,
        Box::new(move |event| {
            let (count, sum, stars) = match *event {
                LiveEvent::Ratings { count, sum, stars } => (count, sum, stars),
                LiveEvent::Snapshot {
                    rating_count,
                    rating_sum,
                    stars,
                    ..
                } => (rating_count, rating_sum, stars),
                _ => return,
            };
            if !rating.sending.get_value() {
                summary.update(|s| {
                    *s = RatingSummary {
                        count,
                        sum,
                        stars,
                        mine: s.mine,
                    }
                });
            }
        }),
    );
    let aggregate = move || {
        let summary = summary.get();
        view! {
            <p class="rating-average">{summary.average_text()}</p>
            <RatingDistribution summary />
        }
    };
    if let Some(href) = sign_in {
        return Either::Left(view! {
            <p>
                <a href=href>"Sign in to rate"</a>
            </p>
            {aggregate}
        });
    }
    // The "Save rating" button is for readers without JavaScript: once hydrated, choosing saves.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let choose = move |stars: i64| {
        summary.update(|s| s.mine = Some(stars));
        if !rating.sending.get_value() {
            rating.send(Some(stars));
        }
    };
    let on_remove = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        summary.update(|s| s.mine = None);
        if !rating.sending.get_value() {
            rating.send(None);
        }
    };
    Either::Right(view! {
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
        {move || {
            summary
                .get()
                .mine
                .is_some()
                .then(|| {
                    view! {
                        <form method="post" action=RemoveRating::PATH class="inline-form" on:submit=on_remove>
                            <input type="hidden" name="slug" value=rating.slug.get_value() />
                            <button type="submit" class="link-button">"Remove my rating"</button>
                        </form>
                    }
                })
        }}
        <p class="feedback-message" role="status">{move || message.get()}</p>
        {aggregate}
    })
}

/// The state of a [`RatingControl`]: one call at a time, like [`Like`] (arrow keys are
/// fast), the choices made meanwhile sent when it returns.
#[derive(Clone, Copy)]
struct Rating {
    slug: StoredValue<String>,
    summary: RwSignal<RatingSummary>,
    sending: StoredValue<bool>,
    message: RwSignal<Option<String>>,
}

impl Rating {
    fn send(self, want: Option<i64>) {
        self.sending.set_value(true);
        leptos::task::spawn_local(async move {
            let slug = self.slug.get_value();
            let result = match want {
                Some(stars) => rate_article(slug, Some(stars.to_string())).await,
                None => remove_rating(slug).await,
            };
            self.sending.set_value(false);
            match result {
                Ok(new) => {
                    let want = self.summary.get_untracked().mine;
                    self.summary.set(RatingSummary { mine: want, ..new });
                    self.message.set(None);
                    if new.mine != want {
                        self.send(want);
                    }
                }
                Err(err) => self
                    .message
                    .set(Some(format!("Your rating was not saved: {err}"))),
            }
        });
    }
}

/// The follow button and follower count of an author.
#[island]
pub fn FollowControl(
    handle: String,
    initial: FollowState,
    /// Where a form post without JavaScript returns to.
    back: String,
    /// Whether to show the button (not for signed-out readers or the author themself).
    can_follow: bool,
    /// The article whose page this is, to follow its live events (none on the author page).
    live: Option<String>,
) -> impl IntoView {
    let following = RwSignal::new(initial.following);
    let followers = RwSignal::new(initial.followers);
    let message = RwSignal::new(None::<String>);
    let sending = StoredValue::new(false);
    let handle_submit = StoredValue::new(handle.clone());
    #[cfg(feature = "hydrate")]
    if let Some(slug) = live {
        crate::live::client::subscribe(
            &slug,
            Box::new(move |event| {
                let count = match event {
                    LiveEvent::Followers { handle, count }
                        if handle_submit.with_value(|h| h == handle) =>
                    {
                        *count
                    }
                    LiveEvent::Snapshot { followers, .. } => *followers,
                    _ => return,
                };
                if !sending.get_value() {
                    followers.set(count);
                }
            }),
        );
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = live;
    let back_submit = StoredValue::new(back.clone());
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if sending.get_value() {
            return;
        }
        sending.set_value(true);
        let want = !following.get_untracked();
        leptos::task::spawn_local(async move {
            let result = set_follow(
                handle_submit.get_value(),
                want,
                Some(back_submit.get_value()),
            )
            .await;
            sending.set_value(false);
            match result {
                Ok(state) => {
                    following.set(state.following);
                    followers.set(state.followers);
                    message.set(None);
                }
                Err(err) => message.set(Some(format!("Not saved: {err}"))),
            }
        });
    };
    view! {
        <p class="count">{move || plural(followers.get(), "follower", "followers")}</p>
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

/// The per-star counts of ratings, as a list ("5 stars: N" … "1 star: N").
#[component]
pub fn RatingDistribution(summary: RatingSummary) -> impl IntoView {
    view! {
        <ul class="rating-distribution">
            {(1..=5usize)
                .rev()
                .map(|stars| {
                    let label = if stars == 1 { "1 star".to_owned() } else { format!("{stars} stars") };
                    let count = summary.stars[stars - 1];
                    let share = if summary.count > 0 { count * 100 / summary.count } else { 0 };
                    view! {
                        <li>
                            <span>{format!("{label}: {count}")}</span>
                            <span class="bar" aria-hidden="true">
                                <span style=format!("width: {share}%")></span>
                            </span>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
}
