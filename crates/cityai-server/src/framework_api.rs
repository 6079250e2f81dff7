//! The JSON API of the AI framework: the technology inventory and its lineage, education
//! programmes and coverage, the ROI calculator and its measured mode, the roadmap and the
//! key metrics.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use chrono::Utc;
use cityai_core::framework::roi::{RoiInputs, estimate};
use cityai_services::ServiceError;
use cityai_services::framework as services;
use cityai_store::{
    Enrolment, MilestoneUpdate, NewComputeResource, NewCourse, NewDataset, NewEnvironment,
    NewMilestone, NewModel, NewProgramme, NewSession, StoreError,
};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::api::{invalid_body, invalid_query};
use crate::auth::Principal;
use crate::error::{ApiError, Text};

/// The window measured mode reads by default, in days.
pub(crate) const MEASURED_WINDOW_DAYS: i64 = 365;

type JsonResult = Result<Json<Value>, ApiError>;
type Created = Result<(StatusCode, Json<Value>), ApiError>;

/// Maps a service failure to the API's error envelope.
pub(crate) fn service_error(err: ServiceError) -> ApiError {
    match err {
        ServiceError::Invalid(reason) => ApiError::BadRequest {
            code: "invalid_input",
            message: Text::new("invalid_input").arg("reason", reason),
        },
        ServiceError::Lineage(violations) => ApiError::Conflict {
            code: "lineage_violation",
            message: Text::new("lineage_violation")
                .arg("reason", ServiceError::Lineage(violations)),
        },
        ServiceError::Store(err) => store_error(err),
        other => {
            tracing::error!(error = %other, "framework service failed");
            ApiError::Unavailable {
                code: "framework_unavailable",
                message: Text::new("framework_unavailable"),
            }
        }
    }
}

/// Maps a store failure: unknown references are bad input, taken codes are conflicts.
pub(crate) fn store_error(err: StoreError) -> ApiError {
    match err {
        StoreError::FrameworkNotFound { .. } => ApiError::BadRequest {
            code: "unknown_reference",
            message: Text::new("unknown_reference").arg("reason", &err),
        },
        StoreError::FrameworkDuplicate { .. } => ApiError::Conflict {
            code: "duplicate_code",
            message: Text::new("duplicate_code").arg("reason", &err),
        },
        other => ApiError::Internal(other),
    }
}

fn body<T>(payload: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    payload.map(|Json(value)| value).map_err(invalid_body)
}

fn id_of(id: Result<Path<i64>, PathRejection>) -> Result<i64, ApiError> {
    id.map(|Path(id)| id).map_err(|_| ApiError::BadRequest {
        code: "invalid_id",
        message: Text::new("invalid_framework_id"),
    })
}

fn created(id: Option<i64>) -> Created {
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))))
}

/// Returns the whole technology inventory.
pub(crate) async fn inventory(State(state): State<AppState>) -> JsonResult {
    let store = &state.store;
    Ok(Json(json!({
        "environments": store.environments().await?,
        "compute": store.compute_resources().await?,
        "datasets": store.datasets().await?,
        "models": store.models().await?,
        "applications": store.framework_applications().await?,
    })))
}

/// Returns the lineage graph and every violation of its rules.
pub(crate) async fn lineage(State(state): State<AppState>) -> JsonResult {
    let graph = state.store.lineage_graph().await?;
    let violations = services::lineage_violations(&state.store)
        .await
        .map_err(service_error)?;
    Ok(Json(json!({ "graph": graph, "violations": violations })))
}

pub(crate) async fn create_environment(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    payload: Result<Json<NewEnvironment>, JsonRejection>,
) -> Created {
    let new = body(payload)?;
    services::check_environment(&new).map_err(service_error)?;
    state
        .store
        .insert_environment(&new, &principal.actor())
        .await
        .map_err(store_error)?;
    Ok((StatusCode::CREATED, Json(json!({ "code": new.code }))))
}

pub(crate) async fn create_compute(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    payload: Result<Json<NewComputeResource>, JsonRejection>,
) -> Created {
    let new = body(payload)?;
    services::check_compute(&new).map_err(service_error)?;
    let id = state
        .store
        .insert_compute_resource(&new, &principal.actor())
        .await
        .map_err(store_error)?;
    created(Some(id))
}

pub(crate) async fn create_dataset(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    payload: Result<Json<NewDataset>, JsonRejection>,
) -> Created {
    let new = body(payload)?;
    services::check_dataset(&new).map_err(service_error)?;
    let id = state
        .store
        .insert_dataset(&new, &principal.actor())
        .await
        .map_err(store_error)?;
    created(Some(id))
}

pub(crate) async fn create_model(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    payload: Result<Json<NewModel>, JsonRejection>,
) -> Created {
    let new = body(payload)?;
    services::check_model(&new).map_err(service_error)?;
    let id = state
        .store
        .insert_model(&new, &principal.actor())
        .await
        .map_err(store_error)?;
    created(Some(id))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DatasetLink {
    dataset_id: i64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ModelLink {
    model_id: i64,
}

/// Records that a model was trained on a dataset; 409 when that breaks the lineage rules.
pub(crate) async fn link_model_dataset(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    id: Result<Path<i64>, PathRejection>,
    payload: Result<Json<DatasetLink>, JsonRejection>,
) -> JsonResult {
    let model_id = id_of(id)?;
    let link = body(payload)?;
    services::link_model_dataset(&state.store, model_id, link.dataset_id, &principal.actor())
        .await
        .map_err(service_error)?;
    Ok(Json(
        json!({ "model_id": model_id, "dataset_id": link.dataset_id }),
    ))
}

/// Records that an application uses a model; 409 when that breaks the lineage rules.
pub(crate) async fn link_application_model(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    id: Result<Path<i64>, PathRejection>,
    payload: Result<Json<ModelLink>, JsonRejection>,
) -> JsonResult {
    let application_id = id_of(id)?;
    let link = body(payload)?;
    services::link_application_model(
        &state.store,
        application_id,
        link.model_id,
        &principal.actor(),
    )
    .await
    .map_err(service_error)?;
    Ok(Json(
        json!({ "application_id": application_id, "model_id": link.model_id }),
    ))
}

/// Returns programmes, courses, sessions, enrolments, reach per level and coverage per
/// department; handlers see their own department's enrolments and coverage only.
pub(crate) async fn education(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
) -> JsonResult {
    let store = &state.store;
    let scope = principal.department_scope();
    let enrolments: Vec<Enrolment> = store
        .enrolments()
        .await?
        .into_iter()
        .filter(|e| scope.is_none_or(|d| d == e.department_code))
        .collect();
    Ok(Json(json!({
        "programmes": store.programmes().await?,
        "courses": store.courses().await?,
        "sessions": store.sessions().await?,
        "enrolments": enrolments,
        "reach": store.programme_reach().await?,
        "coverage": store.education_coverage(scope).await?,
    })))
}

pub(crate) async fn create_programme(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    payload: Result<Json<NewProgramme>, JsonRejection>,
) -> Created {
    let new = body(payload)?;
    services::check_programme(&new).map_err(service_error)?;
    let id = state
        .store
        .insert_programme(&new, &principal.actor())
        .await
        .map_err(store_error)?;
    created(Some(id))
}

pub(crate) async fn create_course(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    payload: Result<Json<NewCourse>, JsonRejection>,
) -> Created {
    let new = body(payload)?;
    services::check_course(&new).map_err(service_error)?;
    let id = state
        .store
        .insert_course(&new, &principal.actor())
        .await
        .map_err(store_error)?;
    created(Some(id))
}

pub(crate) async fn create_session(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    payload: Result<Json<NewSession>, JsonRejection>,
) -> Created {
    let new = body(payload)?;
    if new.place.chars().count() > 200 || new.place.chars().any(char::is_control) {
        return Err(ApiError::BadRequest {
            code: "invalid_input",
            message: Text::new("invalid_place"),
        });
    }
    services::check_date("starts_on", new.starts_on).map_err(service_error)?;
    let id = state
        .store
        .insert_session(&new, &principal.actor())
        .await
        .map_err(store_error)?;
    created(Some(id))
}

pub(crate) async fn record_enrolment(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    payload: Result<Json<Enrolment>, JsonRejection>,
) -> JsonResult {
    let enrolment = body(payload)?;
    services::check_enrolment(&enrolment).map_err(service_error)?;
    state
        .store
        .record_enrolment(&enrolment, &principal.actor())
        .await
        .map_err(store_error)?;
    Ok(Json(json!(enrolment)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StaffCount {
    department_code: String,
    staff: i64,
}

pub(crate) async fn set_staff(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    payload: Result<Json<StaffCount>, JsonRejection>,
) -> JsonResult {
    let count = body(payload)?;
    services::check_staff(&count.department_code, count.staff).map_err(service_error)?;
    state
        .store
        .set_department_staff(&count.department_code, count.staff, &principal.actor())
        .await
        .map_err(store_error)?;
    Ok(Json(
        json!({ "department_code": count.department_code, "staff": count.staff }),
    ))
}

/// Computes the ROI estimate of the posted inputs without saving them.
pub(crate) async fn calculate_roi(payload: Result<Json<RoiInputs>, JsonRejection>) -> JsonResult {
    let inputs = body(payload)?;
    let result = estimate(&inputs).map_err(|err| ApiError::BadRequest {
        code: "invalid_input",
        message: Text::new("invalid_input").arg("reason", err),
    })?;
    Ok(Json(json!({ "inputs": inputs, "estimate": result })))
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct MeasuredParams {
    /// A saved scenario whose inputs serve as the assumptions.
    scenario: Option<i64>,
    days: Option<i64>,
}

/// Returns the assumptions of a saved scenario, or the defaults.
pub(crate) async fn assumptions(
    state: &AppState,
    scenario: Option<i64>,
) -> Result<RoiInputs, ApiError> {
    let Some(id) = scenario else {
        return Ok(services::DEFAULT_ASSUMPTIONS);
    };
    let saved = state
        .store
        .roi_scenarios()
        .await?
        .into_iter()
        .find(|s| s.id == id)
        .ok_or(ApiError::NotFound)?;
    serde_json::from_value(saved.inputs).map_err(|err| ApiError::Conflict {
        code: "invalid_scenario",
        message: Text::new("invalid_scenario")
            .arg("id", id)
            .arg("reason", err),
    })
}

/// Fills the calculator from CityAI's live figures and says which inputs were measured.
pub(crate) async fn measured_roi(
    State(state): State<AppState>,
    params: Result<Query<MeasuredParams>, QueryRejection>,
) -> JsonResult {
    let Query(params) = params.map_err(invalid_query)?;
    let days = params.days.unwrap_or(MEASURED_WINDOW_DAYS);
    if !(1..=3650).contains(&days) {
        return Err(ApiError::BadRequest {
            code: "invalid_query",
            message: Text::new("invalid_range")
                .arg("value", days)
                .arg("name", "days")
                .arg("min", 1)
                .arg("max", 3650),
        });
    }
    let assumptions = assumptions(&state, params.scenario).await?;
    let measured = services::measured_roi(&state.store, &assumptions, Utc::now(), days)
        .await
        .map_err(service_error)?;
    Ok(Json(json!(measured)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewScenario {
    name: String,
    #[serde(default)]
    application_id: Option<i64>,
    inputs: RoiInputs,
}

/// Returns the saved ROI scenarios with their estimates, newest first.
pub(crate) async fn roi_scenarios(State(state): State<AppState>) -> JsonResult {
    let scenarios = state.store.roi_scenarios().await?;
    let items: Vec<Value> = scenarios
        .into_iter()
        .map(|scenario| {
            let estimate = serde_json::from_value::<RoiInputs>(scenario.inputs.clone())
                .ok()
                .and_then(|inputs| estimate(&inputs).ok());
            json!({ "scenario": scenario, "estimate": estimate })
        })
        .collect();
    Ok(Json(json!({ "items": items })))
}

pub(crate) async fn save_roi_scenario(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    payload: Result<Json<NewScenario>, JsonRejection>,
) -> Created {
    let new = body(payload)?;
    if new.name.trim().is_empty() || new.name.chars().count() > 200 {
        return Err(ApiError::BadRequest {
            code: "invalid_input",
            message: Text::new("invalid_name"),
        });
    }
    new.inputs.validate().map_err(|err| ApiError::BadRequest {
        code: "invalid_input",
        message: Text::new("invalid_input").arg("reason", err),
    })?;
    let id = state
        .store
        .insert_roi_scenario(
            &new.name,
            new.application_id,
            &json!(new.inputs),
            &principal.actor(),
        )
        .await
        .map_err(store_error)?;
    created(Some(id))
}

/// Returns the roadmap with progress computed from linked items.
pub(crate) async fn roadmap(State(state): State<AppState>) -> JsonResult {
    let today = Utc::now().with_timezone(&state.city_offset).date_naive();
    let roadmap = services::roadmap(&state.store, today)
        .await
        .map_err(service_error)?;
    Ok(Json(json!(roadmap)))
}

pub(crate) async fn create_milestone(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    payload: Result<Json<NewMilestone>, JsonRejection>,
) -> Created {
    let new = body(payload)?;
    services::check_milestone(&new).map_err(service_error)?;
    let id = state
        .store
        .insert_milestone(&new, &principal.actor())
        .await
        .map_err(store_error)?;
    created(Some(id))
}

pub(crate) async fn update_milestone(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    id: Result<Path<i64>, PathRejection>,
    payload: Result<Json<MilestoneUpdate>, JsonRejection>,
) -> JsonResult {
    let id = id_of(id)?;
    let update = body(payload)?;
    services::check_milestone_update(&update).map_err(service_error)?;
    let milestone = state
        .store
        .update_milestone(id, &update, &principal.actor())
        .await
        .map_err(|err| match err {
            StoreError::FrameworkNotFound { .. } => ApiError::NotFound,
            other => ApiError::Internal(other),
        })?;
    Ok(Json(json!(milestone)))
}

/// Returns the key metrics: stakeholders, register entries by category and stage,
/// programme reach and measured ROI.
pub(crate) async fn metrics(State(state): State<AppState>) -> JsonResult {
    let metrics = services::key_metrics(&state.store, Utc::now(), MEASURED_WINDOW_DAYS)
        .await
        .map_err(service_error)?;
    Ok(Json(json!(metrics)))
}
