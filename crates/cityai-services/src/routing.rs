//! Routing on intake: requests without a category get the active model's decision.

use cityai_core::CategoryPath;
use cityai_routing::RoutingModel;
use cityai_store::{RoutingDecision, RoutingOutcome, Store};
use serde::Serialize;

use crate::ServiceError;

/// How many requests one routing pass reads from the store at a time.
const ROUTING_BATCH: i64 = 500;

/// What a routing pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RoutingSummary {
    pub routed: usize,
    #[serde(flatten)]
    pub outcome: RoutingOutcome,
}

/// Loads the active routing model, or `None` before the first training.
///
/// # Errors
///
/// [`ServiceError::Store`] when the store fails, and [`ServiceError::Routing`] when the stored
/// model cannot be read.
pub async fn active_model(store: &Store) -> Result<Option<RoutingModel>, ServiceError> {
    let Some((version, bytes)) = store.active_routing_model().await? else {
        return Ok(None);
    };
    let model = RoutingModel::read_from(&mut bytes.as_slice())?;
    tracing::debug!(%version, "loaded routing model");
    Ok(Some(model))
}

/// Returns the router's decision for one request.
pub fn decide(
    model: &RoutingModel,
    request_id: i64,
    title: Option<&str>,
    body: &str,
) -> Option<RoutingDecision> {
    let prediction = model.predict(title, body);
    let best = prediction.top.first()?;
    let category = CategoryPath::parse(&best.label).ok()?;
    let details_json = serde_json::json!({
        "top": prediction.top,
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
/// # Errors
///
/// [`ServiceError::Store`] when reading or writing fails; batches already written stay.
pub async fn route_pending(
    store: &Store,
    model: &RoutingModel,
) -> Result<RoutingSummary, ServiceError> {
    let mut summary = RoutingSummary::default();
    loop {
        let pending = store.unrouted_requests(ROUTING_BATCH).await?;
        if pending.is_empty() {
            break;
        }
        let decisions: Vec<RoutingDecision> = pending
            .iter()
            .filter_map(|r| decide(model, r.id, r.title.as_deref(), &r.body))
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
