//! Access control through the real router and a real SQLite store: the role matrix route
//! by route, department scoping for handlers, signing in and out, CSRF checks, login rate
//! limiting and API keys.
#![allow(clippy::unwrap_used)]

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use cityai_core::{CategoryPath, Channel, Department, Lang, NewRequest, Role, TaxonomyEntry};
use cityai_server::policy::{ROUTES, Verb};
use cityai_server::{AppState, router};
use cityai_services::auth;
use cityai_store::testing::database_url_in;
use cityai_store::{ImportFile, ImportRow, NewUser, Store};
use http_body_util::BodyExt;
use tower::ServiceExt;

const CSRF: &str = "csrf-for-tests";

struct TestApp {
    _dir: tempfile::TempDir,
    store: Store,
    app: axum::Router,
}

/// Two departments with one request each: request 1 belongs to housing, request 2 to
/// transport.
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
    let rows: Vec<ImportRow> = [
        ("城乡建设", "小区路灯坏了，我叫张建国，电话13912345678"),
        ("交通运输", "公交站牌缺失"),
    ]
    .iter()
    .enumerate()
    .map(|(i, (category, body))| {
        let mut request = NewRequest::new(Channel::Web, *body);
        request.external_id = Some(format!("A{i}"));
        request.category = Some(CategoryPath::parse(category).unwrap());
        ImportRow {
            row: i + 2,
            request,
        }
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
    for role in Role::ALL {
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
                &auth::token_hash(&session_token(role)),
                CSRF,
                chrono::Utc::now() + chrono::Duration::hours(1),
            )
            .await
            .unwrap();
    }
    let app = router(AppState::new(
        store.clone(),
        Lang::En,
        cityai_core::time::default_city_offset(),
    ));
    TestApp {
        _dir: dir,
        store,
        app,
    }
}

fn session_token(role: Role) -> String {
    format!("session-of-{role}")
}

struct Reply {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

async fn send(app: &axum::Router, request: Request<Body>) -> Reply {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    Reply {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

/// Builds a request as `role` (or a visitor for `None`) with a valid CSRF token.
fn request_as(role: Option<Role>, method: &str, uri: &str, body: &str) -> Request<Body> {
    let mut builder = Request::builder().method(method).uri(uri);
    if let Some(role) = role {
        builder = builder
            .header(
                header::COOKIE,
                format!("cityai_session={}", session_token(role)),
            )
            .header("x-csrf-token", CSRF);
    }
    if method == "POST" {
        builder = builder.header(header::CONTENT_TYPE, "application/json");
    }
    builder.body(Body::from(body.to_owned())).unwrap()
}

/// The expected matrix, written out by hand rather than read from the policy, so that a
/// change to the policy must be made in both places. Each entry lists the roles admitted:
/// c citizen, o operator, h handler, r reviewer, a admin, u auditor, g AI office; `*` everyone
/// signed in; `public` everyone.
const MATRIX: &[(&str, &str, &str)] = &[
    ("GET", "/", "public"),
    ("GET", "/login", "public"),
    ("POST", "/login", "public"),
    ("POST", "/logout", "*"),
    ("GET", "/healthz", "public"),
    ("GET", "/metrics", "public"),
    ("GET", "/readyz", "public"),
    ("GET", "/static/console.css", "public"),
    ("GET", "/static/console.js", "public"),
    ("GET", "/dashboard", "ohrau"),
    ("GET", "/requests", "ohrau"),
    ("GET", "/requests/{id}", "ohrau"),
    ("POST", "/requests/{id}/reply/draft", "hr"),
    ("POST", "/requests/{id}/reply", "hr"),
    ("GET", "/triage", "ohr"),
    ("POST", "/triage/{id}", "ohr"),
    ("GET", "/knowledge?q=%E8%B7%AF%E7%81%AF", "ohrau"),
    ("GET", "/audit", "au"),
    ("GET", "/hotspots", "ohrau"),
    ("GET", "/api/v1/hotspots", "ohrau"),
    ("GET", "/api/v1/me", "*"),
    (
        "GET",
        "/api/v1/knowledge/search?q=%E8%B7%AF%E7%81%AF",
        "public",
    ),
    ("GET", "/api/v1/requests", "ohrau"),
    ("POST", "/api/v1/requests", "co"),
    ("GET", "/api/v1/requests/{id}/timeline", "ohrau"),
    ("GET", "/api/v1/requests/{id}/routing", "ohrau"),
    ("GET", "/api/v1/requests/{id}/reply", "ohrau"),
    ("POST", "/api/v1/requests/{id}/reply", "hr"),
    ("POST", "/api/v1/requests/{id}/reply/draft", "hr"),
    ("GET", "/api/v1/triage/next", "ohr"),
    ("GET", "/api/v1/dashboard", "ohrau"),
    ("GET", "/api/v1/openapi.json", "public"),
    ("GET", "/api/v1/status/{token}", "public"),
    ("GET", "/reception", "public"),
    ("POST", "/reception", "public"),
    ("POST", "/api/v1/reception", "public"),
    ("GET", "/api/v1/reception/handoffs", "oa"),
    ("GET", "/api/v1/requests/{id}", "ohrau"),
    ("GET", "/api/v1/requests/{id}/duplicates", "ohrau"),
    ("GET", "/api/v1/requests/{id}/similar-replies", "ohrau"),
    ("GET", "/api/v1/requests/{id}/unmasked?purpose=check", "oh"),
    ("POST", "/api/v1/requests/{id}/routing/confirm", "ohr"),
    ("POST", "/api/v1/requests/{id}/routing/correct", "ohr"),
    ("POST", "/api/v1/replies/quality", "hr"),
    ("GET", "/api/v1/audit", "au"),
    ("GET", "/api/v1/audit/verify", "au"),
    ("GET", "/register", "raug"),
    ("GET", "/register/{code}", "raug"),
    ("POST", "/register/{code}/stage", "g"),
    ("POST", "/register/{code}/monitoring", "g"),
    ("POST", "/register/feedback/{id}", "g"),
    ("GET", "/ai-register", "public"),
    ("GET", "/ai-register/{code}", "public"),
    ("POST", "/ai-register/{code}/feedback", "public"),
    ("GET", "/api/v1/register/applications", "raug"),
    ("POST", "/api/v1/register/applications", "g"),
    ("GET", "/api/v1/register/applications/{code}", "raug"),
    ("POST", "/api/v1/register/applications/{code}", "g"),
    ("POST", "/api/v1/register/applications/{code}/stage", "g"),
    ("POST", "/api/v1/register/applications/{code}/scores", "g"),
    ("POST", "/api/v1/register/applications/{code}/reviews", "g"),
    ("POST", "/api/v1/register/applications/{code}/funds", "g"),
    (
        "POST",
        "/api/v1/register/applications/{code}/monitoring",
        "g",
    ),
    (
        "POST",
        "/api/v1/register/applications/{code}/participants",
        "g",
    ),
    ("POST", "/api/v1/register/reviews/{id}/decision", "g"),
    ("GET", "/api/v1/register/reviews/due", "raug"),
    ("GET", "/api/v1/register/ranking", "raug"),
    ("GET", "/api/v1/register/lists/{year}", "raug"),
    ("POST", "/api/v1/register/lists/{year}", "g"),
    ("GET", "/api/v1/register/committee", "raug"),
    ("POST", "/api/v1/register/committee", "g"),
    ("POST", "/api/v1/register/committee/{id}/conflicts", "g"),
    ("GET", "/api/v1/register/organisations", "raug"),
    ("POST", "/api/v1/register/organisations", "g"),
    ("GET", "/api/v1/register/criteria", "raug"),
    ("POST", "/api/v1/register/criteria", "g"),
    ("POST", "/api/v1/register/categories", "g"),
    ("GET", "/api/v1/register/feedback", "g"),
    ("POST", "/api/v1/register/feedback/{id}", "g"),
    ("GET", "/api/v1/register/export/{format}", "raug"),
    ("GET", "/open311/v2/{file}", "public"),
    ("POST", "/open311/v2/{file}", "public"),
    ("GET", "/open311/v2/services/{file}", "public"),
    ("GET", "/open311/v2/requests/{file}", "public"),
    ("GET", "/open311/v2/tokens/{file}", "public"),
    ("GET", "/framework", "ohraug"),
    ("GET", "/framework/inventory", "raug"),
    ("GET", "/framework/education", "hraug"),
    ("GET", "/framework/roi", "raug"),
    ("GET", "/framework/roadmap", "raug"),
    ("GET", "/framework/metrics", "raug"),
    ("GET", "/framework/export/{file}", "raug"),
    ("GET", "/api/v1/framework/inventory", "raug"),
    ("GET", "/api/v1/framework/lineage", "raug"),
    ("POST", "/api/v1/framework/environments", "g"),
    ("POST", "/api/v1/framework/compute", "g"),
    ("POST", "/api/v1/framework/datasets", "g"),
    ("POST", "/api/v1/framework/models", "g"),
    ("POST", "/api/v1/framework/models/{id}/datasets", "g"),
    ("POST", "/api/v1/framework/applications/{id}/models", "g"),
    ("GET", "/api/v1/framework/education", "hraug"),
    ("POST", "/api/v1/framework/programmes", "g"),
    ("POST", "/api/v1/framework/courses", "g"),
    ("POST", "/api/v1/framework/sessions", "g"),
    ("POST", "/api/v1/framework/enrolments", "g"),
    ("POST", "/api/v1/framework/staff", "g"),
    ("POST", "/api/v1/framework/roi", "raug"),
    ("GET", "/api/v1/framework/roi/measured", "raug"),
    ("GET", "/api/v1/framework/roi/scenarios", "raug"),
    ("POST", "/api/v1/framework/roi/scenarios", "g"),
    ("GET", "/api/v1/framework/roadmap", "raug"),
    ("POST", "/api/v1/framework/milestones", "g"),
    ("POST", "/api/v1/framework/milestones/{id}", "g"),
    ("GET", "/api/v1/framework/metrics", "raug"),
    ("GET", "/api/{*rest}", "public"),
];

fn letter(role: Role) -> char {
    match role {
        Role::Citizen => 'c',
        Role::Operator => 'o',
        Role::Handler => 'h',
        Role::Reviewer => 'r',
        Role::Admin => 'a',
        Role::Auditor => 'u',
        Role::AiOffice => 'g',
    }
}

#[test]
fn matrix_covers_every_route_of_the_policy() {
    for rule in ROUTES {
        let method = match rule.verb {
            Verb::Get | Verb::Any => "GET",
            Verb::Post => "POST",
        };
        assert!(
            MATRIX
                .iter()
                .any(|(m, path, _)| *m == method && path.split('?').next() == Some(rule.path)),
            "{method} {} has no row in the test matrix",
            rule.path
        );
    }
    assert_eq!(MATRIX.len(), ROUTES.len());
}

#[tokio::test]
async fn role_matrix_route_by_route() {
    let test = test_app().await;
    for (method, pattern, admitted) in MATRIX {
        // Request 1 is in the handler's department, so the handler's access is the rule's.
        // Open311 checks its api_key in the handler, so a POST to services.json (404) shows
        // the middleware's admission where requests.json would answer 403 without a key.
        let uri = pattern
            .replace("{id}", "1")
            .replace("{*rest}", "nope")
            .replace("{file}", "services.json")
            .replace("{code}", "cityai.routing")
            .replace("{year}", "2026")
            .replace("{format}", "register.json");
        let body = if pattern.ends_with("correct") {
            r#"{"category":"城乡建设"}"#
        } else if pattern.ends_with("quality") {
            r#"{"request_id":1,"reply":"您好，路灯已于12月3日修复。感谢您的支持！"}"#
        } else {
            "{}"
        };
        for role in std::iter::once(None).chain(Role::ALL.map(Some)) {
            if *pattern == "/logout"
                || *method == "POST"
                    && ["/login", "/reception", "/ai-register/{code}/feedback"].contains(pattern)
            {
                // Signing in and out change sessions; they have their own tests below. The
                // reception form needs the double-submit cookie, tested in reception.rs.
                continue;
            }
            let allowed = match (*admitted, role) {
                ("public", _) => true,
                ("*", role) => role.is_some(),
                (letters, Some(role)) => letters.contains(letter(role)),
                (_, None) => false,
            };
            let reply = send(&test.app, request_as(role, method, &uri, body)).await;
            let who = role.map_or("visitor", Role::as_str);
            if allowed {
                assert!(
                    !matches!(
                        reply.status,
                        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN
                    ),
                    "{who} must reach {method} {uri}: {} {}",
                    reply.status,
                    reply.body
                );
                let to_login = reply
                    .headers
                    .get(header::LOCATION)
                    .is_some_and(|l| l.to_str().unwrap().starts_with("/login"));
                assert!(!to_login, "{who} sent to sign in at {method} {uri}");
            } else if role.is_none() && uri.starts_with("/api/") {
                assert_eq!(
                    reply.status,
                    StatusCode::UNAUTHORIZED,
                    "{who} {method} {uri}"
                );
                assert!(reply.body.contains("unauthenticated"), "{}", reply.body);
            } else if role.is_none() {
                assert_eq!(reply.status, StatusCode::SEE_OTHER, "{who} {method} {uri}");
                let location = reply.headers[header::LOCATION].to_str().unwrap();
                assert!(location.starts_with("/login?next=/"), "{location}");
            } else {
                assert_eq!(
                    reply.status,
                    StatusCode::FORBIDDEN,
                    "{who} must be denied {method} {uri}: {}",
                    reply.body
                );
            }
        }
    }
}

#[tokio::test]
async fn routes_without_a_rule_are_denied() {
    let test = test_app().await;
    // /requests has a rule for GET only, so DELETE is rejected before anything else runs,
    // with the methods that the route takes.
    let reply = send(
        &test.app,
        request_as(Some(Role::Admin), "DELETE", "/requests", ""),
    )
    .await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    let reply = send(
        &test.app,
        request_as(Some(Role::Operator), "DELETE", "/api/v1/requests", ""),
    )
    .await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(reply.body.contains("method_not_allowed"), "{}", reply.body);
    assert!(reply.body.contains("GET, HEAD, POST"), "{}", reply.body);
    // An unknown console path is no route at all and falls through to the 404 page.
    let reply = send(
        &test.app,
        request_as(Some(Role::Admin), "GET", "/nowhere", ""),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn handlers_see_only_their_department() {
    let test = test_app().await;
    let handler = Some(Role::Handler);
    let list = send(
        &test.app,
        request_as(handler, "GET", "/api/v1/requests", ""),
    )
    .await;
    let list: serde_json::Value = serde_json::from_str(&list.body).unwrap();
    assert_eq!(list["total"], 1, "{list}");
    assert_eq!(list["items"][0]["department"], "housing");
    // Asking for another department's requests still yields only their own.
    let list = send(
        &test.app,
        request_as(handler, "GET", "/api/v1/requests?department=transport", ""),
    )
    .await;
    let list: serde_json::Value = serde_json::from_str(&list.body).unwrap();
    assert_eq!(list["total"], 1, "{list}");
    assert_eq!(list["items"][0]["department"], "housing");

    let other = send(
        &test.app,
        request_as(handler, "GET", "/api/v1/requests/2", ""),
    )
    .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    let other = send(
        &test.app,
        request_as(handler, "POST", "/api/v1/requests/2/routing/confirm", "{}"),
    )
    .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    let page = send(&test.app, request_as(handler, "GET", "/requests", "")).await;
    assert!(page.body.contains("小区路灯坏了"));
    assert!(!page.body.contains("公交站牌缺失"));

    // A reviewer sees both.
    let list = send(
        &test.app,
        request_as(Some(Role::Reviewer), "GET", "/api/v1/requests", ""),
    )
    .await;
    let list: serde_json::Value = serde_json::from_str(&list.body).unwrap();
    assert_eq!(list["total"], 2);
}

#[tokio::test]
async fn state_changes_need_the_csrf_token() {
    let test = test_app().await;
    let cookie = format!("cityai_session={}", session_token(Role::Operator));
    for token in [None, Some("wrong")] {
        let mut builder = Request::post("/api/v1/requests/1/routing/confirm")
            .header(header::COOKIE, &cookie)
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(token) = token {
            builder = builder.header("x-csrf-token", token);
        }
        let reply = send(&test.app, builder.body(Body::from("{}")).unwrap()).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{token:?}");
        assert!(reply.body.contains("csrf_token_invalid"), "{}", reply.body);
    }
    // A form field works as well as the header.
    let reply = send(
        &test.app,
        Request::post("/logout")
            .header(header::COOKIE, &cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!("csrf_token={CSRF}")))
            .unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
}

fn set_cookies(reply: &Reply) -> Vec<String> {
    reply
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

fn cookie_value(cookies: &[String], name: &str) -> String {
    cookies
        .iter()
        .find_map(|c| c.strip_prefix(&format!("{name}=")))
        .and_then(|rest| rest.split(';').next())
        .unwrap()
        .to_owned()
}

async fn post_login(
    app: &axum::Router,
    login_csrf: &str,
    form_csrf: &str,
    username: &str,
    password: &str,
    forwarded_tls: bool,
) -> Reply {
    let mut builder = Request::post("/login")
        .header(header::COOKIE, format!("cityai_csrf={login_csrf}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if forwarded_tls {
        builder = builder.header("x-forwarded-proto", "https");
    }
    let form = serde_urlencoded::to_string([
        ("csrf_token", form_csrf),
        ("username", username),
        ("password", password),
        ("next", "/requests?lang=en"),
    ])
    .unwrap();
    send(app, builder.body(Body::from(form)).unwrap()).await
}

#[tokio::test]
async fn sign_in_and_out() {
    let test = test_app().await;
    auth::add_user(
        &test.store,
        "wang.fang",
        Role::Operator,
        None,
        Some("lake view 2026 spring".into()),
        "test",
    )
    .await
    .unwrap();

    let form = send(
        &test.app,
        Request::get("/login").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(form.status, StatusCode::OK);
    let cookies = set_cookies(&form);
    let login_csrf = cookie_value(&cookies, "cityai_csrf");
    assert!(
        form.body.contains(&login_csrf),
        "the form carries the token"
    );

    // Without the matching token the form is rejected before the password is checked.
    let reply = post_login(&test.app, &login_csrf, "forged", "wang.fang", "x", false).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);

    let reply = post_login(
        &test.app,
        &login_csrf,
        &login_csrf,
        "wang.fang",
        "wrong password!",
        false,
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert!(
        reply.body.contains("Wrong user name or password")
            || reply.body.contains("用户名或密码错误")
    );

    let reply = post_login(
        &test.app,
        &login_csrf,
        &login_csrf,
        "wang.fang",
        "lake view 2026 spring",
        false,
    )
    .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    assert_eq!(reply.headers[header::LOCATION], "/requests?lang=en");
    let cookies = set_cookies(&reply);
    let session_cookie = cookies
        .iter()
        .find(|c| c.starts_with("cityai_session="))
        .unwrap();
    assert!(session_cookie.contains("HttpOnly"), "{session_cookie}");
    assert!(
        session_cookie.contains("SameSite=Strict"),
        "{session_cookie}"
    );
    assert!(
        !session_cookie.contains("Secure"),
        "plain HTTP: {session_cookie}"
    );
    let token = cookie_value(&cookies, "cityai_session");

    let me = send(
        &test.app,
        Request::get("/api/v1/me")
            .header(header::COOKIE, format!("cityai_session={token}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    let me: serde_json::Value = serde_json::from_str(&me.body).unwrap();
    assert_eq!(me["username"], "wang.fang");
    assert_eq!(me["role"], "operator");
    let csrf = me["csrf_token"].as_str().unwrap().to_owned();

    let page = send(
        &test.app,
        Request::get("/requests")
            .header(header::COOKIE, format!("cityai_session={token}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("wang.fang"));

    let reply = send(
        &test.app,
        Request::post("/logout")
            .header(header::COOKIE, format!("cityai_session={token}"))
            .header("x-csrf-token", &csrf)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    let after = send(
        &test.app,
        Request::get("/api/v1/me")
            .header(header::COOKIE, format!("cityai_session={token}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(
        after.status,
        StatusCode::UNAUTHORIZED,
        "the session has ended"
    );

    // Behind a TLS proxy the cookie is Secure.
    let reply = post_login(
        &test.app,
        &login_csrf,
        &login_csrf,
        "wang.fang",
        "lake view 2026 spring",
        true,
    )
    .await;
    let cookies = set_cookies(&reply);
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("cityai_session=") && c.contains("; Secure"))
    );

    // Disabling the user ends the session.
    let token = cookie_value(&cookies, "cityai_session");
    test.store
        .set_user_disabled("wang.fang", true, "test")
        .await
        .unwrap();
    let after = send(
        &test.app,
        Request::get("/api/v1/me")
            .header(header::COOKIE, format!("cityai_session={token}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);

    let events = test.store.audit_events(None, 100).await.unwrap();
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    for expected in [
        "session.login",
        "session.login_failed",
        "session.logout",
        "user.disable",
    ] {
        assert!(actions.contains(&expected), "{expected} in {actions:?}");
    }
    assert!(
        events.iter().all(|e| !e.detail.contains("lake view")),
        "no password in the audit trail"
    );
    assert!(test.store.verify_audit().await.unwrap().is_intact());
}

#[tokio::test]
async fn repeated_failures_are_rate_limited() {
    let test = test_app().await;
    auth::add_user(
        &test.store,
        "li.lei",
        Role::Reviewer,
        None,
        Some("river bridge 2026 autumn".into()),
        "test",
    )
    .await
    .unwrap();
    for _ in 0..cityai_server::LoginLimiter::PER_USER {
        let reply = post_login(&test.app, CSRF, CSRF, "li.lei", "guess guess guess", false).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    }
    // Even the right password waits now.
    let reply = post_login(
        &test.app,
        CSRF,
        CSRF,
        "li.lei",
        "river bridge 2026 autumn",
        false,
    )
    .await;
    assert_eq!(
        reply.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        reply.body
    );
    assert!(reply.headers.contains_key(header::RETRY_AFTER));
}

#[tokio::test]
async fn api_keys_act_as_their_user() {
    let test = test_app().await;
    let key = auth::create_api_key(&test.store, "operator", "hotline system", "test")
        .await
        .unwrap();
    let bearer = format!("Bearer {}", key.key);
    let list = send(
        &test.app,
        Request::get("/api/v1/requests")
            .header(header::AUTHORIZATION, &bearer)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(list.status, StatusCode::OK);
    // No CSRF token is needed with a key, and the feedback is recorded as the key's user.
    let confirm = send(
        &test.app,
        Request::post("/api/v1/requests/1/routing/confirm")
            .header(header::AUTHORIZATION, &bearer)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from("{}"))
            .unwrap(),
    )
    .await;
    assert_eq!(confirm.status, StatusCode::OK, "{}", confirm.body);
    let events = test.store.audit_events(None, 5).await.unwrap();
    assert_eq!(events[0].action, "routing.confirm");
    assert_eq!(events[0].actor, "user:operator");
    // The key's role still limits it.
    let audit = send(
        &test.app,
        Request::get("/api/v1/audit")
            .header(header::AUTHORIZATION, &bearer)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(audit.status, StatusCode::FORBIDDEN);

    for wrong in [
        format!("{}x", key.key),
        "cai_nothing".to_owned(),
        "Basic abc".to_owned(),
    ] {
        let header_value = if wrong.starts_with("Basic") {
            wrong.clone()
        } else {
            format!("Bearer {wrong}")
        };
        let reply = send(
            &test.app,
            Request::get("/api/v1/requests")
                .header(header::AUTHORIZATION, header_value)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{wrong}");
    }
    test.store
        .revoke_api_key(&key.prefix, "test")
        .await
        .unwrap();
    let reply = send(
        &test.app,
        Request::get("/api/v1/requests")
            .header(header::AUTHORIZATION, &bearer)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn unmasked_views_limited_and_audited() {
    let test = test_app().await;
    for role in [Role::Reviewer, Role::Auditor, Role::Operator] {
        let reply = send(
            &test.app,
            request_as(Some(role), "GET", "/api/v1/requests/1", ""),
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK);
        assert!(
            !reply.body.contains("13912345678"),
            "{role}: {}",
            reply.body
        );
        assert!(!reply.body.contains("张建国"), "{role}: {}", reply.body);
        assert!(reply.body.contains("139****5678"), "{role}: {}", reply.body);
        let page = send(&test.app, request_as(Some(role), "GET", "/requests", "")).await;
        assert!(!page.body.contains("13912345678"), "{role} console");
    }
    for role in [Role::Operator, Role::Handler] {
        let reply = send(
            &test.app,
            request_as(
                Some(role),
                "GET",
                "/api/v1/requests/1/unmasked?purpose=callback",
                "",
            ),
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK, "{role}: {}", reply.body);
        let unmasked: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
        assert!(unmasked["body"].as_str().unwrap().contains("13912345678"));
        assert_eq!(
            unmasked["personal_data"],
            serde_json::json!(["mobile", "person_name"])
        );
        let events = test.store.audit_events(None, 1).await.unwrap();
        assert_eq!(events[0].action, "request.view_unmasked");
        assert_eq!(events[0].actor, format!("user:{role}"));
        assert_eq!(events[0].target.as_deref(), Some("request:1"));
        assert!(events[0].detail.contains("callback"));
        assert!(!events[0].detail.contains("13912345678"));
    }
    // A view needs a stated purpose.
    let reply = send(
        &test.app,
        request_as(
            Some(Role::Operator),
            "GET",
            "/api/v1/requests/1/unmasked",
            "",
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.body.contains("missing_purpose"), "{}", reply.body);
    // A reviewer's attempt is denied and audited.
    let reply = send(
        &test.app,
        request_as(
            Some(Role::Reviewer),
            "GET",
            "/api/v1/requests/1/unmasked?purpose=x",
            "",
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    let events = test.store.audit_events(None, 1).await.unwrap();
    assert_eq!(events[0].action, "access.denied");
    assert_eq!(events[0].actor, "user:reviewer");
    // The handler works for housing, so the transport request stays hidden.
    let reply = send(
        &test.app,
        request_as(
            Some(Role::Handler),
            "GET",
            "/api/v1/requests/2/unmasked?purpose=x",
            "",
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert!(test.store.verify_audit().await.unwrap().is_intact());
}

#[tokio::test]
async fn citizens_search_only_general_sources_without_replies() {
    use cityai_knowledge::{Chunk, Classification, KnowledgeIndex, Source, SourceKind};
    let test = test_app().await;
    let index = KnowledgeIndex::create_in_ram().unwrap();
    {
        let mut writer = index.writer().unwrap();
        for (id, kind, classification, text) in [
            (
                "faq-1",
                SourceKind::Faq,
                Classification::General,
                "路灯不亮可以拨打市民热线报修路灯。",
            ),
            (
                "reply-1",
                SourceKind::Reply,
                Classification::General,
                "您反映的路灯不亮问题已转交路灯管理所处理。",
            ),
            (
                "plan-1",
                SourceKind::Policy,
                Classification::Important,
                "路灯改造工程的内部预算安排。",
            ),
        ] {
            let mut source = Source::new(id, kind);
            source.classification = classification;
            writer
                .add(&Chunk {
                    source,
                    ordinal: 0,
                    char_start: 0,
                    char_end: text.chars().count(),
                    heading_path: Vec::new(),
                    text: text.to_owned(),
                })
                .unwrap();
        }
        writer.commit().unwrap();
    }
    let mut state = AppState::new(
        test.store.clone(),
        Lang::En,
        cityai_core::time::default_city_offset(),
    );
    state.knowledge = Some(std::sync::Arc::new(index));
    let app = router(state);
    let ids = |body: &str| -> Vec<String> {
        let value: serde_json::Value = serde_json::from_str(body).unwrap();
        value["results"]["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|hit| hit["chunk"]["source"]["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let uri = "/api/v1/knowledge/search?q=%E8%B7%AF%E7%81%AF";
    let visitor = send(&app, request_as(None, "GET", uri, "")).await;
    assert_eq!(visitor.status, StatusCode::OK, "{}", visitor.body);
    assert_eq!(ids(&visitor.body), vec!["faq-1".to_owned()]);
    let citizen = send(&app, request_as(Some(Role::Citizen), "GET", uri, "")).await;
    assert_eq!(ids(&citizen.body), vec!["faq-1".to_owned()]);
    let replies = send(
        &app,
        request_as(None, "GET", &format!("{uri}&kind=reply"), ""),
    )
    .await;
    assert_eq!(replies.status, StatusCode::FORBIDDEN);
    let staff = send(&app, request_as(Some(Role::Operator), "GET", uri, "")).await;
    let mut staff_ids = ids(&staff.body);
    staff_ids.sort();
    assert_eq!(staff_ids, vec!["faq-1", "plan-1", "reply-1"]);
    let empty = send(
        &app,
        request_as(None, "GET", "/api/v1/knowledge/search", ""),
    )
    .await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
}

#[test]
fn the_openapi_document_describes_every_json_route_and_no_other() {
    let documented = cityai_server::openapi::documented_operations();
    let routes: Vec<(String, String)> = ROUTES
        .iter()
        .filter(|rule| rule.path.starts_with("/api/v1/"))
        .map(|rule| {
            let method = match rule.verb {
                Verb::Get => "GET",
                Verb::Post => "POST",
                Verb::Any => "ANY",
            };
            (method.to_owned(), rule.path.to_owned())
        })
        .collect();
    for route in &routes {
        assert!(
            documented.contains(route),
            "{route:?} is not in the OpenAPI document"
        );
    }
    for operation in &documented {
        assert!(
            routes.contains(operation),
            "{operation:?} is documented but not routed"
        );
    }
}
