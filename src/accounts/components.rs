//! The account pages and the header's account menu. Server HTML: their forms are plain
//! posts to the server functions, which answer with a redirect (back to the form with the
//! error and what was typed, or on to the page the reader came from).

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_location, use_query_map};

use super::{get_current_user, CurrentUser, SignIn, SignOut, SignUp};
use crate::error::AppError;
use crate::notifications::NotificationsLink;
use crate::site::query_value;

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
    format!("/signin?next={}", query_value(&next))
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
                // Known when the header renders; the link keeps it live once hydrated.
                let unread = match user {
                    Some(_) => crate::notifications::unread_count().await.unwrap_or(0),
                    None => 0,
                };
                match user {
                    Some(user) => {
                        view! {
                            <div class="account">
                                {(user.role == super::Role::Admin)
                                    .then(|| {
                                        view! { <a href="/admin/moderation">"Moderation"</a> }
                                    })}
                                <a href="/saved">"Saved"</a>
                                <NotificationsLink initial=unread />
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
        Some(next) => format!("{page}?next={}", query_value(&next)),
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
    fn sign_in_links_carry_the_anchor() {
        assert_eq!(
            sign_in_href("/articles/x", "#reader-feedback"),
            "/signin?next=/articles/x%23reader-feedback"
        );
    }
}
