//! Routing on intake: requests without a category get the active model's decision.

use chrono::Utc;
use cityai_core::CategoryPath;
use cityai_routing::{HierarchicalRouter, LabelledPath, TrainParams, TrainReport};
use cityai_store::{RoutingDecision, RoutingOutcome, Store, StoredModelInfo};
use serde::Serialize;

use crate::ServiceError;

/// How many requests one routing pass reads from the store at a time.
const ROUTING_BATCH: i64 = 500;

/// The counts of one routing pass.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RoutingSummary {
    pub routed: usize,
    #[serde(flatten)]
    pub outcome: RoutingOutcome,
}

/// Loads the active router, or `None` before the first training.
///
/// # Errors
///
/// [`ServiceError::Store`] when the store fails, and [`ServiceError::Routing`] when the stored
/// model cannot be read.
pub async fn active_model(store: &Store) -> Result<Option<HierarchicalRouter>, ServiceError> {
    let Some((version, bytes)) = store.active_routing_model().await? else {
        return Ok(None);
    };
    let router = HierarchicalRouter::from_bytes(&bytes)?;
    tracing::debug!(%version, levels = router.depth(), "loaded routing model");
    Ok(Some(router))
}

/// Trains a router on every request whose category is final, stores it and makes it the
/// active one. Returns the router and one training report per category level.
///
/// Training runs on a blocking thread; it takes seconds for thousands of requests.
///
/// # Errors
///
/// [`ServiceError::Routing`] when there is too little labelled data, and
/// [`ServiceError::Store`] when reading or saving fails.
pub async fn train_and_activate(
    store: &Store,
    params: TrainParams,
) -> Result<(HierarchicalRouter, Vec<TrainReport>), ServiceError> {
    let labelled = store.labelled_requests().await?;
    let references: Vec<i64> = labelled.iter().map(|r| r.id).collect();
    let data: Vec<LabelledPath> = labelled
        .into_iter()
        .map(|r| LabelledPath {
            title: r.title,
            body: r.body,
            levels: r.category.levels().to_vec(),
        })
        .collect();

    let now = Utc::now();
    let trained_at = cityai_core::time::to_storage(now);
    let version = format!("routing-{}", now.format("%Y%m%dT%H%M%SZ"));
    let trained = tokio::task::spawn_blocking(move || {
        HierarchicalRouter::train(&data, &references, &params, &version, &trained_at)
    })
    .await
    .map_err(|err| ServiceError::Task(err.to_string()))??;
    let (router, reports) = trained;

    let model = router.first_level();
    let info = StoredModelInfo {
        version: model.meta.version.clone(),
        trained_at: model.meta.trained_at.clone(),
        rows_trained: model.meta.rows as i64,
        data_sha256: model.meta.data_sha256.clone(),
        active: true,
    };
    let report_json = serde_json::json!({ "levels": reports }).to_string();
    store
        .save_routing_model(&info, &report_json, &router.to_bytes()?)
        .await?;
    tracing::info!(version = %info.version, rows = info.rows_trained, levels = router.depth(), "trained routing model");
    Ok((router, reports))
}

/// Returns the router's decision for one request: the deepest category the confidence
/// allows, and the first level's confidence and auto-assignment verdict.
pub fn decide(
    model: &HierarchicalRouter,
    request_id: i64,
    title: Option<&str>,
    body: &str,
) -> Option<RoutingDecision> {
    let routed = model.predict(title, body);
    let prediction = &routed.first_level;
    let best = prediction.top.first()?;
    let category = CategoryPath::parse(&routed.path).ok()?;
    let details_json = serde_json::json!({
        "top": prediction.top,
        "path": routed.path,
        "path_probabilities": routed.path_probabilities,
        "evidence": prediction.evidence,
        "similar": prediction.similar,
    })
    .to_string();
    Some(RoutingDecision {
        request_id,
        model_version: prediction.model_version.clone(),
        category,
        confidence: best.probability,
        auto_assign: prediction.auto_assign,
        details_json,
    })
}

/// Routes every received request that has no category, in batches, and returns the counts.
///
/// While the register's gate of automatic routing is closed, every request goes to triage
/// with the router's suggestion and the reason kept in the decision.
///
/// # Errors
///
/// [`ServiceError::Store`] when reading or writing fails; batches already written stay.
pub async fn route_pending(
    store: &Store,
    model: &HierarchicalRouter,
) -> Result<RoutingSummary, ServiceError> {
    let mut summary = RoutingSummary::default();
    loop {
        let pending = store.unrouted_requests(ROUTING_BATCH).await?;
        if pending.is_empty() {
            break;
        }
        let closed = crate::register::feature_gate(store, crate::register::ROUTING).await?;
        let decisions: Vec<RoutingDecision> = pending
            .iter()
            .filter_map(|r| decide(model, r.id, r.title.as_deref(), &r.body))
            .map(|mut decision| {
                if let Some(reason) = &closed {
                    crate::register::hold_for_triage(&mut decision, reason);
                }
                decision
            })
            .collect();
        if decisions.is_empty() {
            break;
        }
        let outcome = store.record_routing(&decisions).await?;
        summary.routed += decisions.len();
        summary.outcome.assigned += outcome.assigned;
        summary.outcome.triage += outcome.triage;
    }
    tracing::info!(
        routed = summary.routed,
        assigned = summary.outcome.assigned,
        triage = summary.outcome.triage,
        "routed pending requests"
    );
    Ok(summary)
}
