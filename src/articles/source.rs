//! `/articles/{slug}/source`: the protected redirect to an article's original.
//!
//! The target is looked up by slug, never taken from the request, and only http(s) URLs are
//! ever redirected to, so the route cannot be turned into an open redirect.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;

use super::store;
use crate::accounts::session::RequestSession;
use crate::accounts::sign_in_href;
use crate::db::now_ms;
use crate::state::AppState;

fn see_other(location: &str) -> Response {
    (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, location.to_owned())],
    )
        .into_response()
}

/// 303 to the original for a signed-in reader (recording the use), 303 to sign-in otherwise.
pub async fn source_redirect(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    session: Option<Extension<RequestSession>>,
) -> Response {
    let found = match store::find_source(&state.pool, &slug).await {
        Ok(found) => found,
        Err(err) => {
            tracing::error!(error = %err, "source lookup failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let Some((article_id, source_url)) = found else {
        return (StatusCode::NOT_FOUND, "Not found").into_response();
    };
    let user = session.and_then(|Extension(session)| session.user);
    let Some(user) = user else {
        return see_other(&sign_in_href(&format!("/articles/{slug}"), ""));
    };
    let safe = url::Url::parse(&source_url)
        .is_ok_and(|url| matches!(url.scheme(), "http" | "https") && url.host_str().is_some());
    if !safe {
        tracing::warn!(
            article_id,
            "refusing to redirect to a non-http(s) source URL"
        );
        return (StatusCode::NOT_FOUND, "Not found").into_response();
    }
    if let Err(err) =
        store::record_source_redirect(&state.pool, user.id, article_id, now_ms()).await
    {
        tracing::error!(error = %err, "could not record a source redirect");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    see_other(&source_url)
}
