//! Taking requests in through the JSON API, and the public status of a request by token.

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::{Extension, Json};
use cityai_core::{Channel, RequestStatus, Role};
use cityai_services::ServiceError;
use cityai_services::intake::{Receipt, Submission, SubmissionError};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, Text};
use crate::metrics::IntakeOutcome;

/// The body of `POST /api/v1/requests`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SubmitBody {
    title: Option<String>,
    body: String,
    /// `web` (the default) or `hotline`; operators take hotline calls.
    channel: Option<String>,
    /// A pseudonymous reference to the citizen; citizens' own requests get their account.
    citizen_ref: Option<String>,
    place: Option<String>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    /// The caller's own id for the request; sending it again returns the stored request.
    external_id: Option<String>,
}

/// Stores a request, routes it and returns `201 Created` with the receipt: its id, the token
/// the citizen follows it with, and where the router sent it.
pub(crate) async fn submit(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    body: Result<Json<SubmitBody>, JsonRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let Json(body) =
        body.map_err(|rejection| ApiError::invalid_body(&rejection, "invalid_intake_body"))?;
    let channel = match body.channel.as_deref() {
        None | Some("web") => Channel::Web,
        Some("hotline") if principal.role() != Role::Citizen => Channel::Hotline,
        Some(other) => {
            return Err(ApiError::BadRequest {
                code: "invalid_channel",
                message: Text::new("invalid_channel").arg("value", other),
            });
        }
    };
    let citizen_ref = if principal.role() == Role::Citizen {
        Some(principal.user.username.clone())
    } else {
        body.citizen_ref
    };
    let submission = Submission {
        channel,
        title: body.title,
        body: body.body,
        citizen_ref,
        place_text: body.place,
        latitude: body.latitude,
        longitude: body.longitude,
        external_id: body.external_id,
        requested_category: None,
    };
    let receipt = take_in(&state, submission).await?;
    let status = if receipt.existing {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    let location = format!("/api/v1/requests/{}", receipt.id);
    Ok((status, [(header::LOCATION, location)], Json(receipt)))
}

/// Runs intake for any channel of the server and wakes duplicate linking.
pub(crate) async fn take_in(state: &AppState, submission: Submission) -> Result<Receipt, ApiError> {
    // `submit` validates again; checking here first takes the message from the catalogues.
    submission
        .validate()
        .map_err(|fault| ApiError::BadRequest {
            code: "invalid_request",
            message: submission_text(&fault),
        })?;
    let router = state.router.get();
    match cityai_services::intake::submit(&state.store, router.as_deref(), submission).await {
        Ok(receipt) => {
            let outcome = if receipt.existing {
                IntakeOutcome::Repeated
            } else if receipt.model_version.is_none() {
                IntakeOutcome::Unrouted
            } else if receipt.status == RequestStatus::Assigned {
                IntakeOutcome::Assigned
            } else {
                IntakeOutcome::Triage
            };
            state.metrics.record_intake(outcome);
            if !receipt.existing {
                state.hotspots.notify_arrival();
            }
            Ok(receipt)
        }
        Err(ServiceError::Invalid(reason)) => Err(ApiError::BadRequest {
            code: "invalid_request",
            message: Text::new("invalid_input").arg("reason", reason),
        }),
        Err(ServiceError::Store(err)) => Err(ApiError::Internal(err)),
        Err(other) => {
            tracing::error!(error = %other, "intake failed");
            Err(ApiError::Unavailable {
                code: "intake_failed",
                message: Text::new("intake_failed"),
            })
        }
    }
}

/// Returns the catalogue message for a fault of a submission.
fn submission_text(fault: &SubmissionError) -> Text {
    use cityai_services::intake::{MAX_BODY_CHARS, MAX_TITLE_CHARS};

    match fault {
        SubmissionError::EmptyBody => Text::new("empty_body"),
        SubmissionError::BodyTooLong(chars) => Text::new("body_too_long")
            .arg("chars", chars)
            .arg("max", MAX_BODY_CHARS),
        SubmissionError::TitleTooLong(chars) => Text::new("title_too_long")
            .arg("chars", chars)
            .arg("max", MAX_TITLE_CHARS),
        SubmissionError::Latitude(value) => Text::new("invalid_latitude").arg("value", value),
        SubmissionError::Longitude(value) => Text::new("invalid_longitude").arg("value", value),
        SubmissionError::HalfCoordinates => Text::new("half_coordinates"),
    }
}

/// The public view of a request for whoever holds its token: its progress, never its text.
#[derive(Debug, Serialize)]
pub(crate) struct PublicStatus {
    id: i64,
    status: RequestStatus,
    category: Option<cityai_core::CategoryPath>,
    department_code: Option<String>,
    submitted_at: Option<chrono::DateTime<chrono::Utc>>,
    updated_at: chrono::DateTime<chrono::Utc>,
}

/// Returns the status of the request handed out with a token.
pub(crate) async fn status_by_token(
    State(state): State<AppState>,
    token: Result<Path<String>, PathRejection>,
) -> Result<Json<PublicStatus>, ApiError> {
    let Ok(Path(token)) = token else {
        return Err(ApiError::NotFound);
    };
    if token.len() != 32 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ApiError::BadRequest {
            code: "invalid_token",
            message: Text::new("invalid_token"),
        });
    }
    let request = state
        .store
        .request_by_token(&token)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(PublicStatus {
        id: request.id,
        status: request.status,
        category: request.category,
        department_code: request.department,
        submitted_at: request.submitted_at,
        updated_at: request.updated_at,
    }))
}
