//! Application services: the steps of the request flow that combine the store with the AI
//! components, shared by the command line and the HTTP server.
//!
//! Services hold the rules (what is routed, when a request is assigned); the store only
//! persists, and the AI crates only compute.

pub mod auth;
pub mod framework;
pub mod hotspots;
pub mod intake;
pub mod knowledge;
pub mod reception;
pub mod register;
pub mod replies;
pub mod reply_quality;
pub mod routing;

/// A failure of a service step.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Store(#[from] cityai_store::StoreError),

    #[error(transparent)]
    Routing(#[from] cityai_routing::RoutingError),

    #[error(transparent)]
    Credential(#[from] auth::CredentialError),

    #[error(transparent)]
    Knowledge(#[from] cityai_knowledge::KnowledgeError),

    #[error("{0}")]
    Invalid(String),

    /// A lineage link would let an application use data its environment is not approved
    /// for; every violation the link would leave is listed.
    #[error("the link breaks the lineage rules: {}", describe_violations(.0))]
    Lineage(Vec<cityai_core::framework::lineage::LineageViolation>),

    #[error("a background task failed: {0}")]
    Task(String),
}

fn describe_violations(violations: &[cityai_core::framework::lineage::LineageViolation]) -> String {
    violations
        .iter()
        .map(|v| {
            format!(
                "application {} uses model {} trained on {} data {} ({})",
                v.application,
                v.model,
                v.classification.as_str(),
                v.dataset,
                v.rule.as_str()
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}
