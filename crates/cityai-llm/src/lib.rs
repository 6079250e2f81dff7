//! The LLM side of CityAI: a client for OpenAI-compatible chat servers, prompts for answers
//! grounded in numbered passages, and the labels that GB 45438-2025 requires on AI-generated
//! text.
//!
//! The client speaks the Chat Completions API (`POST {base_url}/chat/completions`) that vLLM,
//! the llama.cpp server, Ollama and Xinference all serve, with or without streaming. It retries
//! only what is safe to retry (HTTP 429, HTTP 5xx and failed connections), and it never logs a
//! prompt or an answer, because both may contain a citizen's personal data. Logs carry sizes,
//! status codes and timings only.
//!
//! This crate does not retrieve passages, choose a relevance threshold or store anything: the
//! knowledge crate finds passages, the caller decides whether they are relevant enough, and
//! the services persist the labelled result.
//!
//! ```no_run
//! use cityai_core::Lang;
//! use cityai_llm::{LlmClient, LlmConfig, Passage, grounded_messages, parse_grounded_answer};
//!
//! # async fn run() -> Result<(), cityai_llm::LlmError> {
//! let config = LlmConfig::new("http://10.0.0.5:8000/v1", "qwen2.5-7b-instruct");
//! let client = LlmClient::new(config)?;
//! let passages = vec![Passage {
//!     number: 1,
//!     source_id: "policy-2024-17".into(),
//!     title: "居住证办理指南".into(),
//!     text: "申请居住证需在居住地连续居住满半年。".into(),
//! }];
//! let messages = grounded_messages("办理居住证有什么条件？", &passages, Lang::ZhCn)?;
//! let completion = client.chat(&messages.into()).await?.into_complete()?;
//! let answer = parse_grounded_answer(&completion.text, &passages)?;
//! let shown = client.label(&answer.text, Lang::ZhCn);
//! # let _ = shown;
//! # Ok(())
//! # }
//! ```
//!
//! Tests of this and other crates can start a stub OpenAI-compatible server from the module
//! `stub`, compiled with the cargo feature `stub`.

mod aigc;
mod client;
mod config;
mod error;
mod grounded;
mod sse;
#[cfg(feature = "stub")]
pub mod stub;
mod wire;

pub use aigc::{
    AIGC_LABEL_AI_GENERATED, AigcBlock, AigcMetadata, LabelledText, explicit_label, sha256_hex,
};
pub use client::{ChatCompletion, ChatMessage, ChatRequest, FinishReason, LlmClient, Role, Usage};
pub use config::LlmConfig;
pub use error::{LlmError, TimeoutStage};
pub use grounded::{
    GroundedAnswer, Passage, grounded_messages, parse_grounded_answer, refusal_marker,
    should_refuse,
};
