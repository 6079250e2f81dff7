//! Plain text: each non-empty line is a paragraph.
//!
//! Chinese documents often end paragraphs with a line break and no blank line, so lines are
//! not joined; the chunker merges short ones.

use crate::source::Block;

/// Parses plain text into paragraphs, one per non-empty line.
pub fn parse_plain_text(text: &str) -> Vec<Block> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(Block::paragraph)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_become_paragraphs() {
        let blocks = parse_plain_text("第一段。\r\n\r\n  第二段。\n第三段。\n");
        let texts: Vec<&str> = blocks.iter().map(|b| b.text.as_str()).collect();
        assert_eq!(texts, ["第一段。", "第二段。", "第三段。"]);
    }
}
