//! The lineage of the city's AI applications and its check.
//!
//! An application uses models; a model is trained on datasets, deployed in an environment
//! and served from a compute resource. The check walks every application -> model ->
//! dataset path and reports each dataset whose classification the model's deployment
//! environment is not approved for, and each important or core dataset whose model is
//! served from compute that is not internet-isolated.

use serde::Serialize;

use super::DataClassification;

/// A deployment environment and the highest classification it is approved for.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnvironmentNode {
    pub code: String,
    pub approved_classification: DataClassification,
    pub internet_isolated: bool,
}

/// A compute resource, with the fields the check reads.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComputeNode {
    pub id: i64,
    pub code: String,
    pub internet_isolated: bool,
}

/// A dataset, with the fields the check reads.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DatasetNode {
    pub id: i64,
    pub code: String,
    pub classification: DataClassification,
}

/// A model with its environment, compute and training datasets.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelNode {
    pub id: i64,
    pub code: String,
    pub environment_code: String,
    pub compute_id: Option<i64>,
    pub dataset_ids: Vec<i64>,
}

/// An application and the models it uses.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApplicationNode {
    pub id: i64,
    pub code: String,
    pub model_ids: Vec<i64>,
}

/// Everything the check reads.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LineageGraph {
    pub applications: Vec<ApplicationNode>,
    pub models: Vec<ModelNode>,
    pub datasets: Vec<DatasetNode>,
    pub compute: Vec<ComputeNode>,
    pub environments: Vec<EnvironmentNode>,
}

/// The rule a lineage path breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LineageRule {
    /// The dataset is classified above what the model's environment is approved for.
    ClassificationNotApproved,
    /// Important or core data reaches a model served from compute that is not
    /// internet-isolated.
    ComputeNotIsolated,
}

impl LineageRule {
    pub fn as_str(self) -> &'static str {
        match self {
            LineageRule::ClassificationNotApproved => "classification_not_approved",
            LineageRule::ComputeNotIsolated => "compute_not_isolated",
        }
    }
}

/// One application -> model -> dataset path that breaks a rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LineageViolation {
    pub rule: LineageRule,
    pub application: String,
    pub model: String,
    pub dataset: String,
    pub classification: DataClassification,
    pub environment: String,
    /// The highest classification the environment is approved for; `None` when the
    /// model names an environment the graph does not contain.
    pub approved: Option<DataClassification>,
    /// The compute resource, for [`LineageRule::ComputeNotIsolated`].
    pub compute: Option<String>,
}

/// Returns every violation of the lineage rules, in application, model and dataset order.
///
/// A model whose environment is missing from the graph counts as approved for nothing
/// above general data. Links to models or datasets missing from the graph are skipped.
pub fn check(graph: &LineageGraph) -> Vec<LineageViolation> {
    let mut violations = Vec::new();
    for application in &graph.applications {
        for model_id in &application.model_ids {
            let Some(model) = graph.models.iter().find(|m| m.id == *model_id) else {
                continue;
            };
            let environment = graph
                .environments
                .iter()
                .find(|e| e.code == model.environment_code);
            let approved = environment.map(|e| e.approved_classification);
            let compute = model
                .compute_id
                .and_then(|id| graph.compute.iter().find(|c| c.id == id));
            for dataset_id in &model.dataset_ids {
                let Some(dataset) = graph.datasets.iter().find(|d| d.id == *dataset_id) else {
                    continue;
                };
                let violation = |rule, compute: Option<&ComputeNode>| LineageViolation {
                    rule,
                    application: application.code.clone(),
                    model: model.code.clone(),
                    dataset: dataset.code.clone(),
                    classification: dataset.classification,
                    environment: model.environment_code.clone(),
                    approved,
                    compute: compute.map(|c| c.code.clone()),
                };
                let ceiling = approved.unwrap_or(DataClassification::General);
                if dataset.classification > ceiling {
                    violations.push(violation(LineageRule::ClassificationNotApproved, None));
                }
                if let Some(compute) = compute
                    && dataset.classification > DataClassification::General
                    && !compute.internet_isolated
                {
                    violations.push(violation(LineageRule::ComputeNotIsolated, Some(compute)));
                }
            }
        }
    }
    violations
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two environments (an isolated one approved for important data, a cloud one for
    /// general data), two compute nodes, three datasets, and one application per model.
    fn graph() -> LineageGraph {
        LineageGraph {
            environments: vec![
                EnvironmentNode {
                    code: "gov-private".into(),
                    approved_classification: DataClassification::Important,
                    internet_isolated: true,
                },
                EnvironmentNode {
                    code: "public-cloud".into(),
                    approved_classification: DataClassification::General,
                    internet_isolated: false,
                },
            ],
            compute: vec![
                ComputeNode {
                    id: 1,
                    code: "dc-isolated".into(),
                    internet_isolated: true,
                },
                ComputeNode {
                    id: 2,
                    code: "cloud-gpu".into(),
                    internet_isolated: false,
                },
            ],
            datasets: vec![
                DatasetNode {
                    id: 10,
                    code: "faq".into(),
                    classification: DataClassification::General,
                },
                DatasetNode {
                    id: 11,
                    code: "work-orders".into(),
                    classification: DataClassification::Important,
                },
                DatasetNode {
                    id: 12,
                    code: "population".into(),
                    classification: DataClassification::Core,
                },
            ],
            models: vec![
                ModelNode {
                    id: 100,
                    code: "router".into(),
                    environment_code: "gov-private".into(),
                    compute_id: Some(1),
                    dataset_ids: vec![10, 11],
                },
                ModelNode {
                    id: 101,
                    code: "chat".into(),
                    environment_code: "public-cloud".into(),
                    compute_id: Some(2),
                    dataset_ids: vec![10],
                },
            ],
            applications: vec![
                ApplicationNode {
                    id: 1,
                    code: "routing".into(),
                    model_ids: vec![100],
                },
                ApplicationNode {
                    id: 2,
                    code: "reception".into(),
                    model_ids: vec![101],
                },
            ],
        }
    }

    #[test]
    fn lineage_within_approval_passes() {
        assert_eq!(check(&graph()), Vec::new());
    }

    #[test]
    fn dataset_above_environment_is_reported() {
        let mut graph = graph();
        // The cloud chat model is now trained on work orders, which are important data.
        graph.models[1].dataset_ids.push(11);
        let violations = check(&graph);
        let rules: Vec<LineageRule> = violations.iter().map(|v| v.rule).collect();
        assert_eq!(
            rules,
            vec![
                LineageRule::ClassificationNotApproved,
                LineageRule::ComputeNotIsolated
            ]
        );
        let first = &violations[0];
        assert_eq!(first.application, "reception");
        assert_eq!(first.model, "chat");
        assert_eq!(first.dataset, "work-orders");
        assert_eq!(first.classification, DataClassification::Important);
        assert_eq!(first.approved, Some(DataClassification::General));
        assert_eq!(violations[1].compute.as_deref(), Some("cloud-gpu"));
    }

    #[test]
    fn core_data_exceeds_important_approval() {
        let mut graph = graph();
        graph.models[0].dataset_ids.push(12);
        let violations = check(&graph);
        assert_eq!(violations.len(), 1, "{violations:?}");
        assert_eq!(violations[0].rule, LineageRule::ClassificationNotApproved);
        assert_eq!(violations[0].dataset, "population");
        assert_eq!(violations[0].approved, Some(DataClassification::Important));
    }

    #[test]
    fn isolated_environment_on_open_compute_is_reported() {
        let mut graph = graph();
        // The router stays in an environment approved for important data, but is served
        // from the cloud node.
        graph.models[0].compute_id = Some(2);
        let violations = check(&graph);
        assert_eq!(violations.len(), 1, "{violations:?}");
        assert_eq!(violations[0].rule, LineageRule::ComputeNotIsolated);
        assert_eq!(violations[0].dataset, "work-orders");
    }

    #[test]
    fn unknown_environment_allows_general_only() {
        let mut graph = graph();
        graph.models[0].environment_code = "nowhere".into();
        let violations = check(&graph);
        assert_eq!(violations.len(), 1, "{violations:?}");
        assert_eq!(violations[0].approved, None);
        assert_eq!(violations[0].dataset, "work-orders");
    }

    #[test]
    fn models_without_applications_are_not_checked() {
        let mut graph = graph();
        graph.applications.clear();
        graph.models[1].dataset_ids.push(12);
        assert!(check(&graph).is_empty());
    }
}
