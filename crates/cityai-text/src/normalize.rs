//! Text normalisation applied to every request on intake.
//!
//! It makes the same message typed or exported differently compare equal, without changing
//! what a reader sees: full-width Latin letters and digits become ASCII, but Chinese
//! punctuation (，。！？：；) stays as written, because Unicode NFKC would turn `，` into `,`
//! and change the text of official records.

/// Normalises text for storage and comparison.
///
/// - line breaks become `\n`, and the Excel artefact `_x000D_` is removed;
/// - control and zero-width characters (including a byte-order mark) are removed, except
///   tab and newline;
/// - full-width ASCII letters, digits and the ideographic space become ASCII;
/// - runs of spaces and tabs become one space, and lines are trimmed;
/// - more than one blank line becomes one, and the text is trimmed.
pub fn normalize(text: &str) -> String {
    let text = text
        .replace("_x000D_", "")
        .replace("\r\n", "\n")
        .replace('\r', "\n");

    let mut lines: Vec<String> = Vec::new();
    for raw_line in text.split('\n') {
        let mut line = String::with_capacity(raw_line.len());
        let mut pending_space = false;
        for c in raw_line.chars().filter_map(map_char) {
            if c == ' ' {
                pending_space = true;
                continue;
            }
            if pending_space && !line.is_empty() {
                line.push(' ');
            }
            pending_space = false;
            line.push(c);
        }
        lines.push(line);
    }

    let mut out = String::with_capacity(text.len());
    let mut blank_run = 0;
    for line in &lines {
        if line.is_empty() {
            blank_run += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank_run > 0 { "\n\n" } else { "\n" });
        }
        blank_run = 0;
        out.push_str(line);
    }
    out
}

/// Maps one character: `None` drops it, spaces of every kind become `' '`.
fn map_char(c: char) -> Option<char> {
    match c {
        '\t' | '\u{3000}' | '\u{00A0}' | '\u{2002}'..='\u{200A}' => Some(' '),
        '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' => None,
        c if c.is_control() => None,
        // Full-width digits and Latin letters (U+FF10..U+FF19, U+FF21..U+FF3A, U+FF41..U+FF5A).
        '\u{FF10}'..='\u{FF19}' | '\u{FF21}'..='\u{FF3A}' | '\u{FF41}'..='\u{FF5A}' => {
            char::from_u32(c as u32 - 0xFEE0)
        }
        c => Some(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_chinese_punctuation() {
        assert_eq!(
            normalize("您好！路灯坏了，请修理。"),
            "您好！路灯坏了，请修理。"
        );
    }

    #[test]
    fn folds_full_width_letters_and_digits() {
        assert_eq!(normalize("Ａ３区１２３号"), "A3区123号");
    }

    #[test]
    fn collapses_spaces_and_trims_lines() {
        assert_eq!(normalize("  你好\t\t世界 \u{3000} "), "你好 世界");
    }

    #[test]
    fn normalises_line_breaks_and_blank_lines() {
        assert_eq!(
            normalize("第一段\r\n\r\n\r\n第二段\r第三段"),
            "第一段\n\n第二段\n第三段"
        );
    }

    #[test]
    fn removes_excel_artefact_and_invisible_characters() {
        assert_eq!(normalize("\u{FEFF}路灯_x000D_\n不亮\u{200B}"), "路灯\n不亮");
    }

    #[test]
    fn empty_and_blank_become_empty() {
        assert_eq!(normalize(""), "");
        assert_eq!(normalize(" \n\t\u{3000}\n"), "");
    }
}
