//! Helpers for tests that run the real `cityai` binary.
#![allow(clippy::unwrap_used)]
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// Returns the path of a file under the shared real-data folder that sits beside the checkout.
///
/// Panics when the folder is missing: these tests must run on the real data, never skip.
pub fn shared_data(relative: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(relative);
    assert!(
        path.exists(),
        "missing real test data {}: check out the shared folder beside the repository",
        path.display()
    );
    path
}

/// Builds a `cityai` command that uses `data_dir`, the test database of `data_dir` (see
/// [`cityai_store::testing::database_url_in`]) and English messages.
pub fn cityai(data_dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cityai"));
    command
        .arg("--data-dir")
        .arg(data_dir)
        .arg("--database-url")
        .arg(cityai_store::testing::database_url_in(data_dir))
        .arg("--lang")
        .arg("en")
        .env_remove("CITYAI_DATABASE_URL")
        .env_remove("RUST_LOG");
    command
}

/// Runs `cityai import requests FILE --json` with extra arguments and returns the process
/// output and the parsed summary (when stdout held one).
pub fn import_json(data_dir: &Path, file: &Path, extra: &[&str]) -> (Output, Option<Value>) {
    let output = cityai(data_dir)
        .args(["import", "requests"])
        .arg(file)
        .arg("--json")
        .args(extra)
        .output()
        .expect("cityai runs");
    let summary = serde_json::from_slice(&output.stdout).ok();
    (output, summary)
}

/// Runs an import that must succeed and returns its summary.
pub fn import_ok(data_dir: &Path, file: &Path, extra: &[&str]) -> Value {
    let (output, summary) = import_json(data_dir, file, extra);
    assert!(
        output.status.success(),
        "import failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    summary.expect("import prints a JSON summary")
}

/// Returns (imported, duplicates, rejected) from a summary.
pub fn counts(summary: &Value) -> (u64, u64, u64) {
    let get = |key: &str| {
        summary[key]
            .as_u64()
            .unwrap_or_else(|| panic!("summary lacks {key}: {summary}"))
    };
    (get("imported"), get("duplicates"), get("rejected"))
}
pub mod webdriver;
