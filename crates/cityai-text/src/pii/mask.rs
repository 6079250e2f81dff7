//! Masking of detected personal data.
//!
//! Partial masking replaces each hidden ASCII letter or digit with `*` and keeps separators,
//! so that the result still shows the shape of the value:
//!
//! | kind | kept | example |
//! |---|---|---|
//! | resident ID | first 6 (the region) and last 4 (last 3 of the old 15-digit form) | `430102********1234` |
//! | mobile | country code, first 3 and last 4 | `+86 138****5678` |
//! | landline | area code | `0731-*******` |
//! | bank card | last 4 | `**** **** **** 1234` |
//! | e-mail | first character of the local part and the domain | `z***@163.com` |
//! | licence plate | province, office letter and last 2 | `湘A***45` |
//! | passport, travel permit | first letter or digit and last 2 | `E******78` |
//! | social credit code | first 2 and last 2 | `91**************43` |
//! | address | the CJK text; every ASCII letter and digit is hidden | `枫林三路**号*栋` |
//! | name | the surname | `张*` |
//!
//! Token masking replaces the whole value with a label such as `[手机号]` or `[mobile]`.
//! The first 6 digits of a resident ID number name the county of registration, which many
//! people share, so they stay visible. The birth date identifies a person together with the
//! rest, so it is hidden.

use super::{Finding, PiiKind, detect};

/// The masking style for a kind of personal data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MaskStyle {
    /// Hides most characters with `*` and keeps a few, as the module documentation lists.
    Partial,
    /// Replaces the value with the label that [`token_label`] returns.
    Token,
}

/// Language of the labels that token masking writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Language {
    /// Simplified Chinese, for example `[手机号]`.
    #[default]
    ZhCn,
    /// English, for example `[mobile]`.
    En,
}

/// Mask style per kind of personal data, and the language of token labels.
///
/// The default masks resident IDs, mobile and landline numbers, bank cards, e-mail addresses,
/// licence plates, passports, travel permits and credit codes partially, and names and
/// addresses with tokens in Chinese.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaskPolicy {
    styles: [MaskStyle; PiiKind::ALL.len()],
    language: Language,
}

impl Default for MaskPolicy {
    fn default() -> Self {
        let mut styles = [MaskStyle::Partial; PiiKind::ALL.len()];
        styles[PiiKind::Address as usize] = MaskStyle::Token;
        styles[PiiKind::PersonName as usize] = MaskStyle::Token;
        MaskPolicy {
            styles,
            language: Language::ZhCn,
        }
    }
}

impl MaskPolicy {
    /// Creates a policy that masks every kind with a token in `language`.
    pub fn tokens_only(language: Language) -> Self {
        MaskPolicy {
            styles: [MaskStyle::Token; PiiKind::ALL.len()],
            language,
        }
    }

    /// Returns the style for a kind.
    pub fn style(&self, kind: PiiKind) -> MaskStyle {
        self.styles[kind as usize]
    }

    /// Sets the style for a kind.
    pub fn set_style(&mut self, kind: PiiKind, style: MaskStyle) {
        self.styles[kind as usize] = style;
    }

    /// Returns the policy with the style for one kind changed.
    #[must_use]
    pub fn with_style(mut self, kind: PiiKind, style: MaskStyle) -> Self {
        self.set_style(kind, style);
        self
    }

    /// Returns the language of token labels.
    pub fn language(&self) -> Language {
        self.language
    }

    /// Returns the policy with token labels in another language.
    #[must_use]
    pub fn with_language(mut self, language: Language) -> Self {
        self.language = language;
        self
    }
}

/// Returns the label that token masking writes for a kind, such as `[手机号]` or `[mobile]`.
pub fn token_label(kind: PiiKind, language: Language) -> &'static str {
    match language {
        Language::ZhCn => match kind {
            PiiKind::ResidentId => "[身份证号]",
            PiiKind::Mobile => "[手机号]",
            PiiKind::Landline => "[固定电话]",
            PiiKind::BankCard => "[银行卡号]",
            PiiKind::Email => "[邮箱]",
            PiiKind::LicencePlate => "[车牌号]",
            PiiKind::Passport => "[护照号]",
            PiiKind::TravelPermit => "[通行证号]",
            PiiKind::SocialCreditCode => "[统一社会信用代码]",
            PiiKind::Address => "[地址]",
            PiiKind::PersonName => "[姓名]",
        },
        Language::En => match kind {
            PiiKind::ResidentId => "[resident ID]",
            PiiKind::Mobile => "[mobile]",
            PiiKind::Landline => "[landline]",
            PiiKind::BankCard => "[bank card]",
            PiiKind::Email => "[email]",
            PiiKind::LicencePlate => "[licence plate]",
            PiiKind::Passport => "[passport]",
            PiiKind::TravelPermit => "[travel permit]",
            PiiKind::SocialCreditCode => "[credit code]",
            PiiKind::Address => "[address]",
            PiiKind::PersonName => "[name]",
        },
    }
}

/// Masks the findings in a text with the styles of the policy.
///
/// The findings may come in any order. Where two of them overlap, which [`detect`] never
/// returns, both are replaced by one token of the more confident one, so that no character
/// of either stays visible.
///
/// # Panics
///
/// Panics if a span is out of bounds of `text` or not on character boundaries.
pub fn mask(text: &str, findings: &[Finding], policy: &MaskPolicy) -> String {
    let mut sorted: Vec<&Finding> = findings.iter().collect();
    sorted.sort_by_key(|f| f.span.start);

    let mut out = String::with_capacity(text.len() + 16 * findings.len());
    let mut cursor = 0;
    let mut index = 0;
    while index < sorted.len() {
        let first = sorted[index];
        assert!(
            text.is_char_boundary(first.span.start) && text.is_char_boundary(first.span.end),
            "finding span {:?} is not on character boundaries of a text of {} bytes",
            first.span,
            text.len()
        );

        // Merge findings that overlap this one into one region.
        let mut end = first.span.end;
        let mut strongest = first;
        let mut merged = false;
        index += 1;
        while index < sorted.len() && sorted[index].span.start < end {
            let next = sorted[index];
            end = end.max(next.span.end);
            if next.confidence > strongest.confidence {
                strongest = next;
            }
            merged = true;
            index += 1;
        }
        assert!(
            text.is_char_boundary(end),
            "finding span ends at {end}, which is not a character boundary"
        );

        out.push_str(&text[cursor..first.span.start]);
        let value = &text[first.span.start..end];
        if merged || policy.style(strongest.kind) == MaskStyle::Token {
            out.push_str(token_label(strongest.kind, policy.language));
        } else {
            mask_partially(strongest.kind, value, &mut out);
        }
        cursor = end;
    }
    out.push_str(&text[cursor..]);
    out
}

/// Detects the personal data in a text and masks it with the default policy.
pub fn mask_text(text: &str) -> String {
    mask(text, &detect(text), &MaskPolicy::default())
}

/// Appends the partially masked form of one value.
fn mask_partially(kind: PiiKind, value: &str, out: &mut String) {
    match kind {
        PiiKind::ResidentId => {
            let tail = if alnum_count(value) == 15 { 3 } else { 4 };
            keep_alnum(value, 6, tail, out);
        }
        PiiKind::Mobile => {
            // The national number is the last 11 digits; the country code stays.
            let country_code_len = alnum_count(value).saturating_sub(11);
            keep_alnum(value, country_code_len + 3, 4, out);
        }
        PiiKind::Landline => keep_alnum(value, area_code_len(value), 0, out),
        PiiKind::BankCard => keep_alnum(value, 0, 4, out),
        PiiKind::Email => mask_email(value, out),
        PiiKind::LicencePlate => keep_alnum(value, 1, 2, out),
        PiiKind::Passport | PiiKind::TravelPermit => keep_alnum(value, 1, 2, out),
        PiiKind::SocialCreditCode => keep_alnum(value, 2, 2, out),
        PiiKind::Address => keep_alnum(value, 0, 0, out),
        PiiKind::PersonName => mask_name(value, out),
    }
}

fn alnum_count(value: &str) -> usize {
    value.bytes().filter(u8::is_ascii_alphanumeric).count()
}

/// Appends `value` with every ASCII letter and digit replaced by `*` except the first `head`
/// and the last `tail` of them. When `head + tail` covers all of them, all are hidden.
fn keep_alnum(value: &str, head: usize, tail: usize, out: &mut String) {
    let total = alnum_count(value);
    let (head, tail) = if head + tail >= total {
        (0, 0)
    } else {
        (head, tail)
    };
    let mut seen = 0;
    for c in value.chars() {
        if c.is_ascii_alphanumeric() {
            let keep = seen < head || seen >= total - tail;
            out.push(if keep { c } else { '*' });
            seen += 1;
        } else {
            out.push(c);
        }
    }
}

/// Returns the number of area code digits at the start of a landline number, ignoring an
/// opening bracket.
fn area_code_len(value: &str) -> usize {
    let digits = value.trim_start_matches(['(', '（']).as_bytes();
    match digits {
        [b'0', b'1' | b'2', ..] => 3,
        _ => 4,
    }
}

fn mask_email(value: &str, out: &mut String) {
    let Some((local, domain)) = value.rsplit_once('@') else {
        keep_alnum(value, 0, 0, out);
        return;
    };
    if let Some(first) = local.chars().next() {
        out.push(first);
    }
    out.push_str("***@");
    out.push_str(domain);
}

/// Appends the surname and one `*` for each further character.
fn mask_name(value: &str, out: &mut String) {
    let surname_len = if value.chars().count() >= 3 && super::name::is_compound_surname(value) {
        2
    } else {
        1
    };
    for (index, c) in value.chars().enumerate() {
        out.push(if index < surname_len { c } else { '*' });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(text: &str) -> String {
        mask_text(text)
    }

    #[test]
    fn partial_defaults() {
        assert_eq!(masked("电话13812345678"), "电话138****5678");
        assert_eq!(masked("电话+86 138-1234-5678"), "电话+86 138-****-5678");
        assert_eq!(
            masked("身份证11010519491231002X"),
            "身份证110105********002X"
        );
        assert_eq!(masked("身份证430102850307123"), "身份证430102******123");
        assert_eq!(
            masked("卡号6222 0212 3456 7890 128"),
            "卡号**** **** **** ***0 128"
        );
        assert_eq!(masked("邮箱zhangsan@163.com"), "邮箱z***@163.com");
        assert_eq!(masked("车牌湘A·D12345"), "车牌湘A·****45");
        assert_eq!(masked("座机0731-88888888-801"), "座机0731-********-***");
        assert_eq!(masked("座机(010)62345678"), "座机(010)********");
        assert_eq!(masked("护照E12345678"), "护照E******78");
        assert_eq!(masked("代码91350100M000100Y43"), "代码91**************43");
    }

    #[test]
    fn token_defaults() {
        assert_eq!(masked("我叫张伟，"), "我叫[姓名]，");
        assert_eq!(masked("家住岳麓区枫林三路88号3栋2单元502室"), "家住[地址]");
    }

    #[test]
    fn english_tokens() {
        let text = "我叫张伟，电话13812345678";
        let policy = MaskPolicy::tokens_only(Language::En);
        assert_eq!(
            mask(text, &detect(text), &policy),
            "我叫[name]，电话[mobile]"
        );
    }

    #[test]
    fn partial_names_and_addresses() {
        let policy = MaskPolicy::default()
            .with_style(PiiKind::PersonName, MaskStyle::Partial)
            .with_style(PiiKind::Address, MaskStyle::Partial);
        let text = "姓名：欧阳小明，住在枫林三路88号3栋";
        assert_eq!(
            mask(text, &detect(text), &policy),
            "姓名：欧阳**，住在枫林三路**号*栋"
        );
    }

    #[test]
    fn overlapping_findings_become_one_token() {
        let text = "号码13812345678";
        let findings = [
            Finding {
                kind: PiiKind::Mobile,
                span: 6..17,
                confidence: 0.9,
            },
            Finding {
                kind: PiiKind::BankCard,
                span: 8..17,
                confidence: 0.5,
            },
        ];
        assert_eq!(
            mask(text, &findings, &MaskPolicy::default()),
            "号码[手机号]"
        );
    }

    #[test]
    fn short_values_are_fully_hidden() {
        let mut out = String::new();
        keep_alnum("12345", 3, 4, &mut out);
        assert_eq!(out, "*****");
    }
}
