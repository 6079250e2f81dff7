//! A stub OpenAI-compatible chat server on loopback, for tests of this crate and of the crates
//! that call an LLM (the CLI and the HTTP server).
//!
//! The stub serves `POST /v1/chat/completions` on `127.0.0.1` at a free port, responds to each
//! request with the next scripted [`StubResponse`], and records each request for checks.
//! Any other path returns 404 with an OpenAI error envelope. It is compiled only with the cargo
//! feature `stub`; another crate enables it for its tests only:
//!
//! ```toml
//! [dev-dependencies]
//! cityai-llm = { workspace = true, features = ["stub"] }
//! ```
//!
//! ```
//! # async fn run() -> std::io::Result<()> {
//! use cityai_llm::stub::{StubResponse, StubServer};
//! use cityai_llm::{ChatMessage, LlmClient, LlmConfig};
//!
//! let server = StubServer::start(vec![StubResponse::completion("您好 [1]")]).await?;
//! let client = LlmClient::new(LlmConfig::new(server.base_url(), "stub-model")).unwrap();
//! let answer = client.chat(&vec![ChatMessage::user("你好")].into()).await.unwrap();
//! assert_eq!(answer.text, "您好 [1]");
//! assert_eq!(server.requests()[0].body["model"], "stub-model");
//! # Ok(())
//! # }
//! # tokio::runtime::Runtime::new().unwrap().block_on(run()).unwrap();
//! ```

use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::json;
use tokio::task::JoinHandle;

/// One scripted response of the stub server.
#[derive(Debug, Clone)]
pub enum StubResponse {
    /// A non-streamed chat completion with one choice.
    Completion {
        content: String,
        finish_reason: String,
    },
    /// An event stream sent as the given body pieces, with `pause` before each piece after the
    /// first. With `stall`, the stream then stays open and sends nothing more.
    Stream {
        pieces: Vec<Vec<u8>>,
        pause: Duration,
        stall: bool,
    },
    /// The inner response, sent after `delay`.
    Delayed {
        delay: Duration,
        response: Box<StubResponse>,
    },
    /// Any status and body, with an optional `Retry-After` in seconds.
    Raw {
        status: u16,
        content_type: String,
        body: String,
        retry_after: Option<u64>,
    },
}

impl StubResponse {
    /// Creates a completion that finished normally (`finish_reason: "stop"`).
    pub fn completion(content: &str) -> Self {
        StubResponse::Completion {
            content: content.to_string(),
            finish_reason: "stop".to_string(),
        }
    }

    /// Creates a completion cut off at the token limit (`finish_reason: "length"`).
    pub fn truncated(content: &str) -> Self {
        StubResponse::Completion {
            content: content.to_string(),
            finish_reason: "length".to_string(),
        }
    }

    /// Creates a stream of `deltas` ending with `finish_reason` and `data: [DONE]`, cut into `pieces`
    /// pieces of equal byte length. The cuts fall anywhere, inside lines and inside UTF-8
    /// characters, as network reads do.
    pub fn stream(deltas: &[&str], finish_reason: &str, pieces: usize) -> Self {
        let body = sse_body(deltas, finish_reason);
        let size = body.len().div_ceil(pieces.max(1)).max(1);
        StubResponse::Stream {
            pieces: body.chunks(size).map(<[u8]>::to_vec).collect(),
            pause: Duration::from_millis(5),
            stall: false,
        }
    }

    /// Creates a stream that sends `body` in pieces cut at the given byte offsets.
    pub fn stream_split_at(body: &[u8], offsets: &[usize]) -> Self {
        let mut pieces = Vec::new();
        let mut start = 0;
        for &offset in offsets {
            let offset = offset.clamp(start, body.len());
            pieces.push(body[start..offset].to_vec());
            start = offset;
        }
        pieces.push(body[start..].to_vec());
        StubResponse::Stream {
            pieces,
            pause: Duration::from_millis(5),
            stall: false,
        }
    }

    /// Creates a stream that sends the events of `deltas` without a finish reason and then stalls.
    pub fn stalled_stream(deltas: &[&str]) -> Self {
        let mut body = String::new();
        for delta in deltas {
            body.push_str(&sse_event(&json!({"content": delta}), None));
        }
        StubResponse::Stream {
            pieces: vec![body.into_bytes()],
            pause: Duration::ZERO,
            stall: true,
        }
    }

    /// Creates an error status with the OpenAI error envelope `{"error": {"message": ...}}`.
    pub fn openai_error(status: u16, message: &str) -> Self {
        StubResponse::Raw {
            status,
            content_type: "application/json".to_string(),
            body: error_envelope(status, message),
            retry_after: None,
        }
    }

    /// Creates HTTP 429 with an OpenAI error envelope and `Retry-After: {seconds}`.
    pub fn rate_limited(seconds: u64) -> Self {
        StubResponse::Raw {
            status: 429,
            content_type: "application/json".to_string(),
            body: error_envelope(429, "rate limit reached, retry later"),
            retry_after: Some(seconds),
        }
    }

    /// Creates a 200 response with `body` as JSON, which need not be a valid completion.
    pub fn json_body(body: &str) -> Self {
        StubResponse::Raw {
            status: 200,
            content_type: "application/json".to_string(),
            body: body.to_string(),
            retry_after: None,
        }
    }

    /// Delays this response by `delay`.
    pub fn delayed(self, delay: Duration) -> Self {
        StubResponse::Delayed {
            delay,
            response: Box::new(self),
        }
    }
}

fn error_envelope(status: u16, message: &str) -> String {
    json!({"error": {"message": message, "type": "stub_error", "code": status}}).to_string()
}

/// Returns the event-stream body of a completion: one event per delta, one with the finish
/// reason, and `data: [DONE]`.
pub fn sse_body(deltas: &[&str], finish_reason: &str) -> Vec<u8> {
    let mut body = sse_event(&json!({"role": "assistant", "content": ""}), None);
    for delta in deltas {
        body.push_str(&sse_event(&json!({"content": delta}), None));
    }
    body.push_str(&sse_event(&json!({}), Some(finish_reason)));
    body.push_str("data: [DONE]\n\n");
    body.into_bytes()
}

fn sse_event(delta: &serde_json::Value, finish_reason: Option<&str>) -> String {
    let chunk = json!({
        "id": "chatcmpl-stub",
        "object": "chat.completion.chunk",
        "model": "stub-model",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
    });
    format!("data: {chunk}\n\n")
}

/// A request the stub received.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub path: String,
    /// The `Authorization` header, if sent.
    pub authorization: Option<String>,
    /// The request body as JSON, or `Null` when it was not JSON.
    pub body: serde_json::Value,
}

#[derive(Debug, Default)]
struct Script {
    responses: VecDeque<StubResponse>,
    requests: Vec<RecordedRequest>,
}

type Shared = Arc<Mutex<Script>>;

/// A running stub server. It stops when dropped.
#[derive(Debug)]
pub struct StubServer {
    address: SocketAddr,
    script: Shared,
    task: JoinHandle<()>,
}

impl StubServer {
    /// Starts a stub on `127.0.0.1` at a free port that responds to requests with `responses` in
    /// order and repeats the last one for all further requests.
    ///
    /// # Errors
    ///
    /// The I/O error of binding the port.
    pub async fn start(responses: Vec<StubResponse>) -> io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let address = listener.local_addr()?;
        let script: Shared = Arc::new(Mutex::new(Script {
            responses: responses.into(),
            requests: Vec::new(),
        }));
        let router = Router::new()
            .route("/v1/chat/completions", post(complete))
            .fallback(unknown_path)
            .with_state(Arc::clone(&script));
        let task = tokio::spawn(async move {
            if let Err(err) = axum::serve(listener, router).await {
                tracing::error!(error = %err, "stub LLM server stopped");
            }
        });
        Ok(StubServer {
            address,
            script,
            task,
        })
    }

    /// Returns the API root to put in `LlmConfig::base_url`, such as `http://127.0.0.1:40123/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.address)
    }

    /// Returns the address the stub listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Returns the requests received so far, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.script).requests.clone()
    }
}

impl Drop for StubServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn lock(script: &Shared) -> std::sync::MutexGuard<'_, Script> {
    script.lock().unwrap_or_else(PoisonError::into_inner)
}

async fn complete(State(script): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let response = {
        let mut script = lock(&script);
        script.requests.push(RecordedRequest {
            path: "/v1/chat/completions".to_string(),
            authorization: headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
            body: serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
        });
        if script.responses.len() > 1 {
            script.responses.pop_front()
        } else {
            script.responses.front().cloned()
        }
    };
    match response {
        Some(response) => respond(response).await,
        None => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "the stub has no scripted response",
        )
            .into_response(),
    }
}

async fn respond(response: StubResponse) -> Response {
    match response {
        StubResponse::Completion {
            content,
            finish_reason,
        } => axum::Json(json!({
            "id": "chatcmpl-stub",
            "object": "chat.completion",
            "model": "stub-model",
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": finish_reason,
            }],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
        }))
        .into_response(),
        StubResponse::Stream {
            pieces,
            pause,
            stall,
        } => stream_response(pieces, pause, stall),
        StubResponse::Raw {
            status,
            content_type,
            body,
            retry_after,
        } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut response =
                (status, [(header::CONTENT_TYPE, content_type)], body).into_response();
            if let Some(seconds) = retry_after {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, seconds.into());
            }
            response
        }
        StubResponse::Delayed { delay, response } => {
            tokio::time::sleep(delay).await;
            Box::pin(respond(*response)).await
        }
    }
}

fn stream_response(pieces: Vec<Vec<u8>>, pause: Duration, stall: bool) -> Response {
    let stream = futures_util::stream::unfold(
        (pieces.into_iter(), true),
        move |(mut pieces, first)| async move {
            match pieces.next() {
                Some(piece) => {
                    if !first {
                        tokio::time::sleep(pause).await;
                    }
                    Some((Ok::<_, io::Error>(Bytes::from(piece)), (pieces, false)))
                }
                None => {
                    if stall {
                        std::future::pending::<()>().await;
                    }
                    None
                }
            }
        },
    );
    (
        [(header::CONTENT_TYPE, "text/event-stream")],
        Body::from_stream(stream),
    )
        .into_response()
}

async fn unknown_path(uri: Uri) -> Response {
    let body = json!({"error": {
        "message": format!("the stub serves only /v1/chat/completions, not {}", uri.path()),
        "type": "invalid_request_error",
    }});
    (StatusCode::NOT_FOUND, axum::Json(body)).into_response()
}
