#![allow(clippy::unwrap_used)]
//! The index end to end: filters, explanations, answers, similar replies, directory
//! indexes and rebuilds, on a handful of hand-written sources.

use chrono::NaiveDate;
use cityai_knowledge::{
    AnswerOutcome, AnswerParams, Block, BlockKind, Chunk, ChunkParams, KnowledgeError,
    KnowledgeIndex, MatchField, SearchOptions, Source, SourceDocument, SourceKind, TermUnit,
    Validity, ValidityStatus, build_answer, chunk_document,
};

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

fn source(id: &str, kind: SourceKind, department: &str) -> Source {
    let mut source = Source::new(id, kind);
    source.department = Some(department.to_owned());
    source
}

fn chunks_of(source: Source, blocks: Vec<Block>) -> Vec<Chunk> {
    chunk_document(&SourceDocument { source, blocks }, &ChunkParams::default()).unwrap()
}

fn corpus() -> Vec<Chunk> {
    let mut chunks = Vec::new();
    chunks.extend(chunks_of(
        source("faq-parking", SourceKind::Faq, "交通局"),
        vec![
            Block::new(BlockKind::Question, "如何申請路邊停車月票？"),
            Block::new(
                BlockKind::Answer,
                "請攜帶行車執照至停車管理處臨櫃申請月票。月票每月新臺幣三千元。",
            ),
        ],
    ));
    let mut old_policy = source("policy-2015", SourceKind::Policy, "交通局");
    old_policy.title = Some("停车月票收费办法（2015年）".to_owned());
    old_policy.validity = Validity {
        status: Some(ValidityStatus::Repealed),
        ..Validity::default()
    };
    chunks.extend(chunks_of(
        old_policy,
        vec![Block::paragraph(
            "停车月票每月收费二千元，由停车管理处受理申请。",
        )],
    ));
    let mut expired_policy = source("policy-2020", SourceKind::Policy, "交通局");
    expired_policy.title = Some("停车月票优惠办法".to_owned());
    expired_policy.validity = Validity {
        status: Some(ValidityStatus::InForce),
        valid_from: Some(date("2020-01-01")),
        valid_until: Some(date("2022-12-31")),
    };
    chunks.extend(chunks_of(
        expired_policy,
        vec![Block::paragraph("低收入户申请停车月票可减半收费。")],
    ));
    let mut current_policy = source("policy-2024", SourceKind::Policy, "交通局");
    current_policy.title = Some("停车月票收费办法".to_owned());
    current_policy.validity = Validity {
        status: Some(ValidityStatus::InForce),
        valid_from: Some(date("2024-01-01")),
        valid_until: None,
    };
    chunks.extend(chunks_of(
        current_policy,
        vec![Block::paragraph("停车月票每月收费三千元，可于线上申请。")],
    ));
    chunks.extend(chunks_of(
        source("reply-101", SourceKind::Reply, "环保局"),
        vec![Block::paragraph(
            "您反映的夜间施工噪音问题，已派员稽查并要求工地晚上十点后停止施工。",
        )],
    ));
    chunks.extend(chunks_of(
        source("reply-102", SourceKind::Reply, "工务局"),
        vec![Block::paragraph(
            "您反映的路灯不亮问题，已通知维修厂商三日内修复。",
        )],
    ));
    chunks
}

fn index() -> KnowledgeIndex {
    let index = KnowledgeIndex::create_in_ram().unwrap();
    index.writer().unwrap().rebuild(&corpus()).unwrap();
    index
}

fn ids(results: &cityai_knowledge::SearchResults) -> Vec<String> {
    results
        .hits
        .iter()
        .map(|hit| hit.chunk.source.id.clone())
        .collect()
}

#[test]
fn traditional_query_finds_simplified_text() {
    let index = index();
    let results = index
        .search("停車月票收費", &SearchOptions::default())
        .unwrap();
    let found = ids(&results);
    assert!(found.iter().any(|id| id == "policy-2024"), "{found:?}");
    assert!(found.iter().any(|id| id == "faq-parking"), "{found:?}");
}

#[test]
fn valid_only_filter_drops_repealed_and_expired() {
    let index = index();
    let all = SearchOptions {
        kinds: vec![SourceKind::Policy],
        ..SearchOptions::default()
    };
    let mut found = ids(&index.search("停车月票", &all).unwrap());
    found.sort_unstable();
    assert_eq!(found, ["policy-2015", "policy-2020", "policy-2024"]);

    let valid_2025 = SearchOptions {
        valid_on: Some(date("2025-03-01")),
        ..all.clone()
    };
    assert_eq!(
        ids(&index.search("停车月票", &valid_2025).unwrap()),
        ["policy-2024"]
    );

    let valid_2021 = SearchOptions {
        valid_on: Some(date("2021-06-30")),
        ..all
    };
    assert_eq!(
        ids(&index.search("停车月票", &valid_2021).unwrap()),
        ["policy-2020"]
    );
}

#[test]
fn kind_and_department_filters() {
    let index = index();
    let faq_only = SearchOptions {
        kinds: vec![SourceKind::Faq],
        ..SearchOptions::default()
    };
    assert_eq!(
        ids(&index.search("停车月票", &faq_only).unwrap()),
        ["faq-parking"]
    );

    let environment = SearchOptions {
        department: Some("环保局".to_owned()),
        ..SearchOptions::default()
    };
    assert_eq!(
        ids(&index.search("问题", &environment).unwrap()),
        ["reply-101"]
    );
}

#[test]
fn explanation_adds_up_to_score() {
    let index = index();
    let results = index
        .search("停车月票 线上申请", &SearchOptions::default())
        .unwrap();
    let top = &results.hits[0];
    assert_eq!(top.chunk.source.id, "policy-2024");
    let explanation = top.explanation.as_ref().unwrap();
    let sum: f32 = explanation.matches.iter().map(|m| m.contribution).sum();
    assert!(
        (sum - top.score).abs() < 1e-3 * top.score,
        "{sum} vs {}",
        top.score
    );

    let in_title = explanation
        .matches
        .iter()
        .any(|m| m.term == "月票" && m.field == MatchField::Title && m.unit == TermUnit::Word);
    assert!(in_title, "{:?}", explanation.matches);
    let in_body = explanation
        .matches
        .iter()
        .any(|m| m.term == "线上" && m.field == MatchField::Body);
    assert!(in_body, "{:?}", explanation.matches);
    assert!(explanation.unmatched_words.is_empty(), "{explanation:?}");
}

#[test]
fn unmatched_words_are_listed() {
    let index = index();
    let results = index
        .search("停车月票 火星", &SearchOptions::default())
        .unwrap();
    let explanation = results.hits[0].explanation.as_ref().unwrap();
    assert_eq!(explanation.unmatched_words, ["火星"]);
}

#[test]
fn answer_quotes_sources() {
    let index = index();
    let options = SearchOptions {
        valid_on: Some(date("2025-03-01")),
        kinds: vec![SourceKind::Policy],
        ..SearchOptions::default()
    };
    let results = index.search("停车月票每月收费多少", &options).unwrap();
    let AnswerOutcome::Answer(answer) = build_answer(&results, &AnswerParams::default()) else {
        panic!("expected an answer for {:?}", results.query_words);
    };
    let first = &answer.sentences[0];
    assert_eq!(first.source_id, "policy-2024");
    assert_eq!(first.chunk_id, "policy-2024#0");
    assert!(first.text.contains("三千元"), "{}", first.text);

    let unrelated = index
        .search("火星移民签证", &SearchOptions::default())
        .unwrap();
    assert!(matches!(
        build_answer(&unrelated, &AnswerParams::default()),
        AnswerOutcome::NoAnswer { .. }
    ));
}

#[test]
fn similar_replies_returns_only_replies() {
    let index = index();
    let hits = index
        .similar_replies("工地晚上施工噪音太大，吵得无法睡觉", 5)
        .unwrap();
    let found: Vec<&str> = hits
        .iter()
        .map(|hit| hit.chunk.source.id.as_str())
        .collect();
    assert_eq!(found.first(), Some(&"reply-101"));
    assert!(
        hits.iter()
            .all(|hit| hit.chunk.source.kind == SourceKind::Reply)
    );
}

#[test]
fn punctuation_only_query_has_no_hits() {
    let index = index();
    let results = index.search("？？！", &SearchOptions::default()).unwrap();
    assert!(results.hits.is_empty());
    assert!(results.query_words.is_empty());
}

#[test]
fn directory_index_persists_and_rebuilds() {
    let directory = tempfile::tempdir().unwrap();
    {
        let index = KnowledgeIndex::open_or_create(directory.path()).unwrap();
        let count = index.writer().unwrap().rebuild(&corpus()).unwrap();
        assert_eq!(index.num_chunks(), count as u64);
    }

    let index = KnowledgeIndex::open_or_create(directory.path()).unwrap();
    assert_eq!(index.num_chunks(), corpus().len() as u64);
    let results = index.search("路灯", &SearchOptions::default()).unwrap();
    assert_eq!(ids(&results), ["reply-102"]);

    // Rebuilding from fewer chunks replaces the content.
    let fewer: Vec<Chunk> = corpus()
        .into_iter()
        .filter(|chunk| chunk.source.kind == SourceKind::Reply)
        .collect();
    index.writer().unwrap().rebuild(&fewer).unwrap();
    assert_eq!(index.num_chunks(), 2);
}

#[test]
fn adding_a_chunk_twice_replaces_it() {
    let index = index();
    let before = index.num_chunks();
    let chunk = corpus().remove(0);
    let mut writer = index.writer().unwrap();
    writer.add(&chunk).unwrap();
    writer.commit().unwrap();
    assert_eq!(index.num_chunks(), before);

    writer.delete_source("faq-parking");
    writer.commit().unwrap();
    assert_eq!(index.num_chunks(), before - 1);
}

#[test]
fn other_format_version_is_rejected() {
    let directory = tempfile::tempdir().unwrap();
    drop(KnowledgeIndex::open_or_create(directory.path()).unwrap());
    std::fs::write(
        directory.path().join("cityai-knowledge-format.json"),
        r#"{"format_version":999}"#,
    )
    .unwrap();
    let error = KnowledgeIndex::open_or_create(directory.path()).unwrap_err();
    assert!(
        matches!(error, KnowledgeError::IncompatibleIndex { ref found, .. } if found == "999"),
        "{error:?}"
    );
    assert!(error.to_string().contains("rebuild"), "{error}");
}

#[test]
fn missing_directory_is_reported() {
    let directory = tempfile::tempdir().unwrap();
    let missing = directory.path().join("no-such-dir");
    let error = KnowledgeIndex::open_or_create(&missing).unwrap_err();
    assert!(error.to_string().contains("no-such-dir"), "{error}");
}
