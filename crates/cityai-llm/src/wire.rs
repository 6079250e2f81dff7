//! The JSON bodies of the OpenAI Chat Completions API, as far as this crate reads and writes
//! them. Unknown fields are ignored, so servers that add their own fields still work.

use serde::{Deserialize, Serialize};

use crate::ChatMessage;

/// The request body of `POST /chat/completions`.
#[derive(Debug, Serialize)]
pub(crate) struct CompletionRequest<'a> {
    pub model: &'a str,
    pub messages: &'a [ChatMessage],
    pub stream: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
}

/// A non-streamed response.
#[derive(Debug, Deserialize)]
pub(crate) struct CompletionResponse {
    /// Missing and empty are both reported as [`LlmError::MissingChoices`](crate::LlmError).
    pub choices: Option<Vec<Choice>>,
    pub model: Option<String>,
    pub usage: Option<WireUsage>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Choice {
    pub message: Option<ResponseMessage>,
    pub finish_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ResponseMessage {
    pub content: Option<String>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
pub(crate) struct WireUsage {
    pub prompt_tokens: Option<u32>,
    pub completion_tokens: Option<u32>,
    pub total_tokens: Option<u32>,
}

/// One `data:` event of a streamed response.
#[derive(Debug, Deserialize)]
pub(crate) struct CompletionChunk {
    /// Missing in some servers' final usage event, so absent means empty here.
    #[serde(default)]
    pub choices: Vec<ChunkChoice>,
    pub model: Option<String>,
    pub usage: Option<WireUsage>,
    /// vLLM and others send an error object in the stream when generation fails midway.
    pub error: Option<ErrorBody>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ChunkChoice {
    pub delta: Option<Delta>,
    pub finish_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Delta {
    pub content: Option<String>,
}

/// The error body of a failed request: the OpenAI envelope `{"error": {"message": ...}}`, and
/// the shapes some compatible servers use instead (`{"error": "..."}` in Ollama,
/// `{"detail": "..."}` in FastAPI-based servers, a bare `{"message": "..."}`).
#[derive(Debug, Deserialize)]
pub(crate) struct ErrorEnvelope {
    pub error: Option<ErrorBody>,
    pub detail: Option<serde_json::Value>,
    pub message: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum ErrorBody {
    Object { message: Option<String> },
    Text(String),
}

impl ErrorBody {
    pub fn message(&self) -> Option<&str> {
        match self {
            ErrorBody::Object { message } => message.as_deref(),
            ErrorBody::Text(text) => Some(text),
        }
    }
}

/// The maximum number of characters kept from a server's error message.
const MAX_ERROR_MESSAGE_CHARS: usize = 300;

/// Extracts the server's error message from an error body, shortened and without control
/// characters, or `None` when the body has no recognisable message.
pub(crate) fn error_message(body: &[u8]) -> Option<String> {
    let envelope: ErrorEnvelope = serde_json::from_slice(body).ok()?;
    let message = match (&envelope.error, &envelope.detail, &envelope.message) {
        (Some(error), _, _) => error.message().map(str::to_string),
        (None, Some(serde_json::Value::String(detail)), _) => Some(detail.clone()),
        (None, Some(detail), _) => Some(detail.to_string()),
        (None, None, Some(message)) => Some(message.clone()),
        (None, None, None) => None,
    }?;
    Some(clean_message(&message))
}

/// Shortens a server message and replaces control characters, so that it fits one log line.
pub(crate) fn clean_message(message: &str) -> String {
    let mut cleaned: String = message
        .trim()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_ERROR_MESSAGE_CHARS)
        .collect();
    if message.trim().chars().count() > MAX_ERROR_MESSAGE_CHARS {
        cleaned.push('…');
    }
    cleaned
}

/// Describes a JSON parse failure by its category and position only, because serde's own
/// message may quote values from the body, which can contain personal data.
pub(crate) fn describe_json_error(err: &serde_json::Error) -> String {
    let category = match err.classify() {
        serde_json::error::Category::Io => "read error",
        serde_json::error::Category::Syntax => "syntax error",
        serde_json::error::Category::Data => "unexpected structure",
        serde_json::error::Category::Eof => "unexpected end",
    };
    format!("{category} at line {} column {}", err.line(), err.column())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extracts_openai_error_envelope() {
        let body = br#"{"error":{"message":"Invalid API key","type":"invalid_request_error","code":"invalid_api_key"}}"#;
        assert_eq!(error_message(body).as_deref(), Some("Invalid API key"));
    }

    #[test]
    fn extracts_other_error_shapes() {
        assert_eq!(
            error_message(br#"{"error":"model 'x' not found"}"#).as_deref(),
            Some("model 'x' not found")
        );
        assert_eq!(
            error_message(br#"{"detail":"Not Found"}"#).as_deref(),
            Some("Not Found")
        );
        assert_eq!(error_message(b"<html>502</html>"), None);
    }

    #[test]
    fn shortens_long_error_messages() {
        let long = format!(r#"{{"error":{{"message":"{}"}}}}"#, "x\\n".repeat(400));
        let message = error_message(long.as_bytes()).unwrap_or_default();
        assert_eq!(message.chars().count(), MAX_ERROR_MESSAGE_CHARS + 1);
        assert!(!message.contains('\n'));
    }

    #[test]
    fn json_error_description_hides_values() {
        let err = serde_json::from_str::<WireUsage>(r#"{"prompt_tokens":"secret-name"}"#)
            .err()
            .map(|e| describe_json_error(&e))
            .unwrap_or_default();
        assert!(err.starts_with("unexpected structure"), "{err}");
        assert!(!err.contains("secret-name"), "{err}");
    }
}
