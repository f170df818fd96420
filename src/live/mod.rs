//! Live updates of an open article page: what the server streams to browsers (this file,
//! shared by both builds), the Server-Sent Events endpoint (`stream`, server only) and the
//! browser's subscription (`client`, hydrate only).
//!
//! The stream is `GET /articles/{slug}/events` (`text/event-stream`). Each message carries
//! `id:` (the event's id in the database's event log, so a reconnecting browser resumes with
//! `Last-Event-ID`, or `?since=ID` after it closed the stream itself) and `data:` (one
//! [`LiveEvent`] as JSON). Ids, counts and handles only: never bodies, which the browser
//! fetches through the ordinary server functions with the reader's own permissions.

use serde::{Deserialize, Serialize};

#[cfg(feature = "hydrate")]
pub mod client;
#[cfg(feature = "ssr")]
pub mod store;
#[cfg(feature = "ssr")]
pub mod stream;
#[cfg(any(test, feature = "hydrate"))]
mod wire;

/// The path of the live stream of the article `slug` (already a valid path segment).
pub fn stream_path(slug: &str) -> String {
    format!("/articles/{slug}/events")
}

/// One change to an article page, as the browser receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LiveEvent {
    /// A comment was posted: `parent_id` is the comment it answers; `total` counts the
    /// article's comments now.
    CommentPosted {
        /// The new comment.
        id: i64,
        /// The comment it answers, if any.
        parent_id: Option<i64>,
        /// Comments of the article now.
        total: i64,
    },
    /// A comment's text was edited.
    CommentEdited {
        /// The comment.
        id: i64,
    },
    /// A comment was deleted (as [`crate::discussion::Deleted`] describes).
    CommentDeleted {
        /// The comment.
        id: i64,
        /// Whether it stays as a "[deleted]" placeholder.
        placeholder: bool,
        /// Comments gone from the page.
        removed: Vec<i64>,
        /// Comments of the article now.
        total: i64,
    },
    /// The article's like count changed.
    Likes {
        /// Likes now.
        count: i64,
    },
    /// The article's ratings changed.
    Ratings {
        /// Ratings now.
        count: i64,
        /// Sum of their stars.
        sum: i64,
        /// How many gave 1 to 5 stars.
        stars: [i64; 5],
    },
    /// The article's author gained or lost a follower.
    Followers {
        /// The author.
        handle: String,
        /// Followers now.
        count: i64,
    },
    /// Events may have been missed (the browser was away longer than the event log keeps, or
    /// the server lost its link to the other replicas): the counts as they are now, and the
    /// browser refetches the comments it shows.
    Snapshot {
        /// Comments of the article.
        comments: i64,
        /// Likes.
        likes: i64,
        /// Ratings.
        rating_count: i64,
        /// Sum of the ratings' stars.
        rating_sum: i64,
        /// How many gave 1 to 5 stars.
        stars: [i64; 5],
        /// The author's followers.
        followers: i64,
    },
}
