//! Duplicate links for a stored request, on the real messages with votes.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use cityai_core::{Channel, ImportRow, NewRequest};
use cityai_store::testing::database_url_in;
use cityai_store::{ImportFile, Store};

#[tokio::test]
async fn repeated_complaints_link_to_earlier_ones() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/teddy2020/hotspot_messages.csv");
    assert!(path.exists(), "missing real test data {}", path.display());
    let mut reader = csv::Reader::from_path(path).unwrap();
    let mut rows = Vec::new();
    for (i, record) in reader
        .deserialize::<std::collections::HashMap<String, String>>()
        .enumerate()
    {
        let record = record.unwrap();
        let mut request = NewRequest::new(Channel::Web, record["留言详情"].clone());
        request.external_id = Some(record["留言编号"].clone());
        request.title = Some(record["留言主题"].clone());
        request.citizen_ref = Some(record["留言用户"].clone());
        request.submitted_at = cityai_core::time::parse_datetime(
            &record["留言时间"],
            cityai_core::time::default_city_offset(),
        );
        rows.push(ImportRow {
            row: i + 2,
            request,
        });
    }
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&database_url_in(dir.path())).await.unwrap();
    let file = ImportFile {
        file_name: "hotspot_messages.csv".into(),
        file_sha256: String::new(),
        format: "csv".into(),
        encoding: "UTF-8".into(),
        source: "test".into(),
        rows_total: rows.len(),
        rows_rejected: 0,
    };
    let imported = store
        .import_requests(&file, &rows, false, &mut |_| {})
        .await
        .unwrap();
    let linked = cityai_services::hotspots::link_import(&store, imported.batch_id)
        .await
        .unwrap();
    assert!(linked > 100, "{linked} links stored on intake");

    let (spots, _) = cityai_services::hotspots::hotspots(&store, None, None, None, 1)
        .await
        .unwrap();
    let members = &spots[0].request_ids;
    let latest = *members.iter().max().unwrap();
    let links = cityai_services::hotspots::duplicates_of(&store, latest, None)
        .await
        .unwrap();
    assert!(
        !links.is_empty(),
        "request {latest} repeats an earlier complaint"
    );
    for link in &links {
        assert_eq!(link.id, latest);
        assert_ne!(link.other_id, latest);
    }
    assert!(
        links.iter().any(|link| members.contains(&link.other_id)),
        "a link points into the same hot spot"
    );
    let repeats = store.repeated_requests(members).await.unwrap();
    assert!(
        !repeats.is_empty(),
        "members of a hot spot repeat earlier requests"
    );
    for (id, earlier) in &repeats {
        assert!(earlier < id, "request {id} repeats {earlier}");
    }
    let missing = cityai_services::hotspots::duplicates_of(&store, 999_999, None).await;
    assert!(missing.is_err());
}
