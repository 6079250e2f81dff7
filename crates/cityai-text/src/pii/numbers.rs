//! Resident ID numbers, mobile and landline numbers, bank card numbers and 8-digit Taiwan
//! compatriot permit numbers: the matchers that start at a digit, or at `+`, `(` or `（`
//! before one.
//!
//! A number is either one run of digits (`13812345678`) or fixed groups joined by one space
//! or dash (`138-1234-5678`, `6222 0212 3456 7890`, `0731-8888888`). Grouped forms are only
//! recognised in the groupings listed at each matcher.

use super::checks::{ResidentIdCheck, check_resident_id18, is_luhn_valid, is_resident_id15};
use super::scan::{Grouping, confidence, digit_run_end, has_context, left_ok, push, right_ok};
use super::{Finding, PiiKind};

const RESIDENT_ID_KEYWORDS: &[&str] = &["身份证", "证件号", "身份号"];
const PHONE_KEYWORDS: &[&str] = &["电话", "手机", "联系方式", "号码", "致电", "来电", "座机"];
const BANK_CARD_KEYWORDS: &[&str] = &[
    "卡号",
    "银行卡",
    "账号",
    "帐号",
    "账户",
    "帐户",
    "储蓄卡",
    "信用卡",
    "借记卡",
];
const TAIWAN_PERMIT_KEYWORDS: &[&str] = &["台胞证", "台湾居民来往大陆通行证", "台湾通行证"];

/// Tries every number format that starts at the run of ASCII letters and digits
/// `start..run_end`.
pub(super) fn scan_token(text: &str, start: usize, run_end: usize, out: &mut Vec<Finding>) {
    let bytes = text.as_bytes();
    let digits_end = digit_run_end(bytes, start);
    if digits_end == start {
        return;
    }
    scan_single_run(text, start, digits_end, run_end, out);
    if run_end == digits_end && bytes.get(digits_end).is_some_and(|&b| is_separator(b)) {
        scan_grouped(text, start, digits_end, out);
    }
}

/// Tries the formats that start with `+86`, `(+86)` or an area code in brackets.
pub(super) fn scan_prefixed(text: &str, start: usize, out: &mut Vec<Finding>) {
    let bytes = text.as_bytes();
    if !left_ok(bytes, start, Grouping::Plain) {
        return;
    }
    let rest = &text[start..];

    // +86 13812345678, +86-138-1234-5678
    if let Some(after_code) = rest.strip_prefix("+86") {
        let mut i = start + 3;
        if after_code.starts_with([' ', '-']) {
            i += 1;
        }
        if let Some((end, grouping)) = mobile_at(bytes, i)
            && right_ok(bytes, end, grouping)
        {
            let score = confidence(text, start, PHONE_KEYWORDS, 0.9, 0.95);
            push(out, PiiKind::Mobile, start..end, score);
        }
        return;
    }

    // (+86)13812345678, (0755)12345678, （0731）8888888
    let (open_len, close) = if rest.starts_with('(') {
        (1, ")")
    } else if rest.starts_with('（') {
        (3, "）")
    } else {
        return;
    };
    let inner_start = start + open_len;
    let inner_end = match text[inner_start..].find(close) {
        Some(offset) if offset <= 5 => inner_start + offset,
        _ => return,
    };
    let inner = &bytes[inner_start..inner_end];
    let mut i = inner_end + close.len();
    if bytes.get(i).is_some_and(|&b| b == b' ' || b == b'-') {
        i += 1;
    }
    if inner == b"+86" || inner == b"86" {
        if let Some((end, grouping)) = mobile_at(bytes, i)
            && right_ok(bytes, end, grouping)
        {
            let score = confidence(text, start, PHONE_KEYWORDS, 0.9, 0.95);
            push(out, PiiKind::Mobile, start..end, score);
        }
        return;
    }
    if area_code_len(inner) == Some(inner.len())
        && let Some(local_end) = local_number_end(bytes, i)
    {
        let end = extension_end(text, local_end);
        if right_ok(bytes, end, Grouping::Grouped) {
            let score = confidence(text, start, PHONE_KEYWORDS, 0.85, 0.95);
            push(out, PiiKind::Landline, start..end, score);
        }
    }
}

/// Tries the formats that are one run of digits, optionally with a final `X` for resident
/// IDs: `start..digits_end` are the digits and `start..run_end` the whole alphanumeric run.
fn scan_single_run(
    text: &str,
    start: usize,
    digits_end: usize,
    run_end: usize,
    out: &mut Vec<Finding>,
) {
    let bytes = text.as_bytes();
    let digit_count = digits_end - start;
    let ends_in_x =
        run_end == digits_end + 1 && digit_count == 17 && matches!(bytes[digits_end], b'X' | b'x');
    if run_end != digits_end && !ends_in_x {
        return;
    }
    if !left_ok(bytes, start, Grouping::Plain) || !right_ok(bytes, run_end, Grouping::Plain) {
        return;
    }

    let token = &bytes[start..run_end];
    let span = start..run_end;
    match token.len() {
        8 if has_context(text, start, TAIWAN_PERMIT_KEYWORDS) => {
            push(out, PiiKind::TravelPermit, span, 0.85);
        }
        11 if is_mobile(token) => {
            let score = confidence(text, start, PHONE_KEYWORDS, 0.9, 0.95);
            push(out, PiiKind::Mobile, span, score);
        }
        11 | 12 if is_unseparated_landline(token) => {
            let score = confidence(text, start, PHONE_KEYWORDS, 0.75, 0.85);
            push(out, PiiKind::Landline, span, score);
        }
        13 if token.starts_with(b"86") && is_mobile(&token[2..]) => {
            let score = confidence(text, start, PHONE_KEYWORDS, 0.9, 0.95);
            push(out, PiiKind::Mobile, span, score);
        }
        15 if token.starts_with(b"0086") && is_mobile(&token[4..]) => {
            let score = confidence(text, start, PHONE_KEYWORDS, 0.9, 0.95);
            push(out, PiiKind::Mobile, span, score);
        }
        15 if is_resident_id15(token) => {
            let score = confidence(text, start, RESIDENT_ID_KEYWORDS, 0.75, 0.9);
            push(out, PiiKind::ResidentId, span, score);
        }
        18 => match check_resident_id18(token) {
            ResidentIdCheck::Valid => push(out, PiiKind::ResidentId, span, 0.99),
            // A region code and a birth year in place with a wrong date or check digit is a
            // mistyped ID number far more often than a bank card that happens to look like one.
            // Next to a word such as 身份证 it is masked as the ID it was meant to be, because
            // one wrong digit still identifies the person. Elsewhere it is left alone.
            ResidentIdCheck::LooksLikeId if has_context(text, start, RESIDENT_ID_KEYWORDS) => {
                push(out, PiiKind::ResidentId, span, 0.85);
            }
            ResidentIdCheck::LooksLikeId => {}
            ResidentIdCheck::Invalid if !ends_in_x => push_bank_card(text, span, token, out),
            ResidentIdCheck::Invalid => {}
        },
        16 | 17 | 19 => push_bank_card(text, span, token, out),
        _ => {}
    }
}

/// Tries the formats made of groups joined by one space or dash, where `start..first_end` is
/// the first group.
fn scan_grouped(text: &str, start: usize, first_end: usize, out: &mut Vec<Finding>) {
    let bytes = text.as_bytes();
    if !left_ok(bytes, start, Grouping::Grouped) {
        return;
    }
    let first = &bytes[start..first_end];
    let after_separator = first_end + 1;

    // 86 13812345678, 0086-138-1234-5678
    if first == b"86" || first == b"0086" {
        if let Some((end, grouping)) = mobile_at(bytes, after_separator)
            && right_ok(bytes, end, grouping)
        {
            // The same confidence as the number alone, so that the longer match wins.
            let score = confidence(text, start, PHONE_KEYWORDS, 0.9, 0.95);
            push(out, PiiKind::Mobile, start..end, score);
        }
        return;
    }

    // 138-1234-5678, 138 1234 5678
    if let Some((end, Grouping::Grouped)) = mobile_at(bytes, start) {
        if right_ok(bytes, end, Grouping::Grouped) {
            let score = confidence(text, start, PHONE_KEYWORDS, 0.9, 0.95);
            push(out, PiiKind::Mobile, start..end, score);
        }
        return;
    }

    // 0731-8888888, 010 12345678, optionally with an extension: 0731-88888888-801
    if area_code_len(first) == Some(first.len()) {
        if let Some(local_end) = local_number_end(bytes, after_separator) {
            let end = extension_end(text, local_end);
            if right_ok(bytes, end, Grouping::Grouped) {
                let score = confidence(text, start, PHONE_KEYWORDS, 0.85, 0.95);
                push(out, PiiKind::Landline, start..end, score);
            }
        }
        return;
    }

    // 6222 0212 3456 7890 123: four groups of 4, then at most one group of 1 to 3.
    if first.len() == 4 {
        if let Some((end, digits)) = card_groups(bytes, start)
            && right_ok(bytes, end, Grouping::Grouped)
        {
            push_bank_card(text, start..end, &digits, out);
        }
        return;
    }

    // 430102 19900307 123X
    if first.len() == 6
        && let Some((end, digits)) = resident_id_groups(bytes, start)
        && right_ok(bytes, end, Grouping::Grouped)
        && check_resident_id18(&digits) == ResidentIdCheck::Valid
    {
        push(out, PiiKind::ResidentId, start..end, 0.99);
    }
}

/// Reports a bank card when the digits pass the Luhn check and the first digit is a major
/// industry identifier of payment cards (ISO/IEC 7812-1): 2 to 6 for the international
/// schemes and UnionPay, or 9 for older domestic cards.
fn push_bank_card(text: &str, span: std::ops::Range<usize>, digits: &[u8], out: &mut Vec<Finding>) {
    let payment_card = matches!(digits.first(), Some(b'2'..=b'6' | b'9'));
    if payment_card && is_luhn_valid(digits) {
        let score = confidence(text, span.start, BANK_CARD_KEYWORDS, 0.85, 0.95);
        push(out, PiiKind::BankCard, span, score);
    }
}

fn is_separator(byte: u8) -> bool {
    byte == b' ' || byte == b'-'
}

/// Returns whether 11 digits are a mainland mobile number: `1`, then `3` to `9`.
fn is_mobile(digits: &[u8]) -> bool {
    digits.len() == 11 && digits[0] == b'1' && (b'3'..=b'9').contains(&digits[1])
}

/// Matches a mobile number at `i`, as 11 digits or grouped 3-4-4, and returns its end.
fn mobile_at(bytes: &[u8], i: usize) -> Option<(usize, Grouping)> {
    let first_end = digit_run_end(bytes, i);
    if first_end - i == 11 {
        return is_mobile(&bytes[i..first_end]).then_some((first_end, Grouping::Plain));
    }
    let (end, digits) = digit_groups(bytes, i, [3, 4, 4])?;
    is_mobile(&digits).then_some((end, Grouping::Grouped))
}

/// Matches `N` groups of digits of exactly the given lengths at `i`, joined by one space or
/// dash each, and returns the end and the digits.
fn digit_groups<const N: usize>(
    bytes: &[u8],
    i: usize,
    lengths: [usize; N],
) -> Option<(usize, Vec<u8>)> {
    let mut digits = Vec::with_capacity(lengths.iter().sum());
    let mut position = i;
    for (index, &length) in lengths.iter().enumerate() {
        if index > 0 {
            if !bytes.get(position).is_some_and(|&b| is_separator(b)) {
                return None;
            }
            position += 1;
        }
        let end = digit_run_end(bytes, position);
        if end - position != length {
            return None;
        }
        digits.extend_from_slice(&bytes[position..end]);
        position = end;
    }
    Some((position, digits))
}

/// Returns the length of the area code that `digits` start with: 3 for 010 and 020 to 029,
/// 4 for 03xx to 09xx.
fn area_code_len(digits: &[u8]) -> Option<usize> {
    match digits {
        [b'0', b'1', b'0', ..] | [b'0', b'2', b'0'..=b'9', ..] => Some(3),
        [b'0', b'3'..=b'9', b'0'..=b'9', b'0'..=b'9', ..] => Some(4),
        _ => None,
    }
}

/// Returns whether 11 or 12 digits are an area code followed directly by a local number:
/// 8 digits after a 3-digit area code, 7 or 8 after a 4-digit one.
fn is_unseparated_landline(digits: &[u8]) -> bool {
    let Some(area_len) = area_code_len(digits) else {
        return false;
    };
    let local = &digits[area_len..];
    let length_ok = match area_len {
        3 => local.len() == 8,
        _ => local.len() == 7 || local.len() == 8,
    };
    length_ok && (b'2'..=b'9').contains(&local[0])
}

/// Matches a local landline number after a separated area code at `i`, 7 or 8 digits that
/// do not start with 0, and returns its end.
///
/// NOTE: real local numbers also never start with 1, which only service numbers such as 110
/// do, but placeholders like `010-12345678` are common in forms and examples. The area code
/// and separator make the reading clear, so only the unseparated form insists on 2 to 9.
fn local_number_end(bytes: &[u8], i: usize) -> Option<usize> {
    let end = digit_run_end(bytes, i);
    let length_ok = end - i == 7 || end - i == 8;
    (length_ok && (b'1'..=b'9').contains(&bytes[i])).then_some(end)
}

/// Returns the end of an extension after a landline number that ends at `end` (`-801` or
/// `转801`, 1 to 5 digits), or `end` when there is none.
fn extension_end(text: &str, end: usize) -> usize {
    let bytes = text.as_bytes();
    let marker_len = if bytes.get(end) == Some(&b'-') {
        1
    } else if text[end..].starts_with('转') {
        '转'.len_utf8()
    } else {
        return end;
    };
    let digits_start = end + marker_len;
    if digits_start >= bytes.len() {
        return end;
    }
    let digits_end = digit_run_end(bytes, digits_start);
    if (1..=5).contains(&(digits_end - digits_start)) {
        digits_end
    } else {
        end
    }
}

/// Matches a bank card number grouped by 4 at `start` and returns its end and digits.
fn card_groups(bytes: &[u8], start: usize) -> Option<(usize, Vec<u8>)> {
    let (mut end, mut digits) = digit_groups(bytes, start, [4, 4, 4, 4])?;
    let separator = bytes[start + 4];
    if bytes.get(end) == Some(&separator) {
        let tail_end = digit_run_end(bytes, end + 1);
        if (1..=3).contains(&(tail_end - end - 1)) {
            digits.extend_from_slice(&bytes[end + 1..tail_end]);
            end = tail_end;
        }
    }
    Some((end, digits))
}

/// Matches a resident ID number grouped 6-8-4 at `start`, where the last character may be
/// `X`, and returns its end and characters.
fn resident_id_groups(bytes: &[u8], start: usize) -> Option<(usize, Vec<u8>)> {
    if let Some(groups) = digit_groups(bytes, start, [6, 8, 4]) {
        return Some(groups);
    }
    let (end, mut digits) = digit_groups(bytes, start, [6, 8, 3])?;
    if !matches!(bytes.get(end), Some(b'X' | b'x')) {
        return None;
    }
    digits.push(b'X');
    Some((end + 1, digits))
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
    fn resident_id_next_to_chinese() {
        assert_eq!(
            found("身份证号11010519491231002X号码"),
            [(PiiKind::ResidentId, "11010519491231002X")]
        );
        assert_eq!(
            found("证件430102200002290019，"),
            [(PiiKind::ResidentId, "430102200002290019")]
        );
    }

    #[test]
    fn resident_id_wrong_check_digit_is_nothing_without_context() {
        // Not reported as a resident ID, a bank card or a credit code.
        assert!(found("编号110105194912310021").is_empty());
    }

    #[test]
    fn mistyped_resident_id_with_keyword() {
        assert_eq!(
            found("身份证110105194912310021"),
            [(PiiKind::ResidentId, "110105194912310021")]
        );
        assert_eq!(
            found("我的身份证号码是110101199003071234，"),
            [(PiiKind::ResidentId, "110101199003071234")]
        );
    }

    #[test]
    fn resident_id_impossible_date_is_nothing_without_context() {
        // The check digit is right for 1999-02-31.
        assert!(found("单号430102199902310016").is_empty());
        // Next to 身份证 it is a mistyped ID and masked.
        assert_eq!(
            found("身份证430102199902310016"),
            [(PiiKind::ResidentId, "430102199902310016")]
        );
    }

    #[test]
    fn bank_card_of_18_digits() {
        // Digits 7 and 8 are not a century, so this is no resident ID.
        assert_eq!(
            found("卡号622202331234567895"),
            [(PiiKind::BankCard, "622202331234567895")]
        );
    }

    #[test]
    fn resident_id_old_and_grouped_forms() {
        assert_eq!(
            found("旧身份证430102850307123。"),
            [(PiiKind::ResidentId, "430102850307123")]
        );
        assert_eq!(
            found("号码 110105 19491231 002X 。"),
            [(PiiKind::ResidentId, "110105 19491231 002X")]
        );
    }

    #[test]
    fn mobile_formats() {
        for number in [
            "13812345678",
            "138-1234-5678",
            "138 1234 5678",
            "+86 13812345678",
            "+86-138-1234-5678",
            "+8613812345678",
            "8613812345678",
            "(+86)13812345678",
            "86 13812345678",
        ] {
            let text = format!("电话{number}谢谢");
            assert_eq!(found(&text), [(PiiKind::Mobile, number)], "{number}");
        }
    }

    #[test]
    fn mobile_not_from_longer_runs() {
        assert!(found("订单号13812345678901234567").is_empty());
        assert!(found("订单号 12013812345678").is_empty());
        assert!(found("编号2019-13812345678").is_empty());
        assert!(found("金额13812345678.50元").is_empty());
        assert!(found("12345678901").is_empty());
        assert!(found("号码12812345678").is_empty());
    }

    #[test]
    fn two_mobiles_in_a_row() {
        let text = "电话13812345678 13912345678，15012345678";
        assert_eq!(found(text).len(), 3);
    }

    #[test]
    fn landline_formats() {
        for number in [
            "010-12345678",
            "0731-8888888",
            "0731 88888888",
            "(0755)12345678",
            "（0755）12345678",
            "(0731) 8888888",
            "0731-88888888-801",
            "0731-88888888转801",
            "07318888888",
            "02162345678",
        ] {
            let text = format!("座机{number}。");
            assert_eq!(found(&text), [(PiiKind::Landline, number)], "{number}");
        }
    }

    #[test]
    fn landline_rejects_invalid_codes() {
        assert!(found("电话0000-00000000").is_empty());
        assert!(found("电话0731-0888888").is_empty());
        assert!(found("电话07311888888").is_empty());
        assert!(found("电话0131-8888888").is_empty());
        assert!(found("日期2019-05-12").is_empty());
    }

    #[test]
    fn bank_card_luhn() {
        assert_eq!(
            found("卡号6222021234567890128"),
            [(PiiKind::BankCard, "6222021234567890128")]
        );
        assert_eq!(
            found("卡号 4111 1111 1111 1111，"),
            [(PiiKind::BankCard, "4111 1111 1111 1111")]
        );
        assert!(found("卡号6222021234567890123").is_empty());
        assert!(found("卡号4111111111111112").is_empty());
        assert!(found("卡号 4111 1111 1111 1111 1111 1").is_empty());
    }

    #[test]
    fn taiwan_permit_needs_keyword() {
        assert_eq!(
            found("台胞证号码：12345678"),
            [(PiiKind::TravelPermit, "12345678")]
        );
        assert!(found("编号12345678").is_empty());
    }

    #[test]
    fn dates_and_amounts_are_nothing() {
        assert!(found("20190512至2019/05/12，共1380000元和12,345.67元").is_empty());
    }
}
