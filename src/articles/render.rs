//! Markdown to safe HTML, done once at import time and stored.
//!
//! Imported bodies are trusted no more than comments: everything goes through ammonia, so a
//! script, an event handler or a `javascript:` link in a source file never reaches a reader.

use pulldown_cmark::{html, Event, Options, Parser};

/// The rendered body of an article.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedBody {
    /// Sanitised HTML ready to insert into the page.
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

/// Renders Markdown to sanitised HTML and extracts its plain text.
pub fn render_markdown(markdown: &str) -> RenderedBody {
    let mut plain_text = String::new();
    let events: Vec<Event<'_>> = Parser::new_ext(markdown, options())
        .inspect(|event| match event {
            Event::Text(text) | Event::Code(text) => {
                plain_text.push_str(text);
                plain_text.push(' ');
            }
            _ => {}
        })
        .collect();
    let mut unsafe_html = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut unsafe_html, events.into_iter());
    RenderedBody {
        html: sanitize(&unsafe_html),
        plain_text,
    }
}

/// Removes anything executable from article HTML while keeping its structure.
pub fn sanitize(html: &str) -> String {
    ammonia::Builder::default()
        .add_tags(["input"])
        .add_tag_attributes("input", ["type", "checked", "disabled"])
        .add_tag_attributes("code", ["class"])
        .add_tag_attributes("span", ["class"])
        .add_tag_attributes("pre", ["class"])
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
        assert!(body.html.contains("<h2>Title</h2>"), "{}", body.html);
        assert!(body.html.contains("<table>"), "{}", body.html);
        assert!(body.html.contains("<del>old</del>"), "{}", body.html);
        assert!(body.html.contains("checked"), "{}", body.html);
        assert!(body.plain_text.contains("Title"));
    }

    #[test]
    fn removes_scripts_handlers_and_javascript_urls() {
        let body = render_markdown(
            "<script>alert(1)</script>\n\n<img src=x onerror=\"alert(2)\">\n\n\
             [click](javascript:alert(3)) <a href=\"javascript:alert(4)\">x</a>\n\n\
             <p onclick=\"alert(5)\">p</p>",
        );
        let html = body.html.to_lowercase();
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("onerror"), "{html}");
        assert!(!html.contains("onclick"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
    }
}
