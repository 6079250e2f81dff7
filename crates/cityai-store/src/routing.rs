//! Labelled history for training the router, and stored routing models.

use cityai_core::CategoryPath;
use serde::Serialize;
use sqlx::Row;

use crate::{Result, Store, StoreError};

/// A request with a final category, as training data.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelledRequest {
    pub id: i64,
    pub title: Option<String>,
    pub body: String,
    pub category: CategoryPath,
}

/// A stored routing model without its weights.
#[derive(Debug, Clone, Serialize)]
pub struct StoredModelInfo {
    pub version: String,
    pub trained_at: String,
    pub rows_trained: i64,
    pub data_sha256: String,
    pub active: bool,
}

impl Store {
    /// Returns every request with a category, in id order.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`] when the query fails, and
    /// [`StoreError::InvalidStoredValue`] for a malformed stored category.
    pub async fn labelled_requests(&self) -> Result<Vec<LabelledRequest>> {
        let rows = sqlx::query(
            "SELECT id, title, body, category_path FROM requests \
             WHERE category_path IS NOT NULL ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let path: String = row.try_get("category_path")?;
                Ok(LabelledRequest {
                    id: row.try_get("id")?,
                    title: row.try_get("title")?,
                    body: row.try_get("body")?,
                    category: CategoryPath::parse(&path).map_err(|_| {
                        StoreError::InvalidStoredValue {
                            column: "requests.category_path",
                            value: path.clone(),
                        }
                    })?,
                })
            })
            .collect()
    }

    /// Stores a routing model and makes it the active one, in one transaction.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`] when a statement fails, including a version already stored.
    pub async fn save_routing_model(
        &self,
        info: &StoredModelInfo,
        report_json: &str,
        model: &[u8],
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE routing_models SET active = 0 WHERE active = 1")
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO routing_models (version, trained_at, rows_trained, data_sha256, report, \
             model, active) VALUES ($1, $2, $3, $4, $5, $6, 1)",
        )
        .bind(&info.version)
        .bind(&info.trained_at)
        .bind(info.rows_trained)
        .bind(&info.data_sha256)
        .bind(report_json)
        .bind(model.to_vec())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Returns the active routing model's version and file, or `None` before any training.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`] when the query fails.
    pub async fn active_routing_model(&self) -> Result<Option<(String, Vec<u8>)>> {
        let row = sqlx::query("SELECT version, model FROM routing_models WHERE active = 1")
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| Ok((row.try_get("version")?, row.try_get("model")?)))
            .transpose()
    }

    /// Lists stored routing models, newest first.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`] when the query fails.
    pub async fn routing_models(&self) -> Result<Vec<StoredModelInfo>> {
        let rows = sqlx::query(
            "SELECT version, trained_at, rows_trained, data_sha256, active FROM routing_models \
             ORDER BY trained_at DESC",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(StoredModelInfo {
                    version: row.try_get("version")?,
                    trained_at: row.try_get("trained_at")?,
                    rows_trained: row.try_get("rows_trained")?,
                    data_sha256: row.try_get("data_sha256")?,
                    active: row.try_get::<i64, _>("active")? == 1,
                })
            })
            .collect()
    }
}
