//! Taking requests in through the JSON API, with the real router, a real SQLite store and a
//! routing model trained on the built-in demo data.
#![allow(clippy::unwrap_used)]

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use cityai_core::{Lang, Role};
use cityai_server::{AppState, router};
use cityai_services::auth;
use cityai_store::{NewUser, Store};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

struct TestApp {
    _dir: tempfile::TempDir,
    store: Store,
    state: AppState,
    citizen_key: String,
    operator_key: String,
    reviewer_key: String,
}

async fn test_app() -> TestApp {
    let (dir, store) = common::demo_store().await;
    let (router, _) = cityai_services::routing::train_and_activate(&store, Default::default())
        .await
        .unwrap();
    for (username, role) in [
        ("resident1", Role::Citizen),
        ("op1", Role::Operator),
        ("rev1", Role::Reviewer),
    ] {
        store
            .create_user(
                &NewUser {
                    username,
                    role,
                    department: None,
                    password_hash: "$argon2id$not-used-here",
                },
                "test",
            )
            .await
            .unwrap();
    }
    let citizen_key = auth::create_api_key(&store, "resident1", "app", "test")
        .await
        .unwrap()
        .key;
    let operator_key = auth::create_api_key(&store, "op1", "hotline", "test")
        .await
        .unwrap()
        .key;
    let reviewer_key = auth::create_api_key(&store, "rev1", "review tool", "test")
        .await
        .unwrap()
        .key;
    let state = AppState::new(
        store.clone(),
        Lang::ZhCn,
        chrono::FixedOffset::east_opt(8 * 3600).unwrap(),
    );
    state.router.set(router);
    TestApp {
        _dir: dir,
        store,
        state,
        citizen_key,
        operator_key,
        reviewer_key,
    }
}

async fn post(test: &TestApp, key: &str, body: Value) -> (StatusCode, Value, Option<String>) {
    let response = router(test.state.clone())
        .oneshot(
            Request::post("/api/v1/requests")
                .header(header::AUTHORIZATION, format!("Bearer {key}"))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string()))
                .unwrap(),
        )
        .await
        .unwrap();
    let status = response.status();
    let location = response
        .headers()
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap().to_owned());
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap(), location)
}

async fn get(test: &TestApp, path: &str) -> (StatusCode, Value) {
    call(test, None, Request::get(path), Body::empty()).await
}

async fn call(
    test: &TestApp,
    key: Option<&str>,
    mut builder: axum::http::request::Builder,
    body: Body,
) -> (StatusCode, Value) {
    if let Some(key) = key {
        builder = builder.header(header::AUTHORIZATION, format!("Bearer {key}"));
    }
    let response = router(test.state.clone())
        .oneshot(
            builder
                .header(header::CONTENT_TYPE, "application/json")
                .body(body)
                .unwrap(),
        )
        .await
        .unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap())
}

#[tokio::test]
async fn intake_masks_routes_and_issues_token() {
    let test = test_app().await;
    let (status, receipt, location) = post(
        &test,
        &test.citizen_key,
        json!({
            "title": "小区路灯不亮",
            "body": "幸福小区3栋门口的路灯已经坏了两个星期，晚上很黑，请尽快维修。我的电话13912345678",
            "place": "幸福小区",
        }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{receipt}");
    let id = receipt["id"].as_i64().unwrap();
    assert_eq!(
        location.as_deref(),
        Some(format!("/api/v1/requests/{id}").as_str())
    );
    let token = receipt["token"].as_str().unwrap();
    assert_eq!(token.len(), 32);
    assert!(receipt["category"].is_string(), "{receipt}");
    assert!(receipt["model_version"].is_string(), "{receipt}");
    let routed_status = receipt["status"].as_str().unwrap();
    assert!(["assigned", "triage"].contains(&routed_status), "{receipt}");

    let stored = test.store.request(id).await.unwrap().unwrap();
    assert_eq!(stored.citizen_ref.as_deref(), Some("resident1"));
    assert!(
        !stored.body.contains("13912345678"),
        "the phone number is masked"
    );
    assert_eq!(stored.status.as_str(), routed_status);
    assert!(stored.model_version.is_some());

    // Anyone holding the token sees the request's status, and nothing of its text.
    let (status, public) = get(&test, &format!("/api/v1/status/{token}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(public["id"], id);
    assert_eq!(public["status"], routed_status);
    assert!(public.get("body").is_none());
    let (status, _) = get(&test, &format!("/api/v1/status/{}", "0".repeat(32))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, error) = get(&test, "/api/v1/status/not-a-token").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["error"]["code"], "invalid_token");
}

#[tokio::test]
async fn intake_rejects_bad_submissions() {
    let test = test_app().await;
    let before = test
        .store
        .request_counts(&Default::default())
        .await
        .unwrap()
        .total;
    let cases = [
        (json!({"body": "   "}), "invalid_request", "为空"),
        (
            json!({"body": "路灯坏了", "latitude": 123.0, "longitude": 100.0}),
            "invalid_request",
            "123",
        ),
        (
            json!({"body": "路灯坏了", "latitude": 30.1}),
            "invalid_request",
            "同时提供",
        ),
        (json!([]), "invalid_body", "{\"body\": "),
        (
            json!({"body": "路灯坏了", "channel": "open311"}),
            "invalid_channel",
            "open311",
        ),
        (
            json!({"body": "路灯坏了", "colour": "red"}),
            "invalid_body",
            "colour",
        ),
        (json!({"title": "没有正文"}), "invalid_body", "body"),
        (
            json!({"body": "长".repeat(10_001)}),
            "invalid_request",
            "10001",
        ),
    ];
    for (body, code, mention) in cases {
        let (status, error, _) = post(&test, &test.citizen_key, body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(error["error"]["code"], code, "{body}");
        let message = error["error"]["message"].as_str().unwrap();
        assert!(message.contains(mention), "{message}");
    }
    // Citizens cannot file hotline work orders; operators can.
    let (status, _, _) = post(
        &test,
        &test.citizen_key,
        json!({"body": "路灯坏了", "channel": "hotline"}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let after = test
        .store
        .request_counts(&Default::default())
        .await
        .unwrap()
        .total;
    assert_eq!(before, after);

    let (status, receipt, _) = post(
        &test,
        &test.operator_key,
        json!({"body": "来电反映公交站牌缺失", "channel": "hotline", "citizen_ref": "caller-778"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let stored = test
        .store
        .request(receipt["id"].as_i64().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.channel.as_str(), "hotline");
    assert_eq!(stored.citizen_ref.as_deref(), Some("caller-778"));
}

#[tokio::test]
async fn intake_resend_returns_stored_request() {
    let test = test_app().await;
    let body = json!({"body": "人民路与解放路交叉口红绿灯不亮", "external_id": "app-42"});
    let (status, first, _) = post(&test, &test.operator_key, body.clone()).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, again, _) = post(&test, &test.operator_key, body).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(first["id"], again["id"]);
    assert_eq!(first["token"], again["token"]);
    assert_eq!(again["existing"], true);
}

#[tokio::test]
async fn intake_links_live_duplicates() {
    let test = test_app().await;
    // The server warms the index at start; later refreshes link what arrived since.
    test.state.hotspots.refresh(&test.store).await.unwrap();
    let text = "幸福路12号的餐馆每天夜里十二点以后还在外面摆桌喝酒，噪音很大，影响居民休息";
    let (_, first, _) = post(&test, &test.citizen_key, json!({"body": text})).await;
    let (_, second, _) = post(
        &test,
        &test.operator_key,
        json!({"body": format!("{text}，希望管一管"), "channel": "hotline"}),
    )
    .await;
    let added = test.state.hotspots.refresh(&test.store).await.unwrap();
    assert_eq!(added, 2);
    let second_id = second["id"].as_i64().unwrap();
    let links = test.store.request_links(second_id).await.unwrap();
    assert!(
        links
            .iter()
            .any(|link| link.other_id == first["id"].as_i64().unwrap()),
        "{links:?}"
    );
}

#[tokio::test]
async fn metrics_count_requests_routes_and_queues() {
    let test = test_app().await;
    let app = router(test.state.clone());
    let (status, _, _) = post(
        &test,
        &test.citizen_key,
        json!({"body": "公交站牌缺失，请补上"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = get(&test, "/api/v1/status/not-a-token").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // A read of one request, which an SQLite file serves from a direct connection.
    test.store.request(1).await.unwrap();
    let response = app
        .oneshot(Request::get("/metrics").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = String::from_utf8(
        response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
    .unwrap();
    assert!(
        text.contains(
            "cityai_http_requests_total{method=\"POST\",route=\"/api/v1/requests\",status=\"201\"} 1"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "cityai_http_requests_total{method=\"GET\",route=\"/api/v1/status/{token}\",status=\"400\"} 1"
        ),
        "{text}"
    );
    assert!(text.contains(
        "cityai_http_request_duration_seconds_count{method=\"POST\",route=\"/api/v1/requests\"} 1"
    ));
    let routed: u64 = ["assigned", "triage"]
        .iter()
        .map(|outcome| {
            let prefix = format!("cityai_intake_requests_total{{outcome=\"{outcome}\"}} ");
            text.lines()
                .find_map(|line| line.strip_prefix(prefix.as_str()))
                .unwrap()
                .parse::<u64>()
                .unwrap()
        })
        .sum();
    assert_eq!(routed, 1);
    let counts = test
        .store
        .request_counts(&Default::default())
        .await
        .unwrap();
    let triage = counts
        .by_status
        .iter()
        .find(|(s, _)| s.as_str() == "triage")
        .map_or(0, |(_, n)| *n);
    assert!(text.contains(&format!("cityai_requests{{status=\"triage\"}} {triage}")));
    assert!(text.contains("cityai_routing_model_loaded 1"));
    // On an SQLite file, the counter includes the read of one request above.
    match test.store.backend() {
        cityai_store::Backend::Sqlite => {
            let served = text
                .lines()
                .find_map(|line| line.strip_prefix("cityai_store_direct_reads_total "))
                .expect("the direct reads counter");
            assert!(served.parse::<u64>().unwrap() >= 1, "{served}");
        }
        cityai_store::Backend::Postgres => {
            assert!(!text.contains("cityai_store_direct_reads_total"));
        }
    }
    // Every sample line is a name, optional labels and a number.
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let value = line.rsplit(' ').next().unwrap();
        assert!(value.parse::<f64>().is_ok(), "{line}");
    }
}

#[tokio::test]
async fn api_takes_request_to_approved_reply() {
    let test = test_app().await;
    let (_, receipt, _) = post(
        &test,
        &test.operator_key,
        json!({"body": "和平小区5栋楼道的灯坏了一个月，晚上上下楼很危险", "channel": "hotline"}),
    )
    .await;
    let id = receipt["id"].as_i64().unwrap();
    let key = Some(test.reviewer_key.as_str());

    let (status, routing) = call(
        &test,
        key,
        Request::get(format!("/api/v1/requests/{id}/routing")),
        Body::empty(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{routing}");
    assert!(!routing["decision"]["top"].as_array().unwrap().is_empty());
    assert_eq!(routing["model_version"], receipt["model_version"]);

    let (status, draft) = call(
        &test,
        key,
        Request::post(format!("/api/v1/requests/{id}/reply/draft")),
        Body::empty(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{draft}");
    let draft_id = draft["id"].as_i64().unwrap();
    assert_eq!(
        draft["AIGC"]["Label"], "1",
        "drafts carry the AIGC metadata: {draft}"
    );

    let (status, current) = call(
        &test,
        key,
        Request::get(format!("/api/v1/requests/{id}/reply")),
        Body::empty(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(current["draft"]["id"], draft_id);

    // A wrong draft id and an empty text are refused with the fix named.
    let (status, error) = call(
        &test,
        key,
        Request::post(format!("/api/v1/requests/{id}/reply")),
        Body::from(json!({"draft_id": draft_id + 100, "body": "x", "action": "save"}).to_string()),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["error"]["code"], "unknown_draft");
    let (status, error) = call(
        &test,
        key,
        Request::post(format!("/api/v1/requests/{id}/reply")),
        Body::from(json!({"draft_id": draft_id, "body": "  ", "action": "approve"}).to_string()),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
    assert_eq!(error["error"]["code"], "empty_reply");

    let text =
        "您好！您反映的和平小区5栋楼道灯损坏问题，物业已于今日更换灯具。如有问题请拨打12345。";
    let (status, approved) = call(
        &test,
        key,
        Request::post(format!("/api/v1/requests/{id}/reply")),
        Body::from(json!({"draft_id": draft_id, "body": text, "action": "approve"}).to_string()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{approved}");
    assert_eq!(approved["reply"]["approved_by"], "user:rev1");

    let (status, again) = call(
        &test,
        key,
        Request::post(format!("/api/v1/requests/{id}/reply")),
        Body::from(json!({"draft_id": draft_id, "body": text, "action": "approve"}).to_string()),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");

    let (status, timeline) = call(
        &test,
        key,
        Request::get(format!("/api/v1/requests/{id}/timeline")),
        Body::empty(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let kinds: Vec<&str> = timeline["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"request.received"), "{kinds:?}");
    assert!(kinds.iter().any(|k| k.starts_with("reply.")), "{kinds:?}");

    let (status, dashboard) =
        call(&test, key, Request::get("/api/v1/dashboard"), Body::empty()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(dashboard["figures"]["decisions"].as_i64().unwrap() >= 1);
    let (status, next) = call(
        &test,
        key,
        Request::get("/api/v1/triage/next"),
        Body::empty(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(next["id"].is_null() || next["id"].is_i64());
    let (status, invalid) = call(
        &test,
        key,
        Request::get("/api/v1/triage/next?after=abc"),
        Body::empty(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(invalid["error"]["code"], "invalid_parameter");
    let message = invalid["error"]["message"].as_str().unwrap();
    assert!(message.contains("“abc”"), "{message}");
    assert!(message.contains("after"), "{message}");
}

/// Sends `path` with `headers` and returns the status, the `Content-Language` header and the
/// error message.
async fn error_message(
    test: &TestApp,
    path: &str,
    headers: &[(header::HeaderName, &str)],
) -> (StatusCode, String, String) {
    let mut builder = Request::get(path);
    for (name, value) in headers {
        builder = builder.header(name, *value);
    }
    let response = router(test.state.clone())
        .oneshot(builder.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let language = response
        .headers()
        .get(header::CONTENT_LANGUAGE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body: Value = serde_json::from_slice(&bytes).unwrap();
    let message = body["error"]["message"].as_str().unwrap().to_owned();
    (status, language, message)
}

#[tokio::test]
async fn api_errors_speak_the_callers_language() {
    let test = test_app().await;
    let bearer = format!("Bearer {}", test.operator_key);
    let auth = (header::AUTHORIZATION, bearer.as_str());
    let path = "/api/v1/requests/999999";

    // The server's default language (zh-CN here) when the caller names none.
    let (status, language, message) = error_message(&test, path, std::slice::from_ref(&auth)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(language, "zh-CN");
    assert_eq!(
        message,
        "未找到诉求 999999：可用 GET /api/v1/requests 列出您能查看的诉求"
    );

    // Accept-Language, the console's language cookie and ?lang= each choose English.
    let english =
        "request 999999 not found: list the requests you may see with GET /api/v1/requests";
    for headers in [
        vec![auth.clone(), (header::ACCEPT_LANGUAGE, "en-US,en;q=0.9")],
        vec![auth.clone(), (header::COOKIE, "cityai_lang=en")],
    ] {
        let (_, language, message) = error_message(&test, path, &headers).await;
        assert_eq!(language, "en");
        assert_eq!(message, english);
    }
    let (_, _, message) = error_message(
        &test,
        &format!("{path}?lang=en"),
        std::slice::from_ref(&auth),
    )
    .await;
    assert_eq!(message, english);

    // ?lang= wins over Accept-Language, and errors raised before any handler runs follow it.
    let (status, language, message) = error_message(
        &test,
        "/api/v1/requests?lang=zh-CN",
        &[(header::ACCEPT_LANGUAGE, "en")],
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(language, "zh-CN");
    assert!(message.starts_with("请先登录"), "{message}");
    let (status, _, message) = error_message(
        &test,
        "/api/v1/requests",
        &[
            (header::AUTHORIZATION, "Bearer wrong"),
            (header::ACCEPT_LANGUAGE, "en"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(message.starts_with("the API key is unknown"), "{message}");

    // A hint from the catalogues inside the message follows the same language.
    let (status, _, message) = error_message(
        &test,
        "/api/v1/requests?size=0",
        std::slice::from_ref(&auth),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(message.contains("“0”"), "{message}");
    assert!(!message.is_ascii(), "{message}");
    let (status, _, message) = error_message(
        &test,
        "/api/v1/knowledge/search?q=parking&limit=abc",
        &[auth.clone(), (header::ACCEPT_LANGUAGE, "en")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        message,
        "invalid value \"abc\" for parameter limit: expected a whole number from 1 to 50"
    );
    let (status, _, message) = error_message(
        &test,
        "/api/v1/knowledge/search?q=parking&valid_only=yes",
        std::slice::from_ref(&auth),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(message, "参数 valid_only 的值“yes”无效：应为 true 或 false");
    let (_, _, message) = error_message(
        &test,
        "/api/v1/requests?size=0",
        &[auth, (header::ACCEPT_LANGUAGE, "en")],
    )
    .await;
    assert_eq!(
        message,
        "invalid value \"0\" for parameter size: the page size must be a whole number from 1 to 500"
    );
}

#[tokio::test]
async fn citizen_reference_masked_and_hidden() {
    let test = test_app().await;
    let (_, receipt, _) = post(
        &test,
        &test.operator_key,
        json!({
            "body": "来电反映路口红绿灯不亮",
            "channel": "hotline",
            "citizen_ref": "王小明13912345678",
        }),
    )
    .await;
    let id = receipt["id"].as_i64().unwrap();
    let stored = test.store.request(id).await.unwrap().unwrap();
    let reference = stored.citizen_ref.unwrap();
    assert!(!reference.contains("13912345678"), "{reference}");

    // A reviewer deciding the routing gets the request back without the reference.
    let (status, confirmed) = call(
        &test,
        Some(test.reviewer_key.as_str()),
        Request::post(format!("/api/v1/requests/{id}/routing/confirm")),
        Body::empty(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{confirmed}");
    assert!(confirmed["citizen_ref"].is_null(), "{confirmed}");
}
