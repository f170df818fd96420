//! Server-side sessions, the signed-in reader of a request, CSRF and client addresses.
//!
//! A session id is 256 random bits sent only in an HttpOnly cookie; the database keeps its
//! SHA-256, so a leaked table cannot be replayed. Sessions live in the database so any number
//! of app replicas share them.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use cookie::{Cookie, SameSite};
use leptos::prelude::*;
use sha2::{Digest, Sha256};

use super::{store, CurrentUser};
use crate::db::now_ms;
use crate::error::AppError;
use crate::state::AppState;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "besthub_session";
/// Name of the CSRF fallback cookie (double submit with the `x-csrf-token` header).
pub const CSRF_COOKIE: &str = "besthub_csrf";
/// Header carrying the CSRF token for clients that send neither Origin nor Sec-Fetch-Site.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// How long a session lives without use.
pub const SESSION_TTL_MS: i64 = 30 * 24 * 60 * 60 * 1000;
/// A session is extended at most this often, so reads do not write on every request.
const SESSION_REFRESH_MS: i64 = 24 * 60 * 60 * 1000;

/// What the session middleware learned about a request.
#[derive(Debug, Clone, Default)]
pub struct RequestSession {
    /// The signed-in reader, if any.
    pub user: Option<CurrentUser>,
    /// Hash of the presented session id, when it named a live session.
    pub id_hash: Option<String>,
    /// Until when the presented session's reader is suspended (`i64::MAX`: for good), when
    /// their suspension ended it.
    pub suspended_until: Option<i64>,
    /// The client's address (the peer, or the forwarded one behind a trusted proxy).
    pub client: Option<IpAddr>,
}

/// A new random session id and the hash stored for it.
pub fn new_session_id() -> (String, String) {
    let token = random_token();
    let hash = hash_token(&token);
    (token, hash)
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The stored form of a session id.
pub fn hash_token(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The `Set-Cookie` value for a session cookie (empty value and zero age to clear it).
pub fn session_cookie(value: &str, secure: bool, max_age_ms: i64) -> String {
    Cookie::build((SESSION_COOKIE, value.to_owned()))
        .http_only(true)
        .same_site(SameSite::Lax)
        .path("/")
        .secure(secure)
        .max_age(cookie::time::Duration::milliseconds(max_age_ms))
        .build()
        .to_string()
}

/// The value of cookie `name` in a request's headers.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_owned())
}

/// The client's address: the TCP peer, or the last `X-Forwarded-For` hop when the peer is a
/// configured trusted proxy (a forged header from anyone else is ignored).
pub fn client_addr(
    headers: &HeaderMap,
    peer: Option<IpAddr>,
    trusted: &[IpAddr],
) -> Option<IpAddr> {
    let peer = peer?;
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter_map(|hop| hop.parse::<IpAddr>().ok())
        .rfind(|hop| !trusted.contains(hop))
        .or(Some(peer))
}

/// Resolves the session cookie into a [`RequestSession`] extension, slides its expiry, and
/// clears a cookie that names no live session.
pub async fn session_middleware(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let now = now_ms();
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    let mut session = RequestSession {
        client: client_addr(req.headers(), peer, &state.config.trusted_proxies),
        ..RequestSession::default()
    };
    let token = cookie_value(req.headers(), SESSION_COOKIE).filter(|t| !t.is_empty());
    let mut set_cookie = None;
    if let Some(token) = token {
        let id_hash = hash_token(&token);
        match store::find_session(&state.pool, &id_hash, now).await {
            Ok(Some(store::SessionFound::Suspended(until))) => {
                session.suspended_until = Some(until);
            }
            Ok(Some(store::SessionFound::Active(user, expires_at))) => {
                if expires_at - now < SESSION_TTL_MS - SESSION_REFRESH_MS {
                    let new_expiry = now + SESSION_TTL_MS;
                    if let Err(err) = store::extend_session(&state.pool, &id_hash, new_expiry).await
                    {
                        tracing::warn!(error = %err, "could not extend a session");
                    } else {
                        set_cookie = Some(session_cookie(
                            &token,
                            state.config.is_https(),
                            SESSION_TTL_MS,
                        ));
                    }
                }
                session.user = Some(user);
                session.id_hash = Some(id_hash);
            }
            Ok(None) => set_cookie = Some(session_cookie("", state.config.is_https(), 0)),
            Err(err) => tracing::error!(error = %err, "session lookup failed"),
        }
    }
    let needs_csrf_cookie = cookie_value(req.headers(), CSRF_COOKIE).is_none();
    req.extensions_mut().insert(session);
    let mut response = next.run(req).await;
    if let Some(cookie) = set_cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    // Only pages carry forms; feeds, the sitemap and other files are public and cacheable
    // (`Cache-Control: public`), and a shared cache must never hand one reader's token to
    // the next.
    let is_page = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if needs_csrf_cookie && is_page {
        append_csrf_cookie(&mut response, state.config.is_https());
    }
    response
}

/// Gives a client its CSRF fallback cookie (a fresh random token).
pub fn append_csrf_cookie(response: &mut Response, secure: bool) {
    let csrf = Cookie::build((CSRF_COOKIE, random_token()))
        .http_only(true)
        .same_site(SameSite::Strict)
        .path("/")
        .secure(secure)
        .build()
        .to_string();
    if let Ok(value) = HeaderValue::from_str(&csrf) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

/// Refuses state-changing requests that do not come from our own pages: same-origin by
/// `Sec-Fetch-Site` or `Origin`, or, when a client sends neither, a token header equal to
/// the CSRF cookie.
pub async fn csrf_middleware(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let safe_method = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if safe_method || is_same_origin(req.headers(), &state.config.public_url) {
        return next.run(req).await;
    }
    (StatusCode::FORBIDDEN, "Cross-site request refused").into_response()
}

/// Whether a state-changing request may proceed (see [`csrf_middleware`]).
pub fn is_same_origin(headers: &HeaderMap, public_url: &str) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return site.as_bytes() == b"same-origin";
    }
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) {
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
        let origin_host = origin
            .strip_prefix("https://")
            .or_else(|| origin.strip_prefix("http://"));
        return origin == public_url || (origin_host.is_some() && origin_host == host);
    }
    match (cookie_value(headers, CSRF_COOKIE), headers.get(CSRF_HEADER)) {
        (Some(cookie), Some(header)) => {
            !cookie.is_empty() && constant_time_eq(cookie.as_bytes(), header.as_bytes())
        }
        _ => false,
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The [`RequestSession`] of the request being served (pages and server functions alike).
pub fn request_session() -> RequestSession {
    use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<RequestSession>().cloned())
        .unwrap_or_default()
}

/// The signed-in reader, if any.
pub fn current_user() -> Option<CurrentUser> {
    request_session().user
}

/// The signed-in reader, or [`AppError::Unauthorized`] (HTTP 401) for anonymous requests and
/// [`AppError::Suspended`] (403) for a session that the reader's suspension ended: every
/// write starts here, so a suspended reader's writes are all refused with the reason.
pub fn require_user() -> Result<CurrentUser, AppError> {
    let session = request_session();
    match (session.user, session.suspended_until) {
        (Some(user), _) => Ok(user),
        (None, Some(until)) => Err(AppError::Suspended((until != i64::MAX).then_some(until))),
        (None, None) => Err(AppError::Unauthorized),
    }
}

/// The signed-in admin, or [`AppError::NotFound`] for everyone else: admin pages and actions
/// do not tell others that they exist.
pub fn require_admin() -> Result<CurrentUser, AppError> {
    current_user()
        .filter(|user| user.role == super::Role::Admin)
        .ok_or(AppError::NotFound)
}

/// Whether the request being served is a plain HTML form post (the browser runs no script).
pub fn is_form_post() -> bool {
    use_context::<axum::http::request::Parts>().is_some_and(|parts| {
        parts
            .headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"))
    })
}

/// For a plain form post (no JavaScript), answers with a redirect to `path` (a section of
/// the page the form was on); calls from the hydrated page get their data instead.
pub fn back_to_form(path: &str) {
    if is_form_post() {
        leptos_axum::redirect(path);
    }
}

/// Adds a `Set-Cookie` header to the current response.
pub fn set_cookie(value: &str) {
    if let (Some(response), Ok(value)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        HeaderValue::from_str(value),
    ) {
        response.append_header(header::SET_COOKIE, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(*k, HeaderValue::from_str(v).expect("header"));
        }
        map
    }

    #[test]
    fn session_ids_are_random_256_bit_and_stored_hashed() {
        let (a, hash_a) = new_session_id();
        let (b, _) = new_session_id();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43); // 32 bytes, base64url without padding
        assert_eq!(hash_a, hash_token(&a));
        assert_ne!(hash_a, a);
        assert_eq!(hash_a.len(), 64);
    }

    #[test]
    fn cookie_flags() {
        let plain = session_cookie("abc", false, SESSION_TTL_MS);
        assert!(
            plain.contains("HttpOnly")
                && plain.contains("SameSite=Lax")
                && plain.contains("Path=/")
        );
        assert!(!plain.contains("Secure"));
        assert!(session_cookie("abc", true, SESSION_TTL_MS).contains("Secure"));
    }

    #[test]
    fn origin_checks() {
        let public = "http://127.0.0.1:3000";
        assert!(is_same_origin(
            &headers(&[("sec-fetch-site", "same-origin")]),
            public
        ));
        assert!(!is_same_origin(
            &headers(&[("sec-fetch-site", "cross-site")]),
            public
        ));
        assert!(!is_same_origin(
            &headers(&[("sec-fetch-site", "same-site")]),
            public
        ));
        assert!(is_same_origin(&headers(&[("origin", public)]), public));
        assert!(is_same_origin(
            &headers(&[
                ("origin", "http://localhost:3000"),
                ("host", "localhost:3000")
            ]),
            public
        ));
        assert!(!is_same_origin(
            &headers(&[
                ("origin", "https://evil.example"),
                ("host", "127.0.0.1:3000")
            ]),
            public
        ));
        assert!(!is_same_origin(&headers(&[("origin", "null")]), public));
        assert!(!is_same_origin(&headers(&[]), public));
        let with_token = headers(&[
            ("cookie", "besthub_csrf=tok123"),
            ("x-csrf-token", "tok123"),
        ]);
        assert!(is_same_origin(&with_token, public));
        let wrong = headers(&[
            ("cookie", "besthub_csrf=tok123"),
            ("x-csrf-token", "tok124"),
        ]);
        assert!(!is_same_origin(&wrong, public));
    }

    #[test]
    fn forwarded_for_is_trusted_only_from_configured_proxies() {
        let peer: IpAddr = "10.0.0.5".parse().expect("ip");
        let forged = headers(&[("x-forwarded-for", "1.2.3.4")]);
        assert_eq!(client_addr(&forged, Some(peer), &[]), Some(peer));
        let proxied = headers(&[("x-forwarded-for", "9.9.9.9, 1.2.3.4")]);
        assert_eq!(
            client_addr(&proxied, Some(peer), &[peer]),
            Some("1.2.3.4".parse().expect("ip"))
        );
    }
}
