//! The client's settings and their validation.

use std::fmt;
use std::time::Duration;

use reqwest::Url;

use crate::LlmError;

/// The settings of an [`LlmClient`](crate::LlmClient), validated once by
/// [`LlmConfig::validate`] when the client is built.
///
/// `Debug` prints the API key as `<redacted>`, so the whole struct may be logged.
#[derive(Clone)]
pub struct LlmConfig {
    /// The API root, such as `http://10.0.0.5:8000/v1`; the client appends `/chat/completions`.
    pub base_url: String,
    /// The model name the server serves, sent as `model` in every request.
    pub model: String,
    /// The bearer token the server expects, if any. It is sent only in the `Authorization`
    /// header and never logged.
    pub api_key: Option<String>,
    /// The maximum time to establish a connection. Default 5 s.
    pub connect_timeout: Duration,
    /// The maximum time of one attempt, from sending the request to the last byte of the
    /// answer, streamed or not. Default 300 s, because a local model on a loaded server can
    /// take minutes for a long answer.
    pub timeout: Duration,
    /// The maximum gap between two pieces of a streamed answer. Default 60 s, which covers the
    /// wait for the first token of a long prompt.
    pub stream_idle_timeout: Duration,
    /// The number of retries after the first attempt for HTTP 429, HTTP 5xx and failed
    /// connections. Default 2. Other failures are never retried.
    pub max_retries: u32,
    /// The delay before the first retry. Each later retry waits twice as long, with random
    /// jitter of up to half the delay. Default 500 ms.
    pub retry_backoff: Duration,
    /// The maximum delay before a retry, which also caps a server's `Retry-After`. Default 30 s.
    pub max_retry_delay: Duration,
    /// The identifier of the system that produces AI-generated content, written as
    /// `ContentProducer` in the AIGC metadata (GB 45438-2025). Default `CityAI`; a city sets
    /// its own service provider name or code.
    pub content_producer: String,
}

impl LlmConfig {
    /// Creates settings for a server and model with the documented defaults and no API key.
    pub fn new(base_url: impl Into<String>, model: impl Into<String>) -> Self {
        LlmConfig {
            base_url: base_url.into(),
            model: model.into(),
            api_key: None,
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(300),
            stream_idle_timeout: Duration::from_secs(60),
            max_retries: 2,
            retry_backoff: Duration::from_millis(500),
            max_retry_delay: Duration::from_secs(30),
            content_producer: "CityAI".to_string(),
        }
    }

    /// Checks every setting, as [`LlmClient::new`](crate::LlmClient::new) does.
    ///
    /// # Errors
    ///
    /// [`LlmError::InvalidConfig`] naming the first invalid setting, its value (never the API
    /// key itself) and the fix.
    pub fn validate(&self) -> Result<(), LlmError> {
        self.validated_base_url().map(|_| ())
    }

    /// Checks every setting and returns the parsed API root.
    pub(crate) fn validated_base_url(&self) -> Result<Url, LlmError> {
        let base_url = parse_base_url(&self.base_url)?;

        if self.model.trim().is_empty() {
            return Err(LlmError::invalid_config(
                "model",
                &self.model,
                "must name the model the server serves, as listed by GET {base_url}/models",
            ));
        }
        let invalid_key =
            |key: &String| key.is_empty() || key.chars().any(|c| c.is_control() || c == ' ');
        if self.api_key.as_ref().is_some_and(invalid_key) {
            return Err(LlmError::invalid_config(
                "api_key",
                "<redacted>",
                "must be non-empty without spaces or control characters; leave it unset if \
                 the server needs no key",
            ));
        }

        let durations = [
            ("connect_timeout", self.connect_timeout),
            ("timeout", self.timeout),
            ("stream_idle_timeout", self.stream_idle_timeout),
        ];
        for (field, value) in durations {
            if value.is_zero() {
                return Err(LlmError::invalid_config(
                    field,
                    format!("{value:?}"),
                    "must be greater than zero",
                ));
            }
        }
        if self.max_retry_delay < self.retry_backoff {
            return Err(LlmError::invalid_config(
                "max_retry_delay",
                format!("{:?}", self.max_retry_delay),
                format!("must be at least retry_backoff ({:?})", self.retry_backoff),
            ));
        }

        if self.content_producer.trim().is_empty() {
            return Err(LlmError::invalid_config(
                "content_producer",
                &self.content_producer,
                "must name the service provider for the AIGC metadata",
            ));
        }
        Ok(base_url)
    }
}

/// Parses the API root and rejects what the client cannot or must not use.
fn parse_base_url(raw: &str) -> Result<Url, LlmError> {
    let invalid = |reason: &str| LlmError::invalid_config("base_url", raw, reason);

    let url = Url::parse(raw.trim()).map_err(|err| {
        invalid(&format!(
            "not a URL ({err}); write it like http://10.0.0.5:8000/v1"
        ))
    })?;
    match url.scheme() {
        "http" => {}
        "https" if cfg!(feature = "rustls") => {}
        "https" => {
            return Err(invalid(
                "https needs cityai-llm built with the `rustls` feature; use http inside the \
                 isolated network or rebuild with that feature",
            ));
        }
        other => {
            return Err(invalid(&format!(
                "the scheme {other:?} is not supported; use http:// or https://"
            )));
        }
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid(
            "has no host; write it like http://10.0.0.5:8000/v1",
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(
            "must not contain a user name or password; set api_key instead",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid(
            "must not have a query or fragment; give only the API root, like http://10.0.0.5:8000/v1",
        ));
    }
    if url
        .path()
        .trim_end_matches('/')
        .ends_with("/chat/completions")
    {
        return Err(invalid(
            "must be the API root without /chat/completions, like http://10.0.0.5:8000/v1",
        ));
    }
    Ok(url)
}

impl fmt::Debug for LlmConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LlmConfig")
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("stream_idle_timeout", &self.stream_idle_timeout)
            .field("max_retries", &self.max_retries)
            .field("retry_backoff", &self.retry_backoff)
            .field("max_retry_delay", &self.max_retry_delay)
            .field("content_producer", &self.content_producer)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(base_url: &str) -> LlmConfig {
        LlmConfig::new(base_url, "qwen")
    }

    fn rejected_field(config: &LlmConfig) -> &'static str {
        match config.validate() {
            Err(LlmError::InvalidConfig { field, .. }) => field,
            other => panic!("expected InvalidConfig, got {other:?}"),
        }
    }

    #[test]
    fn accepts_http_api_root() {
        let url = config("http://127.0.0.1:8000/v1").validated_base_url();
        assert_eq!(
            url.ok().map(|u| u.to_string()).as_deref(),
            Some("http://127.0.0.1:8000/v1")
        );
    }

    #[test]
    fn rejects_invalid_base_urls() {
        let cases = [
            "",
            "10.0.0.5:8000/v1",
            "ftp://10.0.0.5/v1",
            "http://user:secret@10.0.0.5/v1",
            "http://10.0.0.5/v1?x=1",
            "http://10.0.0.5/v1/chat/completions",
            "not a url",
        ];
        for case in cases {
            assert_eq!(rejected_field(&config(case)), "base_url", "case {case:?}");
        }
    }

    #[cfg(not(feature = "rustls"))]
    #[test]
    fn rejects_https_without_rustls_feature() {
        let message = config("https://10.0.0.5/v1")
            .validate()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(message.contains("rustls"), "{message}");
    }

    #[cfg(feature = "rustls")]
    #[test]
    fn accepts_https_with_rustls_feature() {
        assert!(config("https://10.0.0.5/v1").validate().is_ok());
    }

    #[test]
    fn error_names_value_and_fix() {
        let message = config("10.0.0.5:8000/v1")
            .validate()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(message.contains("\"10.0.0.5:8000/v1\""), "{message}");
        assert!(message.contains("http://10.0.0.5:8000/v1"), "{message}");
    }

    #[test]
    fn rejects_other_invalid_settings() {
        let mut c = config("http://127.0.0.1/v1");
        c.model = " ".into();
        assert_eq!(rejected_field(&c), "model");

        let mut c = config("http://127.0.0.1/v1");
        c.timeout = Duration::ZERO;
        assert_eq!(rejected_field(&c), "timeout");

        let mut c = config("http://127.0.0.1/v1");
        c.api_key = Some("has space".into());
        assert_eq!(rejected_field(&c), "api_key");

        let mut c = config("http://127.0.0.1/v1");
        c.max_retry_delay = Duration::from_millis(1);
        assert_eq!(rejected_field(&c), "max_retry_delay");

        let mut c = config("http://127.0.0.1/v1");
        c.content_producer = String::new();
        assert_eq!(rejected_field(&c), "content_producer");
    }

    #[test]
    fn debug_redacts_api_key() {
        let mut c = config("http://127.0.0.1/v1");
        c.api_key = Some("sk-very-secret".into());
        let printed = format!("{c:?}");
        assert!(!printed.contains("sk-very-secret"), "{printed}");
        assert!(printed.contains("<redacted>"), "{printed}");
    }

    #[test]
    fn invalid_api_key_error_hides_key() {
        let mut c = config("http://127.0.0.1/v1");
        c.api_key = Some("sk secret".into());
        let message = c
            .validate()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(!message.contains("sk secret"), "{message}");
    }
}
