//! `GET /notifications/events`: the signed-in reader's unread count as Server-Sent Events,
//! so the header's count follows without reloads.
//!
//! The stream starts with the count, then sends it again whenever a committed change could
//! have changed it (a comment posted, edited, hidden or restored, deleted; an article
//! unpublished; events possibly missed) and it did. Each message's data is the count, a
//! number: the browser needs nothing else, so there is no event id and no resuming; a
//! reopened stream starts with the count as it is. It ends when the reader's session ends
//! (signing out) or the server shuts down. A comment line every 15 s keeps proxies from
//! closing a quiet stream.
//!
//! Streams are limited per reader and in all, with the live streams' settings
//! (`live_streams_per_client`, `live_streams_total`): past either, 503 with `Retry-After`.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::sse::Event as Message;
use axum::response::Response;
use axum::Extension;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use tokio::sync::{broadcast, watch};

use crate::accounts::session::RequestSession;
use crate::events::{Change, Event};
use crate::live::stream::{refuse, sse_response, Ticket};
use crate::state::AppState;

/// The open notification streams of this server, by reader.
pub type Streams = crate::live::stream::Streams<i64>;

/// Whether `change` may change someone's unread count.
fn may_change_counts(change: &Change) -> bool {
    matches!(
        change,
        Change::CommentPosted { .. }
            | Change::CommentEdited { .. }
            | Change::CommentDeleted { .. }
            | Change::ArticleSaved { .. }
            | Change::Resync
    )
}

/// The stream of the signed-in reader.
pub async fn events(
    State((state, streams)): State<(AppState, Arc<Streams>)>,
    session: Option<Extension<RequestSession>>,
) -> Response {
    let Some(Extension(session)) = session else {
        return refuse(StatusCode::UNAUTHORIZED, "Please sign in first");
    };
    let (Some(user), Some(session_hash)) = (session.user, session.id_hash) else {
        return refuse(StatusCode::UNAUTHORIZED, "Please sign in first");
    };
    let Some(ticket) = streams.admit(user.id) else {
        let mut response = refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "Too many live streams are open; try again in a few seconds.",
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        return response;
    };
    // Subscribed before counting: nothing committed meanwhile can fall in between.
    let receiver = state.events.subscribe();
    let count = match super::store::unread_count(&state.pool, user.id).await {
        Ok(count) => count,
        Err(err) => {
            tracing::error!(error = %err, "opening a notification stream failed");
            return refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "Live updates are unavailable right now.",
            );
        }
    };
    let live = Live {
        shutdown: state.events.shutdown_signal(),
        state,
        reader: user.id,
        session_hash,
        receiver,
        pending: Some(count),
        sent: None,
        _ticket: ticket,
    };
    sse_response(futures::stream::unfold(live, |mut live| async move {
        live.next().await.map(|message| (message, live))
    }))
}

/// One open stream.
struct Live {
    state: AppState,
    reader: i64,
    /// The hash of the reader's session: the stream ends with it.
    session_hash: String,
    receiver: broadcast::Receiver<Arc<Event>>,
    shutdown: watch::Receiver<bool>,
    /// A count to send.
    pending: Option<i64>,
    /// The last count sent.
    sent: Option<i64>,
    _ticket: Ticket<i64>,
}

impl Live {
    /// The next message, or `None` when the stream ends.
    async fn next(&mut self) -> Option<Message> {
        loop {
            if *self.shutdown.borrow() {
                return None;
            }
            if let Some(count) = self.pending.take() {
                if self.sent != Some(count) {
                    self.sent = Some(count);
                    return Some(Message::default().data(count.to_string()));
                }
            }
            let received = tokio::select! {
                received = self.receiver.recv() => received,
                _ = self.shutdown.changed() => return None,
            };
            let mut recount = match received {
                Ok(event) => self.take(&event)?,
                Err(RecvError::Lagged(_)) => true,
                Err(RecvError::Closed) => return None,
            };
            // A burst of comments is counted once, after the last one already here.
            loop {
                match self.receiver.try_recv() {
                    Ok(event) => recount |= self.take(&event)?,
                    Err(TryRecvError::Lagged(_)) => recount = true,
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Closed) => return None,
                }
            }
            if recount {
                match super::store::unread_count(&self.state.pool, self.reader).await {
                    Ok(count) => self.pending = Some(count),
                    Err(err) => {
                        // The browser reopens the stream and gets the count then.
                        tracing::warn!(error = %err, "a notification stream could not count");
                        return None;
                    }
                }
            }
        }
    }

    /// Whether `event` calls for a recount; `None` when it ends the stream (the reader's
    /// session ended).
    fn take(&self, event: &Event) -> Option<bool> {
        match &event.change {
            Change::SessionEnded { session } if *session == self.session_hash => None,
            change => Some(may_change_counts(change)),
        }
    }
}
