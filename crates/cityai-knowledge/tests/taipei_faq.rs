#![allow(clippy::unwrap_used)]
//! Retrieval quality on real FAQ data: the Taipei City government FAQ (1,877 questions with
//! answers, Traditional Chinese). Only the answers are indexed; each question title is a
//! query whose expected hit is its own answer.

use std::path::{Path, PathBuf};

use cityai_knowledge::{
    Block, ChunkParams, EvalQuery, KnowledgeIndex, ScoringParams, SearchOptions, Source,
    SourceDocument, SourceKind, chunk_document,
};

fn data_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/taipei_faq/taipei_faq.csv")
}

struct FaqRow {
    id: String,
    department: String,
    title: String,
    answer: String,
}

fn read_rows() -> Vec<FaqRow> {
    let path = data_path();
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
    let (id, department, title, answer) = (
        column("data_id"),
        column("deptName"),
        column("news_title"),
        column("news_content_text"),
    );
    reader
        .records()
        .map(|record| {
            let record = record.unwrap();
            FaqRow {
                id: record[id].to_owned(),
                department: record[department].to_owned(),
                title: record[title].to_owned(),
                answer: record[answer].to_owned(),
            }
        })
        .collect()
}

fn document(row: &FaqRow) -> SourceDocument {
    let mut source = Source::new(&row.id, SourceKind::Faq);
    source.department = Some(row.department.clone());
    SourceDocument {
        source,
        blocks: row.answer.lines().map(Block::paragraph).collect(),
    }
}

#[test]
fn taipei_faq_titles_find_their_answers() {
    let rows = read_rows();
    assert_eq!(
        rows.len(),
        1877,
        "unexpected row count in {}",
        data_path().display()
    );

    // Index the answers only.
    let mut chunks = Vec::new();
    for row in &rows {
        chunks.extend(chunk_document(&document(row), &ChunkParams::default()).unwrap());
    }
    let index = KnowledgeIndex::create_in_ram().unwrap();
    let indexed = index.writer().unwrap().rebuild(&chunks).unwrap();
    assert_eq!(index.num_chunks(), indexed as u64);

    // Query with every title whose answer has text.
    let queries: Vec<EvalQuery> = rows
        .iter()
        .filter(|row| !row.answer.trim().is_empty())
        .map(|row| EvalQuery {
            query: row.title.clone(),
            expected_source_id: row.id.clone(),
        })
        .collect();
    let options = SearchOptions {
        limit: 50,
        ..SearchOptions::default()
    };
    let evaluation = index.evaluate(&queries, &options).unwrap();
    let without_sharing = SearchOptions {
        scoring: ScoringParams {
            share_compound_weight: false,
            ..ScoringParams::default()
        },
        ..options.clone()
    };
    let plain = index.evaluate(&queries, &without_sharing).unwrap();

    #[allow(clippy::print_stdout)]
    {
        println!(
            "taipei_faq: {} answers, {} chunks, {} queries",
            rows.len(),
            indexed,
            evaluation.queries
        );
        println!(
            "MRR {:.4}  recall@1 {:.4}  recall@5 {:.4}  recall@10 {:.4}",
            evaluation.mrr, evaluation.recall_at_1, evaluation.recall_at_5, evaluation.recall_at_10
        );
        println!(
            "without share_compound_weight: MRR {:.4}  recall@1 {:.4}  recall@5 {:.4}  \
             recall@10 {:.4}",
            plain.mrr, plain.recall_at_1, plain.recall_at_5, plain.recall_at_10
        );
    }
    assert_eq!(evaluation.queries, 1875);
    // Regression floors a little under the measured values (see docs/benchmarks.md).
    assert!(
        evaluation.mrr >= MRR_FLOOR,
        "MRR {:.4} < {MRR_FLOOR}",
        evaluation.mrr
    );
    assert!(
        evaluation.recall_at_5 >= RECALL_AT_5_FLOOR,
        "recall@5 {:.4} < {RECALL_AT_5_FLOOR}",
        evaluation.recall_at_5
    );
}

const MRR_FLOOR: f64 = 0.55;
const RECALL_AT_5_FLOOR: f64 = 0.68;
