//! Education and AI literacy: programmes, courses, sessions, enrolments per department, and
//! training coverage.

use chrono::Utc;
use cityai_core::framework::ProgrammeLevel;
use cityai_core::time::to_storage;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;

use super::stored;
use crate::audit::{self, AuditEvent};
use crate::{Result, Store};

/// An education programme to store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewProgramme {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub level: ProgrammeLevel,
    /// The partner organisation, such as a university; empty when none.
    #[serde(default)]
    pub partner: String,
}

/// A stored programme.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Programme {
    pub id: i64,
    #[serde(flatten)]
    pub programme: NewProgramme,
}

/// A course to store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCourse {
    pub programme_id: i64,
    pub code: String,
    pub title_zh: String,
    pub title_en: String,
    pub hours: f64,
    /// The register entry whose system the course trains business staff to use.
    #[serde(default)]
    pub application_id: Option<i64>,
}

/// A stored course.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Course {
    pub id: i64,
    #[serde(flatten)]
    pub course: NewCourse,
}

/// A course session to store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewSession {
    pub course_id: i64,
    /// City-local start date.
    pub starts_on: chrono::NaiveDate,
    #[serde(default)]
    pub place: String,
}

/// A stored session.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CourseSession {
    pub id: i64,
    #[serde(flatten)]
    pub session: NewSession,
}

/// Enrolments and completions of one department in one session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Enrolment {
    pub session_id: i64,
    pub department_code: String,
    pub enrolled: i64,
    pub completed: i64,
}

/// Training coverage of one department.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DepartmentCoverage {
    pub department_code: String,
    pub department_name: String,
    /// Staff of the department, when recorded.
    pub staff: Option<i64>,
    pub enrolled: i64,
    pub completed: i64,
    /// Completions per staff member, capped at 1; `None` without a staff figure.
    ///
    /// NOTE: enrolments are counted per department, not per person, so a person who
    /// completes two courses counts twice and coverage can overstate reach.
    pub coverage: Option<f64>,
}

/// The reach of the programmes of one level.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LevelReach {
    pub level: ProgrammeLevel,
    pub programmes: i64,
    pub courses: i64,
    pub sessions: i64,
    pub enrolled: i64,
    pub completed: i64,
}

impl Store {
    /// Stores a programme and returns its id.
    ///
    /// # Errors
    ///
    /// [`crate::StoreError::FrameworkDuplicate`] when the code is taken, [`crate::StoreError::Database`].
    pub async fn insert_programme(&self, new: &NewProgramme, actor: &str) -> Result<i64> {
        let now = to_storage(Utc::now());
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "INSERT INTO ai_programmes (code, name_zh, name_en, level, partner, created_at, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
        )
        .bind(&new.code)
        .bind(&new.name_zh)
        .bind(&new.name_en)
        .bind(new.level.as_str())
        .bind(&new.partner)
        .bind(&now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|err| super::inventory::duplicate_or(err, "programme", &new.code))?;
        let id: i64 = row.try_get("id")?;
        audit::append(
            &mut tx,
            &AuditEvent::new(actor, "framework.programme.create")
                .target(format!("ai_programme:{id}"))
                .detail(json!({ "code": new.code, "level": new.level })),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Returns every programme by level and code.
    ///
    /// # Errors
    ///
    /// [`crate::StoreError::Database`] and [`crate::StoreError::InvalidStoredValue`].
    pub async fn programmes(&self) -> Result<Vec<Programme>> {
        let rows = sqlx::query(
            "SELECT id, code, name_zh, name_en, level, partner FROM ai_programmes ORDER BY code",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut programmes: Vec<Programme> = rows
            .iter()
            .map(|row| {
                Ok(Programme {
                    id: row.try_get("id")?,
                    programme: NewProgramme {
                        code: row.try_get("code")?,
                        name_zh: row.try_get("name_zh")?,
                        name_en: row.try_get("name_en")?,
                        level: stored(row, "level", ProgrammeLevel::parse)?,
                        partner: row.try_get("partner")?,
                    },
                })
            })
            .collect::<Result<_>>()?;
        programmes.sort_by_key(|p| p.programme.level);
        Ok(programmes)
    }

    /// Stores a course and returns its id.
    ///
    /// # Errors
    ///
    /// [`crate::StoreError::FrameworkNotFound`] for an unknown programme or application,
    /// [`crate::StoreError::FrameworkDuplicate`] when the code is taken, [`crate::StoreError::Database`].
    pub async fn insert_course(&self, new: &NewCourse, actor: &str) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        self.framework_exists(
            &mut tx,
            "ai_programmes",
            "id",
            &new.programme_id.to_string(),
            "programme",
        )
        .await?;
        if let Some(application) = new.application_id {
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
            "INSERT INTO ai_courses (programme_id, code, title_zh, title_en, hours, \
             application_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(new.programme_id)
        .bind(&new.code)
        .bind(&new.title_zh)
        .bind(&new.title_en)
        .bind(new.hours)
        .bind(new.application_id)
        .bind(to_storage(Utc::now()))
        .fetch_one(&mut *tx)
        .await
        .map_err(|err| super::inventory::duplicate_or(err, "course", &new.code))?;
        let id: i64 = row.try_get("id")?;
        audit::append(
            &mut tx,
            &AuditEvent::new(actor, "framework.course.create")
                .target(format!("ai_course:{id}"))
                .detail(json!({ "code": new.code, "programme_id": new.programme_id })),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Returns every course by code.
    ///
    /// # Errors
    ///
    /// [`crate::StoreError::Database`].
    pub async fn courses(&self) -> Result<Vec<Course>> {
        let rows = sqlx::query(
            "SELECT id, programme_id, code, title_zh, title_en, hours, application_id \
             FROM ai_courses ORDER BY code",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Course {
                    id: row.try_get("id")?,
                    course: NewCourse {
                        programme_id: row.try_get("programme_id")?,
                        code: row.try_get("code")?,
                        title_zh: row.try_get("title_zh")?,
                        title_en: row.try_get("title_en")?,
                        hours: row.try_get("hours")?,
                        application_id: row.try_get("application_id")?,
                    },
                })
            })
            .collect()
    }

    /// Stores a course session and returns its id.
    ///
    /// # Errors
    ///
    /// [`crate::StoreError::FrameworkNotFound`] for an unknown course, [`crate::StoreError::Database`].
    pub async fn insert_session(&self, new: &NewSession, actor: &str) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        self.framework_exists(
            &mut tx,
            "ai_courses",
            "id",
            &new.course_id.to_string(),
            "course",
        )
        .await?;
        let row = sqlx::query(
            "INSERT INTO ai_course_sessions (course_id, starts_on, place, created_at) \
             VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(new.course_id)
        .bind(new.starts_on.format("%Y-%m-%d").to_string())
        .bind(&new.place)
        .bind(to_storage(Utc::now()))
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = row.try_get("id")?;
        audit::append(
            &mut tx,
            &AuditEvent::new(actor, "framework.session.create")
                .target(format!("ai_session:{id}"))
                .detail(json!({ "course_id": new.course_id })),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Returns every session by start date.
    ///
    /// # Errors
    ///
    /// [`crate::StoreError::Database`] and [`crate::StoreError::InvalidStoredValue`].
    pub async fn sessions(&self) -> Result<Vec<CourseSession>> {
        let rows = sqlx::query(
            "SELECT id, course_id, starts_on, place FROM ai_course_sessions ORDER BY starts_on, id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(CourseSession {
                    id: row.try_get("id")?,
                    session: NewSession {
                        course_id: row.try_get("course_id")?,
                        starts_on: stored(row, "starts_on", |text| {
                            chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
                        })?,
                        place: row.try_get("place")?,
                    },
                })
            })
            .collect()
    }

    /// Records a department's enrolments and completions in a session, replacing earlier
    /// figures of the same pair.
    ///
    /// # Errors
    ///
    /// [`crate::StoreError::FrameworkNotFound`] for an unknown session or department,
    /// [`crate::StoreError::Database`] (also for completions above enrolments).
    pub async fn record_enrolment(&self, enrolment: &Enrolment, actor: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        self.framework_exists(
            &mut tx,
            "ai_course_sessions",
            "id",
            &enrolment.session_id.to_string(),
            "session",
        )
        .await?;
        self.framework_exists(
            &mut tx,
            "departments",
            "code",
            &enrolment.department_code,
            "department",
        )
        .await?;
        sqlx::query(
            "INSERT INTO ai_enrolments (session_id, department_code, enrolled, completed, \
             updated_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (session_id, department_code) \
             DO UPDATE SET enrolled = excluded.enrolled, completed = excluded.completed, \
             updated_at = excluded.updated_at",
        )
        .bind(enrolment.session_id)
        .bind(&enrolment.department_code)
        .bind(enrolment.enrolled)
        .bind(enrolment.completed)
        .bind(to_storage(Utc::now()))
        .execute(&mut *tx)
        .await?;
        audit::append(
            &mut tx,
            &AuditEvent::new(actor, "framework.enrolment.record")
                .target(format!("ai_session:{}", enrolment.session_id))
                .detail(json!({
                    "department": enrolment.department_code,
                    "enrolled": enrolment.enrolled,
                    "completed": enrolment.completed,
                })),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Returns every enrolment record by session and department.
    ///
    /// # Errors
    ///
    /// [`crate::StoreError::Database`].
    pub async fn enrolments(&self) -> Result<Vec<Enrolment>> {
        let rows = sqlx::query(
            "SELECT session_id, department_code, enrolled, completed FROM ai_enrolments \
             ORDER BY session_id, department_code",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Enrolment {
                    session_id: row.try_get("session_id")?,
                    department_code: row.try_get("department_code")?,
                    enrolled: row.try_get("enrolled")?,
                    completed: row.try_get("completed")?,
                })
            })
            .collect()
    }

    /// Sets a department's staff count, the denominator of its coverage.
    ///
    /// # Errors
    ///
    /// [`crate::StoreError::FrameworkNotFound`] for an unknown department, [`crate::StoreError::Database`]
    /// (also for a count below 1).
    pub async fn set_department_staff(
        &self,
        department: &str,
        staff: i64,
        actor: &str,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        self.framework_exists(&mut tx, "departments", "code", department, "department")
            .await?;
        sqlx::query(
            "INSERT INTO ai_department_staff (department_code, staff, updated_at) \
             VALUES ($1, $2, $3) ON CONFLICT (department_code) DO UPDATE SET \
             staff = excluded.staff, updated_at = excluded.updated_at",
        )
        .bind(department)
        .bind(staff)
        .bind(to_storage(Utc::now()))
        .execute(&mut *tx)
        .await?;
        audit::append(
            &mut tx,
            &AuditEvent::new(actor, "framework.staff.set")
                .target(format!("department:{department}"))
                .detail(json!({ "staff": staff })),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Returns the training coverage of every department with staff or enrolments, or of
    /// `department` only, by department code.
    ///
    /// # Errors
    ///
    /// [`crate::StoreError::Database`].
    pub async fn education_coverage(
        &self,
        department: Option<&str>,
    ) -> Result<Vec<DepartmentCoverage>> {
        let rows = sqlx::query(
            "SELECT d.code, d.name, s.staff, \
             CAST(COALESCE((SELECT SUM(e.enrolled) FROM ai_enrolments e WHERE e.department_code = d.code), 0) AS BIGINT) AS enrolled, \
             CAST(COALESCE((SELECT SUM(e.completed) FROM ai_enrolments e WHERE e.department_code = d.code), 0) AS BIGINT) AS completed \
             FROM departments d LEFT JOIN ai_department_staff s ON s.department_code = d.code \
             WHERE (CAST($1 AS TEXT) IS NULL OR d.code = $1) \
             AND (s.staff IS NOT NULL OR EXISTS (SELECT 1 FROM ai_enrolments e WHERE e.department_code = d.code)) \
             ORDER BY d.code",
        )
        .bind(department)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let staff: Option<i64> = row.try_get("staff")?;
                let completed: i64 = row.try_get("completed")?;
                Ok(DepartmentCoverage {
                    department_code: row.try_get("code")?,
                    department_name: row.try_get("name")?,
                    staff,
                    enrolled: row.try_get("enrolled")?,
                    completed,
                    coverage: staff
                        .filter(|staff| *staff > 0)
                        .map(|staff| (completed as f64 / staff as f64).min(1.0)),
                })
            })
            .collect()
    }

    /// Returns programmes, courses, sessions, enrolments and completions per level, for
    /// every level including those without programmes.
    ///
    /// # Errors
    ///
    /// [`crate::StoreError::Database`].
    pub async fn programme_reach(&self) -> Result<Vec<LevelReach>> {
        let rows = sqlx::query(
            "SELECT p.level, COUNT(DISTINCT p.id) AS programmes, COUNT(DISTINCT c.id) AS courses, \
             COUNT(DISTINCT s.id) AS sessions FROM ai_programmes p \
             LEFT JOIN ai_courses c ON c.programme_id = p.id \
             LEFT JOIN ai_course_sessions s ON s.course_id = c.id GROUP BY p.level",
        )
        .fetch_all(&self.pool)
        .await?;
        let people = sqlx::query(
            "SELECT p.level, CAST(COALESCE(SUM(e.enrolled), 0) AS BIGINT) AS enrolled, \
             CAST(COALESCE(SUM(e.completed), 0) AS BIGINT) AS completed FROM ai_enrolments e \
             JOIN ai_course_sessions s ON s.id = e.session_id \
             JOIN ai_courses c ON c.id = s.course_id \
             JOIN ai_programmes p ON p.id = c.programme_id GROUP BY p.level",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut reach: Vec<LevelReach> = ProgrammeLevel::ALL
            .iter()
            .map(|level| LevelReach {
                level: *level,
                programmes: 0,
                courses: 0,
                sessions: 0,
                enrolled: 0,
                completed: 0,
            })
            .collect();
        for row in &rows {
            let level = stored(row, "level", ProgrammeLevel::parse)?;
            if let Some(entry) = reach.iter_mut().find(|r| r.level == level) {
                entry.programmes = row.try_get("programmes")?;
                entry.courses = row.try_get("courses")?;
                entry.sessions = row.try_get("sessions")?;
            }
        }
        for row in &people {
            let level = stored(row, "level", ProgrammeLevel::parse)?;
            if let Some(entry) = reach.iter_mut().find(|r| r.level == level) {
                entry.enrolled = row.try_get("enrolled")?;
                entry.completed = row.try_get("completed")?;
            }
        }
        Ok(reach)
    }
}
