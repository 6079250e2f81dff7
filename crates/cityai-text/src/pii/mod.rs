//! Detection and masking of personal data in Chinese text.
//!
//! [`detect`] finds eleven kinds of personal data ([`PiiKind`]): resident ID numbers, mobile
//! and landline numbers, bank card numbers, e-mail addresses, licence plates, passport and
//! travel permit numbers, and unified social credit codes. It also finds street addresses down
//! to the building or room, and personal names where the context makes them clear. [`mask`] and [`mask_text`] replace what was found, keeping only the characters
//! that the [`MaskPolicy`] allows.
//!
//! Detection is one forward pass over the bytes with hand-written matchers, so its time is
//! linear in the length of the text. Identifiers with a check digit (resident ID, bank card,
//! credit code) are reported only when the check passes. Matches never start or end inside a
//! longer run of ASCII letters and digits, so a 20-digit order number yields nothing, while
//! Chinese characters next to a number are a boundary (`电话13812345678` matches).
//!
//! The detectors expect text as [`normalize`](crate::normalize) leaves it: full-width digits
//! and letters are not recognised.
//!
//! ```
//! use cityai_text::pii::{PiiKind, detect, mask_text};
//!
//! let text = "我叫张伟，电话13812345678，身份证号11010519491231002X。";
//! let kinds: Vec<PiiKind> = detect(text).iter().map(|f| f.kind).collect();
//! assert_eq!(kinds, [PiiKind::PersonName, PiiKind::Mobile, PiiKind::ResidentId]);
//! assert_eq!(
//!     mask_text(text),
//!     "我叫[姓名]，电话138****5678，身份证号110105********002X。"
//! );
//! ```

mod address;
mod checks;
mod codes;
mod email;
mod mask;
mod name;
mod numbers;
mod plate;

use std::fmt;
use std::ops::Range;
use std::str::FromStr;

pub use mask::{Language, MaskPolicy, MaskStyle, mask, mask_text, token_label};

/// The kind of a piece of personal data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PiiKind {
    /// Resident ID number (居民身份证号码): 18 characters with a check digit, or the old 15-digit
    /// form.
    ResidentId,
    /// Mainland mobile number, optionally with the +86 country code.
    Mobile,
    /// Landline number with its area code, optionally with an extension.
    Landline,
    /// Bank card number: 16 to 19 digits that pass the Luhn check.
    BankCard,
    Email,
    /// Vehicle licence plate, including 6-character new-energy plates.
    LicencePlate,
    Passport,
    /// Travel permit for Hong Kong, Macau or Taiwan, or a Home Return Permit (回乡证).
    TravelPermit,
    /// Unified social credit code (统一社会信用代码) of an organisation or individual business.
    SocialCreditCode,
    /// Street or housing-estate address down to the building, unit or room.
    Address,
    /// Personal name introduced by its context (我叫, 联系人, 姓名：, …先生).
    PersonName,
}

impl PiiKind {
    /// Every kind, in declaration order.
    pub const ALL: [PiiKind; 11] = [
        PiiKind::ResidentId,
        PiiKind::Mobile,
        PiiKind::Landline,
        PiiKind::BankCard,
        PiiKind::Email,
        PiiKind::LicencePlate,
        PiiKind::Passport,
        PiiKind::TravelPermit,
        PiiKind::SocialCreditCode,
        PiiKind::Address,
        PiiKind::PersonName,
    ];

    /// Returns the stable snake_case id that JSON and the database store.
    pub const fn as_str(self) -> &'static str {
        match self {
            PiiKind::ResidentId => "resident_id",
            PiiKind::Mobile => "mobile",
            PiiKind::Landline => "landline",
            PiiKind::BankCard => "bank_card",
            PiiKind::Email => "email",
            PiiKind::LicencePlate => "licence_plate",
            PiiKind::Passport => "passport",
            PiiKind::TravelPermit => "travel_permit",
            PiiKind::SocialCreditCode => "social_credit_code",
            PiiKind::Address => "address",
            PiiKind::PersonName => "person_name",
        }
    }

    /// Returns whether the kind has a fixed format, as opposed to addresses and names, which
    /// are recognised from their context.
    pub const fn is_structured(self) -> bool {
        !matches!(self, PiiKind::Address | PiiKind::PersonName)
    }
}

impl fmt::Display for PiiKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error returned when parsing a string that is not a [`PiiKind`] id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownPiiKind(pub String);

impl fmt::Display for UnknownPiiKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown personal-data kind {:?}: expected one of resident_id, mobile, landline, \
             bank_card, email, licence_plate, passport, travel_permit, social_credit_code, \
             address, person_name",
            self.0
        )
    }
}

impl std::error::Error for UnknownPiiKind {}

impl FromStr for PiiKind {
    type Err = UnknownPiiKind;

    /// Parses the id that [`PiiKind::as_str`] returns.
    fn from_str(id: &str) -> Result<Self, Self::Err> {
        PiiKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == id)
            .ok_or_else(|| UnknownPiiKind(id.to_owned()))
    }
}

/// One piece of personal data found in a text.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub kind: PiiKind,
    /// Byte range in the text that was searched. Both ends are on character boundaries.
    pub span: Range<usize>,
    /// Confidence that the span is personal data of this kind, from 0 to 1. It is 0.99 for
    /// 18-character resident ID numbers, 0.75 to 0.97 for the other fixed formats (higher
    /// after a keyword such as 电话 or 卡号), and 0.55 to 0.75 for addresses and names.
    pub confidence: f32,
}

/// Finds the personal data in a text.
///
/// Returns findings sorted by position, none overlapping another. Where candidates of
/// different kinds overlap, the more confident one wins, and at equal confidence the longer
/// one. The text is scanned once, and nothing is logged.
pub fn detect(text: &str) -> Vec<Finding> {
    let bytes = text.as_bytes();
    let mut candidates = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes[i];

        // A run of ASCII letters and digits: every matcher that starts at one is tried at its
        // first byte only, so nothing matches from the middle of a longer run.
        if byte.is_ascii_alphanumeric() {
            let run_end = scan::alnum_run_end(bytes, i);
            numbers::scan_token(text, i, run_end, &mut candidates);
            codes::scan_token(text, i, run_end, &mut candidates);
            if byte.is_ascii_digit() && i >= 3 && bytes[i - 1] >= 0x80 {
                address::scan_number(text, i, &mut candidates);
            }
            i = run_end;
            continue;
        }

        match byte {
            b'@' => email::scan_at(text, i, &mut candidates),
            b'+' | b'(' => numbers::scan_prefixed(text, i, &mut candidates),
            // The lead byte of a three-byte UTF-8 sequence: every CJK ideograph and the
            // full-width punctuation. A table lookup rules out most characters.
            0xE0..=0xEF if i + 3 <= bytes.len() => {
                let code_point = (u32::from(byte & 0x0F) << 12)
                    | (u32::from(bytes[i + 1] & 0x3F) << 6)
                    | u32::from(bytes[i + 2] & 0x3F);
                if is_trigger(code_point)
                    && let Some(c) = text[i..].chars().next()
                {
                    scan_cjk_char(text, i, c, &mut candidates);
                }
                i += 3;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    resolve_overlaps(candidates)
}

/// One bit per code point from U+4E00 to U+FFFF, set for the characters that start a match
/// (a plate's province, `（` before an area code) or complete the context of a name (我叫,
/// 联系人, 姓名, 先生, 女士).
static TRIGGER_TABLE: [u64; 0xB200 / 64] = {
    let table = set_bits([0; 0xB200 / 64], &['（', '叫', '人', '名', '先', '女']);
    set_bits(table, &plate::PROVINCES)
};

const fn set_bits(mut table: [u64; 0xB200 / 64], chars: &[char]) -> [u64; 0xB200 / 64] {
    let mut i = 0;
    while i < chars.len() {
        let offset = chars[i] as usize - 0x4E00;
        table[offset / 64] |= 1 << (offset % 64);
        i += 1;
    }
    table
}

fn is_trigger(code_point: u32) -> bool {
    let Some(offset) = code_point.checked_sub(0x4E00) else {
        return false;
    };
    let offset = offset as usize;
    TRIGGER_TABLE[offset / 64] & (1 << (offset % 64)) != 0
}

/// Tries the matchers that a CJK character can start or trigger.
fn scan_cjk_char(text: &str, i: usize, c: char, out: &mut Vec<Finding>) {
    match c {
        '（' => numbers::scan_prefixed(text, i, out),
        '叫' | '人' | '名' | '先' | '女' => name::scan_trigger(text, i, c, out),
        c if plate::is_province(c) => plate::scan(text, i, out),
        _ => {}
    }
}

/// Keeps, among overlapping candidates, the most confident one (the longer one on a tie),
/// and returns the survivors sorted by position.
fn resolve_overlaps(mut candidates: Vec<Finding>) -> Vec<Finding> {
    candidates.sort_by_key(|f| f.span.start);
    let mut kept: Vec<Finding> = Vec::with_capacity(candidates.len());
    for candidate in candidates {
        if let Some(last) = kept.last_mut()
            && candidate.span.start < last.span.end
        {
            if is_better(&candidate, last) {
                *last = candidate;
            }
            continue;
        }
        kept.push(candidate);
    }
    kept
}

fn is_better(a: &Finding, b: &Finding) -> bool {
    if a.confidence != b.confidence {
        return a.confidence > b.confidence;
    }
    a.span.len() > b.span.len()
}

/// Helpers shared by the matchers: token boundaries and context keywords.
mod scan {
    use super::{Finding, PiiKind};

    /// Whether a match is a single token or groups of digits joined by spaces or dashes.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(super) enum Grouping {
        Plain,
        Grouped,
    }

    /// Returns the end of the run of ASCII letters and digits that starts at `start`.
    pub(super) fn alnum_run_end(bytes: &[u8], start: usize) -> usize {
        bytes[start..]
            .iter()
            .position(|b| !b.is_ascii_alphanumeric())
            .map_or(bytes.len(), |offset| start + offset)
    }

    /// Returns the end of the run of ASCII digits that starts at `start`.
    pub(super) fn digit_run_end(bytes: &[u8], start: usize) -> usize {
        bytes[start..]
            .iter()
            .position(|b| !b.is_ascii_digit())
            .map_or(bytes.len(), |offset| start + offset)
    }

    /// Returns whether a match may start at `start` without continuing something on its left.
    ///
    /// The byte before must not be a letter, a digit or `@`, and must not be `-`, `.`, `_` or
    /// `/` after a letter or digit (a longer code such as `2019-13812345678` or a decimal).
    /// A grouped match also must not follow a digit and a space, where it would be the tail
    /// of a longer group.
    pub(super) fn left_ok(bytes: &[u8], start: usize, grouping: Grouping) -> bool {
        let Some(&before) = start.checked_sub(1).map(|i| &bytes[i]) else {
            return true;
        };
        if before.is_ascii_alphanumeric() || before == b'@' {
            return false;
        }
        let Some(&two_before) = start.checked_sub(2).map(|i| &bytes[i]) else {
            return true;
        };
        if matches!(before, b'-' | b'.' | b'_' | b'/') && two_before.is_ascii_alphanumeric() {
            return false;
        }
        !(grouping == Grouping::Grouped && before == b' ' && two_before.is_ascii_digit())
    }

    /// Returns whether a match may end at `end`: the mirror image of [`left_ok`].
    pub(super) fn right_ok(bytes: &[u8], end: usize, grouping: Grouping) -> bool {
        let Some(&after) = bytes.get(end) else {
            return true;
        };
        if after.is_ascii_alphanumeric() || after == b'@' {
            return false;
        }
        let Some(&two_after) = bytes.get(end + 1) else {
            return true;
        };
        if matches!(after, b'-' | b'.' | b'_' | b'/') && two_after.is_ascii_alphanumeric() {
            return false;
        }
        !(grouping == Grouping::Grouped && after == b' ' && two_after.is_ascii_digit())
    }

    /// How many bytes before a match [`has_context`] searches for keywords: 15 CJK characters.
    const CONTEXT_WINDOW: usize = 45;

    /// Returns whether one of the keywords occurs in the 15 characters before `start`.
    pub(super) fn has_context(text: &str, start: usize, keywords: &[&str]) -> bool {
        let mut from = start.saturating_sub(CONTEXT_WINDOW);
        while !text.is_char_boundary(from) {
            from += 1;
        }
        let window = &text[from..start];
        keywords.iter().any(|keyword| window.contains(keyword))
    }

    /// Adds a candidate finding.
    pub(super) fn push(
        out: &mut Vec<Finding>,
        kind: PiiKind,
        span: std::ops::Range<usize>,
        confidence: f32,
    ) {
        out.push(Finding {
            kind,
            span,
            confidence,
        });
    }

    /// Returns `with_keyword` when one of the keywords comes shortly before `start`, and
    /// `base` otherwise.
    pub(super) fn confidence(
        text: &str,
        start: usize,
        keywords: &[&str],
        base: f32,
        with_keyword: f32,
    ) -> f32 {
        if has_context(text, start, keywords) {
            with_keyword
        } else {
            base
        }
    }

    /// Returns whether a character is a CJK unified ideograph of the basic block.
    pub(super) fn is_han(c: char) -> bool {
        ('\u{4E00}'..='\u{9FFF}').contains(&c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(PiiKind, &str)> {
        detect(text)
            .into_iter()
            .map(|f| (f.kind, &text[f.span]))
            .collect()
    }

    #[test]
    fn kind_ids_round_trip() {
        for kind in PiiKind::ALL {
            assert_eq!(kind.as_str().parse::<PiiKind>(), Ok(kind));
        }
        assert!("phone".parse::<PiiKind>().is_err());
    }

    #[test]
    fn findings_are_sorted_and_disjoint() {
        let text = "联系人：王芳，手机138-1234-5678，邮箱wangfang@163.com，\
                    车牌湘A12345，卡号6222021234567890128。";
        let findings = detect(text);
        assert_eq!(findings.len(), 5);
        for pair in findings.windows(2) {
            assert!(pair[0].span.end <= pair[1].span.start);
        }
    }

    #[test]
    fn email_wins_over_number_in_local_part() {
        assert_eq!(
            kinds("邮箱13812345678@qq.com"),
            [(PiiKind::Email, "13812345678@qq.com")]
        );
    }

    #[test]
    fn text_without_personal_data() {
        assert!(detect("").is_empty());
        assert!(detect("A市A3区路灯不亮，2019-05-12反映过，金额12,345.67元。").is_empty());
    }

    #[test]
    fn random_text_never_panics() {
        // Fragments that start or end matches, joined at random: spans must stay valid and
        // masking must accept every result.
        const FRAGMENTS: &[&str] = &[
            "0",
            "1",
            "3",
            "8",
            "86",
            "0731",
            "13812345678",
            "X",
            "E",
            "C",
            "H",
            "A",
            "-",
            " ",
            "+",
            "(",
            ")",
            "（",
            "）",
            "@",
            ".",
            "·",
            "转",
            "路",
            "号",
            "栋",
            "单元",
            "室",
            "小区",
            "湘",
            "我叫",
            "本人",
            "联系人：",
            "先生",
            "女士",
            "张",
            "欧阳",
            "，",
            "😀",
            "é",
        ];
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut total_len = 0;
        for _ in 0..20_000 {
            let mut text = String::new();
            for _ in 0..next() % 24 {
                text.push_str(FRAGMENTS[(next() % FRAGMENTS.len() as u64) as usize]);
            }
            total_len += text.len();
            let findings = detect(&text);
            for pair in findings.windows(2) {
                assert!(pair[0].span.end <= pair[1].span.start, "{text:?}");
            }
            for finding in &findings {
                assert!(text.is_char_boundary(finding.span.start), "{text:?}");
                assert!(text.is_char_boundary(finding.span.end), "{text:?}");
                assert!(finding.span.start < finding.span.end, "{text:?}");
            }
            let policy = MaskPolicy::default()
                .with_style(PiiKind::Address, MaskStyle::Partial)
                .with_style(PiiKind::PersonName, MaskStyle::Partial);
            mask(&text, &findings, &policy);
        }
        assert!(
            total_len > 100_000,
            "the generator produced too little text"
        );
    }

    #[test]
    fn spans_are_char_boundaries() {
        let text = "您好我叫李娜电话13912345678住在岳麓区枫林三路88号3栋2单元502室";
        for finding in detect(text) {
            assert!(text.is_char_boundary(finding.span.start));
            assert!(text.is_char_boundary(finding.span.end));
        }
    }
}
