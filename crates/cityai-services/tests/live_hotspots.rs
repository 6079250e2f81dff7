//! The live hot-spot index: after new requests arrive, the served hot spots equal a full
//! recomputation. Runs on the real TeddyCup 2020 messages with votes.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use cityai_core::{Channel, ImportRow, NewRequest};
use cityai_services::hotspots::LiveHotspots;
use cityai_store::testing::database_url_in;
use cityai_store::{ImportFile, Store};

/// Reads the messages as import rows, sorted by submission time as they would arrive.
fn messages() -> Vec<ImportRow> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/teddy2020/hotspot_messages.csv");
    assert!(path.exists(), "missing real test data {}", path.display());
    let mut reader = csv::Reader::from_path(path).unwrap();
    let mut requests: Vec<NewRequest> = reader
        .deserialize::<std::collections::HashMap<String, String>>()
        .map(|record| {
            let record = record.unwrap();
            let mut request = NewRequest::new(Channel::Web, record["留言详情"].clone());
            request.external_id = Some(record["留言编号"].clone());
            request.title = Some(record["留言主题"].clone());
            request.citizen_ref = Some(record["留言用户"].clone());
            request.support_votes = record["点赞数"].parse().ok();
            request.objection_votes = record["反对数"].parse().ok();
            request.submitted_at = cityai_core::time::parse_datetime(
                &record["留言时间"],
                cityai_core::time::default_city_offset(),
            );
            request
        })
        .collect();
    requests.sort_by_key(|request| request.submitted_at);
    requests
        .into_iter()
        .enumerate()
        .map(|(i, request)| ImportRow {
            row: i + 2,
            request,
        })
        .collect()
}

async fn import(store: &Store, name: &str, rows: &[ImportRow]) {
    let file = ImportFile {
        file_name: name.into(),
        file_sha256: String::new(),
        format: "csv".into(),
        encoding: "UTF-8".into(),
        source: "test".into(),
        rows_total: rows.len(),
        rows_rejected: 0,
    };
    store
        .import_requests(&file, rows, false, &mut |_| {})
        .await
        .unwrap();
}

#[tokio::test]
async fn live_index_matches_full_after_arrivals() {
    let rows = messages();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&database_url_in(dir.path())).await.unwrap();
    let live = LiveHotspots::default();

    // The first three quarters arrive before the first read, which builds the index.
    let split = rows.len() * 3 / 4;
    import(&store, "first.csv", &rows[..split]).await;
    let (before, considered) = live.hotspots(&store, 20).await.unwrap();
    assert_eq!(considered, split);
    let (full_before, _) = cityai_services::hotspots::hotspots(&store, None, None, None, 20)
        .await
        .unwrap();
    assert_eq!(before, full_before);

    // The rest arrives in two imports, and each refresh adds only the new requests.
    let middle = split + (rows.len() - split) / 2;
    import(&store, "second.csv", &rows[split..middle]).await;
    assert_eq!(live.refresh(&store).await.unwrap(), middle - split);
    assert_eq!(live.refresh(&store).await.unwrap(), 0);
    import(&store, "third.csv", &rows[middle..]).await;
    let (after, considered) = live.hotspots(&store, 20).await.unwrap();
    assert_eq!(considered, rows.len());

    let (full_after, full_considered) =
        cityai_services::hotspots::hotspots(&store, None, None, None, 20)
            .await
            .unwrap();
    assert_eq!(full_considered, rows.len());
    assert_eq!(after, full_after);
    // The arrivals changed the ranking, so the comparison above is not of stale lists.
    assert_ne!(before, after);

    // Request pages look their hot spot up in the last ranking.
    let top = &after[0];
    let member = top.request_ids[0];
    let found = live.ranked_hotspot_of(member).unwrap();
    assert_eq!(found.rank, top.rank);
    assert!(live.ranked_hotspot_of(-1).is_none());

    // A reset index is rebuilt from the store with the same result.
    live.reset().await;
    let (rebuilt, _) = live.hotspots(&store, 20).await.unwrap();
    assert_eq!(rebuilt, full_after);
}
