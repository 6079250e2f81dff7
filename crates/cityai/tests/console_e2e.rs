//! End-to-end tests of the web console: the real `cityai serve --demo` process with real
//! Taipei FAQ knowledge imported, driven by headless Chromium through ChromeDriver.
//!
//! One server serves every step. Each step opens its own browser window, acts as a user
//! would, and fails when the browser console logs an error or a warning.
//!
//! Set `CITYAI_SCREENSHOTS=DIR` to also save a screenshot of every console page in both
//! languages at 1280×800 and at a narrow 420×860 into DIR (`scripts/screenshots.sh`).
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Stdio};

use common::webdriver::{Driver, Session};
use common::{cityai, shared_data};

const PASSWORD: &str = "e2e-Console-Pass-2026";

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

fn add_user(data_dir: &Path, name: &str, role: &str, department: Option<&str>) {
    let mut command = cityai(data_dir);
    command.args(["user", "add", name, "--role", role, "--password-stdin"]);
    if let Some(department) = department {
        command.args(["--department", department]);
    }
    let mut child = command
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

/// Imports the Taipei FAQ, creates the users, and starts `serve --demo` in Chinese.
fn start_server(data_dir: &Path) -> Server {
    let faq = shared_data("taipei_faq/taipei_faq.csv");
    let output = cityai(data_dir)
        .args(["import", "knowledge"])
        .arg(&faq)
        .args([
            "--id-column",
            "data_id",
            "--text-column",
            "news_content_text",
            "--title-column",
            "news_title",
            "--kind",
            "faq",
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "knowledge import: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    add_user(data_dir, "op", "operator", None);
    add_user(data_dir, "rev", "reviewer", None);

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
    let mut seen = Vec::new();
    for _ in 0..10 {
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        if let Some(at) = line.find("http://") {
            let base = line[at..].trim().trim_end_matches('/').to_owned();
            // Keep reading standard output so the server never blocks on a full pipe.
            std::thread::spawn(move || {
                let mut sink = String::new();
                while stdout.read_line(&mut sink).unwrap_or(0) > 0 {
                    sink.clear();
                }
            });
            return Server { child, base };
        }
        seen.push(line);
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("serve did not announce its address: {seen:?}");
}

fn sign_in(browser: &Session, base: &str, user: &str) {
    browser.goto(&format!("{base}/login"));
    let name = browser.find("input[name=username]");
    browser.type_text(&name, user);
    let password = browser.find("input[name=password]");
    browser.type_text(&password, PASSWORD);
    browser.navigate_by("the signed-in console", |b| {
        b.click(&b.find("form.login button[type=submit]"));
    });
    assert!(
        !browser.url().contains("/login"),
        "still at {}",
        browser.url()
    );
    let account = browser.text(&browser.find("header .user"));
    assert!(account.starts_with(user), "header shows {account:?}");
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

fn step_sign_in(driver: &Driver, dir: &Path, base: &str) {
    let browser = driver.session(&dir.join("profile-sign-in"));
    // A wrong password is refused with a message and no session.
    browser.goto(&format!("{base}/login"));
    browser.type_text(&browser.find("input[name=username]"), "op");
    browser.type_text(&browser.find("input[name=password]"), "wrong-password");
    browser.navigate_by("the refusal", |b| {
        b.click(&b.find("form.login button[type=submit]"));
    });
    assert!(!browser.find_all("p.error").is_empty());
    assert!(browser.url().contains("/login"));
    browser.expect_status_logged(401);
    sign_in(&browser, base, "op");
    assert_eq!(html_lang(&browser), "zh-CN");
    browser.assert_no_console_errors("sign in");
}

fn step_filter_inbox(driver: &Driver, dir: &Path, base: &str) {
    let browser = driver.session(&dir.join("profile-inbox"));
    sign_in(&browser, base, "op");
    browser.goto(&format!("{base}/requests"));
    let all_rows = browser.find_all("tbody tr").len();
    assert!(all_rows > 0);
    // Choose "in triage" in the status drop-down and apply.
    browser.script(
        "const s = document.querySelector('select[name=status]'); s.value = 'triage';",
        serde_json::json!([]),
    );
    browser.navigate_by("the filtered list", |b| {
        b.click(&b.find("form.filters button[type=submit]"));
    });
    assert!(browser.url().contains("status=triage"), "{}", browser.url());
    let badges: Vec<String> = browser
        .find_all("tbody td span.badge.triage, tbody td span.badge")
        .iter()
        .map(|e| browser.text(e))
        .filter(|t| !t.starts_with("疑似重复"))
        .collect();
    assert!(!badges.is_empty(), "the demo has requests in triage");
    assert!(
        badges.iter().all(|b| b == "待分拨"),
        "every row is in triage: {badges:?}"
    );
    let counts = browser.text(&browser.find("p.counts"));
    assert!(counts.contains("待分拨"), "{counts}");
    // Free text narrows further, and the filters stay in the form.
    let first_title = browser.text(&browser.find("tbody tr td:nth-child(2) a"));
    let word: String = first_title.chars().take(4).collect();
    let search = browser.find("input[name=q]");
    browser.clear(&search);
    browser.type_text(&search, &word);
    browser.navigate_by("the text filter", |b| {
        b.click(&b.find("form.filters button[type=submit]"));
    });
    assert!(browser.url().contains("q="), "{}", browser.url());
    let titles: Vec<String> = browser
        .find_all("tbody tr td:nth-child(2) a")
        .iter()
        .map(|e| browser.text(e))
        .collect();
    assert!(titles.contains(&first_title), "{titles:?}");
    let status = browser.script(
        "return document.querySelector('select[name=status]').value;",
        serde_json::json!([]),
    );
    assert_eq!(status.as_str(), Some("triage"));
    browser.assert_no_console_errors("filter the inbox");
}

/// Returns the id of the request the triage page shows.
fn triage_request_id(browser: &Session) -> i64 {
    let link = browser.text(&browser.find("#request-title a"));
    link.trim_start_matches('#').parse().unwrap()
}

fn step_triage(driver: &Driver, dir: &Path, base: &str) {
    let browser = driver.session(&dir.join("profile-triage"));
    sign_in(&browser, base, "op");
    browser.goto(&format!("{base}/triage"));
    let first = triage_request_id(&browser);
    let suggestion = browser.text(&browser.find("form[data-key='1'] strong"));
    // Key 1 takes the top suggestion, and the next request opens at once.
    browser.navigate_by("the next request", |b| b.press("1"));
    assert!(
        browser.url().contains(&format!("done={first}")),
        "{}",
        browser.url()
    );
    let notice = browser.text(&browser.find("p.notice"));
    assert!(
        notice.contains(&format!("#{first}")) && notice.contains(&suggestion),
        "{notice}"
    );
    let second = triage_request_id(&browser);
    assert_ne!(first, second);

    // Correct the second one to a category the router did not suggest.
    let suggested: Vec<String> = browser
        .find_all("ol.suggestions strong")
        .iter()
        .map(|e| browser.text(e))
        .collect();
    let chosen = browser
        .script(
            "const s = document.querySelector('form.other select');\
             const pick = [...s.options].find(o => o.value && !arguments[0].includes(o.value));\
             s.value = pick.value; return pick.value;",
            serde_json::json!([suggested]),
        )
        .as_str()
        .unwrap()
        .to_owned();
    browser.navigate_by("the correction", |b| {
        b.click(&b.find("form.other button[type=submit]"));
    });
    assert!(
        browser.url().contains(&format!("done={second}")),
        "{}",
        browser.url()
    );
    let notice = browser.text(&browser.find("p.notice"));
    assert!(notice.contains(&chosen), "{notice}");

    // Both decisions are on the requests' timelines with who made them.
    browser.goto(&format!("{base}/requests/{first}"));
    let timeline = browser.text(&browser.find("ol.timeline"));
    assert!(
        timeline.contains("人工确认分类") && timeline.contains(" op"),
        "{timeline}"
    );
    browser.goto(&format!("{base}/requests/{second}"));
    let timeline = browser.text(&browser.find("ol.timeline"));
    assert!(
        timeline.contains("人工改派") && timeline.contains(&chosen),
        "{timeline}"
    );
    browser.assert_no_console_errors("triage");
}

fn step_knowledge(driver: &Driver, dir: &Path, base: &str) {
    let browser = driver.session(&dir.join("profile-knowledge"));
    sign_in(&browser, base, "op");
    browser.goto(&format!("{base}/knowledge"));
    let question = browser.find("input[name=q]");
    // A real Taipei FAQ question, asked in Simplified Chinese.
    browser.type_text(&question, "台北车站K区地下街由谁经营管理");
    browser.navigate_by("the results", |b| {
        b.click(&b.find("form.search button[type=submit]"));
    });
    let first = browser.text(&browser.find("ol.passages li"));
    assert!(first.contains("誠品生活"), "{first}");
    let answer = browser.text(&browser.find("p.answer"));
    assert!(
        answer.contains("[1]"),
        "the answer cites its source: {answer}"
    );
    assert!(
        browser.text(&browser.find("p.why")).contains("命中"),
        "the score is explained"
    );
    browser.assert_no_console_errors("knowledge search");
}

fn step_reply(driver: &Driver, dir: &Path, base: &str) {
    let browser = driver.session(&dir.join("profile-reply"));
    sign_in(&browser, base, "rev");
    browser.goto(&format!("{base}/requests?status=assigned"));
    browser.navigate_by("the request page", |b| {
        b.click(&b.find("tbody tr td:nth-child(2) a"));
    });
    let url = browser.url();
    browser.navigate_by("the draft", |b| {
        b.click(&b.find("form.inline[action$='/reply/draft'] button"));
    });
    let label = browser.text(&browser.find("form.reply .ai-label"));
    assert!(label.contains("人工智能生成"), "{label}");
    let draft = browser
        .script(
            "return document.querySelector('form.reply textarea').value;",
            serde_json::json!([]),
        )
        .as_str()
        .unwrap()
        .to_owned();
    assert!(draft.starts_with("您好"), "{draft}");
    assert!(
        draft.contains("【请填写"),
        "the draft leaves the facts to the handler: {draft}"
    );
    // The quality check of the draft points at the fill-in fields.
    let quality = browser.text(&browser.find("section.reply-quality"));
    assert!(quality.contains("答复质量检查"), "{quality}");
    assert!(quality.contains("检查对象：当前草稿"), "{quality}");
    assert!(quality.contains("答复中还有待填写的内容。"), "{quality}");

    // Approving with the fill-in fields left is refused, and the text is kept.
    browser.navigate_by("the refusal", |b| {
        b.click(&b.find("form.reply button[value=approve]"));
    });
    assert!(browser.text(&browser.find("p.error")).contains("请填写"));
    browser.expect_status_logged(422);

    // The handler writes the facts in and approves.
    let textarea = browser.find("form.reply textarea");
    let edited = draft
        .lines()
        .map(|line| match line.find("【请填写") {
            Some(at) => format!("{}经现场核查，问题已于12月3日处理完毕。", &line[..at]),
            None => line.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    browser.clear(&textarea);
    browser.type_text(&textarea, &edited);
    browser.navigate_by("the published reply", |b| {
        b.click(&b.find("form.reply button[value=approve]"));
    });
    assert!(browser.url().contains("done=approved"), "{}", browser.url());
    assert!(
        browser
            .url()
            .starts_with(&url.split('?').next().unwrap().to_owned())
    );
    let reply = browser.text(&browser.find("article.reply"));
    assert!(reply.contains("审核人 rev"), "{reply}");
    assert!(reply.contains("经现场核查"), "{reply}");
    let status = browser.text(&browser.find("dl.summary span.badge"));
    assert_eq!(status, "已答复");
    let timeline = browser.text(&browser.find("ol.timeline"));
    assert!(timeline.contains("审核发布答复"), "{timeline}");
    let quality = browser.text(&browser.find("section.reply-quality"));
    assert!(quality.contains("检查对象：已发布的答复。"), "{quality}");
    assert!(!quality.contains("待填写"), "{quality}");
    browser.assert_no_console_errors("approve a drafted reply");
}

fn step_switch_language(driver: &Driver, dir: &Path, base: &str) {
    let browser = driver.session(&dir.join("profile-language"));
    sign_in(&browser, base, "op");
    browser.goto(&format!("{base}/dashboard"));
    assert_eq!(html_lang(&browser), "zh-CN");
    assert_eq!(browser.text(&browser.find("h1")), "工作台");
    browser.navigate_by("English", |b| {
        b.click(&b.find("header .account a[hreflang=en]"))
    });
    assert_eq!(html_lang(&browser), "en");
    assert_eq!(browser.text(&browser.find("h1")), "Dashboard");
    // The choice is remembered on the next page, without a parameter.
    browser.goto(&format!("{base}/triage"));
    assert_eq!(html_lang(&browser), "en");
    assert!(browser.main_text().contains("Suggestions") || browser.main_text().contains("empty"));
    // The dashboard's charts are drawn on the server as SVG.
    browser.goto(&format!("{base}/dashboard"));
    assert_eq!(browser.find_all("svg.chart").len(), 2);
    browser.navigate_by("Chinese", |b| {
        b.click(&b.find("header .account a[hreflang=zh-CN]"))
    });
    assert_eq!(html_lang(&browser), "zh-CN");
    browser.assert_no_console_errors("switch language");
}

/// Saves screenshots of every page in both languages at two window sizes, when asked to.
fn screenshots(driver: &Driver, dir: &Path, base: &str) {
    let Ok(out) = std::env::var("CITYAI_SCREENSHOTS") else {
        return;
    };
    let out = Path::new(&out);
    std::fs::create_dir_all(out).unwrap();
    let browser = driver.session(&dir.join("profile-screens"));
    sign_in(&browser, base, "rev");
    let pages = [
        ("dashboard", "/dashboard"),
        ("requests", "/requests"),
        ("triage", "/triage"),
        ("detail", "/requests/5"),
        ("hotspots", "/hotspots"),
        (
            "knowledge",
            "/knowledge?q=%E8%B7%AF%E7%81%AF%E4%B8%8D%E4%BA%AE%E6%80%8E%E4%B9%88%E6%8A%A5%E4%BF%AE",
        ),
    ];
    for (width, height) in [(1280, 800), (420, 860)] {
        browser.set_window_size(width, height);
        for lang in ["zh-CN", "en"] {
            for (name, path) in pages {
                let sep = if path.contains('?') { '&' } else { '?' };
                browser.goto(&format!("{base}{path}{sep}lang={lang}"));
                browser.screenshot(&out.join(format!("{name}-{lang}-{width}.png")));
                browser.assert_no_console_errors(&format!("screenshot {name} {lang}"));
            }
        }
    }
}

#[test]
fn console_end_to_end_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let server = start_server(&data_dir);
    let driver = Driver::start();
    let base = server.base.clone();

    step_sign_in(&driver, dir.path(), &base);
    step_filter_inbox(&driver, dir.path(), &base);
    step_triage(&driver, dir.path(), &base);
    step_knowledge(&driver, dir.path(), &base);
    step_reply(&driver, dir.path(), &base);
    step_switch_language(&driver, dir.path(), &base);
    screenshots(&driver, dir.path(), &base);
}
