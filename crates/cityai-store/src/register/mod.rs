//! The AI register (AI 应用场景登记): applications with their public fields, lifecycle,
//! categories, and the gate that decides whether an application may run now.
//!
//! Selection, ethical review, participation, funds, monitoring and feedback live in the
//! submodules. Every change is written to the audit trail in the same transaction and
//! clears this process's gate cache.
//!
//! This module stores and checks the register's rules; it does not decide what CityAI's own
//! features do when their gate is closed (see the services crate).

pub(crate) mod builtin;
mod gate;
mod monitoring;
mod participation;
mod review;
mod selection;
mod types;

use chrono::Utc;
use cityai_core::time::to_storage;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;

pub use gate::{GATE_TTL, GateCache, GateClosed, GateStatus};
pub use monitoring::{DraftingFigures, MonitoringRecord, ReceptionFigures, RoutingFigures};
pub use participation::{Feedback, Funds, MAX_FEEDBACK_CHARS, Organisation, Participation};
pub use review::{CommitteeMember, Conflict, DueReview, NewDecision, Review, ReviewDue};
pub use selection::{ApprovedEntry, Criterion, RankedApplication, Score};
pub use types::{
    Decision, FeedbackStatus, ModelType, MonitoringSource, OrganisationKind, ParticipantRole,
    PublicationCategory, ReviewKind, RiskLevel, Stage,
};

use crate::audit::{self, AuditEvent};
use crate::{Result, Store, StoreError};

/// The schema version that added the register's fields and tables.
pub(crate) const REGISTER_VERSION: i64 = 14;

/// The maximum length of an application's code, in characters.
pub const MAX_CODE_CHARS: usize = 64;

/// The maximum length of a free-text register field, in characters.
pub const MAX_FIELD_CHARS: usize = 4_000;

/// An application category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AiCategory {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
}

/// The fields of a register entry that staff write, the same for a new and an edited entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplicationFields {
    pub name_zh: String,
    pub name_en: String,
    pub category: String,
    pub risk_level: RiskLevel,
    pub model_type: ModelType,
    pub publication_category: PublicationCategory,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub rationale: String,
    #[serde(default)]
    pub owner: String,
    #[serde(default)]
    pub contact: String,
    #[serde(default)]
    pub lead_department: String,
    #[serde(default)]
    pub human_oversight: String,
    #[serde(default)]
    pub decision_process: String,
    #[serde(default)]
    pub data_description: String,
    #[serde(default)]
    pub risks: String,
    #[serde(default)]
    pub impact_assessments: String,
    #[serde(default)]
    pub legal_basis: String,
    #[serde(default)]
    pub supplier: String,
    #[serde(default)]
    pub priority: bool,
    /// The generative AI service filing number, where the service has one.
    #[serde(default)]
    pub genai_filing: Option<String>,
}

/// A register entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AiApplication {
    pub id: i64,
    pub code: String,
    pub stage: Stage,
    #[serde(flatten)]
    pub fields: ApplicationFields,
    pub created_at: String,
    pub updated_at: String,
}

const APPLICATION_COLUMNS: &str = "id, code, name_zh, name_en, category, stage, risk_level, \
     description, contact, owner, rationale, human_oversight, decision_process, \
     data_description, risks, impact_assessments, legal_basis, supplier, \
     publication_category, model_type, lead_department, priority, genai_filing, created_at, \
     updated_at";

fn application_from_row(row: &AnyRow) -> Result<AiApplication> {
    let text = |column: &str| row.try_get::<String, _>(column);
    Ok(AiApplication {
        id: row.try_get("id")?,
        code: text("code")?,
        stage: Stage::parse(&text("stage")?)?,
        fields: ApplicationFields {
            name_zh: text("name_zh")?,
            name_en: text("name_en")?,
            category: text("category")?,
            risk_level: RiskLevel::parse(&text("risk_level")?)?,
            model_type: ModelType::parse(&text("model_type")?)?,
            publication_category: PublicationCategory::parse(&text("publication_category")?)?,
            description: text("description")?,
            rationale: text("rationale")?,
            owner: text("owner")?,
            contact: text("contact")?,
            lead_department: text("lead_department")?,
            human_oversight: text("human_oversight")?,
            decision_process: text("decision_process")?,
            data_description: text("data_description")?,
            risks: text("risks")?,
            impact_assessments: text("impact_assessments")?,
            legal_basis: text("legal_basis")?,
            supplier: text("supplier")?,
            priority: row.try_get::<i64, _>("priority")? != 0,
            genai_filing: row.try_get("genai_filing")?,
        },
        created_at: text("created_at")?,
        updated_at: text("updated_at")?,
    })
}

/// Checks a code: lower-case ASCII letters, digits, `.`, `_` and `-`, starting with a letter.
fn check_code(code: &str) -> Result<()> {
    let valid = !code.is_empty()
        && code.len() <= MAX_CODE_CHARS
        && code.starts_with(|c: char| c.is_ascii_lowercase())
        && code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
    if valid {
        Ok(())
    } else {
        Err(StoreError::RegisterRule(format!(
            "invalid code {code:?}: use up to {MAX_CODE_CHARS} lower-case letters, digits, '.', \
             '_' or '-', starting with a letter, such as \"health.triage-2027\""
        )))
    }
}

impl ApplicationFields {
    /// Checks the names and the length of every text.
    fn check(&self) -> Result<()> {
        for (field, value) in [("name_zh", &self.name_zh), ("name_en", &self.name_en)] {
            let chars = value.trim().chars().count();
            if chars == 0 || chars > 200 {
                return Err(StoreError::RegisterRule(format!(
                    "{field} has {chars} characters: give a name of 1 to 200 characters"
                )));
            }
        }
        for (field, value) in [
            ("description", &self.description),
            ("rationale", &self.rationale),
            ("owner", &self.owner),
            ("contact", &self.contact),
            ("lead_department", &self.lead_department),
            ("human_oversight", &self.human_oversight),
            ("decision_process", &self.decision_process),
            ("data_description", &self.data_description),
            ("risks", &self.risks),
            ("impact_assessments", &self.impact_assessments),
            ("legal_basis", &self.legal_basis),
            ("supplier", &self.supplier),
        ] {
            let chars = value.chars().count();
            if chars > MAX_FIELD_CHARS {
                return Err(StoreError::RegisterRule(format!(
                    "{field} has {chars} characters, more than the {MAX_FIELD_CHARS} allowed: \
                     shorten it"
                )));
            }
        }
        if let Some(filing) = &self.genai_filing
            && filing.chars().count() > 100
        {
            return Err(StoreError::RegisterRule(
                "genai_filing is longer than 100 characters: give the filing number only"
                    .to_owned(),
            ));
        }
        Ok(())
    }
}

impl Store {
    /// Returns the configured application categories in display order.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`].
    pub async fn ai_categories(&self) -> Result<Vec<AiCategory>> {
        let rows =
            sqlx::query("SELECT code, name_zh, name_en FROM ai_categories ORDER BY position, code")
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|row| {
                Ok(AiCategory {
                    code: row.try_get("code")?,
                    name_zh: row.try_get("name_zh")?,
                    name_en: row.try_get("name_en")?,
                })
            })
            .collect()
    }

    /// Adds an application category after the existing ones.
    ///
    /// # Errors
    ///
    /// [`StoreError::RegisterRule`] for an invalid code or a code already configured, and
    /// [`StoreError::Database`].
    pub async fn add_ai_category(&self, category: &AiCategory, actor: &str) -> Result<()> {
        check_code(&category.code)?;
        if category.name_zh.trim().is_empty() || category.name_en.trim().is_empty() {
            return Err(StoreError::RegisterRule(
                "a category needs a Chinese and an English name".to_owned(),
            ));
        }
        let mut tx = self.begin_write().await?;
        let exists = sqlx::query("SELECT 1 FROM ai_categories WHERE code = $1")
            .bind(&category.code)
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
        if exists {
            return Err(StoreError::RegisterRule(format!(
                "category {:?} is already configured",
                category.code
            )));
        }
        sqlx::query(
            "INSERT INTO ai_categories (code, name_zh, name_en, position) \
             SELECT $1, $2, $3, COALESCE(MAX(position), 0) + 1 FROM ai_categories",
        )
        .bind(&category.code)
        .bind(category.name_zh.trim())
        .bind(category.name_en.trim())
        .execute(&mut *tx)
        .await?;
        audit::append(
            &mut tx,
            &AuditEvent::new(actor, "register.category_add")
                .target(format!("ai_category:{}", category.code)),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Registers a new application in the stage `proposed`.
    ///
    /// # Errors
    ///
    /// [`StoreError::RegisterRule`] for an invalid code or field,
    /// [`StoreError::UnknownAiCategory`], [`StoreError::AiApplicationExists`] and
    /// [`StoreError::Database`].
    pub async fn create_ai_application(
        &self,
        code: &str,
        fields: &ApplicationFields,
        actor: &str,
    ) -> Result<AiApplication> {
        self.insert_ai_application(code, fields, Stage::Proposed, actor)
            .await
    }

    async fn insert_ai_application(
        &self,
        code: &str,
        fields: &ApplicationFields,
        stage: Stage,
        actor: &str,
    ) -> Result<AiApplication> {
        check_code(code)?;
        fields.check()?;
        let mut tx = self.begin_write().await?;
        check_category(&mut tx, &fields.category).await?;
        let exists = sqlx::query("SELECT 1 FROM ai_applications WHERE code = $1")
            .bind(code)
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
        if exists {
            return Err(StoreError::AiApplicationExists(code.to_owned()));
        }
        let now = to_storage(Utc::now());
        sqlx::query(
            "INSERT INTO ai_applications (code, name_zh, name_en, category, stage, risk_level, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
        )
        .bind(code)
        .bind(fields.name_zh.trim())
        .bind(fields.name_en.trim())
        .bind(&fields.category)
        .bind(stage.as_str())
        .bind(fields.risk_level.as_str())
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        write_fields(&mut tx, code, fields, &now).await?;
        audit::append(
            &mut tx,
            &AuditEvent::new(actor, "register.create")
                .target(format!("ai_application:{code}"))
                .detail(json!({"stage": stage.as_str(), "risk_level": fields.risk_level})),
        )
        .await?;
        tx.commit().await?;
        self.gates.clear();
        self.ai_application(code)
            .await?
            .ok_or_else(|| StoreError::AiApplicationNotFound(code.to_owned()))
    }

    /// Replaces the staff-written fields of an application. The code and stage stay.
    ///
    /// # Errors
    ///
    /// As [`Store::create_ai_application`], and [`StoreError::AiApplicationNotFound`].
    pub async fn update_ai_application(
        &self,
        code: &str,
        fields: &ApplicationFields,
        actor: &str,
    ) -> Result<AiApplication> {
        fields.check()?;
        let mut tx = self.begin_write().await?;
        check_category(&mut tx, &fields.category).await?;
        let now = to_storage(Utc::now());
        let updated = sqlx::query(
            "UPDATE ai_applications SET name_zh = $1, name_en = $2, category = $3, \
             risk_level = $4 WHERE code = $5",
        )
        .bind(fields.name_zh.trim())
        .bind(fields.name_en.trim())
        .bind(&fields.category)
        .bind(fields.risk_level.as_str())
        .bind(code)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated == 0 {
            return Err(StoreError::AiApplicationNotFound(code.to_owned()));
        }
        write_fields(&mut tx, code, fields, &now).await?;
        audit::append(
            &mut tx,
            &AuditEvent::new(actor, "register.update")
                .target(format!("ai_application:{code}"))
                .detail(json!({"risk_level": fields.risk_level, "priority": fields.priority})),
        )
        .await?;
        tx.commit().await?;
        self.gates.clear();
        self.ai_application(code)
            .await?
            .ok_or_else(|| StoreError::AiApplicationNotFound(code.to_owned()))
    }

    /// Returns one application by its code.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`], and [`StoreError::InvalidValue`] for a damaged row.
    pub async fn ai_application(&self, code: &str) -> Result<Option<AiApplication>> {
        let row = sqlx::query(&format!(
            "SELECT {APPLICATION_COLUMNS} FROM ai_applications WHERE code = $1"
        ))
        .bind(code)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(application_from_row).transpose()
    }

    /// Returns every application, ordered by category and code.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`], and [`StoreError::InvalidValue`] for a damaged row.
    pub async fn ai_applications(&self) -> Result<Vec<AiApplication>> {
        let rows = sqlx::query(&format!(
            "SELECT {APPLICATION_COLUMNS} FROM ai_applications ORDER BY category, code"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(application_from_row).collect()
    }

    /// Moves an application to another lifecycle stage, with the reason in the audit trail.
    ///
    /// A move into `pilot` or `in_use` needs an approval that is valid at the time of the
    /// move (see [`Store::ai_gate_at`]), decided by a committee panel for a high-risk
    /// application.
    ///
    /// # Errors
    ///
    /// [`StoreError::AiApplicationNotFound`], [`StoreError::StageMove`] for a move the
    /// lifecycle does not allow, [`StoreError::ApprovalRequired`], [`StoreError::RegisterRule`]
    /// for a high-risk application approved without a panel or a built-in entry to retire, and
    /// [`StoreError::Database`].
    pub async fn set_ai_stage(
        &self,
        code: &str,
        to: Stage,
        reason: &str,
        actor: &str,
    ) -> Result<AiApplication> {
        let application = self
            .ai_application(code)
            .await?
            .ok_or_else(|| StoreError::AiApplicationNotFound(code.to_owned()))?;
        let from = application.stage;
        // Retirement is final, and only the built-in entries gate CityAI's own features, so
        // retiring one would switch its feature off for good.
        if to == Stage::Retired && builtin::BUILTIN_CODES.contains(&code) {
            return Err(StoreError::RegisterRule(format!(
                "{code} gates one of CityAI's own AI features and cannot be retired; move it to                  suspended to switch the feature off"
            )));
        }
        if !from.may_move_to(to) {
            return Err(StoreError::StageMove {
                code: code.to_owned(),
                from: from.as_str(),
                to: to.as_str(),
            });
        }
        let now = Utc::now();
        if to.is_running() {
            let Some(approval) = self.valid_approval(application.id, now).await? else {
                return Err(StoreError::ApprovalRequired {
                    code: code.to_owned(),
                    to: to.as_str(),
                });
            };
            // High risk is supervised by the committee itself, not by staff alone.
            if application.fields.risk_level.needs_committee_review() && approval.panel.is_empty() {
                return Err(StoreError::RegisterRule(format!(
                    "{code} is high risk, so its approval must come from a committee panel: \
                     open a review with panel members and record their decision"
                )));
            }
        }
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE ai_applications SET stage = $1, updated_at = $2 WHERE id = $3")
            .bind(to.as_str())
            .bind(to_storage(now))
            .bind(application.id)
            .execute(&mut *tx)
            .await?;
        audit::append(
            &mut tx,
            &AuditEvent::new(actor, "register.stage")
                .target(format!("ai_application:{code}"))
                .detail(json!({"from": from, "to": to, "reason": reason})),
        )
        .await?;
        tx.commit().await?;
        self.gates.clear();
        self.ai_application(code)
            .await?
            .ok_or_else(|| StoreError::AiApplicationNotFound(code.to_owned()))
    }

    /// Registers an application that CityAI itself runs, unless its code is registered
    /// already. A new entry starts `in_use` with an installation approval decided by
    /// `system (installation)`, valid for a year from `now`, re-review due a month before
    /// it ends. Returns whether the entry was new.
    ///
    /// # Errors
    ///
    /// As [`Store::create_ai_application`].
    pub async fn ensure_builtin_ai_application(
        &self,
        code: &str,
        fields: &ApplicationFields,
        now: chrono::DateTime<Utc>,
    ) -> Result<bool> {
        if self.ai_application(code).await?.is_some() {
            return Ok(false);
        }
        let actor = "system (installation)";
        let created = match self
            .insert_ai_application(code, fields, Stage::InUse, actor)
            .await
        {
            Ok(created) => created,
            // Another node registered it between the check and the insert.
            Err(StoreError::AiApplicationExists(_)) => return Ok(false),
            Err(err) => return Err(err),
        };
        let review = self
            .open_ai_review(code, ReviewKind::Installation, &[], actor)
            .await?;
        let valid_until = now + chrono::Months::new(12);
        self.decide_ai_review(
            review.id,
            &NewDecision {
                decision: Decision::Approved,
                conditions: String::new(),
                valid_from: now,
                valid_until,
                re_review_on: (valid_until - chrono::Months::new(1)).date_naive(),
            },
            actor,
        )
        .await?;
        tracing::info!(
            code,
            application_id = created.id,
            "registered a built-in AI feature"
        );
        Ok(true)
    }
}

async fn check_category(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    category: &str,
) -> Result<()> {
    let known = sqlx::query("SELECT 1 FROM ai_categories WHERE code = $1")
        .bind(category)
        .fetch_optional(&mut **tx)
        .await?
        .is_some();
    if known {
        Ok(())
    } else {
        Err(StoreError::UnknownAiCategory(category.to_owned()))
    }
}

async fn write_fields(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    code: &str,
    fields: &ApplicationFields,
    now: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE ai_applications SET description = $1, contact = $2, owner = $3, \
         rationale = $4, human_oversight = $5, decision_process = $6, data_description = $7, \
         risks = $8, impact_assessments = $9, legal_basis = $10, supplier = $11, \
         publication_category = $12, model_type = $13, lead_department = $14, priority = $15, \
         genai_filing = $16, updated_at = $17 WHERE code = $18",
    )
    .bind(fields.description.trim())
    .bind(fields.contact.trim())
    .bind(fields.owner.trim())
    .bind(fields.rationale.trim())
    .bind(fields.human_oversight.trim())
    .bind(fields.decision_process.trim())
    .bind(fields.data_description.trim())
    .bind(fields.risks.trim())
    .bind(fields.impact_assessments.trim())
    .bind(fields.legal_basis.trim())
    .bind(fields.supplier.trim())
    .bind(fields.publication_category.as_str())
    .bind(fields.model_type.as_str())
    .bind(fields.lead_department.trim())
    .bind(i64::from(fields.priority))
    .bind(
        fields
            .genai_filing
            .as_deref()
            .map(str::trim)
            .filter(|f| !f.is_empty()),
    )
    .bind(now)
    .bind(code)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Returns the id of the application `code`, or [`StoreError::AiApplicationNotFound`].
pub(crate) async fn application_id<'e, E>(executor: E, code: &str) -> Result<i64>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let row = sqlx::query("SELECT id FROM ai_applications WHERE code = $1")
        .bind(code)
        .fetch_optional(executor)
        .await?
        .ok_or_else(|| StoreError::AiApplicationNotFound(code.to_owned()))?;
    Ok(row.try_get("id")?)
}
