//! User and API key commands, and `cityai audit verify` against audit rows edited, deleted,
//! reordered and cut off directly in the SQLite database.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Output, Stdio};

use common::cityai;
use serde_json::Value;
use sqlx::Connection;

fn run(data: &Path, args: &[&str]) -> Output {
    cityai(data).args(args).output().unwrap()
}

fn run_ok(data: &Path, args: &[&str]) -> String {
    let output = run(data, args);
    assert!(
        output.status.success(),
        "cityai {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn user_and_key_commands() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();

    let listed = run_ok(data, &["user", "list"]);
    assert!(listed.contains("There are no users yet"), "{listed}");

    // A generated password is shown once.
    let added: Value = serde_json::from_str(&run_ok(
        data,
        &["user", "add", "zhao.admin", "--role", "admin", "--json"],
    ))
    .unwrap();
    assert_eq!(added["user"]["role"], "admin");
    assert_eq!(added["generated_password"].as_str().unwrap().len(), 20);

    // A given password comes from standard input, and a short one is rejected.
    let mut child = cityai(data)
        .args([
            "user",
            "add",
            "sun.op",
            "--role",
            "operator",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"short\n").unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("at least 12"), "{stderr}");

    // Handlers need a registered department.
    let output = run(data, &["user", "add", "qian.h", "--role", "handler"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--department"));
    let output = run(
        data,
        &[
            "user",
            "add",
            "qian.h",
            "--role",
            "handler",
            "--department",
            "nowhere",
        ],
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("nowhere is not registered"));

    let output = run(data, &["user", "add", "zhao.admin", "--role", "auditor"]);
    assert!(String::from_utf8_lossy(&output.stderr).contains("already exists"));
    let output = run(data, &["user", "add", "x", "--role", "root"]);
    assert_eq!(output.status.code(), Some(2), "clap rejects the role");

    let key: Value = serde_json::from_str(&run_ok(
        data,
        &[
            "apikey",
            "create",
            "--user",
            "zhao.admin",
            "--label",
            "hotline",
            "--json",
        ],
    ))
    .unwrap();
    let prefix = key["prefix"].as_str().unwrap().to_owned();
    assert!(
        key["key"]
            .as_str()
            .unwrap()
            .starts_with(&format!("cai_{prefix}_"))
    );
    let keys = run_ok(data, &["apikey", "list"]);
    assert!(keys.contains(&prefix) && keys.contains("hotline"), "{keys}");
    assert!(
        !keys.contains(key["key"].as_str().unwrap()),
        "the secret is never listed"
    );

    run_ok(data, &["user", "passwd", "zhao.admin"]);
    run_ok(data, &["user", "disable", "zhao.admin"]);
    let keys: Value = serde_json::from_str(&run_ok(data, &["apikey", "list", "--json"])).unwrap();
    assert_eq!(
        keys["keys"][0]["revoked"], true,
        "disabling revokes the user's keys"
    );
    let users: Value = serde_json::from_str(&run_ok(data, &["user", "list", "--json"])).unwrap();
    assert_eq!(users["users"][0]["disabled"], true);

    let log = run_ok(data, &["audit", "log"]);
    for action in [
        "user.create",
        "apikey.create",
        "user.password",
        "user.disable",
    ] {
        assert!(log.contains(action), "{action} in {log}");
    }
    let verified: Value =
        serde_json::from_str(&run_ok(data, &["audit", "verify", "--json"])).unwrap();
    assert!(verified["first_broken"].is_null(), "{verified}");
    let events: Value = serde_json::from_str(&run_ok(
        data,
        &["audit", "log", "--json", "--limit", "1000"],
    ))
    .unwrap();
    let events = events["events"].as_array().unwrap();
    assert_eq!(verified["checked"], events.len());
    // The first open registers CityAI's own AI features; the commands add the rest.
    let by_commands = events
        .iter()
        .filter(|event| event["actor"] != "system (installation)")
        .count();
    assert_eq!(by_commands, 4, "failed commands leave no event");
}

/// Creates a data directory whose audit trail ends with six events of user commands, after
/// the events of the first open. Returns the directory and the number of events before the six.
fn data_with_events(root: &Path) -> (std::path::PathBuf, i64) {
    let data = root.join("data");
    for i in 0..6 {
        run_ok(
            &data,
            &["user", "add", &format!("user{i}"), "--role", "reviewer"],
        );
    }
    let verified: Value =
        serde_json::from_str(&run_ok(&data, &["audit", "verify", "--json"])).unwrap();
    assert!(verified["first_broken"].is_null(), "{verified}");
    let before = verified["head_seq"].as_i64().unwrap() - 6;
    (data, before)
}

/// Replaces `#1` to `#7` in `statements` with the sequence numbers of the six command events
/// (and the one after them), which follow `before` events.
fn at_events(statements: &str, before: i64) -> String {
    (1..=7).rev().fold(statements.to_owned(), |text, n| {
        text.replace(&format!("#{n}"), &(before + n).to_string())
    })
}

/// Runs SQL against the database directly, as someone with file access would.
fn tamper(data: &Path, statements: &str) {
    let url = cityai_store::testing::database_url_in(data);
    sqlx::any::install_default_drivers();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
        sqlx::raw_sql(statements).execute(&mut conn).await.unwrap();
        conn.close().await.unwrap();
    });
}

fn verify(data: &Path) -> (Option<i32>, Value) {
    let output = run(data, &["audit", "verify", "--json"]);
    (
        output.status.code(),
        serde_json::from_slice(&output.stdout).unwrap(),
    )
}

#[test]
fn the_database_rejects_plain_edits() {
    let dir = tempfile::tempdir().unwrap();
    let (data, _) = data_with_events(dir.path());
    let url = cityai_store::testing::database_url_in(&data);
    sqlx::any::install_default_drivers();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
        for statement in [
            "UPDATE audit_events SET actor = 'x' WHERE seq = 2",
            "DELETE FROM audit_events WHERE seq = 2",
        ] {
            let err = sqlx::raw_sql(statement)
                .execute(&mut conn)
                .await
                .unwrap_err();
            assert!(err.to_string().contains("append-only"), "{err}");
        }
    });
}

#[test]
fn verify_catches_each_kind_of_tampering() {
    let unlock = if cityai_store::testing::postgres_server().is_some() {
        "DROP TRIGGER audit_events_no_update ON audit_events; \
         DROP TRIGGER audit_events_no_delete ON audit_events;"
    } else {
        "DROP TRIGGER audit_events_no_update; DROP TRIGGER audit_events_no_delete;"
    };
    let cases: &[(&str, &str, i64, &str)] = &[
        (
            "edit a field",
            "UPDATE audit_events SET actor = 'cli:someone-else' WHERE seq = #3;",
            3,
            "hash_mismatch",
        ),
        (
            "edit the detail and its hash together",
            "UPDATE audit_events SET detail = '{}', \
             hash = '1111111111111111111111111111111111111111111111111111111111111111' WHERE seq = #3;",
            3,
            "hash_mismatch",
        ),
        (
            "delete a row in the middle",
            "DELETE FROM audit_events WHERE seq = #4;",
            5,
            "sequence_gap",
        ),
        (
            "delete the newest row",
            "DELETE FROM audit_events WHERE seq = #6;",
            6,
            "head_mismatch",
        ),
        (
            "reorder two rows",
            "UPDATE audit_events SET seq = -2 WHERE seq = #2; \
             UPDATE audit_events SET seq = #2 WHERE seq = #3; \
             UPDATE audit_events SET seq = #3 WHERE seq = -2;",
            2,
            "previous_hash_mismatch",
        ),
        (
            "reorder with the links swapped too",
            "UPDATE audit_events SET seq = -2 WHERE seq = #2; \
             UPDATE audit_events SET seq = #2, prev_hash = (SELECT prev_hash FROM audit_events WHERE seq = -2) WHERE seq = #3; \
             UPDATE audit_events SET seq = #3 WHERE seq = -2;",
            2,
            "hash_mismatch",
        ),
        (
            "append a forged row",
            "INSERT INTO audit_events (seq, occurred_at, actor, action, target, detail, prev_hash, hash) \
             SELECT #7, occurred_at, 'cli:root', 'user.create', 'user:ghost', '{}', hash, hash \
             FROM audit_events WHERE seq = #6;",
            7,
            "hash_mismatch",
        ),
    ];
    for (name, statements, seq, reason) in cases {
        let dir = tempfile::tempdir().unwrap();
        let (data, before) = data_with_events(dir.path());
        let seq = &(before + seq);
        tamper(
            &data,
            &format!("{unlock} {}", at_events(statements, before)),
        );
        let (code, report) = verify(&data);
        assert_eq!(code, Some(5), "{name}: {report}");
        assert_eq!(report["first_broken"]["seq"], *seq, "{name}: {report}");
        assert_eq!(
            report["first_broken"]["reason"], *reason,
            "{name}: {report}"
        );
        let text = run(&data, &["audit", "verify"]);
        let text = String::from_utf8_lossy(&text.stdout);
        assert!(
            text.contains(&format!("breaks at event {seq}")),
            "{name}: {text}"
        );
    }
}
