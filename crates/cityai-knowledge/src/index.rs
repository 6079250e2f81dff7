//! The full-text index of chunks: BM25 over Chinese words and character bigrams, in tantivy.
//!
//! Each chunk is one tantivy document with four searched fields: the title path (source
//! title and headings) and the body, each analysed twice, as jieba words and as character
//! bigrams (see [`crate::analysis`]). A query is the sum of the BM25 scores of its words and
//! bigrams in every field, each multiplied by a weight from [`ScoringParams`] (the words
//! jieba emits for one compound share its weight). Words carry
//! meaning, and bigrams match names and terms the dictionary splits differently.
//!
//! The index is derived data: the store keeps chunks, and [`KnowledgeWriter::rebuild`]
//! recreates the index from them. It lives in RAM ([`KnowledgeIndex::create_in_ram`]) or in
//! a directory ([`KnowledgeIndex::open_or_create`]).

use std::collections::HashSet;
use std::ops::Bound;
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use tantivy::collector::TopDocs;
use tantivy::directory::MmapDirectory;
use tantivy::query::{
    BooleanQuery, BoostQuery, ConstScoreQuery, Occur, Query, RangeQuery, TermQuery,
};
use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, STORED, STRING, Schema, TextFieldIndexing,
    TextOptions, Value,
};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{
    Directory, DocAddress, Index, IndexReader, IndexWriter, ReloadPolicy, Searcher,
    TantivyDocument, Term,
};

use crate::KnowledgeError;
use crate::analysis::{
    BIGRAM_TOKENIZER, BigramTokenizer, WORD_TOKENIZER, WordTokenizer, bigrams_of_folded, jieba,
    weighted_words_of_folded,
};
use crate::chunk::Chunk;
use crate::fold::fold_text;
use crate::source::SourceKind;

/// The version of the index layout (schema, analysis and stored fields). An index written
/// with another version must be rebuilt from the stored chunks.
pub const INDEX_FORMAT_VERSION: u32 = 1;

/// The file in the index directory that records [`INDEX_FORMAT_VERSION`].
const FORMAT_FILE: &str = "cityai-knowledge-format.json";

/// The memory budget of an index writer thread. tantivy needs at least 15 MB per thread.
const DEFAULT_WRITER_HEAP_BYTES: usize = 64 * 1024 * 1024;

/// The contents of [`FORMAT_FILE`].
#[derive(Debug, Serialize, Deserialize)]
struct FormatRecord {
    format_version: u32,
}

/// The tantivy fields of the schema.
#[derive(Debug, Clone, Copy)]
struct Fields {
    chunk_id: Field,
    source_id: Field,
    kind: Field,
    department: Field,
    status_in_force: Field,
    valid_from_day: Field,
    valid_until_day: Field,
    title_words: Field,
    title_bigrams: Field,
    body_words: Field,
    body_bigrams: Field,
    chunk_json: Field,
}

impl Fields {
    fn build_schema() -> (Schema, Fields) {
        let mut builder = Schema::builder();
        let text = |tokenizer: &str| {
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(tokenizer)
                    .set_index_option(IndexRecordOption::WithFreqs),
            )
        };
        let fields = Fields {
            chunk_id: builder.add_text_field("chunk_id", STRING | STORED),
            source_id: builder.add_text_field("source_id", STRING | STORED),
            kind: builder.add_text_field("kind", STRING),
            department: builder.add_text_field("department", STRING),
            status_in_force: builder
                .add_u64_field("status_in_force", NumericOptions::default().set_indexed()),
            valid_from_day: builder
                .add_i64_field("valid_from_day", NumericOptions::default().set_indexed()),
            valid_until_day: builder
                .add_i64_field("valid_until_day", NumericOptions::default().set_indexed()),
            title_words: builder.add_text_field("title_words", text(WORD_TOKENIZER)),
            title_bigrams: builder.add_text_field("title_bigrams", text(BIGRAM_TOKENIZER)),
            body_words: builder.add_text_field("body_words", text(WORD_TOKENIZER)),
            body_bigrams: builder.add_text_field("body_bigrams", text(BIGRAM_TOKENIZER)),
            chunk_json: builder.add_text_field("chunk_json", STORED),
        };
        (builder.build(), fields)
    }
}

/// The weights of the four searched fields in a query's score. Fields missing in serialized
/// form take their default.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ScoringParams {
    /// The weight of jieba word matches. Default 1.0.
    pub word_weight: f32,
    /// The weight of character bigram matches. Default 1.0.
    pub bigram_weight: f32,
    /// The factor applied to matches in the title path, on top of the unit weight.
    /// Default 2.0, because a title states what the whole source is about.
    pub title_boost: f32,
    /// Whether the words jieba's search mode emits for one compound share its weight
    /// (`1 / n` each for `n` words), instead of each counting fully. Default true, because
    /// otherwise a long query word outweighs a short one only because it has more dictionary
    /// words inside it. Bigram weights are not changed.
    pub share_compound_weight: bool,
}

impl Default for ScoringParams {
    fn default() -> Self {
        Self {
            word_weight: 1.0,
            bigram_weight: 1.0,
            title_boost: 2.0,
            share_compound_weight: true,
        }
    }
}

/// The filters and limits of a search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchOptions {
    /// The maximum number of chunks to return. Default 10.
    pub limit: usize,
    /// Only chunks of these kinds; empty means all kinds.
    pub kinds: Vec<SourceKind>,
    /// Only chunks of sources owned by this department (exact name).
    pub department: Option<String>,
    /// Only chunks of sources in force on this date (see
    /// [`crate::Validity::is_in_force_on`]); `None` keeps repealed and expired sources.
    pub valid_on: Option<NaiveDate>,
    /// Whether to compute a [`ScoreExplanation`] for every hit. Default true.
    pub explain: bool,
    /// Field weights.
    pub scoring: ScoringParams,
}

impl Default for SearchOptions {
    fn default() -> Self {
        Self {
            limit: 10,
            kinds: Vec::new(),
            department: None,
            valid_on: None,
            explain: true,
            scoring: ScoringParams::default(),
        }
    }
}

/// The field a query term matched in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchField {
    /// The source title and the headings above the chunk.
    Title,
    /// The chunk text.
    Body,
}

/// The unit of a query term.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TermUnit {
    /// A jieba word.
    Word,
    /// Two adjacent CJK characters, or a whole non-CJK word.
    CharBigram,
}

/// One query term that matched a hit, with its share of the score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TermMatch {
    /// The term as searched (folded to Simplified Chinese and lowercase).
    pub term: String,
    /// The field it matched in.
    pub field: MatchField,
    /// Whether it is a word or a character bigram.
    pub unit: TermUnit,
    /// Its weighted BM25 score in this hit. The contributions of a hit add up to its score.
    pub contribution: f32,
}

/// The per-term breakdown of a hit's score, as data for the user interface to phrase in
/// its language.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreExplanation {
    /// Every matching term, highest contribution first.
    pub matches: Vec<TermMatch>,
    /// The query words found in neither the title nor the body, as a word or as a run of
    /// matching bigrams.
    pub unmatched_words: Vec<String>,
}

/// One query word with its inverse document frequency in chunk bodies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueryWord {
    /// The word, folded.
    pub text: String,
    /// BM25's `ln(1 + (N - n + 0.5) / (n + 0.5))`, where `N` is the number of chunks and `n`
    /// the number whose body contains the word. Rare words have high values.
    pub idf: f32,
}

/// One retrieved chunk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchHit {
    /// The chunk, as it was indexed.
    pub chunk: Chunk,
    /// The BM25 score. Scores compare hits of one query, not hits of different queries.
    pub score: f32,
    /// The explanation, when [`SearchOptions::explain`] was set.
    pub explanation: Option<ScoreExplanation>,
}

/// The result of one search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchResults {
    /// The query's words, in query order without repeats.
    pub query_words: Vec<QueryWord>,
    /// The hits, best first.
    pub hits: Vec<SearchHit>,
}

/// One searchable term of a query.
#[derive(Debug)]
struct QueryTerm {
    text: String,
    field: MatchField,
    unit: TermUnit,
    query: Box<dyn Query>,
}

/// A searchable index of chunks.
pub struct KnowledgeIndex {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    path: Option<PathBuf>,
}

impl std::fmt::Debug for KnowledgeIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KnowledgeIndex")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl KnowledgeIndex {
    /// Creates an empty index in memory.
    ///
    /// # Errors
    ///
    /// [`KnowledgeError::Index`] if tantivy fails to set up the reader.
    pub fn create_in_ram() -> Result<Self, KnowledgeError> {
        let (schema, fields) = Fields::build_schema();
        let index = Index::create_in_ram(schema);
        Self::finish_open(index, fields, None)
    }

    /// Opens the index in `path`, or creates an empty one there. The directory must exist.
    ///
    /// # Errors
    ///
    /// - [`KnowledgeError::OpenIndex`] if the directory is missing or unreadable, or holds an
    ///   index with another schema.
    /// - [`KnowledgeError::IncompatibleIndex`] if the index was written with another
    ///   [`INDEX_FORMAT_VERSION`].
    pub fn open_or_create(path: &Path) -> Result<Self, KnowledgeError> {
        let open_error = |source: tantivy::TantivyError| KnowledgeError::OpenIndex {
            path: path.to_path_buf(),
            source,
        };
        let directory = MmapDirectory::open(path).map_err(|error| open_error(error.into()))?;
        let (schema, fields) = Fields::build_schema();
        let index = Index::open_or_create(directory, schema).map_err(open_error)?;
        check_format(&index, path)?;
        Self::finish_open(index, fields, Some(path.to_path_buf()))
    }

    fn finish_open(
        index: Index,
        fields: Fields,
        path: Option<PathBuf>,
    ) -> Result<Self, KnowledgeError> {
        index
            .tokenizers()
            .register(WORD_TOKENIZER, TextAnalyzer::from(WordTokenizer::new()));
        index
            .tokenizers()
            .register(BIGRAM_TOKENIZER, TextAnalyzer::from(BigramTokenizer));
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(Self {
            index,
            reader,
            fields,
            path,
        })
    }

    /// Returns the number of chunks in the index, as of the last commit.
    pub fn num_chunks(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Opens a writer with one indexing thread. Only one writer may be open at a time.
    ///
    /// # Errors
    ///
    /// [`KnowledgeError::Index`] if another writer holds the index lock.
    pub fn writer(&self) -> Result<KnowledgeWriter<'_>, KnowledgeError> {
        self.writer_with(1, DEFAULT_WRITER_HEAP_BYTES)
    }

    /// Opens a writer with `threads` indexing threads and `heap_bytes_per_thread` of memory
    /// each (at least 15 MB, tantivy's minimum).
    ///
    /// # Errors
    ///
    /// [`KnowledgeError::Index`] if another writer holds the index lock or the memory budget
    /// is too small.
    pub fn writer_with(
        &self,
        threads: usize,
        heap_bytes_per_thread: usize,
    ) -> Result<KnowledgeWriter<'_>, KnowledgeError> {
        let writer = self
            .index
            .writer_with_num_threads(threads.max(1), heap_bytes_per_thread * threads.max(1))?;
        Ok(KnowledgeWriter {
            owner: self,
            writer,
        })
    }

    /// Searches the chunks for `query`. See [`SearchOptions`] for filters.
    ///
    /// A query without any word or character (only punctuation, or empty) returns no hits.
    ///
    /// # Errors
    ///
    /// [`KnowledgeError::Index`] if tantivy fails to read the index, and
    /// [`KnowledgeError::CorruptChunk`] if a stored chunk cannot be decoded.
    pub fn search(
        &self,
        query: &str,
        options: &SearchOptions,
    ) -> Result<SearchResults, KnowledgeError> {
        let searcher = self.reader.searcher();
        let folded = fold_text(query);
        let mut weighted_words = weighted_words_of_folded(&jieba(), &folded);
        if !options.scoring.share_compound_weight {
            for (_, weight) in &mut weighted_words {
                *weight = 1.0;
            }
        }
        let words: Vec<String> = weighted_words
            .iter()
            .map(|(text, _)| text.clone())
            .collect();
        let bigrams: Vec<(String, f32)> =
            unique(bigrams_of_folded(&folded).into_iter().map(|t| t.text))
                .into_iter()
                .map(|text| (text, 1.0))
                .collect();
        let query_words = self.query_words(&searcher, &words)?;

        // Build one boosted term query per (term, field) pair.
        let terms = self.query_terms(&weighted_words, &bigrams, &options.scoring);
        if terms.is_empty() || options.limit == 0 {
            return Ok(SearchResults {
                query_words,
                hits: Vec::new(),
            });
        }
        let text_query = BooleanQuery::new(
            terms
                .iter()
                .map(|term| (Occur::Should, term.query.box_clone()))
                .collect(),
        );
        let query = self.with_filters(Box::new(text_query), options);

        // Collect the top chunks, then decode and explain them.
        let top = searcher.search(query.as_ref(), &TopDocs::with_limit(options.limit))?;
        let mut hits = Vec::with_capacity(top.len());
        for (score, address) in top {
            let chunk = self.load_chunk(&searcher, address)?;
            let explanation = if options.explain {
                Some(explain(&searcher, address, &terms, &words)?)
            } else {
                None
            };
            hits.push(SearchHit {
                chunk,
                score,
                explanation,
            });
        }
        Ok(SearchResults { query_words, hits })
    }

    /// Returns the reply chunks most similar to a request's text, at most one per reply
    /// source, best first.
    ///
    /// Only sources of kind [`SourceKind::Reply`] are searched. Up to `limit` replies are
    /// returned.
    ///
    /// # Errors
    ///
    /// As for [`KnowledgeIndex::search`].
    pub fn similar_replies(
        &self,
        request_text: &str,
        limit: usize,
    ) -> Result<Vec<SearchHit>, KnowledgeError> {
        // Several chunks may come from one reply, so fetch more than `limit` before deduping.
        let options = SearchOptions {
            limit: limit.saturating_mul(4),
            kinds: vec![SourceKind::Reply],
            ..SearchOptions::default()
        };
        let results = self.search(request_text, &options)?;
        let mut seen = HashSet::new();
        Ok(results
            .hits
            .into_iter()
            .filter(|hit| seen.insert(hit.chunk.source.id.clone()))
            .take(limit)
            .collect())
    }

    fn query_words(
        &self,
        searcher: &Searcher,
        words: &[String],
    ) -> Result<Vec<QueryWord>, KnowledgeError> {
        let total = searcher.num_docs() as f32;
        let mut query_words = Vec::with_capacity(words.len());
        for word in words {
            let term = Term::from_field_text(self.fields.body_words, word);
            let doc_freq = searcher.doc_freq(&term)? as f32;
            let idf = (1.0 + (total - doc_freq + 0.5) / (doc_freq + 0.5)).ln();
            query_words.push(QueryWord {
                text: word.clone(),
                idf,
            });
        }
        Ok(query_words)
    }

    fn query_terms(
        &self,
        words: &[(String, f32)],
        bigrams: &[(String, f32)],
        scoring: &ScoringParams,
    ) -> Vec<QueryTerm> {
        let fields = &self.fields;
        let plan = [
            (words, TermUnit::Word, MatchField::Title, fields.title_words),
            (words, TermUnit::Word, MatchField::Body, fields.body_words),
            (
                bigrams,
                TermUnit::CharBigram,
                MatchField::Title,
                fields.title_bigrams,
            ),
            (
                bigrams,
                TermUnit::CharBigram,
                MatchField::Body,
                fields.body_bigrams,
            ),
        ];
        let mut terms = Vec::new();
        for (texts, unit, field, tantivy_field) in plan {
            let unit_weight = match unit {
                TermUnit::Word => scoring.word_weight,
                TermUnit::CharBigram => scoring.bigram_weight,
            };
            let weight = match field {
                MatchField::Title => unit_weight * scoring.title_boost,
                MatchField::Body => unit_weight,
            };
            if weight <= 0.0 {
                continue;
            }
            for (text, term_weight) in texts {
                let term = Term::from_field_text(tantivy_field, text);
                let query = TermQuery::new(term, IndexRecordOption::WithFreqs);
                terms.push(QueryTerm {
                    text: text.clone(),
                    field,
                    unit,
                    query: Box::new(BoostQuery::new(Box::new(query), weight * term_weight)),
                });
            }
        }
        terms
    }

    /// Adds the filters of `options` as non-scoring required clauses.
    fn with_filters(&self, text_query: Box<dyn Query>, options: &SearchOptions) -> Box<dyn Query> {
        let fields = &self.fields;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let filter = |query: Box<dyn Query>| -> (Occur, Box<dyn Query>) {
            (Occur::Must, Box::new(ConstScoreQuery::new(query, 0.0)))
        };

        if !options.kinds.is_empty() {
            let kinds: Vec<(Occur, Box<dyn Query>)> = options
                .kinds
                .iter()
                .map(|kind| {
                    let term = Term::from_field_text(fields.kind, kind.as_str());
                    let query: Box<dyn Query> =
                        Box::new(TermQuery::new(term, IndexRecordOption::Basic));
                    (Occur::Should, query)
                })
                .collect();
            clauses.push(filter(Box::new(BooleanQuery::new(kinds))));
        }
        if let Some(department) = &options.department {
            let term = Term::from_field_text(fields.department, department);
            clauses.push(filter(Box::new(TermQuery::new(
                term,
                IndexRecordOption::Basic,
            ))));
        }
        if let Some(date) = options.valid_on {
            let day = day_number(date);
            let in_force = Term::from_field_u64(fields.status_in_force, 1);
            clauses.push(filter(Box::new(TermQuery::new(
                in_force,
                IndexRecordOption::Basic,
            ))));
            clauses.push(filter(Box::new(RangeQuery::new(
                Bound::Unbounded,
                Bound::Included(Term::from_field_i64(fields.valid_from_day, day)),
            ))));
            clauses.push(filter(Box::new(RangeQuery::new(
                Bound::Included(Term::from_field_i64(fields.valid_until_day, day)),
                Bound::Unbounded,
            ))));
        }

        if clauses.is_empty() {
            return text_query;
        }
        clauses.push((Occur::Must, text_query));
        Box::new(BooleanQuery::new(clauses))
    }

    fn load_chunk(
        &self,
        searcher: &Searcher,
        address: DocAddress,
    ) -> Result<Chunk, KnowledgeError> {
        let document: TantivyDocument = searcher.doc(address)?;
        let json = document
            .get_first(self.fields.chunk_json)
            .and_then(|value| value.as_str())
            .unwrap_or_default();
        serde_json::from_str(json).map_err(|source| KnowledgeError::CorruptChunk {
            address: format!("{address:?}"),
            source,
        })
    }

    fn to_document(&self, chunk: &Chunk) -> Result<TantivyDocument, KnowledgeError> {
        let fields = &self.fields;
        let source = &chunk.source;
        let mut document = TantivyDocument::default();
        document.add_text(fields.chunk_id, chunk.id());
        document.add_text(fields.source_id, &source.id);
        document.add_text(fields.kind, source.kind.as_str());
        if let Some(department) = &source.department {
            document.add_text(fields.department, department);
        }
        let status_in_force = source
            .validity
            .status
            .is_none_or(|status| status.is_in_force());
        document.add_u64(fields.status_in_force, u64::from(status_in_force));
        let from_day = source.validity.valid_from.map_or(i64::MIN, day_number);
        document.add_i64(fields.valid_from_day, from_day);
        let until_day = source.validity.valid_until.map_or(i64::MAX, day_number);
        document.add_i64(fields.valid_until_day, until_day);

        let title_path = title_path(chunk);
        if !title_path.is_empty() {
            document.add_text(fields.title_words, &title_path);
            document.add_text(fields.title_bigrams, &title_path);
        }
        document.add_text(fields.body_words, &chunk.text);
        document.add_text(fields.body_bigrams, &chunk.text);
        document.add_text(fields.chunk_json, serde_json::to_string(chunk)?);
        Ok(document)
    }
}

/// A writer that adds and removes chunks. Changes become visible to searches after
/// [`KnowledgeWriter::commit`]; dropping the writer without committing discards them.
pub struct KnowledgeWriter<'a> {
    owner: &'a KnowledgeIndex,
    writer: IndexWriter,
}

impl std::fmt::Debug for KnowledgeWriter<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KnowledgeWriter").finish_non_exhaustive()
    }
}

impl KnowledgeWriter<'_> {
    /// Adds a chunk, replacing any chunk with the same [`Chunk::id`].
    ///
    /// # Errors
    ///
    /// [`KnowledgeError::Index`] if tantivy rejects the document.
    pub fn add(&mut self, chunk: &Chunk) -> Result<(), KnowledgeError> {
        let fields = &self.owner.fields;
        self.writer
            .delete_term(Term::from_field_text(fields.chunk_id, &chunk.id()));
        self.writer.add_document(self.owner.to_document(chunk)?)?;
        Ok(())
    }

    /// Removes every chunk of a source.
    pub fn delete_source(&mut self, source_id: &str) {
        let term = Term::from_field_text(self.owner.fields.source_id, source_id);
        self.writer.delete_term(term);
    }

    /// Replaces the whole index content with `chunks` and commits. Returns the number of
    /// chunks indexed.
    ///
    /// # Errors
    ///
    /// As for [`KnowledgeWriter::add`] and [`KnowledgeWriter::commit`]. On error nothing is
    /// committed and the index keeps its previous content.
    pub fn rebuild<'c>(
        &mut self,
        chunks: impl IntoIterator<Item = &'c Chunk>,
    ) -> Result<usize, KnowledgeError> {
        self.writer.delete_all_documents()?;
        let mut count = 0;
        for chunk in chunks {
            // No delete per chunk is needed after deleting everything.
            self.writer.add_document(self.owner.to_document(chunk)?)?;
            count += 1;
        }
        self.commit()?;
        Ok(count)
    }

    /// Commits the changes and makes them visible to searches. Blocks until the segments are
    /// written (to disk, for a directory index).
    ///
    /// # Errors
    ///
    /// [`KnowledgeError::Index`] if writing the segments fails.
    pub fn commit(&mut self) -> Result<(), KnowledgeError> {
        self.writer.commit()?;
        self.owner.reader.reload()?;
        Ok(())
    }
}

/// Checks the format record of an opened directory index, writing it for a new index.
fn check_format(index: &Index, path: &Path) -> Result<(), KnowledgeError> {
    let directory = index.directory();
    let file = Path::new(FORMAT_FILE);
    let exists = directory
        .exists(file)
        .map_err(|error| KnowledgeError::OpenIndex {
            path: path.to_path_buf(),
            source: error.into(),
        })?;
    if !exists {
        let record = serde_json::to_vec(&FormatRecord {
            format_version: INDEX_FORMAT_VERSION,
        })?;
        directory.atomic_write(file, &record)?;
        return Ok(());
    }
    let bytes = directory
        .atomic_read(file)
        .map_err(|error| KnowledgeError::OpenIndex {
            path: path.to_path_buf(),
            source: error.into(),
        })?;
    let found = serde_json::from_slice::<FormatRecord>(&bytes)
        .map(|record| record.format_version.to_string())
        .unwrap_or_else(|_| String::from_utf8_lossy(&bytes).into_owned());
    if found != INDEX_FORMAT_VERSION.to_string() {
        return Err(KnowledgeError::IncompatibleIndex {
            path: path.to_path_buf(),
            found,
            expected: INDEX_FORMAT_VERSION,
        });
    }
    Ok(())
}

/// Returns the text searched as the title: the source title and the heading path.
fn title_path(chunk: &Chunk) -> String {
    let mut parts: Vec<&str> = Vec::new();
    if let Some(title) = &chunk.source.title {
        parts.push(title);
    }
    parts.extend(chunk.heading_path.iter().map(String::as_str));
    parts.join("\n")
}

/// Returns a date as a day number for range queries.
fn day_number(date: NaiveDate) -> i64 {
    i64::from(date.num_days_from_ce())
}

/// Returns the texts in order without repeats.
fn unique(texts: impl Iterator<Item = String>) -> Vec<String> {
    let mut seen = HashSet::new();
    texts.filter(|text| seen.insert(text.clone())).collect()
}

/// Computes each query term's contribution to one hit.
fn explain(
    searcher: &Searcher,
    address: DocAddress,
    terms: &[QueryTerm],
    words: &[String],
) -> Result<ScoreExplanation, KnowledgeError> {
    let mut matches = Vec::new();
    for term in terms {
        // tantivy reports a term that does not occur in the document as `InvalidArgument`,
        // which here only means "no contribution".
        let explanation = match term.query.explain(searcher, address) {
            Ok(explanation) => explanation,
            Err(tantivy::TantivyError::InvalidArgument(_)) => continue,
            Err(error) => return Err(error.into()),
        };
        matches.push(TermMatch {
            term: term.text.clone(),
            field: term.field,
            unit: term.unit,
            contribution: explanation.value(),
        });
    }
    matches.sort_by(|a, b| b.contribution.total_cmp(&a.contribution));

    // A word counts as matched when it matched as a word, or when every one of its bigrams
    // matched, because jieba may segment the same characters differently in the chunk.
    let matched_words: HashSet<&str> = matches
        .iter()
        .filter(|m| m.unit == TermUnit::Word)
        .map(|m| m.term.as_str())
        .collect();
    let matched_bigrams: HashSet<&str> = matches
        .iter()
        .filter(|m| m.unit == TermUnit::CharBigram)
        .map(|m| m.term.as_str())
        .collect();
    let is_matched = |word: &str| {
        if matched_words.contains(word) {
            return true;
        }
        let bigrams = bigrams_of_folded(word);
        !bigrams.is_empty()
            && bigrams
                .iter()
                .all(|bigram| matched_bigrams.contains(bigram.text.as_str()))
    };
    let unmatched_words = words
        .iter()
        .filter(|word| !is_matched(word))
        .cloned()
        .collect();
    Ok(ScoreExplanation {
        matches,
        unmatched_words,
    })
}
