//! The real router in process against a real SQLite store.
#![allow(clippy::unwrap_used)]

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use cityai_core::{CategoryPath, Channel, Department, Lang, NewRequest, Role, TaxonomyEntry};
use cityai_server::{AppState, router};
use cityai_store::testing::database_url_in;
use cityai_store::{ImportFile, ImportRow, NewUser, Store};
use http_body_util::BodyExt;
use tower::ServiceExt;

async fn app_with_requests() -> (tempfile::TempDir, axum::Router) {
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
    let mut rows = Vec::new();
    for i in 0..60 {
        let mut request = NewRequest::new(Channel::Web, format!("第{i}条：湖滨路路灯不亮"));
        request.external_id = Some(format!("W{i}"));
        request.title = Some(format!("路灯问题{i}"));
        if i % 2 == 0 {
            request.category = Some(CategoryPath::parse("城乡建设").unwrap());
        }
        rows.push(ImportRow {
            row: i + 2,
            request,
        });
    }
    let mut noise = NewRequest::new(Channel::Hotline, "夜市<script>噪音</script>扰民");
    noise.title = Some("夜市噪音".into());
    rows.push(ImportRow {
        row: 99,
        request: noise,
    });
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
    sign_in_reviewer(&store).await;
    let app = router(AppState::new(
        store,
        Lang::ZhCn,
        cityai_core::time::default_city_offset(),
    ));
    (dir, app)
}

/// The session cookie value and CSRF token of the reviewer every request here is made as.
const SESSION_TOKEN: &str = "test-session-token";
const CSRF_TOKEN: &str = "test-csrf-token";

/// Creates a reviewer with a session, so the tests here see the console as staff do.
/// Access rules for every role are tested in `access.rs`.
async fn sign_in_reviewer(store: &Store) {
    let user = store
        .create_user(
            &NewUser {
                username: "reviewer1",
                role: Role::Reviewer,
                department: None,
                password_hash: "$argon2id$unused",
            },
            "test",
        )
        .await
        .unwrap();
    store
        .create_session(
            &user,
            &cityai_services::auth::token_hash(SESSION_TOKEN),
            CSRF_TOKEN,
            chrono::Utc::now() + chrono::Duration::hours(1),
        )
        .await
        .unwrap();
}

async fn get(
    app: &axum::Router,
    uri: &str,
    cookie: Option<&str>,
) -> (StatusCode, axum::http::HeaderMap, String) {
    let session = format!("cityai_session={SESSION_TOKEN}");
    let cookie = match cookie {
        Some(cookie) => format!("{cookie}; {session}"),
        None => session,
    };
    let request = Request::get(uri).header(header::COOKIE, cookie);
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, headers, String::from_utf8(body.to_vec()).unwrap())
}

#[tokio::test]
async fn healthz_answers_with_request_id() {
    let (_dir, app) = app_with_requests().await;
    let (status, headers, body) = get(&app, "/healthz", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, r#"{"status":"ok"}"#);
    assert!(headers.contains_key("x-request-id"));
}

#[tokio::test]
async fn readyz_checks_the_database() {
    let (_dir, app) = app_with_requests().await;
    let (status, _, body) = get(&app, "/readyz", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn root_redirects_to_requests() {
    let (_dir, app) = app_with_requests().await;
    let (status, headers, _) = get(&app, "/", None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], "/requests");
}

#[tokio::test]
async fn request_list_is_chinese_by_default() {
    let (_dir, app) = app_with_requests().await;
    let (status, _, body) = get(&app, "/requests", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains(r#"<html lang="zh-CN">"#), "{body}");
    assert!(body.contains("诉求列表"));
    assert!(body.contains("共 61 条"), "{body}");
    assert!(body.contains("第 1 页，共 2 页"), "{body}");
    assert!(body.contains("市住房和城乡建设局"));
}

#[tokio::test]
async fn lang_query_switches_and_sets_cookie() {
    let (_dir, app) = app_with_requests().await;
    let (status, headers, body) = get(&app, "/requests?lang=en", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains(r#"<html lang="en">"#));
    assert!(body.contains("61 in all"), "{body}");
    let cookie = headers[header::SET_COOKIE].to_str().unwrap();
    assert!(cookie.starts_with("cityai_lang=en"), "{cookie}");
    assert!(cookie.contains("HttpOnly"));

    // The cookie keeps English on the next page without the query parameter.
    let (_, _, body) = get(&app, "/requests?page=2", Some("cityai_lang=en")).await;
    assert!(body.contains("Page 2 of 2"), "{body}");
}

#[tokio::test]
async fn filters_narrow_the_list() {
    let (_dir, app) = app_with_requests().await;
    let (_, _, body) = get(
        &app,
        "/requests?lang=en&category=%E5%9F%8E%E4%B9%A1%E5%BB%BA%E8%AE%BE",
        None,
    )
    .await;
    assert!(body.contains("30 in all"), "{body}");
    let (_, _, body) = get(&app, "/requests?lang=en&channel=hotline", None).await;
    assert!(body.contains("1 in all"), "{body}");
    let (_, _, body) = get(&app, "/requests?lang=en&q=%E5%A4%9C%E5%B8%82", None).await;
    assert!(body.contains("1 in all"), "{body}");
    let (_, _, body) = get(&app, "/requests?lang=en&status=assigned&size=10", None).await;
    assert!(body.contains("30 in all"), "{body}");
    assert!(body.contains("Page 1 of 3"), "{body}");
}

#[tokio::test]
async fn text_is_escaped() {
    let (_dir, app) = app_with_requests().await;
    let (_, _, body) = get(&app, "/requests?q=%E5%A4%9C%E5%B8%82", None).await;
    assert!(body.contains("夜市噪音"));
    let (_, _, api) = get(&app, "/api/v1/requests?q=%E5%A4%9C%E5%B8%82", None).await;
    assert!(
        api.contains("<script>"),
        "the API returns the stored text as it is"
    );
    assert!(!body.contains("<script>噪音"), "the console escapes it");
}

#[tokio::test]
async fn invalid_filter_is_explained() {
    let (_dir, app) = app_with_requests().await;
    let (status, _, body) = get(&app, "/requests?lang=en&status=done", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body.contains("Invalid filter value &quot;done&quot;"),
        "{body}"
    );
    assert!(body.contains("in_progress"), "{body}");

    // In Chinese the reason is Chinese too.
    let (status, _, body) = get(
        &app,
        "/requests?lang=zh-CN&from=2026-12-01&to=2026-11-01",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("结束日期不能早于开始日期"), "{body}");
    assert!(!body.contains("no earlier than"), "{body}");
}

#[tokio::test]
async fn api_lists_and_fetches_requests() {
    let (_dir, app) = app_with_requests().await;
    let (status, _, body) = get(&app, "/api/v1/requests?size=5&channel=web", None).await;
    assert_eq!(status, StatusCode::OK);
    let list: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(list["total"], 60);
    assert_eq!(list["items"].as_array().unwrap().len(), 5);
    let id = list["items"][0]["id"].as_i64().unwrap();

    let (status, _, body) = get(&app, &format!("/api/v1/requests/{id}"), None).await;
    assert_eq!(status, StatusCode::OK);
    let one: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(one["channel"], "web");

    let (status, _, body) = get(&app, "/api/v1/requests/999999", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains(r#""code":"not_found""#), "{body}");
    assert!(body.contains("未找到诉求 999999"), "{body}");

    let (status, _, body) = get(&app, "/api/v1/requests?page=0", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("invalid_parameter"), "{body}");
}

#[tokio::test]
async fn unknown_page_is_404() {
    let (_dir, app) = app_with_requests().await;
    let (status, _, body) = get(&app, "/nowhere", Some("cityai_lang=en")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("Page not found."));
}

#[tokio::test]
async fn status_counts_follow_the_filters() {
    let (_dir, app) = app_with_requests().await;
    let (_, _, body) = get(&app, "/requests?q=%E5%A4%9C%E5%B8%82", None).await;
    assert!(body.contains("共 1 条"), "{body}");
    assert!(body.contains("已接收：1"), "{body}");
    assert!(!body.contains("已分派："), "{body}");
}

#[tokio::test]
async fn repeated_parameter_is_explained() {
    let (_dir, app) = app_with_requests().await;
    let (status, _, body) = get(&app, "/requests?lang=en&status=a&status=b", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("one parameter appears twice"), "{body}");
    let (status, _, body) = get(&app, "/api/v1/requests?status=a&status=b", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains(r#""code":"invalid_query""#), "{body}");
}

#[tokio::test]
async fn api_errors_use_the_json_envelope() {
    let (_dir, app) = app_with_requests().await;
    let (status, _, body) = get(&app, "/api/v1/requests/abc", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains(r#""code":"invalid_id""#), "{body}");
    let (status, headers, body) = get(&app, "/api/v1/nope", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    assert!(body.contains(r#""code":"not_found""#), "{body}");
}

#[tokio::test]
async fn from_after_to_is_explained() {
    let (_dir, app) = app_with_requests().await;
    let (status, _, body) = get(
        &app,
        "/requests?lang=en&from=2026-02-01&to=2026-01-01",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body.contains("the end date may not be earlier than the start date"),
        "{body}"
    );
}

#[tokio::test]
async fn missing_submission_time_shows_unknown() {
    let (_dir, app) = app_with_requests().await;
    let (_, _, body) = get(&app, "/requests?lang=en&size=5", None).await;
    assert!(body.contains("Unknown"), "{body}");
}

async fn post_json(app: &axum::Router, uri: &str, body: &str) -> (StatusCode, String) {
    let response = app
        .clone()
        .oneshot(
            Request::post(uri)
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::COOKIE, format!("cityai_session={SESSION_TOKEN}"))
                .header("x-csrf-token", CSRF_TOKEN)
                .body(Body::from(body.to_owned()))
                .unwrap(),
        )
        .await
        .unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

#[tokio::test]
async fn api_corrects_and_confirms_routing() {
    let (_dir, app) = app_with_requests().await;
    // Request 2 has no category: confirming has nothing to confirm.
    let (status, body) = post_json(&app, "/api/v1/requests/2/routing/confirm", r#"{}"#).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body.contains("nothing_to_confirm"), "{body}");

    let (status, body) = post_json(
        &app,
        "/api/v1/requests/2/routing/correct",
        r#"{"category":"城乡建设"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let corrected: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(corrected["category"], "城乡建设");
    assert_eq!(corrected["department"], "housing");
    assert_eq!(corrected["status"], "assigned");

    let (status, body) = post_json(&app, "/api/v1/requests/2/routing/confirm", r#"{}"#).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn api_feedback_rejects_bad_input() {
    let (_dir, app) = app_with_requests().await;
    let cases = [
        (
            "/api/v1/requests/1/routing/correct",
            "not json",
            StatusCode::BAD_REQUEST,
            "invalid_body",
        ),
        (
            "/api/v1/requests/1/routing/correct",
            r#"{"category":"a//b"}"#,
            StatusCode::BAD_REQUEST,
            "invalid_category",
        ),
        (
            "/api/v1/requests/999/routing/correct",
            r#"{"category":"城乡建设"}"#,
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            "/api/v1/requests/x/routing/confirm",
            r#"{}"#,
            StatusCode::BAD_REQUEST,
            "invalid_id",
        ),
    ];
    for (uri, body, expected, code) in cases {
        let (status, response) = post_json(&app, uri, body).await;
        assert_eq!(status, expected, "{uri} {body}: {response}");
        assert!(response.contains(code), "{uri} {body}: {response}");
    }
}
