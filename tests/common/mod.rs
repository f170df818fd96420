//! Fresh databases for integration tests: one SQLite file per test, and one PostgreSQL
//! schema per test when `BESTHUB_TEST_PG_URL` names a server, so tests run in parallel.

#![allow(dead_code)] // Each test binary uses a different part of this module.

pub mod server;

use std::sync::atomic::{AtomicU32, Ordering};

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use besthub::config::Config;
use besthub::db::{self, Pool};
use besthub::state::AppState;
use leptos::prelude::LeptosOptions;
use tower::ServiceExt;

/// A database that lives as long as the test.
pub struct TestDb {
    /// The migrated pool.
    pub pool: Pool,
    /// The URL it was opened with.
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg_schema: Option<(String, String)>,
}

impl TestDb {
    /// Closes the pool and drops a PostgreSQL schema created for the test (SQLite files go
    /// with the temp dir).
    pub async fn close(mut self) {
        self.pool.close().await;
        if let Some((admin_url, schema)) = self.pg_schema.take() {
            drop_schema(&admin_url, &schema).await;
        }
    }
}

async fn drop_schema(admin_url: &str, schema: &str) {
    if let Ok(admin) = connect_admin(admin_url).await {
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP SCHEMA IF EXISTS {schema} CASCADE"
        )))
        .execute(&admin)
        .await;
        admin.close().await;
    }
}

/// A test that ends without [`TestDb::close`] (or fails) still drops its PostgreSQL schema,
/// so the shared test database does not fill up run after run.
impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((admin_url, schema)) = self.pg_schema.take() else {
            return;
        };
        // Drop cannot await; a thread of its own with a small runtime does the work.
        let cleanup = std::thread::spawn(move || {
            if let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                runtime.block_on(drop_schema(&admin_url, &schema));
            }
        });
        let _ = cleanup.join();
    }
}

/// A fresh database nothing has been applied to yet, for tests that build an older schema
/// themselves; [`EmptyDb::migrate`] opens it the way the app does.
pub struct EmptyDb {
    /// The URL the app would be given.
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg_schema: Option<(String, String)>,
}

impl EmptyDb {
    /// Opens it with the app's `db::connect`, which applies every pending migration.
    pub async fn migrate(self) -> TestDb {
        let pool = db::connect(&self.url, 4).await.expect("database opens");
        TestDb {
            pool,
            url: self.url,
            _dir: self._dir,
            pg_schema: self.pg_schema,
        }
    }
}

/// A fresh, empty SQLite database in a temporary folder.
pub fn empty_sqlite() -> EmptyDb {
    let dir = tempfile::tempdir().expect("temp dir");
    EmptyDb {
        url: format!("sqlite://{}/test.db", dir.path().display()),
        _dir: Some(dir),
        pg_schema: None,
    }
}

/// A fresh, migrated SQLite database in a temporary folder.
pub async fn sqlite() -> TestDb {
    empty_sqlite().migrate().await
}

/// The PostgreSQL server to test against, if configured.
pub fn pg_url() -> Option<String> {
    std::env::var("BESTHUB_TEST_PG_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

async fn connect_admin(url: &str) -> Result<Pool, sqlx::Error> {
    sqlx::any::install_default_drivers();
    sqlx::pool::PoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
}

/// A fresh, empty PostgreSQL schema, or `None` when no server is configured.
pub async fn empty_postgres() -> Option<EmptyDb> {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let admin_url = pg_url()?;
    let schema = format!(
        "t_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        chrono::Utc::now().timestamp_micros() % 1_000_000_000
    );
    let admin = connect_admin(&admin_url).await.expect("postgres reachable");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&admin)
        .await
        .expect("create schema");
    admin.close().await;
    let separator = if admin_url.contains('?') { '&' } else { '?' };
    Some(EmptyDb {
        url: format!("{admin_url}{separator}options=-c%20search_path%3D{schema}"),
        _dir: None,
        pg_schema: Some((admin_url, schema)),
    })
}

/// A fresh, migrated PostgreSQL schema, or `None` when no server is configured.
pub async fn postgres() -> Option<TestDb> {
    Some(empty_postgres().await?.migrate().await)
}

/// Runs one contract test body against SQLite and, when configured, PostgreSQL.
#[macro_export]
macro_rules! contract_test {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let db = $crate::common::sqlite().await;
                ($body)(db.pool.clone()).await;
                db.close().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(db) = $crate::common::postgres().await else {
                    eprintln!("BESTHUB_TEST_PG_URL is not set: PostgreSQL half not run here");
                    return;
                };
                ($body)(db.pool.clone()).await;
                db.close().await;
            }
        }
    };
}

/// The database the HTTP-level tests run on: SQLite, or a fresh PostgreSQL schema when
/// `BESTHUB_TEST_APP_DB=postgres` (`make unit` runs those tests both ways).
pub async fn app_db() -> TestDb {
    if std::env::var("BESTHUB_TEST_APP_DB").as_deref() == Ok("postgres") {
        postgres()
            .await
            .expect("BESTHUB_TEST_APP_DB=postgres needs BESTHUB_TEST_PG_URL")
    } else {
        sqlite().await
    }
}

/// The app's router on a fresh database ([`app_db`]) with the demo content, configured by
/// `config` (TOML text; the two required keys are added).
pub async fn test_app(config: &str) -> (axum::Router, TestDb) {
    let (app, db, _) = test_app_events(config).await;
    (app, db)
}

/// [`test_app`], with the hub its writes are told to.
pub async fn test_app_events(config: &str) -> (axum::Router, TestDb, besthub::events::Events) {
    let db = app_db().await;
    besthub::import::seed_demo_if_empty(&db.pool)
        .await
        .expect("seed");
    let (app, events) = replica(&db, config).await;
    (app, db, events)
}

/// One more app (a replica) on `db`, configured by `config` like [`test_app`], listening for
/// the other replicas' writes on PostgreSQL.
pub async fn replica(db: &TestDb, config: &str) -> (axum::Router, besthub::events::Events) {
    let text = format!(
        "contact_email = \"takedown@example.com\"\nrepublication_notice = \"Republished for testing.\"\n{config}"
    );
    let config =
        Config::from_sources(std::path::Path::new("test.toml"), &text, |_| None).expect("config");
    let events = besthub::events::Events::new(&db.pool)
        .await
        .expect("events");
    events
        .listen(&db.url)
        .await
        .expect("listening for other replicas");
    let state = AppState {
        leptos_options: LeptosOptions::builder().output_name("besthub").build(),
        pool: db.pool.clone(),
        config: Arc::new(config),
        events: events.clone(),
    };
    (besthub::server::router(state), events)
}

/// A response's status, headers and body text.
pub struct Reply {
    /// Status.
    pub status: StatusCode,
    /// Headers.
    pub headers: HeaderMap,
    /// Body as text.
    pub body: String,
}

impl Reply {
    /// Every `Set-Cookie` value.
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect()
    }

    /// The value the response sets for cookie `name`, if any.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.set_cookies().into_iter().find_map(|c| {
            let (pair, _) = c.split_once(';').unwrap_or((&c, ""));
            let (n, v) = pair.split_once('=')?;
            (n == name).then(|| v.to_owned())
        })
    }
}

/// Sends `request` to `app`.
pub async fn send(app: &axum::Router, request: Request<Body>) -> Reply {
    let response = app.clone().oneshot(request).await.expect("response");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    Reply {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

/// Where test requests say they come from (the app's default public URL).
pub const ORIGIN: &str = "http://127.0.0.1:3000";

/// `pairs` as an `application/x-www-form-urlencoded` body.
pub fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// Calls a server function the way the hydrated page does (same origin, JSON reply), as the
/// reader of session cookie `session` when given.
pub async fn call(app: &axum::Router, path: &str, body: String, session: Option<&str>) -> Reply {
    use axum::http::header;
    let mut request = Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "application/json")
        .header(header::ORIGIN, ORIGIN);
    if let Some(token) = session {
        request = request.header(header::COOKIE, format!("besthub_session={token}"));
    }
    send(app, request.body(Body::from(body)).expect("request")).await
}

/// Calls a read-only (GET) server function as the hydrated page does, as the reader of
/// session cookie `session` when given; `path` may carry a query.
pub async fn read(app: &axum::Router, path: &str, session: Option<&str>) -> Reply {
    use axum::http::header;
    let mut request = Request::get(path).header(header::ACCEPT, "application/json");
    if let Some(token) = session {
        request = request.header(header::COOKIE, format!("besthub_session={token}"));
    }
    send(app, request.body(Body::empty()).expect("request")).await
}

/// [`call`] with the form fields `pairs`.
pub async fn call_form(
    app: &axum::Router,
    path: &str,
    pairs: &[(&str, &str)],
    session: Option<&str>,
) -> Reply {
    call(app, path, form(pairs), session).await
}

/// A reader account with a live session; returns the user id and the session cookie value.
pub async fn signed_in_reader(db: &TestDb, email: &str) -> (i64, String) {
    signed_in_as(db, email, "Reader").await
}

/// [`signed_in_reader`] with the display name `name`, stored as given (not validated).
pub async fn signed_in_as(db: &TestDb, email: &str, name: &str) -> (i64, String) {
    let user = besthub::accounts::store::create_user(&db.pool, email, name, "x", 1)
        .await
        .expect("user");
    let (token, hash) = besthub::accounts::session::new_session_id();
    let now = db::now_ms();
    besthub::accounts::store::create_session(&db.pool, &hash, user, now, now + 3_600_000)
        .await
        .expect("session");
    (user, token)
}

/// An article `slug` as an import would give it: "Title {slug}", a one-word body, published
/// at `published_at` with `tags`.
pub fn new_article(
    slug: &str,
    published_at: i64,
    tags: &[&str],
) -> besthub::articles::store::NewArticle {
    besthub::articles::store::NewArticle {
        slug: slug.into(),
        title: format!("Title {slug}"),
        summary: "Summary".into(),
        body_markdown: "Body".into(),
        body_html: "<p>Body</p>".into(),
        lang: "en".into(),
        source_url: "https://example.com/x".into(),
        reading_minutes: 1,
        published_at,
        tags: tags.iter().map(|t| (*t).to_owned()).collect(),
    }
}

/// Stores `article` by the author `handle` (named after it: "ada" is "Ada"; created if missing) in one
/// transaction, as an import does; returns the article's id.
pub async fn store_article(
    pool: &Pool,
    handle: &str,
    article: &besthub::articles::store::NewArticle,
) -> i64 {
    use besthub::articles::store::{upsert_article, upsert_author, NewAuthor};

    let mut tx = pool.begin().await.expect("begin");
    let author = upsert_author(
        &mut tx,
        &NewAuthor {
            handle: handle.into(),
            name: handle
                .chars()
                .take(1)
                .flat_map(char::to_uppercase)
                .chain(handle.chars().skip(1))
                .collect(),
            bio: String::new(),
        },
    )
    .await
    .expect("author");
    let (id, _) = upsert_article(&mut tx, author, article)
        .await
        .expect("article");
    tx.commit().await.expect("commit");
    id
}

/// A reader `name` (email `{name}@example.com`); returns their id.
pub async fn user(pool: &Pool, name: &str) -> i64 {
    besthub::accounts::store::create_user(pool, &format!("{name}@example.com"), name, "hash", 1)
        .await
        .expect("user")
}

/// Posts `text` by `user` on `article` (a reply to `parent` when given), as the discussion
/// stores it; returns the comment's id.
pub async fn comment(pool: &Pool, article: i64, parent: Option<i64>, user: i64, text: &str) -> i64 {
    use besthub::discussion::store::{insert, Inserted};

    let body = besthub::discussion::CommentBody::parse(text).expect("body");
    let html = format!("<p>{text}</p>");
    match insert(pool, article, parent, user, &body, &html, 5_000, None)
        .await
        .expect("insert")
    {
        Inserted::Id(id) => id,
        other => panic!("not inserted: {other:?}"),
    }
}
