//! The crate's error type.
//!
//! No message carries prompt or answer text, so every error may be logged as it is. A server's
//! own error message is included, shortened, because it names the cause (an unknown model, a
//! context that is too long) and does not repeat the prompt in the servers this crate targets.

use std::fmt;
use std::time::Duration;

/// A failure to configure the client, to get a completion, or to ground an answer.
#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    #[error("invalid LLM setting {field} = {value:?}: {reason}")]
    InvalidConfig {
        field: &'static str,
        value: String,
        reason: String,
    },

    #[error("the HTTP client could not be built: {0}")]
    ClientBuild(#[source] reqwest::Error),

    #[error(
        "connection to the LLM server at {url} failed (attempts: {attempts}): check that the \
         serving engine is running and that base_url points at it"
    )]
    Connect {
        url: String,
        attempts: u32,
        #[source]
        source: reqwest::Error,
    },

    #[error("the LLM server at {url} timed out: {stage} (limit {limit:?}); {hint}", hint = stage.hint())]
    Timeout {
        url: String,
        stage: TimeoutStage,
        limit: Duration,
    },

    #[error(
        "the LLM server returned HTTP {status}{} (attempts: {attempts}): {hint}",
        message.as_deref().map(|m| format!(" \"{m}\"")).unwrap_or_default(),
        hint = http_hint(*status)
    )]
    Http {
        status: u16,
        /// The server's error message, from the OpenAI error envelope when present.
        message: Option<String>,
        /// The delay the server asked for in `Retry-After`, in whole seconds.
        retry_after: Option<Duration>,
        attempts: u32,
    },

    #[error("invalid chat request: {reason}")]
    InvalidRequest { reason: String },

    #[error("the request to the LLM server failed: {0}")]
    Transport(#[source] reqwest::Error),

    #[error(
        "the LLM server's response is not valid JSON for {what} ({detail}): check that base_url \
         points at an OpenAI-compatible API"
    )]
    MalformedJson { what: &'static str, detail: String },

    #[error(
        "the LLM server's response has no choices: check that the server implements the OpenAI \
         Chat Completions API"
    )]
    MissingChoices,

    #[error(
        "the LLM server returned an empty answer (finish reason: {}): {}",
        finish_reason.as_deref().unwrap_or("none"),
        empty_hint(finish_reason.as_deref())
    )]
    EmptyContent { finish_reason: Option<String> },

    #[error(
        "the answer was cut off at the token limit after {chars} characters: raise max_tokens \
         or shorten the prompt"
    )]
    Truncated { chars: usize },

    #[error(
        "the LLM server's response is larger than {limit} bytes: check max_tokens and the server"
    )]
    ResponseTooLarge { limit: usize },

    #[error(
        "the LLM server's stream has invalid UTF-8 on line {line}: check the server's encoding"
    )]
    InvalidUtf8 { line: usize },

    #[error("the LLM server's stream is malformed on line {line}: {detail}")]
    MalformedStream { line: usize, detail: String },

    #[error("the LLM server reported an error in the middle of the stream: \"{message}\"")]
    StreamError { message: String },

    #[error(
        "the LLM server closed the stream before the answer was complete (no finish reason and \
         no [DONE]): check the server's logs"
    )]
    StreamIncomplete,

    #[error("no passages to ground an answer in: refuse before calling the LLM")]
    NoPassages,

    #[error("invalid grounded prompt: {reason}")]
    InvalidPrompt { reason: String },

    #[error(
        "the answer cites passages {cited:?}, but only {available:?} were given: the model \
         invented sources, so show the passages instead of this answer"
    )]
    UnknownCitations {
        cited: Vec<usize>,
        available: Vec<usize>,
    },

    #[error(
        "the answer cites no passage and does not refuse, so it is not grounded: show the \
         passages instead of this answer"
    )]
    UngroundedAnswer,
}

impl LlmError {
    /// Records how many attempts were made, on the variants that report it.
    pub(crate) fn with_attempts(mut self, count: u32) -> Self {
        match &mut self {
            LlmError::Connect { attempts, .. } | LlmError::Http { attempts, .. } => {
                *attempts = count;
            }
            _ => {}
        }
        self
    }

    pub(crate) fn invalid_config(
        field: &'static str,
        value: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        LlmError::InvalidConfig {
            field,
            value: value.into(),
            reason: reason.into(),
        }
    }
}

/// The step of a request that ran out of time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutStage {
    /// The TCP (and TLS) connection was not established within `connect_timeout`.
    Connect,
    /// The whole attempt, from sending the request to the end of the answer, took longer than
    /// `timeout`.
    Total,
    /// A stream sent nothing for longer than `stream_idle_timeout`.
    StreamIdle,
}

impl TimeoutStage {
    fn hint(self) -> &'static str {
        match self {
            TimeoutStage::Connect => {
                "check that the serving engine is running and reachable from this host"
            }
            TimeoutStage::Total => {
                "the server may be overloaded; raise the timeout or lower max_tokens"
            }
            TimeoutStage::StreamIdle => {
                "the server stopped sending tokens; check its load and logs, or raise \
                 stream_idle_timeout"
            }
        }
    }
}

impl fmt::Display for TimeoutStage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TimeoutStage::Connect => "no connection",
            TimeoutStage::Total => "no complete answer in time",
            TimeoutStage::StreamIdle => "the stream stalled",
        })
    }
}

fn http_hint(status: u16) -> &'static str {
    match status {
        400 => "the server rejected the request; the prompt may exceed the model's context",
        401 | 403 => "check the API key (api_key) that the server expects",
        404 => "check that base_url ends with the API prefix (often /v1) and that the model exists",
        408 => "the server timed out reading the request; retry later",
        413 => "the prompt is too large for the server; send fewer or shorter passages",
        422 => "the server rejected the request body; check the model name and parameters",
        429 => "the server is rate limiting; retry later or lower the request rate",
        500..=599 => "the server failed; check its logs and retry later",
        _ => "check the server's logs",
    }
}

fn empty_hint(finish_reason: Option<&str>) -> &'static str {
    match finish_reason {
        Some("length") => "the token limit was reached before any text; raise max_tokens",
        Some("content_filter") => "the server's content filter removed the answer",
        _ => "retry, or check the model with a simple prompt",
    }
}
