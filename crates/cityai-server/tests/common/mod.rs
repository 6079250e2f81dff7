//! Set-up shared by the server's integration tests.
#![allow(clippy::unwrap_used, dead_code)]

use cityai_core::ImportRow;
use cityai_store::testing::database_url_in;
use cityai_store::{ImportFile, Store};

/// Opens a store in a new temporary directory and loads the built-in demo taxonomy and
/// requests into it. Keep the directory alive as long as the store.
pub async fn demo_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&database_url_in(dir.path())).await.unwrap();
    store
        .import_taxonomy(&cityai_demo::departments(), &cityai_demo::taxonomy())
        .await
        .unwrap();
    let rows: Vec<ImportRow> = cityai_demo::requests(chrono::Utc::now())
        .into_iter()
        .enumerate()
        .map(|(i, request)| ImportRow {
            row: i + 1,
            request,
        })
        .collect();
    let file = ImportFile {
        file_name: "demo".into(),
        file_sha256: String::new(),
        format: "builtin".into(),
        encoding: "UTF-8".into(),
        source: "demo".into(),
        rows_total: rows.len(),
        rows_rejected: 0,
    };
    store
        .import_requests(&file, &rows, false, &mut |_| {})
        .await
        .unwrap();
    (dir, store)
}
