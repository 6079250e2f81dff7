//! Participation and cost of an application: organisations and their roles, fiscal funds
//! per year, and citizens' feedback, which is stored masked and shown only after moderation.

use chrono::Utc;
use cityai_core::time::to_storage;
use serde::Serialize;
use serde_json::json;
use sqlx::Row;

use super::{FeedbackStatus, OrganisationKind, ParticipantRole, application_id};
use crate::audit::{self, AuditEvent};
use crate::{Result, Store, StoreError};

/// The maximum length of a citizen's feedback, in characters.
pub const MAX_FEEDBACK_CHARS: usize = 2_000;

/// An organisation taking part in the register's applications.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Organisation {
    pub id: i64,
    pub name: String,
    pub kind: OrganisationKind,
}

/// An organisation's role on one application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Participation {
    pub organisation_id: i64,
    pub name: String,
    pub kind: OrganisationKind,
    pub role: ParticipantRole,
}

/// Fiscal funds of one application in one budget year, in yuan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Funds {
    pub year: i32,
    pub budgeted: i64,
    pub allocated: i64,
    pub spent: i64,
}

/// A citizen's feedback on a register entry, with personal data masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Feedback {
    pub id: i64,
    pub application: String,
    pub body: String,
    pub lang: String,
    pub status: FeedbackStatus,
    pub created_at: String,
}

impl Store {
    /// Adds an organisation and returns it.
    ///
    /// # Errors
    ///
    /// [`StoreError::RegisterRule`] for an empty name or one already registered, and
    /// [`StoreError::Database`].
    pub async fn add_ai_organisation(
        &self,
        name: &str,
        kind: OrganisationKind,
        actor: &str,
    ) -> Result<Organisation> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(StoreError::RegisterRule(
                "an organisation needs a name of 1 to 200 characters".to_owned(),
            ));
        }
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "INSERT INTO ai_organisations (name, kind, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO NOTHING RETURNING id",
        )
        .bind(name)
        .bind(kind.as_str())
        .bind(to_storage(Utc::now()))
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| {
            StoreError::RegisterRule(format!("organisation {name:?} is already registered"))
        })?;
        let id: i64 = row.try_get("id")?;
        audit::append(
            &mut tx,
            &AuditEvent::new(actor, "register.organisation_add")
                .target(format!("ai_organisation:{id}"))
                .detail(json!({"kind": kind})),
        )
        .await?;
        tx.commit().await?;
        Ok(Organisation {
            id,
            name: name.to_owned(),
            kind,
        })
    }

    /// Returns every organisation by name.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`].
    pub async fn ai_organisations(&self) -> Result<Vec<Organisation>> {
        let rows = sqlx::query("SELECT id, name, kind FROM ai_organisations ORDER BY name")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(Organisation {
                    id: row.try_get("id")?,
                    name: row.try_get("name")?,
                    kind: OrganisationKind::parse(&row.try_get::<String, _>("kind")?)?,
                })
            })
            .collect()
    }

    /// Gives an organisation a role on an application; giving it again changes nothing.
    ///
    /// # Errors
    ///
    /// [`StoreError::AiApplicationNotFound`], [`StoreError::NotFound`] for an unknown
    /// organisation, and [`StoreError::Database`].
    pub async fn add_ai_participation(
        &self,
        code: &str,
        organisation_id: i64,
        role: ParticipantRole,
        actor: &str,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let application = application_id(&mut *tx, code).await?;
        let known = sqlx::query("SELECT 1 FROM ai_organisations WHERE id = $1")
            .bind(organisation_id)
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
        if !known {
            return Err(StoreError::NotFound {
                what: "organisation",
                key: organisation_id.to_string(),
            });
        }
        sqlx::query(
            "INSERT INTO ai_application_roles (application_id, organisation_id, role) \
             VALUES ($1, $2, $3) ON CONFLICT (application_id, organisation_id, role) DO NOTHING",
        )
        .bind(application)
        .bind(organisation_id)
        .bind(role.as_str())
        .execute(&mut *tx)
        .await?;
        audit::append(
            &mut tx,
            &AuditEvent::new(actor, "register.participation")
                .target(format!("ai_application:{code}"))
                .detail(json!({"organisation_id": organisation_id, "role": role})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Returns the organisations taking part in an application and their roles.
    ///
    /// # Errors
    ///
    /// [`StoreError::AiApplicationNotFound`] and [`StoreError::Database`].
    pub async fn ai_participations(&self, code: &str) -> Result<Vec<Participation>> {
        let id = application_id(&self.pool, code).await?;
        let rows = sqlx::query(
            "SELECT o.id, o.name, o.kind, r.role FROM ai_application_roles r \
             JOIN ai_organisations o ON o.id = r.organisation_id \
             WHERE r.application_id = $1 ORDER BY r.role, o.name",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Participation {
                    organisation_id: row.try_get("id")?,
                    name: row.try_get("name")?,
                    kind: OrganisationKind::parse(&row.try_get::<String, _>("kind")?)?,
                    role: ParticipantRole::parse(&row.try_get::<String, _>("role")?)?,
                })
            })
            .collect()
    }

    /// Sets the funds of an application for one budget year.
    ///
    /// # Errors
    ///
    /// [`StoreError::RegisterRule`] for a year outside 2000 to 2100, a negative amount, or
    /// more allocated than budgeted; [`StoreError::AiApplicationNotFound`]; and
    /// [`StoreError::Database`].
    pub async fn set_ai_funds(&self, code: &str, funds: &Funds, actor: &str) -> Result<()> {
        if !(2000..=2100).contains(&funds.year) {
            return Err(StoreError::RegisterRule(format!(
                "year {} is outside 2000 to 2100: give the budget year",
                funds.year
            )));
        }
        if funds.budgeted < 0 || funds.allocated < 0 || funds.spent < 0 {
            return Err(StoreError::RegisterRule(
                "amounts are whole yuan, 0 or more".to_owned(),
            ));
        }
        if funds.allocated > funds.budgeted {
            return Err(StoreError::RegisterRule(format!(
                "allocated {} is more than budgeted {}: raise the budget first",
                funds.allocated, funds.budgeted
            )));
        }
        let mut tx = self.begin_write().await?;
        let application = application_id(&mut *tx, code).await?;
        sqlx::query(
            "INSERT INTO ai_funds (application_id, year, budgeted, allocated, spent, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (application_id, year) DO UPDATE SET \
             budgeted = excluded.budgeted, allocated = excluded.allocated, \
             spent = excluded.spent, updated_at = excluded.updated_at",
        )
        .bind(application)
        .bind(funds.year)
        .bind(funds.budgeted)
        .bind(funds.allocated)
        .bind(funds.spent)
        .bind(to_storage(Utc::now()))
        .execute(&mut *tx)
        .await?;
        audit::append(
            &mut tx,
            &AuditEvent::new(actor, "register.funds")
                .target(format!("ai_application:{code}"))
                .detail(json!(funds)),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Returns an application's funds, newest year first.
    ///
    /// # Errors
    ///
    /// [`StoreError::AiApplicationNotFound`] and [`StoreError::Database`].
    pub async fn ai_funds(&self, code: &str) -> Result<Vec<Funds>> {
        let id = application_id(&self.pool, code).await?;
        let rows = sqlx::query(
            "SELECT year, budgeted, allocated, spent FROM ai_funds WHERE application_id = $1 \
             ORDER BY year DESC",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Funds {
                    year: row.try_get::<i64, _>("year")? as i32,
                    budgeted: row.try_get("budgeted")?,
                    allocated: row.try_get("allocated")?,
                    spent: row.try_get("spent")?,
                })
            })
            .collect()
    }

    /// Stores a citizen's feedback on an application, masked, awaiting moderation. Returns
    /// the feedback's id.
    ///
    /// # Errors
    ///
    /// [`StoreError::RegisterRule`] for empty or too long text,
    /// [`StoreError::AiApplicationNotFound`], and [`StoreError::Database`].
    pub async fn add_ai_feedback(&self, code: &str, body: &str, lang: &str) -> Result<i64> {
        let body = body.trim();
        let chars = body.chars().count();
        if chars == 0 || chars > MAX_FEEDBACK_CHARS {
            return Err(StoreError::RegisterRule(format!(
                "the feedback has {chars} characters: write 1 to {MAX_FEEDBACK_CHARS}"
            )));
        }
        let masked = cityai_text::pii::mask_text(body);
        let mut tx = self.begin_write().await?;
        let application = application_id(&mut *tx, code).await?;
        let row = sqlx::query(
            "INSERT INTO ai_feedback (application_id, body, lang, created_at) \
             VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(application)
        .bind(&masked)
        .bind(lang)
        .bind(to_storage(Utc::now()))
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = row.try_get("id")?;
        audit::append(
            &mut tx,
            &AuditEvent::new("public", "register.feedback")
                .target(format!("ai_application:{code}"))
                .detail(json!({"feedback_id": id})),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Publishes or rejects a feedback awaiting moderation.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`] for an unknown feedback, [`StoreError::RegisterRule`] when it
    /// was already moderated, and [`StoreError::Database`].
    pub async fn moderate_ai_feedback(&self, id: i64, publish: bool, actor: &str) -> Result<()> {
        let status = if publish {
            FeedbackStatus::Published
        } else {
            FeedbackStatus::Rejected
        };
        let mut tx = self.begin_write().await?;
        let current = sqlx::query("SELECT status FROM ai_feedback WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: "feedback",
                key: id.to_string(),
            })?;
        if current.try_get::<String, _>("status")? != "pending" {
            return Err(StoreError::RegisterRule(format!(
                "feedback {id} was already moderated"
            )));
        }
        sqlx::query(
            "UPDATE ai_feedback SET status = $1, moderated_by = $2, moderated_at = $3 \
             WHERE id = $4",
        )
        .bind(status.as_str())
        .bind(actor)
        .bind(to_storage(Utc::now()))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        audit::append(
            &mut tx,
            &AuditEvent::new(actor, "register.feedback_moderate")
                .target(format!("ai_feedback:{id}"))
                .detail(json!({"status": status})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Returns feedback on an application, or on every application when `code` is `None`,
    /// newest first, with only the given status when `status` is set.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`].
    pub async fn ai_feedback(
        &self,
        code: Option<&str>,
        status: Option<FeedbackStatus>,
        limit: i64,
    ) -> Result<Vec<Feedback>> {
        let rows = sqlx::query(
            "SELECT f.id, a.code, f.body, f.lang, f.status, f.created_at FROM ai_feedback f \
             JOIN ai_applications a ON a.id = f.application_id \
             WHERE ($1 IS NULL OR a.code = $1) AND ($2 IS NULL OR f.status = $2) \
             ORDER BY f.id DESC LIMIT $3",
        )
        .bind(code)
        .bind(status.map(FeedbackStatus::as_str))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Feedback {
                    id: row.try_get("id")?,
                    application: row.try_get("code")?,
                    body: row.try_get("body")?,
                    lang: row.try_get("lang")?,
                    status: FeedbackStatus::parse(&row.try_get::<String, _>("status")?)?,
                    created_at: row.try_get("created_at")?,
                })
            })
            .collect()
    }
}
