//! Change events: every committed write says what it changed, once, and everything that
//! depends on it listens (the page cache, live pages, the other replicas).
//!
//! A feature ends a write with [`Events::commit`]: the event goes into the write's own
//! transaction (a row of the event log for what live pages show, and on PostgreSQL a
//! `NOTIFY`, which the server delivers only if the transaction commits), then, once the
//! commit has succeeded, to this process's listeners. A refused, failed or rolled-back write
//! never reaches `commit`, so it says nothing anywhere.
//!
//! Transport: on SQLite everything runs in one process, so a tokio broadcast channel is the
//! whole story. On PostgreSQL every replica also listens on one channel (named after the
//! database and schema, so separate deployments sharing a server do not hear each other) and
//! replays what the others committed; when that link drops, it forgets its whole page cache and
//! tells its live pages to catch up, since events may have gone by meanwhile.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use tokio::sync::{broadcast, watch};

use crate::db::{Pool, Tx};
use crate::live::LiveEvent;

pub mod log;
mod postgres;

/// What a committed write changed: ids, handles and counts, never bodies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    /// A comment or reply was posted on the article `slug`.
    CommentPosted {
        /// The article.
        slug: String,
        /// The comment.
        id: i64,
        /// The comment it answers.
        parent_id: Option<i64>,
        /// Comments of the article now.
        total: i64,
    },
    /// A comment's text was edited.
    CommentEdited {
        /// The article.
        slug: String,
        /// The comment.
        id: i64,
    },
    /// A comment was deleted.
    CommentDeleted {
        /// The article.
        slug: String,
        /// The comment.
        id: i64,
        /// Whether it stays as a placeholder.
        placeholder: bool,
        /// Comments gone from the article's pages.
        removed: Vec<i64>,
        /// Comments of the article now.
        total: i64,
    },
    /// A reader liked or unliked the article `slug`.
    Liked {
        /// The article.
        slug: String,
        /// Likes now.
        count: i64,
    },
    /// A reader rated the article `slug` or took a rating back.
    Rated {
        /// The article.
        slug: String,
        /// Ratings now.
        count: i64,
        /// Sum of their stars.
        sum: i64,
        /// How many gave 1 to 5 stars.
        stars: [i64; 5],
    },
    /// A reader followed or unfollowed the author `handle`.
    Followed {
        /// The author.
        handle: String,
        /// Followers now.
        followers: i64,
    },
    /// An article was imported or updated.
    ArticleSaved {
        /// The article.
        slug: String,
        /// Its author.
        handle: String,
    },
    /// A session ended (signed out): the hash of its id, as stored.
    SessionEnded {
        /// The session id's hash.
        session: String,
    },
    /// Events may have been missed (this replica lost its link to the others): whatever
    /// depends on them must start over.
    Resync,
}

impl Change {
    /// The article whose pages this change shows on, if it is one.
    pub fn article(&self) -> Option<&str> {
        match self {
            Self::CommentPosted { slug, .. }
            | Self::CommentEdited { slug, .. }
            | Self::CommentDeleted { slug, .. }
            | Self::Liked { slug, .. }
            | Self::Rated { slug, .. }
            | Self::ArticleSaved { slug, .. } => Some(slug),
            Self::Followed { .. } | Self::SessionEnded { .. } | Self::Resync => None,
        }
    }

    /// The author whose pages this change shows on, if it is one.
    pub fn author(&self) -> Option<&str> {
        match self {
            Self::Followed { handle, .. } | Self::ArticleSaved { handle, .. } => Some(handle),
            _ => None,
        }
    }

    /// What an open article page is told of this change, if anything.
    pub fn live(&self) -> Option<LiveEvent> {
        Some(match self {
            Self::CommentPosted {
                id,
                parent_id,
                total,
                ..
            } => LiveEvent::CommentPosted {
                id: *id,
                parent_id: *parent_id,
                total: *total,
            },
            Self::CommentEdited { id, .. } => LiveEvent::CommentEdited { id: *id },
            Self::CommentDeleted {
                id,
                placeholder,
                removed,
                total,
                ..
            } => LiveEvent::CommentDeleted {
                id: *id,
                placeholder: *placeholder,
                removed: removed.clone(),
                total: *total,
            },
            Self::Liked { count, .. } => LiveEvent::Likes { count: *count },
            Self::Rated {
                count, sum, stars, ..
            } => LiveEvent::Ratings {
                count: *count,
                sum: *sum,
                stars: *stars,
            },
            Self::Followed { handle, followers } => LiveEvent::Followers {
                handle: handle.clone(),
                count: *followers,
            },
            Self::ArticleSaved { .. } | Self::SessionEnded { .. } | Self::Resync => return None,
        })
    }
}

/// A change with its id in the event log (0 for changes live pages are not told of).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Its row in the event log, or 0.
    pub id: i64,
    /// What changed.
    pub change: Change,
}

impl Event {
    /// The event that tells every listener to start over.
    pub fn resync() -> Self {
        Self {
            id: 0,
            change: Change::Resync,
        }
    }
}

/// How many events a slow live stream may fall behind before it is told to catch up.
const CHANNEL_CAPACITY: usize = 4096;

type Listener = Box<dyn Fn(&Event) + Send + Sync>;

struct Inner {
    /// Tells this process's own events from the other replicas' on the shared channel.
    origin: u64,
    /// The PostgreSQL channel, or `None` on SQLite.
    channel: Option<String>,
    sender: broadcast::Sender<Arc<Event>>,
    /// Run at once, in order, before `publish` returns (the page cache: a reader redirected
    /// after a write must not be served the page from before it).
    listeners: RwLock<Vec<Listener>>,
    /// Whether this replica hears the others' writes (always on SQLite).
    linked: AtomicBool,
    shutdown: watch::Sender<bool>,
}

/// The event hub of one process: cheap to clone, shared by every request.
#[derive(Clone)]
pub struct Events(Arc<Inner>);

impl Events {
    /// The hub for `pool`'s database. On PostgreSQL it reads the database and schema names to
    /// name the replicas' channel; it does not listen yet ([`Events::listen`]).
    pub async fn new(pool: &Pool) -> sqlx::Result<Self> {
        let channel = match crate::db::backend_of(pool) {
            crate::db::Backend::Sqlite => None,
            crate::db::Backend::Postgres => Some(postgres::channel_name(pool).await?),
        };
        Ok(Self::with_channel(channel))
    }

    /// A hub for one process alone, hearing no other (SQLite's, and tests').
    pub fn in_process() -> Self {
        Self::with_channel(None)
    }

    fn with_channel(channel: Option<String>) -> Self {
        let (sender, _) = broadcast::channel(CHANNEL_CAPACITY);
        let (shutdown, _) = watch::channel(false);
        let mut origin = [0u8; 8];
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut origin);
        Self(Arc::new(Inner {
            origin: u64::from_le_bytes(origin),
            linked: AtomicBool::new(channel.is_none()),
            channel,
            sender,
            listeners: RwLock::new(Vec::new()),
            shutdown,
        }))
    }

    /// On PostgreSQL, starts listening for the other replicas' events at `url` (the pool's
    /// URL), reconnecting by itself; returns once the first `LISTEN` is in place, so no write
    /// committed after start-up goes unheard. Nothing to do on SQLite.
    pub async fn listen(&self, url: &str) -> sqlx::Result<()> {
        match &self.0.channel {
            Some(channel) => postgres::listen(self.clone(), url.to_owned(), channel.clone()).await,
            None => Ok(()),
        }
    }

    /// Whether this replica hears every write to the database: on PostgreSQL, while its link
    /// to the others is up. A page cache must not keep pages while it is not.
    pub fn linked(&self) -> bool {
        self.0.linked.load(Ordering::Acquire)
    }

    fn set_linked(&self, linked: bool) {
        self.0.linked.store(linked, Ordering::Release);
    }

    /// Runs `listener` on every event, at once, before the write that made it answers.
    pub fn on_event(&self, listener: impl Fn(&Event) + Send + Sync + 'static) {
        if let Ok(mut listeners) = self.0.listeners.write() {
            listeners.push(Box::new(listener));
        }
    }

    /// Every event from now on (live streams). A receiver that falls more than a few thousand
    /// events behind gets `Lagged` and must catch up some other way.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.0.sender.subscribe()
    }

    /// Records `change` in the transaction `tx`, commits it, and tells every listener.
    pub async fn commit(&self, mut tx: Tx, change: Change) -> sqlx::Result<Event> {
        let event = self.record(&mut tx, change).await?;
        tx.commit().await?;
        self.publish(event.clone());
        Ok(event)
    }

    /// Writes `change` into the open transaction on `conn`: its event-log row (when live
    /// pages show it) and, on PostgreSQL, the `NOTIFY` the other replicas hear if it commits.
    /// The caller commits, then calls [`Events::publish`].
    pub async fn record(&self, conn: &mut AnyConnection, change: Change) -> sqlx::Result<Event> {
        let id = match change.live() {
            Some(live) => log::append(conn, &change, &live).await?,
            None => 0,
        };
        let event = Event { id, change };
        if let Some(channel) = &self.0.channel {
            postgres::notify(conn, channel, self.0.origin, &event).await?;
        }
        Ok(event)
    }

    /// Tells this process's listeners and live streams about a committed event.
    pub fn publish(&self, event: Event) {
        if let Ok(listeners) = self.0.listeners.read() {
            for listener in listeners.iter() {
                listener(&event);
            }
        }
        // No live stream open is not an error.
        let _ = self.0.sender.send(Arc::new(event));
    }

    /// Ends every live stream (graceful shutdown: their browsers reconnect, to another replica
    /// behind a load balancer).
    pub fn shut_down(&self) {
        self.0.shutdown.send_replace(true);
    }

    /// Changes to `true` when the server shuts down.
    pub fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.0.shutdown.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listeners_hear_published_events_in_order_before_publish_returns() {
        let events = Events::with_channel(None);
        let heard = Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = heard.clone();
        events.on_event(move |e| sink.lock().expect("lock").push(e.id));
        let mut stream = events.subscribe();
        for id in 1..=3 {
            events.publish(Event {
                id,
                change: Change::Liked {
                    slug: "a".into(),
                    count: id,
                },
            });
        }
        assert_eq!(*heard.lock().expect("lock"), vec![1, 2, 3]);
        assert_eq!(stream.try_recv().expect("streamed").id, 1);
    }

    #[test]
    fn only_what_pages_show_is_sent_to_them() {
        let saved = Change::ArticleSaved {
            slug: "a".into(),
            handle: "h".into(),
        };
        assert_eq!(saved.live(), None);
        assert_eq!(saved.article(), Some("a"));
        assert_eq!(saved.author(), Some("h"));
        let followed = Change::Followed {
            handle: "h".into(),
            followers: 3,
        };
        assert_eq!(
            followed.live(),
            Some(LiveEvent::Followers {
                handle: "h".into(),
                count: 3
            })
        );
        assert_eq!(followed.article(), None);
    }
}
