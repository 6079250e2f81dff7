//! Knowledge sources: what a document is, who owns it, how sensitive it is, whether it is in
//! force, and its text as structured blocks.
//!
//! These types are plain data with serde support so that the store and the CLI can persist
//! and exchange them. Parsing files into blocks lives in [`crate::formats`], cutting blocks
//! into retrievable passages in [`crate::chunk`].

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::KnowledgeError;
use crate::fold::fold_text;

/// The kind of a knowledge source, which decides how it is chunked and filtered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// A frequently asked question with its answer.
    Faq,
    /// A policy document: a regulation, notice or interpretation with a validity status.
    Policy,
    /// An official reply to a past citizen request.
    Reply,
    /// Any other document (a manual, a guide, a report).
    Document,
}

impl SourceKind {
    /// All kinds, in declaration order.
    pub const ALL: [SourceKind; 4] = [Self::Faq, Self::Policy, Self::Reply, Self::Document];

    /// Returns the stable lowercase name used in the index, in JSON and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Faq => "faq",
            Self::Policy => "policy",
            Self::Reply => "reply",
            Self::Document => "document",
        }
    }
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SourceKind {
    type Err = KnowledgeError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str() == value.trim())
            .ok_or_else(|| KnowledgeError::InvalidValue {
                name: "source kind",
                value: value.to_owned(),
                expected: "one of faq, policy, reply, document",
            })
    }
}

/// The data classification level of a source, per GB/T 43697-2024 (数据安全技术 数据分类分级规则).
///
/// Ordered from least to most sensitive, so `a > b` means `a` needs more protection.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Classification {
    /// 一般数据.
    #[default]
    General,
    /// 重要数据.
    Important,
    /// 核心数据.
    Core,
}

impl Classification {
    /// Returns the stable lowercase name used in JSON and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::General => "general",
            Self::Important => "important",
            Self::Core => "core",
        }
    }
}

impl FromStr for Classification {
    type Err = KnowledgeError;

    /// Parses `general`, `important` or `core`, or the Chinese names 一般, 重要, 核心
    /// (with or without 数据, Simplified or Traditional).
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let folded = fold_text(value.trim());
        let name = folded.strip_suffix("数据").unwrap_or(&folded);
        match name {
            "general" | "一般" => Ok(Self::General),
            "important" | "重要" => Ok(Self::Important),
            "core" | "核心" => Ok(Self::Core),
            _ => Err(KnowledgeError::InvalidValue {
                name: "data classification",
                value: value.to_owned(),
                expected: "general, important or core (一般, 重要, 核心)",
            }),
        }
    }
}

/// The legal status of a source (效力状态), as published with policy documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValidityStatus {
    /// 现行有效 or 有效: in force.
    InForce,
    /// 已修改: amended. The document stays in force in its amended form.
    Amended,
    /// 尚未生效: published but not yet in force.
    NotYetInForce,
    /// 已废止: repealed.
    Repealed,
    /// 失效 or 已失效: expired or otherwise no longer in force.
    Expired,
}

impl ValidityStatus {
    /// Returns whether a source with this status may be cited as current.
    pub fn is_in_force(self) -> bool {
        matches!(self, Self::InForce | Self::Amended)
    }
}

impl FromStr for ValidityStatus {
    type Err = KnowledgeError;

    /// Parses a 效力状态 label in Simplified or Traditional Chinese (现行有效, 有效, 已修改,
    /// 尚未生效, 已废止, 废止, 失效, 已失效, 部分失效 counts as amended), or the snake_case
    /// English name.
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let folded = fold_text(value.trim());
        match folded.as_str() {
            "现行有效" | "有效" | "in_force" => Ok(Self::InForce),
            "已修改" | "修改" | "部分失效" | "amended" => Ok(Self::Amended),
            "尚未生效" | "未生效" | "not_yet_in_force" => Ok(Self::NotYetInForce),
            "已废止" | "废止" | "repealed" => Ok(Self::Repealed),
            "失效" | "已失效" | "expired" => Ok(Self::Expired),
            _ => Err(KnowledgeError::InvalidValue {
                name: "validity status (效力状态)",
                value: value.to_owned(),
                expected: "现行有效, 有效, 已修改, 部分失效, 尚未生效, 已废止, 失效, or in_force, \
                           amended, not_yet_in_force, repealed, expired",
            }),
        }
    }
}

/// When and whether a source is in force. Every part is optional because most sources state
/// only some of it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Validity {
    /// The published status, if any.
    pub status: Option<ValidityStatus>,
    /// The first day the source is in force.
    pub valid_from: Option<NaiveDate>,
    /// The last day the source is in force (inclusive).
    pub valid_until: Option<NaiveDate>,
}

impl Validity {
    /// Returns whether the source is in force on `date`.
    ///
    /// A source is in force unless its status says otherwise (repealed, expired, not yet in
    /// force), `date` is before `valid_from`, or `date` is after `valid_until`. A source that
    /// states nothing is in force.
    pub fn is_in_force_on(&self, date: NaiveDate) -> bool {
        if self.status.is_some_and(|status| !status.is_in_force()) {
            return false;
        }
        if self.valid_from.is_some_and(|from| date < from) {
            return false;
        }
        if self.valid_until.is_some_and(|until| date > until) {
            return false;
        }
        true
    }
}

/// The metadata of a knowledge source: everything but its text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// The id the source has in the system it came from (a FAQ number, a document number).
    /// It must be unique within one index.
    pub id: String,
    /// What kind of source this is.
    pub kind: SourceKind,
    /// The title, if the source has one.
    pub title: Option<String>,
    /// The department that owns the source and answers for its content.
    pub department: Option<String>,
    /// How sensitive the content is.
    pub classification: Classification,
    /// When and whether the source is in force.
    pub validity: Validity,
}

impl Source {
    /// Creates a general-classification source with no title, department or validity.
    pub fn new(id: impl Into<String>, kind: SourceKind) -> Self {
        Self {
            id: id.into(),
            kind,
            title: None,
            department: None,
            classification: Classification::General,
            validity: Validity::default(),
        }
    }
}

/// The role of a block of text inside a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum BlockKind {
    /// A heading; level 1 is the outermost.
    Heading { level: u8 },
    /// A paragraph of running text.
    Paragraph,
    /// One item of a bulleted or numbered list.
    ListItem,
    /// The question of a question/answer pair. The answer follows as [`BlockKind::Answer`].
    Question,
    /// The answer to the [`BlockKind::Question`] before it.
    Answer,
}

/// One structural unit of a document's text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    /// What the block is.
    pub kind: BlockKind,
    /// The text, trimmed, without markup. It may contain line breaks.
    pub text: String,
}

impl Block {
    /// Creates a block, trimming the text.
    pub fn new(kind: BlockKind, text: impl AsRef<str>) -> Self {
        Self {
            kind,
            text: text.as_ref().trim().to_owned(),
        }
    }

    /// Creates a paragraph block.
    pub fn paragraph(text: impl AsRef<str>) -> Self {
        Self::new(BlockKind::Paragraph, text)
    }

    /// Creates a heading block of `level` (1 is the outermost).
    pub fn heading(level: u8, text: impl AsRef<str>) -> Self {
        Self::new(BlockKind::Heading { level }, text)
    }
}

/// A knowledge source with its text as structured blocks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceDocument {
    /// The source's metadata.
    pub source: Source,
    /// The text in reading order. Empty blocks carry no meaning and are skipped by the chunker.
    pub blocks: Vec<Block>,
}

impl SourceDocument {
    /// Returns the document's plain text: the non-empty blocks joined with `\n`.
    ///
    /// Chunk offsets ([`crate::Chunk::char_start`]) count characters in this text.
    pub fn plain_text(&self) -> String {
        let texts: Vec<&str> = self
            .blocks
            .iter()
            .map(|block| block.text.as_str())
            .filter(|text| !text.is_empty())
            .collect();
        texts.join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn status_labels_parse_in_both_scripts() {
        assert_eq!(
            "现行有效".parse::<ValidityStatus>().unwrap(),
            ValidityStatus::InForce
        );
        assert_eq!(
            "現行有效".parse::<ValidityStatus>().unwrap(),
            ValidityStatus::InForce
        );
        assert_eq!(
            "已廢止".parse::<ValidityStatus>().unwrap(),
            ValidityStatus::Repealed
        );
        assert_eq!(
            "已修改".parse::<ValidityStatus>().unwrap(),
            ValidityStatus::Amended
        );
        assert_eq!(
            "失效".parse::<ValidityStatus>().unwrap(),
            ValidityStatus::Expired
        );
        let error = "作废了".parse::<ValidityStatus>().unwrap_err().to_string();
        assert!(error.contains("作废了"), "{error}");
    }

    #[test]
    fn classification_parses_names() {
        assert_eq!(
            "重要数据".parse::<Classification>().unwrap(),
            Classification::Important
        );
        assert_eq!(
            "核心".parse::<Classification>().unwrap(),
            Classification::Core
        );
        assert_eq!(
            "general".parse::<Classification>().unwrap(),
            Classification::General
        );
        assert!(Classification::Core > Classification::Important);
        assert!("secret".parse::<Classification>().is_err());
    }

    #[test]
    fn validity_checks_status_and_dates() {
        let day = date("2024-06-01");
        assert!(Validity::default().is_in_force_on(day));

        let repealed = Validity {
            status: Some(ValidityStatus::Repealed),
            ..Validity::default()
        };
        assert!(!repealed.is_in_force_on(day));

        let expired = Validity {
            valid_until: Some(date("2024-05-31")),
            ..Validity::default()
        };
        assert!(!expired.is_in_force_on(day));

        let last_day = Validity {
            valid_until: Some(day),
            ..Validity::default()
        };
        assert!(last_day.is_in_force_on(day));

        let future = Validity {
            valid_from: Some(date("2024-06-02")),
            ..Validity::default()
        };
        assert!(!future.is_in_force_on(day));
    }

    #[test]
    fn kind_round_trips_through_text_and_json() {
        for kind in SourceKind::ALL {
            assert_eq!(kind.as_str().parse::<SourceKind>().unwrap(), kind);
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{kind}\""));
        }
        assert!("faqs".parse::<SourceKind>().is_err());
    }
}
