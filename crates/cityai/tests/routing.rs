//! Trains the router on 80% of the real labelled messages, routes a text and evaluates the
//! model on the other 20%, through the real `cityai` binary.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use common::{cityai, import_ok, shared_data};
use serde_json::Value;

/// Writes the rows of the real message file into a training and an evaluation file, about
/// 80% and 20%, by a fixed hash of each row's record_id.
fn split_messages(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let mut reader = csv::Reader::from_path(shared_data("teddy2020/messages_train.csv")).unwrap();
    let headers = reader.headers().unwrap().clone();
    let record_id = headers.iter().position(|h| h == "record_id").unwrap();
    let train_path = dir.join("train.csv");
    let test_path = dir.join("test.csv");
    let mut train = csv::Writer::from_path(&train_path).unwrap();
    let mut test = csv::Writer::from_path(&test_path).unwrap();
    train.write_record(&headers).unwrap();
    test.write_record(&headers).unwrap();
    for record in reader.records() {
        let record = record.unwrap();
        let hash = record[record_id]
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
            });
        if hash.is_multiple_of(5) {
            test.write_record(&record).unwrap();
        } else {
            train.write_record(&record).unwrap();
        }
    }
    (train_path, test_path)
}

fn run_json(data: &Path, args: &[&str]) -> Value {
    let output = cityai(data).args(args).arg("--json").output().unwrap();
    assert!(
        output.status.success(),
        "cityai {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn train_route_and_evaluate_on_real_messages() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (train_file, test_file) = split_messages(dir.path());
    let history = import_ok(&data, &train_file, &[]);
    let history_rows = history["imported"].as_i64().unwrap();

    let report = run_json(&data, &["train", "routing"]);
    assert_eq!(report["meta"]["labels"].as_array().unwrap().len(), 7);
    let cv_f1 = report["cross_validation"]["macro_f1"].as_f64().unwrap();
    assert!(cv_f1 > 0.85, "cross-validated macro-F1 {cv_f1}");
    assert!(report["meta"]["auto_assign_threshold"].as_f64().is_some());

    let routed = run_json(
        &data,
        &[
            "route",
            "小区楼下烧烤店每天营业到凌晨两点，油烟和噪音扰民，请环保部门处理",
        ],
    );
    assert_eq!(routed["top"][0]["label"], "环境保护", "{routed}");
    assert_eq!(routed["top"].as_array().unwrap().len(), 3);
    assert!(!routed["evidence"].as_array().unwrap().is_empty());
    assert_eq!(routed["model_version"], report["meta"]["version"]);
    let similar = routed["similar"].as_array().unwrap();
    assert_eq!(similar.len(), 3, "{routed}");
    assert!(similar[0]["request_id"].as_i64().unwrap() <= history_rows);
    assert!(similar[0]["category"].is_string());

    let evaluation = run_json(
        &data,
        &["eval", "routing", "--data", test_file.to_str().unwrap()],
    );
    for key in [
        "accuracy",
        "macro_f1",
        "top3_accuracy",
        "per_class",
        "confusion",
    ] {
        assert!(
            !evaluation[key].is_null(),
            "eval output lacks {key}: {evaluation}"
        );
    }
    let held_out_f1 = evaluation["macro_f1"].as_f64().unwrap();
    assert!(held_out_f1 > 0.85, "held-out macro-F1 {held_out_f1}");
    assert_eq!(evaluation["per_class"].as_array().unwrap().len(), 7);
    let shares = evaluation["auto_assign"].as_array().unwrap();
    assert_eq!(shares.len(), 3);
    // The model's own threshold, measured on the held-out file.
    let own = &evaluation["at_model_threshold"];
    assert_eq!(
        own["threshold"], report["meta"]["auto_assign_threshold"],
        "{evaluation}"
    );
    let own_share = own["share"].as_f64().unwrap();
    assert!(own_share > 0.3, "{own}");
    assert!(own_share <= 1.0, "{own}");
    assert!(own["precision"].as_f64().unwrap() > 0.9, "{own}");

    // New unlabelled requests are routed on import; staff then confirm or correct them.
    let intake = dir.path().join("intake.csv");
    std::fs::write(
        &intake,
        "编号,内容\nN1,小区楼下烧烤店每天营业到凌晨两点，油烟和噪音扰民\nN2,公交车司机态度恶劣，还经常不按站点停车\n",
    )
    .unwrap();
    let imported = import_ok(&data, &intake, &["--source", "hotline"]);
    assert_eq!(imported["routing"]["routed"], 2, "{imported}");
    let routed = imported["routing"]["assigned"].as_u64().unwrap()
        + imported["routing"]["triage"].as_u64().unwrap();
    assert_eq!(routed, 2);

    let listed: Value = serde_json::from_slice(
        &cityai(&data)
            .args(["route", "pending", "--json"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(listed["routed"], 0, "nothing is left to route: {listed}");

    // Ids are given in insertion order, so the two new requests follow the training rows.
    let ids = [history_rows + 1, history_rows + 2];
    let confirm = cityai(&data)
        .args([
            "route",
            "confirm",
            &ids[0].to_string(),
            "--by",
            "operator-7",
        ])
        .output()
        .unwrap();
    assert!(
        confirm.status.success(),
        "{}",
        String::from_utf8_lossy(&confirm.stderr)
    );
    let correct = cityai(&data)
        .args([
            "route",
            "correct",
            &ids[1].to_string(),
            "--category",
            "交通运输",
            "--by",
            "operator-7",
        ])
        .output()
        .unwrap();
    assert!(
        correct.status.success(),
        "{}",
        String::from_utf8_lossy(&correct.stderr)
    );
    let text = String::from_utf8(correct.stdout).unwrap();
    assert!(text.contains("交通运输"), "{text}");

    let typo = cityai(&data)
        .args([
            "route",
            "correct",
            &ids[1].to_string(),
            "--category",
            "不存在的分类",
            "--by",
            "operator-7",
        ])
        .output()
        .unwrap();
    assert_eq!(typo.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&typo.stderr).contains("not in the taxonomy"));

    let missing = cityai(&data)
        .args(["route", "confirm", "999999", "--by", "operator-7"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("#999999 not found"));
}

#[test]
fn route_without_model_says_how_to_train() {
    let dir = tempfile::tempdir().unwrap();
    let output = cityai(dir.path())
        .args(["route", "路灯不亮"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("cityai train routing"), "{stderr}");
}

#[test]
fn training_without_labels_explains_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let output = cityai(dir.path())
        .args(["train", "routing"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("Import labelled requests first"),
        "{stderr}"
    );
}

#[test]
fn correcting_with_an_invalid_category_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let output = cityai(dir.path())
        .args([
            "route",
            "correct",
            "1",
            "--category",
            "a//b",
            "--by",
            "operator-7",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("\"a//b\""), "{stderr}");
}

#[test]
fn blank_staff_name_and_empty_text_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let blank = cityai(dir.path())
        .args(["route", "confirm", "1", "--by", "  "])
        .output()
        .unwrap();
    assert_eq!(blank.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&blank.stderr).contains("--by"));
    let empty = cityai(dir.path()).args(["route", "   "]).output().unwrap();
    assert_eq!(empty.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&empty.stderr).contains("empty"));
}
