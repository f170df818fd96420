//! Database connection: one storage layer over SQLite (embedded default) and PostgreSQL
//! (shared by several app replicas), chosen by the URL at start-up.
//!
//! Storage functions elsewhere take a [`Pool`] and use portable SQL (`$1` placeholders,
//! `ON CONFLICT`, `RETURNING`), so one contract test suite covers both backends.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{ConnectOptions, Executor};

/// The connection pool every storage function takes.
pub type Pool = sqlx::AnyPool;

/// A transaction on [`Pool`].
pub type Tx = sqlx::Transaction<'static, sqlx::Any>;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// Which database engine a URL points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

impl Backend {
    /// The backend a database URL names, if it is one we support.
    pub fn of_url(url: &str) -> Option<Self> {
        if url.starts_with("sqlite:") {
            Some(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Self::Postgres)
        } else {
            None
        }
    }
}

/// Why the database could not be opened or migrated.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The URL names no supported database.
    #[error("database: unsupported URL {0:?} (expected sqlite://… or postgres://…)")]
    UnsupportedUrl(String),
    /// The folder for an SQLite file could not be created.
    #[error("database: cannot create folder {path}: {source}")]
    CreateDir {
        /// The folder.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// Connecting failed.
    #[error("database: cannot open {url}: {source}")]
    Connect {
        /// The URL with any password hidden.
        url: String,
        /// Why.
        source: sqlx::Error,
    },
    /// Applying migrations failed.
    #[error("database: migrations failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// Opens a pool for `url` (creating an SQLite file and its folder when missing) and applies
/// the migrations for its backend.
pub async fn connect(url: &str, max_connections: u32) -> Result<Pool, DbError> {
    sqlx::any::install_default_drivers();
    let backend = Backend::of_url(url).ok_or_else(|| DbError::UnsupportedUrl(url.to_owned()))?;
    let connect_url = match backend {
        Backend::Sqlite => prepare_sqlite_url(url)?,
        Backend::Postgres => url.to_owned(),
    };
    let shown = redact(url);
    let options: AnyConnectOptions = connect_url
        .parse::<AnyConnectOptions>()
        .map_err(|source| DbError::Connect {
            url: shown.clone(),
            source,
        })?
        .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_millis(500));
    let pool = AnyPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(10))
        // Before handing out a connection, sqlx pings it by default: for SQLite a round trip
        // to the connection's worker thread before every query, 8 % of an uncached page
        // render (perf, issue 12). An embedded database cannot drop the connection; a
        // PostgreSQL server can, so there the check stays.
        .test_before_acquire(backend == Backend::Postgres)
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                if backend == Backend::Sqlite {
                    // WAL lets readers run beside the single writer; the busy timeout makes a
                    // writer wait for the lock instead of failing at once.
                    conn.execute(
                        "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; \
                         PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL;",
                    )
                    .await?;
                }
                Ok(())
            })
        })
        .connect_with(options)
        .await
        .map_err(|source| DbError::Connect { url: shown, source })?;
    let migrator = match backend {
        Backend::Sqlite => &SQLITE_MIGRATIONS,
        Backend::Postgres => &POSTGRES_MIGRATIONS,
    };
    migrator.run(&pool).await?;
    Ok(pool)
}

/// The backend `pool` is connected to.
pub fn backend_of(pool: &Pool) -> Backend {
    Backend::of_url(pool.connect_options().database_url.as_str()).unwrap_or(Backend::Sqlite)
}

/// The backend `conn` is connected to (inside a transaction, where no pool is at hand).
pub fn backend_of_conn(conn: &sqlx::AnyConnection) -> Backend {
    if conn.backend_name().eq_ignore_ascii_case("sqlite") {
        Backend::Sqlite
    } else {
        Backend::Postgres
    }
}

/// Answers whether the database responds to a trivial query.
pub async fn ping(pool: &Pool) -> bool {
    sqlx::query("SELECT 1").execute(pool).await.is_ok()
}

/// Adds `mode=rwc` so a missing file is created, and creates the file's folder.
fn prepare_sqlite_url(url: &str) -> Result<String, DbError> {
    let rest = url.trim_start_matches("sqlite:").trim_start_matches("//");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path != ":memory:" {
        if let Some(parent) = std::path::Path::new(path).parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent).map_err(|source| DbError::CreateDir {
                    path: parent.display().to_string(),
                    source,
                })?;
            }
        }
    }
    if query.split('&').any(|p| p.starts_with("mode=")) {
        Ok(url.to_owned())
    } else if query.is_empty() {
        Ok(format!("{url}?mode=rwc"))
    } else {
        Ok(format!("{url}&mode=rwc"))
    }
}

/// The URL with any password replaced, for messages.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

/// How far this machine's clock is behind the database's, in milliseconds (see [`sync_clock`]).
static CLOCK_OFFSET_MS: AtomicI64 = AtomicI64::new(0);

/// Milliseconds since the Unix epoch: the unit of every stored time. On PostgreSQL it is the
/// database server's clock (this machine's, corrected by the offset [`sync_clock`] measured),
/// so replicas whose clocks differ by seconds agree on session expiry, the edit window and
/// rate-limit windows.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis() + CLOCK_OFFSET_MS.load(Ordering::Relaxed)
}

/// How far `local` (a clock reading milliseconds) is behind the database's clock: the
/// database's time minus the middle of the round trip that read it.
pub async fn clock_offset(pool: &Pool, local: impl Fn() -> i64) -> sqlx::Result<i64> {
    let before = local();
    let db_ms: i64 =
        sqlx::query_scalar("SELECT CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)")
            .fetch_one(pool)
            .await?;
    let after = local();
    Ok(db_ms - (before + after) / 2)
}

/// On PostgreSQL, sets [`now_ms`] to follow the database's clock, measured now and again
/// every minute (clocks drift). SQLite lives on this machine: its clock is ours.
pub async fn sync_clock(pool: &Pool) -> sqlx::Result<()> {
    if backend_of(pool) != Backend::Postgres {
        return Ok(());
    }
    let local = || chrono::Utc::now().timestamp_millis();
    CLOCK_OFFSET_MS.store(clock_offset(pool, local).await?, Ordering::Relaxed);
    let pool = pool.clone();
    tokio::spawn(async move {
        let mut every_minute = tokio::time::interval(Duration::from_secs(60));
        every_minute.tick().await;
        loop {
            every_minute.tick().await;
            match clock_offset(&pool, local).await {
                Ok(offset) => CLOCK_OFFSET_MS.store(offset, Ordering::Relaxed),
                Err(err) => tracing::warn!(error = %err, "measuring the database clock failed"),
            }
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_is_chosen_by_url() {
        assert_eq!(Backend::of_url("sqlite://data/x.db"), Some(Backend::Sqlite));
        assert_eq!(
            Backend::of_url("postgres://localhost/test"),
            Some(Backend::Postgres)
        );
        assert_eq!(Backend::of_url("mysql://localhost/test"), None);
    }

    #[test]
    fn passwords_are_hidden() {
        assert_eq!(
            redact("postgres://me:secret@localhost/db"),
            "postgres://me:***@localhost/db"
        );
    }
}
