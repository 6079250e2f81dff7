//! Storing a file of imported requests as one transaction.
//!
//! Either every good row of a file is stored together with its `import_batches` record, or
//! nothing is: a crash, a kill or a database error part-way leaves the store as it was.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use cityai_core::ImportRow;
use cityai_core::time::to_storage;
use serde::Serialize;
use sqlx::any::Any;
use sqlx::{Row, Transaction};

use crate::builder::SqlBuilder;

use crate::masking::{MaskedText, mask_request};
use crate::taxonomy::DepartmentCache;
use crate::{Backend, Result, Store};

/// The origin of an imported file, recorded in `import_batches`.
#[derive(Debug, Clone)]
pub struct ImportFile {
    /// The file name as given, without its directory.
    pub file_name: String,
    pub file_sha256: String,
    /// `csv` or `xlsx`.
    pub format: String,
    /// The character encoding the reader used, such as `UTF-8` or `GB18030`.
    pub encoding: String,
    /// The id space of external ids in this file; the same id in two sources names two
    /// different requests.
    pub source: String,
    /// Data rows in the file, good and bad.
    pub rows_total: usize,
    /// Rows the reader already rejected.
    pub rows_rejected: usize,
}

/// A row whose external id is already stored with different content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowConflict {
    pub row: usize,
    pub external_id: String,
    pub existing_id: i64,
}

/// The counts and conflicts of one import.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportResult {
    pub batch_id: i64,
    pub imported: usize,
    /// Rows already stored with the same content, including repeats within the file.
    pub duplicates: usize,
    /// Rows rejected because their external id is taken by a different request.
    pub conflicts: Vec<RowConflict>,
    /// Categories that the rows used and the taxonomy lacked.
    pub categories_added: usize,
    /// Whether the rows were stored; false when `all_or_nothing` met a conflict.
    pub committed: bool,
}

/// The outcome of inserting one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Inserted {
    New(i64),
    Existing { id: i64, same_content: bool },
}

/// The progress reporting interval, in rows.
const PROGRESS_EVERY: usize = 1000;

/// Rows per multi-row `INSERT`. With 28 parameters a row this stays far below the bind
/// parameter limits of SQLite (32,766) and PostgreSQL (65,535), and it cuts the statements of
/// a 100,000-row file from 100,000 to 500.
pub(crate) const INSERT_CHUNK_ROWS: usize = 200;

/// Dedup keys already stored or seen earlier in this file, with the stored id and content hash.
#[derive(Debug, Default)]
pub(crate) struct StoredKeys(HashMap<String, (i64, String)>);

/// The values that every row of one file shares.
#[derive(Debug)]
pub(crate) struct ChunkContext<'a> {
    pub(crate) source: &'a str,
    /// The import batch, or `None` for a request from a live channel.
    pub(crate) batch_id: Option<i64>,
    pub(crate) now: DateTime<Utc>,
    /// The rows' texts, already masked, one per row of the chunk. Live intake masks before it
    /// waits for the write lock. With `None`, the rows are masked here.
    pub(crate) masked: Option<&'a [MaskedText]>,
    /// The token and routing that live intake stores with each row, one per row of the
    /// chunk, or `None` for imports.
    pub(crate) live: Option<&'a [LiveColumns]>,
}

/// The columns live intake fills when it stores a request: the public token and, when the
/// router decided, where the request goes.
#[derive(Debug, Clone)]
pub(crate) struct LiveColumns {
    pub(crate) token: String,
    pub(crate) route: Option<RoutedColumns>,
}

/// The router's decision as stored with a new request.
#[derive(Debug, Clone)]
pub(crate) struct RoutedColumns {
    pub(crate) category: String,
    pub(crate) department: Option<String>,
    pub(crate) confidence: f64,
    pub(crate) model_version: String,
    pub(crate) status: cityai_core::RequestStatus,
}

impl Store {
    /// Stores the good rows of one file in a single transaction and records the file in
    /// `import_batches`.
    ///
    /// A row whose dedup key is stored already counts as a duplicate when its content is the
    /// same and as a conflict when it differs. Neither changes the stored request. Categories
    /// missing from the taxonomy are added. `progress` is called with the number of rows
    /// handled so far, every thousand rows and at the end. With `all_or_nothing`, a single
    /// conflict rolls the whole file back and the result has `committed == false`.
    ///
    /// # Errors
    ///
    /// [`crate::StoreError::Database`] when any statement fails; nothing is stored then.
    pub async fn import_requests(
        &self,
        file: &ImportFile,
        rows: &[ImportRow],
        all_or_nothing: bool,
        progress: &mut dyn FnMut(usize),
    ) -> Result<ImportResult> {
        let started_at = Utc::now();
        let mut tx = self.begin_write().await?;

        let batch_id: i64 = sqlx::query(
            "INSERT INTO import_batches (file_name, file_sha256, format, encoding, source, \
             rows_total, imported, duplicates, rejected, started_at, finished_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 0, 0, 0, $7, $7) RETURNING id",
        )
        .bind(&file.file_name)
        .bind(&file.file_sha256)
        .bind(&file.format)
        .bind(&file.encoding)
        .bind(&file.source)
        .bind(file.rows_total as i64)
        .bind(to_storage(started_at))
        .fetch_one(&mut *tx)
        .await?
        .try_get("id")?;

        let mut result = ImportResult {
            batch_id,
            ..ImportResult::default()
        };
        let mut cache = DepartmentCache::default();
        let mut stored = StoredKeys::default();
        let mut done = 0;
        for chunk in rows.chunks(INSERT_CHUNK_ROWS) {
            let context = ChunkContext {
                source: &file.source,
                batch_id: Some(batch_id),
                now: started_at,
                masked: None,
                live: None,
            };
            let outcomes = insert_chunk(&mut tx, &mut cache, &mut stored, chunk, &context).await?;
            for (row, outcome) in chunk.iter().zip(outcomes) {
                match outcome {
                    Inserted::New(_) => result.imported += 1,
                    Inserted::Existing {
                        same_content: true, ..
                    } => result.duplicates += 1,
                    Inserted::Existing { id, .. } => result.conflicts.push(RowConflict {
                        row: row.row,
                        external_id: row.request.external_id.clone().unwrap_or_default(),
                        existing_id: id,
                    }),
                }
            }
            let before = done;
            done += chunk.len();
            if done / PROGRESS_EVERY > before / PROGRESS_EVERY {
                tracing::debug!(batch_id, rows_written = done, "import progress");
                progress(done);
            }
        }
        result.categories_added = cache.categories_added;
        if all_or_nothing && !result.conflicts.is_empty() {
            tx.rollback().await?;
            return Ok(result);
        }

        sqlx::query(
            "UPDATE import_batches SET imported = $1, duplicates = $2, rejected = $3, \
             finished_at = $4 WHERE id = $5",
        )
        .bind(result.imported as i64)
        .bind(result.duplicates as i64)
        .bind((file.rows_rejected + result.conflicts.len()) as i64)
        .bind(to_storage(Utc::now()))
        .bind(batch_id)
        .execute(&mut *tx)
        .await?;
        crate::audit::append(
            &mut tx,
            &crate::AuditEvent::new(format!("source:{}", file.source), "import.requests")
                .target(format!("import_batch:{batch_id}"))
                .detail(serde_json::json!({
                    "format": file.format,
                    "imported": result.imported,
                    "duplicates": result.duplicates,
                    "rejected": file.rows_rejected + result.conflicts.len(),
                })),
        )
        .await?;
        crate::changes::announce(&mut tx, self.backend, crate::Change::Requests).await?;
        tx.commit().await?;
        // A large import changes which index suits a filter best.
        if let Err(err) = self.optimize().await {
            tracing::warn!(error = %err, "refreshing planner statistics after an import failed");
        }
        result.committed = true;
        progress(rows.len());
        Ok(result)
    }

    /// Counts the stored replies.
    ///
    /// # Errors
    ///
    /// [`crate::StoreError::Database`] when the query fails.
    pub async fn reply_count(&self) -> Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM replies")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("n")?)
    }

    /// Counts the files recorded in `import_batches`.
    ///
    /// # Errors
    ///
    /// [`crate::StoreError::Database`] when the query fails.
    pub async fn import_batch_count(&self) -> Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM import_batches")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("n")?)
    }
}

/// Adds the stored id and content hash of each of `keys` that the database holds.
async fn lookup_stored_keys(
    tx: &mut Transaction<'_, Any>,
    keys: &[&str],
    stored: &mut StoredKeys,
) -> Result<()> {
    if keys.is_empty() {
        return Ok(());
    }
    let mut select = SqlBuilder::new(
        Backend::of(tx),
        "SELECT id, dedup_key, content_hash FROM requests WHERE dedup_key IN (",
    );
    select
        .push_bind_list(keys.iter().map(|key| key.to_string()))
        .push(")");
    for row in select.build()?.fetch_all(&mut **tx).await? {
        stored.0.insert(
            row.try_get("dedup_key")?,
            (row.try_get("id")?, row.try_get("content_hash")?),
        );
    }
    Ok(())
}

/// Inserts the rows of one chunk whose dedup keys are new, with their replies, and returns
/// the outcome of every row in order.
///
/// Rows whose key was seen earlier in the file, or repeats within the chunk, are resolved
/// against [`StoredKeys`] without touching the database.
pub(crate) async fn insert_chunk(
    tx: &mut Transaction<'_, Any>,
    cache: &mut DepartmentCache,
    stored: &mut StoredKeys,
    chunk: &[ImportRow],
    context: &ChunkContext<'_>,
) -> Result<Vec<Inserted>> {
    let keys: Vec<(String, String)> = chunk
        .iter()
        .map(|row| {
            (
                row.request.dedup_key(context.source),
                row.request.content_hash(),
            )
        })
        .collect();

    // The first row of each key that the file has not seen yet goes to the database.
    let mut pending: Vec<usize> = Vec::new();
    let mut pending_keys: HashMap<&str, usize> = HashMap::new();
    for (index, (key, _)) in keys.iter().enumerate() {
        if !stored.0.contains_key(key) && !pending_keys.contains_key(key.as_str()) {
            pending_keys.insert(key.as_str(), index);
            pending.push(index);
        }
    }

    // Keys stored before this file are looked up first, so that they do not reach the
    // INSERT: a skipped insert still uses up an id of the AUTOINCREMENT or identity sequence.
    let pending_key_texts: Vec<&str> = pending.iter().map(|&i| keys[i].0.as_str()).collect();
    lookup_stored_keys(tx, &pending_key_texts, stored).await?;
    let to_insert: Vec<usize> = pending
        .iter()
        .copied()
        .filter(|&index| !stored.0.contains_key(&keys[index].0))
        .collect();

    let mut departments = Vec::with_capacity(to_insert.len());
    for &index in &to_insert {
        departments.push(match &chunk[index].request.category {
            Some(path) => cache.department_for(tx, path).await?,
            None => None,
        });
    }

    let mut new_ids: HashMap<String, i64> = HashMap::new();
    if !to_insert.is_empty() {
        let now_text = to_storage(context.now);
        let mut insert = SqlBuilder::new(
            Backend::of(tx),
            "INSERT INTO requests (dedup_key, content_hash, source, external_id, channel, title, \
             body, submitted_at, received_at, updated_at, citizen_ref, place_text, latitude, \
             longitude, status, category_path, department_code, support_votes, objection_votes, \
             import_batch_id, category_source, restricted_title, restricted_body, pii_kinds, \
             pii_scanned, public_token, routing_confidence, model_version) ",
        );
        // Personal data is masked here, on the one path by which requests are stored.
        let masked: Vec<MaskedText> = to_insert
            .iter()
            .map(|&index| match context.masked {
                Some(masked) => masked[index].clone(),
                None => {
                    let request = &chunk[index].request;
                    mask_request(request.title.as_deref(), &request.body)
                }
            })
            .collect();
        insert.push_values(
            to_insert.iter().zip(departments).zip(masked),
            |mut values, ((&index, department), masked)| {
                let request = &chunk[index].request;
                let (key, hash) = &keys[index];
                let live = context.live.map(|live| &live[index]);
                let route = live.and_then(|live| live.route.as_ref());
                // A request that arrives with its category is assigned even when the
                // taxonomy names no department: the source already decided.
                let (status, category, department, category_source) = match route {
                    Some(route) => (
                        route.status,
                        Some(route.category.clone()),
                        route.department.clone(),
                        Some("router"),
                    ),
                    None => (
                        request.initial_status(),
                        request.category.as_ref().map(ToString::to_string),
                        department,
                        request.category.as_ref().map(|_| "label"),
                    ),
                };
                values
                    .push_bind(key.clone())
                    .push_bind(hash.clone())
                    .push_bind(context.source.to_owned())
                    .push_bind(
                        request
                            .external_id
                            .as_deref()
                            .map(|id| id.trim().to_owned()),
                    )
                    .push_bind(request.channel.as_str())
                    .push_bind(masked.title)
                    .push_bind(masked.body)
                    .push_bind(request.submitted_at.map(to_storage))
                    .push_bind(now_text.clone())
                    .push_bind(now_text.clone())
                    .push_bind(request.citizen_ref.clone())
                    .push_bind(request.place_text.clone())
                    .push_bind(request.latitude)
                    .push_bind(request.longitude)
                    .push_bind(status.as_str())
                    .push_bind(category)
                    .push_bind(department)
                    .push_bind(request.support_votes)
                    .push_bind(request.objection_votes)
                    .push_bind(context.batch_id)
                    .push_bind(category_source)
                    .push_bind(masked.restricted_title)
                    .push_bind(masked.restricted_body)
                    .push_bind(masked.kinds)
                    .push_bind(1i64)
                    .push_bind(live.map(|live| live.token.clone()))
                    .push_bind(route.map(|route| route.confidence))
                    .push_bind(route.map(|route| route.model_version.clone()));
            },
        );
        // ON CONFLICT still guards against a writer that stored the same key meanwhile.
        insert.push(" ON CONFLICT (dedup_key) DO NOTHING RETURNING id, dedup_key");
        for row in insert.build()?.fetch_all(&mut **tx).await? {
            new_ids.insert(row.try_get("dedup_key")?, row.try_get("id")?);
        }
    }

    // A key the insert skipped although the lookup above missed it was stored by another
    // writer in the meantime.
    let raced: Vec<&str> = to_insert
        .iter()
        .map(|&index| keys[index].0.as_str())
        .filter(|key| !new_ids.contains_key(*key))
        .collect();
    lookup_stored_keys(tx, &raced, stored).await?;

    let mut outcomes = Vec::with_capacity(chunk.len());
    let mut replies: Vec<(i64, &cityai_core::ImportedReply)> = Vec::new();
    for (index, (key, hash)) in keys.iter().enumerate() {
        let first_of_key = pending_keys.get(key.as_str()) == Some(&index);
        match new_ids.get(key) {
            Some(&id) if first_of_key => {
                if let Some(reply) = &chunk[index].request.reply {
                    replies.push((id, reply));
                }
                outcomes.push(Inserted::New(id));
            }
            _ => {
                let (id, stored_hash) = match new_ids.get(key) {
                    Some(&id) => (id, keys[pending_keys[key.as_str()]].1.as_str()),
                    None => {
                        // Every pending key was either inserted or selected above.
                        let (id, stored_hash) =
                            stored.0.get(key).ok_or(sqlx::Error::RowNotFound)?;
                        (*id, stored_hash.as_str())
                    }
                };
                outcomes.push(Inserted::Existing {
                    id,
                    same_content: stored_hash == hash,
                });
            }
        }
    }
    for (index, key) in pending.iter().map(|&index| (index, &keys[index].0)) {
        if let Some(&id) = new_ids.get(key) {
            stored.0.insert(key.clone(), (id, keys[index].1.clone()));
        }
    }

    if !replies.is_empty() {
        let created_at = to_storage(context.now);
        let mut insert = SqlBuilder::new(
            Backend::of(tx),
            "INSERT INTO replies (request_id, body, replied_at, origin, created_at) ",
        );
        insert.push_values(replies, |mut values, (id, reply)| {
            values
                .push_bind(id)
                .push_bind(reply.body.clone())
                .push_bind(reply.replied_at.map(to_storage))
                .push_bind("import")
                .push_bind(created_at.clone());
        });
        insert.build()?.execute(&mut **tx).await?;
    }
    Ok(outcomes)
}
