//! Interoperability with a third-party Open311 client: starts the real `cityai serve --demo`
//! on a loopback port, creates an operator's API key with the CLI, and runs
//! `scripts/open311_interop.py` (the `georeport` client from PyPI) against it.
//!
//! The Python interpreter of a virtual environment with `scripts/open311-requirements.txt`
//! installed comes from `CITYAI_INTEROP_PYTHON`, which `.ci/run` sets. Under `CI=true` a
//! missing interpreter fails the test; elsewhere the test prints how to set it up and
//! returns.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use common::cityai;
use serde_json::Value;

/// Finds the interpreter of the interop virtual environment.
fn interop_python() -> Option<PathBuf> {
    let python = std::env::var_os("CITYAI_INTEROP_PYTHON").map(PathBuf::from);
    let under_ci = std::env::var("CI").is_ok_and(|v| v == "true");
    match python {
        Some(path) if path.exists() => Some(path),
        Some(path) => {
            assert!(
                !under_ci,
                "CITYAI_INTEROP_PYTHON={} does not exist",
                path.display()
            );
            None
        }
        None => {
            assert!(
                !under_ci,
                "CITYAI_INTEROP_PYTHON is not set; .ci/run creates the interop venv and sets it"
            );
            None
        }
    }
}

/// Reads standard output up to the line that announces the address and returns `host:port`.
fn listening_address(child: &mut Child) -> String {
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut before = Vec::new();
    for _ in 0..10 {
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        if let Some(rest) = line.trim().strip_prefix("CityAI is running at http://") {
            // Keep draining standard output so the server never blocks on a full pipe.
            std::thread::spawn(move || {
                let mut rest = String::new();
                let _ = stdout.read_to_string(&mut rest);
            });
            return rest.trim_end_matches('/').to_owned();
        }
        before.push(line);
    }
    panic!("serve did not announce its address; output so far: {before:?}");
}

/// Stops the server with SIGTERM when dropped, also when an assertion fails.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let _ = self.0.wait();
    }
}

fn run_cli(data: &Path, args: &[&str]) -> String {
    let output = cityai(data).args(args).output().unwrap();
    assert!(
        output.status.success(),
        "cityai {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn georeport_client_lists_posts_and_reads_back() {
    let Some(python) = interop_python() else {
        eprintln!(
            "note: skipping the Open311 interop run; create a venv with \
             `python3 -m venv .venv-interop && .venv-interop/bin/pip install -r \
             scripts/open311-requirements.txt` and set CITYAI_INTEROP_PYTHON to its python"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut child = cityai(dir.path())
        .args(["serve", "--demo", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let addr = listening_address(&mut child);
    let _server = Server(child);

    run_cli(
        dir.path(),
        &["user", "add", "kiosk", "--role", "operator", "--json"],
    );
    let key: Value = serde_json::from_str(&run_cli(
        dir.path(),
        &[
            "apikey", "create", "--user", "kiosk", "--label", "open311", "--json",
        ],
    ))
    .unwrap();
    let key = key["key"].as_str().unwrap();

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/open311_interop.py");
    let output = Command::new(&python)
        .arg(&script)
        .arg(format!("http://{addr}/open311/v2"))
        .arg(key)
        // The server is on loopback: keep any configured HTTP proxy out of the way.
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the interop script failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("open311 interop succeeded"), "{stdout}");
}
