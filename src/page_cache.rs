//! Rendered pages, kept in memory until a write changes them; the Atom feeds and the sitemap
//! are kept the same way ([`is_feed`]).
//!
//! Most readers are not signed in and see the same page, so rendering it for each of them
//! repeats the same work. A page is kept under a normalised key ([`Key`]): its path, the query
//! parameters pages read (others are removed from the request before it is rendered, so a
//! random query string can neither fill the cache nor miss it), the encoding the response is
//! sent in (br, gzip or none, negotiated here rather than kept per raw header). The session
//! middleware runs first, so a made-up cookie reads as anonymous and shares the kept page.
//!
//! Pages of signed-in readers are rendered every time, not kept. Twice in CI a signed-in page
//! kept here was served after writes that should have dropped it, and the cause was not found
//! (see the issue 11 note). Until it is, a reader's own page is always fresh; anonymous
//! readers, most of the traffic, are still served kept pages.
//!
//! Pages say what they show ([`shows`]: an article, an author, the listings), and writes say
//! what they changed ([`crate::events`]): each committed write drops exactly the pages that
//! show what it changed, on every replica, and nothing else; a refused request changes nothing
//! and so drops nothing. Memory is bounded by dropping the least recently used pages.
//! `page_cache_seconds` remains as a safety net for writes no replica hears of, and while a
//! PostgreSQL replica has lost its link to the others it keeps nothing.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::Response;

use crate::accounts::session::RequestSession;
use crate::events::{Change, Event, Events};

/// Bytes of pages kept at most, whatever the page count.
const MAX_BYTES: usize = 256 * 1024 * 1024;
/// Largest page read into memory, in bytes (far above any real page).
const MAX_PAGE_BYTES: usize = 64 * 1024 * 1024;
/// Drops remembered for renders still in flight (see [`Pages::drops`]).
const DROPS_KEPT: usize = 1024;
/// The response header a page declares what it shows in; the cache takes it off.
pub const SHOWS_HEADER: &str = "x-besthub-shows";
/// What responses that depend on the reader carry, so no shared cache passes them on.
const PRIVATE: HeaderValue = HeaderValue::from_static("private, no-store");

/// Something a page shows, which a write can change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shows<'a> {
    /// The article with this slug: its text, counts and discussion.
    Article(&'a str),
    /// The author with this handle: their profile, follower count and article list.
    Author(&'a str),
    /// Lists of articles (home, tag pages): anything that adds or changes an article.
    Listings,
}

impl Shows<'_> {
    fn tag(self) -> String {
        use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
        match self {
            Self::Article(slug) => {
                format!("article:{}", utf8_percent_encode(slug, NON_ALPHANUMERIC))
            }
            Self::Author(handle) => {
                format!("author:{}", utf8_percent_encode(handle, NON_ALPHANUMERIC))
            }
            Self::Listings => "listings".to_owned(),
        }
    }
}

/// Declares that the page being rendered shows `what` (called by the server functions pages
/// read their data with; outside a page render it does nothing harmful: the header is taken
/// off every response).
pub fn shows(what: Shows<'_>) {
    if let (Some(response), Ok(value)) = (
        leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
        HeaderValue::from_str(&what.tag()),
    ) {
        response.append_header(header::HeaderName::from_static(SHOWS_HEADER), value);
    }
}

/// Declares on a response made outside a page render (the feeds and the sitemap, plain Axum
/// handlers) that it shows `what`, as [`shows`] does for pages.
pub fn declare(response: &mut Response, what: Shows<'_>) {
    if let Ok(value) = HeaderValue::from_str(&what.tag()) {
        response
            .headers_mut()
            .append(header::HeaderName::from_static(SHOWS_HEADER), value);
    }
}

/// Which pages a change makes stale.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Dropped {
    everything: bool,
    tags: Vec<String>,
}

impl Dropped {
    fn of(change: &Change) -> Self {
        let mut dropped = Self {
            everything: false,
            tags: Vec::new(),
        };
        match change {
            Change::Resync => dropped.everything = true,
            Change::ArticleSaved { slug, handle } => {
                dropped.tags = vec![
                    Shows::Article(slug).tag(),
                    Shows::Author(handle).tag(),
                    Shows::Listings.tag(),
                ];
            }
            Change::Followed { handle, .. } => dropped.tags = vec![Shows::Author(handle).tag()],
            other => {
                if let Some(slug) = other.article() {
                    dropped.tags = vec![Shows::Article(slug).tag()];
                }
            }
        }
        dropped
    }

    fn hits(&self, page: &Page) -> bool {
        self.everything || page.tags.iter().any(|t| self.tags.iter().any(|d| d == t))
    }
}

struct Page {
    stored: Instant,
    /// When it was last served, on the cache's own clock (least recently used goes first).
    used: AtomicU64,
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
    tags: Vec<String>,
}

#[derive(Default)]
struct Pages {
    map: HashMap<String, Arc<Page>>,
    bytes: usize,
    /// The last drops, numbered: a render that started before one of them and shows what it
    /// dropped is not kept (it may have read the data from before the write).
    drops: VecDeque<(u64, Dropped)>,
    /// Number of the last drop.
    dropped: u64,
}

/// The cache shared by every request of one server.
pub struct PageCache {
    ttl: Duration,
    capacity: usize,
    events: Events,
    pages: RwLock<Pages>,
    /// Number of the last drop, readable without the lock (a render notes it as it starts).
    dropped: AtomicU64,
    /// The cache's clock for least-recently-used order: one tick per page served or kept.
    clock: AtomicU64,
    /// One render at a time per page: readers arriving meanwhile wait for it instead of all
    /// rendering the same page at once (a stampede).
    renders: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl PageCache {
    /// A cache keeping at most `capacity` pages, each at most `ttl` (zero: keeps nothing),
    /// dropping pages as `events` tell of writes.
    pub fn new(ttl: Duration, capacity: usize, events: &Events) -> Arc<Self> {
        let cache = Arc::new(Self {
            ttl,
            capacity: capacity.max(1),
            events: events.clone(),
            pages: RwLock::new(Pages::default()),
            dropped: AtomicU64::new(0),
            clock: AtomicU64::new(0),
            renders: Mutex::new(HashMap::new()),
        });
        let listener = Arc::downgrade(&cache);
        events.on_event(move |event: &Event| {
            if let Some(cache) = listener.upgrade() {
                cache.drop_changed(&event.change);
            }
        });
        cache
    }

    /// How many pages are kept (for tests and logs).
    pub fn len(&self) -> usize {
        self.pages.read().map_or(0, |p| p.map.len())
    }

    /// Whether no page is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops the pages `change` makes stale.
    pub fn drop_changed(&self, change: &Change) {
        let dropped = Dropped::of(change);
        if !dropped.everything && dropped.tags.is_empty() {
            return;
        }
        if let Ok(mut pages) = self.pages.write() {
            pages.dropped += 1;
            let number = pages.dropped;
            self.dropped.store(number, Ordering::Release);
            if dropped.everything {
                pages.map.clear();
                pages.bytes = 0;
            } else {
                let mut freed = 0;
                pages.map.retain(|_, page| {
                    let stale = dropped.hits(page);
                    if stale {
                        freed += page.body.len();
                    }
                    !stale
                });
                pages.bytes -= freed;
            }
            pages.drops.push_back((number, dropped));
            if pages.drops.len() > DROPS_KEPT {
                pages.drops.pop_front();
            }
        }
    }

    fn tick(&self) -> u64 {
        self.clock.fetch_add(1, Ordering::Relaxed)
    }

    fn get(&self, key: &str) -> Option<Arc<Page>> {
        let pages = self.pages.read().ok()?;
        let page = pages.map.get(key)?;
        if page.stored.elapsed() >= self.ttl {
            return None;
        }
        page.used.store(self.tick(), Ordering::Relaxed);
        Some(page.clone())
    }

    /// Keeps `page` unless a drop numbered after `since` hit it.
    fn put(&self, key: String, page: Page, since: u64) {
        let Ok(mut pages) = self.pages.write() else {
            return;
        };
        let oldest_kept = pages.drops.front().map_or(pages.dropped + 1, |(n, _)| *n);
        if since + 1 < oldest_kept && pages.dropped > since {
            // Drops since the render began were forgotten: it may be stale.
            return;
        }
        if pages
            .drops
            .iter()
            .any(|(n, dropped)| *n > since && dropped.hits(&page))
        {
            return;
        }
        let size = page.body.len();
        if size > MAX_BYTES / 4 {
            return;
        }
        if let Some(old) = pages.map.remove(&key) {
            pages.bytes -= old.body.len();
        }
        if pages.map.len() >= self.capacity || pages.bytes + size > MAX_BYTES {
            evict(&mut pages, self.capacity, size);
        }
        pages.bytes += size;
        pages.map.insert(key, Arc::new(page));
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
}

/// Makes room for a page of `incoming` bytes: drops the least recently used eighth of the
/// pages (at least one), more while the bytes are still over the bound. In batches, so a
/// full cache pays for sorting once per many pages kept.
fn evict(pages: &mut Pages, capacity: usize, incoming: usize) {
    let mut by_use: Vec<(u64, String, usize)> = pages
        .map
        .iter()
        .map(|(k, p)| (p.used.load(Ordering::Relaxed), k.clone(), p.body.len()))
        .collect();
    by_use.sort_unstable_by_key(|(used, _, _)| *used);
    let batch = (capacity / 8).max(1);
    for (i, (_, key, size)) in by_use.into_iter().enumerate() {
        let enough =
            i >= batch && pages.map.len() < capacity && pages.bytes + incoming <= MAX_BYTES;
        if enough {
            break;
        }
        pages.map.remove(&key);
        pages.bytes -= size;
    }
}

/// Query parameters pages read, in the order keys list them.
const PAGE_PARAMS: &[&str] = &["page", "sort", "reply", "edit", "delete", "next"];

/// The request's query reduced to the parameters pages read, each at most once (its last
/// value, as pages read it) and only in a form pages accept; `None` when the query carries a
/// form the server refused (`__err`), whose page is for one reader only.
fn normal_query(query: &str) -> Option<String> {
    let mut kept: [Option<String>; PAGE_PARAMS.len()] = Default::default();
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        if name.starts_with("__") {
            return None;
        }
        let Some(slot) = PAGE_PARAMS.iter().position(|p| *p == name) else {
            continue;
        };
        let valid = match PAGE_PARAMS[slot] {
            "page" => value.parse::<u32>().is_ok_and(|n| n >= 1),
            "sort" => matches!(&*value, "oldest" | "newest"),
            "next" => true,
            _ => value.parse::<i64>().is_ok(),
        };
        kept[slot] = valid.then(|| value.into_owned());
    }
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in PAGE_PARAMS.iter().zip(kept) {
        if let Some(value) = value {
            out.append_pair(name, &value);
        }
    }
    Some(out.finish())
}

/// The encoding a response to `headers` is sent in: brotli where accepted, else gzip, else
/// none (what the compression layer inside picks, given only that choice).
fn negotiate(headers: &HeaderMap) -> &'static str {
    let mut best = ("", 0u16);
    for item in headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
    {
        let mut parts = item.split(';');
        let name = parts.next().unwrap_or("").trim();
        let quality = parts
            .find_map(|p| p.trim().strip_prefix("q="))
            .map_or(1000, |q| {
                (q.trim().parse::<f32>().unwrap_or(0.0) * 1000.0) as u16
            });
        let (coding, rank) = match name {
            n if n.eq_ignore_ascii_case("br") => ("br", 2),
            n if n.eq_ignore_ascii_case("gzip") => ("gzip", 1),
            _ => continue,
        };
        let best_rank = match best.0 {
            "br" => 2,
            "gzip" => 1,
            _ => 0,
        };
        if quality > 0 && (quality > best.1 || (quality == best.1 && rank > best_rank)) {
            best = (coding, quality);
        }
    }
    best.0
}

/// Whether `path` is a page (server functions, static files, redirects and streams have
/// their own rules).
fn is_page(path: &str) -> bool {
    !(path.starts_with("/api/")
        || path.starts_with("/pkg/")
        || path.ends_with("/source")
        || path.ends_with("/events")
        || path == "/healthz"
        // Moderation pages change with writes no page declares (reports, requests, the log);
        // they are rarely read, so they are rendered every time.
        || path == "/moderation"
        || path.starts_with("/admin/")
        || path.starts_with("/takedowns/")
        || path.ends_with("/takedown")
        // Search pages: one per query ever typed, so keeping them would let anyone fill the
        // cache; the index answers fast enough without it (`make bench`'s search row).
        || path == "/search"
        || path
            .rsplit('/')
            .next()
            .is_some_and(|last| last.contains('.')))
}

/// Whether `path` is one of the XML documents kept like pages: the Atom feeds of the site, an
/// author and a tag, and the sitemap. Feed readers poll them, and the sitemap lists every
/// article, so making them on every request would cost far more than keeping them; like
/// pages, they declare what they show ([`declare`]) and writes drop them.
fn is_feed(path: &str) -> bool {
    if path == "/feed.xml" || path == "/sitemap.xml" {
        return true;
    }
    let mut parts = path.split('/').skip(1);
    matches!(
        (parts.next(), parts.next(), parts.next(), parts.next()),
        (Some("authors" | "tags"), Some(name), Some("feed.xml"), None) if !name.is_empty()
    )
}

/// Content types of responses the cache keeps: pages and the documents of [`is_feed`].
const KEPT_TYPES: &[&str] = &["text/html", "application/atom+xml", "application/xml"];

/// The key a page request is kept under, after rewriting the request to what the key says
/// (query reduced, encoding chosen); `None` when it must be rendered.
fn key_for(req: &mut Request) -> Option<String> {
    let path = req.uri().path();
    if req.method() != Method::GET || !(is_page(path) || is_feed(path)) {
        return None;
    }
    let query = normal_query(req.uri().query().unwrap_or(""))?;
    if req.uri().query().unwrap_or("") != query {
        let path_and_query = if query.is_empty() {
            req.uri().path().to_owned()
        } else {
            format!("{}?{query}", req.uri().path())
        };
        let mut parts = req.uri().clone().into_parts();
        parts.path_and_query = path_and_query.parse().ok();
        *req.uri_mut() = Uri::from_parts(parts).ok()?;
    }
    let encoding = negotiate(req.headers());
    let headers = req.headers_mut();
    headers.remove(header::ACCEPT_ENCODING);
    if !encoding.is_empty() {
        headers.insert(header::ACCEPT_ENCODING, HeaderValue::from_static(encoding));
    }
    let path = req.uri().path();
    let mut key = String::with_capacity(path.len() + query.len() + 8);
    key.push_str(path);
    key.push('?');
    key.push_str(&query);
    key.push('\n');
    key.push_str(encoding);
    Some(key)
}

/// Serves kept pages, keeps new ones, and marks responses that depend on the reader private.
pub async fn middleware(
    State(cache): State<Arc<PageCache>>,
    mut req: Request,
    next: Next,
) -> Response {
    let signed_in = req
        .extensions()
        .get::<RequestSession>()
        .is_some_and(|s| s.user.is_some());
    let private = signed_in || req.uri().path().starts_with("/api/");
    let cacheable = !cache.ttl.is_zero() && cache.events.linked() && !signed_in;
    let key = if cacheable { key_for(&mut req) } else { None };
    let Some(key) = key else {
        let mut response = next.run(req).await;
        finish(&mut response, private);
        return response;
    };
    if let Some(page) = cache.get(&key) {
        return serve(&page);
    }
    let Some(gate) = cache.gate(&key) else {
        let mut response = next.run(req).await;
        finish(&mut response, private);
        return response;
    };
    let turn = gate.lock().await;
    // Whoever held the gate before has probably just kept it.
    if let Some(page) = cache.get(&key) {
        drop(turn);
        cache.release(&key, gate);
        return serve(&page);
    }
    let since = cache.dropped.load(Ordering::Acquire);
    let response = render_and_keep(&cache, key.clone(), since, req, next).await;
    drop(turn);
    cache.release(&key, gate);
    response
}

/// Takes the page's declaration off and marks a reader's own response private.
fn finish(response: &mut Response, private: bool) {
    response.headers_mut().remove(SHOWS_HEADER);
    if private {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, PRIVATE);
    }
}

/// A kept page.
fn serve(page: &Page) -> Response {
    let mut response = Response::new(Body::from(page.body.clone()));
    *response.status_mut() = page.status;
    *response.headers_mut() = page.headers.clone();
    response
}

/// Renders the page and keeps it when it is a complete HTML page or feed (only anonymous
/// requests for pages and feeds get here, so nothing is private).
async fn render_and_keep(
    cache: &PageCache,
    key: String,
    since: u64,
    req: Request,
    next: Next,
) -> Response {
    let mut response = next.run(req).await;
    let kept_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| KEPT_TYPES.iter().any(|t| v.starts_with(t)));
    if response.status() != StatusCode::OK || !kept_type {
        finish(&mut response, false);
        return response;
    }
    let tags: Vec<String> = response
        .headers()
        .get_all(SHOWS_HEADER)
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_owned))
        .collect();
    finish(&mut response, false);
    if tags.is_empty() {
        // A page that declares nothing cannot be dropped by the writes that change it, and
        // would be served stale until `page_cache_seconds` ran out: it is rendered every time.
        let path = key.split('?').next().unwrap_or("");
        if path == "/"
            || ["/articles/", "/authors/", "/tags/"]
                .iter()
                .any(|p| path.starts_with(p))
        {
            // These pages read data that writes change: one that declares nothing has lost
            // its declarations somewhere, which is a bug to hear about.
            tracing::warn!(%key, "a page of articles declared nothing it shows: not kept");
        } else {
            tracing::debug!(%key, "a page declared nothing it shows: not kept");
        }
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
            stored: Instant::now(),
            used: AtomicU64::new(cache.tick()),
            status: parts.status,
            headers,
            body: body.clone(),
            tags,
        },
        since,
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

    fn events() -> Events {
        Events::in_process()
    }

    /// A router whose page `/a/{slug}` shows that article, takes 200 ms to render and counts
    /// its renders.
    fn slow_page(cache: Arc<PageCache>, renders: Arc<AtomicUsize>) -> Router {
        Router::new()
            .route(
                "/a/{slug}",
                get(
                    move |axum::extract::Path(slug): axum::extract::Path<String>| async move {
                        renders.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(200)).await;
                        (
                            [
                                (header::CONTENT_TYPE, "text/html; charset=utf-8".to_owned()),
                                (
                                    header::HeaderName::from_static(SHOWS_HEADER),
                                    Shows::Article(&slug).tag(),
                                ),
                            ],
                            format!("<p>{slug}</p>"),
                        )
                    },
                ),
            )
            .layer(axum::middleware::from_fn_with_state(cache, middleware))
    }

    async fn get_page(app: Router, uri: &str) -> (StatusCode, HeaderMap) {
        let request = Request::get(uri).body(Body::empty()).expect("request");
        let response = app.oneshot(request).await.expect("response");
        (response.status(), response.headers().clone())
    }

    fn liked(slug: &str) -> Change {
        Change::Liked {
            slug: slug.into(),
            count: 1,
        }
    }

    #[tokio::test]
    async fn a_render_that_began_before_a_write_to_what_it_shows_is_not_kept() {
        let events = events();
        let cache = PageCache::new(Duration::from_secs(60), 100, &events);
        let renders = Arc::new(AtomicUsize::new(0));
        let app = slow_page(cache.clone(), renders.clone());
        let first = tokio::spawn(get_page(app.clone(), "/a/x"));
        tokio::time::sleep(Duration::from_millis(50)).await;
        // Two readers arrive while the page renders, then a write to it commits.
        let waiting: Vec<_> = (0..2)
            .map(|_| tokio::spawn(get_page(app.clone(), "/a/x")))
            .collect();
        tokio::time::sleep(Duration::from_millis(50)).await;
        events.publish(Event {
            id: 1,
            change: liked("x"),
        });
        assert_eq!(first.await.expect("first").0, StatusCode::OK);
        for reader in waiting {
            assert_eq!(reader.await.expect("waiting").0, StatusCode::OK);
        }
        // The first render was not kept; one waiting reader rendered again, the other took it.
        assert_eq!(renders.load(Ordering::SeqCst), 2);
        assert_eq!(get_page(app, "/a/x").await.0, StatusCode::OK);
        assert_eq!(renders.load(Ordering::SeqCst), 2, "then kept");
    }

    #[tokio::test]
    async fn writes_drop_only_the_pages_that_show_what_they_changed() {
        let events = events();
        let cache = PageCache::new(Duration::from_secs(60), 100, &events);
        let renders = Arc::new(AtomicUsize::new(0));
        let app = slow_page(cache.clone(), renders.clone());
        get_page(app.clone(), "/a/x").await;
        get_page(app.clone(), "/a/y").await;
        assert_eq!(cache.len(), 2);
        events.publish(Event {
            id: 1,
            change: liked("y"),
        });
        assert_eq!(cache.len(), 1, "y dropped, x kept");
        events.publish(Event {
            id: 0,
            change: Change::Followed {
                handle: "x".into(),
                followers: 1,
            },
        });
        assert_eq!(
            cache.len(),
            1,
            "an author's change leaves an article page alone"
        );
        events.publish(Event::resync());
        assert!(cache.is_empty(), "a resync drops everything");
    }

    #[tokio::test]
    async fn a_page_that_declares_nothing_is_not_kept() {
        let cache = PageCache::new(Duration::from_secs(60), 16, &events());
        let app = Router::new()
            .route(
                "/plain",
                get(|| async { ([(header::CONTENT_TYPE, "text/html")], "<p>plain</p>") }),
            )
            .layer(axum::middleware::from_fn_with_state(
                cache.clone(),
                middleware,
            ));
        assert_eq!(get_page(app, "/plain").await.0, StatusCode::OK);
        assert!(cache.is_empty());
    }

    #[tokio::test]
    async fn unknown_query_parameters_share_the_page_without_them() {
        let events = events();
        let cache = PageCache::new(Duration::from_secs(60), 100, &events);
        let renders = Arc::new(AtomicUsize::new(0));
        let app = slow_page(cache.clone(), renders.clone());
        for uri in [
            "/a/x",
            "/a/x?utm=1",
            "/a/x?zz=9&page=abc",
            "/a/x?sort=bogus",
        ] {
            assert_eq!(get_page(app.clone(), uri).await.0, StatusCode::OK);
        }
        assert_eq!(renders.load(Ordering::SeqCst), 1);
        get_page(app.clone(), "/a/x?page=2&junk=1").await;
        get_page(app.clone(), "/a/x?junk=2&page=2").await;
        assert_eq!(
            renders.load(Ordering::SeqCst),
            2,
            "page 2 is its own page, once"
        );
        assert_eq!(cache.len(), 2);
    }

    #[tokio::test]
    async fn the_least_recently_used_pages_go_first() {
        let events = events();
        let cache = PageCache::new(Duration::from_secs(60), 16, &events);
        let renders = Arc::new(AtomicUsize::new(0));
        let app = slow_page(cache.clone(), renders.clone());
        for i in 0..16 {
            get_page(app.clone(), &format!("/a/p{i}")).await;
        }
        // p0 is read again, so p1 and p2 are now the least recently used.
        get_page(app.clone(), "/a/p0").await;
        get_page(app.clone(), "/a/new").await;
        assert!(cache.len() <= 16 && cache.len() >= 14, "{}", cache.len());
        let before = renders.load(Ordering::SeqCst);
        get_page(app.clone(), "/a/p0").await;
        assert_eq!(renders.load(Ordering::SeqCst), before, "p0 kept");
        get_page(app.clone(), "/a/p1").await;
        assert_eq!(renders.load(Ordering::SeqCst), before + 1, "p1 evicted");
    }

    #[test]
    fn feeds_and_the_sitemap_are_kept_other_files_are_not() {
        for kept in [
            "/feed.xml",
            "/sitemap.xml",
            "/authors/ada/feed.xml",
            "/tags/rust/feed.xml",
        ] {
            assert!(is_feed(kept), "{kept}");
        }
        for other in [
            "/robots.txt",
            "/favicon.svg",
            "/authors//feed.xml",
            "/authors/ada/feed.xml/x",
            "/articles/a/feed.xml",
            "/tags/rust/feed.json",
        ] {
            assert!(!is_feed(other), "{other}");
        }
    }

    #[test]
    fn encodings_are_negotiated_to_three_choices() {
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(
                header::ACCEPT_ENCODING,
                HeaderValue::from_str(v).expect("value"),
            );
            negotiate(&h)
        };
        assert_eq!(with("gzip, deflate, br, zstd"), "br");
        assert_eq!(with("gzip"), "gzip");
        assert_eq!(with("br;q=0, gzip;q=0.5"), "gzip");
        assert_eq!(with("gzip;q=1, br;q=0.8"), "gzip");
        assert_eq!(with("identity"), "");
        assert_eq!(with("x-garbage;q=abc, br;q=nope"), "");
        assert_eq!(negotiate(&HeaderMap::new()), "");
    }

    #[test]
    fn queries_keep_only_what_pages_read() {
        assert_eq!(normal_query("").as_deref(), Some(""));
        assert_eq!(normal_query("b=1&page=2").as_deref(), Some("page=2"));
        assert_eq!(
            normal_query("sort=newest&page=3").as_deref(),
            Some("page=3&sort=newest")
        );
        assert_eq!(normal_query("page=1&page=4").as_deref(), Some("page=4"));
        assert_eq!(normal_query("reply=x&edit=5").as_deref(), Some("edit=5"));
        assert_eq!(normal_query("__err=x&__path=/api/y"), None);
    }
}
