//! What every feature's pages share: the site's identity from the configuration, "Not
//! found", and small helpers (dates, counts, paging, URLs). It imports no feature.

use leptos::prelude::*;
// Reads are GET: cacheable, and never mistaken for a write (see page_cache).
use leptos::server_fn::codec::GetUrl;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
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
#[server(endpoint = "get_site_info", input = GetUrl)]
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

/// The form posted without JavaScript that the server refused, when this page is where it
/// sent the reader back to (leptos_axum adds `__path` and `__err`): the server function's
/// path and its error. The last of each counts (a form posted again from such a page adds
/// another pair).
pub fn refused_form() -> Option<(String, AppError)> {
    let query = use_query_map();
    let query = query.read_untracked();
    let last = |key: &str| query.get_all(key).and_then(|mut values| values.pop());
    let path = last("__path")?;
    let err = leptos::server_fn::error::ServerFnUrlError::<AppError>::decode_err(&last("__err")?);
    Some((path, err))
}

/// Why the server refused a form posted to one of the server functions at `paths`
/// ([`refused_form`]), for the page to show beside that form.
pub fn refused_message(paths: &[&str]) -> Option<String> {
    let (path, err) = refused_form()?;
    paths.contains(&path.as_str()).then(|| err.to_string())
}

/// A refusal from [`refused_message`], shown beside its form as `what` was not saved.
#[component]
pub fn Refused(paths: &'static [&'static str], what: &'static str) -> impl IntoView {
    refused_message(paths).map(|message| {
        view! { <p class="feedback-message refused" role="alert">{format!("{what}: {message}")}</p> }
    })
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

/// The page of an article unpublished after a takedown; answers 410 on the server.
#[component]
pub fn Removed(reason: String) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::GONE);
        // Browsers keep a 410 without asking again unless told otherwise; a republished
        // article must come back at the next visit.
        response.insert_header(
            axum::http::header::CACHE_CONTROL,
            axum::http::HeaderValue::from_static("no-cache"),
        );
    }
    view! {
        <Title text="Article removed" />
        <div class="not-found">
            <h1>"This article has been removed"</h1>
            <p>{format!("Reason: {reason}")}</p>
            <p>
                "Every action our moderators take is listed in the "
                <a href="/moderation">"moderation log"</a> "."
            </p>
            <p>
                <a href="/">"Go to the home page"</a>
            </p>
        </div>
    }
}

/// Shows `Err` results: "Not found" (404 from the server), a removed article (410), or the
/// error's message.
pub fn error_view(err: AppError) -> AnyView {
    match err {
        AppError::NotFound => view! { <NotFound /> }.into_any(),
        AppError::Gone(reason) => view! { <Removed reason /> }.into_any(),
        other => view! { <p role="alert">{other.to_string()}</p> }.into_any(),
    }
}

/// `count` followed by the singular or plural noun: "1 like", "3 likes".
pub fn plural(count: i64, one: &str, many: &str) -> String {
    if count == 1 {
        format!("{count} {one}")
    } else {
        format!("{count} {many}")
    }
}

/// The page number in `?page=`, 1 when absent or malformed.
pub fn use_page_number() -> Memo<u32> {
    let query = use_query_map();
    Memo::new(move |_| {
        query
            .read()
            .get("page")
            .and_then(|p| p.parse::<u32>().ok())
            .unwrap_or(1)
            .max(1)
    })
}

/// What a query value keeps as is: letters, digits, `-._~` and `/` (so a path given as
/// `next=` stays readable).
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'/');

/// What a path segment keeps as is: letters, digits and `-._~`.
const PATH_SEGMENT: &AsciiSet = &QUERY_VALUE.add(b'/');

/// `text` percent-encoded as the value of a query parameter.
pub fn query_value(text: &str) -> String {
    utf8_percent_encode(text, QUERY_VALUE).to_string()
}

/// `text` percent-encoded as one segment of a path (a tag, a handle, a slug).
pub fn path_segment(text: &str) -> String {
    utf8_percent_encode(text, PATH_SEGMENT).to_string()
}

/// A point in time as `<time datetime="YYYY-MM-DD">` with a human date in UTC, identical in
/// the server render and after hydration.
#[component]
pub fn DateTime(ms: i64) -> impl IntoView {
    let (machine, human) = format_date(ms);
    view! { <time datetime=machine>{human}</time> }
}

/// Month names, for dates written out in English.
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// The UTC calendar fields of a time in ms since the epoch: year, month (1 to 12), day,
/// hour, minute, second. Written out by hand rather than with chrono's `format`, whose
/// format-string parser would otherwise ship in the browser's WASM.
fn utc_fields(ms: i64) -> Option<(i32, usize, u32, u32, u32, u32)> {
    use chrono::{Datelike, Timelike};
    let t = chrono::DateTime::from_timestamp_millis(ms)?;
    Some((
        t.year(),
        t.month0() as usize,
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
    ))
}

/// `("2026-03-17", "17 March 2026")` for a time in ms since the epoch (UTC).
pub fn format_date(ms: i64) -> (String, String) {
    match utc_fields(ms) {
        Some((year, month0, day, ..)) => (
            format!("{year:04}-{:02}-{day:02}", month0 + 1),
            format!("{day} {} {year}", MONTHS[month0]),
        ),
        None => (String::new(), String::new()),
    }
}

/// `("2026-03-17T23:30:00Z", "17 Mar 2026, 23:30 UTC")` for a time in ms since the epoch:
/// the same text on the server and in the browser, so hydration never disagrees.
pub fn format_date_time(ms: i64) -> (String, String) {
    match utc_fields(ms) {
        Some((year, month0, day, hour, minute, second)) => (
            format!(
                "{year:04}-{:02}-{day:02}T{hour:02}:{minute:02}:{second:02}Z",
                month0 + 1
            ),
            format!(
                "{day} {} {year}, {hour:02}:{minute:02} UTC",
                &MONTHS[month0][..3]
            ),
        ),
        None => (String::new(), String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_read_naturally() {
        assert_eq!(plural(1, "like", "likes"), "1 like");
        assert_eq!(plural(0, "like", "likes"), "0 likes");
        assert_eq!(plural(2, "Comment", "Comments"), "2 Comments");
    }

    #[test]
    fn urls_are_encoded_by_where_they_go() {
        assert_eq!(
            query_value("/articles/x#discussion"),
            "/articles/x%23discussion"
        );
        assert_eq!(query_value("/a?b=c&d"), "/a%3Fb%3Dc%26d");
        assert_eq!(path_segment("a/b c"), "a%2Fb%20c");
        assert_eq!(path_segment("数据"), "%E6%95%B0%E6%8D%AE");
        assert_eq!(path_segment("rust-2024_x.y~z"), "rust-2024_x.y~z");
    }

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
        // Single-digit days and every month name.
        assert_eq!(
            format_date(1_767_312_000_000),
            ("2026-01-02".to_owned(), "2 January 2026".to_owned())
        );
        for (month0, name) in MONTHS.iter().enumerate() {
            let ms = chrono::NaiveDate::from_ymd_opt(2025, month0 as u32 + 1, 9)
                .and_then(|d| d.and_hms_opt(7, 5, 9))
                .map(|t| t.and_utc().timestamp_millis())
                .unwrap_or_default();
            assert_eq!(format_date(ms).1, format!("9 {name} 2025"));
            assert_eq!(
                format_date_time(ms),
                (
                    format!("2025-{:02}-09T07:05:09Z", month0 + 1),
                    format!("9 {} 2025, 07:05 UTC", &name[..3])
                )
            );
        }
        assert_eq!(format_date(i64::MAX), (String::new(), String::new()));
    }
}
