//! BestHub: curated tech articles, republished and discussed.
//!
//! One crate, two builds: `ssr` (the Axum server and command line) and `hydrate` (the WASM
//! that makes server-rendered pages interactive). Code is laid out by feature; server-only
//! parts sit behind `#[cfg(feature = "ssr")]`.

#![recursion_limit = "256"]

pub mod accounts;
pub mod app;
pub mod articles;
pub mod discussion;
pub mod error;
pub mod feedback;
pub mod site;

#[cfg(feature = "ssr")]
pub mod config;
#[cfg(feature = "ssr")]
pub mod db;
#[cfg(all(test, feature = "ssr"))]
mod html_audit;
#[cfg(feature = "ssr")]
pub mod import;
#[cfg(feature = "ssr")]
pub mod page_cache;
#[cfg(feature = "ssr")]
pub mod server;
#[cfg(feature = "ssr")]
pub mod state;

/// Browser entry point: hydrates the server-rendered page, then marks `<body>` so tests and
/// scripts can tell the page is interactive.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
    if let Some(body) = leptos::prelude::document().body() {
        // Failing to set a marker attribute is harmless; the page is already hydrated.
        let _ = body.set_attribute("data-hydrated", "true");
    }
}
