//! The AI register through the real router and a real SQLite store: an application's life
//! from proposal to retirement, the gates that switch CityAI's own AI features off when
//! their approval expires, measured monitoring, moderated public feedback and the exports.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{Duration, Utc};
use cityai_core::{Channel, Lang, NewRequest, Role};
use cityai_llm::stub::{StubResponse, StubServer};
use cityai_llm::{LlmClient, LlmConfig};
use cityai_server::{AppState, router};
use cityai_services::auth;
use cityai_store::{Decision, GateClosed, NewDecision, NewUser, ReviewKind, Store};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

struct TestApp {
    dir: tempfile::TempDir,
    store: Store,
    state: AppState,
    office_key: String,
    office2_key: String,
    reviewer_key: String,
    citizen_key: String,
    _stub: Option<StubServer>,
}

async fn test_app(llm: Option<Vec<StubResponse>>) -> TestApp {
    let (dir, store) = common::demo_store().await;
    let (model, _) = cityai_services::routing::train_and_activate(&store, Default::default())
        .await
        .unwrap();
    let mut keys = Vec::new();
    for (username, role) in [
        ("office1", Role::AiOffice),
        ("office2", Role::AiOffice),
        ("rev1", Role::Reviewer),
        ("resident1", Role::Citizen),
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
        keys.push(
            auth::create_api_key(&store, username, "test", "test")
                .await
                .unwrap()
                .key,
        );
    }
    let mut state = AppState::new(
        store.clone(),
        Lang::ZhCn,
        chrono::FixedOffset::east_opt(8 * 3600).unwrap(),
    );
    state.router.set(model);
    let stub = match llm {
        Some(responses) => {
            let stub = StubServer::start(responses).await.unwrap();
            let client = LlmClient::new(LlmConfig::new(stub.base_url(), "stub-model")).unwrap();
            state.llm = Some(Arc::new(client));
            Some(stub)
        }
        None => None,
    };
    let [office_key, office2_key, reviewer_key, citizen_key] = keys.try_into().unwrap();
    TestApp {
        dir,
        store,
        state,
        office_key,
        office2_key,
        reviewer_key,
        citizen_key,
        _stub: stub,
    }
}

/// Sends a request and returns the status, the headers and the body as text.
async fn send(
    test: &TestApp,
    request: Request<Body>,
) -> (StatusCode, axum::http::HeaderMap, String) {
    let response = router(test.state.clone()).oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, headers, String::from_utf8(bytes.to_vec()).unwrap())
}

async fn api(
    test: &TestApp,
    key: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut builder = Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {key}"));
    if body.is_some() {
        builder = builder.header(header::CONTENT_TYPE, "application/json");
    }
    let body = body.map_or_else(Body::empty, |b| Body::from(b.to_string()));
    let (status, _, text) = send(test, builder.body(body).unwrap()).await;
    let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, value)
}

async fn page(test: &TestApp, key: Option<&str>, path: &str) -> (StatusCode, String) {
    let mut builder = Request::get(path);
    if let Some(key) = key {
        builder = builder.header(header::AUTHORIZATION, format!("Bearer {key}"));
    }
    let (status, _, text) = send(test, builder.body(Body::empty()).unwrap()).await;
    (status, text)
}

/// Records a re-review of `code` whose approval ran from 400 to 35 days ago, so that the
/// latest decision is an expired approval.
async fn expire(store: &Store, code: &str) {
    let now = Utc::now();
    let review = store
        .open_ai_review(code, ReviewKind::ReReview, &[], "user:office1")
        .await
        .unwrap();
    store
        .decide_ai_review(
            review.id,
            &NewDecision {
                decision: Decision::Approved,
                conditions: String::new(),
                valid_from: now - Duration::days(400),
                valid_until: now - Duration::days(35),
                re_review_on: (now - Duration::days(65)).date_naive(),
            },
            "user:office1",
        )
        .await
        .unwrap();
}

/// Records a re-review of `code` that approves it for a year from now.
async fn renew(store: &Store, code: &str) {
    let now = Utc::now();
    let review = store
        .open_ai_review(code, ReviewKind::ReReview, &[], "user:office1")
        .await
        .unwrap();
    store
        .decide_ai_review(
            review.id,
            &NewDecision {
                decision: Decision::Approved,
                conditions: String::new(),
                valid_from: now,
                valid_until: now + Duration::days(365),
                re_review_on: (now + Duration::days(330)).date_naive(),
            },
            "user:office1",
        )
        .await
        .unwrap();
}

fn fields(name_zh: &str, name_en: &str, risk: &str) -> Value {
    json!({
        "name_zh": name_zh,
        "name_en": name_en,
        "category": "health",
        "risk_level": risk,
        "model_type": "industry",
        "publication_category": "high_risk",
        "description": "为急诊分诊护士提供分级建议。",
        "rationale": "缩短候诊时间。",
        "owner": "市卫生健康委员会",
        "human_oversight": "护士确认每一条分级建议。",
        "legal_basis": "《医疗机构管理条例》",
        "supplier": "某医疗科技公司"
    })
}

#[tokio::test]
async fn builtin_features_are_registered_and_approved() {
    let test = test_app(None).await;
    let (status, list) = api(
        &test,
        &test.reviewer_key,
        "GET",
        "/api/v1/register/applications",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let items = list["items"].as_array().unwrap();
    for code in cityai_store::ai_features::BUILTIN_CODES {
        let item = items
            .iter()
            .find(|item| item["application"]["code"] == code)
            .unwrap_or_else(|| panic!("{code} is not registered: {list}"));
        assert_eq!(item["application"]["stage"], "in_use", "{item}");
        assert_eq!(item["gate"]["open"], true, "{item}");
    }
    let reviews = test.store.ai_reviews("cityai.routing").await.unwrap();
    assert_eq!(reviews.len(), 1);
    assert_eq!(reviews[0].kind, ReviewKind::Installation);
    assert_eq!(
        reviews[0].decided_by.as_deref(),
        Some("system (installation)")
    );

    // Opening the store again registers nothing twice.
    let reopened = Store::open(&cityai_store::testing::database_url_in(test.dir.path()))
        .await
        .unwrap();
    assert_eq!(reopened.ai_applications().await.unwrap().len(), 4);
    assert_eq!(
        reopened.ai_reviews("cityai.routing").await.unwrap().len(),
        1
    );
    let audit = reopened.audit_events(None, 1_000).await.unwrap();
    let registered = audit
        .iter()
        .filter(|e| e.action == "register.create" && e.actor == "system (installation)")
        .count();
    assert_eq!(registered, 4);
    assert!(reopened.verify_audit().await.unwrap().is_intact());
}

#[tokio::test]
async fn lifecycle_from_proposal_to_retirement() {
    let test = test_app(None).await;
    let office = test.office_key.clone();
    let code = "health.triage-2027";

    // Two proposals.
    let (status, created) = api(&test, &office, "POST", "/api/v1/register/applications",
        Some(json!({"code": code, "fields": fields("急诊智能分诊", "Emergency triage assistant", "high")}))).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["stage"], "proposed");
    let (status, _) = api(&test, &office, "POST", "/api/v1/register/applications",
        Some(json!({"code": "edu.tutor-2027", "fields": fields("智能辅导", "AI tutoring", "medium")}))).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, duplicate) = api(
        &test,
        &office,
        "POST",
        "/api/v1/register/applications",
        Some(json!({"code": code, "fields": fields("重复", "Duplicate", "low")})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{duplicate}");
    let (_, public) = page(&test, None, "/ai-register").await;
    assert!(!public.contains(code), "a proposal is not public yet");

    // Scoring by two scorers, and the ranked list.
    let scores = [
        (&test.office_key, code, [4.0, 5.0, 3.0]),
        (&test.office2_key, code, [5.0, 4.0, 4.0]),
        (&test.office_key, "edu.tutor-2027", [2.0, 3.0, 3.0]),
    ];
    for (key, application, values) in scores {
        for (criterion, score) in ["comparable_cases", "industrial_fit", "government_support"]
            .iter()
            .zip(values)
        {
            let (status, reply) = api(
                &test,
                key,
                "POST",
                &format!("/api/v1/register/applications/{application}/scores"),
                Some(json!({"criterion": criterion, "score": score})),
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{reply}");
        }
    }
    let (status, bad) = api(
        &test,
        &office,
        "POST",
        &format!("/api/v1/register/applications/{code}/scores"),
        Some(json!({"criterion": "comparable_cases", "score": 7})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    assert!(
        bad["error"]["message"].as_str().unwrap().contains('7'),
        "{bad}"
    );
    let (_, ranking) = api(
        &test,
        &test.reviewer_key,
        "GET",
        "/api/v1/register/ranking",
        None,
    )
    .await;
    let ranked = ranking["ranking"].as_array().unwrap();
    assert_eq!(ranked[0]["code"], code, "{ranking}");
    assert_eq!(ranked[0]["scorers"], 2);
    // Means 4.5, 4.5 and 3.5 weighted 0.35, 0.35 and 0.30.
    let expected = (0.35 * 4.5 + 0.35 * 4.5 + 0.30 * 3.5) / 1.0;
    assert!(
        (ranked[0]["weighted_score"].as_f64().unwrap() - expected).abs() < 1e-9,
        "{ranking}"
    );
    assert_eq!(ranked[1]["code"], "edu.tutor-2027");

    // The year's approved list keeps its order.
    let (status, list) = api(
        &test,
        &office,
        "POST",
        "/api/v1/register/lists/2027",
        Some(json!({"codes": [code, "edu.tutor-2027"]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let (_, list) = api(
        &test,
        &test.reviewer_key,
        "GET",
        "/api/v1/register/lists/2027",
        None,
    )
    .await;
    assert_eq!(list["items"][0]["code"], code);
    assert_eq!(list["items"][1]["rank"], 2);
    let (_, empty) = api(
        &test,
        &test.reviewer_key,
        "GET",
        "/api/v1/register/lists/2026",
        None,
    )
    .await;
    assert_eq!(empty["items"].as_array().unwrap().len(), 0);

    // The committee: a member with a declared conflict cannot sit on the panel.
    let (_, ethicist) = api(
        &test,
        &office,
        "POST",
        "/api/v1/register/committee",
        Some(json!({"name": "李教授", "expertise": "科技伦理", "affiliation": "云川大学"})),
    )
    .await;
    let (_, physician) = api(
        &test,
        &office,
        "POST",
        "/api/v1/register/committee",
        Some(json!({"name": "王主任", "expertise": "急诊医学"})),
    )
    .await;
    let (ethicist, physician) = (
        ethicist["id"].as_i64().unwrap(),
        physician["id"].as_i64().unwrap(),
    );
    let (status, _) = api(
        &test,
        &office,
        "POST",
        &format!("/api/v1/register/committee/{physician}/conflicts"),
        Some(json!({"application": code, "note": "任职于供应商的合作医院"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, refused) = api(
        &test,
        &office,
        "POST",
        &format!("/api/v1/register/applications/{code}/reviews"),
        Some(json!({"kind": "high_risk", "panel": [ethicist, physician]})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("conflict"),
        "{refused}"
    );
    let (status, review) = api(
        &test,
        &office,
        "POST",
        &format!("/api/v1/register/applications/{code}/reviews"),
        Some(json!({"kind": "high_risk", "panel": [ethicist]})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{review}");
    let review_id = review["id"].as_i64().unwrap();
    let (_, detail) = api(
        &test,
        &test.reviewer_key,
        "GET",
        &format!("/api/v1/register/applications/{code}"),
        None,
    )
    .await;
    assert_eq!(detail["application"]["stage"], "under_review");
    assert_eq!(detail["gate"]["open"], false);

    // No pilot before the decision.
    let (status, early) = api(
        &test,
        &office,
        "POST",
        &format!("/api/v1/register/applications/{code}/stage"),
        Some(json!({"stage": "pilot", "reason": "试点"})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{early}");

    // The decision with conditions, recorded by the AI office for the committee.
    let now = Utc::now();
    let until = (now + Duration::days(60)).to_rfc3339();
    let re_review = (now + Duration::days(20)).date_naive().to_string();
    let (status, missing) = api(&test, &office, "POST", &format!("/api/v1/register/reviews/{review_id}/decision"),
        Some(json!({"decision": "approved_with_conditions", "valid_until": until, "re_review_on": re_review}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{missing}");
    let (status, decided) = api(&test, &office, "POST", &format!("/api/v1/register/reviews/{review_id}/decision"),
        Some(json!({"decision": "approved_with_conditions", "conditions": "每一条分级建议须经护士确认", "valid_until": until, "re_review_on": re_review}))).await;
    assert_eq!(status, StatusCode::OK, "{decided}");
    assert_eq!(decided["decided_by"], "user:office1");
    let (status, again) = api(
        &test,
        &office,
        "POST",
        &format!("/api/v1/register/reviews/{review_id}/decision"),
        Some(json!({"decision": "rejected"})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");

    // Pilot, then use; the gate is open with the conditions.
    for stage in ["pilot", "in_use"] {
        let (status, moved) = api(
            &test,
            &office,
            "POST",
            &format!("/api/v1/register/applications/{code}/stage"),
            Some(json!({"stage": stage, "reason": "委员会附条件批准"})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{moved}");
        assert_eq!(moved["stage"], stage);
    }
    let gate = test.store.ai_gate(code).await.unwrap();
    assert!(gate.is_open(), "{gate:?}");
    assert_eq!(gate.conditions, "每一条分级建议须经护士确认");
    let (_, due) = api(
        &test,
        &test.reviewer_key,
        "GET",
        "/api/v1/register/reviews/due",
        None,
    )
    .await;
    let entry = due["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == code)
        .cloned();
    assert_eq!(entry.unwrap()["state"], "due", "{due}");
    let (status, html) = page(&test, Some(&test.reviewer_key), "/register").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(&format!("<tr data-code=\"{code}\">")),
        "{html}"
    );
    assert!(
        html.contains("id=\"due-table\""),
        "the console lists the due review: {html}"
    );
    assert!(
        !html.contains("feedback-queue"),
        "only the AI office moderates"
    );

    // Sixty-one days later the approval has expired: the gate closes and the review is overdue.
    let later = now + Duration::days(61);
    let expired = test.store.ai_gate_at(code, later).await.unwrap();
    assert!(
        matches!(expired.closed, Some(GateClosed::Expired { .. })),
        "{expired:?}"
    );
    let overdue = test.store.reviews_due(later, 30).await.unwrap();
    assert!(
        overdue
            .iter()
            .any(|d| d.code == code && d.state == cityai_store::ReviewDue::Overdue)
    );

    // The re-review renews the approval.
    let (_, rereview) = api(
        &test,
        &office,
        "POST",
        &format!("/api/v1/register/applications/{code}/reviews"),
        Some(json!({"kind": "re_review", "panel": [ethicist]})),
    )
    .await;
    let (status, _) = api(&test, &office, "POST", &format!("/api/v1/register/reviews/{}/decision", rereview["id"]),
        Some(json!({"decision": "approved", "valid_until": (now + Duration::days(400)).date_naive().to_string(), "re_review_on": (now + Duration::days(365)).date_naive().to_string()}))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(test.store.ai_gate_at(code, later).await.unwrap().is_open());

    // Funds, reported monitoring and participants.
    let (status, funds) = api(
        &test,
        &office,
        "POST",
        &format!("/api/v1/register/applications/{code}/funds"),
        Some(
            json!({"year": 2027, "budgeted": 3_000_000, "allocated": 2_000_000, "spent": 500_000}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{funds}");
    let (status, overspent) = api(
        &test,
        &office,
        "POST",
        &format!("/api/v1/register/applications/{code}/funds"),
        Some(json!({"year": 2027, "budgeted": 100, "allocated": 200, "spent": 0})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{overspent}");
    let (status, record) = api(&test, &office, "POST", &format!("/api/v1/register/applications/{code}/monitoring"),
        Some(json!({"from": "2027-01-01", "to": "2027-04-01", "source": "reported", "figures": {"triage_agreement": 0.91, "cases": 5210}}))).await;
    assert_eq!(status, StatusCode::CREATED, "{record}");
    let (status, not_measurable) = api(
        &test,
        &office,
        "POST",
        &format!("/api/v1/register/applications/{code}/monitoring"),
        Some(json!({"from": "2027-01-01", "to": "2027-04-01", "source": "measured"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{not_measurable}");
    let (_, hospital) = api(
        &test,
        &office,
        "POST",
        "/api/v1/register/organisations",
        Some(json!({"name": "云川市第一人民医院", "kind": "government"})),
    )
    .await;
    let (status, _) = api(
        &test,
        &office,
        "POST",
        &format!("/api/v1/register/applications/{code}/participants"),
        Some(json!({"organisation_id": hospital["id"], "role": "user"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    // Retirement is final.
    let (status, retired) = api(
        &test,
        &office,
        "POST",
        &format!("/api/v1/register/applications/{code}/stage"),
        Some(json!({"stage": "retired", "reason": "由省级平台替代"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{retired}");
    let closed = test.store.ai_gate(code).await.unwrap();
    assert!(
        matches!(
            closed.closed,
            Some(GateClosed::Stage {
                stage: cityai_store::Stage::Retired,
                ..
            })
        ),
        "{closed:?}"
    );
    let (status, back) = api(
        &test,
        &office,
        "POST",
        &format!("/api/v1/register/applications/{code}/stage"),
        Some(json!({"stage": "in_use", "reason": "恢复"})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{back}");

    // The whole life is in the audit chain, and the chain holds.
    let (_, detail) = api(
        &test,
        &test.reviewer_key,
        "GET",
        &format!("/api/v1/register/applications/{code}"),
        None,
    )
    .await;
    assert_eq!(detail["reviews"].as_array().unwrap().len(), 2);
    assert_eq!(detail["funds"][0]["spent"], 500_000);
    assert_eq!(detail["monitoring"][0]["source"], "reported");
    assert_eq!(detail["participants"][0]["role"], "user");
    let actions: Vec<String> = test
        .store
        .audit_events(None, 1_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.target.as_deref() == Some(&format!("ai_application:{code}")))
        .map(|e| e.action)
        .collect();
    for action in [
        "register.create",
        "register.score",
        "register.review_open",
        "register.stage",
        "register.funds",
        "register.monitoring",
    ] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} missing from {actions:?}"
        );
    }
    assert!(test.store.verify_audit().await.unwrap().is_intact());
    let (_, public) = page(&test, None, "/ai-register?lang=en").await;
    assert!(
        public.contains("Emergency triage assistant"),
        "a retired entry stays public"
    );
}

#[tokio::test]
async fn expired_routing_approval_sends_requests_to_triage() {
    let test = test_app(None).await;
    let model = test.state.router.get().unwrap();

    // Texts the router assigns automatically while its gate is open.
    let confident: Vec<String> = cityai_demo::requests(Utc::now())
        .into_iter()
        .map(|r| r.body)
        .filter(|body| {
            cityai_services::routing::decide(&model, 0, None, body).is_some_and(|d| d.auto_assign)
        })
        .take(3)
        .collect();
    assert_eq!(
        confident.len(),
        3,
        "the demo router assigns too few requests automatically"
    );
    let submit = |body: String, id: &str| {
        let test = &test;
        let id = id.to_owned();
        async move {
            api(
                test,
                &test.citizen_key,
                "POST",
                "/api/v1/requests",
                Some(json!({"body": format!("{body}（{id}）"), "external_id": id})),
            )
            .await
        }
    };

    let (status, open) = submit(confident[0].clone(), "open-1").await;
    assert_eq!(status, StatusCode::CREATED, "{open}");
    assert_eq!(open["status"], "assigned", "{open}");

    expire(&test.store, "cityai.routing").await;
    let (status, held) = submit(confident[1].clone(), "closed-1").await;
    assert_eq!(status, StatusCode::CREATED, "{held}");
    assert_eq!(held["status"], "triage", "{held}");
    assert!(
        held["category"].is_string(),
        "the suggestion is kept for the operator: {held}"
    );
    let details = test
        .store
        .latest_routing_details(held["id"].as_i64().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(
        details.contains("approval of cityai.routing expired on"),
        "{details}"
    );

    // The batch path of `cityai route` and imports also sends requests to triage.
    let id = test
        .store
        .insert_request(&NewRequest::new(Channel::Hotline, confident[2].clone()))
        .await
        .unwrap();
    let summary = cityai_services::routing::route_pending(&test.store, &model)
        .await
        .unwrap();
    assert_eq!(summary.outcome.assigned, 0, "{summary:?}");
    assert_eq!(
        test.store.request(id).await.unwrap().unwrap().status,
        cityai_core::RequestStatus::Triage
    );

    // The request page shows the reason.
    let (_, triage) = page(
        &test,
        Some(&test.reviewer_key),
        &format!("/requests/{}", held["id"]),
    )
    .await;
    assert!(
        triage.contains("自动派单已停用"),
        "the request page says why: {triage}"
    );
    assert!(triage.contains("cityai.routing 的审查批准已于"), "{triage}");

    renew(&test.store, "cityai.routing").await;
    let (_, back) = submit(confident[1].clone(), "renewed-1").await;
    assert_eq!(back["status"], "assigned", "{back}");
}

#[tokio::test]
async fn expired_drafting_approval_gives_manual_draft() {
    let test = test_app(None).await;
    expire(&test.store, "cityai.reply_drafting").await;
    let (status, draft) = api(
        &test,
        &test.reviewer_key,
        "POST",
        "/api/v1/requests/1/reply/draft",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{draft}");
    assert_eq!(draft["generator"], "manual", "{draft}");
    assert_eq!(draft["body"], "");
    assert!(draft["aigc"].is_null(), "{draft}");

    let (status, html) = page(&test, Some(&test.reviewer_key), "/requests/1").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"drafting-off\""), "{html}");
    assert!(
        html.contains("cityai.reply_drafting 的审查批准已于"),
        "{html}"
    );
    assert!(
        !html.contains("class=\"ai-label\""),
        "a handler's own draft carries no AI label"
    );

    renew(&test.store, "cityai.reply_drafting").await;
    let (_, draft) = api(
        &test,
        &test.reviewer_key,
        "POST",
        "/api/v1/requests/1/reply/draft",
        None,
    )
    .await;
    assert_eq!(draft["generator"], "template", "{draft}");
    assert!(!draft["body"].as_str().unwrap().is_empty());
}

async fn with_knowledge(test: &mut TestApp) {
    let documents: Vec<cityai_knowledge::SourceDocument> = cityai_demo::knowledge()
        .iter()
        .map(|demo| {
            use cityai_knowledge::{Block, BlockKind, Source, SourceDocument, SourceKind};
            let kind = if demo.kind == "policy" {
                SourceKind::Policy
            } else {
                SourceKind::Faq
            };
            let mut source = Source::new(demo.id, kind);
            source.title = Some(demo.title.to_owned());
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
        .collect();
    cityai_services::knowledge::import_documents(
        &test.store,
        test.dir.path(),
        &documents,
        "demo",
        "test",
    )
    .await
    .unwrap();
    let index = cityai_services::knowledge::open_index(&test.store, test.dir.path())
        .await
        .unwrap();
    test.state.knowledge = Some(Arc::new(index));
}

#[tokio::test]
async fn expired_llm_approval_answers_with_passages_only() {
    let mut test = test_app(Some(vec![StubResponse::completion(
        "路灯故障一般在接报后48小时内修复，可拨打12345报修。[1]",
    )]))
    .await;
    with_knowledge(&mut test).await;
    let question = "/api/v1/knowledge/search?q=%E8%B7%AF%E7%81%AF%E4%B8%8D%E4%BA%AE%E6%80%8E%E4%B9%88%E6%8A%A5%E4%BF%AE";

    expire(&test.store, "cityai.llm_answers").await;
    let (status, closed) = api(&test, &test.reviewer_key, "GET", question, None).await;
    assert_eq!(status, StatusCode::OK, "{closed}");
    assert!(closed["generated"].is_null(), "{closed}");
    assert!(
        closed["llm_disabled"]
            .as_str()
            .unwrap()
            .contains("approval of cityai.llm_answers expired"),
        "{closed}"
    );
    assert!(
        !closed["results"]["hits"].as_array().unwrap().is_empty(),
        "the passages remain"
    );
    assert_eq!(
        test._stub.as_ref().unwrap().requests().len(),
        0,
        "the LLM was not called"
    );

    renew(&test.store, "cityai.llm_answers").await;
    let (_, open) = api(&test, &test.reviewer_key, "GET", question, None).await;
    assert!(
        open["generated"]["answer"]["text"]
            .as_str()
            .unwrap()
            .contains("48小时"),
        "{open}"
    );
    assert!(open["llm_disabled"].is_null());
    assert_eq!(test._stub.as_ref().unwrap().requests().len(), 1);
}

#[tokio::test]
async fn expired_reception_approval_points_to_the_hotline() {
    let test = test_app(None).await;
    expire(&test.store, "cityai.reception").await;
    let request = Request::post("/api/v1/reception")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            json!({"message": "路灯坏了", "lang": "zh-CN"}).to_string(),
        ))
        .unwrap();
    let (status, _, body) = send(&test, request).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    let reply: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(reply["error"]["code"], "assistant_unavailable");
    assert!(
        reply["error"]["message"]
            .as_str()
            .unwrap()
            .contains("12345"),
        "{reply}"
    );
    assert!(test.store.reception_handoffs(10).await.unwrap().is_empty());

    for (lang, expected) in [
        ("zh-CN", "智能接待助手暂停服务"),
        ("en", "The reception assistant is unavailable"),
    ] {
        let (status, html) = page(&test, None, &format!("/reception?lang={lang}")).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(html.contains(expected), "{html}");
        assert!(html.contains("cityai.reception"), "{html}");
        assert!(
            !html.contains("reception-message"),
            "no chat form while switched off"
        );
    }

    renew(&test.store, "cityai.reception").await;
    let (status, html) = page(&test, None, "/reception").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("reception-message"));
}

#[tokio::test]
async fn monitoring_counts_routing_feedback() {
    let test = test_app(None).await;
    let start = Utc::now() - Duration::minutes(1);
    let bodies: Vec<String> = cityai_demo::requests(Utc::now())
        .into_iter()
        .map(|r| r.body)
        .take(6)
        .collect();
    let mut ids = Vec::new();
    for (i, body) in bodies.iter().enumerate() {
        let (status, receipt) = api(
            &test,
            &test.citizen_key,
            "POST",
            "/api/v1/requests",
            Some(json!({"body": format!("{body}（监测{i}）"), "external_id": format!("m{i}")})),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{receipt}");
        ids.push(receipt);
    }
    let auto_assigned = ids.iter().filter(|r| r["status"] == "assigned").count() as i64;
    // Staff confirm two suggestions and correct one.
    for receipt in &ids[..2] {
        let (status, _) = api(
            &test,
            &test.reviewer_key,
            "POST",
            &format!("/api/v1/requests/{}/routing/confirm", receipt["id"]),
            Some(json!({})),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
    }
    let categories = test.store.categories().await.unwrap();
    let other = categories
        .iter()
        .find(|c| Some(c.path.to_string().as_str()) != ids[2]["category"].as_str())
        .unwrap();
    let (status, corrected) = api(
        &test,
        &test.reviewer_key,
        "POST",
        &format!("/api/v1/requests/{}/routing/correct", ids[2]["id"]),
        Some(json!({"category": other.path.to_string()})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{corrected}");

    let end = Utc::now() + Duration::minutes(1);
    let (status, record) = api(
        &test,
        &test.office_key,
        "POST",
        "/api/v1/register/applications/cityai.routing/monitoring",
        Some(json!({"from": start.to_rfc3339(), "to": end.to_rfc3339(), "source": "measured"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{record}");
    let figures = &record["figures"];
    assert_eq!(figures["decisions"], 6, "{record}");
    assert_eq!(figures["auto_assigned"], auto_assigned);
    assert_eq!(figures["confirmed"], 2, "{record}");
    assert_eq!(figures["corrected"], 1);
    assert!((figures["accuracy"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-9);
    let overrides = i64::from(ids[2]["status"] == "assigned");
    assert_eq!(figures["overrides"], overrides, "{record}");

    // The record is part of the entry's trend, and the page shows it.
    let (_, detail) = api(
        &test,
        &test.reviewer_key,
        "GET",
        "/api/v1/register/applications/cityai.routing",
        None,
    )
    .await;
    assert_eq!(detail["monitoring"].as_array().unwrap().len(), 1);
    assert_eq!(detail["live_figures"]["confirmed"], 2);
    let (status, html) = page(
        &test,
        Some(&test.office_key),
        "/register/cityai.routing?lang=en",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("data-figure=\"accuracy\""), "{html}");
    assert!(html.contains("67%"), "{html}");
    assert!(
        !html.contains("id=\"trend-chart\""),
        "one record draws no trend"
    );

    // A second record draws the trend of the shares.
    let (status, _) = api(
        &test,
        &test.office_key,
        "POST",
        "/api/v1/register/applications/cityai.routing/monitoring",
        Some(json!({"from": (start - Duration::days(30)).to_rfc3339(), "to": start.to_rfc3339(), "source": "measured"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, html) = page(
        &test,
        Some(&test.office_key),
        "/register/cityai.routing?lang=en",
    )
    .await;
    assert!(html.contains("id=\"trend-chart\""), "{html}");
    assert!(html.contains("<title>accuracy</title>"), "{html}");
}

/// Returns the value of the `cityai_csrf` cookie a response sets.
fn csrf_cookie(headers: &axum::http::HeaderMap) -> String {
    headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("cityai_csrf="))
        .map(|v| v.split(';').next().unwrap().to_owned())
        .unwrap()
}

#[tokio::test]
async fn public_feedback_shows_after_moderation() {
    let test = test_app(None).await;
    let (status, headers, html) = send(
        &test,
        Request::get("/ai-register/cityai.reception?lang=zh-CN")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("智能接待助手"), "{html}");
    let csrf = csrf_cookie(&headers);
    let form = |token: &str| {
        serde_urlencoded::to_string([
            ("csrf_token", token),
            ("lang", "zh-CN"),
            ("body", "希望夜间也能转人工，我的电话是13812345678"),
        ])
        .unwrap()
    };

    // Without the double-submit token the form is refused.
    let request = Request::post("/ai-register/cityai.reception/feedback")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form("wrong")))
        .unwrap();
    assert_eq!(send(&test, request).await.0, StatusCode::FORBIDDEN);

    let request = Request::post("/ai-register/cityai.reception/feedback")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, format!("cityai_csrf={csrf}"))
        .body(Body::from(form(&csrf)))
        .unwrap();
    let (status, _, html) = send(&test, request).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("审核后将公开显示"), "{html}");
    assert!(
        !html.contains("希望夜间也能转人工"),
        "unmoderated feedback is not shown"
    );

    let (_, pending) = api(
        &test,
        &test.office_key,
        "GET",
        "/api/v1/register/feedback?status=pending",
        None,
    )
    .await;
    let item = &pending["items"][0];
    assert!(
        item["body"]
            .as_str()
            .unwrap()
            .contains("希望夜间也能转人工"),
        "{pending}"
    );
    assert!(
        !item["body"].as_str().unwrap().contains("13812345678"),
        "stored masked: {pending}"
    );
    let (status, _) = api(
        &test,
        &test.reviewer_key,
        "GET",
        "/api/v1/register/feedback",
        None,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "only the AI office reads unmoderated feedback"
    );

    let (status, _) = api(
        &test,
        &test.office_key,
        "POST",
        &format!("/api/v1/register/feedback/{}", item["id"]),
        Some(json!({"publish": true})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, html) = page(&test, None, "/ai-register/cityai.reception").await;
    assert!(html.contains("希望夜间也能转人工"), "{html}");
    assert!(!html.contains("13812345678"));
    let (status, twice) = api(
        &test,
        &test.office_key,
        "POST",
        &format!("/api/v1/register/feedback/{}", item["id"]),
        Some(json!({"publish": false})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{twice}");
}

#[tokio::test]
async fn exports_follow_atrs_and_algoritmeregister() {
    let test = test_app(None).await;
    let (status, headers, csv) = send(
        &test,
        Request::get("/api/v1/register/export/atrs.csv")
            .header(
                header::AUTHORIZATION,
                format!("Bearer {}", test.reviewer_key),
            )
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{csv}");
    assert!(
        headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let columns: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(columns, cityai_services::register::export::ATRS_COLUMNS);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 4);
    let routing = rows.iter().find(|r| &r[17] == "cityai.routing").unwrap();
    assert_eq!(&routing[0], "Automatic routing of requests");
    assert_eq!(&routing[8], "Production");
    assert!(!routing[16].is_empty(), "the approval's end is exported");

    let (_, dutch) = api(
        &test,
        &test.reviewer_key,
        "GET",
        "/api/v1/register/export/algoritmeregister.json",
        None,
    )
    .await;
    let algorithms = dutch["algorithms"].as_array().unwrap();
    assert_eq!(algorithms.len(), 4);
    let reception = algorithms
        .iter()
        .find(|a| a["cityai_code"] == "cityai.reception")
        .unwrap();
    assert_eq!(reception["status"], "in_use");
    assert_eq!(reception["publication_category"], "impactful_algorithm");
    assert!(
        reception["human_intervention"]
            .as_str()
            .unwrap()
            .contains("转人工")
            || !reception["human_intervention"].as_str().unwrap().is_empty()
    );

    let (_, register) = api(
        &test,
        &test.reviewer_key,
        "GET",
        "/api/v1/register/export/register.json",
        None,
    )
    .await;
    assert_eq!(register["applications"].as_array().unwrap().len(), 4);
    assert_eq!(register["applications"][0]["gate"]["open"], true);
    let (status, unknown) = api(
        &test,
        &test.reviewer_key,
        "GET",
        "/api/v1/register/export/register.xml",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        unknown["error"]["message"]
            .as_str()
            .unwrap()
            .contains("atrs.csv"),
        "{unknown}"
    );
}

#[tokio::test]
async fn public_entry_masks_personal_data() {
    let test = test_app(None).await;
    let mut entry = fields("路侧停车预测", "Parking prediction", "low");
    entry["data_description"] = json!("路侧停车传感器数据，联系人电话13912345678");
    let (status, created) = api(
        &test,
        &test.office_key,
        "POST",
        "/api/v1/register/applications",
        Some(json!({"code": "parking.predict", "fields": entry})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    // Proposals are not public; an entry under review is.
    let (status, moved) = api(
        &test,
        &test.office_key,
        "POST",
        "/api/v1/register/applications/parking.predict/stage",
        Some(json!({"stage": "under_review", "reason": "提交伦理审查"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    let (status, _, html) = send(
        &test,
        Request::get("/ai-register/parking.predict?lang=zh-CN")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("13912345678"), "{html}");
    assert!(html.contains("139****5678"), "{html}");
}
