//! The HTTP server: routes, middleware, start-up and graceful shutdown.

use std::sync::{Arc, OnceLock};

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use leptos::prelude::*;
use leptos::server_fn::error::SERVER_FN_ERROR_HEADER;
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

use crate::accounts::{session, store as account_store};
use crate::app::{shell, App};
use crate::config::Config;
use crate::db::{self, Pool};
use crate::error::AppError;
use crate::events::Events;
use crate::import;
use crate::state::AppState;

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Leptos's build options could not be read.
    #[error("leptos options: {0}")]
    Leptos(String),
    /// The database could not be opened or migrated.
    #[error(transparent)]
    Db(#[from] db::DbError),
    /// Re-rendering stored articles failed.
    #[error("re-rendering articles: {0}")]
    Rerender(sqlx::Error),
    /// Setting up change events (or the clock) on the database failed.
    #[error("change events: {0}")]
    Events(sqlx::Error),
    /// Importing the demo content failed.
    #[error("demo content: {0}")]
    Demo(sqlx::Error),
    /// Indexing stored articles for search failed.
    #[error("search index: {0}")]
    SearchIndex(sqlx::Error),
    /// The listen address could not be bound or serving failed.
    #[error("listen on {addr}: {source}")]
    Io {
        /// The address.
        addr: String,
        /// Why.
        source: std::io::Error,
    },
}

/// The app's routes, generated once per process.
///
/// Generating them runs the whole app with a process-wide flag set that parks any resource
/// first polled meanwhile on a future that never wakes (leptos issue 4773), so a render in
/// flight on another router of the same process would hang for good. Generating once, before
/// any router exists, means no render can overlap it.
fn route_list() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// Builds the router for `state`: pages, server functions, static files and `/healthz`.
pub fn router(state: AppState) -> Router {
    let routes = route_list();
    let body_limit = state.config.body_limit_bytes;
    let options = state.leptos_options.clone();
    let cache = crate::page_cache::PageCache::new(
        std::time::Duration::from_secs(state.config.page_cache_seconds),
        state.config.page_cache_pages,
        &state.events,
    );
    let streams = crate::live::stream::Streams::new(&state.config);
    Router::new()
        .route("/healthz", get(healthz))
        .route("/feed.xml", get(crate::feeds::site_feed))
        .route("/authors/{handle}/feed.xml", get(crate::feeds::author_feed))
        .route("/tags/{tag}/feed.xml", get(crate::feeds::tag_feed))
        .route("/sitemap.xml", get(crate::feeds::sitemap))
        .route("/robots.txt", get(crate::feeds::robots))
        .route(
            "/articles/{slug}/source",
            get(crate::articles::source::source_redirect),
        )
        .route(
            "/articles/{slug}/events",
            get(crate::live::stream::events).with_state((state.clone(), streams)),
        )
        .route(
            crate::notifications::stream_path(),
            get(crate::notifications::stream::events).with_state((
                state.clone(),
                crate::notifications::stream::Streams::new(&state.config),
            )),
        )
        .leptos_routes_with_context(&state, routes, || (), {
            let options = options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(|| (), shell))
        .layer(axum::middleware::from_fn(error_status))
        .layer(CompressionLayer::new())
        // Outside compression, so a kept page is kept compressed; inside the session, so a
        // page is kept per live session only and cookies are set on kept pages too.
        .layer(axum::middleware::from_fn_with_state(
            cache,
            crate::page_cache::middleware,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            session::csrf_middleware,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            session::session_middleware,
        ))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(RequestBodyLimitLayer::new(body_limit))
        .layer(axum::middleware::from_fn_with_state(body_limit, limit_body))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Removes `X.br` and `X.gz` files of the built site that are older than `X` (or whose `X`
/// is gone).
///
/// Static files are served precompressed when such siblings exist (`make build` writes `.br`
/// files at brotli's highest level). A site rebuilt without that step would otherwise
/// be served its previous WASM, compressed, beside the new JavaScript, and never hydrate.
/// Without the sibling the file is compressed as it is served.
pub fn drop_stale_precompressed(root: &std::path::Path) {
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let is_compressed =
                matches!(path.extension().and_then(|e| e.to_str()), Some("br" | "gz"));
            if !is_compressed {
                continue;
            }
            let modified = |p: &std::path::Path| std::fs::metadata(p).and_then(|m| m.modified());
            let stale = match (modified(&path), modified(&path.with_extension(""))) {
                (Ok(compressed), Ok(original)) => compressed < original,
                _ => true,
            };
            if stale {
                match std::fs::remove_file(&path) {
                    Ok(()) => {
                        tracing::warn!(file = %path.display(), "removed a stale precompressed file")
                    }
                    Err(err) => {
                        tracing::warn!(file = %path.display(), error = %err, "a stale precompressed file could not be removed")
                    }
                }
            }
        }
    }
}

/// Gives every server-function error answer the status its [`AppError`] carries.
///
/// The server-function machinery answers every error with 500 and the error, JSON-encoded,
/// as the body; this is the one place that turns it into 400, 401, 404, 422, 429 and so on.
/// Redirects are left alone: they carry a plain form post's error back to its page.
pub async fn error_status(req: Request, next: Next) -> Response {
    let response = next.run(req).await;
    if !response.headers().contains_key(SERVER_FN_ERROR_HEADER)
        || response.status().is_redirection()
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, ERROR_BODY_MAX).await else {
        tracing::error!("a server-function error body could not be read");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    parts.status = serde_json::from_slice::<AppError>(&bytes)
        .ok()
        .and_then(|err| StatusCode::from_u16(err.status_code()).ok())
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    Response::from_parts(parts, Body::from(bytes))
}

/// Largest server-function error body read back (they are a few hundred bytes).
const ERROR_BODY_MAX: usize = 64 * 1024;

/// Refuses bodies over `limit` bytes with 413 in our words, before anything reads them.
///
/// A declared `Content-Length` over the limit is refused at once. A body without one
/// (chunked) is read here up to the limit, so that one sent past it gets the same 413 as its
/// `Content-Length` twin instead of failing later inside a handler.
pub async fn limit_body(State(limit): State<usize>, req: Request, next: Next) -> Response {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .map(|v| v.to_str().ok().and_then(|v| v.trim().parse::<u64>().ok()));
    match declared {
        Some(Some(length)) if length > limit as u64 => too_large(req.uri().path()),
        Some(Some(_)) => next.run(req).await,
        Some(None) => bad_request(req.uri().path()),
        None if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) => {
            next.run(req).await
        }
        None => {
            let path = req.uri().path().to_owned();
            let (parts, body) = req.into_parts();
            match axum::body::to_bytes(body, limit).await {
                Ok(bytes) => {
                    next.run(Request::from_parts(parts, Body::from(bytes)))
                        .await
                }
                Err(err) if is_length_limit(&err) => too_large(&path),
                Err(err) => {
                    tracing::info!(error = %err, "a request body could not be read");
                    bad_request(&path)
                }
            }
        }
    }
}

fn is_length_limit(err: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(cause) = source {
        if cause.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = cause.source();
    }
    false
}

/// 413 for `path`: a JSON [`AppError`] for server functions, plain text elsewhere.
fn too_large(path: &str) -> Response {
    refuse(path, AppError::TooLarge)
}

/// 400 for `path`, like [`too_large`].
fn bad_request(path: &str) -> Response {
    refuse(
        path,
        AppError::BadRequest(crate::error::BAD_REQUEST_MESSAGE.to_owned()),
    )
}

fn refuse(path: &str, err: AppError) -> Response {
    let status =
        StatusCode::from_u16(err.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if path.starts_with("/api/") {
        let body = serde_json::to_string(&err).unwrap_or_default();
        let headers = [
            (header::CONTENT_TYPE.as_str(), "application/json".to_owned()),
            (SERVER_FN_ERROR_HEADER, path.to_owned()),
        ];
        (status, headers, body).into_response()
    } else {
        (status, err.to_string()).into_response()
    }
}

/// 200 "ok" only when the database answers.
async fn healthz(State(pool): State<Pool>) -> (StatusCode, &'static str) {
    if db::ping(&pool).await {
        (StatusCode::OK, "ok")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
    }
}

/// Opens the database, imports the demo content into an empty one, and serves until SIGINT
/// or SIGTERM, finishing requests in flight before returning.
pub async fn serve(config: Config) -> Result<(), ServeError> {
    let pool = db::connect(&config.database_url, 16).await?;
    db::sync_clock(&pool).await.map_err(ServeError::Events)?;
    let events = Events::new(&pool).await.map_err(ServeError::Events)?;
    events
        .listen(&config.database_url)
        .await
        .map_err(ServeError::Events)?;
    match crate::articles::store::rerender_stale(&pool).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(
            articles = n,
            "re-rendered articles for the current renderer"
        ),
        Err(err) => return Err(ServeError::Rerender(err)),
    }
    if let Some(summary) = import::seed_demo_if_empty(&pool)
        .await
        .map_err(ServeError::Demo)?
    {
        tracing::info!(%summary, "empty database: demo content imported");
    }
    // Articles stored before the search index existed (an upgraded database).
    match crate::search::store::index_missing(&pool).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(articles = n, "indexed articles for search"),
        Err(err) => return Err(ServeError::SearchIndex(err)),
    }
    let mut leptos_options = get_configuration(None)
        .map_err(|e| ServeError::Leptos(e.to_string()))?
        .leptos_options;
    leptos_options.site_addr = config.listen;
    drop_stale_precompressed(std::path::Path::new(&*leptos_options.site_root));
    let addr = config.listen;
    let state = AppState {
        leptos_options,
        pool: pool.clone(),
        config: Arc::new(config),
        events: events.clone(),
    };
    let app = router(state);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Io {
            addr: addr.to_string(),
            source,
        })?;
    // Responses go out as soon as they are written: with Nagle's algorithm a small response
    // written in two parts waits for the client's delayed ACK (about 40 ms on Linux).
    let listener = axum::serve::ListenerExt::tap_io(listener, |stream| {
        if let Err(err) = stream.set_nodelay(true) {
            tracing::debug!(error = %err, "could not set TCP_NODELAY");
        }
    });
    tracing::info!("listening on http://{addr}");
    spawn_sweeper(pool.clone());
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown_signal().await;
        // Open live streams would keep the server waiting for ever: end them, so their
        // browsers reconnect (to another replica, behind a load balancer).
        events.shut_down();
    })
    .await
    .map_err(|source| ServeError::Io {
        addr: addr.to_string(),
        source,
    })?;
    pool.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Sweeps expired sessions, rate-limit windows and old live events once an hour, so those
/// tables do not grow with traffic.
fn spawn_sweeper(pool: Pool) {
    tokio::spawn(async move {
        let mut every_hour = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            every_hour.tick().await;
            match account_store::sweep_expired(&pool, db::now_ms()).await {
                Ok(swept) if swept.is_empty() => {}
                Ok(swept) => tracing::info!(
                    sessions = swept.sessions,
                    rate_limit_windows = swept.rate_limit_windows,
                    "expired rows removed"
                ),
                Err(err) => tracing::warn!(error = %err, "sweeping expired rows failed"),
            }
            match crate::events::log::prune(&pool, db::now_ms()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(events = n, "old live events removed"),
                Err(err) => tracing::warn!(error = %err, "pruning the event log failed"),
            }
        }
    });
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received; finishing requests in flight");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_precompressed_files_are_removed_and_fresh_ones_kept() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let pkg = dir.path().join("pkg");
        std::fs::create_dir(&pkg).expect("pkg");
        let write = |name: &str| std::fs::write(pkg.join(name), name).expect("write");
        // Stale: compressed before its file was rebuilt.
        write("old.wasm.br");
        std::thread::sleep(std::time::Duration::from_millis(20));
        write("old.wasm");
        // Fresh: compressed after its file.
        write("new.js");
        std::thread::sleep(std::time::Duration::from_millis(20));
        write("new.js.br");
        // Orphaned: its file is gone.
        write("gone.css.gz");
        drop_stale_precompressed(dir.path());
        let left: std::collections::BTreeSet<String> = std::fs::read_dir(&pkg)
            .expect("read pkg")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            left,
            ["new.js", "new.js.br", "old.wasm"]
                .map(str::to_owned)
                .into_iter()
                .collect()
        );
    }
}
