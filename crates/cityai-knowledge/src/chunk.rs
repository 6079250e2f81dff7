//! Chunking: cutting a source document into passages that follow its structure and stay
//! within size bounds, so that each search hit is a readable, citable unit.
//!
//! The rules, in order:
//!
//! 1. A heading ends the current chunk and sets the heading path of the chunks after it. The
//!    heading text itself is not part of any chunk's text, but the index searches the heading
//!    path together with the title.
//! 2. A question and the answers after it form their own chunk and are never merged with
//!    other blocks.
//! 3. Paragraphs and list items are packed into chunks of up to `target_chars`. A chunk
//!    shorter than `min_chars` may grow to `max_chars`, and so may a chunk followed by a
//!    block shorter than `min_chars`, so that tiny paragraphs do not become chunks alone.
//! 4. A block longer than `max_chars` is split at sentence ends (。！？；!?; and line
//!    breaks) into pieces of up to `target_chars`. A single sentence longer than `max_chars`
//!    is split at the last comma or space before `max_chars`, or at `max_chars` itself.
//!
//! Every chunk's text is the exact slice `char_start..char_end` (in characters) of the
//! document's [`SourceDocument::plain_text`]. Chunking does not read or write any index.

use serde::{Deserialize, Serialize};

use crate::KnowledgeError;
use crate::source::{BlockKind, Source, SourceDocument};

/// Size bounds for chunks, in characters (Unicode scalar values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkParams {
    /// The size chunks are packed up to. Default 400.
    pub target_chars: usize,
    /// The hard maximum size of a chunk. Default 600.
    pub max_chars: usize,
    /// Chunks and blocks shorter than this are merged with their neighbours where the result
    /// stays within `max_chars`. Default 80.
    pub min_chars: usize,
}

impl Default for ChunkParams {
    fn default() -> Self {
        Self {
            target_chars: 400,
            max_chars: 600,
            min_chars: 80,
        }
    }
}

impl ChunkParams {
    /// Checks that `0 < min_chars <= target_chars <= max_chars`.
    ///
    /// # Errors
    ///
    /// [`KnowledgeError::InvalidChunkParams`] naming the bounds when they are out of order.
    pub fn validate(&self) -> Result<(), KnowledgeError> {
        if self.min_chars == 0
            || self.min_chars > self.target_chars
            || self.target_chars > self.max_chars
        {
            return Err(KnowledgeError::InvalidChunkParams {
                min_chars: self.min_chars,
                target_chars: self.target_chars,
                max_chars: self.max_chars,
            });
        }
        Ok(())
    }
}

/// A passage of a source document: the unit that is indexed, retrieved and cited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chunk {
    /// The metadata of the source the chunk comes from, copied so that an index can be
    /// rebuilt from stored chunks alone.
    pub source: Source,
    /// The position of the chunk within its source, from 0.
    pub ordinal: u32,
    /// The first character of the chunk in the source's plain text.
    pub char_start: usize,
    /// One past the last character of the chunk in the source's plain text.
    pub char_end: usize,
    /// The headings above the chunk, outermost first.
    pub heading_path: Vec<String>,
    /// The chunk's text.
    pub text: String,
}

impl Chunk {
    /// Returns the chunk id, `{source id}#{ordinal}`, unique within an index.
    pub fn id(&self) -> String {
        format!("{}#{}", self.source.id, self.ordinal)
    }
}

/// A span of characters `[start, end)` in the plain text, with the headings above it.
#[derive(Debug, Clone)]
struct Unit {
    start: usize,
    end: usize,
    /// Whether the unit is a question/answer pair, which is never merged.
    standalone: bool,
    heading_path: Vec<String>,
}

impl Unit {
    fn len(&self) -> usize {
        self.end - self.start
    }
}

/// Cuts a document into chunks. See the module documentation for the rules.
///
/// A document without text yields no chunks.
///
/// # Errors
///
/// [`KnowledgeError::InvalidChunkParams`] when `params` fails [`ChunkParams::validate`].
pub fn chunk_document(
    document: &SourceDocument,
    params: &ChunkParams,
) -> Result<Vec<Chunk>, KnowledgeError> {
    params.validate()?;
    let plain: Vec<char> = document.plain_text().chars().collect();
    let sections = structural_units(document);

    // Split oversized units at sentence ends, then pack units into chunks.
    let mut spans: Vec<(usize, usize, Vec<String>)> = Vec::new();
    for section in sections {
        let mut pieces: Vec<Unit> = Vec::new();
        for unit in section {
            if unit.len() <= params.max_chars {
                pieces.push(unit);
                continue;
            }
            for (start, end) in split_long(&plain, unit.start, unit.end, params) {
                pieces.push(Unit {
                    start,
                    end,
                    standalone: unit.standalone,
                    heading_path: unit.heading_path.clone(),
                });
            }
        }
        pack(&pieces, params, &mut spans);
    }

    let chunks = spans
        .into_iter()
        .enumerate()
        .map(|(ordinal, (start, end, heading_path))| Chunk {
            source: document.source.clone(),
            ordinal: u32::try_from(ordinal).unwrap_or(u32::MAX),
            char_start: start,
            char_end: end,
            heading_path,
            text: plain[start..end].iter().collect(),
        })
        .collect();
    Ok(chunks)
}

/// Groups the document's blocks into sections (runs between headings) of units with their
/// character spans in the plain text.
fn structural_units(document: &SourceDocument) -> Vec<Vec<Unit>> {
    let mut sections: Vec<Vec<Unit>> = vec![Vec::new()];
    let mut heading_path: Vec<String> = Vec::new();
    let mut offset = 0;

    for block in document
        .blocks
        .iter()
        .filter(|block| !block.text.is_empty())
    {
        let start = offset;
        let end = start + block.text.chars().count();
        // The next block starts after this one and the `\n` that joins them.
        offset = end + 1;

        match block.kind {
            BlockKind::Heading { level } => {
                let depth = usize::from(level.max(1)) - 1;
                heading_path.truncate(depth);
                heading_path.push(block.text.clone());
                sections.push(Vec::new());
            }
            BlockKind::Question => {
                if let Some(section) = sections.last_mut() {
                    section.push(Unit {
                        start,
                        end,
                        standalone: true,
                        heading_path: heading_path.clone(),
                    });
                }
            }
            BlockKind::Answer => {
                let section = sections.last_mut();
                match section.and_then(|section| section.last_mut()) {
                    // An answer extends the question (and earlier answers) before it.
                    Some(last) if last.standalone => last.end = end,
                    _ => push_unit(&mut sections, start, end, &heading_path),
                }
            }
            BlockKind::Paragraph | BlockKind::ListItem => {
                push_unit(&mut sections, start, end, &heading_path);
            }
        }
    }
    sections.retain(|section| !section.is_empty());
    sections
}

fn push_unit(sections: &mut [Vec<Unit>], start: usize, end: usize, heading_path: &[String]) {
    if let Some(section) = sections.last_mut() {
        section.push(Unit {
            start,
            end,
            standalone: false,
            heading_path: heading_path.to_vec(),
        });
    }
}

/// Packs the units of one section into chunk spans.
fn pack(units: &[Unit], params: &ChunkParams, spans: &mut Vec<(usize, usize, Vec<String>)>) {
    let mut current: Option<(usize, usize, Vec<String>, bool)> = None;

    for unit in units {
        if let Some((start, end, path, standalone)) = current.take() {
            let current_len = end - start;
            // `+ 1` counts the `\n` between the two blocks.
            let merged_len = current_len + 1 + unit.len();
            let mergeable = !standalone && !unit.standalone && unit.start == end + 1;
            let fits_target = merged_len <= params.target_chars;
            let tiny = current_len < params.min_chars || unit.len() < params.min_chars;
            if mergeable && (fits_target || (tiny && merged_len <= params.max_chars)) {
                current = Some((start, unit.end, path, false));
                continue;
            }
            spans.push((start, end, path));
        }
        current = Some((
            unit.start,
            unit.end,
            unit.heading_path.clone(),
            unit.standalone,
        ));
    }
    if let Some((start, end, path, _)) = current {
        spans.push((start, end, path));
    }
}

/// Returns whether a character ends a sentence.
fn is_sentence_end(c: char) -> bool {
    matches!(c, '。' | '！' | '？' | '；' | '!' | '?' | ';' | '\n')
}

/// Returns whether a character closes a quotation or bracket and so belongs to the sentence
/// before it (`。」` ends after the quote).
fn is_closing(c: char) -> bool {
    matches!(c, '”' | '’' | '」' | '』' | '）' | ')' | '》' | '"' | '\'')
}

/// Returns the sentence spans `[start, end)` that cover `chars[start..end]`.
pub(crate) fn sentence_spans(chars: &[char], start: usize, end: usize) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut sentence_start = start;
    let mut i = start;
    while i < end {
        if is_sentence_end(chars[i]) {
            let mut stop = i + 1;
            while stop < end && (is_sentence_end(chars[stop]) || is_closing(chars[stop])) {
                stop += 1;
            }
            spans.push((sentence_start, stop));
            sentence_start = stop;
            i = stop;
            continue;
        }
        i += 1;
    }
    if sentence_start < end {
        spans.push((sentence_start, end));
    }
    spans
}

/// Splits an oversized span into pieces of sentences, each up to `target_chars` unless one
/// sentence alone is longer, and never over `max_chars`.
fn split_long(
    chars: &[char],
    start: usize,
    end: usize,
    params: &ChunkParams,
) -> Vec<(usize, usize)> {
    // Cut sentences longer than the maximum first.
    let mut sentences = Vec::new();
    for (sentence_start, sentence_end) in sentence_spans(chars, start, end) {
        let mut from = sentence_start;
        while sentence_end - from > params.max_chars {
            let cut = soft_cut(chars, from, from + params.max_chars);
            sentences.push((from, cut));
            from = cut;
        }
        sentences.push((from, sentence_end));
    }

    let mut pieces: Vec<(usize, usize)> = Vec::new();
    for (sentence_start, sentence_end) in sentences {
        match pieces.last_mut() {
            Some(last) if sentence_end - last.0 <= params.target_chars => last.1 = sentence_end,
            _ => pieces.push((sentence_start, sentence_end)),
        }
    }

    // A short tail is merged into the piece before it when that stays within the maximum.
    if pieces.len() >= 2 {
        let (tail_start, tail_end) = pieces[pieces.len() - 1];
        let previous = pieces[pieces.len() - 2];
        if tail_end - tail_start < params.min_chars && tail_end - previous.0 <= params.max_chars {
            pieces.pop();
            if let Some(last) = pieces.last_mut() {
                last.1 = tail_end;
            }
        }
    }
    pieces
}

/// Returns where to cut `chars[from..limit]`: after the last comma or space in its second
/// half, or at `limit`.
fn soft_cut(chars: &[char], from: usize, limit: usize) -> usize {
    let half = from + (limit - from) / 2;
    (half..limit)
        .rev()
        .find(|&i| matches!(chars[i], '，' | '、' | ',' | ' ' | '：' | ':'))
        .map_or(limit, |i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{Block, SourceKind};

    fn document(blocks: Vec<Block>) -> SourceDocument {
        SourceDocument {
            source: Source::new("doc-1", SourceKind::Document),
            blocks,
        }
    }

    fn check_slices(document: &SourceDocument, chunks: &[Chunk]) {
        let plain: Vec<char> = document.plain_text().chars().collect();
        for chunk in chunks {
            let slice: String = plain[chunk.char_start..chunk.char_end].iter().collect();
            assert_eq!(slice, chunk.text, "chunk {} is not its slice", chunk.id());
        }
    }

    #[test]
    fn tiny_paragraphs_merge() {
        let doc = document(vec![
            Block::paragraph("第一段。"),
            Block::paragraph("第二段。"),
            Block::paragraph("第三段。"),
        ]);
        let chunks = chunk_document(&doc, &ChunkParams::default()).unwrap();
        assert_eq!(chunks.len(), 1);
        assert_eq!(chunks[0].text, "第一段。\n第二段。\n第三段。");
        check_slices(&doc, &chunks);
    }

    #[test]
    fn headings_split_and_set_path() {
        let doc = document(vec![
            Block::heading(1, "总则"),
            Block::paragraph("第一条 内容。"),
            Block::heading(2, "适用范围"),
            Block::paragraph("第二条 内容。"),
            Block::heading(1, "附则"),
            Block::paragraph("第三条 内容。"),
        ]);
        let chunks = chunk_document(&doc, &ChunkParams::default()).unwrap();
        let paths: Vec<Vec<String>> = chunks.iter().map(|c| c.heading_path.clone()).collect();
        assert_eq!(
            paths,
            vec![
                vec!["总则".to_owned()],
                vec!["总则".to_owned(), "适用范围".to_owned()],
                vec!["附则".to_owned()],
            ]
        );
        assert_eq!(chunks[1].text, "第二条 内容。");
        let ordinals: Vec<u32> = chunks.iter().map(|c| c.ordinal).collect();
        assert_eq!(ordinals, [0, 1, 2]);
        check_slices(&doc, &chunks);
    }

    #[test]
    fn question_answer_pairs_stay_apart() {
        let doc = document(vec![
            Block::new(BlockKind::Question, "如何申请？"),
            Block::new(BlockKind::Answer, "到区公所办理。"),
            Block::new(BlockKind::Question, "要多久？"),
            Block::new(BlockKind::Answer, "七个工作日。"),
        ]);
        let chunks = chunk_document(&doc, &ChunkParams::default()).unwrap();
        let texts: Vec<&str> = chunks.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(
            texts,
            ["如何申请？\n到区公所办理。", "要多久？\n七个工作日。"]
        );
        check_slices(&doc, &chunks);
    }

    #[test]
    fn long_paragraph_splits_at_sentence_ends() {
        let sentence = "这是一个用于测试切分的句子，它有二十个字。";
        let long = sentence.repeat(60);
        let doc = document(vec![Block::paragraph(&long)]);
        let params = ChunkParams::default();
        let chunks = chunk_document(&doc, &params).unwrap();
        assert!(chunks.len() >= 3, "{} chunks", chunks.len());
        for chunk in &chunks {
            let len = chunk.text.chars().count();
            assert!(len <= params.max_chars, "chunk of {len} chars");
            assert!(chunk.text.ends_with('。'), "{:?}", chunk.text);
        }
        let total: usize = chunks.iter().map(|c| c.char_end - c.char_start).sum();
        assert_eq!(total, long.chars().count());
        check_slices(&doc, &chunks);
    }

    #[test]
    fn sentence_longer_than_max_is_cut() {
        let long = "甲".repeat(400) + "，" + &"乙".repeat(500);
        let doc = document(vec![Block::paragraph(&long)]);
        let params = ChunkParams::default();
        let chunks = chunk_document(&doc, &params).unwrap();
        assert!(chunks.len() >= 2);
        assert!(chunks[0].text.ends_with('，'), "{:?}", chunks[0].text);
        for chunk in &chunks {
            assert!(chunk.text.chars().count() <= params.max_chars);
        }
        check_slices(&doc, &chunks);
    }

    #[test]
    fn closing_quote_stays_with_sentence() {
        let chars: Vec<char> = "他说：“好。”然后走了。".chars().collect();
        let spans = sentence_spans(&chars, 0, chars.len());
        let sentences: Vec<String> = spans
            .iter()
            .map(|&(s, e)| chars[s..e].iter().collect())
            .collect();
        assert_eq!(sentences, ["他说：“好。”", "然后走了。"]);
    }

    #[test]
    fn empty_document_has_no_chunks() {
        let doc = document(vec![Block::paragraph("  ")]);
        assert!(
            chunk_document(&doc, &ChunkParams::default())
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn invalid_params_are_rejected() {
        let params = ChunkParams {
            target_chars: 700,
            max_chars: 600,
            min_chars: 80,
        };
        let error = chunk_document(&document(vec![]), &params)
            .unwrap_err()
            .to_string();
        assert!(error.contains("700"), "{error}");
    }
}
