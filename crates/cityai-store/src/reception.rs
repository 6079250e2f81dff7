//! Conversations of the public reception assistant: their turns, dialogue state and the
//! request each one created.
//!
//! Every turn's text and the readable copy of the dialogue state pass through the same
//! masking as request text before they are stored. The citizen's own words stay only in
//! `restricted_state`, because the assistant needs them until it hands the request to
//! intake. The store clears that column once the conversation no longer needs it. This module does not
//! understand messages or decide replies.

use chrono::Utc;
use cityai_core::time::to_storage;
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit::{self, AuditEvent};
use crate::masking::mask_request;
use crate::{Result, Store, StoreError};

/// A stored reception conversation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReceptionConversation {
    pub id: String,
    /// `zh-CN` or `en`, the language of the latest turn.
    pub lang: String,
    /// The dialogue phase, such as `idle`, `collecting` or `confirming`.
    pub phase: String,
    /// The dialogue state with personal data masked.
    pub state: serde_json::Value,
    /// The dialogue state in the citizen's words, while the conversation still needs it.
    #[serde(skip)]
    pub restricted_state: Option<serde_json::Value>,
    /// The request the conversation created.
    pub request_id: Option<i64>,
    /// When the assistant offered a person to talk to (RFC 3339 UTC).
    pub handoff_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// One stored turn, its text masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReceptionTurn {
    pub id: i64,
    /// `citizen` or `assistant`.
    pub speaker: String,
    pub text: String,
    /// The intent recognised in a citizen's turn.
    pub intent: Option<String>,
    pub created_at: String,
}

/// One exchange to store: the citizen's message, the assistant's reply and the state after.
#[derive(Debug, Clone)]
pub struct ReceptionExchange<'a> {
    pub conversation_id: &'a str,
    pub lang: &'a str,
    pub message: &'a str,
    pub intent: &'a str,
    pub reply: &'a str,
    pub phase: &'a str,
    /// The dialogue state in the citizen's words, as JSON; the store masks its readable copy.
    pub state: &'a serde_json::Value,
    /// Keep the unmasked state for later turns; `false` clears it.
    pub keep_restricted_state: bool,
    /// The request created in this exchange.
    pub request_id: Option<i64>,
    /// The exchange offered a person to talk to.
    pub handoff: bool,
}

const CONVERSATION_COLUMNS: &str = "id, lang, phase, state, restricted_state, request_id, \
     handoff_at, created_at, updated_at";

fn json_column(row: &AnyRow, name: &'static str) -> Result<Option<serde_json::Value>> {
    let text: Option<String> = row.try_get(name)?;
    text.map(|text| {
        serde_json::from_str(&text).map_err(|_| StoreError::InvalidStoredValue {
            column: name,
            value: text,
        })
    })
    .transpose()
}

fn conversation_from_row(row: &AnyRow) -> Result<ReceptionConversation> {
    Ok(ReceptionConversation {
        id: row.try_get("id")?,
        lang: row.try_get("lang")?,
        phase: row.try_get("phase")?,
        state: json_column(row, "state")?.unwrap_or(serde_json::Value::Null),
        restricted_state: json_column(row, "restricted_state")?,
        request_id: row.try_get("request_id")?,
        handoff_at: row.try_get("handoff_at")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// Masks personal data in `text` as request text is masked.
fn masked(text: &str) -> String {
    mask_request(None, text).body
}

impl Store {
    /// Creates an empty conversation with id `id` in phase `idle`.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`], also when the id is taken.
    pub async fn create_reception_conversation(&self, id: &str, lang: &str) -> Result<()> {
        let now = to_storage(Utc::now());
        sqlx::query(
            "INSERT INTO reception_conversations (id, lang, phase, state, created_at, updated_at) \
             VALUES ($1, $2, 'idle', '{}', $3, $3)",
        )
        .bind(id)
        .bind(lang)
        .bind(&now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Returns a conversation, or `None` when no conversation has this id.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`] and [`StoreError::InvalidStoredValue`].
    pub async fn reception_conversation(&self, id: &str) -> Result<Option<ReceptionConversation>> {
        let sql =
            format!("SELECT {CONVERSATION_COLUMNS} FROM reception_conversations WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(conversation_from_row).transpose()
    }

    /// Returns the conversation that created request `request_id`, if one did.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`] and [`StoreError::InvalidStoredValue`].
    pub async fn reception_conversation_of_request(
        &self,
        request_id: i64,
    ) -> Result<Option<ReceptionConversation>> {
        let sql = format!(
            "SELECT {CONVERSATION_COLUMNS} FROM reception_conversations WHERE request_id = $1"
        );
        let row = sqlx::query(&sql)
            .bind(request_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(conversation_from_row).transpose()
    }

    /// Returns the conversations that offered a person to talk to, newest first.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`] and [`StoreError::InvalidStoredValue`].
    pub async fn reception_handoffs(&self, limit: i64) -> Result<Vec<ReceptionConversation>> {
        let sql = format!(
            "SELECT {CONVERSATION_COLUMNS} FROM reception_conversations \
             WHERE handoff_at IS NOT NULL ORDER BY handoff_at DESC, id LIMIT $1"
        );
        let rows = sqlx::query(&sql).bind(limit).fetch_all(&self.pool).await?;
        rows.iter().map(conversation_from_row).collect()
    }

    /// Returns a conversation's turns in order, their text masked.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`].
    pub async fn reception_turns(&self, conversation_id: &str) -> Result<Vec<ReceptionTurn>> {
        let rows = sqlx::query(
            "SELECT id, speaker, text, intent, created_at FROM reception_turns \
             WHERE conversation_id = $1 ORDER BY id",
        )
        .bind(conversation_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(ReceptionTurn {
                    id: row.try_get("id")?,
                    speaker: row.try_get("speaker")?,
                    text: row.try_get("text")?,
                    intent: row.try_get("intent")?,
                    created_at: row.try_get("created_at")?,
                })
            })
            .collect()
    }

    /// Stores one exchange in one transaction: both turns masked, the new state, and the
    /// request or handoff it produced. A handoff is also recorded in the audit trail, under
    /// a hash of the conversation id so that the trail does not reveal the id.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`].
    pub async fn record_reception_exchange(&self, exchange: &ReceptionExchange<'_>) -> Result<()> {
        let now = to_storage(Utc::now());
        let mut tx = self.begin_write().await?;
        for (speaker, text, intent) in [
            ("citizen", exchange.message, Some(exchange.intent)),
            ("assistant", exchange.reply, None),
        ] {
            sqlx::query(
                "INSERT INTO reception_turns (conversation_id, speaker, text, intent, created_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(exchange.conversation_id)
            .bind(speaker)
            .bind(masked(text))
            .bind(intent)
            .bind(&now)
            .execute(&mut *tx)
            .await?;
        }

        let state = exchange.state.to_string();
        let restricted = exchange.keep_restricted_state.then(|| state.clone());
        sqlx::query(
            "UPDATE reception_conversations SET lang = $1, phase = $2, state = $3, \
             restricted_state = $4, request_id = COALESCE($5, request_id), \
             handoff_at = CASE WHEN $6 = 1 THEN $7 ELSE handoff_at END, updated_at = $7 \
             WHERE id = $8",
        )
        .bind(exchange.lang)
        .bind(exchange.phase)
        .bind(masked(&state))
        .bind(restricted)
        .bind(exchange.request_id)
        .bind(i64::from(exchange.handoff))
        .bind(&now)
        .bind(exchange.conversation_id)
        .execute(&mut *tx)
        .await?;

        if exchange.handoff {
            let digest = Sha256::digest(exchange.conversation_id.as_bytes());
            let reference = hex::encode(&digest[..8]);
            audit::append(
                &mut tx,
                &AuditEvent::new("system:reception", "reception.handoff")
                    .target(format!("reception:{reference}"))
                    .detail(json!({ "phase": exchange.phase })),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
