//! Test support for the two Markdown sanitisers (articles and comments): reads their output
//! the way a browser does, with html5ever (the parser ammonia itself uses), and lists whatever
//! in it could run a script, load a `javascript:`/`data:` URL, restyle the page or submit a
//! form. Also the hostile input the property tests are built from.

use html5ever::tendril::TendrilSink;
use html5ever::{local_name, ns, parse_fragment, ParseOpts, QualName};
use markup5ever_rcdom::{Handle, NodeData, RcDom};
use proptest::prelude::*;

/// One element of a parsed fragment.
#[derive(Debug)]
pub struct Element {
    /// Local name, lower-case (`a`, `input`, `svg`, …).
    pub name: String,
    /// Whether it is an HTML element (not SVG or MathML).
    pub html: bool,
    /// Attributes as the browser sees them: entities decoded, duplicates dropped.
    pub attrs: Vec<(String, String)>,
    /// Enclosing elements, outermost first, each as `name` or `name.class`.
    pub ancestors: Vec<String>,
}

impl Element {
    /// The value of an attribute, if present.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Every element of `html` parsed as the content of a `<div>` (where both sanitisers' output
/// goes), template contents included, in document order.
pub fn elements(html: &str) -> Vec<Element> {
    let dom = parse_fragment(
        RcDom::default(),
        ParseOpts::default(),
        QualName::new(None, ns!(html), local_name!("div")),
        vec![],
        false,
    )
    .one(html);
    let mut found = Vec::new();
    // The fragment parser's own `<html>` root holds the fragment.
    let root = dom.document.children.borrow()[0].clone();
    for child in root.children.borrow().iter() {
        walk(child, &mut Vec::new(), &mut found);
    }
    found
}

fn walk(node: &Handle, ancestors: &mut Vec<String>, found: &mut Vec<Element>) {
    let mut pushed = false;
    if let NodeData::Element {
        name,
        attrs,
        template_contents,
        ..
    } = &node.data
    {
        let attrs: Vec<(String, String)> = attrs
            .borrow()
            .iter()
            .map(|a| {
                let prefix = a.name.prefix.as_ref().map(|p| format!("{p}:"));
                (
                    format!("{}{}", prefix.unwrap_or_default(), a.name.local),
                    a.value.to_string(),
                )
            })
            .collect();
        let class = attrs
            .iter()
            .find(|(n, _)| n == "class")
            .map(|(_, v)| format!(".{v}"))
            .unwrap_or_default();
        let element = Element {
            name: name.local.to_string(),
            html: name.ns == ns!(html),
            attrs,
            ancestors: ancestors.clone(),
        };
        ancestors.push(format!("{}{class}", element.name));
        pushed = true;
        found.push(element);
        if let Some(contents) = template_contents.borrow().as_ref() {
            walk(contents, ancestors, found);
        }
    }
    for child in node.children.borrow().iter() {
        walk(child, ancestors, found);
    }
    if pushed {
        ancestors.pop();
    }
}

/// Elements that run code, load other documents, change styles or metadata, or take input.
const FORBIDDEN_ELEMENTS: &[&str] = &[
    "script",
    "style",
    "link",
    "meta",
    "base",
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "portal",
    "template",
    "noscript",
    "xmp",
    "plaintext",
    "noembed",
    "noframes",
    "title",
    "form",
    "button",
    "select",
    "option",
    "textarea",
    "datalist",
    "output",
    "fieldset",
    "dialog",
    "svg",
    "math",
    "video",
    "audio",
    "source",
    "track",
];

/// Attributes whose value a browser follows or loads as a URL.
const URL_ATTRIBUTES: &[&str] = &[
    "href",
    "src",
    "srcset",
    "cite",
    "action",
    "formaction",
    "poster",
    "background",
    "data",
    "codebase",
    "longdesc",
    "ping",
    "xlink:href",
];

/// URL schemes that run or embed content in the page's origin.
const FORBIDDEN_SCHEMES: &[&str] = &["javascript:", "data:", "vbscript:"];

/// Everything in `html` that must never reach a reader, described; empty when it is safe.
///
/// With `task_checkboxes`, disabled checkboxes are accepted (articles' task lists); any other
/// `input` is a violation either way.
pub fn violations(html: &str, task_checkboxes: bool) -> Vec<String> {
    let mut found = Vec::new();
    for element in elements(html) {
        let name = &element.name;
        if !element.html {
            found.push(format!("foreign (SVG/MathML) element <{name}>"));
        }
        if FORBIDDEN_ELEMENTS.contains(&name.as_str()) {
            found.push(format!("<{name}> element"));
        }
        if name == "input" {
            let checkbox = element.attr("type") == Some("checkbox");
            let disabled = element.attr("disabled").is_some();
            let labelled = element.attr("aria-label").is_some_and(|l| !l.is_empty());
            if !(task_checkboxes && checkbox && disabled && labelled) {
                found.push(format!("form control <input {:?}>", element.attrs));
            }
        }
        for (attr, value) in &element.attrs {
            let lower = attr.to_ascii_lowercase();
            if lower.starts_with("on") {
                found.push(format!("event handler {attr}={value:?} on <{name}>"));
            }
            if matches!(lower.as_str(), "style" | "srcdoc" | "form" | "formaction") {
                found.push(format!("{attr}={value:?} on <{name}>"));
            }
            if URL_ATTRIBUTES.contains(&lower.as_str()) && forbidden_url(value) {
                found.push(format!("{attr}={value:?} on <{name}>"));
            }
        }
    }
    found
}

/// Whether a URL would be read by a browser with a forbidden scheme. Browsers drop ASCII
/// tabs and newlines anywhere in a URL and spaces and controls around it before reading the
/// scheme.
fn forbidden_url(value: &str) -> bool {
    let squeezed: String = value
        .trim_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect::<String>()
        .to_ascii_lowercase();
    // `srcset` lists several URLs.
    squeezed
        .split([',', ' '])
        .map(|u| u.trim_matches(|c: char| c <= ' '))
        .any(|url| FORBIDDEN_SCHEMES.iter().any(|s| url.starts_with(s)))
}

/// Every `id` in `html`, in document order.
pub fn ids(html: &str) -> Vec<String> {
    elements(html)
        .into_iter()
        .filter_map(|e| e.attr("id").map(str::to_owned))
        .collect()
}

/// Pieces of hostile HTML: scripts, handlers, URL tricks, mutation-XSS classics, forms,
/// ids the page uses, and loose delimiters that leave tags and attributes open.
const HTML_PIECES: &[&str] = &[
    "<script>alert(1)</script>",
    "<script",
    "</script>",
    "<img src=x onerror=alert(1)>",
    "<img src=\"data:image/svg+xml,<svg onload=alert(1)>\">",
    "<img srcset=\"javascript:alert(1) 1x\">",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<svg><a xlink:href=\"javascript:alert(1)\"><text>x</text></a></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<math href=\"javascript:alert(1)\">x</math>",
    "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<a href=\"JaVaScRiPt:alert(1)\">x</a>",
    "<a href=\"java\tscript:alert(1)\">x</a>",
    "<a href=\"&#106;avascript:alert(1)\">x</a>",
    "<a href=\"&#x6A;avascript&colon;alert(1)\">x</a>",
    "<a href=\" \u{1}javascript:alert(1)\">x</a>",
    "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>",
    "<a href=\"vbscript:msgbox(1)\">x</a>",
    "<a href=\"#main\">skip</a>",
    "<a name=\"main\">x</a>",
    "<p style=\"background:url(javascript:alert(1))\">x</p>",
    "<div style=\"position:fixed;inset:0\">x</div>",
    "<div id=\"main\">x</div>",
    "<h2 id=\"h-contents\">x</h2>",
    "<span id=\"discussion\" class=\"toc\">x</span>",
    "<blockquote cite=\"javascript:alert(1)\">q</blockquote>",
    "<form action=\"/api/post_comment\"><button formaction=\"javascript:alert(1)\">go</button></form>",
    "<input type=\"text\" name=\"q\">",
    "<input type=\"checkbox\">",
    "<input type=\"checkbox\" disabled checked aria-label=\"Done\">",
    "<input type=\"hidden\" name=\"csrf\" value=\"x\">",
    "<select><option>1</option></select>",
    "<textarea>",
    "</textarea>",
    "<button>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>",
    "<template><script>alert(1)</script></template>",
    "<style>*{color:red}</style>",
    "<link rel=stylesheet href=\"https://evil.example/x.css\">",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
    "<base href=\"javascript:/\">",
    "<object data=\"javascript:alert(1)\"></object>",
    "<embed src=\"javascript:alert(1)\">",
    "<details open ontoggle=alert(1)>x</details>",
    "<video><source onerror=alert(1)></video>",
    "<xmp>",
    "<plaintext>",
    "<table><tr><td style=\"color:red\" background=\"javascript:alert(1)\">x</td></tr></table>",
    "<div title=\"",
    "<a title='",
    "<!--",
    "-->",
    "<![CDATA[",
    "]]>",
    "&lt;script&gt;",
    "&#x3C;img src=x onerror=alert(1)&#x3E;",
    "\"",
    "'",
    "<",
    ">",
    "</",
    "/>",
    "=",
    "&",
    " ",
];

/// Pieces of Markdown whose rendering could smuggle the same: links, images, autolinks,
/// reference definitions, heading attributes, footnotes, tables, task lists and code fences.
const MARKDOWN_PIECES: &[&str] = &[
    "\n",
    "\n\n",
    "# ",
    "## ",
    "### ",
    "#### ",
    "- ",
    "- [x] ",
    "- [ ] ",
    "1. ",
    "> ",
    "    ",
    "```",
    "```html\n",
    "```rust\n",
    "```\" onmouseover=alert(1) x=\"\n",
    "`",
    "*",
    "**",
    "~~",
    "\\",
    "[x](javascript:alert(1))",
    "[x](JAVASCRIPT:alert(1) \"t\")",
    "[x](<javascript:alert(1)>)",
    "[x](data:text/html,<script>alert(1)</script>)",
    "[x](#main)",
    "[x](#setup)",
    "[x](https://example.com/\" onclick=\"alert(1))",
    "![x](javascript:alert(1))",
    "![x\" onerror=\"alert(1)](https://example.com/x.png)",
    "![x](data:image/png;base64,AAAA)",
    "<javascript:alert(1)>",
    "<https://example.com/\"onclick=alert(1)>",
    "[r][ref]",
    "\n[ref]: javascript:alert(1)\n",
    "[^main]",
    "\n\n[^main]: a note\n",
    "[^1]",
    "\n\n[^1]: <script>alert(1)</script>\n",
    "{#main}",
    "{#main .toc onclick=alert(1) style=color:red id=discussion}",
    "\n| a | b |\n|:--|--:|\n| 1 | <img src=x onerror=alert(1)> |\n",
    "Setup",
    "Contents",
    "中文",
    "\u{202E}",
];

/// Strings of up to `max_pieces` pieces, each drawn from `choices` by weight.
fn joined(choices: Vec<(u32, BoxedStrategy<String>)>, max_pieces: usize) -> BoxedStrategy<String> {
    prop::collection::vec(prop::strategy::Union::new_weighted(choices), 0..max_pieces)
        .prop_map(|pieces| pieces.concat())
        .boxed()
}

fn one_of(pieces: &'static [&'static str]) -> BoxedStrategy<String> {
    prop::sample::select(pieces).prop_map(str::to_owned).boxed()
}

/// Hostile HTML: hostile pieces with arbitrary printable text between them.
pub fn hostile_html() -> BoxedStrategy<String> {
    joined(vec![(4, one_of(HTML_PIECES)), (1, "\\PC{0,6}".boxed())], 24)
}

/// Hostile Markdown: Markdown and HTML pieces mixed with arbitrary printable text.
pub fn hostile_markdown() -> BoxedStrategy<String> {
    joined(
        vec![
            (3, one_of(MARKDOWN_PIECES)),
            (2, one_of(HTML_PIECES)),
            (1, "\\PC{0,6}".boxed()),
        ],
        32,
    )
}

/// Markdown without loose HTML (nothing that leaves a tag open and swallows what follows):
/// Markdown pieces and plain words.
pub fn plain_markdown() -> BoxedStrategy<String> {
    joined(
        vec![
            (3, one_of(MARKDOWN_PIECES)),
            (1, "[a-zA-Z0-9 中文]{0,6}".boxed()),
        ],
        32,
    )
}

#[test]
fn the_audit_sees_what_a_browser_would_run() {
    // The checks themselves must be able to fail.
    assert!(violations(
        "<p>plain <a href=\"https://example.com\">text</a></p>",
        false
    )
    .is_empty());
    for bad in [
        "<script>x</script>",
        "<img src=x onerror=alert(1)>",
        "<a href=\"&#106;ava&#x09;script:alert(1)\">x</a>",
        "<a href=\" data:text/html,x\">x</a>",
        "<p style=\"color:red\">x</p>",
        "<svg></svg>",
        "<input type=\"text\">",
        "<input type=\"checkbox\">",
        "<template><b onclick=x>y</b></template>",
    ] {
        assert!(!violations(bad, true).is_empty(), "{bad}");
    }
    let task = "<input type=\"checkbox\" disabled aria-label=\"Done\">";
    assert!(violations(task, true).is_empty());
    assert!(!violations(task, false).is_empty());
    assert_eq!(ids("<p id=a><b id=b></b></p><i id=a>"), ["a", "b", "a"]);
}
