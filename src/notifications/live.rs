//! The browser's side of the live unread count: one `EventSource` on
//! [`super::stream_path`] per page, feeding the header's count.
//!
//! Like the article stream (`crate::live::client`), it is closed while the tab is hidden and
//! reopened when it is shown again (the server starts every stream with the count as it is,
//! so nothing is missed), and let go when `nav.js` announces a page change (the next page's
//! header island opens its own). When the browser gives up on it (the server is full, or the
//! session ended) it is opened again after a minute.

use std::cell::RefCell;
use std::pin::Pin;
use std::task::{Poll, Waker};
use std::time::Duration;

use futures_core::Stream;
use gloo_net::eventsource::futures::EventSource;
use leptos::prelude::{document, set_timeout, RwSignal, Set};
use wasm_bindgen::prelude::Closure;
use wasm_bindgen::JsCast;

/// Seconds before a stream the browser gave up on is opened again.
const RETRY_SECONDS: u64 = 60;

#[derive(Default)]
struct Bell {
    /// The header's count on this page.
    count: Option<RwSignal<i64>>,
    source: Option<EventSource>,
    /// Counts the streams opened and closed: a stream's reader stops once it is not current.
    generation: u32,
    /// Wakes the current stream's reader, so that it ends when the stream is closed.
    waker: Option<Waker>,
    /// The document's listeners are installed.
    listening: bool,
}

thread_local! {
    static BELL: RefCell<Bell> = RefCell::default();
}

/// Keeps `count` equal to the reader's unread count until the page changes.
pub fn watch(count: RwSignal<i64>) {
    BELL.with_borrow_mut(|bell| {
        if !bell.listening {
            bell.listening = true;
            listen_to_document();
        }
        close(bell);
        bell.count = Some(count);
    });
    if !document().hidden() {
        open();
    }
}

fn close(bell: &mut Bell) {
    bell.generation = bell.generation.wrapping_add(1);
    bell.source = None;
    if let Some(waker) = bell.waker.take() {
        waker.wake();
    }
}

fn listen_to_document() {
    let on_visibility = Closure::<dyn Fn()>::new(|| {
        if document().hidden() {
            BELL.with_borrow_mut(close);
        } else if BELL.with_borrow(|bell| bell.count.is_some() && bell.source.is_none()) {
            open();
        }
    });
    let on_navigate = Closure::<dyn Fn()>::new(|| {
        BELL.with_borrow_mut(|bell| {
            close(bell);
            bell.count = None;
        })
    });
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

fn open() {
    let generation = BELL.with_borrow_mut(|bell| {
        close(bell);
        bell.generation
    });
    let opened = EventSource::new(super::stream_path()).and_then(|mut source| {
        let messages = source.subscribe("message")?;
        Ok((source, messages))
    });
    let Ok((source, mut messages)) = opened else {
        retry(generation);
        return;
    };
    BELL.with_borrow_mut(|bell| bell.source = Some(source));
    leptos::task::spawn_local(async move {
        loop {
            let next = std::future::poll_fn(|cx| {
                let current = BELL.with_borrow_mut(|bell| {
                    let current = bell.generation == generation;
                    if current {
                        bell.waker = Some(cx.waker().clone());
                    }
                    current
                });
                if !current {
                    return Poll::Ready(None);
                }
                Pin::new(&mut messages).poll_next(cx)
            })
            .await;
            match next {
                Some(Ok((_, message))) => {
                    let count = message.data().as_string().and_then(|d| d.parse().ok());
                    let target = BELL.with_borrow(|bell| bell.count);
                    if let (Some(count), Some(target)) = (count, target) {
                        target.set(count);
                    }
                }
                Some(Err(_)) => {
                    retry(generation);
                    break;
                }
                None => break,
            }
        }
    });
}

/// Closes the stream `generation` and opens it again in a while, if it is still current.
fn retry(generation: u32) {
    let current = BELL.with_borrow_mut(|bell| {
        let current = bell.generation == generation;
        if current {
            close(bell);
        }
        current
    });
    if !current {
        return;
    }
    let generation = generation.wrapping_add(1);
    set_timeout(
        move || {
            let due = BELL.with_borrow(|bell| {
                bell.generation == generation && bell.count.is_some() && bell.source.is_none()
            });
            if due && !document().hidden() {
                open();
            }
        },
        Duration::from_secs(RETRY_SECONDS),
    );
}
