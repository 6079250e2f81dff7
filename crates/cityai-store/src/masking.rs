//! Masking personal data in request text before it is stored.
//!
//! Every request passes through [`mask_request`] on its way into the `requests` table, so
//! the `title` and `body` columns only ever hold masked text. The originals go to the
//! `restricted_title` and `restricted_body` columns, which only
//! [`Store::request_unmasked`] reads.

use cityai_text::pii::{self, MaskPolicy};
use serde::Serialize;
use serde_json::json;
use sqlx::Row;

use crate::audit::{self, AuditEvent};
use crate::{Result, Store, StoreError};

/// The schema version that added the restricted columns.
pub(crate) const MASKING_VERSION: i64 = 6;

/// Rows masked per transaction when masking rows stored before masking existed.
const LEGACY_BATCH: i64 = 500;

/// A request's text ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MaskedText {
    pub title: Option<String>,
    pub body: String,
    /// The original title, only when masking changed it.
    pub restricted_title: Option<String>,
    /// The original body, only when masking changed it.
    pub restricted_body: Option<String>,
    /// The kinds of personal data found, sorted and comma-separated.
    pub kinds: String,
}

/// Masks the personal data in a title and body with the default policy.
pub(crate) fn mask_request(title: Option<&str>, body: &str) -> MaskedText {
    let policy = MaskPolicy::default();
    let mut kinds: Vec<&'static str> = Vec::new();
    let mut mask_one = |text: &str| -> Option<String> {
        let findings = pii::detect(text);
        if findings.is_empty() {
            return None;
        }
        kinds.extend(findings.iter().map(|f| f.kind.as_str()));
        Some(pii::mask(text, &findings, &policy))
    };
    let masked_title = title.and_then(&mut mask_one);
    let masked_body = mask_one(body);
    kinds.sort_unstable();
    kinds.dedup();
    MaskedText {
        title: masked_title.clone().or_else(|| title.map(str::to_owned)),
        body: masked_body.clone().unwrap_or_else(|| body.to_owned()),
        restricted_title: masked_title.and(title.map(str::to_owned)),
        restricted_body: masked_body.map(|_| body.to_owned()),
        kinds: kinds.join(","),
    }
}

/// A request's original text, for staff whose role allows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnmaskedText {
    pub id: i64,
    pub title: Option<String>,
    pub body: String,
    /// The kinds of personal data the text contains, such as `mobile`.
    pub personal_data: Vec<String>,
}

impl Store {
    /// Returns a request's original text and records in the audit trail that `actor` saw it.
    /// The record and the read happen in one transaction: no unaudited view is possible.
    ///
    /// # Errors
    ///
    /// [`StoreError::RequestNotFound`] and [`StoreError::Database`].
    pub async fn request_unmasked(
        &self,
        id: i64,
        actor: &str,
        purpose: &str,
    ) -> Result<UnmaskedText> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "SELECT id, COALESCE(restricted_title, title) AS title, \
             COALESCE(restricted_body, body) AS body, pii_kinds FROM requests WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::RequestNotFound(id))?;
        let kinds: Option<String> = row.try_get("pii_kinds")?;
        let personal_data: Vec<String> = kinds
            .unwrap_or_default()
            .split(',')
            .filter(|k| !k.is_empty())
            .map(str::to_owned)
            .collect();
        audit::append(
            &mut tx,
            &AuditEvent::new(actor, "request.view_unmasked")
                .target(format!("request:{id}"))
                .detail(json!({"personal_data": personal_data, "purpose": purpose})),
        )
        .await?;
        tx.commit().await?;
        Ok(UnmaskedText {
            id: row.try_get("id")?,
            title: row.try_get("title")?,
            body: row.try_get("body")?,
            personal_data,
        })
    }

    /// Masks the requests stored before masking existed, in batches, and returns how many
    /// were scanned. [`Store::open`] runs it after migrating.
    pub(crate) async fn mask_legacy_requests(&self) -> Result<u64> {
        let mut scanned = 0;
        loop {
            let mut tx = self.begin_write().await?;
            let rows = sqlx::query(
                "SELECT id, title, body FROM requests WHERE pii_scanned = 0 ORDER BY id LIMIT $1",
            )
            .bind(LEGACY_BATCH)
            .fetch_all(&mut *tx)
            .await?;
            if rows.is_empty() {
                break;
            }
            for row in &rows {
                let id: i64 = row.try_get("id")?;
                let title: Option<String> = row.try_get("title")?;
                let body: String = row.try_get("body")?;
                let masked = mask_request(title.as_deref(), &body);
                sqlx::query(
                    "UPDATE requests SET title = $1, body = $2, restricted_title = $3, \
                     restricted_body = $4, pii_kinds = $5, pii_scanned = 1 WHERE id = $6",
                )
                .bind(masked.title)
                .bind(masked.body)
                .bind(masked.restricted_title)
                .bind(masked.restricted_body)
                .bind(masked.kinds)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            scanned += rows.len() as u64;
        }
        if scanned > 0 {
            tracing::info!(
                requests = scanned,
                "masked personal data in stored requests"
            );
        }
        Ok(scanned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_without_personal_data_is_stored_as_is() {
        let masked = mask_request(Some("路灯不亮"), "湖滨路的路灯坏了三天。");
        assert_eq!(masked.title.as_deref(), Some("路灯不亮"));
        assert_eq!(masked.body, "湖滨路的路灯坏了三天。");
        assert_eq!(masked.restricted_title, None);
        assert_eq!(masked.restricted_body, None);
        assert_eq!(masked.kinds, "");
    }

    #[test]
    fn personal_data_moves_to_the_restricted_columns() {
        let body = "我的电话13812345678，请尽快处理。";
        let masked = mask_request(Some("路灯不亮"), body);
        assert!(!masked.body.contains("13812345678"), "{}", masked.body);
        assert!(masked.body.contains("138****5678"), "{}", masked.body);
        assert_eq!(masked.restricted_body.as_deref(), Some(body));
        assert_eq!(
            masked.restricted_title, None,
            "the title had nothing to mask"
        );
        assert_eq!(masked.kinds, "mobile");
    }
}
