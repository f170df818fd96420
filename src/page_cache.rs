//! Rendered pages, kept in memory until anything changes.
//!
//! Most readers are not signed in and see the same page, so rendering it for each of them
//! repeats the same work; a signed-in reader going back and forth between pages sees the same
//! page too until something changes. A page is kept per path, query, `Accept-Encoding` (the
//! body is kept as compressed) and session (none for anonymous readers, so they all share
//! one copy; a hash of the session cookie otherwise, so nobody is ever served another
//! reader's page), and served again until a write happens: every request that is not a GET
//! or HEAD moves the cache on a generation, so the next reader gets a fresh render. Writes
//! this process does not see (another replica sharing the database, `besthub import`, a
//! sign-out on another replica) take effect within `page_cache_seconds`, the longest a page
//! is kept.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

use crate::accounts::session::{self, SESSION_COOKIE};
use crate::state::AppState;

/// Pages kept at most; past it (or past [`MAX_BYTES`]) the cache starts over, so a crawler
/// walking every page cannot grow memory without bound.
const MAX_PAGES: usize = 4_000;
/// Bytes of pages kept at most.
const MAX_BYTES: usize = 256 * 1024 * 1024;
/// Largest page read into memory, in bytes (far above any real page).
const MAX_PAGE_BYTES: usize = 64 * 1024 * 1024;

struct Page {
    generation: u64,
    stored: Instant,
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

#[derive(Default)]
struct Pages {
    map: HashMap<String, Arc<Page>>,
    bytes: usize,
}

/// The cache shared by every request of one server.
pub struct PageCache {
    generation: AtomicU64,
    ttl: Duration,
    pages: RwLock<Pages>,
    /// One render at a time per page: readers arriving meanwhile wait for it instead of all
    /// rendering the same page at once when it expires (a stampede).
    renders: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl PageCache {
    /// A cache keeping pages at most `ttl` (zero: keeps nothing).
    pub fn new(ttl: Duration) -> Self {
        Self {
            generation: AtomicU64::new(0),
            ttl,
            pages: RwLock::new(Pages::default()),
            renders: Mutex::new(HashMap::new()),
        }
    }

    /// The kept page for `key` if it was rendered at generation `since` or later, i.e. it
    /// shows every write that had finished when a request seeing `since` arrived.
    fn get(&self, key: &str, since: u64) -> Option<Arc<Page>> {
        let pages = self.pages.read().ok()?;
        let page = pages.map.get(key)?;
        (page.generation >= since && page.stored.elapsed() < self.ttl).then(|| page.clone())
    }

    fn put(&self, key: String, page: Page) {
        if let Ok(mut pages) = self.pages.write() {
            if pages.map.len() >= MAX_PAGES || pages.bytes + page.body.len() > MAX_BYTES {
                *pages = Pages::default();
            }
            pages.bytes += page.body.len();
            if let Some(old) = pages.map.insert(key, Arc::new(page)) {
                pages.bytes -= old.body.len();
            }
        }
    }

    /// The gate that lets one request at a time render `key`.
    fn gate(&self, key: &str) -> Option<Arc<tokio::sync::Mutex<()>>> {
        let mut renders = self.renders.lock().ok()?;
        Some(renders.entry(key.to_owned()).or_default().clone())
    }

    /// Forgets the gate of `key` once nobody else waits at it.
    fn release(&self, key: &str, gate: Arc<tokio::sync::Mutex<()>>) {
        if let Ok(mut renders) = self.renders.lock() {
            // The map's reference and ours: nobody is waiting.
            if Arc::strong_count(&gate) <= 2 {
                renders.remove(key);
            }
        }
    }

    /// Makes every kept page stale (after a write).
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        if let Ok(mut pages) = self.pages.write() {
            *pages = Pages::default();
        }
    }
}

/// The cache key of a page request, or `None` when it must be rendered.
fn cache_key(req: &Request) -> Option<String> {
    if req.method() != Method::GET {
        return None;
    }
    let path = req.uri().path();
    // Pages only: server functions, static files and the source redirect have their own rules.
    if path.starts_with("/api/")
        || path.starts_with("/pkg/")
        || path.ends_with("/source")
        || path == "/healthz"
    {
        return None;
    }
    // Only the session cookie changes what a page shows; it is kept hashed, like the store.
    let session = session::cookie_value(req.headers(), SESSION_COOKIE)
        .filter(|t| !t.is_empty())
        .map(|token| session::hash_token(&token))
        .unwrap_or_default();
    let encoding = req
        .headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    Some(format!(
        "{}\n{encoding}\n{session}",
        req.uri().path_and_query().map_or(path, |pq| pq.as_str()),
    ))
}

/// Serves kept pages, keeps new ones, and starts over after writes.
pub async fn middleware(
    State((state, cache)): State<(AppState, Arc<PageCache>)>,
    req: Request,
    next: Next,
) -> Response {
    let writes = !matches!(*req.method(), Method::GET | Method::HEAD);
    let key = if cache.ttl.is_zero() {
        None
    } else {
        cache_key(&req)
    };
    let Some(key) = key else {
        let response = next.run(req).await;
        if writes {
            cache.invalidate();
        }
        return response;
    };
    let wants_csrf_cookie = session::cookie_value(req.headers(), session::CSRF_COOKIE).is_none();
    let secure = state.config.is_https();
    // Every write finished before this request arrived is counted in `arrived`: a page
    // rendered at that generation or later shows them all.
    let arrived = cache.generation.load(Ordering::Acquire);
    if let Some(page) = cache.get(&key, arrived) {
        return serve(&page, wants_csrf_cookie, secure);
    }
    let Some(gate) = cache.gate(&key) else {
        return next.run(req).await;
    };
    let turn = gate.lock().await;
    // Whoever held the gate before may have rendered it since this request arrived: that page
    // will do even if a write finished meanwhile (it is no older than rendering now would
    // have been when the request came). Asking for the newest generation here instead made
    // every waiter render in turn while writes kept coming: a convoy of seconds on a popular
    // page under steady writes.
    if let Some(page) = cache.get(&key, arrived) {
        drop(turn);
        cache.release(&key, gate);
        return serve(&page, wants_csrf_cookie, secure);
    }
    // Read before rendering: a write finishing meanwhile makes this render stale at once.
    let generation = cache.generation.load(Ordering::Acquire);
    let response = render_and_keep(&cache, key.clone(), generation, req, next).await;
    drop(turn);
    cache.release(&key, gate);
    response
}

/// A kept page, with a CSRF cookie of its own for a client that has none.
fn serve(page: &Page, wants_csrf_cookie: bool, secure: bool) -> Response {
    let mut response = Response::new(Body::from(page.body.clone()));
    *response.status_mut() = page.status;
    *response.headers_mut() = page.headers.clone();
    if wants_csrf_cookie {
        session::append_csrf_cookie(&mut response, secure);
    }
    response
}

/// Renders the page and keeps it when it is a complete HTML page.
async fn render_and_keep(
    cache: &PageCache,
    key: String,
    generation: u64,
    req: Request,
    next: Next,
) -> Response {
    let response = next.run(req).await;
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if response.status() != StatusCode::OK || !is_html {
        return response;
    }
    let (parts, body) = response.into_parts();
    let body = match axum::body::to_bytes(body, MAX_PAGE_BYTES).await {
        Ok(body) => body,
        Err(err) => {
            tracing::error!(error = %err, "reading a rendered page failed");
            let mut failed = Response::new(Body::empty());
            *failed.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            return failed;
        }
    };
    let mut headers = parts.headers.clone();
    // Cookies belong to the reader who got the page, never to the next one.
    headers.remove(header::SET_COOKIE);
    cache.put(
        key,
        Page {
            generation,
            stored: Instant::now(),
            status: parts.status,
            headers,
            body: body.clone(),
        },
    );
    Response::from_parts(parts, Body::from(body))
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use axum::routing::get;
    use axum::Router;
    use tower::ServiceExt;

    use super::*;
    use crate::config::Config;

    /// A router whose only page takes 200 ms to render and counts its renders.
    fn slow_page(cache: Arc<PageCache>, renders: Arc<AtomicUsize>) -> Router {
        sqlx::any::install_default_drivers();
        let state = AppState {
            leptos_options: leptos::prelude::LeptosOptions::builder()
                .output_name("besthub")
                .build(),
            pool: sqlx::AnyPool::connect_lazy("sqlite::memory:").expect("lazy pool"),
            config: Arc::new(
                Config::from_sources(
                    std::path::Path::new("test.toml"),
                    "contact_email = \"a@example.com\"\nrepublication_notice = \"R.\"",
                    |_| None,
                )
                .expect("config"),
            ),
        };
        Router::new()
            .route(
                "/",
                get(move || async move {
                    renders.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    (
                        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                        "<p>page</p>",
                    )
                }),
            )
            .layer(axum::middleware::from_fn_with_state(
                (state, cache),
                middleware,
            ))
    }

    async fn get_page(app: Router) -> StatusCode {
        let request = Request::get("/").body(Body::empty()).expect("request");
        app.oneshot(request).await.expect("response").status()
    }

    #[tokio::test]
    async fn readers_waiting_for_a_render_take_it_though_a_write_finished_meanwhile() {
        let cache = Arc::new(PageCache::new(Duration::from_secs(60)));
        let renders = Arc::new(AtomicUsize::new(0));
        let app = slow_page(cache.clone(), renders.clone());
        let first = tokio::spawn(get_page(app.clone()));
        tokio::time::sleep(Duration::from_millis(50)).await;
        // Two readers arrive while the page renders, then a write finishes.
        let waiting: Vec<_> = (0..2)
            .map(|_| tokio::spawn(get_page(app.clone())))
            .collect();
        tokio::time::sleep(Duration::from_millis(50)).await;
        cache.invalidate();
        assert_eq!(first.await.expect("first"), StatusCode::OK);
        for reader in waiting {
            assert_eq!(reader.await.expect("waiting reader"), StatusCode::OK);
        }
        assert_eq!(
            renders.load(Ordering::SeqCst),
            1,
            "the readers who arrived before the write were served the render they waited for"
        );
        // A reader arriving after the write must see it: the page is rendered again.
        assert_eq!(get_page(app.clone()).await, StatusCode::OK);
        assert_eq!(renders.load(Ordering::SeqCst), 2);
        assert_eq!(get_page(app).await, StatusCode::OK);
        assert_eq!(renders.load(Ordering::SeqCst), 2, "then kept");
    }
}
