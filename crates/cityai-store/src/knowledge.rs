//! Knowledge sources and their chunks, the source of truth the search index is built from.

use chrono::Utc;
use cityai_core::time::to_storage;
use serde::Serialize;
use serde_json::json;
use sqlx::Row;

use crate::audit::{self, AuditEvent};
use crate::{Result, Store};

/// One chunk of a source, as the chunker cut it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewChunk {
    pub position: i64,
    /// The headings above the chunk, joined with ` > `.
    pub heading: Option<String>,
    pub text: String,
    /// Character offsets of the chunk in the source text.
    pub start_char: i64,
    pub end_char: i64,
}

/// A knowledge source to add or update, with its chunks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewKnowledgeSource {
    /// The file or system the source came from; external ids are unique within it.
    pub collection: String,
    pub external_id: String,
    /// `faq`, `policy`, `reply` or `document`.
    pub kind: String,
    pub title: Option<String>,
    pub department: Option<String>,
    /// Validity status as published, such as 现行有效 or 已废止.
    pub status: Option<String>,
    /// Dates as `YYYY-MM-DD`.
    pub valid_from: Option<String>,
    pub valid_until: Option<String>,
    /// `general`, `important` or `core`.
    pub classification: String,
    /// SHA-256 over the text and metadata; an unchanged hash leaves the stored source alone.
    pub content_hash: String,
    pub chunks: Vec<NewChunk>,
}

/// Counts of one knowledge import.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct KnowledgeImportResult {
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub chunks_written: usize,
}

/// A stored chunk with the metadata of its source, for building the search index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredChunk {
    pub chunk_id: i64,
    pub source_id: i64,
    pub collection: String,
    pub external_id: String,
    pub kind: String,
    pub title: Option<String>,
    pub department: Option<String>,
    pub status: Option<String>,
    pub valid_from: Option<String>,
    pub valid_until: Option<String>,
    pub classification: String,
    pub position: i64,
    pub heading: Option<String>,
    pub text: String,
    /// Character offsets of the chunk in the source text.
    pub start_char: i64,
    pub end_char: i64,
}

impl Store {
    /// Adds new sources and replaces the chunks of changed ones, in one transaction; a
    /// source whose content hash is unchanged is left alone. Past replies are masked before
    /// they are stored, because they address citizens by name.
    ///
    /// # Errors
    ///
    /// [`crate::StoreError::Database`] when a statement fails; nothing is stored then.
    pub async fn upsert_knowledge_sources(
        &self,
        sources: &[NewKnowledgeSource],
        actor: &str,
    ) -> Result<KnowledgeImportResult> {
        let mut result = KnowledgeImportResult::default();
        let mut tx = self.begin_write().await?;
        let now = to_storage(Utc::now());
        for source in sources {
            let existing = sqlx::query(
                "SELECT id, content_hash FROM knowledge_sources \
                 WHERE collection = $1 AND external_id = $2",
            )
            .bind(&source.collection)
            .bind(&source.external_id)
            .fetch_optional(&mut *tx)
            .await?;
            let source_id = match existing {
                Some(row) => {
                    let hash: String = row.try_get("content_hash")?;
                    let id: i64 = row.try_get("id")?;
                    if hash == source.content_hash {
                        result.unchanged += 1;
                        continue;
                    }
                    sqlx::query(
                        "UPDATE knowledge_sources SET kind = $1, title = $2, department = $3, \
                         status = $4, valid_from = $5, valid_until = $6, classification = $7, \
                         content_hash = $8, updated_at = $9 WHERE id = $10",
                    )
                    .bind(&source.kind)
                    .bind(source.title.as_deref())
                    .bind(source.department.as_deref())
                    .bind(source.status.as_deref())
                    .bind(source.valid_from.as_deref())
                    .bind(source.valid_until.as_deref())
                    .bind(&source.classification)
                    .bind(&source.content_hash)
                    .bind(&now)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query("DELETE FROM knowledge_chunks WHERE source_id = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    result.updated += 1;
                    id
                }
                None => {
                    let id: i64 = sqlx::query(
                        "INSERT INTO knowledge_sources (collection, external_id, kind, title, \
                         department, status, valid_from, valid_until, classification, \
                         content_hash, imported_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id",
                    )
                    .bind(&source.collection)
                    .bind(&source.external_id)
                    .bind(&source.kind)
                    .bind(source.title.as_deref())
                    .bind(source.department.as_deref())
                    .bind(source.status.as_deref())
                    .bind(source.valid_from.as_deref())
                    .bind(source.valid_until.as_deref())
                    .bind(&source.classification)
                    .bind(&source.content_hash)
                    .bind(&now)
                    .fetch_one(&mut *tx)
                    .await?
                    .try_get("id")?;
                    result.added += 1;
                    id
                }
            };
            for chunk in &source.chunks {
                let text = if source.kind == "reply" {
                    cityai_text::pii::mask_text(&chunk.text)
                } else {
                    chunk.text.clone()
                };
                sqlx::query(
                    "INSERT INTO knowledge_chunks (source_id, position, heading, text, \
                     start_char, end_char) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(source_id)
                .bind(chunk.position)
                .bind(chunk.heading.as_deref())
                .bind(text)
                .bind(chunk.start_char)
                .bind(chunk.end_char)
                .execute(&mut *tx)
                .await?;
                result.chunks_written += 1;
            }
        }
        if result.added + result.updated > 0 {
            audit::append(
                &mut tx,
                &AuditEvent::new(actor, "knowledge.import").detail(json!({
                    "added": result.added,
                    "updated": result.updated,
                    "unchanged": result.unchanged,
                    "chunks": result.chunks_written,
                })),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(result)
    }

    /// Returns every stored chunk with its source's metadata, in source and position order.
    ///
    /// # Errors
    ///
    /// [`crate::StoreError::Database`] when the query fails.
    pub async fn knowledge_chunks(&self) -> Result<Vec<StoredChunk>> {
        let rows = sqlx::query(
            "SELECT c.id AS chunk_id, s.id AS source_id, s.collection, s.external_id, s.kind, \
             s.title, s.department, s.status, s.valid_from, s.valid_until, s.classification, \
             c.position, c.heading, c.text, c.start_char, c.end_char \
             FROM knowledge_chunks c JOIN knowledge_sources s ON s.id = c.source_id \
             ORDER BY s.id, c.position",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(StoredChunk {
                    chunk_id: row.try_get("chunk_id")?,
                    source_id: row.try_get("source_id")?,
                    collection: row.try_get("collection")?,
                    external_id: row.try_get("external_id")?,
                    kind: row.try_get("kind")?,
                    title: row.try_get("title")?,
                    department: row.try_get("department")?,
                    status: row.try_get("status")?,
                    valid_from: row.try_get("valid_from")?,
                    valid_until: row.try_get("valid_until")?,
                    classification: row.try_get("classification")?,
                    position: row.try_get("position")?,
                    heading: row.try_get("heading")?,
                    text: row.try_get("text")?,
                    start_char: row.try_get("start_char")?,
                    end_char: row.try_get("end_char")?,
                })
            })
            .collect()
    }

    /// Counts knowledge sources and chunks.
    ///
    /// # Errors
    ///
    /// [`crate::StoreError::Database`] when the query fails.
    pub async fn knowledge_counts(&self) -> Result<(i64, i64)> {
        let row = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM knowledge_sources) AS sources, \
             (SELECT COUNT(*) FROM knowledge_chunks) AS chunks",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok((row.try_get("sources")?, row.try_get("chunks")?))
    }
}
