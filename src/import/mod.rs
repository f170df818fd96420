//! `besthub import`: Markdown files with YAML front matter into the database.
//!
//! Each file is imported in its own transaction: a bad file is reported as
//! `PATH: FIELD: problem` and nothing of it is written, while the other files still import.

use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};

use crate::articles::store::{self, Upsert};
use crate::db::Pool;
use crate::events::{Change, Events};

pub mod front_matter;

pub use front_matter::{parse_article, FieldError, ImportedArticle};

/// The demo articles shipped inside the binary, imported into an empty database.
static DEMO: include_dir::Dir<'static> = include_dir::include_dir!("$CARGO_MANIFEST_DIR/demo");

/// What happened to one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileOutcome {
    /// A new article.
    Imported(String),
    /// An article with the same slug was replaced.
    Updated(String),
    /// Nothing was written; the message reads `PATH: FIELD: problem`.
    Failed(String),
}

/// Totals for a run, printed as `imported N, updated M, failed K`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// New articles.
    pub imported: usize,
    /// Replaced articles.
    pub updated: usize,
    /// Files that wrote nothing.
    pub failed: usize,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "imported {}, updated {}, failed {}",
            self.imported, self.updated, self.failed
        )
    }
}

impl Summary {
    fn count(&mut self, outcome: &FileOutcome) {
        match outcome {
            FileOutcome::Imported(_) => self.imported += 1,
            FileOutcome::Updated(_) => self.updated += 1,
            FileOutcome::Failed(_) => self.failed += 1,
        }
    }
}

/// Imports one file's text, labelled `label` in messages.
pub async fn import_text(pool: &Pool, label: &str, text: &str) -> FileOutcome {
    match Events::new(pool).await {
        Ok(events) => import_with(pool, &events, label, text).await,
        Err(err) => FileOutcome::Failed(format!("{label}: database: {err}")),
    }
}

/// [`import_text`] with the hub that tells the running replicas (one per run, not per file).
async fn import_with(pool: &Pool, events: &Events, label: &str, text: &str) -> FileOutcome {
    let parsed = match parse_article(text) {
        Ok(parsed) => parsed,
        Err(FieldError { field, problem }) => {
            return FileOutcome::Failed(format!("{label}: {field}: {problem}"))
        }
    };
    match store_article(pool, events, &parsed).await {
        Ok(Upsert::Inserted) => FileOutcome::Imported(parsed.article.slug),
        Ok(Upsert::Updated) => FileOutcome::Updated(parsed.article.slug),
        Err(err) => FileOutcome::Failed(format!("{label}: database: {err}")),
    }
}

/// Stores one article and says so: on PostgreSQL every running replica hears it and drops
/// the pages it changes. (On SQLite a server in another process does not; its page cache's
/// `page_cache_seconds` bounds how long it shows the old text.)
async fn store_article(
    pool: &Pool,
    events: &Events,
    parsed: &ImportedArticle,
) -> sqlx::Result<Upsert> {
    let mut tx = pool.begin().await?;
    let author_id = store::upsert_author(&mut tx, &parsed.author).await?;
    let (_, outcome) = store::upsert_article(&mut tx, author_id, &parsed.article).await?;
    let change = Change::ArticleSaved {
        slug: parsed.article.slug.clone(),
        handle: parsed.author.handle.clone(),
    };
    events.commit(tx, change).await?;
    Ok(outcome)
}

/// The Markdown files `paths` name: files as given, folders as their `.md` files (sorted).
/// Paths that cannot be read come back as failures.
pub fn expand_paths(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<FileOutcome>) {
    let mut files = Vec::new();
    let mut failures = Vec::new();
    for path in paths {
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => match std::fs::read_dir(path) {
                Ok(entries) => {
                    let mut found: Vec<PathBuf> = entries
                        .filter_map(Result::ok)
                        .map(|e| e.path())
                        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "md"))
                        .collect();
                    found.sort();
                    files.extend(found);
                }
                Err(err) => failures.push(FileOutcome::Failed(format!(
                    "{}: file: cannot read folder: {err}",
                    path.display()
                ))),
            },
            Ok(_) => files.push(path.clone()),
            Err(err) => failures.push(FileOutcome::Failed(format!(
                "{}: file: cannot read: {err}",
                path.display()
            ))),
        }
    }
    (files, failures)
}

/// Imports every file `paths` names, printing failures and a progress bar to stderr, and
/// returns the totals.
pub async fn import_paths(pool: &Pool, paths: &[PathBuf]) -> Summary {
    let (files, mut failures) = expand_paths(paths);
    let events = match Events::new(pool).await {
        Ok(events) => Some(events),
        Err(err) => {
            failures.push(FileOutcome::Failed(format!("database: {err}")));
            None
        }
    };
    let mut summary = Summary::default();
    for failure in &failures {
        report(None, failure);
        summary.count(failure);
    }
    let Some(events) = events else {
        return summary;
    };
    // indicatif draws nothing when stderr is not a terminal, so logs and CI stay clean.
    let bar = ProgressBar::new(files.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} {wide_msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    for file in &files {
        bar.set_message(file.display().to_string());
        let outcome = import_file(pool, &events, file).await;
        report(Some(&bar), &outcome);
        summary.count(&outcome);
        bar.inc(1);
    }
    bar.finish_and_clear();
    summary
}

async fn import_file(pool: &Pool, events: &Events, path: &Path) -> FileOutcome {
    let label = path.display().to_string();
    match std::fs::read_to_string(path) {
        Ok(text) => import_with(pool, events, &label, &text).await,
        Err(err) => FileOutcome::Failed(format!("{label}: file: cannot read: {err}")),
    }
}

fn report(bar: Option<&ProgressBar>, outcome: &FileOutcome) {
    if let FileOutcome::Failed(message) = outcome {
        match bar {
            Some(bar) => bar.suspend(|| eprintln!("{message}")),
            None => eprintln!("{message}"),
        }
    }
}

/// Imports the demo articles when the database has no article yet.
pub async fn seed_demo_if_empty(pool: &Pool) -> sqlx::Result<Option<Summary>> {
    if store::count_articles(pool).await? > 0 {
        return Ok(None);
    }
    let events = Events::new(pool).await?;
    let mut summary = Summary::default();
    let mut files: Vec<_> = DEMO
        .files()
        .filter(|f| f.path().extension().is_some_and(|x| x == "md"))
        .collect();
    files.sort_by_key(|f| f.path());
    for file in files {
        let label = format!("demo/{}", file.path().display());
        let outcome = match file.contents_utf8() {
            Some(text) => import_with(pool, &events, &label, text).await,
            None => FileOutcome::Failed(format!("{label}: file: not UTF-8")),
        };
        if let FileOutcome::Failed(message) = &outcome {
            tracing::error!("{message}");
        }
        summary.count(&outcome);
    }
    Ok(Some(summary))
}
