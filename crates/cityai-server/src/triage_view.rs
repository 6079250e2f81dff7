//! The triage queue: the router's suggestion for one request at a time, decided in one
//! action, after which the next request opens.

use axum::Extension;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use cityai_core::CategoryPath;
use cityai_core::i18n::{t, tf};
use maud::html;
use serde::Deserialize;

use crate::AppState;
use crate::auth::Principal;
use crate::views::{
    PageLang, RoutingDetails, csrf_field, error_content, internal, percent, routing_evidence,
    time_element, visible_request,
};

#[derive(Debug, Default, Deserialize)]
pub(crate) struct TriageParams {
    /// Show this request instead of the oldest one waiting.
    id: Option<i64>,
    /// Show the first waiting request after this id: the one after the last decided.
    after: Option<i64>,
    /// The request just decided, to confirm the decision to the user.
    done: Option<i64>,
    lang: Option<String>,
}

/// The decision posted from the triage page.
#[derive(Debug, Deserialize)]
pub(crate) struct DecisionForm {
    /// The category chosen: the suggestion confirmed or another one.
    category: String,
}

/// Renders the triage page for the requested or the next waiting request.
pub(crate) async fn page_view(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Query(params): Query<TriageParams>,
    headers: HeaderMap,
) -> Response {
    let page_lang = PageLang::new(&state, params.lang.as_deref(), &headers);
    let lang = page_lang.lang;
    let heading = t(lang, "triage.heading");
    let scope = principal.department_scope();
    let self_path = match params.id {
        Some(id) => format!("/triage?id={id}"),
        None => "/triage".to_owned(),
    };

    let id = match params.id {
        Some(id) => Some(id),
        None => match state.store.next_in_triage(params.after, scope).await {
            Ok(id) => id,
            Err(err) => {
                let message = internal(lang, &err, "reading the triage queue");
                return page_lang.respond(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    heading,
                    &self_path,
                    &principal,
                    error_content(heading, &message),
                );
            }
        },
    };
    let backlog = state
        .store
        .request_counts(&cityai_store::RequestFilter {
            status: Some(cityai_core::RequestStatus::Triage),
            department: scope.map(str::to_owned),
            ..cityai_store::RequestFilter::default()
        })
        .await
        .map(|c| c.total)
        .unwrap_or_else(|err| {
            tracing::error!(error = %err, "counting the triage queue failed");
            0
        });
    let done = match params.done {
        Some(done) => state.store.request(done).await.ok().flatten(),
        None => None,
    };
    let done_note = html! {
        @if let Some(done) = &done {
            p.notice role="status" {
                (tf(lang, "triage.done", &[("id", &done.id), ("category", &done.category.as_ref().map(ToString::to_string).unwrap_or_default())]))
            }
        }
    };

    let Some(id) = id else {
        let content = html! {
            h1 { (heading) }
            (done_note)
            p.empty { (t(lang, "triage.empty")) }
        };
        return page_lang.respond(StatusCode::OK, heading, &self_path, &principal, content);
    };
    let (request, page_lang) =
        match visible_request(&state, &principal, page_lang, id, heading, &self_path).await {
            Ok(found) => found,
            Err(response) => return response,
        };
    let details = match state.store.latest_routing_details(id).await {
        Ok(Some(json)) => RoutingDetails::parse(&json),
        Ok(None) => RoutingDetails::default(),
        Err(err) => {
            tracing::error!(error = %err, "reading the routing decision failed");
            RoutingDetails::default()
        }
    };
    let categories: Vec<String> = match state.store.categories().await {
        Ok(records) => records.into_iter().map(|c| c.path.to_string()).collect(),
        Err(err) => {
            tracing::warn!(error = %err, "loading categories failed");
            Vec::new()
        }
    };
    let current = request.category.as_ref().map(ToString::to_string);
    let action = format!("/triage/{id}");
    let content = html! {
        h1 { (heading) " " span.count { (tf(lang, "triage.backlog", &[("count", &backlog)])) } }
        (done_note)
        article.triage-item aria-labelledby="request-title" {
            header {
                h2 #request-title {
                    a href=(format!("/requests/{id}")) { "#" (id) } " " (request.display_title(60))
                }
                p.meta {
                    (t(lang, &format!("channel.{}", request.channel.as_str())))
                    " · "
                    (time_element(request.submitted_at.unwrap_or(request.received_at), state.city_offset))
                }
            }
            p.body { (request.body) }
        }
        section aria-labelledby="suggestions-heading" {
            h2 #suggestions-heading { (t(lang, "triage.suggestions")) }
            @if details.top.is_empty() {
                p { (t(lang, "triage.no_suggestion")) }
            }
            ol.suggestions {
                @for (i, ranked) in details.top.iter().take(3).enumerate() {
                    li {
                        form method="post" action=(action) data-key=(i + 1) {
                            (csrf_field(&principal))
                            input type="hidden" name="category" value=(ranked.label);
                            button type="submit" aria-keyshortcuts=(i + 1) {
                                kbd { (i + 1) }
                                " "
                                @if current.as_deref().is_some_and(|c| within(c, &ranked.label)) {
                                    (t(lang, "triage.confirm"))
                                } @else {
                                    (t(lang, "triage.choose"))
                                }
                                " " strong { (ranked.label) }
                                " " span.prob { (percent(ranked.probability)) }
                            }
                        }
                    }
                }
            }
            form.other method="post" action=(action) {
                (csrf_field(&principal))
                label {
                    (t(lang, "triage.other"))
                    select name="category" required {
                        option value="" { (t(lang, "triage.pick")) }
                        @for path in &categories {
                            option value=(path) { (path) }
                        }
                    }
                }
                button type="submit" { (t(lang, "triage.correct")) }
            }
            p.hint { (t(lang, "triage.keys")) }
            a href=(format!("/triage?after={id}")) rel="next" { (t(lang, "triage.skip")) }
        }
        section aria-labelledby="evidence-heading" {
            h2 #evidence-heading { (t(lang, "triage.why")) }
            (routing_evidence(lang, &details))
        }
    };
    page_lang.respond(StatusCode::OK, heading, &self_path, &principal, content)
}

/// Records the decision for one request and opens the next waiting request.
pub(crate) async fn decide(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    Form(form): Form<DecisionForm>,
) -> Response {
    let page_lang = PageLang::new(&state, None, &headers);
    let lang = page_lang.lang;
    let heading = t(lang, "triage.heading");
    let (request, page_lang) =
        match visible_request(&state, &principal, page_lang, id, heading, "/triage").await {
            Ok(found) => found,
            Err(response) => return response,
        };
    let actor = principal.actor();
    let chosen = form.category.trim();
    let outcome = if request
        .category
        .as_ref()
        .map(ToString::to_string)
        .as_deref()
        == Some(chosen)
    {
        state.store.confirm_routing(id, &actor).await
    } else {
        match CategoryPath::parse(chosen) {
            Ok(category) => state.store.correct_routing(id, &category, &actor).await,
            Err(_) => Err(cityai_store::StoreError::UnknownCategory(chosen.to_owned())),
        }
    };
    match outcome {
        Ok(_) => Redirect::to(&format!("/triage?after={id}&done={id}")).into_response(),
        Err(cityai_store::StoreError::UnknownCategory(category)) => {
            let message = tf(lang, "triage.unknown_category", &[("category", &category)]);
            page_lang.respond(
                StatusCode::BAD_REQUEST,
                heading,
                &format!("/triage?id={id}"),
                &principal,
                error_content(heading, &message),
            )
        }
        Err(err) => {
            let message = internal(lang, &err, "recording a routing decision");
            page_lang.respond(
                StatusCode::INTERNAL_SERVER_ERROR,
                heading,
                "/triage",
                &principal,
                error_content(heading, &message),
            )
        }
    }
}

/// Returns whether `category` is `chosen` or lies below it.
fn within(category: &str, chosen: &str) -> bool {
    category == chosen
        || category
            .strip_prefix(chosen)
            .is_some_and(|rest| rest.starts_with('/'))
}
