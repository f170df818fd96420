//! The application's one error type.
//!
//! Policy: the browser only ever sees the short, user-facing text of an [`AppError`]. Anything
//! internal (database failures, I/O, bugs) is logged on the server with its whole cause chain
//! and reaches the browser as [`AppError::Internal`], which says nothing about the cause.
//! Input that cannot even be decoded (missing or mistyped arguments, a body that is not a
//! form, invalid UTF-8) is the client's fault: it becomes [`AppError::BadRequest`] in our own
//! words, with the decoder's detail in the log only.
//!
//! Each error carries its HTTP status ([`AppError::status_code`]); the server sets it on every
//! server-function answer in one place (`server::error_status`), so no handler sets a status
//! itself.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// Errors that server functions return and components display.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// The thing asked for does not exist.
    #[error("Not found")]
    NotFound,
    /// The request needs a signed-in reader.
    #[error("Please sign in first")]
    Unauthorized,
    /// The signed-in reader may not do this.
    #[error("You are not allowed to do that")]
    Forbidden,
    /// The signed-in reader is suspended: until then (ms since the epoch), or for good.
    #[error("{}", suspended_message(*.0))]
    Suspended(Option<i64>),
    /// The article was unpublished (after a takedown); the text is the moderator's reason.
    #[error("This article has been removed")]
    Gone(String),
    /// Input that failed validation, with a message for each field at fault.
    #[error("{}", .0.summary())]
    Invalid(FormErrors),
    /// The request itself could not be read: arguments missing, of the wrong type, or a
    /// body that is not what the endpoint takes. The text is ours, never the decoder's.
    #[error("{0}")]
    BadRequest(String),
    /// The request body is larger than the server accepts.
    #[error("The request is too large.")]
    TooLarge,
    /// Too many attempts in a short time; the text says when to try again.
    #[error("{0}")]
    TooManyRequests(String),
    /// Something failed on the server; the details are in the server log only.
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
    /// The browser could not complete a call (network down, an answer it could not read).
    /// The detail is for debugging only and never shown.
    #[error("The request could not be completed. Check your connection and try again.")]
    Transport(String),
}

impl AppError {
    /// An [`AppError::Invalid`] with one message for `field`.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid(FormErrors::default().with(field, message))
    }

    /// The message for `field`, when this is a validation error about it.
    pub fn field_message(&self, field: &str) -> Option<String> {
        match self {
            Self::Invalid(errors) => errors.message(field).map(str::to_owned),
            _ => None,
        }
    }

    /// A value the reader typed into `field`, sent back so a form posted without JavaScript
    /// can show it again.
    pub fn kept_value(&self, field: &str) -> Option<String> {
        match self {
            Self::Invalid(errors) => errors.kept(field).map(str::to_owned),
            _ => None,
        }
    }

    /// Logs an internal failure with its cause chain and returns the opaque error users see.
    #[cfg(feature = "ssr")]
    pub fn internal(context: &str, err: &(dyn std::error::Error + 'static)) -> Self {
        let mut chain = err.to_string();
        let mut source = err.source();
        while let Some(cause) = source {
            chain.push_str(": ");
            chain.push_str(&cause.to_string());
            source = cause.source();
        }
        tracing::error!(context, error = %chain, "internal error");
        Self::Internal
    }

    /// The HTTP status this error answers with.
    pub fn status_code(&self) -> u16 {
        match self {
            Self::NotFound => 404,
            Self::Unauthorized => 401,
            Self::Forbidden | Self::Suspended(_) => 403,
            Self::Gone(_) => 410,
            Self::Invalid(_) => 422,
            Self::BadRequest(_) => 400,
            Self::TooLarge => 413,
            Self::TooManyRequests(_) => 429,
            Self::Internal | Self::Transport(_) => 500,
        }
    }
}

/// "Your account is suspended until 8 Dec 2026, 14:05 UTC", or without an end when it is
/// permanent (`None`).
pub fn suspended_message(until: Option<i64>) -> String {
    match until {
        Some(until) => format!(
            "Your account is suspended until {}",
            crate::site::format_date_time(until).1
        ),
        None => "Your account is suspended".to_owned(),
    }
}

/// Validation messages by form field, plus the (non-secret) values the reader typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormErrors {
    /// `(field, message)` pairs in form order; the field `form` is about the whole form.
    pub messages: Vec<(String, String)>,
    /// `(field, value)` pairs to put back into the form. Never passwords.
    pub kept: Vec<(String, String)>,
}

impl FormErrors {
    /// Adds a message for `field`.
    pub fn with(mut self, field: impl Into<String>, message: impl Into<String>) -> Self {
        self.messages.push((field.into(), message.into()));
        self
    }

    /// The value of `result`, or `None` after recording its message for `field`.
    pub fn check<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(message) => {
                self.messages.push((field.to_owned(), message));
                None
            }
        }
    }

    /// Records what the reader typed into `field`.
    pub fn keep(mut self, field: impl Into<String>, value: impl Into<String>) -> Self {
        self.kept.push((field.into(), value.into()));
        self
    }

    /// Whether there is no message.
    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }

    /// The message for `field`.
    pub fn message(&self, field: &str) -> Option<&str> {
        self.messages
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    /// The kept value of `field`.
    pub fn kept(&self, field: &str) -> Option<&str> {
        self.kept
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, v)| v.as_str())
    }

    /// All messages in one line.
    pub fn summary(&self) -> String {
        self.messages
            .iter()
            .map(|(_, m)| m.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    /// On the server these are failures to decode a request (the client's fault, 400) or
    /// of the machinery itself (ours, 500); in the browser, failures to reach the server.
    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        #[cfg(feature = "ssr")]
        {
            match value {
                ServerFnErrorErr::Args(_)
                | ServerFnErrorErr::MissingArg(_)
                | ServerFnErrorErr::Deserialization(_) => {
                    tracing::info!(error = %value, "undecodable server function request");
                    Self::BadRequest(BAD_REQUEST_MESSAGE.to_owned())
                }
                other => Self::internal("server function", &other),
            }
        }
        #[cfg(not(feature = "ssr"))]
        {
            Self::Transport(value.to_string())
        }
    }
}

/// What a client hears when its request could not be decoded.
pub const BAD_REQUEST_MESSAGE: &str =
    "The request could not be read: a field is missing, or has a value of the wrong kind.";

/// Database failures are ours. A `RowNotFound` means a row that must exist was missing (an
/// optional row is read with `fetch_optional`), so it is a bug to log, not a 404.
#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        Self::internal("database", &err)
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn undecodable_requests_are_bad_requests_in_our_words() {
        for err in [
            ServerFnErrorErr::Args("missing field `slug`".into()),
            ServerFnErrorErr::MissingArg("slug".into()),
            ServerFnErrorErr::Deserialization("invalid utf-8 sequence".into()),
        ] {
            let app = AppError::from_server_fn_error(err);
            assert_eq!(app.status_code(), 400);
            assert_eq!(app.to_string(), BAD_REQUEST_MESSAGE);
        }
        let app = AppError::from_server_fn_error(ServerFnErrorErr::Response("boom".into()));
        assert_eq!(app, AppError::Internal);
    }

    #[test]
    fn a_missing_row_that_must_exist_is_ours_not_a_404() {
        assert_eq!(AppError::from(sqlx::Error::RowNotFound), AppError::Internal);
        assert_eq!(AppError::Internal.status_code(), 500);
    }

    #[test]
    fn suspensions_say_until_when() {
        assert_eq!(
            AppError::Suspended(Some(1_796_738_700_000)).to_string(),
            "Your account is suspended until 8 Dec 2026, 14:05 UTC"
        );
        assert_eq!(
            AppError::Suspended(None).to_string(),
            "Your account is suspended"
        );
    }

    #[test]
    fn every_error_has_its_status() {
        assert_eq!(AppError::NotFound.status_code(), 404);
        assert_eq!(AppError::Unauthorized.status_code(), 401);
        assert_eq!(AppError::Forbidden.status_code(), 403);
        assert_eq!(AppError::Suspended(None).status_code(), 403);
        assert_eq!(AppError::Gone("why".into()).status_code(), 410);
        assert_eq!(AppError::invalid("f", "m").status_code(), 422);
        assert_eq!(AppError::TooLarge.status_code(), 413);
        assert_eq!(AppError::TooManyRequests("x".into()).status_code(), 429);
    }
}
