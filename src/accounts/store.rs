//! Users, sessions, sign-in attempts and rate-limit windows. Every function takes its pool.

use super::{CurrentUser, Role};
use crate::db::Pool;

/// A user row as sign-in needs it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRecord {
    /// Row id.
    pub id: i64,
    /// Normalised email.
    pub email: String,
    /// Display name.
    pub name: String,
    /// PHC-format argon2id hash.
    pub password_hash: String,
    /// `reader` or `admin`.
    pub role: String,
    /// Sign-in refused until then (ms since the epoch), after too many failures.
    pub locked_until: Option<i64>,
    /// Writes and sign-in refused until then (`i64::MAX`: for good).
    pub suspended_until: Option<i64>,
}

impl UserRecord {
    /// The public view of this user.
    pub fn current_user(&self) -> CurrentUser {
        CurrentUser {
            id: self.id,
            name: self.name.clone(),
            role: Role::from_db(&self.role),
        }
    }
}

/// Why a user could not be created.
#[derive(Debug, thiserror::Error)]
pub enum CreateUserError {
    /// Another account has this email.
    #[error("email already registered")]
    EmailTaken,
    /// The database failed.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Creates a reader account; the email must be normalised already.
pub async fn create_user(
    pool: &Pool,
    email: &str,
    name: &str,
    password_hash: &str,
    now: i64,
) -> Result<i64, CreateUserError> {
    let result = sqlx::query_scalar(
        "INSERT INTO users (email, name, password_hash, role, created_at)
         VALUES ($1, $2, $3, 'reader', $4) RETURNING id",
    )
    .bind(email)
    .bind(name)
    .bind(password_hash)
    .bind(now)
    .fetch_one(pool)
    .await;
    match result {
        Ok(id) => Ok(id),
        Err(sqlx::Error::Database(err)) if err.is_unique_violation() => {
            Err(CreateUserError::EmailTaken)
        }
        Err(err) => Err(err.into()),
    }
}

/// The user with this (normalised) email.
pub async fn find_user_by_email(pool: &Pool, email: &str) -> sqlx::Result<Option<UserRecord>> {
    sqlx::query_as(
        "SELECT id, email, name, password_hash, role, locked_until, suspended_until
         FROM users WHERE email = $1",
    )
    .bind(email)
    .fetch_optional(pool)
    .await
}

/// Sets a user's role; returns whether a user with that email exists.
pub async fn set_role(pool: &Pool, email: &str, role: Role) -> sqlx::Result<bool> {
    let result = sqlx::query("UPDATE users SET role = $1 WHERE email = $2")
        .bind(role.as_db())
        .bind(email)
        .execute(pool)
        .await?;
    Ok(result.rows_affected() > 0)
}

/// What claiming a sign-in attempt found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInClaim {
    /// The attempt may be checked; it is the `n`th in the account's current window.
    Attempt(i64),
    /// The account is locked until then (ms since the epoch).
    Locked(i64),
}

/// Claims one sign-in attempt on the account before its password is checked, in one atomic
/// update: the count starts over when the window that began at the first attempt has passed.
/// A locked account claims nothing.
pub async fn claim_sign_in_attempt(
    pool: &Pool,
    user_id: i64,
    now: i64,
    window_ms: i64,
) -> sqlx::Result<SignInClaim> {
    let claimed: Option<i64> = sqlx::query_scalar(
        "UPDATE users SET
             sign_in_attempts = CASE WHEN sign_in_window_start <= $2
                                     THEN 1 ELSE sign_in_attempts + 1 END,
             sign_in_window_start = CASE WHEN sign_in_window_start <= $2
                                         THEN $3 ELSE sign_in_window_start END
         WHERE id = $1 AND (locked_until IS NULL OR locked_until <= $3)
         RETURNING sign_in_attempts",
    )
    .bind(user_id)
    .bind(now - window_ms)
    .bind(now)
    .fetch_optional(pool)
    .await?;
    match claimed {
        Some(n) => Ok(SignInClaim::Attempt(n)),
        None => Ok(SignInClaim::Locked(lock_end(pool, user_id, now).await?)),
    }
}

/// Locks the account until `until` unless it is locked already, and returns when the lock
/// in force ends. The lock replaces the count: after it the reader gets a fresh set of tries.
pub async fn lock_sign_in(pool: &Pool, user_id: i64, now: i64, until: i64) -> sqlx::Result<i64> {
    sqlx::query(
        "UPDATE users SET locked_until = $2, sign_in_attempts = 0
         WHERE id = $1 AND (locked_until IS NULL OR locked_until <= $3)",
    )
    .bind(user_id)
    .bind(until)
    .bind(now)
    .execute(pool)
    .await?;
    lock_end(pool, user_id, now).await
}

/// When the account's lock ends (`now` if it has none, or it was deleted meanwhile).
async fn lock_end(pool: &Pool, user_id: i64, now: i64) -> sqlx::Result<i64> {
    let until: Option<Option<i64>> =
        sqlx::query_scalar("SELECT locked_until FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(pool)
            .await?;
    Ok(until.flatten().unwrap_or(now).max(now))
}

/// Forgets the account's attempts and lock after a successful sign-in.
pub async fn clear_sign_in_attempts(pool: &Pool, user_id: i64) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE users SET sign_in_attempts = 0, sign_in_window_start = 0, locked_until = NULL
         WHERE id = $1",
    )
    .bind(user_id)
    .execute(pool)
    .await?;
    Ok(())
}

/// Stores a new session (only the hash of its id).
pub async fn create_session(
    pool: &Pool,
    id_hash: &str,
    user_id: i64,
    now: i64,
    expires_at: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO sessions (id_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(id_hash)
    .bind(user_id)
    .bind(now)
    .bind(expires_at)
    .execute(pool)
    .await?;
    Ok(())
}

/// What a presented session id stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionFound {
    /// A signed-in reader, and when the session expires.
    Active(CurrentUser, i64),
    /// A session its reader's suspension ended: still suspended until then (`i64::MAX`: for
    /// good), so a write sent with it is told why rather than asked to sign in.
    Suspended(i64),
}

/// The unexpired session `id_hash`. A suspension ends every session started before it, for
/// good: once the suspension is over they stay ended, and the reader signs in again.
pub async fn find_session(
    pool: &Pool,
    id_hash: &str,
    now: i64,
) -> sqlx::Result<Option<SessionFound>> {
    type Row = (i64, String, String, i64, i64, Option<i64>, Option<i64>);
    let row: Option<Row> = sqlx::query_as(
        "SELECT u.id, u.name, u.role, s.expires_at, s.created_at, u.suspended_until,
             u.suspended_at
         FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.id_hash = $1 AND s.expires_at > $2",
    )
    .bind(id_hash)
    .bind(now)
    .fetch_optional(pool)
    .await?;
    let Some((id, name, role, expires_at, created_at, until, suspended_at)) = row else {
        return Ok(None);
    };
    let suspended = until.filter(|until| *until > now);
    let ended = suspended_at.is_some_and(|at| created_at <= at);
    Ok(match (suspended, ended) {
        (Some(until), _) => Some(SessionFound::Suspended(until)),
        (None, true) => None,
        (None, false) => Some(SessionFound::Active(
            CurrentUser {
                id,
                name,
                role: Role::from_db(&role),
            },
            expires_at,
        )),
    })
}

/// Suspends user `user_id` until `until` (`i64::MAX`: for good), ending their sessions.
pub async fn suspend<'e>(
    db: impl sqlx::Executor<'e, Database = sqlx::Any>,
    user_id: i64,
    now: i64,
    until: i64,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET suspended_until = $2, suspended_at = $3 WHERE id = $1")
        .bind(user_id)
        .bind(until)
        .bind(now)
        .execute(db)
        .await?;
    Ok(())
}

/// Moves a session's expiry (sliding expiry).
pub async fn extend_session(pool: &Pool, id_hash: &str, expires_at: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE sessions SET expires_at = $1 WHERE id_hash = $2")
        .bind(expires_at)
        .bind(id_hash)
        .execute(pool)
        .await?;
    Ok(())
}

/// Deletes one session (sign-out).
pub async fn delete_session<'e>(
    db: impl sqlx::Executor<'e, Database = sqlx::Any>,
    id_hash: &str,
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
        .bind(id_hash)
        .execute(db)
        .await?;
    Ok(())
}

/// Deletes sessions that have expired; returns how many.
pub async fn delete_expired_sessions(pool: &Pool, now: i64) -> sqlx::Result<u64> {
    let result = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(now)
        .execute(pool)
        .await?;
    Ok(result.rows_affected())
}

/// What [`sweep_expired`] removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    /// Expired sessions.
    pub sessions: u64,
    /// Rate-limit windows that can no longer refuse anything.
    pub rate_limit_windows: u64,
}

impl Swept {
    /// Whether nothing was removed.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// Deletes expired sessions and rate-limit windows older than the longest window.
pub async fn sweep_expired(pool: &Pool, now: i64) -> sqlx::Result<Swept> {
    Ok(Swept {
        sessions: delete_expired_sessions(pool, now).await?,
        rate_limit_windows: delete_rate_limit_windows_before(
            pool,
            now - super::LONGEST_RATE_WINDOW_MS,
        )
        .await?,
    })
}

/// Deletes rate-limit windows that started before `before`: they can no longer refuse
/// anything, and a new window starts from nothing anyway. Returns how many.
pub async fn delete_rate_limit_windows_before(pool: &Pool, before: i64) -> sqlx::Result<u64> {
    let result = sqlx::query("DELETE FROM rate_limit_windows WHERE window_start < $1")
        .bind(before)
        .execute(pool)
        .await?;
    Ok(result.rows_affected())
}

/// Takes one of `limit` slots in `bucket`'s current window, which started after `since`
/// (a fixed window: it opens at the first event after the last one ended); returns whether a
/// slot was free.
pub async fn take_rate_limit(
    pool: &Pool,
    bucket: &str,
    now: i64,
    since: i64,
    limit: i64,
) -> sqlx::Result<bool> {
    let mut tx = pool.begin().await?;
    let allowed = take_rate_limit_in(&mut tx, bucket, now, since, limit).await?;
    tx.commit().await?;
    Ok(allowed)
}

/// [`take_rate_limit`] inside the caller's transaction, so a write and the slot that allows
/// it commit (or roll back) together. One upsert, whatever the traffic.
pub async fn take_rate_limit_in(
    conn: &mut sqlx::AnyConnection,
    bucket: &str,
    now: i64,
    since: i64,
    limit: i64,
) -> sqlx::Result<bool> {
    let used: i64 = sqlx::query_scalar(
        "INSERT INTO rate_limit_windows (bucket, window_start, used) VALUES ($1, $2, 1)
         ON CONFLICT (bucket) DO UPDATE SET
             used = CASE WHEN rate_limit_windows.window_start <= $3
                         THEN 1 ELSE rate_limit_windows.used + 1 END,
             window_start = CASE WHEN rate_limit_windows.window_start <= $3
                                 THEN $2 ELSE rate_limit_windows.window_start END
         RETURNING used",
    )
    .bind(bucket)
    .bind(now)
    .bind(since)
    .fetch_one(&mut *conn)
    .await?;
    Ok(used <= limit)
}
