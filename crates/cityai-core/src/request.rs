//! Citizen requests (诉求/工单): what arrives on each channel and what the store keeps.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::taxonomy::CategoryPath;

/// The way a request reached the city.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// A hotline work order (12345 and similar).
    Hotline,
    /// The public web form.
    Web,
    /// The Open311 GeoReport v2 API.
    Open311,
    /// A spreadsheet or CSV export from another system.
    Import,
    /// The AI reception assistant.
    Reception,
}

impl Channel {
    pub const ALL: [Channel; 5] = [
        Channel::Hotline,
        Channel::Web,
        Channel::Open311,
        Channel::Import,
        Channel::Reception,
    ];

    /// Returns the stable identifier stored in the database and used in URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Hotline => "hotline",
            Channel::Web => "web",
            Channel::Open311 => "open311",
            Channel::Import => "import",
            Channel::Reception => "reception",
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Channel {
    type Err = UnknownValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Channel::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| UnknownValue::new("channel", s, &Channel::ALL.map(Channel::as_str)))
    }
}

/// The stage of a request in its life cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    /// Stored, not yet routed.
    Received,
    /// Routed with too little confidence; waits for an operator.
    Triage,
    /// A category and department are set.
    Assigned,
    /// The department is working on it.
    InProgress,
    /// An official reply was published.
    Replied,
    /// Finished.
    Closed,
}

impl RequestStatus {
    pub const ALL: [RequestStatus; 6] = [
        RequestStatus::Received,
        RequestStatus::Triage,
        RequestStatus::Assigned,
        RequestStatus::InProgress,
        RequestStatus::Replied,
        RequestStatus::Closed,
    ];

    /// Returns the stable identifier stored in the database and used in URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestStatus::Received => "received",
            RequestStatus::Triage => "triage",
            RequestStatus::Assigned => "assigned",
            RequestStatus::InProgress => "in_progress",
            RequestStatus::Replied => "replied",
            RequestStatus::Closed => "closed",
        }
    }
}

impl fmt::Display for RequestStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RequestStatus {
    type Err = UnknownValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RequestStatus::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| {
                UnknownValue::new("status", s, &RequestStatus::ALL.map(RequestStatus::as_str))
            })
    }
}

/// A value that is not one of an enumeration's identifiers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind} {value:?}: expected one of {expected}")]
pub struct UnknownValue {
    pub kind: &'static str,
    pub value: String,
    pub expected: String,
}

impl UnknownValue {
    fn new(kind: &'static str, value: &str, expected: &[&str]) -> Self {
        Self {
            kind,
            value: value.to_owned(),
            expected: expected.join(", "),
        }
    }
}

/// An official reply that arrived with an imported request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportedReply {
    pub body: String,
    pub replied_at: Option<DateTime<Utc>>,
}

/// A request as it arrives, before the store gives it an id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewRequest {
    /// The id in the system the request came from (留言编号, 工单编号), if it had one.
    pub external_id: Option<String>,
    pub channel: Channel,
    pub title: Option<String>,
    pub body: String,
    /// The time the citizen submitted it, when the source records one.
    pub submitted_at: Option<DateTime<Utc>>,
    /// A pseudonymous reference to the citizen (user id, caller reference), never a name.
    pub citizen_ref: Option<String>,
    pub place_text: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// The final category when the source already carries one (labelled history).
    pub category: Option<CategoryPath>,
    /// Support votes (点赞数) from a public message board.
    pub support_votes: Option<i64>,
    /// Objection votes (反对数) from a public message board.
    pub objection_votes: Option<i64>,
    pub reply: Option<ImportedReply>,
}

impl NewRequest {
    /// Creates a request with only a channel and body set.
    pub fn new(channel: Channel, body: impl Into<String>) -> Self {
        Self {
            external_id: None,
            channel,
            title: None,
            body: body.into(),
            submitted_at: None,
            citizen_ref: None,
            place_text: None,
            latitude: None,
            longitude: None,
            category: None,
            support_votes: None,
            objection_votes: None,
            reply: None,
        }
    }

    /// Returns the SHA-256 of what the citizen wrote and when: title, body, submission time
    /// and citizen reference, as lowercase hex.
    ///
    /// Two exports of the same message hash alike even when one of them carries a category or
    /// a reply and the other does not.
    pub fn content_hash(&self) -> String {
        let mut hasher = Sha256::new();
        let submitted = self.submitted_at.map(crate::time::to_storage);
        for part in [
            self.title.as_deref(),
            Some(self.body.as_str()),
            submitted.as_deref(),
            self.citizen_ref.as_deref(),
        ] {
            // A length prefix keeps ("ab", "c") and ("a", "bc") apart; 0xff marks a missing field.
            match part {
                Some(text) => {
                    hasher.update((text.len() as u64).to_le_bytes());
                    hasher.update(text.as_bytes());
                }
                None => hasher.update([0xff]),
            }
        }
        hex::encode(hasher.finalize())
    }

    /// Returns the key that makes intake idempotent: the external id within `source` when
    /// there is one, the content hash otherwise.
    pub fn dedup_key(&self, source: &str) -> String {
        match self.external_id.as_deref().map(str::trim) {
            Some(id) if !id.is_empty() => format!("id:{source}:{id}"),
            _ => format!("sha256:{}", self.content_hash()),
        }
    }

    /// Returns the status a request with this content starts in: replied when it carries a
    /// reply, assigned when it carries a final category, received otherwise.
    pub fn initial_status(&self) -> RequestStatus {
        if self.reply.is_some() {
            RequestStatus::Replied
        } else if self.category.is_some() {
            RequestStatus::Assigned
        } else {
            RequestStatus::Received
        }
    }
}

/// A request read from row `row` of an imported file, counting the header as row 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportRow {
    pub row: usize,
    pub request: NewRequest,
}

/// A stored request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    pub id: i64,
    pub external_id: Option<String>,
    pub channel: Channel,
    pub title: Option<String>,
    pub body: String,
    pub submitted_at: Option<DateTime<Utc>>,
    /// When CityAI stored the request.
    pub received_at: DateTime<Utc>,
    /// When the request last changed (routing, a decision, a reply).
    pub updated_at: DateTime<Utc>,
    pub citizen_ref: Option<String>,
    pub place_text: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub status: RequestStatus,
    pub category: Option<CategoryPath>,
    /// Code of the responsible department.
    pub department: Option<String>,
    /// The router's probability for `category`, when the router set it.
    pub routing_confidence: Option<f64>,
    /// The routing model version that set `category`, when the router set it.
    pub model_version: Option<String>,
    pub support_votes: Option<i64>,
    pub objection_votes: Option<i64>,
}

impl Request {
    /// Returns the title, or the first characters of the body when the source had no title.
    pub fn display_title(&self, max_chars: usize) -> String {
        match self.title.as_deref() {
            Some(t) if !t.trim().is_empty() => t.to_owned(),
            _ => {
                let mut excerpt: String = self.body.chars().take(max_chars).collect();
                if self.body.chars().count() > max_chars {
                    excerpt.push('…');
                }
                excerpt
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_round_trips_through_str() {
        for status in RequestStatus::ALL {
            assert_eq!(status.as_str().parse::<RequestStatus>(), Ok(status));
        }
    }

    #[test]
    fn channel_rejects_unknown_name() {
        let err = "fax".parse::<Channel>().unwrap_err();
        assert!(err.to_string().contains("\"fax\""), "{err}");
        assert!(err.to_string().contains("hotline"), "{err}");
    }

    #[test]
    fn initial_status_follows_content() {
        let mut request = NewRequest::new(Channel::Import, "路灯不亮");
        assert_eq!(request.initial_status(), RequestStatus::Received);
        request.category = Some(CategoryPath::parse("城乡建设").unwrap());
        assert_eq!(request.initial_status(), RequestStatus::Assigned);
        request.reply = Some(ImportedReply {
            body: "已处理".into(),
            replied_at: None,
        });
        assert_eq!(request.initial_status(), RequestStatus::Replied);
    }

    #[test]
    fn content_hash_ignores_category_and_reply() {
        let plain = NewRequest::new(Channel::Import, "噪音扰民");
        let mut labelled = plain.clone();
        labelled.category = Some(CategoryPath::parse("环境保护").unwrap());
        assert_eq!(plain.content_hash(), labelled.content_hash());
        let mut titled = plain.clone();
        titled.title = Some("噪音".into());
        assert_ne!(plain.content_hash(), titled.content_hash());
    }

    #[test]
    fn dedup_key_prefers_external_id() {
        let mut request = NewRequest::new(Channel::Import, "噪音扰民");
        assert!(request.dedup_key("import").starts_with("sha256:"));
        request.external_id = Some(" 188006 ".into());
        assert_eq!(request.dedup_key("board"), "id:board:188006");
    }

    #[test]
    fn display_title_falls_back_to_body() {
        let mut request = NewRequest::new(Channel::Web, "小区门口的路灯已经坏了三个星期");
        request.title = Some("  ".into());
        let stored = Request {
            id: 1,
            external_id: None,
            channel: request.channel,
            title: request.title.clone(),
            body: request.body.clone(),
            submitted_at: None,
            received_at: Utc::now(),
            updated_at: Utc::now(),
            citizen_ref: None,
            place_text: None,
            latitude: None,
            longitude: None,
            status: RequestStatus::Received,
            category: None,
            department: None,
            routing_confidence: None,
            model_version: None,
            support_votes: None,
            objection_votes: None,
        };
        assert_eq!(stored.display_title(6), "小区门口的路…");
    }
}
