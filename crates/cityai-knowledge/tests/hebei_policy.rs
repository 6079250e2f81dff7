#![allow(clippy::unwrap_used)]
//! Chunking and validity filtering on real policy text: Hebei provincial policy documents
//! (Simplified Chinese, median about 2,000 characters).
//!
//! The data marks documents only as 有效 or not at all, so the test gives some documents a
//! repealed status or a past end date itself, then checks that a valid-only search never
//! returns them.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use cityai_knowledge::{
    Chunk, ChunkParams, KnowledgeIndex, SearchOptions, Source, SourceDocument, SourceKind,
    ValidityStatus, chunk_document, formats::parse_plain_text,
};

fn data_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/hebei_policy_docs/policy_docs.csv")
}

/// Reads the first `limit` documents as policy sources.
fn read_documents(limit: usize) -> Vec<SourceDocument> {
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
    let (title, body, status) = (column("标题"), column("内容"), column("效力状态"));

    let mut documents = Vec::new();
    for (row, record) in reader.records().take(limit).enumerate() {
        let record = record.unwrap();
        let mut source = Source::new(format!("hebei-{row}"), SourceKind::Policy);
        source.title = Some(record[title].to_owned());
        if !record[status].trim().is_empty() {
            source.validity.status = Some(record[status].parse().unwrap());
        }
        documents.push(SourceDocument {
            source,
            blocks: parse_plain_text(&record[body]),
        });
    }
    documents
}

#[test]
fn policy_chunks_respect_bounds_and_offsets() {
    let params = ChunkParams::default();
    let documents = read_documents(300);
    let mut total_chunks = 0;
    for document in &documents {
        let chunks = chunk_document(document, &params).unwrap();
        let plain: Vec<char> = document.plain_text().chars().collect();
        for (ordinal, chunk) in chunks.iter().enumerate() {
            let len = chunk.text.chars().count();
            assert!(len <= params.max_chars, "{} has {len} chars", chunk.id());
            assert_eq!(chunk.ordinal as usize, ordinal);
            let slice: String = plain[chunk.char_start..chunk.char_end].iter().collect();
            assert_eq!(slice, chunk.text, "{} is not its slice", chunk.id());
        }
        // Consecutive chunks never overlap and appear in document order.
        for pair in chunks.windows(2) {
            assert!(pair[0].char_end <= pair[1].char_start, "{}", pair[1].id());
        }
        total_chunks += chunks.len();
    }
    // Long documents are split: the 300 documents average well over one chunk each.
    assert!(total_chunks > 600, "only {total_chunks} chunks");
}

#[test]
fn valid_only_search_skips_invalid_policies() {
    let today = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
    let expired_on = NaiveDate::from_ymd_opt(2023, 12, 31).unwrap();
    let mut documents = read_documents(300);
    for (row, document) in documents.iter_mut().enumerate() {
        match row % 3 {
            0 => document.source.validity.status = Some(ValidityStatus::Repealed),
            1 => document.source.validity.valid_until = Some(expired_on),
            _ => {}
        }
    }
    let chunks: Vec<Chunk> = documents
        .iter()
        .flat_map(|document| chunk_document(document, &ChunkParams::default()).unwrap())
        .collect();
    let index = KnowledgeIndex::create_in_ram().unwrap();
    index.writer().unwrap().rebuild(&chunks).unwrap();

    let is_valid = |id: &str| -> bool {
        let row: usize = id.trim_start_matches("hebei-").parse().unwrap();
        row % 3 == 2
    };
    let mut valid_hits = 0;
    for query in [
        "社会保险 缴费",
        "职业技能培训 补贴",
        "科技成果转化",
        "高校毕业生 就业",
    ] {
        let all = index
            .search(
                query,
                &SearchOptions {
                    limit: 30,
                    ..SearchOptions::default()
                },
            )
            .unwrap();
        assert!(
            all.hits.iter().any(|hit| !is_valid(&hit.chunk.source.id)),
            "{query}: the unfiltered search should also find invalid policies"
        );
        let valid = index
            .search(
                query,
                &SearchOptions {
                    limit: 30,
                    valid_on: Some(today),
                    ..SearchOptions::default()
                },
            )
            .unwrap();
        for hit in &valid.hits {
            assert!(
                is_valid(&hit.chunk.source.id),
                "{query}: {}",
                hit.chunk.id()
            );
            assert!(hit.chunk.source.validity.is_in_force_on(today));
        }
        valid_hits += valid.hits.len();
    }
    assert!(valid_hits > 0, "no valid policy found for any query");
}
