//! Accounts: sign up, sign in, sign out, and who the reader is.
//!
//! Server functions here are the only way in; each validates its input itself (they are
//! public HTTP endpoints), and each works from a hydrated page and from a plain form post.

use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

mod components;
pub mod domain;
#[cfg(feature = "ssr")]
pub mod password;
#[cfg(feature = "ssr")]
pub mod session;
#[cfg(feature = "ssr")]
pub mod store;

pub use components::{
    sign_in_href, use_auth, AccountMenu, Auth, AuthProvider, SignInPage, SignUpPage,
};

/// What a user may do beyond reading and discussing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    /// Reads, reacts and comments.
    Reader,
    /// Also moderates.
    Admin,
}

impl Role {
    /// The stored text of a role.
    pub fn as_db(self) -> &'static str {
        match self {
            Self::Reader => "reader",
            Self::Admin => "admin",
        }
    }

    /// The role stored as `text` (anything unknown is the least privileged).
    pub fn from_db(text: &str) -> Self {
        if text == "admin" {
            Self::Admin
        } else {
            Self::Reader
        }
    }
}

/// The signed-in reader.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    /// User id.
    pub id: i64,
    /// Display name.
    pub name: String,
    /// Role.
    pub role: Role,
}

/// Sign-in attempts in [`LOCK_WINDOW_MS`] after which a failure locks the account.
pub const MAX_FAILED_SIGN_INS: i64 = 5;
/// The window in which they count, and how long the lock lasts.
pub const LOCK_WINDOW_MS: i64 = 15 * 60 * 1000;
/// The window of the per-address sign-up limit.
pub const SIGN_UP_WINDOW_MS: i64 = 60 * 60 * 1000;
/// The longest window of any rate limit (the sign-up window); windows that started before it
/// are swept, so no limit may use a longer one.
pub const LONGEST_RATE_WINDOW_MS: i64 = SIGN_UP_WINDOW_MS;

/// The signed-in reader, or `None`. A read, so a GET: calling it is never taken for a write.
#[server(endpoint = "get_current_user", input = GetUrl)]
pub async fn get_current_user() -> Result<Option<CurrentUser>, AppError> {
    Ok(session::current_user())
}

/// Creates an account, signs it in and goes to `next` (a same-site path, else `/`).
#[server(endpoint = "sign_up")]
pub async fn sign_up(
    name: String,
    email: String,
    password: String,
    next: Option<String>,
) -> Result<(), AppError> {
    use crate::error::FormErrors;
    use domain::{DisplayName, Email, Password, SafeNextPath};

    let state = crate::state::app_state()?;
    let now = crate::db::now_ms();
    // Every attempt counts, valid or not, so the limit also bounds what probing costs us.
    let allowed = store::take_rate_limit(
        &state.pool,
        &format!("signup:{}", client_key()),
        now,
        now - SIGN_UP_WINDOW_MS,
        state.config.signups_per_hour,
    )
    .await?;
    let mut errors = FormErrors::default()
        .keep("name", name.clone())
        .keep("email", email.clone());
    let parsed_name = errors.check("name", DisplayName::parse(&name));
    let parsed_email = errors.check("email", Email::parse(&email));
    let parsed_password = errors.check("password", Password::parse(&password));
    if !allowed {
        return Err(AppError::Invalid(errors.with(
            "form",
            "Too many sign-up attempts from your network. Try again in an hour.",
        )));
    }
    let (Some(name), Some(email), Some(password)) = (parsed_name, parsed_email, parsed_password)
    else {
        return Err(AppError::Invalid(errors));
    };

    let Some(hashing) = password::HashingGate::global().admit() else {
        return Err(AppError::TooManyRequests(BUSY_SIGN_UP.to_owned()));
    };
    let hash = hashing.hash_password(password).await?;
    drop(hashing);
    let user_id =
        match store::create_user(&state.pool, email.as_str(), name.as_str(), &hash, now).await {
            Ok(id) => id,
            Err(store::CreateUserError::EmailTaken) => {
                return Err(AppError::Invalid(
                    errors.with("email", "An account with this email already exists"),
                ))
            }
            Err(store::CreateUserError::Db(err)) => return Err(err.into()),
        };
    start_session(&state, user_id, now).await?;
    leptos_axum::redirect(SafeNextPath::parse(next.as_deref()).as_str());
    Ok(())
}

/// What a reader hears when sign-ins arrive faster than they can be checked, from their
/// address or from everyone at once.
pub const BUSY_SIGN_IN: &str = "Too many sign-in attempts. Try again in a minute.";
/// The same for sign-ups.
pub const BUSY_SIGN_UP: &str = "Too many sign-up attempts. Try again in a minute.";

/// The rate-limit key of the request's client address.
#[cfg(feature = "ssr")]
/// The client address a per-address limit counts against.
pub(crate) fn client_key() -> String {
    session::request_session()
        .client
        .map_or_else(|| "unknown".to_owned(), |ip| ip.to_string())
}

/// Signs in with email and password and goes to `next` (a same-site path, else `/`).
///
/// The order bounds what an attacker can make us do: a place in the hashing queue first
/// (refused at once when full), then the per-address limit (one upsert), then the attempt is
/// claimed on the account atomically, and only then is the password hashed, so parallel
/// guesses cannot get more checks than the lock allows.
#[server(endpoint = "sign_in")]
pub async fn sign_in(
    email: String,
    password: String,
    next: Option<String>,
) -> Result<(), AppError> {
    use crate::error::FormErrors;
    use domain::{Email, SafeNextPath};
    use store::SignInClaim;

    let state = crate::state::app_state()?;
    let errors = FormErrors::default().keep("email", email.clone());
    let incorrect = || {
        AppError::Invalid(
            errors
                .clone()
                .with("form", "Email or password is incorrect"),
        )
    };
    let locked = |until: i64, now: i64| {
        AppError::Invalid(errors.clone().with("form", locked_message(until - now)))
    };
    let Ok(email) = Email::parse(&email) else {
        return Err(incorrect());
    };
    if password.is_empty() || password.chars().count() > domain::PASSWORD_MAX_CHARS {
        return Err(incorrect());
    }
    // A place in the hashing queue first: past it the answer is immediate and costs nothing,
    // not even a database write, so a burst holds at most the queue's worth of requests.
    let Some(hashing) = password::HashingGate::global().admit() else {
        return Err(AppError::TooManyRequests(BUSY_SIGN_IN.to_owned()));
    };
    let now = crate::db::now_ms();
    let allowed = store::take_rate_limit(
        &state.pool,
        &format!("signin:{}", client_key()),
        now,
        now - 60_000,
        state.config.sign_ins_per_minute,
    )
    .await?;
    if !allowed {
        return Err(AppError::TooManyRequests(BUSY_SIGN_IN.to_owned()));
    }
    let Some(user) = store::find_user_by_email(&state.pool, email.as_str()).await? else {
        hashing.verify_against_dummy(password).await;
        return Err(incorrect());
    };
    let attempt =
        match store::claim_sign_in_attempt(&state.pool, user.id, now, LOCK_WINDOW_MS).await? {
            SignInClaim::Locked(until) => return Err(locked(until, now)),
            SignInClaim::Attempt(n) if n > MAX_FAILED_SIGN_INS => {
                // Claimed while the attempts that used up the window were still being checked.
                let until =
                    store::lock_sign_in(&state.pool, user.id, now, now + LOCK_WINDOW_MS).await?;
                return Err(locked(until, now));
            }
            SignInClaim::Attempt(n) => n,
        };
    let verified = hashing
        .verify_password(password, user.password_hash.clone())
        .await;
    drop(hashing);
    if !verified {
        if attempt < MAX_FAILED_SIGN_INS {
            return Err(incorrect());
        }
        let until = store::lock_sign_in(&state.pool, user.id, now, now + LOCK_WINDOW_MS).await?;
        return Err(locked(until, now));
    }
    store::clear_sign_in_attempts(&state.pool, user.id).await?;
    // Told only to whoever knows the password.
    if let Some(until) = user.suspended_until.filter(|until| *until > now) {
        let message = crate::error::suspended_message((until != i64::MAX).then_some(until));
        return Err(AppError::Invalid(errors.with("form", message)));
    }
    start_session(&state, user.id, now).await?;
    leptos_axum::redirect(SafeNextPath::parse(next.as_deref()).as_str());
    Ok(())
}

/// Ends the current session (401 when there is none).
#[server(endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    let state = crate::state::app_state()?;
    session::require_user()?;
    if let Some(id_hash) = session::request_session().id_hash {
        let mut tx = state.pool.begin().await?;
        store::delete_session(&mut *tx, &id_hash).await?;
        let change = crate::events::Change::SessionEnded { session: id_hash };
        state.events.commit(tx, change).await?;
    }
    session::set_cookie(&session::session_cookie("", state.config.is_https(), 0));
    Ok(())
}

/// "Too many failed sign-ins. Try again in N minutes." for a lock with `remaining_ms` left.
pub fn locked_message(remaining_ms: i64) -> String {
    let minutes = ((remaining_ms + 59_999) / 60_000).max(1);
    let unit = if minutes == 1 { "minute" } else { "minutes" };
    format!("Too many failed sign-ins. Try again in {minutes} {unit}.")
}

/// Replaces any current session with a new one for `user_id` (no session fixation).
#[cfg(feature = "ssr")]
async fn start_session(
    state: &crate::state::AppState,
    user_id: i64,
    now: i64,
) -> Result<(), AppError> {
    if let Some(old) = session::request_session().id_hash {
        store::delete_session(&state.pool, &old).await?;
    }
    let (token, id_hash) = session::new_session_id();
    store::create_session(
        &state.pool,
        &id_hash,
        user_id,
        now,
        now + session::SESSION_TTL_MS,
    )
    .await?;
    session::set_cookie(&session::session_cookie(
        &token,
        state.config.is_https(),
        session::SESSION_TTL_MS,
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_message_rounds_up_minutes() {
        assert_eq!(
            locked_message(15 * 60 * 1000),
            "Too many failed sign-ins. Try again in 15 minutes."
        );
        assert_eq!(
            locked_message(61_000),
            "Too many failed sign-ins. Try again in 2 minutes."
        );
        assert_eq!(
            locked_message(1_000),
            "Too many failed sign-ins. Try again in 1 minute."
        );
    }
}
