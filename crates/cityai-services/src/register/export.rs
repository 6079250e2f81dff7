//! Exports of the register: CityAI's own JSON, CSV with columns named after the UK
//! Algorithmic Transparency Recording Standard (ATRS), and JSON with fields named after the
//! Dutch Algoritmeregister publication standard.
//!
//! Both standards' exports carry the entries the public page shows (every stage but
//! `proposed`). The mapping of each column is documented in docs/ai-register.md.
//!
//! NOTE: the column and field names follow the two standards as published. No importer of
//! either register was run against these files, so check them before a bulk upload.

use cityai_store::{AiApplication, PublicationCategory, Stage, Store};
use serde_json::{Value, json};

use crate::ServiceError;

/// Returns whether an entry appears in the public register: everything past the proposal.
pub fn is_public(application: &AiApplication) -> bool {
    application.stage != Stage::Proposed
}

/// Builds the full register as JSON: every entry with its gate, latest decision,
/// participants and funds.
///
/// # Errors
///
/// [`ServiceError::Store`].
pub async fn register_json(store: &Store) -> Result<Value, ServiceError> {
    let mut entries = Vec::new();
    for application in store.ai_applications().await? {
        let gate = store.ai_gate(&application.code).await?;
        let reviews = store.ai_reviews(&application.code).await?;
        let latest = reviews.iter().find(|r| r.decision.is_some());
        entries.push(json!({
            "application": application,
            "supervision": super::supervision(application.fields.risk_level),
            "gate": {
                "open": gate.is_open(),
                "reason": gate.closed.as_ref().map(ToString::to_string),
                "valid_until": gate.valid_until,
            },
            "latest_decision": latest,
            "participants": store.ai_participations(&application.code).await?,
            "funds": store.ai_funds(&application.code).await?,
        }));
    }
    Ok(json!({ "applications": entries }))
}

/// The ATRS-style column names, in order.
pub const ATRS_COLUMNS: [&str; 18] = [
    "name",
    "description",
    "website",
    "contact_email",
    "organisation",
    "team",
    "senior_responsible_owner",
    "external_supplier",
    "phase",
    "benefits",
    "decision_making_process",
    "human_decisions_and_review",
    "data",
    "impact_assessments",
    "risks",
    "risk_level",
    "approval_valid_until",
    "cityai_code",
];

/// Returns the ATRS phase of a stage. ATRS has no phase for a suspended tool, so a
/// suspended application is reported in production with the stage named.
fn atrs_phase(stage: Stage) -> &'static str {
    match stage {
        Stage::Proposed | Stage::UnderReview => "Pre-deployment",
        Stage::Pilot => "Beta/Pilot",
        Stage::InUse => "Production",
        Stage::Suspended => "Production (suspended)",
        Stage::Retired => "Retired",
    }
}

/// Writes the public entries as CSV with ATRS-style columns, English names, UTF-8.
///
/// # Errors
///
/// [`ServiceError::Store`], and [`ServiceError::Invalid`] if the CSV writer fails.
pub async fn atrs_csv(store: &Store) -> Result<String, ServiceError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let csv_error = |err: csv::Error| ServiceError::Invalid(format!("writing CSV failed: {err}"));
    writer.write_record(ATRS_COLUMNS).map_err(csv_error)?;
    for application in store.ai_applications().await? {
        if !is_public(&application) {
            continue;
        }
        let gate = store.ai_gate(&application.code).await?;
        let fields = &application.fields;
        let website = format!("/ai-register/{}", application.code);
        let row = [
            fields.name_en.as_str(),
            fields.description.as_str(),
            website.as_str(),
            fields.contact.as_str(),
            fields.owner.as_str(),
            fields.lead_department.as_str(),
            fields.owner.as_str(),
            fields.supplier.as_str(),
            atrs_phase(application.stage),
            fields.rationale.as_str(),
            fields.decision_process.as_str(),
            fields.human_oversight.as_str(),
            fields.data_description.as_str(),
            fields.impact_assessments.as_str(),
            fields.risks.as_str(),
            fields.risk_level.as_str(),
            gate.valid_until.as_deref().unwrap_or(""),
            application.code.as_str(),
        ];
        writer.write_record(row).map_err(csv_error)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|err| ServiceError::Invalid(format!("writing CSV failed: {err}")))?;
    String::from_utf8(bytes).map_err(|err| ServiceError::Invalid(err.to_string()))
}

/// Returns the Algoritmeregister status of a stage.
fn dutch_status(stage: Stage) -> &'static str {
    match stage {
        Stage::Proposed | Stage::UnderReview | Stage::Pilot => "in_development",
        Stage::InUse => "in_use",
        Stage::Suspended | Stage::Retired => "out_of_use",
    }
}

/// Returns the Algoritmeregister publication category.
fn dutch_category(category: PublicationCategory) -> &'static str {
    match category {
        PublicationCategory::HighRisk => "high_risk_ai_system",
        PublicationCategory::Impactful => "impactful_algorithm",
        PublicationCategory::Other => "other_algorithm",
    }
}

/// Builds the public entries as JSON with Algoritmeregister-style fields.
///
/// # Errors
///
/// [`ServiceError::Store`].
pub async fn algoritmeregister_json(store: &Store) -> Result<Value, ServiceError> {
    let mut entries = Vec::new();
    for application in store.ai_applications().await? {
        if !is_public(&application) {
            continue;
        }
        let fields = &application.fields;
        let goal_and_impact = if fields.rationale.is_empty() {
            fields.description.clone()
        } else {
            format!("{}\n\n{}", fields.description, fields.rationale)
        };
        entries.push(json!({
            "name": fields.name_zh,
            "name_en": fields.name_en,
            "organization": fields.owner,
            "department": fields.lead_department,
            "description_short": fields.description,
            "goal_and_impact": goal_and_impact,
            "considerations": fields.rationale,
            "human_intervention": fields.human_oversight,
            "risk_management": fields.risks,
            "legal_basis": fields.legal_basis,
            "impact_assessments": fields.impact_assessments,
            "source_data": fields.data_description,
            "provider": fields.supplier,
            "publication_category": dutch_category(fields.publication_category),
            "status": dutch_status(application.stage),
            "contact_email": fields.contact,
            "url": format!("/ai-register/{}", application.code),
            "lang": "zho",
            "cityai_code": application.code,
        }));
    }
    Ok(json!({ "algorithms": entries }))
}
