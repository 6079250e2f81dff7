#![allow(clippy::unwrap_used)]
//! File parsers on small fixtures: Markdown, HTML and plain text files under
//! `tests/fixtures/`, and DOCX and PDF files built in the test.

use std::io::Write;
use std::path::{Path, PathBuf};

use cityai_knowledge::formats::{Format, parse_bytes, parse_docx, parse_file, parse_pdf};
use cityai_knowledge::{
    Block, BlockKind, ChunkParams, KnowledgeError, Source, SourceDocument, SourceKind,
    chunk_document,
};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn kinds_and_texts(blocks: &[Block]) -> Vec<(BlockKind, &str)> {
    blocks.iter().map(|b| (b.kind, b.text.as_str())).collect()
}

const H1: BlockKind = BlockKind::Heading { level: 1 };
const H2: BlockKind = BlockKind::Heading { level: 2 };
const P: BlockKind = BlockKind::Paragraph;
const LI: BlockKind = BlockKind::ListItem;

#[test]
fn markdown_fixture_parses() {
    let blocks = parse_file(&fixture("parking_rules.md")).unwrap();
    assert_eq!(
        kinds_and_texts(&blocks),
        [
            (H1, "臺北市路邊停車管理要點"),
            (H2, "一、總則"),
            (
                P,
                "本要點依據道路交通管理處罰條例訂定，適用於本市公有路邊停車格。"
            ),
            (H2, "二、收費"),
            (LI, "小型車每小時新臺幣二十元。"),
            (LI, "機車每次新臺幣十元。"),
            (P, "逾期未繳者，依法催繳。"),
        ]
    );
}

#[test]
fn html_fixture_parses() {
    let blocks = parse_file(&fixture("parking_rules.html")).unwrap();
    assert_eq!(
        kinds_and_texts(&blocks),
        [
            (H1, "臺北市路邊停車管理要點"),
            (H2, "一、總則"),
            (
                P,
                "本要點依據道路交通管理處罰條例訂定，適用於本市公有路邊停車格。"
            ),
            (H2, "二、收費"),
            (LI, "小型車每小時新臺幣二十元。"),
            (LI, "機車每次新臺幣十元。"),
            (P, "逾期未繳者，依法催繳… 詳見收費標準。"),
        ]
    );
}

#[test]
fn plain_text_fixture_parses() {
    let blocks = parse_file(&fixture("parking_rules.txt")).unwrap();
    assert_eq!(blocks.len(), 3);
    assert!(blocks.iter().all(|b| b.kind == P));
}

#[test]
fn markdown_chunks_keep_heading_path() {
    let blocks = parse_file(&fixture("parking_rules.md")).unwrap();
    let document = SourceDocument {
        source: Source::new("rules-1", SourceKind::Policy),
        blocks,
    };
    let chunks = chunk_document(&document, &ChunkParams::default()).unwrap();
    assert_eq!(chunks.len(), 2);
    assert_eq!(
        chunks[0].heading_path,
        ["臺北市路邊停車管理要點", "一、總則"]
    );
    assert_eq!(
        chunks[1].heading_path,
        ["臺北市路邊停車管理要點", "二、收費"]
    );
    assert!(chunks[1].text.starts_with("小型車"), "{}", chunks[1].text);
    assert!(chunks[1].text.ends_with("依法催繳。"), "{}", chunks[1].text);
}

#[test]
fn unknown_extension_is_rejected() {
    let error = parse_file(Path::new("notes.odt")).unwrap_err().to_string();
    assert!(error.contains("notes.odt"), "{error}");
    assert!(error.contains(".docx"), "{error}");
}

#[test]
fn non_utf8_text_is_rejected() {
    // "停车" in GBK.
    let error = parse_bytes(Format::PlainText, &[0xCD, 0xA3, 0xB3, 0xB5]).unwrap_err();
    assert!(error.to_string().contains("UTF-8"), "{error}");
}

/// Builds a minimal DOCX with a styles part that names `Title1` "heading 1", as Chinese
/// versions of Word do, and a paragraph using the built-in `Heading2` id.
fn build_docx() -> Vec<u8> {
    let styles = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">
  <w:style w:type="paragraph" w:styleId="Title1"><w:name w:val="heading 1"/></w:style>
  <w:style w:type="paragraph" w:styleId="a3"><w:name w:val="List Paragraph"/></w:style>
</w:styles>"#;
    let document = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">
  <w:body>
    <w:p><w:pPr><w:pStyle w:val="Title1"/></w:pPr><w:r><w:t>垃圾分類指引</w:t></w:r></w:p>
    <w:p><w:pPr><w:pStyle w:val="Heading2"/></w:pPr><w:r><w:t>一、資源回收</w:t></w:r></w:p>
    <w:p><w:r><w:t xml:space="preserve">紙類、</w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>塑膠類</w:t></w:r><w:r><w:t>請分開&amp;清洗。</w:t></w:r></w:p>
    <w:p><w:pPr><w:pStyle w:val="a3"/><w:numPr><w:ilvl w:val="0"/><w:numId w:val="1"/></w:numPr></w:pPr><w:r><w:t>寶特瓶</w:t></w:r></w:p>
    <w:p><w:r><w:t></w:t></w:r></w:p>
    <w:tbl><w:tr><w:tc><w:p><w:r><w:t>週二</w:t></w:r><w:r><w:tab/><w:t>收運</w:t></w:r></w:p></w:tc></w:tr></w:tbl>
    <w:sectPr/>
  </w:body>
</w:document>"#;
    let mut buffer = std::io::Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut buffer);
        let options = zip::write::SimpleFileOptions::default();
        zip.start_file("[Content_Types].xml", options).unwrap();
        zip.write_all(br#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>"#)
            .unwrap();
        zip.start_file("word/styles.xml", options).unwrap();
        zip.write_all(styles.as_bytes()).unwrap();
        zip.start_file("word/document.xml", options).unwrap();
        zip.write_all(document.as_bytes()).unwrap();
        zip.finish().unwrap();
    }
    buffer.into_inner()
}

#[test]
fn docx_headings_lists_and_runs() {
    let blocks = parse_docx(&build_docx()).unwrap();
    assert_eq!(
        kinds_and_texts(&blocks),
        [
            (H1, "垃圾分類指引"),
            (H2, "一、資源回收"),
            (P, "紙類、塑膠類請分開&清洗。"),
            (LI, "寶特瓶"),
            (P, "週二\t收運"),
        ]
    );
}

#[test]
fn docx_without_document_part_is_rejected() {
    let mut buffer = std::io::Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut buffer);
        zip.start_file("readme.txt", zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(b"not a word file").unwrap();
        zip.finish().unwrap();
    }
    let error = parse_docx(&buffer.into_inner()).unwrap_err().to_string();
    assert!(error.contains("word/document.xml"), "{error}");
    let error = parse_docx(b"plain bytes").unwrap_err().to_string();
    assert!(error.contains("ZIP"), "{error}");
}

/// Builds a one-page PDF. `lines` are drawn with a standard Type 1 font; no lines gives a
/// page without a text layer, like a scan.
fn build_pdf(lines: &[&str]) -> Vec<u8> {
    use lopdf::content::{Content, Operation};
    use lopdf::{Document, Object, Stream, dictionary};

    let mut document = Document::with_version("1.5");
    let pages_id = document.new_object_id();
    let font_id = document.add_object(dictionary! {
        "Type" => "Font",
        "Subtype" => "Type1",
        "BaseFont" => "Helvetica",
    });
    let resources_id = document.add_object(dictionary! {
        "Font" => dictionary! { "F1" => font_id },
    });
    let mut operations = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let y = 700 - 40 * i64::try_from(index).unwrap();
        operations.push(Operation::new("BT", vec![]));
        operations.push(Operation::new("Tf", vec!["F1".into(), 12.into()]));
        operations.push(Operation::new("Td", vec![72.into(), y.into()]));
        operations.push(Operation::new("Tj", vec![Object::string_literal(*line)]));
        operations.push(Operation::new("ET", vec![]));
    }
    let content = Content { operations };
    let content_id = document.add_object(Stream::new(dictionary! {}, content.encode().unwrap()));
    let page_id = document.add_object(dictionary! {
        "Type" => "Page",
        "Parent" => pages_id,
        "Contents" => content_id,
    });
    let pages = dictionary! {
        "Type" => "Pages",
        "Kids" => vec![page_id.into()],
        "Count" => 1,
        "Resources" => resources_id,
        "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
    };
    document.objects.insert(pages_id, Object::Dictionary(pages));
    let catalog_id = document.add_object(dictionary! {
        "Type" => "Catalog",
        "Pages" => pages_id,
    });
    document.trailer.set("Root", catalog_id);
    let mut bytes = Vec::new();
    document.save_to(&mut bytes).unwrap();
    bytes
}

#[test]
fn pdf_text_layer_is_read() {
    let bytes = build_pdf(&[
        "Recycling guide",
        "Paper and plastic are collected on Tuesdays.",
    ]);
    let blocks = parse_pdf(&bytes).unwrap();
    let text: Vec<&str> = blocks.iter().map(|b| b.text.as_str()).collect();
    let joined = text.join("\n");
    assert!(joined.contains("Recycling guide"), "{joined:?}");
    assert!(joined.contains("collected on Tuesdays."), "{joined:?}");
}

#[test]
fn pdf_without_text_layer_is_rejected() {
    let error = parse_pdf(&build_pdf(&[])).unwrap_err();
    assert!(
        matches!(error, KnowledgeError::PdfWithoutText { pages: 1 }),
        "{error:?}"
    );
    assert!(error.to_string().contains("OCR"), "{error}");
}

#[test]
fn damaged_pdf_is_rejected() {
    let error = parse_pdf(b"%PDF-1.5\nnot really").unwrap_err();
    assert!(
        matches!(error, KnowledgeError::InvalidFile { .. }),
        "{error:?}"
    );
}
