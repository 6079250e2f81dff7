//! Errors of the server and their HTTP responses.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cityai_core::Lang;
use cityai_core::i18n::t;
use serde_json::json;

/// A failure to run the server.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("server I/O failed")]
    Io(#[source] std::io::Error),
}

/// An error returned by a JSON API handler, rendered as
/// `{"error": {"code": "...", "message": "..."}}`.
#[derive(Debug)]
pub(crate) enum ApiError {
    /// A query parameter or body value is invalid; the message names it.
    BadRequest {
        code: &'static str,
        message: String,
    },
    NotFound,
    /// A named resource does not exist; the message names it and where to find the valid ones.
    Missing {
        code: &'static str,
        message: String,
    },
    /// The request is valid but the resource's state does not allow it.
    Conflict {
        code: &'static str,
        message: String,
    },
    /// The caller is signed in but may not see what was asked for.
    Forbidden,
    /// A part of the service is not available, such as an unloaded knowledge base.
    Unavailable {
        code: &'static str,
        message: String,
    },
    /// An internal failure; logged here, and the body stays generic.
    Internal(cityai_store::StoreError),
}

impl From<cityai_store::StoreError> for ApiError {
    fn from(err: cityai_store::StoreError) -> Self {
        ApiError::Internal(err)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message) = match self {
            ApiError::BadRequest { code, message } => (StatusCode::BAD_REQUEST, code, message),
            ApiError::NotFound => (
                StatusCode::NOT_FOUND,
                "not_found",
                t(Lang::En, "error.api_not_found").to_owned(),
            ),
            ApiError::Missing { code, message } => (StatusCode::NOT_FOUND, code, message),
            ApiError::Conflict { code, message } => (StatusCode::CONFLICT, code, message),
            ApiError::Forbidden => (
                StatusCode::FORBIDDEN,
                "forbidden",
                "your role may not see these sources".to_owned(),
            ),
            ApiError::Unavailable { code, message } => {
                (StatusCode::SERVICE_UNAVAILABLE, code, message)
            }
            ApiError::Internal(err) => {
                tracing::error!(error = %err, source = ?std::error::Error::source(&err), "request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    t(Lang::En, "error.internal").to_owned(),
                )
            }
        };
        (
            status,
            Json(json!({"error": {"code": code, "message": message}})),
        )
            .into_response()
    }
}
