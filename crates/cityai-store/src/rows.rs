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

/// [`REQUEST_COLUMNS`] one by one, so that a row selected with them can be read by position.
pub(crate) const REQUEST_COLUMN_NAMES: [&str; 19] = [
    "id",
    "external_id",
    "channel",
    "title",
    "body",
    "submitted_at",
    "received_at",
    "updated_at",
    "citizen_ref",
    "place_text",
    "latitude",
    "longitude",
    "status",
    "category_path",
    "department_code",
    "routing_confidence",
    "model_version",
    "support_votes",
    "objection_votes",
];

/// Typed access to a row's columns by name, for an sqlx row or a row of the direct SQLite
/// reads (`crate::direct`).
pub(crate) trait Columns {
    fn text(&self, column: &'static str) -> Result<Option<String>>;
    fn integer(&self, column: &'static str) -> Result<Option<i64>>;
    fn real(&self, column: &'static str) -> Result<Option<f64>>;

    fn required_text(&self, column: &'static str) -> Result<String> {
        self.text(column)?.ok_or_else(|| invalid(column, "NULL"))
    }
}

impl Columns for AnyRow {
    fn text(&self, column: &'static str) -> Result<Option<String>> {
        Ok(self.try_get(column)?)
    }

    fn integer(&self, column: &'static str) -> Result<Option<i64>> {
        Ok(self.try_get(column)?)
    }

    fn real(&self, column: &'static str) -> Result<Option<f64>> {
        Ok(self.try_get(column)?)
    }
}

pub(crate) fn request_from_row(row: &impl Columns) -> Result<Request> {
    let channel = row.required_text("channel")?;
    let status = row.required_text("status")?;
    let category = row.text("category_path")?;
    Ok(Request {
        id: row.integer("id")?.ok_or_else(|| invalid("id", "NULL"))?,
        external_id: row.text("external_id")?,
        channel: channel
            .parse()
            .map_err(|_| invalid("requests.channel", &channel))?,
        title: row.text("title")?,
        body: row.required_text("body")?,
        submitted_at: optional_time(row, "submitted_at")?,
        received_at: required_time(row, "received_at")?,
        updated_at: required_time(row, "updated_at")?,
        citizen_ref: row.text("citizen_ref")?,
        place_text: row.text("place_text")?,
        latitude: row.real("latitude")?,
        longitude: row.real("longitude")?,
        status: status
            .parse()
            .map_err(|_| invalid("requests.status", &status))?,
        category: category
            .map(|path| {
                CategoryPath::parse(&path).map_err(|_| invalid("requests.category_path", &path))
            })
            .transpose()?,
        department: row.text("department_code")?,
        routing_confidence: row.real("routing_confidence")?,
        model_version: row.text("model_version")?,
        support_votes: row.integer("support_votes")?,
        objection_votes: row.integer("objection_votes")?,
    })
}

fn optional_time(row: &impl Columns, column: &'static str) -> Result<Option<DateTime<Utc>>> {
    row.text(column)?
        .map(|text| from_storage(&text).ok_or_else(|| invalid(column, &text)))
        .transpose()
}

fn required_time(row: &impl Columns, column: &'static str) -> Result<DateTime<Utc>> {
    let text = row.required_text(column)?;
    from_storage(&text).ok_or_else(|| invalid(column, &text))
}

fn invalid(column: &'static str, value: &str) -> StoreError {
    StoreError::InvalidStoredValue {
        column,
        value: value.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_names_follow_the_select_list() {
        let listed: Vec<&str> = REQUEST_COLUMNS.split(',').map(str::trim).collect();
        assert_eq!(listed, REQUEST_COLUMN_NAMES);
    }
}
