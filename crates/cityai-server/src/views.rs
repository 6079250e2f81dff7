//! Helpers shared by the console pages: language, page responses, times and the router's
//! stored decision.

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, FixedOffset, Utc};
use cityai_core::Lang;
use cityai_core::i18n::t;
use maud::{Markup, html};
use serde::Deserialize;

use crate::AppState;
use crate::auth::{CSRF_FIELD, Principal};
use crate::lang::{negotiate, set_cookie};
use crate::layout::{other, page};

/// The language of one console response and the cookie that remembers a new choice.
#[derive(Debug)]
pub(crate) struct PageLang {
    pub lang: Lang,
    cookie: Option<axum::http::HeaderValue>,
}

impl PageLang {
    pub(crate) fn new(state: &AppState, query_lang: Option<&str>, headers: &HeaderMap) -> Self {
        let (lang, cookie) = negotiate(query_lang, headers, state.default_lang);
        PageLang { lang, cookie }
    }

    /// Renders `content` in the console frame. `path` is the page's own URL, with its query
    /// string if any, for the language switch link.
    pub(crate) fn respond(
        self,
        status: StatusCode,
        title: &str,
        path: &str,
        principal: &Principal,
        content: Markup,
    ) -> Response {
        let switch_href = with_param(path, "lang", other(self.lang).tag());
        let mut response = (
            status,
            page(self.lang, title, &switch_href, Some(principal), content),
        )
            .into_response();
        set_cookie(response.headers_mut(), self.cookie);
        response
    }
}

/// Returns `path` with `name=value` set in its query string, replacing an earlier value.
pub(crate) fn with_param(path: &str, name: &str, value: &str) -> String {
    let (base, query) = path.split_once('?').unwrap_or((path, ""));
    let mut pairs: Vec<&str> = query
        .split('&')
        .filter(|pair| !pair.is_empty() && pair.split('=').next() != Some(name))
        .collect();
    let added = format!("{name}={}", crate::auth::percent_encode(value));
    pairs.push(&added);
    format!("{base}?{}", pairs.join("&"))
}

/// Renders the hidden CSRF field of a form posted with the session cookie.
pub(crate) fn csrf_field(principal: &Principal) -> Markup {
    html! {
        @if let Some(token) = principal.csrf_token() {
            input type="hidden" name=(CSRF_FIELD) value=(token);
        }
    }
}

/// Formats a UTC time in the city's time zone, minutes precision.
pub(crate) fn local_time(at: DateTime<Utc>, offset: FixedOffset) -> String {
    at.with_timezone(&offset)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// Formats a stored RFC 3339 time in the city's time zone; unreadable values stay as stored.
pub(crate) fn local_stored_time(at: &str, offset: FixedOffset) -> String {
    cityai_core::time::from_storage(at)
        .map(|t| local_time(t, offset))
        .unwrap_or_else(|| at.to_owned())
}

/// Renders a `<time>` element for a UTC time.
pub(crate) fn time_element(at: DateTime<Utc>, offset: FixedOffset) -> Markup {
    html! { time datetime=(cityai_core::time::to_storage(at)) { (local_time(at, offset)) } }
}

/// Formats a share as a percentage with no decimals, such as `87%`.
pub(crate) fn percent(share: f64) -> String {
    format!("{:.0}%", share * 100.0)
}

/// The router's stored decision for a request, as the console shows it.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct RoutingDetails {
    #[serde(default)]
    pub top: Vec<RankedLabel>,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub evidence: Vec<EvidenceItem>,
    #[serde(default)]
    pub similar: Vec<SimilarItem>,
    /// The category the client chose when it filed the request, such as an Open311 service.
    #[serde(default)]
    pub requested: Option<String>,
    /// Whether the router agreed with the client's category on the first level.
    #[serde(default)]
    pub requested_agrees: Option<bool>,
    /// The router's own category, kept when the client chose one.
    #[serde(default)]
    pub routed: Option<String>,
    /// Why the AI register held the request for triage instead of assigning it.
    #[serde(default)]
    pub gate: Option<cityai_store::GateClosed>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct RankedLabel {
    pub label: String,
    pub probability: f64,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct EvidenceItem {
    pub text: String,
    pub weight: f64,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct SimilarItem {
    pub request_id: i64,
    pub category: String,
    pub similarity: f64,
}

impl RoutingDetails {
    /// Reads the stored JSON; a damaged value shows as no suggestion and is logged.
    pub(crate) fn parse(json: &str) -> Self {
        serde_json::from_str(json).unwrap_or_else(|err| {
            tracing::warn!(error = %err, "cannot read a stored routing decision");
            RoutingDetails::default()
        })
    }
}

/// Renders the evidence words and the similar past requests of a routing decision.
pub(crate) fn routing_evidence(lang: Lang, details: &RoutingDetails) -> Markup {
    html! {
        @if let Some(reason) = &details.gate {
            p.notice.routing-held role="note" {
                (cityai_core::i18n::tf(lang, "register.gate.routing_held", &[("reason", &crate::register_view::gate_reason(lang, reason))]))
            }
        }
        @if let Some(requested) = &details.requested {
            h3 { (t(lang, "triage.requested")) }
            p { (requested) }
            @if let (Some(false), Some(routed)) = (details.requested_agrees, &details.routed) {
                p.notice role="note" {
                    (cityai_core::i18n::tf(lang, "triage.requested_disagrees", &[("routed", routed)]))
                }
            }
        }
        @if !details.evidence.is_empty() {
            h3 { (t(lang, "triage.evidence")) }
            ul.chips aria-label=(t(lang, "triage.evidence")) {
                @for item in &details.evidence {
                    li title=(format!("{:.3}", item.weight)) { (item.text) }
                }
            }
        }
        @if !details.similar.is_empty() {
            h3 { (t(lang, "triage.similar")) }
            ul.similar {
                @for item in &details.similar {
                    li {
                        a href=(format!("/requests/{}", item.request_id)) { "#" (item.request_id) }
                        " · " (item.category) " · "
                        span.muted { (t(lang, "triage.similarity")) " " (percent(item.similarity)) }
                    }
                }
            }
        }
    }
}

/// Reads request `id` for a console page when `principal` may see it.
///
/// Returns the request with the page language back, or the response to send instead: 404
/// for a missing request or one outside a handler's department, 500 when the store fails.
pub(crate) async fn visible_request(
    state: &AppState,
    principal: &Principal,
    page_lang: PageLang,
    id: i64,
    heading: &str,
    path: &str,
) -> Result<(cityai_core::Request, PageLang), Response> {
    let lang = page_lang.lang;
    match state.store.request(id).await {
        Ok(Some(request)) if visible(principal, &request) => Ok((request, page_lang)),
        Ok(_) => Err(page_lang.respond(
            StatusCode::NOT_FOUND,
            heading,
            path,
            principal,
            error_content(heading, t(lang, "error.not_found")),
        )),
        Err(err) => {
            tracing::error!(error = %err, request_id = id, "reading a request failed");
            Err(page_lang.respond(
                StatusCode::INTERNAL_SERVER_ERROR,
                heading,
                path,
                principal,
                error_content(heading, t(lang, "error.internal")),
            ))
        }
    }
}

/// Renders an error message on its own.
pub(crate) fn error_content(heading: &str, message: &str) -> Markup {
    html! { h1 { (heading) } p.error role="alert" { (message) } }
}

/// Renders the label every AI-generated text carries.
pub(crate) fn ai_label(lang: Lang) -> Markup {
    html! { p.ai-label role="note" { (t(lang, "reply.ai_label")) } }
}

/// Logs a store failure and returns the generic error message of the language.
pub(crate) fn internal(lang: Lang, err: &dyn std::error::Error, what: &str) -> String {
    tracing::error!(error = %err, source = ?err.source(), "{what} failed");
    t(lang, "error.internal").to_owned()
}

/// Returns an audit actor as people read it: `user:wang` becomes `wang`; other actors
/// (`system`, a model version) stay as recorded.
pub(crate) fn actor_name(actor: &str) -> &str {
    actor.strip_prefix("user:").unwrap_or(actor)
}

/// Returns how a draft was written, in the reader's language.
pub(crate) fn generator_label(lang: Lang, generator: &str) -> String {
    if generator == cityai_services::replies::MANUAL_GENERATOR {
        return t(lang, "reply.generator_manual").to_owned();
    }
    match generator.strip_prefix("llm:") {
        Some(model) => cityai_core::i18n::tf(lang, "reply.generator_llm", &[("model", &model)]),
        None => t(lang, "reply.generator_template").to_owned(),
    }
}

/// Returns whether `principal` may see `request`: handlers see their own department's
/// requests only.
pub(crate) fn visible(principal: &Principal, request: &cityai_core::Request) -> bool {
    match principal.department_scope() {
        Some(department) => request.department.as_deref() == Some(department),
        None => true,
    }
}
