//! Check digits and field rules of the identifiers that the detectors recognise.
//!
//! Each function takes ASCII bytes and only validates: finding where an identifier starts and
//! ends is the detectors' work.

use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

/// Result of checking an 18-character resident ID number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ResidentIdCheck {
    /// Region, birth date and check digit are all valid.
    Valid,
    /// The region code and the century of the birth year (19 or 20) look like an ID number,
    /// but the date or the check digit is invalid. This is most likely a mistyped ID number,
    /// so it is not reported as a bank card or credit code either.
    LooksLikeId,
    /// Not shaped like a resident ID number.
    Invalid,
}

/// Checks an 18-character resident ID number (GB 11643-1999).
///
/// The first two digits must be a province-level region code. Digits 7 to 14 must be a birth
/// date (YYYYMMDD) between 1900-01-01 and the end of the current year. The last character is
/// the ISO 7064 MOD 11-2 check character (`0`-`9` or `X`, either case).
pub(crate) fn check_resident_id18(id: &[u8]) -> ResidentIdCheck {
    if id.len() != 18 || !id[..17].iter().all(u8::is_ascii_digit) {
        return ResidentIdCheck::Invalid;
    }
    if !is_province_code(id[0], id[1]) || !matches!(&id[6..8], b"19" | b"20") {
        return ResidentIdCheck::Invalid;
    }
    if is_valid_date(&id[6..14]) && resident_id_check_char(&id[..17]) == id[17].to_ascii_uppercase()
    {
        ResidentIdCheck::Valid
    } else {
        ResidentIdCheck::LooksLikeId
    }
}

/// Checks a 15-digit resident ID number of the first generation, which has no check digit.
///
/// The first two digits must be the code of a mainland province-level region and digits 7
/// to 12 a valid birth date YYMMDD in the 1900s.
pub(crate) fn is_resident_id15(id: &[u8]) -> bool {
    if id.len() != 15 || !id.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let mut date = [b'1', b'9', 0, 0, 0, 0, 0, 0];
    date[2..].copy_from_slice(&id[6..12]);
    // 71 and 81 to 83 were first issued in 18-digit residence permits.
    let mainland = !matches!((id[0], id[1]), (b'7', b'1') | (b'8', _));
    mainland && is_province_code(id[0], id[1]) && is_valid_date(&date)
}

/// Computes the ISO 7064 MOD 11-2 check character of the first 17 digits of a resident ID.
fn resident_id_check_char(digits: &[u8]) -> u8 {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK_CHARS: &[u8; 11] = b"10X98765432";
    let sum: u32 = digits
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    CHECK_CHARS[(sum % 11) as usize]
}

/// Returns whether two digits are the code of a province-level region of China (GB/T 2260),
/// including 71 (Taiwan), 81 (Hong Kong), 82 (Macau) and 83, the code that residence permits
/// for Taiwan residents use.
fn is_province_code(tens: u8, units: u8) -> bool {
    if !tens.is_ascii_digit() || !units.is_ascii_digit() {
        return false;
    }
    matches!(
        (tens - b'0') * 10 + (units - b'0'),
        11..=15 | 21..=23 | 31..=37 | 41..=46 | 50..=54 | 61..=65 | 71 | 81..=83
    )
}

/// Returns whether 8 ASCII digits are a valid date YYYYMMDD from 1900 up to the end of the
/// current year.
fn is_valid_date(date: &[u8]) -> bool {
    if date.len() != 8 || !date.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let number = |digits: &[u8]| {
        digits
            .iter()
            .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'))
    };
    let (year, month, day) = (number(&date[..4]), number(&date[4..6]), number(&date[6..]));
    if !(1900..=current_year()).contains(&year) || !(1..=12).contains(&month) || day == 0 {
        return false;
    }
    day <= days_in_month(year, month)
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Returns the current calendar year in UTC, read from the system clock once per process.
fn current_year() -> u32 {
    static YEAR: OnceLock<u32> = OnceLock::new();
    *YEAR.get_or_init(|| {
        let seconds = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_secs());
        year_from_unix_days(seconds / 86_400)
    })
}

/// Converts days since 1970-01-01 to the Gregorian year, counting in 400-year eras that
/// start on 0000-03-01.
fn year_from_unix_days(days: u64) -> u32 {
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let year = year_of_era + era * 400 + u64::from(shifted_month >= 10);
    u32::try_from(year).unwrap_or(u32::MAX)
}

/// Returns whether a digit string passes the Luhn check (ISO/IEC 7812-1).
pub(crate) fn is_luhn_valid(digits: &[u8]) -> bool {
    let mut sum = 0u32;
    for (position, digit) in digits.iter().rev().enumerate() {
        if !digit.is_ascii_digit() {
            return false;
        }
        let mut value = u32::from(digit - b'0');
        if position % 2 == 1 {
            value *= 2;
            if value > 9 {
                value -= 9;
            }
        }
        sum += value;
    }
    !digits.is_empty() && sum.is_multiple_of(10)
}

/// Characters of the unified social credit code (GB 32100-2015) in value order: digits and
/// upper-case letters without I, O, Z, S and V.
const CREDIT_CODE_CHARS: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// Result of checking an 18-character unified social credit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CreditCodeCheck {
    /// The GB 32100 check character and the check character of the embedded organisation code
    /// (GB 11714) are both valid.
    Valid,
    /// Only the GB 32100 check character is valid. The embedded organisation code fails its
    /// own check, which some codes issued to individual businesses do.
    OuterCheckOnly,
    Invalid,
}

/// Checks an 18-character unified social credit code (GB 32100-2015).
///
/// The code is made of these parts:
/// - the registering authority (`1`-`9`, `A`, `N` or `Y`);
/// - the kind of entity (`1`-`9`);
/// - the region code, 6 digits starting with a province code or `10` for national bodies;
/// - the 9-character organisation code;
/// - the MOD 31 check character.
///
/// Only upper-case letters are accepted.
pub(crate) fn check_credit_code(code: &[u8]) -> CreditCodeCheck {
    if code.len() != 18 {
        return CreditCodeCheck::Invalid;
    }
    let registering_authority_ok = matches!(code[0], b'1'..=b'9' | b'A' | b'N' | b'Y');
    let region_ok = code[2..8].iter().all(u8::is_ascii_digit)
        && (is_province_code(code[2], code[3]) || (code[2] == b'1' && code[3] == b'0'));
    if !registering_authority_ok || !matches!(code[1], b'1'..=b'9') || !region_ok {
        return CreditCodeCheck::Invalid;
    }

    let mut sum = 0u32;
    let mut weight = 1u32;
    for &c in &code[..17] {
        let Some(value) = credit_code_value(c) else {
            return CreditCodeCheck::Invalid;
        };
        sum += value * weight;
        weight = weight * 3 % 31;
    }
    let expected = CREDIT_CODE_CHARS[((31 - sum % 31) % 31) as usize];
    if code[17] != expected {
        return CreditCodeCheck::Invalid;
    }

    if is_organisation_code_valid(&code[8..17]) {
        CreditCodeCheck::Valid
    } else {
        CreditCodeCheck::OuterCheckOnly
    }
}

fn credit_code_value(c: u8) -> Option<u32> {
    CREDIT_CODE_CHARS
        .iter()
        .position(|&allowed| allowed == c)
        .map(|value| value as u32)
}

/// Checks a 9-character organisation code (GB 11714-1997): 8 digits or upper-case letters and
/// a MOD 11 check character (`0`-`9` or `X`).
fn is_organisation_code_valid(code: &[u8]) -> bool {
    const WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];
    let mut sum = 0;
    for (&c, weight) in code[..8].iter().zip(WEIGHTS) {
        let value = match c {
            b'0'..=b'9' => u32::from(c - b'0'),
            b'A'..=b'Z' => u32::from(c - b'A') + 10,
            _ => return false,
        };
        sum += value * weight;
    }
    let expected = match 11 - sum % 11 {
        10 => b'X',
        11 => b'0',
        digit => b'0' + digit as u8,
    };
    code[8] == expected
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resident_id_check_digit() {
        // The example ID number of GB 11643-1999.
        assert_eq!(
            check_resident_id18(b"11010519491231002X"),
            ResidentIdCheck::Valid
        );
        assert_eq!(
            check_resident_id18(b"11010519491231002x"),
            ResidentIdCheck::Valid
        );
        assert_eq!(
            check_resident_id18(b"110105194912310021"),
            ResidentIdCheck::LooksLikeId
        );
    }

    #[test]
    fn resident_id_rejects_impossible_dates() {
        // Check digits computed for the invalid dates, so only the date can reject them.
        assert_eq!(
            check_resident_id18(b"430102199902310016"),
            ResidentIdCheck::LooksLikeId
        );
        assert_eq!(
            check_resident_id18(b"430102190002290012"),
            ResidentIdCheck::LooksLikeId
        );
        assert_eq!(
            check_resident_id18(b"430102200002290019"),
            ResidentIdCheck::Valid
        );
        assert_eq!(
            check_resident_id18(b"430102289901010010"),
            ResidentIdCheck::Invalid
        );
    }

    #[test]
    fn resident_id_rejects_unknown_province() {
        assert_eq!(
            check_resident_id18(b"000102199001010016"),
            ResidentIdCheck::Invalid
        );
    }

    #[test]
    fn old_resident_id_date() {
        assert!(is_resident_id15(b"430102850307123"));
        assert!(!is_resident_id15(b"430102851307123"));
        assert!(!is_resident_id15(b"430102850230123"));
    }

    #[test]
    fn luhn() {
        assert!(is_luhn_valid(b"4111111111111111"));
        assert!(is_luhn_valid(b"6222021234567890128"));
        assert!(!is_luhn_valid(b"4111111111111112"));
        assert!(!is_luhn_valid(b""));
    }

    #[test]
    fn credit_code_checks() {
        // Check characters computed by hand from the GB 32100 and GB 11714 weights.
        assert_eq!(
            check_credit_code(b"91350100M000100Y43"),
            CreditCodeCheck::Valid
        );
        assert_eq!(
            check_credit_code(b"91350100M000100Y44"),
            CreditCodeCheck::Invalid
        );
        assert_eq!(
            check_credit_code(b"91350100m000100Y43"),
            CreditCodeCheck::Invalid
        );
    }

    #[test]
    fn year_from_days() {
        assert_eq!(year_from_unix_days(0), 1970);
        assert_eq!(year_from_unix_days(10_956), 1999);
        assert_eq!(year_from_unix_days(10_957), 2000);
        assert_eq!(year_from_unix_days(20_453), 2025);
    }
}
