//! For feed readers and crawlers: Atom feeds (RFC 4287) of the site, each author and each
//! tag, `sitemap.xml` and `robots.txt`. Plain Axum handlers (they are XML and text, not
//! pages), reading published articles only: an unpublished one is gone from all of them. The
//! feeds and the sitemap are kept in the page cache like pages, and dropped by the same writes.

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::page_cache::{self, Shows};
use crate::site::path_segment;
use crate::state::AppState;

pub mod store;

/// Entries a feed carries: the newest articles.
pub const FEED_ENTRIES: i64 = 20;

/// `text` with the five XML special characters escaped (for text and attribute values).
pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 forbids (imported text is checked, but a feed must parse).
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// A time as RFC 3339 in UTC (`2026-03-17T23:30:00Z`), as Atom and sitemaps write it.
fn rfc3339(ms: i64) -> String {
    crate::site::format_date_time(ms).0
}

/// Which articles a feed lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope<'a> {
    /// Every published article.
    Site,
    /// One author's.
    Author(&'a str),
    /// One tag's.
    Tag(&'a str),
}

/// What a feed says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedHead {
    /// `<title>`.
    pub title: String,
    /// The page it follows (`<link rel="alternate">`).
    pub page_url: String,
    /// The feed's own address (`<id>` and `<link rel="self">`).
    pub feed_url: String,
}

/// An Atom feed document of `entries` (newest first).
pub fn atom(
    head: &FeedHead,
    site_name: &str,
    entries: &[store::FeedEntry],
    public_url: &str,
) -> String {
    use std::fmt::Write;

    // A feed must say when it last changed: its newest entry, or the epoch when it has none.
    let updated = entries.iter().map(|e| e.updated_at).max().unwrap_or(0);
    let mut xml = String::with_capacity(1024 + entries.len() * 1024);
    xml.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    xml.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    let _ = writeln!(xml, "  <title>{}</title>", xml_escape(&head.title));
    let _ = writeln!(xml, "  <id>{}</id>", xml_escape(&head.feed_url));
    let _ = writeln!(
        xml,
        "  <link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>",
        xml_escape(&head.feed_url)
    );
    let _ = writeln!(
        xml,
        "  <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>",
        xml_escape(&head.page_url)
    );
    let _ = writeln!(xml, "  <updated>{}</updated>", rfc3339(updated));
    let _ = writeln!(xml, "  <generator>{}</generator>", xml_escape(site_name));
    for entry in entries {
        let url = format!("{public_url}/articles/{}", path_segment(&entry.slug));
        xml.push_str("  <entry>\n");
        let _ = writeln!(xml, "    <title>{}</title>", xml_escape(&entry.title));
        let _ = writeln!(xml, "    <id>{}</id>", xml_escape(&url));
        let _ = writeln!(
            xml,
            "    <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>",
            xml_escape(&url)
        );
        let _ = writeln!(
            xml,
            "    <published>{}</published>",
            rfc3339(entry.published_at)
        );
        let _ = writeln!(xml, "    <updated>{}</updated>", rfc3339(entry.updated_at));
        let _ = writeln!(
            xml,
            "    <author><name>{}</name><uri>{}</uri></author>",
            xml_escape(&entry.author_name),
            xml_escape(&format!(
                "{public_url}/authors/{}",
                path_segment(&entry.author_handle)
            ))
        );
        for tag in &entry.tags {
            let _ = writeln!(xml, "    <category term=\"{}\"/>", xml_escape(tag));
        }
        let _ = writeln!(xml, "    <summary>{}</summary>", xml_escape(&entry.summary));
        xml.push_str("  </entry>\n");
    }
    xml.push_str("</feed>\n");
    xml
}

fn xml_response(content_type: &'static str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            // Readers poll; a few minutes of staleness costs nothing and spares the server.
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300"),
            ),
        ],
        body,
    )
        .into_response()
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "Not found").into_response()
}

fn failed(err: &sqlx::Error) -> Response {
    let _ = crate::error::AppError::internal("feed", err);
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong on our side. Please try again.",
    )
        .into_response()
}

/// Answers the feed of `scope`, 404 when its author or tag does not exist.
async fn feed(state: &AppState, scope: Scope<'_>) -> Response {
    let public_url = &state.config.public_url;
    let site_name = &state.config.site_name;
    let head = match scope {
        Scope::Site => Some(FeedHead {
            title: site_name.clone(),
            page_url: format!("{public_url}/"),
            feed_url: format!("{public_url}/feed.xml"),
        }),
        Scope::Author(handle) => match store::author_name(&state.pool, handle).await {
            Ok(name) => name.map(|name| {
                let page = format!("{public_url}/authors/{}", path_segment(handle));
                FeedHead {
                    title: format!("{name} · {site_name}"),
                    feed_url: format!("{page}/feed.xml"),
                    page_url: page,
                }
            }),
            Err(err) => return failed(&err),
        },
        Scope::Tag(tag) => match crate::articles::store::tag_exists(&state.pool, tag).await {
            Ok(true) => {
                let page = format!("{public_url}/tags/{}", path_segment(tag));
                Some(FeedHead {
                    title: format!("#{tag} · {site_name}"),
                    feed_url: format!("{page}/feed.xml"),
                    page_url: page,
                })
            }
            Ok(false) => None,
            Err(err) => return failed(&err),
        },
    };
    let Some(head) = head else {
        return not_found();
    };
    match store::entries(&state.pool, scope, FEED_ENTRIES).await {
        Ok(entries) => {
            let mut response = xml_response(
                "application/atom+xml; charset=utf-8",
                atom(&head, site_name, &entries, public_url),
            );
            // Kept in the page cache until a write changes what it lists (an author's name
            // and articles change with their articles; any article can be in a tag's feed).
            let shows = match scope {
                Scope::Author(handle) => Shows::Author(handle),
                Scope::Site | Scope::Tag(_) => Shows::Listings,
            };
            page_cache::declare(&mut response, shows);
            response
        }
        Err(err) => failed(&err),
    }
}

/// `/feed.xml`: the site's newest articles.
pub async fn site_feed(State(state): State<AppState>) -> Response {
    feed(&state, Scope::Site).await
}

/// `/authors/{handle}/feed.xml`.
pub async fn author_feed(State(state): State<AppState>, Path(handle): Path<String>) -> Response {
    feed(&state, Scope::Author(&handle)).await
}

/// `/tags/{tag}/feed.xml`.
pub async fn tag_feed(State(state): State<AppState>, Path(tag): Path<String>) -> Response {
    feed(&state, Scope::Tag(&tag)).await
}

/// `/sitemap.xml`: the home page and every published article, author and tag page, each with
/// when it last changed.
pub async fn sitemap(State(state): State<AppState>) -> Response {
    use std::fmt::Write;

    let urls = match store::sitemap(&state.pool).await {
        Ok(urls) => urls,
        Err(err) => return failed(&err),
    };
    let public_url = &state.config.public_url;
    let newest = urls.iter().map(|u| u.updated_at).max().unwrap_or(0);
    let mut xml = String::with_capacity(256 + urls.len() * 160);
    xml.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    xml.push_str("<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
    let _ = writeln!(
        xml,
        "  <url><loc>{}/</loc><lastmod>{}</lastmod></url>",
        xml_escape(public_url),
        rfc3339(newest)
    );
    for url in &urls {
        let _ = writeln!(
            xml,
            "  <url><loc>{}{}</loc><lastmod>{}</lastmod></url>",
            xml_escape(public_url),
            xml_escape(&url.path),
            rfc3339(url.updated_at)
        );
    }
    xml.push_str("</urlset>\n");
    let mut response = xml_response("application/xml; charset=utf-8", xml);
    // Every published article: any article's change is a change of the listings.
    page_cache::declare(&mut response, Shows::Listings);
    response
}

/// `/robots.txt`: everything readers see may be crawled; the API, the admin pages and the
/// private takedown status links may not. Points at the sitemap.
pub async fn robots(State(state): State<AppState>) -> Response {
    let body = format!(
        "User-agent: *\nAllow: /\nDisallow: /api/\nDisallow: /admin/\nDisallow: /takedowns/\n\nSitemap: {}/sitemap.xml\n",
        state.config.public_url
    );
    xml_response("text/plain; charset=utf-8", body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_special_characters_are_escaped_and_forbidden_ones_dropped() {
        assert_eq!(
            xml_escape("a<b>&\"c'\u{1}d\n"),
            "a&lt;b&gt;&amp;&quot;c&apos;d\n"
        );
        assert_eq!(xml_escape("大厂的人才流失"), "大厂的人才流失");
    }
}
