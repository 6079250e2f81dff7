//! Reading a citizen's message with an LLM: the intent and the details as JSON.
//!
//! The model sees the message with personal data masked, the dialogue phase and the slot
//! asked for, never stored facts. Its reading is checked before use: an unknown intent or
//! output that is not the expected JSON is an error, so the caller falls back to the rules,
//! and a detail the model returns is kept only when its text occurs in the message, so the
//! model cannot add a place or time that the citizen did not write. Phone numbers always
//! come from the rules, because the model sees them masked.

use cityai_core::Lang;
use cityai_llm::{ChatMessage, ChatRequest, LlmClient, LlmError};
use serde::Deserialize;

use super::{Contact, Details, DialogueState, Intent, StatusRef, Understanding};

const SYSTEM_ZH: &str = "你是城市12345政务服务接待助手的理解模块。阅读市民的一条消息，只输出一个JSON对象，不要输出其他文字。字段：intent 取 question（咨询政策或办事问题）、complaint（投诉或求助，需要形成工单）、status（查询已提交诉求的进度）、confirm（同意所示摘要）、cancel（不再继续当前诉求）、human（要求人工）、correction（更正已给的信息）、answer（回答助手提出的问题）、greeting（问候）、nonsense（无意义内容）、unknown 之一；what、place、time 为消息中原文的事情经过、地点、时间，没有则为 null；no_contact 为 true 表示市民不希望被联系；request_id 为消息中提到的诉求编号，没有则为 null。只能摘录消息原文，不得改写或补充。";
const SYSTEM_EN: &str = "You are the understanding step of a city service reception assistant. Read one message from a citizen and output only one JSON object, no other text. Fields: intent, one of question (a question about a policy or service), complaint (a complaint or request for service that becomes a work order), status (checking a submitted request), confirm (agreeing with the summary shown), cancel (dropping the current request), human (asking for a person), correction (correcting a detail already given), answer (answering the assistant's question), greeting, nonsense (text without meaning), unknown; what, place, time: the citizen's own words for what happened, where and when, or null; no_contact: true when the citizen does not want to be contacted; request_id: a request number the message mentions, or null. Copy words from the message only; never rephrase or add anything.";

/// Why the model's reading was not used.
#[derive(Debug, thiserror::Error)]
pub enum ReadingError {
    #[error(transparent)]
    Llm(#[from] LlmError),

    #[error("the LLM's reading of the message is unusable: {0}")]
    Invalid(String),
}

/// The JSON object the model is asked for.
#[derive(Debug, Deserialize)]
struct Reading {
    intent: String,
    #[serde(default)]
    what: Option<String>,
    #[serde(default)]
    place: Option<String>,
    #[serde(default)]
    time: Option<String>,
    #[serde(default)]
    no_contact: Option<bool>,
    #[serde(default)]
    request_id: Option<serde_json::Value>,
}

/// Builds the chat request that asks the model to read `masked_message`.
pub fn understanding_request(
    masked_message: &str,
    state: &DialogueState,
    lang: Lang,
) -> ChatRequest {
    let system = match lang {
        Lang::ZhCn => SYSTEM_ZH,
        Lang::En => SYSTEM_EN,
    };
    let context = serde_json::json!({
        "phase": state.phase.as_str(),
        "asked_for": state.asked.map(super::Slot::as_str),
        "asked_for_request_id": state.asked_status_ref,
        "message": masked_message,
    });
    let mut request = ChatRequest::from(vec![
        ChatMessage::system(system),
        ChatMessage::user(context.to_string()),
    ]);
    request.temperature = Some(0.0);
    request
}

/// Asks `client` to read `message` and merges its reading with the rules' `fallback`.
///
/// # Errors
///
/// [`ReadingError::Llm`] when the call fails and [`ReadingError::Invalid`] when the output
/// is not the expected JSON; the caller then uses `fallback` alone.
pub async fn understand(
    client: &LlmClient,
    message: &str,
    state: &DialogueState,
    lang: Lang,
    fallback: &Understanding,
) -> Result<Understanding, ReadingError> {
    let masked = cityai_text::pii::mask_text(message);
    let completion = client
        .chat(&understanding_request(&masked, state, lang))
        .await?
        .into_complete()?;
    parse_reading(&completion.text, &masked, fallback)
}

/// Parses the model's output and merges it with the rules' reading of the same message.
///
/// # Errors
///
/// [`ReadingError::Invalid`] when the output holds no JSON object of the expected shape or
/// names an unknown intent.
pub fn parse_reading(
    output: &str,
    masked_message: &str,
    fallback: &Understanding,
) -> Result<Understanding, ReadingError> {
    let invalid = |detail: &str| ReadingError::Invalid(detail.to_owned());
    let start = output.find('{').ok_or_else(|| invalid("no JSON object"))?;
    let end = output.rfind('}').ok_or_else(|| invalid("no JSON object"))?;
    if end < start {
        return Err(invalid("no JSON object"));
    }
    let reading: Reading = serde_json::from_str(&output[start..=end])
        .map_err(|err| invalid(&format!("invalid JSON: {err}")))?;
    let intent = Intent::parse(reading.intent.trim())
        .ok_or_else(|| invalid(&format!("unknown intent {:?}", reading.intent)))?;

    // Keep a detail only when the citizen wrote it; otherwise use what the rules found.
    let quoted = |value: Option<String>| {
        value
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty() && masked_message.contains(v.as_str()))
    };
    let contact = match (&fallback.details.contact, reading.no_contact) {
        (Some(Contact::Phone(phone)), _) => Some(Contact::Phone(phone.clone())),
        (_, Some(true)) => Some(Contact::NotWanted),
        (other, _) => other.clone(),
    };
    let details = Details {
        what: quoted(reading.what).or_else(|| fallback.details.what.clone()),
        place: quoted(reading.place).or_else(|| fallback.details.place.clone()),
        time: quoted(reading.time).or_else(|| fallback.details.time.clone()),
        contact,
    };
    let request_id = reading.request_id.and_then(|value| match value {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(s) => s.trim().trim_start_matches('#').parse().ok(),
        _ => None,
    });
    let status_ref = match (&fallback.status_ref, request_id) {
        (Some(found), _) => Some(found.clone()),
        (None, Some(id)) if masked_message.contains(&id.to_string()) => Some(StatusRef::Id(id)),
        _ => None,
    };
    Ok(Understanding {
        intent,
        details,
        status_ref,
        reader: "llm",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> Understanding {
        Understanding {
            intent: Intent::Unknown,
            details: Details::default(),
            status_ref: None,
            reader: "rules",
        }
    }

    #[test]
    fn invented_details_are_dropped() {
        let reading = parse_reading(
            r#"{"intent":"complaint","what":"路灯坏了","place":"人民路","time":null}"#,
            "幸福小区的路灯坏了",
            &rules(),
        )
        .unwrap();
        assert_eq!(reading.intent, Intent::Complaint);
        assert_eq!(reading.details.what.as_deref(), Some("路灯坏了"));
        assert_eq!(reading.details.place, None);
    }

    #[test]
    fn malformed_output_is_an_error() {
        assert!(parse_reading("I think it is a complaint", "x", &rules()).is_err());
        assert!(parse_reading(r#"{"intent":"order_pizza"}"#, "x", &rules()).is_err());
        assert!(parse_reading(r#"{"what":"x"}"#, "x", &rules()).is_err());
    }
}
