//! Reading a citizen's message without an LLM: keyword cues for the intent, the place and
//! time extractors of `cityai_hotspot`, and the phone detection of `cityai_text::pii`.
//!
//! The cues cover Simplified Chinese and English. They are plain lists, so that a city can
//! read and extend them. The dialogue state breaks ties: a bare "是的" only confirms while a
//! summary is shown, and an unmarked message fills the slot the assistant requested.

use std::sync::LazyLock;

use chrono::NaiveDate;
use cityai_text::pii::{self, PiiKind};
use regex::Regex;

use super::{Contact, Details, DialogueState, Intent, Phase, Slot, StatusRef, Understanding};

const CANCEL: &[&str] = &[
    "算了",
    "不用了",
    "不要了",
    "不报了",
    "不投诉了",
    "取消",
    "cancel",
    "never mind",
    "nevermind",
    "forget it",
];
const HUMAN: &[&str] = &[
    "人工",
    "真人",
    "客服",
    "接线员",
    "human",
    "real person",
    "a person",
    "operator",
    "agent",
];
const STATUS: &[&str] = &[
    "进度",
    "状态",
    "查询",
    "查一下",
    "办得怎么样",
    "处理得怎么样",
    "处理到哪",
    "办理情况",
    "status",
    "progress",
    "track",
];
const CONFIRM: &[&str] = &[
    "是",
    "是的",
    "对",
    "对的",
    "确认",
    "没问题",
    "好",
    "好的",
    "可以",
    "提交",
    "确定",
    "yes",
    "y",
    "ok",
    "okay",
    "confirm",
    "correct",
    "submit",
    "right",
    "sure",
    "yes please",
];
const CORRECTION: &[&str] = &[
    "不对",
    "错了",
    "改成",
    "改为",
    "更正",
    "应该是",
    "修改",
    "change",
    "actually",
    "wrong",
    "should be",
    "instead",
];
const QUESTION: &[&str] = &[
    "怎么",
    "如何",
    "哪里",
    "哪儿",
    "什么",
    "多久",
    "能否",
    "是否",
    "可以吗",
    "吗？",
    "吗?",
    "请问",
    "谁负责",
    "how ",
    "what ",
    "where ",
    "when ",
    "who ",
    "which ",
    "can i",
    "do i",
    "is it",
    "does ",
];
/// Words that make a message a complaint even when it is phrased as a question.
const COMPLAINT_MARKERS: &[&str] = &[
    "投诉",
    "举报",
    "反映",
    "我要报修",
    "我想报修",
    "complain",
    "report a",
    "i want to report",
];
const COMPLAINT: &[&str] = &[
    "坏了",
    "损坏",
    "不亮",
    "噪音",
    "噪声",
    "扰民",
    "漏水",
    "堵塞",
    "堵了",
    "垃圾",
    "乱停",
    "违章",
    "违停",
    "拖欠",
    "施工",
    "污染",
    "异味",
    "臭",
    "没人管",
    "太吵",
    "破损",
    "积水",
    "停水",
    "停电",
    "占道",
    "坑",
    "塌",
    "broken",
    "noise",
    "noisy",
    "leak",
    "pothole",
    "garbage",
    "trash",
    "blocked",
    "not working",
    "smell",
    "flood",
    "dumping",
];
/// Phrases that say only that a complaint follows, without saying what happened.
const COMPLAINT_OPENERS: &[&str] = &[
    "我要投诉",
    "我想投诉",
    "我要反映",
    "我想反映",
    "我要举报",
    "我想举报",
    "我要报修",
    "我想报修",
    "投诉一下",
    "反映一个问题",
    "反映个问题",
    "有个问题",
    "i want to complain",
    "i'd like to complain",
    "i want to report a problem",
    "i'd like to report a problem",
    "i want to report",
    "i'd like to report",
    "complaint",
    "report a problem",
];
const GREETING: &[&str] = &[
    "你好",
    "您好",
    "在吗",
    "hello",
    "hi",
    "hey",
    "good morning",
    "good afternoon",
];
const NO_CONTACT: &[&str] = &[
    "不用联系",
    "不需要联系",
    "无需联系",
    "不要联系",
    "不用回电",
    "不需要回电",
    "不用回访",
    "不需要回访",
    "不留电话",
    "不留联系方式",
    "不方便留",
    "匿名",
    "no contact",
    "don't contact",
    "do not contact",
    "anonymous",
    "no phone",
    "rather not",
];
/// Words that name a time, found in Chinese messages.
const TIME_WORDS: &[&str] = &[
    "今天",
    "昨天",
    "前天",
    "今晚",
    "昨晚",
    "每天",
    "每晚",
    "天天",
    "最近",
    "这几天",
    "这两天",
    "近期",
    "上周",
    "本周",
    "这周",
    "周末",
    "上个月",
    "一直",
    "经常",
    "长期",
];
/// Parts of the day. Alone they do not date a problem ("晚上很黑"), so they only extend a
/// time found by other words: "昨天晚上", "每天凌晨".
const DAY_PARTS: &[&str] = &[
    "早上", "上午", "中午", "下午", "傍晚", "晚上", "夜里", "夜间", "半夜", "深夜", "凌晨",
];

static TOKEN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\b[0-9a-f]{32}\b").expect("valid token pattern"));
static REQUEST_ID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:#|＃|编号|单号|受理号|工单号?|诉求|request|id|number|no\.?)\s*[:：是为]?\s*(\d{1,12})")
        .expect("valid request id pattern")
});
static BARE_NUMBER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\D{0,6}(\d{1,12})\D{0,6}$").expect("valid number pattern"));
static PLACE_CUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:地点|地址|位置|地方|place|location|address)\s*(?:应该是|改成|改为|是在|是|在|换成|to be|should be|is|to|:|：)\s*(?:在)?\s*([^，。,;；!！?？\n]+)")
        .expect("valid place cue pattern")
});
static TIME_CUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:时间|日期|time|date)\s*(?:应该是|改成|改为|是在|是|在|换成|to be|should be|is|to|:|：)\s*([^，。,;；!！?？\n]+)")
        .expect("valid time cue pattern")
});
static WHAT_CUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:问题|事情|情况|描述|problem|issue|description)\s*(?:应该是|改成|改为|是|换成|should be|is|to|:|：)\s*([^。;；!！?？\n]+)")
        .expect("valid description cue pattern")
});
static PLACE_DETAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[0-9一二三四五六七八九十百]+(?:号楼|号|栋|幢|单元|楼|弄|巷)(?:[0-9一二三四五六七八九十]+(?:单元|楼|号|室))*(?:门口|对面|旁边|附近|路口)?")
        .expect("valid place detail pattern")
});
static CLOCK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:\d{1,2}|[一二三四五六七八九十两]{1,3})(?:点|时|:|：)(?:半|多|钟|\d{1,2}分?)?")
        .expect("valid clock pattern")
});
static ENGLISH_PLACE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?:on|at|near|in|outside|behind)\s+((?:the\s+)?(?:\d+\s+)?[A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)*(?:\s+(?:street|road|avenue|park|lane|square|bridge|st|rd|ave))?)")
        .expect("valid English place pattern")
});
static ENGLISH_TIME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:yesterday|today|tonight|last night|this (?:morning|afternoon|evening|week)|every (?:day|night|morning|evening|week(?:end)?)|since (?:last )?\w+|for (?:\d+|a|two|three|several|many) (?:days|weeks|months|years)|\d+ (?:days|weeks|months) ago|last (?:week|month|weekend|monday|tuesday|wednesday|thursday|friday|saturday|sunday)|on (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)s?|at night|at \d{1,2}(?::\d{2})?\s*(?:am|pm)?|\d{1,2}(?::\d{2})?\s*(?:am|pm))\b")
        .expect("valid English time pattern")
});

/// Reads `message` in the light of `state`; `today` resolves relative dates.
pub fn understand(message: &str, state: &DialogueState, today: NaiveDate) -> Understanding {
    let text = cityai_text::normalize(message);
    let text = text.trim();
    // The cues are Simplified Chinese, so folding lets Traditional messages match them too.
    let lower = cityai_knowledge::fold_text(text);
    let in_complaint = matches!(state.phase, Phase::Collecting | Phase::Confirming);
    let asked = if in_complaint { state.asked } else { None };
    let details = extract_details(text, &lower, asked, today);
    let status_ref = status_ref(text, state.asked_status_ref);

    let intent = if is_nonsense(text) {
        Intent::Nonsense
    } else if details.contact != Some(Contact::NotWanted) && contains_any(&lower, CANCEL) {
        Intent::Cancel
    } else if contains_any(&lower, HUMAN) {
        Intent::Human
    } else if is_status_check(text, &lower, state, status_ref.is_some(), &details) {
        Intent::Status
    } else if state.phase == Phase::Confirming && is_confirmation(&lower) {
        Intent::Confirm
    } else if in_complaint && contains_any(&lower, CORRECTION) {
        Intent::Correction
    } else if is_question(&lower) {
        Intent::Question
    } else if contains_any(&lower, COMPLAINT_MARKERS)
        || contains_any(&lower, COMPLAINT)
        || (!in_complaint && (details.place.is_some() && details.what.is_some()))
    {
        if in_complaint {
            Intent::Answer
        } else {
            Intent::Complaint
        }
    } else if in_complaint {
        Intent::Answer
    } else if is_greeting(&lower) {
        Intent::Greeting
    } else {
        Intent::Unknown
    };

    // A complaint that opens a conversation describes what happened unless it only says
    // that a complaint follows.
    let mut details = details;
    if intent == Intent::Complaint && details.what.is_none() && has_description(text, &lower) {
        details.what = Some(text.to_owned());
    }
    Understanding {
        intent,
        details,
        status_ref,
        reader: "rules",
    }
}

/// Returns whether the message checks a request's status: a reference with a status cue
/// or after the assistant asked for one, a token, or a bare status cue outside a complaint.
fn is_status_check(
    text: &str,
    lower: &str,
    state: &DialogueState,
    has_reference: bool,
    details: &Details,
) -> bool {
    let in_complaint = matches!(state.phase, Phase::Collecting | Phase::Confirming);
    let cue = contains_any(lower, STATUS);
    if has_reference {
        state.asked_status_ref || cue || TOKEN.is_match(text) || !in_complaint
    } else {
        cue && !in_complaint && details.what.is_none()
    }
}

/// Finds the details a message gives. `asked` is the slot the assistant asked for, which an
/// unmarked answer fills as a whole.
fn extract_details(text: &str, lower: &str, asked: Option<Slot>, today: NaiveDate) -> Details {
    let mut details = Details {
        what: WHAT_CUE
            .captures(text)
            .and_then(|c| clean(&c[1]))
            .filter(|_| asked.is_some()),
        place: place_of(text),
        time: time_of(text, today),
        contact: contact_of(text, lower),
    };
    match asked {
        Some(Slot::What) if details.what.is_none() && has_description(text, lower) => {
            details.what = Some(text.to_owned());
        }
        Some(Slot::Place) if details.place.is_none() && !contains_any(lower, CORRECTION) => {
            details.place = clean(text.trim_start_matches('在'));
        }
        Some(Slot::Time) if details.time.is_none() && !contains_any(lower, CORRECTION) => {
            details.time = clean(text);
        }
        _ => {}
    }
    details
}

fn place_of(text: &str) -> Option<String> {
    if let Some(captures) = PLACE_CUE.captures(text) {
        return clean(&captures[1]);
    }
    let mentions = cityai_hotspot::extract_places(text);
    if let (Some(first), Some(last)) = (mentions.first(), mentions.last()) {
        // Join adjacent mentions ("云川市" "人民路") and keep the building number after them.
        let mut end = first.end;
        for mention in &mentions[1..] {
            if text[end..mention.start].chars().count() > 2 {
                break;
            }
            end = mention.end;
        }
        if last.end < end {
            end = last.end;
        }
        if let Some(detail) = PLACE_DETAIL.find(&text[end..]) {
            end += detail.end();
        }
        return clean(&text[first.start..end]);
    }
    ENGLISH_PLACE
        .captures(text)
        .and_then(|c| clean(&c[1]))
        .filter(|place| !is_time_word(place))
}

fn is_time_word(value: &str) -> bool {
    ENGLISH_TIME.is_match(value)
        || [
            "Monday",
            "Tuesday",
            "Wednesday",
            "Thursday",
            "Friday",
            "Saturday",
            "Sunday",
        ]
        .iter()
        .any(|day| value.starts_with(day))
}

fn time_of(text: &str, today: NaiveDate) -> Option<String> {
    if let Some(captures) = TIME_CUE.captures(text) {
        return clean(&captures[1]);
    }
    let mut spans: Vec<(usize, usize)> = cityai_hotspot::extract_times(text, Some(today))
        .iter()
        .map(|mention| (mention.start, mention.end))
        .collect();
    for word in TIME_WORDS {
        spans.extend(text.match_indices(word).map(|(at, w)| (at, at + w.len())));
    }
    spans.extend(CLOCK.find_iter(text).map(|m| (m.start(), m.end())));
    spans.extend(ENGLISH_TIME.find_iter(text).map(|m| (m.start(), m.end())));
    let dating = spans.clone();
    for word in DAY_PARTS {
        spans.extend(text.match_indices(word).map(|(at, w)| (at, at + w.len())));
    }
    spans.sort_unstable();

    // Join the first run of time words that lie close together ("昨天晚上十点"), starting
    // from the first word that dates the problem.
    let first_dating = dating.iter().map(|span| span.0).min()?;
    let from = spans.iter().position(|span| {
        span.0 == first_dating
            || span.1 <= first_dating && text[span.1..first_dating].chars().count() <= 1
    })?;
    let (start, mut end) = spans[from];
    for &(next_start, next_end) in &spans[from + 1..] {
        if next_start > end && text[end..next_start].chars().count() > 3 {
            break;
        }
        end = end.max(next_end);
    }
    clean(&text[start..end])
}

fn contact_of(text: &str, lower: &str) -> Option<Contact> {
    if contains_any(lower, NO_CONTACT) {
        return Some(Contact::NotWanted);
    }
    pii::detect(text)
        .into_iter()
        .find(|finding| matches!(finding.kind, PiiKind::Mobile | PiiKind::Landline))
        .map(|finding| Contact::Phone(text[finding.span.clone()].to_owned()))
}

fn status_ref(text: &str, asked: bool) -> Option<StatusRef> {
    if let Some(token) = TOKEN.find(text) {
        return Some(StatusRef::Token(token.as_str().to_lowercase()));
    }
    if let Some(captures) = REQUEST_ID.captures(text) {
        return captures[1].parse().ok().map(StatusRef::Id);
    }
    if asked {
        return BARE_NUMBER
            .captures(text)
            .and_then(|c| c[1].parse().ok())
            .map(StatusRef::Id);
    }
    None
}

/// Returns whether the message says something beyond a phrase that opens a complaint.
fn has_description(text: &str, lower: &str) -> bool {
    let mut rest = lower.to_owned();
    for opener in COMPLAINT_OPENERS {
        rest = rest.replace(opener, "");
    }
    let han = rest.chars().filter(|c| is_han(*c)).count();
    let words = rest
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| w.len() > 1)
        .count();
    (han >= 4 || words >= 3) && !is_nonsense(text)
}

/// Returns whether the text carries no meaning: only punctuation and digits, one character
/// repeated, or Latin letters that form no plausible word.
pub fn is_nonsense(text: &str) -> bool {
    let letters: Vec<char> = text.chars().filter(|c| c.is_alphanumeric()).collect();
    if letters.is_empty() {
        return true;
    }
    let mut distinct = letters.clone();
    distinct.sort_unstable();
    distinct.dedup();
    if letters.len() >= 3 && distinct.len() <= 1 {
        return true;
    }
    if letters.iter().any(|c| is_han(*c)) {
        return false;
    }
    if letters.iter().all(char::is_ascii_digit) {
        return letters.len() < 5;
    }
    !text
        .split(|c: char| !c.is_ascii_alphabetic())
        .filter(|word| !word.is_empty())
        .any(is_plausible_word)
}

/// Checks that a Latin word has a vowel and no run of five consonants.
fn is_plausible_word(word: &str) -> bool {
    let lower = word.to_ascii_lowercase();
    let vowel = |c: char| "aeiouy".contains(c);
    if !lower.chars().any(vowel) {
        return false;
    }
    let mut run = 0;
    for c in lower.chars() {
        run = if vowel(c) { 0 } else { run + 1 };
        if run >= 5 {
            return false;
        }
    }
    true
}

fn is_confirmation(lower: &str) -> bool {
    let bare = lower.trim_matches(|c: char| !c.is_alphanumeric());
    let bare = bare.trim_end_matches(['的', '了', '吧', '啊']);
    CONFIRM.contains(&bare)
        || CONFIRM
            .iter()
            .filter(|cue| cue.chars().count() >= 2)
            .any(|cue| bare.starts_with(cue) && bare.chars().count() <= cue.chars().count() + 4)
}

fn is_question(lower: &str) -> bool {
    if contains_any(lower, COMPLAINT_MARKERS) {
        return false;
    }
    let padded = format!("{lower} ");
    lower.ends_with('?')
        || lower.ends_with('？')
        || contains_any(&padded, QUESTION) && {
            // "什么时候" in an answer about time is no question; a question mark or another cue is.
            !lower.starts_with("什么时候都")
        }
}

fn is_greeting(lower: &str) -> bool {
    let bare = lower.trim_matches(|c: char| !c.is_alphanumeric());
    GREETING.contains(&bare)
        || GREETING
            .iter()
            .filter(|g| g.chars().all(is_han))
            .any(|g| bare.starts_with(g) && bare.chars().count() <= 4)
}

fn contains_any(text: &str, cues: &[&str]) -> bool {
    cues.iter().any(|cue| {
        if cue.is_ascii() && cue.len() <= 3 {
            // Short English cues must be whole words: "hi" is not in "this".
            text.split(|c: char| !c.is_ascii_alphanumeric())
                .any(|word| word == *cue)
        } else {
            text.contains(cue)
        }
    })
}

fn clean(value: &str) -> Option<String> {
    let value = value
        .trim()
        .trim_matches(|c: char| c.is_ascii_punctuation() || "，。！？；：、“”".contains(c))
        .trim();
    (!value.is_empty() && !is_nonsense(value)).then(|| value.to_owned())
}

fn is_han(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c) || ('\u{3400}'..='\u{4dbf}').contains(&c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 6, 1).unwrap()
    }

    fn read(message: &str) -> Understanding {
        understand(message, &DialogueState::default(), today())
    }

    #[test]
    fn complaint_with_place_and_time() {
        let reading = read("幸福小区3栋门口的路灯坏了，昨天晚上开始就不亮");
        assert_eq!(reading.intent, Intent::Complaint);
        assert_eq!(reading.details.place.as_deref(), Some("幸福小区3栋门口"));
        assert_eq!(reading.details.time.as_deref(), Some("昨天晚上"));
        assert!(reading.details.what.is_some());
    }

    #[test]
    fn opener_alone_has_no_description() {
        let reading = read("我要投诉");
        assert_eq!(reading.intent, Intent::Complaint);
        assert_eq!(reading.details.what, None);
    }

    #[test]
    fn question_and_status_and_nonsense() {
        assert_eq!(read("路灯不亮怎么报修？").intent, Intent::Question);
        // Traditional Chinese, without a question mark.
        assert_eq!(read("悠遊卡遺失了怎麼辦").intent, Intent::Question);
        let status = read("查一下编号 42 的进度");
        assert_eq!(status.intent, Intent::Status);
        assert_eq!(status.status_ref, Some(StatusRef::Id(42)));
        assert_eq!(read("asdfghjkl").intent, Intent::Nonsense);
        assert_eq!(read("？？？").intent, Intent::Nonsense);
        assert_eq!(read("啊啊啊啊").intent, Intent::Nonsense);
    }

    #[test]
    fn phone_and_no_contact() {
        let reading = read("我的电话是13912345678");
        assert_eq!(
            reading.details.contact,
            Some(Contact::Phone("13912345678".into()))
        );
        assert_eq!(read("不用联系我").details.contact, Some(Contact::NotWanted));
    }

    #[test]
    fn correction_names_the_new_place() {
        let state = DialogueState {
            phase: Phase::Confirming,
            ..DialogueState::default()
        };
        let reading = understand("不对，地点是人民路88号", &state, today());
        assert_eq!(reading.intent, Intent::Correction);
        assert_eq!(reading.details.place.as_deref(), Some("人民路88号"));
        let reading = understand("change the place to Oak Street", &state, today());
        assert_eq!(reading.intent, Intent::Correction);
        assert_eq!(reading.details.place.as_deref(), Some("Oak Street"));
    }

    #[test]
    fn english_complaint() {
        let reading = read("The street light on Main Street is broken since last week");
        assert_eq!(reading.intent, Intent::Complaint);
        assert_eq!(reading.details.place.as_deref(), Some("Main Street"));
        assert_eq!(reading.details.time.as_deref(), Some("since last week"));
    }
}
