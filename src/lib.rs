//! BestHub: curated tech articles, republished and discussed.
//!
//! One crate, two builds: `ssr` (the Axum server and command line) and `hydrate` (the WASM
//! that makes server-rendered pages interactive). Code is laid out by feature; server-only
//! parts sit behind `#[cfg(feature = "ssr")]`.
//!
//! Every `#[server]` function names its endpoint (`/api/<name>`). Without a name, Leptos
//! suffixes the path with a hash that depends on the checkout's folder, so a server built in
//! one clone (the build cache shares binaries between clones) would answer 404 to the same
//! function called from tests compiled in another.

#![recursion_limit = "256"]

pub mod accounts;
pub mod app;
pub mod articles;
pub mod discussion;
pub mod error;
pub mod feedback;
pub mod live;
pub mod moderation;
pub mod notifications;
pub mod reading_list;
pub mod search;
pub mod site;

#[cfg(feature = "ssr")]
pub mod config;
#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod events;
#[cfg(feature = "ssr")]
pub mod feeds;
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

/// Browser entry point, called by Leptos's island script once the WASM has loaded, before it
/// hydrates each island on the page. `<body data-hydrated="true">` is set once they all are
/// (the island script hydrates them in promise callbacks of this same task, so a zero-delay
/// timer runs after the last one): tests and `nav.js` wait for it.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    #[cfg(debug_assertions)]
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
    leptos::prelude::set_timeout(
        || {
            if let Some(body) = leptos::prelude::document().body() {
                // Failing to set a marker attribute is harmless; the islands are hydrated.
                let _ = body.set_attribute("data-hydrated", "true");
            }
        },
        std::time::Duration::ZERO,
    );
}
