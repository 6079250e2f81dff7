//! JSON endpoints: health, readiness and request listing.

use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use cityai_core::Request;
use serde::Serialize;
use serde_json::json;

use crate::AppState;
use crate::error::ApiError;
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

/// Lists requests with the console's filters and paging.
pub(crate) async fn list_requests(
    State(state): State<AppState>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<ListResponse>, ApiError> {
    let Query(query) = query.map_err(|rejection| ApiError::BadRequest {
        code: "invalid_query",
        message: format!("invalid query string: {}", rejection.body_text()),
    })?;
    let (filter, page) =
        query
            .to_filter(state.city_offset)
            .map_err(|invalid| ApiError::BadRequest {
                code: "invalid_parameter",
                message: format!(
                    "invalid value {:?} for parameter {}: expected {}",
                    invalid.value, invalid.name, invalid.expected
                ),
            })?;
    let list = state.store.list_requests(&filter, page).await?;
    Ok(Json(ListResponse {
        items: list.items,
        total: list.total,
        page: page.number,
        size: page.size,
    }))
}

/// Returns the JSON error envelope for unknown API paths.
pub(crate) async fn not_found() -> ApiError {
    ApiError::NotFound
}

/// Returns one request.
pub(crate) async fn get_request(
    State(state): State<AppState>,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Json<Request>, ApiError> {
    let Path(id) = id.map_err(|_| ApiError::BadRequest {
        code: "invalid_id",
        message: "invalid request id: expected a whole number such as /api/v1/requests/42"
            .to_owned(),
    })?;
    state
        .store
        .request(id)
        .await?
        .map(Json)
        .ok_or(ApiError::NotFound)
}
