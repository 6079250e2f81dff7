//! E-mail addresses, found from their `@`.
//!
//! The local part is ASCII letters, digits and `. _ % + -`, at most 64 characters, starting
//! with a letter, digit or underscore. The domain is at least two labels of ASCII letters,
//! digits and `-`, and the last label is at least two letters. Internationalised addresses
//! and quoted local parts are not recognised.

use super::scan::{confidence, push};
use super::{Finding, PiiKind};

const MAX_LOCAL_LEN: usize = 64;
const MAX_DOMAIN_LEN: usize = 253;
const EMAIL_KEYWORDS: &[&str] = &["邮箱", "邮件", "mail", "Mail", "MAIL"];

/// Matches an e-mail address around the `@` at `at`.
pub(super) fn scan_at(text: &str, at: usize, out: &mut Vec<Finding>) {
    let bytes = text.as_bytes();

    // The local part: walk left over the characters it may contain, then drop leading
    // punctuation.
    let mut start = at;
    while start > 0 && at - start < MAX_LOCAL_LEN && is_local_char(bytes[start - 1]) {
        start -= 1;
    }
    while start < at && matches!(bytes[start], b'.' | b'%' | b'+' | b'-') {
        start += 1;
    }
    if start == at || bytes[at - 1] == b'.' {
        return;
    }
    if start > 0 && bytes[start - 1].is_ascii_alphanumeric() {
        // The walk stopped at the length limit inside a longer run.
        return;
    }

    // The domain: walk right over labels, then drop trailing dots and dashes.
    let domain_start = at + 1;
    let mut end = domain_start;
    while end < bytes.len()
        && end - domain_start < MAX_DOMAIN_LEN
        && (bytes[end].is_ascii_alphanumeric() || matches!(bytes[end], b'.' | b'-'))
    {
        end += 1;
    }
    while end > domain_start && matches!(bytes[end - 1], b'.' | b'-') {
        end -= 1;
    }
    if !is_valid_domain(&bytes[domain_start..end]) {
        return;
    }
    if bytes.get(end) == Some(&b'@') {
        return;
    }

    let score = confidence(text, start, EMAIL_KEYWORDS, 0.95, 0.97);
    push(out, PiiKind::Email, start..end, score);
}

fn is_local_char(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'_' | b'%' | b'+' | b'-')
}

/// Returns whether a domain has at least two non-empty labels that neither start nor end
/// with `-`, and a top-level label of at least two letters.
fn is_valid_domain(domain: &[u8]) -> bool {
    let mut labels = 0;
    let mut last: &[u8] = &[];
    for label in domain.split(|&b| b == b'.') {
        if label.is_empty() || label[0] == b'-' || label[label.len() - 1] == b'-' {
            return false;
        }
        labels += 1;
        last = label;
    }
    labels >= 2 && last.len() >= 2 && last.iter().all(u8::is_ascii_alphabetic)
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
    fn addresses_next_to_chinese() {
        assert_eq!(
            found("邮箱zhang.san_01@hnu.edu.cn。谢谢"),
            [(PiiKind::Email, "zhang.san_01@hnu.edu.cn")]
        );
        assert_eq!(found("发到abc@qq.com."), [(PiiKind::Email, "abc@qq.com")]);
    }

    #[test]
    fn rejects_incomplete_addresses() {
        assert!(found("@qq.com").is_empty());
        assert!(found("abc@qq").is_empty());
        assert!(found("abc@qq.c").is_empty());
        assert!(found("abc@-qq.com").is_empty());
        assert!(found("微博@某某").is_empty());
    }
}
