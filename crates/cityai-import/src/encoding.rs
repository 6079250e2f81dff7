//! Character-encoding detection and decoding for CSV files.
//!
//! Offices export CSV as UTF-8 (often with a BOM when Excel wrote it), as GBK/GB18030 (the
//! default of Chinese Windows and of many government systems), or as UTF-16 from Excel's
//! "Unicode text". GB18030 is a superset of GBK and GB2312, so one decoder covers all three.

use serde::Serialize;

/// The encoding a CSV file was read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Encoding {
    #[serde(rename = "UTF-8")]
    Utf8,
    #[serde(rename = "UTF-8 with BOM")]
    Utf8Bom,
    #[serde(rename = "UTF-16LE")]
    Utf16Le,
    #[serde(rename = "UTF-16BE")]
    Utf16Be,
    #[serde(rename = "GB18030")]
    Gb18030,
}

impl Encoding {
    pub fn label(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Utf8Bom => "UTF-8 with BOM",
            Encoding::Utf16Le => "UTF-16LE",
            Encoding::Utf16Be => "UTF-16BE",
            Encoding::Gb18030 => "GB18030",
        }
    }
}

/// How many valid multi-byte UTF-8 characters per invalid sequence make a file UTF-8 with a
/// few damaged rows rather than another encoding. GBK text almost never forms valid UTF-8
/// sequences, so even a short GBK file falls far below this ratio.
const UTF8_MAJORITY_RATIO: usize = 20;

/// Detects the encoding of `bytes`.
///
/// A byte-order mark decides first. Otherwise valid UTF-8 is UTF-8, and so is text that is
/// overwhelmingly valid UTF-8 with a few broken sequences, whose rows are then rejected one
/// by one. Everything else is read as GB18030.
pub fn detect(bytes: &[u8]) -> Encoding {
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return Encoding::Utf8Bom;
    }
    if bytes.starts_with(&[0xFF, 0xFE]) {
        return Encoding::Utf16Le;
    }
    if bytes.starts_with(&[0xFE, 0xFF]) {
        return Encoding::Utf16Be;
    }
    let mut valid_multibyte = 0usize;
    let mut invalid = 0usize;
    for chunk in bytes.utf8_chunks() {
        valid_multibyte += chunk.valid().chars().filter(|c| !c.is_ascii()).count();
        if !chunk.invalid().is_empty() {
            invalid += 1;
        }
    }
    if invalid == 0 || valid_multibyte >= invalid * UTF8_MAJORITY_RATIO {
        Encoding::Utf8
    } else {
        Encoding::Gb18030
    }
}

/// Converts a whole UTF-16 file to UTF-8 bytes, replacing malformed units with U+FFFD.
pub fn utf16_to_utf8(bytes: &[u8], encoding: Encoding) -> Vec<u8> {
    let decoder = match encoding {
        Encoding::Utf16Be => encoding_rs::UTF_16BE,
        _ => encoding_rs::UTF_16LE,
    };
    let (text, _, _) = decoder.decode(bytes);
    text.into_owned().into_bytes()
}

/// Decodes one field; `None` when its bytes are not valid in `encoding`.
///
/// UTF-16 files are converted to UTF-8 before parsing, so they decode as UTF-8 here.
pub fn decode_field(bytes: &[u8], encoding: Encoding) -> Option<String> {
    match encoding {
        Encoding::Gb18030 => encoding_rs::GB18030
            .decode_without_bom_handling_and_without_replacement(bytes)
            .map(|text| text.into_owned()),
        _ => std::str::from_utf8(bytes).ok().map(str::to_owned),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_plain_utf8() {
        assert_eq!(
            detect("留言编号,留言详情\n1,路灯不亮\n".as_bytes()),
            Encoding::Utf8
        );
    }

    #[test]
    fn detects_bom() {
        let mut bytes = vec![0xEF, 0xBB, 0xBF];
        bytes.extend_from_slice("标题".as_bytes());
        assert_eq!(detect(&bytes), Encoding::Utf8Bom);
    }

    #[test]
    fn detects_gb18030() {
        let (bytes, _, _) =
            encoding_rs::GB18030.encode("留言编号,留言详情\n1,路灯不亮，请尽快修理\n");
        assert_eq!(detect(&bytes), Encoding::Gb18030);
        assert_eq!(
            decode_field(&bytes[..8], Encoding::Gb18030).as_deref(),
            Some("留言编号")
        );
    }

    #[test]
    fn detects_gbk_as_gb18030() {
        let text = "留言主题,留言详情\n噪音扰民,楼下烧烤店每晚营业到凌晨两点\n";
        let (bytes, _, unmappable) = encoding_rs::GBK.encode(text);
        assert!(!unmappable);
        assert_eq!(detect(&bytes), Encoding::Gb18030);
        let decoded = decode_field(&bytes, Encoding::Gb18030);
        assert_eq!(decoded.as_deref(), Some(text));
    }

    #[test]
    fn mostly_utf8_with_a_bad_byte_stays_utf8() {
        let mut bytes = "留言详情\n".repeat(10).into_bytes();
        bytes.extend_from_slice(b"bad \xff row\n");
        assert_eq!(detect(&bytes), Encoding::Utf8);
        assert_eq!(decode_field(b"bad \xff row", Encoding::Utf8), None);
    }
}
