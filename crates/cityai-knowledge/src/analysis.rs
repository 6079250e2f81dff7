//! Text analysis for the index: Chinese word segmentation and character bigrams over folded
//! text, as tantivy tokenizers and as plain functions for query building.
//!
//! Both analyzers see text after [`fold_text`], so Traditional and Simplified spellings, full-
//! and half-width letters, and upper and lower case produce the same terms. Token offsets are
//! byte offsets into the folded text, not the original.

use std::sync::{Arc, OnceLock};

use jieba_rs::Jieba;
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

use crate::fold::fold_text;

/// The name the word tokenizer is registered under in the index.
pub(crate) const WORD_TOKENIZER: &str = "cityai_words";
/// The name the bigram tokenizer is registered under in the index.
pub(crate) const BIGRAM_TOKENIZER: &str = "cityai_bigrams";

/// Returns the shared segmenter. Loading jieba's embedded dictionary takes a few hundred
/// milliseconds, so it happens once per process.
pub(crate) fn jieba() -> Arc<Jieba> {
    static JIEBA: OnceLock<Arc<Jieba>> = OnceLock::new();
    JIEBA.get_or_init(|| Arc::new(Jieba::new())).clone()
}

/// Returns whether a character can be part of a term: letters, digits and CJK ideographs,
/// but not punctuation, symbols or spaces.
fn is_term_char(c: char) -> bool {
    c.is_alphanumeric()
}

/// Returns whether a character is written without spaces between words (CJK ideographs,
/// kana, Hangul), so that character bigrams are a meaningful unit.
fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF     // Hiragana, Katakana
        | 0x3400..=0x4DBF   // CJK Extension A
        | 0x4E00..=0x9FFF   // CJK Unified Ideographs
        | 0xAC00..=0xD7AF   // Hangul syllables
        | 0xF900..=0xFAFF   // CJK Compatibility Ideographs
        | 0x20000..=0x3FFFF // CJK Extensions B and later
    )
}

/// A term with its byte span in the folded text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Term {
    pub(crate) text: String,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

/// Splits already folded text into search-mode jieba words, dropping punctuation and spaces.
///
/// Search mode also emits the shorter dictionary words inside a long word (中华人民共和国
/// gives 中华, 华人, 人民, 共和, 共和国 and the whole), which raises recall for queries that
/// use part of a compound.
pub(crate) fn words_of_folded(jieba: &Jieba, folded: &str) -> Vec<Term> {
    jieba
        .cut_for_search(folded, true)
        .into_iter()
        .filter(|token| token.word.chars().any(is_term_char))
        .map(|token| Term {
            text: token.word.trim().to_owned(),
            start: token.byte_start,
            end: token.byte_end,
        })
        .filter(|term| !term.text.is_empty())
        .collect()
}

/// Folds `text` and splits it into the words of jieba's default (precise) cut, in order,
/// dropping punctuation and spaces. Each character belongs to at most one word.
///
/// For callers outside the index that compare texts by their words, such as the reply
/// quality check.
pub fn segment_words(text: &str) -> Vec<String> {
    let folded = fold_text(text);
    jieba()
        .cut(&folded, true)
        .into_iter()
        .map(|token| token.word.trim())
        .filter(|word| word.chars().any(is_term_char))
        .map(str::to_owned)
        .collect()
}

/// Weights each search-mode word of folded query text by how many words jieba's search mode
/// emits for the compound it belongs to, and returns the words in query order without
/// repeats.
///
/// Search mode emits a long word together with the dictionary words inside it, so without
/// this weighting a query word of four characters counts three or four times in the score
/// while a two-character word counts once. Here the `n` words that come from one word of
/// jieba's default (precise) cut get weight `1 / n` each, so every precise word carries
/// about the same total weight. A word found in several compounds keeps its highest
/// weight, and a word outside every precise word keeps weight 1.
pub(crate) fn weighted_words_of_folded(jieba: &Jieba, folded: &str) -> Vec<(String, f32)> {
    let search_words = words_of_folded(jieba, folded);
    let compounds: Vec<(usize, usize)> = jieba
        .cut(folded, true)
        .into_iter()
        .map(|token| (token.byte_start, token.byte_end))
        .collect();
    let compound_of = |word: &Term| {
        compounds
            .iter()
            .position(|&(start, end)| start <= word.start && word.end <= end)
    };

    // Count the search-mode words inside each compound.
    let owners: Vec<Option<usize>> = search_words.iter().map(compound_of).collect();
    let mut counts = vec![0_usize; compounds.len()];
    for owner in owners.iter().flatten() {
        counts[*owner] += 1;
    }

    let mut weighted: Vec<(String, f32)> = Vec::new();
    for (word, owner) in search_words.into_iter().zip(owners) {
        let weight = owner.map_or(1.0, |owner| 1.0 / counts[owner] as f32);
        match weighted.iter_mut().find(|(text, _)| *text == word.text) {
            Some(existing) => existing.1 = existing.1.max(weight),
            None => weighted.push((word.text, weight)),
        }
    }
    weighted
}

/// Splits already folded text into character bigrams for CJK runs and whole words for other
/// letters and digits.
///
/// A CJK run of one character yields that character, a longer run every overlapping pair.
/// Bigrams need no dictionary, so they match names and terms jieba does not know.
pub(crate) fn bigrams_of_folded(folded: &str) -> Vec<Term> {
    let mut terms = Vec::new();
    let mut run: Vec<(usize, char)> = Vec::new();
    let mut run_is_cjk = false;

    let flush = |run: &mut Vec<(usize, char)>, run_is_cjk: bool, terms: &mut Vec<Term>| {
        if run.is_empty() {
            return;
        }
        let end_of = |i: usize| run[i].0 + run[i].1.len_utf8();
        if run_is_cjk && run.len() > 1 {
            for i in 0..run.len() - 1 {
                terms.push(Term {
                    text: [run[i].1, run[i + 1].1].iter().collect(),
                    start: run[i].0,
                    end: end_of(i + 1),
                });
            }
        } else {
            terms.push(Term {
                text: run.iter().map(|&(_, c)| c).collect(),
                start: run[0].0,
                end: end_of(run.len() - 1),
            });
        }
        run.clear();
    };

    for (offset, c) in folded.char_indices() {
        if !is_term_char(c) {
            flush(&mut run, run_is_cjk, &mut terms);
            continue;
        }
        let cjk = is_cjk(c);
        if !run.is_empty() && cjk != run_is_cjk {
            flush(&mut run, run_is_cjk, &mut terms);
        }
        run_is_cjk = cjk;
        run.push((offset, c));
    }
    flush(&mut run, run_is_cjk, &mut terms);
    terms
}

/// A tantivy tokenizer that folds text and segments it into jieba words.
#[derive(Clone)]
pub(crate) struct WordTokenizer {
    jieba: Arc<Jieba>,
}

impl std::fmt::Debug for WordTokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WordTokenizer")
    }
}

impl WordTokenizer {
    pub(crate) fn new() -> Self {
        Self { jieba: jieba() }
    }
}

impl Tokenizer for WordTokenizer {
    type TokenStream<'a> = TermStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> TermStream {
        TermStream::new(words_of_folded(&self.jieba, &fold_text(text)))
    }
}

/// A tantivy tokenizer that folds text and splits it into character bigrams.
#[derive(Debug, Clone, Default)]
pub(crate) struct BigramTokenizer;

impl Tokenizer for BigramTokenizer {
    type TokenStream<'a> = TermStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> TermStream {
        TermStream::new(bigrams_of_folded(&fold_text(text)))
    }
}

/// A token stream over terms computed up front.
#[derive(Debug)]
pub(crate) struct TermStream {
    terms: std::vec::IntoIter<Term>,
    position: usize,
    token: Token,
}

impl TermStream {
    fn new(terms: Vec<Term>) -> Self {
        Self {
            terms: terms.into_iter(),
            position: 0,
            token: Token::default(),
        }
    }
}

impl TokenStream for TermStream {
    fn advance(&mut self) -> bool {
        let Some(term) = self.terms.next() else {
            return false;
        };
        self.token = Token {
            offset_from: term.start,
            offset_to: term.end,
            position: self.position,
            text: term.text,
            position_length: 1,
        };
        self.position += 1;
        true
    }

    fn token(&self) -> &Token {
        &self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(terms: &[Term]) -> Vec<&str> {
        terms.iter().map(|term| term.text.as_str()).collect()
    }

    #[test]
    fn segment_words_folds_and_cuts_without_overlap() {
        let words = segment_words("路燈壞了，請儘快修復！");
        assert!(words.contains(&"路灯".to_owned()), "{words:?}");
        assert!(words.iter().all(|w| !w.contains('，')), "{words:?}");
        // The precise cut covers each character once, so the words rebuild the text.
        assert_eq!(words.concat(), "路灯坏了请尽快修复");
    }

    #[test]
    fn words_drop_punctuation() {
        let jieba = jieba();
        let words = words_of_folded(&jieba, &fold_text("如何申請低收入戶？請洽社會局。"));
        let words = texts(&words);
        assert!(words.contains(&"申请"), "{words:?}");
        assert!(words.contains(&"低收入"), "{words:?}");
        assert!(words.contains(&"社会"), "{words:?}");
        assert!(!words.iter().any(|word| word.contains('？')), "{words:?}");
    }

    #[test]
    fn compound_parts_share_weight() {
        let jieba = jieba();
        let weighted = weighted_words_of_folded(&jieba, &fold_text("中華人民共和國的電話"));
        let weight_of = |word: &str| {
            weighted
                .iter()
                .find(|(text, _)| text == word)
                .map(|&(_, weight)| weight)
                .unwrap_or_else(|| panic!("{word} missing in {weighted:?}"))
        };
        // Search mode splits the country name into 6 words, and 电话 stays one word.
        let parts = ["中华", "华人", "人民", "共和", "共和国", "中华人民共和国"];
        for part in parts {
            assert!((weight_of(part) - 1.0 / parts.len() as f32).abs() < 1e-6);
        }
        assert_eq!(weight_of("电话"), 1.0);
        let total: f32 = parts.iter().map(|part| weight_of(part)).sum();
        assert!((total - 1.0).abs() < 1e-5, "{total}");
    }

    #[test]
    fn weighted_words_match_search_words() {
        let jieba = jieba();
        let folded = fold_text("如何申請低收入戶？請洽社會局。");
        let weighted: Vec<String> = weighted_words_of_folded(&jieba, &folded)
            .into_iter()
            .map(|(text, _)| text)
            .collect();
        let mut plain: Vec<String> = Vec::new();
        for term in words_of_folded(&jieba, &folded) {
            if !plain.contains(&term.text) {
                plain.push(term.text);
            }
        }
        assert_eq!(weighted, plain);
    }

    #[test]
    fn traditional_and_simplified_give_same_words() {
        let jieba = jieba();
        let traditional = words_of_folded(&jieba, &fold_text("臺北市資訊安全"));
        let simplified = words_of_folded(&jieba, &fold_text("台北市资讯安全"));
        assert_eq!(texts(&traditional), texts(&simplified));
    }

    #[test]
    fn bigrams_cover_cjk_runs_and_keep_latin_words() {
        let terms = bigrams_of_folded("停车场wifi 1999，市");
        assert_eq!(texts(&terms), ["停车", "车场", "wifi", "1999", "市"]);
        assert_eq!(terms[1].start, "停".len());
        assert_eq!(terms[2].start, "停车场".len());
    }

    #[test]
    fn tokenizer_positions_increase() {
        let mut tokenizer = BigramTokenizer;
        let mut stream = tokenizer.token_stream("資訊安全");
        let mut seen = Vec::new();
        while stream.advance() {
            seen.push((stream.token().text.clone(), stream.token().position));
        }
        assert_eq!(
            seen,
            [
                ("资讯".to_owned(), 0),
                ("讯安".to_owned(), 1),
                ("安全".to_owned(), 2)
            ]
        );
    }
}
