//! The AI framework's services: input checks for the inventory, education and roadmap,
//! lineage links that pass the lineage check, roadmap progress, measured ROI and the key
//! metrics.
//!
//! Every write here checks its input first, so that the database's constraints are the
//! last line of defence and never the error a caller sees.

mod checks;
mod measured;

pub use checks::{
    check_compute, check_course, check_dataset, check_date, check_enrolment, check_environment,
    check_milestone, check_milestone_update, check_model, check_programme, check_staff,
};
pub use measured::{
    DEFAULT_ASSUMPTIONS, InputSource, MIN_SAMPLE, MeasuredRoi, Provenance, measured_roi, median,
};

use chrono::NaiveDate;
use cityai_core::framework::lineage::{self, LineageViolation};
use cityai_core::framework::roadmap::{is_overdue, mean_progress, milestone_progress};
use cityai_store::{LevelReach, MeasureCounts, Milestone, Phase, Store};
use serde::Serialize;

use crate::ServiceError;

/// Links an application to a model unless the new path breaks the lineage rules.
///
/// # Errors
///
/// [`ServiceError::Lineage`] with the violations the link would add, and the store's
/// errors (an unknown application or model).
pub async fn link_application_model(
    store: &Store,
    application_id: i64,
    model_id: i64,
    actor: &str,
) -> Result<(), ServiceError> {
    let mut graph = store.lineage_graph().await?;
    let before = lineage::check(&graph).len();
    if let Some(application) = graph
        .applications
        .iter_mut()
        .find(|a| a.id == application_id)
        && !application.model_ids.contains(&model_id)
    {
        application.model_ids.push(model_id);
    }
    reject_new_violations(&graph, before)?;
    store
        .link_application_model(application_id, model_id, actor)
        .await?;
    Ok(())
}

/// Records that a model was trained on a dataset unless an application using the model
/// would then break the lineage rules.
///
/// # Errors
///
/// [`ServiceError::Lineage`] with the violations the link would add, and the store's
/// errors (an unknown model or dataset).
pub async fn link_model_dataset(
    store: &Store,
    model_id: i64,
    dataset_id: i64,
    actor: &str,
) -> Result<(), ServiceError> {
    let mut graph = store.lineage_graph().await?;
    let before = lineage::check(&graph).len();
    if let Some(model) = graph.models.iter_mut().find(|m| m.id == model_id)
        && !model.dataset_ids.contains(&dataset_id)
    {
        model.dataset_ids.push(dataset_id);
    }
    reject_new_violations(&graph, before)?;
    store
        .link_model_dataset(model_id, dataset_id, actor)
        .await?;
    Ok(())
}

/// Fails when the graph has more violations than `before`, returning them all.
///
/// Violations already stored (a dataset reclassified upwards after it was linked) do not
/// block unrelated links; the lineage page lists them.
fn reject_new_violations(graph: &lineage::LineageGraph, before: usize) -> Result<(), ServiceError> {
    let after = lineage::check(graph);
    if after.len() > before {
        return Err(ServiceError::Lineage(after));
    }
    Ok(())
}

/// Returns every violation of the stored lineage.
///
/// # Errors
///
/// The store's errors.
pub async fn lineage_violations(store: &Store) -> Result<Vec<LineageViolation>, ServiceError> {
    Ok(lineage::check(&store.lineage_graph().await?))
}

/// A milestone with its computed progress.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MilestoneProgress {
    #[serde(flatten)]
    pub milestone: Milestone,
    /// The count its measure read; 0 for manual measures.
    pub counted: i64,
    /// 0 to 1.
    pub progress: f64,
    pub overdue: bool,
}

/// A phase with its milestones and their mean progress.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PhaseProgress {
    #[serde(flatten)]
    pub phase: Phase,
    pub milestones: Vec<MilestoneProgress>,
    /// Mean progress of the milestones; `None` without milestones.
    pub progress: Option<f64>,
}

/// The roadmap with progress computed from the store.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Roadmap {
    pub phases: Vec<PhaseProgress>,
    /// Mean progress over every milestone; `None` without milestones.
    pub progress: Option<f64>,
    pub counts: MeasureCounts,
}

/// Computes the roadmap's progress on `today` (city-local date).
///
/// # Errors
///
/// The store's errors.
pub async fn roadmap(store: &Store, today: NaiveDate) -> Result<Roadmap, ServiceError> {
    let counts = store.measure_counts().await?;
    let milestones = store.milestones().await?;
    let phases = store
        .roadmap_phases()
        .await?
        .into_iter()
        .map(|phase| {
            let milestones: Vec<MilestoneProgress> = milestones
                .iter()
                .filter(|m| m.milestone.phase == phase.code)
                .map(|m| {
                    let counted = counts.of(m.milestone.measure);
                    MilestoneProgress {
                        progress: milestone_progress(
                            m.milestone.status,
                            m.milestone.measure,
                            m.milestone.target,
                            counted,
                            m.milestone.manual_progress,
                        ),
                        overdue: is_overdue(m.milestone.due_on, today, m.milestone.status),
                        counted,
                        milestone: m.clone(),
                    }
                })
                .collect();
            PhaseProgress {
                progress: mean_progress(milestones.iter().map(|m| m.progress)),
                phase,
                milestones,
            }
        })
        .collect::<Vec<_>>();
    let progress = mean_progress(
        phases
            .iter()
            .flat_map(|p| p.milestones.iter().map(|m| m.progress)),
    );
    Ok(Roadmap {
        phases,
        progress,
        counts,
    })
}

/// The figures of the key-metrics page.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyMetrics {
    /// Distinct organisations engaged, by name.
    pub stakeholders: Vec<String>,
    /// Register entries per category and stage.
    pub applications: Vec<ApplicationCount>,
    pub reach: Vec<LevelReach>,
    pub measured_roi: MeasuredRoi,
    pub lineage_violations: usize,
}

/// Register entries of one category and stage.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApplicationCount {
    pub category: String,
    pub stage: String,
    pub count: i64,
}

/// Gathers the key metrics, with measured ROI over the `window_days` before `now` on the
/// default assumptions.
///
/// # Errors
///
/// The store's errors.
pub async fn key_metrics(
    store: &Store,
    now: chrono::DateTime<chrono::Utc>,
    window_days: i64,
) -> Result<KeyMetrics, ServiceError> {
    Ok(KeyMetrics {
        stakeholders: store.framework_stakeholders().await?,
        applications: store
            .application_counts()
            .await?
            .into_iter()
            .map(|(category, stage, count)| ApplicationCount {
                category,
                stage,
                count,
            })
            .collect(),
        reach: store.programme_reach().await?,
        measured_roi: measured_roi(store, &DEFAULT_ASSUMPTIONS, now, window_days).await?,
        lineage_violations: lineage_violations(store).await?.len(),
    })
}
