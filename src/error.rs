//! The application's one error type.
//!
//! Policy: the browser only ever sees the short, user-facing text of an [`AppError`]. Anything
//! internal (database failures, I/O, bugs) is logged on the server with its whole cause chain
//! and reaches the browser as [`AppError::Internal`], which says nothing about the cause.

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
    /// Input that failed validation, with a message for each field at fault.
    #[error("{}", .0.summary())]
    Invalid(FormErrors),
    /// Something failed on the server; the details are in the server log only.
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
    /// The server function machinery itself failed (network, encoding).
    #[error("The request could not be completed: {0}")]
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
            Self::Forbidden => 403,
            Self::Invalid(_) => 422,
            Self::Internal | Self::Transport(_) => 500,
        }
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

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        Self::Transport(value.to_string())
    }
}

#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        if matches!(err, sqlx::Error::RowNotFound) {
            return Self::NotFound;
        }
        Self::internal("database", &err)
    }
}
