//! Errors of the server and their HTTP responses.
//!
//! Every JSON error body is `{"error": {"code": "...", "message": "..."}}`. The code is stable
//! for programs; the message is for people and comes from the message catalogues, in the
//! caller's language. A handler's error does not know the request. It renders in English and
//! carries its catalogue key and values in the response's extensions. The middleware
//! [`localize`] then renders it again in the language the caller asked for.

use std::fmt;

use axum::Json;
use axum::body::Body;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Request, State};
use axum::http::header::{ACCEPT_LANGUAGE, CONTENT_LANGUAGE, CONTENT_LENGTH, COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use cityai_core::Lang;
use cityai_core::i18n::tf;
use serde_json::json;

use crate::AppState;
use crate::lang::negotiate;

/// A failure to run the server.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("server I/O failed")]
    Io(#[source] std::io::Error),
}

/// A message of the catalogues with the values of its placeholders, rendered on demand in
/// either language.
#[derive(Debug, Clone)]
pub(crate) struct Text {
    key: &'static str,
    args: Vec<(&'static str, Arg)>,
}

/// The value of one placeholder.
#[derive(Debug, Clone)]
enum Arg {
    /// Text that reads the same in both languages, such as a number or the caller's value.
    Plain(String),
    /// A message of the catalogues under its full key, with a `{choices}` placeholder.
    Message { key: &'static str, choices: String },
}

impl Text {
    /// Names the message under `key` in the `api_error` table of the catalogues.
    pub(crate) fn new(key: &'static str) -> Self {
        Text {
            key,
            args: Vec::new(),
        }
    }

    /// Sets the value of placeholder `{name}`.
    pub(crate) fn arg(mut self, name: &'static str, value: impl fmt::Display) -> Self {
        self.args.push((name, Arg::Plain(value.to_string())));
        self
    }

    /// Sets placeholder `{name}` to the catalogue message under the full key `key`, whose
    /// `{choices}` placeholder becomes `choices`.
    pub(crate) fn message(
        mut self,
        name: &'static str,
        key: &'static str,
        choices: impl fmt::Display,
    ) -> Self {
        self.args.push((
            name,
            Arg::Message {
                key,
                choices: choices.to_string(),
            },
        ));
        self
    }

    /// Returns the message in `lang`.
    pub(crate) fn render(&self, lang: Lang) -> String {
        let key = format!("api_error.{}", self.key);
        let values: Vec<String> = self
            .args
            .iter()
            .map(|(_, arg)| match arg {
                Arg::Plain(value) => value.clone(),
                Arg::Message { key, choices } => tf(lang, key, &[("choices", choices)]),
            })
            .collect();
        let args: Vec<(&str, &dyn fmt::Display)> = self
            .args
            .iter()
            .zip(&values)
            .map(|((name, _), value)| (*name, value as &dyn fmt::Display))
            .collect();
        tf(lang, &key, &args)
    }
}

/// An error returned by a JSON API handler, rendered as
/// `{"error": {"code": "...", "message": "..."}}`.
#[derive(Debug)]
pub(crate) enum ApiError {
    /// A query parameter or body value is invalid; the message names it.
    BadRequest {
        code: &'static str,
        message: Text,
    },
    NotFound,
    /// A named resource does not exist; the message names it and where to find the valid ones.
    Missing {
        code: &'static str,
        message: Text,
    },
    /// The request is valid but the resource's state does not allow it.
    Conflict {
        code: &'static str,
        message: Text,
    },
    /// The caller is signed in but may not see what was asked for.
    Forbidden,
    /// A part of the service is not available, such as an unloaded knowledge base.
    Unavailable {
        code: &'static str,
        message: Text,
    },
    /// An internal failure; logged here, and the body stays generic.
    Internal(cityai_store::StoreError),
}

impl ApiError {
    /// Returns the error for a query string that did not parse, with the parser's words as
    /// `detail`.
    pub(crate) fn invalid_query(detail: impl fmt::Display) -> Self {
        ApiError::BadRequest {
            code: "invalid_query",
            message: Text::new("invalid_query").arg("detail", detail),
        }
    }

    /// Rejects a JSON body that did not parse, with the catalogue message `key` and the
    /// parser's own words as its `{detail}`. A body sent without the JSON content type gets
    /// a message that names the missing header instead.
    pub(crate) fn invalid_body(rejection: &JsonRejection, key: &'static str) -> Self {
        let message = if matches!(rejection, JsonRejection::MissingJsonContentType(_)) {
            Text::new("missing_content_type")
        } else {
            Text::new(key).arg("detail", rejection.body_text())
        };
        ApiError::BadRequest {
            code: "invalid_body",
            message,
        }
    }

    /// Reads the whole number `value` of parameter `name`, `default` when it is absent, and
    /// rejects text that is not a number from `min` to `max` with a message naming both.
    pub(crate) fn whole_number(
        name: &'static str,
        value: Option<&str>,
        default: usize,
        (min, max): (usize, usize),
    ) -> Result<usize, Self> {
        let Some(value) = value.map(str::trim) else {
            return Ok(default);
        };
        value
            .parse::<usize>()
            .ok()
            .filter(|number| (min..=max).contains(number))
            .ok_or_else(|| ApiError::BadRequest {
                code: "invalid_parameter",
                message: Text::new("invalid_range")
                    .arg("value", value)
                    .arg("name", name)
                    .arg("min", min)
                    .arg("max", max),
            })
    }

    /// Renders the error in `lang`, for handlers whose body names the language. The
    /// [`localize`] middleware leaves such a response as it is.
    pub(crate) fn into_response_in(self, lang: Lang) -> Response {
        let (status, code, message) = self.parts();
        let body = json!({"error": {"code": code, "message": message.render(lang)}});
        let mut response = (status, Json(body)).into_response();
        response
            .headers_mut()
            .insert(CONTENT_LANGUAGE, HeaderValue::from_static(lang.tag()));
        response
    }

    /// Returns the status, the code and the message.
    fn parts(self) -> (StatusCode, &'static str, Text) {
        match self {
            ApiError::BadRequest { code, message } => (StatusCode::BAD_REQUEST, code, message),
            ApiError::NotFound => (StatusCode::NOT_FOUND, "not_found", Text::new("not_found")),
            ApiError::Missing { code, message } => (StatusCode::NOT_FOUND, code, message),
            ApiError::Conflict { code, message } => (StatusCode::CONFLICT, code, message),
            ApiError::Forbidden => (StatusCode::FORBIDDEN, "forbidden", Text::new("forbidden")),
            ApiError::Unavailable { code, message } => {
                (StatusCode::SERVICE_UNAVAILABLE, code, message)
            }
            ApiError::Internal(err) => {
                tracing::error!(error = %err, source = ?std::error::Error::source(&err), "request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    Text::new("internal"),
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message) = self.parts();
        json_error(status, code, message)
    }
}

/// The code and message of a JSON error response, kept so that [`localize`] can render the
/// message again in the caller's language.
#[derive(Debug, Clone)]
struct ErrorMessage {
    code: &'static str,
    message: Text,
}

/// Returns a JSON error response with the message in English, marked for [`localize`].
pub(crate) fn json_error(status: StatusCode, code: &'static str, message: Text) -> Response {
    let body = json!({"error": {"code": code, "message": message.render(Lang::En)}});
    let mut response = (status, Json(body)).into_response();
    response
        .headers_mut()
        .insert(CONTENT_LANGUAGE, HeaderValue::from_static("en"));
    response
        .extensions_mut()
        .insert(ErrorMessage { code, message });
    response
}

/// Renders the message of a JSON error response in the caller's language: `?lang=`, then
/// the console's language cookie, then `Accept-Language`, then the server's default.
pub(crate) async fn localize(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    // Keep only what choosing the language needs; the values share the request's buffers.
    let query_lang = request
        .uri()
        .query()
        .and_then(|query| query.split('&').find_map(|pair| pair.strip_prefix("lang=")))
        .map(str::to_owned);
    let accept = request.headers().get(ACCEPT_LANGUAGE).cloned();
    let cookie = request.headers().get(COOKIE).cloned();

    let mut response = next.run(request).await;
    let Some(error) = response.extensions_mut().remove::<ErrorMessage>() else {
        return response;
    };
    let mut headers = HeaderMap::new();
    if let Some(accept) = accept {
        headers.insert(ACCEPT_LANGUAGE, accept);
    }
    if let Some(cookie) = cookie {
        headers.insert(COOKIE, cookie);
    }
    let (lang, _) = negotiate(query_lang.as_deref(), &headers, state.default_lang);
    if lang == Lang::En {
        return response;
    }
    let body = json!({"error": {"code": error.code, "message": error.message.render(lang)}});
    *response.body_mut() = Body::from(body.to_string());
    response.headers_mut().remove(CONTENT_LENGTH);
    response
        .headers_mut()
        .insert(CONTENT_LANGUAGE, HeaderValue::from_static(lang.tag()));
    response
}

impl From<cityai_store::StoreError> for ApiError {
    fn from(err: cityai_store::StoreError) -> Self {
        ApiError::Internal(err)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use cityai_core::i18n::Messages;

    use super::*;

    /// Returns every key given to `Text::new` in this crate's sources.
    fn keys_in_sources() -> BTreeSet<String> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut keys = BTreeSet::new();
        let mut files = vec![dir];
        while let Some(path) = files.pop() {
            if path.is_dir() {
                for entry in std::fs::read_dir(&path).unwrap() {
                    files.push(entry.unwrap().path());
                }
                continue;
            }
            if path.extension().is_none_or(|ext| ext != "rs") {
                continue;
            }
            let source = std::fs::read_to_string(&path).unwrap();
            for (start, _) in source.match_indices("Text::new(\"") {
                let rest = &source[start + "Text::new(\"".len()..];
                keys.insert(rest[..rest.find('"').unwrap()].to_owned());
            }
        }
        keys
    }

    #[test]
    fn every_error_message_is_in_both_catalogues() {
        let keys = keys_in_sources();
        assert!(keys.len() > 40, "found only {keys:?}");
        let messages = Messages::global();
        for lang in Lang::ALL {
            let catalogue: BTreeSet<&str> = messages.keys(lang).collect();
            let missing: Vec<_> = keys
                .iter()
                .filter(|key| !catalogue.contains(format!("api_error.{key}").as_str()))
                .collect();
            assert!(missing.is_empty(), "missing from {lang}: {missing:?}");
        }
    }

    #[test]
    fn messages_render_in_either_language() {
        let text = Text::new("request_not_found").arg("id", 42);
        assert_eq!(
            text.render(Lang::En),
            "request 42 not found: list the requests you may see with GET /api/v1/requests"
        );
        assert_eq!(
            text.render(Lang::ZhCn),
            "未找到诉求 42：可用 GET /api/v1/requests 列出您能查看的诉求"
        );
        let hinted = Text::new("invalid_parameter")
            .arg("value", "x")
            .arg("name", "size")
            .message("reason", "requests.expect_size", 500);
        assert_eq!(
            hinted.render(Lang::En),
            "invalid value \"x\" for parameter size: the page size must be a whole number from 1 to 500"
        );
        assert!(hinted.render(Lang::ZhCn).contains("500"));
    }
}
