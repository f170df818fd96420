//! Moderation and takedowns (issue 14) over HTTP against the real server binary, on SQLite
//! and on PostgreSQL (`BESTHUB_TEST_PG_URL`): who may use the admin endpoints and pages, what
//! a suspension refuses and how it ends, reports and their limits, held comments, hiding and
//! restoring, and takedown requests through to a 410 and back.
//!
//! Every test starts `besthub serve` on a fresh database (the demo content is imported at
//! start), with the configuration it needs in `BESTHUB_*` variables, signs its readers up
//! over HTTP and makes its admin with `besthub user grant-admin`. The database is read
//! directly to check what a request changed, or that a refused one changed nothing.
#![cfg(feature = "ssr")]

mod common;

use std::path::PathBuf;
use std::process::Command;

use besthub::error::AppError;
use common::server::{HttpReply, ServerProcess};
use common::TestDb;
use serde_json::Value;

/// The article the discussions happen under.
const SLUG: &str = "sqlite-wal-in-production";
/// An article to take down (by Selma Arvidsson, tagged "performance" among others).
const TAKEDOWN_SLUG: &str = "taming-cache-stampedes";
/// Another article, for a second takedown request.
const OTHER_SLUG: &str = "web-font-loading-costs";
/// Every test account's password.
const PASSWORD: &str = "correct horse battery staple";
/// A day in ms.
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// Runs the test body `$name` (an `async fn(&Site)`) against a server on SQLite and, when
/// `BESTHUB_TEST_PG_URL` names a server, on PostgreSQL, with the extra variables `$env`.
macro_rules! on_both_backends {
    ($name:ident, $env:expr) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let site = super::Site::start(super::common::sqlite().await, $env).await;
                super::$name(&site).await;
                site.stop().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(db) = super::common::postgres().await else {
                    eprintln!("BESTHUB_TEST_PG_URL is not set: PostgreSQL half not run here");
                    return;
                };
                let site = super::Site::start(db, $env).await;
                super::$name(&site).await;
                site.stop().await;
            }
        }
    };
}

/// A running server on its own database.
struct Site {
    // Declared first so it is dropped (killed) before the database goes.
    server: ServerProcess,
    db: TestDb,
}

/// An account signed up over HTTP.
#[derive(Clone)]
struct Account {
    id: i64,
    email: String,
    /// The session cookie from signing up.
    token: String,
}

impl Account {
    fn session(&self) -> Option<&str> {
        Some(&self.token)
    }
}

/// What the moderation endpoints can change, read straight from the database.
#[derive(Debug, PartialEq, Eq)]
struct Snapshot {
    log_entries: i64,
    comments: Vec<(i64, Option<i64>, Option<i64>)>,
    reports: Vec<(i64, i64, Option<i64>)>,
    held: Vec<i64>,
    users: Vec<(i64, String, Option<i64>)>,
    takedowns: Vec<(i64, String)>,
    removed_articles: Vec<String>,
    likes: i64,
    ratings: i64,
    follows: i64,
}

impl Site {
    async fn start(db: TestDb, env: &[(&str, &str)]) -> Self {
        let server = ServerProcess::start(&db.url, env).await;
        Self { server, db }
    }

    async fn stop(self) {
        let Self { server, db } = self;
        drop(server);
        db.close().await;
    }

    fn fail(&self, what: &str, err: std::io::Error) -> ! {
        panic!("{what}: {err}\n{}", self.server.log_tail(40))
    }

    /// Calls server function `function` with a same-origin form POST asking for JSON.
    async fn call(
        &self,
        session: Option<&str>,
        function: &str,
        form: &[(&str, &str)],
    ) -> HttpReply {
        let mut client = self.server.client();
        if let Some(token) = session {
            client = client.with_session(token);
        }
        client
            .call(&format!("/api/{function}"), form)
            .await
            .unwrap_or_else(|err| self.fail(function, err))
    }

    /// [`Site::call`] with owned form values.
    async fn call_owned(
        &self,
        session: Option<&str>,
        function: &str,
        form: &[(String, String)],
    ) -> HttpReply {
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        self.call(session, function, &pairs).await
    }

    /// A read-only (GET) server function, `query` already in the path.
    async fn read(&self, session: Option<&str>, path: &str) -> HttpReply {
        let mut client = self.server.client();
        if let Some(token) = session {
            client = client.with_session(token);
        }
        client
            .request("GET", path, &[("Accept", "application/json")], None)
            .await
            .unwrap_or_else(|err| self.fail(path, err))
    }

    /// A page as a browser asks for it.
    async fn page(&self, session: Option<&str>, path: &str) -> HttpReply {
        let mut client = self.server.client();
        if let Some(token) = session {
            client = client.with_session(token);
        }
        client
            .request("GET", path, &[("Accept", "text/html")], None)
            .await
            .unwrap_or_else(|err| self.fail(path, err))
    }

    /// Signs up over HTTP and keeps the session cookie.
    async fn sign_up(&self, name: &str, email: &str) -> Account {
        let reply = self
            .call(
                None,
                "sign_up",
                &[("name", name), ("email", email), ("password", PASSWORD)],
            )
            .await;
        assert!(reply.status < 400, "sign up {email}: {}", reply.text());
        let token = reply
            .cookie("besthub_session")
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| panic!("sign up {email} set no session cookie"));
        let id = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
            .bind(email)
            .fetch_one(&self.db.pool)
            .await
            .expect("the new account");
        Account {
            id,
            email: email.to_owned(),
            token,
        }
    }

    /// Signs in over HTTP.
    async fn sign_in(&self, email: &str) -> HttpReply {
        self.call(None, "sign_in", &[("email", email), ("password", PASSWORD)])
            .await
    }

    /// Makes an existing account an admin the way operators do: `besthub user grant-admin`.
    fn grant_admin(&self, email: &str) {
        let binary = std::env::var_os("BESTHUB_SERVER_BIN").map_or_else(
            || PathBuf::from(env!("CARGO_BIN_EXE_besthub")),
            PathBuf::from,
        );
        let output = Command::new(binary)
            .args(["user", "grant-admin", email])
            .env(
                "BESTHUB_CONFIG",
                concat!(env!("CARGO_MANIFEST_DIR"), "/Leptos.toml"),
            )
            .env("BESTHUB_DATABASE_URL", &self.db.url)
            .output()
            .expect("besthub user grant-admin runs");
        assert!(
            output.status.success(),
            "grant-admin {email}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// An admin account, signed in.
    async fn admin(&self) -> Account {
        let admin = self.sign_up("Ada Admin", "admin@example.com").await;
        self.grant_admin(&admin.email);
        let who = self
            .read(admin.session(), "/api/get_current_user")
            .await
            .text();
        assert!(who.contains("\"Admin\""), "granted, not an admin: {who}");
        admin
    }

    /// Posts `body` on `slug` (a reply to `parent` when given) and returns the JSON answer.
    async fn post_comment(
        &self,
        who: &Account,
        slug: &str,
        body: &str,
        parent: Option<i64>,
    ) -> Value {
        let parent = parent.map(|p| p.to_string());
        let mut form = vec![("slug", slug), ("body", body)];
        if let Some(parent) = parent.as_deref() {
            form.push(("parent", parent));
        }
        let reply = self.call(who.session(), "post_comment", &form).await;
        assert_eq!(reply.status, 200, "post_comment {body:?}: {}", reply.text());
        json(&reply)
    }

    /// Posts a comment that must be published at once; returns its id.
    async fn comment(&self, who: &Account, body: &str) -> i64 {
        self.reply(who, body, None).await
    }

    /// [`Site::comment`] as a reply to `parent`.
    async fn reply(&self, who: &Account, body: &str, parent: Option<i64>) -> i64 {
        let posted = self.post_comment(who, SLUG, body, parent).await;
        assert!(!is_held(&posted), "held: {posted}");
        posted["comment"]["id"]
            .as_i64()
            .unwrap_or_else(|| panic!("no comment id in {posted}"))
    }

    /// Posts a comment that must be held for review; returns its held id.
    async fn held_comment(&self, who: &Account, body: &str) -> i64 {
        let posted = self.post_comment(who, SLUG, body, None).await;
        assert!(is_held(&posted), "not held: {posted}");
        self.held_id(who.id, body).await
    }

    /// The id of `user`'s held comment whose text is `body`.
    async fn held_id(&self, user: i64, body: &str) -> i64 {
        sqlx::query_scalar("SELECT id FROM held_comments WHERE user_id = $1 AND body_markdown = $2")
            .bind(user)
            .bind(body)
            .fetch_one(&self.db.pool)
            .await
            .expect("the held comment is stored")
    }

    /// The discussion of `slug` as JSON, as `session` reads it.
    async fn comments_of(&self, session: Option<&str>, slug: &str) -> (HttpReply, Value) {
        let reply = self
            .read(
                session,
                &format!("/api/get_comments?{}", query(&[("slug", slug)])),
            )
            .await;
        assert_eq!(reply.status, 200, "get_comments: {}", reply.text());
        let value = json(&reply);
        (reply, value)
    }

    /// When `user`'s suspension ends (ms), if they have one.
    async fn suspended_until(&self, user: i64) -> Option<i64> {
        sqlx::query_scalar("SELECT suspended_until FROM users WHERE id = $1")
            .bind(user)
            .fetch_one(&self.db.pool)
            .await
            .expect("user")
    }

    /// Suspends the author of `comment` for `duration` as `admin`.
    async fn suspend(&self, admin: &Account, comment: i64, duration: &str) {
        let id = comment.to_string();
        let reply = self
            .call(
                admin.session(),
                "suspend_author",
                &[
                    ("id", &id),
                    ("duration", duration),
                    ("reason", "Repeated abuse"),
                ],
            )
            .await;
        assert_eq!(reply.status, 200, "suspend_author: {}", reply.text());
    }

    /// Sends a takedown request for `slug`; returns (token, reference).
    async fn request_takedown(&self, slug: &str) -> (String, String) {
        let reply = self
            .call(
                None,
                "request_takedown",
                &[
                    ("slug", slug),
                    ("name", "Rhea Holder"),
                    ("email", "rights@example.com"),
                    ("relationship", "I wrote the original article"),
                    (
                        "claim",
                        "The whole text is copied from my blog without permission",
                    ),
                ],
            )
            .await;
        assert_eq!(reply.status, 200, "request_takedown: {}", reply.text());
        let value = json(&reply);
        let token = value["token"]
            .as_str()
            .unwrap_or_else(|| panic!("no token in {value}"))
            .to_owned();
        let reference = value["reference"]
            .as_str()
            .unwrap_or_else(|| panic!("no reference in {value}"))
            .to_owned();
        assert!(token.len() >= 16, "a guessable token: {token:?}");
        assert!(
            reference.len() == 8
                && reference.starts_with("TD-")
                && reference[3..].chars().all(|c| c.is_ascii_digit()),
            "reference {reference:?} is not TD-NNNNN"
        );
        (token, reference)
    }

    /// `decide_takedown` as `session`.
    async fn decide(
        &self,
        session: Option<&str>,
        token: &str,
        action: &str,
        reason: &str,
    ) -> HttpReply {
        self.call(
            session,
            "decide_takedown",
            &[("token", token), ("action", action), ("reason", reason)],
        )
        .await
    }

    async fn takedown_status(&self, token: &str) -> String {
        sqlx::query_scalar("SELECT status FROM takedowns WHERE token = $1")
            .bind(token)
            .fetch_one(&self.db.pool)
            .await
            .expect("takedown")
    }

    async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
            .fetch_one(&self.db.pool)
            .await
            .unwrap_or_else(|err| panic!("{sql}: {err}"))
    }

    async fn snapshot(&self) -> Snapshot {
        let pool = &self.db.pool;
        Snapshot {
            log_entries: self.count("SELECT COUNT(*) FROM moderation_log").await,
            comments: sqlx::query_as("SELECT id, hidden_at, deleted_at FROM comments ORDER BY id")
                .fetch_all(pool)
                .await
                .expect("comments"),
            reports: sqlx::query_as(
                "SELECT comment_id, reporter_id, resolved_at FROM reports ORDER BY id",
            )
            .fetch_all(pool)
            .await
            .expect("reports"),
            held: sqlx::query_scalar("SELECT id FROM held_comments ORDER BY id")
                .fetch_all(pool)
                .await
                .expect("held"),
            users: sqlx::query_as("SELECT id, role, suspended_until FROM users ORDER BY id")
                .fetch_all(pool)
                .await
                .expect("users"),
            takedowns: sqlx::query_as("SELECT id, status FROM takedowns ORDER BY id")
                .fetch_all(pool)
                .await
                .expect("takedowns"),
            removed_articles: sqlx::query_scalar(
                "SELECT slug FROM articles WHERE removed_at IS NOT NULL ORDER BY slug",
            )
            .fetch_all(pool)
            .await
            .expect("articles"),
            likes: self.count("SELECT COUNT(*) FROM likes").await,
            ratings: self.count("SELECT COUNT(*) FROM ratings").await,
            follows: self.count("SELECT COUNT(*) FROM follows").await,
        }
    }
}

/// `pairs` as a query string.
fn query(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// The `<main>` element of a page (the rest holds per-response nonces).
fn main_of(html: &str) -> &str {
    let start = html
        .find("<main")
        .unwrap_or_else(|| panic!("no <main> in {html}"));
    let end = html[start..]
        .find("</main>")
        .map_or(html.len(), |end| start + end);
    &html[start..end]
}

/// Whether a `post_comment` answer says the comment waits for a moderator (`held: true`, on
/// the answer or on its comment).
fn is_held(posted: &Value) -> bool {
    posted["held"] == Value::Bool(true) || posted["comment"]["held"] == Value::Bool(true)
}

fn json(reply: &HttpReply) -> Value {
    reply
        .json()
        .unwrap_or_else(|err| panic!("not JSON ({err}): {}", reply.text()))
}

/// The app's error in an answer, when it is one.
fn app_error(reply: &HttpReply) -> Option<AppError> {
    reply.json::<AppError>().ok()
}

/// What a reader is told: the error's text (as the page shows it), else the body.
fn told(reply: &HttpReply) -> String {
    app_error(reply).map_or_else(|| reply.text(), |err| err.to_string())
}

/// The validation message for `field` in a 422 answer.
fn field_message(reply: &HttpReply, field: &str) -> Option<String> {
    app_error(reply).and_then(|err| err.field_message(field))
}

/// The suspension message for a suspension until `until` ("D Mon YYYY, HH:MM UTC").
fn suspended_text(until: i64) -> String {
    if until == i64::MAX {
        return "Your account is suspended".to_owned();
    }
    let at = chrono::DateTime::from_timestamp_millis(until).expect("a time");
    format!(
        "Your account is suspended until {}",
        at.format("%-d %b %Y, %H:%M UTC")
    )
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// A comment with `n` Markdown links and the marker text `marker`.
fn with_links(n: usize, marker: &str) -> String {
    let links: Vec<String> = (1..=n)
        .map(|i| format!("[link{i}](https://example.com/{marker}/{i})"))
        .collect();
    format!("{marker} {}", links.join(" "))
}

/// Asserts that `reply` is the 403 of a suspended reader with `message`.
fn assert_suspended(reply: &HttpReply, message: &str, what: &str) {
    assert_eq!(reply.status, 403, "{what}: {}", reply.text());
    assert_eq!(told(reply), message, "{what}: {}", reply.text());
}

/// A takedown's state as `get_takedown` tells it.
async fn takedown_json(site: &Site, token: &str) -> HttpReply {
    site.read(
        None,
        &format!("/api/get_takedown?{}", query(&[("token", token)])),
    )
    .await
}

// ---------------------------------------------------------------------------------------
// 1. Who may do what
// ---------------------------------------------------------------------------------------

on_both_backends!(
    admin_endpoints_and_pages_are_404_to_everyone_but_admins,
    &[]
);

async fn admin_endpoints_and_pages_are_404_to_everyone_but_admins(site: &Site) {
    let admin = site.admin().await;
    let reader = site.sign_up("Rita Reader", "reader@example.com").await;
    let writer = site.sign_up("Walt Writer", "writer@example.com").await;
    let troll = site.sign_up("Tom Troll", "troll@example.com").await;

    let target = site.comment(&writer, "Matrix target words").await;
    let held_a = site
        .held_comment(&writer, &with_links(4, "HeldApproveMarker"))
        .await;
    let held_b = site
        .held_comment(&writer, &with_links(4, "HeldRejectMarker"))
        .await;
    let troll_comment = site.comment(&troll, "Troll words").await;
    let reported = site
        .call(
            reader.session(),
            "report_comment",
            &[
                ("id", &target.to_string()),
                ("reason", "spam"),
                ("note", "Looks automated"),
            ],
        )
        .await;
    assert_eq!(reported.status, 200, "report: {}", reported.text());
    site.suspend(&admin, troll_comment, "1").await;
    let (first_token, first_reference) = site.request_takedown(TAKEDOWN_SLUG).await;
    let (second_token, _) = site.request_takedown(OTHER_SLUG).await;

    let s = |v: &str| v.to_owned();
    let id = |v: i64| v.to_string();
    let mut writes: Vec<(&str, Vec<(String, String)>)> = Vec::new();
    for action in ["dismiss", "hide", "restore"] {
        writes.push((
            "moderate_comment",
            vec![
                (s("id"), id(target)),
                (s("action"), s(action)),
                (s("reason"), s("Because")),
            ],
        ));
    }
    for duration in ["1", "7", "30", "permanent"] {
        writes.push((
            "suspend_author",
            vec![
                (s("id"), id(target)),
                (s("duration"), s(duration)),
                (s("reason"), s("Because")),
            ],
        ));
    }
    for (held, action) in [(held_a, "approve"), (held_b, "reject")] {
        writes.push((
            "review_held",
            vec![
                (s("id"), id(held)),
                (s("action"), s(action)),
                (s("reason"), s("Because")),
            ],
        ));
    }
    for action in ["review", "unpublish", "decline", "republish"] {
        writes.push((
            "decide_takedown",
            vec![
                (s("token"), first_token.clone()),
                (s("action"), s(action)),
                (s("reason"), s("Because")),
            ],
        ));
    }
    let reads = ["/api/moderation_queue", "/api/admin_takedowns"];
    let pages = ["/admin/moderation", "/admin/takedowns"];

    let before = site.snapshot().await;
    let log_before = site.page(None, "/moderation").await;
    assert_eq!(log_before.status, 200, "{}", log_before.text());
    for (who, session) in [
        ("anonymous", None),
        ("reader", reader.session()),
        ("suspended reader", troll.session()),
    ] {
        for (function, form) in &writes {
            let reply = site.call_owned(session, function, form).await;
            assert_eq!(
                reply.status,
                404,
                "{who} {function} {form:?}: {}",
                reply.text()
            );
        }
        for path in reads {
            let reply = site.read(session, path).await;
            assert_eq!(reply.status, 404, "{who} GET {path}: {}", reply.text());
            let body = reply.text();
            assert!(
                !body.contains("Matrix target words") && !body.contains(&first_reference),
                "{who} GET {path} leaked: {body}"
            );
        }
        for path in pages {
            let reply = site.page(session, path).await;
            assert_eq!(reply.status, 404, "{who} page {path}");
            let body = reply.text();
            assert!(
                !body.contains("<h1>Moderation queue</h1>")
                    && !body.contains("<h1>Takedown requests</h1>")
                    && !body.contains("queue-item"),
                "{who} page {path} shows the admin page: {body}"
            );
        }
    }
    assert_eq!(
        site.snapshot().await,
        before,
        "a refused admin request changed something"
    );
    assert_eq!(
        main_of(&site.page(None, "/moderation").await.text()),
        main_of(&log_before.text()),
        "the public moderation log changed"
    );

    // The admin: everything answers, and does what it says.
    let queue = site.read(admin.session(), "/api/moderation_queue").await;
    assert_eq!(queue.status, 200, "{}", queue.text());
    assert!(
        queue.text().contains("Matrix target words"),
        "the reported comment is queued: {}",
        queue.text()
    );
    assert!(
        queue.text().contains("HeldApproveMarker"),
        "the held comment is queued: {}",
        queue.text()
    );
    let page = site.page(admin.session(), "/admin/moderation").await;
    assert_eq!(page.status, 200);
    assert!(
        page.text().contains("<h1>Moderation queue</h1>"),
        "{}",
        page.text()
    );
    assert!(page.text().contains("queue-item"), "{}", page.text());
    assert!(page.text().contains("Matrix target words"));
    let page = site.page(admin.session(), "/admin/takedowns").await;
    assert_eq!(page.status, 200);
    assert!(
        page.text().contains("<h1>Takedown requests</h1>"),
        "{}",
        page.text()
    );
    assert!(page.text().contains(&first_reference), "{}", page.text());
    let takedowns = site.read(admin.session(), "/api/admin_takedowns").await;
    assert_eq!(takedowns.status, 200, "{}", takedowns.text());
    assert!(takedowns.text().contains(&first_reference));

    // Every moderator action needs a reason.
    for (function, form) in &writes {
        for blank in ["", "   "] {
            let form: Vec<(String, String)> = form
                .iter()
                .map(|(k, v)| {
                    let v = if k == "reason" {
                        blank.to_owned()
                    } else {
                        v.clone()
                    };
                    (k.clone(), v)
                })
                .collect();
            let reply = site.call_owned(admin.session(), function, &form).await;
            assert_eq!(reply.status, 422, "{function} {form:?}: {}", reply.text());
            assert_eq!(
                field_message(&reply, "reason").as_deref(),
                Some("Give a reason for this action"),
                "{function} {form:?}: {}",
                reply.text()
            );
        }
    }
    assert_eq!(
        site.snapshot().await,
        before,
        "a refused action changed something"
    );

    let act = |function: &'static str, pairs: Vec<(String, String)>| {
        let admin = admin.clone();
        async move {
            let reply = site.call_owned(admin.session(), function, &pairs).await;
            assert_eq!(
                reply.status,
                200,
                "admin {function} {pairs:?}: {}",
                reply.text()
            );
        }
    };
    let moderate = |action: &str| {
        vec![
            (s("id"), id(target)),
            (s("action"), s(action)),
            (s("reason"), format!("Reason to {action}")),
        ]
    };
    act("moderate_comment", moderate("dismiss")).await;
    assert_eq!(
        site.count(&format!(
            "SELECT COUNT(*) FROM reports WHERE comment_id = {target} AND resolved_at IS NULL"
        ))
        .await,
        0,
        "dismissed reports are resolved"
    );
    act("moderate_comment", moderate("hide")).await;
    assert_eq!(
        site.count(&format!(
            "SELECT COUNT(*) FROM comments WHERE id = {target} AND hidden_at IS NOT NULL"
        ))
        .await,
        1
    );
    act("moderate_comment", moderate("restore")).await;
    assert_eq!(
        site.count(&format!(
            "SELECT COUNT(*) FROM comments WHERE id = {target} AND hidden_at IS NOT NULL"
        ))
        .await,
        0
    );
    act(
        "review_held",
        vec![
            (s("id"), id(held_a)),
            (s("action"), s("approve")),
            (s("reason"), s("Links are fine")),
        ],
    )
    .await;
    act(
        "review_held",
        vec![
            (s("id"), id(held_b)),
            (s("action"), s("reject")),
            (s("reason"), s("Link farm")),
        ],
    )
    .await;
    assert_eq!(site.count("SELECT COUNT(*) FROM held_comments").await, 0);
    let (_, shown) = site.comments_of(None, SLUG).await;
    assert!(shown.to_string().contains("HeldApproveMarker"), "{shown}");
    assert!(!shown.to_string().contains("HeldRejectMarker"), "{shown}");

    let started = now_ms();
    act(
        "suspend_author",
        vec![
            (s("id"), id(target)),
            (s("duration"), s("7")),
            (s("reason"), s("Spam run")),
        ],
    )
    .await;
    let until = site
        .suspended_until(writer.id)
        .await
        .expect("the author is suspended");
    assert!(
        (started + 7 * DAY_MS - 60_000..=now_ms() + 7 * DAY_MS + 60_000).contains(&until),
        "7 days from now, not {until}"
    );

    let decide = |token: &str, action: &str| {
        vec![
            (s("token"), s(token)),
            (s("action"), s(action)),
            (s("reason"), format!("Takedown {action}")),
        ]
    };
    act("decide_takedown", decide(&first_token, "review")).await;
    assert_eq!(site.takedown_status(&first_token).await, "reviewing");
    act("decide_takedown", decide(&first_token, "unpublish")).await;
    assert_eq!(site.takedown_status(&first_token).await, "removed");
    assert_eq!(
        site.snapshot().await.removed_articles,
        vec![TAKEDOWN_SLUG.to_owned()]
    );
    act("decide_takedown", decide(&first_token, "republish")).await;
    assert!(site.snapshot().await.removed_articles.is_empty());
    act("decide_takedown", decide(&second_token, "decline")).await;
    assert_eq!(site.takedown_status(&second_token).await, "declined");

    // Every action is in the public log, with its reason.
    let log = site.page(None, "/moderation").await;
    assert_eq!(log.status, 200);
    let log = log.text();
    for entry in [
        "Suspended a reader for 1 day",
        "Dismissed reports",
        "Hid a comment",
        "Restored a comment",
        "Approved a held comment",
        "Rejected a held comment",
        "Suspended a reader for 7 days",
        "Started reviewing a takedown request",
        "Unpublished an article",
        "Republished an article",
        "Declined a takedown request",
        "Reason: Reason to hide",
        "Reason: Spam run",
        "Reason: Takedown unpublish",
        "by a moderator",
        "<time",
    ] {
        assert!(log.contains(entry), "{entry:?} missing from the log: {log}");
    }
    assert_eq!(
        site.snapshot().await.log_entries,
        before.log_entries + 10,
        "one log entry an action"
    );
}

on_both_backends!(reader_writes_need_a_live_unsuspended_account, &[]);

async fn reader_writes_need_a_live_unsuspended_account(site: &Site) {
    let admin = site.admin().await;
    let reader = site.sign_up("Rita Reader", "reader@example.com").await;
    let writer = site.sign_up("Walt Writer", "writer@example.com").await;
    let troll = site.sign_up("Tom Troll", "troll@example.com").await;
    let target = site.comment(&writer, "Reportable words").await;
    let troll_comment = site.comment(&troll, "Troll words").await;
    site.suspend(&admin, troll_comment, "1").await;
    let until = site
        .suspended_until(troll.id)
        .await
        .expect("the troll is suspended");
    let message = suspended_text(until);

    let target_id = target.to_string();
    let writes: [(&str, Vec<(&str, &str)>); 3] = [
        (
            "report_comment",
            vec![("id", &target_id), ("reason", "harassment")],
        ),
        (
            "post_comment",
            vec![("slug", SLUG), ("body", "Refused words")],
        ),
        ("set_like", vec![("slug", SLUG), ("liked", "true")]),
    ];
    let before = site.snapshot().await;
    for (function, form) in &writes {
        let reply = site.call(None, function, form).await;
        assert_eq!(reply.status, 401, "anonymous {function}: {}", reply.text());
        let reply = site.call(troll.session(), function, form).await;
        assert_suspended(&reply, &message, &format!("suspended {function}"));
    }
    // Any write: rating and following too.
    for (function, form) in [
        ("rate_article", vec![("slug", SLUG), ("stars", "4")]),
        (
            "set_follow",
            vec![("handle", "selma-arvidsson"), ("following", "true")],
        ),
    ] {
        let reply = site.call(troll.session(), function, &form).await;
        assert_suspended(&reply, &message, &format!("suspended {function}"));
    }
    assert_eq!(
        site.snapshot().await,
        before,
        "a refused write changed something"
    );

    // The reader's writes go through.
    let reply = site
        .call(reader.session(), "report_comment", &writes[0].1)
        .await;
    assert_eq!(reply.status, 200, "report: {}", reply.text());
    assert_eq!(reply.text().trim(), "null");
    let reply = site
        .call(reader.session(), "post_comment", &writes[1].1)
        .await;
    assert_eq!(reply.status, 200, "post: {}", reply.text());
    let reply = site.call(reader.session(), "set_like", &writes[2].1).await;
    assert_eq!(reply.status, 200, "like: {}", reply.text());
    let after = site.snapshot().await;
    assert_eq!(after.reports.len(), before.reports.len() + 1);
    assert_eq!(after.comments.len(), before.comments.len() + 1);
    assert_eq!(after.likes, before.likes + 1);
}

// ---------------------------------------------------------------------------------------
// 2. Reports
// ---------------------------------------------------------------------------------------

on_both_backends!(one_report_per_reader_per_comment_never_ones_own, &[]);

async fn one_report_per_reader_per_comment_never_ones_own(site: &Site) {
    let admin = site.admin().await;
    let reader = site.sign_up("Rita Reader", "reader@example.com").await;
    let writer = site.sign_up("Walt Writer", "writer@example.com").await;
    let other = site.sign_up("Olga Other", "other@example.com").await;
    let target = site.comment(&writer, "Reportable words").await.to_string();
    let report = |who: Account, pairs: Vec<(&'static str, String)>| async move {
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        site.call(who.session(), "report_comment", &pairs).await
    };

    let reply = report(
        reader.clone(),
        vec![
            ("id", target.clone()),
            ("reason", "off-topic".into()),
            ("note", "Not about SQLite".into()),
        ],
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.text().trim(), "null");
    let stored: Vec<(String, String)> = sqlx::query_as(
        "SELECT reason, note FROM reports WHERE reporter_id = $1 AND comment_id = $2",
    )
    .bind(reader.id)
    .bind(target.parse::<i64>().expect("id"))
    .fetch_all(&site.db.pool)
    .await
    .expect("reports");
    assert_eq!(
        stored,
        vec![("off-topic".to_owned(), "Not about SQLite".to_owned())]
    );

    let before = site.snapshot().await;
    // Again, with another reason.
    let reply = report(
        reader.clone(),
        vec![("id", target.clone()), ("reason", "spam".into())],
    )
    .await;
    assert_eq!(reply.status, 422, "{}", reply.text());
    assert_eq!(
        field_message(&reply, "form").as_deref(),
        Some("You have already reported this comment"),
        "{}",
        reply.text()
    );
    // One's own comment.
    let reply = report(
        writer.clone(),
        vec![("id", target.clone()), ("reason", "spam".into())],
    )
    .await;
    assert_eq!(reply.status, 422, "{}", reply.text());
    assert_eq!(
        field_message(&reply, "form").as_deref(),
        Some("You cannot report your own comment"),
        "{}",
        reply.text()
    );
    // No reason, an empty one, an unknown one.
    for reason in [None, Some(""), Some("boring"), Some("SPAM")] {
        let mut pairs = vec![("id", target.clone())];
        if let Some(reason) = reason {
            pairs.push(("reason", reason.to_owned()));
        }
        let reply = report(other.clone(), pairs).await;
        assert_eq!(reply.status, 422, "reason {reason:?}: {}", reply.text());
        assert_eq!(
            field_message(&reply, "reason").as_deref(),
            Some("Choose a reason"),
            "reason {reason:?}: {}",
            reply.text()
        );
    }
    // A note over 500 characters.
    let reply = report(
        other.clone(),
        vec![
            ("id", target.clone()),
            ("reason", "other".into()),
            ("note", "n".repeat(501)),
        ],
    )
    .await;
    assert_eq!(reply.status, 422, "{}", reply.text());
    assert!(
        field_message(&reply, "note").is_some(),
        "no message for the note: {}",
        reply.text()
    );
    // Unknown comments.
    for id in ["999999999", "0", "-1"] {
        let reply = report(
            other.clone(),
            vec![("id", id.into()), ("reason", "spam".into())],
        )
        .await;
        assert_eq!(reply.status, 404, "comment {id}: {}", reply.text());
    }
    assert_eq!(site.snapshot().await, before, "a refused report was stored");

    // Deleted and hidden comments cannot be reported either.
    // (Both posted first, so SQLite cannot give a deleted row's id to the next comment; the
    // deleted one keeps a reply, so it stays as a "[deleted]" placeholder.)
    let deleted = site.comment(&writer, "Soon deleted words").await;
    let hidden = site.comment(&writer, "Soon hidden words").await;
    site.reply(&reader, "A reply keeping the placeholder", Some(deleted))
        .await;
    let reply = site
        .call(
            writer.session(),
            "delete_comment",
            &[("id", &deleted.to_string())],
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let reply = site
        .call(
            admin.session(),
            "moderate_comment",
            &[
                ("id", &hidden.to_string()),
                ("action", "hide"),
                ("reason", "Rude"),
            ],
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    for id in [deleted, hidden] {
        let reply = report(
            other.clone(),
            vec![("id", id.to_string()), ("reason", "spam".into())],
        )
        .await;
        assert_eq!(reply.status, 404, "comment {id}: {}", reply.text());
    }
    assert_eq!(
        site.count("SELECT COUNT(*) FROM reports").await,
        1,
        "only the first report is stored"
    );
}

on_both_backends!(
    reports_past_the_hourly_limit_get_429,
    &[("BESTHUB_REPORTS_PER_HOUR", "2")]
);

async fn reports_past_the_hourly_limit_get_429(site: &Site) {
    let reader = site.sign_up("Rita Reader", "reader@example.com").await;
    let writer = site.sign_up("Walt Writer", "writer@example.com").await;
    let mut ids = Vec::new();
    for i in 0..4 {
        ids.push(site.comment(&writer, &format!("Comment number {i}")).await);
    }
    for id in &ids[..2] {
        let reply = site
            .call(
                reader.session(),
                "report_comment",
                &[("id", &id.to_string()), ("reason", "spam")],
            )
            .await;
        assert_eq!(reply.status, 200, "report {id}: {}", reply.text());
    }
    for id in &ids[2..] {
        let reply = site
            .call(
                reader.session(),
                "report_comment",
                &[("id", &id.to_string()), ("reason", "spam")],
            )
            .await;
        assert_eq!(reply.status, 429, "report {id}: {}", reply.text());
    }
    assert_eq!(site.count("SELECT COUNT(*) FROM reports").await, 2);
    // The limit is the reader's own: another reader still reports.
    let other = site.sign_up("Olga Other", "other@example.com").await;
    let reply = site
        .call(
            other.session(),
            "report_comment",
            &[("id", &ids[3].to_string()), ("reason", "spam")],
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
}

// ---------------------------------------------------------------------------------------
// 3. Suspensions
// ---------------------------------------------------------------------------------------

on_both_backends!(a_suspension_refuses_writes_and_sign_in_until_it_ends, &[]);

async fn a_suspension_refuses_writes_and_sign_in_until_it_ends(site: &Site) {
    let admin = site.admin().await;
    let writer = site.sign_up("Walt Writer", "writer@example.com").await;
    let troll = site.sign_up("Tom Troll", "troll@example.com").await;
    let others = site
        .comment(&writer, "Someone else words")
        .await
        .to_string();
    let troll_comment = site.comment(&troll, "Troll words").await;

    let started = now_ms();
    site.suspend(&admin, troll_comment, "1").await;
    let until = site.suspended_until(troll.id).await.expect("suspended");
    assert!(
        (started + DAY_MS - 60_000..=now_ms() + DAY_MS + 60_000).contains(&until),
        "a day from now, not {until}"
    );
    let message = suspended_text(until);

    // Every write with the session from before the suspension: 403 and when it ends.
    let before = site.snapshot().await;
    for (function, form) in [
        (
            "post_comment",
            vec![("slug", SLUG), ("body", "Words while suspended")],
        ),
        ("set_like", vec![("slug", SLUG), ("liked", "true")]),
        ("rate_article", vec![("slug", SLUG), ("stars", "2")]),
        (
            "set_follow",
            vec![("handle", "selma-arvidsson"), ("following", "true")],
        ),
        (
            "report_comment",
            vec![("id", others.as_str()), ("reason", "spam")],
        ),
    ] {
        let reply = site.call(troll.session(), function, &form).await;
        assert_suspended(&reply, &message, function);
    }
    assert_eq!(
        site.snapshot().await,
        before,
        "a suspended write changed something"
    );

    // Their pages render signed out.
    let who = site.read(troll.session(), "/api/get_current_user").await;
    assert_eq!(who.text().trim(), "null", "the session was not ended");
    let page = site
        .page(troll.session(), &format!("/articles/{SLUG}"))
        .await;
    assert_eq!(page.status, 200);
    assert!(
        page.text().contains("Sign in to comment"),
        "the old session still signs in"
    );

    // Signing in is refused with the same message, and starts no session.
    let reply = site.sign_in(&troll.email).await;
    assert!(
        (400..500).contains(&reply.status),
        "sign-in while suspended: {} {}",
        reply.status,
        reply.text()
    );
    assert!(
        told(&reply).contains(&message),
        "sign-in refusal says {:?}, not {message:?}",
        told(&reply)
    );
    assert!(
        reply
            .cookie("besthub_session")
            .is_none_or(|token| token.is_empty()),
        "a session was started"
    );

    // The suspension runs out.
    sqlx::query("UPDATE users SET suspended_until = $1 WHERE id = $2")
        .bind(now_ms() - 60_000)
        .bind(troll.id)
        .execute(&site.db.pool)
        .await
        .expect("end the suspension");
    let reply = site.sign_in(&troll.email).await;
    assert!(reply.status < 400, "sign in after: {}", reply.text());
    let token = reply
        .cookie("besthub_session")
        .filter(|t| !t.is_empty())
        .expect("a new session");
    let who = site.read(Some(&token), "/api/get_current_user").await;
    assert!(who.text().contains("Tom Troll"), "{}", who.text());
    let reply = site
        .call(
            Some(&token),
            "post_comment",
            &[("slug", SLUG), ("body", "Back again words")],
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let reply = site
        .call(
            Some(&token),
            "set_like",
            &[("slug", SLUG), ("liked", "true")],
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());

    // The session from before the suspension stays ended.
    let who = site.read(troll.session(), "/api/get_current_user").await;
    assert_eq!(who.text().trim(), "null", "the old session came back");
    let reply = site
        .call(
            troll.session(),
            "post_comment",
            &[("slug", SLUG), ("body", "Old session words")],
        )
        .await;
    assert_eq!(reply.status, 401, "{}", reply.text());
    let (_, shown) = site.comments_of(None, SLUG).await;
    assert!(shown.to_string().contains("Back again words"));
    assert!(!shown.to_string().contains("Old session words"));
    assert!(!shown.to_string().contains("Words while suspended"));
}

on_both_backends!(a_permanent_suspension_says_so_without_a_date, &[]);

async fn a_permanent_suspension_says_so_without_a_date(site: &Site) {
    let admin = site.admin().await;
    let troll = site.sign_up("Tom Troll", "troll@example.com").await;
    let troll_comment = site.comment(&troll, "Troll words").await;
    site.suspend(&admin, troll_comment, "permanent").await;
    let reply = site
        .call(
            troll.session(),
            "set_like",
            &[("slug", SLUG), ("liked", "true")],
        )
        .await;
    assert_suspended(&reply, "Your account is suspended", "permanent");
    let reply = site.sign_in(&troll.email).await;
    assert!((400..500).contains(&reply.status), "{}", reply.text());
    assert!(
        told(&reply).contains("Your account is suspended"),
        "{}",
        reply.text()
    );
    assert!(!told(&reply).contains("until"), "{}", reply.text());
    let log = site.page(None, "/moderation").await.text();
    assert!(log.contains("Suspended a reader permanently"), "{log}");
}

// ---------------------------------------------------------------------------------------
// 4. Held comments
// ---------------------------------------------------------------------------------------

on_both_backends!(
    held_comments_are_seen_by_their_author_only_until_approved,
    &[("BESTHUB_FIRST_COMMENTS_HELD", "1")]
);

async fn held_comments_are_seen_by_their_author_only_until_approved(site: &Site) {
    let admin = site.admin().await;
    let author = site.sign_up("Hana Held", "held@example.com").await;
    let other = site.sign_up("Otto Other", "other@example.com").await;
    let (_, start) = site.comments_of(None, SLUG).await;
    let total = start["total"].as_i64().expect("total");

    let text = "First words waiting";
    let posted = site.post_comment(&author, SLUG, text, None).await;
    assert!(is_held(&posted), "{posted}");
    let held = site.held_id(author.id, text).await;

    // The author sees it, among their held comments, not in the threads.
    let (_, mine) = site.comments_of(author.session(), SLUG).await;
    let mine_held = mine["held"]
        .as_array()
        .unwrap_or_else(|| panic!("no held list: {mine}"));
    assert!(
        mine_held.iter().any(|c| c.to_string().contains(text)),
        "the author does not see it: {mine}"
    );
    assert!(
        !mine["threads"].to_string().contains(text),
        "a held comment in the threads: {mine}"
    );
    assert_eq!(mine["total"].as_i64(), Some(total), "counted: {mine}");

    // Nobody else does, nor is it counted.
    for (who, session) in [("anonymous", None), ("another reader", other.session())] {
        let (reply, theirs) = site.comments_of(session, SLUG).await;
        assert!(
            !reply.text().contains(text),
            "{who} sees it: {}",
            reply.text()
        );
        assert_eq!(theirs["total"].as_i64(), Some(total), "{who}: {theirs}");
        let page = site.page(session, &format!("/articles/{SLUG}")).await;
        assert!(!page.text().contains(text), "{who} sees it on the page");
    }
    let page = site
        .page(author.session(), &format!("/articles/{SLUG}"))
        .await;
    assert!(
        page.text().contains(text),
        "the author does not see it on the page"
    );
    assert!(
        page.text().contains("Waiting for a moderator"),
        "not marked as waiting on the author's page"
    );

    // Approved: a comment like any other, for everyone.
    let reply = site
        .call(
            admin.session(),
            "review_held",
            &[
                ("id", &held.to_string()),
                ("action", "approve"),
                ("reason", "Welcome"),
            ],
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    for (who, session) in [("anonymous", None), ("another reader", other.session())] {
        let (_, theirs) = site.comments_of(session, SLUG).await;
        assert!(
            theirs["threads"].to_string().contains(text),
            "{who} does not see the approved comment: {theirs}"
        );
        assert_eq!(theirs["total"].as_i64(), Some(total + 1), "{who}: {theirs}");
        let page = site.page(session, &format!("/articles/{SLUG}")).await;
        assert!(page.text().contains(text), "{who}: not on the page");
    }
    let (_, mine) = site.comments_of(author.session(), SLUG).await;
    assert!(
        mine["held"]
            .as_array()
            .is_none_or(|held| !held.iter().any(|c| c.to_string().contains(text))),
        "still held: {mine}"
    );
    assert_eq!(site.count("SELECT COUNT(*) FROM held_comments").await, 0);

    // Past the first one, the author's comments are published at once.
    let posted = site
        .post_comment(&author, SLUG, "Second words published", None)
        .await;
    assert!(!is_held(&posted), "{posted}");
    let (_, theirs) = site.comments_of(None, SLUG).await;
    assert!(theirs.to_string().contains("Second words published"));
    assert_eq!(theirs["total"].as_i64(), Some(total + 2));

    // Rejected: gone, for its author too.
    let rejected = "Other first words rejected";
    let posted = site.post_comment(&other, SLUG, rejected, None).await;
    assert!(is_held(&posted), "{posted}");
    let held = site.held_id(other.id, rejected).await;
    let comments_before = site.count("SELECT COUNT(*) FROM comments").await;
    let reply = site
        .call(
            admin.session(),
            "review_held",
            &[
                ("id", &held.to_string()),
                ("action", "reject"),
                ("reason", "Advertising"),
            ],
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(site.count("SELECT COUNT(*) FROM held_comments").await, 0);
    assert_eq!(
        site.count("SELECT COUNT(*) FROM comments").await,
        comments_before
    );
    for session in [None, other.session(), author.session()] {
        let (reply, theirs) = site.comments_of(session, SLUG).await;
        assert!(!reply.text().contains(rejected), "{}", reply.text());
        assert_eq!(theirs["total"].as_i64(), Some(total + 2));
    }
    let log = site.page(None, "/moderation").await.text();
    assert!(log.contains("Approved a held comment"), "{log}");
    assert!(log.contains("Rejected a held comment"), "{log}");
    assert!(log.contains("Reason: Advertising"), "{log}");
}

on_both_backends!(comments_with_more_than_three_links_wait_for_review, &[]);

async fn comments_with_more_than_three_links_wait_for_review(site: &Site) {
    let author = site.sign_up("Lina Links", "links@example.com").await;
    let other = site.sign_up("Otto Other", "other@example.com").await;

    let three = with_links(3, "ThreeLinksMarker");
    let posted = site.post_comment(&author, SLUG, &three, None).await;
    assert!(!is_held(&posted), "3 links held: {posted}");
    let four = with_links(4, "FourLinksMarker");
    let posted = site.post_comment(&author, SLUG, &four, None).await;
    assert!(is_held(&posted), "4 links not held: {posted}");
    site.held_id(author.id, &four).await;

    for session in [None, other.session()] {
        let (reply, _) = site.comments_of(session, SLUG).await;
        assert!(
            reply.text().contains("ThreeLinksMarker"),
            "{}",
            reply.text()
        );
        assert!(
            !reply.text().contains("FourLinksMarker"),
            "{}",
            reply.text()
        );
    }
    let (_, mine) = site.comments_of(author.session(), SLUG).await;
    assert!(
        mine["held"].to_string().contains("FourLinksMarker"),
        "{mine}"
    );
}

// ---------------------------------------------------------------------------------------
// 5. Hiding and restoring
// ---------------------------------------------------------------------------------------

/// The comment `id` in the threads of a `get_comments` answer.
fn find_comment(threads: &Value, id: i64) -> Option<&Value> {
    threads.as_array()?.iter().find_map(|thread| {
        if thread["comment"]["id"].as_i64() == Some(id) {
            Some(&thread["comment"])
        } else {
            find_comment(&thread["replies"], id)
        }
    })
}

on_both_backends!(a_hidden_comment_reads_removed_and_keeps_its_replies, &[]);

async fn a_hidden_comment_reads_removed_and_keeps_its_replies(site: &Site) {
    let admin = site.admin().await;
    let writer = site.sign_up("Walt Writer", "writer@example.com").await;
    let replier = site.sign_up("Rory Replier", "replier@example.com").await;
    let reader = site.sign_up("Rita Reader", "reader@example.com").await;
    let text = "Offending words here";
    let hidden = site.comment(&writer, text).await;
    let reply = site
        .reply(&replier, "Reply words that stay", Some(hidden))
        .await;
    let (_, before) = site.comments_of(None, SLUG).await;
    let total = before["total"].as_i64().expect("total");
    let article = format!("/articles/{SLUG}");
    // Warm the anonymous page cache: hiding must drop it.
    assert!(site.page(None, &article).await.text().contains(text));

    let answer = site
        .call(
            admin.session(),
            "moderate_comment",
            &[
                ("id", &hidden.to_string()),
                ("action", "hide"),
                ("reason", "Insults"),
            ],
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text());

    for (who, session) in [
        ("anonymous", None),
        ("a reader", reader.session()),
        ("its author", writer.session()),
    ] {
        let (raw, page) = site.comments_of(session, SLUG).await;
        if who != "its author" {
            // (Its author may still be sent the Markdown they typed, for their own records.)
            assert!(
                !raw.text().contains(text),
                "{who} still reads it: {}",
                raw.text()
            );
        }
        let comment = find_comment(&page["threads"], hidden)
            .unwrap_or_else(|| panic!("{who}: the hidden comment left the threads: {page}"));
        assert_eq!(comment["hidden"], Value::Bool(true), "{who}: {comment}");
        assert_eq!(comment["body_html"], Value::from(""), "{who}: {comment}");
        assert!(
            find_comment(&page["threads"], reply).is_some(),
            "{who}: the reply went: {page}"
        );
        assert_eq!(
            page["total"].as_i64(),
            Some(total),
            "{who}: the count changed"
        );
        let html = site.page(session, &article).await.text();
        assert!(html.contains("[removed by a moderator]"), "{who}: {html}");
        assert!(!html.contains(text), "{who}: the text is still on the page");
        assert!(html.contains("Reply words that stay"), "{who}: reply gone");
    }
    let log = site.page(None, "/moderation").await;
    assert_eq!(log.status, 200);
    let log = log.text();
    assert!(log.contains("Moderation log"), "{log}");
    assert!(log.contains("Hid a comment"), "{log}");
    assert!(log.contains("Reason: Insults"), "{log}");
    assert!(log.contains("by a moderator"), "{log}");
    assert!(!log.contains("Ada Admin"), "the moderator is named: {log}");
    let queue = site.read(admin.session(), "/api/moderation_queue").await;
    assert!(
        queue.text().contains(text),
        "not among hidden comments: {}",
        queue.text()
    );

    let answer = site
        .call(
            admin.session(),
            "moderate_comment",
            &[
                ("id", &hidden.to_string()),
                ("action", "restore"),
                ("reason", "Misread the tone"),
            ],
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    for session in [None, reader.session()] {
        let (_, page) = site.comments_of(session, SLUG).await;
        let comment = find_comment(&page["threads"], hidden).expect("restored");
        assert!(
            comment["body_html"].to_string().contains(text),
            "not restored: {comment}"
        );
        assert_ne!(comment["hidden"], Value::Bool(true), "{comment}");
        assert_eq!(page["total"].as_i64(), Some(total));
        let html = site.page(session, &article).await.text();
        assert!(html.contains(text));
        assert!(!html.contains("[removed by a moderator]"));
    }
    let log = site.page(None, "/moderation").await.text();
    assert!(log.contains("Restored a comment"), "{log}");
    assert!(log.contains("Reason: Misread the tone"), "{log}");
    let api_log = site.read(None, "/api/moderation_log?page=1").await;
    assert_eq!(api_log.status, 200, "{}", api_log.text());
    assert!(api_log.text().contains("Insults"), "{}", api_log.text());
    assert!(
        api_log.text().contains("Misread the tone"),
        "{}",
        api_log.text()
    );
    assert_eq!(site.count("SELECT COUNT(*) FROM moderation_log").await, 2);
}

// ---------------------------------------------------------------------------------------
// 6. Takedowns
// ---------------------------------------------------------------------------------------

on_both_backends!(a_takedown_unpublishes_with_410_and_republish_restores, &[]);

async fn a_takedown_unpublishes_with_410_and_republish_restores(site: &Site) {
    let admin = site.admin().await;
    let article = format!("/articles/{TAKEDOWN_SLUG}");
    let link = format!("href=\"{article}\"");

    let page = site.page(None, &article).await;
    assert_eq!(page.status, 200);
    assert!(
        page.text()
            .contains(&format!("href=\"/articles/{TAKEDOWN_SLUG}/takedown\"")),
        "no takedown link on the article"
    );
    assert!(page.text().contains("Request a takedown"));
    let form = site
        .page(None, &format!("/articles/{TAKEDOWN_SLUG}/takedown"))
        .await;
    assert_eq!(form.status, 200);
    assert!(
        form.text().contains("Request a takedown"),
        "{}",
        form.text()
    );
    assert!(
        form.text().contains("Taming Cache Stampedes"),
        "{}",
        form.text()
    );

    let (token, reference) = site.request_takedown(TAKEDOWN_SLUG).await;
    let status = takedown_json(site, &token).await;
    assert_eq!(status.status, 200, "{}", status.text());
    assert!(
        status.text().to_lowercase().contains("received"),
        "{}",
        status.text()
    );
    assert!(status.text().contains(&reference), "{}", status.text());
    let tracked = site.page(None, &format!("/takedowns/{token}?sent=1")).await;
    assert_eq!(tracked.status, 200);
    let tracked = tracked.text();
    for text in [
        format!("Takedown request {reference}"),
        "Your request was received.".to_owned(),
        "Keep this link to follow your request".to_owned(),
        "Status: Received".to_owned(),
    ] {
        assert!(tracked.contains(&text), "{text:?} missing: {tracked}");
    }
    assert_eq!(
        site.page(None, "/takedowns/no-such-token").await.status,
        404
    );
    assert_eq!(takedown_json(site, "no-such-token").await.status, 404);

    // Home, author and tag pages list it before.
    for listing in ["/", "/authors/selma-arvidsson", "/tags/performance"] {
        assert!(
            site.page(None, listing).await.text().contains(&link),
            "{listing} does not list it to begin with"
        );
    }

    let reason = "Copyright claim upheld";
    let reply = site
        .decide(admin.session(), &token, "unpublish", reason)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    for session in [None, admin.session()] {
        let gone = site.page(session, &article).await;
        assert_eq!(gone.status, 410, "{}", gone.text());
        assert!(
            gone.text().contains("This article has been removed"),
            "{}",
            gone.text()
        );
        assert!(gone.text().contains(reason), "{}", gone.text());
    }
    for listing in ["/", "/authors/selma-arvidsson", "/tags/performance"] {
        let page = site.page(None, listing).await;
        assert_eq!(page.status, 200, "{listing}");
        assert!(!page.text().contains(&link), "{listing} still lists it");
    }
    let status = takedown_json(site, &token).await;
    assert!(
        status.text().to_lowercase().contains("removed"),
        "{}",
        status.text()
    );
    let tracked = site.page(None, &format!("/takedowns/{token}")).await.text();
    assert!(tracked.contains("Status: Article removed"), "{tracked}");
    assert!(tracked.contains(&format!("Reason: {reason}")), "{tracked}");
    let log = site.page(None, "/moderation").await.text();
    assert!(log.contains("Unpublished an article"), "{log}");
    assert!(log.contains(&format!("Reason: {reason}")), "{log}");

    let reply = site
        .decide(admin.session(), &token, "republish", "Licence found")
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let back = site.page(None, &article).await;
    assert_eq!(back.status, 200, "{}", back.text());
    assert!(!back.text().contains("This article has been removed"));
    for listing in ["/", "/authors/selma-arvidsson", "/tags/performance"] {
        assert!(
            site.page(None, listing).await.text().contains(&link),
            "{listing} does not list it again"
        );
    }
    let log = site.page(None, "/moderation").await.text();
    assert!(log.contains("Republished an article"), "{log}");
}

on_both_backends!(takedown_requests_need_every_field, &[]);

async fn takedown_requests_need_every_field(site: &Site) {
    let reply = site
        .call(
            None,
            "request_takedown",
            &[
                ("slug", TAKEDOWN_SLUG),
                ("name", ""),
                ("email", ""),
                ("relationship", ""),
                ("claim", ""),
            ],
        )
        .await;
    assert_eq!(reply.status, 422, "{}", reply.text());
    for field in ["name", "email", "relationship", "claim"] {
        assert!(
            field_message(&reply, field).is_some(),
            "no message for {field}: {}",
            reply.text()
        );
    }
    let reply = site
        .call(
            None,
            "request_takedown",
            &[
                ("slug", TAKEDOWN_SLUG),
                ("name", "Rhea Holder"),
                ("email", "not an email"),
                ("relationship", "Author"),
                ("claim", "Copied"),
            ],
        )
        .await;
    assert_eq!(reply.status, 422, "{}", reply.text());
    assert!(
        field_message(&reply, "email").is_some(),
        "no message for the email: {}",
        reply.text()
    );
    for field in ["name", "relationship", "claim"] {
        assert!(
            field_message(&reply, field).is_none(),
            "a message for the valid {field}: {}",
            reply.text()
        );
    }
    let reply = site
        .call(
            None,
            "request_takedown",
            &[
                ("slug", "no-such-article"),
                ("name", "Rhea Holder"),
                ("email", "rights@example.com"),
                ("relationship", "Author"),
                ("claim", "Copied"),
            ],
        )
        .await;
    assert_eq!(reply.status, 404, "{}", reply.text());
    assert_eq!(site.count("SELECT COUNT(*) FROM takedowns").await, 0);
}

on_both_backends!(
    takedown_requests_past_the_hourly_limit_get_429,
    &[("BESTHUB_TAKEDOWNS_PER_HOUR", "2")]
);

async fn takedown_requests_past_the_hourly_limit_get_429(site: &Site) {
    site.request_takedown(TAKEDOWN_SLUG).await;
    site.request_takedown(OTHER_SLUG).await;
    let reply = site
        .call(
            None,
            "request_takedown",
            &[
                ("slug", SLUG),
                ("name", "Rhea Holder"),
                ("email", "rights@example.com"),
                ("relationship", "Author"),
                ("claim", "Copied"),
            ],
        )
        .await;
    assert_eq!(reply.status, 429, "{}", reply.text());
    assert_eq!(
        told(&reply),
        "Too many takedown requests from your address. Try again in an hour.",
        "{}",
        reply.text()
    );
    assert_eq!(site.count("SELECT COUNT(*) FROM takedowns").await, 2);
}
