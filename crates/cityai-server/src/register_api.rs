//! The AI register's JSON API under `/api/v1/register`: applications, selection, ethical
//! review, funds, monitoring, participation, moderation and the exports.
//!
//! Reading is open to reviewers, admins, auditors and the AI office; every change is made by
//! the AI office. Committee decisions are recorded by AI-office staff on the committee's
//! behalf, and the audit trail keeps who recorded each one.

use std::collections::HashMap;

use axum::Extension;
use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use cityai_services::ServiceError;
use cityai_services::register::{self as register_service, export};
use cityai_store::{
    AiCategory, ApplicationFields, Criterion, Decision, FeedbackStatus, Funds, MonitoringSource,
    NewDecision, OrganisationKind, ParticipantRole, ReviewKind, Stage, StoreError,
};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, Text};

/// How far ahead a re-review counts as due, in days.
pub(crate) const DUE_HORIZON_DAYS: i64 = 30;

/// The period of live figures shown with an entry, in days.
pub(crate) const LIVE_PERIOD_DAYS: i64 = 30;

/// Maps a store error of the register to the API's error envelope.
pub(crate) fn store_error(err: StoreError) -> ApiError {
    match err {
        StoreError::AiApplicationNotFound(code) => ApiError::Missing {
            code: "unknown_application",
            message: Text::new("unknown_application").arg("value", code),
        },
        StoreError::NotFound { what, key } => ApiError::Missing {
            code: "not_found",
            message: Text::new("register_not_found")
                .arg("what", what)
                .arg("key", key),
        },
        StoreError::AiApplicationExists(_)
        | StoreError::StageMove { .. }
        | StoreError::ApprovalRequired { .. }
        | StoreError::ReviewDecided(_) => ApiError::Conflict {
            code: "register_conflict",
            message: Text::new("register_conflict").arg("reason", &err),
        },
        StoreError::InvalidValue { .. }
        | StoreError::UnknownAiCategory(_)
        | StoreError::RegisterRule(_) => ApiError::BadRequest {
            code: "invalid_value",
            message: Text::new("invalid_input").arg("reason", &err),
        },
        other => ApiError::Internal(other),
    }
}

/// Maps a service error of the register to the API's error envelope.
pub(crate) fn service_error(err: ServiceError) -> ApiError {
    match err {
        ServiceError::Store(err) => store_error(err),
        ServiceError::Invalid(reason) => ApiError::BadRequest {
            code: "invalid_value",
            message: Text::new("invalid_input").arg("reason", reason),
        },
        other => {
            tracing::error!(error = %other, "a register step failed");
            ApiError::Unavailable {
                code: "register_failed",
                message: Text::new("register_failed"),
            }
        }
    }
}

fn body<T>(body: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    body.map(|Json(body)| body)
        .map_err(crate::api::invalid_body)
}

fn path<T>(path: Result<Path<T>, PathRejection>, what: &str) -> Result<T, ApiError> {
    path.map(|Path(value)| value)
        .map_err(|rejection| ApiError::BadRequest {
            code: "invalid_path",
            message: Text::new("invalid_path")
                .arg("what", what)
                .arg("detail", rejection.body_text()),
        })
}

/// Parses a date (`2026-01-31`, midnight UTC) or an RFC 3339 time.
fn parse_time(field: &str, value: &str) -> Result<DateTime<Utc>, ApiError> {
    if let Ok(date) = NaiveDate::parse_from_str(value, "%Y-%m-%d")
        && let Some(midnight) = date.and_hms_opt(0, 0, 0)
    {
        return Ok(midnight.and_utc());
    }
    DateTime::parse_from_rfc3339(value)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| ApiError::BadRequest {
            code: "invalid_value",
            message: Text::new("invalid_time")
                .arg("name", field)
                .arg("value", value),
        })
}

fn parse_date(field: &str, value: &str) -> Result<NaiveDate, ApiError> {
    NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| ApiError::BadRequest {
        code: "invalid_value",
        message: Text::new("invalid_date")
            .arg("name", field)
            .arg("value", value),
    })
}

/// Lists every application with its gate.
pub(crate) async fn list(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let mut items = Vec::new();
    for application in state.store.ai_applications().await? {
        let gate = state.store.ai_gate(&application.code).await?;
        items.push(json!({
            "application": application,
            "gate": gate_json(&gate),
        }));
    }
    Ok(Json(json!({ "items": items })))
}

fn gate_json(gate: &cityai_store::GateStatus) -> Value {
    json!({
        "open": gate.is_open(),
        "closed": gate.closed,
        "reason": gate.closed.as_ref().map(ToString::to_string),
        "valid_until": gate.valid_until,
        "conditions": gate.conditions,
    })
}

/// Returns one application with everything the register keeps about it.
pub(crate) async fn detail(
    State(state): State<AppState>,
    code: Result<Path<String>, PathRejection>,
) -> Result<Json<Value>, ApiError> {
    let code = path(code, "application code")?;
    Ok(Json(detail_json(&state, &code).await?))
}

/// Builds the detail of one application, shared with the console page.
pub(crate) async fn detail_json(state: &AppState, code: &str) -> Result<Value, ApiError> {
    let store = &state.store;
    let application = store
        .ai_application(code)
        .await?
        .ok_or_else(|| store_error(StoreError::AiApplicationNotFound(code.to_owned())))?;
    let gate = store.ai_gate(code).await?;
    let now = Utc::now();
    let live = register_service::measured_figures(
        store,
        code,
        now - chrono::Duration::days(LIVE_PERIOD_DAYS),
        now,
    )
    .await
    .map_err(service_error)?;
    Ok(json!({
        "application": application,
        "supervision": register_service::supervision(application.fields.risk_level),
        "gate": gate_json(&gate),
        "reviews": store.ai_reviews(code).await.map_err(store_error)?,
        "scores": store.ai_scores(code).await.map_err(store_error)?,
        "funds": store.ai_funds(code).await.map_err(store_error)?,
        "monitoring": store.ai_monitoring(code).await.map_err(store_error)?,
        "live_figures": live,
        "live_period_days": LIVE_PERIOD_DAYS,
        "participants": store.ai_participations(code).await.map_err(store_error)?,
        "feedback": store.ai_feedback(Some(code), None, 100).await?,
    }))
}

/// The body that registers an application.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateBody {
    code: String,
    fields: ApplicationFields,
}

/// Registers a proposed application and returns `201 Created`.
pub(crate) async fn create(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    request: Result<Json<CreateBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let request = body(request)?;
    let created = state
        .store
        .create_ai_application(&request.code, &request.fields, &principal.actor())
        .await
        .map_err(store_error)?;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

/// Replaces the staff-written fields of an application.
pub(crate) async fn update(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    code: Result<Path<String>, PathRejection>,
    request: Result<Json<ApplicationFields>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let code = path(code, "application code")?;
    let fields = body(request)?;
    let updated = state
        .store
        .update_ai_application(&code, &fields, &principal.actor())
        .await
        .map_err(store_error)?;
    Ok(Json(json!(updated)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StageBody {
    stage: Stage,
    reason: String,
}

/// Moves an application to another lifecycle stage.
pub(crate) async fn set_stage(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    code: Result<Path<String>, PathRejection>,
    request: Result<Json<StageBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let code = path(code, "application code")?;
    let request = body(request)?;
    if request.reason.trim().is_empty() {
        return Err(ApiError::BadRequest {
            code: "invalid_value",
            message: Text::new("empty_stage_reason"),
        });
    }
    let updated = state
        .store
        .set_ai_stage(
            &code,
            request.stage,
            request.reason.trim(),
            &principal.actor(),
        )
        .await
        .map_err(store_error)?;
    Ok(Json(json!(updated)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ScoreBody {
    criterion: String,
    score: f64,
    #[serde(default)]
    note: String,
}

/// Records the caller's score of an application on one criterion.
pub(crate) async fn score(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    code: Result<Path<String>, PathRejection>,
    request: Result<Json<ScoreBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let code = path(code, "application code")?;
    let request = body(request)?;
    state
        .store
        .record_ai_score(
            &code,
            &request.criterion,
            request.score,
            &request.note,
            &principal.actor(),
        )
        .await
        .map_err(store_error)?;
    Ok(Json(
        json!({ "scores": state.store.ai_scores(&code).await.map_err(store_error)? }),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReviewBody {
    kind: ReviewKind,
    #[serde(default)]
    panel: Vec<i64>,
}

/// Opens a review case and returns `201 Created`.
pub(crate) async fn open_review(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    code: Result<Path<String>, PathRejection>,
    request: Result<Json<ReviewBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let code = path(code, "application code")?;
    let request = body(request)?;
    if request.kind == ReviewKind::Installation {
        return Err(ApiError::BadRequest {
            code: "invalid_value",
            message: Text::new("installation_review"),
        });
    }
    let review = state
        .store
        .open_ai_review(&code, request.kind, &request.panel, &principal.actor())
        .await
        .map_err(store_error)?;
    Ok((StatusCode::CREATED, Json(review)).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DecisionBody {
    decision: Decision,
    #[serde(default)]
    conditions: String,
    /// When the approval starts; now when absent.
    valid_from: Option<String>,
    /// Required unless the decision is `rejected`.
    valid_until: Option<String>,
    /// Required unless the decision is `rejected`.
    re_review_on: Option<String>,
}

/// Records the committee's decision on a review case.
pub(crate) async fn decide(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    id: Result<Path<i64>, PathRejection>,
    request: Result<Json<DecisionBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let id = path(id, "review id")?;
    let request = body(request)?;
    let decision = new_decision(&request)?;
    let review = state
        .store
        .decide_ai_review(id, &decision, &principal.actor())
        .await
        .map_err(store_error)?;
    Ok(Json(json!(review)))
}

fn new_decision(request: &DecisionBody) -> Result<NewDecision, ApiError> {
    let now = Utc::now();
    let valid_from = match &request.valid_from {
        Some(value) => parse_time("valid_from", value)?,
        None => now,
    };
    let missing = |field: &str| ApiError::BadRequest {
        code: "invalid_value",
        message: Text::new("approval_date_missing").arg("name", field),
    };
    let (valid_until, re_review_on) = if request.decision == Decision::Rejected {
        // A rejection has no validity; the dates are stored empty.
        (
            valid_from + chrono::Duration::seconds(1),
            valid_from.date_naive(),
        )
    } else {
        let until = request
            .valid_until
            .as_deref()
            .ok_or_else(|| missing("valid_until"))?;
        let re_review = request
            .re_review_on
            .as_deref()
            .ok_or_else(|| missing("re_review_on"))?;
        (
            parse_time("valid_until", until)?,
            parse_date("re_review_on", re_review)?,
        )
    };
    Ok(NewDecision {
        decision: request.decision,
        conditions: request.conditions.clone(),
        valid_from,
        valid_until,
        re_review_on,
    })
}

/// Sets an application's funds for one budget year.
pub(crate) async fn set_funds(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    code: Result<Path<String>, PathRejection>,
    request: Result<Json<Funds>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let code = path(code, "application code")?;
    let funds = body(request)?;
    state
        .store
        .set_ai_funds(&code, &funds, &principal.actor())
        .await
        .map_err(store_error)?;
    Ok(Json(
        json!({ "funds": state.store.ai_funds(&code).await.map_err(store_error)? }),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MonitoringBody {
    from: String,
    to: String,
    source: MonitoringSource,
    /// Required for `reported`; `measured` figures are counted by CityAI.
    figures: Option<serde_json::Map<String, Value>>,
    #[serde(default)]
    note: String,
}

/// Stores a monitoring record: measured from live data for CityAI's own features, or the
/// figures reported for other applications. Returns `201 Created`.
pub(crate) async fn record_monitoring(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    code: Result<Path<String>, PathRejection>,
    request: Result<Json<MonitoringBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let code = path(code, "application code")?;
    let request = body(request)?;
    let from = parse_time("from", &request.from)?;
    let to = parse_time("to", &request.to)?;
    let actor = principal.actor();
    let record = match request.source {
        MonitoringSource::Measured => {
            if request.figures.is_some() {
                return Err(ApiError::BadRequest {
                    code: "invalid_value",
                    message: Text::new("measured_figures"),
                });
            }
            if to <= from {
                return Err(ApiError::BadRequest {
                    code: "invalid_value",
                    message: Text::new("period_reversed"),
                });
            }
            register_service::record_measured(&state.store, &code, from, to, &actor)
                .await
                .map_err(service_error)?
        }
        MonitoringSource::Reported => {
            let figures = request.figures.ok_or_else(|| ApiError::BadRequest {
                code: "invalid_value",
                message: Text::new("figures_missing"),
            })?;
            state
                .store
                .record_ai_monitoring(
                    &code,
                    (from, to),
                    MonitoringSource::Reported,
                    &figures,
                    &request.note,
                    &actor,
                )
                .await
                .map_err(store_error)?
        }
    };
    Ok((StatusCode::CREATED, Json(record)).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ParticipantBody {
    organisation_id: i64,
    role: ParticipantRole,
}

/// Gives an organisation a role on an application.
pub(crate) async fn add_participant(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    code: Result<Path<String>, PathRejection>,
    request: Result<Json<ParticipantBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let code = path(code, "application code")?;
    let request = body(request)?;
    state
        .store
        .add_ai_participation(
            &code,
            request.organisation_id,
            request.role,
            &principal.actor(),
        )
        .await
        .map_err(store_error)?;
    Ok(Json(json!({
        "participants": state.store.ai_participations(&code).await.map_err(store_error)?
    })))
}

/// Returns the ranked list of scored applications.
pub(crate) async fn ranking(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({
        "criteria": state.store.ai_criteria().await?,
        "ranking": state.store.ai_ranking().await?,
    })))
}

/// Returns the approved scenario list of a year.
pub(crate) async fn approved_list(
    State(state): State<AppState>,
    year: Result<Path<i32>, PathRejection>,
) -> Result<Json<Value>, ApiError> {
    let year = path(year, "year")?;
    Ok(Json(json!({
        "year": year,
        "items": state.store.ai_approved_list(year).await?,
    })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListBody {
    codes: Vec<String>,
}

/// Replaces the approved scenario list of a year.
pub(crate) async fn approve_list(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    year: Result<Path<i32>, PathRejection>,
    request: Result<Json<ListBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let year = path(year, "year")?;
    let request = body(request)?;
    state
        .store
        .approve_ai_list(year, &request.codes, &principal.actor())
        .await
        .map_err(store_error)?;
    Ok(Json(json!({
        "year": year,
        "items": state.store.ai_approved_list(year).await?,
    })))
}

/// Lists running applications whose review is due or overdue.
pub(crate) async fn reviews_due(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({
        "horizon_days": DUE_HORIZON_DAYS,
        "items": state.store.reviews_due(Utc::now(), DUE_HORIZON_DAYS).await?,
    })))
}

/// Lists the committee's members and their declared conflicts.
pub(crate) async fn committee(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        json!({ "members": state.store.committee_members().await? }),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MemberBody {
    name: String,
    expertise: String,
    #[serde(default)]
    affiliation: String,
}

/// Adds a committee member and returns `201 Created` with the id.
pub(crate) async fn add_member(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    request: Result<Json<MemberBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let request = body(request)?;
    let id = state
        .store
        .add_committee_member(
            &request.name,
            &request.expertise,
            &request.affiliation,
            &principal.actor(),
        )
        .await
        .map_err(store_error)?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConflictBody {
    application: String,
    note: String,
}

/// Records a member's declared conflict of interest.
pub(crate) async fn declare_conflict(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    id: Result<Path<i64>, PathRejection>,
    request: Result<Json<ConflictBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let id = path(id, "member id")?;
    let request = body(request)?;
    state
        .store
        .declare_conflict(id, &request.application, &request.note, &principal.actor())
        .await
        .map_err(store_error)?;
    Ok(Json(
        json!({ "members": state.store.committee_members().await? }),
    ))
}

/// Lists the organisations.
pub(crate) async fn organisations(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        json!({ "organisations": state.store.ai_organisations().await? }),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OrganisationBody {
    name: String,
    kind: OrganisationKind,
}

/// Adds an organisation and returns `201 Created`.
pub(crate) async fn add_organisation(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    request: Result<Json<OrganisationBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let request = body(request)?;
    let organisation = state
        .store
        .add_ai_organisation(&request.name, request.kind, &principal.actor())
        .await
        .map_err(store_error)?;
    Ok((StatusCode::CREATED, Json(organisation)).into_response())
}

/// Lists the selection criteria and the application categories.
pub(crate) async fn criteria(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({
        "criteria": state.store.ai_criteria().await?,
        "categories": state.store.ai_categories().await?,
    })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CriterionBody {
    code: String,
    name_zh: String,
    name_en: String,
    weight: f64,
    #[serde(default = "active_by_default")]
    active: bool,
}

fn active_by_default() -> bool {
    true
}

/// Adds a criterion or changes one.
pub(crate) async fn upsert_criterion(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    request: Result<Json<CriterionBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let request = body(request)?;
    let criterion = Criterion {
        code: request.code,
        name_zh: request.name_zh,
        name_en: request.name_en,
        weight: request.weight,
        active: request.active,
    };
    state
        .store
        .upsert_ai_criterion(&criterion, &principal.actor())
        .await
        .map_err(store_error)?;
    Ok(Json(
        json!({ "criteria": state.store.ai_criteria().await? }),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CategoryBody {
    code: String,
    name_zh: String,
    name_en: String,
}

/// Adds an application category and returns `201 Created`.
pub(crate) async fn add_category(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    request: Result<Json<CategoryBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let request = body(request)?;
    let category = AiCategory {
        code: request.code,
        name_zh: request.name_zh,
        name_en: request.name_en,
    };
    state
        .store
        .add_ai_category(&category, &principal.actor())
        .await
        .map_err(store_error)?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "categories": state.store.ai_categories().await? })),
    )
        .into_response())
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct FeedbackQuery {
    status: Option<FeedbackStatus>,
}

/// Lists citizens' feedback, newest first, optionally of one status.
pub(crate) async fn feedback(
    State(state): State<AppState>,
    query: Result<Query<FeedbackQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(query) = query.map_err(crate::api::invalid_query)?;
    Ok(Json(json!({
        "items": state.store.ai_feedback(None, query.status, 200).await?,
    })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ModerationBody {
    publish: bool,
}

/// Publishes or rejects a feedback awaiting moderation.
pub(crate) async fn moderate(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    id: Result<Path<i64>, PathRejection>,
    request: Result<Json<ModerationBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let id = path(id, "feedback id")?;
    let request = body(request)?;
    state
        .store
        .moderate_ai_feedback(id, request.publish, &principal.actor())
        .await
        .map_err(store_error)?;
    Ok(Json(json!({ "id": id, "published": request.publish })))
}

/// The export formats of the register.
const EXPORT_FORMATS: &str = "register.json, atrs.csv or algoritmeregister.json";

/// Exports the register as CityAI JSON, ATRS-style CSV or Algoritmeregister-style JSON.
pub(crate) async fn export(
    State(state): State<AppState>,
    format: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let format = path(format, "export format")?;
    let store = &state.store;
    let attachment = |name: &str| format!("attachment; filename=\"cityai-{name}\"");
    match format.as_str() {
        "register.json" => {
            let value = export::register_json(store).await.map_err(service_error)?;
            Ok((
                [(header::CONTENT_DISPOSITION, attachment(&format))],
                Json(value),
            )
                .into_response())
        }
        "atrs.csv" => {
            let csv = export::atrs_csv(store).await.map_err(service_error)?;
            Ok((
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                    (header::CONTENT_DISPOSITION, attachment(&format)),
                ],
                csv,
            )
                .into_response())
        }
        "algoritmeregister.json" => {
            let value = export::algoritmeregister_json(store)
                .await
                .map_err(service_error)?;
            Ok((
                [(header::CONTENT_DISPOSITION, attachment(&format))],
                Json(value),
            )
                .into_response())
        }
        other => Err(ApiError::Missing {
            code: "unknown_format",
            message: Text::new("unknown_format")
                .arg("value", other)
                .arg("choices", EXPORT_FORMATS),
        }),
    }
}

/// Counts applications by stage, for the console's summary.
pub(crate) fn count_by_stage(
    applications: &[cityai_store::AiApplication],
) -> HashMap<Stage, usize> {
    let mut counts = HashMap::new();
    for application in applications {
        *counts.entry(application.stage).or_insert(0) += 1;
    }
    counts
}
