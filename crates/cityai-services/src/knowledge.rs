//! Knowledge sources: reading files into documents, storing their chunks, and keeping the
//! search index in step with the store.
//!
//! The store is the source of truth. The index under the data directory is rebuilt from the
//! stored chunks whenever its chunk count differs from the store's.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use cityai_knowledge::formats::{Format, parse_bytes};
use cityai_knowledge::{
    Block, BlockKind, Chunk, ChunkParams, Classification, KnowledgeIndex, Source, SourceDocument,
    SourceKind, Validity, chunk_document,
};
use cityai_store::{KnowledgeImportResult, NewChunk, NewKnowledgeSource, Store, StoredChunk};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::ServiceError;

/// The directory of the search index inside the data directory.
pub const INDEX_DIR: &str = "knowledge-index";

/// The metadata shared by every source of one file.
#[derive(Debug, Clone)]
pub struct SourceDefaults {
    pub kind: SourceKind,
    pub classification: Classification,
    pub department: Option<String>,
    /// The name of the file or system, which scopes external ids.
    pub collection: String,
}

/// Column names of a knowledge CSV file.
#[derive(Debug, Clone, Default)]
pub struct CsvColumns {
    pub id: String,
    pub text: String,
    pub title: Option<String>,
    pub department: Option<String>,
    /// A 效力状态 column such as 现行有效 or 已废止.
    pub status: Option<String>,
    pub valid_from: Option<String>,
    pub valid_until: Option<String>,
}

/// A CSV row that was not imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RejectedSource {
    /// The row number in the file, counting the header as row 1.
    pub row: usize,
    pub reason: String,
}

/// Reads one document per row of a UTF-8 CSV file. Rows without an id or text are rejected
/// with their row number, and the other rows are kept.
///
/// # Errors
///
/// [`ServiceError::Invalid`] when the file cannot be read, is not UTF-8, or lacks a named
/// column.
pub fn read_csv(
    path: &Path,
    columns: &CsvColumns,
    defaults: &SourceDefaults,
) -> Result<(Vec<SourceDocument>, Vec<RejectedSource>), ServiceError> {
    let bytes = std::fs::read(path)
        .map_err(|err| ServiceError::Invalid(format!("cannot read {}: {err}", path.display())))?;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let headers = reader
        .headers()
        .map_err(|err| ServiceError::Invalid(format!("cannot read the CSV header: {err}")))?
        .clone();
    let position = |name: &str| -> Result<usize, ServiceError> {
        headers
            .iter()
            .position(|h| h.trim() == name)
            .ok_or_else(|| {
                ServiceError::Invalid(format!(
                    "column {name:?} is not in the file; its columns are: {}",
                    headers.iter().collect::<Vec<_>>().join(", ")
                ))
            })
    };
    let optional = |name: &Option<String>| name.as_deref().map(position).transpose();
    let id_at = position(&columns.id)?;
    let text_at = position(&columns.text)?;
    let title_at = optional(&columns.title)?;
    let department_at = optional(&columns.department)?;
    let status_at = optional(&columns.status)?;
    let from_at = optional(&columns.valid_from)?;
    let until_at = optional(&columns.valid_until)?;

    let mut documents = Vec::new();
    let mut rejected = Vec::new();
    let mut seen_ids: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (index, record) in reader.records().enumerate() {
        let row = index + 2;
        let record = match record {
            Ok(record) => record,
            Err(err) => {
                rejected.push(RejectedSource {
                    row,
                    reason: format!("the row cannot be read: {err}"),
                });
                continue;
            }
        };
        let field = |at: Option<usize>| {
            at.and_then(|at| record.get(at))
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let Some(id) = field(Some(id_at)) else {
            rejected.push(RejectedSource {
                row,
                reason: format!("the id column {:?} is empty", columns.id),
            });
            continue;
        };
        if let Some(first) = seen_ids.get(&id) {
            rejected.push(RejectedSource {
                row,
                reason: format!(
                    "id {id:?} already appears in row {first}; ids must be unique within a file, \
                     so choose an id column with unique values"
                ),
            });
            continue;
        }
        seen_ids.insert(id.clone(), row);
        let Some(text) = field(Some(text_at)) else {
            rejected.push(RejectedSource {
                row,
                reason: format!("the text column {:?} is empty", columns.text),
            });
            continue;
        };
        let mut validity = Validity::default();
        if let Some(status) = field(status_at) {
            match status.parse() {
                Ok(status) => validity.status = Some(status),
                Err(err) => {
                    rejected.push(RejectedSource {
                        row,
                        reason: err.to_string(),
                    });
                    continue;
                }
            }
        }
        match (parse_date(field(from_at)), parse_date(field(until_at))) {
            (Ok(from), Ok(until)) => {
                validity.valid_from = from;
                validity.valid_until = until;
            }
            (Err(reason), _) | (_, Err(reason)) => {
                rejected.push(RejectedSource { row, reason });
                continue;
            }
        }
        let mut source = Source::new(id, defaults.kind);
        source.title = field(title_at);
        source.department = field(department_at).or_else(|| defaults.department.clone());
        source.classification = defaults.classification;
        source.validity = validity;
        let blocks = match defaults.kind {
            SourceKind::Faq => match &source.title {
                Some(title) => vec![
                    Block::new(BlockKind::Question, title),
                    Block::new(BlockKind::Answer, &text),
                ],
                None => vec![Block::new(BlockKind::Answer, &text)],
            },
            _ => cityai_knowledge::formats::parse_plain_text(&text),
        };
        documents.push(SourceDocument { source, blocks });
    }
    Ok((documents, rejected))
}

fn parse_date(value: Option<String>) -> Result<Option<NaiveDate>, String> {
    let Some(value) = value else {
        return Ok(None);
    };
    let date_part = value.split_whitespace().next().unwrap_or_default();
    ["%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日"]
        .iter()
        .find_map(|format| NaiveDate::parse_from_str(date_part, format).ok())
        .map(Some)
        .ok_or_else(|| format!("date {value:?} is not recognised; write it as 2024-01-31"))
}

/// Reads a text, Markdown, HTML, DOCX or PDF file as one document whose id is the file name.
///
/// # Errors
///
/// [`ServiceError::Invalid`] for an unknown extension or an unreadable file, and the
/// parser's error for a broken one, such as a PDF without a text layer.
pub fn read_document(
    path: &Path,
    title: Option<String>,
    defaults: &SourceDefaults,
) -> Result<SourceDocument, ServiceError> {
    let format = Format::from_path(path).ok_or_else(|| {
        ServiceError::Invalid(format!(
            "cannot tell the format of {}: use a .csv, .txt, .md, .html, .docx or .pdf file",
            path.display()
        ))
    })?;
    let bytes = std::fs::read(path)
        .map_err(|err| ServiceError::Invalid(format!("cannot read {}: {err}", path.display())))?;
    let blocks = parse_bytes(format, &bytes)?;
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let mut source = Source::new(name.clone(), defaults.kind);
    source.title = title.or_else(|| {
        blocks
            .iter()
            .find(|b| matches!(b.kind, BlockKind::Heading { .. }))
            .map(|b| b.text.clone())
            .or(Some(name))
    });
    source.department = defaults.department.clone();
    source.classification = defaults.classification;
    Ok(SourceDocument { source, blocks })
}

/// Chunks and stores documents, then brings the index in step. Returns the counts.
///
/// # Errors
///
/// The store's and the index's errors.
pub async fn import_documents(
    store: &Store,
    data_dir: &Path,
    documents: &[SourceDocument],
    collection: &str,
    actor: &str,
) -> Result<KnowledgeImportResult, ServiceError> {
    let params = ChunkParams::default();
    let mut sources = Vec::with_capacity(documents.len());
    for document in documents {
        let chunks = chunk_document(document, &params)?;
        let hash = Sha256::digest(serde_json::to_vec(document).unwrap_or_default());
        let validity = &document.source.validity;
        sources.push(NewKnowledgeSource {
            collection: collection.to_owned(),
            external_id: document.source.id.clone(),
            kind: document.source.kind.as_str().to_owned(),
            title: document.source.title.clone(),
            department: document.source.department.clone(),
            status: validity
                .status
                .map(|s| {
                    serde_json::to_value(s)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                })
                .unwrap_or_default(),
            valid_from: validity.valid_from.map(|d| d.to_string()),
            valid_until: validity.valid_until.map(|d| d.to_string()),
            classification: document.source.classification.as_str().to_owned(),
            content_hash: hex::encode(hash),
            chunks: chunks
                .iter()
                .map(|chunk| NewChunk {
                    position: i64::from(chunk.ordinal),
                    heading: (!chunk.heading_path.is_empty())
                        .then(|| chunk.heading_path.join(HEADING_SEPARATOR)),
                    text: chunk.text.clone(),
                    start_char: chunk.char_start as i64,
                    end_char: chunk.char_end as i64,
                })
                .collect(),
        });
    }
    let result = store.upsert_knowledge_sources(&sources, actor).await?;
    if result.added + result.updated > 0 {
        rebuild_index(store, data_dir).await?;
    }
    Ok(result)
}

const HEADING_SEPARATOR: &str = " > ";

/// Returns the index path inside `data_dir`.
pub fn index_path(data_dir: &Path) -> PathBuf {
    data_dir.join(INDEX_DIR)
}

/// Rebuilds an index chunk from its stored row.
///
/// NOTE: the index identifies sources by external id alone, so two collections that use the
/// same id share search results. Give files ids that are unique across collections.
fn chunk_from_stored(stored: StoredChunk) -> Chunk {
    let mut source = Source::new(
        stored.external_id,
        stored.kind.parse().unwrap_or(SourceKind::Document),
    );
    source.title = stored.title;
    source.department = stored.department;
    source.classification = stored
        .classification
        .parse()
        .unwrap_or(Classification::Core);
    source.validity = Validity {
        status: stored.status.and_then(|s| s.parse().ok()),
        valid_from: stored.valid_from.and_then(|d| d.parse().ok()),
        valid_until: stored.valid_until.and_then(|d| d.parse().ok()),
    };
    Chunk {
        source,
        ordinal: u32::try_from(stored.position).unwrap_or(u32::MAX),
        char_start: usize::try_from(stored.start_char).unwrap_or(0),
        char_end: usize::try_from(stored.end_char).unwrap_or(0),
        heading_path: stored
            .heading
            .map(|h| h.split(HEADING_SEPARATOR).map(str::to_owned).collect())
            .unwrap_or_default(),
        text: stored.text,
    }
}

/// Rebuilds the index from every stored chunk and returns it.
///
/// # Errors
///
/// The store's and the index's errors.
pub async fn rebuild_index(store: &Store, data_dir: &Path) -> Result<KnowledgeIndex, ServiceError> {
    let chunks: Vec<Chunk> = store
        .knowledge_chunks()
        .await?
        .into_iter()
        .map(chunk_from_stored)
        .collect();
    let path = index_path(data_dir);
    tokio::task::spawn_blocking(move || -> Result<KnowledgeIndex, ServiceError> {
        std::fs::create_dir_all(&path).map_err(|err| {
            ServiceError::Invalid(format!("cannot create {}: {err}", path.display()))
        })?;
        let index = KnowledgeIndex::open_or_create(&path)?;
        {
            let mut writer = index.writer()?;
            let written = writer.rebuild(chunks.iter())?;
            writer.commit()?;
            tracing::info!(chunks = written, "rebuilt the knowledge index");
        }
        Ok(index)
    })
    .await
    .map_err(|err| ServiceError::Task(err.to_string()))?
}

/// Opens the index, rebuilding it when it is missing, of another format, or out of step
/// with the store.
///
/// # Errors
///
/// The store's and the index's errors.
pub async fn open_index(store: &Store, data_dir: &Path) -> Result<KnowledgeIndex, ServiceError> {
    let (_, stored_chunks) = store.knowledge_counts().await?;
    let path = index_path(data_dir);
    if path.exists()
        && let Ok(index) = KnowledgeIndex::open_or_create(&path)
        && index.num_chunks() == u64::try_from(stored_chunks).unwrap_or(0)
    {
        return Ok(index);
    }
    rebuild_index(store, data_dir).await
}

/// Filters and limits of one question.
#[derive(Debug, Clone)]
pub struct AskOptions {
    pub limit: usize,
    pub kinds: Vec<SourceKind>,
    pub department: Option<String>,
    /// Only sources in force today.
    pub valid_only: bool,
    /// Only sources of the general classification; set for citizens and anonymous callers.
    pub general_only: bool,
}

impl Default for AskOptions {
    fn default() -> Self {
        AskOptions {
            limit: 5,
            kinds: Vec::new(),
            department: None,
            valid_only: false,
            general_only: false,
        }
    }
}

/// An answer written by the LLM from the retrieved passages.
#[derive(Debug, Clone, Serialize)]
pub struct GeneratedAnswer {
    /// The answer with its explicit AI-generated label and implicit AIGC metadata.
    pub answer: cityai_llm::LabelledText,
    /// The cited passages, as source ids in citation order.
    pub cited_sources: Vec<String>,
    /// Whether the model replied that the passages do not contain the answer.
    pub refused: bool,
}

/// The result of a question: the passages, the extractive answer, and the LLM's answer when
/// an endpoint is configured.
#[derive(Debug, Clone, Serialize)]
pub struct AskResult {
    pub question: String,
    pub results: cityai_knowledge::SearchResults,
    pub extractive: cityai_knowledge::AnswerOutcome,
    pub generated: Option<GeneratedAnswer>,
    /// The reason the LLM gave no answer, when it was called and failed.
    pub llm_error: Option<String>,
    /// Why the LLM was not asked although one is configured: the AI register switched LLM
    /// answers off, such as "approval of cityai.llm_answers expired on ...".
    pub llm_disabled: Option<String>,
}

/// Searches the index, builds the extractive answer, and asks the LLM for a grounded answer
/// when `llm` is given and the passages are relevant enough.
///
/// Only passages of the general classification go to the LLM, masked, because important and
/// core data must not leave for an endpoint not approved for it.
///
/// # Errors
///
/// The index's errors. LLM failures do not fail the question; they are reported in
/// [`AskResult::llm_error`].
pub async fn ask(
    index: &KnowledgeIndex,
    question: &str,
    options: &AskOptions,
    llm: Option<&cityai_llm::LlmClient>,
    lang: cityai_core::Lang,
) -> Result<AskResult, ServiceError> {
    let search = cityai_knowledge::SearchOptions {
        // Fetch more than asked, because the classification filter runs after the search.
        limit: if options.general_only {
            options.limit * 3
        } else {
            options.limit
        },
        kinds: options.kinds.clone(),
        department: options.department.clone(),
        valid_on: options.valid_only.then(|| chrono::Utc::now().date_naive()),
        ..cityai_knowledge::SearchOptions::default()
    };
    let mut results = index.search(question, &search)?;
    if options.general_only {
        results
            .hits
            .retain(|hit| hit.chunk.source.classification == Classification::General);
    }
    results.hits.truncate(options.limit);
    let extractive =
        cityai_knowledge::build_answer(&results, &cityai_knowledge::AnswerParams::default());

    let mut generated = None;
    let mut llm_error = None;
    let relevant = matches!(extractive, cityai_knowledge::AnswerOutcome::Answer(_));
    if let Some(client) = llm
        && relevant
    {
        let passages: Vec<cityai_llm::Passage> = results
            .hits
            .iter()
            .filter(|hit| hit.chunk.source.classification == Classification::General)
            .take(5)
            .enumerate()
            .map(|(i, hit)| cityai_llm::Passage {
                number: i + 1,
                source_id: hit.chunk.source.id.clone(),
                title: hit.chunk.source.title.clone().unwrap_or_default(),
                text: cityai_text::pii::mask_text(&hit.chunk.text),
            })
            .collect();
        let outcome = async {
            let messages = cityai_llm::grounded_messages(question, &passages, lang)?;
            let completion = client
                .chat(&cityai_llm::ChatRequest::from(messages))
                .await?
                .into_complete()?;
            cityai_llm::parse_grounded_answer(&completion.text, &passages)
        }
        .await;
        match outcome {
            Ok(answer) => {
                let cited_sources = answer
                    .citations
                    .iter()
                    .filter_map(|n| passages.iter().find(|p| p.number == *n))
                    .map(|p| p.source_id.clone())
                    .collect();
                generated = Some(GeneratedAnswer {
                    answer: client.label(&answer.text, lang),
                    cited_sources,
                    refused: answer.refused,
                });
            }
            Err(err) => {
                tracing::warn!(error = %err, "the LLM gave no usable answer");
                llm_error = Some(err.to_string());
            }
        }
    }
    Ok(AskResult {
        question: question.to_owned(),
        results,
        extractive,
        generated,
        llm_error,
        llm_disabled: None,
    })
}

/// Runs [`ask`] with the LLM only while the AI register's gate of LLM answers is open;
/// otherwise the result has the cited passages and the extractive answer, and
/// [`AskResult::llm_disabled`] says why.
///
/// # Errors
///
/// As [`ask`], and [`ServiceError::Store`] when the register cannot be read.
pub async fn ask_gated(
    store: &Store,
    index: &KnowledgeIndex,
    question: &str,
    options: &AskOptions,
    llm: Option<&cityai_llm::LlmClient>,
    lang: cityai_core::Lang,
) -> Result<AskResult, ServiceError> {
    let (llm, closed) =
        crate::register::gated_llm(store, crate::register::LLM_ANSWERS, llm).await?;
    let mut result = ask(index, question, options, llm, lang).await?;
    result.llm_disabled = closed.map(|reason| reason.to_string());
    Ok(result)
}
