//! Parsers that turn files into structured [`Block`]s: plain text, Markdown, HTML, DOCX and
//! PDF with a text layer.
//!
//! Each parser returns the blocks in reading order with trimmed text; empty blocks are
//! dropped. None of them reads metadata such as the title or the owner into a
//! [`crate::Source`]: the caller sets that. Scanned PDFs need OCR, which is not supported.

mod docx;
mod html;
mod markdown;
mod pdf;
mod plain;

use std::path::Path;

pub use docx::parse_docx;
pub use html::parse_html;
pub use markdown::parse_markdown;
pub use pdf::parse_pdf;
pub use plain::parse_plain_text;

use crate::KnowledgeError;
use crate::source::Block;

/// A file format the parsers read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// UTF-8 text; each non-empty line is a paragraph.
    PlainText,
    /// CommonMark-style Markdown with `#` headings.
    Markdown,
    /// HTML; headings, paragraphs and list items become blocks.
    Html,
    /// Office Open XML word-processing documents.
    Docx,
    /// PDF with a text layer.
    Pdf,
}

impl Format {
    /// Returns the format for a file name's extension (`.txt`, `.md`, `.markdown`, `.html`,
    /// `.htm`, `.docx`, `.pdf`, case-insensitive), or `None`.
    pub fn from_path(path: &Path) -> Option<Self> {
        let extension = path.extension()?.to_str()?.to_ascii_lowercase();
        match extension.as_str() {
            "txt" | "text" => Some(Self::PlainText),
            "md" | "markdown" => Some(Self::Markdown),
            "html" | "htm" => Some(Self::Html),
            "docx" => Some(Self::Docx),
            "pdf" => Some(Self::Pdf),
            _ => None,
        }
    }
}

/// Parses a file's bytes in the given format.
///
/// # Errors
///
/// - [`KnowledgeError::InvalidFile`] if the bytes are not valid for the format (text that is
///   not UTF-8, a damaged DOCX or PDF).
/// - [`KnowledgeError::PdfWithoutText`] for a PDF without a text layer.
pub fn parse_bytes(format: Format, bytes: &[u8]) -> Result<Vec<Block>, KnowledgeError> {
    let text = || {
        std::str::from_utf8(bytes).map_err(|error| KnowledgeError::InvalidFile {
            format: "text",
            reason: format!("not UTF-8 ({error}); convert the file to UTF-8 first"),
        })
    };
    match format {
        Format::PlainText => Ok(parse_plain_text(text()?)),
        Format::Markdown => Ok(parse_markdown(text()?)),
        Format::Html => Ok(parse_html(text()?)),
        Format::Docx => parse_docx(bytes),
        Format::Pdf => parse_pdf(bytes),
    }
}

/// Parses a file, choosing the format by its extension.
///
/// # Errors
///
/// [`KnowledgeError::InvalidValue`] for an unknown extension, [`KnowledgeError::Io`] if the
/// file cannot be read, and the errors of [`parse_bytes`].
pub fn parse_file(path: &Path) -> Result<Vec<Block>, KnowledgeError> {
    let format = Format::from_path(path).ok_or_else(|| KnowledgeError::InvalidValue {
        name: "file extension",
        value: path.display().to_string(),
        expected: ".txt, .md, .markdown, .html, .htm, .docx or .pdf",
    })?;
    let bytes = std::fs::read(path)?;
    parse_bytes(format, &bytes)
}

/// Joins two pieces of one paragraph that a line break separated: directly between CJK
/// characters, with a space otherwise.
fn join_lines(left: &mut String, right: &str) {
    let right = right.trim();
    if right.is_empty() {
        return;
    }
    let needs_space = match (left.chars().last(), right.chars().next()) {
        (Some(last), Some(first)) => !(is_wide(last) || is_wide(first)),
        _ => false,
    };
    if needs_space {
        left.push(' ');
    }
    left.push_str(right);
}

/// Returns whether a character is CJK or full-width punctuation, written without spaces.
fn is_wide(c: char) -> bool {
    matches!(c as u32, 0x2E80..=0x9FFF | 0xF900..=0xFAFF | 0xFF00..=0xFFEF | 0x20000..=0x3FFFF)
}
