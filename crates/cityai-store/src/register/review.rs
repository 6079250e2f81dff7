//! Ethical review: the expert advisory committee, declared conflicts of interest, review
//! cases and their decisions, and the reviews that are due.
//!
//! A decision is recorded once and never changed; a re-review is a new case whose decision
//! then governs the application. AI-office staff may record a decision on the committee's
//! behalf; the audit trail keeps who recorded it.

use chrono::{DateTime, NaiveDate, Utc};
use cityai_core::time::{from_storage, to_storage};
use serde::Serialize;
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Decision, ReviewKind, Stage, application_id};
use crate::audit::{self, AuditEvent};
use crate::{Result, Store, StoreError};

/// A member of the expert advisory committee.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommitteeMember {
    pub id: i64,
    pub name: String,
    pub expertise: String,
    pub affiliation: String,
    pub active: bool,
    /// The codes of the applications the member declared a conflict with.
    pub conflicts: Vec<Conflict>,
}

/// A declared conflict of interest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Conflict {
    pub application: String,
    pub note: String,
    pub declared_at: String,
}

/// A review case, open or decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Review {
    pub id: i64,
    pub application_id: i64,
    pub kind: ReviewKind,
    /// The committee members on the panel.
    pub panel: Vec<i64>,
    pub decision: Option<Decision>,
    pub conditions: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub valid_from: Option<String>,
    pub valid_until: Option<String>,
    /// The date by which the application is to be reviewed again.
    pub re_review_on: Option<String>,
    pub opened_by: String,
    pub created_at: String,
}

/// A decision to record on a review case.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDecision {
    pub decision: Decision,
    /// Required for [`Decision::ApprovedWithConditions`].
    pub conditions: String,
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
    pub re_review_on: NaiveDate,
}

/// Whether a review is coming due or late.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewDue {
    /// The re-review date is within the horizon.
    Due,
    /// The re-review date passed, or the approval expired.
    Overdue,
}

/// A running application whose review is due or overdue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DueReview {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub stage: Stage,
    pub state: ReviewDue,
    pub re_review_on: Option<String>,
    pub valid_until: Option<String>,
}

const REVIEW_COLUMNS: &str = "id, application_id, kind, panel, decision, conditions, \
     decided_by, decided_at, valid_from, valid_until, re_review_on, opened_by, created_at";

fn review_from_row(row: &AnyRow) -> Result<Review> {
    let panel: String = row.try_get("panel")?;
    let decision: Option<String> = row.try_get("decision")?;
    Ok(Review {
        id: row.try_get("id")?,
        application_id: row.try_get("application_id")?,
        kind: ReviewKind::parse(&row.try_get::<String, _>("kind")?)?,
        panel: serde_json::from_str(&panel).map_err(|_| StoreError::InvalidStoredValue {
            column: "ai_reviews.panel",
            value: panel.clone(),
        })?,
        decision: decision.as_deref().map(Decision::parse).transpose()?,
        conditions: row.try_get("conditions")?,
        decided_by: row.try_get("decided_by")?,
        decided_at: row.try_get("decided_at")?,
        valid_from: row.try_get("valid_from")?,
        valid_until: row.try_get("valid_until")?,
        re_review_on: row.try_get("re_review_on")?,
        opened_by: row.try_get("opened_by")?,
        created_at: row.try_get("created_at")?,
    })
}

impl Store {
    /// Adds a member to the expert advisory committee and returns the id.
    ///
    /// # Errors
    ///
    /// [`StoreError::RegisterRule`] for an empty name or expertise, and
    /// [`StoreError::Database`].
    pub async fn add_committee_member(
        &self,
        name: &str,
        expertise: &str,
        affiliation: &str,
        actor: &str,
    ) -> Result<i64> {
        if name.trim().is_empty() || expertise.trim().is_empty() {
            return Err(StoreError::RegisterRule(
                "a committee member needs a name and an expertise".to_owned(),
            ));
        }
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "INSERT INTO ai_committee_members (name, expertise, affiliation, created_at) \
             VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(name.trim())
        .bind(expertise.trim())
        .bind(affiliation.trim())
        .bind(to_storage(Utc::now()))
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = row.try_get("id")?;
        // The member's name stays out of the audit detail; the id identifies the row.
        audit::append(
            &mut tx,
            &AuditEvent::new(actor, "register.committee_add").target(format!("ai_member:{id}")),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Returns the committee's members with their declared conflicts.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`].
    pub async fn committee_members(&self) -> Result<Vec<CommitteeMember>> {
        let rows = sqlx::query(
            "SELECT id, name, expertise, affiliation, active FROM ai_committee_members ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        let conflicts = sqlx::query(
            "SELECT c.member_id, a.code, c.note, c.declared_at FROM ai_member_conflicts c \
             JOIN ai_applications a ON a.id = c.application_id ORDER BY c.member_id, a.code",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut members = Vec::with_capacity(rows.len());
        for row in &rows {
            let id: i64 = row.try_get("id")?;
            let mut member_conflicts = Vec::new();
            for conflict in &conflicts {
                if conflict.try_get::<i64, _>("member_id")? == id {
                    member_conflicts.push(Conflict {
                        application: conflict.try_get("code")?,
                        note: conflict.try_get("note")?,
                        declared_at: conflict.try_get("declared_at")?,
                    });
                }
            }
            members.push(CommitteeMember {
                id,
                name: row.try_get("name")?,
                expertise: row.try_get("expertise")?,
                affiliation: row.try_get("affiliation")?,
                active: row.try_get::<i64, _>("active")? != 0,
                conflicts: member_conflicts,
            });
        }
        Ok(members)
    }

    /// Records a member's declared conflict of interest with an application.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`] for an unknown member, [`StoreError::AiApplicationNotFound`],
    /// [`StoreError::RegisterRule`] for an empty note or a conflict already declared, and
    /// [`StoreError::Database`].
    pub async fn declare_conflict(
        &self,
        member_id: i64,
        code: &str,
        note: &str,
        actor: &str,
    ) -> Result<()> {
        if note.trim().is_empty() {
            return Err(StoreError::RegisterRule(
                "describe the conflict of interest in the note".to_owned(),
            ));
        }
        let mut tx = self.begin_write().await?;
        let application = application_id(&mut *tx, code).await?;
        member_exists(&mut tx, member_id).await?;
        let inserted = sqlx::query(
            "INSERT INTO ai_member_conflicts (member_id, application_id, note, declared_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (member_id, application_id) DO NOTHING",
        )
        .bind(member_id)
        .bind(application)
        .bind(note.trim())
        .bind(to_storage(Utc::now()))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            return Err(StoreError::RegisterRule(format!(
                "member {member_id} already declared a conflict with {code}"
            )));
        }
        audit::append(
            &mut tx,
            &AuditEvent::new(actor, "register.conflict_declare")
                .target(format!("ai_application:{code}"))
                .detail(json!({"member_id": member_id})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Opens a review case for an application with the members of `panel`. A proposed
    /// application goes under review.
    ///
    /// # Errors
    ///
    /// [`StoreError::AiApplicationNotFound`], [`StoreError::NotFound`] for an unknown member,
    /// [`StoreError::RegisterRule`] when a member declared a conflict with the application or
    /// the application is retired, and [`StoreError::Database`].
    pub async fn open_ai_review(
        &self,
        code: &str,
        kind: ReviewKind,
        panel: &[i64],
        actor: &str,
    ) -> Result<Review> {
        let application = self
            .ai_application(code)
            .await?
            .ok_or_else(|| StoreError::AiApplicationNotFound(code.to_owned()))?;
        if application.stage == Stage::Retired {
            return Err(StoreError::RegisterRule(format!(
                "{code} is retired; register a new application instead of reviewing it"
            )));
        }
        let mut tx = self.begin_write().await?;
        for member in panel {
            member_exists(&mut tx, *member).await?;
            let conflicted = sqlx::query(
                "SELECT 1 FROM ai_member_conflicts WHERE member_id = $1 AND application_id = $2",
            )
            .bind(*member)
            .bind(application.id)
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
            if conflicted {
                return Err(StoreError::RegisterRule(format!(
                    "member {member} declared a conflict of interest with {code} and cannot sit \
                     on its panel; choose another member"
                )));
            }
        }
        let now = to_storage(Utc::now());
        let row = sqlx::query(
            "INSERT INTO ai_reviews (application_id, kind, panel, opened_by, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(application.id)
        .bind(kind.as_str())
        .bind(json!(panel).to_string())
        .bind(actor)
        .bind(&now)
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = row.try_get("id")?;
        if application.stage == Stage::Proposed {
            sqlx::query(
                "UPDATE ai_applications SET stage = 'under_review', updated_at = $1 WHERE id = $2",
            )
            .bind(&now)
            .bind(application.id)
            .execute(&mut *tx)
            .await?;
        }
        audit::append(
            &mut tx,
            &AuditEvent::new(actor, "register.review_open")
                .target(format!("ai_application:{code}"))
                .detail(json!({"review_id": id, "kind": kind, "panel": panel})),
        )
        .await?;
        tx.commit().await?;
        self.gates.clear();
        self.ai_review(id)
            .await?
            .ok_or_else(|| review_not_found(id))
    }

    /// Records the decision on an open review case. The dates are explicit so that a
    /// decision taken earlier can be entered, with the validity it had.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`] for an unknown review, [`StoreError::ReviewDecided`],
    /// [`StoreError::RegisterRule`] for missing conditions or dates out of order, and
    /// [`StoreError::Database`].
    pub async fn decide_ai_review(
        &self,
        id: i64,
        decision: &NewDecision,
        actor: &str,
    ) -> Result<Review> {
        check_decision(decision)?;
        let review = self
            .ai_review(id)
            .await?
            .ok_or_else(|| review_not_found(id))?;
        if review.decision.is_some() {
            return Err(StoreError::ReviewDecided(id));
        }
        let approved = decision.decision != Decision::Rejected;
        let mut tx = self.begin_write().await?;
        let updated = sqlx::query(
            "UPDATE ai_reviews SET decision = $1, conditions = $2, decided_by = $3, \
             decided_at = $4, valid_from = $5, valid_until = $6, re_review_on = $7 \
             WHERE id = $8 AND decision IS NULL",
        )
        .bind(decision.decision.as_str())
        .bind(decision.conditions.trim())
        .bind(actor)
        .bind(to_storage(Utc::now()))
        .bind(approved.then(|| to_storage(decision.valid_from)))
        .bind(approved.then(|| to_storage(decision.valid_until)))
        .bind(approved.then(|| decision.re_review_on.to_string()))
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated == 0 {
            return Err(StoreError::ReviewDecided(id));
        }
        audit::append(
            &mut tx,
            &AuditEvent::new(actor, "register.review_decide")
                .target(format!("ai_review:{id}"))
                .detail(json!({
                    "application_id": review.application_id,
                    "decision": decision.decision,
                    "valid_until": approved.then(|| to_storage(decision.valid_until)),
                    "re_review_on": approved.then(|| decision.re_review_on.to_string()),
                })),
        )
        .await?;
        tx.commit().await?;
        self.gates.clear();
        self.ai_review(id)
            .await?
            .ok_or_else(|| review_not_found(id))
    }

    /// Returns one review case.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`] and [`StoreError::InvalidValue`] for a damaged row.
    pub async fn ai_review(&self, id: i64) -> Result<Option<Review>> {
        let row = sqlx::query(&format!(
            "SELECT {REVIEW_COLUMNS} FROM ai_reviews WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(review_from_row).transpose()
    }

    /// Returns the review cases of an application, newest first.
    ///
    /// # Errors
    ///
    /// [`StoreError::AiApplicationNotFound`] and [`StoreError::Database`].
    pub async fn ai_reviews(&self, code: &str) -> Result<Vec<Review>> {
        let id = application_id(&self.pool, code).await?;
        let rows = sqlx::query(&format!(
            "SELECT {REVIEW_COLUMNS} FROM ai_reviews WHERE application_id = $1 ORDER BY id DESC"
        ))
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(review_from_row).collect()
    }

    /// Returns the latest decided review of an application.
    pub(crate) async fn latest_decision(&self, application_id: i64) -> Result<Option<Review>> {
        let row = sqlx::query(&format!(
            "SELECT {REVIEW_COLUMNS} FROM ai_reviews \
             WHERE application_id = $1 AND decision IS NOT NULL \
             ORDER BY decided_at DESC, id DESC LIMIT 1"
        ))
        .bind(application_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(review_from_row).transpose()
    }

    /// Lists running applications whose re-review date falls within `horizon_days` of
    /// `today` (due) or has passed, or whose approval expired (overdue).
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`].
    pub async fn reviews_due(
        &self,
        now: DateTime<Utc>,
        horizon_days: i64,
    ) -> Result<Vec<DueReview>> {
        let today = now.date_naive();
        let horizon = today + chrono::Duration::days(horizon_days);
        let mut due = Vec::new();
        for application in self.ai_applications().await? {
            if !application.stage.is_running() && application.stage != Stage::Suspended {
                continue;
            }
            let latest = self.latest_decision(application.id).await?;
            let re_review_on = latest.as_ref().and_then(|r| r.re_review_on.clone());
            let valid_until = latest.as_ref().and_then(|r| r.valid_until.clone());
            let expired = valid_until
                .as_deref()
                .and_then(from_storage)
                .is_none_or(|until| until <= now);
            let re_review = re_review_on
                .as_deref()
                .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
            let state = if expired || re_review.is_some_and(|d| d < today) {
                ReviewDue::Overdue
            } else if re_review.is_some_and(|d| d <= horizon) {
                ReviewDue::Due
            } else {
                continue;
            };
            due.push(DueReview {
                code: application.code,
                name_zh: application.fields.name_zh,
                name_en: application.fields.name_en,
                stage: application.stage,
                state,
                re_review_on,
                valid_until,
            });
        }
        due.sort_by(|a, b| a.re_review_on.cmp(&b.re_review_on));
        Ok(due)
    }
}

fn review_not_found(id: i64) -> StoreError {
    StoreError::NotFound {
        what: "review",
        key: id.to_string(),
    }
}

fn check_decision(decision: &NewDecision) -> Result<()> {
    if decision.decision == Decision::ApprovedWithConditions
        && decision.conditions.trim().is_empty()
    {
        return Err(StoreError::RegisterRule(
            "an approval with conditions needs the conditions: write them in conditions".to_owned(),
        ));
    }
    if decision.decision == Decision::Rejected {
        return Ok(());
    }
    if decision.valid_until <= decision.valid_from {
        return Err(StoreError::RegisterRule(format!(
            "valid_until {} is not after valid_from {}: give an end after the start",
            to_storage(decision.valid_until),
            to_storage(decision.valid_from)
        )));
    }
    if decision.re_review_on > decision.valid_until.date_naive() {
        return Err(StoreError::RegisterRule(format!(
            "re_review_on {} is after the approval ends on {}: review it again before then",
            decision.re_review_on,
            decision.valid_until.date_naive()
        )));
    }
    Ok(())
}

async fn member_exists(tx: &mut sqlx::Transaction<'static, sqlx::Any>, id: i64) -> Result<()> {
    let exists = sqlx::query("SELECT 1 FROM ai_committee_members WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .is_some();
    if exists {
        Ok(())
    } else {
        Err(StoreError::NotFound {
            what: "committee member",
            key: id.to_string(),
        })
    }
}
