#![allow(clippy::unwrap_used)]
//! The client against the stub OpenAI-compatible server on loopback: answers, streams,
//! timeouts, retries, HTTP errors and broken responses.

use std::time::{Duration, Instant};

use cityai_core::Lang;
use cityai_llm::stub::{StubResponse, StubServer, sse_body};
use cityai_llm::{
    ChatCompletion, ChatMessage, ChatRequest, FinishReason, LlmClient, LlmConfig, LlmError,
    Passage, TimeoutStage, grounded_messages, parse_grounded_answer,
};

/// Settings with short limits, so that failing cases finish quickly.
fn config(base_url: &str) -> LlmConfig {
    let mut config = LlmConfig::new(base_url, "stub-model");
    config.timeout = Duration::from_secs(5);
    config.stream_idle_timeout = Duration::from_secs(5);
    config.retry_backoff = Duration::from_millis(20);
    config.max_retry_delay = Duration::from_secs(2);
    config
}

async fn start(responses: Vec<StubResponse>) -> (StubServer, LlmClient) {
    let server = StubServer::start(responses).await.unwrap();
    let client = LlmClient::new(config(&server.base_url())).unwrap();
    (server, client)
}

fn request() -> ChatRequest {
    ChatRequest {
        messages: vec![
            ChatMessage::system("只根据资料回答。"),
            ChatMessage::user("怎么办理居住证？"),
        ],
        temperature: Some(0.2),
        max_tokens: Some(256),
    }
}

async fn stream_collect(client: &LlmClient) -> (Result<ChatCompletion, LlmError>, Vec<String>) {
    let mut deltas = Vec::new();
    let result = client
        .chat_stream(&request(), &mut |delta| deltas.push(delta.to_string()))
        .await;
    (result, deltas)
}

#[tokio::test]
async fn chat_returns_answer_and_sends_request() {
    let (server, client) = start(vec![StubResponse::completion("需要居住满半年[1]。")]).await;

    let completion = client.chat(&request()).await.unwrap();

    assert_eq!(completion.text, "需要居住满半年[1]。");
    assert_eq!(completion.finish_reason, FinishReason::Stop);
    assert_eq!(completion.model.as_deref(), Some("stub-model"));
    assert_eq!(completion.usage.and_then(|u| u.total_tokens), Some(15));
    assert_eq!(completion.attempts, 1);

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let body = &requests[0].body;
    assert_eq!(body["model"], "stub-model");
    assert_eq!(body["stream"], false);
    assert_eq!(body["max_tokens"], 256);
    assert!((body["temperature"].as_f64().unwrap() - 0.2).abs() < 1e-6);
    assert_eq!(body["messages"][0]["role"], "system");
    assert_eq!(body["messages"][0]["content"], "只根据资料回答。");
    assert_eq!(body["messages"][1]["role"], "user");
    assert_eq!(body["messages"][1]["content"], "怎么办理居住证？");
    assert_eq!(requests[0].authorization, None);
}

#[tokio::test]
async fn chat_omits_unset_sampling_settings() {
    let (server, client) = start(vec![StubResponse::completion("好")]).await;

    client
        .chat(&vec![ChatMessage::user("你好")].into())
        .await
        .unwrap();

    let body = &server.requests()[0].body;
    assert!(body.get("temperature").is_none(), "{body}");
    assert!(body.get("max_tokens").is_none(), "{body}");
}

#[tokio::test]
async fn chat_sends_bearer_token_when_key_set() {
    let server = StubServer::start(vec![StubResponse::completion("好")])
        .await
        .unwrap();
    let mut settings = config(&server.base_url());
    settings.api_key = Some("sk-local-test".into());
    let client = LlmClient::new(settings).unwrap();

    client.chat(&request()).await.unwrap();

    assert_eq!(
        server.requests()[0].authorization.as_deref(),
        Some("Bearer sk-local-test")
    );
    assert!(!format!("{client:?}").contains("sk-local-test"));
}

#[tokio::test]
async fn stream_collects_deltas_split_anywhere() {
    let deltas = ["居住证", "需要连续居住", "满半年[1]。"];
    for pieces in [1, 3, 7, 40] {
        let (server, client) = start(vec![StubResponse::stream(&deltas, "stop", pieces)]).await;

        let (result, received) = stream_collect(&client).await;

        let completion = result.unwrap();
        assert_eq!(completion.text, deltas.concat(), "pieces {pieces}");
        assert_eq!(received, deltas, "pieces {pieces}");
        assert_eq!(
            completion.finish_reason,
            FinishReason::Stop,
            "pieces {pieces}"
        );
        assert_eq!(server.requests()[0].body["stream"], true, "pieces {pieces}");
    }
}

#[tokio::test]
async fn stream_survives_cut_inside_character_and_line() {
    let body = sse_body(&["办理", "地点"], "stop");
    let text = String::from_utf8(body.clone()).unwrap();
    // One cut falls inside the three bytes of "办", the next inside the JSON line of "地点".
    let inside_char = text.find('办').unwrap() + 1;
    let inside_line = text.find("地点").unwrap() - 5;
    let (_server, client) = start(vec![StubResponse::stream_split_at(
        &body,
        &[inside_char, inside_line],
    )])
    .await;

    let (result, received) = stream_collect(&client).await;

    assert_eq!(result.unwrap().text, "办理地点");
    assert_eq!(received, vec!["办理", "地点"]);
}

#[tokio::test]
async fn stream_reports_length_finish() {
    let (_server, client) = start(vec![StubResponse::stream(&["部分回答"], "length", 2)]).await;

    let (result, _) = stream_collect(&client).await;

    let completion = result.unwrap();
    assert!(completion.is_truncated());
    assert!(matches!(
        completion.into_complete(),
        Err(LlmError::Truncated { chars: 4 })
    ));
}

#[tokio::test]
async fn stream_accepts_plain_json_answer() {
    let (_server, client) = start(vec![StubResponse::completion("整段回答")]).await;

    let (result, received) = stream_collect(&client).await;

    assert_eq!(result.unwrap().text, "整段回答");
    assert_eq!(received, vec!["整段回答"]);
}

#[tokio::test]
async fn invalid_request_is_not_sent() {
    let (server, client) = start(vec![StubResponse::completion("好")]).await;
    let no_messages = ChatRequest::from(Vec::new());
    let mut nan_temperature = request();
    nan_temperature.temperature = Some(f32::NAN);
    let mut zero_tokens = request();
    zero_tokens.max_tokens = Some(0);
    let requests = [no_messages, nan_temperature, zero_tokens];

    for invalid in requests {
        let result = client.chat(&invalid).await;
        assert!(
            matches!(result, Err(LlmError::InvalidRequest { .. })),
            "{result:?}"
        );
    }
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn slow_response_times_out_without_retry() {
    let server = StubServer::start(vec![
        StubResponse::completion("迟到的回答").delayed(Duration::from_secs(3)),
    ])
    .await
    .unwrap();
    let mut settings = config(&server.base_url());
    settings.timeout = Duration::from_millis(300);
    let client = LlmClient::new(settings).unwrap();
    let started = Instant::now();

    let result = client.chat(&request()).await;

    assert!(
        matches!(
            result,
            Err(LlmError::Timeout {
                stage: TimeoutStage::Total,
                ..
            })
        ),
        "{result:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn stalled_stream_times_out() {
    let server = StubServer::start(vec![StubResponse::stalled_stream(&["部分"])])
        .await
        .unwrap();
    let mut settings = config(&server.base_url());
    settings.stream_idle_timeout = Duration::from_millis(300);
    let client = LlmClient::new(settings).unwrap();
    let started = Instant::now();

    let (result, received) = stream_collect(&client).await;

    assert!(
        matches!(
            result,
            Err(LlmError::Timeout {
                stage: TimeoutStage::StreamIdle,
                ..
            })
        ),
        "{result:?}"
    );
    assert_eq!(received, vec!["部分"]);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn stalled_stream_stops_at_total_timeout() {
    let server = StubServer::start(vec![StubResponse::stalled_stream(&["部分"])])
        .await
        .unwrap();
    let mut settings = config(&server.base_url());
    settings.timeout = Duration::from_millis(300);
    let client = LlmClient::new(settings).unwrap();

    let (result, _) = stream_collect(&client).await;

    assert!(
        matches!(
            result,
            Err(LlmError::Timeout {
                stage: TimeoutStage::Total,
                ..
            })
        ),
        "{result:?}"
    );
}

#[tokio::test]
async fn server_error_is_retried() {
    let (server, client) = start(vec![
        StubResponse::openai_error(500, "engine restarting"),
        StubResponse::completion("恢复后的回答"),
    ])
    .await;

    let completion = client.chat(&request()).await.unwrap();

    assert_eq!(completion.text, "恢复后的回答");
    assert_eq!(completion.attempts, 2);
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn stream_server_error_is_retried() {
    let (server, client) = start(vec![
        StubResponse::openai_error(503, "overloaded"),
        StubResponse::stream(&["好的"], "stop", 2),
    ])
    .await;

    let (result, received) = stream_collect(&client).await;

    assert_eq!(result.unwrap().attempts, 2);
    assert_eq!(received, vec!["好的"]);
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn rate_limit_waits_for_retry_after() {
    let (server, client) = start(vec![
        StubResponse::rate_limited(1),
        StubResponse::completion("好"),
    ])
    .await;
    let started = Instant::now();

    let completion = client.chat(&request()).await.unwrap();

    assert_eq!(completion.attempts, 2);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "retried after {:?}",
        started.elapsed()
    );
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn retries_stop_at_max_retries() {
    let (server, client) = start(vec![StubResponse::openai_error(503, "overloaded")]).await;

    let result = client.chat(&request()).await;

    match result {
        Err(LlmError::Http {
            status,
            message,
            attempts,
            ..
        }) => {
            assert_eq!(status, 503);
            assert_eq!(message.as_deref(), Some("overloaded"));
            assert_eq!(attempts, 3);
        }
        other => panic!("expected Http, got {other:?}"),
    }
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn unauthorized_is_not_retried() {
    let (server, client) = start(vec![StubResponse::openai_error(401, "Invalid API key")]).await;

    let error = client.chat(&request()).await.unwrap_err();

    match &error {
        LlmError::Http {
            status,
            message,
            attempts,
            ..
        } => {
            assert_eq!(*status, 401);
            assert_eq!(message.as_deref(), Some("Invalid API key"));
            assert_eq!(*attempts, 1);
        }
        other => panic!("expected Http, got {other:?}"),
    }
    let text = error.to_string();
    assert!(text.contains("HTTP 401"), "{text}");
    assert!(text.contains("Invalid API key"), "{text}");
    assert!(text.contains("api_key"), "{text}");
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn wrong_api_prefix_reports_not_found() {
    let server = StubServer::start(vec![StubResponse::completion("好")])
        .await
        .unwrap();
    let root = server.base_url().trim_end_matches("/v1").to_string();
    let client = LlmClient::new(config(&root)).unwrap();

    let error = client.chat(&request()).await.unwrap_err();

    assert!(
        matches!(&error, LlmError::Http { status: 404, message: Some(m), .. } if m.contains("/chat/completions")),
        "{error:?}"
    );
    assert!(error.to_string().contains("/v1"), "{error}");
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn refused_connection_is_retried_then_reported() {
    // Bind a port, then close it, so that nothing listens there.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let mut settings = config(&format!("http://{address}/v1"));
    settings.max_retries = 1;
    let client = LlmClient::new(settings).unwrap();

    let error = client.chat(&request()).await.unwrap_err();

    assert!(
        matches!(&error, LlmError::Connect { attempts: 2, .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains(&address.to_string()), "{error}");
}

#[tokio::test]
async fn malformed_json_is_reported() {
    let (server, client) = start(vec![StubResponse::json_body("{\"choices\": [")]).await;

    let result = client.chat(&request()).await;

    assert!(
        matches!(result, Err(LlmError::MalformedJson { .. })),
        "{result:?}"
    );
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn missing_choices_are_reported() {
    for body in [
        r#"{"id":"x","object":"chat.completion"}"#,
        r#"{"choices":[]}"#,
    ] {
        let (_server, client) = start(vec![StubResponse::json_body(body)]).await;

        let result = client.chat(&request()).await;

        assert!(
            matches!(result, Err(LlmError::MissingChoices)),
            "{body}: {result:?}"
        );
    }
}

#[tokio::test]
async fn empty_content_is_reported() {
    let body =
        r#"{"choices":[{"message":{"role":"assistant","content":"  "},"finish_reason":"length"}]}"#;
    let (_server, client) = start(vec![StubResponse::json_body(body)]).await;

    let error = client.chat(&request()).await.unwrap_err();

    assert!(
        matches!(&error, LlmError::EmptyContent { finish_reason: Some(r) } if r == "length"),
        "{error:?}"
    );
    assert!(error.to_string().contains("max_tokens"), "{error}");
}

#[tokio::test]
async fn length_finish_is_reported() {
    let (_server, client) = start(vec![StubResponse::truncated("部分回答")]).await;

    let completion = client.chat(&request()).await.unwrap();

    assert_eq!(completion.finish_reason, FinishReason::Length);
    assert_eq!(completion.text, "部分回答");
    let error = completion.into_complete().unwrap_err();
    assert!(error.to_string().contains("max_tokens"), "{error}");
}

#[tokio::test]
async fn broken_streams_are_reported() {
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "invalid utf-8",
            b"data: {\"choices\":[{\"delta\":{\"content\":\"\xff\"}}]}\n\n".to_vec(),
        ),
        ("not sse", b"{\"choices\":[]}\n".to_vec()),
        ("bad json", b"data: {\"choices\": [\n\n".to_vec()),
        (
            "no end",
            b"data: {\"choices\":[{\"delta\":{\"content\":\"a\"},\"finish_reason\":null}]}\n\n"
                .to_vec(),
        ),
        (
            "error event",
            b"data: {\"error\":{\"message\":\"out of memory\"}}\n\n".to_vec(),
        ),
        ("only done", b"data: [DONE]\n\n".to_vec()),
    ];
    for (case, body) in cases {
        let (_server, client) = start(vec![StubResponse::stream_split_at(&body, &[])]).await;

        let (result, _) = stream_collect(&client).await;

        let error = result.unwrap_err();
        let expected = match case {
            "invalid utf-8" => matches!(error, LlmError::InvalidUtf8 { line: 1 }),
            "not sse" => matches!(error, LlmError::MalformedStream { line: 1, .. }),
            "bad json" => matches!(error, LlmError::MalformedStream { .. }),
            "no end" => matches!(error, LlmError::StreamIncomplete),
            "error event" => {
                matches!(&error, LlmError::StreamError { message } if message == "out of memory")
            }
            "only done" => matches!(error, LlmError::MissingChoices),
            _ => false,
        };
        assert!(expected, "case {case}: {error:?}");
    }
}

#[tokio::test]
async fn grounded_answer_round_trip() {
    let passages = vec![
        Passage {
            number: 1,
            source_id: "policy-17".into(),
            title: "居住证办理指南".into(),
            text: "申请居住证需在居住地连续居住满半年。".into(),
        },
        Passage {
            number: 2,
            source_id: "faq-3".into(),
            title: "办理地点".into(),
            text: "可到居住地派出所办理。".into(),
        },
    ];
    let (server, client) = start(vec![
        StubResponse::completion("需连续居住满半年[1]，到派出所办理[2]。"),
        StubResponse::completion("【无法根据资料回答】"),
    ])
    .await;

    let messages = grounded_messages("怎么办理居住证？", &passages, Lang::ZhCn).unwrap();
    let completion = client.chat(&messages.clone().into()).await.unwrap();
    let answer = parse_grounded_answer(&completion.text, &passages).unwrap();
    let labelled = client.label(&answer.text, Lang::ZhCn);

    assert_eq!(answer.citations, vec![1, 2]);
    assert!(!answer.refused);
    assert_eq!(labelled.label, "本内容由人工智能生成");
    assert_eq!(labelled.aigc.content_producer, "CityAI");
    assert!(labelled.is_intact());
    let sent = &server.requests()[0].body["messages"];
    assert!(
        sent[1]["content"]
            .as_str()
            .unwrap()
            .contains("[2] 《办理地点》")
    );

    let completion = client.chat(&messages.into()).await.unwrap();
    let answer = parse_grounded_answer(&completion.text, &passages).unwrap();
    assert!(answer.refused);
}
