//! The AI register's rule inside the platform: each of CityAI's own AI features runs only
//! while its register entry is approved and the approval unexpired, and the register's
//! monitoring figures for those features are measured from stored events.
//!
//! When a gate is closed the feature takes its human-only path, and [`feature_gate`] logs
//! why (at most once a minute per feature, with no personal data):
//!
//! | feature | code | path while closed |
//! |---|---|---|
//! | automatic routing | `cityai.routing` | the router's suggestion is kept, the request goes to triage |
//! | reply drafting | `cityai.reply_drafting` | an empty, unlabelled draft that the handler writes |
//! | LLM answers | `cityai.llm_answers` | cited passages only, no generated text |
//! | reception assistant | `cityai.reception` | the citizen is pointed to the hotline and other channels |

pub mod export;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use cityai_store::{
    GateClosed, MonitoringRecord, MonitoringSource, RiskLevel, RoutingDecision, Store,
};
use serde::Serialize;
use serde_json::{Map, Value, json};

pub use cityai_store::ai_features::{LLM_ANSWERS, RECEPTION, REPLY_DRAFTING, ROUTING};

use crate::ServiceError;

/// The supervision an application's risk level calls for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Supervision {
    pub risk_level: RiskLevel,
    /// The maximum gap between two monitoring records, in months.
    pub monitoring_interval_months: u32,
    /// Whether the expert committee must review the application before it runs.
    pub committee_review_required: bool,
}

/// Returns the supervision tier of a risk level.
pub fn supervision(risk_level: RiskLevel) -> Supervision {
    Supervision {
        risk_level,
        monitoring_interval_months: risk_level.monitoring_interval_months(),
        committee_review_required: risk_level.needs_committee_review(),
    }
}

/// How often the same closed gate is logged again.
const LOG_EVERY: Duration = Duration::from_secs(60);

/// When each closed gate was last logged.
static LOGGED: Mutex<Option<HashMap<String, Instant>>> = Mutex::new(None);

/// Returns why the feature `code` may not run now, or `None` when it may.
///
/// # Errors
///
/// [`ServiceError::Store`] when the register cannot be read; callers then fail the step,
/// because running a feature whose approval is unknown breaks the register's rule.
pub async fn feature_gate(store: &Store, code: &str) -> Result<Option<GateClosed>, ServiceError> {
    let status = store.ai_gate(code).await?;
    if let Some(reason) = &status.closed {
        log_closed(code, reason);
    }
    Ok(status.closed)
}

fn log_closed(code: &str, reason: &GateClosed) {
    let mut logged = LOGGED.lock().unwrap_or_else(|p| p.into_inner());
    let logged = logged.get_or_insert_with(HashMap::new);
    let now = Instant::now();
    if logged
        .get(code)
        .is_some_and(|at| now.duration_since(*at) < LOG_EVERY)
    {
        return;
    }
    logged.insert(code.to_owned(), now);
    tracing::warn!(feature = code, reason = %reason, "AI feature switched off by the AI register; using the human-only path");
}

/// Keeps a routing decision but sends the request to triage, recording the reason in the
/// decision's details: `gate` as data, `gate_message` as an English sentence.
pub fn hold_for_triage(decision: &mut RoutingDecision, reason: &GateClosed) {
    decision.auto_assign = false;
    if let Ok(mut details) = serde_json::from_str::<Value>(&decision.details_json) {
        details["gate"] = json!(reason);
        details["gate_message"] = Value::String(reason.to_string());
        decision.details_json = details.to_string();
    }
}

/// Returns the LLM client when the feature `code` may use it, or `None` and the reason.
///
/// No client means no LLM feature to gate, so the register is not read then.
///
/// # Errors
///
/// As [`feature_gate`].
pub async fn gated_llm<'a>(
    store: &Store,
    code: &str,
    llm: Option<&'a cityai_llm::LlmClient>,
) -> Result<(Option<&'a cityai_llm::LlmClient>, Option<GateClosed>), ServiceError> {
    let Some(client) = llm else {
        return Ok((None, None));
    };
    match feature_gate(store, code).await? {
        Some(reason) => Ok((None, Some(reason))),
        None => Ok((Some(client), None)),
    }
}

/// Counts the live figures of a built-in feature over `[from, to)`, including the
/// citizens' feedback on its register entry. Returns `None` for an application that CityAI
/// does not run.
///
/// # Errors
///
/// [`ServiceError::Store`].
pub async fn measured_figures(
    store: &Store,
    code: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Option<Map<String, Value>>, ServiceError> {
    let figures = match code {
        ROUTING => json!(store.routing_figures(from, to).await?),
        REPLY_DRAFTING => json!(store.drafting_figures(from, to).await?),
        RECEPTION => json!(store.reception_figures(from, to).await?),
        // NOTE: LLM answers are not stored, so only the register feedback measures them.
        LLM_ANSWERS => json!({}),
        _ => return Ok(None),
    };
    let Value::Object(mut figures) = figures else {
        return Ok(None);
    };
    let (received, published) = store.feedback_figures(code, from, to).await?;
    figures.insert("feedback_received".to_owned(), json!(received));
    figures.insert("feedback_published".to_owned(), json!(published));
    Ok(Some(figures))
}

/// Measures a built-in feature over `[from, to)` and stores the figures as a monitoring
/// record with the source `measured`.
///
/// # Errors
///
/// [`ServiceError::Invalid`] for an application that CityAI does not run (its figures are
/// reported by staff instead), and [`ServiceError::Store`].
pub async fn record_measured(
    store: &Store,
    code: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    actor: &str,
) -> Result<MonitoringRecord, ServiceError> {
    let Some(figures) = measured_figures(store, code, from, to).await? else {
        return Err(ServiceError::Invalid(format!(
            "{code} does not run inside CityAI, so its figures cannot be measured: record \
             them with source \"reported\""
        )));
    };
    Ok(store
        .record_ai_monitoring(
            code,
            (from, to),
            MonitoringSource::Measured,
            &figures,
            "",
            actor,
        )
        .await?)
}
