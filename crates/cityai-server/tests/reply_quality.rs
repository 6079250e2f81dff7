//! The reply quality check through the real router and a real SQLite store: the JSON API
//! and the section of the request page.
#![allow(clippy::unwrap_used)]

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use cityai_core::{
    CategoryPath, Channel, Department, ImportedReply, Lang, NewRequest, Role, TaxonomyEntry,
};
use cityai_server::{AppState, router};
use cityai_store::testing::database_url_in;
use cityai_store::{ImportFile, ImportRow, NewUser, Store};
use http_body_util::BodyExt;
use tower::ServiceExt;

const CSRF: &str = "csrf-for-quality-tests";

const BODY: &str = "幸福小区3栋门前的路灯坏了一个多月，晚上出行很不安全。希望尽快修复路灯。\
                    另外能否在小区路口加装监控？";

const GOOD_REPLY: &str = "网友您好！您的留言已收悉，现回复如下：经市城管局工作人员现场核查，\
    幸福小区3栋门前的路灯因线路老化损坏，维修班组已于12月3日更换电缆并修复路灯。\
    关于在小区路口加装监控，根据《城市道路照明设施管理规定》第十二条，小区内部监控由物业服务企业负责，\
    社区已督促物业在本月底前完成安装。感谢您对我们工作的支持！2019年12月5日";

struct TestApp {
    _dir: tempfile::TempDir,
    store: Store,
    app: axum::Router,
}

/// Request 1 (housing) has no reply yet; request 2 (transport) came with an imported reply.
async fn test_app() -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&database_url_in(dir.path())).await.unwrap();
    store
        .import_taxonomy(
            &[
                Department {
                    code: "housing".into(),
                    name: "市住房和城乡建设局".into(),
                },
                Department {
                    code: "transport".into(),
                    name: "市交通运输局".into(),
                },
            ],
            &[
                TaxonomyEntry {
                    path: CategoryPath::parse("城乡建设").unwrap(),
                    department: Some("housing".into()),
                },
                TaxonomyEntry {
                    path: CategoryPath::parse("交通运输").unwrap(),
                    department: Some("transport".into()),
                },
            ],
        )
        .await
        .unwrap();
    let submitted = chrono::DateTime::parse_from_rfc3339("2019-12-02T10:00:00+08:00")
        .unwrap()
        .to_utc();

    let mut lamp = NewRequest::new(Channel::Web, BODY);
    lamp.external_id = Some("Q1".into());
    lamp.title = Some("投诉幸福小区路灯损坏".into());
    lamp.submitted_at = Some(submitted);
    lamp.category = Some(CategoryPath::parse("城乡建设").unwrap());

    let mut bus = NewRequest::new(Channel::Web, "希望增开到火车站的公交线路？");
    bus.external_id = Some("Q2".into());
    bus.title = Some("建议增开公交线路".into());
    bus.submitted_at = Some(submitted);
    bus.category = Some(CategoryPath::parse("交通运输").unwrap());
    bus.reply = Some(ImportedReply {
        body: "您的留言已收悉，已转相关部门调查处理。".into(),
        replied_at: Some(submitted + chrono::Duration::days(3)),
    });

    let rows: Vec<ImportRow> = [lamp, bus]
        .into_iter()
        .enumerate()
        .map(|(i, request)| ImportRow {
            row: i + 2,
            request,
        })
        .collect();
    let file = ImportFile {
        file_name: "t.csv".into(),
        file_sha256: String::new(),
        format: "csv".into(),
        encoding: "UTF-8".into(),
        source: "test".into(),
        rows_total: rows.len(),
        rows_rejected: 0,
    };
    store
        .import_requests(&file, &rows, false, &mut |_| {})
        .await
        .unwrap();

    for role in [Role::Handler, Role::Reviewer, Role::Operator] {
        let user = store
            .create_user(
                &NewUser {
                    username: role.as_str(),
                    role,
                    department: (role == Role::Handler).then_some("housing"),
                    password_hash: "$argon2id$not-used-here",
                },
                "test",
            )
            .await
            .unwrap();
        store
            .create_session(
                &user,
                &cityai_services::auth::token_hash(&session_token(role)),
                CSRF,
                chrono::Utc::now() + chrono::Duration::hours(1),
            )
            .await
            .unwrap();
    }
    let app = router(AppState::new(
        store.clone(),
        Lang::ZhCn,
        cityai_core::time::default_city_offset(),
    ));
    TestApp {
        _dir: dir,
        store,
        app,
    }
}

fn session_token(role: Role) -> String {
    format!("quality-session-of-{role}")
}

async fn send(app: &axum::Router, request: Request<Body>) -> (StatusCode, String) {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

async fn post_quality(app: &axum::Router, role: Role, body: &str) -> (StatusCode, String) {
    let request = Request::post("/api/v1/replies/quality")
        .header(header::CONTENT_TYPE, "application/json")
        .header(
            header::COOKIE,
            format!("cityai_session={}", session_token(role)),
        )
        .header("x-csrf-token", CSRF)
        .body(Body::from(body.to_owned()))
        .unwrap();
    send(app, request).await
}

async fn get_page(app: &axum::Router, role: Role, uri: &str) -> (StatusCode, String) {
    let request = Request::get(uri)
        .header(
            header::COOKIE,
            format!("cityai_session={}", session_token(role)),
        )
        .body(Body::empty())
        .unwrap();
    send(app, request).await
}

fn quality_body(request_id: i64, reply: &str, extra: &str) -> String {
    let reply = serde_json::to_string(reply).unwrap();
    format!(r#"{{"request_id":{request_id},"reply":{reply}{extra}}}"#)
}

#[tokio::test]
async fn api_scores_a_good_reply() {
    let test = test_app().await;
    let body = quality_body(
        1,
        GOOD_REPLY,
        r#","replied_at":"2019-12-05T16:00:00+08:00","lang":"en""#,
    );
    let (status, text) = post_quality(&test.app, Role::Reviewer, &body).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["request_id"], 1);
    assert_eq!(json["lang"], "en");
    let quality = &json["quality"];
    assert_eq!(quality["verdict"], "good", "{quality}");
    assert!(quality["overall"].as_f64().unwrap() > 0.9, "{quality}");

    let dimensions = quality["dimensions"].as_array().unwrap();
    let names: Vec<&str> = dimensions
        .iter()
        .map(|d| d["dimension"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "relevance",
            "completeness",
            "basis",
            "timeliness",
            "readability"
        ]
    );
    let timeliness = &dimensions[3];
    assert_eq!(timeliness["label"], "Timeliness");
    assert_eq!(timeliness["score"], 1.0);
    assert_eq!(timeliness["poor"], false);
    assert_eq!(
        timeliness["reason"],
        "Replied after 3 working days, within the 15-working-day limit."
    );
    assert_eq!(
        timeliness["reasons"][0]["key"],
        "reply_quality.timeliness.within"
    );
    assert_eq!(timeliness["reasons"][0]["params"]["days"], "3");
    assert_eq!(
        dimensions[2]["reason"],
        "It cites 《城市道路照明设施管理规定》."
    );
}

#[tokio::test]
async fn api_marks_a_forwarding_note_poor_in_chinese() {
    let test = test_app().await;
    let body = quality_body(1, "您的留言已收悉，已转相关部门调查处理。", "");
    let (status, text) = post_quality(&test.app, Role::Handler, &body).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    // The server's default language is Chinese.
    assert_eq!(json["lang"], "zh-CN");
    assert_eq!(json["quality"]["verdict"], "poor");
    let reason = json["quality"]["verdict_reason"].as_str().unwrap();
    assert!(reason.starts_with("不合格：完整性"), "{reason}");
    let completeness = &json["quality"]["dimensions"][1];
    assert_eq!(completeness["score"], 0.0);
    assert_eq!(completeness["poor"], true);
}

#[tokio::test]
async fn api_hides_other_departments_requests() {
    let test = test_app().await;
    // The handler works for housing; request 2 belongs to transport.
    let body = quality_body(2, GOOD_REPLY, "");
    let (status, text) = post_quality(&test.app, Role::Handler, &body).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{text}");
    let (status, _) = post_quality(&test.app, Role::Reviewer, &body).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn api_denies_operators() {
    let test = test_app().await;
    let (status, _) =
        post_quality(&test.app, Role::Operator, &quality_body(1, GOOD_REPLY, "")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn api_rejects_bad_input_with_the_fix() {
    let test = test_app().await;
    let cases = [
        (r#"{"reply":"好"}"#.to_owned(), "invalid_body"),
        (quality_body(1, "   ", ""), "invalid_reply"),
        (
            quality_body(1, GOOD_REPLY, r#","lang":"fr""#),
            "invalid_lang",
        ),
        (
            quality_body(1, GOOD_REPLY, r#","replied_at":"yesterday""#),
            "invalid_replied_at",
        ),
        (quality_body(1, &"长".repeat(50_001), ""), "invalid_reply"),
    ];
    for (body, code) in cases {
        let (status, text) = post_quality(&test.app, Role::Reviewer, &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{code}: {text}");
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(json["error"]["code"], code, "{text}");
        assert!(!json["error"]["message"].as_str().unwrap().is_empty());
    }
    let (status, _) =
        post_quality(&test.app, Role::Reviewer, &quality_body(99, GOOD_REPLY, "")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Errors follow the language named in the body, and the server's default without it.
    for (lang, expected) in [
        ("", "答复为空：请在 \"reply\" 中发送答复内容"),
        (
            r#","lang":"en""#,
            "the reply is empty; send the reply text in \"reply\"",
        ),
    ] {
        let (_, text) = post_quality(&test.app, Role::Reviewer, &quality_body(1, "  ", lang)).await;
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(json["error"]["message"], expected, "{text}");
    }
}

#[tokio::test]
async fn page_checks_the_imported_reply() {
    let test = test_app().await;
    let (status, page) = get_page(&test.app, Role::Reviewer, "/requests/2?lang=en").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Reply quality check"), "{page}");
    assert!(page.contains("Checked: the published reply."));
    assert!(page.contains("badge quality poor"));
    assert!(page.contains("Completeness"));
    assert!(page.contains("Replied after 3 working days"));
}

#[tokio::test]
async fn page_checks_the_open_draft() {
    let test = test_app().await;
    // No draft and no reply yet: no check to show.
    let (_, page) = get_page(&test.app, Role::Reviewer, "/requests/1?lang=en").await;
    assert!(!page.contains("Reply quality check"));

    cityai_services::replies::draft_reply(
        &test.store,
        None,
        None,
        1,
        "reviewer",
        cityai_core::time::default_city_offset(),
    )
    .await
    .unwrap();
    let (status, page) = get_page(&test.app, Role::Reviewer, "/requests/1").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("答复质量检查"), "{page}");
    assert!(page.contains("检查对象：当前草稿"));
    // The template draft still has fill-in fields.
    assert!(page.contains("答复中还有待填写的内容。"));
}
