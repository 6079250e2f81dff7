//! The reception assistant (智能接待): `POST /api/v1/reception`, the public chat page
//! `GET /reception` and its form `POST /reception`.
//!
//! Each message is read by the rules, or by the LLM when one is configured, and the
//! dialogue in `cityai_services::reception` decides the next action. This module performs
//! it with facts from the store and the knowledge base only: answers are quoted passages or
//! a grounded LLM answer, statuses come from the stored request, and a confirmed complaint
//! goes through the shared intake path. Message text is never logged.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Form, RequestExt};
use cityai_core::i18n::{t, tf};
use cityai_core::{Channel, Lang};
use cityai_services::intake::Submission;
use cityai_services::reception::{
    self as dialogue, Action, Contact, DialogueState, Draft, Phase, Slot, StatusRef,
};
use maud::{Markup, html};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::AppState;
use crate::auth::{CSRF_FIELD, LOGIN_CSRF_COOKIE, append_cookie, client_ip, cookie, cookie_header};
use crate::error::{ApiError, Text, json_error};
use crate::lang::{negotiate, set_cookie};
use crate::layout::{other, page};

/// The longest message the assistant reads, in characters.
pub const MAX_MESSAGE_CHARS: usize = 2_000;

/// The most exchanges one conversation may hold.
pub const MAX_EXCHANGES: usize = 100;

/// The longest passage quoted when no answer sentence matched, in characters.
const PASSAGE_CHARS: usize = 300;

/// The content producer named in the AIGC metadata of the assistant's replies.
const PRODUCER: &str = "CityAI reception assistant";

/// Counts messages per client address in a sliding window, so that one client cannot flood
/// the public assistant.
#[derive(Debug, Default)]
pub struct MessageLimiter {
    recent: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl MessageLimiter {
    /// The window over which messages count.
    pub const WINDOW: Duration = Duration::from_secs(60);
    /// Messages allowed per client address in the window.
    pub const PER_ADDRESS: usize = 30;
    /// Addresses kept before idle ones are dropped, to bound memory.
    const MAX_KEYS: usize = 10_000;

    /// Counts a message from `address`, or returns how long to wait when it is one too many.
    pub fn admit(&self, address: &str) -> Result<(), Duration> {
        let now = Instant::now();
        let mut recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        if recent.len() >= Self::MAX_KEYS {
            recent.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) <= Self::WINDOW)
            });
        }
        let times = recent.entry(address.to_owned()).or_default();
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) > Self::WINDOW)
        {
            times.pop_front();
        }
        if times.len() >= Self::PER_ADDRESS {
            let oldest = times.front().copied().unwrap_or(now);
            return Err(Self::WINDOW.saturating_sub(now.duration_since(oldest)));
        }
        times.push_back(now);
        Ok(())
    }
}

/// The body of `POST /api/v1/reception`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChatBody {
    /// The id of a conversation this client started; absent to start one.
    conversation: Option<String>,
    message: String,
    /// `zh-CN` (the default) or `en`.
    lang: Option<String>,
}

/// The assistant's reply to one message.
#[derive(Debug, Serialize)]
pub(crate) struct ChatReply {
    conversation: String,
    reply: String,
    intent: &'static str,
    /// The dialogue phase after the message: `idle`, `collecting`, `confirming`, `submitted`.
    state: &'static str,
    /// The details the complaint in progress still lacks.
    missing: Vec<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<Summary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    request: Option<RequestRef>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    citations: Vec<Citation>,
    /// The assistant offered a person to talk to and recorded it for staff.
    handoff: bool,
    ai_generated: bool,
    #[serde(rename = "AIGC")]
    aigc: cityai_llm::AigcMetadata,
}

/// The complaint as it will be submitted, the phone masked.
#[derive(Debug, Serialize)]
pub(crate) struct Summary {
    what: Option<String>,
    place: Option<String>,
    time: Option<String>,
    contact: Option<String>,
}

/// The request a conversation created.
#[derive(Debug, Serialize)]
pub(crate) struct RequestRef {
    id: i64,
    token: Option<String>,
}

/// A knowledge source an answer quotes.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Citation {
    number: usize,
    source_id: String,
    title: Option<String>,
}

/// Reads one message and returns the assistant's reply.
pub(crate) async fn chat_api(
    State(state): State<AppState>,
    request: Request,
) -> Result<Response, ApiError> {
    let address = client_ip(request.extensions());
    if let Err(wait) = state.reception_limiter.admit(&address) {
        return Ok(too_many(wait));
    }
    let body: Result<Json<ChatBody>, JsonRejection> = request.extract().await;
    let Json(body) =
        body.map_err(|rejection| ApiError::invalid_body(&rejection, "invalid_body"))?;
    let lang = match body.lang.as_deref() {
        None => state.default_lang,
        Some(tag) => tag.parse().map_err(|_| ApiError::BadRequest {
            code: "invalid_lang",
            message: Text::new("invalid_lang").arg("value", tag),
        })?,
    };
    // From here on, errors use the language that the body names.
    match converse(&state, body.conversation.as_deref(), &body.message, lang).await {
        Ok(reply) => Ok(Json(reply).into_response()),
        Err(err) => Ok(err.into_response_in(lang)),
    }
}

fn too_many(wait: Duration) -> Response {
    let mut response = json_error(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        Text::new("rate_limited")
            .arg("max", MessageLimiter::PER_ADDRESS)
            .arg("seconds", wait.as_secs().max(1)),
    );
    if let Ok(value) = HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// Returns why the AI register switched the assistant off, or `None` while it may run.
async fn assistant_closed(state: &AppState) -> Result<Option<cityai_store::GateClosed>, ApiError> {
    use cityai_services::register::{RECEPTION, feature_gate};

    feature_gate(&state.store, RECEPTION)
        .await
        .map_err(crate::register_api::service_error)
}

/// Runs one exchange of conversation `conversation` (a new one when `None`).
///
/// While the AI register switches the assistant off, nothing is read or stored and the
/// caller gets `503` with the reason and the other channels.
async fn converse(
    state: &AppState,
    conversation: Option<&str>,
    message: &str,
    lang: Lang,
) -> Result<ChatReply, ApiError> {
    if let Some(reason) = assistant_closed(state).await? {
        return Err(ApiError::Unavailable {
            code: "assistant_unavailable",
            message: Text::new("assistant_unavailable").arg("reason", reason),
        });
    }
    let message = message.trim();
    if message.is_empty() {
        return Err(ApiError::BadRequest {
            code: "empty_message",
            message: Text::new("empty_message"),
        });
    }
    let chars = message.chars().count();
    if chars > MAX_MESSAGE_CHARS {
        return Err(ApiError::BadRequest {
            code: "message_too_long",
            message: Text::new("message_too_long")
                .arg("chars", chars)
                .arg("max", MAX_MESSAGE_CHARS),
        });
    }

    // Load the conversation, or start one with an unguessable id.
    let (id, mut dialogue) = load_conversation(state, conversation, lang).await?;

    // Read the message: the rules always, the LLM on top when configured.
    let today = chrono::Utc::now()
        .with_timezone(&state.city_offset)
        .date_naive();
    let rules = dialogue::rules::understand(message, &dialogue, today);
    let understanding = match state.llm.as_deref() {
        Some(client) => {
            match dialogue::llm::understand(client, message, &dialogue, lang, &rules).await {
                Ok(reading) => reading,
                Err(err) => {
                    tracing::warn!(error = %err, "the LLM's reading failed; using the rules");
                    rules
                }
            }
        }
        None => rules,
    };

    // Decide and act.
    let action = dialogue::decide(&mut dialogue, &understanding);
    let mut outcome = Outcome::default();
    perform(
        state,
        &id,
        &mut dialogue,
        &action,
        message,
        lang,
        &mut outcome,
    )
    .await?;
    if action.interrupts_complaint() {
        match dialogue.phase {
            Phase::Collecting => {
                if let Some(slot) = dialogue.asked {
                    outcome.lines.push(t(lang, "reception.resume").to_owned());
                    outcome.lines.push(ask(lang, slot));
                }
            }
            Phase::Confirming => {
                outcome.lines.push(t(lang, "reception.resume").to_owned());
                outcome.lines.push(summary_text(lang, &dialogue.draft));
            }
            Phase::Idle | Phase::Submitted => {}
        }
    }
    let reply = outcome.lines.join("\n");

    // Store the exchange; the store masks both texts and the readable state.
    let state_json = serde_json::to_value(&dialogue).unwrap_or_default();
    let keep_restricted = matches!(dialogue.phase, Phase::Collecting | Phase::Confirming);
    state
        .store
        .record_reception_exchange(&cityai_store::ReceptionExchange {
            conversation_id: &id,
            lang: lang.tag(),
            message,
            intent: understanding.intent.as_str(),
            reply: &reply,
            phase: dialogue.phase.as_str(),
            state: &state_json,
            keep_restricted_state: keep_restricted,
            request_id: outcome.request.as_ref().map(|r| r.id),
            handoff: outcome.handoff,
        })
        .await?;
    tracing::debug!(
        intent = understanding.intent.as_str(),
        reader = understanding.reader,
        phase = dialogue.phase.as_str(),
        "reception message handled"
    );

    let in_complaint = matches!(dialogue.phase, Phase::Collecting | Phase::Confirming);
    Ok(ChatReply {
        conversation: id,
        aigc: cityai_llm::AigcMetadata::for_generated_text(PRODUCER, &reply),
        reply,
        intent: understanding.intent.as_str(),
        state: dialogue.phase.as_str(),
        missing: if in_complaint {
            dialogue
                .draft
                .missing()
                .into_iter()
                .map(Slot::as_str)
                .collect()
        } else {
            Vec::new()
        },
        summary: (dialogue.phase == Phase::Confirming).then(|| summary(&dialogue.draft)),
        request: outcome.request,
        citations: outcome.citations,
        handoff: outcome.handoff,
        ai_generated: true,
    })
}

async fn load_conversation(
    state: &AppState,
    conversation: Option<&str>,
    lang: Lang,
) -> Result<(String, DialogueState), ApiError> {
    let Some(id) = conversation else {
        let id = hex_id();
        state
            .store
            .create_reception_conversation(&id, lang.tag())
            .await?;
        return Ok((id, DialogueState::default()));
    };
    if id.len() != 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ApiError::BadRequest {
            code: "invalid_conversation",
            message: Text::new("invalid_conversation").arg("value", id),
        });
    }
    let stored = state
        .store
        .reception_conversation(id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let turns = state.store.reception_turns(id).await?;
    if turns.len() / 2 >= MAX_EXCHANGES {
        return Err(ApiError::Conflict {
            code: "conversation_full",
            message: Text::new("conversation_full").arg("max", MAX_EXCHANGES),
        });
    }
    let dialogue = stored
        .restricted_state
        .as_ref()
        .unwrap_or(&stored.state)
        .clone();
    let dialogue = serde_json::from_value(dialogue).unwrap_or_default();
    Ok((id.to_owned(), dialogue))
}

fn hex_id() -> String {
    cityai_services::auth::random_token()[..32].to_owned()
}

#[derive(Debug, Default)]
struct Outcome {
    lines: Vec<String>,
    citations: Vec<Citation>,
    request: Option<RequestRef>,
    handoff: bool,
}

async fn perform(
    state: &AppState,
    conversation: &str,
    dialogue: &mut DialogueState,
    action: &Action,
    message: &str,
    lang: Lang,
    outcome: &mut Outcome,
) -> Result<(), ApiError> {
    let line = |key: &str| t(lang, key).to_owned();
    match action {
        Action::Ask(slot) => outcome.lines.push(ask(lang, *slot)),
        Action::Confirm => outcome.lines.push(summary_text(lang, &dialogue.draft)),
        Action::Submit => {
            let receipt = submit(state, conversation, &dialogue.draft, lang).await?;
            dialogue::mark_submitted(dialogue, receipt.id);
            outcome.lines.push(match &receipt.token {
                Some(token) => tf(
                    lang,
                    "reception.submitted",
                    &[("id", &receipt.id), ("token", token)],
                ),
                None => tf(lang, "reception.submitted_no_token", &[("id", &receipt.id)]),
            });
            outcome.request = Some(RequestRef {
                id: receipt.id,
                token: receipt.token,
            });
        }
        Action::Answer => answer(state, message, lang, outcome).await,
        Action::Status(reference) => {
            outcome
                .lines
                .push(status_line(state, reference, lang).await?);
        }
        Action::AskStatusRef => outcome.lines.push(line("reception.ask_status_ref")),
        Action::Cancelled(true) => outcome.lines.push(line("reception.cancelled")),
        Action::Cancelled(false) => outcome.lines.push(line("reception.nothing_to_cancel")),
        Action::Handoff => {
            outcome.handoff = true;
            outcome.lines.push(tf(
                lang,
                "reception.handoff",
                &[("hotline", &t(lang, "reception.hotline"))],
            ));
        }
        Action::Greet => outcome.lines.push(line("reception.greeting")),
        Action::NotUnderstood => outcome.lines.push(line("reception.not_understood")),
        Action::AlreadySubmitted(id) => {
            outcome
                .lines
                .push(tf(lang, "reception.already_submitted", &[("id", id)]))
        }
    }
    Ok(())
}

fn ask(lang: Lang, slot: Slot) -> String {
    t(lang, &format!("reception.ask_{}", slot.as_str())).to_owned()
}

async fn submit(
    state: &AppState,
    conversation: &str,
    draft: &Draft,
    lang: Lang,
) -> Result<cityai_services::intake::Receipt, ApiError> {
    let labels = [
        t(lang, "reception.label_place"),
        t(lang, "reception.label_time"),
        t(lang, "reception.label_phone"),
        t(lang, "reception.no_contact"),
    ];
    let what = draft.what.clone().unwrap_or_default();
    let title: String = what.chars().take(40).collect();
    let submission = Submission {
        channel: Channel::Reception,
        title: Some(title),
        body: dialogue::request_body(draft, labels),
        citizen_ref: None,
        place_text: draft.place.clone(),
        latitude: None,
        longitude: None,
        // Confirming twice returns the stored request instead of a second copy.
        external_id: Some(format!("reception:{conversation}")),
        requested_category: None,
    };
    crate::intake_api::take_in(state, submission).await
}

/// Answers a question from the knowledge base: the LLM's grounded answer when it gave one,
/// else the quoted sentences, else the offer of a person.
async fn answer(state: &AppState, message: &str, lang: Lang, outcome: &mut Outcome) {
    let Some(index) = state.knowledge.clone() else {
        outcome.lines.push(tf(
            lang,
            "reception.no_knowledge",
            &[("hotline", &t(lang, "reception.hotline"))],
        ));
        return;
    };
    // Only masked text leaves for the search and the LLM.
    let question = dialogue::mask(message);
    let options = cityai_services::knowledge::AskOptions {
        limit: 3,
        kinds: vec![
            cityai_knowledge::SourceKind::Faq,
            cityai_knowledge::SourceKind::Policy,
            cityai_knowledge::SourceKind::Document,
        ],
        general_only: true,
        valid_only: true,
        ..Default::default()
    };
    let result = cityai_services::knowledge::ask_gated(
        &state.store,
        &index,
        &question,
        &options,
        state.llm.as_deref(),
        lang,
    )
    .await;
    let result = match result {
        Ok(result) => result,
        Err(err) => {
            tracing::error!(error = %err, "reception knowledge search failed");
            outcome.lines.push(tf(
                lang,
                "reception.no_answer",
                &[("hotline", &t(lang, "reception.hotline"))],
            ));
            return;
        }
    };
    let source_title = |source_id: &str| {
        result
            .results
            .hits
            .iter()
            .find(|hit| hit.chunk.source.id == source_id)
            .and_then(|hit| hit.chunk.source.title.clone())
    };
    let mut cite = |source_id: &str| -> usize {
        if let Some(existing) = outcome.citations.iter().find(|c| c.source_id == source_id) {
            return existing.number;
        }
        let number = outcome.citations.len() + 1;
        outcome.citations.push(Citation {
            number,
            source_id: source_id.to_owned(),
            title: source_title(source_id),
        });
        number
    };

    if let Some(generated) = result.generated.as_ref().filter(|g| !g.refused) {
        for source_id in &generated.cited_sources {
            cite(source_id);
        }
        let text = generated.answer.text.clone();
        outcome.lines.push(text);
        return;
    }
    match &result.extractive {
        cityai_knowledge::AnswerOutcome::Answer(extract) => {
            // A quoted question (the heading of an FAQ entry) answers nothing, so quote the
            // passage of the best hit when only questions matched.
            let mut text = String::new();
            let is_question = |s: &str| s.ends_with('？') || s.ends_with('?');
            for sentence in extract.sentences.iter().filter(|s| !is_question(&s.text)) {
                let number = cite(&sentence.source_id);
                if !text.is_empty() {
                    text.push(' ');
                }
                text.push_str(&format!("{} [{number}]", sentence.text));
            }
            if text.is_empty()
                && let Some(hit) = result.results.hits.first()
            {
                let number = cite(&hit.chunk.source.id);
                let passage: String = hit
                    .chunk
                    .text
                    .lines()
                    .filter(|line| !is_question(line.trim()))
                    .collect::<Vec<_>>()
                    .join(" ");
                let passage: String = passage.chars().take(PASSAGE_CHARS).collect();
                text = format!("{} [{number}]", passage.trim());
            }
            outcome
                .lines
                .push(t(lang, "reception.answer_intro").to_owned());
            outcome.lines.push(text);
            let sources: Vec<String> = outcome
                .citations
                .iter()
                .map(|c| {
                    format!(
                        "[{}] {}",
                        c.number,
                        c.title.as_deref().unwrap_or(&c.source_id)
                    )
                })
                .collect();
            outcome.lines.push(tf(
                lang,
                "reception.sources",
                &[("sources", &sources.join("; "))],
            ));
        }
        cityai_knowledge::AnswerOutcome::NoAnswer { .. } => outcome.lines.push(tf(
            lang,
            "reception.no_answer",
            &[("hotline", &t(lang, "reception.hotline"))],
        )),
    }
}

async fn status_line(
    state: &AppState,
    reference: &StatusRef,
    lang: Lang,
) -> Result<String, ApiError> {
    let request = match reference {
        StatusRef::Id(id) => state.store.request(*id).await?,
        StatusRef::Token(token) => state.store.request_by_token(token).await?,
    };
    let Some(request) = request else {
        return Ok(t(lang, "reception.status_not_found").to_owned());
    };
    let department = match &request.department {
        Some(code) => state
            .store
            .departments()
            .await?
            .into_iter()
            .find(|d| &d.code == code)
            .map_or_else(|| code.clone(), |d| d.name),
        None => t(lang, "reception.pending").to_owned(),
    };
    let category = request.category.as_ref().map_or_else(
        || t(lang, "reception.pending").to_owned(),
        ToString::to_string,
    );
    Ok(tf(
        lang,
        "reception.status",
        &[
            ("id", &request.id),
            (
                "status",
                &t(lang, &format!("status.{}", request.status.as_str())),
            ),
            ("category", &category),
            ("department", &department),
        ],
    ))
}

fn summary(draft: &Draft) -> Summary {
    Summary {
        what: draft.what.clone(),
        place: draft.place.clone(),
        time: draft.time.clone(),
        contact: draft.contact.as_ref().map(|contact| match contact {
            Contact::Phone(phone) => dialogue::mask(phone),
            Contact::NotWanted => "none".to_owned(),
        }),
    }
}

fn summary_text(lang: Lang, draft: &Draft) -> String {
    let none = t(lang, "reception.none");
    let contact = match &draft.contact {
        Some(Contact::Phone(phone)) => dialogue::mask(phone),
        Some(Contact::NotWanted) => t(lang, "reception.no_contact").to_owned(),
        None => none.to_owned(),
    };
    tf(
        lang,
        "reception.summary",
        &[
            ("what", &draft.what.as_deref().unwrap_or(none)),
            ("place", &draft.place.as_deref().unwrap_or(none)),
            ("time", &draft.time.as_deref().unwrap_or(none)),
            ("contact", &contact),
        ],
    )
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct PageQuery {
    lang: Option<String>,
}

/// The chat form's fields.
#[derive(Debug, Deserialize)]
pub(crate) struct ChatForm {
    #[serde(default)]
    conversation: Option<String>,
    #[serde(default)]
    message: String,
    #[serde(default)]
    lang: Option<String>,
}

/// Renders an empty chat.
pub(crate) async fn page_view(
    State(state): State<AppState>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
) -> Response {
    let (lang, lang_cookie) = negotiate(query.lang.as_deref(), &headers, state.default_lang);
    let csrf = csrf_value(&headers);
    let closed = match assistant_closed(&state).await {
        Ok(closed) => closed,
        Err(err) => return err.into_response(),
    };
    if let Some(reason) = closed {
        let mut response = unavailable_page(lang, &reason);
        set_cookie(response.headers_mut(), lang_cookie);
        return response;
    }
    let mut response = (
        StatusCode::OK,
        chat_page(lang, &csrf, None, &[], None, None),
    )
        .into_response();
    set_cookie(response.headers_mut(), lang_cookie);
    append_cookie(
        &mut response,
        cookie_header(&state, &headers, LOGIN_CSRF_COOKIE, &csrf, None),
    );
    response
}

/// Takes a message from the chat form and renders the conversation with the reply.
///
/// The access middleware has already checked the form's CSRF token against the
/// `cityai_csrf` cookie.
pub(crate) async fn page_post(State(state): State<AppState>, request: Request) -> Response {
    let address = client_ip(request.extensions());
    let headers = request.headers().clone();
    let csrf = csrf_value(&headers);
    let (negotiated, _) = negotiate(None, &headers, state.default_lang);
    let form = match request.extract::<Form<ChatForm>, _>().await {
        Ok(Form(form)) => form,
        Err(_) => {
            let body = chat_page(
                negotiated,
                &csrf,
                None,
                &[],
                None,
                Some(t(negotiated, "reception.form_invalid")),
            );
            return (StatusCode::BAD_REQUEST, body).into_response();
        }
    };
    let lang = form
        .lang
        .as_deref()
        .and_then(|tag| tag.parse().ok())
        .unwrap_or(negotiated);
    let conversation = form.conversation.as_deref().filter(|c| !c.is_empty());
    let render =
        |conversation: Option<&str>,
         turns: &[cityai_store::ReceptionTurn],
         reply: Option<&ChatReply>,
         error: Option<&str>| { chat_page(lang, &csrf, conversation, turns, reply, error) };
    if let Err(wait) = state.reception_limiter.admit(&address) {
        let message = tf(
            lang,
            "reception.rate_limited",
            &[("seconds", &wait.as_secs().max(1))],
        );
        return (
            StatusCode::TOO_MANY_REQUESTS,
            render(conversation, &[], None, Some(&message)),
        )
            .into_response();
    }
    match converse(&state, conversation, &form.message, lang).await {
        Ok(reply) => {
            let turns = state
                .store
                .reception_turns(&reply.conversation)
                .await
                .unwrap_or_else(|err| {
                    tracing::error!(error = %err, "reading reception turns failed");
                    Vec::new()
                });
            (
                StatusCode::OK,
                render(Some(&reply.conversation), &turns, Some(&reply), None),
            )
                .into_response()
        }
        Err(ApiError::Unavailable {
            code: "assistant_unavailable",
            ..
        }) => match assistant_closed(&state).await {
            Ok(Some(reason)) => unavailable_page(lang, &reason),
            // The approval came back between the two reads: ask the citizen to send again.
            Ok(None) => (
                StatusCode::SERVICE_UNAVAILABLE,
                render(conversation, &[], None, Some(t(lang, "error.internal"))),
            )
                .into_response(),
            Err(err) => err.into_response(),
        },
        Err(err) => {
            let (status, key) = match &err {
                ApiError::BadRequest {
                    code: "empty_message",
                    ..
                } => (StatusCode::BAD_REQUEST, "reception.empty"),
                ApiError::BadRequest {
                    code: "message_too_long",
                    ..
                } => (StatusCode::BAD_REQUEST, "reception.too_long"),
                ApiError::BadRequest { .. } | ApiError::NotFound | ApiError::Conflict { .. } => {
                    (StatusCode::BAD_REQUEST, "reception.conversation_gone")
                }
                _ => (StatusCode::SERVICE_UNAVAILABLE, "error.internal"),
            };
            if let ApiError::Internal(store_err) = &err {
                tracing::error!(error = %store_err, "reception message failed");
            }
            let turns = match conversation {
                Some(id)
                    if status == StatusCode::BAD_REQUEST
                        && key != "reception.conversation_gone" =>
                {
                    state.store.reception_turns(id).await.unwrap_or_default()
                }
                _ => Vec::new(),
            };
            let keep = (key != "reception.conversation_gone")
                .then_some(conversation)
                .flatten();
            let message = tf(lang, key, &[("max", &MAX_MESSAGE_CHARS)]);
            (status, render(keep, &turns, None, Some(&message))).into_response()
        }
    }
}

/// Renders the notice shown instead of the chat while the AI register switches the
/// assistant off: the reason, and the hotline.
fn unavailable_page(lang: Lang, reason: &cityai_store::GateClosed) -> Response {
    let heading = t(lang, "reception.heading");
    let switch_href = format!("/reception?lang={}", other(lang).tag());
    let message = tf(
        lang,
        "register.gate.reception_off",
        &[
            ("reason", &crate::register_view::gate_reason(lang, reason)),
            ("hotline", &t(lang, "reception.hotline")),
        ],
    );
    let content = html! {
        h1 { (heading) }
        p.error #assistant-unavailable role="alert" { (message) }
    };
    (
        StatusCode::SERVICE_UNAVAILABLE,
        page(lang, heading, &switch_href, None, content),
    )
        .into_response()
}

fn csrf_value(headers: &HeaderMap) -> String {
    cookie(headers, LOGIN_CSRF_COOKIE)
        .filter(|value| value.len() == 64)
        .map_or_else(cityai_services::auth::random_token, str::to_owned)
}

fn chat_page(
    lang: Lang,
    csrf: &str,
    conversation: Option<&str>,
    turns: &[cityai_store::ReceptionTurn],
    reply: Option<&ChatReply>,
    error: Option<&str>,
) -> Markup {
    let heading = t(lang, "reception.heading");
    let switch_href = format!("/reception?lang={}", other(lang).tag());
    page(
        lang,
        heading,
        &switch_href,
        None,
        html! {
            h1 { (heading) }
            p.ai-label role="note" { (t(lang, "reception.ai_notice")) }
            p { (t(lang, "reception.intro")) }
            section.chat aria-labelledby="chat-heading" {
                h2 #chat-heading .visually-hidden { (t(lang, "reception.transcript")) }
                ol.transcript aria-live="polite" {
                    @if turns.is_empty() {
                        li.turn.assistant {
                            span.speaker { (t(lang, "reception.speaker_assistant")) }
                            p { (t(lang, "reception.greeting")) }
                        }
                    }
                    @for turn in turns {
                        @let assistant = turn.speaker == "assistant";
                        li.turn.assistant[assistant].citizen[!assistant] {
                            span.speaker {
                                @if assistant { (t(lang, "reception.speaker_assistant")) }
                                @else { (t(lang, "reception.speaker_citizen")) }
                            }
                            @for paragraph in turn.text.lines() {
                                p { (paragraph) }
                            }
                        }
                    }
                }
                @if let Some(reply) = reply {
                    @if let Some(request) = &reply.request {
                        p.notice role="status" {
                            (tf(lang, "reception.request_created", &[("id", &request.id)]))
                            @if let Some(token) = &request.token {
                                " " code { (token) }
                            }
                        }
                    }
                    @if !reply.citations.is_empty() {
                        h3 { (t(lang, "reception.citations")) }
                        ol.citations {
                            @for citation in &reply.citations {
                                li { (citation.title.as_deref().unwrap_or(&citation.source_id)) " (" (citation.source_id) ")" }
                            }
                        }
                    }
                }
                @if let Some(error) = error {
                    p.error role="alert" { (error) }
                }
                form.chat-form method="post" action="/reception" {
                    input type="hidden" name=(CSRF_FIELD) value=(csrf);
                    input type="hidden" name="lang" value=(lang.tag());
                    @if let Some(conversation) = conversation {
                        input type="hidden" name="conversation" value=(conversation);
                    }
                    label for="reception-message" { (t(lang, "reception.message_label")) }
                    textarea #reception-message name="message" rows="3" maxlength=(MAX_MESSAGE_CHARS) required autofocus {}
                    div.actions {
                        button type="submit" { (t(lang, "reception.send")) }
                        @if conversation.is_some() {
                            a href="/reception" { (t(lang, "reception.new_chat")) }
                        }
                    }
                }
            }
        },
    )
}

/// The most handed-off conversations one call lists.
const HANDOFF_LIST_LIMIT: i64 = 50;

/// Lists the conversations in which the assistant offered a person, newest first, with
/// their turns masked. Conversation ids stay out: they address the citizen's chat.
pub(crate) async fn handoffs(
    State(state): State<AppState>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let conversations = state.store.reception_handoffs(HANDOFF_LIST_LIMIT).await?;
    let mut items = Vec::with_capacity(conversations.len());
    for conversation in conversations {
        let turns = state.store.reception_turns(&conversation.id).await?;
        items.push(json!({
            "handoff_at": conversation.handoff_at,
            "lang": conversation.lang,
            "state": conversation.phase,
            "request_id": conversation.request_id,
            "turns": turns,
        }));
    }
    Ok(Json(json!({ "handoffs": items })))
}

/// Renders the conversation that created a request, for the staff request page.
pub(crate) fn conversation_section(lang: Lang, turns: &[cityai_store::ReceptionTurn]) -> Markup {
    html! {
        section aria-labelledby="reception-heading" {
            h2 #reception-heading { (t(lang, "reception.staff_heading")) }
            p.muted { (t(lang, "reception.staff_note")) }
            ol.transcript {
                @for turn in turns {
                    @let assistant = turn.speaker == "assistant";
                    li.turn.assistant[assistant].citizen[!assistant] {
                        span.speaker {
                            @if assistant { (t(lang, "reception.speaker_assistant")) }
                            @else { (t(lang, "reception.speaker_citizen")) }
                        }
                        @for paragraph in turn.text.lines() {
                            p { (paragraph) }
                        }
                    }
                }
            }
        }
    }
}
