//! The AI framework through the real router and a real SQLite store: the lineage check on
//! links, roadmap progress counted from the register, measured-mode ROI read from seeded
//! requests, replies and routing decisions, and the exports.
#![allow(clippy::unwrap_used)]

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{Duration, Utc};
use cityai_core::{
    CategoryPath, Channel, Department, ImportedReply, Lang, NewRequest, Role, TaxonomyEntry,
};
use cityai_services::auth;
use cityai_services::framework::{Provenance, measured_roi};
use cityai_store::testing::database_url_in;
use cityai_store::{ImportFile, ImportRow, NewUser, RoutingDecision, Store};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

struct TestApp {
    _dir: tempfile::TempDir,
    store: Store,
    app: axum::Router,
    office_key: String,
    auditor_key: String,
}

async fn test_app() -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&database_url_in(dir.path())).await.unwrap();
    store
        .import_taxonomy(
            &[Department {
                code: "housing".into(),
                name: "市住房和城乡建设局".into(),
            }],
            &[TaxonomyEntry {
                path: CategoryPath::parse("城乡建设").unwrap(),
                department: Some("housing".into()),
            }],
        )
        .await
        .unwrap();
    let mut keys = Vec::new();
    for role in [Role::AiOffice, Role::Auditor] {
        store
            .create_user(
                &NewUser {
                    username: role.as_str(),
                    role,
                    department: None,
                    password_hash: "$argon2id$not-used-here",
                },
                "test",
            )
            .await
            .unwrap();
        let key = auth::create_api_key(&store, role.as_str(), "test", "test")
            .await
            .unwrap();
        keys.push(key.key);
    }
    let app = cityai_server::router(cityai_server::AppState::new(
        store.clone(),
        Lang::En,
        cityai_core::time::default_city_offset(),
    ));
    TestApp {
        _dir: dir,
        store,
        app,
        auditor_key: keys.pop().unwrap(),
        office_key: keys.pop().unwrap(),
    }
}

async fn call(
    app: &axum::Router,
    key: &str,
    method: &str,
    uri: &str,
    body: Value,
) -> (StatusCode, Value) {
    let mut builder = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {key}"));
    let body = if method == "POST" {
        builder = builder.header(header::CONTENT_TYPE, "application/json");
        Body::from(body.to_string())
    } else {
        Body::empty()
    };
    let response = app
        .clone()
        .oneshot(builder.body(body).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// Stores an isolated environment approved for important data, a cloud one for general
/// data, one compute node in each, and an important dataset; returns the dataset id.
async fn inventory(test: &TestApp) -> i64 {
    let key = &test.office_key;
    for (code, isolated, approved) in [
        ("gov-private", true, "important"),
        ("public-cloud", false, "general"),
    ] {
        let (status, body) = call(
            &test.app,
            key,
            "POST",
            "/api/v1/framework/environments",
            json!({
                "code": code, "name_zh": code, "name_en": code,
                "internet_isolated": isolated, "approved_classification": approved
            }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let (status, body) = call(&test.app, key, "POST", "/api/v1/framework/datasets", json!({
        "code": "work-orders", "name_zh": "12345 工单", "name_en": "Hotline work orders",
        "owner": "市政务服务数据管理局", "source": "12345 hotline", "classification": "important",
        "personal_information": true, "legal_basis": "《个人信息保护法》第十三条第三项",
        "licence": "internal", "size_gb": 12.5, "update_frequency": "daily"
    })).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_i64().unwrap()
}

#[tokio::test]
async fn lineage_link_to_unapproved_environment_rejected() {
    let test = test_app().await;
    let dataset = inventory(&test).await;
    let key = &test.office_key;
    let model = |code: &str, environment: &str| {
        json!({
            "code": code, "name_zh": code, "name_en": code, "base_model": "Qwen2.5-7B",
            "version": "1", "ip_owner": "市大数据中心", "ip_owner_kind": "public_sector",
            "trained_on_public_data": true, "environment_code": environment,
            "evaluation": {"accuracy": 0.9}, "dataset_ids": [dataset]
        })
    };
    let (status, private) = call(
        &test.app,
        key,
        "POST",
        "/api/v1/framework/models",
        model("router", "gov-private"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{private}");
    let (status, cloud) = call(
        &test.app,
        key,
        "POST",
        "/api/v1/framework/models",
        model("chat", "public-cloud"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{cloud}");
    let application = test
        .store
        .register_application_minimal(
            "transport.signal-timing",
            "信号灯配时优化",
            "Signal timing",
            "urban_governance",
            "pilot",
            "test",
        )
        .await
        .unwrap();

    let uri = format!("/api/v1/framework/applications/{application}/models");
    let (status, body) = call(
        &test.app,
        key,
        "POST",
        &uri,
        json!({"model_id": private["id"]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The cloud model was trained on important data; its environment allows general only.
    let (status, body) = call(
        &test.app,
        key,
        "POST",
        &uri,
        json!({"model_id": cloud["id"]}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "lineage_violation");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("work-orders"),
        "{body}"
    );

    let (status, lineage) = call(
        &test.app,
        &test.auditor_key,
        "GET",
        "/api/v1/framework/lineage",
        Value::Null,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(lineage["violations"], json!([]));
    let linked = lineage["graph"]["applications"]
        .as_array()
        .unwrap()
        .iter()
        .find(|entry| entry["id"] == json!(application))
        .unwrap();
    assert_eq!(linked["model_ids"], json!([private["id"]]));

    // Auditors read but may not write.
    let (status, _) = call(
        &test.app,
        &test.auditor_key,
        "POST",
        &uri,
        json!({"model_id": private["id"]}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn invalid_inventory_input_names_field() {
    let test = test_app().await;
    inventory(&test).await;
    let key = &test.office_key;
    let (status, body) = call(
        &test.app,
        key,
        "POST",
        "/api/v1/framework/datasets",
        json!({
            "code": "residents", "name_zh": "人口", "name_en": "Residents", "owner": "公安局",
            "source": "census", "classification": "core", "personal_information": true,
            "size_gb": 1.0, "update_frequency": "monthly"
        }),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("legal_basis"),
        "{body}"
    );
    let (status, body) = call(&test.app, key, "POST", "/api/v1/framework/compute", json!({
        "code": "dc-1", "site": "政务云机房", "accelerator": "Ascend 910B", "accelerator_count": 8,
        "capacity_pflops": 2.5, "utilisation": 0.4, "internet_isolated": true,
        "environment_code": "nowhere"
    })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["code"], "unknown_reference");
    let (status, body) = call(
        &test.app,
        key,
        "POST",
        "/api/v1/framework/environments",
        json!({
            "code": "gov-private", "name_zh": "x", "name_en": "x",
            "internet_isolated": true, "approved_classification": "core"
        }),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
}

#[tokio::test]
async fn roadmap_counts_pilots_from_register() {
    let test = test_app().await;
    let key = &test.office_key;
    // CityAI's own AI features are registered in use when the store opens.
    let registered: i64 = test
        .store
        .application_counts()
        .await
        .unwrap()
        .iter()
        .filter(|(_, stage, _)| stage == "pilot" || stage == "in_use")
        .map(|(_, _, n)| n)
        .sum();
    for (code, stage) in [("a", "pilot"), ("b", "in_use"), ("c", "proposed")] {
        test.store
            .register_application_minimal(code, code, code, "public_service", stage, "test")
            .await
            .unwrap();
    }
    let (status, body) = call(
        &test.app,
        key,
        "POST",
        "/api/v1/framework/milestones",
        json!({
            "phase": "technology", "title_zh": "四个试点", "title_en": "Four pilots",
            "owner": "AI office", "due_on": "2030-06-30", "measure": "pilots",
            "target": registered + 4, "status": "in_progress"
        }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, manual) = call(&test.app, key, "POST", "/api/v1/framework/milestones", json!({
        "phase": "strategy", "title_zh": "发布规划", "title_en": "Publish the plan",
        "owner": "市政府办公厅", "due_on": "2020-01-31", "measure": "manual", "manual_progress": 0.5
    })).await;
    assert_eq!(status, StatusCode::CREATED, "{manual}");

    let (status, roadmap) = call(
        &test.app,
        key,
        "GET",
        "/api/v1/framework/roadmap",
        Value::Null,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let phases = roadmap["phases"].as_array().unwrap();
    assert_eq!(phases.len(), 4);
    let technology = &phases[1]["milestones"][0];
    // Two of the three new entries reached the pilot stage or went into use.
    let pilots = (registered + 2) as f64 / (registered + 4) as f64;
    assert_eq!(technology["counted"], registered + 2);
    assert_eq!(technology["progress"], pilots);
    let strategy = &phases[0]["milestones"][0];
    assert_eq!(strategy["progress"], 0.5);
    assert_eq!(strategy["overdue"], true);
    assert_eq!(roadmap["progress"], (pilots + 0.5) / 2.0);

    let uri = format!("/api/v1/framework/milestones/{}", manual["id"]);
    let (status, body) = call(&test.app, key, "POST", &uri, json!({"status": "done"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, roadmap) = call(
        &test.app,
        key,
        "GET",
        "/api/v1/framework/roadmap",
        Value::Null,
    )
    .await;
    assert_eq!(roadmap["progress"], (pilots + 1.0) / 2.0);
    let (status, _) = call(
        &test.app,
        key,
        "POST",
        "/api/v1/framework/milestones/999",
        json!({"status": "done"}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// Imports `n` replied requests submitted `days_ago`, each answered after `minutes`, and
/// routes them, automatically or to triage.
async fn seed_replied(
    store: &Store,
    first: usize,
    n: usize,
    days_ago: i64,
    minutes: i64,
    auto: bool,
) {
    let now = Utc::now();
    let rows: Vec<ImportRow> = (first..first + n)
        .map(|i| {
            let submitted = now - Duration::days(days_ago) + Duration::minutes(i as i64);
            let mut request = NewRequest::new(Channel::Web, format!("第{i}号诉求：小区路灯不亮"));
            request.external_id = Some(format!("R{i}"));
            request.submitted_at = Some(submitted);
            request.reply = Some(ImportedReply {
                body: "已修复。".into(),
                replied_at: Some(submitted + Duration::minutes(minutes)),
            });
            ImportRow {
                row: i + 2,
                request,
            }
        })
        .collect();
    let file = ImportFile {
        file_name: format!("batch-{first}.csv"),
        file_sha256: format!("{first}"),
        format: "csv".into(),
        encoding: "UTF-8".into(),
        source: "test".into(),
        rows_total: rows.len(),
        rows_rejected: 0,
    };
    let result = store
        .import_requests(&file, &rows, false, &mut |_| {})
        .await
        .unwrap();
    let ids = store.request_ids_of_import(result.batch_id).await.unwrap();
    let decisions: Vec<RoutingDecision> = ids
        .into_iter()
        .map(|request_id| RoutingDecision {
            request_id,
            model_version: "test-1".into(),
            category: CategoryPath::parse("城乡建设").unwrap(),
            confidence: if auto { 0.95 } else { 0.4 },
            auto_assign: auto,
            details_json: "{}".into(),
        })
        .collect();
    store.record_routing(&decisions).await.unwrap();
}

#[tokio::test]
async fn measured_mode_reads_seeded_store() {
    let test = test_app().await;
    // 25 automatically assigned requests answered after 30 minutes, 25 triaged ones after
    // 2 hours, and 5 old ones outside the 365-day window.
    seed_replied(&test.store, 0, 25, 10, 30, true).await;
    seed_replied(&test.store, 100, 25, 20, 120, false).await;
    seed_replied(&test.store, 200, 5, 400, 600, false).await;

    let defaults = cityai_services::framework::DEFAULT_ASSUMPTIONS;
    let measured = measured_roi(&test.store, &defaults, Utc::now(), 365)
        .await
        .unwrap();
    let source = |field: &str| {
        measured
            .sources
            .iter()
            .find(|s| s.field == field)
            .unwrap()
            .clone()
    };
    assert_eq!(source("yearly_volume").provenance, Provenance::Measured);
    assert_eq!(source("yearly_volume").sample, Some(50));
    assert!((measured.inputs.yearly_volume - 50.0).abs() < 1e-9);
    // The routing decisions were all made now, so the old batch's count among them too.
    assert_eq!(source("automated_share").sample, Some(55));
    assert!((measured.inputs.automated_share - 25.0 / 55.0).abs() < 1e-9);
    assert_eq!(source("minutes_before").provenance, Provenance::Measured);
    assert_eq!(source("minutes_before").sample, Some(25));
    assert!((measured.inputs.minutes_before - 120.0).abs() < 1e-9);
    assert!((measured.inputs.minutes_after - 30.0).abs() < 1e-9);
    assert_eq!(
        source("staff_cost_per_hour").provenance,
        Provenance::Assumed
    );
    assert_eq!(
        measured.inputs.staff_cost_per_hour,
        defaults.staff_cost_per_hour
    );

    // A 15-day window holds only the automatic batch: too few triaged replies to measure.
    let short = measured_roi(&test.store, &defaults, Utc::now(), 15)
        .await
        .unwrap();
    let before = short
        .sources
        .iter()
        .find(|s| s.field == "minutes_before")
        .unwrap();
    assert_eq!(before.provenance, Provenance::Assumed);
    assert_eq!(before.sample, Some(0));
    assert_eq!(short.inputs.minutes_before, defaults.minutes_before);
    // Elapsed minutes are not set against assumed ones: the after side stays assumed too.
    let after = short
        .sources
        .iter()
        .find(|s| s.field == "minutes_after")
        .unwrap();
    assert_eq!(after.provenance, Provenance::Assumed);
    assert_eq!(after.sample, Some(25));
    assert_eq!(short.inputs.minutes_after, defaults.minutes_after);

    let (status, body) = call(
        &test.app,
        &test.auditor_key,
        "GET",
        "/api/v1/framework/roi/measured?days=365",
        Value::Null,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["inputs"]["minutes_after"], 30.0);
    let (status, body) = call(
        &test.app,
        &test.auditor_key,
        "GET",
        "/api/v1/framework/roi/measured?days=0",
        Value::Null,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}

#[tokio::test]
async fn roi_endpoint_matches_hand_figures() {
    let test = test_app().await;
    let inputs = json!({
        "yearly_volume": 100000, "minutes_before": 12, "minutes_after": 4,
        "automated_share": 0.6, "staff_cost_per_hour": 80, "compute_cost": 200000,
        "licence_cost": 100000, "maintenance_cost": 60000, "initial_cost": 500000,
        "adoption_rate": 0.8
    });
    let (status, body) = call(
        &test.app,
        &test.auditor_key,
        "POST",
        "/api/v1/framework/roi",
        inputs.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["estimate"]["expected"]["hours_reclaimed"], 6400.0);
    assert_eq!(body["estimate"]["expected"]["savings"], 512000.0);
    let mut bad = inputs.clone();
    bad["adoption_rate"] = json!(2);
    let (status, body) = call(
        &test.app,
        &test.auditor_key,
        "POST",
        "/api/v1/framework/roi",
        bad,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("adoption_rate"),
        "{body}"
    );
    let (status, body) = call(
        &test.app,
        &test.office_key,
        "POST",
        "/api/v1/framework/roi/scenarios",
        json!({"name": "热线", "inputs": inputs}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, list) = call(
        &test.app,
        &test.auditor_key,
        "GET",
        "/api/v1/framework/roi/scenarios",
        Value::Null,
    )
    .await;
    assert_eq!(
        list["items"][0]["estimate"]["expected"]["yearly_net"],
        152000.0
    );
}

#[tokio::test]
async fn exports_csv_and_xlsx() {
    let test = test_app().await;
    inventory(&test).await;
    for (uri, kind) in [
        ("/framework/export/datasets.csv", "text/csv"),
        ("/framework/export/milestones.xlsx", "spreadsheetml"),
    ] {
        let response = test
            .app
            .clone()
            .oneshot(
                Request::get(uri)
                    .header(
                        header::AUTHORIZATION,
                        format!("Bearer {}", test.auditor_key),
                    )
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{uri}");
        let content_type = response.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(content_type.contains(kind), "{content_type}");
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        if kind == "text/csv" {
            let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
            assert!(text.starts_with("code,name_zh"), "{text}");
            assert!(text.contains("work-orders,12345 工单"), "{text}");
        } else {
            assert_eq!(&bytes[..2], b"PK");
        }
    }
    let response = test
        .app
        .clone()
        .oneshot(
            Request::get("/framework/export/secrets.csv")
                .header(
                    header::AUTHORIZATION,
                    format!("Bearer {}", test.auditor_key),
                )
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn dashboard_shows_training_coverage() {
    let test = test_app().await;
    let request = Request::builder()
        .uri("/dashboard?lang=en")
        .header(
            header::AUTHORIZATION,
            format!("Bearer {}", test.auditor_key),
        )
        .body(Body::empty())
        .unwrap();
    let response = test.app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let page = String::from_utf8(bytes.to_vec()).unwrap();
    assert!(page.contains(r#"id="coverage-heading""#), "{page}");
    assert!(page.contains("Training coverage by department"), "{page}");
}
