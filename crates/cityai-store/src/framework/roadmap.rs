//! The roadmap's phases and milestones, saved ROI scenarios, and the counts and live
//! figures that progress, measured ROI and the key metrics read.

use chrono::{DateTime, NaiveDate, Utc};
use cityai_core::framework::{MilestoneMeasure, MilestoneStatus, RoadmapPhase};
use cityai_core::time::{from_storage, to_storage};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::stored;
use crate::audit::{self, AuditEvent};
use crate::{Result, Store, StoreError};

/// A roadmap phase.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Phase {
    pub code: RoadmapPhase,
    pub ordinal: i64,
    pub name_zh: String,
    pub name_en: String,
}

/// A milestone to store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewMilestone {
    pub phase: RoadmapPhase,
    pub title_zh: String,
    pub title_en: String,
    pub owner: String,
    /// City-local due date.
    pub due_on: NaiveDate,
    #[serde(default = "planned")]
    pub status: MilestoneStatus,
    pub measure: MilestoneMeasure,
    /// The count that completes a counted measure; required unless the measure is manual.
    #[serde(default)]
    pub target: Option<i64>,
    /// Progress of a manual measure, 0 to 1.
    #[serde(default)]
    pub manual_progress: f64,
}

fn planned() -> MilestoneStatus {
    MilestoneStatus::Planned
}

/// A stored milestone.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Milestone {
    pub id: i64,
    #[serde(flatten)]
    pub milestone: NewMilestone,
}

/// A change of a milestone's status and, for manual measures, its progress.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MilestoneUpdate {
    pub status: MilestoneStatus,
    #[serde(default)]
    pub manual_progress: Option<f64>,
}

/// The store's counts of the items each counted measure tracks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct MeasureCounts {
    /// Register entries at the pilot stage or in use.
    pub pilots: i64,
    pub applications_in_use: i64,
    pub datasets: i64,
    pub models: i64,
    pub programmes: i64,
    pub completions: i64,
}

impl MeasureCounts {
    /// Returns the count a measure reads; 0 for a manual measure.
    pub fn of(&self, measure: MilestoneMeasure) -> i64 {
        match measure {
            MilestoneMeasure::Manual => 0,
            MilestoneMeasure::Pilots => self.pilots,
            MilestoneMeasure::ApplicationsInUse => self.applications_in_use,
            MilestoneMeasure::Datasets => self.datasets,
            MilestoneMeasure::Models => self.models,
            MilestoneMeasure::Programmes => self.programmes,
            MilestoneMeasure::Completions => self.completions,
        }
    }
}

/// A saved ROI scenario; its inputs are the calculator's JSON object.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoiScenario {
    pub id: i64,
    pub name: String,
    pub application_id: Option<i64>,
    pub inputs: serde_json::Value,
    pub created_by: String,
    pub created_at: String,
}

/// How long one replied request took from submission (or receipt) to its first reply.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct HandlingSample {
    pub minutes: f64,
    /// Whether the router assigned the request without a person.
    pub auto_assigned: bool,
}

fn milestone_from_row(row: &AnyRow) -> Result<Milestone> {
    Ok(Milestone {
        id: row.try_get("id")?,
        milestone: NewMilestone {
            phase: stored(row, "phase_code", RoadmapPhase::parse)?,
            title_zh: row.try_get("title_zh")?,
            title_en: row.try_get("title_en")?,
            owner: row.try_get("owner")?,
            due_on: stored(row, "due_on", |text| {
                NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
            })?,
            status: stored(row, "status", MilestoneStatus::parse)?,
            measure: stored(row, "measure", MilestoneMeasure::parse)?,
            target: row.try_get("target")?,
            manual_progress: row.try_get("manual_progress")?,
        },
    })
}

const MILESTONE_COLUMNS: &str = "m.id, m.phase_code, m.title_zh, m.title_en, m.owner, m.due_on, \
     m.status, m.measure, m.target, m.manual_progress";

impl Store {
    /// Returns the four roadmap phases in order.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`] and [`StoreError::InvalidStoredValue`].
    pub async fn roadmap_phases(&self) -> Result<Vec<Phase>> {
        let rows = sqlx::query(
            "SELECT code, ordinal, name_zh, name_en FROM ai_roadmap_phases ORDER BY ordinal",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Phase {
                    code: stored(row, "code", RoadmapPhase::parse)?,
                    ordinal: row.try_get("ordinal")?,
                    name_zh: row.try_get("name_zh")?,
                    name_en: row.try_get("name_en")?,
                })
            })
            .collect()
    }

    /// Stores a milestone and returns its id.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`], also when a counted measure has no target.
    pub async fn insert_milestone(&self, new: &NewMilestone, actor: &str) -> Result<i64> {
        let now = to_storage(Utc::now());
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "INSERT INTO ai_milestones (phase_code, title_zh, title_en, owner, due_on, status, \
             measure, target, manual_progress, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id",
        )
        .bind(new.phase.as_str())
        .bind(&new.title_zh)
        .bind(&new.title_en)
        .bind(&new.owner)
        .bind(new.due_on.format("%Y-%m-%d").to_string())
        .bind(new.status.as_str())
        .bind(new.measure.as_str())
        .bind(new.target)
        .bind(new.manual_progress)
        .bind(&now)
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = row.try_get("id")?;
        audit::append(
            &mut tx,
            &AuditEvent::new(actor, "framework.milestone.create")
                .target(format!("ai_milestone:{id}"))
                .detail(
                    json!({ "phase": new.phase, "measure": new.measure, "target": new.target }),
                ),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Changes a milestone's status and, when given, its manual progress.
    ///
    /// # Errors
    ///
    /// [`StoreError::FrameworkNotFound`] for an unknown milestone, [`StoreError::Database`].
    pub async fn update_milestone(
        &self,
        id: i64,
        update: &MilestoneUpdate,
        actor: &str,
    ) -> Result<Milestone> {
        let mut tx = self.begin_write().await?;
        let updated = sqlx::query(
            "UPDATE ai_milestones SET status = $1, \
             manual_progress = COALESCE($2, manual_progress), updated_at = $3 WHERE id = $4",
        )
        .bind(update.status.as_str())
        .bind(update.manual_progress)
        .bind(to_storage(Utc::now()))
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated == 0 {
            return Err(StoreError::FrameworkNotFound {
                kind: "milestone",
                key: id.to_string(),
            });
        }
        audit::append(
            &mut tx,
            &AuditEvent::new(actor, "framework.milestone.update")
                .target(format!("ai_milestone:{id}"))
                .detail(
                    json!({ "status": update.status, "manual_progress": update.manual_progress }),
                ),
        )
        .await?;
        let row = sqlx::query(&format!(
            "SELECT {MILESTONE_COLUMNS} FROM ai_milestones m WHERE m.id = $1"
        ))
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        let milestone = milestone_from_row(&row)?;
        tx.commit().await?;
        Ok(milestone)
    }

    /// Returns every milestone by phase and due date.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`] and [`StoreError::InvalidStoredValue`].
    pub async fn milestones(&self) -> Result<Vec<Milestone>> {
        let rows = sqlx::query(&format!(
            "SELECT {MILESTONE_COLUMNS} FROM ai_milestones m \
             JOIN ai_roadmap_phases p ON p.code = m.phase_code ORDER BY p.ordinal, m.due_on, m.id"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(milestone_from_row).collect()
    }

    /// Counts the items that counted milestone measures track.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`].
    pub async fn measure_counts(&self) -> Result<MeasureCounts> {
        let row = sqlx::query(
            "SELECT \
             (SELECT COUNT(*) FROM ai_applications WHERE stage IN ('pilot', 'in_use')) AS pilots, \
             (SELECT COUNT(*) FROM ai_applications WHERE stage = 'in_use') AS in_use, \
             (SELECT COUNT(*) FROM ai_datasets) AS datasets, \
             (SELECT COUNT(*) FROM ai_models) AS models, \
             (SELECT COUNT(*) FROM ai_programmes) AS programmes, \
             (SELECT CAST(COALESCE(SUM(completed), 0) AS BIGINT) FROM ai_enrolments) AS completions",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(MeasureCounts {
            pilots: row.try_get("pilots")?,
            applications_in_use: row.try_get("in_use")?,
            datasets: row.try_get("datasets")?,
            models: row.try_get("models")?,
            programmes: row.try_get("programmes")?,
            completions: row.try_get("completions")?,
        })
    }

    /// Saves an ROI scenario and returns its id.
    ///
    /// # Errors
    ///
    /// [`StoreError::FrameworkNotFound`] for an unknown application, [`StoreError::Database`].
    pub async fn insert_roi_scenario(
        &self,
        name: &str,
        application_id: Option<i64>,
        inputs: &serde_json::Value,
        actor: &str,
    ) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        if let Some(application) = application_id {
            self.framework_exists(
                &mut tx,
                "ai_applications",
                "id",
                &application.to_string(),
                "application",
            )
            .await?;
        }
        let row = sqlx::query(
            "INSERT INTO ai_roi_scenarios (name, application_id, inputs, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(name)
        .bind(application_id)
        .bind(inputs.to_string())
        .bind(actor)
        .bind(to_storage(Utc::now()))
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = row.try_get("id")?;
        audit::append(
            &mut tx,
            &AuditEvent::new(actor, "framework.roi.save")
                .target(format!("ai_roi_scenario:{id}"))
                .detail(json!({ "application_id": application_id })),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Returns every saved ROI scenario, newest first.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`] and [`StoreError::InvalidStoredValue`].
    pub async fn roi_scenarios(&self) -> Result<Vec<RoiScenario>> {
        let rows = sqlx::query(
            "SELECT id, name, application_id, inputs, created_by, created_at \
             FROM ai_roi_scenarios ORDER BY id DESC",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let inputs: String = row.try_get("inputs")?;
                Ok(RoiScenario {
                    id: row.try_get("id")?,
                    name: row.try_get("name")?,
                    application_id: row.try_get("application_id")?,
                    inputs: serde_json::from_str(&inputs).map_err(|_| {
                        StoreError::InvalidStoredValue {
                            column: "inputs",
                            value: inputs.clone(),
                        }
                    })?,
                    created_by: row.try_get("created_by")?,
                    created_at: row.try_get("created_at")?,
                })
            })
            .collect()
    }

    /// Counts requests submitted (or, without a submission time, received) from `since`.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`].
    pub async fn requests_since(&self, since: DateTime<Utc>) -> Result<i64> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM requests WHERE COALESCE(submitted_at, received_at) >= $1",
        )
        .bind(to_storage(since))
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get("n")?)
    }

    /// Counts routing decisions made from `since`, and those that assigned the request
    /// automatically.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`].
    pub async fn routing_decisions_since(&self, since: DateTime<Utc>) -> Result<(i64, i64)> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(auto_assigned), 0) AS BIGINT) AS auto \
             FROM routing_decisions WHERE created_at >= $1",
        )
        .bind(to_storage(since))
        .fetch_one(&self.pool)
        .await?;
        Ok((row.try_get("n")?, row.try_get("auto")?))
    }

    /// Returns the handling time of every request submitted from `since` that has a reply:
    /// minutes from submission (or receipt) to the first reply, the same two events that
    /// open and close its timeline, and whether its first routing decision assigned it
    /// automatically.
    ///
    /// Requests whose reply is dated before their submission, a defect of some imported
    /// sources, are left out.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`].
    pub async fn handling_samples(&self, since: DateTime<Utc>) -> Result<Vec<HandlingSample>> {
        let rows = sqlx::query(
            "SELECT COALESCE(r.submitted_at, r.received_at) AS started, \
             (SELECT MIN(p.replied_at) FROM replies p WHERE p.request_id = r.id) AS replied, \
             (SELECT d.auto_assigned FROM routing_decisions d WHERE d.request_id = r.id \
              ORDER BY d.id LIMIT 1) AS auto_assigned \
             FROM requests r WHERE COALESCE(r.submitted_at, r.received_at) >= $1 \
             AND EXISTS (SELECT 1 FROM replies p WHERE p.request_id = r.id)",
        )
        .bind(to_storage(since))
        .fetch_all(&self.pool)
        .await?;
        let mut samples = Vec::with_capacity(rows.len());
        for row in &rows {
            let started: String = row.try_get("started")?;
            let replied: Option<String> = row.try_get("replied")?;
            let auto: Option<i64> = row.try_get("auto_assigned")?;
            let (Some(started), Some(replied)) = (
                from_storage(&started),
                replied.as_deref().and_then(from_storage),
            ) else {
                continue;
            };
            let minutes = (replied - started).num_seconds() as f64 / 60.0;
            if minutes >= 0.0 {
                samples.push(HandlingSample {
                    minutes,
                    auto_assigned: auto == Some(1),
                });
            }
        }
        Ok(samples)
    }

    /// Returns the distinct organisations engaged in the framework, by name: programme
    /// partners, dataset owners, model IP owners and departments with enrolments.
    ///
    /// NOTE: once the register records the organisations of each application, add them to
    /// the union here.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`].
    pub async fn framework_stakeholders(&self) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT name FROM ( \
             SELECT partner AS name FROM ai_programmes WHERE partner <> '' \
             UNION SELECT owner AS name FROM ai_datasets \
             UNION SELECT ip_owner AS name FROM ai_models \
             UNION SELECT d.name AS name FROM departments d \
             WHERE d.code IN (SELECT department_code FROM ai_enrolments) \
             ) AS organisations ORDER BY name",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|row| Ok(row.try_get("name")?)).collect()
    }

    /// Counts register entries per category and stage, by category then stage.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`].
    pub async fn application_counts(&self) -> Result<Vec<(String, String, i64)>> {
        let rows = sqlx::query(
            "SELECT category, stage, COUNT(*) AS n FROM ai_applications \
             GROUP BY category, stage ORDER BY category, stage",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get("category")?,
                    row.try_get("stage")?,
                    row.try_get("n")?,
                ))
            })
            .collect()
    }
}
