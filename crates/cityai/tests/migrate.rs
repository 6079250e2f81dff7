//! `cityai migrate`: copies a single node's SQLite database, filled from the real Teddy Cup
//! files, into a new database (PostgreSQL when `CITYAI_TEST_POSTGRES` is set, SQLite
//! otherwise) and checks what the copy reports and what the target then holds.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::process::Output;

use common::{cityai, import_ok, shared_data};
use serde_json::Value;

fn migrate(source_dir: &Path, to: &str) -> Output {
    let from = cityai_store::sqlite_url_in(source_dir);
    cityai(source_dir)
        .args(["migrate", "--from", &from, "--to", to, "--json"])
        .output()
        .unwrap()
}

fn verify(data_dir: &Path) -> Value {
    let output = cityai(data_dir)
        .args(["audit", "verify", "--json"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn migrate_copies_real_data_once() {
    let dir = tempfile::tempdir().unwrap();
    // The source is always an SQLite file, as a single node has.
    let source = dir.path().join("source");
    let source_command = |args: &[&str]| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_cityai"))
            .arg("--data-dir")
            .arg(&source)
            .arg("--lang")
            .arg("en")
            .args(args)
            .env_remove("CITYAI_DATABASE_URL")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "cityai {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    let taxonomy = shared_data("teddy2020/label_taxonomy.csv");
    let messages = shared_data("teddy2020/messages_train.csv");
    source_command(&["import", "taxonomy", taxonomy.to_str().unwrap()]);
    source_command(&["import", "requests", messages.to_str().unwrap()]);
    cityai_store::testing::share_database(&source, &cityai_store::sqlite_url_in(&source));
    let source_audit = verify(&source);

    let target = dir.path().join("target");
    let target_url = cityai_store::testing::database_url_in(&target);
    let output = migrate(&source, &target_url);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let rows = |table: &str| {
        report["tables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|copy| copy["table"] == table)
            .unwrap_or_else(|| panic!("{table} missing from {report}"))["rows"]
            .as_i64()
            .unwrap()
    };
    assert_eq!(rows("requests"), 6_718);
    assert!(rows("categories") > 0, "{report}");
    assert_eq!(rows("import_batches"), 1);
    assert_eq!(report["audit_events"], source_audit["checked"], "{report}");
    assert_eq!(
        report["audit_head_hash"], source_audit["head_hash"],
        "{report}"
    );

    let target_audit = verify(&target);
    assert!(target_audit["first_broken"].is_null(), "{target_audit}");
    assert_eq!(target_audit["head_hash"], source_audit["head_hash"]);

    // A second copy into the filled target is rejected and changes nothing.
    let again = migrate(&source, &target_url);
    assert!(!again.status.success());
    let message = String::from_utf8_lossy(&again.stderr);
    assert!(message.contains("not empty"), "{message}");
    assert!(message.contains("new, empty database"), "{message}");
    let unchanged = import_ok(&target, &messages, &[]);
    assert_eq!(unchanged["imported"], 0, "{unchanged}");
    assert_eq!(unchanged["duplicates"], 6_718, "{unchanged}");
}

#[test]
fn migrate_rejects_same_database() {
    let dir = tempfile::tempdir().unwrap();
    let url = cityai_store::sqlite_url_in(dir.path());
    let output = migrate(dir.path(), &url);
    assert!(!output.status.success());
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(message.contains("same database"), "{message}");
}

#[test]
fn migrate_rejects_missing_source() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("typo").join("cityai.db");
    let target = dir.path().join("target");
    std::fs::create_dir_all(&target).unwrap();
    let output = cityai(dir.path())
        .args([
            "migrate",
            "--from",
            &format!("sqlite://{}", missing.display()),
            "--to",
            &cityai_store::sqlite_url_in(&target),
        ])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(message.contains("does not exist"), "{message}");
    assert!(!missing.exists(), "the mistyped source was created");
    assert!(!target.join("cityai.db").exists(), "the target was created");
}
