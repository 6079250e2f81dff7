//! The sign-in form, signing in and signing out.

use axum::Form;
use axum::extract::{Query, Request, State};
use axum::http::header::{LOCATION, RETRY_AFTER};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, RequestExt};
use cityai_core::Lang;
use cityai_core::i18n::{t, tf};
use cityai_services::auth::{authenticate, random_token, token_hash};
use maud::{Markup, html};
use serde::Deserialize;

use crate::AppState;
use crate::auth::{
    CSRF_FIELD, Credential, LOGIN_CSRF_COOKIE, Principal, SESSION_COOKIE, SESSION_LIFETIME,
    append_cookie, client_ip, cookie, cookie_header, percent_encode, safe_next,
};
use crate::lang::{negotiate, set_cookie};
use crate::layout::{other, page};

#[derive(Debug, Default, Deserialize)]
pub(crate) struct LoginQuery {
    next: Option<String>,
    lang: Option<String>,
}

/// Renders the sign-in form, or sends a signed-in visitor on to `next`.
pub(crate) async fn login_page(
    State(state): State<AppState>,
    Query(query): Query<LoginQuery>,
    headers: HeaderMap,
    principal: Option<Extension<Principal>>,
) -> Response {
    let next = safe_next(query.next.as_deref());
    if principal.is_some() {
        return redirect(&next);
    }
    let (lang, lang_cookie) = negotiate(query.lang.as_deref(), &headers, state.default_lang);
    let csrf = cookie(&headers, LOGIN_CSRF_COOKIE)
        .filter(|value| value.len() == 64)
        .map_or_else(random_token, str::to_owned);
    let mut response = (StatusCode::OK, login_form(lang, &next, &csrf, None)).into_response();
    set_cookie(response.headers_mut(), lang_cookie);
    append_cookie(
        &mut response,
        cookie_header(&state, &headers, LOGIN_CSRF_COOKIE, &csrf, None),
    );
    response
}

fn login_form(lang: Lang, next: &str, csrf: &str, error: Option<&str>) -> Markup {
    let switch_href = format!(
        "/login?lang={}&next={}",
        other(lang).tag(),
        percent_encode(next)
    );
    let heading = t(lang, "auth.login_heading");
    page(
        lang,
        heading,
        &switch_href,
        None,
        html! {
            h1 { (heading) }
            @if let Some(error) = error {
                p.error role="alert" { (error) }
            }
            form.login method="post" action="/login" {
                input type="hidden" name=(CSRF_FIELD) value=(csrf);
                input type="hidden" name="next" value=(next);
                label {
                    (t(lang, "auth.username"))
                    input type="text" name="username" autocomplete="username" required autofocus;
                }
                label {
                    (t(lang, "auth.password"))
                    input type="password" name="password" autocomplete="current-password" required;
                }
                button type="submit" { (t(lang, "auth.login")) }
            }
        },
    )
}

#[derive(Debug, Deserialize)]
pub(crate) struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    next: Option<String>,
}

/// Checks a sign-in, starts a session and sends the user on.
///
/// The access middleware has already checked the form's CSRF token against the
/// `cityai_csrf` cookie.
pub(crate) async fn login(State(state): State<AppState>, request: Request) -> Response {
    let address = client_ip(request.extensions());
    let headers = request.headers().clone();
    let (lang, _) = negotiate(None, &headers, state.default_lang);
    let csrf = cookie(&headers, LOGIN_CSRF_COOKIE)
        .unwrap_or_default()
        .to_owned();
    let form = match request.extract::<Form<LoginForm>, _>().await {
        Ok(Form(form)) => form,
        Err(_) => {
            let body = login_form(lang, "/requests", &csrf, Some(t(lang, "auth.form_invalid")));
            return (StatusCode::BAD_REQUEST, body).into_response();
        }
    };
    let next = safe_next(form.next.as_deref());
    let username = form.username.trim();

    if let Some(wait) = state.limiter.retry_after(username, &address) {
        if let Err(err) = state
            .store
            .record_failed_login(username, &address, true)
            .await
        {
            tracing::error!(error = %err, "cannot record a failed login");
        }
        let minutes = wait.as_secs().div_ceil(60).max(1);
        let message = tf(lang, "auth.rate_limited", &[("minutes", &minutes)]);
        let mut response = (
            StatusCode::TOO_MANY_REQUESTS,
            login_form(lang, &next, &csrf, Some(&message)),
        )
            .into_response();
        if let Ok(value) = HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
            response.headers_mut().insert(RETRY_AFTER, value);
        }
        return response;
    }

    let user = match authenticate(&state.store, username, &form.password).await {
        Ok(user) => user,
        Err(err) => {
            tracing::error!(error = %err, "login check failed");
            let body = login_form(lang, &next, &csrf, Some(t(lang, "error.internal")));
            return (StatusCode::INTERNAL_SERVER_ERROR, body).into_response();
        }
    };
    let Some(user) = user else {
        state.limiter.record_failure(username, &address);
        if let Err(err) = state
            .store
            .record_failed_login(username, &address, false)
            .await
        {
            tracing::error!(error = %err, "cannot record a failed login");
        }
        tracing::info!("login failed");
        let body = login_form(lang, &next, &csrf, Some(t(lang, "auth.login_failed")));
        return (StatusCode::UNAUTHORIZED, body).into_response();
    };

    state.limiter.clear(username, &address);
    let token = random_token();
    let expires_at = chrono::Utc::now() + SESSION_LIFETIME;
    if let Err(err) = state
        .store
        .create_session(&user, &token_hash(&token), &random_token(), expires_at)
        .await
    {
        tracing::error!(error = %err, "cannot start a session");
        let body = login_form(lang, &next, &csrf, Some(t(lang, "error.internal")));
        return (StatusCode::INTERNAL_SERVER_ERROR, body).into_response();
    }
    tracing::info!(role = %user.role, "signed in");
    // The AI office reads no requests, so the default first page is the register.
    let next = if next == "/requests" && user.role == cityai_core::Role::AiOffice {
        "/register".to_owned()
    } else {
        next
    };
    let mut response = redirect(&next);
    append_cookie(
        &mut response,
        cookie_header(
            &state,
            &headers,
            SESSION_COOKIE,
            &token,
            Some(SESSION_LIFETIME.num_seconds()),
        ),
    );
    // The pre-login token has done its work; a new one is issued with the next form.
    append_cookie(
        &mut response,
        cookie_header(&state, &headers, LOGIN_CSRF_COOKIE, "", Some(0)),
    );
    response
}

/// Ends the session and returns to the sign-in form.
pub(crate) async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    Extension(principal): Extension<Principal>,
) -> Response {
    if let Credential::Session { token_hash, .. } = &principal.credential
        && let Err(err) = state
            .store
            .delete_session(token_hash, &principal.user.username)
            .await
    {
        tracing::error!(error = %err, "cannot end a session");
    }
    let mut response = redirect("/login");
    append_cookie(
        &mut response,
        cookie_header(&state, &headers, SESSION_COOKIE, "", Some(0)),
    );
    response
}

fn redirect(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(LOCATION, value);
    }
    response
}
