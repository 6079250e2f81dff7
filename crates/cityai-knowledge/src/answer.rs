//! Extractive answers: the sentences of the top passages that best cover the query's words,
//! each tied to the chunk it comes from, or no answer when coverage is too low.
//!
//! Coverage is the share of the query's word weight (BM25 IDF, see [`QueryWord::idf`]) found
//! in the chosen sentences, from 0 to 1. A word counts as found when its folded text occurs
//! in the folded sentence. Rare words weigh more, so a sentence that contains the query's
//! specific terms covers more than one that repeats its common ones. Interrogative words
//! (多少, 如何, 哪些, 吗 and the like, see [`QUESTION_WORDS`]) do not count, because an
//! answer states the information instead of repeating the question. For the same reason a
//! sentence that is itself a question is never chosen: one that ends with a question mark,
//! as the question of an FAQ entry does, or that repeats the source's title. The query words
//! it matches count for the next sentence of the same passage, which begins its answer. When
//! such a sentence is chosen, the answer goes on with the sentences after it, up to the next
//! question or [`AnswerParams::max_sentences`], because the rest of an FAQ answer seldom
//! repeats the question's words.
//! Nothing here generates text: every sentence is quoted from a source.

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

/// A sentence candidate with its position among the hits.
#[derive(Debug)]
struct Candidate {
    hit_rank: usize,
    /// The question and answer block of the hit the sentence is in, counted from 0; a
    /// question after an answer sentence starts the next block.
    block: usize,
    /// Whether the sentence begins the answer to a question that matched the query.
    answers_question: bool,
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
    // Go on with the answers to matched questions. `candidates` is in reading order, so
    // the first match is the next sentence of the block still unchosen.
    let answers: Vec<(usize, usize, usize)> = chosen
        .iter()
        .filter(|candidate| candidate.answers_question)
        .map(|c| (c.hit_rank, c.block, c.sentence.char_start))
        .collect();
    for (hit_rank, block, start) in answers {
        while chosen.len() < params.max_sentences {
            let Some(next) = candidates.iter().position(|c| {
                c.hit_rank == hit_rank && c.block == block && c.sentence.char_start > start
            }) else {
                break;
            };
            chosen.push(candidates.remove(next));
        }
    }

    let covered_weight: f32 = covered.iter().map(|&index| weight(&words[index])).sum();
    let coverage = covered_weight / total_weight;
    if chosen.is_empty() || coverage < params.min_coverage {
        return no_answer(coverage);
    }
    chosen.sort_by_key(|candidate| (candidate.hit_rank, candidate.sentence.char_start));
    AnswerOutcome::Answer(ExtractiveAnswer {
        sentences: chosen
            .into_iter()
            .map(|candidate| candidate.sentence)
            .collect(),
        coverage,
    })
}

/// Splits the top hits into sentences and finds the query words in each.
fn candidates(results: &SearchResults, passages: usize) -> Vec<Candidate> {
    let mut candidates = Vec::new();
    for (hit_rank, hit) in results.hits.iter().take(passages).enumerate() {
        let chunk = &hit.chunk;
        let title = chunk.source.title.as_deref().map(fold_text);
        let chars: Vec<char> = chunk.text.chars().collect();
        // Query words matched by a question, which the sentence after it answers.
        let mut asked: Vec<usize> = Vec::new();
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
            let mut word_indices = matching_words(&results.query_words, &folded);
            if text.ends_with(['?', '？']) || title.as_deref() == Some(folded.as_str()) {
                if in_answer {
                    block += 1;
                    in_answer = false;
                }
                asked.extend(word_indices);
                continue;
            }
            in_answer = true;
            let answers_question = !asked.is_empty();
            if answers_question {
                word_indices.append(&mut asked);
                word_indices.sort_unstable();
                word_indices.dedup();
            }
            let covered_words = word_indices
                .iter()
                .map(|&index| results.query_words[index].text.clone())
                .collect();
            let char_start = chunk.char_start + start + leading;
            candidates.push(Candidate {
                hit_rank,
                block,
                answers_question,
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
        assert_eq!(
            answer.sentences[0].covered_words,
            ["敬老卡", "遗失", "怎么办"]
        );
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
