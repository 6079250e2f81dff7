//! The five dimension scores of the reply quality check.
//!
//! Words are compared after folding (Traditional to Simplified, full to half width, lower
//! case) and jieba segmentation, and a request word counts as taken up when its folded text
//! occurs anywhere in the folded reply, as the knowledge crate counts answer coverage. Only
//! content words count: two characters or more, not a number, and not in [`STOP_WORDS`] or
//! the knowledge crate's question words.

use std::collections::HashSet;

use chrono::{DateTime, Datelike, FixedOffset, Utc, Weekday};
use cityai_knowledge::{QUESTION_WORDS, fold_text, segment_words};

use super::{Dimension, DimensionScore, Reason};
use crate::replies::{has_fill_in, points_raised, split_sentences};

/// The working days within which a reply counts as on time. Fifteen working days is the
/// reply limit that Chinese cities commonly set for messages to leaders' mailboxes and
/// 12345 hotline work orders.
pub const LIMIT_WORKING_DAYS: i64 = 15;

/// The working days after which a reply counts as poor on timeliness alone. It is about 60
/// calendar days, the handling limit that China's 信访条例 (2005) set for petitions.
pub const HARD_LIMIT_WORKING_DAYS: i64 = 42;

/// The share of a request's content words a reply must take up to score 1 on relevance. A
/// full answer restates the topic, the place and the main terms but rarely the citizen's
/// whole account, so half the words is already full coverage.
const RELEVANCE_FULL_SHARE: f64 = 0.5;

/// At most this many of the body's content words, the first ones, are compared. A request
/// names its matter early, and a long account should not drown the topic words.
const MAX_BODY_WORDS: usize = 40;

/// The new content words (not in the request and not in [`BOILERPLATE_WORDS`]) that give
/// full substance. A reply that states findings, actions or rules brings its own words.
const FULL_SUBSTANCE_WORDS: usize = 20;

/// Fewer new content words than this and the reply has no substance: it only
/// acknowledges, forwards or refers the citizen elsewhere.
const MIN_SUBSTANCE_WORDS: usize = 6;

/// The share of a point's content words that a reply must contain for the point to count
/// as taken up. A point also counts when three of its words occur.
const POINT_SHARE: f64 = 0.4;
const POINT_MIN_WORDS: usize = 3;

/// Sentence lengths, in characters, between which readability falls from 1 to 0.
const SENTENCE_CHARS_GOOD: f64 = 60.0;
const SENTENCE_CHARS_BAD: f64 = 150.0;

/// A reply shorter than this many characters cannot be read as an answer.
const MIN_REPLY_CHARS: usize = 15;

/// Frequent words of requests and replies that carry nothing about the matter itself.
const STOP_WORDS: &[&str] = &[
    "我们", "你们", "他们", "她们", "自己", "这个", "那个", "这些", "那些", "这样", "那样", "一个",
    "一些", "没有", "现在", "已经", "因为", "所以", "但是", "还是", "就是", "可以", "不是", "如果",
    "而且", "并且", "或者", "以及", "非常", "特别", "真的", "还有", "只有", "这里", "那里", "时候",
    "目前", "一直", "今年", "去年", "问题", "情况", "希望", "要求", "请求", "恳请", "建议", "反映",
    "领导", "相关", "有关", "部门", "政府", "谢谢", "感谢", "您好", "你好", "尊敬", "关于", "进行",
    "需要", "应该", "能够", "得到", "解决", "处理", "重视", "一下", "起来", "出来", "之后", "以后",
    "以前", "之前", "每天", "很多", "多次",
];

/// Words of acknowledgements, forwarding notes, referrals and closings: a reply made only
/// of these (and the request's own words) answers nothing.
const BOILERPLATE_WORDS: &[&str] = &[
    "网友",
    "收悉",
    "已阅",
    "收到",
    "留言",
    "来信",
    "来电",
    "帖子",
    "贴文",
    "网贴",
    "平台",
    "回复",
    "答复",
    "如下",
    "现将",
    "现就",
    "特此",
    "此复",
    "支持",
    "理解",
    "监督",
    "关心",
    "关注",
    "工作",
    "转交",
    "转至",
    "转由",
    "移交",
    "交由",
    "交办",
    "转办",
    "调查",
    "核处",
    "核查",
    "核实",
    "办复",
    "办理",
    "处置",
    "反馈",
    "及时",
    "敬请",
    "后续",
    "留意",
    "近期",
    "祝您",
    "生活",
    "愉快",
    "事事",
    "顺心",
    "我办",
    "我局",
    "我委",
    "我单位",
    "单位",
    "有关部门",
    "相关部门",
    "相关单位",
    "有关单位",
    "高度",
    "您的",
    "您反映",
    "所反映",
    "反映的",
    "联系",
    "电话",
    "咨询",
    "拨打",
    "致电",
    "直接",
    "具体",
    "欢迎",
    "信任",
    "宝贵",
    "意见",
    "内容",
    "转",
    "谢谢您",
];

/// Openings that greet the citizen.
const GREETINGS: &[&str] = &["您好", "你好", "尊敬的", "网友", "同志"];

/// Phrases of a closing or contact line.
const CLOSINGS: &[&str] = &[
    "感谢",
    "谢谢",
    "特此回复",
    "特此答复",
    "此复",
    "联系电话",
    "咨询电话",
    "电话",
    "欢迎",
    "祝您",
];

/// Words that refer to rules in general without naming one.
const GENERAL_BASIS_WORDS: &[&str] = &[
    "规定", "政策", "条例", "办法", "法律", "法规", "文件", "标准", "依法", "按照", "根据", "依据",
    "规范", "细则", "通知",
];

/// The content words of a request: its title, its body and the points it raises.
pub(super) struct RequestWords {
    title: Vec<String>,
    body: Vec<String>,
    /// The points raised, each with its content words. When no sentence asks for
    /// anything, the title (or the start of the body) stands for the one point.
    points: Vec<(String, Vec<String>)>,
    all: HashSet<String>,
}

impl RequestWords {
    pub(super) fn of(title: Option<&str>, body: &str) -> Self {
        let title_words = title.map(content_words).unwrap_or_default();
        let mut body_words = content_words(body);
        body_words.truncate(MAX_BODY_WORDS);

        let mut points: Vec<(String, Vec<String>)> = points_raised(body)
            .into_iter()
            .map(|point| {
                let words = content_words(&point);
                (point, words)
            })
            .filter(|(_, words)| !words.is_empty())
            .collect();
        if points.is_empty() {
            let stand_in = match title {
                Some(title) if !title_words.is_empty() => title.to_owned(),
                _ => body.chars().take(60).collect(),
            };
            let words = content_words(&stand_in);
            if !words.is_empty() {
                points.push((stand_in, words));
            }
        }

        let mut all: HashSet<String> = title_words.iter().cloned().collect();
        all.extend(content_words(body));
        Self {
            title: title_words,
            body: body_words,
            points,
            all,
        }
    }
}

/// The reply, folded for matching and split into sentences.
pub(super) struct ReplyText {
    original: String,
    folded: String,
    words: Vec<String>,
    sentences: Vec<String>,
}

impl ReplyText {
    pub(super) fn of(reply: &str) -> Self {
        let original = reply.trim().to_owned();
        Self {
            folded: fold_text(&original),
            words: content_words(&original),
            sentences: split_sentences(&original),
            original,
        }
    }

    fn contains(&self, folded_word: &str) -> bool {
        self.folded.contains(folded_word)
    }
}

/// Returns the distinct content words of `text`, folded, in order of first occurrence.
fn content_words(text: &str) -> Vec<String> {
    let mut seen = HashSet::new();
    segment_words(text)
        .into_iter()
        .filter(|word| is_content_word(word))
        .filter(|word| seen.insert(word.clone()))
        .collect()
}

fn is_content_word(word: &str) -> bool {
    word.chars().count() >= 2
        && !word.chars().all(|c| c.is_ascii_digit() || c == '.')
        && !STOP_WORDS.contains(&word)
        && !QUESTION_WORDS.contains(&word)
}

fn share(found: usize, total: usize) -> f64 {
    if total == 0 {
        0.0
    } else {
        found as f64 / total as f64
    }
}

fn percent(value: f64) -> String {
    format!("{:.0}%", value * 100.0)
}

/// Relevance: how many of the request's content words the reply takes up.
///
/// `share = 0.5 × title share + 0.5 × body share` (the body share alone when there is no
/// title), and `score = min(1, share / 0.5)`.
pub(super) fn relevance(request: &RequestWords, reply: &ReplyText) -> DimensionScore {
    let found_in = |words: &[String]| words.iter().filter(|w| reply.contains(w)).count();
    let body_found = found_in(&request.body);
    let body_share = share(body_found, request.body.len());
    let title_found = found_in(&request.title);

    if request.body.is_empty() && request.title.is_empty() {
        return DimensionScore {
            dimension: Dimension::Relevance,
            score: None,
            reasons: vec![Reason::new("reply_quality.relevance.no_words")],
        };
    }
    let combined = if request.title.is_empty() {
        body_share
    } else {
        0.5 * share(title_found, request.title.len()) + 0.5 * body_share
    };
    let score = (combined / RELEVANCE_FULL_SHARE).min(1.0);

    let mut reasons = vec![
        Reason::new("reply_quality.relevance.words")
            .with("found", body_found)
            .with("total", request.body.len())
            .with("share", percent(body_share)),
    ];
    if !request.title.is_empty() {
        reasons.push(
            Reason::new("reply_quality.relevance.title")
                .with("found", title_found)
                .with("total", request.title.len()),
        );
    }
    DimensionScore {
        dimension: Dimension::Relevance,
        score: Some(score),
        reasons,
    }
}

/// Completeness: whether the reply has substance, and how many of the points raised it
/// takes up.
///
/// `substance` counts the reply's content words that are neither in the request nor
/// boilerplate of acknowledgements, forwarding and referral. Under 6 such words the reply
/// scores 0. Otherwise `score = 0.5 × points taken up / points + 0.5 × min(1, substance /
/// 20)`.
pub(super) fn completeness(request: &RequestWords, reply: &ReplyText) -> DimensionScore {
    let substance = reply
        .words
        .iter()
        .filter(|word| !request.all.contains(*word))
        .filter(|word| !BOILERPLATE_WORDS.contains(&word.as_str()))
        .count();
    if substance < MIN_SUBSTANCE_WORDS {
        return DimensionScore {
            dimension: Dimension::Completeness,
            score: Some(0.0),
            reasons: vec![
                Reason::new("reply_quality.completeness.no_substance").with("words", substance),
            ],
        };
    }

    let mut missed: Vec<&str> = Vec::new();
    let mut taken_up = 0;
    for (point, words) in &request.points {
        let found = words.iter().filter(|w| reply.contains(w)).count();
        if share(found, words.len()) >= POINT_SHARE || found >= POINT_MIN_WORDS {
            taken_up += 1;
        } else {
            missed.push(point);
        }
    }
    let points_share = if request.points.is_empty() {
        1.0
    } else {
        share(taken_up, request.points.len())
    };
    let substance_share = (substance as f64 / FULL_SUBSTANCE_WORDS as f64).min(1.0);
    let score = 0.5 * points_share + 0.5 * substance_share;

    let mut reasons = vec![
        Reason::new("reply_quality.completeness.points")
            .with("taken_up", taken_up)
            .with("total", request.points.len())
            .with("words", substance),
    ];
    if let Some(first) = missed.first() {
        reasons.push(
            Reason::new("reply_quality.completeness.missed").with("point", excerpt(first, 30)),
        );
    }
    DimensionScore {
        dimension: Dimension::Completeness,
        score: Some(score),
        reasons,
    }
}

fn excerpt(text: &str, max_chars: usize) -> String {
    let mut out: String = text.chars().take(max_chars).collect();
    if text.chars().count() > max_chars {
        out.push('…');
    }
    out
}

/// Basis cited: 1 when the reply names a document (《…》), an article (第…条) or a document
/// number (〔2019〕12号 and its bracket variants); 0.5 when it only refers to rules in
/// general words (规定, 政策, 按照 …); 0 otherwise.
pub(super) fn basis(reply: &ReplyText) -> DimensionScore {
    if let Some(found) = named_basis(&reply.original) {
        return DimensionScore {
            dimension: Dimension::Basis,
            score: Some(1.0),
            reasons: vec![Reason::new("reply_quality.basis.cited").with("found", found)],
        };
    }
    let general: Vec<&str> = GENERAL_BASIS_WORDS
        .iter()
        .copied()
        .filter(|word| reply.original.contains(word))
        .collect();
    if general.is_empty() {
        DimensionScore {
            dimension: Dimension::Basis,
            score: Some(0.0),
            reasons: vec![Reason::new("reply_quality.basis.none")],
        }
    } else {
        DimensionScore {
            dimension: Dimension::Basis,
            score: Some(0.5),
            reasons: vec![
                Reason::new("reply_quality.basis.general").with("found", general.join("、")),
            ],
        }
    }
}

/// Returns the first named document, article or document number in the text.
fn named_basis(text: &str) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            // 《title》 of at least two characters.
            '《' => {
                if let Some(len) = chars[i + 1..].iter().take(60).position(|&c| c == '》')
                    && len >= 2
                {
                    return Some(chars[i..=i + 1 + len].iter().collect());
                }
            }
            // 第 + numeral + 条.
            '第' => {
                let numeral = chars[i + 1..]
                    .iter()
                    .take(8)
                    .take_while(|c| is_numeral(**c))
                    .count();
                if numeral > 0 && chars.get(i + 1 + numeral) == Some(&'条') {
                    return Some(chars[i..=i + 1 + numeral].iter().collect());
                }
            }
            // A year in brackets followed by a number and 号: 〔2019〕12号, [2016]29号, （2008）15号.
            '〔' | '[' | '（' | '(' | '【' => {
                if let Some(found) = document_number(&chars[i..]) {
                    return Some(found);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

fn is_numeral(c: char) -> bool {
    c.is_ascii_digit() || "零一二三四五六七八九十百千".contains(c)
}

/// Matches `〔YYYY〕N号` (any of the usual brackets) at the start of `chars`.
fn document_number(chars: &[char]) -> Option<String> {
    let year: String = chars.iter().skip(1).take(4).collect();
    let is_year = year.len() == 4
        && year.chars().all(|c| c.is_ascii_digit())
        && (year.starts_with("19") || year.starts_with("20"));
    if !is_year || !matches!(chars.get(5), Some('〕' | ']' | '）' | ')' | '】')) {
        return None;
    }
    let digits = chars[6..]
        .iter()
        .take(5)
        .take_while(|c| c.is_ascii_digit())
        .count();
    if digits > 0 && chars.get(6 + digits) == Some(&'号') {
        Some(chars[..=6 + digits].iter().collect())
    } else {
        None
    }
}

/// Returns the working days (Monday to Friday) after the day of `from` up to and including
/// the day of `to`, both days taken at `offset`. A reply on the day of the request took 0
/// working days; a negative count means `to` is before `from`.
///
/// NOTE: public holidays and the weekend days China makes into working days are not
/// known, so around holidays the count is off by a few days.
pub fn working_days_between(from: DateTime<Utc>, to: DateTime<Utc>, offset: FixedOffset) -> i64 {
    let start = from.with_timezone(&offset).date_naive();
    let end = to.with_timezone(&offset).date_naive();
    if end < start {
        return -working_days_between(to, from, offset);
    }
    let mut count = 0;
    let mut day = start;
    while day < end {
        day = day.succ_opt().unwrap_or(day);
        if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            count += 1;
        }
        if day == chrono::NaiveDate::MAX {
            break;
        }
    }
    count
}

/// Timeliness from the working days `d` between request and reply: 1 up to 15 days, then
/// falling linearly to 0.5 at 42 days (about 60 calendar days), then to 0 at 84 days.
pub(super) fn timeliness(
    submitted_at: Option<DateTime<Utc>>,
    replied_at: Option<DateTime<Utc>>,
    offset: FixedOffset,
) -> DimensionScore {
    let unscored = |key: &'static str| DimensionScore {
        dimension: Dimension::Timeliness,
        score: None,
        reasons: vec![Reason::new(key)],
    };
    let (Some(submitted_at), Some(replied_at)) = (submitted_at, replied_at) else {
        return unscored("reply_quality.timeliness.unknown");
    };
    let days = working_days_between(submitted_at, replied_at, offset);
    if days < 0 {
        return unscored("reply_quality.timeliness.before_request");
    }

    let limit = LIMIT_WORKING_DAYS as f64;
    let hard = HARD_LIMIT_WORKING_DAYS as f64;
    let d = days as f64;
    let (score, key) = if days <= LIMIT_WORKING_DAYS {
        (1.0, "reply_quality.timeliness.within")
    } else if days <= HARD_LIMIT_WORKING_DAYS {
        (
            1.0 - 0.5 * (d - limit) / (hard - limit),
            "reply_quality.timeliness.late",
        )
    } else {
        (
            (0.5 - 0.5 * (d - hard) / hard).max(0.0),
            "reply_quality.timeliness.overdue",
        )
    };
    DimensionScore {
        dimension: Dimension::Timeliness,
        score: Some(score),
        reasons: vec![
            Reason::new(key)
                .with("days", days)
                .with("limit", LIMIT_WORKING_DAYS)
                .with("hard_limit", HARD_LIMIT_WORKING_DAYS),
        ],
    }
}

/// Readability: 0 when a fill-in field is left or the reply is under 15 characters, and
/// otherwise `0.5 × sentence length score + 0.25 × greeting + 0.25 × closing`. The sentence
/// length score is 1 for a mean of up to 60 characters and falls linearly to 0 at 150.
pub(super) fn readability(reply: &ReplyText) -> DimensionScore {
    let score_of = |score: f64, reasons: Vec<Reason>| DimensionScore {
        dimension: Dimension::Readability,
        score: Some(score),
        reasons,
    };
    if has_fill_in(&reply.original) {
        return score_of(0.0, vec![Reason::new("reply_quality.readability.fill_in")]);
    }
    let chars = reply.original.chars().count();
    if chars < MIN_REPLY_CHARS {
        return score_of(
            0.0,
            vec![Reason::new("reply_quality.readability.too_short").with("chars", chars)],
        );
    }

    let sentences = reply.sentences.len().max(1);
    let mean = chars as f64 / sentences as f64;
    let length_score =
        ((SENTENCE_CHARS_BAD - mean) / (SENTENCE_CHARS_BAD - SENTENCE_CHARS_GOOD)).clamp(0.0, 1.0);
    let opening: String = reply.original.chars().take(40).collect();
    let greeting = GREETINGS.iter().any(|g| opening.contains(g));
    let ending: String = {
        let tail: Vec<char> = reply.original.chars().rev().take(80).collect();
        tail.into_iter().rev().collect()
    };
    let closing = CLOSINGS.iter().any(|c| ending.contains(c)) || ends_with_date(&ending);
    let score = 0.5 * length_score
        + 0.25 * f64::from(u8::from(greeting))
        + 0.25 * f64::from(u8::from(closing));

    let mut reasons = vec![
        Reason::new("reply_quality.readability.sentences")
            .with("mean", format!("{mean:.0}"))
            .with("sentences", reply.sentences.len()),
    ];
    if !greeting {
        reasons.push(Reason::new("reply_quality.readability.no_greeting"));
    }
    if !closing {
        reasons.push(Reason::new("reply_quality.readability.no_closing"));
    }
    score_of(score, reasons)
}

/// Returns whether the text ends with a date such as 2019年3月5日, as signed replies do.
fn ends_with_date(text: &str) -> bool {
    let trimmed = text.trim_end_matches(|c: char| c.is_whitespace() || "。.".contains(c));
    trimmed.ends_with('日') && trimmed.contains('年') && trimmed.contains('月')
}

#[cfg(test)]
mod tests;
