//! Server state shared by every handler and server function.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::prelude::*;

use crate::config::Config;
use crate::db::Pool;
use crate::error::AppError;
use crate::events::Events;

/// What every request can reach: Leptos options, the pool, the configuration and the events.
#[derive(Clone, FromRef)]
pub struct AppState {
    /// Leptos's build and site options.
    pub leptos_options: LeptosOptions,
    /// The database pool.
    pub pool: Pool,
    /// The validated runtime configuration.
    pub config: Arc<Config>,
    /// Committed writes, told to everything that depends on them.
    pub events: Events,
}

/// The [`AppState`] that the router provides to server functions and pages.
pub fn app_state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from the Leptos context");
        AppError::Internal
    })
}
