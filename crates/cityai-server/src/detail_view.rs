//! One request: its text, routing, timeline, duplicates, relevant knowledge, similar past
//! replies, the reply a handler drafts, edits and approves, and the quality check of that
//! reply.

use axum::Extension;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use cityai_core::i18n::{t, tf};
use cityai_core::{Lang, Request, Role};
use cityai_knowledge::SearchHit;
use cityai_store::{DraftStatus, ReplyDraft, ReplyRecord, TimelineEvent};
use maud::{Markup, html};
use serde::Deserialize;

use crate::auth::Principal;
use crate::views::{
    PageLang, RoutingDetails, actor_name, ai_label, csrf_field, error_content, generator_label,
    internal, local_stored_time, percent, routing_evidence, time_element, visible_request,
};
use crate::{AppState, reply_quality_view};

/// Roles that draft, edit and approve replies. Handlers only for their own department.
pub(crate) const REPLY_ROLES: &[Role] = &[Role::Handler, Role::Reviewer];

#[derive(Debug, Default, Deserialize)]
pub(crate) struct DetailParams {
    lang: Option<String>,
    /// The viewer's reason for reading the personal data; when given, the unmasked text is
    /// shown and the view is audited.
    purpose: Option<String>,
    /// A message to show after a reply action: `saved`, `approved` or `drafted`.
    done: Option<String>,
}

/// The reply form: the edited text and which button was pressed.
#[derive(Debug, Deserialize)]
pub(crate) struct ReplyForm {
    draft_id: i64,
    body: String,
    /// `save` or `approve`.
    action: String,
}

fn not_found(page_lang: PageLang, principal: &Principal, id: i64) -> Response {
    let lang = page_lang.lang;
    let heading = t(lang, "error.not_found");
    page_lang.respond(
        StatusCode::NOT_FOUND,
        heading,
        &format!("/requests/{id}"),
        principal,
        error_content(heading, heading),
    )
}

/// Renders the request page.
pub(crate) async fn page_view(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<i64>,
    Query(params): Query<DetailParams>,
    headers: HeaderMap,
) -> Response {
    let page_lang = PageLang::new(&state, params.lang.as_deref(), &headers);
    let lang = page_lang.lang;
    let self_path = format!("/requests/{id}");
    let heading = t(lang, "detail.heading");
    let (request, page_lang) =
        match visible_request(&state, &principal, page_lang, id, heading, &self_path).await {
            Ok(found) => found,
            Err(response) => return response,
        };

    let purpose: Option<String> = params
        .purpose
        .as_deref()
        .map(|p| p.trim().chars().take(200).collect::<String>())
        .filter(|p| !p.is_empty());
    let unmasked = match &purpose {
        Some(purpose) if principal.role().may_view_unmasked() => state
            .store
            .request_unmasked(id, &principal.actor(), purpose)
            .await
            .map_err(|err| tracing::error!(error = %err, request_id = id, "reading the unmasked text failed"))
            .ok(),
        _ => None,
    };

    let store = &state.store;
    let (timeline, links, replies, draft, details, departments, conversation) = tokio::join!(
        store.request_timeline(id),
        store.request_links(id),
        store.request_replies(id),
        store.current_reply_draft(id),
        store.latest_routing_details(id),
        store.departments(),
        reception_turns(store, id),
    );
    let log_err = |what: &str, err: &dyn std::error::Error| {
        tracing::error!(error = %err, request_id = id, "{what} failed");
    };
    let timeline = timeline.unwrap_or_else(|err| {
        log_err("reading the timeline", &err);
        Vec::new()
    });
    let links = links.unwrap_or_else(|err| {
        log_err("reading duplicate links", &err);
        Vec::new()
    });
    let replies = replies.unwrap_or_else(|err| {
        log_err("reading replies", &err);
        Vec::new()
    });
    let draft = draft.unwrap_or_else(|err| {
        log_err("reading the reply draft", &err);
        None
    });
    let details = match details {
        Ok(Some(json)) => Some(RoutingDetails::parse(&json)),
        Ok(None) => None,
        Err(err) => {
            log_err("reading the routing decision", &err);
            None
        }
    };
    let department_name = request.department.as_ref().and_then(|code| {
        departments
            .as_ref()
            .ok()
            .and_then(|list| list.iter().find(|d| &d.code == code))
            .map(|d| d.name.clone())
    });

    let material = match state.knowledge.clone() {
        Some(index) => {
            let for_search = request.clone();
            tokio::task::spawn_blocking(move || {
                cityai_services::replies::material_for(&index, &for_search)
            })
            .await
            .ok()
            .and_then(|result| {
                result
                    .map_err(|err| tracing::error!(error = %err, request_id = id, "knowledge search failed"))
                    .ok()
            })
        }
        None => None,
    };

    let hotspot = state.hotspots.ranked_hotspot_of(id);
    let may_reply = REPLY_ROLES.contains(&principal.role());
    // A replied or closed request gets no new draft.
    let replied = matches!(
        request.status,
        cityai_core::RequestStatus::Replied | cityai_core::RequestStatus::Closed
    );
    let quality = reply_quality_view::page_report(&request, draft.as_ref(), &replies, &state);
    // The reason AI drafting is off, shown with the form so that the handler writes the reply.
    let drafting_off = match state
        .store
        .ai_gate(cityai_services::register::REPLY_DRAFTING)
        .await
    {
        Ok(gate) => gate
            .closed
            .map(|reason| crate::register_view::gate_reason(lang, &reason)),
        Err(err) => {
            log_err("reading the register gate of reply drafting", &err);
            None
        }
    };
    let title = request.display_title(60);
    let content = html! {
        nav.crumbs aria-label=(t(lang, "detail.crumbs")) {
            a href="/requests" { (t(lang, "nav.requests")) } " › #" (id)
        }
        h1 { "#" (id) " " (title) }
        @if let Some(done) = &params.done {
            p.notice role="status" { (t(lang, &format!("detail.done_{}", done_key(done)))) }
        }
        (summary(lang, &request, department_name.as_deref(), &state))
        section aria-labelledby="text-heading" {
            h2 #text-heading { (t(lang, "detail.text")) }
            @match &unmasked {
                Some(original) => {
                    p.notice role="note" { (t(lang, "detail.unmasked_note")) }
                    p.body { (original.body) }
                }
                None => {
                    p.body { (request.body) }
                    @if principal.role().may_view_unmasked() {
                        form.inline method="get" action=(format!("/requests/{id}")) {
                            label {
                                (t(lang, "detail.unmask_purpose"))
                                select name="purpose" required {
                                    option value="" { (t(lang, "detail.purpose_pick")) }
                                    option value="callback" { (t(lang, "detail.purpose_callback")) }
                                    option value="verification" { (t(lang, "detail.purpose_verification")) }
                                    option value="handling" { (t(lang, "detail.purpose_handling")) }
                                }
                            }
                            button type="submit" { (t(lang, "detail.unmask")) }
                        }
                    } @else {
                        p.muted { (t(lang, "detail.masked_note")) }
                    }
                }
            }
        }
        @if let Some(turns) = &conversation {
            (crate::reception::conversation_section(lang, turns))
        }
        @if let Some(details) = &details {
            section aria-labelledby="routing-heading" {
                h2 #routing-heading { (t(lang, "detail.routing")) }
                @if let Some(path) = &details.path {
                    p { (t(lang, "detail.routed_path")) " " strong { (path) } }
                }
                ol.suggestions.readonly {
                    @for ranked in details.top.iter().take(3) {
                        li { strong { (ranked.label) } " " span.prob { (percent(ranked.probability)) } }
                    }
                }
                (routing_evidence(lang, details))
                @if request.status == cityai_core::RequestStatus::Triage {
                    p { a href=(format!("/triage?id={id}")) { (t(lang, "detail.open_triage")) } }
                }
            }
        }
        section aria-labelledby="reply-heading" {
            h2 #reply-heading { (t(lang, "detail.reply")) }
            (replies_list(lang, &replies, &state))
            (draft_section(lang, &principal, id, draft.as_ref(), may_reply && !replied, drafting_off.as_deref()))
            @if let Some((report, what)) = &quality {
                (reply_quality_view::section(lang, report, what))
            }
        }
        section aria-labelledby="duplicates-heading" {
            h2 #duplicates-heading { (t(lang, "detail.duplicates")) }
            @if links.is_empty() {
                p.muted { (t(lang, "detail.no_duplicates")) }
            } @else {
                ul {
                    @for link in &links {
                        @let other = if link.request_id == id { link.other_id } else { link.request_id };
                        li {
                            a href=(format!("/requests/{other}")) { "#" (other) }
                            " · " (t(lang, &format!("detail.link_{}", link_key(&link.reason))))
                        }
                    }
                }
            }
            @if let Some(spot) = &hotspot {
                p {
                    (tf(lang, "detail.in_hotspot", &[("rank", &spot.rank), ("count", &spot.request_ids.len())]))
                    " " strong { (spot.summary) }
                }
            }
            p { a href="/hotspots" { (t(lang, "detail.see_hotspots")) } }
        }
        (knowledge_section(lang, material.as_ref()))
        section aria-labelledby="timeline-heading" {
            h2 #timeline-heading { (t(lang, "detail.timeline")) }
            (timeline_list(lang, &timeline, &state))
        }
    };
    page_lang.respond(StatusCode::OK, &title, &self_path, &principal, content)
}

fn done_key(done: &str) -> &'static str {
    match done {
        "approved" => "approved",
        "drafted" => "drafted",
        _ => "saved",
    }
}

fn link_key(reason: &str) -> &'static str {
    match reason {
        "near_duplicate_wording" => "wording",
        _ => "place",
    }
}

fn summary(lang: Lang, request: &Request, department: Option<&str>, state: &AppState) -> Markup {
    let not_set = t(lang, "requests.not_set");
    html! {
        dl.summary {
            dt { (t(lang, "requests.col_status")) }
            dd { span class={"badge " (request.status.as_str())} { (t(lang, &format!("status.{}", request.status.as_str()))) } }
            dt { (t(lang, "requests.col_category")) }
            dd {
                (request.category.as_ref().map(ToString::to_string).unwrap_or_else(|| not_set.to_owned()))
                @if let Some(confidence) = request.routing_confidence {
                    " " span.prob { (percent(confidence)) }
                }
            }
            dt { (t(lang, "requests.col_department")) }
            dd { (department.unwrap_or(not_set)) }
            dt { (t(lang, "requests.col_channel")) }
            dd { (t(lang, &format!("channel.{}", request.channel.as_str()))) }
            dt { (t(lang, "requests.col_submitted")) }
            dd { (time_element(request.submitted_at.unwrap_or(request.received_at), state.city_offset)) }
            @if let Some(place) = &request.place_text {
                dt { (t(lang, "detail.place")) }
                dd { (place) }
            }
        }
    }
}

fn replies_list(lang: Lang, replies: &[ReplyRecord], state: &AppState) -> Markup {
    html! {
        @for reply in replies {
            article.reply {
                header.meta {
                    @if reply.origin == "import" {
                        (t(lang, "detail.reply_imported"))
                    } @else {
                        (tf(lang, "detail.reply_approved", &[("user", &actor_name(reply.approved_by.as_deref().unwrap_or("-"))), ("share", &percent(reply.ai_share.unwrap_or(0.0)))]))
                    }
                    @if let Some(at) = &reply.replied_at {
                        " · " (local_stored_time(at, state.city_offset))
                    }
                }
                p.body { (reply.body) }
            }
        }
    }
}

fn draft_section(
    lang: Lang,
    principal: &Principal,
    id: i64,
    draft: Option<&ReplyDraft>,
    may_reply: bool,
    drafting_off: Option<&str>,
) -> Markup {
    let open = draft.filter(|d| d.status == DraftStatus::Draft);
    let manual = |draft: &ReplyDraft| draft.generator == cityai_services::replies::MANUAL_GENERATOR;
    html! {
        @if let (Some(reason), true) = (drafting_off, may_reply) {
            p.notice #drafting-off role="status" { (tf(lang, "register.gate.drafting_off", &[("reason", &reason)])) }
        }
        @match open {
            Some(draft) if may_reply => {
                form.reply method="post" action=(format!("/requests/{id}/reply")) {
                    (csrf_field(principal))
                    input type="hidden" name="draft_id" value=(draft.id);
                    @if !manual(draft) { (ai_label(lang)) }
                    p.muted { (tf(lang, "detail.draft_meta", &[("generator", &generator_label(lang, &draft.generator)), ("user", &actor_name(&draft.created_by))])) }
                    label {
                        (t(lang, "detail.draft_text"))
                        textarea name="body" rows="14" required { (draft.body) }
                    }
                    p.hint { (t(lang, "detail.draft_hint")) }
                    div.actions {
                        button type="submit" name="action" value="save" .secondary { (t(lang, "detail.save")) }
                        button type="submit" name="action" value="approve" { (t(lang, "detail.approve")) }
                    }
                }
            }
            Some(draft) => {
                @if !manual(draft) { (ai_label(lang)) }
                p.body { (draft.body) }
            }
            None if may_reply => {
                form.inline method="post" action=(format!("/requests/{id}/reply/draft")) {
                    (csrf_field(principal))
                    button type="submit" { (t(lang, "detail.generate")) }
                }
            }
            None => {}
        }
    }
}

fn hit_list(lang: Lang, hits: &[SearchHit]) -> Markup {
    html! {
        ol.passages {
            @for hit in hits {
                li {
                    p.meta {
                        strong { (hit.chunk.source.title.as_deref().unwrap_or(&hit.chunk.source.id)) }
                        " · " (t(lang, &format!("knowledge.kind_{}", hit.chunk.source.kind.as_str())))
                    }
                    p { (excerpt(&hit.chunk.text, 180)) }
                }
            }
        }
    }
}

fn knowledge_section(
    lang: Lang,
    material: Option<&cityai_services::replies::DraftMaterial>,
) -> Markup {
    html! {
        section aria-labelledby="knowledge-heading" {
            h2 #knowledge-heading { (t(lang, "detail.knowledge")) }
            @match material {
                None => p.muted { (t(lang, "detail.knowledge_unavailable")) },
                Some(material) => {
                    @if material.passages.is_empty() {
                        p.muted { (t(lang, "detail.no_passages")) }
                    } @else {
                        (hit_list(lang, &material.passages))
                    }
                    h3 { (t(lang, "detail.similar_replies")) }
                    @if material.similar_replies.is_empty() {
                        p.muted { (t(lang, "detail.no_similar_replies")) }
                    } @else {
                        (hit_list(lang, &material.similar_replies))
                    }
                }
            }
        }
    }
}

fn timeline_list(lang: Lang, events: &[TimelineEvent], state: &AppState) -> Markup {
    html! {
        ol.timeline {
            @for event in events {
                li {
                    (local_stored_time(&event.at, state.city_offset))
                    " · "
                    strong { (event_label(lang, &event.kind)) }
                    @if let Some(actor) = &event.actor {
                        " · " span.muted { (actor_name(actor)) }
                    }
                    @if let Some(category) = event.detail.get("category").and_then(|v| v.as_str()) {
                        " · " (category)
                    }
                }
            }
        }
    }
}

fn event_label(lang: Lang, kind: &str) -> String {
    let key = format!("timeline.{}", kind.replace('.', "_"));
    let text = t(lang, &key);
    // Kinds without a catalogue entry (new audit actions) show as recorded.
    if text == key {
        kind.to_owned()
    } else {
        text.to_owned()
    }
}

fn excerpt(text: &str, max_chars: usize) -> String {
    let mut out: String = text.chars().take(max_chars).collect();
    if text.chars().count() > max_chars {
        out.push('…');
    }
    out
}

/// Drafts a reply for the request and shows it for editing.
pub(crate) async fn create_draft(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> Response {
    let page_lang = PageLang::new(&state, None, &headers);
    let lang = page_lang.lang;
    let heading = t(lang, "detail.heading");
    let page_lang = match visible_request(
        &state,
        &principal,
        page_lang,
        id,
        heading,
        &format!("/requests/{id}"),
    )
    .await
    {
        Ok((_, page_lang)) => page_lang,
        Err(response) => return response,
    };
    let drafted = cityai_services::replies::draft_reply(
        &state.store,
        state.knowledge.as_deref(),
        state.llm.as_deref(),
        id,
        &principal.actor(),
        state.city_offset,
    )
    .await;
    match drafted {
        Ok(_) => {
            Redirect::to(&format!("/requests/{id}?done=drafted#reply-heading")).into_response()
        }
        Err(err) => {
            let heading = t(lang, "detail.heading");
            let message = internal(lang, &err, "drafting a reply");
            page_lang.respond(
                StatusCode::INTERNAL_SERVER_ERROR,
                heading,
                &format!("/requests/{id}"),
                &principal,
                error_content(heading, &message),
            )
        }
    }
}

/// Saves or approves the reply draft.
pub(crate) async fn save_reply(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    Form(form): Form<ReplyForm>,
) -> Response {
    let page_lang = PageLang::new(&state, None, &headers);
    let lang = page_lang.lang;
    let heading = t(lang, "detail.heading");
    let self_path = format!("/requests/{id}");
    let page_lang =
        match visible_request(&state, &principal, page_lang, id, heading, &self_path).await {
            Ok((_, page_lang)) => page_lang,
            Err(response) => return response,
        };
    // The draft must belong to this request.
    match state.store.reply_draft(form.draft_id).await {
        Ok(Some(draft)) if draft.request_id == id => {}
        Ok(_) => return not_found(page_lang, &principal, id),
        Err(err) => {
            let message = internal(lang, &err, "reading a reply draft");
            return page_lang.respond(
                StatusCode::INTERNAL_SERVER_ERROR,
                heading,
                &self_path,
                &principal,
                error_content(heading, &message),
            );
        }
    }
    let actor = principal.actor();
    let outcome = match form.action.as_str() {
        "approve" => {
            cityai_services::replies::approve_reply(&state.store, form.draft_id, &form.body, &actor)
                .await
                .map(|_| "approved")
        }
        _ => state
            .store
            .save_reply_draft(form.draft_id, &form.body, &actor)
            .await
            .map(|_| "saved")
            .map_err(Into::into),
    };
    let problem = match outcome {
        Ok(done) => {
            return Redirect::to(&format!("/requests/{id}?done={done}#reply-heading"))
                .into_response();
        }
        Err(cityai_services::ServiceError::Invalid(_)) => t(lang, "detail.fill_in_left").to_owned(),
        Err(cityai_services::ServiceError::Store(cityai_store::StoreError::EmptyReply)) => {
            t(lang, "detail.empty_reply").to_owned()
        }
        Err(cityai_services::ServiceError::Store(cityai_store::StoreError::DraftClosed(_))) => {
            t(lang, "detail.draft_closed").to_owned()
        }
        Err(err) => internal(lang, &err, "saving a reply"),
    };
    // Show the text again with the problem, so nothing typed is lost.
    let content = html! {
        h1 { (heading) " #" (id) }
        p.error role="alert" { (problem) }
        form.reply method="post" action=(format!("/requests/{id}/reply")) {
            (csrf_field(&principal))
            input type="hidden" name="draft_id" value=(form.draft_id);
            (ai_label(lang))
            label {
                (t(lang, "detail.draft_text"))
                textarea name="body" rows="14" required { (form.body) }
            }
            div.actions {
                button type="submit" name="action" value="save" .secondary { (t(lang, "detail.save")) }
                button type="submit" name="action" value="approve" { (t(lang, "detail.approve")) }
            }
        }
        p { a href=(self_path) { (t(lang, "detail.back")) } }
    };
    page_lang.respond(
        StatusCode::UNPROCESSABLE_ENTITY,
        heading,
        &self_path,
        &principal,
        content,
    )
}

/// Returns the masked turns of the reception conversation that created request `id`.
async fn reception_turns(
    store: &cityai_store::Store,
    id: i64,
) -> Option<Vec<cityai_store::ReceptionTurn>> {
    let conversation = store
        .reception_conversation_of_request(id)
        .await
        .map_err(|err| tracing::error!(error = %err, request_id = id, "reading the reception conversation failed"))
        .ok()??;
    store
        .reception_turns(&conversation.id)
        .await
        .map_err(|err| tracing::error!(error = %err, request_id = id, "reading the reception turns failed"))
        .ok()
}
