//! A burst of sign-ins against the real server costs bounded memory: password hashing (19 MiB
//! each) runs one per core behind a short queue, and the rest is refused at once with 429.
#![cfg(feature = "ssr")]

mod common;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use besthub::accounts::SignIn;
use common::server::ServerProcess;
use leptos::server_fn::ServerFn;

/// Parallel sign-in POSTs in the burst.
const BURST: usize = 500;
/// Most extra resident memory the burst may cost, in KiB.
const MAX_EXTRA_KIB: u64 = 200 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_hundred_parallel_sign_ins_take_bounded_memory() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}/burst.db", dir.path().display());
    let server = ServerProcess::start(
        &url,
        &[
            // The per-address limit would refuse most of the burst before it reached the
            // hashing queue; this test is about the queue.
            ("BESTHUB_SIGN_INS_PER_MINUTE", "1000000"),
            ("BESTHUB_SIGNUPS_PER_HOUR", "1000000"),
        ],
    )
    .await;
    // One account, and one sign-in of each kind first, so the baseline includes a hash's
    // memory and everything that is set up once.
    let mut client = server.client();
    let reply = client
        .call(
            besthub::accounts::SignUp::PATH,
            &[
                ("name", "Ada"),
                ("email", "ada@example.com"),
                ("password", "correct horse"),
            ],
        )
        .await
        .expect("sign up");
    assert!(reply.status < 500, "{}", reply.text());
    for email in ["ada@example.com", "nobody@example.com"] {
        let reply = client
            .call(
                SignIn::PATH,
                &[("email", email), ("password", "wrong password")],
            )
            .await
            .expect("sign in");
        assert_eq!(reply.status, 422, "{}", reply.text());
    }
    let pid = server.pid().expect("running");
    let baseline = common::server::rss_kib(pid).expect("rss");

    let peak = Arc::new(AtomicU64::new(baseline));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (peak, done) = (peak.clone(), done.clone());
        tokio::spawn(async move {
            while !done.load(Ordering::Relaxed) {
                if let Some(rss) = common::server::rss_kib(pid) {
                    peak.fetch_max(rss, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    };
    let mut tasks = Vec::with_capacity(BURST);
    for i in 0..BURST {
        let mut client = server.client();
        tasks.push(tokio::spawn(async move {
            // Half for the real account (lock claims), half for unknown emails (dummy hashes).
            let email = if i % 2 == 0 {
                "ada@example.com".to_owned()
            } else {
                format!("nobody{i}@example.com")
            };
            client
                .call(
                    SignIn::PATH,
                    &[("email", &email), ("password", "wrong password")],
                )
                .await
        }));
    }
    let (mut checked, mut refused) = (0, 0);
    for task in tasks {
        let reply = task.await.expect("task").expect("an answer");
        match reply.status {
            422 => checked += 1,
            429 => refused += 1,
            other => panic!("unexpected {other}: {}", reply.text()),
        }
    }
    done.store(true, Ordering::Relaxed);
    sampler.await.expect("sampler");
    let after = common::server::rss_kib(pid).expect("rss");
    let peak = peak.load(Ordering::Relaxed).max(after);
    let extra = peak.saturating_sub(baseline);
    println!(
        "sign-in burst: {BURST} parallel POSTs, {checked} answered 422, {refused} refused 429; \
         RSS baseline {} MiB, peak {} MiB (+{} MiB), after {} MiB",
        baseline / 1024,
        peak / 1024,
        extra / 1024,
        after / 1024
    );
    assert!(refused > 0, "the queue never filled: {checked} checked");
    assert!(
        extra <= MAX_EXTRA_KIB,
        "the burst took {} MiB more memory (limit {} MiB)",
        extra / 1024,
        MAX_EXTRA_KIB / 1024
    );
    let mut client = server.client();
    let health = client.get("/healthz").await.expect("healthz");
    assert_eq!(health.text(), "ok");
}
