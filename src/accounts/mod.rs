//! Accounts: sign up, sign in, sign out, and who the reader is.
//!
//! Server functions here are the only way in; each validates its input itself (they are
//! public HTTP endpoints), and each works from a hydrated page and from a plain form post.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;
use leptos_meta::Title;
use leptos_router::hooks::{use_location, use_query_map};
use serde::{Deserialize, Serialize};

use crate::error::AppError;

pub mod domain;
#[cfg(feature = "ssr")]
pub mod password;
#[cfg(feature = "ssr")]
pub mod session;
#[cfg(feature = "ssr")]
pub mod store;

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
#[server(input = GetUrl)]
pub async fn get_current_user() -> Result<Option<CurrentUser>, AppError> {
    Ok(session::current_user())
}

/// Creates an account, signs it in and goes to `next` (a same-site path, else `/`).
#[server]
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
fn client_key() -> String {
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
#[server]
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
    start_session(&state, user.id, now).await?;
    leptos_axum::redirect(SafeNextPath::parse(next.as_deref()).as_str());
    Ok(())
}

/// Ends the current session (401 when there is none).
#[server]
pub async fn sign_out() -> Result<(), AppError> {
    let state = crate::state::app_state()?;
    session::require_user()?;
    if let Some(id_hash) = session::request_session().id_hash {
        store::delete_session(&state.pool, &id_hash).await?;
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

/// The reader and the account actions, shared by the header and the account pages.
#[derive(Clone, Copy)]
pub struct Auth {
    /// The signed-in reader, refetched after every account action.
    pub user: Resource<Result<Option<CurrentUser>, AppError>>,
    /// Sign in.
    pub sign_in: ServerAction<SignIn>,
    /// Sign up.
    pub sign_up: ServerAction<SignUp>,
    /// Sign out.
    pub sign_out: ServerAction<SignOut>,
}

/// Creates [`Auth`] for the page; must sit inside the `Router` so that errors from form posts
/// made without JavaScript reach the actions.
#[component]
pub fn AuthProvider(children: Children) -> impl IntoView {
    let sign_in = ServerAction::<SignIn>::new();
    let sign_up = ServerAction::<SignUp>::new();
    let sign_out = ServerAction::<SignOut>::new();
    let user = Resource::new_blocking(
        move || {
            (
                sign_in.version().get(),
                sign_up.version().get(),
                sign_out.version().get(),
            )
        },
        |_| get_current_user(),
    );
    provide_context(Auth {
        user,
        sign_in,
        sign_up,
        sign_out,
    });
    children()
}

/// The [`Auth`] of the page.
pub fn use_auth() -> Auth {
    expect_context::<Auth>()
}

/// `/signin?next=` for the current page plus `anchor` (e.g. `#discussion`).
pub fn sign_in_href(path: &str, anchor: &str) -> String {
    let next = format!("{path}{anchor}");
    format!("/signin?next={}", percent_encode(&next))
}

fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The reader's part of the header: "Sign in", or their name and "Sign out".
#[component]
pub fn AccountMenu() -> impl IntoView {
    let auth = use_auth();
    let location = use_location();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let user = auth.user.await.ok().flatten();
                match user {
                    Some(user) => {
                        view! {
                            <div class="account">
                                <span class="account-name">{user.name}</span>
                                <ActionForm action=auth.sign_out attr:class="inline-form">
                                    <button type="submit" class="link-button">
                                        "Sign out"
                                    </button>
                                </ActionForm>
                            </div>
                        }
                            .into_any()
                    }
                    None => {
                        let path = location.pathname.get();
                        if path == "/signin" || path == "/signup" {
                            ().into_any()
                        } else {
                            let href = sign_in_href(&path, "");
                            view! {
                                <a class="sign-in-link" href=href>
                                    "Sign in"
                                </a>
                            }
                                .into_any()
                        }
                    }
                }
            })}
        </Suspense>
    }
}

/// The `next` query parameter of the current page, as given.
fn use_next_param() -> Signal<Option<String>> {
    let query = use_query_map();
    Signal::derive(move || query.read().get("next"))
}

/// A labelled input with its error message tied to it by `aria-describedby`.
#[component]
fn Field(
    /// Form field name (also the key of its error).
    name: &'static str,
    /// Visible label.
    label: &'static str,
    /// Input type.
    kind: &'static str,
    /// `autocomplete` token.
    autocomplete: &'static str,
    /// Element id prefix, unique on the page.
    id: &'static str,
    /// The latest error of the form's action.
    error: Signal<Option<AppError>>,
    /// Initial value (what the reader typed before a form post without JavaScript).
    #[prop(optional)]
    value: Option<String>,
    /// Hint shown under the field.
    #[prop(optional)]
    hint: Option<&'static str>,
) -> impl IntoView {
    let input_id = format!("{id}-{name}");
    let error_id = format!("{input_id}-error");
    let hint_id = format!("{input_id}-hint");
    let message = move || error.get().and_then(|e| e.field_message(name));
    let described_by = {
        let error_id = error_id.clone();
        let hint_id = hint_id.clone();
        move || {
            let mut ids = Vec::new();
            if hint.is_some() {
                ids.push(hint_id.clone());
            }
            if message().is_some() {
                ids.push(error_id.clone());
            }
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    view! {
        <div class="field">
            <label for=input_id.clone()>{label}</label>
            <input
                id=input_id
                name=name
                type=kind
                autocomplete=autocomplete
                required=true
                value=value
                aria-invalid=move || message().map(|_| "true")
                aria-describedby=described_by
            />
            {hint.map(|h| view! { <p class="field-hint" id=hint_id.clone()>{h}</p> })}
            <p class="field-error" id=error_id.clone() aria-live="polite">
                {message}
            </p>
        </div>
    }
}

/// The error of the action's latest call, if it failed.
///
/// Without JavaScript the form posts directly and Leptos redirects back with the error in
/// the query (`__path`, `__err`); `<Routes>` only hands that to actions created inside it,
/// and these live in the header's [`AuthProvider`], so the query is read here.
fn action_error<S>(action: ServerAction<S>) -> Signal<Option<AppError>>
where
    S: leptos::server_fn::ServerFn<Output = (), Error = AppError> + Clone + Send + Sync + 'static,
{
    let query = use_query_map();
    Signal::derive(move || match action.value().get() {
        Some(result) => result.err(),
        None => {
            let query = query.read();
            let err = query.get_str("__err")?;
            (query.get_str("__path")? == S::PATH)
                .then(|| leptos::server_fn::error::ServerFnUrlError::<AppError>::decode_err(err))
        }
    })
}

/// The message about the whole form (or a failure that is about no field), read out when it
/// appears.
#[component]
fn FormMessage(error: Signal<Option<AppError>>) -> impl IntoView {
    view! {
        <p class="form-error" role="alert">
            {move || {
                error
                    .get()
                    .and_then(|e| match e {
                        AppError::Invalid(_) => e.field_message("form"),
                        other => Some(other.to_string()),
                    })
            }}
        </p>
    }
}

/// `page` carrying `next` along, when there is one.
fn with_next(page: &str, next: Option<String>) -> String {
    match next {
        Some(next) => format!("{page}?next={}", percent_encode(&next)),
        None => page.to_owned(),
    }
}

/// `/signin`.
#[component]
pub fn SignInPage() -> impl IntoView {
    let auth = use_auth();
    let next = use_next_param();
    let error = action_error(auth.sign_in);
    // What the reader typed, echoed by the server after a form post without JavaScript.
    let kept_email = error.get_untracked().and_then(|e| e.kept_value("email"));
    let signup_href = move || with_next("/signup", next.get());
    view! {
        <Title text="Sign in" />
        <div class="account-page">
            <h1>"Sign in"</h1>
            <ActionForm action=auth.sign_in attr:class="account-form" attr:novalidate=true>
                <FormMessage error />
                <Field name="email" label="Email" kind="email" autocomplete="username" id="signin" error value=kept_email.unwrap_or_default() />
                <Field name="password" label="Password" kind="password" autocomplete="current-password" id="signin" error />
                <input type="hidden" name="next" value=move || next.get().unwrap_or_default() />
                <button type="submit" class="primary">"Sign in"</button>
            </ActionForm>
            <p class="account-switch">
                "New to BestHub? " <a href=signup_href>"Create an account"</a>
            </p>
        </div>
    }
}

/// `/signup`.
#[component]
pub fn SignUpPage() -> impl IntoView {
    let auth = use_auth();
    let next = use_next_param();
    let error = action_error(auth.sign_up);
    let kept = move |field: &str| {
        error
            .get_untracked()
            .and_then(|e| e.kept_value(field))
            .unwrap_or_default()
    };
    let signin_href = move || with_next("/signin", next.get());
    view! {
        <Title text="Create an account" />
        <div class="account-page">
            <h1>"Create an account"</h1>
            <ActionForm action=auth.sign_up attr:class="account-form" attr:novalidate=true>
                <FormMessage error />
                <Field name="name" label="Name" kind="text" autocomplete="name" id="signup" error value=kept("name") />
                <Field name="email" label="Email" kind="email" autocomplete="email" id="signup" error value=kept("email") />
                <Field name="password" label="Password" kind="password" autocomplete="new-password" id="signup" error hint="At least 8 characters." />
                <input type="hidden" name="next" value=move || next.get().unwrap_or_default() />
                <button type="submit" class="primary">"Create account"</button>
            </ActionForm>
            <p class="account-switch">
                "Already have an account? " <a href=signin_href>"Sign in"</a>
            </p>
        </div>
    }
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

    #[test]
    fn sign_in_links_carry_the_anchor() {
        assert_eq!(
            sign_in_href("/articles/x", "#reader-feedback"),
            "/signin?next=/articles/x%23reader-feedback"
        );
    }
}
