//! Scripted conversations with the reception assistant, through the real router, a real
//! SQLite store seeded with the demo taxonomy, requests and knowledge, and a routing model
//! trained on them. Each scenario runs without an LLM and with the local OpenAI-protocol
//! stub, whose scripted readings include malformed output to prove the fallback to rules.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use cityai_core::{Channel, Lang, Role};
use cityai_llm::stub::{StubResponse, StubServer};
use cityai_llm::{LlmClient, LlmConfig};
use cityai_server::{AppState, router};
use cityai_services::auth;
use cityai_store::{NewUser, Store};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

const PHONE: &str = "13912345678";

struct TestApp {
    _dir: tempfile::TempDir,
    store: Store,
    state: AppState,
    operator_key: String,
    /// Keeps the LLM stub serving while the test runs.
    stub: Option<StubServer>,
}

fn demo_documents() -> Vec<cityai_knowledge::SourceDocument> {
    use cityai_knowledge::{Block, BlockKind, Source, SourceDocument, SourceKind};
    cityai_demo::knowledge()
        .iter()
        .map(|demo| {
            let kind = if demo.kind == "policy" {
                SourceKind::Policy
            } else {
                SourceKind::Faq
            };
            let mut source = Source::new(demo.id, kind);
            source.title = Some(demo.title.to_owned());
            source.department = Some(demo.department.to_owned());
            let blocks = demo
                .text
                .split("\n\n")
                .enumerate()
                .map(|(i, paragraph)| match kind {
                    SourceKind::Faq if i == 0 => Block::new(BlockKind::Question, paragraph),
                    SourceKind::Faq => Block::new(BlockKind::Answer, paragraph),
                    _ => Block::paragraph(paragraph),
                })
                .collect();
            SourceDocument { source, blocks }
        })
        .collect()
}

async fn test_app(llm: Option<Vec<StubResponse>>) -> TestApp {
    let (dir, store) = common::demo_store().await;
    cityai_services::knowledge::import_documents(
        &store,
        dir.path(),
        &demo_documents(),
        "demo",
        "test",
    )
    .await
    .unwrap();
    let index = cityai_services::knowledge::open_index(&store, dir.path())
        .await
        .unwrap();
    let (router, _) = cityai_services::routing::train_and_activate(&store, Default::default())
        .await
        .unwrap();
    store
        .create_user(
            &NewUser {
                username: "op1",
                role: Role::Operator,
                department: None,
                password_hash: "$argon2id$not-used-here",
            },
            "test",
        )
        .await
        .unwrap();
    let operator_key = auth::create_api_key(&store, "op1", "desk", "test")
        .await
        .unwrap()
        .key;
    let mut state = AppState::new(
        store.clone(),
        Lang::ZhCn,
        chrono::FixedOffset::east_opt(8 * 3600).unwrap(),
    );
    state.router.set(router);
    state.knowledge = Some(Arc::new(index));
    let stub = match llm {
        Some(responses) => {
            let stub = StubServer::start(responses).await.unwrap();
            let client = LlmClient::new(LlmConfig::new(stub.base_url(), "stub-model")).unwrap();
            state.llm = Some(Arc::new(client));
            Some(stub)
        }
        None => None,
    };
    TestApp {
        _dir: dir,
        store,
        state,
        operator_key,
        stub,
    }
}

/// Sends one chat message and returns the status and the JSON reply.
async fn say(test: &TestApp, conversation: Option<&str>, message: &str) -> (StatusCode, Value) {
    let mut body = json!({ "message": message, "lang": "zh-CN" });
    if let Some(conversation) = conversation {
        body["conversation"] = json!(conversation);
    }
    let response = router(test.state.clone())
        .oneshot(
            Request::post("/api/v1/reception")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string()))
                .unwrap(),
        )
        .await
        .unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap())
}

/// Sends a message that must succeed and returns the reply.
async fn chat(test: &TestApp, conversation: Option<&str>, message: &str) -> Value {
    let (status, reply) = say(test, conversation, message).await;
    assert_eq!(status, StatusCode::OK, "{message}: {reply}");
    assert_eq!(reply["ai_generated"], true, "{reply}");
    assert!(reply["AIGC"]["Label"].is_string(), "{reply}");
    reply
}

fn reading(intent: &str, fields: Value) -> StubResponse {
    let mut object = json!({ "intent": intent });
    for (key, value) in fields.as_object().unwrap() {
        object[key] = value.clone();
    }
    StubResponse::completion(&object.to_string())
}

fn missing(reply: &Value) -> Vec<&str> {
    reply["missing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect()
}

/// Runs the complaint scenario: an opener without details, the details one by one, a
/// correction of the place, confirmation; then checks what the store holds.
async fn complaint_scenario(test: &TestApp) {
    let first = chat(test, None, "我要投诉").await;
    let conversation = first["conversation"].as_str().unwrap().to_owned();
    assert_eq!(conversation.len(), 32);
    assert_eq!(first["intent"], "complaint");
    assert_eq!(first["state"], "collecting");
    assert_eq!(missing(&first), ["what", "place", "time", "contact"]);

    let reply = chat(
        test,
        Some(&conversation),
        "幸福小区3栋门口的路灯坏了，晚上很黑",
    )
    .await;
    assert_eq!(missing(&reply), ["time", "contact"], "{reply}");

    let reply = chat(test, Some(&conversation), "昨天晚上开始的").await;
    assert_eq!(missing(&reply), ["contact"], "{reply}");

    let reply = chat(test, Some(&conversation), &format!("我的电话{PHONE}")).await;
    assert_eq!(reply["state"], "confirming", "{reply}");
    assert_eq!(reply["summary"]["place"], "幸福小区3栋门口");
    assert!(!reply.to_string().contains(PHONE), "{reply}");

    let reply = chat(test, Some(&conversation), "不对，地点是幸福小区5栋门口").await;
    assert_eq!(reply["intent"], "correction", "{reply}");
    assert_eq!(reply["state"], "confirming");
    assert_eq!(reply["summary"]["place"], "幸福小区5栋门口");

    let reply = chat(test, Some(&conversation), "确认").await;
    assert_eq!(reply["state"], "submitted", "{reply}");
    let id = reply["request"]["id"].as_i64().unwrap();
    let token = reply["request"]["token"].as_str().unwrap();
    assert_eq!(token.len(), 32);

    // The request went through intake: reception channel, masked text, place, token.
    let request = test.store.request(id).await.unwrap().unwrap();
    assert_eq!(request.channel, Channel::Reception);
    assert!(request.body.contains("路灯坏了"), "{}", request.body);
    assert!(request.body.contains("幸福小区5栋门口"), "{}", request.body);
    assert!(request.body.contains("昨天晚上"), "{}", request.body);
    assert!(!request.body.contains(PHONE), "{}", request.body);
    assert_eq!(request.place_text.as_deref(), Some("幸福小区5栋门口"));
    assert!(request.category.is_some(), "the router routed it");
    let original = test
        .store
        .request_unmasked(id, "user:op1", "callback")
        .await
        .unwrap();
    assert!(original.body.contains(PHONE), "staff can call back");
    assert_eq!(
        test.store
            .request_by_token(token)
            .await
            .unwrap()
            .unwrap()
            .id,
        id
    );

    // The conversation is stored, linked, masked, and no longer keeps the citizen's words.
    let stored = test
        .store
        .reception_conversation_of_request(id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.id, conversation);
    assert_eq!(stored.phase, "submitted");
    assert_eq!(stored.restricted_state, None);
    let turns = test.store.reception_turns(&conversation).await.unwrap();
    assert_eq!(turns.len(), 12);
    assert!(turns.iter().all(|turn| !turn.text.contains(PHONE)));
    assert_eq!(turns[0].intent.as_deref(), Some("complaint"));
    assert_eq!(turns[8].intent.as_deref(), Some("correction"));

    // Confirming again creates nothing new.
    let again = chat(test, Some(&conversation), "我还要投诉小区门口垃圾没人清理").await;
    assert!(again.get("request").is_none(), "{again}");
    assert!(
        again["reply"].as_str().unwrap().contains(&format!("#{id}")),
        "{again}"
    );

    // Staff see the conversation on the request page.
    let response = router(test.state.clone())
        .oneshot(
            Request::get(format!("/requests/{id}"))
                .header(
                    header::AUTHORIZATION,
                    format!("Bearer {}", test.operator_key),
                )
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let page = String::from_utf8(
        response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
    .unwrap();
    assert!(page.contains("智能接待对话"));
    assert!(page.contains("幸福小区5栋门口"));
    assert!(!page.contains(PHONE));
}

#[tokio::test]
async fn complaint_without_llm() {
    let test = test_app(None).await;
    complaint_scenario(&test).await;
}

#[tokio::test]
async fn complaint_with_llm_and_malformed_reading() {
    let llm = vec![
        reading(
            "complaint",
            json!({"what": null, "place": null, "time": null}),
        ),
        reading(
            "answer",
            json!({"what": "幸福小区3栋门口的路灯坏了", "place": "幸福小区3栋门口"}),
        ),
        // Malformed: the rules read this message instead.
        StubResponse::completion("这是一条投诉，时间是昨天晚上。"),
        reading("answer", json!({"no_contact": false})),
        // The model names a place the citizen did not write; it must be ignored and the
        // rules' reading of the correction kept.
        reading("correction", json!({"place": "人民路100号"})),
        reading("confirm", json!({})),
        reading("complaint", json!({"what": "小区门口垃圾没人清理"})),
    ];
    let test = test_app(Some(llm)).await;
    complaint_scenario(&test).await;
    let requests = test.stub.as_ref().unwrap().requests();
    assert_eq!(requests.len(), 7);
    // The model only ever sees masked text.
    assert!(requests.iter().all(|r| !r.body.to_string().contains(PHONE)));
}

/// A question answered from the knowledge base, with citations.
async fn question_scenario(test: &TestApp, expect_llm_answer: bool) {
    let reply = chat(test, None, "路灯不亮怎么报修？").await;
    assert_eq!(reply["intent"], "question", "{reply}");
    assert_eq!(reply["state"], "idle");
    let citations = reply["citations"].as_array().unwrap();
    assert!(
        citations.iter().any(|c| c["source_id"] == "YC-FAQ-001"),
        "{reply}"
    );
    let text = reply["reply"].as_str().unwrap();
    assert!(text.contains("48小时"), "{text}");
    if expect_llm_answer {
        assert!(
            text.starts_with("路灯故障一般在接报后48小时内修复"),
            "{text}"
        );
    } else {
        assert!(text.contains("[1]"), "{text}");
    }
}

#[tokio::test]
async fn question_without_llm() {
    let test = test_app(None).await;
    question_scenario(&test, false).await;
}

#[tokio::test]
async fn question_with_llm() {
    let llm = vec![
        reading("question", json!({})),
        StubResponse::completion("路灯故障一般在接报后48小时内修复，可拨打12345报修。[1]"),
    ];
    let test = test_app(Some(llm)).await;
    question_scenario(&test, true).await;
}

/// A question and a status check in the middle of a complaint, then cancelling it.
async fn change_of_mind_scenario(test: &TestApp) {
    let earlier = cityai_services::intake::submit(
        &test.store,
        None,
        cityai_services::intake::Submission::new(Channel::Web, "人民路井盖丢失，很危险"),
    )
    .await
    .unwrap();
    let before = test
        .store
        .request_counts(&Default::default())
        .await
        .unwrap()
        .total;

    let reply = chat(test, None, "解放路有人半夜施工，噪音太大了").await;
    let conversation = reply["conversation"].as_str().unwrap().to_owned();
    assert_eq!(reply["intent"], "complaint");
    assert_eq!(missing(&reply), ["time", "contact"], "{reply}");

    let reply = chat(test, Some(&conversation), "夜间施工噪音扰民怎么办？").await;
    assert_eq!(reply["intent"], "question", "{reply}");
    assert_eq!(reply["state"], "collecting", "the complaint is kept");
    let text = reply["reply"].as_str().unwrap();
    assert!(text.contains("22时"), "{text}");
    assert!(text.contains("我们继续刚才的诉求"), "{text}");

    let token = earlier.token.unwrap();
    let reply = chat(
        test,
        Some(&conversation),
        &format!("帮我查一下 {token} 的进度"),
    )
    .await;
    assert_eq!(reply["intent"], "status", "{reply}");
    let text = reply["reply"].as_str().unwrap();
    assert!(text.contains(&format!("#{}", earlier.id)), "{text}");
    assert!(
        !text.contains("井盖"),
        "a status shows public fields only: {text}"
    );
    assert_eq!(reply["state"], "collecting");

    let reply = chat(test, Some(&conversation), "算了，不用了").await;
    assert_eq!(reply["intent"], "cancel", "{reply}");
    assert_eq!(reply["state"], "idle");
    assert!(missing(&reply).is_empty());

    let reply = chat(
        test,
        Some(&conversation),
        &format!("查询编号{}的办理情况", earlier.id),
    )
    .await;
    assert_eq!(reply["intent"], "status", "{reply}");
    assert!(
        reply["reply"]
            .as_str()
            .unwrap()
            .contains(&format!("#{}", earlier.id))
    );

    let after = test
        .store
        .request_counts(&Default::default())
        .await
        .unwrap()
        .total;
    assert_eq!(after, before, "cancelling created no request");
    let stored = test
        .store
        .reception_conversation(&conversation)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.request_id, None);
    assert_eq!(
        stored.restricted_state, None,
        "cancelling drops the citizen's words"
    );
}

#[tokio::test]
async fn change_of_mind_without_llm() {
    let test = test_app(None).await;
    change_of_mind_scenario(&test).await;
}

#[tokio::test]
async fn change_of_mind_with_llm() {
    let llm = vec![
        reading(
            "complaint",
            json!({"what": "解放路有人半夜施工，噪音太大了", "place": "解放路", "time": null}),
        ),
        reading("question", json!({})),
        StubResponse::completion("晚上22时至次日6时禁止产生噪声污染的施工作业。[1]"),
        reading("status", json!({})),
        reading("cancel", json!({})),
        // Malformed JSON: the rules find the request id.
        StubResponse::completion(r#"{"intent": "status", "request_id": "#),
    ];
    let test = test_app(Some(llm)).await;
    change_of_mind_scenario(&test).await;
}

/// Nonsense twice in a row offers a person and records the handoff for staff.
async fn nonsense_scenario(test: &TestApp) {
    let reply = chat(test, None, "asdfghjkl").await;
    let conversation = reply["conversation"].as_str().unwrap().to_owned();
    assert_eq!(reply["intent"], "nonsense", "{reply}");
    assert_eq!(reply["handoff"], false);
    let reply = chat(test, Some(&conversation), "？？？").await;
    assert_eq!(reply["handoff"], true, "{reply}");
    assert!(reply["reply"].as_str().unwrap().contains("12345"));

    let handoffs = test.store.reception_handoffs(10).await.unwrap();
    assert_eq!(handoffs.len(), 1);
    let response = router(test.state.clone())
        .oneshot(
            Request::get("/api/v1/reception/handoffs")
                .header(
                    header::AUTHORIZATION,
                    format!("Bearer {}", test.operator_key),
                )
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let list: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(list["handoffs"][0]["turns"].as_array().unwrap().len(), 4);
    assert!(!list.to_string().contains(&conversation));
}

#[tokio::test]
async fn nonsense_without_llm() {
    let test = test_app(None).await;
    nonsense_scenario(&test).await;
}

#[tokio::test]
async fn nonsense_with_llm() {
    let llm = vec![
        reading("nonsense", json!({})),
        // An unknown intent is malformed; the rules see nonsense.
        reading("order_pizza", json!({})),
    ];
    let test = test_app(Some(llm)).await;
    nonsense_scenario(&test).await;
}

#[tokio::test]
async fn asking_for_a_person_records_handoff() {
    let test = test_app(None).await;
    let reply = chat(&test, None, "我要转人工").await;
    assert_eq!(reply["intent"], "human");
    assert_eq!(reply["handoff"], true);
    assert_eq!(test.store.reception_handoffs(10).await.unwrap().len(), 1);
}

#[tokio::test]
async fn english_complaint_collects_details() {
    let test = test_app(None).await;
    let mut body = json!({ "message": "The street light on Oak Street is broken since last week", "lang": "en" });
    let response = router(test.state.clone())
        .oneshot(
            Request::post("/api/v1/reception")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string()))
                .unwrap(),
        )
        .await
        .unwrap();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let reply: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(reply["intent"], "complaint", "{reply}");
    assert_eq!(missing(&reply), ["contact"], "{reply}");
    assert!(reply["reply"].as_str().unwrap().contains("phone number"));

    body = json!({ "conversation": reply["conversation"], "message": "no contact please", "lang": "en" });
    let response = router(test.state.clone())
        .oneshot(
            Request::post("/api/v1/reception")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string()))
                .unwrap(),
        )
        .await
        .unwrap();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let reply: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(reply["state"], "confirming", "{reply}");
    assert_eq!(reply["summary"]["contact"], "none");
    assert_eq!(reply["summary"]["place"], "Oak Street");
}

#[tokio::test]
async fn invalid_input_is_rejected_with_the_fix() {
    let test = test_app(None).await;
    let (status, reply) = say(&test, None, "   ").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(reply["error"]["code"], "empty_message");
    let (status, reply) = say(&test, None, &"长".repeat(2_001)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        reply["error"]["message"]
            .as_str()
            .unwrap()
            .contains("2001 个字符")
    );
    let (status, reply) = say(&test, Some("not-an-id"), "你好").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(reply["error"]["code"], "invalid_conversation");
    let (status, _) = say(&test, Some(&"a".repeat(32)), "你好").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The language named in the body wins over the server's default for the error too.
    let response = router(test.state.clone())
        .oneshot(
            Request::post("/api/v1/reception")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(
                    json!({"message": " ", "lang": "en"}).to_string(),
                ))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(response.headers()[header::CONTENT_LANGUAGE], "en");
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let reply: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(
        reply["error"]["message"],
        "the message is empty: write what you want to ask or report"
    );
}

#[tokio::test]
async fn messages_per_address_are_limited() {
    let test = test_app(None).await;
    for _ in 0..cityai_server::MessageLimiter::PER_ADDRESS {
        chat(&test, None, "你好").await;
    }
    let (status, reply) = say(&test, None, "你好").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(reply["error"]["code"], "rate_limited");
}

#[tokio::test]
async fn chat_page_works_without_javascript() {
    let test = test_app(None).await;
    let response = router(test.state.clone())
        .oneshot(Request::get("/reception").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let set_cookie: Vec<String> = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let csrf = set_cookie
        .iter()
        .find_map(|c| c.strip_prefix("cityai_csrf="))
        .map(|c| c.split(';').next().unwrap().to_owned())
        .unwrap();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let page = String::from_utf8(bytes.to_vec()).unwrap();
    assert!(page.contains("本对话中助手的回复由人工智能生成"));
    assert!(page.contains(r#"<label for="reception-message""#));
    assert!(page.contains(&csrf));

    // Without the cookie's value in the form, the post is rejected.
    let response = router(test.state.clone())
        .oneshot(
            Request::post("/reception")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from("message=%E4%BD%A0%E5%A5%BD"))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    let form = serde_urlencoded::to_string([
        ("csrf_token", csrf.as_str()),
        ("lang", "zh-CN"),
        ("message", "幸福小区的路灯坏了"),
    ])
    .unwrap();
    let response = router(test.state.clone())
        .oneshot(
            Request::post("/reception")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::COOKIE, format!("cityai_csrf={csrf}"))
                .body(Body::from(form))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let page = String::from_utf8(bytes.to_vec()).unwrap();
    assert!(
        page.contains("幸福小区的路灯坏了"),
        "the transcript shows the message"
    );
    assert!(page.contains("问题是什么时候发生的"), "{page}");
    assert!(page.contains(r#"name="conversation""#));

    // The English page.
    let response = router(test.state.clone())
        .oneshot(
            Request::get("/reception?lang=en")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let page = String::from_utf8(bytes.to_vec()).unwrap();
    assert!(page.contains("replies in this chat are AI-generated"));
}
