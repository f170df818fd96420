//! Hostile input against every page route and every server function, in process: malformed
//! and wrongly typed bodies, invalid UTF-8, bodies over the limit, path traversal under
//! `/pkg/`, huge, negative and non-numeric page numbers, garbage and oversized cookies, SQL
//! and HTML payloads in every field. No answer may be a 5xx or take longer than
//! [`TIMEOUT`], no redirect may leave the site, `/healthz` still says "ok" afterwards, and
//! stored payloads come back on the article page only as text.
#![cfg(feature = "ssr")]

mod common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use besthub::accounts::{GetCurrentUser, SignIn, SignOut, SignUp};
use besthub::articles::{GetArticle, GetAuthorPage, GetTagPage, ListArticles};
use besthub::discussion::{
    DeleteComment, EditComment, GetCommentThread, GetComments, PostComment, PreviewComment,
};
use besthub::feedback::{RateArticle, RemoveRating, SetFollow, SetLike};
use besthub::notifications::{GetNotifications, MarkAllRead, SetDiscussionFollow, UnreadCount};
use besthub::reading_list::{GetSavedPage, SetSaved};
use besthub::search::{SearchArticles, SuggestTitles};
use besthub::site::GetSiteInfo;
use leptos::server_fn::ServerFn;
use markup5ever_rcdom::{Handle, NodeData, RcDom};
use tower::ServiceExt;

/// Longest any one answer may take before the test calls it a hang.
const TIMEOUT: Duration = Duration::from_secs(20);

/// The body limit the app under test is configured with.
const LIMIT: usize = 4096;

const SLUG: &str = "sqlite-wal-in-production";
const AUTHOR: &str = "selma-arvidsson";
const TAG: &str = "performance";

/// Payloads that must be stored and shown as typed.
const SCRIPT: &str = "<script>alert(1)</script>";
const SQL: &str = "'; DROP TABLE comments; --";
const IMG: &str = "<img src=x onerror=alert(1)>";

/// Text values an attacker puts in any field.
const HOSTILE_TEXT: &[&str] = &[
    SCRIPT,
    SQL,
    IMG,
    "\" OR 1=1 --",
    "1; SELECT pg_sleep(30); --",
    "Robert'); DROP TABLE users;--",
    "<svg onload=alert(1)>",
    "javascript:alert(1)",
    "../../../../etc/passwd",
    "%00",
    "\u{202E}\u{FEFF}",
    "",
];

/// Page numbers and ids that are not small positive integers.
const HOSTILE_NUMBERS: &[&str] = &[
    "-1",
    "0",
    "99999999999999999999",
    "4294967296",
    "9223372036854775808",
    "-9223372036854775809",
    "abc",
    "1e3",
    "1.5",
    "+1",
    " 1",
    "0x10",
    "",
];

/// Cookie headers, as bytes (some are not valid UTF-8), sent in turn with the requests.
fn cookies(session: &str) -> Vec<Option<Vec<u8>>> {
    vec![
        None,
        Some(format!("besthub_session={session}").into_bytes()),
        Some(b"besthub_session=garbage".to_vec()),
        Some(b"besthub_session=".to_vec()),
        Some(format!("besthub_session={}", "A".repeat(8_000)).into_bytes()),
        Some(b"besthub_session=\xff\xfe\x80; besthub_csrf=\xc3(".to_vec()),
        Some(b"besthub_session='; DROP TABLE sessions; --".to_vec()),
        Some(b";;; =; ==; besthub_session; besthub_session=a=b".to_vec()),
        Some(format!("besthub_session={session}; besthub_session=other").into_bytes()),
        Some(
            (0..200)
                .map(|i| format!("c{i}=v{i}"))
                .collect::<Vec<_>>()
                .join("; ")
                .into_bytes(),
        ),
    ]
}

/// One hostile request, kept as data so a failure can say exactly what was sent.
#[derive(Clone)]
struct Probe {
    method: Method,
    uri: String,
    content_type: Option<String>,
    /// `text/html` is a browser's plain form post; `application/json` a script's call.
    accept: &'static str,
    cookie: Option<Vec<u8>>,
    body: Vec<u8>,
    /// Without `Content-Length` the body is read like a chunked one.
    declare_length: bool,
}

impl Probe {
    fn get(uri: impl Into<String>) -> Self {
        Self {
            method: Method::GET,
            uri: uri.into(),
            content_type: None,
            accept: "text/html",
            cookie: None,
            body: Vec::new(),
            declare_length: false,
        }
    }

    fn post(uri: impl Into<String>, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Self {
            method: Method::POST,
            uri: uri.into(),
            content_type: (!content_type.is_empty()).then(|| content_type.to_owned()),
            accept: "application/json",
            cookie: None,
            body: body.into(),
            declare_length: true,
        }
    }

    fn form(uri: &str, pairs: &[(&str, &[u8])]) -> Self {
        Self::post(uri, "application/x-www-form-urlencoded", form(pairs))
    }

    fn accept(mut self, accept: &'static str) -> Self {
        self.accept = accept;
        self
    }

    fn chunked(mut self) -> Self {
        self.declare_length = false;
        self
    }

    fn describe(&self) -> String {
        let cookie = self
            .cookie
            .as_ref()
            .map(|c| shorten(&String::from_utf8_lossy(c)))
            .unwrap_or_default();
        format!(
            "{} {} content-type={:?} accept={} cookie={cookie:?} length-declared={} body={:?}",
            self.method,
            shorten(&self.uri),
            self.content_type,
            self.accept,
            self.declare_length,
            shorten(&String::from_utf8_lossy(&self.body)),
        )
    }

    fn request(&self) -> Request<Body> {
        let mut request = Request::builder()
            .method(self.method.clone())
            .uri(&self.uri)
            .header(header::ACCEPT, self.accept)
            .header(header::ORIGIN, common::ORIGIN);
        if let Some(content_type) = &self.content_type {
            request = request.header(header::CONTENT_TYPE, content_type);
        }
        if let Some(cookie) = &self.cookie {
            request = request.header(header::COOKIE, cookie.as_slice());
        }
        if self.declare_length && self.method != Method::GET {
            request = request.header(header::CONTENT_LENGTH, self.body.len());
        }
        request
            .body(Body::from(self.body.clone()))
            .unwrap_or_else(|err| panic!("the test built a bad request {}: {err}", self.describe()))
    }
}

fn shorten(text: &str) -> String {
    if text.chars().count() > 160 {
        let head: String = text.chars().take(160).collect();
        format!("{head}… ({} bytes)", text.len())
    } else {
        text.to_owned()
    }
}

/// Percent-encodes every byte that is not unreserved, so any bytes (invalid UTF-8 too) fit
/// in a path segment or a query value.
fn pct(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// An `application/x-www-form-urlencoded` body of raw byte values.
fn form(pairs: &[(&str, &[u8])]) -> Vec<u8> {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", pct(k.as_bytes()), pct(v)))
        .collect::<Vec<_>>()
        .join("&")
        .into_bytes()
}

/// What a probe got back.
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

/// Sends `probe`; an error is the failure to report.
async fn fire(app: &axum::Router, probe: &Probe) -> Result<Answer, String> {
    let exchange = async {
        let response = app
            .clone()
            .oneshot(probe.request())
            .await
            .map_err(|err| format!("no response: {err}"))?;
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .map_err(|err| format!("{status}, body unreadable: {err}"))?;
        Ok::<Answer, String>(Answer {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        })
    };
    let answer = tokio::time::timeout(TIMEOUT, exchange)
        .await
        .map_err(|_| format!("no answer within {TIMEOUT:?}"))??;
    if answer.status.is_server_error() {
        return Err(format!("{}: {}", answer.status, shorten(&answer.body)));
    }
    if answer.status.is_redirection() {
        let location = answer
            .headers
            .get(header::LOCATION)
            .map(|l| String::from_utf8_lossy(l.as_bytes()).into_owned())
            .unwrap_or_default();
        let on_site = location.starts_with('/')
            && !location.starts_with("//")
            && !location.starts_with("/\\");
        // The source redirect is the one place meant to leave the site.
        if !on_site && !probe.uri.contains("/source") {
            return Err(format!(
                "{} redirects off the site to {location:?}",
                answer.status
            ));
        }
    }
    Ok(answer)
}

/// Every page route with hostile path segments and query values.
fn page_probes() -> Vec<Probe> {
    let mut probes = Vec::new();
    let hostile_segments: Vec<String> = HOSTILE_TEXT
        .iter()
        .map(|t| pct(t.as_bytes()))
        .chain([
            pct(b"\xff\xfe\xc3("),
            "..%2F..%2F..%2Fetc%2Fpasswd".to_owned(),
            "%2e%2e".to_owned(),
            "a".repeat(5_000),
        ])
        .filter(|s| !s.is_empty())
        .collect();
    for segment in &hostile_segments {
        for uri in [
            format!("/articles/{segment}"),
            format!("/authors/{segment}"),
            format!("/tags/{segment}"),
            format!("/articles/{segment}/source"),
            format!("/articles/{segment}/comments/1"),
            format!("/articles/{SLUG}/comments/{segment}"),
        ] {
            probes.push(Probe::get(uri));
        }
    }
    let numbers: Vec<String> = HOSTILE_NUMBERS
        .iter()
        .map(|n| pct(n.as_bytes()))
        .chain(["%FF".to_owned(), "2&page=3".to_owned(), "1%00".to_owned()])
        .collect();
    for n in &numbers {
        for base in [
            "/".to_owned(),
            format!("/authors/{AUTHOR}"),
            format!("/tags/{TAG}"),
        ] {
            probes.push(Probe::get(format!("{base}?page={n}")));
        }
        probes.push(Probe::get(format!("/articles/{SLUG}?sort=newest&page={n}")));
        probes.push(Probe::get(format!("/articles/{SLUG}/comments/{n}")));
    }
    for text in HOSTILE_TEXT {
        let value = pct(text.as_bytes());
        probes.push(Probe::get(format!(
            "/articles/{SLUG}?sort={value}&reply={value}"
        )));
        probes.push(Probe::get(format!("/signin?next={value}")));
        probes.push(Probe::get(format!("/signup?next={value}")));
        probes.push(Probe::get(format!("/articles/{SLUG}/source?to={value}")));
        probes.push(Probe::get(format!("/?q={value}")));
    }
    for next in ["https://evil.example", "//evil.example", "/\\evil.example"] {
        probes.push(Probe::get(format!("/signin?next={}", pct(next.as_bytes()))));
    }
    // A refused form's error travels in the query: garbage and hostile errors alike.
    for (path, err) in error_queries() {
        for page in [
            format!("/articles/{SLUG}"),
            "/signin".to_owned(),
            "/signup".to_owned(),
        ] {
            probes.push(Probe::get(format!(
                "{page}?__path={}&__err={}",
                pct(path.as_bytes()),
                pct(err.as_bytes())
            )));
        }
    }
    // Files under /pkg/ and attempts to climb out of it.
    for path in [
        "/pkg/besthub.css",
        "/pkg/../Cargo.toml",
        "/pkg/..%2F..%2FCargo.toml",
        "/pkg/%2e%2e/%2e%2e/Cargo.toml",
        "/pkg/%2e%2e%2f%2e%2e%2fCargo.toml",
        "/pkg/....//....//Cargo.toml",
        "/pkg/..%5C..%5CCargo.toml",
        "/pkg/%c0%ae%c0%ae/%c0%ae%c0%ae/Cargo.toml",
        "/pkg/..%00/Cargo.toml",
        "/pkg/besthub.wasm%00.css",
        "/pkg/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/pkg//etc/passwd",
        "/pkg/%2Fetc%2Fpasswd",
        "/pkg/%FF%FE",
        "/pkg/.git/config",
    ] {
        probes.push(Probe::get(path));
    }
    probes.push(Probe::get(format!("/pkg/{}", "a/".repeat(2_000))));
    for uri in ["/healthz", "/healthz?x=%FF", "/signin", "/signup", "/"] {
        probes.push(Probe::get(uri));
    }
    // Pages do not take posts; hostile ones get a 4xx, not a crash.
    let article = format!("/articles/{SLUG}");
    for uri in ["/", "/healthz", "/signin", article.as_str()] {
        probes.push(Probe::post(
            uri,
            "application/x-www-form-urlencoded",
            form(&[("body", SCRIPT.as_bytes())]),
        ));
        probes.push(Probe::post(uri, "application/json", "{\"a\":"));
        probes.push(Probe::post(uri, "text/plain", vec![0xff; 64]));
    }
    probes
}

/// `__path` / `__err` pairs a page reads from its query after a refused plain form post.
fn error_queries() -> Vec<(String, String)> {
    use base64::engine::general_purpose::URL_SAFE;
    use base64::Engine as _;
    let hostile = besthub::error::AppError::Invalid(
        besthub::error::FormErrors::default()
            .with("body", SCRIPT)
            .with("email", IMG)
            .keep("body", format!("{SCRIPT}{IMG}"))
            .keep("email", SQL),
    );
    let hostile = serde_json::to_string(&hostile).expect("an error serialises");
    vec![
        (PostComment::PATH.to_owned(), URL_SAFE.encode(&hostile)),
        (SignIn::PATH.to_owned(), URL_SAFE.encode(&hostile)),
        (SignUp::PATH.to_owned(), URL_SAFE.encode(&hostile)),
        (PostComment::PATH.to_owned(), "%%%not base64%%%".to_owned()),
        (
            PostComment::PATH.to_owned(),
            URL_SAFE.encode("{\"Invalid\":"),
        ),
        (SCRIPT.to_owned(), URL_SAFE.encode(vec![0xff; 40])),
    ]
}

/// What a server function takes: its path, whether it is called with GET, and its fields
/// with a well-formed value each.
struct Endpoint {
    path: &'static str,
    get: bool,
    fields: &'static [(&'static str, &'static str)],
}

impl Endpoint {
    fn get(path: &'static str, fields: &'static [(&'static str, &'static str)]) -> Self {
        Self {
            path,
            get: true,
            fields,
        }
    }

    fn post(path: &'static str, fields: &'static [(&'static str, &'static str)]) -> Self {
        Self {
            path,
            get: false,
            fields,
        }
    }
}

fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::get(ListArticles::PATH, &[("page", "1")]),
        Endpoint::get(GetArticle::PATH, &[("slug", SLUG)]),
        Endpoint::get(GetAuthorPage::PATH, &[("handle", AUTHOR), ("page", "1")]),
        Endpoint::get(GetTagPage::PATH, &[("tag", TAG), ("page", "1")]),
        Endpoint::get(GetSiteInfo::PATH, &[]),
        Endpoint::get(
            GetComments::PATH,
            &[("slug", SLUG), ("sort", "newest"), ("page", "1")],
        ),
        Endpoint::get(GetCommentThread::PATH, &[("slug", SLUG), ("id", "1")]),
        Endpoint::post(
            PostComment::PATH,
            &[("slug", SLUG), ("body", "hello"), ("parent", "1")],
        ),
        Endpoint::post(EditComment::PATH, &[("id", "1"), ("body", "edited")]),
        Endpoint::post(DeleteComment::PATH, &[("id", "1")]),
        Endpoint::post(PreviewComment::PATH, &[("body", "*hi*")]),
        Endpoint::post(SetLike::PATH, &[("slug", SLUG), ("liked", "true")]),
        Endpoint::post(RateArticle::PATH, &[("slug", SLUG), ("stars", "4")]),
        Endpoint::post(RemoveRating::PATH, &[("slug", SLUG)]),
        Endpoint::post(
            SetFollow::PATH,
            &[("handle", AUTHOR), ("following", "true"), ("back", "/")],
        ),
        Endpoint::post(GetCurrentUser::PATH, &[]),
        Endpoint::post(
            SignUp::PATH,
            &[
                ("name", "Eve"),
                ("email", "eve@example.com"),
                ("password", "correct horse"),
                ("next", "/"),
            ],
        ),
        Endpoint::post(
            SignIn::PATH,
            &[
                ("email", "eve@example.com"),
                ("password", "wrong password"),
                ("next", "/"),
            ],
        ),
        // Last: it ends the session the other calls use.
        Endpoint::post(SignOut::PATH, &[]),
        Endpoint::get(SearchArticles::PATH, &[("q", "cache"), ("page", "1")]),
        Endpoint::get(SuggestTitles::PATH, &[("q", "cache")]),
        Endpoint::post(SetSaved::PATH, &[("slug", SLUG), ("saved", "true")]),
        Endpoint::get(GetSavedPage::PATH, &[("page", "1")]),
        Endpoint::post(
            SetDiscussionFollow::PATH,
            &[("slug", SLUG), ("mode", "following")],
        ),
        Endpoint::get(GetNotifications::PATH, &[("page", "1")]),
        Endpoint::get(UnreadCount::PATH, &[]),
        Endpoint::post(MarkAllRead::PATH, &[("through", "1")]),
    ]
}

/// Every server function with each field hostile in turn, bodies in every wrong shape, and
/// the wrong method.
fn server_fn_probes() -> Vec<Probe> {
    let mut probes = Vec::new();
    let over_limit = vec![b'y'; LIMIT + 1_000];
    for endpoint in endpoints() {
        let valid: Vec<(&str, &[u8])> = endpoint
            .fields
            .iter()
            .map(|(k, v)| (*k, v.as_bytes()))
            .collect();
        let call = |pairs: &[(&str, &[u8])]| {
            if endpoint.get {
                let query = String::from_utf8(form(pairs)).expect("ASCII");
                Probe::get(format!("{}?{query}", endpoint.path)).accept("application/json")
            } else {
                Probe::form(endpoint.path, pairs)
            }
        };
        // One field hostile at a time: every text payload in text fields; in number and
        // yes/no fields the wrong numbers, wrong types and a few payloads.
        for (i, (field, example)) in endpoint.fields.iter().enumerate() {
            let typed = example.parse::<i64>().is_ok() || *example == "true";
            let mut values: Vec<Vec<u8>> = if typed {
                HOSTILE_NUMBERS
                    .iter()
                    .chain(&[SCRIPT, SQL, "yes", "null"])
                    .map(|n| n.as_bytes().to_vec())
                    .collect()
            } else {
                HOSTILE_TEXT.iter().map(|t| t.as_bytes().to_vec()).collect()
            };
            values.push(b"\xff\xfe\xc3(".to_vec());
            for value in values {
                let mut pairs = valid.clone();
                pairs[i] = (field, &value);
                probes.push(call(&pairs));
            }
            // The field missing, and given twice.
            let missing: Vec<_> = valid
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, p)| *p)
                .collect();
            probes.push(call(&missing));
            let mut twice = valid.clone();
            twice.push((field, b"2"));
            probes.push(call(&twice));
        }
        // Bodies of the wrong shape.
        let path = endpoint.path;
        let mut utf16 = Vec::new();
        for unit in String::from_utf8(form(&valid))
            .expect("ASCII")
            .encode_utf16()
        {
            utf16.extend_from_slice(&unit.to_le_bytes());
        }
        let mut bodies: Vec<Probe> = vec![
            Probe::post(path, "application/x-www-form-urlencoded", ""),
            Probe::post(path, "application/x-www-form-urlencoded", "&&&==&%%%"),
            Probe::post(
                path,
                "application/x-www-form-urlencoded",
                b"slug=\xff\xfe&body=\xc3(&id=\x80".to_vec(),
            ),
            Probe::post(
                path,
                "application/json",
                format!("{{\"slug\":\"{SLUG}\",\"body\":\"{SCRIPT}\",\"id\":1}}"),
            ),
            Probe::post(path, "application/json", "[1,2,"),
            Probe::post(
                path,
                "multipart/form-data; boundary=XyZ",
                "--XyZ\r\nContent-Disposition: form-data; name=\"body\"\r\n\r\nx\r\n--XyZ--\r\n",
            ),
            Probe::post(
                path,
                "application/x-www-form-urlencoded; charset=utf-16",
                utf16,
            ),
            Probe::post(path, "text/plain", SQL),
            Probe::post(path, "", form(&valid)),
            Probe::post(
                path,
                "application/x-www-form-urlencoded",
                over_limit.clone(),
            ),
            Probe::post(
                path,
                "application/x-www-form-urlencoded",
                over_limit.clone(),
            )
            .chunked(),
            Probe::post(path, "application/x-www-form-urlencoded", form(&valid)).chunked(),
            Probe::form(path, &valid).accept("text/html"),
        ];
        if endpoint.get {
            bodies.push(
                Probe::get(format!("{path}?{}", "x=1&".repeat(2_000))).accept("application/json"),
            );
        } else {
            bodies.push(Probe::get(path).accept("application/json"));
        }
        probes.extend(bodies);
    }
    probes
}

/// An element of a parsed page.
struct PageElement {
    tag: String,
    attrs: Vec<(String, String)>,
    /// Its own text children, joined.
    text: String,
}

/// Every element of `html` parsed as a browser would, and the text a reader sees (the
/// contents of scripts, styles and templates left out).
fn parse_page(html: &str) -> (Vec<PageElement>, String) {
    use html5ever::tendril::TendrilSink;
    fn walk(node: &Handle, elements: &mut Vec<PageElement>, text: &mut String) {
        match &node.data {
            NodeData::Element { name, attrs, .. } => {
                let mut own = String::new();
                for child in node.children.borrow().iter() {
                    if let NodeData::Text { contents } = &child.data {
                        own.push_str(&contents.borrow());
                    }
                }
                elements.push(PageElement {
                    tag: name.local.to_string(),
                    attrs: attrs
                        .borrow()
                        .iter()
                        .map(|a| (a.name.local.to_string(), a.value.to_string()))
                        .collect(),
                    text: own,
                });
                if matches!(&*name.local, "script" | "style" | "template") {
                    return;
                }
            }
            NodeData::Text { contents } => text.push_str(&contents.borrow()),
            _ => {}
        }
        for child in node.children.borrow().iter() {
            walk(child, elements, text);
        }
    }
    let dom = html5ever::parse_document(RcDom::default(), Default::default()).one(html);
    let mut elements = Vec::new();
    let mut text = String::new();
    walk(&dom.document, &mut elements, &mut text);
    (elements, text)
}

/// Posts the payloads as a signed-in reader whose name is itself hostile, and checks the
/// article page shows every one of them as text and none as markup.
async fn stored_payloads_are_shown_as_text(app: &axum::Router, db: &common::TestDb) {
    let name = format!("{IMG} {SQL}");
    let (user, token) = common::signed_in_as(db, "eve@example.com", &name).await;
    for payload in [SCRIPT, SQL, IMG] {
        let reply = common::call_form(
            app,
            PostComment::PATH,
            &[("slug", SLUG), ("body", payload)],
            Some(&token),
        )
        .await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "posting {payload:?}: {}",
            reply.body
        );
    }
    for cookie in [None, Some(format!("besthub_session={token}"))] {
        let mut request = Request::get(format!("/articles/{SLUG}"));
        if let Some(cookie) = &cookie {
            request = request.header(header::COOKIE, cookie);
        }
        let page = common::send(app, request.body(Body::empty()).expect("request")).await;
        assert_eq!(page.status, StatusCode::OK);
        let (elements, text) = parse_page(&page.body);
        for payload in [SCRIPT, SQL, IMG, name.as_str()] {
            assert!(
                text.contains(payload),
                "{payload:?} is not on the page as text"
            );
        }
        assert!(page.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        for element in &elements {
            let tag = &element.tag;
            // (The hydration data holds the payloads inside its own scripts, as JSON.)
            assert!(
                !(tag == "script" && element.text.trim() == "alert(1)"),
                "a live script: {}",
                element.text
            );
            for (attr, value) in &element.attrs {
                let live = attr.starts_with("on") || (tag == "img" && value == "x");
                assert!(!live, "a live <{tag} {attr}={value:?}>");
            }
        }
    }
    // The SQL stayed data.
    let comments: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM comments WHERE user_id = $1")
        .bind(user)
        .fetch_one(&db.pool)
        .await
        .expect("the comments table is still there");
    assert!(comments >= 3, "{comments}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_requests_never_get_a_5xx_or_hang() {
    let (app, db) = common::test_app(&format!(
        "body_limit_bytes = {LIMIT}\ncomments_per_minute = 1000\nsignups_per_hour = 1000"
    ))
    .await;
    stored_payloads_are_shown_as_text(&app, &db).await;

    let (_, session) = common::signed_in_reader(&db, "ada@example.com").await;
    let cookies = cookies(&session);
    // Pages meet every cookie in turn: anonymous, signed-in and garbage sessions.
    let mut probes = page_probes();
    for (i, probe) in probes.iter_mut().enumerate() {
        probe.cookie.clone_from(&cookies[i % cookies.len()]);
    }
    // Server functions mostly check the session first: every other call is signed in, so
    // the hostile values reach validation and storage (sign-out comes last).
    let mut calls = server_fn_probes();
    for (i, probe) in calls.iter_mut().enumerate() {
        let cookie = if i % 2 == 0 {
            1
        } else {
            (i / 2) % cookies.len()
        };
        probe.cookie.clone_from(&cookies[cookie]);
    }
    probes.extend(calls);
    let started = std::time::Instant::now();
    let mut failures = Vec::new();
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    let mut slowest = (Duration::ZERO, String::new());
    for probe in &probes {
        let sent = std::time::Instant::now();
        let result = fire(&app, probe).await;
        if sent.elapsed() > slowest.0 {
            slowest = (sent.elapsed(), probe.describe());
        }
        match result {
            Ok(answer) => {
                *statuses.entry(answer.status.as_u16()).or_default() += 1;
                if probe.uri.starts_with("/pkg/")
                    && (answer.body.contains("[package]") || answer.body.contains("root:x:0"))
                {
                    failures.push(format!(
                        "{}\n  -> a file outside /pkg/ was served",
                        probe.describe()
                    ));
                }
            }
            Err(why) => failures.push(format!("{}\n  -> {why}", probe.describe())),
        }
    }
    println!(
        "{} hostile requests in {:.1?}, {} failed; answers by status: {statuses:?}; slowest {:.1?}: {}",
        probes.len(),
        started.elapsed(),
        failures.len(),
        slowest.0,
        slowest.1
    );
    assert!(
        probes.len() >= 300,
        "only {} hostile requests",
        probes.len()
    );

    let (status, body) = {
        let reply = common::send(
            &app,
            Request::get("/healthz")
                .body(Body::empty())
                .expect("request"),
        )
        .await;
        (reply.status, reply.body)
    };
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, "ok"),
        "/healthz after the storm"
    );
    assert!(
        failures.is_empty(),
        "{} of {} hostile requests failed:\n{}",
        failures.len(),
        probes.len(),
        failures.join("\n")
    );

    // The check above can fail: a server error is reported as one.
    db.pool.close().await;
    let down = fire(&app, &Probe::get("/healthz")).await.err();
    assert!(
        down.as_deref().is_some_and(|why| why.starts_with("503")),
        "{down:?}"
    );
    db.close().await;
}
