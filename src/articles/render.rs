//! Markdown to safe HTML, done once at import time and stored.
//!
//! Imported bodies are trusted no more than comments: everything goes through ammonia, so a
//! script, an event handler or a `javascript:` link in a source file never reaches a reader.
//! Headings get stable ids, code blocks are highlighted here on the server (readers download
//! no highlighter), and articles with three or more headings get a table of contents.

use std::collections::HashSet;
use std::sync::OnceLock;

use pulldown_cmark::{
    html, CodeBlockKind, CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd,
};
use syntect::html::{ClassStyle, ClassedHTMLGenerator};
use syntect::parsing::SyntaxSet;
use syntect::util::LinesWithEndings;

/// Bump when rendering changes, so stored bodies are rendered again at start-up.
pub const RENDER_VERSION: i64 = 4;

/// Headings needed before a table of contents is worth showing.
const TOC_MIN_HEADINGS: usize = 3;

/// Prefix of the highlighter's CSS classes (`hl-keyword`, `hl-string`, …).
const HIGHLIGHT_PREFIX: &str = "hl-";

/// The rendered body of an article.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedBody {
    /// Sanitised HTML ready to insert into the page, table of contents first when there is one.
    pub html: String,
    /// The visible text, for reading time.
    pub plain_text: String,
}

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
}

fn syntaxes() -> &'static SyntaxSet {
    static SET: OnceLock<SyntaxSet> = OnceLock::new();
    SET.get_or_init(SyntaxSet::load_defaults_newlines)
}

struct TocEntry {
    level: HeadingLevel,
    id: String,
    text: String,
}

/// Renders Markdown to sanitised HTML and extracts its plain text.
pub fn render_markdown(markdown: &str) -> RenderedBody {
    let events: Vec<Event<'_>> = Parser::new_ext(markdown, options()).collect();

    // The page title is the only h1: demote every heading when the body uses `#`.
    let shift = events.iter().any(|e| {
        matches!(
            e,
            Event::Start(Tag::Heading {
                level: HeadingLevel::H1,
                ..
            })
        )
    });

    let mut plain_text = String::new();
    let mut toc = Vec::new();
    let mut used_ids = HashSet::new();
    let mut out: Vec<Event<'_>> = Vec::with_capacity(events.len());
    let mut iter = events.into_iter().peekable();
    while let Some(event) = iter.next() {
        // A checklist item's box is read out as what it means (an unlabelled checkbox is
        // an anonymous form control to assistive technology).
        if let Event::TaskListMarker(done) = event {
            out.push(Event::InlineHtml(CowStr::Borrowed(if done {
                "<input type=\"checkbox\" disabled checked aria-label=\"Done\"> "
            } else {
                "<input type=\"checkbox\" disabled aria-label=\"Not done\"> "
            })));
            continue;
        }
        match event {
            Event::Start(Tag::Heading {
                level,
                id,
                classes,
                attrs,
            }) => {
                // Gather the heading's own events to name it.
                let mut inner = Vec::new();
                for e in iter.by_ref() {
                    if matches!(e, Event::End(TagEnd::Heading(_))) {
                        break;
                    }
                    inner.push(e);
                }
                let text: String = inner
                    .iter()
                    .filter_map(|e| match e {
                        Event::Text(t) | Event::Code(t) => Some(t.as_ref()),
                        _ => None,
                    })
                    .collect();
                plain_text.push_str(&text);
                plain_text.push(' ');
                let level = if shift { demote(level) } else { level };
                let base = id.map_or_else(|| heading_slug(&text), |given| given.to_string());
                let id = unique_id(&base, &mut used_ids);
                if matches!(level, HeadingLevel::H2 | HeadingLevel::H3) {
                    toc.push(TocEntry {
                        level,
                        id: id.clone(),
                        text: text.clone(),
                    });
                }
                out.push(Event::Start(Tag::Heading {
                    level,
                    id: Some(CowStr::from(id)),
                    classes,
                    attrs,
                }));
                out.extend(inner);
                out.push(Event::End(TagEnd::Heading(level)));
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                let mut code = String::new();
                for e in iter.by_ref() {
                    match e {
                        Event::End(TagEnd::CodeBlock) => break,
                        Event::Text(t) => code.push_str(&t),
                        _ => {}
                    }
                }
                plain_text.push_str(&code);
                plain_text.push(' ');
                let lang = match &kind {
                    CodeBlockKind::Fenced(info) => info.split_whitespace().next().unwrap_or(""),
                    CodeBlockKind::Indented => "",
                };
                out.push(Event::Html(CowStr::from(highlight(&code, lang))));
            }
            Event::Text(ref t) | Event::Code(ref t) => {
                plain_text.push_str(t);
                plain_text.push(' ');
                out.push(event);
            }
            other => out.push(other),
        }
    }

    let mut unsafe_html = String::with_capacity(markdown.len() * 3 / 2);
    if toc.len() >= TOC_MIN_HEADINGS {
        unsafe_html.push_str(&toc_html(&toc));
    }
    html::push_html(&mut unsafe_html, out.into_iter());
    RenderedBody {
        html: sanitize(&unsafe_html),
        plain_text,
    }
}

fn demote(level: HeadingLevel) -> HeadingLevel {
    match level {
        HeadingLevel::H1 => HeadingLevel::H2,
        HeadingLevel::H2 => HeadingLevel::H3,
        HeadingLevel::H3 => HeadingLevel::H4,
        HeadingLevel::H4 => HeadingLevel::H5,
        HeadingLevel::H5 | HeadingLevel::H6 => HeadingLevel::H6,
    }
}

/// A URL fragment for a heading: transliterated, lower-case, hyphenated.
fn heading_slug(text: &str) -> String {
    let slug = crate::import::front_matter::slugify(text);
    if slug.is_empty() {
        "section".to_owned()
    } else {
        slug
    }
}

fn unique_id(base: &str, used: &mut HashSet<String>) -> String {
    // Prefixed so a heading can never collide with the page's own ids.
    let mut id = format!("h-{base}");
    let mut n = 2;
    while used.contains(&id) {
        id = format!("h-{base}-{n}");
        n += 1;
    }
    used.insert(id.clone());
    id
}

fn toc_html(entries: &[TocEntry]) -> String {
    let mut html = String::from(
        "<nav class=\"toc\" aria-labelledby=\"toc-heading\"><h2 id=\"toc-heading\">Contents</h2><ol>",
    );
    let mut in_sub = false;
    for (i, entry) in entries.iter().enumerate() {
        let sub = entry.level == HeadingLevel::H3;
        if sub && !in_sub {
            if i == 0 {
                html.push_str("<li>");
            }
            html.push_str("<ol>");
            in_sub = true;
        } else if !sub && in_sub {
            html.push_str("</ol></li>");
            in_sub = false;
        } else if i > 0 {
            html.push_str("</li>");
        }
        html.push_str(&format!(
            "<li><a href=\"#{}\">{}</a>",
            entry.id,
            escape(&entry.text)
        ));
    }
    if in_sub {
        html.push_str("</li></ol>");
    }
    html.push_str("</li></ol></nav>");
    html
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A `<pre><code>` block with highlighter classes, or plain escaped code for unknown languages.
fn highlight(code: &str, lang: &str) -> String {
    let set = syntaxes();
    let syntax = (!lang.is_empty())
        .then(|| set.find_syntax_by_token(lang))
        .flatten();
    let class = if lang.is_empty() {
        String::new()
    } else {
        format!(" class=\"language-{}\"", escape(lang))
    };
    let Some(syntax) = syntax else {
        return format!(
            "<pre tabindex=\"0\"><code{class}>{}</code></pre>\n",
            escape(code)
        );
    };
    let mut generator = ClassedHTMLGenerator::new_with_class_style(
        syntax,
        set,
        ClassStyle::SpacedPrefixed {
            prefix: HIGHLIGHT_PREFIX,
        },
    );
    for line in LinesWithEndings::from(code) {
        if generator
            .parse_html_for_line_which_includes_newline(line)
            .is_err()
        {
            return format!(
                "<pre tabindex=\"0\"><code{class}>{}</code></pre>\n",
                escape(code)
            );
        }
    }
    // Focusable, so keyboard readers can scroll long lines sideways.
    format!(
        "<pre tabindex=\"0\"><code{class}>{}</code></pre>\n",
        generator.finalize()
    )
}

/// Removes anything executable from article HTML while keeping its structure.
pub fn sanitize(html: &str) -> String {
    ammonia::Builder::default()
        .add_tags(["input", "nav"])
        .add_tag_attributes("input", ["type", "checked", "disabled", "aria-label"])
        .add_tag_attributes("nav", ["aria-labelledby", "class"])
        .add_tag_attributes("div", ["class"])
        .add_tag_attributes("sup", ["class"])
        .add_tag_attributes("code", ["class"])
        .add_tag_attributes("span", ["class"])
        .add_tag_attributes("pre", ["class", "tabindex"])
        .add_generic_attributes(["id"])
        .add_tag_attributes("td", ["style"])
        .add_tag_attributes("th", ["style"])
        .filter_style_properties(["text-align"].into_iter().collect())
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .link_rel(Some("noopener noreferrer"))
        .clean(html)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_extensions() {
        let body = render_markdown(
            "## Title\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n~~old~~ and [^1]\n\n- [x] done\n\n[^1]: note\n",
        );
        assert!(
            body.html.contains("<h2 id=\"h-title\">Title</h2>"),
            "{}",
            body.html
        );
        assert!(body.html.contains("<table>"), "{}", body.html);
        assert!(body.html.contains("<del>old</del>"), "{}", body.html);
        assert!(body.html.contains("checked"), "{}", body.html);
        assert!(body.html.contains("footnote-definition"), "{}", body.html);
        assert!(body.plain_text.contains("Title"));
    }

    #[test]
    fn removes_scripts_handlers_and_javascript_urls() {
        let body = render_markdown(
            "<script>alert(1)</script>\n\n<img src=x onerror=\"alert(2)\">\n\n\
             [click](javascript:alert(3)) <a href=\"javascript:alert(4)\">x</a>\n\n\
             <p onclick=\"alert(5)\">p</p>\n\n<svg><script>alert(6)</script></svg>\n\n\
             <a href=\"JaVaScRiPt:alert(7)\">y</a>",
        );
        let html = body.html.to_lowercase();
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("onerror"), "{html}");
        assert!(!html.contains("onclick"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(!html.contains("<svg"), "{html}");
    }

    #[test]
    fn headings_get_unique_ids_and_a_table_of_contents() {
        let body = render_markdown("## Setup\n\n### Setup\n\n## 数据库\n\n## Setup\n\ntext");
        assert!(body.html.contains("id=\"h-setup\""), "{}", body.html);
        assert!(body.html.contains("id=\"h-setup-2\""), "{}", body.html);
        assert!(body.html.contains("id=\"h-setup-3\""), "{}", body.html);
        assert!(body.html.contains("id=\"h-shu-ju-ku\""), "{}", body.html);
        assert!(body.html.starts_with("<nav class=\"toc\""), "{}", body.html);
        assert!(body.html.contains("href=\"#h-shu-ju-ku\""), "{}", body.html);
        assert!(body.html.contains(">数据库</a>"), "{}", body.html);
        let short = render_markdown("## One\n\n## Two\n\ntext");
        assert!(!short.html.contains("class=\"toc\""), "{}", short.html);
    }

    #[test]
    fn body_h1_is_demoted_below_the_page_title() {
        let body = render_markdown("# Top\n\n## Next");
        assert!(body.html.contains("<h2 id=\"h-top\">"), "{}", body.html);
        assert!(body.html.contains("<h3 id=\"h-next\">"), "{}", body.html);
        assert!(!body.html.contains("<h1"), "{}", body.html);
    }

    #[test]
    fn code_is_highlighted_on_the_server_and_escaped() {
        let body = render_markdown("```rust\nfn main() { let x = \"<b>\"; }\n```\n");
        assert!(
            body.html.contains("class=\"language-rust\""),
            "{}",
            body.html
        );
        assert!(
            body.html.contains("hl-keyword") || body.html.contains("hl-storage"),
            "{}",
            body.html
        );
        assert!(body.html.contains("&lt;b&gt;"), "{}", body.html);
        let unknown = render_markdown("```nosuchlang\n<i>x</i>\n```\n");
        assert!(
            unknown.html.contains("&lt;i&gt;x&lt;/i&gt;"),
            "{}",
            unknown.html
        );
    }
}
