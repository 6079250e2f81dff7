//! The knowledge search page: a reply with citations and the passages it quotes.

use axum::Extension;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use cityai_core::i18n::{t, tf};
use cityai_knowledge::{AnswerOutcome, MatchField, SearchHit, SourceKind};
use maud::{Markup, html};
use serde::Deserialize;

use crate::AppState;
use crate::auth::Principal;
use crate::views::{PageLang, ai_label, error_content, internal, with_param};

#[derive(Debug, Default, Deserialize)]
pub(crate) struct KnowledgeParams {
    q: Option<String>,
    kind: Option<String>,
    #[serde(default)]
    valid_only: Option<String>,
    lang: Option<String>,
}

const KINDS: [SourceKind; 4] = [
    SourceKind::Faq,
    SourceKind::Policy,
    SourceKind::Reply,
    SourceKind::Document,
];

/// Renders the search form and, for a question, the answer and passages.
pub(crate) async fn page_view(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Query(params): Query<KnowledgeParams>,
    headers: HeaderMap,
) -> Response {
    let page_lang = PageLang::new(&state, params.lang.as_deref(), &headers);
    let lang = page_lang.lang;
    let heading = t(lang, "knowledge_page.heading");
    let question = params.q.as_deref().map(str::trim).unwrap_or_default();
    let mut self_path = "/knowledge".to_owned();
    if !question.is_empty() {
        self_path = with_param(&self_path, "q", question);
    }
    let kind = params
        .kind
        .as_deref()
        .filter(|k| !k.is_empty())
        .and_then(|k| k.parse::<SourceKind>().ok());
    let valid_only = params.valid_only.as_deref() == Some("on");
    let form = html! {
        form.search method="get" action="/knowledge" role="search" {
            label.grow {
                (t(lang, "knowledge_page.question"))
                input type="search" name="q" value=(question) required autofocus;
            }
            label {
                (t(lang, "knowledge_page.kind"))
                select name="kind" {
                    option value="" { (t(lang, "requests.filter_any")) }
                    @for k in KINDS {
                        option value=(k.as_str()) selected[kind == Some(k)] { (t(lang, &format!("knowledge.kind_{}", k.as_str()))) }
                    }
                }
            }
            label.check {
                input type="checkbox" name="valid_only" checked[valid_only];
                (t(lang, "knowledge_page.valid_only"))
            }
            button type="submit" { (t(lang, "knowledge_page.search")) }
        }
    };
    if question.is_empty() {
        let content = html! { h1 { (heading) } (form) };
        return page_lang.respond(StatusCode::OK, heading, &self_path, &principal, content);
    }
    let Some(index) = state.knowledge.clone() else {
        let content = html! {
            h1 { (heading) } (form)
            p.error role="alert" { (t(lang, "knowledge_page.unavailable")) }
        };
        return page_lang.respond(
            StatusCode::SERVICE_UNAVAILABLE,
            heading,
            &self_path,
            &principal,
            content,
        );
    };
    let options = cityai_services::knowledge::AskOptions {
        limit: 5,
        kinds: kind.into_iter().collect(),
        department: None,
        valid_only,
        general_only: false,
    };
    let llm = state.llm.clone();
    let result = cityai_services::knowledge::ask_gated(
        &state.store,
        &index,
        question,
        &options,
        llm.as_deref(),
        lang,
    )
    .await;
    let result = match result {
        Ok(result) => result,
        Err(err) => {
            let message = internal(lang, &err, "knowledge search");
            return page_lang.respond(
                StatusCode::INTERNAL_SERVER_ERROR,
                heading,
                &self_path,
                &principal,
                error_content(heading, &message),
            );
        }
    };
    let number_of = |source_id: &str| {
        result
            .results
            .hits
            .iter()
            .position(|h| h.chunk.source.id == source_id)
            .map_or(0, |i| i + 1)
    };
    // The register's reason in the reader's language, when it switched LLM answers off.
    let llm_off = match &result.llm_disabled {
        Some(_) => state
            .store
            .ai_gate(cityai_services::register::LLM_ANSWERS)
            .await
            .ok()
            .and_then(|gate| gate.closed)
            .map(|reason| crate::register_view::gate_reason(lang, &reason)),
        None => None,
    };
    let content = html! {
        h1 { (heading) }
        (form)
        section aria-labelledby="answer-heading" {
            h2 #answer-heading { (t(lang, "knowledge_page.answer")) }
            @if let Some(reason) = &llm_off {
                p.notice #llm-off role="status" { (tf(lang, "register.gate.llm_off", &[("reason", reason)])) }
            }
            @if let Some(generated) = &result.generated {
                (ai_label(lang))
                p.body { (generated.answer.text) }
            }
            @match &result.extractive {
                AnswerOutcome::Answer(answer) => {
                    p.muted { (t(lang, "knowledge_page.extractive")) }
                    p.answer {
                        @for sentence in &answer.sentences {
                            (sentence.text)
                            sup { a href=(format!("#hit-{}", number_of(&sentence.source_id))) { "[" (number_of(&sentence.source_id)) "]" } }
                        }
                    }
                }
                AnswerOutcome::NoAnswer { .. } => p.notice role="status" { (t(lang, "knowledge.no_answer")) },
            }
        }
        section aria-labelledby="passages-heading" {
            h2 #passages-heading { (t(lang, "knowledge_page.passages")) }
            @if result.results.hits.is_empty() {
                p { (t(lang, "knowledge.no_passages")) }
            }
            ol.passages {
                @for (i, hit) in result.results.hits.iter().enumerate() {
                    (passage(lang, i + 1, hit))
                }
            }
        }
    };
    page_lang.respond(StatusCode::OK, heading, &self_path, &principal, content)
}

fn passage(lang: cityai_core::Lang, number: usize, hit: &SearchHit) -> Markup {
    let source = &hit.chunk.source;
    html! {
        li id=(format!("hit-{number}")) {
            p.meta {
                strong { (source.title.as_deref().unwrap_or(&source.id)) }
                " · " (t(lang, &format!("knowledge.kind_{}", source.kind.as_str())))
                @if let Some(department) = &source.department { " · " (department) }
                " · " (tf(lang, "knowledge_page.score", &[("score", &format!("{:.2}", hit.score))]))
            }
            p { (hit.chunk.text) }
            @if let Some(explanation) = &hit.explanation {
                @let in_title: Vec<&str> = explanation.matches.iter().filter(|m| m.field == MatchField::Title).map(|m| m.term.as_str()).collect();
                @let in_body: Vec<&str> = explanation.matches.iter().filter(|m| m.field == MatchField::Body).map(|m| m.term.as_str()).take(12).collect();
                p.why {
                    @if !in_body.is_empty() { (tf(lang, "knowledge_page.matched_body", &[("words", &in_body.join("、"))])) " " }
                    @if !in_title.is_empty() { (tf(lang, "knowledge_page.matched_title", &[("words", &in_title.join("、"))])) " " }
                    @if !explanation.unmatched_words.is_empty() {
                        (tf(lang, "knowledge_page.unmatched", &[("words", &explanation.unmatched_words.join("、"))]))
                    }
                }
            }
        }
    }
}
