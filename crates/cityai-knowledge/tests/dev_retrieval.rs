#![allow(clippy::unwrap_used)]
//! Retrieval quality on two development sets, where scoring choices are made before they are
//! checked on the Taipei FAQ (see `taipei_faq.rs`):
//!
//! - teddy2020 replies: 2,253 citizen messages with the official reply (Simplified Chinese).
//!   Only the replies are indexed. Each message title is a query whose expected hit is its
//!   own reply.
//! - Hebei policy documents: 1,685 documents. Only the bodies are indexed, without titles.
//!   Each title is a query whose expected hit is its own body.
//!
//! Each set is measured with and without [`ScoringParams::share_compound_weight`], so the
//! output shows what the option does.

use std::path::{Path, PathBuf};

use cityai_knowledge::{
    Chunk, ChunkParams, EvalQuery, KnowledgeIndex, RetrievalEvaluation, ScoringParams,
    SearchOptions, Source, SourceDocument, SourceKind, chunk_document, formats::parse_plain_text,
};

fn data_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(relative)
}

/// Reads the `query` and `text` columns of a CSV file as (query, text) pairs.
fn read_pairs(relative: &str, query: &str, text: &str) -> Vec<(String, String)> {
    let path = data_path(relative);
    assert!(
        path.exists(),
        "missing test data {}: check out the shared data folder beside the repository",
        path.display()
    );
    let mut reader = csv::Reader::from_path(&path).unwrap();
    let headers = reader.headers().unwrap().clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|header| header == name)
            .unwrap_or_else(|| panic!("column {name} missing in {}", path.display()))
    };
    let (query, text) = (column(query), column(text));
    reader
        .records()
        .map(|record| {
            let record = record.unwrap();
            (record[query].to_owned(), record[text].to_owned())
        })
        .collect()
}

/// Indexes each text as one source and queries with its paired query, once with each
/// setting of `share_compound_weight`. Returns (shared, not shared).
fn evaluate_pairs(
    name: &str,
    pairs: &[(String, String)],
) -> (RetrievalEvaluation, RetrievalEvaluation) {
    let mut chunks: Vec<Chunk> = Vec::new();
    let mut queries = Vec::new();
    for (row, (query, text)) in pairs.iter().enumerate() {
        let id = format!("{name}-{row}");
        let document = SourceDocument {
            source: Source::new(&id, SourceKind::Faq),
            blocks: parse_plain_text(text),
        };
        let document_chunks = chunk_document(&document, &ChunkParams::default()).unwrap();
        if document_chunks.is_empty() {
            continue;
        }
        chunks.extend(document_chunks);
        queries.push(EvalQuery {
            query: query.clone(),
            expected_source_id: id,
        });
    }
    let index = KnowledgeIndex::create_in_ram().unwrap();
    index.writer().unwrap().rebuild(&chunks).unwrap();

    let measure = |share_compound_weight: bool| {
        let options = SearchOptions {
            limit: 50,
            scoring: ScoringParams {
                share_compound_weight,
                ..ScoringParams::default()
            },
            ..SearchOptions::default()
        };
        let evaluation = index.evaluate(&queries, &options).unwrap();
        #[allow(clippy::print_stdout)]
        {
            println!(
                "{name} ({} chunks, {} queries), share_compound_weight {share_compound_weight}: \
                 MRR {:.4}  recall@1 {:.4}  recall@5 {:.4}  recall@10 {:.4}",
                chunks.len(),
                evaluation.queries,
                evaluation.mrr,
                evaluation.recall_at_1,
                evaluation.recall_at_5,
                evaluation.recall_at_10
            );
        }
        evaluation
    };
    (measure(true), measure(false))
}

#[test]
fn teddy_titles_find_their_replies() {
    let pairs = read_pairs("teddy2020/replies_train.csv", "留言主题", "答复意见");
    assert_eq!(pairs.len(), 2253, "unexpected row count");
    let (shared, plain) = evaluate_pairs("teddy2020", &pairs);
    assert_eq!(shared.queries, 2253);
    // Regression floors a little under the measured values (see docs/benchmarks.md).
    assert!(shared.mrr >= 0.60, "MRR {:.4}", shared.mrr);
    assert!(plain.mrr >= 0.59, "MRR without sharing {:.4}", plain.mrr);
}

#[test]
fn hebei_titles_find_their_bodies() {
    let pairs = read_pairs("hebei_policy_docs/policy_docs.csv", "标题", "内容");
    assert_eq!(pairs.len(), 1685, "unexpected row count");
    let (shared, plain) = evaluate_pairs("hebei", &pairs);
    assert_eq!(shared.queries, 1685);
    assert!(shared.mrr >= 0.72, "MRR {:.4}", shared.mrr);
    assert!(plain.mrr >= 0.71, "MRR without sharing {:.4}", plain.mrr);
}
