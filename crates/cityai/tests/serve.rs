//! Starts the real `cityai serve --demo` process, reads pages over HTTP, and stops it with
//! SIGTERM.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::time::Duration;

use common::cityai;

/// Sends one HTTP/1.1 request and returns the whole response.
fn http(addr: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

fn http_get(addr: &str, path: &str) -> String {
    http(addr, "GET", path, &[], "")
}

/// Returns the value of a cookie set by a response.
fn set_cookie(response: &str, name: &str) -> String {
    response
        .lines()
        .filter_map(|line| {
            let (header, value) = line.split_once(':')?;
            header
                .eq_ignore_ascii_case("set-cookie")
                .then_some(value.trim())
        })
        .find_map(|cookie| cookie.strip_prefix(&format!("{name}=")))
        .and_then(|rest| rest.split(';').next())
        .unwrap_or_else(|| panic!("no {name} cookie in {response}"))
        .to_owned()
}

/// Signs in through the real form and returns the `Cookie` header value of the session.
fn sign_in(addr: &str, username: &str, password: &str) -> String {
    let form = http_get(addr, "/login?lang=en");
    assert!(form.starts_with("HTTP/1.1 200"), "{form}");
    let csrf = set_cookie(&form, "cityai_csrf");
    let body =
        format!("csrf_token={csrf}&username={username}&password={password}&next=%2Frequests");
    let reply = http(
        addr,
        "POST",
        "/login",
        &[
            ("Cookie", &format!("cityai_csrf={csrf}")),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        &body,
    );
    assert!(reply.starts_with("HTTP/1.1 303"), "{reply}");
    format!("cityai_session={}", set_cookie(&reply, "cityai_session"))
}

/// Returns the first administrator's password from the first-start message.
fn first_admin_password(lines: &[String]) -> String {
    lines
        .iter()
        .find_map(|line| line.split("with password ").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no first administrator password in {lines:?}"))
        .to_owned()
}

/// Reads standard output up to the line that announces the address, and returns
/// `host:port`, the lines before it, and the reader for the rest.
fn listening_address(
    child: &mut Child,
) -> (String, Vec<String>, BufReader<std::process::ChildStdout>) {
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut before = Vec::new();
    for _ in 0..10 {
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        if let Some(rest) = line.trim().strip_prefix("CityAI is running at http://") {
            return (rest.trim_end_matches('/').to_owned(), before, stdout);
        }
        before.push(line);
    }
    panic!("serve did not announce its address; output so far: {before:?}");
}

fn terminate(child: &Child) {
    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn serve_demo_lists_requests_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = cityai(dir.path())
        .args(["serve", "--demo", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (addr, before, mut stdout) = listening_address(&mut child);
    let password = first_admin_password(&before);

    // Without signing in, the console sends visitors to the sign-in form.
    let page = http_get(&addr, "/requests");
    assert!(page.starts_with("HTTP/1.1 303"), "{page}");
    assert!(page.contains("location: /login?next=/requests"), "{page}");
    let session = sign_in(&addr, "admin", &password);
    let get = |path: &str| http(&addr, "GET", path, &[("Cookie", &session)], "");

    let health = http_get(&addr, "/healthz");
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(
        health.to_ascii_lowercase().contains("x-request-id:"),
        "{health}"
    );

    let page = get("/requests?lang=en&size=10");
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(page.contains("Page 1 of"), "{page}");
    let total: u32 = page
        .split(" in all")
        .next()
        .and_then(|head| head.rsplit('>').next())
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no total on the page: {page}"));
    assert!(
        (300..=400).contains(&total),
        "demo has a few hundred requests, got {total}"
    );

    // The demo trains the router and routes the demo requests that came without a category.
    let api = get("/api/v1/requests?status=triage&size=1");
    assert!(api.starts_with("HTTP/1.1 200"), "{api}");
    assert!(
        !api.contains(r#""total":0"#),
        "the demo has requests in triage: {api}"
    );
    let routed = get("/api/v1/requests?status=received&size=1");
    assert!(
        routed.contains(r#""total":0"#),
        "every demo request is routed: {routed}"
    );

    terminate(&child);
    let status = child.wait().unwrap();
    assert!(status.success(), "serve exits cleanly on SIGTERM: {status}");
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    assert!(rest.contains("CityAI stopped."), "{rest}");
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(
        stderr.contains("request_id="),
        "request logs carry the request id: {stderr}"
    );
    assert!(!stderr.contains(&password), "the password is never logged");
}

#[test]
fn demo_is_not_loaded_twice() {
    let dir = tempfile::tempdir().unwrap();
    for (run, expected) in ["Loaded the demo data", "already holds"]
        .into_iter()
        .enumerate()
    {
        let mut child = cityai(dir.path())
            .args(["serve", "--demo", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let (_, before, _stdout) = listening_address(&mut child);
        assert!(
            before.iter().any(|line| line.contains(expected)),
            "{before:?}"
        );
        let shows_password = before.iter().any(|line| line.contains("with password"));
        assert_eq!(
            shows_password,
            run == 0,
            "the first password is shown once: {before:?}"
        );
        terminate(&child);
        assert!(child.wait().unwrap().success());
    }
}
