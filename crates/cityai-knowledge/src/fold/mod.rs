//! Folding of text before indexing and querying, so that spellings a reader sees as the same
//! match the same index terms.
//!
//! Three foldings are applied, each one character to one character so that character offsets
//! into folded text are offsets into the original:
//!
//! - Traditional Chinese characters become Simplified ones (臺→台, 機→机) by the OpenCC
//!   character table in [`t2s_table`]. Phrase-level conversions (e.g. 計畫→计划) are not
//!   applied, and a character with several Simplified forms takes OpenCC's first choice.
//! - Full-width letters and digits (Ａ, ｂ, １) and the ideographic space become ASCII.
//!   Full-width punctuation (，！？) stays, as in the stored text.
//! - Letters become lowercase where the lowercase form is a single character.

mod t2s_table;

use t2s_table::T2S;

/// Folds one character. See the module documentation for what changes.
pub fn fold_char(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    let c = match c {
        '\u{3000}' => ' ',
        '\u{FF10}'..='\u{FF19}' | '\u{FF21}'..='\u{FF3A}' | '\u{FF41}'..='\u{FF5A}' => {
            // Full-width forms sit at a fixed distance from ASCII 0x21..=0x7E.
            char::from_u32(c as u32 - 0xFF01 + 0x21).unwrap_or(c)
        }
        _ => c,
    };
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    if let Ok(index) = T2S.binary_search_by_key(&c, |&(traditional, _)| traditional) {
        return T2S[index].1;
    }
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(single), None) => single,
        _ => c,
    }
}

/// Folds text: Traditional to Simplified Chinese, full-width letters and digits to ASCII,
/// and lowercase.
///
/// The result has exactly as many characters as `text`.
pub fn fold_text(text: &str) -> String {
    text.chars().map(fold_char).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traditional_folds_to_simplified() {
        assert_eq!(fold_text("臺北市政府社會局"), "台北市政府社会局");
        assert_eq!(fold_text("資訊安全攻擊手法"), "资讯安全攻击手法");
        assert_eq!(fold_text("台北市政府社会局"), "台北市政府社会局");
    }

    #[test]
    fn full_width_and_case_fold() {
        assert_eq!(fold_text("ＡＢＣ１２３　Ｗｉ-Ｆｉ"), "abc123 wi-fi");
        assert_eq!(fold_text("TWCERT/CC"), "twcert/cc");
        assert_eq!(fold_text("ÄÖ"), "äö");
    }

    #[test]
    fn punctuation_is_kept() {
        assert_eq!(fold_text("你好，世界！"), "你好，世界！");
    }

    #[test]
    fn fold_keeps_character_count() {
        let text = "臺灣ＡＢＣ İstanbul 𠀀 計畫";
        assert_eq!(fold_text(text).chars().count(), text.chars().count());
    }

    #[test]
    fn table_is_sorted_and_unique() {
        for pair in T2S.windows(2) {
            assert!(pair[0].0 < pair[1].0, "{:?} before {:?}", pair[0], pair[1]);
        }
    }
}
