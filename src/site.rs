//! The site frame: identity from the configuration, header, footer, dates and "Not found".

use leptos::prelude::*;
// Reads are GET: cacheable, and never mistaken for a write (see page_cache).
use leptos::server_fn::codec::GetUrl;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// The parts of the configuration that pages show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteInfo {
    /// Name of the site.
    pub site_name: String,
    /// Address for takedown requests.
    pub contact_email: String,
    /// Text of the republication notice.
    pub republication_notice: String,
    /// Public base URL, for canonical links.
    pub public_url: String,
}

/// The site's identity, from the runtime configuration.
#[server(input = GetUrl)]
pub async fn get_site_info() -> Result<SiteInfo, AppError> {
    let state = crate::state::app_state()?;
    Ok(SiteInfo {
        site_name: state.config.site_name.clone(),
        contact_email: state.config.contact_email.clone(),
        republication_notice: state.config.republication_notice.clone(),
        public_url: state.config.public_url.clone(),
    })
}

/// The site's identity, loaded once per page and serialised into it for hydration.
#[derive(Clone, Copy)]
pub struct SiteInfoResource(pub Resource<Result<SiteInfo, AppError>>);

/// Creates the [`SiteInfoResource`] and provides it to every page.
pub fn provide_site_info() {
    provide_context(SiteInfoResource(Resource::new_blocking(
        || (),
        |()| get_site_info(),
    )));
}

/// The page's [`SiteInfoResource`]; call it in the component body, await it in `Suspend`.
pub fn use_site_info() -> SiteInfoResource {
    use_context::<SiteInfoResource>()
        .unwrap_or_else(|| SiteInfoResource(Resource::new_blocking(|| (), |()| get_site_info())))
}

impl SiteInfoResource {
    /// The site's identity, once loaded.
    pub async fn get(self) -> Result<SiteInfo, AppError> {
        self.0.await
    }
}

/// The header of every page.
#[component]
pub fn Header() -> impl IntoView {
    let site = use_site_info();
    view! {
        <header class="site-header">
            <a class="skip-link" href="#main">
                "Skip to content"
            </a>
            <Suspense fallback=|| view! { <a class="brand" href="/">"BestHub"</a> }>
                {move || Suspend::new(async move {
                    let name = site
                        .get()
                        .await
                        .map(|info| info.site_name)
                        .unwrap_or_else(|_| "BestHub".to_owned());
                    view! { <a class="brand" href="/">{name}</a> }
                })}
            </Suspense>
            <crate::accounts::AccountMenu />
        </header>
    }
}

/// The footer of every page, with the takedown contact.
#[component]
pub fn Footer() -> impl IntoView {
    let site = use_site_info();
    view! {
        <footer class="site-footer">
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    site
                        .get()
                        .await
                        .ok()
                        .map(|info| {
                            view! {
                                <p>
                                    {format!(
                                        "{} republishes curated articles with credit to their authors. ",
                                        info.site_name,
                                    )} "Takedown requests: "
                                    <a href=format!(
                                        "mailto:{}",
                                        info.contact_email,
                                    )>{info.contact_email.clone()}</a>
                                </p>
                            }
                        })
                })}
            </Suspense>
        </footer>
    }
}

/// The page for anything that does not exist; answers 404 when rendered on the server.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Not found" />
        <div class="not-found">
            <h1>"Not found"</h1>
            <p>"There is nothing at this address. It may have moved, or the link may be mistyped."</p>
            <p>
                <a href="/">"Go to the home page"</a>
            </p>
        </div>
    }
}

/// A point in time as `<time datetime="YYYY-MM-DD">` with a human date in UTC, identical in
/// the server render and after hydration.
#[component]
pub fn DateTime(ms: i64) -> impl IntoView {
    let (machine, human) = format_date(ms);
    view! { <time datetime=machine>{human}</time> }
}

/// `("2026-03-17", "17 March 2026")` for a time in ms since the epoch (UTC).
pub fn format_date(ms: i64) -> (String, String) {
    match chrono::DateTime::from_timestamp_millis(ms) {
        Some(t) => (
            t.format("%Y-%m-%d").to_string(),
            t.format("%-d %B %Y").to_string(),
        ),
        None => (String::new(), String::new()),
    }
}

/// `("2026-03-17T23:30:00Z", "17 Mar 2026, 23:30 UTC")` for a time in ms since the epoch:
/// the same text on the server and in the browser, so hydration never disagrees.
pub fn format_date_time(ms: i64) -> (String, String) {
    match chrono::DateTime::from_timestamp_millis(ms) {
        Some(t) => (
            t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            t.format("%-d %b %Y, %H:%M UTC").to_string(),
        ),
        None => (String::new(), String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_formatted_in_utc() {
        // 2026-03-17T23:30:00Z stays on the 17th whatever the server's time zone.
        assert_eq!(
            format_date(1_773_790_200_000),
            ("2026-03-17".to_owned(), "17 March 2026".to_owned())
        );
        assert_eq!(
            format_date_time(1_773_790_200_000),
            (
                "2026-03-17T23:30:00Z".to_owned(),
                "17 Mar 2026, 23:30 UTC".to_owned()
            )
        );
    }
}
