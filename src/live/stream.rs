//! `GET /articles/{slug}/events`: an article's live updates as Server-Sent Events.
//!
//! A stream starts with a `ready` event carrying the newest event id (so a browser that
//! closes the stream itself can resume from it with `?since=`), or, when the browser resumes
//! (`Last-Event-ID`, or `since`), with what it missed from the event log, or a snapshot of the
//! counts when the log no longer reaches back that far. Then every event of the article and
//! its author as it commits, on any replica; a snapshot whenever this replica may have missed
//! some. A comment line every 15 s keeps proxies from closing a quiet stream.
//!
//! Streams are limited per client address and in all (`live_streams_per_client`,
//! `live_streams_total`): past either, 503 with `Retry-After`. Shutting down ends them all,
//! so browsers reconnect, to another replica behind a load balancer.

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::sse::{Event as Message, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, watch};

use super::store::{self, Followed};
use super::LiveEvent;
use crate::accounts::session::RequestSession;
use crate::config::Config;
use crate::events::log::{self, CatchUp};
use crate::events::{Change, Event};
use crate::state::AppState;

/// How often a quiet stream sends a comment line.
pub const HEARTBEAT: Duration = Duration::from_secs(15);
/// What a refused stream is told to wait, in seconds.
const RETRY_AFTER_SECONDS: &str = "5";

/// The open streams of this server, by key: a client address for article pages' streams, a
/// reader for notification streams.
pub struct Streams<K = Option<IpAddr>> {
    per_key: usize,
    total: usize,
    by_key: Mutex<HashMap<K, usize>>,
    open: AtomicUsize,
}

impl<K: Eq + Hash + Clone> Streams<K> {
    /// No streams open yet, limited as `config` says (`live_streams_per_client` per key).
    pub fn new(config: &Config) -> Arc<Self> {
        Arc::new(Self {
            per_key: config.live_streams_per_client,
            total: config.live_streams_total,
            by_key: Mutex::new(HashMap::new()),
            open: AtomicUsize::new(0),
        })
    }

    /// A place for one more stream of `key`, if the limits allow.
    pub fn admit(self: &Arc<Self>, key: K) -> Option<Ticket<K>> {
        let mut by_key = self.by_key.lock().ok()?;
        if self.open.load(Ordering::Relaxed) >= self.total {
            return None;
        }
        let held = by_key.entry(key.clone()).or_default();
        if *held >= self.per_key {
            return None;
        }
        *held += 1;
        self.open.fetch_add(1, Ordering::Relaxed);
        Some(Ticket {
            streams: self.clone(),
            key,
        })
    }
}

/// One open stream's place; given back when the stream ends, however it ends.
pub struct Ticket<K: Eq + Hash = Option<IpAddr>> {
    streams: Arc<Streams<K>>,
    key: K,
}

impl<K: Eq + Hash> Drop for Ticket<K> {
    fn drop(&mut self) {
        if let Ok(mut by_key) = self.streams.by_key.lock() {
            if let Some(held) = by_key.get_mut(&self.key) {
                *held -= 1;
                if *held == 0 {
                    by_key.remove(&self.key);
                }
            }
        }
        self.streams.open.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A short plain-text refusal that no cache keeps.
pub fn refuse(status: StatusCode, message: &'static str) -> Response {
    (
        status,
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        message,
    )
        .into_response()
}

/// Where the browser resumes: `Last-Event-ID`, else `?since=`; `Err` when it is not an id.
fn resume_point(headers: &HeaderMap, query: Option<&str>) -> Result<Option<i64>, ()> {
    let given = headers
        .get("last-event-id")
        .map(|v| v.to_str().map(str::to_owned).map_err(|_| ()))
        .transpose()?
        .filter(|v| !v.trim().is_empty())
        .or_else(|| {
            url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
                .find(|(k, _)| k == "since")
                .map(|(_, v)| v.into_owned())
        });
    match given {
        None => Ok(None),
        Some(v) => v
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .map(Some)
            .ok_or(()),
    }
}

/// The stream of the article `slug`.
pub async fn events(
    State((state, streams)): State<(AppState, Arc<Streams>)>,
    slug: Result<Path<String>, PathRejection>,
    RawQuery(query): RawQuery,
    session: Option<Extension<RequestSession>>,
    headers: HeaderMap,
) -> Response {
    let Ok(Path(slug)) = slug else {
        return refuse(StatusCode::BAD_REQUEST, "That is not an article address.");
    };
    let Ok(since) = resume_point(&headers, query.as_deref()) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "Last-Event-ID (or since) must be an event number.",
        );
    };
    let client = session.and_then(|Extension(s)| s.client);
    let Some(ticket) = streams.admit(client) else {
        let mut response = refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "Too many live streams are open; try again in a few seconds.",
        );
        response.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from_static(RETRY_AFTER_SECONDS),
        );
        return response;
    };
    // Subscribed before reading the log: nothing committed meanwhile can fall in between.
    let receiver = state.events.subscribe();
    let start = match start(&state, &slug, since).await {
        Ok(Some(start)) => start,
        Ok(None) => return refuse(StatusCode::NOT_FOUND, "No such article."),
        Err(err) => {
            tracing::error!(error = %err, "opening a live stream failed");
            return refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "Live updates are unavailable right now.",
            );
        }
    };
    let live = Live {
        shutdown: state.events.shutdown_signal(),
        state,
        followed: start.followed,
        receiver,
        queue: start.messages,
        sent_through: start.sent_through,
        _ticket: ticket,
    };
    sse_response(futures::stream::unfold(live, |mut live| async move {
        live.next().await.map(|message| (message, live))
    }))
}

/// The Server-Sent Events response sending `messages`, with a heartbeat every [`HEARTBEAT`];
/// no cache keeps it and proxies pass each message on at once.
pub fn sse_response(messages: impl futures::Stream<Item = Message> + Send + 'static) -> Response {
    use futures::StreamExt;

    let sse = Sse::new(messages.map(Ok::<_, Infallible>))
        .keep_alive(KeepAlive::new().interval(HEARTBEAT).text(""));
    (
        [
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            // Proxies such as nginx pass each message on at once instead of buffering.
            (
                header::HeaderName::from_static("x-accel-buffering"),
                HeaderValue::from_static("no"),
            ),
        ],
        sse,
    )
        .into_response()
}

/// How a stream begins.
struct Start {
    followed: Followed,
    messages: VecDeque<Message>,
    /// Events up to this id were sent (or predate the page): later copies are skipped.
    sent_through: i64,
}

async fn start(state: &AppState, slug: &str, since: Option<i64>) -> sqlx::Result<Option<Start>> {
    let Some((followed, snapshot)) = store::snapshot(&state.pool, slug).await? else {
        return Ok(None);
    };
    let mut messages = VecDeque::new();
    let sent_through = match since {
        None => {
            let latest = log::latest(&state.pool).await?;
            messages.push_back(
                Message::default()
                    .event("ready")
                    .id(latest.to_string())
                    .data("{}"),
            );
            latest
        }
        Some(since) => {
            match log::since(&state.pool, since, &followed.slug, &followed.handle).await? {
                CatchUp::Events(missed) => {
                    let mut through = since;
                    for (id, event) in missed {
                        messages.push_back(message(id, &event));
                        through = through.max(id);
                    }
                    through
                }
                CatchUp::Snapshot => {
                    let latest = log::latest(&state.pool).await?;
                    messages.push_back(message(latest, &snapshot));
                    latest
                }
            }
        }
    };
    Ok(Some(Start {
        followed,
        messages,
        sent_through,
    }))
}

fn message(id: i64, event: &LiveEvent) -> Message {
    let data = serde_json::to_string(event).unwrap_or_else(|_| "{}".to_owned());
    Message::default().id(id.to_string()).data(data)
}

/// One open stream.
struct Live {
    state: AppState,
    followed: Followed,
    receiver: broadcast::Receiver<Arc<Event>>,
    shutdown: watch::Receiver<bool>,
    queue: VecDeque<Message>,
    sent_through: i64,
    _ticket: Ticket,
}

impl Live {
    /// The next message, or `None` when the stream ends (shutdown, or the database failed
    /// while catching up: the browser reconnects and resumes).
    async fn next(&mut self) -> Option<Message> {
        loop {
            if *self.shutdown.borrow() {
                return None;
            }
            if let Some(message) = self.queue.pop_front() {
                return Some(message);
            }
            let received = tokio::select! {
                received = self.receiver.recv() => received,
                _ = self.shutdown.changed() => return None,
            };
            match received {
                Ok(event) => self.take(&event).await?,
                // Fell behind the channel: whatever was lost, a snapshot covers it.
                Err(RecvError::Lagged(_)) => self.snapshot().await?,
                Err(RecvError::Closed) => return None,
            }
        }
    }

    /// Queues what the browser is told of `event`, if anything.
    async fn take(&mut self, event: &Event) -> Option<()> {
        if event.change == Change::Resync {
            return self.snapshot().await;
        }
        if event.id != 0 && event.id <= self.sent_through {
            return Some(());
        }
        let ours = event.change.article() == Some(self.followed.slug.as_str())
            || event.change.author() == Some(self.followed.handle.as_str());
        if let (true, Some(live)) = (ours, event.change.live()) {
            self.queue.push_back(message(event.id, &live));
        }
        Some(())
    }

    async fn snapshot(&mut self) -> Option<()> {
        let pool = &self.state.pool;
        let read = async {
            let latest = log::latest(pool).await?;
            let snapshot = store::snapshot(pool, &self.followed.slug).await?;
            Ok::<_, sqlx::Error>((latest, snapshot))
        };
        match read.await {
            Ok((latest, Some((_, snapshot)))) => {
                self.queue.push_back(message(latest, &snapshot));
                self.sent_through = self.sent_through.max(latest);
                Some(())
            }
            // The article is gone: nothing more to follow.
            Ok((_, None)) => None,
            Err(err) => {
                tracing::warn!(error = %err, "a live stream could not catch up");
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resume_points_are_event_numbers() {
        let mut headers = HeaderMap::new();
        assert_eq!(resume_point(&headers, None), Ok(None));
        assert_eq!(resume_point(&headers, Some("since=42")), Ok(Some(42)));
        assert_eq!(resume_point(&headers, Some("since=x")), Err(()));
        headers.insert("last-event-id", HeaderValue::from_static("7"));
        assert_eq!(resume_point(&headers, Some("since=42")), Ok(Some(7)));
        headers.insert("last-event-id", HeaderValue::from_static("-1"));
        assert_eq!(resume_point(&headers, None), Err(()));
    }
}
