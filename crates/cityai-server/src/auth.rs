//! Signing in, sessions, API keys, CSRF checks and login rate limiting.
//!
//! [`authorize`] runs before every routed handler. It finds the caller from an
//! `Authorization: Bearer` API key or the session cookie, checks the route's row in
//! [`crate::policy::ROUTES`], checks the CSRF token of every state-changing request made
//! with a cookie, and hands the handler a [`Principal`].

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::body::{Body, to_bytes};
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::header::{
    ALLOW, AUTHORIZATION, CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE, WWW_AUTHENTICATE,
};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use cityai_core::Role;
use cityai_core::i18n::t;
use cityai_services::auth::{api_key_user, constant_time_eq, token_hash};
use cityai_store::User;
use maud::html;
use serde_json::json;

use crate::AppState;
use crate::error::{Text, json_error};
use crate::lang::negotiate;
use crate::layout::{other, page};
use crate::policy::{self, Access};

/// The session cookie: a random token whose SHA-256 finds the session row.
pub(crate) const SESSION_COOKIE: &str = "cityai_session";

/// The pre-login CSRF cookie, checked against the login form's hidden field.
pub(crate) const LOGIN_CSRF_COOKIE: &str = "cityai_csrf";

/// The header through which scripts send the session's CSRF token.
pub(crate) const CSRF_HEADER: &str = "x-csrf-token";

/// The form field through which forms send the CSRF token.
pub(crate) const CSRF_FIELD: &str = "csrf_token";

/// Public forms that must send the `cityai_csrf` cookie's value (double submit).
const DOUBLE_SUBMIT_FORMS: &[&str] = &["/login", "/reception", "/ai-register/{code}/feedback"];

/// How long a session lasts after signing in.
pub(crate) const SESSION_LIFETIME: chrono::Duration = chrono::Duration::hours(12);

/// The largest form body the CSRF check reads.
const MAX_FORM_BYTES: usize = 64 * 1024;

/// The signed-in caller of a request.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user: User,
    pub credential: Credential,
}

/// How the caller proved who they are.
#[derive(Debug, Clone)]
pub enum Credential {
    /// A browser session, with the CSRF token its forms must send.
    Session {
        token_hash: String,
        csrf_token: String,
    },
    /// An API key sent in the `Authorization` header, which browsers never send by
    /// themselves, so it needs no CSRF token.
    ApiKey,
}

impl Principal {
    /// Returns the actor name recorded in the audit trail and routing feedback.
    pub fn actor(&self) -> String {
        format!("user:{}", self.user.username)
    }

    pub fn role(&self) -> Role {
        self.user.role
    }

    /// Returns the CSRF token for forms on pages rendered for this session.
    pub fn csrf_token(&self) -> Option<&str> {
        match &self.credential {
            Credential::Session { csrf_token, .. } => Some(csrf_token),
            Credential::ApiKey => None,
        }
    }

    /// Returns the department whose requests alone this caller may see, for handlers.
    pub fn department_scope(&self) -> Option<&str> {
        match self.user.role {
            Role::Handler => self.user.department.as_deref(),
            _ => None,
        }
    }
}

/// Returns the value of cookie `name` from the request headers.
pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// Builds a `Set-Cookie` value that browsers keep away from scripts and other sites.
///
/// `Secure` is set when the server runs with secure cookies or the request came through a
/// TLS-terminating proxy that says so in `X-Forwarded-Proto`.
pub(crate) fn cookie_header(
    state: &AppState,
    headers: &HeaderMap,
    name: &str,
    value: &str,
    max_age: Option<i64>,
) -> Option<HeaderValue> {
    let mut cookie = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict");
    if let Some(max_age) = max_age {
        cookie.push_str(&format!("; Max-Age={max_age}"));
    }
    let forwarded_tls = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|proto| proto.eq_ignore_ascii_case("https"));
    if state.secure_cookies || forwarded_tls {
        cookie.push_str("; Secure");
    }
    HeaderValue::from_str(&cookie).ok()
}

/// Finds the caller from an API key or the session cookie.
async fn resolve(state: &AppState, headers: &HeaderMap) -> Result<Option<Principal>, Response> {
    if let Some(value) = headers.get(AUTHORIZATION) {
        let key = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .unwrap_or_default();
        return match api_key_user(&state.store, key).await {
            Ok(Some(user)) => Ok(Some(Principal {
                user,
                credential: Credential::ApiKey,
            })),
            // A wrong key is an error, not an anonymous visit, so clients notice at once.
            Ok(None) => Err(json_error(
                StatusCode::UNAUTHORIZED,
                "invalid_api_key",
                Text::new("invalid_api_key"),
            )),
            Err(err) => Err(internal(&err)),
        };
    }
    let Some(token) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let hash = token_hash(token);
    match state.store.session_user(&hash).await {
        Ok(Some(session)) => Ok(Some(Principal {
            user: session.user,
            credential: Credential::Session {
                token_hash: hash,
                csrf_token: session.csrf_token,
            },
        })),
        Ok(None) => Ok(None),
        Err(err) => Err(internal(&err)),
    }
}

fn internal(err: &dyn std::error::Error) -> Response {
    tracing::error!(error = %err, "resolving the caller failed");
    json_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        Text::new("internal"),
    )
}

fn method_not_allowed(method: &Method, pattern: &str, allowed: &str) -> Response {
    let mut response = if is_api(pattern) {
        json_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            Text::new("method_not_allowed")
                .arg("method", method)
                .arg("allowed", allowed),
        )
    } else {
        StatusCode::METHOD_NOT_ALLOWED.into_response()
    };
    if let Ok(value) = HeaderValue::from_str(allowed) {
        response.headers_mut().insert(ALLOW, value);
    }
    response
}

fn is_api(path: &str) -> bool {
    path.starts_with("/api/")
}

/// Checks the caller against the route's access rule and the CSRF token, then runs the
/// handler with the [`Principal`] in the request extensions.
pub(crate) async fn authorize(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let Some(pattern) = request
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
    else {
        return forbidden(
            &state,
            request.headers(),
            request.uri().query(),
            request.uri().path(),
        );
    };
    let Some(access) = policy::lookup(request.method(), &pattern) else {
        // A known route requested with another method gets 405 and the methods it accepts.
        // No handler runs, whatever the caller's role.
        if let Some(allowed) = policy::allowed_methods(&pattern) {
            return method_not_allowed(request.method(), &pattern, &allowed);
        }
        tracing::warn!(route = %pattern, method = %request.method(), "route has no access rule; denied");
        return forbidden(&state, request.headers(), request.uri().query(), &pattern);
    };
    let principal = match resolve(&state, request.headers()).await {
        Ok(principal) => principal,
        // Open311 routes are public and check the client's key themselves, so that a wrong
        // key gets the standard's error format rather than this API's.
        Err(_) if pattern.starts_with("/open311/") => None,
        Err(response) => return response,
    };
    if !access.admits(principal.as_ref().map(Principal::role)) {
        let Some(principal) = principal else {
            return unauthenticated(&state, &request);
        };
        // Auditors review who tried to reach what they may not, such as unmasked data.
        let event = cityai_store::AuditEvent::new(principal.actor(), "access.denied")
            .target(format!("route:{} {pattern}", request.method()))
            .detail(json!({"role": principal.role()}));
        if let Err(err) = state.store.audit(&event).await {
            tracing::error!(error = %err, "cannot record a denied access");
        }
        return forbidden(&state, request.headers(), request.uri().query(), &pattern);
    }
    let mut request = request;
    let changes_state = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    // Public forms (sign-in, the reception chat) use the double-submit cookie, whoever sends them.
    let is_public_form = DOUBLE_SUBMIT_FORMS.contains(&pattern.as_str());
    if changes_state && (access != Access::Public || is_public_form) {
        let principal = if is_public_form {
            None
        } else {
            principal.as_ref()
        };
        request = match check_csrf(&state, request, principal).await {
            Ok(request) => request,
            Err(response) => return response,
        };
    }
    if let Some(principal) = principal {
        request.extensions_mut().insert(principal);
    }
    next.run(request).await
}

/// Checks the CSRF token of a state-changing request and returns the request with its body
/// restored.
///
/// A session's requests must send the session's token in the `x-csrf-token` header or the
/// `csrf_token` form field. Public forms (sign-in, the reception chat and the register's
/// feedback) must send the value
/// of the `cityai_csrf` cookie (double submit). API keys need no token.
async fn check_csrf(
    state: &AppState,
    request: Request,
    principal: Option<&Principal>,
) -> Result<Request, Response> {
    let expected = match principal.map(|p| &p.credential) {
        Some(Credential::ApiKey) => return Ok(request),
        Some(Credential::Session { csrf_token, .. }) => Some(csrf_token.clone()),
        None => cookie(request.headers(), LOGIN_CSRF_COOKIE).map(str::to_owned),
    };
    let header = request
        .headers()
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let is_form = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let (parts, body) = request.into_parts();
    let mut sent = header;
    let body = if is_form {
        let bytes = to_bytes(body, MAX_FORM_BYTES).await.map_err(|_| {
            json_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "form_too_large",
                Text::new("form_too_large"),
            )
        })?;
        if sent.is_none() {
            sent = form_urlencoded_field(&bytes, CSRF_FIELD);
        }
        Body::from(bytes)
    } else {
        body
    };
    let valid = match (&expected, &sent) {
        (Some(expected), Some(sent)) => !expected.is_empty() && constant_time_eq(expected, sent),
        _ => false,
    };
    if !valid {
        tracing::warn!(path = %parts.uri.path(), "CSRF token missing or wrong; rejected");
        let (lang, _) = negotiate(None, &parts.headers, state.default_lang);
        if is_api(parts.uri.path()) {
            return Err(json_error(
                StatusCode::FORBIDDEN,
                "csrf_token_invalid",
                Text::new("csrf_token_invalid"),
            ));
        }
        let content = html! { p.error role="alert" { (t(lang, "auth.csrf_invalid")) } };
        return Err((
            StatusCode::FORBIDDEN,
            page(
                lang,
                t(lang, "auth.forbidden_title"),
                &format!("/login?lang={}", other(lang).tag()),
                None,
                content,
            ),
        )
            .into_response());
    }
    Ok(Request::from_parts(parts, body))
}

/// Returns the first value of `name` in an `application/x-www-form-urlencoded` body.
fn form_urlencoded_field(body: &[u8], name: &str) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value)
}

fn unauthenticated(state: &AppState, request: &Request) -> Response {
    let path = request.uri().path();
    if is_api(path) {
        let mut response = json_error(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            Text::new("unauthenticated"),
        );
        response
            .headers_mut()
            .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return response;
    }
    let _ = state;
    let target = request.uri().path_and_query().map_or("/", |pq| pq.as_str());
    let location = format!("/login?next={}", percent_encode(target));
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(LOCATION, value);
    }
    response
}

fn forbidden(state: &AppState, headers: &HeaderMap, query: Option<&str>, path: &str) -> Response {
    if is_api(path) {
        return json_error(
            StatusCode::FORBIDDEN,
            "forbidden",
            Text::new("role_forbidden"),
        );
    }
    let query_lang = query.and_then(|q| q.split('&').find_map(|pair| pair.strip_prefix("lang=")));
    let (lang, _) = negotiate(query_lang, headers, state.default_lang);
    let content = html! { p.error role="alert" { (t(lang, "auth.forbidden")) } };
    (
        StatusCode::FORBIDDEN,
        page(
            lang,
            t(lang, "auth.forbidden_title"),
            &format!("/requests?lang={}", other(lang).tag()),
            None,
            content,
        ),
    )
        .into_response()
}

/// Percent-encodes everything but unreserved characters, for a path in a query string.
pub(crate) fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Returns `next` when it is a path on this site, and `/requests` otherwise, so that the
/// login form cannot send people to another site.
pub(crate) fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(next) if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') => {
            next.to_owned()
        }
        _ => "/requests".to_owned(),
    }
}

/// Returns the client address, or `unknown` when the server runs without connection info.
pub(crate) fn client_ip(request_extensions: &axum::http::Extensions) -> String {
    request_extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "unknown".to_owned(), |info| info.0.ip().to_string())
}

/// Adds a `Set-Cookie` header.
pub(crate) fn append_cookie(response: &mut Response, cookie: Option<HeaderValue>) {
    if let Some(cookie) = cookie {
        response.headers_mut().append(SET_COOKIE, cookie);
    }
}

/// Counts failed logins per user name and per client address in a sliding window.
#[derive(Debug, Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl LoginLimiter {
    /// The window over which failures count.
    pub const WINDOW: Duration = Duration::from_secs(15 * 60);
    /// Failures allowed per user name from one client address in the window.
    pub const PER_USER: usize = 5;
    /// Failures allowed per client address in the window, across user names.
    pub const PER_ADDRESS: usize = 20;
    /// Failures allowed per user name from all addresses together in the window. It is
    /// higher than [`Self::PER_USER`], so that someone guessing from one address cannot lock
    /// the user out everywhere, while guessing from many addresses is still slowed down.
    pub const PER_USER_ALL_ADDRESSES: usize = 50;
    /// Keys kept before old ones are dropped, to bound memory under a flood of names.
    const MAX_KEYS: usize = 10_000;

    fn keys(username: &str, address: &str) -> [(String, usize); 3] {
        let user = username.to_lowercase();
        [
            (format!("user-addr:{user}@{address}"), Self::PER_USER),
            (format!("addr:{address}"), Self::PER_ADDRESS),
            (format!("user:{user}"), Self::PER_USER_ALL_ADDRESSES),
        ]
    }

    /// Returns how long to wait when this user name or address has failed too often.
    pub fn retry_after(&self, username: &str, address: &str) -> Option<Duration> {
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        Self::keys(username, address)
            .into_iter()
            .filter_map(|(key, limit)| {
                let times = failures.get_mut(&key)?;
                while times
                    .front()
                    .is_some_and(|t| now.duration_since(*t) > Self::WINDOW)
                {
                    times.pop_front();
                }
                (times.len() >= limit)
                    .then(|| {
                        times
                            .front()
                            .map(|t| Self::WINDOW.saturating_sub(now.duration_since(*t)))
                    })
                    .flatten()
            })
            .max()
    }

    /// Counts a failed login.
    pub fn record_failure(&self, username: &str, address: &str) {
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if failures.len() >= Self::MAX_KEYS {
            failures.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) <= Self::WINDOW)
            });
        }
        for (key, _) in Self::keys(username, address) {
            failures.entry(key).or_default().push_back(now);
        }
    }

    /// Forgets the failures of this user name from this address after a successful login.
    pub fn clear(&self, username: &str, address: &str) {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        failures.remove(&format!("user-addr:{}@{address}", username.to_lowercase()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limiter_blocks_after_five_failures_per_name() {
        let limiter = LoginLimiter::default();
        for _ in 0..LoginLimiter::PER_USER {
            assert!(limiter.retry_after("Wang", "10.0.0.1").is_none());
            limiter.record_failure("Wang", "10.0.0.1");
        }
        assert!(limiter.retry_after("wang", "10.0.0.1").is_some());
        // The same user signs in from another address, and others from this one.
        assert!(limiter.retry_after("wang", "10.0.0.2").is_none());
        assert!(limiter.retry_after("li", "10.0.0.1").is_none());
        limiter.clear("WANG", "10.0.0.1");
        assert!(limiter.retry_after("wang", "10.0.0.1").is_none());
    }

    #[test]
    fn limiter_blocks_a_name_guessed_from_many_addresses() {
        let limiter = LoginLimiter::default();
        for i in 0..LoginLimiter::PER_USER_ALL_ADDRESSES {
            limiter.record_failure("zhao", &format!("10.1.{}.{}", i / 200, i % 200));
        }
        assert!(limiter.retry_after("zhao", "10.9.9.9").is_some());
    }

    #[test]
    fn limiter_blocks_an_address_across_names() {
        let limiter = LoginLimiter::default();
        for i in 0..LoginLimiter::PER_ADDRESS {
            limiter.record_failure(&format!("user{i}"), "10.0.0.9");
        }
        assert!(limiter.retry_after("someone", "10.0.0.9").is_some());
        assert!(limiter.retry_after("someone", "10.0.0.8").is_none());
    }

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next(Some("/requests?page=2")), "/requests?page=2");
        assert_eq!(safe_next(Some("//evil.example")), "/requests");
        assert_eq!(safe_next(Some("https://evil.example")), "/requests");
        assert_eq!(safe_next(None), "/requests");
    }

    #[test]
    fn form_fields_are_decoded() {
        assert_eq!(
            form_urlencoded_field(b"a=1&csrf_token=ab%2Bc&b=2", "csrf_token").as_deref(),
            Some("ab+c")
        );
        assert_eq!(
            percent_encode("/requests?q=路灯"),
            "/requests%3Fq%3D%E8%B7%AF%E7%81%AF"
        );
    }
}
