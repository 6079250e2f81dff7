//! The chat client: request and response types, one attempt over HTTP, and the retry loop.
//!
//! `Debug` of [`ChatMessage`] and [`ChatCompletion`] prints sizes instead of text, so that a
//! stray `?request` in a log line cannot leak a citizen's words.

use std::fmt;
use std::time::Duration;

use cityai_core::Lang;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, RETRY_AFTER};
use reqwest::{Response, Url};
use serde::{Deserialize, Serialize};
use tokio::time::{Instant, sleep, timeout_at};

use crate::sse::SseDecoder;
use crate::wire::{self, CompletionChunk, CompletionRequest, CompletionResponse, WireUsage};
use crate::{LabelledText, LlmConfig, LlmError, TimeoutStage};

/// The maximum size of an answer body, streamed or not. A chat answer is usually a few kilobytes, so
/// more means a misconfigured server, and the limit bounds the memory it takes.
const MAX_RESPONSE_BYTES: usize = 4 * 1024 * 1024;

/// The maximum size of an error body read for its message.
const MAX_ERROR_BODY_BYTES: usize = 64 * 1024;

/// The author of a chat message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    User,
    Assistant,
}

/// One message of a chat prompt.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub role: Role,
    pub content: String,
}

impl ChatMessage {
    /// Creates a system message.
    pub fn system(content: impl Into<String>) -> Self {
        ChatMessage {
            role: Role::System,
            content: content.into(),
        }
    }

    /// Creates a user message.
    pub fn user(content: impl Into<String>) -> Self {
        ChatMessage {
            role: Role::User,
            content: content.into(),
        }
    }

    /// Creates an assistant message, for a few-shot example or an earlier turn.
    pub fn assistant(content: impl Into<String>) -> Self {
        ChatMessage {
            role: Role::Assistant,
            content: content.into(),
        }
    }
}

impl fmt::Debug for ChatMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChatMessage")
            .field("role", &self.role)
            .field("content_chars", &self.content.chars().count())
            .finish()
    }
}

/// A chat completion request: the messages and the sampling settings that override the
/// server's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatRequest {
    pub messages: Vec<ChatMessage>,
    /// The sampling temperature; `None` leaves the server's default.
    pub temperature: Option<f32>,
    /// The maximum number of tokens to generate; `None` leaves the server's default.
    pub max_tokens: Option<u32>,
}

impl ChatRequest {
    /// Checks what the server would reject or misread, before anything is sent.
    fn validate(&self) -> Result<(), LlmError> {
        let invalid = |reason: String| Err(LlmError::InvalidRequest { reason });

        if self.messages.is_empty() {
            return invalid("it has no messages; add at least one user message".to_string());
        }
        let out_of_range = |t: &f32| !(0.0..=2.0).contains(t);
        if let Some(temperature) = self.temperature.filter(out_of_range) {
            return invalid(format!(
                "temperature {temperature} is outside 0 to 2, the range of the OpenAI API"
            ));
        }
        if self.max_tokens == Some(0) {
            return invalid("max_tokens is 0; leave it unset or allow at least 1".to_string());
        }
        Ok(())
    }
}

impl From<Vec<ChatMessage>> for ChatRequest {
    fn from(messages: Vec<ChatMessage>) -> Self {
        ChatRequest {
            messages,
            temperature: None,
            max_tokens: None,
        }
    }
}

/// The reason the model stopped generating.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FinishReason {
    /// The model finished its answer.
    Stop,
    /// The answer was cut off at the token limit, so it is incomplete.
    Length,
    /// The server's content filter removed part of the answer.
    ContentFilter,
    /// The model asked to call a tool.
    ToolCalls,
    /// A value this crate does not know, as the server sent it.
    Other(String),
    /// The server sent no finish reason.
    Missing,
}

impl FinishReason {
    fn from_wire(value: Option<&str>) -> Self {
        match value {
            None => FinishReason::Missing,
            Some("stop") => FinishReason::Stop,
            Some("length") => FinishReason::Length,
            Some("content_filter") => FinishReason::ContentFilter,
            Some("tool_calls" | "function_call") => FinishReason::ToolCalls,
            Some(other) => FinishReason::Other(other.to_string()),
        }
    }
}

/// The token counts a server reports, when it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    pub prompt_tokens: Option<u32>,
    pub completion_tokens: Option<u32>,
    pub total_tokens: Option<u32>,
}

impl From<WireUsage> for Usage {
    fn from(usage: WireUsage) -> Self {
        Usage {
            prompt_tokens: usage.prompt_tokens,
            completion_tokens: usage.completion_tokens,
            total_tokens: usage.total_tokens,
        }
    }
}

/// A finished answer of the model.
#[derive(Clone, PartialEq)]
pub struct ChatCompletion {
    /// The answer text, never empty.
    pub text: String,
    pub finish_reason: FinishReason,
    /// The model name the server reports, which may differ from the requested alias.
    pub model: Option<String>,
    pub usage: Option<Usage>,
    /// The number of HTTP attempts, 1 when no retry was needed.
    pub attempts: u32,
    /// The time from the first attempt to the end of the answer, including retry delays.
    pub elapsed: Duration,
}

impl ChatCompletion {
    /// Returns whether the answer was cut off at the token limit.
    pub fn is_truncated(&self) -> bool {
        self.finish_reason == FinishReason::Length
    }

    /// Returns the completion unless it was cut off at the token limit.
    ///
    /// # Errors
    ///
    /// [`LlmError::Truncated`] when the finish reason is `length`.
    pub fn into_complete(self) -> Result<Self, LlmError> {
        if self.is_truncated() {
            return Err(LlmError::Truncated {
                chars: self.text.chars().count(),
            });
        }
        Ok(self)
    }
}

impl fmt::Debug for ChatCompletion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChatCompletion")
            .field("text_chars", &self.text.chars().count())
            .field("finish_reason", &self.finish_reason)
            .field("model", &self.model)
            .field("usage", &self.usage)
            .field("attempts", &self.attempts)
            .field("elapsed", &self.elapsed)
            .finish()
    }
}

/// A client of one OpenAI-compatible chat server and model.
///
/// Cloning is cheap and shares the connection pool.
#[derive(Debug, Clone)]
pub struct LlmClient {
    http: reqwest::Client,
    endpoint: Url,
    config: LlmConfig,
}

impl LlmClient {
    /// Validates the settings and builds a client. It does not contact the server.
    ///
    /// The client ignores proxy environment variables, because the server is inside the
    /// city's network.
    ///
    /// # Errors
    ///
    /// [`LlmError::InvalidConfig`] for an invalid setting, and [`LlmError::ClientBuild`] when
    /// the HTTP client cannot be built (for example, without a TLS trust store).
    pub fn new(config: LlmConfig) -> Result<Self, LlmError> {
        let base_url = config.validated_base_url()?;
        let endpoint = chat_endpoint(&base_url)?;
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .no_proxy()
            .user_agent(concat!("cityai-llm/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(LlmError::ClientBuild)?;
        Ok(LlmClient {
            http,
            endpoint,
            config,
        })
    }

    /// Returns the validated settings.
    pub fn config(&self) -> &LlmConfig {
        &self.config
    }

    /// Sends a chat request and waits for the whole answer.
    ///
    /// Retries HTTP 429, HTTP 5xx and failed connections up to `max_retries` times, with
    /// exponential backoff or the server's `Retry-After`. Each attempt may take up to
    /// `timeout`, so the call as a whole may take `(max_retries + 1) × timeout` plus the
    /// delays. An answer cut off at the token limit is returned with
    /// [`FinishReason::Length`]; use [`ChatCompletion::into_complete`] to reject it.
    ///
    /// # Errors
    ///
    /// [`LlmError::Connect`], [`LlmError::Timeout`], [`LlmError::Http`] and
    /// [`LlmError::Transport`] when the server cannot be reached or fails;
    /// [`LlmError::MalformedJson`], [`LlmError::MissingChoices`],
    /// [`LlmError::EmptyContent`] and [`LlmError::ResponseTooLarge`] when its answer is not
    /// usable.
    pub async fn chat(&self, request: &ChatRequest) -> Result<ChatCompletion, LlmError> {
        self.complete(request, false, &mut |_| {}).await
    }

    /// Sends a chat request with `"stream": true` and calls `on_delta` with each piece of the
    /// answer as it arrives, then returns the whole answer.
    ///
    /// Retries like [`LlmClient::chat`], but only before the first piece arrives, so
    /// `on_delta` never receives a piece twice. Besides `timeout` for the whole answer, a gap of
    /// more than `stream_idle_timeout` between two pieces ends the stream. A server that
    /// ignores `"stream": true` and answers with plain JSON is accepted, and `on_delta` then
    /// receives the whole answer at once.
    ///
    /// # Errors
    ///
    /// Those of [`LlmClient::chat`], and [`LlmError::InvalidUtf8`],
    /// [`LlmError::MalformedStream`], [`LlmError::StreamError`] and
    /// [`LlmError::StreamIncomplete`] for a broken stream.
    pub async fn chat_stream(
        &self,
        request: &ChatRequest,
        on_delta: &mut (dyn FnMut(&str) + Send),
    ) -> Result<ChatCompletion, LlmError> {
        self.complete(request, true, on_delta).await
    }

    /// Labels a generated text for display or export, with this client's content producer.
    pub fn label(&self, text: &str, lang: Lang) -> LabelledText {
        LabelledText::new(text, lang, &self.config.content_producer)
    }

    /// Runs attempts until one succeeds, one fails for good, or the retries are used up.
    async fn complete(
        &self,
        request: &ChatRequest,
        stream: bool,
        on_delta: &mut (dyn FnMut(&str) + Send),
    ) -> Result<ChatCompletion, LlmError> {
        request.validate()?;
        let body = serde_json::to_vec(&CompletionRequest {
            model: &self.config.model,
            messages: &request.messages,
            stream,
            temperature: request.temperature,
            max_tokens: request.max_tokens,
        })
        .map_err(|err| LlmError::InvalidRequest {
            reason: format!(
                "it cannot be written as JSON ({})",
                wire::describe_json_error(&err)
            ),
        })?;
        let prompt_chars: usize = request
            .messages
            .iter()
            .map(|m| m.content.chars().count())
            .sum();
        let started = Instant::now();
        let mut attempt = 1;

        loop {
            // NOTE: an attempt fails with a retryable error only before the first streamed
            // piece, because 429 and 5xx come with the status line and failed connections
            // come before any body, so a retry never repeats a piece to `on_delta`.
            let error = match self.attempt(&body, stream, on_delta).await {
                Ok(mut completion) => {
                    completion.attempts = attempt;
                    completion.elapsed = started.elapsed();
                    tracing::debug!(
                        stream,
                        attempts = attempt,
                        elapsed_ms = completion.elapsed.as_millis() as u64,
                        prompt_chars,
                        answer_chars = completion.text.chars().count(),
                        finish_reason = ?completion.finish_reason,
                        "LLM completion finished"
                    );
                    if completion.is_truncated() {
                        tracing::warn!(
                            answer_chars = completion.text.chars().count(),
                            "LLM answer was cut off at the token limit"
                        );
                    }
                    return Ok(completion);
                }
                Err(error) => error,
            };

            let Some(delay) = self.retry_delay(&error, attempt) else {
                return Err(error.with_attempts(attempt));
            };
            tracing::warn!(
                attempt,
                max_retries = self.config.max_retries,
                delay_ms = delay.as_millis() as u64,
                error = %error.with_attempts(attempt),
                "LLM request failed; retrying"
            );
            sleep(delay).await;
            attempt += 1;
        }
    }

    /// Returns the delay before the next attempt, or `None` when the error is final.
    fn retry_delay(&self, error: &LlmError, attempt: u32) -> Option<Duration> {
        if attempt > self.config.max_retries {
            return None;
        }
        let server_delay = match error {
            LlmError::Http {
                status,
                retry_after,
                ..
            } if *status == 429 || (500..=599).contains(status) => *retry_after,
            LlmError::Connect { .. }
            | LlmError::Timeout {
                stage: TimeoutStage::Connect,
                ..
            } => None,
            _ => return None,
        };
        if let Some(delay) = server_delay {
            return Some(delay.min(self.config.max_retry_delay));
        }

        let exponent = (attempt - 1).min(16);
        let delay = self
            .config
            .retry_backoff
            .saturating_mul(1 << exponent)
            .min(self.config.max_retry_delay);
        Some(with_jitter(delay))
    }

    /// Sends one request and reads the whole answer within `timeout`.
    async fn attempt(
        &self,
        body: &[u8],
        stream: bool,
        on_delta: &mut (dyn FnMut(&str) + Send),
    ) -> Result<ChatCompletion, LlmError> {
        let deadline = Instant::now() + self.config.timeout;
        let accept = if stream {
            "text/event-stream"
        } else {
            "application/json"
        };
        let mut builder = self
            .http
            .post(self.endpoint.clone())
            .header(CONTENT_TYPE, "application/json")
            .header(ACCEPT, accept)
            .body(body.to_vec());
        if let Some(key) = &self.config.api_key {
            // `bearer_auth` marks the header as sensitive, so reqwest does not print it.
            builder = builder.bearer_auth(key);
        }

        let mut response = timeout_at(deadline, builder.send())
            .await
            .map_err(|_| self.timeout(TimeoutStage::Total))?
            .map_err(|err| self.send_error(err))?;
        let status = response.status();
        tracing::debug!(status = status.as_u16(), stream, "LLM server responded");

        if !status.is_success() {
            let retry_after = parse_retry_after(response.headers());
            let error_body = self
                .read_body(&mut response, deadline, MAX_ERROR_BODY_BYTES)
                .await
                .unwrap_or_default();
            return Err(LlmError::Http {
                status: status.as_u16(),
                message: wire::error_message(&error_body),
                retry_after,
                attempts: 1,
            });
        }

        if stream && is_event_stream(response.headers()) {
            return self.read_stream(&mut response, deadline, on_delta).await;
        }
        let completion_body = self
            .read_body(&mut response, deadline, MAX_RESPONSE_BYTES)
            .await?;
        let completion = parse_completion(&completion_body)?;
        if stream {
            on_delta(&completion.text);
        }
        Ok(completion)
    }

    /// Reads a whole body of at most `limit` bytes before `deadline`.
    async fn read_body(
        &self,
        response: &mut Response,
        deadline: Instant,
        limit: usize,
    ) -> Result<Vec<u8>, LlmError> {
        let mut body = Vec::new();
        loop {
            let chunk = timeout_at(deadline, response.chunk())
                .await
                .map_err(|_| self.timeout(TimeoutStage::Total))?
                .map_err(LlmError::Transport)?;
            let Some(chunk) = chunk else {
                return Ok(body);
            };
            if body.len() + chunk.len() > limit {
                return Err(LlmError::ResponseTooLarge { limit });
            }
            body.extend_from_slice(&chunk);
        }
    }

    /// Reads a server-sent event stream, passing each piece of the answer to `on_delta`.
    async fn read_stream(
        &self,
        response: &mut Response,
        deadline: Instant,
        on_delta: &mut (dyn FnMut(&str) + Send),
    ) -> Result<ChatCompletion, LlmError> {
        let mut decoder = SseDecoder::default();
        let mut answer = StreamedAnswer::default();
        let mut received = 0usize;

        loop {
            // Wait for the next piece, up to the idle limit or the overall deadline.
            let idle_deadline = Instant::now() + self.config.stream_idle_timeout;
            let (wait_until, stage) = if idle_deadline < deadline {
                (idle_deadline, TimeoutStage::StreamIdle)
            } else {
                (deadline, TimeoutStage::Total)
            };
            let chunk = timeout_at(wait_until, response.chunk())
                .await
                .map_err(|_| self.timeout(stage))?
                .map_err(LlmError::Transport)?;

            // Decode the events it completes; the body may end without a final blank line.
            let (events, ended) = match chunk {
                Some(chunk) => {
                    received += chunk.len();
                    if received > MAX_RESPONSE_BYTES {
                        return Err(LlmError::ResponseTooLarge {
                            limit: MAX_RESPONSE_BYTES,
                        });
                    }
                    (decoder.push(&chunk)?, false)
                }
                None => (decoder.finish()?.into_iter().collect(), true),
            };

            for data in events {
                if answer.apply(&data, decoder.lines(), on_delta)? {
                    return answer.finish();
                }
            }
            if ended {
                return answer.finish_without_done();
            }
        }
    }

    fn timeout(&self, stage: TimeoutStage) -> LlmError {
        let limit = match stage {
            TimeoutStage::Connect => self.config.connect_timeout,
            TimeoutStage::Total => self.config.timeout,
            TimeoutStage::StreamIdle => self.config.stream_idle_timeout,
        };
        LlmError::Timeout {
            url: self.endpoint.to_string(),
            stage,
            limit,
        }
    }

    fn send_error(&self, err: reqwest::Error) -> LlmError {
        if err.is_connect() && err.is_timeout() {
            self.timeout(TimeoutStage::Connect)
        } else if err.is_connect() {
            LlmError::Connect {
                url: self.endpoint.to_string(),
                attempts: 1,
                source: err,
            }
        } else if err.is_timeout() {
            self.timeout(TimeoutStage::Total)
        } else {
            LlmError::Transport(err)
        }
    }
}

/// The answer collected from a stream so far.
#[derive(Default)]
struct StreamedAnswer {
    text: String,
    finish_reason: Option<String>,
    model: Option<String>,
    usage: Option<Usage>,
    saw_choice: bool,
}

impl StreamedAnswer {
    /// Applies one event and returns whether it was the final `[DONE]`.
    fn apply(
        &mut self,
        data: &str,
        line: usize,
        on_delta: &mut (dyn FnMut(&str) + Send),
    ) -> Result<bool, LlmError> {
        if data.trim() == "[DONE]" {
            return Ok(true);
        }
        let chunk: CompletionChunk =
            serde_json::from_str(data).map_err(|err| LlmError::MalformedStream {
                line,
                detail: format!(
                    "an event is not a JSON chat completion chunk ({})",
                    wire::describe_json_error(&err)
                ),
            })?;
        if let Some(error) = chunk.error {
            return Err(LlmError::StreamError {
                message: wire::clean_message(error.message().unwrap_or("no message")),
            });
        }

        if chunk.model.is_some() {
            self.model = chunk.model;
        }
        if let Some(usage) = chunk.usage {
            self.usage = Some(usage.into());
        }
        // Only the first choice is read, because the client never asks for more (`n` = 1).
        if let Some(choice) = chunk.choices.into_iter().next() {
            self.saw_choice = true;
            let content = choice.delta.and_then(|d| d.content);
            if let Some(content) = content.filter(|c| !c.is_empty()) {
                self.text.push_str(&content);
                on_delta(&content);
            }
            if choice.finish_reason.is_some() {
                self.finish_reason = choice.finish_reason;
            }
        }
        Ok(false)
    }

    /// Ends a stream that closed without `[DONE]`, which is complete only with a finish reason.
    fn finish_without_done(self) -> Result<ChatCompletion, LlmError> {
        if self.finish_reason.is_none() {
            return Err(LlmError::StreamIncomplete);
        }
        self.finish()
    }

    fn finish(self) -> Result<ChatCompletion, LlmError> {
        if !self.saw_choice {
            return Err(LlmError::MissingChoices);
        }
        completion(self.text, self.finish_reason, self.model, self.usage)
    }
}

/// Parses a non-streamed answer.
fn parse_completion(body: &[u8]) -> Result<ChatCompletion, LlmError> {
    let response: CompletionResponse =
        serde_json::from_slice(body).map_err(|err| LlmError::MalformedJson {
            what: "a chat completion",
            detail: wire::describe_json_error(&err),
        })?;
    let Some(choice) = response.choices.and_then(|c| c.into_iter().next()) else {
        return Err(LlmError::MissingChoices);
    };
    let text = choice.message.and_then(|m| m.content).unwrap_or_default();
    completion(
        text,
        choice.finish_reason,
        response.model,
        response.usage.map(Usage::from),
    )
}

/// Builds a completion, rejecting an answer without visible text.
fn completion(
    text: String,
    finish_reason: Option<String>,
    model: Option<String>,
    usage: Option<Usage>,
) -> Result<ChatCompletion, LlmError> {
    if text.trim().is_empty() {
        return Err(LlmError::EmptyContent { finish_reason });
    }
    Ok(ChatCompletion {
        text,
        finish_reason: FinishReason::from_wire(finish_reason.as_deref()),
        model,
        usage,
        attempts: 1,
        elapsed: Duration::ZERO,
    })
}

/// Appends `chat/completions` to the API root, keeping its path (`/v1`).
fn chat_endpoint(base_url: &Url) -> Result<Url, LlmError> {
    let mut root = base_url.clone();
    if !root.path().ends_with('/') {
        let path = format!("{}/", root.path());
        root.set_path(&path);
    }
    root.join("chat/completions").map_err(|err| {
        LlmError::invalid_config(
            "base_url",
            base_url.as_str(),
            format!("cannot append chat/completions ({err})"),
        )
    })
}

fn is_event_stream(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("text/event-stream"))
}

/// Reads `Retry-After` in seconds. The HTTP-date form is ignored, so the client then falls back
/// to its own backoff.
fn parse_retry_after(headers: &HeaderMap) -> Option<Duration> {
    let seconds: u64 = headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(seconds))
}

/// Returns a delay between half and all of `delay`, so that clients retrying after one failure
/// of the server do not all come back at the same moment.
fn with_jitter(delay: Duration) -> Duration {
    let Ok(random) = getrandom::u64() else {
        return delay;
    };
    let half = delay / 2;
    let span = u64::try_from(half.as_micros()).unwrap_or(u64::MAX).max(1);
    half + Duration::from_micros(random % span)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_keeps_api_prefix() {
        for base in ["http://10.0.0.5:8000/v1", "http://10.0.0.5:8000/v1/"] {
            let url = Url::parse(base).ok();
            let endpoint = url.as_ref().and_then(|u| chat_endpoint(u).ok());
            assert_eq!(
                endpoint.map(|u| u.to_string()).as_deref(),
                Some("http://10.0.0.5:8000/v1/chat/completions"),
                "base {base}"
            );
        }
    }

    #[test]
    fn jitter_stays_within_half_to_full_delay() {
        let delay = Duration::from_millis(800);
        for _ in 0..100 {
            let jittered = with_jitter(delay);
            assert!(jittered >= delay / 2, "{jittered:?}");
            assert!(jittered <= delay, "{jittered:?}");
        }
    }

    #[test]
    fn parses_finish_reasons() {
        assert_eq!(FinishReason::from_wire(Some("stop")), FinishReason::Stop);
        assert_eq!(
            FinishReason::from_wire(Some("length")),
            FinishReason::Length
        );
        assert_eq!(FinishReason::from_wire(None), FinishReason::Missing);
        assert_eq!(
            FinishReason::from_wire(Some("eos")),
            FinishReason::Other("eos".into())
        );
    }

    #[test]
    fn debug_hides_message_text() {
        let printed = format!("{:?}", ChatMessage::user("我的身份证号是 110101"));
        assert!(!printed.contains("110101"), "{printed}");
        assert!(printed.contains("content_chars"), "{printed}");

        let completion = completion("回答 110101".into(), None, None, None).ok();
        let printed = format!("{completion:?}");
        assert!(!printed.contains("110101"), "{printed}");
        assert!(printed.contains("text_chars: 9"), "{printed}");
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let mut config = LlmConfig::new("http://127.0.0.1:9/v1", "m");
        config.retry_backoff = Duration::from_millis(100);
        config.max_retry_delay = Duration::from_millis(300);
        config.max_retries = 5;
        let client = LlmClient::new(config).ok();
        let Some(client) = client else {
            panic!("client should build");
        };
        let server_error = || LlmError::Http {
            status: 503,
            message: None,
            retry_after: None,
            attempts: 1,
        };

        let first = client.retry_delay(&server_error(), 1);
        assert!(
            first.is_some_and(|d| d <= Duration::from_millis(100)),
            "{first:?}"
        );
        let third = client.retry_delay(&server_error(), 3);
        assert!(
            third.is_some_and(|d| d >= Duration::from_millis(150) && d <= Duration::from_millis(300)),
            "{third:?}"
        );
        assert_eq!(client.retry_delay(&server_error(), 6), None);

        let bad_request = LlmError::Http {
            status: 400,
            message: None,
            retry_after: None,
            attempts: 1,
        };
        assert_eq!(client.retry_delay(&bad_request, 1), None);
        assert_eq!(client.retry_delay(&LlmError::MissingChoices, 1), None);
    }
}
