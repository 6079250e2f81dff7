//! HTML: headings `h1`–`h6`, paragraphs, list items and other block elements become blocks.
//!
//! This is a tolerant scanner, not a full HTML5 parser: it reads tags and text in order,
//! skips comments and the content of `script`, `style`, `noscript`, `template` and `head`,
//! and decodes character references with the HTML5 entity table. There is no error case:
//! malformed markup is read as text or skipped. Inline tags (`a`, `span`, `b`) leave their text in the surrounding block,
//! and `br` becomes a line break. Whitespace collapses to one space, or to nothing between
//! two CJK characters.

use crate::source::{Block, BlockKind};

use super::is_wide;

/// Elements whose content is not text to read.
const SKIPPED: [&str; 5] = ["script", "style", "noscript", "template", "head"];

/// Elements that start and end a block.
const BLOCK_ELEMENTS: [&str; 25] = [
    "p",
    "li",
    "div",
    "section",
    "article",
    "main",
    "header",
    "footer",
    "aside",
    "nav",
    "blockquote",
    "pre",
    "table",
    "tr",
    "td",
    "th",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "figcaption",
    "address",
    "form",
    "body",
];

/// Parses HTML into headings, list items and paragraphs.
pub fn parse_html(html: &str) -> Vec<Block> {
    let mut parser = Parser::default();
    let mut rest = html;

    while let Some(open) = rest.find('<') {
        parser.text(&rest[..open]);
        rest = &rest[open..];

        // Comments, doctype and processing instructions.
        if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.find("-->").map_or("", |end| &after[end + 3..]);
            continue;
        }
        if rest.starts_with("<!") || rest.starts_with("<?") {
            rest = rest.find('>').map_or("", |end| &rest[end + 1..]);
            continue;
        }

        let Some((tag, after)) = read_tag(rest) else {
            // A `<` that starts no tag is text.
            parser.text("<");
            rest = &rest[1..];
            continue;
        };
        rest = after;
        if !tag.closing && SKIPPED.contains(&tag.name.as_str()) && !tag.self_closing {
            rest = skip_element(rest, &tag.name);
            continue;
        }
        parser.tag(&tag);
    }
    parser.text(rest);
    parser.flush();
    parser.blocks
}

/// A start or end tag.
#[derive(Debug)]
struct Tag {
    /// The lowercase element name.
    name: String,
    closing: bool,
    self_closing: bool,
}

/// Reads a tag at the start of `input` (which starts with `<`), returning it and the text
/// after its `>`. Quoted attribute values may contain `>`.
fn read_tag(input: &str) -> Option<(Tag, &str)> {
    let body = &input[1..];
    let (closing, body) = match body.strip_prefix('/') {
        Some(rest) => (true, rest),
        None => (false, body),
    };
    let name_len = body
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(body.len());
    if name_len == 0 || !body.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    let name = body[..name_len].to_ascii_lowercase();

    let mut quote: Option<char> = None;
    for (offset, c) in body[name_len..].char_indices() {
        match (quote, c) {
            (Some(open), c) if c == open => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '>') => {
                let end = name_len + offset;
                let self_closing = body[..end].trim_end().ends_with('/');
                let tag = Tag {
                    name,
                    closing,
                    self_closing,
                };
                return Some((tag, &body[end + 1..]));
            }
            (None, _) => {}
        }
    }
    None
}

/// Skips past the end tag of a raw-text element such as `script`.
fn skip_element<'a>(input: &'a str, name: &str) -> &'a str {
    let lower = input.to_ascii_lowercase();
    let end_tag = format!("</{name}");
    match lower.find(&end_tag) {
        Some(start) => {
            let after = &input[start..];
            after.find('>').map_or("", |end| &after[end + 1..])
        }
        None => "",
    }
}

/// The block being collected and the blocks so far.
#[derive(Debug, Default)]
struct Parser {
    blocks: Vec<Block>,
    text: String,
    kind: Option<BlockKind>,
    /// Whether whitespace was seen since the last character of `text`.
    pending_space: bool,
}

impl Parser {
    fn text(&mut self, raw: &str) {
        if raw.is_empty() {
            return;
        }
        let decoded = decode_entities(raw);
        for c in decoded.chars() {
            // HTML collapses runs of whitespace; a no-break space is kept as a space.
            if c.is_whitespace() && c != '\u{A0}' {
                self.pending_space = true;
                continue;
            }
            let c = if c == '\u{A0}' { ' ' } else { c };
            // A line break between two CJK characters is not a word gap in Chinese text.
            let previous = self.text.chars().last();
            let wide_gap = previous.is_some_and(is_wide) && is_wide(c);
            if self.pending_space && previous.is_some_and(|p| p != '\n') && !wide_gap {
                self.text.push(' ');
            }
            self.pending_space = false;
            self.text.push(c);
        }
    }

    fn tag(&mut self, tag: &Tag) {
        if tag.name == "br" {
            self.text.push('\n');
            self.pending_space = false;
            return;
        }
        let heading_level = heading_level(&tag.name);
        if heading_level.is_none() && !BLOCK_ELEMENTS.contains(&tag.name.as_str()) {
            return;
        }
        self.flush();
        if tag.closing || tag.self_closing {
            return;
        }
        self.kind = match (heading_level, tag.name.as_str()) {
            (Some(level), _) => Some(BlockKind::Heading { level }),
            (None, "li") => Some(BlockKind::ListItem),
            _ => None,
        };
    }

    fn flush(&mut self) {
        let text = self.text.trim();
        if !text.is_empty() {
            let kind = self.kind.unwrap_or(BlockKind::Paragraph);
            self.blocks.push(Block::new(kind, text));
        }
        self.text.clear();
        self.pending_space = false;
        self.kind = None;
    }
}

fn heading_level(name: &str) -> Option<u8> {
    match name.as_bytes() {
        [b'h', digit @ b'1'..=b'6'] => Some(digit - b'0'),
        _ => None,
    }
}

/// Decodes character references (`&amp;`, `&#22823;`, `&#x5927;`) with the HTML5 entity
/// table. A reference that does not resolve stays as written, as browsers do.
pub(crate) fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        // The longest HTML5 entity name has 31 characters.
        let semicolon = rest
            .char_indices()
            .take(40)
            .find(|&(_, c)| c == ';')
            .map(|(offset, _)| offset);
        let resolved = semicolon.and_then(|end| resolve_reference(&rest[1..end]).map(|v| (v, end)));
        match resolved {
            Some((value, end)) => {
                out.push_str(&value);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn resolve_reference(name: &str) -> Option<String> {
    if let Some(number) = name.strip_prefix('#') {
        let code = match number.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => number.parse().ok()?,
        };
        return char::from_u32(code).map(String::from);
    }
    quick_xml::escape::resolve_html5_entity(name).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_paragraphs_and_items() {
        let html = r#"<!DOCTYPE html><html><head><title>T</title><style>p{color:red}</style></head>
<body><h1 class="t">臺北市&nbsp;FAQ</h1><!-- nav --><script>var a = "<p>x</p>";</script>
<p>如何申請<a href="/x?a=1&amp;b=2">低收入戶</a>？<br>請洽&ldquo;社會局&rdquo;。</p>
<ul><li>第一項</li><li>第二&#x9805;</li></ul><div>A &amp; B &unknown; C < D</div></body></html>"#;
        let blocks = parse_html(html);
        let expected = vec![
            Block::heading(1, "臺北市 FAQ"),
            Block::paragraph("如何申請低收入戶？\n請洽\u{201C}社會局\u{201D}。"),
            Block::new(BlockKind::ListItem, "第一項"),
            Block::new(BlockKind::ListItem, "第二項"),
            Block::paragraph("A & B &unknown; C < D"),
        ];
        assert_eq!(blocks, expected);
    }

    #[test]
    fn attribute_with_angle_bracket() {
        let blocks = parse_html(r#"<p title="a > b">正文</p>"#);
        assert_eq!(blocks, vec![Block::paragraph("正文")]);
    }

    #[test]
    fn unclosed_script_drops_rest() {
        let blocks = parse_html("<p>前文</p><script>never closed");
        assert_eq!(blocks, vec![Block::paragraph("前文")]);
    }
}
