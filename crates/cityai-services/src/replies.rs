//! Reply drafting: a draft official reply from the request, its routing, relevant knowledge
//! passages and similar past replies, which a handler edits and approves.
//!
//! The built-in drafter is template-based and extractive: it greets, acknowledges the
//! request, lists each point the citizen raised with a field for the handler to fill in,
//! quotes the most relevant policy or FAQ passage as the basis, and closes with the
//! department's contact. It never states facts about the case itself; the handler writes
//! those. When an LLM endpoint is configured, the LLM writes the draft from the same
//! material. Either way the draft is labelled as AI-generated until a person approves it,
//! and approval is refused while a fill-in field is left.

use cityai_core::i18n::{t, tf};
use cityai_core::{Lang, Request};
use cityai_knowledge::{KnowledgeIndex, SearchHit, SearchOptions, SourceKind};
use cityai_store::{NewReplyDraft, ReplyDraft, ReplyRecord, Store};
use serde_json::json;

use crate::ServiceError;

/// The content producer named in the AIGC metadata of drafts the built-in drafter writes.
pub const TEMPLATE_PRODUCER: &str = "CityAI";

/// The generator of an empty draft that the handler writes alone, made while the register
/// switches AI drafting off. It carries no AI label and no AIGC metadata.
pub const MANUAL_GENERATOR: &str = "manual";

/// The marker that starts every fill-in field, in each language.
const FILL_IN_MARKERS: [&str; 2] = ["【请填写", "[Fill in"];

/// The maximum number of points of a request that get their own paragraph.
const MAX_POINTS: usize = 4;

/// The material the drafter used, kept with the draft.
#[derive(Debug, Clone, Default)]
pub struct DraftMaterial {
    /// Policy, FAQ and document passages relevant to the request, best first.
    pub passages: Vec<SearchHit>,
    /// Past official replies to similar requests, best first.
    pub similar_replies: Vec<SearchHit>,
}

/// Finds the knowledge passages and past replies relevant to a request. Passages are included
/// only when they cover enough of the request's words, as for a question with an answer.
///
/// The request text is stored masked, so no personal data reaches the index.
///
/// # Errors
///
/// The index's errors.
pub fn material_for(
    index: &KnowledgeIndex,
    request: &Request,
) -> Result<DraftMaterial, ServiceError> {
    let text = request_text(request);
    let results = index.search(
        &text,
        &SearchOptions {
            limit: 3,
            kinds: vec![SourceKind::Policy, SourceKind::Faq, SourceKind::Document],
            valid_on: Some(chrono::Utc::now().date_naive()),
            explain: false,
            ..SearchOptions::default()
        },
    )?;
    // Passages are quoted as the reply's basis, so they must cover enough of the request:
    // the same test that decides whether a question has an answer.
    let relevant = matches!(
        cityai_knowledge::build_answer(&results, &cityai_knowledge::AnswerParams::default()),
        cityai_knowledge::AnswerOutcome::Answer(_)
    );
    let passages = if relevant { results.hits } else { Vec::new() };
    let similar_replies = index.similar_replies(&text, 3)?;
    Ok(DraftMaterial {
        passages,
        similar_replies,
    })
}

/// Returns the language of a request's text: Chinese when it contains Chinese characters.
pub fn request_lang(request: &Request) -> Lang {
    let cjk = |c: char| ('\u{4e00}'..='\u{9fff}').contains(&c);
    if request.body.chars().any(cjk) || request.title.as_deref().is_some_and(|t| t.chars().any(cjk))
    {
        Lang::ZhCn
    } else {
        Lang::En
    }
}

/// Writes the built-in draft: greeting, acknowledgement, one paragraph per point with a
/// fill-in field, the basis quoted from the best passage, and the contact.
pub fn template_draft(
    request: &Request,
    department_name: Option<&str>,
    material: &DraftMaterial,
    city_offset: chrono::FixedOffset,
) -> String {
    let lang = request_lang(request);
    let department = department_name.unwrap_or_else(|| t(lang, "reply.department_unknown"));
    let mut parts = vec![t(lang, "reply.greeting").to_owned()];
    let date = request
        .submitted_at
        .unwrap_or(request.received_at)
        .with_timezone(&city_offset)
        .format("%Y-%m-%d")
        .to_string();
    let title = request.display_title(40);
    parts.push(tf(
        lang,
        "reply.acknowledge",
        &[
            ("date", &date),
            ("title", &title),
            ("department", &department),
        ],
    ));
    let points = points_raised(&request.body);
    if points.is_empty() {
        parts.push(t(lang, "reply.fill_in_result").to_owned());
    } else {
        for (i, point) in points.iter().enumerate() {
            parts.push(tf(
                lang,
                "reply.point",
                &[("n", &(i + 1)), ("point", point)],
            ));
        }
    }
    if let Some(hit) = material.passages.first() {
        let sentence = first_sentences(&hit.chunk.text, 2);
        let source = hit
            .chunk
            .source
            .title
            .clone()
            .unwrap_or_else(|| hit.chunk.source.id.clone());
        parts.push(tf(
            lang,
            "reply.basis",
            &[("source", &source), ("text", &sentence)],
        ));
    } else {
        parts.push(t(lang, "reply.fill_in_basis").to_owned());
    }
    parts.push(tf(lang, "reply.contact", &[("department", &department)]));
    parts.join("\n\n")
}

/// Returns the sentences of a request that ask for something, in order, at most
/// four; an empty list when no sentence does.
pub fn points_raised(body: &str) -> Vec<String> {
    const ASKS: [&str; 12] = [
        "希望",
        "要求",
        "请求",
        "恳请",
        "建议",
        "能否",
        "是否",
        "为什么",
        "怎么",
        "如何",
        "请",
        "？",
    ];
    const ASKS_EN: [&str; 6] = ["please", "could", "would", "why", "how", "?"];
    let mut points = Vec::new();
    for sentence in split_sentences(body) {
        let lower = sentence.to_lowercase();
        let asks =
            ASKS.iter().any(|w| sentence.contains(w)) || ASKS_EN.iter().any(|w| lower.contains(w));
        if asks && sentence.chars().count() >= 4 && !points.contains(&sentence) {
            points.push(sentence);
            if points.len() == MAX_POINTS {
                break;
            }
        }
    }
    points
}

pub(crate) fn split_sentences(text: &str) -> Vec<String> {
    let mut sentences = Vec::new();
    let mut current = String::new();
    for c in text.chars() {
        current.push(c);
        if matches!(c, '。' | '！' | '？' | '!' | '?' | '；' | ';' | '\n') {
            let sentence = current.trim().to_owned();
            if !sentence.is_empty() {
                sentences.push(sentence);
            }
            current.clear();
        }
    }
    let rest = current.trim();
    if !rest.is_empty() {
        sentences.push(rest.to_owned());
    }
    sentences
}

fn first_sentences(text: &str, n: usize) -> String {
    let sentences = split_sentences(text);
    let joined: String = sentences.into_iter().take(n).collect::<Vec<_>>().join("");
    let mut out: String = joined.chars().take(160).collect();
    if joined.chars().count() > 160 {
        out.push('…');
    }
    out
}

fn request_text(request: &Request) -> String {
    match &request.title {
        Some(title) => format!("{title}\n{}", request.body),
        None => request.body.clone(),
    }
}

/// Returns whether a reply text still contains a fill-in field of the template.
pub fn has_fill_in(text: &str) -> bool {
    FILL_IN_MARKERS.iter().any(|m| text.contains(m))
}

fn sources_json(material: &DraftMaterial) -> serde_json::Value {
    let describe = |hit: &SearchHit| {
        json!({
            "source_id": hit.chunk.source.id,
            "kind": hit.chunk.source.kind,
            "title": hit.chunk.source.title,
            "chunk_id": hit.chunk.id(),
            "score": hit.score,
        })
    };
    json!({
        "passages": material.passages.iter().map(describe).collect::<Vec<_>>(),
        "similar_replies": material.similar_replies.iter().map(describe).collect::<Vec<_>>(),
    })
}

/// Asks the LLM for a draft from the request and the material. Only general passages are
/// sent, masked; the request text is stored masked already.
async fn llm_draft(
    client: &cityai_llm::LlmClient,
    request: &Request,
    department: Option<&str>,
    material: &DraftMaterial,
) -> Result<String, cityai_llm::LlmError> {
    let lang = request_lang(request);
    let mut context = String::new();
    for (i, hit) in material
        .passages
        .iter()
        .chain(&material.similar_replies)
        .filter(|hit| hit.chunk.source.classification == cityai_knowledge::Classification::General)
        .enumerate()
    {
        context.push_str(&format!(
            "[{}] {}\n{}\n\n",
            i + 1,
            hit.chunk
                .source
                .title
                .as_deref()
                .unwrap_or(&hit.chunk.source.id),
            cityai_text::pii::mask_text(&hit.chunk.text)
        ));
    }
    let messages = vec![
        cityai_llm::ChatMessage::system(t(lang, "reply.llm_system")),
        cityai_llm::ChatMessage::user(tf(
            lang,
            "reply.llm_user",
            &[
                ("department", &department.unwrap_or("-")),
                ("request", &request_text(request)),
                ("context", &context),
            ],
        )),
    ];
    let completion = client
        .chat(&cityai_llm::ChatRequest::from(messages))
        .await?
        .into_complete()?;
    Ok(completion.text.trim().to_owned())
}

/// Drafts a reply for a request and stores it as the request's open draft, superseding any
/// older open draft. The LLM writes it when `llm` is given; when the LLM fails, the built-in
/// drafter does and the failure is logged.
///
/// While the register's gate of reply drafting is closed, the draft is empty with the
/// generator [`MANUAL_GENERATOR`], and the handler writes the reply.
///
/// # Errors
///
/// [`ServiceError::Store`] when the request is missing or storing fails, and the index's
/// errors.
pub async fn draft_reply(
    store: &Store,
    index: Option<&KnowledgeIndex>,
    llm: Option<&cityai_llm::LlmClient>,
    request_id: i64,
    actor: &str,
    city_offset: chrono::FixedOffset,
) -> Result<ReplyDraft, ServiceError> {
    let request = store
        .request(request_id)
        .await?
        .ok_or(cityai_store::StoreError::RequestNotFound(request_id))?;
    if crate::register::feature_gate(store, crate::register::REPLY_DRAFTING)
        .await?
        .is_some()
    {
        let draft = NewReplyDraft {
            request_id,
            body: String::new(),
            generator: MANUAL_GENERATOR.to_owned(),
            sources: json!({}),
            aigc: serde_json::Value::Null,
        };
        return Ok(store.create_reply_draft(&draft, actor).await?);
    }
    let department = match &request.department {
        Some(code) => store
            .departments()
            .await?
            .into_iter()
            .find(|d| &d.code == code)
            .map(|d| d.name),
        None => None,
    };
    let material = match index {
        Some(index) => material_for(index, &request)?,
        None => DraftMaterial::default(),
    };
    let lang = request_lang(&request);
    let mut written = None;
    if let Some(client) = llm {
        match llm_draft(client, &request, department.as_deref(), &material).await {
            Ok(text) if !text.is_empty() => {
                written = Some((
                    text,
                    format!("llm:{}", client.config().model),
                    client.label("", lang),
                ));
            }
            Ok(_) => tracing::warn!(
                request_id,
                "the LLM returned an empty draft; using the template"
            ),
            Err(err) => {
                tracing::warn!(request_id, error = %err, "the LLM draft failed; using the template")
            }
        }
    }
    let (body, generator, producer) = match written {
        Some((text, generator, labelled)) => (text, generator, labelled.aigc.content_producer),
        None => (
            template_draft(&request, department.as_deref(), &material, city_offset),
            "template".to_owned(),
            TEMPLATE_PRODUCER.to_owned(),
        ),
    };
    let labelled = cityai_llm::LabelledText::new(&body, lang, &producer);
    let draft = NewReplyDraft {
        request_id,
        body,
        generator,
        sources: sources_json(&material),
        aigc: serde_json::to_value(&labelled.aigc).unwrap_or(serde_json::Value::Null),
    };
    Ok(store.create_reply_draft(&draft, actor).await?)
}

/// Approves a draft with the handler's final text and publishes it as the reply.
///
/// # Errors
///
/// [`ServiceError::Invalid`] while the text still contains a fill-in field of the template, and
/// the store's errors.
pub async fn approve_reply(
    store: &Store,
    draft_id: i64,
    body: &str,
    actor: &str,
) -> Result<ReplyRecord, ServiceError> {
    if has_fill_in(body) {
        return Err(ServiceError::Invalid(
            "the reply still has a fill-in field (【请填写…】); replace it with the facts of the case before approving".to_owned(),
        ));
    }
    Ok(store.approve_reply_draft(draft_id, body, actor).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_are_the_sentences_that_ask() {
        let body = "我家楼下的路灯坏了一个月。晚上出行很不安全！希望尽快修复路灯。另外能否在路口加装监控？";
        let points = points_raised(body);
        assert_eq!(
            points,
            vec!["希望尽快修复路灯。", "另外能否在路口加装监控？"]
        );
    }

    #[test]
    fn fill_in_fields_are_found() {
        assert!(has_fill_in("您好。【请填写处理结果】"));
        assert!(!has_fill_in("您好。路灯已于12月3日修复。"));
    }
}
