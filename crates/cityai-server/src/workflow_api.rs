//! The JSON API for what staff do in the console: a request's timeline and routing
//! evidence, reply drafting and approval, the next request in triage, and the dashboard.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::{Extension, Json};
use cityai_services::ServiceError;
use cityai_store::{ReplyDraft, ReplyRecord, StoreError, TimelineEvent};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::AppState;
use crate::api::{invalid_body, invalid_query, path_id, visible_request};
use crate::auth::Principal;
use crate::error::{ApiError, Text};

/// Returns every event of a request, oldest first.
pub(crate) async fn timeline(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let id = path_id(id)?;
    visible_request(&state, &principal, id).await?;
    let items: Vec<TimelineEvent> = state.store.request_timeline(id).await?;
    Ok(Json(json!({ "items": items })))
}

/// Returns the router's latest decision for a request: the top categories with their
/// probabilities, the weighed words and the most similar past requests.
pub(crate) async fn routing(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let id = path_id(id)?;
    let request = visible_request(&state, &principal, id).await?;
    let details = state
        .store
        .latest_routing_details(id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let details: serde_json::Value = serde_json::from_str(&details).unwrap_or_default();
    Ok(Json(json!({
        "request_id": id,
        "status": request.status,
        "category": request.category,
        "department_code": request.department,
        "confidence": request.routing_confidence,
        "model_version": request.model_version,
        "decision": details,
    })))
}

/// A request's open reply draft and its published replies.
#[derive(Debug, Serialize)]
pub(crate) struct ReplyState {
    draft: Option<ReplyDraft>,
    replies: Vec<ReplyRecord>,
}

/// Returns a request's open draft, if any, and its replies.
pub(crate) async fn reply_state(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Json<ReplyState>, ApiError> {
    let id = path_id(id)?;
    visible_request(&state, &principal, id).await?;
    Ok(Json(ReplyState {
        draft: state.store.current_reply_draft(id).await?,
        replies: state.store.request_replies(id).await?,
    }))
}

/// Drafts a reply from similar past replies and knowledge passages (from the LLM when one
/// is configured), labelled as AI-generated, and answers `201 Created` with the draft.
pub(crate) async fn create_draft(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    id: Result<Path<i64>, PathRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let id = path_id(id)?;
    visible_request(&state, &principal, id).await?;
    let draft = cityai_services::replies::draft_reply(
        &state.store,
        state.knowledge.as_deref(),
        state.llm.as_deref(),
        id,
        &principal.actor(),
        state.city_offset,
    )
    .await
    .map_err(reply_error)?;
    Ok((StatusCode::CREATED, Json(draft)))
}

/// The action on a draft: keep the edited text, or approve and publish it.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ReplyAction {
    Save,
    Approve,
}

/// The body of `POST /api/v1/requests/{id}/reply`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReplyBody {
    draft_id: i64,
    body: String,
    action: ReplyAction,
}

/// Saves the edited text of a request's draft, or approves it as the published reply.
/// The approval records who approved it and how much AI text was kept.
pub(crate) async fn save_reply(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    id: Result<Path<i64>, PathRejection>,
    body: Result<Json<ReplyBody>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let id = path_id(id)?;
    let Json(body) = body.map_err(invalid_body)?;
    visible_request(&state, &principal, id).await?;
    match state.store.reply_draft(body.draft_id).await? {
        Some(draft) if draft.request_id == id => {}
        _ => {
            return Err(ApiError::BadRequest {
                code: "unknown_draft",
                message: Text::new("unknown_draft")
                    .arg("draft", body.draft_id)
                    .arg("id", id),
            });
        }
    }
    let actor = principal.actor();
    match body.action {
        ReplyAction::Save => {
            let draft = state
                .store
                .save_reply_draft(body.draft_id, &body.body, &actor)
                .await
                .map_err(|err| reply_error(err.into()))?;
            Ok(Json(json!({ "draft": draft })))
        }
        ReplyAction::Approve => {
            let reply = cityai_services::replies::approve_reply(
                &state.store,
                body.draft_id,
                &body.body,
                &actor,
            )
            .await
            .map_err(reply_error)?;
            Ok(Json(json!({ "reply": reply })))
        }
    }
}

fn reply_error(err: ServiceError) -> ApiError {
    match err {
        ServiceError::Invalid(reason) => ApiError::BadRequest {
            code: "fill_in_left",
            message: Text::new("fill_in_left").arg("reason", reason),
        },
        ServiceError::Store(StoreError::EmptyReply) => ApiError::BadRequest {
            code: "empty_reply",
            message: Text::new("empty_reply"),
        },
        ServiceError::Store(StoreError::DraftClosed(draft)) => ApiError::Conflict {
            code: "draft_closed",
            message: Text::new("draft_closed").arg("draft", draft),
        },
        ServiceError::Store(StoreError::RequestNotFound(_)) => ApiError::NotFound,
        ServiceError::Store(err) => ApiError::Internal(err),
        other => {
            tracing::error!(error = %other, "drafting a reply failed");
            ApiError::Unavailable {
                code: "drafting_failed",
                message: Text::new("drafting_failed"),
            }
        }
    }
}

/// The query of `GET /api/v1/triage/next`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NextQuery {
    /// The request just decided; the next one is the oldest after it. Read as text, so that
    /// a value that is not an id gets a message naming it.
    after: Option<String>,
    /// The language of error messages, which the error middleware reads from the query.
    #[serde(rename = "lang")]
    _lang: Option<String>,
}

/// Returns the id of the next request waiting in triage (in the caller's department for
/// handlers), or `null` when the queue is empty.
pub(crate) async fn next_in_triage(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    query: Result<Query<NextQuery>, QueryRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Query(query) = query.map_err(invalid_query)?;
    let after = query
        .after
        .as_deref()
        .map(|after| {
            after
                .trim()
                .parse::<i64>()
                .ok()
                .filter(|&id| id >= 1)
                .ok_or_else(|| ApiError::BadRequest {
                    code: "invalid_parameter",
                    message: Text::new("invalid_after").arg("value", after),
                })
        })
        .transpose()?;
    let next = state
        .store
        .next_in_triage(after, principal.department_scope())
        .await?;
    Ok(Json(json!({ "id": next })))
}

/// Returns the dashboard's figures (the caller's department only, for handlers) and when
/// they were computed.
pub(crate) async fn dashboard(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let (figures, computed_at) = state
        .dashboard
        .figures(
            &state.store,
            state.city_offset,
            principal.department_scope(),
        )
        .await?;
    Ok(Json(json!({
        "computed_at": computed_at,
        "figures": *figures,
    })))
}
