//! Monitoring records and the live figures of CityAI's own AI features, counted from the
//! events the platform stores: routing decisions and staff feedback on them, reply drafts
//! and published replies, reception conversations, and citizens' feedback on the register.
//!
//! Every period is half-open, `[from, to)`, compared as stored RFC 3339 UTC text. Stored
//! times have whole seconds, so `to` is rounded up to the next whole second: an event in the
//! same second as `to` counts.

use chrono::{DateTime, Utc};
use cityai_core::time::to_storage;
use serde::Serialize;
use serde_json::json;
use sqlx::Row;

use super::{MonitoringSource, application_id};
use crate::audit::{self, AuditEvent};
use crate::{Result, Store, StoreError};

/// The routing figures of a period.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RoutingFigures {
    /// Routing decisions the router made.
    pub decisions: i64,
    /// Decisions that assigned the request without a person.
    pub auto_assigned: i64,
    /// `auto_assigned / decisions`; `None` without decisions.
    pub auto_share: Option<f64>,
    /// Router suggestions that staff confirmed.
    pub confirmed: i64,
    /// Router suggestions that staff corrected.
    pub corrected: i64,
    /// `confirmed / (confirmed + corrected)`: the router's accuracy on the requests a person
    /// checked. `None` when no person checked one.
    pub accuracy: Option<f64>,
    /// Corrections of requests the router had assigned automatically.
    pub overrides: i64,
    /// `overrides / auto_assigned`; `None` without automatic assignments.
    pub override_rate: Option<f64>,
}

/// The reply-drafting figures of a period.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DraftingFigures {
    /// Drafts that the template drafter or an LLM wrote.
    pub ai_drafts: i64,
    /// Empty drafts a handler wrote alone while drafting was switched off.
    pub manual_drafts: i64,
    /// Replies published from a draft.
    pub published: i64,
    /// The mean share of AI-generated text kept in the published replies.
    pub mean_ai_share: Option<f64>,
}

/// The reception-assistant figures of a period.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ReceptionFigures {
    pub conversations: i64,
    /// Conversations that became a request.
    pub requests_created: i64,
    /// Conversations in which the assistant offered a person.
    pub handoffs: i64,
    /// `handoffs / conversations`; `None` without conversations.
    pub handoff_rate: Option<f64>,
}

/// A stored monitoring record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonitoringRecord {
    pub id: i64,
    pub application: String,
    pub period_start: String,
    pub period_end: String,
    pub source: MonitoringSource,
    /// Figure name to value.
    pub figures: serde_json::Map<String, serde_json::Value>,
    pub note: String,
    pub recorded_by: String,
    pub recorded_at: String,
}

/// Returns the stored-text bounds of `[from, to)`, with `to` rounded up to a whole second.
fn bounds(from: DateTime<Utc>, to: DateTime<Utc>) -> (String, String) {
    let rounded = if to.timestamp_subsec_nanos() == 0 {
        to
    } else {
        to + chrono::Duration::seconds(1)
    };
    (to_storage(from), to_storage(rounded))
}

fn ratio(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

impl Store {
    /// Counts the routing figures of `[from, to)`.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`].
    pub async fn routing_figures(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<RoutingFigures> {
        let (from, to) = bounds(from, to);
        let decisions = sqlx::query(
            "SELECT COUNT(*) AS decisions, \
             COALESCE(SUM(CASE WHEN auto_assigned = 1 THEN 1 ELSE 0 END), 0) AS auto_assigned \
             FROM routing_decisions WHERE created_at >= $1 AND created_at < $2",
        )
        .bind(&from)
        .bind(&to)
        .fetch_one(&self.pool)
        .await?;
        // Feedback on requests the router had categorised: they carry its model version.
        let feedback = sqlx::query(
            "SELECT \
             COALESCE(SUM(CASE WHEN f.action = 'confirm' THEN 1 ELSE 0 END), 0) AS confirmed, \
             COALESCE(SUM(CASE WHEN f.action = 'correct' THEN 1 ELSE 0 END), 0) AS corrected, \
             COALESCE(SUM(CASE WHEN f.action = 'correct' AND EXISTS (SELECT 1 FROM \
             routing_decisions d WHERE d.request_id = f.request_id AND d.auto_assigned = 1) \
             THEN 1 ELSE 0 END), 0) AS overrides \
             FROM routing_feedback f WHERE f.model_version IS NOT NULL \
             AND f.previous_category IS NOT NULL AND f.created_at >= $1 AND f.created_at < $2",
        )
        .bind(&from)
        .bind(&to)
        .fetch_one(&self.pool)
        .await?;
        let decisions_count: i64 = decisions.try_get("decisions")?;
        let auto_assigned: i64 = decisions.try_get("auto_assigned")?;
        let confirmed: i64 = feedback.try_get("confirmed")?;
        let corrected: i64 = feedback.try_get("corrected")?;
        let overrides: i64 = feedback.try_get("overrides")?;
        Ok(RoutingFigures {
            decisions: decisions_count,
            auto_assigned,
            auto_share: ratio(auto_assigned, decisions_count),
            confirmed,
            corrected,
            accuracy: ratio(confirmed, confirmed + corrected),
            overrides,
            override_rate: ratio(overrides, auto_assigned),
        })
    }

    /// Counts the reply-drafting figures of `[from, to)`.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`].
    pub async fn drafting_figures(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<DraftingFigures> {
        let (from, to) = bounds(from, to);
        let drafts = sqlx::query(
            "SELECT COALESCE(SUM(CASE WHEN generator = 'manual' THEN 0 ELSE 1 END), 0) AS ai, \
             COALESCE(SUM(CASE WHEN generator = 'manual' THEN 1 ELSE 0 END), 0) AS manual \
             FROM reply_drafts WHERE created_at >= $1 AND created_at < $2",
        )
        .bind(&from)
        .bind(&to)
        .fetch_one(&self.pool)
        .await?;
        let replies = sqlx::query(
            "SELECT COUNT(*) AS published, AVG(ai_share) AS mean_share FROM replies \
             WHERE draft_id IS NOT NULL AND created_at >= $1 AND created_at < $2",
        )
        .bind(&from)
        .bind(&to)
        .fetch_one(&self.pool)
        .await?;
        Ok(DraftingFigures {
            ai_drafts: drafts.try_get("ai")?,
            manual_drafts: drafts.try_get("manual")?,
            published: replies.try_get("published")?,
            mean_ai_share: replies.try_get("mean_share")?,
        })
    }

    /// Counts the reception-assistant figures of `[from, to)`.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`].
    pub async fn reception_figures(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<ReceptionFigures> {
        let (start, end) = bounds(from, to);
        let row = sqlx::query(
            "SELECT COUNT(*) AS conversations, COUNT(request_id) AS requests, \
             COUNT(handoff_at) AS handoffs FROM reception_conversations \
             WHERE created_at >= $1 AND created_at < $2",
        )
        .bind(&start)
        .bind(&end)
        .fetch_one(&self.pool)
        .await?;
        let conversations: i64 = row.try_get("conversations")?;
        let handoffs: i64 = row.try_get("handoffs")?;
        Ok(ReceptionFigures {
            conversations,
            requests_created: row.try_get("requests")?,
            handoffs,
            handoff_rate: ratio(handoffs, conversations),
        })
    }

    /// Counts citizens' feedback on an application received in `[from, to)`: all of it,
    /// and the part published after moderation.
    ///
    /// # Errors
    ///
    /// [`StoreError::AiApplicationNotFound`] and [`StoreError::Database`].
    pub async fn feedback_figures(
        &self,
        code: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<(i64, i64)> {
        let id = application_id(&self.pool, code).await?;
        let (start, end) = bounds(from, to);
        let row = sqlx::query(
            "SELECT COUNT(*) AS received, \
             COALESCE(SUM(CASE WHEN status = 'published' THEN 1 ELSE 0 END), 0) AS published \
             FROM ai_feedback WHERE application_id = $1 AND created_at >= $2 AND created_at < $3",
        )
        .bind(id)
        .bind(&start)
        .bind(&end)
        .fetch_one(&self.pool)
        .await?;
        Ok((row.try_get("received")?, row.try_get("published")?))
    }

    /// Stores a monitoring record of an application for `[from, to)`.
    ///
    /// # Errors
    ///
    /// [`StoreError::RegisterRule`] when the period is empty or a figure is not a number or
    /// null, [`StoreError::AiApplicationNotFound`], and [`StoreError::Database`].
    pub async fn record_ai_monitoring(
        &self,
        code: &str,
        period: (DateTime<Utc>, DateTime<Utc>),
        source: MonitoringSource,
        figures: &serde_json::Map<String, serde_json::Value>,
        note: &str,
        actor: &str,
    ) -> Result<MonitoringRecord> {
        let (from, to) = period;
        if to <= from {
            return Err(StoreError::RegisterRule(format!(
                "the period ends ({}) before it starts ({}): give an end after the start",
                to_storage(to),
                to_storage(from)
            )));
        }
        if let Some((name, _)) = figures
            .iter()
            .find(|(_, value)| !(value.is_number() || value.is_null()))
        {
            return Err(StoreError::RegisterRule(format!(
                "figure {name:?} is not a number: give every figure as a number"
            )));
        }
        let mut tx = self.begin_write().await?;
        let application = application_id(&mut *tx, code).await?;
        let now = to_storage(Utc::now());
        let figures_text = serde_json::Value::Object(figures.clone()).to_string();
        let row = sqlx::query(
            "INSERT INTO ai_monitoring (application_id, period_start, period_end, source, \
             figures, note, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             RETURNING id",
        )
        .bind(application)
        .bind(to_storage(from))
        .bind(to_storage(to))
        .bind(source.as_str())
        .bind(&figures_text)
        .bind(note.trim())
        .bind(actor)
        .bind(&now)
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = row.try_get("id")?;
        audit::append(
            &mut tx,
            &AuditEvent::new(actor, "register.monitoring")
                .target(format!("ai_application:{code}"))
                .detail(json!({"record_id": id, "source": source})),
        )
        .await?;
        tx.commit().await?;
        Ok(MonitoringRecord {
            id,
            application: code.to_owned(),
            period_start: to_storage(from),
            period_end: to_storage(to),
            source,
            figures: figures.clone(),
            note: note.trim().to_owned(),
            recorded_by: actor.to_owned(),
            recorded_at: now,
        })
    }

    /// Returns an application's monitoring records, oldest period first, for trends.
    ///
    /// # Errors
    ///
    /// [`StoreError::AiApplicationNotFound`], [`StoreError::Database`], and
    /// [`StoreError::InvalidStoredValue`] for damaged figures.
    pub async fn ai_monitoring(&self, code: &str) -> Result<Vec<MonitoringRecord>> {
        let id = application_id(&self.pool, code).await?;
        let rows = sqlx::query(
            "SELECT id, period_start, period_end, source, figures, note, recorded_by, \
             recorded_at FROM ai_monitoring WHERE application_id = $1 \
             ORDER BY period_end, id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let figures: String = row.try_get("figures")?;
                let parsed = match serde_json::from_str(&figures) {
                    Ok(serde_json::Value::Object(map)) => map,
                    _ => {
                        return Err(StoreError::InvalidStoredValue {
                            column: "ai_monitoring.figures",
                            value: figures,
                        });
                    }
                };
                Ok(MonitoringRecord {
                    id: row.try_get("id")?,
                    application: code.to_owned(),
                    period_start: row.try_get("period_start")?,
                    period_end: row.try_get("period_end")?,
                    source: MonitoringSource::parse(&row.try_get::<String, _>("source")?)?,
                    figures: parsed,
                    note: row.try_get("note")?,
                    recorded_by: row.try_get("recorded_by")?,
                    recorded_at: row.try_get("recorded_at")?,
                })
            })
            .collect()
    }
}
