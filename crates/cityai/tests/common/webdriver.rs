//! A small W3C WebDriver client over plain HTTP/1.1, for driving headless Chromium through
//! ChromeDriver in end-to-end tests.
#![allow(clippy::unwrap_used)]
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The key of an element reference in WebDriver responses.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Returns the program to run: the environment variable's value, or the Debian package's
/// binary.
fn program(variable: &str, default: &str) -> String {
    std::env::var(variable).unwrap_or_else(|_| default.to_owned())
}

/// A ChromeDriver process on a loopback port; stopped on drop.
#[derive(Debug)]
pub struct Driver {
    child: Child,
    addr: String,
}

impl Driver {
    /// Starts ChromeDriver (`CHROMEDRIVER`, default `/usr/bin/chromedriver`) and waits until
    /// it reports ready.
    ///
    /// Panics with the fix when it is not installed: the console tests must run, never skip.
    pub fn start() -> Driver {
        let binary = program("CHROMEDRIVER", "/usr/bin/chromedriver");
        assert!(
            Path::new(&binary).exists(),
            "ChromeDriver not found at {binary}: install Debian's chromium, chromium-driver and \
             fonts-noto-cjk (as .ci/run does), or set CHROMEDRIVER and CHROMIUM"
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(&binary)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let driver = Driver {
            child,
            addr: format!("127.0.0.1:{port}"),
        };
        let started = Instant::now();
        loop {
            if let Ok(status) = try_request(&driver.addr, "GET", "/status", None)
                && status["value"]["ready"].as_bool() == Some(true)
            {
                return driver;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "ChromeDriver did not start within 20 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Opens a new headless Chromium window of 1280×800 with a fresh profile.
    pub fn session(&self, profile: &Path) -> Session {
        let chromium = program("CHROMIUM", "/usr/bin/chromium");
        let capabilities = json!({
            "capabilities": { "alwaysMatch": {
                "browserName": "chrome",
                "goog:loggingPrefs": { "browser": "ALL" },
                "goog:chromeOptions": {
                    "binary": chromium,
                    // A browser set up for Chinese, as the console's users have.
                    "prefs": { "intl.accept_languages": "zh-CN,zh" },
                    "args": [
                        "--headless=new",
                        "--no-sandbox",
                        "--disable-gpu",
                        "--disable-dev-shm-usage",
                        "--disable-quic",
                        "--no-first-run",
                        "--no-default-browser-check",
                        "--disable-background-networking",
                        "--disable-component-update",
                        "--disable-default-apps",
                        "--disable-sync",
                        "--window-size=1280,800",
                        "--lang=zh-CN",
                        format!("--user-data-dir={}", profile.display()),
                    ],
                },
            }},
        });
        let reply = request(&self.addr, "POST", "/session", Some(&capabilities));
        let id = reply["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("ChromeDriver could not start Chromium: {reply}"))
            .to_owned();
        Session {
            addr: self.addr.clone(),
            id,
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One browser window; closed on drop.
#[derive(Debug)]
pub struct Session {
    addr: String,
    id: String,
}

/// A reference to an element of the current page.
#[derive(Debug, Clone)]
pub struct Element(String);

impl Session {
    fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Value {
        let reply = request(
            &self.addr,
            method,
            &format!("/session/{}{path}", self.id),
            body,
        );
        if let Some(error) = reply["value"]["error"].as_str() {
            panic!(
                "WebDriver {method} {path} failed: {error}: {}",
                reply["value"]["message"]
            );
        }
        reply["value"].clone()
    }

    pub fn goto(&self, url: &str) {
        self.call("POST", "/url", Some(&json!({ "url": url })));
    }

    pub fn url(&self) -> String {
        self.call("GET", "/url", None).as_str().unwrap().to_owned()
    }

    pub fn find(&self, css: &str) -> Element {
        let value = self.call(
            "POST",
            "/element",
            Some(&json!({ "using": "css selector", "value": css })),
        );
        Element(value[ELEMENT_KEY].as_str().unwrap().to_owned())
    }

    pub fn find_all(&self, css: &str) -> Vec<Element> {
        let value = self.call(
            "POST",
            "/elements",
            Some(&json!({ "using": "css selector", "value": css })),
        );
        value
            .as_array()
            .unwrap()
            .iter()
            .map(|e| Element(e[ELEMENT_KEY].as_str().unwrap().to_owned()))
            .collect()
    }

    pub fn click(&self, element: &Element) {
        self.call(
            "POST",
            &format!("/element/{}/click", element.0),
            Some(&json!({})),
        );
    }

    pub fn clear(&self, element: &Element) {
        self.call(
            "POST",
            &format!("/element/{}/clear", element.0),
            Some(&json!({})),
        );
    }

    pub fn type_text(&self, element: &Element, text: &str) {
        self.call(
            "POST",
            &format!("/element/{}/value", element.0),
            Some(&json!({ "text": text })),
        );
    }

    pub fn text(&self, element: &Element) -> String {
        self.call("GET", &format!("/element/{}/text", element.0), None)
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub fn attribute(&self, element: &Element, name: &str) -> Option<String> {
        self.call(
            "GET",
            &format!("/element/{}/attribute/{name}", element.0),
            None,
        )
        .as_str()
        .map(str::to_owned)
    }

    /// Runs a script in the page and returns its value.
    pub fn script(&self, script: &str, args: Value) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            Some(&json!({ "script": script, "args": args })),
        )
    }

    /// Presses and releases one key, as a user typing on the page.
    pub fn press(&self, key: &str) {
        let actions = json!({ "actions": [{
            "type": "key",
            "id": "keyboard",
            "actions": [
                { "type": "keyDown", "value": key },
                { "type": "keyUp", "value": key },
            ],
        }]});
        self.call("POST", "/actions", Some(&actions));
    }

    /// Returns the text of the page's `<main>`.
    pub fn main_text(&self) -> String {
        let main = self.find("main");
        self.text(&main)
    }

    /// Waits until `condition` holds, polling every 100 ms for up to 10 s.
    pub fn wait_until(&self, what: &str, condition: impl Fn(&Session) -> bool) {
        let started = Instant::now();
        while !condition(self) {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "timed out waiting for {what}; now at {}: {}",
                self.url(),
                self.main_text()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Runs `action`, which makes the page navigate (a click, a key), and waits until the new
    /// page has loaded completely. The old page is marked first, so that the wait cannot
    /// end on the page being left.
    pub fn navigate_by(&self, what: &str, action: impl FnOnce(&Session)) {
        self.script("window.__cityaiOldPage = true;", json!([]));
        action(self);
        self.wait_until(what, |b| {
            // While the browser switches pages a script may fail; that is "not yet".
            let reply = try_request(
                &b.addr,
                "POST",
                &format!("/session/{}/execute/sync", b.id),
                Some(&json!({
                    "script": "return !window.__cityaiOldPage && document.readyState === 'complete';",
                    "args": [],
                })),
            );
            reply.is_ok_and(|r| r["value"].as_bool() == Some(true))
        });
    }

    /// Returns the browser console entries logged since the last call.
    pub fn console_entries(&self) -> Vec<Value> {
        self.call("POST", "/se/log", Some(&json!({ "type": "browser" })))
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Panics when the browser console logged an error or a warning since the last call.
    pub fn assert_no_console_errors(&self, step: &str) {
        let problems: Vec<Value> = self
            .console_entries()
            .into_iter()
            .filter(|entry| matches!(entry["level"].as_str(), Some("SEVERE" | "WARNING")))
            .collect();
        assert!(
            problems.is_empty(),
            "{step}: the browser console reported problems: {problems:#?}"
        );
    }

    /// Drains the console after an action the test expects to be refused with `status`:
    /// panics unless every problem logged is the browser's note of that one status.
    pub fn expect_status_logged(&self, status: u16) {
        let note = format!("the server responded with a status of {status}");
        let unexpected: Vec<Value> = self
            .console_entries()
            .into_iter()
            .filter(|entry| {
                matches!(entry["level"].as_str(), Some("SEVERE" | "WARNING"))
                    && !entry["message"].as_str().is_some_and(|m| m.contains(&note))
            })
            .collect();
        assert!(
            unexpected.is_empty(),
            "the browser console reported more than the expected {status}: {unexpected:#?}"
        );
    }

    /// Saves a PNG screenshot of the window.
    pub fn screenshot(&self, path: &Path) {
        let data = self.call("GET", "/screenshot", None);
        let bytes = decode_base64(data.as_str().unwrap());
        std::fs::write(path, bytes).unwrap();
    }

    /// Resizes the window, for checking narrow layouts.
    pub fn set_window_size(&self, width: u32, height: u32) {
        self.call(
            "POST",
            "/window/rect",
            Some(&json!({ "width": width, "height": height })),
        );
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = try_request(&self.addr, "DELETE", &format!("/session/{}", self.id), None);
    }
}

/// Sends one request to ChromeDriver and returns the JSON body.
fn request(addr: &str, method: &str, path: &str, body: Option<&Value>) -> Value {
    try_request(addr, method, path, body).unwrap_or_else(|err| panic!("{err}"))
}

fn try_request(
    addr: &str,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> Result<Value, String> {
    let io = |err: std::io::Error| format!("cannot talk to ChromeDriver at {addr}: {err}");
    let mut stream = TcpStream::connect(addr).map_err(io)?;
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .map_err(io)?;
    let body = body.map(Value::to_string).unwrap_or_default();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Content-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).map_err(io)?;
    stream.write_all(body.as_bytes()).map_err(io)?;
    // Read the head, then exactly the body: ChromeDriver may keep the connection open.
    let mut raw = Vec::new();
    let mut buffer = [0u8; 8192];
    let split = loop {
        if let Some(at) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        let n = stream.read(&mut buffer).map_err(io)?;
        if n == 0 {
            return Err("ChromeDriver closed the connection before its reply's head".to_owned());
        }
        raw.extend_from_slice(&buffer[..n]);
    };
    let headers = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    let mut content = raw[split + 4..].to_vec();
    let length = headers.lines().find_map(|line| {
        line.strip_prefix("content-length:")
            .and_then(|v| v.trim().parse::<usize>().ok())
    });
    let chunked = headers.contains("transfer-encoding: chunked");
    loop {
        let complete = match length {
            Some(length) => content.len() >= length,
            None if chunked => content.windows(5).any(|w| w == b"0\r\n\r\n"),
            None => false,
        };
        if complete {
            break;
        }
        let n = stream.read(&mut buffer).map_err(io)?;
        if n == 0 {
            break;
        }
        content.extend_from_slice(&buffer[..n]);
    }
    if chunked {
        content = dechunk(&content);
    }
    serde_json::from_slice(&content).map_err(|err| {
        format!(
            "ChromeDriver replied with something other than JSON ({err}): {}",
            String::from_utf8_lossy(&content)
        )
    })
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(line_end) = data.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size_text = String::from_utf8_lossy(&data[..line_end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        let start = line_end + 2;
        out.extend_from_slice(&data[start..start + size]);
        data = &data[start + size + 2..];
    }
}

fn decode_base64(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut buffer = 0u32;
    let mut bits = 0;
    for byte in text.bytes() {
        let Some(value) = ALPHABET.iter().position(|&c| c == byte) else {
            continue;
        };
        buffer = (buffer << 6) | value as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    out
}
