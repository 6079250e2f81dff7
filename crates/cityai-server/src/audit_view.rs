//! The audit trail for auditors: the newest events and the chain check.

use axum::Extension;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use cityai_core::i18n::{t, tf};
use cityai_store::{AuditRecord, AuditVerification};
use maud::html;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, Text};
use crate::lang::{negotiate, set_cookie};
use crate::layout::{other, page};

const DEFAULT_LIMIT: i64 = 100;
const MAX_LIMIT: i64 = 1_000;

#[derive(Debug, Default, Deserialize)]
pub(crate) struct AuditQuery {
    /// Events older than this sequence number, for paging back.
    before: Option<i64>,
    limit: Option<i64>,
    lang: Option<String>,
}

#[derive(Debug, Serialize)]
pub(crate) struct AuditList {
    items: Vec<AuditRecord>,
}

fn limit(query: &AuditQuery) -> Result<i64, ApiError> {
    match query.limit {
        None => Ok(DEFAULT_LIMIT),
        Some(limit) if (1..=MAX_LIMIT).contains(&limit) => Ok(limit),
        Some(limit) => Err(ApiError::BadRequest {
            code: "invalid_parameter",
            message: Text::new("invalid_range")
                .arg("value", limit)
                .arg("name", "limit")
                .arg("min", 1)
                .arg("max", MAX_LIMIT),
        }),
    }
}

/// Lists audit events, newest first.
pub(crate) async fn list(
    State(state): State<AppState>,
    query: Result<Query<AuditQuery>, QueryRejection>,
) -> Result<Json<AuditList>, ApiError> {
    let Query(query) = query.map_err(crate::api::invalid_query)?;
    let items = state
        .store
        .audit_events(query.before, limit(&query)?)
        .await?;
    Ok(Json(AuditList { items }))
}

/// Recomputes the chain and reports the first broken link.
pub(crate) async fn verify(
    State(state): State<AppState>,
) -> Result<Json<AuditVerification>, ApiError> {
    Ok(Json(state.store.verify_audit().await?))
}

/// Renders the newest audit events and whether the chain holds.
pub(crate) async fn page_view(
    State(state): State<AppState>,
    Query(query): Query<AuditQuery>,
    headers: HeaderMap,
    Extension(principal): Extension<Principal>,
) -> Response {
    let (lang, cookie) = negotiate(query.lang.as_deref(), &headers, state.default_lang);
    let heading = t(lang, "audit.heading");
    let switch_href = format!("/audit?lang={}", other(lang).tag());
    let loaded = tokio::try_join!(
        state.store.verify_audit(),
        state.store.audit_events(query.before, DEFAULT_LIMIT),
    );
    let (status, content) = match loaded {
        Ok((verification, events)) => {
            let summary = match &verification.first_broken {
                None => tf(
                    lang,
                    "audit.intact",
                    &[
                        ("count", &verification.checked),
                        ("hash", &verification.head_hash),
                    ],
                ),
                Some(broken) => tf(lang, "audit.broken", &[("seq", &broken.seq)]),
            };
            let content = html! {
                h1 { (heading) }
                p class=(if verification.is_intact() { "" } else { "error" }) role="status" { (summary) }
                div.table-wrap {
                    table {
                        thead { tr {
                            th { (t(lang, "audit.col_seq")) }
                            th { (t(lang, "audit.col_time")) }
                            th { (t(lang, "audit.col_actor")) }
                            th { (t(lang, "audit.col_action")) }
                            th { (t(lang, "audit.col_target")) }
                            th.optional { (t(lang, "audit.col_detail")) }
                        } }
                        tbody {
                            @for event in &events {
                                tr {
                                    td.num { (event.seq) }
                                    td.num { (event.occurred_at) }
                                    td { (event.actor) }
                                    td { code { (event.action) } }
                                    td { (event.target.as_deref().unwrap_or("")) }
                                    td.optional { code { (event.detail) } }
                                }
                            }
                        }
                    }
                }
                @if let Some(last) = events.last().filter(|e| e.seq > 1) {
                    p.pager { a href=(format!("/audit?before={}", last.seq)) { (t(lang, "requests.page_next")) } }
                }
            };
            (StatusCode::OK, content)
        }
        Err(err) => {
            tracing::error!(error = %err, "reading the audit trail failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                html! { p.error role="alert" { (t(lang, "error.internal")) } },
            )
        }
    };
    let mut response = (
        status,
        page(lang, heading, &switch_href, Some(&principal), content),
    )
        .into_response();
    set_cookie(response.headers_mut(), cookie);
    response
}
