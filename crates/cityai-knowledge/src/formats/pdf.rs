//! PDF with a text layer, read with `pdf-extract`: each page's text is split into paragraphs
//! at blank lines, and lines within a paragraph are joined.
//!
//! PDF has no reliable structure, so no headings are recognised. A PDF whose pages yield no
//! text is a scanned image and is rejected, because OCR is not supported.

use crate::KnowledgeError;
use crate::source::Block;

use super::join_lines;

/// Parses a PDF's bytes into paragraphs.
///
/// # Errors
///
/// - [`KnowledgeError::InvalidFile`] if the bytes are not a readable PDF (damaged, or
///   encrypted with a password).
/// - [`KnowledgeError::PdfWithoutText`] if no page has text.
pub fn parse_pdf(bytes: &[u8]) -> Result<Vec<Block>, KnowledgeError> {
    // pdf-extract panics on some malformed files instead of returning an error, so a panic
    // is caught and reported as an invalid file.
    let extracted = std::panic::catch_unwind(|| pdf_extract::extract_text_from_mem_by_pages(bytes));
    let pages = match extracted {
        Ok(Ok(pages)) => pages,
        Ok(Err(error)) => {
            return Err(KnowledgeError::InvalidFile {
                format: "PDF",
                reason: error.to_string(),
            });
        }
        Err(_) => {
            return Err(KnowledgeError::InvalidFile {
                format: "PDF",
                reason: "the PDF parser failed on this file".to_owned(),
            });
        }
    };

    let mut blocks = Vec::new();
    for page in &pages {
        let mut paragraph = String::new();
        for line in page.lines() {
            if line.trim().is_empty() {
                push_paragraph(&mut blocks, &mut paragraph);
                continue;
            }
            join_lines(&mut paragraph, line);
        }
        push_paragraph(&mut blocks, &mut paragraph);
    }
    if blocks.is_empty() {
        return Err(KnowledgeError::PdfWithoutText { pages: pages.len() });
    }
    Ok(blocks)
}

fn push_paragraph(blocks: &mut Vec<Block>, paragraph: &mut String) {
    if !paragraph.trim().is_empty() {
        blocks.push(Block::paragraph(paragraph.as_str()));
    }
    paragraph.clear();
}
