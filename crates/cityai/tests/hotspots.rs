//! Ranks hot spots in the real messages with votes through the `cityai` binary, and exports
//! the table and its members.
#![allow(clippy::unwrap_used)]

mod common;

use common::{cityai, import_ok, shared_data};
use serde_json::Value;

#[test]
fn ranks_real_hot_spots_and_exports_them() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let imported = import_ok(&data, &shared_data("teddy2020/hotspot_messages.csv"), &[]);
    assert_eq!(imported["imported"], 4326);
    // The file has reposts and repeated complaints, which intake links without merging.
    let links = imported["duplicate_links"].as_u64().unwrap();
    assert!(links > 100, "{links} links");

    // A new message that repeats a known complaint is linked to it on intake.
    let repeat = dir.path().join("repeat.csv");
    std::fs::write(
        &repeat,
        "留言编号,留言用户,留言主题,留言时间,留言详情\n\
         900001,A009999,丽发新城小区旁搅拌站噪音扰民,2020-01-26 09:00:00,\
         A市A2区丽发新城小区附近的违建搅拌站日夜施工，噪音和粉尘严重扰民，请尽快处理。\n",
    )
    .unwrap();
    let again = import_ok(&data, &repeat, &[]);
    assert_eq!(again["imported"], 1);
    assert!(again["duplicate_links"].as_u64().unwrap() >= 1, "{again}");

    let output = cityai(&data)
        .args(["hotspots", "--top", "5", "--json"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let ranked: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(ranked["requests_considered"], 4327);
    let spots = ranked["hotspots"].as_array().unwrap();
    assert_eq!(spots.len(), 5);
    // The mixing plant beside 丽发新城 drew dozens of citizens over half a year.
    let top = &spots[0];
    assert!(top["summary"].as_str().unwrap().contains("搅拌站"), "{top}");
    assert!(top["heat"]["citizens"].as_u64().unwrap() >= 30, "{top}");
    let heats: Vec<f64> = spots
        .iter()
        .map(|s| s["heat"]["heat"].as_f64().unwrap())
        .collect();
    assert!(
        heats.windows(2).all(|w| w[0] >= w[1]),
        "ranked by heat: {heats:?}"
    );

    // A window leaves out what falls outside it.
    let output = cityai(&data)
        .args([
            "hotspots",
            "--from",
            "2019-01-01",
            "--to",
            "2019-03-31",
            "--json",
        ])
        .output()
        .unwrap();
    let window: Value = serde_json::from_slice(&output.stdout).unwrap();
    let considered = window["requests_considered"].as_u64().unwrap();
    assert!(considered > 0 && considered < 4327, "{considered}");

    for name in ["top.csv", "top.xlsx"] {
        let path = dir.path().join(name);
        let output = cityai(&data)
            .args(["hotspots", "--top", "3", "--export"])
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(path.metadata().unwrap().len() > 0);
    }
    let table = std::fs::read_to_string(dir.path().join("top.csv")).unwrap();
    assert_eq!(
        table.lines().count(),
        4,
        "header and three hot spots: {table}"
    );
    let members = std::fs::read_to_string(dir.path().join("top-members.csv")).unwrap();
    assert!(members.lines().count() > 10, "{members}");

    let output = cityai(&data)
        .args(["hotspots", "--export"])
        .arg(dir.path().join("top.txt"))
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains(".csv or .xlsx"));
}
