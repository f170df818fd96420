//! The event log: what open article pages were told, kept for a while so a browser that
//! reconnects (`Last-Event-ID`) is told what it missed, on whichever replica it reaches.
//!
//! Bounded by age and by size ([`prune`], run by the hourly sweeper); a browser away for
//! longer than the log reaches back gets a snapshot instead.

use sqlx::AnyConnection;

use super::Change;
use crate::db::Pool;
use crate::live::LiveEvent;

/// How long events are kept.
pub const KEEP_MS: i64 = 24 * 60 * 60 * 1000;
/// How many events are kept at most, all articles together.
pub const KEEP_ROWS: i64 = 100_000;
/// Most events one reconnecting stream is sent; past it, a snapshot is cheaper.
pub const MAX_CATCH_UP: i64 = 1_000;

/// Appends `live` (what pages show of `change`) to the log; returns its id.
pub(super) async fn append(
    conn: &mut AnyConnection,
    change: &Change,
    live: &LiveEvent,
) -> sqlx::Result<i64> {
    let payload = serde_json::to_string(live)
        .map_err(|err| sqlx::Error::Protocol(format!("event payload: {err}")))?;
    sqlx::query_scalar(
        "INSERT INTO live_events (article_slug, author_handle, payload, created_at)
         VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(change.article())
    .bind(change.author())
    .bind(payload)
    .bind(crate::db::now_ms())
    .fetch_one(conn)
    .await
}

/// What a stream reconnecting after event `since` is owed.
#[derive(Debug, PartialEq, Eq)]
pub enum CatchUp {
    /// These events, oldest first (possibly none).
    Events(Vec<(i64, LiveEvent)>),
    /// More than the log holds (or than is worth sending): start from a snapshot.
    Snapshot,
}

/// The events of the article `slug` (and of its author `handle`) after `since`.
pub async fn since(pool: &Pool, since: i64, slug: &str, handle: &str) -> sqlx::Result<CatchUp> {
    // The oldest id still kept: a gap between it and `since` was pruned away.
    let oldest: Option<i64> = sqlx::query_scalar("SELECT MIN(id) FROM live_events")
        .fetch_one(pool)
        .await?;
    match oldest {
        Some(oldest) if oldest <= since + 1 => {}
        // An empty log after a stream saw events: everything it missed was pruned.
        _ => return Ok(CatchUp::Snapshot),
    }
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, payload FROM live_events
         WHERE id > $1 AND (article_slug = $2 OR author_handle = $3)
         ORDER BY id LIMIT $4",
    )
    .bind(since)
    .bind(slug)
    .bind(handle)
    .bind(MAX_CATCH_UP + 1)
    .fetch_all(pool)
    .await?;
    if rows.len() as i64 > MAX_CATCH_UP {
        return Ok(CatchUp::Snapshot);
    }
    let mut events = Vec::with_capacity(rows.len());
    for (id, payload) in rows {
        match serde_json::from_str(&payload) {
            Ok(event) => events.push((id, event)),
            // Written by another version of the app: the stream cannot know what it meant.
            Err(_) => return Ok(CatchUp::Snapshot),
        }
    }
    Ok(CatchUp::Events(events))
}

/// The newest event id, 0 when the log is empty.
pub async fn latest(pool: &Pool) -> sqlx::Result<i64> {
    let id: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM live_events")
        .fetch_one(pool)
        .await?;
    Ok(id.unwrap_or(0))
}

/// Removes events older than [`KEEP_MS`] before `now`, and all but the newest [`KEEP_ROWS`].
pub async fn prune(pool: &Pool, now: i64) -> sqlx::Result<u64> {
    let old = sqlx::query("DELETE FROM live_events WHERE created_at < $1")
        .bind(now - KEEP_MS)
        .execute(pool)
        .await?
        .rows_affected();
    let over =
        sqlx::query("DELETE FROM live_events WHERE id <= (SELECT MAX(id) FROM live_events) - $1")
            .bind(KEEP_ROWS)
            .execute(pool)
            .await?
            .rows_affected();
    Ok(old + over)
}
