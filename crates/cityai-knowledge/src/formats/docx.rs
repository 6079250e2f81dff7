//! DOCX (Office Open XML): paragraphs of `word/document.xml`, with headings recognised by
//! their style and list items by their numbering.
//!
//! A paragraph is a heading of level N when its style is named `heading N` (Word's built-in
//! name in every language version) or has the id `HeadingN`, or when it or its style sets
//! outline level N - 1. A paragraph with numbering (`w:numPr`) is a list item. Table cells
//! are read as paragraphs in document order. Headers, footers, footnotes, comments and
//! text boxes' alternate content are not read.

use std::collections::HashMap;
use std::io::{Cursor, Read};

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use crate::KnowledgeError;
use crate::source::{Block, BlockKind};

/// The heading level a paragraph style sets, if any.
#[derive(Debug, Default, Clone)]
struct StyleInfo {
    heading_level: Option<u8>,
}

/// Parses a DOCX file's bytes into headings, list items and paragraphs.
///
/// # Errors
///
/// [`KnowledgeError::InvalidFile`] if the bytes are not a ZIP archive, `word/document.xml`
/// is missing, or its XML is malformed.
pub fn parse_docx(bytes: &[u8]) -> Result<Vec<Block>, KnowledgeError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|error| invalid(format!("not a ZIP archive ({error})")))?;
    let document = read_part(&mut archive, "word/document.xml")?.ok_or_else(|| {
        invalid("word/document.xml is missing; is this a Word document?".to_owned())
    })?;
    let styles = match read_part(&mut archive, "word/styles.xml")? {
        Some(xml) => read_styles(&xml)?,
        None => HashMap::new(),
    };
    read_paragraphs(&document, &styles)
}

fn invalid(reason: String) -> KnowledgeError {
    KnowledgeError::InvalidFile {
        format: "DOCX",
        reason,
    }
}

fn read_part(
    archive: &mut zip::ZipArchive<Cursor<&[u8]>>,
    name: &str,
) -> Result<Option<String>, KnowledgeError> {
    let mut file = match archive.by_name(name) {
        Ok(file) => file,
        Err(zip::result::ZipError::FileNotFound) => return Ok(None),
        Err(error) => return Err(invalid(format!("cannot read {name} ({error})"))),
    };
    let mut text = String::new();
    file.read_to_string(&mut text)
        .map_err(|error| invalid(format!("cannot read {name} as UTF-8 ({error})")))?;
    Ok(Some(text))
}

/// Returns the value of the `w:val` attribute.
fn val_attribute(element: &BytesStart<'_>) -> Option<String> {
    element
        .attributes()
        .flatten()
        .find(|attribute| attribute.key.as_ref() == b"w:val")
        .and_then(|attribute| attribute_value(&attribute))
}

/// Returns an attribute's value with XML escapes resolved.
///
/// The value is decoded here rather than with `Attribute::unescape_value`, which quick-xml
/// leaves out when another crate in the build enables its `encoding` feature.
fn attribute_value(attribute: &quick_xml::events::attributes::Attribute<'_>) -> Option<String> {
    let raw = std::str::from_utf8(&attribute.value).ok()?;
    quick_xml::escape::unescape(raw)
        .ok()
        .map(|value| value.into_owned())
}

/// Returns the heading level for a style name or id such as `heading 2` or `Heading2`.
fn heading_level_of_name(name: &str) -> Option<u8> {
    let lower = name.to_ascii_lowercase();
    let digits = lower.strip_prefix("heading")?.trim();
    let level: u8 = digits.parse().ok()?;
    (1..=9).contains(&level).then_some(level)
}

/// Returns the heading level for an outline level (0-based; 9 means body text).
fn heading_level_of_outline(value: &str) -> Option<u8> {
    let outline: u8 = value.parse().ok()?;
    (outline < 9).then_some(outline + 1)
}

fn xml_error(part: &str, error: impl std::fmt::Display) -> KnowledgeError {
    invalid(format!("malformed XML in {part} ({error})"))
}

/// Reads the paragraph styles of `word/styles.xml`.
fn read_styles(xml: &str) -> Result<HashMap<String, StyleInfo>, KnowledgeError> {
    let mut reader = Reader::from_str(xml);
    let mut styles = HashMap::new();
    let mut current: Option<(String, StyleInfo)> = None;
    loop {
        let event = reader
            .read_event()
            .map_err(|error| xml_error("word/styles.xml", error))?;
        match event {
            Event::Start(element) | Event::Empty(element) => match element.name().as_ref() {
                b"w:style" => {
                    let id = element
                        .attributes()
                        .flatten()
                        .find(|attribute| attribute.key.as_ref() == b"w:styleId")
                        .and_then(|attribute| attribute_value(&attribute))
                        .unwrap_or_default();
                    let info = StyleInfo {
                        heading_level: heading_level_of_name(&id),
                    };
                    current = Some((id, info));
                }
                b"w:name" => {
                    if let (Some((_, info)), Some(name)) = (&mut current, val_attribute(&element)) {
                        info.heading_level = info.heading_level.or(heading_level_of_name(&name));
                    }
                }
                b"w:outlineLvl" => {
                    let level = val_attribute(&element).and_then(|v| heading_level_of_outline(&v));
                    if let Some((_, info)) = &mut current {
                        info.heading_level = info.heading_level.or(level);
                    }
                }
                _ => {}
            },
            Event::End(element) if element.name().as_ref() == b"w:style" => {
                if let Some((id, info)) = current.take() {
                    styles.insert(id, info);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(styles)
}

/// The state of the paragraph being read.
#[derive(Debug, Default)]
struct Paragraph {
    text: String,
    style: Option<String>,
    outline_level: Option<u8>,
    numbered: bool,
}

/// Reads the paragraphs of `word/document.xml`.
fn read_paragraphs(
    xml: &str,
    styles: &HashMap<String, StyleInfo>,
) -> Result<Vec<Block>, KnowledgeError> {
    let mut reader = Reader::from_str(xml);
    let mut blocks = Vec::new();
    let mut paragraph: Option<Paragraph> = None;
    let mut in_text = false;

    loop {
        let event = reader
            .read_event()
            .map_err(|error| xml_error("word/document.xml", error))?;
        match event {
            Event::Start(element) | Event::Empty(element) => match element.name().as_ref() {
                b"w:p" => paragraph = Some(Paragraph::default()),
                b"w:t" => in_text = true,
                b"w:pStyle" => {
                    if let Some(p) = &mut paragraph {
                        p.style = val_attribute(&element);
                    }
                }
                b"w:outlineLvl" => {
                    if let Some(p) = &mut paragraph {
                        p.outline_level =
                            val_attribute(&element).and_then(|v| heading_level_of_outline(&v));
                    }
                }
                b"w:numPr" => {
                    if let Some(p) = &mut paragraph {
                        p.numbered = true;
                    }
                }
                b"w:tab" => push_text(&mut paragraph, "\t"),
                b"w:br" | b"w:cr" => push_text(&mut paragraph, "\n"),
                _ => {}
            },
            Event::Text(text) if in_text => {
                let decoded = text
                    .decode()
                    .map_err(|error| xml_error("word/document.xml", error))?;
                push_text(&mut paragraph, &decoded);
            }
            Event::GeneralRef(reference) if in_text => {
                let resolved = match reference.resolve_char_ref() {
                    Ok(Some(c)) => Some(c.to_string()),
                    _ => {
                        let name = reference
                            .decode()
                            .map_err(|error| xml_error("word/document.xml", error))?;
                        quick_xml::escape::resolve_xml_entity(&name).map(str::to_owned)
                    }
                };
                if let Some(resolved) = resolved {
                    push_text(&mut paragraph, &resolved);
                }
            }
            Event::End(element) => match element.name().as_ref() {
                b"w:t" => in_text = false,
                b"w:p" => {
                    if let Some(finished) = paragraph.take() {
                        push_block(&mut blocks, finished, styles);
                    }
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(blocks)
}

fn push_text(paragraph: &mut Option<Paragraph>, text: &str) {
    if let Some(p) = paragraph {
        p.text.push_str(text);
    }
}

fn push_block(blocks: &mut Vec<Block>, paragraph: Paragraph, styles: &HashMap<String, StyleInfo>) {
    let text = paragraph.text.trim();
    if text.is_empty() {
        return;
    }
    let style_level = paragraph.style.as_deref().and_then(|style| {
        styles
            .get(style)
            .and_then(|info| info.heading_level)
            .or_else(|| heading_level_of_name(style))
    });
    let kind = match paragraph.outline_level.or(style_level) {
        Some(level) => BlockKind::Heading { level },
        None if paragraph.numbered => BlockKind::ListItem,
        None => BlockKind::Paragraph,
    };
    blocks.push(Block::new(kind, text));
}
