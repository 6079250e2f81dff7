//! A problem reported many times stores a bounded number of duplicate links per report,
//! through an import and through live intake, while the hot spot still groups every report.
#![allow(clippy::unwrap_used)]

use chrono::{Duration, TimeZone, Utc};
use cityai_core::{Channel, ImportRow, NewRequest};
use cityai_services::hotspots::{LiveHotspots, MAX_STORED_LINKS};
use cityai_store::testing::database_url_in;
use cityai_store::{ImportFile, ImportResult, Store};

/// `count` reports of one broken street light in one estate, an hour apart, worded a little
/// differently each time, starting at report number `first`.
fn reports(first: usize, count: usize) -> Vec<ImportRow> {
    let wordings = [
        "阳光花园小区3栋楼下的路灯坏了，晚上一片漆黑，老人小孩出门很危险，请尽快维修。",
        "阳光花园小区3栋楼下路灯不亮了，晚上很黑，出门很危险，希望尽快派人维修。",
        "阳光花园小区3栋楼下的路灯坏了好几天了，晚上漆黑一片，请相关部门尽快维修。",
    ];
    let start = Utc.with_ymd_and_hms(2026, 11, 2, 8, 0, 0).unwrap();
    (first..first + count)
        .map(|n| {
            let mut request = NewRequest::new(Channel::Web, wordings[n % wordings.len()]);
            request.title = Some("阳光花园小区路灯坏了".to_owned());
            request.external_id = Some(format!("light-{n}"));
            request.citizen_ref = Some(format!("resident-{n}"));
            request.submitted_at = Some(start + Duration::hours(n as i64));
            ImportRow {
                row: n + 2,
                request,
            }
        })
        .collect()
}

async fn import(store: &Store, name: &str, rows: &[ImportRow]) -> ImportResult {
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
        .unwrap()
}

/// Checks the links stored for every request in `ids` (in arrival order): each links to at
/// most `MAX_STORED_LINKS` earlier requests, the first report among them, and a report
/// with fewer earlier repeats than the bound links to all of them.
async fn assert_bounded(store: &Store, ids: &[i64]) {
    for (position, &id) in ids.iter().enumerate() {
        let earlier: Vec<i64> = store
            .request_links(id)
            .await
            .unwrap()
            .into_iter()
            .filter(|link| link.request_id == id)
            .map(|link| link.other_id)
            .collect();
        assert_eq!(
            earlier.len(),
            position.min(MAX_STORED_LINKS),
            "links stored for report {position}: {earlier:?}"
        );
        if position > 0 {
            assert!(
                earlier.contains(&ids[0]),
                "report {position} links to the first report"
            );
        }
    }
}

#[tokio::test]
async fn many_repeats_through_an_import_store_bounded_links() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&database_url_in(dir.path())).await.unwrap();
    let imported = import(&store, "lights.csv", &reports(0, 30)).await;
    assert_eq!(imported.imported, 30);
    let linked = cityai_services::hotspots::link_import(&store, imported.batch_id)
        .await
        .unwrap();
    // The n-th report links to min(n, bound) earlier ones.
    let expected: usize = (0..30).map(|n: usize| n.min(MAX_STORED_LINKS)).sum();
    assert_eq!(linked, expected);

    let ids: Vec<i64> = store
        .request_ids_of_import(imported.batch_id)
        .await
        .unwrap();
    assert_bounded(&store, &ids).await;

    let (spots, _) = cityai_services::hotspots::hotspots(&store, None, None, None, 1)
        .await
        .unwrap();
    assert_eq!(
        spots[0].request_ids.len(),
        30,
        "the hot spot holds every report"
    );
}

#[tokio::test]
async fn many_repeats_through_live_intake_store_bounded_links() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&database_url_in(dir.path())).await.unwrap();
    let live = LiveHotspots::default();
    let first = import(&store, "first.csv", &reports(0, 1)).await;
    // The first refresh builds the index; later ones store the links of the new requests.
    assert_eq!(live.refresh(&store).await.unwrap(), 1);
    let mut ids = store.request_ids_of_import(first.batch_id).await.unwrap();
    for batch in [1..6, 6..20, 20..30] {
        let rows = reports(batch.start, batch.len());
        let imported = import(&store, "more.csv", &rows).await;
        ids.extend(
            store
                .request_ids_of_import(imported.batch_id)
                .await
                .unwrap(),
        );
        assert_eq!(live.refresh(&store).await.unwrap(), batch.len());
    }
    assert_bounded(&store, &ids).await;

    let (spots, considered) = live.hotspots(&store, 1).await.unwrap();
    assert_eq!(considered, 30);
    assert_eq!(
        spots[0].request_ids.len(),
        30,
        "the hot spot holds every report"
    );
}
