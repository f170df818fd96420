//! The text of a comment: what is accepted, and how it becomes safe HTML.
//!
//! A comment is stored exactly as typed (line breaks normalised to `\n`), whatever script or
//! direction it is written in. Only characters that cannot be shown as text are refused.
//! Rendering allows a small Markdown subset (emphasis, links, code, lists, quotes): raw HTML
//! is shown as the text it is, headings and images become ordinary text and links, and
//! ammonia has the last word on every tag and attribute.

/// Longest comment accepted, in characters (not bytes: CJK text is not penalised).
pub const MAX_CHARS: usize = 10_000;

/// A comment body that passed validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentBody(String);

impl CommentBody {
    /// Validates a comment as typed or posted. Browsers post a textarea's line breaks as
    /// `\r\n`; they are stored as `\n`.
    pub fn parse(input: &str) -> Result<Self, String> {
        let text = input.replace("\r\n", "\n");
        if text.trim().is_empty() {
            return Err("Comment cannot be empty".to_owned());
        }
        let chars = text.chars().count();
        if chars > MAX_CHARS {
            return Err(format!(
                "Comment is too long: {} characters, the limit is 10,000. Shorten it by {} characters.",
                group_thousands(chars),
                group_thousands(chars - MAX_CHARS)
            ));
        }
        if let Some(bad) = text
            .chars()
            .find(|c| c.is_control() && !matches!(c, '\n' | '\t'))
        {
            return Err(format!(
                "Comment contains an invisible control character (U+{:04X}) that cannot be shown; remove it and post again",
                u32::from(bad)
            ));
        }
        Ok(Self(text))
    }

    /// The text as it is stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `12345` as "12,345".
fn group_thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// How many links a comment holds, for the spam guard: its rendered links or the web
/// addresses in its text, whichever are more (a bare address is not rendered as a link, but
/// readers still copy it).
#[cfg(feature = "ssr")]
pub fn link_count(body: &CommentBody, html: &str) -> usize {
    let text = body.as_str().to_ascii_lowercase();
    let addresses = text.matches("http://").count() + text.matches("https://").count();
    html.matches("<a ").count().max(addresses)
}

/// Renders a comment's Markdown to sanitised HTML.
#[cfg(feature = "ssr")]
pub fn render(body: &CommentBody) -> String {
    use pulldown_cmark::{html, CowStr, Event, Options, Parser, Tag, TagEnd};

    let events = Parser::new_ext(body.as_str(), Options::ENABLE_STRIKETHROUGH).map(|event| {
        match event {
            // Raw HTML is shown as what the reader typed, never interpreted.
            Event::Html(text) | Event::InlineHtml(text) => Event::Text(text),
            // Headings read as ordinary paragraphs: a comment does not structure the page.
            Event::Start(Tag::Heading { .. }) => Event::Start(Tag::Paragraph),
            Event::End(TagEnd::Heading(_)) => Event::End(TagEnd::Paragraph),
            // An image becomes a link to it, labelled with its alt text: no third-party
            // requests from readers' browsers, no layout shifts.
            Event::Start(Tag::Image {
                dest_url, title, ..
            }) => Event::Start(Tag::Link {
                link_type: pulldown_cmark::LinkType::Inline,
                dest_url,
                title,
                id: CowStr::Borrowed(""),
            }),
            Event::End(TagEnd::Image) => Event::End(TagEnd::Link),
            other => other,
        }
    });
    let mut raw = String::with_capacity(body.as_str().len() * 3 / 2);
    html::push_html(&mut raw, events);
    sanitizer().clean(&raw).to_string()
}

/// The only tags a rendered comment may contain.
#[cfg(feature = "ssr")]
const ALLOWED_TAGS: &[&str] = &[
    "p",
    "br",
    "em",
    "strong",
    "del",
    "a",
    "code",
    "pre",
    "ul",
    "ol",
    "li",
    "blockquote",
    "hr",
];

#[cfg(feature = "ssr")]
fn sanitizer() -> &'static ammonia::Builder<'static> {
    use std::collections::{HashMap, HashSet};
    use std::sync::OnceLock;

    static BUILDER: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    BUILDER.get_or_init(|| {
        let tags: HashSet<&str> = ALLOWED_TAGS.iter().copied().collect();
        let mut attributes = HashMap::new();
        attributes.insert("a", ["href", "title"].into_iter().collect::<HashSet<_>>());
        attributes.insert("ol", ["start"].into_iter().collect::<HashSet<_>>());
        let mut builder = ammonia::Builder::default();
        builder
            .tags(tags)
            .tag_attributes(attributes)
            .generic_attributes(HashSet::new())
            .url_schemes(["http", "https", "mailto"].into_iter().collect())
            .link_rel(Some("nofollow ugc noopener"))
            .url_relative(ammonia::UrlRelative::Deny);
        builder
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "ssr")]
    #[test]
    fn links_are_counted_rendered_or_bare() {
        let count = |text: &str| {
            let body = CommentBody::parse(text).expect("valid");
            link_count(&body, &render(&body))
        };
        assert_eq!(count("no links here"), 0);
        assert_eq!(count("[a](https://a.example) and [b](http://b.example)"), 2);
        assert_eq!(
            count("see https://a.example, HTTPS://b.example and http://c.example"),
            3
        );
        assert_eq!(count("<https://a.example>"), 1);
    }

    #[test]
    fn empty_and_blank_comments_are_refused() {
        for blank in ["", "   ", "\n\t\r\n "] {
            assert_eq!(
                CommentBody::parse(blank),
                Err("Comment cannot be empty".to_owned())
            );
        }
    }

    #[test]
    fn length_is_counted_in_characters() {
        let cjk = "字".repeat(MAX_CHARS);
        assert!(
            CommentBody::parse(&cjk).is_ok(),
            "10,000 CJK characters fit"
        );
        let err = CommentBody::parse(&"a".repeat(MAX_CHARS + 5)).unwrap_err();
        assert_eq!(
            err,
            "Comment is too long: 10,005 characters, the limit is 10,000. Shorten it by 5 characters."
        );
    }

    #[test]
    fn control_characters_other_than_newline_and_tab_are_refused() {
        assert!(CommentBody::parse("a\tb\nc").is_ok());
        let err = CommentBody::parse("bell\u{7}").unwrap_err();
        assert!(err.contains("U+0007"), "{err}");
        assert!(CommentBody::parse("nul\u{0}").is_err());
        assert!(CommentBody::parse("c1\u{85}").is_err());
    }

    #[test]
    fn anything_a_person_types_is_kept_exactly() {
        for text in [
            "Emoji 🎉👩‍💻 and flags 🇨🇳",
            "中文评论：写得很好。",
            "مرحبا بالعالم",
            "שלום \u{202E}reversed\u{202C} text",
            "  leading and trailing spaces  ",
        ] {
            assert_eq!(CommentBody::parse(text).unwrap().as_str(), text);
        }
        assert_eq!(
            CommentBody::parse("one\r\ntwo").unwrap().as_str(),
            "one\ntwo"
        );
    }

    #[cfg(feature = "ssr")]
    fn html(text: &str) -> String {
        render(&CommentBody::parse(text).unwrap())
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn markdown_subset_is_rendered() {
        assert_eq!(
            html("*em* **strong** `code`"),
            "<p><em>em</em> <strong>strong</strong> <code>code</code></p>\n"
        );
        assert!(html("- a\n- b").contains("<ul>\n<li>a</li>"));
        assert!(html("> quoted").contains("<blockquote>"));
        assert!(html("```rust\nfn main() {}\n```").contains("<pre><code>fn main() {}"));
        assert_eq!(
            html("[site](https://example.com)"),
            "<p><a href=\"https://example.com\" rel=\"nofollow ugc noopener\">site</a></p>\n"
        );
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn headings_images_and_raw_html_are_not_rendered_as_such() {
        assert_eq!(html("# Big"), "<p>Big</p>\n");
        let image = html("![a cat](https://example.com/cat.png)");
        assert!(!image.contains("<img"), "{image}");
        assert!(
            image.contains("href=\"https://example.com/cat.png\""),
            "{image}"
        );
        assert_eq!(html("<b>bold?</b>"), "<p>&lt;b&gt;bold?&lt;/b&gt;</p>\n");
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn hostile_input_is_shown_as_text_and_never_runs() {
        let hostile = [
            "<script>window.__pwned = 1</script>",
            "<img src=x onerror=\"window.__pwned=1\">",
            "[click](javascript:window.__pwned=1)",
            "[click](JaVaScRiPt:alert(1))",
            "[data](data:text/html;base64,PHNjcmlwdD4=)",
            "<svg onload=\"window.__pwned=1\"><script>alert(1)</script></svg>",
            "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
            "&lt;script&gt;alert(1)&lt;/script&gt;",
            "<a href=\"javascript:alert(1)\">x</a>",
            "<iframe src=\"https://evil.example\"></iframe>",
            "[x](https://ok.example \"title\" onmouseover=alert(1))",
        ];

        for text in hostile {
            let out = html(text);
            // Every `<` left in the output opens a real tag (text is escaped as `&lt;`).
            for tag in out.split('<').skip(1) {
                let tag = tag.split('>').next().unwrap_or_default().to_lowercase();
                let name = tag
                    .trim_start_matches('/')
                    .split([' ', '/'])
                    .next()
                    .unwrap_or_default();
                assert!(
                    ALLOWED_TAGS.contains(&name),
                    "{text:?} rendered a <{tag}> tag: {out:?}"
                );
                for forbidden in ["javascript:", "data:", " on", "style", "src"] {
                    assert!(
                        !tag.contains(forbidden),
                        "{text:?} rendered <{tag}>: {out:?}"
                    );
                }
            }
        }
        // Entities typed by the reader stay entities on screen (escaped once more).
        assert_eq!(html("&lt;b&gt;"), "<p>&lt;b&gt;</p>\n");
    }

    /// Checks one rendered comment against everything a comment must never contain.
    #[cfg(feature = "ssr")]
    fn check_comment(text: &str) -> Result<(), proptest::test_runner::TestCaseError> {
        use crate::html_audit::{elements, violations};
        use proptest::prelude::*;

        let Ok(body) = CommentBody::parse(text) else {
            // Refused comments are never rendered.
            return Ok(());
        };
        let out = render(&body);
        let bad = violations(&out, false);
        prop_assert!(bad.is_empty(), "{bad:?}\nin {out:?}\nfrom {text:?}");
        for element in elements(&out) {
            prop_assert!(
                ALLOWED_TAGS.contains(&element.name.as_str()),
                "<{}> in {out:?}",
                element.name
            );
            for (attr, _) in &element.attrs {
                let allowed = match element.name.as_str() {
                    "a" => ["href", "title", "rel"].contains(&attr.as_str()),
                    "ol" => attr == "start",
                    _ => false,
                };
                prop_assert!(allowed, "{attr} on <{}> in {out:?}", element.name);
            }
        }
        Ok(())
    }

    #[cfg(feature = "ssr")]
    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(512))]

        #[test]
        fn generated_markdown_comments_render_nothing_that_runs(
            text in crate::html_audit::hostile_markdown()
        ) {
            check_comment(&text)?;
        }

        #[test]
        fn generated_html_comments_render_nothing_that_runs(
            text in crate::html_audit::hostile_html()
        ) {
            check_comment(&text)?;
            check_comment(&format!("- {text}\n\n> {text}\n\n[{text}]({text})"))?;
        }
    }
}
