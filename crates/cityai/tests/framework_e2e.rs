//! The AI framework's console pages in headless Chromium, in zh-CN and English: the
//! overview, inventory with lineage, education, the ROI calculator with measured mode, the
//! roadmap and the key metrics.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Stdio};

use common::cityai;
use common::webdriver::{Driver, Session};

const PASSWORD: &str = "e2e-Framework-Pass-2026";

/// The `cityai serve` process; stopped on drop.
struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn add_user(data_dir: &Path, name: &str, role: &str) {
    let mut child = cityai(data_dir)
        .args(["user", "add", name, "--role", role, "--password-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{PASSWORD}").unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "user add {name}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn start_server(data_dir: &Path) -> Server {
    add_user(data_dir, "office", "ai_office");
    add_user(data_dir, "aud", "auditor");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_cityai"))
        .arg("--data-dir")
        .arg(data_dir)
        .arg("--database-url")
        .arg(cityai_store::testing::database_url_in(data_dir))
        .args(["serve", "--demo", "--listen", "127.0.0.1:0"])
        .env_remove("CITYAI_DATABASE_URL")
        .env_remove("CITYAI_LLM_BASE_URL")
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    for _ in 0..10 {
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        if let Some(at) = line.find("http://") {
            let base = line[at..].trim().trim_end_matches('/').to_owned();
            std::thread::spawn(move || {
                let mut sink = String::new();
                while stdout.read_line(&mut sink).unwrap_or(0) > 0 {
                    sink.clear();
                }
            });
            return Server { child, base };
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("serve did not announce its address");
}

fn sign_in(browser: &Session, base: &str, user: &str) {
    browser.goto(&format!("{base}/login"));
    browser.type_text(&browser.find("input[name=username]"), user);
    browser.type_text(&browser.find("input[name=password]"), PASSWORD);
    browser.navigate_by("the signed-in console", |b| {
        b.click(&b.find("form.login button[type=submit]"));
    });
    assert!(
        !browser.url().contains("/login"),
        "still at {}",
        browser.url()
    );
}

fn html_lang(browser: &Session) -> String {
    browser
        .script(
            "return document.documentElement.lang;",
            serde_json::json!([]),
        )
        .as_str()
        .unwrap()
        .to_owned()
}

/// Each page with the heading it shows in zh-CN and in English.
const PAGES: &[(&str, &str, &str)] = &[
    ("/framework", "AI 体系", "AI framework"),
    (
        "/framework/inventory",
        "技术体系清单",
        "Technology inventory",
    ),
    (
        "/framework/education",
        "教育与 AI 素养",
        "Education and AI literacy",
    ),
    ("/framework/roi", "投资回报计算", "ROI calculator"),
    ("/framework/roadmap", "路线图", "Roadmap"),
    ("/framework/metrics", "关键指标", "Key metrics"),
];

#[test]
fn framework_pages_in_both_languages() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(&dir.path().join("data"));
    let driver = Driver::start();
    let base = &server.base;
    let browser = driver.session(&dir.path().join("profile"));
    sign_in(&browser, base, "aud");

    for (lang, expected_lang) in [("zh-CN", "zh-CN"), ("en", "en")] {
        for (path, zh, en) in PAGES {
            browser.goto(&format!("{base}{path}?lang={lang}"));
            assert_eq!(html_lang(&browser), expected_lang, "{path}");
            let heading = browser.text(&browser.find("main h1"));
            let expected = if lang == "en" { en } else { zh };
            assert_eq!(heading, *expected, "{path} in {lang}");
            browser.assert_no_console_errors(path);
        }
    }

    // The overview explains the four pillars and the LLM era in the chosen language.
    browser.goto(&format!("{base}/framework?lang=en"));
    assert_eq!(browser.find_all("ul.pillars li").len(), 4);
    assert!(browser.main_text().contains("Large-model era"));
    browser.goto(&format!("{base}/framework?lang=zh-CN"));
    assert!(browser.main_text().contains("大模型时代"));

    // An empty inventory passes the lineage check.
    browser.goto(&format!("{base}/framework/inventory?lang=en"));
    let status = browser.text(&browser.find("#lineage-status"));
    assert!(status.contains("approved"), "{status}");

    // The calculator computes the hand-checked case from the form.
    browser.goto(&format!(
        "{base}/framework/roi?lang=en&yearly_volume=100000&minutes_before=12&minutes_after=4\
         &automated_share=0.6&staff_cost_per_hour=80&compute_cost=200000&licence_cost=100000\
         &maintenance_cost=60000&initial_cost=500000&adoption_rate=0.8&uncertainty=0.2"
    ));
    let expected_row = browser.text(&browser.find("#roi-result tbody tr:nth-child(2)"));
    assert!(expected_row.contains("6400"), "{expected_row}");
    assert!(expected_row.contains("512000"), "{expected_row}");
    assert!(expected_row.contains("39.5"), "{expected_row}");
    // Measured mode names the provenance of every input.
    let measured = browser.text(&browser.find("#measured-inputs"));
    assert!(measured.contains("measured"), "{measured}");
    assert!(measured.contains("assumed"), "{measured}");
    // An out-of-range share is named, not computed.
    browser.goto(&format!("{base}/framework/roi?lang=en&automated_share=3"));
    let error = browser.text(&browser.find("#roi-result"));
    assert!(error.contains("automated_share"), "{error}");
    browser.assert_no_console_errors("roi");
}
