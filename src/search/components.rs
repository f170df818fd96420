//! The search page (server HTML) and the header's search box (an island: a plain GET form
//! that, once hydrated, suggests titles as the reader types).

use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::use_query_map;

use super::{search_articles, SearchResult, SearchResults, MAX_QUERY_CHARS};
use crate::accounts::use_auth;
use crate::articles::components::{Byline, TagLinks};
use crate::reading_list::SaveOrSignIn;
use crate::site::{error_view, path_segment, plural, query_value};

/// `/search?q=`: results for the query in the header's box, best first, 20 a page.
#[component]
pub fn SearchPage() -> impl IntoView {
    let query = use_query_map();
    let results = Resource::new(
        move || {
            let query = query.read();
            (
                query.get("q").unwrap_or_default(),
                query.get("page").and_then(|p| p.parse::<u32>().ok()),
            )
        },
        |(q, page)| search_articles(q, page),
    );
    let auth = use_auth();
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Searching…"</p> }>
            {move || Suspend::new(async move {
                let signed_in = auth.user.await.ok().flatten().is_some();
                match results.await {
                    Ok(results) => view! { <ResultsView results signed_in /> }.into_any(),
                    Err(err) => error_view(err),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ResultsView(results: SearchResults, signed_in: bool) -> impl IntoView {
    // leptos_meta writes a title's text into the head as it is; the query is the visitor's,
    // so the characters that could end the element are written as references here.
    let title = if results.query.is_empty() {
        "Search".to_owned()
    } else {
        format!("“{}” · Search", escape_text(&results.query))
    };
    let has_next = results.has_next();
    let SearchResults {
        query,
        problem,
        note,
        page,
        total,
        results,
    } = results;
    let status = if let Some(problem) = problem {
        view! { <p class="search-problem" role="status">{problem}</p> }.into_any()
    } else if total == 0 {
        view! {
            <p class="search-empty" role="status">
                "No articles match “" {query.clone()} "”. Check the spelling, or try fewer or shorter words."
            </p>
        }
            .into_any()
    } else {
        let first = (i64::from(page) - 1) * i64::from(super::PAGE_SIZE) + 1;
        let last = first + results.len() as i64 - 1;
        let shown = if page > 1 || has_next {
            format!(
                "{first}–{last} of {} for “{query}”",
                plural(total, "result", "results")
            )
        } else {
            format!("{} for “{query}”", plural(total, "result", "results"))
        };
        view! { <p class="search-count" role="status">{shown}</p> }.into_any()
    };
    let base = format!("/search?q={}", query_value(&query));
    // Where a "Save" posted without JavaScript comes back to: this very page.
    let back = if page > 1 {
        format!("{base}&page={page}")
    } else {
        base.clone()
    };
    let newer = (page > 1).then(|| {
        let href = if page == 2 {
            base.clone()
        } else {
            format!("{base}&page={}", page - 1)
        };
        view! { <a href=href rel="prev">"Previous results"</a> }
    });
    let older = has_next.then(
        || view! { <a href=format!("{base}&page={}", page + 1) rel="next">"More results"</a> },
    );
    view! {
        <Title text=title />
        <Meta name="robots" content="noindex" />
        <h1 class="page-title">"Search"</h1>
        {status}
        {note.map(|note| view! { <p class="search-note">{note}</p> })}
        {(!results.is_empty())
            .then(|| {
                view! {
                    <ol class="article-list search-results">
                        {results
                            .into_iter()
                            .map(|result| {
                                view! { <ResultCard result signed_in back=back.clone() /> }
                            })
                            .collect_view()}
                    </ol>
                }
            })}
        {(newer.is_some() || older.is_some())
            .then(|| {
                view! {
                    <nav class="pager" aria-label="More results">
                        {newer}
                        {older}
                    </nav>
                }
            })}
    }
}

/// `text` with `&`, `<` and `>` as character references.
fn escape_text(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[component]
fn ResultCard(result: SearchResult, signed_in: bool, back: String) -> impl IntoView {
    let SearchResult { article, snippet } = result;
    view! {
        <li class="article-card">
            <h2 class="article-card-title">
                <a href=format!("/articles/{}", path_segment(&article.slug))>{article.title}</a>
            </h2>
            <p class="snippet">
                {snippet
                    .into_iter()
                    .map(|part| {
                        if part.hit {
                            view! { <mark>{part.text}</mark> }.into_any()
                        } else {
                            part.text.into_any()
                        }
                    })
                    .collect_view()}
            </p>
            <Byline
                author_name=article.author_name
                author_handle=article.author_handle
                published_at=article.published_at
                reading_minutes=article.reading_minutes
            />
            {(!article.tags.is_empty()).then(|| view! { <TagLinks tags=article.tags /> })}
            <SaveOrSignIn slug=article.slug saved=article.saved signed_in back />
        </li>
    }
}

/// The header's search form: a GET form to `/search` that works without JavaScript. Once
/// hydrated, a pause in typing asks for up to six matching titles and lists them under the
/// box as links; Escape closes the list. `query` is the query of the page shown, if any.
#[island]
pub fn SearchBox(query: String) -> impl IntoView {
    let suggestions = RwSignal::new(Vec::<super::Suggestion>::new());
    // Each keystroke bumps the generation: only the last pause's answer is shown.
    let generation = StoredValue::new(0u32);
    let on_input = move |ev: leptos::ev::Event| {
        let text = event_target_value(&ev);
        let mine = generation.get_value().wrapping_add(1);
        generation.set_value(mine);
        if text.trim().chars().count() < 2 {
            suggestions.set(Vec::new());
            return;
        }
        set_timeout(
            move || {
                if generation.get_value() != mine {
                    return;
                }
                leptos::task::spawn_local(async move {
                    let found = super::suggest_titles(text).await.unwrap_or_default();
                    if generation.get_value() == mine {
                        suggestions.set(found);
                    }
                });
            },
            std::time::Duration::from_millis(250),
        );
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" {
            generation.update_value(|g| *g = g.wrapping_add(1));
            suggestions.set(Vec::new());
        }
    };
    view! {
        <form class="site-search" role="search" method="get" action="/search">
            <label for="site-search-q" class="visually-hidden">
                "Search"
            </label>
            <input
                id="site-search-q"
                type="text"
                name="q"
                inputmode="search"
                enterkeyhint="search"
                autocomplete="off"
                maxlength=MAX_QUERY_CHARS.to_string()
                placeholder="Search articles"
                value=query
                aria-describedby="site-search-status"
                on:input=on_input
                on:keydown=on_keydown
            />
            <button type="submit">"Search"</button>
            <p id="site-search-status" class="visually-hidden" aria-live="polite">
                {move || {
                    let n = suggestions.with(Vec::len);
                    if n == 0 { String::new() } else { format!("{n} suggested articles below") }
                }}
            </p>
            <Show when=move || suggestions.with(|s| !s.is_empty())>
                <ul class="search-suggestions" aria-label="Suggested articles">
                    <For
                        each=move || suggestions.get()
                        key=|s| s.slug.clone()
                        children=|s| {
                            view! {
                                <li>
                                    <a href=format!("/articles/{}", path_segment(&s.slug))>{s.title}</a>
                                </li>
                            }
                        }
                    />
                </ul>
            </Show>
        </form>
    }
}

/// The search box for the page being shown: its query on `/search`, empty elsewhere.
#[component]
pub fn HeaderSearch() -> impl IntoView {
    let location = leptos_router::hooks::use_location();
    let query = use_query_map();
    let current = if location.pathname.get_untracked() == "/search" {
        query
            .read_untracked()
            .get("q")
            .unwrap_or_default()
            .chars()
            .take(MAX_QUERY_CHARS)
            .collect()
    } else {
        String::new()
    };
    view! { <SearchBox query=current /> }
}
