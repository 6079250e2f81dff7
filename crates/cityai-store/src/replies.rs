//! Reply drafts, their approval, and the history of one request.

use std::collections::HashSet;

use chrono::Utc;
use cityai_core::RequestStatus;
use cityai_core::time::to_storage;
use serde::Serialize;
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit::{self, AuditEvent};
use crate::{Result, Store, StoreError};

/// A draft as the drafter produced it, before it is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct NewReplyDraft {
    pub request_id: i64,
    pub body: String,
    /// `template` for the built-in drafter, `llm:<model>` when an LLM wrote it.
    pub generator: String,
    /// The passages and past replies the draft drew on, as JSON.
    pub sources: serde_json::Value,
    /// The implicit AIGC metadata of the generated text, as JSON.
    pub aigc: serde_json::Value,
}

/// The state of a draft.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DraftStatus {
    /// Open for editing and approval.
    Draft,
    /// Approved and published as the reply.
    Approved,
    /// Replaced by a newer draft for the same request.
    Superseded,
}

impl DraftStatus {
    fn parse(value: &str) -> Result<Self> {
        match value {
            "draft" => Ok(DraftStatus::Draft),
            "approved" => Ok(DraftStatus::Approved),
            "superseded" => Ok(DraftStatus::Superseded),
            other => Err(StoreError::InvalidStoredValue {
                column: "reply_drafts.status",
                value: other.to_owned(),
            }),
        }
    }
}

/// A stored reply draft.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReplyDraft {
    pub id: i64,
    pub request_id: i64,
    /// The text as generated; it never changes.
    pub generated_body: String,
    /// The text as last saved.
    pub body: String,
    pub generator: String,
    pub sources: serde_json::Value,
    #[serde(rename = "AIGC")]
    pub aigc: serde_json::Value,
    pub status: DraftStatus,
    pub created_by: String,
    pub created_at: String,
    pub updated_by: Option<String>,
    pub updated_at: Option<String>,
    pub approved_by: Option<String>,
    pub approved_at: Option<String>,
}

impl ReplyDraft {
    /// Returns whether the current text is still exactly the generated one.
    pub fn is_unedited(&self) -> bool {
        self.body.trim() == self.generated_body.trim()
    }
}

/// A reply stored with a request: imported with the history or approved in CityAI.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReplyRecord {
    pub id: i64,
    pub body: String,
    pub replied_at: Option<String>,
    /// `import` for history, `approved` for replies approved in CityAI.
    pub origin: String,
    pub approved_by: Option<String>,
    pub draft_id: Option<i64>,
    /// The share of the text that came from the AI draft, from 0 to 1; `None` for history.
    pub ai_share: Option<f64>,
}

/// One entry of a request's timeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimelineEvent {
    /// RFC 3339 UTC.
    pub at: String,
    /// A dotted name such as `request.received`, `routing.decision` or `reply.approve`.
    pub kind: String,
    /// The person or component that acted, when one did.
    pub actor: Option<String>,
    /// Facts for display, such as the category chosen; never personal data.
    pub detail: serde_json::Value,
}

/// Figures for the console dashboard.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct DashboardFigures {
    /// Requests per day of submission (city-local date `YYYY-MM-DD`), oldest first, over
    /// the window.
    pub per_day: Vec<(String, i64)>,
    /// Requests per first-level category over the window, largest first; `None` is
    /// uncategorised.
    pub per_category: Vec<(Option<String>, i64)>,
    /// Staff confirmations and corrections of router suggestions.
    pub confirmed: i64,
    pub corrected: i64,
    /// Routing decisions, and how many of them assigned the request automatically.
    pub decisions: i64,
    pub auto_assigned: i64,
    /// Requests waiting in triage, and the submission time of the oldest (its receipt time
    /// when the source gave none).
    pub triage_backlog: i64,
    pub triage_oldest: Option<String>,
    /// Open requests without a reply submitted before the overdue cut-off.
    pub overdue: i64,
}

const DRAFT_COLUMNS: &str = "id, request_id, generated_body, body, generator, sources, aigc, \
     status, created_by, created_at, updated_by, updated_at, approved_by, approved_at";

fn draft_from_row(row: &AnyRow) -> Result<ReplyDraft> {
    let json_column = |name: &'static str| -> Result<serde_json::Value> {
        let text: String = row.try_get(name)?;
        serde_json::from_str(&text).map_err(|_| StoreError::InvalidStoredValue {
            column: name,
            value: text,
        })
    };
    let status: String = row.try_get("status")?;
    Ok(ReplyDraft {
        id: row.try_get("id")?,
        request_id: row.try_get("request_id")?,
        generated_body: row.try_get("generated_body")?,
        body: row.try_get("body")?,
        generator: row.try_get("generator")?,
        sources: json_column("sources")?,
        aigc: json_column("aigc")?,
        status: DraftStatus::parse(&status)?,
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
        updated_by: row.try_get("updated_by")?,
        updated_at: row.try_get("updated_at")?,
        approved_by: row.try_get("approved_by")?,
        approved_at: row.try_get("approved_at")?,
    })
}

/// Returns the share of `published`'s runs of four characters that also occur in
/// `generated`, from 0 (nothing of the draft kept) to 1 (all of it comes from the draft).
///
/// Runs of four rather than pairs, because common pairs such as 您好 or 感谢 occur in
/// any reply and would credit the AI with text a person wrote.
pub fn ai_share(generated: &str, published: &str) -> f64 {
    fn pairs(text: &str) -> Vec<[char; 4]> {
        let chars: Vec<char> = text.chars().filter(|c| !c.is_whitespace()).collect();
        chars.windows(4).map(|w| [w[0], w[1], w[2], w[3]]).collect()
    }
    let published = pairs(published);
    if published.is_empty() {
        return 0.0;
    }
    let generated: HashSet<[char; 4]> = pairs(generated).into_iter().collect();
    let from_draft = published.iter().filter(|p| generated.contains(*p)).count();
    from_draft as f64 / published.len() as f64
}

impl Store {
    /// Stores a new draft for a request and supersedes the request's open drafts, in one
    /// transaction with its audit event.
    ///
    /// # Errors
    ///
    /// [`StoreError::RequestNotFound`] and [`StoreError::Database`].
    pub async fn create_reply_draft(
        &self,
        draft: &NewReplyDraft,
        actor: &str,
    ) -> Result<ReplyDraft> {
        let mut tx = self.begin_write().await?;
        let exists = sqlx::query("SELECT 1 FROM requests WHERE id = $1")
            .bind(draft.request_id)
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
        if !exists {
            return Err(StoreError::RequestNotFound(draft.request_id));
        }
        let now = to_storage(Utc::now());
        sqlx::query(
            "UPDATE reply_drafts SET status = 'superseded' \
             WHERE request_id = $1 AND status = 'draft'",
        )
        .bind(draft.request_id)
        .execute(&mut *tx)
        .await?;
        let row = sqlx::query(
            "INSERT INTO reply_drafts (request_id, generated_body, body, generator, sources, \
             aigc, status, created_by, created_at) \
             VALUES ($1, $2, $2, $3, $4, $5, 'draft', $6, $7) RETURNING id",
        )
        .bind(draft.request_id)
        .bind(&draft.body)
        .bind(&draft.generator)
        .bind(draft.sources.to_string())
        .bind(draft.aigc.to_string())
        .bind(actor)
        .bind(&now)
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = row.try_get("id")?;
        audit::append(
            &mut tx,
            &AuditEvent::new(actor, "reply.draft")
                .target(format!("request:{}", draft.request_id))
                .detail(json!({ "draft_id": id, "generator": draft.generator })),
        )
        .await?;
        tx.commit().await?;
        self.reply_draft(id)
            .await?
            .ok_or(StoreError::DraftNotFound(id))
    }

    /// Returns one draft.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`], and [`StoreError::InvalidStoredValue`] for a damaged row.
    pub async fn reply_draft(&self, id: i64) -> Result<Option<ReplyDraft>> {
        let sql = format!("SELECT {DRAFT_COLUMNS} FROM reply_drafts WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(draft_from_row).transpose()
    }

    /// Returns the request's newest draft that is open or approved.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`], and [`StoreError::InvalidStoredValue`] for a damaged row.
    pub async fn current_reply_draft(&self, request_id: i64) -> Result<Option<ReplyDraft>> {
        let sql = format!(
            "SELECT {DRAFT_COLUMNS} FROM reply_drafts \
             WHERE request_id = $1 AND status IN ('draft', 'approved') ORDER BY id DESC LIMIT 1"
        );
        let row = sqlx::query(&sql)
            .bind(request_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(draft_from_row).transpose()
    }

    /// Saves an edited text of an open draft.
    ///
    /// # Errors
    ///
    /// [`StoreError::DraftNotFound`], [`StoreError::DraftClosed`] for a draft that is no
    /// longer open, and [`StoreError::Database`].
    pub async fn save_reply_draft(&self, id: i64, body: &str, actor: &str) -> Result<ReplyDraft> {
        let now = to_storage(Utc::now());
        let updated = sqlx::query(
            "UPDATE reply_drafts SET body = $1, updated_by = $2, updated_at = $3 \
             WHERE id = $4 AND status = 'draft'",
        )
        .bind(body)
        .bind(actor)
        .bind(&now)
        .bind(id)
        .execute(&self.pool)
        .await?
        .rows_affected();
        let draft = self
            .reply_draft(id)
            .await?
            .ok_or(StoreError::DraftNotFound(id))?;
        if updated == 0 {
            return Err(StoreError::DraftClosed(id));
        }
        Ok(draft)
    }

    /// Approves an open draft with the text `body` as the request's reply: the draft becomes
    /// approved, the reply is stored with who approved it and the share of AI text kept,
    /// and the request becomes replied. One transaction, audited as `reply.approve`.
    ///
    /// # Errors
    ///
    /// [`StoreError::EmptyReply`], [`StoreError::DraftNotFound`], [`StoreError::DraftClosed`]
    /// and [`StoreError::Database`].
    pub async fn approve_reply_draft(
        &self,
        id: i64,
        body: &str,
        actor: &str,
    ) -> Result<ReplyRecord> {
        let body = body.trim();
        if body.is_empty() {
            return Err(StoreError::EmptyReply);
        }
        let draft = self
            .reply_draft(id)
            .await?
            .ok_or(StoreError::DraftNotFound(id))?;
        let share = ai_share(&draft.generated_body, body);
        let now = to_storage(Utc::now());
        let mut tx = self.begin_write().await?;
        let updated = sqlx::query(
            "UPDATE reply_drafts SET body = $1, status = 'approved', approved_by = $2, \
             approved_at = $3 WHERE id = $4 AND status = 'draft'",
        )
        .bind(body)
        .bind(actor)
        .bind(&now)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated == 0 {
            return Err(StoreError::DraftClosed(id));
        }
        let row = sqlx::query(
            "INSERT INTO replies (request_id, body, replied_at, origin, created_at, approved_by, \
             draft_id, ai_share) VALUES ($1, $2, $3, 'approved', $3, $4, $5, $6) RETURNING id",
        )
        .bind(draft.request_id)
        .bind(body)
        .bind(&now)
        .bind(actor)
        .bind(id)
        .bind(share)
        .fetch_one(&mut *tx)
        .await?;
        let reply_id: i64 = row.try_get("id")?;
        sqlx::query("UPDATE requests SET status = $1, updated_at = $2 WHERE id = $3")
            .bind(RequestStatus::Replied.as_str())
            .bind(&now)
            .bind(draft.request_id)
            .execute(&mut *tx)
            .await?;
        audit::append(
            &mut tx,
            &AuditEvent::new(actor, "reply.approve")
                .target(format!("request:{}", draft.request_id))
                .detail(json!({
                    "draft_id": id,
                    "reply_id": reply_id,
                    "generator": draft.generator,
                    "ai_share": (share * 1000.0).round() / 1000.0,
                })),
        )
        .await?;
        tx.commit().await?;
        Ok(ReplyRecord {
            id: reply_id,
            body: body.to_owned(),
            replied_at: Some(now),
            origin: "approved".to_owned(),
            approved_by: Some(actor.to_owned()),
            draft_id: Some(id),
            ai_share: Some(share),
        })
    }

    /// Returns a request's replies, oldest first.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`].
    pub async fn request_replies(&self, request_id: i64) -> Result<Vec<ReplyRecord>> {
        let rows = sqlx::query(
            "SELECT id, body, replied_at, origin, approved_by, draft_id, ai_share FROM replies \
             WHERE request_id = $1 ORDER BY id",
        )
        .bind(request_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(ReplyRecord {
                    id: row.try_get("id")?,
                    body: row.try_get("body")?,
                    replied_at: row.try_get("replied_at")?,
                    origin: row.try_get("origin")?,
                    approved_by: row.try_get("approved_by")?,
                    draft_id: row.try_get("draft_id")?,
                    ai_share: row.try_get("ai_share")?,
                })
            })
            .collect()
    }

    /// Returns everything that happened to a request, oldest first: its submission and
    /// receipt, every routing decision, the audit events about it (staff feedback, personal
    /// data views, drafts, approvals), imported replies and duplicate links.
    ///
    /// # Errors
    ///
    /// [`StoreError::RequestNotFound`] and [`StoreError::Database`].
    pub async fn request_timeline(&self, request_id: i64) -> Result<Vec<TimelineEvent>> {
        let request = self
            .request(request_id)
            .await?
            .ok_or(StoreError::RequestNotFound(request_id))?;
        let mut events = Vec::new();
        if let Some(submitted) = request.submitted_at {
            events.push(TimelineEvent {
                at: to_storage(submitted),
                kind: "request.submitted".to_owned(),
                actor: None,
                detail: json!({ "channel": request.channel.as_str() }),
            });
        }
        events.push(TimelineEvent {
            at: to_storage(request.received_at),
            kind: "request.received".to_owned(),
            actor: None,
            detail: json!({ "channel": request.channel.as_str() }),
        });

        let decisions = sqlx::query(
            "SELECT model_version, category_path, confidence, auto_assigned, created_at \
             FROM routing_decisions WHERE request_id = $1 ORDER BY id",
        )
        .bind(request_id)
        .fetch_all(&self.pool)
        .await?;
        for row in &decisions {
            let auto: i64 = row.try_get("auto_assigned")?;
            events.push(TimelineEvent {
                at: row.try_get("created_at")?,
                kind: "routing.decision".to_owned(),
                actor: Some(row.try_get("model_version")?),
                detail: json!({
                    "category": row.try_get::<String, _>("category_path")?,
                    "confidence": row.try_get::<f64, _>("confidence")?,
                    "auto_assigned": auto != 0,
                }),
            });
        }

        let audited = sqlx::query(
            "SELECT occurred_at, actor, action, detail FROM audit_events \
             WHERE target = $1 AND action <> 'routing.route' ORDER BY seq",
        )
        .bind(format!("request:{request_id}"))
        .fetch_all(&self.pool)
        .await?;
        for row in &audited {
            let detail: String = row.try_get("detail")?;
            events.push(TimelineEvent {
                at: row.try_get("occurred_at")?,
                kind: row.try_get("action")?,
                actor: Some(row.try_get("actor")?),
                detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::Null),
            });
        }

        let imported = sqlx::query(
            "SELECT replied_at, created_at FROM replies WHERE request_id = $1 AND origin = 'import'",
        )
        .bind(request_id)
        .fetch_all(&self.pool)
        .await?;
        for row in &imported {
            let replied: Option<String> = row.try_get("replied_at")?;
            events.push(TimelineEvent {
                at: match replied {
                    Some(at) => at,
                    None => row.try_get("created_at")?,
                },
                kind: "reply.imported".to_owned(),
                actor: None,
                detail: serde_json::Value::Null,
            });
        }

        let links = sqlx::query(
            "SELECT other_id, reason, created_at FROM request_links WHERE request_id = $1",
        )
        .bind(request_id)
        .fetch_all(&self.pool)
        .await?;
        for row in &links {
            events.push(TimelineEvent {
                at: row.try_get("created_at")?,
                kind: "request.linked".to_owned(),
                actor: None,
                detail: json!({
                    "other_id": row.try_get::<i64, _>("other_id")?,
                    "reason": row.try_get::<String, _>("reason")?,
                }),
            });
        }
        // Stable: events with equal times keep the order they were gathered in.
        events.sort_by(|a, b| a.at.cmp(&b.at));
        Ok(events)
    }

    /// Returns the oldest request waiting in triage after `after` (by id), or the oldest of
    /// all when `after` is `None` or nothing follows it, within `department` when given.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`].
    pub async fn next_in_triage(
        &self,
        after: Option<i64>,
        department: Option<&str>,
    ) -> Result<Option<i64>> {
        const NEXT: &str = "SELECT id FROM requests WHERE status = 'triage' AND id > $1 \
             AND (CAST($2 AS TEXT) IS NULL OR department_code = $2) ORDER BY id LIMIT 1";
        // The triage index finds the next request in a few entries, so on SQLite it is read
        // directly (see `crate::direct`).
        let direct = self.read_directly(|conn| {
            use rusqlite::types::Value;
            let department = department.map_or(Value::Null, |d| Value::Text(d.to_owned()));
            let next = |after: i64| {
                crate::direct::optional_integer(
                    conn,
                    NEXT,
                    &[Value::Integer(after), department.clone()],
                )
            };
            match after {
                Some(after) => match next(after)? {
                    Some(id) => Ok(Some(id)),
                    None => next(0),
                },
                None => next(0),
            }
        });
        if let Some(next) = direct {
            return Ok(next);
        }
        let query = |after: i64| {
            sqlx::query(NEXT)
                .bind(after)
                .bind(department.map(str::to_owned))
        };
        if let Some(after) = after
            && let Some(row) = query(after).fetch_optional(&self.pool).await?
        {
            return Ok(Some(row.try_get("id")?));
        }
        let row = query(0).fetch_optional(&self.pool).await?;
        row.map(|row| row.try_get("id"))
            .transpose()
            .map_err(Into::into)
    }

    /// Returns the newest routing decision's details JSON for a request.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`].
    pub async fn latest_routing_details(&self, request_id: i64) -> Result<Option<String>> {
        let row = sqlx::query(
            "SELECT details FROM routing_decisions WHERE request_id = $1 ORDER BY id DESC LIMIT 1",
        )
        .bind(request_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| row.try_get("details"))
            .transpose()
            .map_err(Into::into)
    }

    /// Computes the dashboard's figures for requests submitted from `since` (RFC 3339 UTC;
    /// requests without a submission time are left out of the volumes),
    /// with days cut at `utc_offset_minutes`, counting open requests submitted before
    /// `overdue_before` without a reply as overdue; within `department` when given.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`].
    pub async fn dashboard_figures(
        &self,
        since: &str,
        utc_offset_minutes: i32,
        overdue_before: &str,
        department: Option<&str>,
    ) -> Result<DashboardFigures> {
        let department = department.map(str::to_owned);
        let shift = format!("{utc_offset_minutes:+} minutes");
        // One pass over the window through the submitted_at index, by day and category;
        // the first levels are summed here, because there are few categories.
        // The local day of the submission time, shifted by "+480 minutes" and the like.
        let day = match self.backend {
            crate::Backend::Sqlite => "date(submitted_at, $1)",
            crate::Backend::Postgres => {
                "to_char(CAST(submitted_at AS TIMESTAMP) + CAST($1 AS INTERVAL), 'YYYY-MM-DD')"
            }
        };
        let sql = format!(
            "SELECT {day} AS day, category_path, COUNT(*) AS n FROM requests \
             WHERE submitted_at >= $2 AND (CAST($3 AS TEXT) IS NULL OR department_code = $3) \
             GROUP BY day, category_path"
        );
        let rows = sqlx::query(&sql)
            .bind(&shift)
            .bind(since)
            .bind(department.clone())
            .fetch_all(&self.pool)
            .await?;
        let mut per_day: Vec<(String, i64)> = Vec::new();
        let mut per_category: Vec<(Option<String>, i64)> = Vec::new();
        for row in &rows {
            let day: String = row.try_get("day")?;
            let path: Option<String> = row.try_get("category_path")?;
            let n: i64 = row.try_get("n")?;
            match per_day.iter_mut().find(|(d, _)| *d == day) {
                Some(entry) => entry.1 += n,
                None => per_day.push((day, n)),
            }
            let first = path.map(|p| p.split('/').next().unwrap_or_default().to_owned());
            match per_category.iter_mut().find(|(c, _)| *c == first) {
                Some(entry) => entry.1 += n,
                None => per_category.push((first, n)),
            }
        }
        per_day.sort();
        per_category.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));

        let feedback = sqlx::query(
            "SELECT COALESCE(SUM(CASE WHEN f.action = 'confirm' THEN 1 ELSE 0 END), 0) AS confirmed, \
             COALESCE(SUM(CASE WHEN f.action = 'correct' THEN 1 ELSE 0 END), 0) AS corrected \
             FROM routing_feedback f JOIN requests r ON r.id = f.request_id \
             WHERE f.model_version IS NOT NULL AND (CAST($1 AS TEXT) IS NULL OR r.department_code = $1)",
        )
        .bind(department.clone())
        .fetch_one(&self.pool)
        .await?;
        // Without a department the requests table is not needed, and the count walks the
        // created_at index alone.
        let decisions = match &department {
            None => sqlx::query(
                "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(auto_assigned), 0) AS BIGINT) AS auto \
                 FROM routing_decisions WHERE created_at >= $1",
            )
            .bind(since),
            Some(department) => sqlx::query(
                "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(d.auto_assigned), 0) AS BIGINT) AS auto \
                 FROM routing_decisions d JOIN requests r ON r.id = d.request_id \
                 WHERE d.created_at >= $1 AND r.department_code = $2",
            )
            .bind(since)
            .bind(department.clone()),
        }
        .fetch_one(&self.pool)
        .await?;
        let triage = sqlx::query(
            "SELECT COUNT(*) AS n, MIN(COALESCE(submitted_at, received_at)) AS oldest FROM requests \
             WHERE status = 'triage' AND (CAST($1 AS TEXT) IS NULL OR department_code = $1)",
        )
        .bind(department.clone())
        .fetch_one(&self.pool)
        .await?;
        let overdue = sqlx::query(
            "SELECT COUNT(*) AS n FROM requests r WHERE r.status IN \
             ('received', 'triage', 'assigned', 'in_progress') \
             AND COALESCE(r.submitted_at, r.received_at) < $1 \
             AND (CAST($2 AS TEXT) IS NULL OR r.department_code = $2) \
             AND NOT EXISTS (SELECT 1 FROM replies p WHERE p.request_id = r.id)",
        )
        .bind(overdue_before)
        .bind(department)
        .fetch_one(&self.pool)
        .await?;
        Ok(DashboardFigures {
            per_day,
            per_category,
            confirmed: feedback.try_get("confirmed")?,
            corrected: feedback.try_get("corrected")?,
            decisions: decisions.try_get("n")?,
            auto_assigned: decisions.try_get("auto")?,
            triage_backlog: triage.try_get("n")?,
            triage_oldest: triage.try_get("oldest")?,
            overdue: overdue.try_get("n")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::ai_share;

    #[test]
    fn ai_share_spans_zero_to_one() {
        let generated = "您好，您反映的路灯问题已转交城管部门处理。";
        assert!((ai_share(generated, generated) - 1.0).abs() < 1e-9);
        assert_eq!(ai_share(generated, "收到，我们明天派人查看。"), 0.0);
        let edited = "您好，您反映的路灯问题已转交城管部门，明天修复。";
        let share = ai_share(generated, edited);
        assert!(share > 0.5, "{share}");
        assert!(share < 1.0, "{share}");
        assert_eq!(ai_share(generated, ""), 0.0);
        // A reply a person wrote shares greetings with the draft, not its text.
        let own = ai_share(generated, "您好，感谢您的来信，我们已安排人员明天维修。");
        assert!(own < 0.2, "{own}");
    }
}
