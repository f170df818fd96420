//! Markdown to safe HTML, done once at import time and stored.
//!
//! Imported bodies are trusted no more than comments: everything goes through ammonia, so a
//! script, an event handler, a `style` attribute or a `javascript:`/`data:` link in a source
//! file never reaches a reader. Headings get stable ids, code blocks are highlighted here on
//! the server (readers download no highlighter), and articles with three or more headings get
//! a table of contents.
//!
//! The body is inserted into a page that has ids and forms of its own, so the renderer alone
//! decides which ids and form controls the body keeps: every id starts with [`HEADING_ID_PREFIX`]
//! or [`FOOTNOTE_ID_PREFIX`] (the page uses neither), and the only form controls are the
//! disabled checkboxes of task lists. Raw HTML in the source can forge neither: what the
//! renderer writes carries a random marker for the one render, and the sanitiser keeps an id
//! only if it bears the marker.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use pulldown_cmark::{
    html, Alignment, CodeBlockKind, CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd,
};
use syntect::html::{ClassStyle, ClassedHTMLGenerator};
use syntect::parsing::SyntaxSet;
use syntect::util::LinesWithEndings;

/// Bump when rendering changes, so stored bodies are rendered again at start-up.
pub const RENDER_VERSION: i64 = 5;

/// Start of every heading id (and the contents list's own heading).
pub const HEADING_ID_PREFIX: &str = "h-";

/// Start of every footnote id.
pub const FOOTNOTE_ID_PREFIX: &str = "fn-";

/// Id of the contents list's heading; reserved, so an article heading named "Contents" gets
/// another.
const TOC_HEADING_ID: &str = "h-contents";

/// Headings needed before a table of contents is worth showing.
const TOC_MIN_HEADINGS: usize = 3;

/// Prefix of the highlighter's CSS classes (`hl-keyword`, `hl-string`, …).
const HIGHLIGHT_PREFIX: &str = "hl-";

/// What a done task-list item starts with (the box is read out as what it means: an
/// unlabelled checkbox is an anonymous form control to assistive technology).
const TASK_DONE_HTML: &str = "<input type=\"checkbox\" disabled checked aria-label=\"Done\">";

/// What an open task-list item starts with.
const TASK_OPEN_HTML: &str = "<input type=\"checkbox\" disabled aria-label=\"Not done\">";

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

/// A random string for one render that the source cannot contain or guess: ids and
/// placeholders written by the renderer start with it, so the sanitiser can tell them from
/// anything the Markdown's raw HTML says (entities included: the value is random, not hidden).
struct Marker(String);

impl Marker {
    fn new() -> Self {
        let mut bytes = [0u8; 16];
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut bytes);
        let mut marker = String::from("bh");
        for b in bytes {
            marker.push_str(&format!("{b:02x}"));
        }
        Self(marker)
    }

    /// An id the sanitiser will keep.
    fn id(&self, id: &str) -> String {
        format!("{}{id}", self.0)
    }

    /// Text the renderer replaces after sanitising. The quotes keep it to text: the
    /// serialiser writes `"` as itself in text but as `&quot;` in an attribute value, so
    /// text swallowed into an attribute by a broken raw tag never matches (inserting markup
    /// there would end the attribute early).
    fn placeholder(&self, name: &str) -> String {
        format!("{}\"{name}\"", self.0)
    }
}

struct TocEntry {
    level: HeadingLevel,
    id: String,
    text: String,
}

/// Renders Markdown to sanitised HTML and extracts its plain text.
pub fn render_markdown(markdown: &str) -> RenderedBody {
    let marker = Marker::new();
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
    let mut used_ids = HashSet::from([TOC_HEADING_ID.to_owned()]);
    let mut footnotes = Footnotes::default();
    let mut table = TableCells::default();
    let mut out: Vec<Event<'_>> = Vec::with_capacity(events.len());
    let mut iter = events.into_iter().peekable();
    while let Some(event) = iter.next() {
        match event {
            Event::TaskListMarker(done) => {
                let name = if done { "task-done" } else { "task-open" };
                out.push(Event::Text(CowStr::from(marker.placeholder(name))));
                out.push(Event::Text(CowStr::Borrowed(" ")));
            }
            Event::Start(Tag::Heading {
                level,
                id,
                classes,
                attrs,
            }) => {
                // Gather the heading's own events to name it.
                let mut inner = Vec::new();
                for e in iter.by_ref() {
                    match e {
                        Event::End(TagEnd::Heading(_)) => break,
                        Event::FootnoteReference(name) => {
                            inner.push(footnotes.reference(name, &marker));
                        }
                        e => inner.push(e),
                    }
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
                let base = heading_slug(id.as_deref().unwrap_or(&text));
                let id = unique_id(&base, &mut used_ids);
                if matches!(level, HeadingLevel::H2 | HeadingLevel::H3) {
                    toc.push(TocEntry {
                        level,
                        id: id.clone(),
                        text: text.clone(),
                    });
                }
                // `{id=…}` would be a second id attribute; the first one is ours.
                let attrs = attrs
                    .into_iter()
                    .filter(|(k, _)| k.as_ref() != "id")
                    .collect();
                out.push(Event::Start(Tag::Heading {
                    level,
                    id: Some(CowStr::from(marker.id(&id))),
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
            // Footnote ids come from the source (`[^main]` would be `id="main"`): number them.
            Event::FootnoteReference(name) => out.push(footnotes.reference(name, &marker)),
            Event::Start(Tag::FootnoteDefinition(name)) => {
                let n = footnotes.number(name);
                // A note defined twice keeps its id on the first definition only.
                let id = if footnotes.defined.insert(n) {
                    format!(" id=\"{}\"", marker.id(&footnote_id(n)))
                } else {
                    String::new()
                };
                out.push(Event::Html(CowStr::from(format!(
                    "<div class=\"footnote-definition\"{id}>\
                     <sup class=\"footnote-definition-label\">{n}</sup>"
                ))));
            }
            Event::End(TagEnd::FootnoteDefinition) => {
                out.push(Event::Html(CowStr::Borrowed("</div>\n")));
            }
            // Column alignment as a class: the body keeps no `style` attribute.
            Event::Start(Tag::Table(alignments)) => {
                table.alignments.clone_from(&alignments);
                out.push(Event::Start(Tag::Table(alignments)));
            }
            Event::Start(Tag::TableHead) => {
                table.in_head = true;
                table.column = 0;
                out.push(Event::Start(Tag::TableHead));
            }
            Event::End(TagEnd::TableHead) => {
                table.in_head = false;
                out.push(Event::End(TagEnd::TableHead));
            }
            Event::Start(Tag::TableRow) => {
                table.column = 0;
                out.push(Event::Start(Tag::TableRow));
            }
            Event::Start(Tag::TableCell) => {
                out.push(Event::Html(CowStr::from(table.open_cell())));
            }
            Event::End(TagEnd::TableCell) => {
                out.push(Event::Html(CowStr::Borrowed(table.close_cell())));
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
        unsafe_html.push_str(&toc_html(&toc, &marker));
    }
    html::push_html(&mut unsafe_html, out.into_iter());
    RenderedBody {
        html: sanitize(&unsafe_html, &marker, used_ids),
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
    let slug = super::slug::slugify(text);
    if slug.is_empty() {
        "section".to_owned()
    } else {
        slug
    }
}

fn unique_id(base: &str, used: &mut HashSet<String>) -> String {
    // Prefixed so a heading can never collide with the page's own ids.
    let mut id = format!("{HEADING_ID_PREFIX}{base}");
    let mut n = 2;
    while used.contains(&id) {
        id = format!("{HEADING_ID_PREFIX}{base}-{n}");
        n += 1;
    }
    used.insert(id.clone());
    id
}

fn footnote_id(number: usize) -> String {
    format!("{FOOTNOTE_ID_PREFIX}{number}")
}

/// Footnotes numbered in order of first mention, reference or definition.
#[derive(Default)]
struct Footnotes<'a> {
    numbers: HashMap<CowStr<'a>, usize>,
    defined: HashSet<usize>,
}

impl<'a> Footnotes<'a> {
    fn number(&mut self, name: CowStr<'a>) -> usize {
        let next = self.numbers.len() + 1;
        *self.numbers.entry(name).or_insert(next)
    }

    /// The superscript link to note `name`.
    fn reference(&mut self, name: CowStr<'a>, marker: &Marker) -> Event<'a> {
        let n = self.number(name);
        Event::InlineHtml(CowStr::from(format!(
            "<sup class=\"footnote-reference\"><a href=\"#{}\">{n}</a></sup>",
            marker.id(&footnote_id(n))
        )))
    }
}

/// Where the table being written is: header or body, and which column.
#[derive(Default)]
struct TableCells {
    alignments: Vec<Alignment>,
    in_head: bool,
    column: usize,
}

impl TableCells {
    fn open_cell(&self) -> String {
        let tag = if self.in_head { "th" } else { "td" };
        match self.alignments.get(self.column) {
            Some(Alignment::Left) => format!("<{tag} class=\"align-left\">"),
            Some(Alignment::Center) => format!("<{tag} class=\"align-center\">"),
            Some(Alignment::Right) => format!("<{tag} class=\"align-right\">"),
            Some(Alignment::None) | None => format!("<{tag}>"),
        }
    }

    fn close_cell(&mut self) -> &'static str {
        self.column += 1;
        if self.in_head {
            "</th>"
        } else {
            "</td>"
        }
    }
}

fn toc_html(entries: &[TocEntry], marker: &Marker) -> String {
    let heading_id = marker.id(TOC_HEADING_ID);
    let mut html = format!(
        "<nav class=\"toc\" aria-labelledby=\"{heading_id}\"><h2 id=\"{heading_id}\">Contents</h2><ol>"
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
            marker.id(&entry.id),
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

/// Removes anything executable, every id and every form control the renderer did not write,
/// and all inline styles, while keeping the body's structure.
///
/// `heading_ids` lets the source's own in-page links (`[see](#setup)`) reach the prefixed
/// heading (`#h-setup`).
fn sanitize(html: &str, marker: &Marker, heading_ids: HashSet<String>) -> String {
    let own = marker.0.clone();
    let clean = ammonia::Builder::default()
        .add_tags(["nav"])
        .add_tag_attributes("nav", ["aria-labelledby", "class"])
        .add_tag_attributes("div", ["class"])
        .add_tag_attributes("sup", ["class"])
        .add_tag_attributes("code", ["class"])
        .add_tag_attributes("span", ["class"])
        .add_tag_attributes("pre", ["class", "tabindex"])
        .add_tag_attributes("td", ["class"])
        .add_tag_attributes("th", ["class"])
        .add_generic_attributes(["id"])
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .link_rel(Some("noopener noreferrer"))
        .attribute_filter(move |_element, attribute, value| match attribute {
            // Only ids the renderer wrote survive, without their marker.
            // ammonia checks the scheme of the URLs a browser follows, not of `cite`
            // (kept on quotes and edits by default): nothing reads it, so it goes.
            "cite" => None,
            "id" | "aria-labelledby" => value
                .strip_prefix(own.as_str())
                .map(|id| Cow::Owned(id.to_owned())),
            "href" => match value.strip_prefix('#') {
                Some(fragment) => Some(Cow::Owned(
                    if let Some(id) = fragment.strip_prefix(own.as_str()) {
                        format!("#{id}")
                    } else if heading_ids.contains(&format!("{HEADING_ID_PREFIX}{fragment}")) {
                        format!("#{HEADING_ID_PREFIX}{fragment}")
                    } else {
                        value.to_owned()
                    },
                )),
                None => Some(Cow::Borrowed(value)),
            },
            _ => Some(Cow::Borrowed(value)),
        })
        .clean(html)
        .to_string();
    clean
        .replace(&marker.placeholder("task-done"), TASK_DONE_HTML)
        .replace(&marker.placeholder("task-open"), TASK_OPEN_HTML)
        // A placeholder or id swallowed as text by a broken raw tag must not show its marker.
        .replace(marker.0.as_str(), "")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::html_audit::{self, elements, ids, violations};
    use proptest::prelude::*;

    /// Fails with what was found when `html` holds anything that runs, loads or submits.
    fn assert_safe(html: &str) {
        assert_eq!(violations(html, true), Vec::<String>::new(), "{html}");
    }

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
        assert!(
            body.html
                .contains(&format!("<li>{TASK_DONE_HTML} done</li>")),
            "{}",
            body.html
        );
        assert!(body.html.contains("footnote-definition"), "{}", body.html);
        assert!(body.plain_text.contains("Title"));
    }

    #[test]
    fn removes_scripts_handlers_and_javascript_urls() {
        let body = render_markdown(
            "<script>alert(1)</script>\n\n<img src=x onerror=\"alert(2)\">\n\n\
             [click](javascript:alert(3)) <a href=\"javascript:alert(4)\">x</a>\n\n\
             <p onclick=\"alert(5)\">p</p>\n\n<svg><script>alert(6)</script></svg>\n\n\
             <a href=\"JaVaScRiPt:alert(7)\">y</a> [d](data:text/html,x) <p style=\"color:red\">s</p>\n\n\
             <blockquote cite=\"javascript:alert(8)\">q</blockquote>",
        );
        assert_safe(&body.html);
        let html = body.html.to_lowercase();
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("onerror"), "{html}");
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
        assert!(
            body.html
                .contains("aria-labelledby=\"h-contents\"><h2 id=\"h-contents\">Contents</h2>"),
            "{}",
            body.html
        );
        let short = render_markdown("## One\n\n## Two\n\ntext");
        assert!(!short.html.contains("class=\"toc\""), "{}", short.html);
    }

    #[test]
    fn contents_links_reach_every_listed_heading() {
        let body = render_markdown("## Contents\n\n## A b\n\n### C {#custom}\n\n## Contents\n");
        let all = ids(&body.html);
        assert_eq!(
            all,
            [
                "h-contents",
                "h-contents-2",
                "h-a-b",
                "h-custom",
                "h-contents-3"
            ],
            "{}",
            body.html
        );
        let targets: Vec<String> = elements(&body.html)
            .into_iter()
            .filter(|e| e.ancestors.iter().any(|a| a == "nav.toc"))
            .filter_map(|e| e.attr("href").map(str::to_owned))
            .collect();
        assert_eq!(
            targets,
            ["#h-contents-2", "#h-a-b", "#h-custom", "#h-contents-3"]
        );
    }

    #[test]
    fn the_source_cannot_give_the_page_an_id() {
        let body = render_markdown(
            "<div id=\"main\">raw</div>\n\n<span id=\"h-setup\" name=\"x\">forged</span>\n\n\
             ## Heading {#discussion id=main}\n\nSee[^main] and [it](#heading).\n\n[^main]: note\n",
        );
        assert_eq!(ids(&body.html), ["h-discussion", "fn-1"], "{}", body.html);
        assert!(
            body.html.contains(
                "<sup class=\"footnote-reference\"><a href=\"#fn-1\" rel=\"noopener noreferrer\">1</a></sup>"
            ),
            "{}",
            body.html
        );
        assert!(
            body.html.contains("<div class=\"footnote-definition\" id=\"fn-1\"><sup class=\"footnote-definition-label\">1</sup>"),
            "{}",
            body.html
        );
        let in_heading = render_markdown("## Why[^n]\n\n[^n]: because\n");
        assert!(
            in_heading.html.contains("<a href=\"#fn-1\""),
            "{}",
            in_heading.html
        );
        let twice = render_markdown("a[^n]\n\n[^n]: one\n\n[^n]: two\n");
        assert_eq!(ids(&twice.html), ["fn-1"], "{}", twice.html);
        // The source's own link to a heading by its unprefixed name still lands on it.
        let linked = render_markdown("## Setup\n\n[back](#setup), [elsewhere](#main)");
        assert!(linked.html.contains("href=\"#h-setup\""), "{}", linked.html);
        assert!(linked.html.contains("href=\"#main\""), "{}", linked.html);
    }

    #[test]
    fn the_only_form_controls_are_disabled_task_boxes() {
        let body = render_markdown(
            "<form action=\"/api/x\"><input name=\"q\"><button>Go</button></form>\n\n\
             <input type=\"checkbox\" disabled checked aria-label=\"Done\">\n\n\
             <select><option>1</option></select><textarea>t</textarea>\n\n\
             - [ ] open\n- [x] done\n",
        );
        let inputs: Vec<_> = elements(&body.html)
            .into_iter()
            .filter(|e| e.name == "input")
            .map(|e| e.attrs)
            .collect();
        assert_eq!(inputs.len(), 2, "{}", body.html);
        assert!(
            body.html
                .contains(&format!("<li>{TASK_OPEN_HTML} open</li>")),
            "{}",
            body.html
        );
        assert_safe(&body.html);
    }

    #[test]
    fn a_task_box_swallowed_into_an_attribute_stays_text() {
        // The raw tag's attribute runs on over the list, as a browser would read it.
        let body = render_markdown("<div title=\"\n\n- [x] done <b>\n\nend\">x</div>");
        assert!(!body.html.contains("<input"), "{}", body.html);
        assert!(!body.html.contains("bh"), "{}", body.html);
        assert_safe(&body.html);
    }

    #[test]
    fn table_alignment_is_a_class_not_a_style() {
        let body = render_markdown("| a | b | c | d |\n|:--|:-:|--:|---|\n| 1 | 2 | 3 | 4 |\n");
        assert!(
            body.html.contains(
                "<th class=\"align-left\">a</th><th class=\"align-center\">b</th>\
                 <th class=\"align-right\">c</th><th>d</th>"
            ),
            "{}",
            body.html
        );
        assert!(
            body.html
                .contains("<td class=\"align-right\">3</td><td>4</td>"),
            "{}",
            body.html
        );
        assert!(!body.html.contains("style"), "{}", body.html);
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

    /// Whether `text` holds something shaped like a render marker (`bh` and 32 hex digits).
    fn has_marker(text: &str) -> bool {
        text.match_indices("bh").any(|(i, _)| {
            let hex = &text.as_bytes()[i + 2..];
            hex.len() >= 32 && hex[..32].iter().all(u8::is_ascii_hexdigit)
        })
    }

    /// Checks one rendering against everything the article body must never contain.
    fn check_article(markdown: &str) -> Result<(), TestCaseError> {
        check_rendering(markdown, false)
    }

    /// [`check_article`], and with `links_resolve` every contents and footnote link must land
    /// on an element of the body (raw HTML left open can swallow a heading into text).
    fn check_rendering(markdown: &str, links_resolve: bool) -> Result<(), TestCaseError> {
        let body = render_markdown(markdown);
        let bad = violations(&body.html, true);
        prop_assert!(
            bad.is_empty(),
            "{bad:?}\nin {:?}\nfrom {markdown:?}",
            body.html
        );
        let all = ids(&body.html);
        for id in &all {
            prop_assert!(
                id.starts_with(HEADING_ID_PREFIX) || id.starts_with(FOOTNOTE_ID_PREFIX),
                "id {id:?} in {:?}",
                body.html
            );
        }
        let unique: HashSet<&String> = all.iter().collect();
        prop_assert_eq!(unique.len(), all.len(), "duplicate ids in {:?}", body.html);
        // Contents and footnote links land on an element of the body.
        for element in elements(&body.html) {
            let listed = element
                .ancestors
                .iter()
                .any(|a| a == "nav.toc" || a == "sup.footnote-reference");
            if let (true, true, Some(href)) = (links_resolve, listed, element.attr("href")) {
                let target = href.trim_start_matches('#');
                prop_assert!(
                    all.iter().any(|id| id == target),
                    "{href} in {:?}",
                    body.html
                );
            }
        }
        prop_assert!(!has_marker(&body.html) || has_marker(markdown));
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn generated_markdown_renders_nothing_that_runs(markdown in html_audit::hostile_markdown()) {
            check_article(&markdown)?;
        }

        #[test]
        fn contents_and_footnote_links_land_on_their_targets(
            markdown in html_audit::plain_markdown()
        ) {
            check_rendering(&markdown, true)?;
        }

        #[test]
        fn generated_html_renders_nothing_that_runs(html in html_audit::hostile_html()) {
            // Raw HTML at the start of a line is an HTML block, passed on as it is.
            check_article(&html)?;
            check_article(&format!("<div>\n{html}\n</div>\n\n- [x] {html}\n"))?;
        }
    }
}
