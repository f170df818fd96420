//! Search: `/search?q=` and the header's search box, over titles, summaries, tags, author
//! names and bodies, Chinese included (see `store` for the index behind it).
//!
//! A query is cut into terms at spaces and punctuation; an article matches when it contains
//! every term anywhere in those fields, as a run of characters. That finds Chinese words,
//! which are written without spaces ("人才流失" inside a sentence), and English words by their
//! beginning ("cach" finds "caching"). Results carry a snippet of the body around the first
//! term found, with every term in it marked.

use leptos::prelude::*;
// Reads are GET: cacheable, and never mistaken for a write.
use leptos::server_fn::codec::GetUrl;
use serde::{Deserialize, Serialize};

use crate::articles::ArticleListItem;
use crate::error::AppError;

mod components;
#[cfg(feature = "ssr")]
pub mod store;

pub use components::{HeaderSearch, SearchBox, SearchPage};

/// Results on one page.
pub const PAGE_SIZE: u32 = 20;
/// The longest query, in characters.
pub const MAX_QUERY_CHARS: usize = 200;
/// Terms beyond this many are not searched for (the page says so).
pub const MAX_TERMS: usize = 8;
/// Titles the search box suggests.
pub const SUGGESTIONS: i64 = 6;
/// What an empty query is told.
pub const EMPTY_QUERY: &str = "Type something to search for";

/// A query ready to run: its terms, folded as the index keeps text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    terms: Vec<String>,
    /// Whether terms past [`MAX_TERMS`] were left out.
    truncated: bool,
}

/// Why a query cannot run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryProblem {
    /// Nothing to look for (blank, or only punctuation).
    Empty,
    /// Longer than [`MAX_QUERY_CHARS`].
    TooLong(usize),
}

impl QueryProblem {
    /// What the reader is told, in our words.
    pub fn message(&self) -> String {
        match self {
            Self::Empty => EMPTY_QUERY.to_owned(),
            Self::TooLong(n) => format!(
                "That search is {n} characters long; searches can be at most {MAX_QUERY_CHARS}. Try fewer words."
            ),
        }
    }
}

impl SearchQuery {
    /// Cuts `input` into terms: runs of letters and digits (any script), with `+`, `#` and `.`
    /// kept inside a run so that "c++", "c#" and "node.js" stay whole. Everything else
    /// (quotes, operators, wildcards) only separates terms. Terms repeat once at most.
    pub fn parse(input: &str) -> Result<Self, QueryProblem> {
        let len = input.trim().chars().count();
        if len > MAX_QUERY_CHARS {
            return Err(QueryProblem::TooLong(len));
        }
        let mut terms: Vec<String> = Vec::new();
        let mut current = String::new();
        let mut flush = |current: &mut String| {
            let term = current.trim_matches('.').to_lowercase();
            current.clear();
            if !term.is_empty() && !terms.contains(&term) {
                terms.push(term);
            }
        };
        for c in input.chars() {
            if c.is_alphanumeric() || (!current.is_empty() && matches!(c, '+' | '#' | '.')) {
                current.push(c);
            } else {
                flush(&mut current);
            }
        }
        flush(&mut current);
        if terms.is_empty() {
            return Err(QueryProblem::Empty);
        }
        let truncated = terms.len() > MAX_TERMS;
        terms.truncate(MAX_TERMS);
        Ok(Self { terms, truncated })
    }

    /// The terms, lower-cased.
    pub fn terms(&self) -> &[String] {
        &self.terms
    }
}

/// A piece of a snippet: text, marked when it is a term that was searched for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnippetPart {
    /// The text.
    pub text: String,
    /// Whether it matched a term.
    pub hit: bool,
}

/// One result: the article as listings show it, and its snippet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchResult {
    /// The article.
    pub article: ArticleListItem,
    /// Text around the first term found in the body (the summary when the body has none).
    pub snippet: Vec<SnippetPart>,
}

/// A page of search results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchResults {
    /// The query as typed, trimmed.
    pub query: String,
    /// Why the query did not run, when it did not.
    pub problem: Option<String>,
    /// A note about the query that ran (terms left out).
    pub note: Option<String>,
    /// 1-based page number.
    pub page: u32,
    /// Articles the query finds in all.
    pub total: i64,
    /// The results on this page.
    pub results: Vec<SearchResult>,
}

impl SearchResults {
    /// Whether a page follows this one.
    pub fn has_next(&self) -> bool {
        i64::from(self.page) * i64::from(PAGE_SIZE) < self.total
    }
}

/// A title the search box suggests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suggestion {
    /// The article's slug.
    pub slug: String,
    /// Its title.
    pub title: String,
}

/// Searches published articles for `q`, [`PAGE_SIZE`] results a page. An empty or over-long
/// query is not an error: the answer says what is wrong with it.
#[server(endpoint = "search_articles", input = GetUrl)]
pub async fn search_articles(q: String, page: Option<u32>) -> Result<SearchResults, AppError> {
    let page = page.unwrap_or(1).clamp(1, 500);
    let mut answer = SearchResults {
        query: q.trim().to_owned(),
        problem: None,
        note: None,
        page,
        total: 0,
        results: Vec::new(),
    };
    let query = match SearchQuery::parse(&q) {
        Ok(query) => query,
        Err(problem) => {
            answer.problem = Some(problem.message());
            if matches!(problem, QueryProblem::TooLong(_)) {
                // Keep the echo short too: the box and the title show it.
                answer.query = answer.query.chars().take(MAX_QUERY_CHARS).collect();
            }
            return Ok(answer);
        }
    };
    if query.truncated {
        answer.note = Some(format!(
            "Only the first {MAX_TERMS} words were searched for."
        ));
    }
    let state = crate::state::app_state()?;
    let offset = i64::from(page - 1) * i64::from(PAGE_SIZE);
    let hits = store::search(&state.pool, query.terms(), i64::from(PAGE_SIZE), offset).await?;
    answer.total = hits.first().map_or(0, |hit| hit.total);
    let ids: Vec<i64> = hits.iter().map(|hit| hit.id).collect();
    let mut tags = crate::articles::store::tags_of_articles(&state.pool, &ids).await?;
    let mut snippets = Vec::with_capacity(hits.len());
    let mut items = Vec::with_capacity(hits.len());
    for hit in hits {
        snippets.push(
            snippet::cut(&hit.body_text, query.terms())
                .or_else(|| snippet::cut(&hit.summary, query.terms()))
                .unwrap_or_default(),
        );
        items.push(ArticleListItem {
            id: hit.id,
            tags: tags.remove(&hit.id).unwrap_or_default(),
            slug: hit.slug,
            title: hit.title,
            summary: hit.summary,
            published_at: hit.published_at,
            reading_minutes: hit.reading_minutes,
            author_name: hit.author_name,
            author_handle: hit.author_handle,
            saved: false,
        });
    }
    // Results are a listing like any other: signed in, each has its "Save".
    crate::reading_list::mark_saved(&state.pool, &mut items).await?;
    answer.results = items
        .into_iter()
        .zip(snippets)
        .map(|(article, snippet)| SearchResult { article, snippet })
        .collect();
    Ok(answer)
}

/// Titles of the best matches for `q` (at most [`SUGGESTIONS`]), for the search box as the
/// reader types; nothing for a query that cannot run.
#[server(endpoint = "suggest_titles", input = GetUrl)]
pub async fn suggest_titles(q: String) -> Result<Vec<Suggestion>, AppError> {
    let Ok(query) = SearchQuery::parse(&q) else {
        return Ok(Vec::new());
    };
    let state = crate::state::app_state()?;
    let hits = store::search(&state.pool, query.terms(), SUGGESTIONS, 0).await?;
    Ok(hits
        .into_iter()
        .map(|hit| Suggestion {
            slug: hit.slug,
            title: hit.title,
        })
        .collect())
}

/// Snippets: a window of text around the first term found, every term in it marked.
#[cfg(feature = "ssr")]
pub mod snippet {
    use super::SnippetPart;

    /// Characters of text a snippet shows at most.
    const WIDTH: usize = 180;
    /// Characters before the first match, so it is read in context.
    const LEAD: usize = 60;

    /// The snippet of `text` for `terms` (lower-cased), or `None` when no term is in it.
    pub fn cut(text: &str, terms: &[String]) -> Option<Vec<SnippetPart>> {
        let chars: Vec<char> = text.chars().collect();
        // One lower-case char per char, so positions in `lower` are positions in `chars`.
        let lower: Vec<char> = chars
            .iter()
            .map(|c| c.to_lowercase().next().unwrap_or(*c))
            .collect();
        let needles: Vec<Vec<char>> = terms
            .iter()
            .map(|t| t.chars().collect::<Vec<char>>())
            .filter(|t| !t.is_empty())
            .collect();
        let first = find_any(&lower, &needles, 0)?.0;
        let mut start = first.saturating_sub(LEAD);
        // Start at a word boundary in spaced scripts (a CJK sentence has none to find).
        if start > 0 {
            if let Some(space) = (start..first).find(|&i| chars[i].is_whitespace()) {
                start = space + 1;
            }
        }
        let mut end = (start + WIDTH).min(chars.len());
        if end < chars.len() {
            if let Some(space) = (start + WIDTH / 2..end)
                .rev()
                .find(|&i| chars[i].is_whitespace())
            {
                end = space;
            }
        }
        let mut parts = Vec::new();
        let mut plain = String::new();
        if start > 0 {
            plain.push('…');
        }
        let mut at = start;
        while at < end {
            match find_any(&lower[..end], &needles, at) {
                Some((pos, len)) => {
                    plain.extend(&chars[at..pos]);
                    if !plain.is_empty() {
                        parts.push(SnippetPart {
                            text: std::mem::take(&mut plain),
                            hit: false,
                        });
                    }
                    parts.push(SnippetPart {
                        text: chars[pos..pos + len].iter().collect(),
                        hit: true,
                    });
                    at = pos + len;
                }
                None => {
                    plain.extend(&chars[at..end]);
                    at = end;
                }
            }
        }
        if end < chars.len() {
            plain.push('…');
        }
        if !plain.is_empty() {
            parts.push(SnippetPart {
                text: plain,
                hit: false,
            });
        }
        Some(parts)
    }

    /// The first position at or after `from` where one of `needles` starts, and its length
    /// (the longest needle wins at one position).
    fn find_any(hay: &[char], needles: &[Vec<char>], from: usize) -> Option<(usize, usize)> {
        (from..hay.len()).find_map(|i| {
            needles
                .iter()
                .filter(|n| hay[i..].starts_with(n))
                .map(Vec::len)
                .max()
                .map(|len| (i, len))
        })
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn marked(parts: &[SnippetPart]) -> String {
            parts
                .iter()
                .map(|p| {
                    if p.hit {
                        format!("[{}]", p.text)
                    } else {
                        p.text.clone()
                    }
                })
                .collect()
        }

        #[test]
        fn marks_every_term_in_original_case() {
            let parts = cut("Caching helps. A cache stampede hurts.", &["cach".into()]);
            assert_eq!(
                marked(&parts.unwrap_or_default()),
                "[Cach]ing helps. A [cach]e stampede hurts."
            );
        }

        #[test]
        fn chinese_terms_are_found_inside_sentences() {
            let parts = cut(
                "很多大厂都在经历人才流失。",
                &["大厂".into(), "人才流失".into()],
            );
            assert_eq!(
                marked(&parts.unwrap_or_default()),
                "很多[大厂]都在经历[人才流失]。"
            );
        }

        #[test]
        fn long_text_is_cut_around_the_first_match() {
            let text = format!("{} needle {}", "word ".repeat(100), "tail ".repeat(100));
            let parts = cut(&text, &["needle".into()]).unwrap_or_default();
            let shown = marked(&parts);
            assert!(shown.starts_with('…') && shown.ends_with('…'), "{shown}");
            assert!(shown.contains("[needle]"));
            assert!(shown.chars().count() <= 190, "{}", shown.chars().count());
        }

        #[test]
        fn no_term_no_snippet() {
            assert!(cut("nothing here", &["absent".into()]).is_none());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(input: &str) -> Vec<String> {
        SearchQuery::parse(input)
            .map(|q| q.terms().to_vec())
            .unwrap_or_default()
    }

    #[test]
    fn terms_split_at_spaces_and_punctuation() {
        assert_eq!(terms("  Cache  Stampede "), ["cache", "stampede"]);
        assert_eq!(
            terms("\"rust\" AND (sqlite OR wal)*"),
            ["rust", "and", "sqlite", "or", "wal"]
        );
        assert_eq!(terms("大厂 人才流失"), ["大厂", "人才流失"]);
        assert_eq!(terms("c++ c# node.js."), ["c++", "c#", "node.js"]);
        assert_eq!(terms("rust rust RUST"), ["rust"]);
        assert_eq!(terms("100%_off"), ["100", "off"]);
    }

    #[test]
    fn empty_and_long_queries_are_explained() {
        for empty in ["", "   ", "\"\" * - ()", "%%%"] {
            assert_eq!(
                SearchQuery::parse(empty),
                Err(QueryProblem::Empty),
                "{empty:?}"
            );
        }
        let long = "a".repeat(MAX_QUERY_CHARS + 1);
        assert_eq!(
            SearchQuery::parse(&long),
            Err(QueryProblem::TooLong(MAX_QUERY_CHARS + 1))
        );
        assert!(SearchQuery::parse(&"字".repeat(MAX_QUERY_CHARS)).is_ok());
        assert_eq!(QueryProblem::Empty.message(), EMPTY_QUERY);
    }

    #[test]
    fn extra_terms_are_left_out() {
        let many = (1..=12)
            .map(|i| format!("w{i}"))
            .collect::<Vec<_>>()
            .join(" ");
        let query = SearchQuery::parse(&many);
        assert!(query
            .as_ref()
            .is_ok_and(|q| q.terms().len() == MAX_TERMS && q.truncated));
    }
}
