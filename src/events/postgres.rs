//! The PostgreSQL transport: `NOTIFY` in the write's transaction, `LISTEN` on every replica.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::postgres::PgListener;
use sqlx::AnyConnection;

use super::{Event, Events};
use crate::db::Pool;

/// PostgreSQL drops a notification payload of 8,000 bytes or more; ours stay well under.
pub(super) const MAX_PAYLOAD: usize = 7_900;

/// What travels on the channel.
#[derive(Serialize, Deserialize)]
struct Envelope<'a> {
    /// The replica that committed it (it has told its own listeners already).
    o: u64,
    #[serde(borrow)]
    e: std::borrow::Cow<'a, Event>,
}

/// The channel of this database and schema: replicas of one deployment share it, separate
/// deployments (or test schemas) on one server never hear each other.
pub(super) async fn channel_name(pool: &Pool) -> sqlx::Result<String> {
    let place: String = sqlx::query_scalar("SELECT current_database() || '.' || current_schema()")
        .fetch_one(pool)
        .await?;
    let digest = Sha256::digest(place.as_bytes());
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("besthub_{hex}"))
}

/// The payload for `event`: the event itself, or when it would not fit, a resync (every
/// replica starts over, which is always correct, only slower).
pub(super) fn payload(origin: u64, event: &Event) -> String {
    let full = serde_json::to_string(&Envelope {
        o: origin,
        e: std::borrow::Cow::Borrowed(event),
    })
    .unwrap_or_default();
    if !full.is_empty() && full.len() <= MAX_PAYLOAD {
        return full;
    }
    serde_json::to_string(&Envelope {
        o: origin,
        e: std::borrow::Cow::Owned(Event::resync()),
    })
    .unwrap_or_default()
}

/// Queues `event` on `channel` in the open transaction on `conn` (sent on commit only).
pub(super) async fn notify(
    conn: &mut AnyConnection,
    channel: &str,
    origin: u64,
    event: &Event,
) -> sqlx::Result<()> {
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(channel)
        .bind(payload(origin, event))
        .execute(conn)
        .await?;
    Ok(())
}

async fn connect(url: &str, channel: &str) -> sqlx::Result<PgListener> {
    let mut listener = PgListener::connect(url).await?;
    // We notice a lost connection ourselves and start over (see `run`).
    listener.ignore_pool_close_event(true);
    listener.listen(channel).await?;
    Ok(listener)
}

/// Listens once, then keeps listening in the background.
pub(super) async fn listen(events: Events, url: String, channel: String) -> sqlx::Result<()> {
    let listener = connect(&url, &channel).await?;
    events.set_linked(true);
    tokio::spawn(run(events, url, channel, listener));
    Ok(())
}

/// Delivers the other replicas' events until shutdown; when the link drops, tells every
/// listener to start over, reconnects (backing off up to 5 s), and tells them again, since
/// whatever was committed in between was never heard.
async fn run(events: Events, url: String, channel: String, mut listener: PgListener) {
    let mut shutdown = events.shutdown_signal();
    loop {
        let lost = loop {
            tokio::select! {
                received = listener.try_recv() => match received {
                    Ok(Some(notification)) => deliver(&events, notification.payload()),
                    Ok(None) => break "connection closed".to_owned(),
                    Err(err) => break err.to_string(),
                },
                _ = shutdown.changed() => return,
            }
        };
        tracing::warn!(reason = %lost, "lost the link to the other replicas; reconnecting");
        events.set_linked(false);
        events.publish(Event::resync());
        let mut backoff = Duration::from_millis(100);
        listener = loop {
            tokio::select! {
                connected = connect(&url, &channel) => match connected {
                    Ok(listener) => break listener,
                    Err(err) => {
                        tracing::warn!(error = %err, "reconnecting to the other replicas failed");
                    }
                },
                _ = shutdown.changed() => return,
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(5));
        };
        events.set_linked(true);
        events.publish(Event::resync());
        tracing::info!("linked to the other replicas again");
    }
}

fn deliver(events: &Events, payload: &str) {
    match serde_json::from_str::<Envelope<'_>>(payload) {
        Ok(envelope) if envelope.o == events.0.origin => {}
        Ok(envelope) => events.publish(envelope.e.into_owned()),
        Err(err) => {
            // From another version of the app, or garbage: start over to be safe.
            tracing::warn!(error = %err, "an event from another replica could not be read");
            events.publish(Event::resync());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::Change;

    #[test]
    fn payloads_stay_under_the_notify_limit() {
        let small = Event {
            id: 7,
            change: Change::Liked {
                slug: "x".repeat(200),
                count: 3,
            },
        };
        let text = payload(1, &small);
        assert!(text.contains("liked"), "{text}");
        let huge = Event {
            id: 8,
            change: Change::CommentDeleted {
                slug: "a".into(),
                id: 1,
                placeholder: false,
                removed: (0..5_000).collect(),
                total: 0,
            },
        };
        let text = payload(1, &huge);
        assert!(text.len() < MAX_PAYLOAD);
        assert!(text.contains("resync"), "{text}");
    }
}
