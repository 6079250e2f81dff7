//! Copying a database into another one (`Store::copy_into`), and audit appends from two
//! stores on one database at once. Without `CITYAI_TEST_POSTGRES` the targets are SQLite
//! files; with it they are PostgreSQL databases, which is the copy that `cityai migrate`
//! makes for a move to several nodes.
#![allow(clippy::unwrap_used)]

use cityai_core::{Channel, NewRequest};
use cityai_store::testing::database_url_in;
use cityai_store::{AuditEvent, ImportFile, ImportRow, Page, RequestFilter, Store, StoreError};

/// Opens an SQLite store with requests, a reply, a user with a session and audit events.
async fn filled_sqlite_store(dir: &std::path::Path) -> Store {
    let store = Store::open(&cityai_store::sqlite_url_in(dir))
        .await
        .unwrap();
    let rows: Vec<ImportRow> = (0..120)
        .map(|i| {
            let mut request = NewRequest::new(
                Channel::Import,
                format!("第{i}件：幸福路{i}号路灯不亮，电话13712345678"),
            );
            request.external_id = Some(format!("T-{i}"));
            ImportRow {
                row: i + 2,
                request,
            }
        })
        .collect();
    let file = ImportFile {
        file_name: "copy.csv".into(),
        file_sha256: "0".repeat(64),
        format: "csv".into(),
        encoding: "UTF-8".into(),
        source: "copy-test".into(),
        rows_total: rows.len(),
        rows_rejected: 0,
    };
    store
        .import_requests(&file, &rows, false, &mut |_| {})
        .await
        .unwrap();
    store
        .insert_request(&NewRequest::new(Channel::Web, "人民路夜间施工噪音扰民"))
        .await
        .unwrap();
    let user = store
        .create_user(
            &cityai_store::NewUser {
                username: "li.operator",
                role: cityai_core::Role::Operator,
                department: None,
                password_hash: "$argon2id$not-used-here",
            },
            "test",
        )
        .await
        .unwrap();
    let expires = chrono::Utc::now() + chrono::Duration::hours(1);
    store
        .create_session(&user, "session-hash", "csrf", expires)
        .await
        .unwrap();
    store
        .audit(&AuditEvent::new("cli:test", "test.event").target("request:1"))
        .await
        .unwrap();
    store.catch_up_request_search().await.unwrap();
    store
}

#[tokio::test]
async fn copy_keeps_rows_chain_and_ids() {
    let dir = tempfile::tempdir().unwrap();
    let source = filled_sqlite_store(&dir.path().join("source")).await;
    let target = Store::open_schema_only(&database_url_in(&dir.path().join("target")))
        .await
        .unwrap();

    let report = source.copy_into(&target).await.unwrap();
    let rows = |table: &str| {
        report
            .tables
            .iter()
            .find(|copy| copy.table == table)
            .unwrap_or_else(|| panic!("{table} missing from {report:?}"))
            .rows
    };
    assert_eq!(rows("requests"), 121);
    assert_eq!(rows("users"), 1);
    assert_eq!(rows("sessions"), 1);
    let source_audit = source.verify_audit().await.unwrap();
    assert_eq!(report.audit_events, source_audit.checked);
    assert_eq!(report.audit_head_hash, source_audit.head_hash);

    // The target works as a store: the chain verifies and grows, sessions resolve, the
    // free-text filter finds copied requests, and new rows get ids after the copied ones.
    let verification = target.verify_audit().await.unwrap();
    assert!(verification.is_intact(), "{verification:?}");
    assert_eq!(verification.head_hash, source_audit.head_hash);
    target
        .audit(&AuditEvent::new("cli:test", "test.after_copy"))
        .await
        .unwrap();
    assert!(target.verify_audit().await.unwrap().is_intact());
    let session = target.session_user("session-hash").await.unwrap().unwrap();
    assert_eq!(session.user.username, "li.operator");
    let filter = RequestFilter {
        text: Some("幸福路7号".into()),
        ..RequestFilter::default()
    };
    let found = target
        .list_requests(&filter, Page::new(1, 10))
        .await
        .unwrap();
    assert_eq!(found.total, 1);
    target.catch_up_request_search().await.unwrap();
    let found = target
        .list_requests(&filter, Page::new(1, 10))
        .await
        .unwrap();
    assert_eq!(found.total, 1, "indexed search finds the same request");
    let copied = target.request(5).await.unwrap().unwrap();
    assert_eq!(copied.body, source.request(5).await.unwrap().unwrap().body);
    let new_id = target
        .insert_request(&NewRequest::new(Channel::Web, "复制之后的新诉求"))
        .await
        .unwrap();
    assert_eq!(new_id, 122);
}

#[tokio::test]
async fn copy_rejects_non_empty_target() {
    let dir = tempfile::tempdir().unwrap();
    let source = filled_sqlite_store(&dir.path().join("source")).await;
    let target = Store::open_schema_only(&database_url_in(&dir.path().join("target")))
        .await
        .unwrap();
    target
        .insert_request(&NewRequest::new(Channel::Web, "目标库已有的诉求"))
        .await
        .unwrap();

    let err = source.copy_into(&target).await.unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::TargetNotEmpty {
                table: "requests",
                rows: 1
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("new, empty database"), "{err}");
    let counts = target
        .request_counts(&RequestFilter::default())
        .await
        .unwrap();
    assert_eq!(counts.total, 1);
}

#[tokio::test]
async fn copy_with_broken_chain_leaves_target_empty() {
    let dir = tempfile::tempdir().unwrap();
    let source_dir = dir.path().join("source");
    let source = filled_sqlite_store(&source_dir).await;
    {
        use sqlx::Connection;
        let url = cityai_store::sqlite_url_in(&source_dir);
        let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::raw_sql(
            "DROP TRIGGER audit_events_no_update; \
             UPDATE audit_events SET actor = 'cli:someone-else' WHERE seq = 1;",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        conn.close().await.unwrap();
    }
    let target = Store::open_schema_only(&database_url_in(&dir.path().join("target")))
        .await
        .unwrap();

    let err = source.copy_into(&target).await.unwrap_err();
    assert!(
        matches!(err, StoreError::CopyAuditBroken { seq: 1 }),
        "{err}"
    );
    let counts = target
        .request_counts(&RequestFilter::default())
        .await
        .unwrap();
    assert_eq!(counts.total, 0, "the copy was rolled back");
    assert_eq!(target.verify_audit().await.unwrap().head_seq, 0);
}

#[tokio::test]
async fn concurrent_appends_from_two_stores_keep_one_chain() {
    let dir = tempfile::tempdir().unwrap();
    let url = database_url_in(dir.path());
    // Two stores with pools of their own, as two nodes have.
    let first = Store::open(&url).await.unwrap();
    let second = Store::open(&url).await.unwrap();
    // Opening a store registers the built-in AI features, which audits; count from here.
    let before = second.verify_audit().await.unwrap().checked;
    let mut tasks = Vec::new();
    for (name, store) in [("first", &first), ("second", &second)] {
        for i in 0..20 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                store
                    .audit(
                        &AuditEvent::new(format!("cli:{name}"), "test.concurrent")
                            .target(format!("n:{i}")),
                    )
                    .await
            }));
        }
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let verification = second.verify_audit().await.unwrap();
    assert!(verification.is_intact(), "{verification:?}");
    assert_eq!(verification.checked, before + 40);
    assert_eq!(verification.head_seq, before + 40);
}
