//! Loads the real TeddyCup 2020 hot-spot messages for the integration tests.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::{NaiveDateTime, TimeZone, Utc};
use cityai_hotspot::HotspotRequest;

/// The 4,326 messages with votes, beside the checkout.
pub fn messages_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/teddy2020/hotspot_messages.csv")
}

/// Reads every message as a request, in file order. Times are read as UTC.
pub fn load_messages() -> Vec<HotspotRequest> {
    let path = messages_path();
    assert!(path.exists(), "missing real test data {}", path.display());
    let mut reader = csv::Reader::from_path(&path).unwrap();
    reader
        .deserialize::<HashMap<String, String>>()
        .map(|row| {
            let row = row.unwrap();
            let submitted = NaiveDateTime::parse_from_str(&row["留言时间"], "%Y-%m-%d %H:%M:%S")
                .unwrap_or_else(|e| panic!("bad time {:?}: {e}", row["留言时间"]));
            HotspotRequest {
                id: row["留言编号"].parse().unwrap(),
                title: Some(row["留言主题"].clone()).filter(|t| !t.is_empty()),
                body: row["留言详情"].clone(),
                submitted_at: Some(Utc.from_utc_datetime(&submitted)),
                citizen_ref: Some(row["留言用户"].clone()).filter(|c| !c.is_empty()),
                support_votes: row["点赞数"].parse().ok(),
                objection_votes: row["反对数"].parse().ok(),
            }
        })
        .collect()
}
