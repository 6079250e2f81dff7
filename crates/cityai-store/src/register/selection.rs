//! Selection of applications: weighted criteria, scores from several scorers, the ranked
//! list, and the approved scenario list of each year.
//!
//! An application's weighted score weights the mean score on each active criterion (over
//! its scorers) by the criterion's weight. The sum is divided by the weights of the criteria
//! it was scored on, so it stays on the 0 to 5 scale of the scores.

use std::collections::HashMap;

use chrono::Utc;
use cityai_core::time::to_storage;
use serde::Serialize;
use serde_json::json;
use sqlx::Row;

use super::{Stage, application_id, check_code};
use crate::audit::{self, AuditEvent};
use crate::{Result, Store, StoreError};

/// A selection criterion.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Criterion {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub weight: f64,
    pub active: bool,
}

/// One scorer's score on one criterion.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Score {
    pub application: String,
    pub criterion: String,
    pub scorer: String,
    pub score: f64,
    pub note: String,
    pub scored_at: String,
}

/// An application's place in the ranked list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RankedApplication {
    pub rank: usize,
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub stage: Stage,
    pub weighted_score: f64,
    /// The mean score on each criterion scored, by criterion code.
    pub criteria: HashMap<String, f64>,
    /// How many of the active criteria were scored at all.
    pub criteria_scored: usize,
    pub scorers: usize,
}

/// One entry of a year's approved scenario list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApprovedEntry {
    pub year: i32,
    pub rank: i64,
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub weighted_score: Option<f64>,
    pub approved_by: String,
    pub approved_at: String,
}

/// An application's entry with its scores by criterion and its scorers, while ranking.
type Collected = (RankedApplication, HashMap<String, Vec<f64>>, Vec<String>);

impl Store {
    /// Returns every criterion, active ones first.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`].
    pub async fn ai_criteria(&self) -> Result<Vec<Criterion>> {
        let rows = sqlx::query(
            "SELECT code, name_zh, name_en, weight, active FROM ai_criteria \
             ORDER BY active DESC, weight DESC, code",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Criterion {
                    code: row.try_get("code")?,
                    name_zh: row.try_get("name_zh")?,
                    name_en: row.try_get("name_en")?,
                    weight: row.try_get("weight")?,
                    active: row.try_get::<i64, _>("active")? != 0,
                })
            })
            .collect()
    }

    /// Adds a criterion or changes the names, weight and activity of an existing one.
    ///
    /// # Errors
    ///
    /// [`StoreError::RegisterRule`] for an invalid code, a missing name or a weight that is
    /// not above 0, and [`StoreError::Database`].
    pub async fn upsert_ai_criterion(&self, criterion: &Criterion, actor: &str) -> Result<()> {
        check_code(&criterion.code)?;
        if criterion.name_zh.trim().is_empty() || criterion.name_en.trim().is_empty() {
            return Err(StoreError::RegisterRule(
                "a criterion needs a Chinese and an English name".to_owned(),
            ));
        }
        if !(criterion.weight.is_finite() && criterion.weight > 0.0 && criterion.weight <= 100.0) {
            return Err(StoreError::RegisterRule(format!(
                "weight {} is invalid: give a number above 0 and at most 100",
                criterion.weight
            )));
        }
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO ai_criteria (code, name_zh, name_en, weight, active) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (code) DO UPDATE SET \
             name_zh = excluded.name_zh, name_en = excluded.name_en, weight = excluded.weight, \
             active = excluded.active",
        )
        .bind(&criterion.code)
        .bind(criterion.name_zh.trim())
        .bind(criterion.name_en.trim())
        .bind(criterion.weight)
        .bind(i64::from(criterion.active))
        .execute(&mut *tx)
        .await?;
        audit::append(
            &mut tx,
            &AuditEvent::new(actor, "register.criterion")
                .target(format!("ai_criterion:{}", criterion.code))
                .detail(json!({"weight": criterion.weight, "active": criterion.active})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records `scorer`'s score of an application on a criterion, replacing the scorer's
    /// earlier score on it.
    ///
    /// # Errors
    ///
    /// [`StoreError::AiApplicationNotFound`], [`StoreError::NotFound`] for an unknown or
    /// inactive criterion, [`StoreError::RegisterRule`] for a score outside 0 to 5, and
    /// [`StoreError::Database`].
    pub async fn record_ai_score(
        &self,
        code: &str,
        criterion: &str,
        score: f64,
        note: &str,
        scorer: &str,
    ) -> Result<()> {
        if !(score.is_finite() && (0.0..=5.0).contains(&score)) {
            return Err(StoreError::RegisterRule(format!(
                "score {score} is outside 0 to 5: give a score from 0 (no) to 5 (fully)"
            )));
        }
        let mut tx = self.begin_write().await?;
        let application = application_id(&mut *tx, code).await?;
        let active = sqlx::query("SELECT 1 FROM ai_criteria WHERE code = $1 AND active = 1")
            .bind(criterion)
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
        if !active {
            return Err(StoreError::NotFound {
                what: "active criterion",
                key: criterion.to_owned(),
            });
        }
        sqlx::query(
            "INSERT INTO ai_scores (application_id, criterion_code, scorer, score, note, \
             scored_at) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (application_id, criterion_code, scorer) DO UPDATE SET \
             score = excluded.score, note = excluded.note, scored_at = excluded.scored_at",
        )
        .bind(application)
        .bind(criterion)
        .bind(scorer)
        .bind(score)
        .bind(note.trim())
        .bind(to_storage(Utc::now()))
        .execute(&mut *tx)
        .await?;
        audit::append(
            &mut tx,
            &AuditEvent::new(scorer, "register.score")
                .target(format!("ai_application:{code}"))
                .detail(json!({"criterion": criterion, "score": score})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Returns the scores of an application.
    ///
    /// # Errors
    ///
    /// [`StoreError::AiApplicationNotFound`] and [`StoreError::Database`].
    pub async fn ai_scores(&self, code: &str) -> Result<Vec<Score>> {
        let id = application_id(&self.pool, code).await?;
        let rows = sqlx::query(
            "SELECT criterion_code, scorer, score, note, scored_at FROM ai_scores \
             WHERE application_id = $1 ORDER BY criterion_code, scorer",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Score {
                    application: code.to_owned(),
                    criterion: row.try_get("criterion_code")?,
                    scorer: row.try_get("scorer")?,
                    score: row.try_get("score")?,
                    note: row.try_get("note")?,
                    scored_at: row.try_get("scored_at")?,
                })
            })
            .collect()
    }

    /// Ranks every scored application that is not retired by its weighted score, highest
    /// first; ties keep code order.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`].
    pub async fn ai_ranking(&self) -> Result<Vec<RankedApplication>> {
        let criteria: HashMap<String, f64> = self
            .ai_criteria()
            .await?
            .into_iter()
            .filter(|c| c.active)
            .map(|c| (c.code, c.weight))
            .collect();
        let rows = sqlx::query(
            "SELECT a.code, a.name_zh, a.name_en, a.stage, s.criterion_code, s.scorer, s.score \
             FROM ai_scores s JOIN ai_applications a ON a.id = s.application_id \
             WHERE a.stage <> 'retired' ORDER BY a.code",
        )
        .fetch_all(&self.pool)
        .await?;

        // Collect each application's scores per criterion.
        let mut by_application: Vec<Collected> = Vec::new();
        for row in &rows {
            let code: String = row.try_get("code")?;
            let criterion: String = row.try_get("criterion_code")?;
            if !criteria.contains_key(&criterion) {
                continue;
            }
            if by_application.last().is_none_or(|(a, _, _)| a.code != code) {
                by_application.push((
                    RankedApplication {
                        rank: 0,
                        code: code.clone(),
                        name_zh: row.try_get("name_zh")?,
                        name_en: row.try_get("name_en")?,
                        stage: Stage::parse(&row.try_get::<String, _>("stage")?)?,
                        weighted_score: 0.0,
                        criteria: HashMap::new(),
                        criteria_scored: 0,
                        scorers: 0,
                    },
                    HashMap::new(),
                    Vec::new(),
                ));
            }
            if let Some((_, scores, scorers)) = by_application.last_mut() {
                scores
                    .entry(criterion)
                    .or_default()
                    .push(row.try_get("score")?);
                let scorer: String = row.try_get("scorer")?;
                if !scorers.contains(&scorer) {
                    scorers.push(scorer);
                }
            }
        }

        // Weight the mean of each criterion.
        let mut ranked: Vec<RankedApplication> = by_application
            .into_iter()
            .map(|(mut entry, scores, scorers)| {
                let mut weighted = 0.0;
                let mut weights = 0.0;
                for (criterion, values) in scores {
                    let mean = values.iter().sum::<f64>() / values.len() as f64;
                    let weight = criteria[&criterion];
                    weighted += weight * mean;
                    weights += weight;
                    entry.criteria.insert(criterion, mean);
                }
                entry.criteria_scored = entry.criteria.len();
                entry.scorers = scorers.len();
                entry.weighted_score = if weights > 0.0 {
                    weighted / weights
                } else {
                    0.0
                };
                entry
            })
            .collect();
        ranked.sort_by(|a, b| {
            b.weighted_score
                .total_cmp(&a.weighted_score)
                .then_with(|| a.code.cmp(&b.code))
        });
        for (i, entry) in ranked.iter_mut().enumerate() {
            entry.rank = i + 1;
        }
        Ok(ranked)
    }

    /// Replaces the approved scenario list of `year` with `codes`, in rank order, keeping
    /// each application's weighted score at the time of approval.
    ///
    /// # Errors
    ///
    /// [`StoreError::RegisterRule`] for a year outside 2000 to 2100, an empty or repeated
    /// code list or a retired application, [`StoreError::AiApplicationNotFound`], and
    /// [`StoreError::Database`].
    pub async fn approve_ai_list(&self, year: i32, codes: &[String], actor: &str) -> Result<()> {
        if !(2000..=2100).contains(&year) {
            return Err(StoreError::RegisterRule(format!(
                "year {year} is outside 2000 to 2100: give the plan's year, such as 2026"
            )));
        }
        if codes.is_empty() {
            return Err(StoreError::RegisterRule(
                "the approved list is empty: give at least one application code".to_owned(),
            ));
        }
        let ranking = self.ai_ranking().await?;
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM ai_approved_lists WHERE year = $1")
            .bind(year)
            .execute(&mut *tx)
            .await?;
        let now = to_storage(Utc::now());
        for (i, code) in codes.iter().enumerate() {
            if codes[..i].contains(code) {
                return Err(StoreError::RegisterRule(format!(
                    "{code} appears twice in the list: give each application once"
                )));
            }
            let id = application_id(&mut *tx, code).await?;
            let retired =
                sqlx::query("SELECT 1 FROM ai_applications WHERE id = $1 AND stage = 'retired'")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .is_some();
            if retired {
                return Err(StoreError::RegisterRule(format!(
                    "{code} is retired and cannot be on a year's approved list"
                )));
            }
            let score = ranking
                .iter()
                .find(|r| &r.code == code)
                .map(|r| r.weighted_score);
            sqlx::query(
                "INSERT INTO ai_approved_lists (year, application_id, rank, weighted_score, \
                 approved_by, approved_at) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(year)
            .bind(id)
            .bind(i as i64 + 1)
            .bind(score)
            .bind(actor)
            .bind(&now)
            .execute(&mut *tx)
            .await?;
        }
        audit::append(
            &mut tx,
            &AuditEvent::new(actor, "register.approve_list")
                .target(format!("ai_list:{year}"))
                .detail(json!({"codes": codes})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Returns the approved scenario list of `year` in rank order.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`].
    pub async fn ai_approved_list(&self, year: i32) -> Result<Vec<ApprovedEntry>> {
        let rows = sqlx::query(
            "SELECT l.year, l.rank, a.code, a.name_zh, a.name_en, l.weighted_score, \
             l.approved_by, l.approved_at FROM ai_approved_lists l \
             JOIN ai_applications a ON a.id = l.application_id WHERE l.year = $1 ORDER BY l.rank",
        )
        .bind(year)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(ApprovedEntry {
                    year: row.try_get::<i64, _>("year")? as i32,
                    rank: row.try_get("rank")?,
                    code: row.try_get("code")?,
                    name_zh: row.try_get("name_zh")?,
                    name_en: row.try_get("name_en")?,
                    weighted_score: row.try_get("weighted_score")?,
                    approved_by: row.try_get("approved_by")?,
                    approved_at: row.try_get("approved_at")?,
                })
            })
            .collect()
    }

    /// Returns the years that have an approved list, newest first.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`].
    pub async fn ai_approved_years(&self) -> Result<Vec<i32>> {
        let rows = sqlx::query("SELECT DISTINCT year FROM ai_approved_lists ORDER BY year DESC")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| Ok(row.try_get::<i64, _>("year")? as i32))
            .collect()
    }
}
