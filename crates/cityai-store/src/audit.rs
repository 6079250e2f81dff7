//! The append-only, hash-chained audit trail.
//!
//! Every event stores the SHA-256 of its own content together with the hash of the event
//! before it, and `audit_head` stores the newest link. [`Store::verify_audit`] recomputes the
//! chain and reports the first link that does not hold, so a row edited, deleted, inserted or
//! moved in the database is found. Database triggers reject `UPDATE` and `DELETE` on the table;
//! the chain catches changes made by someone who drops the triggers first.
//!
//! NOTE: someone who can write the database can rewrite the whole chain and the head from
//! the first changed event on. Copy the head hash (`cityai audit verify --json`) somewhere
//! outside the database now and then to catch that as well.

use chrono::Utc;
use cityai_core::time::to_storage;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, Row};

use crate::builder::SqlBuilder;
use crate::{Backend, Result, Store};

/// The `prev_hash` of the first event.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Events read per query while verifying.
const VERIFY_PAGE: i64 = 5_000;

/// Something that happened, before it is chained.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent {
    /// The actor: `user:NAME` for staff, `cli:NAME` for shell commands, `source:NAME` for
    /// imports, or `system`.
    pub actor: String,
    /// The action, as a dotted name such as `routing.correct` or `session.login`.
    pub action: String,
    /// The object acted on, such as `request:42`.
    pub target: Option<String>,
    /// Further facts as JSON. Never put personal data here unmasked.
    pub detail: serde_json::Value,
}

impl AuditEvent {
    pub fn new(actor: impl Into<String>, action: impl Into<String>) -> Self {
        AuditEvent {
            actor: actor.into(),
            action: action.into(),
            target: None,
            detail: serde_json::Value::Object(serde_json::Map::new()),
        }
    }

    #[must_use]
    pub fn target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }

    #[must_use]
    pub fn detail(mut self, detail: serde_json::Value) -> Self {
        self.detail = detail;
        self
    }
}

/// A stored audit event with its place in the chain.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditRecord {
    pub seq: i64,
    pub occurred_at: String,
    pub actor: String,
    pub action: String,
    pub target: Option<String>,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The reason a link of the chain does not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum ChainBreak {
    /// The sequence skips or repeats numbers: an event was deleted, inserted or renumbered.
    SequenceGap { expected: i64, found: i64 },
    /// The event does not point at the hash of the event before it.
    PreviousHashMismatch,
    /// The event's content does not match its hash: it was edited or moved.
    HashMismatch,
    /// The newest event is not the one `audit_head` records: events were cut off the end
    /// or appended without the store.
    HeadMismatch { head_seq: i64, last_seq: i64 },
}

/// The first link of the chain that does not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BrokenLink {
    /// The sequence number of the offending event, or of the head for a head mismatch.
    pub seq: i64,
    #[serde(flatten)]
    pub reason: ChainBreak,
}

/// The result of checking the whole chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditVerification {
    /// Events checked before the first break, or all of them.
    pub checked: i64,
    /// The newest link as `audit_head` records it.
    pub head_seq: i64,
    pub head_hash: String,
    pub first_broken: Option<BrokenLink>,
}

impl AuditVerification {
    pub fn is_intact(&self) -> bool {
        self.first_broken.is_none()
    }
}

/// Computes an event's hash over its content and the previous hash.
///
/// The fields are hashed as one JSON array, so no two different events serialize alike.
fn event_hash(
    seq: i64,
    occurred_at: &str,
    actor: &str,
    action: &str,
    target: Option<&str>,
    detail: &str,
    prev_hash: &str,
) -> String {
    let canonical = serde_json::json!([seq, occurred_at, actor, action, target, detail, prev_hash]);
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

/// Appends `event` inside the caller's transaction, so the event and the change it records
/// commit together or not at all.
pub(crate) async fn append(conn: &mut AnyConnection, event: &AuditEvent) -> Result<i64> {
    append_many(conn, [event]).await
}

/// The maximum number of events one `INSERT` statement of [`append_many`] writes: eight values each, far
/// under the bound-value limits of SQLite and PostgreSQL.
const EVENTS_PER_INSERT: usize = 500;

/// Appends `events` to the chain in order, with one read of the chain's head and one insert
/// per [`EVENTS_PER_INSERT`] events, and returns the sequence number of the last one (the
/// head's number when `events` is empty). Every event gets the same time.
pub(crate) async fn append_many<'e, I>(conn: &mut AnyConnection, events: I) -> Result<i64>
where
    I: IntoIterator<Item = &'e AuditEvent>,
{
    // Writing the head row first takes the write lock (SQLite) or the row lock (PostgreSQL),
    // so concurrent appends queue here instead of forking the chain.
    sqlx::query("UPDATE audit_head SET seq = seq WHERE id = 1")
        .execute(&mut *conn)
        .await?;
    let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_one(&mut *conn)
        .await?;
    let mut seq: i64 = head.try_get("seq")?;
    let mut prev_hash: String = head.try_get("hash")?;
    let occurred_at = to_storage(Utc::now());
    let mut rows = Vec::new();
    for event in events {
        seq += 1;
        let detail = event.detail.to_string();
        let hash = event_hash(
            seq,
            &occurred_at,
            &event.actor,
            &event.action,
            event.target.as_deref(),
            &detail,
            &prev_hash,
        );
        rows.push((
            seq,
            event,
            detail,
            std::mem::replace(&mut prev_hash, hash.clone()),
            hash,
        ));
    }
    if rows.is_empty() {
        return Ok(seq);
    }
    for chunk in rows.chunks(EVENTS_PER_INSERT) {
        let mut insert = SqlBuilder::new(
            Backend::of(conn),
            "INSERT INTO audit_events (seq, occurred_at, actor, action, target, detail, \
             prev_hash, hash) ",
        );
        insert.push_values(chunk, |mut values, (seq, event, detail, prev, hash)| {
            values
                .push_bind(*seq)
                .push_bind(occurred_at.clone())
                .push_bind(event.actor.clone())
                .push_bind(event.action.clone())
                .push_bind(event.target.clone())
                .push_bind(detail.clone())
                .push_bind(prev.clone())
                .push_bind(hash.clone());
        });
        insert.build()?.execute(&mut *conn).await?;
    }
    sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
        .bind(seq)
        .bind(&prev_hash)
        .execute(&mut *conn)
        .await?;
    Ok(seq)
}

fn record_from_row(row: &sqlx::any::AnyRow) -> Result<AuditRecord> {
    Ok(AuditRecord {
        seq: row.try_get("seq")?,
        occurred_at: row.try_get("occurred_at")?,
        actor: row.try_get("actor")?,
        action: row.try_get("action")?,
        target: row.try_get("target")?,
        detail: row.try_get("detail")?,
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

impl Store {
    /// Appends one event to the audit trail in a transaction of its own and returns its
    /// sequence number.
    ///
    /// # Errors
    ///
    /// [`crate::StoreError::Database`] when the write fails.
    pub async fn audit(&self, event: &AuditEvent) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let seq = append(&mut tx, event).await?;
        tx.commit().await?;
        Ok(seq)
    }

    /// Returns up to `limit` events, newest first, older than `before` when given.
    ///
    /// # Errors
    ///
    /// [`crate::StoreError::Database`] when the query fails.
    pub async fn audit_events(&self, before: Option<i64>, limit: i64) -> Result<Vec<AuditRecord>> {
        let rows = sqlx::query(
            "SELECT seq, occurred_at, actor, action, target, detail, prev_hash, hash \
             FROM audit_events WHERE seq < $1 ORDER BY seq DESC LIMIT $2",
        )
        .bind(before.unwrap_or(i64::MAX))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(record_from_row).collect()
    }

    /// Recomputes the audit chain from the first event to the head and reports the first
    /// link that does not hold.
    ///
    /// # Errors
    ///
    /// [`crate::StoreError::Database`] when reading fails.
    pub async fn verify_audit(&self) -> Result<AuditVerification> {
        let mut conn = self.pool.acquire().await?;
        verify_chain(&mut conn).await
    }
}

/// Recomputes the audit chain as `conn` sees it, uncommitted writes of its transaction
/// included; see [`Store::verify_audit`].
pub(crate) async fn verify_chain(conn: &mut AnyConnection) -> Result<AuditVerification> {
    let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_one(&mut *conn)
        .await?;
    let head_seq: i64 = head.try_get("seq")?;
    let head_hash: String = head.try_get("hash")?;
    let mut verification = AuditVerification {
        checked: 0,
        head_seq,
        head_hash: head_hash.clone(),
        first_broken: None,
    };
    let mut expected_seq = 1;
    let mut prev_hash = GENESIS_HASH.to_owned();
    // Paging by row position rather than by seq, so duplicated or renumbered rows are
    // still read in the order the database stores them.
    let mut offset = 0;
    loop {
        let rows = sqlx::query(
            "SELECT seq, occurred_at, actor, action, target, detail, prev_hash, hash \
             FROM audit_events ORDER BY seq, hash LIMIT $1 OFFSET $2",
        )
        .bind(VERIFY_PAGE)
        .bind(offset)
        .fetch_all(&mut *conn)
        .await?;
        if rows.is_empty() {
            break;
        }
        offset += rows.len() as i64;
        for row in &rows {
            let record = record_from_row(row)?;
            let reason = if record.seq != expected_seq {
                Some(ChainBreak::SequenceGap {
                    expected: expected_seq,
                    found: record.seq,
                })
            } else if record.prev_hash != prev_hash {
                Some(ChainBreak::PreviousHashMismatch)
            } else if record.hash
                != event_hash(
                    record.seq,
                    &record.occurred_at,
                    &record.actor,
                    &record.action,
                    record.target.as_deref(),
                    &record.detail,
                    &record.prev_hash,
                )
            {
                Some(ChainBreak::HashMismatch)
            } else {
                None
            };
            if let Some(reason) = reason {
                verification.first_broken = Some(BrokenLink {
                    seq: record.seq,
                    reason,
                });
                return Ok(verification);
            }
            verification.checked += 1;
            expected_seq += 1;
            prev_hash = record.hash;
        }
    }
    let last_seq = expected_seq - 1;
    if last_seq != head_seq || prev_hash != head_hash {
        verification.first_broken = Some(BrokenLink {
            seq: head_seq,
            reason: ChainBreak::HeadMismatch { head_seq, last_seq },
        });
    }
    Ok(verification)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_depends_on_every_field() {
        let base = event_hash(1, "t", "a", "x", Some("r:1"), "{}", GENESIS_HASH);
        assert_ne!(
            base,
            event_hash(2, "t", "a", "x", Some("r:1"), "{}", GENESIS_HASH)
        );
        assert_ne!(
            base,
            event_hash(1, "t", "b", "x", Some("r:1"), "{}", GENESIS_HASH)
        );
        assert_ne!(base, event_hash(1, "t", "a", "x", None, "{}", GENESIS_HASH));
        assert_ne!(
            base,
            event_hash(1, "t", "a", "x", Some("r:1"), "{}", &"1".repeat(64))
        );
    }
}
