//! Two `cityai serve` nodes on one PostgreSQL database, as behind a load balancer: what one
//! node stores, the other routes, lists, searches and audits, and writes through both at
//! once leave one valid audit chain.
//!
//! Runs only when `CITYAI_TEST_POSTGRES` names a PostgreSQL server (the CI's second test
//! pass sets it); without it the test prints why it did not run, because two processes
//! sharing one SQLite file are not a supported deployment.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use cityai_store::testing::{database_url_in, postgres_server, share_database};
use common::cityai;
use serde_json::Value;

/// Requests each node takes in while the other one does too.
const CONCURRENT_PER_NODE: usize = 25;

/// A running `cityai serve` process, stopped when dropped.
struct Node {
    child: Child,
    addr: String,
    /// Lines printed before the address, such as the first administrator's password.
    before: Vec<String>,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_node(data_dir: &Path, extra: &[&str]) -> Node {
    let mut child = cityai(data_dir)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(extra)
        .env_remove("CITYAI_LLM_BASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut before = Vec::new();
    for _ in 0..10 {
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        if let Some(rest) = line.trim().strip_prefix("CityAI is running at http://") {
            let addr = rest.trim_end_matches('/').to_owned();
            // Keep reading standard output so the server never blocks on a full pipe.
            std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
            return Node {
                child,
                addr,
                before,
            };
        }
        before.push(line);
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("serve did not announce its address; output so far: {before:?}");
}

/// Sends one HTTP/1.1 request with the API key and returns the status and the JSON body.
fn call(addr: &str, key: &str, method: &str, path: &str, body: &str) -> (u16, Value) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Authorization: Bearer {key}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {response}"));
    let json = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| serde_json::from_str(body).unwrap_or(Value::Null))
        .unwrap_or(Value::Null);
    (status, json)
}

/// Creates an API key for `user` with the CLI and returns it.
fn api_key(data_dir: &Path, user: &str) -> String {
    let output = cityai(data_dir)
        .args([
            "apikey", "create", "--user", user, "--label", "nodes", "--json",
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let created: Value = serde_json::from_slice(&output.stdout).unwrap();
    created["key"].as_str().unwrap().to_owned()
}

fn submit(addr: &str, key: &str, body: &str) -> Value {
    let payload = serde_json::json!({ "body": body, "channel": "hotline" }).to_string();
    let (status, receipt) = call(addr, key, "POST", "/api/v1/requests", &payload);
    assert_eq!(status, 201, "{receipt}");
    receipt
}

#[test]
fn two_nodes_share_one_postgres_database() {
    if postgres_server().is_none() {
        // Written to the process's standard error directly, because the test harness
        // captures eprintln! output of passing tests and the notice would never be seen.
        let _ = writeln!(
            std::io::stderr(),
            "two_nodes_share_one_postgres_database not run: set CITYAI_TEST_POSTGRES to a \
             PostgreSQL server URL, as the CI's PostgreSQL pass does"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (data_a, data_b) = (dir.path().join("node-a"), dir.path().join("node-b"));
    share_database(&data_b, &database_url_in(&data_a));

    // Node A loads the demo, which trains and activates a routing model; node B starts
    // afterwards with nothing of its own but the database.
    let node_a = start_node(&data_a, &["--demo"]);
    assert!(
        node_a
            .before
            .iter()
            .any(|line| line.contains("with password")),
        "{:?}",
        node_a.before
    );
    // Operators take requests in and read them; the administrator reads the audit trail.
    let added = cityai(&data_a)
        .args(["user", "add", "two.operator", "--role", "operator"])
        .output()
        .unwrap();
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let key = api_key(&data_a, "two.operator");
    let admin_key = api_key(&data_a, "admin");
    let node_b = start_node(&data_b, &[]);
    assert!(
        !node_b
            .before
            .iter()
            .any(|line| line.contains("with password")),
        "node B finds the administrator that node A created: {:?}",
        node_b.before
    );

    // A request taken in by node B is routed with the model node A trained.
    let text = "两节点测试：幸福路十二号的路灯坏了三天，晚上一片漆黑";
    let receipt = submit(&node_b.addr, &key, text);
    let id = receipt["id"].as_i64().unwrap();
    assert!(receipt["model_version"].is_string(), "{receipt}");
    assert!(receipt["category"].is_string(), "{receipt}");

    // Node A reads it, lists it, finds it by free text, and shows its audit events.
    let (status, request) = call(
        &node_a.addr,
        &key,
        "GET",
        &format!("/api/v1/requests/{id}"),
        "",
    );
    assert_eq!(status, 200, "{request}");
    assert_eq!(request["category"], receipt["category"], "{request}");
    let (status, listed) = call(&node_a.addr, &key, "GET", "/api/v1/requests?size=5", "");
    assert_eq!(status, 200, "{listed}");
    let listed_ids: Vec<i64> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|item| item["id"].as_i64())
        .collect();
    assert!(listed_ids.contains(&id), "newest first: {listed}");
    let query = "/api/v1/requests?q=%E5%B9%B8%E7%A6%8F%E8%B7%AF%E5%8D%81%E4%BA%8C%E5%8F%B7";
    let (status, found) = call(&node_a.addr, &key, "GET", query, "");
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["total"], 1, "{found}");
    assert_eq!(found["items"][0]["id"], id, "{found}");
    let (status, timeline) = call(
        &node_a.addr,
        &key,
        "GET",
        &format!("/api/v1/requests/{id}/timeline"),
        "",
    );
    assert_eq!(status, 200, "{timeline}");
    assert!(
        timeline.to_string().contains("routing.decision"),
        "node A shows node B's routing decision: {timeline}"
    );
    let (status, audit) = call(&node_a.addr, &admin_key, "GET", "/api/v1/audit", "");
    assert_eq!(status, 200, "{audit}");
    let audited = audit["items"].as_array().unwrap().iter().any(|event| {
        event["action"] == "routing.route" && event["target"] == format!("request:{id}")
    });
    assert!(
        audited,
        "node A lists the audit event of node B's intake: {audit}"
    );

    // Search still finds it once a node's background indexer has filled its terms.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, found) = call(&node_b.addr, &key, "GET", query, "");
        assert_eq!(found["total"], 1, "{found}");
        if indexed(&data_a, id) || Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    assert!(
        indexed(&data_a, id),
        "a node indexes the new request for search"
    );

    // Both nodes take in requests at the same time.
    let (_, before) = call(&node_a.addr, &admin_key, "GET", "/api/v1/audit/verify", "");
    let events_before = before["checked"].as_i64().unwrap();
    std::thread::scope(|scope| {
        for (node, name) in [(&node_a, "A"), (&node_b, "B")] {
            let key = key.as_str();
            scope.spawn(move || {
                for i in 0..CONCURRENT_PER_NODE {
                    submit(
                        &node.addr,
                        key,
                        &format!("节点{name}并发测试第{i}件：人民路{i}号附近夜间施工噪音扰民"),
                    );
                }
            });
        }
    });
    for node in [&node_a, &node_b] {
        let (status, verification) =
            call(&node.addr, &admin_key, "GET", "/api/v1/audit/verify", "");
        assert_eq!(status, 200, "{verification}");
        assert!(verification["first_broken"].is_null(), "{verification}");
        let events = verification["checked"].as_i64().unwrap();
        assert!(
            events >= events_before + 2 * CONCURRENT_PER_NODE as i64,
            "every intake is audited: {events_before} then {events}"
        );
    }
    let output = cityai(&data_b)
        .args(["audit", "verify", "--json"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
}

/// Returns whether request `id` has its search terms stored.
fn indexed(data_dir: &Path, id: i64) -> bool {
    use sqlx::{Connection, Row};

    let url = database_url_in(data_dir);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
        let row =
            sqlx::query("SELECT search_terms IS NOT NULL AS indexed FROM requests WHERE id = $1")
                .bind(id)
                .fetch_one(&mut conn)
                .await
                .unwrap();
        row.get::<bool, _>("indexed")
    })
}
