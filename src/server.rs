//! The HTTP server: routes, middleware, start-up and graceful shutdown.

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

use crate::accounts::{session, store as account_store};
use crate::app::{shell, App};
use crate::config::Config;
use crate::db::{self, Pool};
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
    /// Importing the demo content failed.
    #[error("demo content: {0}")]
    Demo(sqlx::Error),
    /// The listen address could not be bound or serving failed.
    #[error("listen on {addr}: {source}")]
    Io {
        /// The address.
        addr: String,
        /// Why.
        source: std::io::Error,
    },
}

/// Builds the router for `state`: pages, server functions, static files and `/healthz`.
pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let body_limit = state.config.body_limit_bytes;
    let options = state.leptos_options.clone();
    let cache = Arc::new(crate::page_cache::PageCache::new(
        std::time::Duration::from_secs(state.config.page_cache_seconds),
    ));
    Router::new()
        .route("/healthz", get(healthz))
        .route(
            "/articles/{slug}/source",
            get(crate::articles::source::source_redirect),
        )
        .leptos_routes_with_context(&state, routes, || (), {
            let options = options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(|| (), shell))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            session::session_middleware,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            session::csrf_middleware,
        ))
        .layer(CompressionLayer::new())
        // Outside compression, so a kept page is kept compressed.
        .layer(axum::middleware::from_fn_with_state(
            (state.clone(), cache),
            crate::page_cache::middleware,
        ))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(RequestBodyLimitLayer::new(body_limit))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
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
    let mut leptos_options = get_configuration(None)
        .map_err(|e| ServeError::Leptos(e.to_string()))?
        .leptos_options;
    leptos_options.site_addr = config.listen;
    let addr = config.listen;
    let state = AppState {
        leptos_options,
        pool: pool.clone(),
        config: Arc::new(config),
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
    spawn_session_sweeper(pool.clone());
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .map_err(|source| ServeError::Io {
        addr: addr.to_string(),
        source,
    })?;
    pool.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Deletes expired sessions once an hour so the table does not grow without bound.
fn spawn_session_sweeper(pool: Pool) {
    tokio::spawn(async move {
        let mut every_hour = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            every_hour.tick().await;
            match account_store::delete_expired_sessions(&pool, db::now_ms()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(deleted = n, "expired sessions removed"),
                Err(err) => tracing::warn!(error = %err, "expired session sweep failed"),
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
