//! The gate of an AI application: it is open while the application is in a running stage
//! (pilot or in use) and its latest ethical review decision approved it for the current time.
//!
//! Features check their gate on every use, so the status is cached for a few seconds. A
//! change made through this store clears the cache of this process at once. Other processes
//! that share the database see it when their cached status is older than [`GATE_TTL`].

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use cityai_core::time::from_storage;
use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::{Decision, Review, Stage};
use crate::{Result, Store};

/// How long a gate status is reused before the database is read again.
pub const GATE_TTL: Duration = Duration::from_secs(5);

/// The reason an application may not run now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum GateClosed {
    /// No register entry has the code.
    NotRegistered { code: String },
    /// The entry is proposed, under review, suspended or retired.
    Stage { code: String, stage: Stage },
    /// No ethical review decision was recorded.
    NoApproval { code: String },
    /// The latest decision rejected the application; `on` is the decision date.
    Rejected { code: String, on: String },
    /// The latest approval ended; `on` is its last valid instant (RFC 3339, UTC).
    Expired { code: String, on: String },
    /// The latest approval starts later; `on` is its first valid instant.
    NotYetValid { code: String, on: String },
}

impl std::fmt::Display for GateClosed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GateClosed::NotRegistered { code } => write!(f, "{code} is not in the AI register"),
            GateClosed::Stage { code, stage } => write!(f, "{code} is {stage} in the AI register"),
            GateClosed::NoApproval { code } => {
                write!(f, "{code} has no approved ethical review")
            }
            GateClosed::Rejected { code, on } => {
                write!(f, "the ethical review of {code} rejected it on {on}")
            }
            GateClosed::Expired { code, on } => write!(f, "approval of {code} expired on {on}"),
            GateClosed::NotYetValid { code, on } => {
                write!(f, "approval of {code} starts on {on}")
            }
        }
    }
}

/// Whether an application may run, and until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GateStatus {
    pub code: String,
    /// `None` while the gate is open.
    pub closed: Option<GateClosed>,
    /// The end of the approval that keeps the gate open.
    pub valid_until: Option<String>,
    /// The conditions of that approval, empty when it has none.
    pub conditions: String,
}

impl GateStatus {
    pub fn is_open(&self) -> bool {
        self.closed.is_none()
    }
}

/// Gate statuses of this process, each reused for [`GATE_TTL`].
#[derive(Debug, Default)]
pub struct GateCache {
    entries: Mutex<HashMap<String, (Instant, GateStatus)>>,
}

impl GateCache {
    fn get(&self, code: &str) -> Option<GateStatus> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries
            .get(code)
            .filter(|(at, _)| at.elapsed() < GATE_TTL)
            .map(|(_, status)| status.clone())
    }

    fn put(&self, status: &GateStatus) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.insert(status.code.clone(), (Instant::now(), status.clone()));
    }

    /// Clears every cached result after a change to the register.
    pub fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }
}

impl Store {
    /// Returns whether the application `code` may run now, from the cache when the status
    /// is younger than [`GATE_TTL`].
    ///
    /// # Errors
    ///
    /// As [`Store::ai_gate_at`].
    pub async fn ai_gate(&self, code: &str) -> Result<GateStatus> {
        if let Some(status) = self.gates.get(code) {
            return Ok(status);
        }
        let status = self.ai_gate_at(code, Utc::now()).await?;
        self.gates.put(&status);
        Ok(status)
    }

    /// Returns whether the application `code` may run at `now`, read from the database.
    ///
    /// # Errors
    ///
    /// [`crate::StoreError::Database`], and [`crate::StoreError::InvalidValue`] for a
    /// damaged row.
    pub async fn ai_gate_at(&self, code: &str, now: DateTime<Utc>) -> Result<GateStatus> {
        let closed = |reason| GateStatus {
            code: code.to_owned(),
            closed: Some(reason),
            valid_until: None,
            conditions: String::new(),
        };
        let Some(row) = sqlx::query("SELECT id, stage FROM ai_applications WHERE code = $1")
            .bind(code)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(closed(GateClosed::NotRegistered {
                code: code.to_owned(),
            }));
        };
        let id: i64 = row.try_get("id")?;
        let stage = Stage::parse(&row.try_get::<String, _>("stage")?)?;
        if !stage.is_running() {
            return Ok(closed(GateClosed::Stage {
                code: code.to_owned(),
                stage,
            }));
        }
        match self.latest_decision(id).await? {
            None => Ok(closed(GateClosed::NoApproval {
                code: code.to_owned(),
            })),
            Some(review) => Ok(match approval_state(code, &review, now) {
                Ok(()) => GateStatus {
                    code: code.to_owned(),
                    closed: None,
                    valid_until: review.valid_until.clone(),
                    conditions: review.conditions.clone(),
                },
                Err(reason) => closed(reason),
            }),
        }
    }

    /// Returns the latest decided review of an application when it approves the
    /// application at `now`.
    pub(crate) async fn valid_approval(
        &self,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<Option<Review>> {
        Ok(self
            .latest_decision(id)
            .await?
            .filter(|review| approval_state("", review, now).is_ok()))
    }
}

/// Checks whether a decided review approves at `now`, or returns the reason it does not.
pub(crate) fn approval_state(
    code: &str,
    review: &Review,
    now: DateTime<Utc>,
) -> Result<(), GateClosed> {
    let code = code.to_owned();
    if review.decision == Some(Decision::Rejected) {
        let on = review
            .decided_at
            .as_deref()
            .map(|d| d.get(..10).unwrap_or(d).to_owned())
            .unwrap_or_default();
        return Err(GateClosed::Rejected { code, on });
    }
    let from = review.valid_from.as_deref().and_then(from_storage);
    let until = review.valid_until.as_deref().and_then(from_storage);
    match (from, until) {
        (Some(from), _) if now < from => Err(GateClosed::NotYetValid {
            code,
            on: review.valid_from.clone().unwrap_or_default(),
        }),
        (_, Some(until)) if now < until => Ok(()),
        _ => Err(GateClosed::Expired {
            code,
            on: review.valid_until.clone().unwrap_or_default(),
        }),
    }
}
