//! What a live stream reads: an article's author and counts.

use super::LiveEvent;
use crate::db::Pool;

/// The article a stream follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Followed {
    /// Its slug.
    pub slug: String,
    /// Its author's handle (follows of the author show on the article's page).
    pub handle: String,
}

/// The article `slug` and its counts now (as a [`LiveEvent::Snapshot`]), if it exists.
pub async fn snapshot(pool: &Pool, slug: &str) -> sqlx::Result<Option<(Followed, LiveEvent)>> {
    type Row = (
        String,
        String,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
    );
    let row: Option<Row> = sqlx::query_as(
        "SELECT a.slug, au.handle, a.comment_count, a.like_count, a.rating_count, a.rating_sum,
                a.rating_1, a.rating_2, a.rating_3, a.rating_4, a.rating_5, au.follower_count
         FROM articles a JOIN authors au ON au.id = a.author_id
         WHERE a.slug = $1",
    )
    .bind(slug)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(
        |(
            slug,
            handle,
            comments,
            likes,
            rating_count,
            rating_sum,
            r1,
            r2,
            r3,
            r4,
            r5,
            followers,
        )| {
            (
                Followed { slug, handle },
                LiveEvent::Snapshot {
                    comments,
                    likes,
                    rating_count,
                    rating_sum,
                    stars: [r1, r2, r3, r4, r5],
                    followers,
                },
            )
        },
    ))
}
