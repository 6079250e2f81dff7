//! Markdown: ATX headings (`#` to `######`), list items, and paragraphs separated by blank
//! lines.
//!
//! Emphasis and link markup stay in the text; fenced code blocks are kept as paragraphs.
//! Setext headings (underlined with `===`) are read as paragraphs.

use crate::source::{Block, BlockKind};

use super::join_lines;

/// Parses Markdown into headings, list items and paragraphs.
pub fn parse_markdown(text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut paragraph = String::new();
    let flush = |paragraph: &mut String, blocks: &mut Vec<Block>| {
        if !paragraph.trim().is_empty() {
            blocks.push(Block::paragraph(paragraph.as_str()));
        }
        paragraph.clear();
    };

    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            flush(&mut paragraph, &mut blocks);
            continue;
        }
        if let Some((level, heading)) = atx_heading(trimmed) {
            flush(&mut paragraph, &mut blocks);
            blocks.push(Block::heading(level, heading));
            continue;
        }
        if let Some(item) = list_item(trimmed) {
            flush(&mut paragraph, &mut blocks);
            blocks.push(Block::new(BlockKind::ListItem, item));
            continue;
        }
        join_lines(&mut paragraph, trimmed);
    }
    flush(&mut paragraph, &mut blocks);
    blocks.retain(|block| !block.text.is_empty());
    blocks
}

/// Returns the level and text of an ATX heading line.
fn atx_heading(line: &str) -> Option<(u8, &str)> {
    let level = line.chars().take_while(|&c| c == '#').count();
    if level == 0 || level > 6 {
        return None;
    }
    let rest = &line[level..];
    if !rest.is_empty() && !rest.starts_with(' ') {
        return None;
    }
    // A closing run of `#` is not part of the heading.
    let text = rest.trim().trim_end_matches('#').trim_end();
    Some((u8::try_from(level).unwrap_or(6), text))
}

/// Returns the text of a bulleted (`-`, `*`, `+`) or numbered (`1.`, `1)`) list item line.
fn list_item(line: &str) -> Option<&str> {
    for bullet in ["- ", "* ", "+ "] {
        if let Some(rest) = line.strip_prefix(bullet) {
            return Some(rest.trim());
        }
    }
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    if digits == 0 || digits > 9 {
        return None;
    }
    let rest = &line[digits..];
    rest.strip_prefix(". ")
        .or_else(|| rest.strip_prefix(") "))
        .map(str::trim)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_lists_and_paragraphs() {
        let text = "# 停车管理办法\n\n## 第一章 总则\n本办法适用于\n本市道路。\n\n- 路边停车\n- 停车场\n1. 申请\n\nSee the\nnotice.\n#hashtag is text\n";
        let blocks = parse_markdown(text);
        let expected = vec![
            Block::heading(1, "停车管理办法"),
            Block::heading(2, "第一章 总则"),
            Block::paragraph("本办法适用于本市道路。"),
            Block::new(BlockKind::ListItem, "路边停车"),
            Block::new(BlockKind::ListItem, "停车场"),
            Block::new(BlockKind::ListItem, "申请"),
            Block::paragraph("See the notice. #hashtag is text"),
        ];
        assert_eq!(blocks, expected);
    }

    #[test]
    fn closing_hashes_are_dropped() {
        assert_eq!(
            parse_markdown("### 附则 ###"),
            vec![Block::heading(3, "附则")]
        );
    }
}
