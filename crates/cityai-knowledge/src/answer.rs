//! Extractive answers: the sentences of the top passages that best cover the query's words,
//! each tied to the chunk it comes from, or no answer when coverage is too low.
//!
//! Coverage is the share of the query's word weight (BM25 IDF, see [`QueryWord::idf`]) found
//! in the chosen sentences, from 0 to 1. A word counts as found when its folded text occurs
//! in the folded sentence. Rare words weigh more, so a sentence that contains the query's
//! specific terms covers more than one that repeats its common ones. Interrogative words
//! (多少, 如何, 哪些, 吗 and the like, see [`QUESTION_WORDS`]) do not count, because an
//! answer states the information instead of repeating the question.
//!
//! A question in a passage is never quoted. That is a sentence that ends with a question
//! mark, a line marked Q1：or 問：, or a sentence that repeats the source's title, as FAQ
//! entries have. When the greedy choice takes a question, the answer quotes the sentences
//! after it instead, up to the next question or [`AnswerParams::max_sentences`]. Fragments
//! with fewer than [`MIN_ANSWER_CHARS`] letters and digits, such as 可以。 or a stray
//! 無標題文件, are never quoted either. Nothing here generates text: every sentence is quoted
//! from a source.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::chunk::sentence_spans;
use crate::fold::fold_text;
use crate::index::{QueryWord, SearchResults};

/// Interrogative and question-particle words, in Simplified Chinese, that coverage ignores.
pub const QUESTION_WORDS: [&str; 22] = [
    "多少",
    "几",
    "什么",
    "怎么",
    "怎么办",
    "怎么样",
    "怎样",
    "如何",
    "哪些",
    "哪里",
    "哪个",
    "哪",
    "为什么",
    "为何",
    "是否",
    "能否",
    "可否",
    "吗",
    "呢",
    "请问",
    "何",
    "么",
];

/// Settings for [`build_answer`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AnswerParams {
    /// How many of the top hits to take sentences from. Default 3.
    pub passages: usize,
    /// The maximum number of sentences in an answer. Default 3.
    pub max_sentences: usize,
    /// The coverage (0 to 1) below which there is no answer. Default 0.6.
    pub min_coverage: f32,
}

impl Default for AnswerParams {
    fn default() -> Self {
        Self {
            passages: 3,
            max_sentences: 3,
            min_coverage: 0.6,
        }
    }
}

/// One quoted sentence of an answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnswerSentence {
    /// The sentence as written in the source, trimmed.
    pub text: String,
    /// The source it is quoted from.
    pub source_id: String,
    /// The chunk it is quoted from ([`crate::Chunk::id`]).
    pub chunk_id: String,
    /// The first character of the sentence in the source's plain text.
    pub char_start: usize,
    /// One past the last character of the sentence in the source's plain text.
    pub char_end: usize,
    /// The query words this sentence contains.
    pub covered_words: Vec<String>,
}

/// An answer assembled from quoted sentences.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExtractiveAnswer {
    /// The sentences, in the order of their hits and, within a hit, in reading order.
    pub sentences: Vec<AnswerSentence>,
    /// The share of the query's word weight the sentences cover, from 0 to 1.
    pub coverage: f32,
}

/// The outcome of [`build_answer`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum AnswerOutcome {
    /// The sentences cover enough of the query.
    Answer(ExtractiveAnswer),
    /// Relevance is too low to answer: the best sentences cover less than the threshold.
    NoAnswer {
        /// The coverage the best sentences reached.
        best_coverage: f32,
        /// The threshold it was compared with ([`AnswerParams::min_coverage`]).
        min_coverage: f32,
    },
}

/// Minimum count of letters and digits in a quoted sentence; CJK characters count as
/// letters. Shorter sentences are fragments such as 可以。 or a list number.
pub const MIN_ANSWER_CHARS: usize = 8;

/// A sentence candidate with its position among the hits.
#[derive(Debug)]
struct Candidate {
    hit_rank: usize,
    /// The question and answer block of the hit the sentence is in, counted from 0; a
    /// question after an answer sentence starts the next block.
    block: usize,
    /// Whether the sentence is a question, which is never quoted.
    is_question: bool,
    sentence: AnswerSentence,
    /// Indices into the query words of the words the sentence contains.
    word_indices: Vec<usize>,
}

/// Builds an extractive answer from search results. It does not search.
///
/// Sentences are picked greedily: each step takes the sentence that adds the most uncovered
/// word weight (ties go to the better hit, then the earlier sentence), until
/// [`AnswerParams::max_sentences`] are taken or no sentence adds anything.
pub fn build_answer(results: &SearchResults, params: &AnswerParams) -> AnswerOutcome {
    let words = &results.query_words;
    let weight = |word: &QueryWord| {
        if QUESTION_WORDS.contains(&word.text.as_str()) {
            0.0
        } else {
            word.idf.max(0.0)
        }
    };
    let total_weight: f32 = words.iter().map(weight).sum();
    let no_answer = |best_coverage: f32| AnswerOutcome::NoAnswer {
        best_coverage,
        min_coverage: params.min_coverage,
    };
    if total_weight <= 0.0 {
        return no_answer(0.0);
    }

    let mut candidates = candidates(results, params.passages);
    let mut covered: HashSet<usize> = HashSet::new();
    let mut chosen: Vec<Candidate> = Vec::new();
    while chosen.len() < params.max_sentences {
        let gain = |candidate: &Candidate| -> f32 {
            candidate
                .word_indices
                .iter()
                .filter(|index| !covered.contains(index))
                .map(|&index| weight(&words[index]))
                .sum()
        };
        // `candidates` is in hit and reading order, so the first maximum wins ties.
        let mut best: Option<(usize, f32)> = None;
        for (position, candidate) in candidates.iter().enumerate() {
            let candidate_gain = gain(candidate);
            if candidate_gain > best.map_or(0.0, |(_, best_gain)| best_gain) {
                best = Some((position, candidate_gain));
            }
        }
        let Some((position, _)) = best else {
            break;
        };
        let candidate = candidates.remove(position);
        covered.extend(candidate.word_indices.iter().copied());
        chosen.push(candidate);
    }
    let covered_weight: f32 = covered.iter().map(|&index| weight(&words[index])).sum();
    let coverage = covered_weight / total_weight;

    // Replace each chosen question with the sentences after it in its block. `candidates`
    // is in reading order, so the first match is the next unchosen sentence of the block.
    let (questions, mut quoted): (Vec<Candidate>, Vec<Candidate>) = chosen
        .into_iter()
        .partition(|candidate| candidate.is_question);
    for question in questions {
        while quoted.len() < params.max_sentences {
            let Some(next) = candidates.iter().position(|c| {
                c.hit_rank == question.hit_rank
                    && c.block == question.block
                    && !c.is_question
                    && c.sentence.char_start > question.sentence.char_start
            }) else {
                break;
            };
            quoted.push(candidates.remove(next));
        }
    }

    if quoted.is_empty() || coverage < params.min_coverage {
        return no_answer(coverage);
    }
    quoted.sort_by_key(|candidate| (candidate.hit_rank, candidate.sentence.char_start));
    AnswerOutcome::Answer(ExtractiveAnswer {
        sentences: quoted
            .into_iter()
            .map(|candidate| candidate.sentence)
            .collect(),
        coverage,
    })
}

/// Returns whether a sentence is a question. It is one when it ends with a question mark,
/// before any closing quote or bracket. A line marked Q1：or 問： is one only when it also
/// contains a question word, because some sources mark their answers with Q：too.
fn is_question_text(text: &str) -> bool {
    // The question words of [`QUESTION_WORDS`] without 几, 何 and 么, which answers use too.
    const QUESTION_CUES: [&str; 12] = [
        "如何", "怎么", "怎样", "是否", "可否", "能否", "请问", "多少", "哪", "什么", "吗", "呢",
    ];

    let end = text.trim_end_matches(['」', '』', '”', '"', '）', ')', ' ']);
    if end.ends_with(['?', '？']) {
        return true;
    }
    let marker = text
        .strip_prefix(['Q', 'q'])
        .map(|rest| rest.trim_start_matches(|c: char| c.is_ascii_digit()))
        .or_else(|| text.strip_prefix(['問', '问']));
    let marked = marker.is_some_and(|rest| rest.starts_with(['：', ':', '.', '、']));
    if !marked {
        return false;
    }
    let folded = fold_text(text);
    QUESTION_CUES.iter().any(|word| folded.contains(word))
}

/// Returns whether a sentence has at least [`MIN_ANSWER_CHARS`] letters and digits.
fn is_substantive(text: &str) -> bool {
    text.chars().filter(|c| c.is_alphanumeric()).count() >= MIN_ANSWER_CHARS
}

/// Splits the top hits into sentences and finds the query words in each.
fn candidates(results: &SearchResults, passages: usize) -> Vec<Candidate> {
    let mut candidates = Vec::new();
    for (hit_rank, hit) in results.hits.iter().take(passages).enumerate() {
        let chunk = &hit.chunk;
        let title = chunk.source.title.as_deref().map(fold_text);
        let chars: Vec<char> = chunk.text.chars().collect();
        let mut block = 0;
        let mut in_answer = false;
        for (start, end) in sentence_spans(&chars, 0, chars.len()) {
            let raw: String = chars[start..end].iter().collect();
            let text = raw.trim();
            if text.is_empty() {
                continue;
            }
            let leading = raw.chars().take_while(|c| c.is_whitespace()).count();
            let folded = fold_text(text);
            let is_question = is_question_text(text) || title.as_deref() == Some(folded.as_str());
            if is_question {
                if in_answer {
                    block += 1;
                    in_answer = false;
                }
            } else if is_substantive(text) {
                in_answer = true;
            } else {
                continue;
            }
            let word_indices = matching_words(&results.query_words, &folded);
            let covered_words = word_indices
                .iter()
                .map(|&index| results.query_words[index].text.clone())
                .collect();
            let char_start = chunk.char_start + start + leading;
            candidates.push(Candidate {
                hit_rank,
                block,
                is_question,
                sentence: AnswerSentence {
                    text: text.to_owned(),
                    source_id: chunk.source.id.clone(),
                    chunk_id: chunk.id(),
                    char_start,
                    char_end: char_start + text.chars().count(),
                    covered_words,
                },
                word_indices,
            });
        }
    }
    candidates
}

fn matching_words(words: &[QueryWord], folded_sentence: &str) -> Vec<usize> {
    words
        .iter()
        .enumerate()
        .filter(|(_, word)| folded_sentence.contains(word.text.as_str()))
        .map(|(index, _)| index)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunk::Chunk;
    use crate::index::SearchHit;
    use crate::source::{Source, SourceKind};

    fn hit(source_id: &str, text: &str) -> SearchHit {
        SearchHit {
            chunk: Chunk {
                source: Source::new(source_id, SourceKind::Faq),
                ordinal: 0,
                char_start: 10,
                char_end: 10 + text.chars().count(),
                heading_path: Vec::new(),
                text: text.to_owned(),
            },
            score: 1.0,
            explanation: None,
        }
    }

    fn word(text: &str, idf: f32) -> QueryWord {
        QueryWord {
            text: text.to_owned(),
            idf,
        }
    }

    #[test]
    fn picks_covering_sentences_with_offsets() {
        let results = SearchResults {
            query_words: vec![word("停车", 2.0), word("月票", 3.0), word("申请", 1.0)],
            hits: vec![hit(
                "faq-1",
                "本市开放路边停车。 月票可在网上申请。其他问题请拨1999。",
            )],
        };
        let AnswerOutcome::Answer(answer) = build_answer(&results, &AnswerParams::default()) else {
            panic!("expected an answer");
        };
        let texts: Vec<&str> = answer.sentences.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(texts, ["本市开放路边停车。", "月票可在网上申请。"]);
        assert!((answer.coverage - 1.0).abs() < 1e-6);

        let second = &answer.sentences[1];
        assert_eq!(second.source_id, "faq-1");
        assert_eq!(second.chunk_id, "faq-1#0");
        // The chunk starts at 10, the sentence after "本市开放路边停车。 " (10 characters).
        assert_eq!(second.char_start, 20);
        assert_eq!(second.char_end, 29);
        assert_eq!(second.covered_words, ["月票", "申请"]);
    }

    #[test]
    fn answers_a_question_with_the_sentence_after_it() {
        let mut faq = hit(
            "faq-2",
            "敬老卡遗失怎么办？ 请先拨打服务电话办理挂失，再到区公所补办。其他问题请拨1999。",
        );
        faq.chunk.source.title = Some("敬老卡遗失怎么办？".to_owned());
        let results = SearchResults {
            query_words: vec![word("敬老卡", 3.0), word("遗失", 2.0), word("怎么办", 1.0)],
            hits: vec![faq],
        };
        let AnswerOutcome::Answer(answer) = build_answer(&results, &AnswerParams::default()) else {
            panic!("expected an answer");
        };
        let texts: Vec<&str> = answer.sentences.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "请先拨打服务电话办理挂失，再到区公所补办。",
                "其他问题请拨1999。"
            ]
        );
        // The sentences quote the answer; they list only the query words they contain.
        assert!(answer.sentences[0].covered_words.is_empty());
        assert!((answer.coverage - 1.0).abs() < 1e-6);
    }

    #[test]
    fn quotes_no_fragment_and_no_marked_question() {
        let faq = hit(
            "faq-3",
            "無標題文件 Q1：「请问长辈可否申请入住敬老院？」 A.依据本市规定，年满六十五岁的长辈可以申请入住。 Q2：如何办理入住呢 可以。",
        );
        let results = SearchResults {
            query_words: vec![word("长辈", 2.0), word("敬老院", 3.0), word("入住", 2.0)],
            hits: vec![faq],
        };
        let AnswerOutcome::Answer(answer) = build_answer(&results, &AnswerParams::default()) else {
            panic!("expected an answer");
        };
        let texts: Vec<&str> = answer.sentences.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(texts, ["A.依据本市规定，年满六十五岁的长辈可以申请入住。"]);
        assert!(is_question_text("Q2：如何办理入住呢"));
        assert!(is_question_text("問：老人健保補助是否每年要重新申請"));
        assert!(!is_question_text("QR码可在窗口领取。"));
        // A source that marks its answer with Q：
        assert!(!is_question_text(
            "Q：違規廣告物應全部拆除，如更置新設，可向臺北市建築管理處申請設置許可。"
        ));
        assert!(!is_substantive("A12：可以。"));
    }

    #[test]
    fn low_coverage_gives_no_answer() {
        let results = SearchResults {
            query_words: vec![word("火星", 5.0), word("签证", 4.0), word("申请", 1.0)],
            hits: vec![hit("faq-1", "月票可在网上申请。")],
        };
        let outcome = build_answer(&results, &AnswerParams::default());
        let AnswerOutcome::NoAnswer {
            best_coverage,
            min_coverage,
        } = outcome
        else {
            panic!("expected no answer, got {outcome:?}");
        };
        assert!((best_coverage - 0.1).abs() < 1e-6, "{best_coverage}");
        assert!((min_coverage - 0.6).abs() < 1e-6);
    }

    #[test]
    fn threshold_is_respected() {
        let results = SearchResults {
            query_words: vec![word("月票", 1.0), word("火星", 1.0)],
            hits: vec![hit("faq-1", "月票可在网上申请。")],
        };
        let strict = AnswerParams {
            min_coverage: 0.6,
            ..AnswerParams::default()
        };
        let lenient = AnswerParams {
            min_coverage: 0.5,
            ..AnswerParams::default()
        };
        assert!(matches!(
            build_answer(&results, &strict),
            AnswerOutcome::NoAnswer { .. }
        ));
        assert!(matches!(
            build_answer(&results, &lenient),
            AnswerOutcome::Answer(_)
        ));
    }

    #[test]
    fn no_hits_gives_no_answer() {
        let results = SearchResults {
            query_words: vec![word("月票", 1.0)],
            hits: Vec::new(),
        };
        assert!(matches!(
            build_answer(&results, &AnswerParams::default()),
            AnswerOutcome::NoAnswer { .. }
        ));
    }
}
