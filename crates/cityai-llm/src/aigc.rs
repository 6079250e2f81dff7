//! Labels for AI-generated text, as GB 45438-2025 requires: an explicit label that readers
//! see, and the implicit metadata block `{"AIGC": {...}}` that files and API records carry.
//!
//! This module builds the labels. Showing the explicit label next to the text, and writing the
//! block into exported files, is the job of the server and the exporters.

use cityai_core::Lang;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The `Label` value for content that is AI-generated (属于人工智能生成合成内容). CityAI
/// writes only this value, because it labels text that its own model generated, never text
/// whose origin it merely suspects.
pub const AIGC_LABEL_AI_GENERATED: &str = "1";

/// Returns the explicit label shown with every AI-generated text: `本内容由人工智能生成` or
/// `AI-generated`.
pub fn explicit_label(lang: Lang) -> &'static str {
    match lang {
        Lang::ZhCn => "本内容由人工智能生成",
        Lang::En => "AI-generated",
    }
}

/// Returns the SHA-256 digest of the UTF-8 bytes of `text`, as 64 lowercase hex digits.
pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// The implicit label of one AI-generated item: the fields of the `AIGC` metadata block of
/// GB 45438-2025, serialised with the standard's key names.
///
/// Every key is always present; a field without a value is the empty string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AigcMetadata {
    /// Whether the content is AI-generated; [`AIGC_LABEL_AI_GENERATED`] for everything CityAI
    /// labels.
    #[serde(rename = "Label")]
    pub label: String,
    /// The name or code of the service provider that generated the content.
    #[serde(rename = "ContentProducer")]
    pub content_producer: String,
    /// The producer's unique number for this item, a UUID v4.
    #[serde(rename = "ProduceID")]
    pub produce_id: String,
    /// The SHA-256 hex digest of the generated text, without the explicit label, so that a
    /// reader can detect a changed text with [`AigcMetadata::matches_text`]. The standard
    /// leaves this field to the producer's own protective use.
    #[serde(rename = "ReservedCode1")]
    pub reserved_code1: String,
    /// The name or code of the platform that published the content, once it is published.
    #[serde(rename = "ContentPropagator")]
    pub content_propagator: String,
    /// The publishing platform's unique number for this item, once it is published.
    #[serde(rename = "PropagateID")]
    pub propagate_id: String,
    /// Unused by CityAI, so empty.
    #[serde(rename = "ReservedCode2")]
    pub reserved_code2: String,
}

impl AigcMetadata {
    /// Creates the metadata of a newly generated `text` with a fresh `ProduceID`.
    pub fn for_generated_text(content_producer: &str, text: &str) -> Self {
        AigcMetadata {
            label: AIGC_LABEL_AI_GENERATED.to_string(),
            content_producer: content_producer.to_string(),
            produce_id: uuid::Uuid::new_v4().to_string(),
            reserved_code1: sha256_hex(text),
            content_propagator: String::new(),
            propagate_id: String::new(),
            reserved_code2: String::new(),
        }
    }

    /// Records the platform that publishes the item and its number there.
    pub fn mark_propagated(&mut self, propagator: &str, propagate_id: &str) {
        self.content_propagator = propagator.to_string();
        self.propagate_id = propagate_id.to_string();
    }

    /// Returns whether `text` is the text this metadata was created for, by its SHA-256 digest.
    pub fn matches_text(&self, text: &str) -> bool {
        self.reserved_code1 == sha256_hex(text)
    }

    /// Wraps the fields in the block `{"AIGC": {...}}` that files and records carry.
    pub fn to_block(&self) -> AigcBlock {
        AigcBlock { aigc: self.clone() }
    }
}

/// The implicit metadata block `{"AIGC": {...}}` as it is written into exported files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AigcBlock {
    #[serde(rename = "AIGC")]
    pub aigc: AigcMetadata,
}

/// An AI-generated text with both of its labels, for API records and exports.
///
/// It serialises as `{"text": ..., "label": ..., "AIGC": {...}}`, so a JSON record carries
/// the metadata block under the standard's key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelledText {
    /// The generated text, without the explicit label.
    pub text: String,
    /// The explicit label to show with the text, in the reader's language.
    pub label: String,
    #[serde(rename = "AIGC")]
    pub aigc: AigcMetadata,
}

impl LabelledText {
    /// Labels a newly generated `text` for readers of `lang`.
    pub fn new(text: &str, lang: Lang, content_producer: &str) -> Self {
        LabelledText {
            text: text.to_string(),
            label: explicit_label(lang).to_string(),
            aigc: AigcMetadata::for_generated_text(content_producer, text),
        }
    }

    /// Returns the text with the explicit label on a line of its own after it, for plain-text
    /// display and exports.
    pub fn display_text(&self) -> String {
        format!("{}\n\n{}", self.text, self.label)
    }

    /// Returns whether the text still matches the digest in its metadata.
    pub fn is_intact(&self) -> bool {
        self.aigc.matches_text(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_has_exact_keys() {
        let metadata = AigcMetadata::for_generated_text("CityAI-Test", "答案");
        let value = serde_json::to_value(metadata.to_block()).unwrap_or_default();

        let Some(block) = value.as_object() else {
            panic!("not an object: {value}");
        };
        assert_eq!(block.keys().collect::<Vec<_>>(), vec!["AIGC"]);
        let Some(fields) = block["AIGC"].as_object() else {
            panic!("AIGC is not an object: {value}");
        };
        let mut keys: Vec<&str> = fields.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            vec![
                "ContentProducer",
                "ContentPropagator",
                "Label",
                "ProduceID",
                "PropagateID",
                "ReservedCode1",
                "ReservedCode2",
            ]
        );
        assert!(fields.values().all(serde_json::Value::is_string), "{value}");
    }

    #[test]
    fn block_keeps_standard_key_order() {
        let metadata = AigcMetadata::for_generated_text("p", "t");
        let json = serde_json::to_string(&metadata.to_block()).unwrap_or_default();
        let order = [
            "\"AIGC\"",
            "\"Label\"",
            "\"ContentProducer\"",
            "\"ProduceID\"",
            "\"ReservedCode1\"",
            "\"ContentPropagator\"",
            "\"PropagateID\"",
            "\"ReservedCode2\"",
        ];
        let positions: Vec<Option<usize>> = order.iter().map(|key| json.find(key)).collect();
        assert!(positions.iter().all(Option::is_some), "{json}");
        assert!(positions.is_sorted(), "{json}");
    }

    #[test]
    fn metadata_fills_producer_fields() {
        let metadata = AigcMetadata::for_generated_text("CityAI-Test", "答案");
        assert_eq!(metadata.label, "1");
        assert_eq!(metadata.content_producer, "CityAI-Test");
        let id = uuid::Uuid::parse_str(&metadata.produce_id).ok();
        assert_eq!(id.map(|id| id.get_version_num()), Some(4));
        assert_eq!(metadata.content_propagator, "");
        assert_eq!(metadata.propagate_id, "");
        assert_eq!(metadata.reserved_code2, "");
    }

    #[test]
    fn produce_ids_are_unique() {
        let first = AigcMetadata::for_generated_text("p", "same text");
        let second = AigcMetadata::for_generated_text("p", "same text");
        assert_ne!(first.produce_id, second.produce_id);
    }

    #[test]
    fn hash_matches_text() {
        let metadata = AigcMetadata::for_generated_text("p", "abc");
        // The SHA-256 test vector for "abc" from FIPS 180-2.
        assert_eq!(
            metadata.reserved_code1,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(metadata.matches_text("abc"));
        assert!(!metadata.matches_text("abd"));
    }

    #[test]
    fn propagation_fills_platform_fields() {
        let mut metadata = AigcMetadata::for_generated_text("p", "t");
        metadata.mark_propagated("city-portal", "notice-42");
        assert_eq!(metadata.content_propagator, "city-portal");
        assert_eq!(metadata.propagate_id, "notice-42");
    }

    #[test]
    fn labelled_text_serialises_block_under_aigc_key() {
        let labelled = LabelledText::new("答案[1]", Lang::ZhCn, "CityAI");
        let value = serde_json::to_value(&labelled).unwrap_or_default();
        assert_eq!(value["text"], "答案[1]");
        assert_eq!(value["label"], "本内容由人工智能生成");
        assert_eq!(value["AIGC"]["Label"], "1");
        assert_eq!(value["AIGC"]["ReservedCode1"], sha256_hex("答案[1]"));

        let back: Option<LabelledText> = serde_json::from_value(value).ok();
        assert_eq!(back.as_ref(), Some(&labelled));
    }

    #[test]
    fn labelled_text_detects_edits() {
        let mut labelled = LabelledText::new("answer [1]", Lang::En, "CityAI");
        assert_eq!(labelled.label, "AI-generated");
        assert_eq!(labelled.display_text(), "answer [1]\n\nAI-generated");
        assert!(labelled.is_intact());
        labelled.text.push('!');
        assert!(!labelled.is_intact());
    }
}
