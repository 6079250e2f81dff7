//! JSON endpoints: health, readiness and request listing.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::{Extension, Json};
use cityai_core::{CategoryPath, Request};
use cityai_store::StoreError;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, Text};
use crate::filters::ListQuery;

/// Reports that the process is up; never touches the database.
pub(crate) async fn healthz() -> impl IntoResponse {
    Json(json!({"status": "ok"}))
}

/// Reports whether the database responds.
pub(crate) async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, Json(json!({"status": "ready"}))),
        Err(err) => {
            tracing::warn!(error = %err, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"status": "unavailable"})),
            )
        }
    }
}

#[derive(Debug, Serialize)]
pub(crate) struct ListResponse {
    items: Vec<Request>,
    total: i64,
    page: u32,
    size: u32,
}

/// Returns the signed-in caller's account.
pub(crate) async fn me(Extension(principal): Extension<Principal>) -> impl IntoResponse {
    Json(json!({
        "username": principal.user.username,
        "role": principal.user.role,
        "department": principal.user.department,
        "csrf_token": principal.csrf_token(),
    }))
}

/// Lists requests with the console's filters and paging; handlers get their own
/// department's requests only.
pub(crate) async fn list_requests(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<ListResponse>, ApiError> {
    let Query(query) = query.map_err(invalid_query)?;
    let (mut filter, page) =
        query
            .to_filter(state.city_offset)
            .map_err(|invalid| ApiError::BadRequest {
                code: "invalid_parameter",
                message: Text::new("invalid_parameter")
                    .arg("value", &invalid.value)
                    .arg("name", invalid.name)
                    .message("reason", invalid.hint, &invalid.choices),
            })?;
    if let Some(department) = principal.department_scope() {
        filter.department = Some(department.to_owned());
    }
    let mut list = state.store.list_requests(&filter, page).await?;
    for request in &mut list.items {
        hide_citizen(&principal, request);
    }
    Ok(Json(ListResponse {
        items: list.items,
        total: list.total,
        page: page.number,
        size: page.size,
    }))
}

/// The body of a routing correction.
#[derive(Debug, Deserialize)]
pub(crate) struct CorrectBody {
    /// The right category path, such as `城乡建设/市政设施`.
    category: String,
}

/// Returns the request when the caller may see it: handlers see only their department's.
///
/// A request outside the caller's department answers 404 rather than 403, so its existence
/// is not revealed.
pub(crate) async fn visible_request(
    state: &AppState,
    principal: &Principal,
    id: i64,
) -> Result<Request, ApiError> {
    let missing = || ApiError::Missing {
        code: "not_found",
        message: Text::new("request_not_found").arg("id", id),
    };
    let request = state.store.request(id).await?.ok_or_else(missing)?;
    if crate::views::visible(principal, &request) {
        Ok(request)
    } else {
        Err(missing())
    }
}

/// Confirms a request's current category, making it final. The signed-in user is
/// recorded as the one who decided.
pub(crate) async fn confirm_routing(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Json<Request>, ApiError> {
    let id = path_id(id)?;
    visible_request(&state, &principal, id).await?;
    state
        .store
        .confirm_routing(id, &principal.actor())
        .await
        .map(|mut request| {
            hide_citizen(&principal, &mut request);
            Json(request)
        })
        .map_err(feedback_error)
}

/// Corrects a request's category, making the new one final.
pub(crate) async fn correct_routing(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    id: Result<Path<i64>, PathRejection>,
    body: Result<Json<CorrectBody>, JsonRejection>,
) -> Result<Json<Request>, ApiError> {
    let id = path_id(id)?;
    let Json(body) =
        body.map_err(|rejection| ApiError::invalid_body(&rejection, "invalid_correction_body"))?;
    visible_request(&state, &principal, id).await?;
    let actor = principal.actor();
    let actor = actor.as_str();
    let category = CategoryPath::parse(&body.category).map_err(|err| ApiError::BadRequest {
        code: "invalid_category",
        message: Text::new("invalid_category")
            .arg("value", &body.category)
            .arg("reason", err),
    })?;
    state
        .store
        .correct_routing(id, &category, actor)
        .await
        .map(|mut request| {
            hide_citizen(&principal, &mut request);
            Json(request)
        })
        .map_err(feedback_error)
}

pub(crate) fn path_id(id: Result<Path<i64>, PathRejection>) -> Result<i64, ApiError> {
    id.map(|Path(id)| id)
        .map_err(|rejection| ApiError::BadRequest {
            code: "invalid_id",
            message: Text::new("invalid_request_id").arg("value", rejected_value(&rejection)),
        })
}

/// Returns the path segment that did not parse, or nothing when the rejection names none.
pub(crate) fn rejected_value(rejection: &PathRejection) -> String {
    use axum::extract::path::ErrorKind;

    let PathRejection::FailedToDeserializePathParams(err) = rejection else {
        return String::new();
    };
    match err.kind() {
        ErrorKind::ParseError { value, .. }
        | ErrorKind::ParseErrorAtIndex { value, .. }
        | ErrorKind::ParseErrorAtKey { value, .. } => value.clone(),
        _ => String::new(),
    }
}

pub(crate) fn invalid_query(rejection: QueryRejection) -> ApiError {
    ApiError::invalid_query(rejection.body_text())
}

pub(crate) fn invalid_body(rejection: JsonRejection) -> ApiError {
    ApiError::invalid_body(&rejection, "invalid_body")
}

fn feedback_error(err: StoreError) -> ApiError {
    match err {
        StoreError::RequestNotFound(_) => ApiError::NotFound,
        StoreError::NothingToConfirm(id) => ApiError::Conflict {
            code: "nothing_to_confirm",
            message: Text::new("nothing_to_confirm").arg("id", id),
        },
        StoreError::UnknownCategory(category) => ApiError::BadRequest {
            code: "unknown_category",
            message: Text::new("unknown_category").arg("value", category),
        },
        other => ApiError::Internal(other),
    }
}

/// Returns the JSON error envelope for unknown API paths.
pub(crate) async fn not_found() -> ApiError {
    ApiError::NotFound
}

/// Returns one request, if the caller may see it.
pub(crate) async fn get_request(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Json<Request>, ApiError> {
    let id = path_id(id)?;
    let mut request = visible_request(&state, &principal, id).await?;
    hide_citizen(&principal, &mut request);
    Ok(Json(request))
}

/// Blanks the citizen reference (a name or account from the source) for callers who may
/// not see personal data unmasked.
pub(crate) fn hide_citizen(principal: &Principal, request: &mut Request) {
    if !principal.role().may_view_unmasked() {
        request.citizen_ref = None;
    }
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct UnmaskQuery {
    /// The reason the caller needs the original text, such as `callback`; required and kept
    /// in the audit trail.
    #[serde(default)]
    purpose: String,
}

/// Returns a request's original text with personal data unmasked, and audits the view.
pub(crate) async fn get_unmasked(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    id: Result<Path<i64>, PathRejection>,
    query: Result<Query<UnmaskQuery>, QueryRejection>,
) -> Result<Json<cityai_store::UnmaskedText>, ApiError> {
    let id = path_id(id)?;
    let Query(query) = query.map_err(invalid_query)?;
    let purpose: String = query.purpose.trim().chars().take(200).collect();
    if purpose.is_empty() {
        return Err(ApiError::BadRequest {
            code: "missing_purpose",
            message: Text::new("missing_purpose"),
        });
    }
    visible_request(&state, &principal, id).await?;
    state
        .store
        .request_unmasked(id, &principal.actor(), &purpose)
        .await
        .map(Json)
        .map_err(|err| match err {
            StoreError::RequestNotFound(_) => ApiError::NotFound,
            other => ApiError::Internal(other),
        })
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct KnowledgeQuery {
    q: Option<String>,
    /// A source kind: faq, policy, reply or document.
    kind: Option<String>,
    department: Option<String>,
    /// `true` or `false`, read as text so that a bad value gets a message naming it.
    valid_only: Option<String>,
    /// A whole number from 1 to 50, read as text so that a bad value gets a message naming it.
    limit: Option<String>,
    lang: Option<String>,
}

/// Searches the knowledge base and answers from it, with passages and score explanations.
///
/// Staff see every source. Citizens and visitors who are not signed in see only sources of
/// the general classification, and never past replies.
pub(crate) async fn knowledge_search(
    State(state): State<AppState>,
    principal: Option<Extension<Principal>>,
    query: Result<Query<KnowledgeQuery>, QueryRejection>,
) -> Result<Json<cityai_services::knowledge::AskResult>, ApiError> {
    let Query(query) = query.map_err(invalid_query)?;
    let question = query.q.as_deref().map(str::trim).unwrap_or_default();
    if question.is_empty() {
        return Err(ApiError::BadRequest {
            code: "missing_query",
            message: Text::new("missing_question"),
        });
    }
    let limit = ApiError::whole_number("limit", query.limit.as_deref(), 5, (1, 50))?;
    let valid_only = match query.valid_only.as_deref().map(str::trim) {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(ApiError::BadRequest {
                code: "invalid_parameter",
                message: Text::new("invalid_boolean")
                    .arg("value", other)
                    .arg("name", "valid_only"),
            });
        }
    };
    let mut kinds = Vec::new();
    if let Some(kind) = &query.kind {
        kinds.push(
            kind.parse()
                .map_err(|_: cityai_knowledge::KnowledgeError| ApiError::BadRequest {
                    code: "invalid_parameter",
                    message: Text::new("invalid_parameter")
                        .arg("value", kind)
                        .arg("name", "kind")
                        .message(
                            "reason",
                            "requests.expect_one_of",
                            "faq, policy, reply, document",
                        ),
                })?,
        );
    }
    let staff = principal
        .as_ref()
        .is_some_and(|Extension(p)| p.role() != cityai_core::Role::Citizen);
    if !staff {
        if kinds.is_empty() {
            kinds = vec![
                cityai_knowledge::SourceKind::Faq,
                cityai_knowledge::SourceKind::Policy,
                cityai_knowledge::SourceKind::Document,
            ];
        } else if kinds.contains(&cityai_knowledge::SourceKind::Reply) {
            return Err(ApiError::Forbidden);
        }
    }
    let Some(index) = state.knowledge.clone() else {
        return Err(ApiError::Unavailable {
            code: "knowledge_unavailable",
            message: Text::new("knowledge_unavailable"),
        });
    };
    let lang = query
        .lang
        .as_deref()
        .and_then(|l| l.parse().ok())
        .unwrap_or(state.default_lang);
    let options = cityai_services::knowledge::AskOptions {
        limit,
        kinds,
        department: query.department.clone(),
        valid_only,
        general_only: !staff,
    };
    let llm = state.llm.clone();
    cityai_services::knowledge::ask_gated(
        &state.store,
        &index,
        question,
        &options,
        llm.as_deref(),
        lang,
    )
    .await
    .map(Json)
    .map_err(|err| {
        tracing::error!(error = %err, "knowledge search failed");
        ApiError::Unavailable {
            code: "knowledge_failed",
            message: Text::new("knowledge_failed"),
        }
    })
}

/// Returns the earlier requests that this one probably duplicates, with the reasons: shared
/// places, wording similarity and the time gap, computed now over the stored requests, and
/// the links recorded when requests were imported. Nothing is merged.
pub(crate) async fn get_duplicates(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let id = path_id(id)?;
    visible_request(&state, &principal, id).await?;
    let links =
        cityai_services::hotspots::duplicates_of(&state.store, id, principal.department_scope())
            .await
            .map_err(|err| {
                tracing::error!(error = %err, request_id = id, "finding duplicates failed");
                ApiError::Unavailable {
                    code: "duplicates_failed",
                    message: Text::new("duplicates_failed"),
                }
            })?;
    let stored = state.store.request_links(id).await?;
    Ok(Json(
        json!({ "id": id, "links": links, "linked_at_intake": stored }),
    ))
}

/// Returns the past official replies most similar to a request, for drafting its reply.
pub(crate) async fn get_similar_replies(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let id = path_id(id)?;
    let request = visible_request(&state, &principal, id).await?;
    let Some(index) = state.knowledge.clone() else {
        return Err(ApiError::Unavailable {
            code: "knowledge_unavailable",
            message: Text::new("replies_unavailable"),
        });
    };
    // The stored text is already masked, so no personal data reaches the search.
    let text = match &request.title {
        Some(title) => format!("{title}\n{}", request.body),
        None => request.body.clone(),
    };
    let hits = tokio::task::spawn_blocking(move || index.similar_replies(&text, 3))
        .await
        .map_err(|err| {
            tracing::error!(error = %err, request_id = id, "similar replies task failed");
            ApiError::Unavailable {
                code: "knowledge_failed",
                message: Text::new("knowledge_failed"),
            }
        })?
        .map_err(|err| {
            tracing::error!(error = %err, request_id = id, "similar replies search failed");
            ApiError::Unavailable {
                code: "knowledge_failed",
                message: Text::new("knowledge_failed"),
            }
        })?;
    Ok(Json(json!({ "id": id, "replies": hits })))
}
