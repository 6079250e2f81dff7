//! End-to-end test of the public AI register: the real `cityai serve --demo` process driven
//! by headless Chromium through ChromeDriver, in Chinese and in English.
//!
//! A visitor reads the register and leaves feedback in each language without signing in.
//! The feedback stays hidden until AI-office staff publish it from the console.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Stdio};

use common::cityai;
use common::webdriver::{Driver, Session};

const PASSWORD: &str = "e2e-Register-Pass-2026";

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

fn start_server(data_dir: &Path) -> Server {
    let mut child = cityai(data_dir)
        .args([
            "user",
            "add",
            "office",
            "--role",
            "ai_office",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{PASSWORD}").unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "user add office: {}",
        String::from_utf8_lossy(&output.stderr)
    );

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

/// Opens the reception assistant's public entry from the list and leaves `feedback`.
fn leave_feedback(browser: &Session, feedback: &str, thanks: &str) {
    browser.navigate_by("the entry", |b| {
        b.click(&b.find("tr[data-code='cityai.reception'] a"));
    });
    assert!(
        browser.url().ends_with("/ai-register/cityai.reception"),
        "{}",
        browser.url()
    );
    let approval = browser.text(&browser.find("#approval-state"));
    assert!(!approval.is_empty());
    browser.type_text(&browser.find("#feedback-body"), feedback);
    browser.navigate_by("the thank-you notice", |b| {
        b.click(&b.find("#feedback-form button[type=submit]"));
    });
    let notice = browser.text(&browser.find("#feedback-notice"));
    assert!(notice.contains(thanks), "{notice}");
    assert!(
        !browser.main_text().contains(feedback),
        "feedback shows only after moderation"
    );
}

#[test]
fn public_register_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let server = start_server(&data_dir);
    let driver = Driver::start();
    let base = server.base.clone();

    // A visitor reads the register in Chinese and leaves feedback with a phone number.
    let visitor = driver.session(&dir.path().join("profile-visitor"));
    visitor.goto(&format!("{base}/ai-register?lang=zh-CN"));
    assert_eq!(html_lang(&visitor), "zh-CN");
    assert_eq!(
        visitor.text(&visitor.find("main h1")),
        "人工智能应用公开登记"
    );
    let names: Vec<String> = visitor
        .find_all("#public-register tbody tr td:first-child a")
        .iter()
        .map(|e| visitor.text(e))
        .collect();
    assert_eq!(names.len(), 4, "{names:?}");
    assert!(names.contains(&"智能接待助手".to_owned()), "{names:?}");
    let approvals = visitor.text(&visitor.find("tr[data-code='cityai.routing']"));
    assert!(approvals.contains("已批准"), "{approvals}");
    let chinese = "夜间能否转人工？请联系13812345678";
    leave_feedback(&visitor, chinese, "审核后将公开显示");
    visitor.assert_no_console_errors("feedback in Chinese");

    // The same visitor switches to English with the header link.
    visitor.goto(&format!("{base}/ai-register"));
    visitor.navigate_by("the English register", |b| {
        b.click(&b.find("header a[hreflang=en]"));
    });
    assert_eq!(html_lang(&visitor), "en");
    assert_eq!(
        visitor.text(&visitor.find("main h1")),
        "Public register of AI applications"
    );
    let row = visitor.text(&visitor.find("tr[data-code='cityai.reception']"));
    assert!(
        row.contains("Reception assistant") && row.contains("Approved"),
        "{row}"
    );
    let english = "Please publish how often the assistant hands over to a person.";
    leave_feedback(&visitor, english, "shown after moderation");
    visitor.assert_no_console_errors("feedback in English");

    // The AI office signs in, lands on the register and publishes the Chinese feedback.
    let office = driver.session(&dir.path().join("profile-office"));
    office.goto(&format!("{base}/login?lang=zh-CN"));
    office.type_text(&office.find("input[name=username]"), "office");
    office.type_text(&office.find("input[name=password]"), PASSWORD);
    office.navigate_by("the register", |b| {
        b.click(&b.find("form.login button[type=submit]"));
    });
    assert!(office.url().ends_with("/register"), "{}", office.url());
    let queue: Vec<String> = office
        .find_all("ul.feedback-queue li")
        .iter()
        .map(|e| office.text(e))
        .collect();
    assert_eq!(queue.len(), 2, "{queue:?}");
    assert!(
        queue.iter().all(|item| !item.contains("13812345678")),
        "feedback is stored masked: {queue:?}"
    );
    let chinese_item = office
        .find_all("ul.feedback-queue li")
        .into_iter()
        .find(|e| office.text(e).contains("夜间能否转人工"))
        .unwrap();
    let id = office.attribute(&chinese_item, "data-feedback").unwrap();
    office.navigate_by("the moderated queue", |b| {
        b.click(&b.find(&format!("li[data-feedback='{id}'] button[value=true]")));
    });
    assert_eq!(office.text(&office.find("p.notice")), "意见已审核。");
    assert_eq!(office.find_all("ul.feedback-queue li").len(), 1);
    office.assert_no_console_errors("moderation");

    // The published feedback now shows to the visitor, masked, and the pending one does not.
    visitor.goto(&format!("{base}/ai-register/cityai.reception?lang=zh-CN"));
    let published = visitor.text(&visitor.find("#published-feedback"));
    assert!(published.contains("夜间能否转人工"), "{published}");
    assert!(!published.contains("13812345678"), "{published}");
    assert!(!visitor.main_text().contains(english));
    visitor.goto(&format!("{base}/ai-register/cityai.reception?lang=en"));
    assert!(visitor.main_text().contains("Feedback from citizens"));
    assert!(
        visitor
            .text(&visitor.find("#published-feedback"))
            .contains("夜间能否转人工")
    );
    visitor.assert_no_console_errors("published feedback");
}
