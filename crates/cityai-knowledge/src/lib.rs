//! The knowledge base behind CityAI's answers: sources and their text, chunking, Chinese-aware
//! BM25 retrieval with explained scores, extractive answers and retrieval metrics.
//!
//! The flow is: parse a file into [`Block`]s ([`formats`]), wrap them with their [`Source`]
//! metadata in a [`SourceDocument`], cut it into [`Chunk`]s ([`chunk_document`]), add the
//! chunks to a [`KnowledgeIndex`], then [`KnowledgeIndex::search`] and [`build_answer`].
//!
//! Text is folded before it is indexed or searched ([`fold_text`]): Traditional Chinese
//! becomes Simplified, full-width letters and digits become ASCII, and letters become
//! lowercase. The index searches jieba words and character bigrams with BM25.
//!
//! This crate does not store sources or chunks (the store does), and it returns data, not
//! sentences: explanations and outcomes are structs for the user interface to phrase in
//! Chinese or English. It makes no network access; jieba's dictionary and the
//! Traditional-to-Simplified table are compiled in.
//!
//! ```
//! use cityai_knowledge::{
//!     Block, BlockKind, ChunkParams, KnowledgeIndex, SearchOptions, Source, SourceDocument,
//!     SourceKind, chunk_document,
//! };
//!
//! let mut source = Source::new("faq-17", SourceKind::Faq);
//! source.department = Some("交通局".to_owned());
//! let document = SourceDocument {
//!     source,
//!     blocks: vec![
//!         Block::new(BlockKind::Question, "如何申請停車月票？"),
//!         Block::new(BlockKind::Answer, "請攜帶行照至停車管理處辦理月票申請。"),
//!     ],
//! };
//! let chunks = chunk_document(&document, &ChunkParams::default())?;
//!
//! let index = KnowledgeIndex::create_in_ram()?;
//! index.writer()?.rebuild(&chunks)?;
//!
//! // A Simplified Chinese query finds the Traditional Chinese answer.
//! let results = index.search("停车月票怎么申请", &SearchOptions::default())?;
//! assert_eq!(results.hits[0].chunk.source.id, "faq-17");
//! # Ok::<(), cityai_knowledge::KnowledgeError>(())
//! ```

mod analysis;
mod answer;
mod chunk;
mod fold;
pub mod formats;
mod index;
mod metrics;
mod source;

use std::path::PathBuf;

pub use analysis::segment_words;
pub use answer::{
    AnswerOutcome, AnswerParams, AnswerSentence, ExtractiveAnswer, QUESTION_WORDS, build_answer,
};
pub use chunk::{Chunk, ChunkParams, chunk_document};
pub use fold::{fold_char, fold_text};
pub use index::{
    INDEX_FORMAT_VERSION, KnowledgeIndex, KnowledgeWriter, MatchField, QueryWord, ScoreExplanation,
    ScoringParams, SearchHit, SearchOptions, SearchResults, TermMatch, TermUnit,
};
pub use metrics::{EvalQuery, RetrievalEvaluation, dedupe_sources, rank_of};
pub use source::{
    Block, BlockKind, Classification, Source, SourceDocument, SourceKind, Validity, ValidityStatus,
};

/// A failure to parse, chunk, index or search knowledge.
#[derive(Debug, thiserror::Error)]
pub enum KnowledgeError {
    #[error("invalid {name}: {value:?}; expected {expected}")]
    InvalidValue {
        name: &'static str,
        value: String,
        expected: &'static str,
    },

    #[error(
        "invalid chunk sizes: min_chars {min_chars}, target_chars {target_chars}, max_chars \
         {max_chars}; they must satisfy 0 < min_chars <= target_chars <= max_chars"
    )]
    InvalidChunkParams {
        min_chars: usize,
        target_chars: usize,
        max_chars: usize,
    },

    #[error("failed to open the search index in {path}")]
    OpenIndex {
        path: PathBuf,
        #[source]
        source: tantivy::TantivyError,
    },

    #[error(
        "the search index in {path} has format {found}, but this build reads format \
         {expected}; delete the directory and rebuild the index from the stored chunks"
    )]
    IncompatibleIndex {
        path: PathBuf,
        found: String,
        expected: u32,
    },

    #[error("search index operation failed")]
    Index(#[from] tantivy::TantivyError),

    #[error(
        "stored chunk at {address} is not valid JSON; rebuild the index from the stored chunks"
    )]
    CorruptChunk {
        address: String,
        #[source]
        source: serde_json::Error,
    },

    #[error("failed to encode a chunk as JSON")]
    Json(#[from] serde_json::Error),

    #[error("I/O failed")]
    Io(#[from] std::io::Error),

    #[error("invalid {format} file: {reason}")]
    InvalidFile {
        format: &'static str,
        reason: String,
    },

    #[error(
        "the PDF has no text layer ({pages} pages, no extractable text); it is probably a \
         scanned image, and OCR is not supported: convert it to text first"
    )]
    PdfWithoutText { pages: usize },
}
