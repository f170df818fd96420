//! What a request without JavaScript asks the discussion to show: the box opened by a GET
//! form (`?reply=ID`, `?edit=ID`, `?delete=ID`, `?report=ID`), a report just sent
//! (`?reported=ID`), and a form the server refused, redirected back with its error and text
//! (`__path`, `__err`).

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use crate::discussion::{EditComment, PostComment};
use crate::moderation::ReportComment;

/// Which box is open under which comment (one at a time, like a conversation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(super) enum Open {
    /// No box.
    Nothing,
    /// The reply box under comment ID.
    Reply(i64),
    /// The edit box of comment ID.
    Edit(i64),
    /// The delete confirmation of comment ID.
    Delete(i64),
    /// The report form of comment ID.
    Report(i64),
}

impl Open {
    /// The comment the box is under (0 for none).
    pub(super) fn target(self) -> i64 {
        match self {
            Self::Reply(id) | Self::Edit(id) | Self::Delete(id) | Self::Report(id) => id,
            Self::Nothing => 0,
        }
    }
}

/// A form posted without JavaScript that the server refused: shown again in its box.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Refused {
    /// The server function's path.
    pub(super) path: String,
    /// The comment the box belongs to (the parent of a reply, the comment edited).
    pub(super) target: Option<i64>,
    /// The message for the box.
    pub(super) message: String,
    /// What the reader had typed.
    pub(super) text: String,
}

/// The open box and the refused form of a page, handed to the discussion island.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct NoJsState {
    /// The box open under a comment.
    pub(super) open: Open,
    /// A form posted without JavaScript that came back refused.
    pub(super) refused: Option<Refused>,
    /// The comment a report was just sent about.
    pub(super) reported: Option<i64>,
}

/// The last value of query parameter `key` (a form posted twice from a page that already
/// carries an error appends a second one).
fn last_param(query: &leptos_router::params::ParamsMap, key: &str) -> Option<String> {
    query.get_all(key).and_then(|mut values| values.pop())
}

/// Reads the state a server render without JavaScript is asked for: the open box and a
/// refused form. Called by the server-rendered page around the discussion island, which
/// gets the result as a prop (the router and its query exist only on the server).
pub(super) fn state_from_query() -> NoJsState {
    let query = use_query_map();
    let query = query.read_untracked();
    let id = |key: &str| last_param(&query, key).and_then(|v| v.parse::<i64>().ok());
    let refused = crate::site::refused_form().map(|(path, err)| {
        let target = err
            .kept_value("parent")
            .or_else(|| err.kept_value("id"))
            .and_then(|v| v.parse().ok());
        Refused {
            path,
            target,
            message: err.field_message("body").unwrap_or_else(|| err.to_string()),
            text: err
                .kept_value("body")
                .or_else(|| err.kept_value("note"))
                .unwrap_or_default(),
        }
    });
    let open = match &refused {
        Some(r) if r.path == PostComment::PATH && r.target.is_some() => {
            Open::Reply(r.target.unwrap_or_default())
        }
        Some(r) if r.path == EditComment::PATH && r.target.is_some() => {
            Open::Edit(r.target.unwrap_or_default())
        }
        Some(r) if r.path == ReportComment::PATH && r.target.is_some() => {
            Open::Report(r.target.unwrap_or_default())
        }
        _ => {
            if let Some(id) = id("reply") {
                Open::Reply(id)
            } else if let Some(id) = id("edit") {
                Open::Edit(id)
            } else if let Some(id) = id("delete") {
                Open::Delete(id)
            } else if let Some(id) = id("report") {
                Open::Report(id)
            } else {
                Open::Nothing
            }
        }
    };
    NoJsState {
        open,
        refused,
        reported: id("reported"),
    }
}
