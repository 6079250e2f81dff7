//! Vehicle licence plates: a province abbreviation, the letter of the issuing
//! office, an optional separator (`·`, `•`, `・`, `.`, space or dash) and the serial.
//!
//! Serials recognised:
//! - 5 characters with at most 2 letters (湘A12345, 粤B·A3B45);
//! - 6 characters of a new-energy plate: `D` or `F`, a letter or digit, then 4 digits
//!   (粤BD12345), or 5 digits then `D` or `F` (湘A12345D);
//! - 4 characters with at most 2 letters, followed by 挂, 学, 警, 港, 澳 or 领 (湘A1234学).
//!
//! Letters are upper-case and never I or O. The 挂, 学, 警, 港, 澳 or 领 after a serial belongs
//! to the plate.

use super::scan::{Grouping, confidence, push, right_ok};
use super::{Finding, PiiKind};

const PLATE_KEYWORDS: &[&str] = &["车牌", "牌照", "号牌"];

/// Abbreviations of the province-level regions on plates.
pub(super) const PROVINCES: [char; 31] = [
    '京', '津', '沪', '渝', '冀', '豫', '云', '辽', '黑', '湘', '皖', '鲁', '新', '苏', '浙', '赣',
    '鄂', '桂', '甘', '晋', '蒙', '陕', '吉', '闽', '贵', '粤', '青', '藏', '川', '宁', '琼',
];

/// Returns whether a character is the abbreviation of a province-level region on plates.
pub(super) fn is_province(c: char) -> bool {
    PROVINCES.contains(&c)
}

/// Matches a plate that starts with the province abbreviation at `start`.
pub(super) fn scan(text: &str, start: usize, out: &mut Vec<Finding>) {
    let bytes = text.as_bytes();
    let office = start + 3;
    if !bytes.get(office).is_some_and(|&b| is_plate_letter(b)) {
        return;
    }

    let mut serial_start = office + 1;
    let rest = &text[serial_start..];
    for separator in ["·", "•", "・", ".", " ", "-"] {
        if rest.starts_with(separator) {
            serial_start += separator.len();
            break;
        }
    }
    let serial_end = bytes[serial_start..]
        .iter()
        .position(|b| !b.is_ascii_alphanumeric())
        .map_or(bytes.len(), |offset| serial_start + offset);
    let serial = &bytes[serial_start..serial_end];
    let suffix_len = text[serial_end..]
        .chars()
        .next()
        .filter(|c| matches!(c, '挂' | '学' | '警' | '港' | '澳' | '领'))
        .map_or(0, char::len_utf8);

    let serial_ok = match serial.len() {
        5 => is_ordinary_serial(serial),
        6 => is_new_energy_serial(serial),
        4 => suffix_len > 0 && is_ordinary_serial(serial),
        _ => false,
    };
    let end = serial_end + suffix_len;
    if serial_ok && right_ok(bytes, end, Grouping::Plain) {
        let score = confidence(text, start, PLATE_KEYWORDS, 0.9, 0.95);
        push(out, PiiKind::LicencePlate, start..end, score);
    }
}

fn is_plate_letter(byte: u8) -> bool {
    byte.is_ascii_uppercase() && byte != b'I' && byte != b'O'
}

/// Returns whether a serial is plate letters and digits with at most two letters.
fn is_ordinary_serial(serial: &[u8]) -> bool {
    let letters = serial.iter().filter(|b| !b.is_ascii_digit()).count();
    serial
        .iter()
        .all(|&b| b.is_ascii_digit() || is_plate_letter(b))
        && letters <= 2
}

fn is_new_energy_serial(serial: &[u8]) -> bool {
    let digits = |range: &[u8]| range.iter().all(u8::is_ascii_digit);
    match serial {
        [b'D' | b'F', second, rest @ ..] => {
            (second.is_ascii_digit() || is_plate_letter(*second)) && digits(rest)
        }
        [head @ .., b'D' | b'F'] => digits(head),
        _ => false,
    }
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
    fn plates() {
        for plate in [
            "湘A12345",
            "湘A·D12345",
            "粤BD12345",
            "湘A12345D",
            "京N·A3B45",
            "湘A 8B123",
            "湘A1234学",
        ] {
            let text = format!("车牌号{plate}的车");
            assert_eq!(found(&text), [(PiiKind::LicencePlate, plate)], "{plate}");
        }
    }

    #[test]
    fn rejects_non_plates() {
        assert!(found("湘A123456789").is_empty());
        assert!(found("湘ABCDE1").is_empty());
        assert!(found("湘I12345").is_empty());
        assert!(found("湘A1234").is_empty());
        assert!(found("湘AB12345").is_empty());
        assert!(found("A市A3区").is_empty());
    }
}
