//! The Open311 GeoReport v2 API against the standard's JSON Schemas and XML structure, with
//! a real SQLite store seeded from the demo taxonomy and requests, and a routing model
//! trained on them.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use cityai_core::{Channel, Lang, Role};
use cityai_server::{AppState, router};
use cityai_services::auth;
use cityai_store::{NewUser, Store};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tower::ServiceExt;

/// The standard's JSON Schemas, in the shared folder beside the checkout.
const SCHEMA_DIR: &str = "../../../shared/open311/georeport-v2";

struct TestApp {
    _dir: tempfile::TempDir,
    store: Store,
    state: AppState,
    citizen_key: String,
    operator_key: String,
    auditor_key: String,
    schemas: Schemas,
}

struct Schemas {
    services: jsonschema::Validator,
    service_definition: jsonschema::Validator,
    requests: jsonschema::Validator,
}

fn schema_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(SCHEMA_DIR);
    assert!(
        dir.join("services.json").exists(),
        "missing the Open311 schemas in {}: check out the shared folder beside the repository",
        dir.display()
    );
    dir.canonicalize().unwrap()
}

/// Compiles one schema file; relative `$ref`s such as `request.json` resolve beside it.
fn validator(name: &str) -> jsonschema::Validator {
    let path = schema_dir().join(name);
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    jsonschema::options()
        .with_base_uri(format!("file://{}", path.display()))
        .should_validate_formats(true)
        .build(&schema)
        .unwrap_or_else(|err| panic!("schema {name} does not compile: {err}"))
}

async fn test_app() -> TestApp {
    let (dir, store) = common::demo_store().await;
    let (router, _) = cityai_services::routing::train_and_activate(&store, Default::default())
        .await
        .unwrap();
    let mut keys = Vec::new();
    for (username, role) in [
        ("resident1", Role::Citizen),
        ("op1", Role::Operator),
        ("audit1", Role::Auditor),
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
            auth::create_api_key(&store, username, "open311 client", "test")
                .await
                .unwrap()
                .key,
        );
    }
    let state = AppState::new(
        store.clone(),
        Lang::En,
        chrono::FixedOffset::east_opt(8 * 3600).unwrap(),
    );
    state.router.set(router);
    TestApp {
        _dir: dir,
        store,
        state,
        citizen_key: keys[0].clone(),
        operator_key: keys[1].clone(),
        auditor_key: keys[2].clone(),
        schemas: Schemas {
            services: validator("services.json"),
            service_definition: validator("service-definition.json"),
            requests: validator("requests.json"),
        },
    }
}

struct Reply {
    status: StatusCode,
    content_type: String,
    body: String,
}

impl Reply {
    fn json(&self) -> Value {
        assert!(
            self.content_type.starts_with("application/json")
                && self.content_type.contains("charset=utf-8"),
            "{}",
            self.content_type
        );
        serde_json::from_str(&self.body).unwrap_or_else(|err| panic!("{err}: {}", self.body))
    }

    fn xml(&self) -> roxmltree::Document<'_> {
        assert!(
            self.content_type.starts_with("text/xml")
                && self.content_type.contains("charset=utf-8"),
            "{}",
            self.content_type
        );
        assert!(
            self.body
                .starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>"),
            "{}",
            self.body
        );
        roxmltree::Document::parse(&self.body).unwrap_or_else(|err| panic!("{err}: {}", self.body))
    }
}

async fn send(test: &TestApp, request: Request<Body>) -> Reply {
    let response = router(test.state.clone()).oneshot(request).await.unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Reply {
        status,
        content_type,
        body: String::from_utf8(bytes.to_vec()).expect("responses are UTF-8"),
    }
}

async fn get(test: &TestApp, uri: &str) -> Reply {
    send(test, Request::get(uri).body(Body::empty()).unwrap()).await
}

async fn post_form(test: &TestApp, uri: &str, fields: &[(&str, &str)]) -> Reply {
    let body = serde_urlencoded::to_string(fields).unwrap();
    send(
        test,
        Request::post(uri)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap(),
    )
    .await
}

fn assert_valid(validator: &jsonschema::Validator, value: &Value, what: &str) {
    let errors: Vec<String> = validator
        .iter_errors(value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what} breaks the schema: {errors:?}");
}

/// Checks the standard error body in JSON: one `{code, description}` per error, `code`
/// repeating the HTTP status.
fn assert_json_error(reply: &Reply, status: StatusCode, mentions: &str) {
    assert_eq!(reply.status, status, "{}", reply.body);
    let value = reply.json();
    let errors = value.as_array().unwrap();
    assert_eq!(errors.len(), 1, "{value}");
    assert_eq!(errors[0]["code"], json!(status.as_u16()), "{value}");
    let description = errors[0]["description"].as_str().unwrap();
    assert!(description.contains(mentions), "{description}");
}

/// Checks the standard error body in XML: `<errors><error><code/><description/>`.
fn assert_xml_error(reply: &Reply, status: StatusCode, mentions: &str) {
    assert_eq!(reply.status, status, "{}", reply.body);
    let document = reply.xml();
    let root = document.root_element();
    assert_eq!(root.tag_name().name(), "errors");
    let error = element_children(root);
    assert_eq!(error.len(), 1);
    assert_eq!(error[0].tag_name().name(), "error");
    assert_eq!(
        child_text(error[0], "code"),
        Some(status.as_u16().to_string())
    );
    let description = child_text(error[0], "description").unwrap();
    assert!(description.contains(mentions), "{description}");
}

fn element_children<'a, 'input>(
    node: roxmltree::Node<'a, 'input>,
) -> Vec<roxmltree::Node<'a, 'input>> {
    node.children().filter(|n| n.is_element()).collect()
}

fn child<'a, 'input>(
    node: roxmltree::Node<'a, 'input>,
    name: &str,
) -> Option<roxmltree::Node<'a, 'input>> {
    node.children()
        .find(|n| n.is_element() && n.tag_name().name() == name)
}

fn child_text(node: roxmltree::Node<'_, '_>, name: &str) -> Option<String> {
    child(node, name).map(|n| n.text().unwrap_or("").to_owned())
}

/// Checks that every item of an XML list has the children the standard requires.
fn assert_xml_items(reply: &Reply, root: &str, item: &str, required: &[&str]) -> usize {
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let document = reply.xml();
    let root_node = document.root_element();
    assert_eq!(root_node.tag_name().name(), root);
    let items = element_children(root_node);
    for node in &items {
        assert_eq!(node.tag_name().name(), item);
        for name in required {
            let text = child_text(*node, name);
            assert!(
                text.is_some_and(|t| !t.is_empty()),
                "<{item}> lacks <{name}>: {}",
                reply.body
            );
        }
    }
    items.len()
}

/// Computes a service code as the README documents it: 12 hex digits of SHA-256 of the path.
fn code_of(path: &str) -> String {
    hex::encode(&Sha256::digest(path.as_bytes())[..6])
}

#[tokio::test]
async fn services_follow_the_schema_in_json_and_xml() {
    let test = test_app().await;
    let reply = get(&test, "/open311/v2/services.json").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let services = reply.json();
    assert_valid(&test.schemas.services, &services, "services.json");

    // One service per first- and second-level category, with unique codes.
    let categories = test.store.categories().await.unwrap();
    let expected: Vec<String> = categories
        .iter()
        .filter(|c| c.path.depth() <= 2)
        .map(|c| c.path.to_string())
        .collect();
    let services = services.as_array().unwrap();
    assert_eq!(services.len(), expected.len());
    let codes: HashSet<&str> = services
        .iter()
        .map(|s| s["service_code"].as_str().unwrap())
        .collect();
    assert_eq!(codes.len(), services.len(), "service codes are unique");
    for path in &expected {
        assert!(
            codes.contains(code_of(path).as_str()),
            "{path} is a service"
        );
    }

    let lights = services
        .iter()
        .find(|s| s["service_code"] == code_of("城乡建设/市政设施"))
        .unwrap();
    assert_eq!(lights["service_name"], "市政设施");
    assert_eq!(lights["group"], "城乡建设");
    assert_eq!(lights["metadata"], true);
    assert_eq!(lights["type"], "realtime");
    assert!(
        lights["keywords"].as_str().unwrap().contains("路灯照明"),
        "{lights}"
    );
    let top = services
        .iter()
        .find(|s| s["service_code"] == code_of("城乡建设"))
        .unwrap();
    assert_eq!(top["group"], "城乡建设");

    let xml = get(&test, "/open311/v2/services.xml").await;
    let count = assert_xml_items(
        &xml,
        "services",
        "service",
        &["service_code", "service_name", "metadata", "type"],
    );
    assert_eq!(count, services.len());
    assert!(
        xml.body.contains("<service_name>市政设施</service_name>"),
        "UTF-8 names in XML"
    );
}

#[tokio::test]
async fn service_definition_offers_subcategories() {
    let test = test_app().await;
    let code = code_of("城乡建设/市政设施");
    let reply = get(&test, &format!("/open311/v2/services/{code}.json")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let definition = reply.json();
    assert_valid(
        &test.schemas.service_definition,
        &definition,
        "service definition",
    );
    assert_eq!(definition["service_code"], code.as_str());
    let attribute = &definition["attributes"][0];
    assert_eq!(attribute["code"], "subcategory");
    assert_eq!(attribute["datatype"], "singlevaluelist");
    assert_eq!(attribute["required"], false);
    let values = attribute["values"].as_array().unwrap();
    let names: Vec<&str> = values.iter().map(|v| v["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["路灯照明", "道路破损"]);
    assert_eq!(values[0]["key"], code_of("城乡建设/市政设施/路灯照明"));

    let xml = get(&test, &format!("/open311/v2/services/{code}.xml")).await;
    assert_eq!(xml.status, StatusCode::OK);
    let document = xml.xml();
    let root = document.root_element();
    assert_eq!(root.tag_name().name(), "service_definition");
    assert_eq!(child_text(root, "service_code"), Some(code.clone()));
    let attributes = element_children(child(root, "attributes").unwrap());
    assert_eq!(attributes.len(), 1);
    for name in ["variable", "code", "datatype", "required", "order"] {
        assert!(
            child(attributes[0], name).is_some(),
            "<attribute> lacks <{name}>"
        );
    }
    let values = element_children(child(attributes[0], "values").unwrap());
    assert_eq!(values.len(), 2);
    assert_eq!(values[0].tag_name().name(), "value");
    assert_eq!(child_text(values[0], "name").as_deref(), Some("路灯照明"));

    // A service without subcategories has no metadata and no attributes.
    let leafless = test
        .store
        .categories()
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.path.depth() == 2 && !c.path.to_string().contains("市政"))
        .map(|c| c.path.to_string())
        .unwrap();
    let reply = get(
        &test,
        &format!("/open311/v2/services/{}.json", code_of(&leafless)),
    )
    .await;
    let definition = reply.json();
    assert_valid(
        &test.schemas.service_definition,
        &definition,
        "service definition",
    );

    let missing = get(&test, "/open311/v2/services/000000000000.json").await;
    assert_json_error(&missing, StatusCode::NOT_FOUND, "000000000000");
    let missing = get(&test, "/open311/v2/services/000000000000.xml").await;
    assert_xml_error(&missing, StatusCode::NOT_FOUND, "000000000000");
}

#[tokio::test]
async fn posted_request_is_masked_routed_and_readable() {
    let test = test_app().await;
    let code = code_of("城乡建设/市政设施");
    let reply = post_form(
        &test,
        "/open311/v2/requests.json",
        &[
            ("api_key", &test.operator_key),
            ("jurisdiction_id", "cityai"),
            ("service_code", &code),
            (
                "attribute[subcategory]",
                &code_of("城乡建设/市政设施/路灯照明"),
            ),
            ("lat", "30.6586"),
            ("long", "104.0647"),
            ("address_string", "锦江区东大街100号"),
            (
                "description",
                "东大街100号门口的路灯连续三晚不亮，我叫张伟，电话13812345678",
            ),
            ("email", "zhang.wei@example.com"),
            ("first_name", "伟"),
            ("last_name", "张"),
            ("phone", "13812345678"),
            ("device_id", "kiosk-7"),
            ("media_url", "https://example.com/photo.jpg"),
        ],
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let created = reply.json();
    let created = &created.as_array().unwrap()[0];
    assert!(created.get("service_notice").is_some(), "{created}");

    // Assigned requests return their id, requests in triage their token.
    let id: i64 = match created.get("service_request_id") {
        Some(id) => id.as_str().unwrap().parse().unwrap(),
        None => {
            let token = created["token"].as_str().unwrap();
            let reply = get(&test, &format!("/open311/v2/tokens/{token}.json")).await;
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
            let found = reply.json();
            assert_eq!(found[0]["token"], token);
            found[0]["service_request_id"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap()
        }
    };
    let stored = test.store.request(id).await.unwrap().unwrap();
    assert_eq!(stored.channel, Channel::Open311);
    assert_eq!(
        created.get("token").is_some(),
        matches!(
            stored.status,
            cityai_core::RequestStatus::Triage | cityai_core::RequestStatus::Received
        ),
        "{created} for a request in status {}",
        stored.status
    );
    assert!(!stored.body.contains("13812345678"), "{}", stored.body);
    let citizen = stored.citizen_ref.clone().unwrap();
    assert!(citizen.starts_with("open311:"), "{citizen}");
    assert!(!citizen.contains("zhang"), "{citizen}");
    assert_eq!(stored.place_text.as_deref(), Some("锦江区东大街100号"));
    // The service the client chose stays with the router's decision for the staff who
    // check it.
    let details: Value = serde_json::from_str(
        &test
            .store
            .latest_routing_details(id)
            .await
            .unwrap()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        details["requested"], "城乡建设/市政设施/路灯照明",
        "{details}"
    );
    // The client's service is the router's prior: the request takes it, and when the router
    // disagreed at the first level a person checks it in triage.
    assert_eq!(
        stored.category.as_ref().map(ToString::to_string).as_deref(),
        Some("城乡建设/市政设施/路灯照明"),
        "{details}"
    );
    if details["requested_agrees"] == false {
        assert_eq!(stored.status, cityai_core::RequestStatus::Triage);
    }

    let reply = get(&test, &format!("/open311/v2/requests/{id}.json")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let requests = reply.json();
    assert_valid(&test.schemas.requests, &requests, "requests/{id}.json");
    let request = &requests[0];
    assert_eq!(request["service_request_id"], id.to_string());
    assert_eq!(request["status"], "open");
    assert_eq!(request["lat"], 30.6586);
    assert_eq!(request["long"], 104.0647);
    assert_eq!(request["address"], "锦江区东大街100号");
    let description = request["description"].as_str().unwrap();
    assert!(description.contains("路灯连续三晚不亮"), "{description}");
    for secret in ["13812345678", "张伟", "zhang.wei"] {
        assert!(!reply.body.contains(secret), "{secret} in {}", reply.body);
    }
    assert!(
        request["requested_datetime"]
            .as_str()
            .unwrap()
            .ends_with("+08:00"),
        "{request}"
    );
    if let Some(category) = &stored.category {
        let service = category.levels()[..category.depth().min(2)].join("/");
        assert_eq!(request["service_code"], code_of(&service));
    }

    let xml = get(&test, &format!("/open311/v2/requests/{id}.xml")).await;
    let count = assert_xml_items(
        &xml,
        "service_requests",
        "request",
        &[
            "service_request_id",
            "status",
            "service_code",
            "requested_datetime",
        ],
    );
    assert_eq!(count, 1);
}

#[tokio::test]
async fn post_returns_id_or_token_by_status() {
    let test = test_app().await;
    let code = code_of("环境保护");
    let mut kinds = HashSet::new();
    for (i, text) in [
        "小区楼下烧烤店油烟太大，每天晚上熏得没法开窗",
        "建筑工地夜里十二点还在打桩，噪音吵得睡不着",
        "请问一下",
        "你好，有个事情想反映",
    ]
    .into_iter()
    .enumerate()
    {
        let reply = post_form(
            &test,
            "/open311/v2/requests.xml",
            &[
                ("api_key", test.citizen_key.as_str()),
                ("service_code", &code),
                ("address_id", &format!("addr-{i}")),
                ("description", text),
            ],
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        let document = reply.xml();
        let root = document.root_element();
        assert_eq!(root.tag_name().name(), "service_requests");
        let request = element_children(root)[0];
        assert_eq!(request.tag_name().name(), "request");
        let id = child_text(request, "service_request_id");
        let token = child_text(request, "token");
        assert!(id.is_some() != token.is_some(), "{}", reply.body);
        let stored = match (&id, &token) {
            (Some(id), None) => test.store.request(id.parse().unwrap()).await.unwrap(),
            (None, Some(token)) => test.store.request_by_token(token).await.unwrap(),
            _ => unreachable!(),
        }
        .unwrap();
        let waiting = matches!(
            stored.status,
            cityai_core::RequestStatus::Triage | cityai_core::RequestStatus::Received
        );
        assert_eq!(token.is_some(), waiting, "{text}: {}", stored.status);
        assert_eq!(stored.citizen_ref.as_deref(), Some("resident1"));
        kinds.insert(waiting);
    }
    assert_eq!(
        kinds.len(),
        2,
        "clear texts are assigned and vague ones wait in triage"
    );
}

#[tokio::test]
async fn post_accepts_a_json_body() {
    let test = test_app().await;
    let body = json!({
        "api_key": test.citizen_key,
        "service_code": code_of("交通运输"),
        "lat": 30.5,
        "long": 104.1,
        "description": "公交站台的顶棚破了，下雨天没法候车",
    });
    let reply = send(
        &test,
        Request::post("/open311/v2/requests.json")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let created = reply.json();
    assert!(
        created[0].get("service_request_id").is_some() || created[0].get("token").is_some(),
        "{created}"
    );
}

#[tokio::test]
async fn post_rejects_bad_keys_and_fields() {
    let test = test_app().await;
    let code = code_of("城乡建设/市政设施");
    let valid = |key: &str| -> Vec<(String, String)> {
        [
            ("api_key", key),
            ("service_code", code.as_str()),
            ("address_string", "东大街"),
            ("description", "路灯不亮"),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    };
    let post = |fields: Vec<(String, String)>, format: &'static str| {
        let test = &test;
        async move {
            let pairs: Vec<(&str, &str)> = fields
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            post_form(test, &format!("/open311/v2/requests.{format}"), &pairs).await
        }
    };

    // 403: missing, unknown and unauthorised keys, in both formats.
    let reply = post(valid(""), "json").await;
    assert_json_error(&reply, StatusCode::FORBIDDEN, "api_key");
    let reply = post(valid(""), "xml").await;
    assert_xml_error(&reply, StatusCode::FORBIDDEN, "api_key");
    let reply = post(valid("cai_nope_secret"), "json").await;
    assert_json_error(&reply, StatusCode::FORBIDDEN, "api_key");
    let reply = post(valid(&test.auditor_key), "xml").await;
    assert_xml_error(&reply, StatusCode::FORBIDDEN, "auditor");
    // A wrong key sent as a bearer token gets the standard's error too.
    for format in ["json", "xml"] {
        let fields = valid("");
        let reply = send(
            &test,
            Request::post(format!("/open311/v2/requests.{format}"))
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::AUTHORIZATION, "Bearer cai_nope_secret")
                .body(Body::from(serde_urlencoded::to_string(&fields).unwrap()))
                .unwrap(),
        )
        .await;
        if format == "json" {
            assert_json_error(&reply, StatusCode::FORBIDDEN, "api_key");
        } else {
            assert_xml_error(&reply, StatusCode::FORBIDDEN, "api_key");
        }
    }

    // 400: each invalid field is named.
    let key = test.operator_key.clone();
    let cases: Vec<(Vec<(String, String)>, &str)> = vec![
        (
            valid(&key)
                .into_iter()
                .filter(|(k, _)| k != "service_code")
                .collect(),
            "service_code",
        ),
        (
            replace(valid(&key), "service_code", "abcdefabcdef"),
            "abcdefabcdef",
        ),
        (
            valid(&key)
                .into_iter()
                .filter(|(k, _)| k != "address_string")
                .collect(),
            "address_string",
        ),
        (
            valid(&key)
                .into_iter()
                .filter(|(k, _)| k != "description")
                .collect(),
            "description",
        ),
        (with(valid(&key), "lat", "30.1"), "lat and long"),
        (
            with(with(valid(&key), "lat", "north"), "long", "104"),
            "north",
        ),
        (with(valid(&key), "attribute[colour]", "red"), "colour"),
        (
            with(valid(&key), "attribute[subcategory]", "ffffffffffff"),
            "ffffffffffff",
        ),
    ];
    for (fields, mentions) in cases {
        let reply = post(fields.clone(), "json").await;
        assert_json_error(&reply, StatusCode::BAD_REQUEST, mentions);
        let reply = post(fields, "xml").await;
        assert_xml_error(&reply, StatusCode::BAD_REQUEST, mentions);
    }

    // 404: another jurisdiction.
    let reply = post(with(valid(&key), "jurisdiction_id", "elsewhere"), "json").await;
    assert_json_error(&reply, StatusCode::NOT_FOUND, "elsewhere");
    let reply = post(valid(&key), "csv").await;
    assert_xml_error(&reply, StatusCode::BAD_REQUEST, "csv");
}

fn with(mut fields: Vec<(String, String)>, key: &str, value: &str) -> Vec<(String, String)> {
    fields.push((key.to_owned(), value.to_owned()));
    fields
}

fn replace(fields: Vec<(String, String)>, key: &str, value: &str) -> Vec<(String, String)> {
    let mut fields: Vec<_> = fields.into_iter().filter(|(k, _)| k != key).collect();
    fields.push((key.to_owned(), value.to_owned()));
    fields
}

/// Returns the requests of a `GET requests.json` call after checking them against the schema.
async fn list(test: &TestApp, query: &str) -> Vec<Value> {
    let reply = get(test, &format!("/open311/v2/requests.json?{query}")).await;
    assert_eq!(reply.status, StatusCode::OK, "{query}: {}", reply.body);
    let value = reply.json();
    assert_valid(&test.schemas.requests, &value, query);
    value.as_array().unwrap().clone()
}

fn ids(requests: &[Value]) -> Vec<String> {
    requests
        .iter()
        .map(|r| r["service_request_id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn request_list_filters_and_pages() {
    let test = test_app().await;
    let now = chrono::Utc::now();

    // The default is the last 90 days, newest first.
    let all = list(&test, "").await;
    assert!(!all.is_empty());
    assert!(all.len() <= 1000, "{}", all.len());
    for request in &all {
        let requested =
            chrono::DateTime::parse_from_rfc3339(request["requested_datetime"].as_str().unwrap())
                .unwrap();
        assert!(
            now - requested.to_utc() <= chrono::Duration::days(90),
            "{request}"
        );
    }
    let times: Vec<_> = all
        .iter()
        .map(|r| {
            chrono::DateTime::parse_from_rfc3339(r["requested_datetime"].as_str().unwrap()).unwrap()
        })
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first");

    // Status splits the list into open and closed.
    let open = list(&test, "status=open").await;
    let closed = list(&test, "status=closed").await;
    assert!(open.iter().all(|r| r["status"] == "open"));
    assert!(closed.iter().all(|r| r["status"] == "closed"));
    assert_eq!(open.len() + closed.len(), all.len());
    assert_eq!(list(&test, "status=open,closed").await.len(), all.len());

    // A service code matches its category and the categories below it.
    let code = code_of("环境保护");
    let environment = list(&test, &format!("service_code={code}")).await;
    assert!(!environment.is_empty());
    assert!(environment.iter().all(|r| {
        r["service_code"]
            .as_str()
            .is_some_and(|c| c == code || code_of_group(c) == "环境保护")
    }));
    let expected = all
        .iter()
        .filter(|r| {
            r["service_code"]
                .as_str()
                .is_some_and(|c| c == code || code_of_group(c) == "环境保护")
        })
        .count();
    assert_eq!(environment.len(), expected);

    // Ids override every other filter and keep their order.
    let picked = list(&test, "service_request_id=3,1,999999&status=closed").await;
    assert_eq!(ids(&picked), ["3", "1"]);

    // Pages cut the same list.
    let first_ten = list(&test, "page_size=10").await;
    let second_five = list(&test, "page_size=5&page=2").await;
    assert_eq!(ids(&second_five), ids(&first_ten[5..]));
    assert!(list(&test, "page=100000").await.is_empty());

    // A date range within 90 days. The `+` of the offset is sent unencoded, as some
    // clients do, and decodes as a space.
    let start_date = (now - chrono::Duration::days(30)).date_naive();
    let start = start_date.format("%Y-%m-%d");
    let end = now.format("%Y-%m-%dT%H:%M:%S+00:00");
    let month = list(&test, &format!("start_date={start}&end_date={end}")).await;
    assert!(month.len() <= all.len());
    // A date without a time starts at midnight in the city's time zone.
    let from = start_date
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_local_timezone(test.state.city_offset)
        .unwrap()
        .to_utc();
    assert!(month.iter().all(|r| {
        let requested =
            chrono::DateTime::parse_from_rfc3339(r["requested_datetime"].as_str().unwrap())
                .unwrap()
                .to_utc();
        requested >= from && requested <= now
    }));

    let xml = get(&test, "/open311/v2/requests.xml?page_size=20").await;
    let count = assert_xml_items(
        &xml,
        "service_requests",
        "request",
        &[
            "service_request_id",
            "status",
            "service_code",
            "requested_datetime",
        ],
    );
    assert_eq!(count, all.len().min(20));

    for (query, mentions) in [
        ("status=pending", "pending"),
        ("start_date=yesterday", "yesterday"),
        ("start_date=2024-01-01&end_date=2024-06-01", "90"),
        ("start_date=2024-06-01&end_date=2024-01-01", "2024-01-01"),
        ("page_size=0", "page_size"),
        ("page_size=1001", "1001"),
        ("page=x", "page"),
        ("service_request_id=1,two", "two"),
        ("service_code=nope", "nope"),
    ] {
        let reply = get(&test, &format!("/open311/v2/requests.json?{query}")).await;
        assert_json_error(&reply, StatusCode::BAD_REQUEST, mentions);
        let reply = get(&test, &format!("/open311/v2/requests.xml?{query}")).await;
        assert_xml_error(&reply, StatusCode::BAD_REQUEST, mentions);
    }
}

/// Returns the group (first-level name) of a service code in the demo taxonomy.
fn code_of_group(code: &str) -> String {
    cityai_demo::taxonomy()
        .iter()
        .map(|entry| entry.path.clone())
        .filter(|path| path.depth() <= 2)
        .find(|path| code_of(&path.to_string()) == code)
        .map(|path| path.levels()[0].clone())
        .unwrap_or_default()
}

#[tokio::test]
async fn unknown_ids_tokens_and_jurisdictions_are_not_found() {
    let test = test_app().await;
    for (uri, mentions) in [
        ("/open311/v2/requests/999999", "999999"),
        ("/open311/v2/requests/abc", "abc"),
        (
            "/open311/v2/tokens/0123456789abcdef0123456789abcdef",
            "0123456789abcdef",
        ),
        ("/open311/v2/tokens/short", "short"),
        ("/open311/v2/services/unrouted", "unrouted"),
        ("/open311/v2/reports", "reports"),
        ("/open311/v2/services", "elsewhere"),
    ] {
        let query = if mentions == "elsewhere" {
            "?jurisdiction_id=elsewhere"
        } else {
            ""
        };
        let reply = get(&test, &format!("{uri}.json{query}")).await;
        assert_json_error(&reply, StatusCode::NOT_FOUND, mentions);
        let reply = get(&test, &format!("{uri}.xml{query}")).await;
        assert_xml_error(&reply, StatusCode::NOT_FOUND, mentions);
    }
    let reply = get(&test, "/open311/v2/services.json?jurisdiction_id=cityai").await;
    assert_eq!(reply.status, StatusCode::OK);
    let reply = get(&test, "/open311/v2/services.html").await;
    assert_xml_error(&reply, StatusCode::BAD_REQUEST, "html");
}

#[tokio::test]
async fn discovery_lists_the_endpoint() {
    let test = test_app().await;
    let reply = send(
        &test,
        Request::get("/open311/v2/discovery.json")
            .header(header::HOST, "city.example:8080")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    let discovery = reply.json();
    let endpoint = &discovery["endpoints"][0];
    assert_eq!(endpoint["url"], "http://city.example:8080/open311/v2");
    assert_eq!(
        endpoint["specification"],
        "http://wiki.open311.org/GeoReport_v2"
    );
    assert_eq!(endpoint["formats"], json!(["text/xml", "application/json"]));
    assert!(discovery["changeset"].is_string());

    let reply = get(&test, "/open311/v2/discovery.xml").await;
    let document = reply.xml();
    let root = document.root_element();
    assert_eq!(root.tag_name().name(), "discovery");
    let endpoint = element_children(child(root, "endpoints").unwrap())[0];
    assert_eq!(endpoint.tag_name().name(), "endpoint");
    let formats: Vec<&str> = element_children(child(endpoint, "formats").unwrap())
        .iter()
        .map(|n| n.text().unwrap())
        .collect();
    assert_eq!(formats, ["text/xml", "application/json"]);
}
