//! Likes, ratings and follows: idempotent writes whose counters change in the same
//! transaction, so page views read counters instead of scanning rows.
//!
//! Each write first locks the counted row (the article or the author) with a no-op UPDATE.
//! On PostgreSQL that serialises writers of one article; on SQLite the write lock is
//! database-wide anyway. After the lock, the old state read inside the transaction is the
//! committed one, so the counter deltas are exact under any concurrency.

use sqlx::{Acquire, Any, AnyConnection};

use super::{FollowState, LikeState, RatingSummary};
use crate::db::Pool;

/// A reader-to-thing relation kept with a counter on the thing: likes of articles, follows
/// of authors. Identifiers are fixed here, never taken from input.
struct Membership {
    table: &'static str,
    target_column: &'static str,
    counted_table: &'static str,
    counter: &'static str,
}

const LIKES: Membership = Membership {
    table: "likes",
    target_column: "article_id",
    counted_table: "articles",
    counter: "like_count",
};

const FOLLOWS: Membership = Membership {
    table: "follows",
    target_column: "author_id",
    counted_table: "authors",
    counter: "follower_count",
};

/// Locks the counted row; `false` when there is no such row.
async fn lock_counted(conn: &mut AnyConnection, m: &Membership, id: i64) -> sqlx::Result<bool> {
    let sql = format!(
        "UPDATE {table} SET {counter} = {counter} WHERE id = $1",
        table = m.counted_table,
        counter = m.counter
    );
    let done = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Adds (`on`) or removes the relation and returns the new count; `None` when the target
/// does not exist. Repeating either changes nothing.
async fn set_membership<'a>(
    db: impl Acquire<'a, Database = Any>,
    m: &Membership,
    user_id: i64,
    target_id: i64,
    on: bool,
    now: i64,
) -> sqlx::Result<Option<i64>> {
    let mut tx = db.begin().await?;
    if !lock_counted(&mut tx, m, target_id).await? {
        return Ok(None);
    }
    let (table, target, counted, counter) = (m.table, m.target_column, m.counted_table, m.counter);
    let changed = if on {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO {table} (user_id, {target}, created_at) VALUES ($1, $2, $3)
             ON CONFLICT DO NOTHING"
        )))
        .bind(user_id)
        .bind(target_id)
        .bind(now)
        .execute(&mut *tx)
        .await?
    } else {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM {table} WHERE user_id = $1 AND {target} = $2"
        )))
        .bind(user_id)
        .bind(target_id)
        .execute(&mut *tx)
        .await?
    }
    .rows_affected();
    if changed == 1 {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE {counted} SET {counter} = {counter} + $1 WHERE id = $2"
        )))
        .bind(if on { 1_i64 } else { -1 })
        .bind(target_id)
        .execute(&mut *tx)
        .await?;
    }
    let count: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT {counter} FROM {counted} WHERE id = $1"
    )))
    .bind(target_id)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Some(count))
}

/// Likes (`liked = true`) or unlikes an article; repeating either changes nothing.
pub async fn set_like<'a>(
    db: impl Acquire<'a, Database = Any>,
    user_id: i64,
    article_id: i64,
    liked: bool,
    now: i64,
) -> sqlx::Result<Option<LikeState>> {
    Ok(set_membership(db, &LIKES, user_id, article_id, liked, now)
        .await?
        .map(|count| LikeState { liked, count }))
}

/// Sets (`Some(stars)`) or removes (`None`) a reader's rating of an article.
pub async fn set_rating<'a>(
    db: impl Acquire<'a, Database = Any>,
    user_id: i64,
    article_id: i64,
    stars: Option<i64>,
    now: i64,
) -> sqlx::Result<Option<RatingSummary>> {
    let mut tx = db.begin().await?;
    if !lock_counted(&mut tx, &LIKES, article_id).await? {
        return Ok(None);
    }
    let old: Option<i64> =
        sqlx::query_scalar("SELECT stars FROM ratings WHERE user_id = $1 AND article_id = $2")
            .bind(user_id)
            .bind(article_id)
            .fetch_optional(&mut *tx)
            .await?;
    match stars {
        Some(stars) => {
            sqlx::query(
                "INSERT INTO ratings (user_id, article_id, stars, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $4)
                 ON CONFLICT (user_id, article_id)
                 DO UPDATE SET stars = excluded.stars, updated_at = excluded.updated_at",
            )
            .bind(user_id)
            .bind(article_id)
            .bind(stars)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        None => {
            sqlx::query("DELETE FROM ratings WHERE user_id = $1 AND article_id = $2")
                .bind(user_id)
                .bind(article_id)
                .execute(&mut *tx)
                .await?;
        }
    }
    if old != stars {
        // Column names come from a fixed list, never from input.
        let mut sets = Vec::new();
        if let Some(old) = old {
            sets.push(format!("rating_{old} = rating_{old} - 1"));
        }
        if let Some(new) = stars {
            sets.push(format!("rating_{new} = rating_{new} + 1"));
        }
        let count_delta = i64::from(stars.is_some()) - i64::from(old.is_some());
        let sum_delta = stars.unwrap_or(0) - old.unwrap_or(0);
        let sql = format!(
            "UPDATE articles SET rating_count = rating_count + $1, rating_sum = rating_sum + $2, {}
             WHERE id = $3",
            sets.join(", ")
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(count_delta)
            .bind(sum_delta)
            .bind(article_id)
            .execute(&mut *tx)
            .await?;
    }
    let summary = rating_summary(&mut tx, article_id, stars).await?;
    tx.commit().await?;
    Ok(Some(summary))
}

async fn rating_summary(
    conn: &mut AnyConnection,
    article_id: i64,
    mine: Option<i64>,
) -> sqlx::Result<RatingSummary> {
    let (count, sum, r1, r2, r3, r4, r5): (i64, i64, i64, i64, i64, i64, i64) = sqlx::query_as(
        "SELECT rating_count, rating_sum, rating_1, rating_2, rating_3, rating_4, rating_5
         FROM articles WHERE id = $1",
    )
    .bind(article_id)
    .fetch_one(conn)
    .await?;
    Ok(RatingSummary {
        count,
        sum,
        stars: [r1, r2, r3, r4, r5],
        mine,
    })
}

/// Follows (`following = true`) or unfollows an author; repeating either changes nothing.
pub async fn set_follow<'a>(
    db: impl Acquire<'a, Database = Any>,
    user_id: i64,
    author_id: i64,
    following: bool,
    now: i64,
) -> sqlx::Result<Option<FollowState>> {
    Ok(
        set_membership(db, &FOLLOWS, user_id, author_id, following, now)
            .await?
            .map(|followers| FollowState {
                following,
                followers,
            }),
    )
}

/// What one reader has done on one article and its author: liked, rating, following.
pub async fn viewer_state(
    pool: &Pool,
    user_id: i64,
    article_id: i64,
    author_id: i64,
) -> sqlx::Result<(bool, Option<i64>, bool)> {
    let liked: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM likes WHERE user_id = $1 AND article_id = $2")
            .bind(user_id)
            .bind(article_id)
            .fetch_optional(pool)
            .await?;
    let rating: Option<i64> =
        sqlx::query_scalar("SELECT stars FROM ratings WHERE user_id = $1 AND article_id = $2")
            .bind(user_id)
            .bind(article_id)
            .fetch_optional(pool)
            .await?;
    let following = is_following(pool, user_id, author_id).await?;
    Ok((liked.is_some(), rating, following))
}

/// Whether the reader follows the author.
pub async fn is_following(pool: &Pool, user_id: i64, author_id: i64) -> sqlx::Result<bool> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM follows WHERE user_id = $1 AND author_id = $2")
            .bind(user_id)
            .bind(author_id)
            .fetch_optional(pool)
            .await?;
    Ok(found.is_some())
}
