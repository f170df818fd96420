//! Password hashing with argon2id at OWASP's recommended parameters (19 MiB, 2 passes,
//! 1 lane: the `argon2` crate's defaults), off the async runtime's worker threads.
//!
//! Each hash takes about 19 MiB and tens of milliseconds of one core, so the work is bounded
//! by a [`HashingGate`]: as many hashes run at once as there are cores, a short queue waits
//! for them, and anything beyond the queue is refused at once (the caller answers 429). A
//! burst of sign-ins therefore costs a fixed amount of memory and answers quickly, instead of
//! piling up thousands of 19 MiB hashes.
//!
//! The hashes run on threads of the gate's own, one per core, rather than on Tokio's blocking
//! pool: the allocator keeps a freed 19 MiB block in the arena of the thread that used it,
//! and the blocking pool hands work to whichever of its (up to 512) threads is free, so a
//! burst measured +304 MiB of resident memory with only two hashes at a time. With fixed
//! threads at most one block per core stays resident.

use std::sync::mpsc;
use std::sync::{Arc, LazyLock, Mutex, OnceLock};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand_core::OsRng;
use tokio::sync::{oneshot, Semaphore, SemaphorePermit};

use super::domain::Password;
use crate::error::AppError;

/// Requests that may wait for a free core, per core, before more are refused.
const QUEUE_PER_CORE: usize = 4;

/// Work for a hashing thread.
type Job = Box<dyn FnOnce() + Send>;

/// Bounds the password hashing in flight (see the module documentation).
pub struct HashingGate {
    /// Hashes running or waiting; a request that finds none free is refused.
    admitted: Semaphore,
    /// The queue of the hashing threads; they end when the gate is dropped.
    jobs: mpsc::Sender<Job>,
}

/// The hashing threads have all gone (they could not be started).
#[derive(Debug, thiserror::Error)]
#[error("no password hashing thread is running")]
pub struct NoHashingThread;

/// A place in the [`HashingGate`]: holding one is the only way to hash or verify.
pub struct Admission<'a> {
    gate: &'a HashingGate,
    _slot: SemaphorePermit<'a>,
}

impl HashingGate {
    /// A gate running `workers` hashes at once, on as many threads, with `queue` more
    /// waiting.
    pub fn new(workers: usize, queue: usize) -> Self {
        let workers = workers.max(1);
        let (jobs, queued) = mpsc::channel::<Job>();
        let queued = Arc::new(Mutex::new(queued));
        for n in 0..workers {
            let queued = queued.clone();
            let started = std::thread::Builder::new()
                .name(format!("password-hash-{n}"))
                .spawn(move || loop {
                    // The lock is held only while taking a job, never while running one.
                    let job = match queued.lock() {
                        Ok(queue) => queue.recv(),
                        Err(_) => return,
                    };
                    match job {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                });
            if let Err(err) = started {
                tracing::error!(error = %err, "could not start a password hashing thread");
            }
        }
        Self {
            admitted: Semaphore::new(workers + queue),
            jobs,
        }
    }

    /// The process's gate, sized to the machine's cores.
    pub fn global() -> &'static Self {
        static GATE: LazyLock<HashingGate> = LazyLock::new(|| {
            let cores = std::thread::available_parallelism().map_or(2, usize::from);
            HashingGate::new(cores, cores * QUEUE_PER_CORE)
        });
        &GATE
    }

    /// A place in the queue, or `None` when it is full.
    pub fn admit(&self) -> Option<Admission<'_>> {
        self.admitted.try_acquire().ok().map(|slot| Admission {
            gate: self,
            _slot: slot,
        })
    }
}

impl Admission<'_> {
    /// Runs `work` on one of the gate's threads once one is free.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, NoHashingThread> {
        let (done, result) = oneshot::channel();
        self.gate
            .jobs
            .send(Box::new(move || {
                // The caller may have gone (its request ended); the result is then unused.
                let _ = done.send(work());
            }))
            .map_err(|_| NoHashingThread)?;
        result.await.map_err(|_| NoHashingThread)
    }

    /// Hashes a new password into PHC format.
    pub async fn hash_password(&self, password: Password) -> Result<String, AppError> {
        match self.run(move || hash_blocking(password.expose())).await {
            Ok(Ok(hash)) => Ok(hash),
            Ok(Err(err)) => Err(AppError::internal(
                "hash password",
                &std::io::Error::other(err.to_string()),
            )),
            Err(err) => Err(AppError::internal("hash password task", &err)),
        }
    }

    /// Whether `password` matches `hash`.
    pub async fn verify_password(&self, password: String, hash: String) -> bool {
        self.run(move || verify_blocking(&password, &hash))
            .await
            .unwrap_or(false)
    }

    /// Spends the same time as a real check, so an unknown email cannot be told from a wrong
    /// password by timing.
    pub async fn verify_against_dummy(&self, password: String) {
        static DUMMY: OnceLock<String> = OnceLock::new();
        let _ = self
            .run(move || {
                let hash = DUMMY
                    .get_or_init(|| hash_blocking("dummy password for timing").unwrap_or_default());
                verify_blocking(&password, hash)
            })
            .await;
    }
}

fn hash_blocking(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

fn verify_blocking(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn hash_round_trip_uses_argon2id() {
        let gate = HashingGate::new(1, 0);
        let admission = gate.admit().expect("a free place");
        let hash = admission
            .hash_password(Password::parse("correct horse 电池").expect("valid"))
            .await
            .expect("hash");
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(
            admission
                .verify_password("correct horse 电池".into(), hash.clone())
                .await
        );
        assert!(
            !admission
                .verify_password("correct horse".into(), hash)
                .await
        );
        assert!(
            !admission
                .verify_password("anything".into(), "not a hash".into())
                .await
        );
    }

    #[test]
    fn the_gate_refuses_past_its_queue_and_frees_places() {
        let gate = HashingGate::new(2, 3);
        let places: Vec<_> = (0..5).map(|_| gate.admit().expect("free")).collect();
        assert!(gate.admit().is_none(), "a sixth request is refused at once");
        drop(places);
        assert!(
            gate.admit().is_some(),
            "places come back when requests finish"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_more_hashes_run_than_workers() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;
        let gate = Arc::new(HashingGate::new(2, 10));
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (gate, running, most) = (gate.clone(), running.clone(), most.clone());
            tasks.push(tokio::spawn(async move {
                let admission = gate.admit().expect("within the queue");
                admission
                    .run(move || {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(20));
                        running.fetch_sub(1, Ordering::SeqCst);
                    })
                    .await
                    .expect("ran");
            }));
        }
        for task in tasks {
            task.await.expect("task");
        }
        assert_eq!(most.load(Ordering::SeqCst), 2);
    }
}
