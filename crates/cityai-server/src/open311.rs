//! The Open311 GeoReport v2 API under `/open311/v2/`, so that existing Open311 apps, kiosks
//! and back offices can list services, post requests and follow them.
//!
//! Every endpoint responds in XML or JSON by the path's extension: `discovery`, `services`,
//! `services/{service_code}`, `GET` and `POST requests`, `requests/{id}` and
//! `tokens/{token}`, plus the common `page` / `page_size` extension of `GET requests`.
//! Errors use the standard body with status 400 (invalid input), 403 (missing or invalid
//! `api_key`) or 404 (unknown endpoint, jurisdiction, service, request or token).
//!
//! The routes are public at the access middleware. `POST requests` checks its `api_key`
//! here and hands the request to the same intake as every other channel. Services come
//! from the category taxonomy: see [`catalog`] for how service codes are derived.

mod catalog;
mod format;
mod requests;

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use chrono::Utc;
use cityai_core::i18n::{t, tf};
use cityai_core::{Channel, Lang, RequestStatus, Role};
use cityai_services::intake::Submission;
use cityai_store::Page;

use crate::AppState;
use crate::error::ApiError;
use crate::lang::negotiate;
use catalog::Catalog;
use format::{Body, Field, Format, Open311Error, Record};
use requests::{ListQuery, PostedRequest, citizen_ref, request_record};

/// The jurisdiction id a server accepts unless configured otherwise.
pub const DEFAULT_JURISDICTION: &str = "cityai";

/// The date of the last change to these endpoints, reported by discovery.
const CHANGESET: &str = "2025-06-01T00:00:00Z";

/// The query or form parameters of a call, in the order sent.
#[derive(Debug, Clone, Default)]
pub(crate) struct Params(Vec<(String, String)>);

impl Params {
    #[cfg(test)]
    pub(crate) fn from_pairs(pairs: Vec<(String, String)>) -> Params {
        Params(pairs)
    }

    /// Returns the first non-blank value of `name`, trimmed. Clients often send empty
    /// parameters for fields they leave out.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .filter(|(key, _)| key == name)
            .map(|(_, value)| value.trim())
            .find(|value| !value.is_empty())
    }

    pub(crate) fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.trim()))
    }
}

/// The common state of a call: the response format, the language of messages and the
/// parameters.
#[derive(Debug)]
struct Call {
    format: Format,
    lang: Lang,
    params: Params,
}

impl Call {
    /// Reads the format from `file` and checks the query and `jurisdiction_id`. Returns the
    /// call and the file's stem, or the error and the format to report it in.
    fn begin<'a>(
        state: &AppState,
        file: &'a str,
        query: Option<&str>,
        headers: &HeaderMap,
    ) -> Result<(Call, &'a str), (Open311Error, Format)> {
        let (lang, _) = negotiate(None, headers, state.default_lang);
        // XML is the format every Open311 client reads, so errors before a format is known
        // use it.
        let (stem, format) = Format::split(file).map_err(|extension| {
            let error = Open311Error::bad_request(tf(
                lang,
                "open311.invalid_format",
                &[("value", &extension)],
            ));
            (error, Format::Xml)
        })?;
        let pairs = serde_urlencoded::from_str::<Vec<(String, String)>>(query.unwrap_or(""))
            .map_err(|err| {
                let error = Open311Error::bad_request(tf(
                    lang,
                    "open311.invalid_query",
                    &[("error", &err)],
                ));
                (error, format)
            })?;
        let call = Call {
            format,
            lang,
            params: Params(pairs),
        };
        call.check_jurisdiction(state)
            .map_err(|err| (err, format))?;
        Ok((call, stem))
    }

    fn check_jurisdiction(&self, state: &AppState) -> Result<(), Open311Error> {
        match self.params.get("jurisdiction_id") {
            Some(id) if id != &*state.open311_jurisdiction => Err(Open311Error::not_found(tf(
                self.lang,
                "open311.unknown_jurisdiction",
                &[("value", &id), ("expected", &state.open311_jurisdiction)],
            ))),
            _ => Ok(()),
        }
    }

    fn respond(&self, result: Result<Body, Open311Error>) -> Response {
        match result {
            Ok(body) => body.respond(self.format),
            Err(err) => err.respond(self.format),
        }
    }

    fn unknown_endpoint(&self, stem: &str) -> Response {
        Open311Error::not_found(tf(
            self.lang,
            "open311.unknown_endpoint",
            &[("value", &stem)],
        ))
        .respond(self.format)
    }
}

/// Turns a store or service failure into the standard error with status 500, logging the
/// cause once.
fn internal(err: impl std::fmt::Display, lang: Lang) -> Open311Error {
    tracing::error!(error = %err, "Open311 call failed");
    Open311Error {
        status: axum::http::StatusCode::INTERNAL_SERVER_ERROR,
        description: t(lang, "error.internal").to_owned(),
    }
}

/// Handles `GET /open311/v2/{discovery|services|requests}.{format}`.
pub(crate) async fn get_top(
    State(state): State<AppState>,
    Path(file): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let (call, stem) = match Call::begin(&state, &file, query.as_deref(), &headers) {
        Ok(begun) => begun,
        Err((error, format)) => return error.respond(format),
    };
    match stem {
        "discovery" => call.respond(Ok(discovery(&headers, call.lang))),
        "services" => call.respond(services(&state, call.lang).await),
        "requests" => call.respond(list_requests(&state, &call).await),
        other => call.unknown_endpoint(other),
    }
}

/// Handles `GET /open311/v2/services/{service_code}.{format}` with the service definition.
pub(crate) async fn get_service(
    State(state): State<AppState>,
    Path(file): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let (call, code) = match Call::begin(&state, &file, query.as_deref(), &headers) {
        Ok(begun) => begun,
        Err((error, format)) => return error.respond(format),
    };
    let result = async {
        let catalog = load_catalog(&state, call.lang).await?;
        let service = catalog.by_code(code).ok_or_else(|| {
            Open311Error::not_found(tf(
                call.lang,
                "open311.unknown_service",
                &[("value", &code)],
            ))
        })?;
        Ok(Body::One {
            root: "service_definition",
            record: service.definition(call.lang),
        })
    }
    .await;
    call.respond(result)
}

/// Handles `GET /open311/v2/requests/{id}.{format}` with a one-item list, as the standard
/// has it.
pub(crate) async fn get_request(
    State(state): State<AppState>,
    Path(file): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let (call, id) = match Call::begin(&state, &file, query.as_deref(), &headers) {
        Ok(begun) => begun,
        Err((error, format)) => return error.respond(format),
    };
    let result = async {
        let not_found =
            || Open311Error::not_found(tf(call.lang, "open311.unknown_request", &[("value", &id)]));
        let number = id.parse::<i64>().map_err(|_| not_found())?;
        let request = state
            .store
            .request(number)
            .await
            .map_err(|err| internal(err, call.lang))?
            .ok_or_else(not_found)?;
        let departments = department_names(&state, call.lang).await?;
        Ok(request_list(vec![request_record(
            &request,
            &departments,
            state.city_offset,
            call.lang,
        )]))
    }
    .await;
    call.respond(result)
}

/// Handles `GET /open311/v2/tokens/{token}.{format}` with the request id behind a token.
pub(crate) async fn get_token(
    State(state): State<AppState>,
    Path(file): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let (call, token) = match Call::begin(&state, &file, query.as_deref(), &headers) {
        Ok(begun) => begun,
        Err((error, format)) => return error.respond(format),
    };
    let result = async {
        let not_found = || {
            Open311Error::not_found(tf(call.lang, "open311.unknown_token", &[("value", &token)]))
        };
        // Tokens are 32 hexadecimal digits; anything else cannot be one.
        if token.len() != 32 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(not_found());
        }
        let request = state
            .store
            .request_by_token(token)
            .await
            .map_err(|err| internal(err, call.lang))?
            .ok_or_else(not_found)?;
        Ok(request_list(vec![vec![
            ("service_request_id", Field::text(request.id.to_string())),
            ("token", Field::text(token)),
        ]]))
    }
    .await;
    call.respond(result)
}

/// Handles `POST /open311/v2/requests.{format}`: checks the `api_key`, takes the request in
/// through intake, and returns its id once it is assigned or its token while it waits in
/// triage.
///
/// The body is `application/x-www-form-urlencoded` as the standard specifies, or a JSON object
/// with the same field names. Parameters in the query string count too.
pub(crate) async fn post_top(
    State(state): State<AppState>,
    Path(file): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (mut call, stem) = match Call::begin(&state, &file, query.as_deref(), &headers) {
        Ok(begun) => begun,
        Err((error, format)) => return error.respond(format),
    };
    if stem != "requests" {
        return call.unknown_endpoint(stem);
    }
    let result = async {
        let mut pairs = body_pairs(&headers, &body, call.lang)?;
        pairs.append(&mut call.params.0);
        call.params = Params(pairs);
        call.check_jurisdiction(&state)?;
        post_request(&state, &call, &headers).await
    }
    .await;
    call.respond(result)
}

async fn post_request(
    state: &AppState,
    call: &Call,
    headers: &HeaderMap,
) -> Result<Body, Open311Error> {
    let lang = call.lang;

    // The key comes as the standard's `api_key` parameter, or as a bearer token like the
    // rest of the API.
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let api_key =
        call.params.get("api_key").or(bearer).ok_or_else(|| {
            Open311Error::forbidden(t(lang, "open311.missing_api_key").to_owned())
        })?;
    let user = cityai_services::auth::api_key_user(&state.store, api_key)
        .await
        .map_err(|err| internal(err, lang))?
        .ok_or_else(|| Open311Error::forbidden(t(lang, "open311.invalid_api_key").to_owned()))?;
    if !matches!(user.role, Role::Citizen | Role::Operator) {
        return Err(Open311Error::forbidden(tf(
            lang,
            "open311.role_may_not_post",
            &[("role", &user.role)],
        )));
    }

    let catalog = load_catalog(state, lang).await?;
    let posted = PostedRequest::parse(&call.params, &catalog, lang)?;
    // A citizen's own account is the reference, as on the JSON API; integrations get a
    // pseudonym of the contact they pass on.
    let citizen = if user.role == Role::Citizen {
        Some(user.username.clone())
    } else {
        citizen_ref(&call.params, api_key)
    };
    let submission = Submission {
        channel: Channel::Open311,
        title: None,
        body: posted.description,
        citizen_ref: citizen,
        place_text: posted.address,
        latitude: posted.latitude,
        longitude: posted.longitude,
        external_id: None,
        requested_category: Some(posted.requested),
    };
    let receipt = match crate::intake_api::take_in(state, submission).await {
        Ok(receipt) => receipt,
        Err(ApiError::BadRequest { message, .. }) => {
            return Err(Open311Error::bad_request(tf(
                lang,
                "open311.rejected",
                &[("error", &message.render(lang))],
            )));
        }
        Err(ApiError::Internal(err)) => return Err(internal(err, lang)),
        // Intake logged the cause; the client may try again.
        Err(_) => {
            return Err(Open311Error {
                status: axum::http::StatusCode::SERVICE_UNAVAILABLE,
                description: t(lang, "open311.unavailable").to_owned(),
            });
        }
    };
    tracing::info!(request = receipt.id, status = %receipt.status, "Open311 request taken in");

    let waiting = matches!(
        receipt.status,
        RequestStatus::Received | RequestStatus::Triage
    );
    let mut record: Record = match (&receipt.token, waiting) {
        (Some(token), true) => vec![("token", Field::text(token.clone()))],
        _ => vec![("service_request_id", Field::text(receipt.id.to_string()))],
    };
    let notice = if waiting {
        Some(t(lang, "open311.notice_triage").to_owned())
    } else {
        let departments = department_names(state, lang).await?;
        receipt.department_code.map(|code| {
            let name = departments.get(&code).unwrap_or(&code);
            tf(lang, "open311.notice_assigned", &[("department", name)])
        })
    };
    record.push(("service_notice", Field::opt_text(notice)));
    record.push(("account_id", Field::null()));
    Ok(request_list(vec![record]))
}

/// Reads the body of a POST as form fields or a JSON object.
fn body_pairs(
    headers: &HeaderMap,
    body: &[u8],
    lang: Lang,
) -> Result<Vec<(String, String)>, Open311Error> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let invalid = |err: &dyn std::fmt::Display| {
        Open311Error::bad_request(tf(lang, "open311.invalid_body", &[("error", err)]))
    };
    if body.is_empty() {
        return Ok(Vec::new());
    }
    if content_type.starts_with("application/json") {
        let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| invalid(&e))?;
        let serde_json::Value::Object(object) = value else {
            return Err(invalid(&"not a JSON object"));
        };
        let mut pairs = Vec::with_capacity(object.len());
        for (name, value) in object {
            match value {
                serde_json::Value::Object(attributes) if name == "attribute" => {
                    for (code, value) in attributes {
                        pairs.push((format!("attribute[{code}]"), json_text(value)));
                    }
                }
                value => pairs.push((name, json_text(value))),
            }
        }
        return Ok(pairs);
    }
    if content_type.starts_with("application/x-www-form-urlencoded") {
        return serde_urlencoded::from_bytes(body).map_err(|e| invalid(&e));
    }
    Err(invalid(&format!("content type {content_type:?}")))
}

fn json_text(value: serde_json::Value) -> String {
    match value {
        serde_json::Value::String(text) => text,
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn request_list(records: Vec<Record>) -> Body {
    Body::List {
        root: "service_requests",
        item: "request",
        records,
    }
}

fn discovery(headers: &HeaderMap, lang: Lang) -> Body {
    // The URL clients use is the one they reached; behind a proxy, X-Forwarded-Proto tells
    // whether that was HTTPS.
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .filter(|proto| proto.eq_ignore_ascii_case("https"))
        .map_or("http", |_| "https");
    let url = match headers.get(header::HOST).and_then(|v| v.to_str().ok()) {
        Some(host) => format!("{scheme}://{host}/open311/v2"),
        None => "/open311/v2".to_owned(),
    };
    let endpoint: Record = vec![
        (
            "specification",
            Field::text("http://wiki.open311.org/GeoReport_v2"),
        ),
        ("url", Field::text(url)),
        ("changeset", Field::text(CHANGESET)),
        ("type", Field::text("production")),
        (
            "formats",
            Field::Texts {
                item: "format",
                texts: vec!["text/xml".to_owned(), "application/json".to_owned()],
            },
        ),
    ];
    Body::One {
        root: "discovery",
        record: vec![
            ("changeset", Field::text(CHANGESET)),
            ("contact", Field::text(t(lang, "open311.discovery_contact"))),
            (
                "key_service",
                Field::text(t(lang, "open311.discovery_key_service")),
            ),
            (
                "endpoints",
                Field::Records {
                    item: "endpoint",
                    records: vec![endpoint],
                },
            ),
        ],
    }
}

async fn load_catalog(state: &AppState, lang: Lang) -> Result<Catalog, Open311Error> {
    let categories = state
        .store
        .categories()
        .await
        .map_err(|err| internal(err, lang))?;
    let departments = department_names(state, lang).await?;
    Ok(Catalog::new(&categories, &departments))
}

async fn department_names(
    state: &AppState,
    lang: Lang,
) -> Result<HashMap<String, String>, Open311Error> {
    let departments = state
        .store
        .departments()
        .await
        .map_err(|err| internal(err, lang))?;
    Ok(departments.into_iter().map(|d| (d.code, d.name)).collect())
}

async fn services(state: &AppState, lang: Lang) -> Result<Body, Open311Error> {
    let catalog = load_catalog(state, lang).await?;
    Ok(Body::List {
        root: "services",
        item: "service",
        records: catalog
            .services
            .iter()
            .map(|service| service.record(lang))
            .collect(),
    })
}

async fn list_requests(state: &AppState, call: &Call) -> Result<Body, Open311Error> {
    let lang = call.lang;
    let catalog = load_catalog(state, lang).await?;
    let query = ListQuery::parse(&call.params, &catalog, state.city_offset, Utc::now(), lang)?;
    let found = match query {
        ListQuery::Ids(ids) => {
            let mut found = Vec::with_capacity(ids.len());
            for id in ids {
                if let Some(request) = state
                    .store
                    .request(id)
                    .await
                    .map_err(|err| internal(err, lang))?
                {
                    found.push(request);
                }
            }
            found
        }
        ListQuery::Filtered {
            filter,
            page,
            page_size,
        } => {
            // The store serves pages of at most Page::MAX_SIZE rows, so read the store pages
            // that cover this page's rows and cut them out.
            let store_size = u64::from(Page::MAX_SIZE);
            let offset = u64::from(page - 1) * u64::from(page_size);
            let first = offset / store_size;
            let last = (offset + u64::from(page_size) - 1) / store_size;
            let mut rows = Vec::new();
            for number in first..=last {
                let Ok(number) = u32::try_from(number + 1) else {
                    break;
                };
                let chunk = state
                    .store
                    .list_request_page(&filter, Page::new(number, Page::MAX_SIZE))
                    .await
                    .map_err(|err| internal(err, lang))?;
                let complete = chunk.len() as u64 == store_size;
                rows.extend(chunk);
                if !complete {
                    break;
                }
            }
            let skip = usize::try_from(offset - first * store_size).unwrap_or(usize::MAX);
            rows.into_iter()
                .skip(skip)
                .take(page_size as usize)
                .collect()
        }
    };
    let departments = department_names(state, lang).await?;
    Ok(request_list(
        found
            .iter()
            .map(|request| request_record(request, &departments, state.city_offset, lang))
            .collect(),
    ))
}
