//! Conversion between stored rows and domain types.

use chrono::{DateTime, Utc};
use cityai_core::time::from_storage;
use cityai_core::{CategoryPath, Request};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Result, StoreError};

/// The columns [`request_from_row`] reads, in select-list form.
pub(crate) const REQUEST_COLUMNS: &str = "id, external_id, channel, title, body, submitted_at, \
     received_at, updated_at, citizen_ref, place_text, latitude, longitude, status, category_path, \
     department_code, routing_confidence, model_version, support_votes, objection_votes";

pub(crate) fn request_from_row(row: &AnyRow) -> Result<Request> {
    let channel: String = row.try_get("channel")?;
    let status: String = row.try_get("status")?;
    let category: Option<String> = row.try_get("category_path")?;
    Ok(Request {
        id: row.try_get("id")?,
        external_id: row.try_get("external_id")?,
        channel: channel
            .parse()
            .map_err(|_| invalid("requests.channel", &channel))?,
        title: row.try_get("title")?,
        body: row.try_get("body")?,
        submitted_at: optional_time(row, "submitted_at")?,
        received_at: required_time(row, "received_at")?,
        updated_at: required_time(row, "updated_at")?,
        citizen_ref: row.try_get("citizen_ref")?,
        place_text: row.try_get("place_text")?,
        latitude: row.try_get("latitude")?,
        longitude: row.try_get("longitude")?,
        status: status
            .parse()
            .map_err(|_| invalid("requests.status", &status))?,
        category: category
            .map(|path| {
                CategoryPath::parse(&path).map_err(|_| invalid("requests.category_path", &path))
            })
            .transpose()?,
        department: row.try_get("department_code")?,
        routing_confidence: row.try_get("routing_confidence")?,
        model_version: row.try_get("model_version")?,
        support_votes: row.try_get("support_votes")?,
        objection_votes: row.try_get("objection_votes")?,
    })
}

fn optional_time(row: &AnyRow, column: &'static str) -> Result<Option<DateTime<Utc>>> {
    let value: Option<String> = row.try_get(column)?;
    value
        .map(|text| from_storage(&text).ok_or_else(|| invalid(column, &text)))
        .transpose()
}

fn required_time(row: &AnyRow, column: &'static str) -> Result<DateTime<Utc>> {
    let text: String = row.try_get(column)?;
    from_storage(&text).ok_or_else(|| invalid(column, &text))
}

fn invalid(column: &'static str, value: &str) -> StoreError {
    StoreError::InvalidStoredValue {
        column,
        value: value.to_owned(),
    }
}
