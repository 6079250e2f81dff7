//! Passport numbers, travel permit numbers and unified social credit codes: codes of upper-case
//! letters and digits that form one alphanumeric token.
//!
//! Recognised forms, each a whole token:
//! - passport: `E` or `G` and 8 digits, `E`, a letter and 7 digits, or `DE`, `SE` or `PE` and
//!   7 digits (diplomatic, service and official passports);
//! - travel permit: `C` and 8 characters (to Hong Kong and Macau: a digit or letter, then 7
//!   digits), `T` and 8 digits (to Taiwan), `H` or `M` and 8 or 10 digits (Home Return Permit);
//! - unified social credit code: 18 characters that pass the GB 32100 check.
//!
//! Lower-case forms are not recognised. The 8-digit Taiwan compatriot permit has no letter, so
//! `numbers` recognises it, and only after a keyword such as 台胞证.

use super::checks::{CreditCodeCheck, ResidentIdCheck, check_credit_code, check_resident_id18};
use super::scan::{Grouping, confidence, left_ok, push, right_ok};
use super::{Finding, PiiKind};

const PASSPORT_KEYWORDS: &[&str] = &["护照"];
const PERMIT_KEYWORDS: &[&str] = &["通行证", "回乡证", "台胞证", "证件"];
const CREDIT_CODE_KEYWORDS: &[&str] = &["信用代码", "营业执照", "税号", "纳税人识别号"];

/// Tries every code format on the alphanumeric token `start..end`.
pub(super) fn scan_token(text: &str, start: usize, end: usize, out: &mut Vec<Finding>) {
    let bytes = text.as_bytes();
    let token = &bytes[start..end];
    if !matches!(token.len(), 9 | 11 | 18) {
        return;
    }
    if !left_ok(bytes, start, Grouping::Plain) || !right_ok(bytes, end, Grouping::Plain) {
        return;
    }

    let span = start..end;
    if token.len() == 18 {
        // A code shaped like a resident ID number is left to the ID matcher, even when its
        // check digit is wrong.
        if check_resident_id18(token) != ResidentIdCheck::Invalid {
            return;
        }
        let score = match check_credit_code(token) {
            CreditCodeCheck::Valid => 0.95,
            CreditCodeCheck::OuterCheckOnly => 0.85,
            CreditCodeCheck::Invalid => return,
        };
        let score = confidence(text, start, CREDIT_CODE_KEYWORDS, score, 0.97f32.max(score));
        push(out, PiiKind::SocialCreditCode, span, score);
        return;
    }

    if let Some(kind) = code_kind(token) {
        let keywords = match kind {
            PiiKind::Passport => PASSPORT_KEYWORDS,
            _ => PERMIT_KEYWORDS,
        };
        let score = confidence(text, start, keywords, 0.8, 0.95);
        push(out, kind, span, score);
    }
}

/// Returns the kind of a 9- or 11-character passport or travel permit number.
fn code_kind(token: &[u8]) -> Option<PiiKind> {
    let digits = |range: &[u8]| range.iter().all(u8::is_ascii_digit);
    match token {
        [b'H' | b'M', rest @ ..] if rest.len() == 8 || rest.len() == 10 => {
            digits(rest).then_some(PiiKind::TravelPermit)
        }
        [b'E' | b'G', rest @ ..] if rest.len() == 8 && digits(rest) => Some(PiiKind::Passport),
        [b'E', letter, rest @ ..] if rest.len() == 7 && is_code_letter(*letter) => {
            digits(rest).then_some(PiiKind::Passport)
        }
        [b'D' | b'S' | b'P', b'E', rest @ ..] if rest.len() == 7 => {
            digits(rest).then_some(PiiKind::Passport)
        }
        [b'C', second, rest @ ..] if rest.len() == 7 => {
            let second_ok = second.is_ascii_digit() || is_code_letter(*second);
            (second_ok && digits(rest)).then_some(PiiKind::TravelPermit)
        }
        [b'T', rest @ ..] if rest.len() == 8 && digits(rest) => Some(PiiKind::TravelPermit),
        _ => None,
    }
}

/// Returns whether a byte is an upper-case letter other than I and O, which codes leave out
/// because they look like 1 and 0.
fn is_code_letter(byte: u8) -> bool {
    byte.is_ascii_uppercase() && byte != b'I' && byte != b'O'
}

#[cfg(test)]
mod tests {
    use super::super::detect;
    use super::*;

    fn found(text: &str) -> Vec<(PiiKind, &str)> {
        detect(text)
            .into_iter()
            .map(|f| (f.kind, &text[f.span]))
            .collect()
    }

    #[test]
    fn passports() {
        for number in ["E12345678", "G12345678", "EA1234567", "DE1234567"] {
            let text = format!("护照号{number}。");
            assert_eq!(found(&text), [(PiiKind::Passport, number)], "{number}");
        }
        assert!(found("护照号E1234567").is_empty());
        assert!(found("型号XE12345678").is_empty());
        assert!(found("护照号e12345678").is_empty());
    }

    #[test]
    fn travel_permits() {
        for number in [
            "C12345678",
            "CA1234567",
            "H12345678",
            "M1234567890",
            "T12345678",
        ] {
            let text = format!("通行证{number}");
            assert_eq!(found(&text), [(PiiKind::TravelPermit, number)], "{number}");
        }
        assert!(found("编号H123456789").is_empty());
    }

    #[test]
    fn credit_codes() {
        assert_eq!(
            found("统一社会信用代码：91350100M000100Y43。"),
            [(PiiKind::SocialCreditCode, "91350100M000100Y43")]
        );
        assert!(found("信用代码91350100M000100Y44").is_empty());
        assert!(found("信用代码91350100M000100Y43A").is_empty());
    }
}
