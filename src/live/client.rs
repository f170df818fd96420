//! The browser's side of live updates: one `EventSource` per page, shared by its islands.
//!
//! Each island that shows something live (the discussion, the like, rating and follow
//! controls) calls [`subscribe`]; the first subscription opens the article's stream and every
//! subscriber gets each [`LiveEvent`]. One stream, not one per island: a page holds a single
//! connection to the server, which limits open streams per client address.
//!
//! The stream starts with a `ready` event carrying the newest event's id, unless it resumes.
//! It is closed while the tab is hidden (Page Visibility) and reopened with
//! `?since=` the last event seen once it is shown again, so a background tab costs the server
//! nothing and still catches up. `public/nav.js` announces a page change with a
//! `besthub:navigate` event before it swaps the page: the stream closes and the subscribers
//! are dropped, and the next page's islands subscribe again. When the browser gives up on the
//! stream (the server answered 503 because it is full, or something that is not a stream) it
//! is opened again after a growing delay; the browser's own reconnects, after a dropped
//! connection, send `Last-Event-ID` by themselves.

use std::cell::RefCell;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Poll, Waker};
use std::time::Duration;

use futures_core::Stream;
use gloo_net::eventsource::futures::EventSource;
use leptos::prelude::{document, set_timeout};
use wasm_bindgen::prelude::Closure;
use wasm_bindgen::JsCast;

use super::{stream_path, LiveEvent};

/// What a subscriber does with each event.
pub type Callback = Box<dyn Fn(&LiveEvent)>;

/// A subscriber, shared with the loop that hands events out.
type Subscriber = Rc<dyn Fn(&LiveEvent)>;

/// Seconds to wait before opening the stream again after the browser gave up on it: the
/// server may be full, so readers back off rather than all retrying at once.
const RETRY_SECONDS: [u64; 5] = [5, 10, 20, 40, 60];

/// The page's stream and its subscribers.
#[derive(Default)]
struct Hub {
    /// The article whose stream this is.
    slug: String,
    subscribers: Vec<Subscriber>,
    /// The id of the last event received, to resume from.
    last_id: Option<i64>,
    /// Counts the streams opened and closed: the reader of a stream, or a pending retry,
    /// stops once it is no longer the current one.
    generation: u32,
    source: Option<EventSource>,
    /// Wakes the current stream's reader, so that it ends when the stream is closed.
    waker: Option<Waker>,
    /// Failures in a row, for the retry delay.
    failures: usize,
    /// A retry is scheduled.
    waiting: bool,
    /// The document's listeners (visibility, navigation) are installed.
    listening: bool,
}

thread_local! {
    static HUB: RefCell<Hub> = RefCell::default();
}

/// Calls `callback` with every live event of the article `slug` until the page changes.
/// The first subscription of a page opens its stream.
pub fn subscribe(slug: &str, callback: Callback) {
    let open = HUB.with_borrow_mut(|hub| {
        if !hub.listening {
            hub.listening = true;
            listen_to_document();
        }
        if hub.slug != slug {
            // A new page (or another article without a navigation event): start over, from
            // the newest event the page was rendered with, so nothing committed since it
            // was read is missed.
            reset(hub);
            hub.slug = slug.to_owned();
            hub.last_id = page_since();
        }
        hub.subscribers.push(Rc::from(callback));
        hub.source.is_none() && !hub.waiting
    });
    if open && !document().hidden() {
        open_stream();
    }
}

/// The event id the server rendered the page at (`data-live-since`), if it says.
fn page_since() -> Option<i64> {
    document()
        .query_selector("[data-live-since]")
        .ok()
        .flatten()
        .and_then(|element| element.get_attribute("data-live-since"))
        .and_then(|since| since.parse().ok())
}

/// Closes the stream, keeping the subscribers and the last event id.
fn close(hub: &mut Hub) {
    hub.generation = hub.generation.wrapping_add(1);
    hub.source = None;
    hub.waiting = false;
    if let Some(waker) = hub.waker.take() {
        waker.wake();
    }
}

/// Closes the stream and forgets the page.
fn reset(hub: &mut Hub) {
    close(hub);
    hub.subscribers.clear();
    hub.last_id = None;
    hub.failures = 0;
    hub.slug.clear();
}

fn listen_to_document() {
    let on_visibility = Closure::<dyn Fn()>::new(|| {
        if document().hidden() {
            HUB.with_borrow_mut(close);
        } else {
            let open = HUB.with_borrow(|hub| {
                !hub.subscribers.is_empty() && hub.source.is_none() && !hub.waiting
            });
            if open {
                open_stream();
            }
        }
    });
    let on_navigate = Closure::<dyn Fn()>::new(|| HUB.with_borrow_mut(reset));
    let doc = document();
    for (name, listener) in [
        ("visibilitychange", on_visibility),
        ("besthub:navigate", on_navigate),
    ] {
        let _ = doc.add_event_listener_with_callback(name, listener.as_ref().unchecked_ref());
        // The listeners live as long as the page.
        listener.forget();
    }
}

/// Opens the stream, from the last event seen when there is one.
fn open_stream() {
    let (url, generation) = HUB.with_borrow_mut(|hub| {
        close(hub);
        let mut url = stream_path(&hub.slug);
        if let Some(id) = hub.last_id {
            url.push_str("?since=");
            url.push_str(&id.to_string());
        }
        (url, hub.generation)
    });
    // "ready" opens every stream that does not resume, with the newest event's id: where to
    // resume from if nothing else comes before the stream is closed.
    let opened = EventSource::new(&url).and_then(|mut source| {
        let ready = source.subscribe("ready")?;
        let messages = source.subscribe("message")?;
        Ok((source, ready, messages))
    });
    let Ok((source, mut ready, mut messages)) = opened else {
        failed(generation);
        return;
    };
    HUB.with_borrow_mut(|hub| hub.source = Some(source));
    leptos::task::spawn_local(async move {
        loop {
            let next = std::future::poll_fn(|cx| {
                let current = HUB.with_borrow_mut(|hub| {
                    let current = hub.generation == generation;
                    if current {
                        hub.waker = Some(cx.waker().clone());
                    }
                    current
                });
                if !current {
                    return Poll::Ready(None);
                }
                match Pin::new(&mut ready).poll_next(cx) {
                    Poll::Pending => Pin::new(&mut messages).poll_next(cx),
                    other => other,
                }
            })
            .await;
            match next {
                Some(Ok((_, message))) => {
                    receive(&message.last_event_id(), message.data().as_string())
                }
                // The browser gave up on this stream (it retries dropped connections itself).
                Some(Err(_)) => {
                    failed(generation);
                    break;
                }
                None => break,
            }
        }
    });
}

/// Hands one message to every subscriber.
fn receive(id: &str, data: Option<String>) {
    let event = data.as_deref().and_then(super::wire::parse);
    let subscribers = HUB.with_borrow_mut(|hub| {
        if let Ok(id) = id.parse() {
            hub.last_id = Some(id);
        }
        hub.failures = 0;
        hub.subscribers.clone()
    });
    if let Some(event) = event {
        for subscriber in subscribers {
            subscriber(&event);
        }
    }
}

/// Schedules the stream `generation` to be opened again, later each time it fails.
fn failed(generation: u32) {
    let delay = HUB.with_borrow_mut(|hub| {
        if hub.generation != generation {
            return None;
        }
        close(hub);
        hub.waiting = true;
        let delay = RETRY_SECONDS[hub.failures.min(RETRY_SECONDS.len() - 1)];
        hub.failures += 1;
        Some((delay, hub.generation))
    });
    let Some((delay, generation)) = delay else {
        return;
    };
    set_timeout(
        move || {
            let open = HUB.with_borrow_mut(|hub| {
                let due = hub.waiting && hub.generation == generation;
                hub.waiting = false;
                due && !hub.subscribers.is_empty()
            });
            // A hidden tab opens it when it is shown again.
            if open && !document().hidden() {
                open_stream();
            }
        },
        Duration::from_secs(delay),
    );
}
