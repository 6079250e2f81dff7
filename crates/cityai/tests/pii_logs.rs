//! Plants personal data in real citizen messages, runs intake, training, routing and the
//! server with debug logging on, and checks that no planted value reaches a log line, the
//! masked columns or the routing model.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::{cityai, shared_data};
use serde_json::Value;

/// Personal data planted in one message, and the text it was planted with.
struct Planted {
    values: Vec<String>,
    text: String,
}

/// Returns a resident ID number with a valid GB 11643 check character.
fn resident_id(i: usize) -> String {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8] = b"10X98765432";
    let first17 = format!(
        "430104{:04}{:02}{:02}{:03}",
        1960 + i % 40,
        1 + i % 12,
        1 + i % 28,
        100 + i % 900
    );
    let sum: u32 = first17
        .bytes()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    format!("{first17}{}", char::from(CHECK[(sum % 11) as usize]))
}

/// Returns a 16-digit card number with a valid Luhn check digit.
fn bank_card(i: usize) -> String {
    let first15 = format!("622202{:09}", 100_000_000 + i * 7919);
    let sum: u32 = first15
        .bytes()
        .rev()
        .enumerate()
        .map(|(position, b)| {
            let digit = u32::from(b - b'0');
            if position % 2 == 0 {
                let doubled = digit * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                digit
            }
        })
        .sum();
    format!("{first15}{}", (10 - sum % 10) % 10)
}

const NAMES: [&str; 6] = [
    "欧阳明华",
    "司马光耀",
    "诸葛晓燕",
    "上官文静",
    "皇甫建国",
    "慕容雪梅",
];

/// Appends contact details to a real message body.
fn plant(i: usize, body: &str) -> Planted {
    let mobile = format!("139{:08}", 10_000_000 + i * 37);
    let id = resident_id(i);
    let card = bank_card(i);
    let email = format!("resident{i}@example.cn");
    let name = NAMES[i % NAMES.len()].to_owned();
    let text = format!(
        "{body}我叫{name}，联系电话{mobile}，身份证号{id}，补贴请打到银行卡{card}，邮箱{email}。"
    );
    Planted {
        values: vec![mobile, id, card, email, name],
        text,
    }
}

/// Writes a labelled and an unlabelled CSV from real messages, with personal data planted
/// in every third labelled message and in every unlabelled message.
fn write_files(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf, Vec<Planted>) {
    let mut reader = csv::Reader::from_path(shared_data("teddy2020/messages_train.csv")).unwrap();
    let headers = reader.headers().unwrap().clone();
    let body_column = headers.iter().position(|h| h == "留言详情").unwrap();
    let labelled_path = dir.join("labelled.csv");
    let unlabelled_path = dir.join("unlabelled.csv");
    let mut labelled = csv::Writer::from_path(&labelled_path).unwrap();
    let mut unlabelled = csv::Writer::from_path(&unlabelled_path).unwrap();
    labelled.write_record(&headers).unwrap();
    unlabelled.write_record(["留言主题", "留言详情"]).unwrap();
    let mut planted = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.unwrap();
        if i % 9 == 0 {
            let mut fields: Vec<String> = record.iter().map(str::to_owned).collect();
            if i % 27 == 0 {
                let p = plant(i, &fields[body_column]);
                fields[body_column] = p.text.clone();
                planted.push(p);
            }
            labelled.write_record(&fields).unwrap();
        } else if i % 97 == 1 {
            let p = plant(i, &record[body_column]);
            let title = record.get(2).unwrap_or_default();
            unlabelled.write_record([title, p.text.as_str()]).unwrap();
            planted.push(p);
        }
    }
    labelled.flush().unwrap();
    unlabelled.flush().unwrap();
    (labelled_path, unlabelled_path, planted)
}

fn debug_cityai(data: &Path) -> Command {
    let mut command = cityai(data);
    command.env("RUST_LOG", "debug");
    command
}

fn run_logged(data: &Path, args: &[&str], logs: &mut String) -> Output {
    let output = debug_cityai(data).args(args).output().unwrap();
    logs.push_str(&String::from_utf8_lossy(&output.stderr));
    assert!(
        output.status.success(),
        "cityai {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn http(addr: &str, method: &str, path: &str, key: &str, body: &str) -> String {
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
    response
}

fn json_body(response: &str) -> Value {
    let (_, body) = response.split_once("\r\n\r\n").unwrap();
    serde_json::from_str(body).unwrap_or_else(|_| panic!("not JSON: {response}"))
}

#[test]
fn planted_personal_data_never_logged() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (labelled, unlabelled, planted) = write_files(dir.path());
    assert!(planted.len() > 60, "{} messages planted", planted.len());
    let mut logs = String::new();

    run_logged(
        &data,
        &["import", "requests", labelled.to_str().unwrap(), "--json"],
        &mut logs,
    );
    run_logged(
        &data,
        &["import", "requests", unlabelled.to_str().unwrap(), "--json"],
        &mut logs,
    );
    run_logged(&data, &["train", "routing", "--json"], &mut logs);
    let routed = run_logged(&data, &["route", "pending", "--json"], &mut logs);
    let routed: Value = serde_json::from_slice(&routed.stdout).unwrap();
    assert!(routed["routed"].as_u64().unwrap() > 0, "{routed}");
    let text = &planted[0].text;
    let single = run_logged(&data, &["route", "--json", text], &mut logs);
    let single = String::from_utf8_lossy(&single.stdout).into_owned();
    for value in &planted[0].values[..4] {
        assert!(
            !single.contains(value.as_str()),
            "routing evidence shows {value}: {single}"
        );
    }

    let mut child = debug_cityai(&data)
        .args([
            "user",
            "add",
            "op1",
            "--role",
            "operator",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"a long enough password\n")
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    logs.push_str(&String::from_utf8_lossy(&output.stderr));
    let key = run_logged(
        &data,
        &["apikey", "create", "--user", "op1", "--json"],
        &mut logs,
    );
    let key: Value = serde_json::from_slice(&key.stdout).unwrap();
    let key = key["key"].as_str().unwrap().to_owned();

    let mut server = debug_cityai(&data)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Debug logging fills a pipe quickly, so a thread drains it while the requests run.
    let mut server_stderr = server.stderr.take().unwrap();
    let drain = std::thread::spawn(move || {
        let mut text = String::new();
        server_stderr.read_to_string(&mut text).unwrap();
        text
    });
    let mut stdout = BufReader::new(server.stdout.take().unwrap());
    let addr = loop {
        let mut line = String::new();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "serve stopped early"
        );
        if let Some(rest) = line.trim().strip_prefix("CityAI is running at http://") {
            break rest.trim_end_matches('/').to_owned();
        }
    };

    let list = json_body(&http(&addr, "GET", "/api/v1/requests?size=200", &key, ""));
    let items = list["items"].as_array().unwrap();
    let mut checked = 0;
    for item in items {
        let id = item["id"].as_i64().unwrap();
        let body = item["body"].as_str().unwrap();
        // Find the planted message by its partly masked mobile number.
        let Some(p) = planted.iter().find(|p| {
            let masked_mobile = format!("{}****{}", &p.values[0][..3], &p.values[0][7..]);
            body.contains(&masked_mobile)
        }) else {
            continue;
        };
        for value in &p.values[..4] {
            assert!(
                !body.contains(value.as_str()),
                "request {id} shows {value} masked: {body}"
            );
        }
        http(&addr, "GET", &format!("/api/v1/requests/{id}"), &key, "");
        let unmasked = json_body(&http(
            &addr,
            "GET",
            &format!("/api/v1/requests/{id}/unmasked?purpose=callback"),
            &key,
            "",
        ));
        let original = unmasked["body"]
            .as_str()
            .unwrap_or_else(|| panic!("no unmasked text for request {id}: {unmasked}"));
        assert!(original.contains(&p.values[0]));
        http(
            &addr,
            "GET",
            &format!("/api/v1/requests?q={}", p.values[0]),
            &key,
            "",
        );
        http(
            &addr,
            "POST",
            &format!("/api/v1/requests/{id}/routing/correct"),
            &key,
            r#"{"category":"城乡建设"}"#,
        );
        checked += 1;
    }
    assert!(checked > 5, "only {checked} planted requests checked");
    http(&addr, "GET", "/requests?size=100", &key, "");

    Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(server.wait().unwrap().success());
    let server_logs = drain.join().unwrap();
    logs.push_str(&server_logs);

    // Debug logging was really on, so the absence below means something.
    assert!(logs.contains("DEBUG"), "no debug lines were logged");
    assert!(
        server_logs.contains("request_id="),
        "the server logged requests"
    );
    for p in &planted {
        for value in &p.values {
            assert!(
                !logs.contains(value.as_str()),
                "{value} appears in the logs"
            );
        }
    }

    // At rest, the readable columns and the model hold masked text only.
    let url = cityai_store::testing::database_url_in(&data);
    sqlx::any::install_default_drivers();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        use sqlx::{Connection, Row};
        let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
        let rows = sqlx::query("SELECT title, body FROM requests")
            .fetch_all(&mut conn)
            .await
            .unwrap();
        let models = sqlx::query("SELECT model FROM routing_models")
            .fetch_all(&mut conn)
            .await
            .unwrap();
        let readable: String = rows
            .iter()
            .map(|row| {
                format!(
                    "{}{}",
                    row.get::<Option<String>, _>("title").unwrap_or_default(),
                    row.get::<String, _>("body")
                )
            })
            .collect();
        let model_bytes: Vec<u8> = models
            .iter()
            .flat_map(|row| row.get::<Vec<u8>, _>("model"))
            .collect();
        for p in &planted {
            // Resident ids, mobiles, cards and e-mail addresses: the structured kinds.
            for value in &p.values[..4] {
                assert!(
                    !readable.contains(value.as_str()),
                    "{value} is stored unmasked"
                );
                let needle = value.as_bytes();
                assert!(
                    !model_bytes.windows(needle.len()).any(|w| w == needle),
                    "{value} is in the routing model"
                );
            }
        }
    });
}
