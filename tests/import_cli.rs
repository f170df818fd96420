//! `besthub import` as a user runs it: messages, totals and exit codes.
#![cfg(feature = "ssr")]

use std::path::Path;
use std::process::{Command, Output};

fn run_import(db_url: &str, args: &[&Path]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_besthub"))
        .arg("import")
        .args(args)
        .env(
            "BESTHUB_CONFIG",
            concat!(env!("CARGO_MANIFEST_DIR"), "/Leptos.toml"),
        )
        .env("BESTHUB_DATABASE_URL", db_url)
        .output()
        .expect("besthub runs")
}

const GOOD: &str = "---
title: A good article
summary: Fine.
author: Ada Example
author_bio: Writes.
tags: [rust]
source_url: https://example.com/a
published: 2026-02-03
---
Body.
";

#[test]
fn bad_files_are_reported_by_path_and_field_and_the_rest_import() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db_url = format!("sqlite://{}/cli.db", dir.path().display());
    let articles = dir.path().join("articles");
    std::fs::create_dir(&articles).expect("dir");
    std::fs::write(articles.join("a-good.md"), GOOD).expect("write");
    std::fs::write(
        articles.join("b-bad.md"),
        GOOD.replace("https://example.com/a", "ftp://example.com/a")
            .replace("A good article", "A bad article"),
    )
    .expect("write");
    std::fs::write(articles.join("notes.txt"), "ignored").expect("write");

    let output = run_import(&db_url, &[&articles]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "a failed file must fail the run");
    assert!(
        stderr.contains(&format!(
            "{}: source_url: ",
            articles.join("b-bad.md").display()
        )),
        "{stderr}"
    );
    assert_eq!(stdout.trim(), "imported 1, updated 0, failed 1", "{stderr}");

    // Re-importing the good file updates it and succeeds.
    let output = run_import(&db_url, &[&articles.join("a-good.md")]);
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        "imported 0, updated 1, failed 0"
    );

    // A missing path is one clear line, not a panic.
    let output = run_import(&db_url, &[&dir.path().join("missing.md")]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("missing.md: file: cannot read"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_bad_config_value_stops_with_one_line_naming_it() {
    let output = Command::new(env!("CARGO_BIN_EXE_besthub"))
        .arg("import")
        .arg("demo")
        .env(
            "BESTHUB_CONFIG",
            concat!(env!("CARGO_MANIFEST_DIR"), "/Leptos.toml"),
        )
        .env("BESTHUB_LISTEN", "not-an-address")
        .output()
        .expect("besthub runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("`listen`") && stderr.contains("not-an-address"),
        "{stderr}"
    );
}

#[test]
fn a_missing_config_file_is_one_clear_line() {
    let output = Command::new(env!("CARGO_BIN_EXE_besthub"))
        .arg("serve")
        .env("BESTHUB_CONFIG", "/nonexistent/besthub.toml")
        .output()
        .expect("besthub runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("/nonexistent/besthub.toml"), "{stderr}");
}

#[test]
fn grant_admin_and_revoke_admin_set_the_role_of_an_existing_account() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db_url = format!("sqlite://{}/cli.db", dir.path().display());
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let pool = besthub::db::connect(&db_url, 1).await.expect("db");
        besthub::accounts::store::create_user(&pool, "ada@example.com", "Ada", "x", 1)
            .await
            .expect("user");
        pool.close().await;
    });
    let user = |command: &str, email: &str| {
        Command::new(env!("CARGO_BIN_EXE_besthub"))
            .args(["user", command, email])
            .env(
                "BESTHUB_CONFIG",
                concat!(env!("CARGO_MANIFEST_DIR"), "/Leptos.toml"),
            )
            .env("BESTHUB_DATABASE_URL", &db_url)
            .output()
            .expect("besthub runs")
    };
    let role = || -> String {
        runtime.block_on(async {
            let pool = besthub::db::connect(&db_url, 1).await.expect("db");
            let found = besthub::accounts::store::find_user_by_email(&pool, "ada@example.com")
                .await
                .expect("query")
                .expect("user");
            pool.close().await;
            found.role
        })
    };
    let succeeds = |output: std::process::Output, says: &str| {
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&output.stdout).trim(),
            format!("ada@example.com {says}")
        );
    };
    assert_eq!(role(), "reader");
    succeeds(user("grant-admin", " ADA@example.com "), "is now an admin");
    assert_eq!(role(), "admin");
    succeeds(
        user("revoke-admin", "ada@example.com"),
        "is no longer an admin",
    );
    assert_eq!(role(), "reader");
    for command in ["grant-admin", "revoke-admin"] {
        let output = user(command, "nobody@example.com");
        assert!(!output.status.success());
        assert!(String::from_utf8_lossy(&output.stderr).contains("no account has the email"));
        let output = user(command, "not an email");
        assert!(!output.status.success());
        assert_eq!(String::from_utf8_lossy(&output.stderr).lines().count(), 1);
    }
}

#[test]
fn an_unusable_database_is_one_clear_line() {
    let output = Command::new(env!("CARGO_BIN_EXE_besthub"))
        .args(["import", "demo"])
        .env(
            "BESTHUB_CONFIG",
            concat!(env!("CARGO_MANIFEST_DIR"), "/Leptos.toml"),
        )
        .env(
            "BESTHUB_DATABASE_URL",
            "sqlite:///proc/besthub-cannot-be-here/x.db",
        )
        .output()
        .expect("besthub runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("database: cannot create folder /proc/besthub-cannot-be-here"),
        "{stderr}"
    );
}
