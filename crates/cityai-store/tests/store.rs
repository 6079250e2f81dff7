//! Store behaviour against a real SQLite database in a temporary directory.
#![allow(clippy::unwrap_used)]

use cityai_core::{
    CategoryPath, Channel, Department, ImportedReply, NewRequest, RequestStatus, TaxonomyEntry,
};
use cityai_store::testing::database_url_in;
use cityai_store::{ImportFile, ImportRow, LATEST_VERSION, Page, RequestFilter, Store};

async fn fresh_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&database_url_in(dir.path())).await.unwrap();
    (dir, store)
}

fn file(source: &str, rows: usize) -> ImportFile {
    ImportFile {
        file_name: "test.csv".into(),
        file_sha256: "0".repeat(64),
        format: "csv".into(),
        encoding: "UTF-8".into(),
        source: source.into(),
        rows_total: rows,
        rows_rejected: 0,
    }
}

fn request(external_id: Option<&str>, body: &str) -> NewRequest {
    let mut request = NewRequest::new(Channel::Import, body);
    request.external_id = external_id.map(str::to_owned);
    request
}

fn rows(requests: Vec<NewRequest>) -> Vec<ImportRow> {
    requests
        .into_iter()
        .enumerate()
        .map(|(i, request)| ImportRow {
            row: i + 2,
            request,
        })
        .collect()
}

#[tokio::test]
async fn creates_database_in_wal_mode() {
    // The journal mode is SQLite's, so this test opens an SQLite file on every run.
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&cityai_store::sqlite_url_in(dir.path()))
        .await
        .unwrap();
    assert_eq!(store.schema_version().await.unwrap(), LATEST_VERSION);
    store.close().await;
    let header = std::fs::read(dir.path().join("cityai.db")).unwrap();
    // Bytes 18 and 19 of the SQLite header are 2 for a WAL-mode database.
    assert_eq!(&header[18..20], &[2, 2]);
}

#[tokio::test]
async fn opens_and_upgrades_schema_v1_fixture() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cityai.db");
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/schema-v1.db"),
        &path,
    )
    .unwrap();
    // The fixture is an SQLite file, so this test opens it on SQLite on every run.
    let store = Store::open(&cityai_store::sqlite_url_in(dir.path()))
        .await
        .unwrap();
    assert_eq!(store.schema_version().await.unwrap(), LATEST_VERSION);

    let first = store.request(1).await.unwrap().unwrap();
    assert_eq!(first.external_id.as_deref(), Some("V1-001"));
    assert_eq!(first.status, RequestStatus::Assigned);
    assert_eq!(first.department.as_deref(), Some("housing"));
    assert_eq!(first.support_votes, None);
    let second = store.request(2).await.unwrap().unwrap();
    assert_eq!(second.channel, Channel::Web);
    assert_eq!(second.latitude, Some(30.52));

    // The upgraded database takes new rows with the columns version 2 added.
    let mut voted = request(Some("V2-001"), "新的诉求");
    voted.support_votes = Some(5);
    let result = store
        .import_requests(&file("import", 1), &rows(vec![voted]), false, &mut |_| {})
        .await
        .unwrap();
    assert_eq!(result.imported, 1);
    assert_eq!(store.import_batch_count().await.unwrap(), 1);
}

#[tokio::test]
async fn opens_database_left_at_older_version() {
    let dir = tempfile::tempdir().unwrap();
    let url = database_url_in(dir.path());
    let old = Store::open_at_version(&url, 1).await.unwrap();
    assert_eq!(old.schema_version().await.unwrap(), 1);
    old.close().await;
    let store = Store::open(&url).await.unwrap();
    assert_eq!(store.schema_version().await.unwrap(), LATEST_VERSION);
}

#[tokio::test]
async fn import_is_idempotent() {
    let (_dir, store) = fresh_store().await;
    let batch = rows(vec![
        request(Some("1"), "路灯不亮"),
        request(None, "井盖缺失"),
    ]);
    let first = store
        .import_requests(&file("import", 2), &batch, false, &mut |_| {})
        .await
        .unwrap();
    assert_eq!((first.imported, first.duplicates), (2, 0));
    let second = store
        .import_requests(&file("import", 2), &batch, false, &mut |_| {})
        .await
        .unwrap();
    assert_eq!((second.imported, second.duplicates), (0, 2));
    assert_eq!(
        store
            .request_counts(&RequestFilter::default())
            .await
            .unwrap()
            .total,
        2
    );
}

#[tokio::test]
async fn same_external_id_in_another_source_is_another_request() {
    let (_dir, store) = fresh_store().await;
    store
        .import_requests(
            &file("hotline", 1),
            &rows(vec![request(Some("7"), "路灯不亮")]),
            false,
            &mut |_| {},
        )
        .await
        .unwrap();
    let result = store
        .import_requests(
            &file("board", 1),
            &rows(vec![request(Some("7"), "噪音扰民")]),
            false,
            &mut |_| {},
        )
        .await
        .unwrap();
    assert_eq!(result.imported, 1);
}

#[tokio::test]
async fn conflicting_content_under_same_id_is_reported() {
    let (_dir, store) = fresh_store().await;
    store
        .import_requests(
            &file("import", 1),
            &rows(vec![request(Some("7"), "路灯不亮")]),
            false,
            &mut |_| {},
        )
        .await
        .unwrap();
    let result = store
        .import_requests(
            &file("import", 1),
            &rows(vec![request(Some("7"), "噪音扰民")]),
            false,
            &mut |_| {},
        )
        .await
        .unwrap();
    assert_eq!(result.imported, 0);
    assert_eq!(result.conflicts.len(), 1);
    assert_eq!(result.conflicts[0].external_id, "7");
    assert_eq!(result.conflicts[0].row, 2);
    let stored = store
        .request(result.conflicts[0].existing_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.body, "路灯不亮");
}

#[tokio::test]
async fn all_or_nothing_rolls_back_on_conflict() {
    let (_dir, store) = fresh_store().await;
    store
        .import_requests(
            &file("import", 1),
            &rows(vec![request(Some("7"), "路灯不亮")]),
            false,
            &mut |_| {},
        )
        .await
        .unwrap();
    let result = store
        .import_requests(
            &file("import", 2),
            &rows(vec![
                request(Some("8"), "新诉求"),
                request(Some("7"), "噪音扰民"),
            ]),
            true,
            &mut |_| {},
        )
        .await
        .unwrap();
    assert!(!result.committed);
    assert_eq!(
        store
            .request_counts(&RequestFilter::default())
            .await
            .unwrap()
            .total,
        1
    );
    assert_eq!(store.import_batch_count().await.unwrap(), 1);
}

#[tokio::test]
async fn category_maps_to_department_through_ancestors() {
    let (_dir, store) = fresh_store().await;
    let departments = [Department {
        code: "housing".into(),
        name: "市住房和城乡建设局".into(),
    }];
    let entries = [
        TaxonomyEntry {
            path: CategoryPath::parse("城乡建设").unwrap(),
            department: Some("housing".into()),
        },
        TaxonomyEntry {
            path: CategoryPath::parse("城乡建设/市政设施/路灯").unwrap(),
            department: None,
        },
    ];
    let summary = store.import_taxonomy(&departments, &entries).await.unwrap();
    assert_eq!(summary.categories_added, 3);
    assert_eq!(summary.departments_added, 1);
    let audited = store.audit_events(None, 1).await.unwrap();
    assert_eq!(audited[0].action, "import.taxonomy");
    assert!(
        audited[0].detail.contains("\"categories_added\":3"),
        "{}",
        audited[0].detail
    );

    let mut labelled = request(Some("1"), "路灯不亮");
    labelled.category = Some(CategoryPath::parse("城乡建设/市政设施/路灯").unwrap());
    let mut unknown = request(Some("2"), "景区门票");
    unknown.category = Some(CategoryPath::parse("商贸旅游").unwrap());
    let result = store
        .import_requests(
            &file("import", 2),
            &rows(vec![labelled, unknown]),
            false,
            &mut |_| {},
        )
        .await
        .unwrap();
    assert_eq!(result.categories_added, 1);

    let list = store
        .list_requests(
            &RequestFilter {
                category: Some(CategoryPath::parse("城乡建设").unwrap()),
                ..RequestFilter::default()
            },
            Page::new(1, 10),
        )
        .await
        .unwrap();
    assert_eq!(list.total, 1);
    assert_eq!(list.items[0].department.as_deref(), Some("housing"));
    assert_eq!(list.items[0].status, RequestStatus::Assigned);
}

#[tokio::test]
async fn taxonomy_with_unknown_department_writes_nothing() {
    let (_dir, store) = fresh_store().await;
    let entries = [TaxonomyEntry {
        path: CategoryPath::parse("交通运输").unwrap(),
        department: Some("transport".into()),
    }];
    let err = store.import_taxonomy(&[], &entries).await.unwrap_err();
    assert!(err.to_string().contains("transport"), "{err}");
    assert!(store.categories().await.unwrap().is_empty());
}

#[tokio::test]
async fn list_filters_and_pages() {
    let (_dir, store) = fresh_store().await;
    let mut batch = Vec::new();
    for i in 0..25 {
        let mut r = request(Some(&i.to_string()), &format!("第{i}条 路灯"));
        r.submitted_at = cityai_core::time::parse_datetime(
            &format!("2026-01-{:02} 10:00:00", i + 1),
            cityai_core::time::default_city_offset(),
        );
        if i % 5 == 0 {
            r.reply = Some(ImportedReply {
                body: "已答复".into(),
                replied_at: None,
            });
        }
        batch.push(r);
    }
    batch.push(request(Some("x"), "噪音 100% 扰民"));
    store
        .import_requests(
            &file("import", batch.len()),
            &rows(batch),
            false,
            &mut |_| {},
        )
        .await
        .unwrap();

    let page2 = store
        .list_requests(&RequestFilter::default(), Page::new(2, 10))
        .await
        .unwrap();
    assert_eq!(page2.total, 26);
    assert_eq!(page2.items.len(), 10);

    let replied = store
        .list_requests(
            &RequestFilter {
                status: Some(RequestStatus::Replied),
                ..RequestFilter::default()
            },
            Page::new(1, 50),
        )
        .await
        .unwrap();
    assert_eq!(replied.total, 5);

    let january_tenth_on = store
        .list_requests(
            &RequestFilter {
                from: cityai_core::time::parse_datetime(
                    "2026-01-10",
                    cityai_core::time::default_city_offset(),
                ),
                to: cityai_core::time::parse_datetime(
                    "2026-01-20",
                    cityai_core::time::default_city_offset(),
                ),
                ..RequestFilter::default()
            },
            Page::new(1, 50),
        )
        .await
        .unwrap();
    assert_eq!(january_tenth_on.total, 10);
    // Newest first.
    assert_eq!(january_tenth_on.items[0].external_id.as_deref(), Some("18"));
    let oldest_first = store
        .list_requests(
            &RequestFilter {
                from: cityai_core::time::parse_datetime(
                    "2026-01-10",
                    cityai_core::time::default_city_offset(),
                ),
                to: cityai_core::time::parse_datetime(
                    "2026-01-20",
                    cityai_core::time::default_city_offset(),
                ),
                oldest_first: true,
                ..RequestFilter::default()
            },
            Page::new(1, 50),
        )
        .await
        .unwrap();
    let newest: Vec<i64> = january_tenth_on.items.iter().map(|r| r.id).collect();
    let mut oldest: Vec<i64> = oldest_first.items.iter().map(|r| r.id).collect();
    oldest.reverse();
    assert_eq!(oldest, newest);

    let percent = store
        .list_requests(
            &RequestFilter {
                text: Some("100%".into()),
                ..RequestFilter::default()
            },
            Page::new(1, 50),
        )
        .await
        .unwrap();
    assert_eq!(percent.total, 1);
}

#[tokio::test]
async fn live_channel_insert_returns_existing_id_for_repeat() {
    let (_dir, store) = fresh_store().await;
    let mut web = NewRequest::new(Channel::Web, "公园厕所无人打扫");
    web.external_id = Some("W-1".into());
    let first = store.insert_request(&web).await.unwrap();
    let again = store.insert_request(&web).await.unwrap();
    assert_eq!(first, again);
    let stored = store.request(first).await.unwrap().unwrap();
    assert_eq!(stored.channel, Channel::Web);
    assert_eq!(stored.status, RequestStatus::Received);
}

#[tokio::test]
async fn repeats_within_a_file_span_insert_chunks() {
    let (_dir, store) = fresh_store().await;
    let mut batch: Vec<NewRequest> = (0..450)
        .map(|i| {
            request(
                Some(&(i % 300).to_string()),
                &format!("第{}条诉求", i % 300),
            )
        })
        .collect();
    batch.push(request(Some("5"), "编号相同但内容不同"));
    let result = store
        .import_requests(
            &file("import", batch.len()),
            &rows(batch),
            false,
            &mut |_| {},
        )
        .await
        .unwrap();
    assert_eq!(result.imported, 300);
    assert_eq!(result.duplicates, 150);
    assert_eq!(result.conflicts.len(), 1);
    assert_eq!(result.conflicts[0].row, 452);
    let first = store
        .request(result.conflicts[0].existing_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.body, "第5条诉求");
    assert_eq!(
        store
            .request_counts(&RequestFilter::default())
            .await
            .unwrap()
            .total,
        300
    );
}

#[tokio::test]
async fn imported_replies_are_stored_with_their_requests() {
    let (_dir, store) = fresh_store().await;
    let batch: Vec<NewRequest> = (0..250)
        .map(|i| {
            let mut r = request(Some(&i.to_string()), &format!("诉求{i}"));
            if i % 2 == 0 {
                r.reply = Some(ImportedReply {
                    body: format!("答复{i}"),
                    replied_at: None,
                });
            }
            r
        })
        .collect();
    store
        .import_requests(
            &file("import", batch.len()),
            &rows(batch),
            false,
            &mut |_| {},
        )
        .await
        .unwrap();
    let replied = store
        .list_requests(
            &RequestFilter {
                status: Some(RequestStatus::Replied),
                ..RequestFilter::default()
            },
            Page::new(1, 500),
        )
        .await
        .unwrap();
    assert_eq!(replied.total, 125);
    assert_eq!(store.reply_count().await.unwrap(), 125);
}

#[tokio::test]
async fn duplicate_imports_use_up_no_ids() {
    let (_dir, store) = fresh_store().await;
    let batch = rows(vec![
        request(Some("1"), "路灯不亮"),
        request(Some("2"), "井盖缺失"),
    ]);
    for _ in 0..3 {
        store
            .import_requests(&file("import", 2), &batch, false, &mut |_| {})
            .await
            .unwrap();
    }
    let next = store
        .import_requests(
            &file("import", 1),
            &rows(vec![request(Some("3"), "新诉求")]),
            false,
            &mut |_| {},
        )
        .await
        .unwrap();
    assert_eq!(next.imported, 1);
    let list = store
        .list_requests(&RequestFilter::default(), Page::new(1, 10))
        .await
        .unwrap();
    let mut ids: Vec<i64> = list.items.iter().map(|r| r.id).collect();
    ids.sort_unstable();
    assert_eq!(ids, [1, 2, 3]);
}

#[tokio::test]
async fn labelled_import_without_department_is_assigned() {
    let (_dir, store) = fresh_store().await;
    let mut labelled = request(Some("1"), "路灯不亮");
    labelled.category = Some(CategoryPath::parse("城乡建设").unwrap());
    store
        .import_requests(
            &file("import", 1),
            &rows(vec![labelled]),
            false,
            &mut |_| {},
        )
        .await
        .unwrap();
    let stored = store.request(1).await.unwrap().unwrap();
    assert_eq!(stored.status, RequestStatus::Assigned);
    assert_eq!(stored.department, None);
}

#[tokio::test]
async fn requests_without_time_sort_last_and_skip_time_filters() {
    let (_dir, store) = fresh_store().await;
    let mut dated = request(Some("1"), "有时间的诉求");
    dated.submitted_at = cityai_core::time::parse_datetime(
        "2019-05-01 10:00",
        cityai_core::time::default_city_offset(),
    );
    let undated = request(Some("2"), "没有时间的诉求");
    store
        .import_requests(
            &file("import", 2),
            &rows(vec![undated, dated]),
            false,
            &mut |_| {},
        )
        .await
        .unwrap();
    let all = store
        .list_requests(&RequestFilter::default(), Page::new(1, 10))
        .await
        .unwrap();
    assert_eq!(all.items[0].external_id.as_deref(), Some("1"));
    assert_eq!(all.items[1].external_id.as_deref(), Some("2"));
    let since_2019 = RequestFilter {
        from: cityai_core::time::parse_datetime(
            "2019-01-01",
            cityai_core::time::default_city_offset(),
        ),
        ..RequestFilter::default()
    };
    assert_eq!(
        store
            .list_requests(&since_2019, Page::new(1, 10))
            .await
            .unwrap()
            .total,
        1
    );
    assert_eq!(store.request_counts(&since_2019).await.unwrap().total, 1);
}

#[tokio::test]
async fn newest_routing_model_is_active() {
    let (_dir, store) = fresh_store().await;
    assert!(store.active_routing_model().await.unwrap().is_none());
    for (version, bytes) in [("routing-1", vec![1u8, 2, 3]), ("routing-2", vec![4u8, 5])] {
        let info = cityai_store::StoredModelInfo {
            version: version.into(),
            trained_at: format!("2026-12-04T00:00:0{}Z", bytes.len()),
            rows_trained: 10,
            data_sha256: "0".repeat(64),
            active: true,
        };
        store.save_routing_model(&info, "{}", &bytes).await.unwrap();
    }
    let (version, bytes) = store.active_routing_model().await.unwrap().unwrap();
    assert_eq!(version, "routing-2");
    assert_eq!(bytes, [4, 5]);
    let models = store.routing_models().await.unwrap();
    assert_eq!(models.len(), 2);
    assert_eq!(models.iter().filter(|m| m.active).count(), 1);
}

#[tokio::test]
async fn labelled_requests_are_training_data() {
    let (_dir, store) = fresh_store().await;
    let mut labelled = request(Some("1"), "路灯不亮");
    labelled.category = Some(CategoryPath::parse("城乡建设/市政设施").unwrap());
    store
        .import_requests(
            &file("import", 2),
            &rows(vec![labelled, request(Some("2"), "无分类")]),
            false,
            &mut |_| {},
        )
        .await
        .unwrap();
    let data = store.labelled_requests().await.unwrap();
    assert_eq!(data.len(), 1);
    assert_eq!(data[0].category.to_string(), "城乡建设/市政设施");
}

#[tokio::test]
async fn routing_never_overwrites_a_final_category() {
    let (_dir, store) = fresh_store().await;
    let mut labelled = request(Some("1"), "路灯不亮");
    labelled.category = Some(CategoryPath::parse("城乡建设").unwrap());
    let unlabelled = request(Some("2"), "噪音扰民");
    store
        .import_requests(
            &file("import", 2),
            &rows(vec![labelled, unlabelled]),
            false,
            &mut |_| {},
        )
        .await
        .unwrap();
    let pending = store.unrouted_requests(10).await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].id, 2);

    let decide = |id: i64| cityai_store::RoutingDecision {
        request_id: id,
        model_version: "m1".into(),
        category: CategoryPath::parse("环境保护").unwrap(),
        confidence: 0.99,
        auto_assign: true,
        details_json: "{}".into(),
    };
    let outcome = store.record_routing(&[decide(1), decide(2)]).await.unwrap();
    // No department is mapped, so the auto-assigned request still waits in triage.
    assert_eq!(outcome.triage, 1);
    assert_eq!(outcome.assigned, 0);
    let first = store.request(1).await.unwrap().unwrap();
    assert_eq!(first.category.unwrap().to_string(), "城乡建设");
    let second = store.request(2).await.unwrap().unwrap();
    assert_eq!(second.category.unwrap().to_string(), "环境保护");
    assert_eq!(second.model_version.as_deref(), Some("m1"));
    assert_eq!(second.status, RequestStatus::Triage);
    // Router suggestions are not training data until staff confirm them.
    assert_eq!(store.labelled_requests().await.unwrap().len(), 1);
    let confirmed = store.confirm_routing(2, "operator-7").await.unwrap();
    assert_eq!(confirmed.status, RequestStatus::Assigned);
    assert_eq!(store.labelled_requests().await.unwrap().len(), 2);

    let typo = CategoryPath::parse("不存在的分类").unwrap();
    let err = store
        .correct_routing(2, &typo, "operator-7")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("不存在的分类"), "{err}");
}

#[tokio::test]
async fn upgrade_masks_requests_stored_before_masking() {
    let dir = tempfile::tempdir().unwrap();
    let url = database_url_in(dir.path());
    let old = Store::open_at_version(&url, 5).await.unwrap();
    old.close().await;
    {
        use sqlx::Connection;
        let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
        sqlx::query(
            "INSERT INTO requests (dedup_key, content_hash, source, channel, title, body, \
             received_at, updated_at, status) VALUES ('k1', 'h1', 'old', 'web', '路灯', \
             '路灯坏了，电话13712345678', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z', 'received')",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        conn.close().await.unwrap();
    }
    let store = Store::open(&url).await.unwrap();
    let request = store.request(1).await.unwrap().unwrap();
    assert_eq!(request.body, "路灯坏了，电话137****5678");
    let original = store.request_unmasked(1, "user:op", "test").await.unwrap();
    assert_eq!(original.body, "路灯坏了，电话13712345678");
    assert_eq!(original.personal_data, vec!["mobile".to_owned()]);
    let events = store.audit_events(None, 1).await.unwrap();
    assert_eq!(events[0].action, "request.view_unmasked");
}

fn knowledge_source(id: &str, hash: &str, texts: &[&str]) -> cityai_store::NewKnowledgeSource {
    cityai_store::NewKnowledgeSource {
        collection: "faq.csv".into(),
        external_id: id.into(),
        kind: "reply".into(),
        title: Some("办证".into()),
        department: Some("公安局".into()),
        status: None,
        valid_from: None,
        valid_until: None,
        classification: "general".into(),
        content_hash: hash.into(),
        chunks: texts
            .iter()
            .enumerate()
            .map(|(i, text)| cityai_store::NewChunk {
                position: i as i64,
                heading: None,
                text: (*text).into(),
                start_char: 0,
                end_char: text.chars().count() as i64,
            })
            .collect(),
    }
}

#[tokio::test]
async fn knowledge_reimport_updates_instead_of_duplicating() {
    let (_dir, store) = fresh_store().await;
    let first = store
        .upsert_knowledge_sources(
            &[
                knowledge_source(
                    "a",
                    "h1",
                    &["尊敬的市民，请致电13812345678咨询。", "第二段"],
                ),
                knowledge_source("b", "h2", &["护照办理流程"]),
            ],
            "test",
        )
        .await
        .unwrap();
    assert_eq!((first.added, first.updated, first.unchanged), (2, 0, 0));
    let again = store
        .upsert_knowledge_sources(
            &[
                knowledge_source(
                    "a",
                    "h1",
                    &["尊敬的市民，请致电13812345678咨询。", "第二段"],
                ),
                knowledge_source("b", "h3", &["护照办理流程已更新"]),
            ],
            "test",
        )
        .await
        .unwrap();
    assert_eq!((again.added, again.updated, again.unchanged), (0, 1, 1));
    assert_eq!(store.knowledge_counts().await.unwrap(), (2, 3));
    let chunks = store.knowledge_chunks().await.unwrap();
    assert_eq!(chunks[2].text, "护照办理流程已更新");
    assert!(
        chunks[0].text.contains("138****5678"),
        "replies are masked: {}",
        chunks[0].text
    );
}

/// Returns the external ids of the requests whose text contains `text`.
async fn ids_containing(store: &Store, text: &str) -> Vec<String> {
    let list = store
        .list_requests(
            &RequestFilter {
                text: Some(text.into()),
                ..RequestFilter::default()
            },
            Page::new(1, 100),
        )
        .await
        .unwrap();
    let mut ids: Vec<String> = list
        .items
        .into_iter()
        .filter_map(|r| r.external_id)
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn free_text_filter_with_index() {
    let (_dir, store) = fresh_store().await;
    let texts = [
        ("1", "湖滨路路灯不亮，晚上出行不便"),
        ("2", "滨江路的灯坏了"),
        ("3", "小区噪音扰民，A3区的工地夜间施工"),
        ("4", "噪音不大，但扰民的是灯光"),
        ("5", "编号LD-2024的灯杆倒了，100%需要更换"),
    ];
    let requests = texts
        .iter()
        .map(|(id, body)| request(Some(id), body))
        .collect();
    store
        .import_requests(
            &file("search", texts.len()),
            &rows(requests),
            false,
            &mut |_| {},
        )
        .await
        .unwrap();
    let queries = [
        "路灯",
        "噪音扰民",
        "A3区",
        "a3",
        "100%",
        "灯",
        "LD-2024",
        "扰民",
        "灯光",
    ];
    // Without the index every request is scanned.
    let mut scanned = Vec::new();
    for query in queries {
        scanned.push(ids_containing(&store, query).await);
    }
    assert_eq!(scanned[0], ["1"]);
    assert_eq!(scanned[1], ["3"]);
    assert_eq!(scanned[5], ["1", "2", "4", "5"]);

    assert_eq!(store.catch_up_request_search().await.unwrap(), texts.len());
    assert_eq!(store.catch_up_request_search().await.unwrap(), 0);
    for (query, expected) in queries.iter().zip(&scanned) {
        assert_eq!(&ids_containing(&store, query).await, expected, "{query}");
    }

    // A request stored after the index caught up is found by scanning.
    store
        .insert_request(&request(Some("6"), "又一处路灯不亮"))
        .await
        .unwrap();
    assert_eq!(ids_containing(&store, "路灯").await, ["1", "6"]);
    assert_eq!(store.catch_up_request_search().await.unwrap(), 1);
    assert_eq!(ids_containing(&store, "路灯").await, ["1", "6"]);
}

#[tokio::test]
async fn upgrade_keeps_users_admits_ai_office() {
    use cityai_core::auth::Role;
    use cityai_store::NewUser;

    let dir = tempfile::tempdir().unwrap();
    let url = database_url_in(dir.path());
    let old = Store::open_at_version(&url, 12).await.unwrap();
    let reviewer = old
        .create_user(
            &NewUser {
                username: "li.reviewer",
                role: Role::Reviewer,
                department: None,
                password_hash: "$argon2id$not-used-here",
            },
            "test",
        )
        .await
        .unwrap();
    let expires = chrono::Utc::now() + chrono::Duration::hours(1);
    old.create_session(&reviewer, "session-hash", "csrf", expires)
        .await
        .unwrap();
    let audited_before = old.verify_audit().await.unwrap().checked;
    old.close().await;

    let store = Store::open(&url).await.unwrap();
    let session = store.session_user("session-hash").await.unwrap().unwrap();
    assert_eq!(session.user.username, "li.reviewer");
    assert_eq!(session.user.role, Role::Reviewer);
    // Opening the upgraded store also registers CityAI's own AI features, audited.
    let audited_after_open = store.verify_audit().await.unwrap().checked;
    assert!(audited_after_open >= audited_before);
    let office = store
        .create_user(
            &NewUser {
                username: "wang.ai-office",
                role: Role::AiOffice,
                department: None,
                password_hash: "$argon2id$not-used-here",
            },
            "test",
        )
        .await
        .unwrap();
    assert!(office.id > reviewer.id);
    let audit = store.verify_audit().await.unwrap();
    assert!(audit.is_intact());
    assert_eq!(audit.checked, audited_after_open + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_live_requests_stored_once() {
    use cityai_store::RoutingDecision;

    let (_dir, store) = fresh_store().await;
    let category = CategoryPath::parse("城乡建设").unwrap();
    let mut tasks = Vec::new();
    // Sixty submissions on two channels. The last ten repeat the external ids of the first
    // ten on the same channel, so they duplicate requests filed at the same time.
    for i in 0..60_usize {
        let store = store.clone();
        let category = category.clone();
        tasks.push(tokio::spawn(async move {
            let channel = if i % 2 == 0 {
                Channel::Web
            } else {
                Channel::Open311
            };
            let mut request = NewRequest::new(channel, format!("第{i}号路灯不亮，电话13712345678"));
            request.external_id = Some(format!("ext-{}", i % 50));
            let token = format!("token-{i}");
            let routed = i % 3 != 0;
            let intake = store
                .insert_live_request(&request, &token, |_, body| {
                    assert!(!body.contains("13712345678"), "the router sees masked text");
                    routed.then(|| RoutingDecision {
                        request_id: 0,
                        model_version: "v-test".into(),
                        category,
                        confidence: 0.9,
                        auto_assign: true,
                        details_json: "{}".into(),
                    })
                })
                .await
                .unwrap();
            (i, token, routed, intake)
        }));
    }
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.unwrap());
    }

    let mut new_ids = std::collections::BTreeSet::new();
    let mut routed_new = 0;
    for (i, token, routed, intake) in &outcomes {
        if intake.existing {
            assert!(intake.decision.is_none());
            continue;
        }
        assert!(new_ids.insert(intake.id), "request {i} got a used id");
        let stored = store.request_by_token(token).await.unwrap().unwrap();
        assert_eq!(stored.id, intake.id);
        assert!(!stored.body.contains("13712345678"));
        // The placement the write reports is what was stored.
        let placed = intake.placed.as_ref().unwrap();
        assert_eq!(placed.status, stored.status);
        assert_eq!(placed.category, stored.category);
        assert_eq!(placed.department, stored.department);
        if *routed {
            routed_new += 1;
            assert_eq!(intake.decision.as_ref().unwrap().request_id, intake.id);
            assert_eq!(stored.status, RequestStatus::Triage);
        } else {
            assert_eq!(stored.status, RequestStatus::Received);
        }
    }
    assert_eq!(new_ids.len(), 50);
    for i in 0..10 {
        let first = &outcomes[i].3;
        let repeat = &outcomes[i + 50].3;
        assert_eq!(
            first.id,
            repeat.id,
            "submissions {i} and {} are one request",
            i + 50
        );
        assert!(first.existing != repeat.existing);
    }
    let counts = store
        .request_counts(&RequestFilter::default())
        .await
        .unwrap();
    assert_eq!(counts.total, 50);
    let audit = store.verify_audit().await.unwrap();
    assert!(audit.is_intact());
    let events = store.audit_events(None, 200).await.unwrap();
    let routed_events = events
        .iter()
        .filter(|e| e.action == "routing.route")
        .count();
    assert_eq!(routed_events, routed_new);
}

#[tokio::test]
async fn many_duplicate_links_are_stored_in_batches() {
    use cityai_store::RequestLink;

    let (_dir, store) = fresh_store().await;
    let mut ids = Vec::new();
    for i in 0..80 {
        let id = store
            .insert_request(&request(
                Some(&format!("r{i}")),
                &format!("第{i}号井盖缺失"),
            ))
            .await
            .unwrap();
        ids.push(id);
    }
    // Every pair of the 80 requests: 3,160 links, more than three transactions' worth.
    let mut links = Vec::new();
    for (a, &first) in ids.iter().enumerate() {
        for &second in &ids[a + 1..] {
            links.push(RequestLink {
                request_id: first,
                other_id: second,
                reason: "duplicate".into(),
                detail: "{}".into(),
            });
        }
    }
    assert_eq!(links.len(), 3_160);
    let audited_before = store.verify_audit().await.unwrap().checked;
    assert_eq!(store.record_request_links(&links).await.unwrap(), 3_160);
    assert_eq!(store.request_links(ids[0]).await.unwrap().len(), 79);
    assert_eq!(store.request_links(ids[40]).await.unwrap().len(), 79);
    let events = store.audit_events(None, 20).await.unwrap();
    let linked: Vec<i64> = events
        .iter()
        .filter(|e| e.action == "requests.link_duplicates")
        .map(|e| {
            serde_json::from_str::<serde_json::Value>(&e.detail).unwrap()["links"]
                .as_i64()
                .unwrap()
        })
        .collect();
    assert_eq!(linked.iter().sum::<i64>(), 3_160);
    assert!(linked.len() >= 4, "{linked:?}");
    let audit = store.verify_audit().await.unwrap();
    assert!(audit.is_intact());
    assert_eq!(audit.checked, audited_before + linked.len() as i64);

    // Storing the same links again, with a new one mixed in, adds only the new one.
    let mut again = links[..1_500].to_vec();
    let last = store
        .insert_request(&request(Some("r80"), "第80号井盖缺失"))
        .await
        .unwrap();
    again.push(RequestLink {
        request_id: ids[0],
        other_id: last,
        reason: "duplicate".into(),
        detail: "{}".into(),
    });
    assert_eq!(store.record_request_links(&again).await.unwrap(), 1);
    assert!(store.verify_audit().await.unwrap().is_intact());
}

#[tokio::test]
async fn revoked_api_key_is_forgotten_at_once() {
    use cityai_core::auth::Role;
    use cityai_store::NewUser;

    let (_dir, store) = fresh_store().await;
    for (name, prefix) in [("op.one", "p1"), ("op.two", "p2")] {
        store
            .create_user(
                &NewUser {
                    username: name,
                    role: Role::Operator,
                    department: None,
                    password_hash: "$argon2id$not-used-here",
                },
                "test",
            )
            .await
            .unwrap();
        store
            .create_api_key(name, prefix, &format!("hash-{prefix}"), "client", "test")
            .await
            .unwrap();
    }
    // Looked up twice: the second lookup reads the cache and returns the same user.
    for _ in 0..2 {
        let (user, hash) = store.api_key_user("p1").await.unwrap().unwrap();
        assert_eq!(user.username, "op.one");
        assert_eq!(hash, "hash-p1");
    }
    assert!(store.api_key_user("p2").await.unwrap().is_some());
    assert!(store.api_key_user("unknown").await.unwrap().is_none());

    store.revoke_api_key("p1", "test").await.unwrap();
    assert!(store.api_key_user("p1").await.unwrap().is_none());
    store
        .set_user_disabled("op.two", true, "test")
        .await
        .unwrap();
    assert!(store.api_key_user("p2").await.unwrap().is_none());
}

#[tokio::test]
async fn kept_counts_match_the_listed_requests() {
    use cityai_store::RoutingDecision;

    let (_dir, store) = fresh_store().await;
    let departments = [
        Department {
            code: "housing".into(),
            name: "市住房和城乡建设局".into(),
        },
        Department {
            code: "transport".into(),
            name: "市交通运输局".into(),
        },
    ];
    let entries = [
        TaxonomyEntry {
            path: CategoryPath::parse("城乡建设").unwrap(),
            department: Some("housing".into()),
        },
        TaxonomyEntry {
            path: CategoryPath::parse("交通运输").unwrap(),
            department: Some("transport".into()),
        },
    ];
    store.import_taxonomy(&departments, &entries).await.unwrap();

    // Imported with and without categories, then taken in live, routed or not.
    let mut imported = Vec::new();
    for i in 0..12 {
        let mut row = request(Some(&format!("i{i}")), &format!("第{i}号路灯不亮"));
        row.category = match i % 3 {
            0 => Some(CategoryPath::parse("城乡建设").unwrap()),
            1 => Some(CategoryPath::parse("商贸旅游").unwrap()),
            _ => None,
        };
        imported.push(row);
    }
    store
        .import_requests(&file("hotline", 12), &rows(imported), false, &mut |_| {})
        .await
        .unwrap();
    let mut live_ids = Vec::new();
    for i in 0..9 {
        let category = if i % 2 == 0 {
            "交通运输"
        } else {
            "城乡建设"
        };
        let intake = store
            .insert_live_request(
                &NewRequest::new(Channel::Web, format!("第{i}号公交站牌坏了")),
                &format!("count-token-{i}"),
                |_, _| {
                    (i % 4 != 3).then(|| RoutingDecision {
                        request_id: 0,
                        model_version: "v-test".into(),
                        category: CategoryPath::parse(category).unwrap(),
                        confidence: 0.9,
                        auto_assign: i % 3 == 0,
                        details_json: "{}".into(),
                    })
                },
            )
            .await
            .unwrap();
        live_ids.push(intake.id);
    }
    // Staff move requests between statuses and departments.
    store.confirm_routing(live_ids[1], "user:li").await.unwrap();
    store
        .correct_routing(
            live_ids[2],
            &CategoryPath::parse("城乡建设").unwrap(),
            "user:li",
        )
        .await
        .unwrap();

    let filters = [
        RequestFilter::default(),
        RequestFilter {
            status: Some(RequestStatus::Triage),
            oldest_first: true,
            ..RequestFilter::default()
        },
        RequestFilter {
            status: Some(RequestStatus::Assigned),
            ..RequestFilter::default()
        },
        RequestFilter {
            any_status: vec![RequestStatus::Received, RequestStatus::Triage],
            ..RequestFilter::default()
        },
        RequestFilter {
            department: Some("housing".into()),
            ..RequestFilter::default()
        },
        RequestFilter {
            department: Some("transport".into()),
            status: Some(RequestStatus::Triage),
            ..RequestFilter::default()
        },
        RequestFilter {
            department: Some("nobody".into()),
            ..RequestFilter::default()
        },
        // Filters whose totals are counted from the requests themselves.
        RequestFilter {
            channel: Some(Channel::Web),
            status: Some(RequestStatus::Triage),
            ..RequestFilter::default()
        },
        RequestFilter {
            category: Some(CategoryPath::parse("城乡建设").unwrap()),
            ..RequestFilter::default()
        },
        RequestFilter {
            text: Some("路灯".into()),
            ..RequestFilter::default()
        },
    ];
    let mut nonzero = 0;
    for filter in &filters {
        let list = store
            .list_requests(filter, Page::new(1, 500))
            .await
            .unwrap();
        assert_eq!(list.total, list.items.len() as i64, "{filter:?}");
        if list.total > 0 {
            nonzero += 1;
        }
        // A page past the end has no items but the same total.
        let beyond = store
            .list_requests(filter, Page::new(3, 500))
            .await
            .unwrap();
        assert!(beyond.items.is_empty(), "{filter:?}");
        assert_eq!(beyond.total, list.total, "{filter:?}");
    }
    assert!(nonzero >= 5, "the filters should find requests");
    assert_eq!(
        store
            .list_requests(&RequestFilter::default(), Page::new(1, 1))
            .await
            .unwrap()
            .total,
        21
    );
    direct_reads_match_the_pool(&store, &filters).await;
}

/// Checks that the direct SQLite reads (on SQLite files) return exactly what the pool returns:
/// single requests, list pages with totals, and the next request in triage.
async fn direct_reads_match_the_pool(store: &Store, filters: &[RequestFilter]) {
    let pooled = store.through_pool();
    assert_eq!(pooled.direct_reads(), None);
    let before = store.direct_reads();
    for filter in filters {
        for page in [
            Page::new(1, 500),
            Page::new(2, 5),
            Page::new(1, 3),
            Page::new(9, 500),
        ] {
            let direct = store.list_requests(filter, page).await.unwrap();
            let pool = pooled.list_requests(filter, page).await.unwrap();
            assert_eq!(direct.total, pool.total, "{filter:?} {page:?}");
            assert_eq!(direct.items, pool.items, "{filter:?} {page:?}");
        }
    }
    for id in 0..=23 {
        let direct = store.request(id).await.unwrap();
        let pool = pooled.request(id).await.unwrap();
        assert_eq!(direct, pool, "request {id}");
    }
    for department in [None, Some("transport"), Some("housing"), Some("nobody")] {
        for after in [None, Some(0), Some(5), Some(15), Some(100)] {
            assert_eq!(
                store.next_in_triage(after, department).await.unwrap(),
                pooled.next_in_triage(after, department).await.unwrap(),
                "after {after:?} in {department:?}"
            );
        }
    }
    if let Some(before) = before {
        // Every read above with a kept total, every request and every triage step.
        let after = store.direct_reads().unwrap();
        assert!(after - before >= 24 + 20, "{} direct reads", after - before);
    } else {
        assert_eq!(store.backend(), cityai_store::Backend::Postgres);
    }
}

#[tokio::test]
async fn optional_numbers_alternate_between_inserts() {
    use cityai_store::RoutingDecision;

    let (_dir, store) = fresh_store().await;
    // The same statement text runs with a missing and a present number in turn, on
    // whichever pooled connection is free, so a statement prepared for one must take the
    // other.
    for i in 0..10 {
        let mut placed = request(Some(&format!("geo-{i}")), "东大街路灯不亮");
        if i % 2 == 1 {
            placed.latitude = Some(30.6586);
            placed.longitude = Some(104.0647);
        }
        store.insert_request(&placed).await.unwrap();
        let routed = i % 2 == 0;
        let intake = store
            .insert_live_request(
                &NewRequest::new(Channel::Web, format!("第{i}号井盖缺失")),
                &format!("geo-token-{i}"),
                |_, _| {
                    routed.then(|| RoutingDecision {
                        request_id: 0,
                        model_version: "v-test".into(),
                        category: CategoryPath::parse("城乡建设").unwrap(),
                        confidence: 0.8125,
                        auto_assign: false,
                        details_json: "{}".into(),
                    })
                },
            )
            .await
            .unwrap();
        let stored = store.request(intake.id).await.unwrap().unwrap();
        assert_eq!(stored.routing_confidence, routed.then_some(0.8125));
    }
}
