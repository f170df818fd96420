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
    /// Input that failed validation; `field` names the form field it belongs beside.
    #[error("{message}")]
    Invalid {
        /// The form field the message belongs to.
        field: String,
        /// A message fit to show beside that field.
        message: String,
    },
    /// Something failed on the server; the details are in the server log only.
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
    /// The server function machinery itself failed (network, encoding).
    #[error("The request could not be completed: {0}")]
    Transport(String),
}

impl AppError {
    /// An [`AppError::Invalid`] for `field`.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            message: message.into(),
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
            Self::Invalid { .. } => 422,
            Self::Internal | Self::Transport(_) => 500,
        }
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
