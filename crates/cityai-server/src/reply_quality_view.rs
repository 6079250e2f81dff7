//! The reply quality check in the console and the JSON API: the section of the request
//! page that scores the current draft or the published reply, and
//! `POST /api/v1/replies/quality`, which scores a text a client sends.

use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use chrono::{DateTime, Utc};
use cityai_core::i18n::{t, tf};
use cityai_core::{Lang, Request};
use cityai_services::reply_quality::{QualityReport, ReplyCheck, Verdict, check_reply};
use cityai_store::{DraftStatus, ReplyDraft, ReplyRecord};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::json;

use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, Text};

/// The longest reply text the API checks, in characters: ten times the longest official
/// reply in the teddy2020 message-board data, so a real reply always fits and one request
/// cannot tie up a worker for long.
const MAX_REPLY_CHARS: usize = 50_000;

/// Checks `reply` against the request. The request time is when the citizen submitted it,
/// or when CityAI received it if the source gave no time.
fn check(
    request: &Request,
    reply: &str,
    replied_at: Option<DateTime<Utc>>,
    state: &AppState,
) -> QualityReport {
    check_reply(&ReplyCheck {
        title: request.title.as_deref(),
        body: &request.body,
        submitted_at: Some(request.submitted_at.unwrap_or(request.received_at)),
        reply,
        replied_at,
        city_offset: state.city_offset,
    })
}

/// Checks the text the request page shows: the open draft as if sent now, or else the
/// latest published reply at its own time.
pub(crate) fn page_report(
    request: &Request,
    draft: Option<&ReplyDraft>,
    replies: &[ReplyRecord],
    state: &AppState,
) -> Option<(QualityReport, &'static str)> {
    if let Some(draft) = draft.filter(|d| d.status == DraftStatus::Draft) {
        let report = check(request, &draft.body, Some(Utc::now()), state);
        return Some((report, "reply_quality.of_draft"));
    }
    let reply = replies.last()?;
    let replied_at = reply
        .replied_at
        .as_deref()
        .and_then(cityai_core::time::from_storage);
    Some((
        check(request, &reply.body, replied_at, state),
        "reply_quality.of_reply",
    ))
}

/// Renders the check as a table of dimensions with their scores and reasons.
pub(crate) fn section(lang: Lang, report: &QualityReport, what_key: &str) -> Markup {
    let verdict_key = match report.verdict {
        Verdict::Good => "reply_quality.verdict_good",
        Verdict::Poor => "reply_quality.verdict_poor",
    };
    html! {
        section.reply-quality aria-labelledby="quality-heading" {
            h3 #quality-heading { (t(lang, "reply_quality.heading")) }
            p.muted { (t(lang, what_key)) }
            p {
                span class={"badge quality " (report.verdict.as_str())} { (t(lang, verdict_key)) }
                " " (tf(lang, "reply_quality.overall", &[("overall", &format!("{:.2}", report.overall))]))
                // A good verdict's reason only repeats the overall score.
                @if report.verdict == Verdict::Poor {
                    " · " (report.verdict_reason.render(lang))
                }
            }
            table {
                thead {
                    tr {
                        th { (t(lang, "reply_quality.col_dimension")) }
                        th { (t(lang, "reply_quality.col_score")) }
                        th { (t(lang, "reply_quality.col_reason")) }
                    }
                }
                tbody {
                    @for entry in &report.dimensions {
                        tr.poor[entry.is_poor()] {
                            td { (entry.dimension.label(lang)) }
                            td.num {
                                @match entry.score {
                                    Some(score) => (format!("{score:.2}")),
                                    None => span.muted { (t(lang, "reply_quality.not_scored")) },
                                }
                            }
                            td { (entry.reason_text(lang)) }
                        }
                    }
                }
            }
        }
    }
}

/// The body of `POST /api/v1/replies/quality`.
#[derive(Debug, Deserialize)]
pub(crate) struct QualityBody {
    request_id: i64,
    /// The reply text to check.
    reply: String,
    /// When the reply went out, in RFC 3339; without it the check counts to now.
    replied_at: Option<String>,
    /// The language of the reasons, zh-CN or en; the server's default without it.
    lang: Option<String>,
}

/// Scores a reply text against a request the caller may see.
pub(crate) async fn check_api(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    body: Result<Json<QualityBody>, JsonRejection>,
) -> Result<Json<serde_json::Value>, Response> {
    let Json(body) = body.map_err(|rejection| {
        ApiError::invalid_body(&rejection, "invalid_reply_body").into_response()
    })?;
    let lang = match body.lang.as_deref() {
        Some(tag) => tag.parse::<Lang>().map_err(|_| {
            ApiError::BadRequest {
                code: "invalid_lang",
                message: Text::new("invalid_lang").arg("value", tag),
            }
            .into_response()
        })?,
        None => state.default_lang,
    };
    // From here on, errors use the language that the body names.
    check_in(&state, &principal, &body, lang)
        .await
        .map_err(|err| err.into_response_in(lang))
}

/// Checks the reply of `body` once its language is known.
async fn check_in(
    state: &AppState,
    principal: &Principal,
    body: &QualityBody,
    lang: Lang,
) -> Result<Json<serde_json::Value>, ApiError> {
    let reply = body.reply.trim();
    if reply.is_empty() {
        return Err(ApiError::BadRequest {
            code: "invalid_reply",
            message: Text::new("empty_reply_check"),
        });
    }
    let chars = reply.chars().count();
    if chars > MAX_REPLY_CHARS {
        return Err(ApiError::BadRequest {
            code: "invalid_reply",
            message: Text::new("reply_too_long")
                .arg("chars", chars)
                .arg("max", MAX_REPLY_CHARS),
        });
    }
    let replied_at = match body.replied_at.as_deref() {
        Some(value) => DateTime::parse_from_rfc3339(value)
            .map(|at| at.with_timezone(&Utc))
            .map_err(|_| ApiError::BadRequest {
                code: "invalid_replied_at",
                message: Text::new("invalid_replied_at").arg("value", value),
            })?,
        None => Utc::now(),
    };

    let request = crate::api::visible_request(state, principal, body.request_id).await?;
    let report = check(&request, reply, Some(replied_at), state);
    Ok(Json(json!({
        "request_id": body.request_id,
        "replied_at": cityai_core::time::to_storage(replied_at),
        "lang": lang,
        "quality": report.rendered(lang),
    })))
}
