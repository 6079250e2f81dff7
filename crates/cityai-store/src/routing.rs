//! Labelled history for training the router, and stored routing models.

use chrono::Utc;
use cityai_core::time::to_storage;
use cityai_core::{CategoryPath, ImportRow, NewRequest, Request, RequestStatus};
use serde::Serialize;
use serde_json::json;
use sqlx::Row;

use crate::audit::{self, AuditEvent};
use crate::builder::SqlBuilder;
use crate::import::{
    ChunkContext, INSERT_CHUNK_ROWS, Inserted, LiveColumns, RoutedColumns, StoredKeys, insert_chunk,
};
use crate::masking::MaskedText;
use crate::taxonomy::DepartmentCache;
use crate::{Backend, Result, Store, StoreError};

/// A request waiting to be routed.
#[derive(Debug, Clone, PartialEq)]
pub struct UnroutedRequest {
    pub id: i64,
    pub title: Option<String>,
    pub body: String,
}

/// The router's decision for one request.
#[derive(Debug, Clone, PartialEq)]
pub struct RoutingDecision {
    pub request_id: i64,
    pub model_version: String,
    pub category: CategoryPath,
    pub confidence: f64,
    /// Whether the confidence reached the auto-assignment threshold.
    pub auto_assign: bool,
    /// The top categories and the evidence, as JSON, kept for audit.
    pub details_json: String,
}

/// How many routed requests were assigned and how many went to triage.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RoutingOutcome {
    pub assigned: usize,
    pub triage: usize,
}

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
    /// Returns every request whose category is final, in id order: categories that came with
    /// the data or that staff confirmed or corrected, never unchecked router suggestions.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`] when the query fails, and
    /// [`StoreError::InvalidStoredValue`] for a malformed stored category.
    pub async fn labelled_requests(&self) -> Result<Vec<LabelledRequest>> {
        let rows = sqlx::query(
            "SELECT id, title, body, category_path FROM requests \
             WHERE category_path IS NOT NULL AND category_source IN ('label', 'staff') \
             ORDER BY id",
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

    /// Returns up to `limit` received requests that have no category yet, oldest first.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`] when the query fails.
    pub async fn unrouted_requests(&self, limit: i64) -> Result<Vec<UnroutedRequest>> {
        let rows = sqlx::query(
            "SELECT id, title, body FROM requests \
             WHERE category_path IS NULL AND status = 'received' ORDER BY id LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(UnroutedRequest {
                    id: row.try_get("id")?,
                    title: row.try_get("title")?,
                    body: row.try_get("body")?,
                })
            })
            .collect()
    }

    /// Applies the router's decisions in one transaction and records each one.
    ///
    /// A request whose confidence reached the threshold and whose category has a department
    /// becomes assigned; every other goes to triage. A request whose category is already final
    /// (it came with the data or staff set it) keeps it, and only the decision is recorded.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`] when a statement fails; nothing is changed then.
    pub async fn record_routing(&self, decisions: &[RoutingDecision]) -> Result<RoutingOutcome> {
        let mut tx = self.begin_write().await?;
        let mut cache = DepartmentCache::default();
        let mut outcome = RoutingOutcome::default();
        let now = to_storage(Utc::now());
        for decision in decisions {
            match apply_decision(&mut tx, &mut cache, decision, &now).await? {
                Some(RequestStatus::Assigned) => outcome.assigned += 1,
                Some(_) => outcome.triage += 1,
                None => {}
            }
        }
        tx.commit().await?;
        Ok(outcome)
    }

    /// Stores one request from a live channel with its public token, routes it and returns
    /// where it went, all in one transaction.
    ///
    /// `route` gets the request's title and text with personal data masked, as they will be
    /// stored, and returns the router's decision or `None` (no model yet). It runs before the
    /// transaction, so the write lock is not held while the model computes; the decision's
    /// request id is set once the request has one. When a request with the same dedup key
    /// exists, nothing is written and that request is returned with `existing` set.
    ///
    /// Requests that arrive while another group is being written wait together and are then
    /// written in one transaction (group commit), so the cost of a transaction and of the
    /// turn at the write lock is shared. A request is never half stored: when the group's
    /// transaction fails, each request of the group is written again in its own.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`] when a statement fails; nothing is stored then.
    pub async fn insert_live_request<F>(
        &self,
        request: &NewRequest,
        token: &str,
        route: F,
    ) -> Result<LiveIntake>
    where
        F: FnOnce(Option<&str>, &str) -> Option<RoutingDecision>,
    {
        let mut request = request.clone();
        request.submitted_at.get_or_insert_with(Utc::now);
        let masked = crate::masking::mask_request(request.title.as_deref(), &request.body);
        let decision = if request.category.is_none() {
            route(masked.title.as_deref(), &masked.body)
        } else {
            None
        };
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.live_queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(PendingLive {
                item: LiveItem {
                    request,
                    masked,
                    token: token.to_owned(),
                    decision,
                },
                reply,
            });
        let turn = self.write_turn().await;
        let waiting = !self
            .live_queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .is_empty();
        if waiting {
            // A task of its own writes the group. It completes even when this caller is
            // cancelled, so every waiter receives its outcome.
            let store = self.clone();
            tokio::spawn(async move {
                let _turn = turn;
                // Under load, requests that arrive in the next moment join this group, so
                // that one transaction writes several instead of one each.
                if store.live_gather.busy() {
                    tokio::time::sleep(GATHER_WAIT).await;
                }
                let group = std::mem::take(
                    &mut *store
                        .live_queue
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner),
                );
                store.commit_live_group(group).await;
                store.live_gather.written();
            });
        } else {
            // An earlier writer took this request into its group and has sent its outcome.
            drop(turn);
        }
        answer.await.unwrap_or(Err(StoreError::IntakeInterrupted))
    }

    /// Writes a group of live requests in one transaction and sends each waiter its outcome.
    /// When that transaction fails, writes each request in its own transaction, so that one
    /// bad request does not fail the others.
    async fn commit_live_group(&self, group: Vec<PendingLive>) {
        let items: Vec<&LiveItem> = group.iter().map(|pending| &pending.item).collect();
        match self.write_live_items(&items).await {
            Ok(outcomes) => {
                for (pending, outcome) in group.into_iter().zip(outcomes) {
                    let _ = pending.reply.send(Ok(outcome));
                }
            }
            Err(error) if group.len() == 1 => {
                if let Some(pending) = group.into_iter().next() {
                    let _ = pending.reply.send(Err(error));
                }
            }
            Err(error) => {
                tracing::warn!(
                    requests = group.len(),
                    %error,
                    "group commit of live requests failed; writing them one by one"
                );
                for pending in group {
                    let outcome =
                        self.write_live_items(&[&pending.item])
                            .await
                            .and_then(|outcomes| {
                                outcomes
                                    .into_iter()
                                    .next()
                                    .ok_or_else(|| sqlx::Error::RowNotFound.into())
                            });
                    let _ = pending.reply.send(outcome);
                }
            }
        }
    }

    /// Stores, tokens and routes `items` in one transaction; returns one outcome per item.
    ///
    /// The statements are shared by the whole group: one lookup of the categories'
    /// departments, one insert per channel and [`INSERT_CHUNK_ROWS`] requests with their
    /// tokens and routing, one insert of the decisions and one append of the audit events.
    async fn write_live_items(&self, items: &[&LiveItem]) -> Result<Vec<LiveIntake>> {
        let now = Utc::now();
        let now_text = to_storage(now);
        let mut tx = self.begin_write().await?;
        let mut cache = DepartmentCache::default();
        let categories: Vec<&CategoryPath> = items
            .iter()
            .filter_map(|item| item.decision.as_ref().map(|d| &d.category))
            .collect();
        cache.preload(&mut tx, &categories).await?;
        let mut live = Vec::with_capacity(items.len());
        for item in items {
            let route = match &item.decision {
                Some(decision) => {
                    let department = cache.department_for(&mut tx, &decision.category).await?;
                    let status = if decision.auto_assign && department.is_some() {
                        RequestStatus::Assigned
                    } else {
                        RequestStatus::Triage
                    };
                    Some(RoutedColumns {
                        category: decision.category.to_string(),
                        department,
                        confidence: decision.confidence,
                        model_version: decision.model_version.clone(),
                        status,
                    })
                }
                None => None,
            };
            live.push(LiveColumns {
                token: item.token.clone(),
                route,
            });
        }

        let mut stored = StoredKeys::default();
        let mut outcomes: Vec<Option<LiveIntake>> = vec![None; items.len()];
        let mut decisions: Vec<(RoutingDecision, RequestStatus)> = Vec::new();
        // The dedup key depends on the channel, so each channel's requests form one chunk.
        let mut channels: Vec<&str> = items.iter().map(|i| i.request.channel.as_str()).collect();
        channels.sort_unstable();
        channels.dedup();
        for channel in channels {
            let of_channel: Vec<usize> = (0..items.len())
                .filter(|&i| items[i].request.channel.as_str() == channel)
                .collect();
            for indexes in of_channel.chunks(INSERT_CHUNK_ROWS) {
                let rows: Vec<ImportRow> = indexes
                    .iter()
                    .zip(1..)
                    .map(|(&i, row)| ImportRow {
                        row,
                        request: items[i].request.clone(),
                    })
                    .collect();
                let masked: Vec<MaskedText> =
                    indexes.iter().map(|&i| items[i].masked.clone()).collect();
                let chunk_live: Vec<LiveColumns> =
                    indexes.iter().map(|&i| live[i].clone()).collect();
                let context = ChunkContext {
                    source: channel,
                    batch_id: None,
                    now,
                    masked: Some(&masked),
                    live: Some(&chunk_live),
                };
                let inserted =
                    insert_chunk(&mut tx, &mut cache, &mut stored, &rows, &context).await?;
                if inserted.len() != indexes.len() {
                    return Err(sqlx::Error::RowNotFound.into());
                }
                for (&i, inserted) in indexes.iter().zip(inserted) {
                    let outcome = match inserted {
                        Inserted::Existing { id, .. } => LiveIntake {
                            id,
                            existing: true,
                            decision: None,
                            placed: None,
                        },
                        Inserted::New(id) => {
                            let route = live[i].route.as_ref();
                            let decision =
                                items[i].decision.clone().map(|decision| RoutingDecision {
                                    request_id: id,
                                    ..decision
                                });
                            if let (Some(decision), Some(route)) = (&decision, route) {
                                decisions.push((decision.clone(), route.status));
                            }
                            let request = &items[i].request;
                            let placed = match route {
                                Some(route) => Placement {
                                    status: route.status,
                                    category: decision.as_ref().map(|d| d.category.clone()),
                                    department: route.department.clone(),
                                },
                                None => Placement {
                                    status: request.initial_status(),
                                    category: request.category.clone(),
                                    department: match &request.category {
                                        Some(path) => cache.department_for(&mut tx, path).await?,
                                        None => None,
                                    },
                                },
                            };
                            LiveIntake {
                                id,
                                existing: false,
                                decision,
                                placed: Some(placed),
                            }
                        }
                    };
                    outcomes[i] = Some(outcome);
                }
            }
        }
        record_live_decisions(&mut tx, &decisions, &now_text).await?;
        crate::changes::announce(&mut tx, self.backend, crate::Change::Requests).await?;
        tx.commit().await?;
        outcomes
            .into_iter()
            .map(|outcome| outcome.ok_or_else(|| sqlx::Error::RowNotFound.into()))
            .collect()
    }

    /// Returns the request handed out with `token`, or `None`.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`] when the query fails.
    pub async fn request_by_token(&self, token: &str) -> Result<Option<Request>> {
        let id: Option<i64> = sqlx::query_scalar("SELECT id FROM requests WHERE public_token = $1")
            .bind(token)
            .fetch_optional(&self.pool)
            .await?;
        match id {
            Some(id) => self.request(id).await,
            None => Ok(None),
        }
    }

    /// Returns the public token of request `id`, or `None` for a request that has none.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`] when the query fails.
    pub async fn public_token(&self, id: i64) -> Result<Option<String>> {
        let token: Option<Option<String>> =
            sqlx::query_scalar("SELECT public_token FROM requests WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(token.flatten())
    }

    /// Records that `actor` confirmed the request's current category, which makes it final and
    /// part of the next training. Returns the updated request.
    ///
    /// # Errors
    ///
    /// [`StoreError::RequestNotFound`], [`StoreError::NothingToConfirm`] for a request without
    /// a category, and [`StoreError::Database`].
    pub async fn confirm_routing(&self, id: i64, actor: &str) -> Result<Request> {
        let request = self
            .request(id)
            .await?
            .ok_or(StoreError::RequestNotFound(id))?;
        let category = request
            .category
            .clone()
            .ok_or(StoreError::NothingToConfirm(id))?;
        self.set_final_category(&request, &category, "confirm", actor)
            .await
    }

    /// Records that `actor` corrected the request's category to `category`, which makes it
    /// final and part of the next training. Returns the updated request.
    ///
    /// # Errors
    ///
    /// [`StoreError::RequestNotFound`], [`StoreError::UnknownCategory`] for a category that
    /// is not in the taxonomy, and [`StoreError::Database`].
    pub async fn correct_routing(
        &self,
        id: i64,
        category: &CategoryPath,
        actor: &str,
    ) -> Result<Request> {
        let request = self
            .request(id)
            .await?
            .ok_or(StoreError::RequestNotFound(id))?;
        let known = sqlx::query("SELECT 1 FROM categories WHERE path = $1")
            .bind(category.to_string())
            .fetch_optional(&self.pool)
            .await?
            .is_some();
        if !known {
            return Err(StoreError::UnknownCategory(category.to_string()));
        }
        self.set_final_category(&request, category, "correct", actor)
            .await
    }

    async fn set_final_category(
        &self,
        request: &Request,
        category: &CategoryPath,
        action: &str,
        actor: &str,
    ) -> Result<Request> {
        let mut tx = self.begin_write().await?;
        let mut cache = DepartmentCache::default();
        let department = cache.department_for(&mut tx, category).await?;
        // A person decided, so the request leaves the triage queue.
        let status = match request.status {
            RequestStatus::Received | RequestStatus::Triage => RequestStatus::Assigned,
            other => other,
        };
        let now = to_storage(Utc::now());
        sqlx::query(
            "UPDATE requests SET category_path = $1, department_code = $2, \
             category_source = 'staff', status = $3, updated_at = $4, \
             routing_confidence = NULL WHERE id = $5",
        )
        .bind(category.to_string())
        .bind(department)
        .bind(status.as_str())
        .bind(&now)
        .bind(request.id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO routing_feedback (request_id, action, previous_category, category_path, \
             model_version, actor, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(request.id)
        .bind(action)
        .bind(request.category.as_ref().map(ToString::to_string))
        .bind(category.to_string())
        .bind(request.model_version.as_deref())
        .bind(actor)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        audit::append(
            &mut tx,
            &AuditEvent::new(actor, format!("routing.{action}"))
                .target(format!("request:{}", request.id))
                .detail(json!({
                    "previous_category": request.category.as_ref().map(ToString::to_string),
                    "category": category.to_string(),
                })),
        )
        .await?;
        tx.commit().await?;
        self.request(request.id)
            .await?
            .ok_or(StoreError::RequestNotFound(request.id))
    }

    /// Counts staff feedback: confirmations and corrections.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`] when the query fails.
    pub async fn routing_feedback_counts(&self) -> Result<(i64, i64)> {
        let row = sqlx::query(
            "SELECT COALESCE(SUM(CASE WHEN action = 'confirm' THEN 1 ELSE 0 END), 0) AS confirmed, \
             COALESCE(SUM(CASE WHEN action = 'correct' THEN 1 ELSE 0 END), 0) AS corrected \
             FROM routing_feedback",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok((row.try_get("confirmed")?, row.try_get("corrected")?))
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
        let mut tx = self.begin_write().await?;
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
        audit::append(
            &mut tx,
            &AuditEvent::new("system", "routing.model_activate")
                .target(format!("routing_model:{}", info.version))
                .detail(
                    json!({"rows_trained": info.rows_trained, "data_sha256": info.data_sha256}),
                ),
        )
        .await?;
        crate::changes::announce(&mut tx, self.backend, crate::Change::RoutingModel).await?;
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

    /// Returns the active routing model's version, or `None` before any training.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`] when the query fails.
    pub async fn active_routing_version(&self) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT version FROM routing_models WHERE active = 1")
                .fetch_optional(&self.pool)
                .await?,
        )
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

/// How long a group of live requests waits for more to join when intake is busy.
const GATHER_WAIT: std::time::Duration = std::time::Duration::from_millis(1);

/// Intake counts as busy while the last group was written less than this long ago.
const BUSY_WITHIN: std::time::Duration = std::time::Duration::from_millis(20);

/// When the last group of live requests was written, to tell whether intake is busy.
#[derive(Debug, Default)]
pub(crate) struct LiveGather {
    last_written: std::sync::Mutex<Option<std::time::Instant>>,
}

impl LiveGather {
    fn busy(&self) -> bool {
        self.last_written
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .is_some_and(|at| at.elapsed() < BUSY_WITHIN)
    }

    fn written(&self) {
        *self
            .last_written
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(std::time::Instant::now());
    }
}

/// A live request ready to store: its text masked and its routing decided.
#[derive(Debug)]
struct LiveItem {
    request: NewRequest,
    masked: MaskedText,
    token: String,
    decision: Option<RoutingDecision>,
}

/// A live request waiting for its group's transaction, with the channel for its outcome.
#[derive(Debug)]
pub(crate) struct PendingLive {
    item: LiveItem,
    reply: tokio::sync::oneshot::Sender<Result<LiveIntake>>,
}

/// The outcome of [`Store::insert_live_request`].
#[derive(Debug, Clone)]
pub struct LiveIntake {
    pub id: i64,
    /// The request was already stored (same dedup key); nothing was written.
    pub existing: bool,
    /// The router's decision, when it routed the request.
    pub decision: Option<RoutingDecision>,
    /// The status, category and department the new request was stored with, or `None`
    /// when it was already stored.
    pub placed: Option<Placement>,
}

/// The status, category and department a live request was stored with.
#[derive(Debug, Clone, PartialEq)]
pub struct Placement {
    pub status: RequestStatus,
    pub category: Option<CategoryPath>,
    pub department: Option<String>,
}

/// Records the router's decisions about new live requests, and one audit event for each,
/// with one insert each.
async fn record_live_decisions(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    decisions: &[(RoutingDecision, RequestStatus)],
    now: &str,
) -> Result<()> {
    for chunk in decisions.chunks(INSERT_CHUNK_ROWS) {
        let mut insert = SqlBuilder::new(
            Backend::of(tx),
            "INSERT INTO routing_decisions (request_id, model_version, category_path, \
             confidence, auto_assigned, details, created_at) ",
        );
        insert.push_values(chunk, |mut values, (decision, _)| {
            values
                .push_bind(decision.request_id)
                .push_bind(decision.model_version.clone())
                .push_bind(decision.category.to_string())
                .push_bind(decision.confidence)
                .push_bind(i64::from(decision.auto_assign))
                .push_bind(decision.details_json.clone())
                .push_bind(now.to_owned());
        });
        insert.build()?.execute(&mut **tx).await?;
    }
    let events: Vec<AuditEvent> = decisions
        .iter()
        .map(|(decision, status)| routed_event(decision, *status))
        .collect();
    if !events.is_empty() {
        audit::append_many(tx, &events).await?;
    }
    Ok(())
}

/// Builds the audit event of one routing decision applied to a request.
fn routed_event(decision: &RoutingDecision, status: RequestStatus) -> AuditEvent {
    AuditEvent::new("system", "routing.route")
        .target(format!("request:{}", decision.request_id))
        .detail(json!({
            "model_version": decision.model_version,
            "category": decision.category.to_string(),
            "confidence": decision.confidence,
            "status": status.as_str(),
        }))
}

/// Applies one router decision inside `tx` and records it. Returns the status the request
/// got, or `None` when its category was already final and only the decision was recorded.
async fn apply_decision(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    cache: &mut DepartmentCache,
    decision: &RoutingDecision,
    now: &str,
) -> Result<Option<RequestStatus>> {
    let department = cache.department_for(tx, &decision.category).await?;
    let status = if decision.auto_assign && department.is_some() {
        RequestStatus::Assigned
    } else {
        RequestStatus::Triage
    };
    let updated = sqlx::query(
        "UPDATE requests SET category_path = $1, department_code = $2, \
         routing_confidence = $3, model_version = $4, category_source = 'router', \
         status = $5, updated_at = $6 \
         WHERE id = $7 AND (category_source IS NULL OR category_source = 'router')",
    )
    .bind(decision.category.to_string())
    .bind(department)
    .bind(decision.confidence)
    .bind(&decision.model_version)
    .bind(status.as_str())
    .bind(now)
    .bind(decision.request_id)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if updated > 0 {
        audit::append(tx, &routed_event(decision, status)).await?;
    }
    sqlx::query(
        "INSERT INTO routing_decisions (request_id, model_version, category_path, \
         confidence, auto_assigned, details, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(decision.request_id)
    .bind(&decision.model_version)
    .bind(decision.category.to_string())
    .bind(decision.confidence)
    .bind(i64::from(decision.auto_assign && updated > 0))
    .bind(&decision.details_json)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok((updated > 0).then_some(status))
}
