//! Times every console page on the server with 100,000 requests in the store.
//!
//! Builds a SQLite store in a temporary directory from the real TeddyCup 2020 messages
//! (cycled to `BENCH_ROWS` requests, default 100,000, submitted over the last 60 days),
//! trains the router on the 9,210 labelled training messages, routes every other request,
//! imports the Taipei FAQ as knowledge, and then sends each page's request through the
//! real router in process, signed in as a reviewer, `BENCH_REPEATS` times (default 20).
//! Prints one Markdown row per page: median, p95 and maximum server time in milliseconds.
//!
//! Usage: `cargo run --release -p cityai-server --example bench_pages -- DATA_DIR`, where
//! DATA_DIR holds `teddy2020/` and `taipei_faq/` (see `bench/console/run.sh`).
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::Utc;
use cityai_core::{CategoryPath, Channel, Department, Lang, NewRequest, Role, TaxonomyEntry};
use cityai_server::{AppState, router};
use cityai_store::{ImportFile, ImportRow, NewUser, Store, sqlite_url_in};
use http_body_util::BodyExt;
use tower::ServiceExt;

const LABELS: [(&str, &str); 7] = [
    ("城乡建设", "housing"),
    ("环境保护", "ecology"),
    ("交通运输", "transport"),
    ("教育文体", "education"),
    ("劳动和社会保障", "hrss"),
    ("商贸旅游", "commerce"),
    ("卫生计生", "health"),
];

/// One message of the source files: title, text and, for training messages, the label.
struct Message {
    title: String,
    body: String,
    label: Option<String>,
}

fn read_messages(path: &Path, label_column: Option<&str>) -> Vec<Message> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let headers = reader.headers().unwrap().clone();
    let column = |name: &str| headers.iter().position(|h| h == name);
    let title = column("留言主题").unwrap();
    let body = column("留言详情").unwrap();
    let label = label_column.and_then(column);
    reader
        .records()
        .filter_map(Result::ok)
        .map(|record| Message {
            title: record[title].to_owned(),
            body: record[body].to_owned(),
            label: label
                .map(|i| record[i].to_owned())
                .filter(|l| !l.is_empty()),
        })
        .filter(|m| !m.body.trim().is_empty())
        .collect()
}

async fn build_store(dir: &Path, data: &Path, rows: usize) -> Store {
    let store = Store::open(&sqlite_url_in(dir)).await.unwrap();
    let departments: Vec<Department> = LABELS
        .iter()
        .map(|(name, code)| Department {
            code: (*code).to_owned(),
            name: format!("{name}主管部门"),
        })
        .collect();
    let taxonomy: Vec<TaxonomyEntry> = LABELS
        .iter()
        .map(|(name, code)| TaxonomyEntry {
            path: CategoryPath::parse(name).unwrap(),
            department: Some((*code).to_owned()),
        })
        .collect();
    store
        .import_taxonomy(&departments, &taxonomy)
        .await
        .unwrap();

    let train = read_messages(&data.join("teddy2020/messages_train.csv"), Some("一级标签"));
    let mut others = read_messages(&data.join("teddy2020/hotspot_messages.csv"), None);
    others.extend(read_messages(
        &data.join("teddy2020/messages_unlabeled_official_test.csv"),
        None,
    ));
    let now = Utc::now();
    let span = 60 * 24 * 3600;
    let import_rows: Vec<ImportRow> = (0..rows)
        .map(|i| {
            let (message, labelled) = if i < train.len() {
                (&train[i], true)
            } else {
                (&others[(i - train.len()) % others.len()], false)
            };
            let mut request = NewRequest::new(Channel::Web, message.body.clone());
            request.external_id = Some(format!("B{i:06}"));
            request.title = Some(message.title.clone());
            request.submitted_at = Some(now - chrono::Duration::seconds((i * 7919 % span) as i64));
            if labelled {
                request.category = message
                    .label
                    .as_deref()
                    .and_then(|l| CategoryPath::parse(l).ok());
            }
            ImportRow {
                row: i + 2,
                request,
            }
        })
        .collect();
    let file = ImportFile {
        file_name: "bench.csv".into(),
        file_sha256: String::new(),
        format: "csv".into(),
        encoding: "UTF-8".into(),
        source: "bench".into(),
        rows_total: import_rows.len(),
        rows_rejected: 0,
    };
    store
        .import_requests(&file, &import_rows, false, &mut |_| {})
        .await
        .unwrap();
    let (router, _) = cityai_services::routing::train_and_activate(
        &store,
        cityai_routing::TrainParams::default(),
    )
    .await
    .unwrap();
    let routed = cityai_services::routing::route_pending(&store, &router)
        .await
        .unwrap();
    eprintln!(
        "store: {rows} requests, {} routed ({} assigned, {} in triage)",
        routed.routed, routed.outcome.assigned, routed.outcome.triage
    );
    store
}

async fn import_knowledge(
    store: &Store,
    dir: &Path,
    data: &Path,
) -> cityai_knowledge::KnowledgeIndex {
    let columns = cityai_services::knowledge::CsvColumns {
        id: "data_id".into(),
        text: "news_content_text".into(),
        title: Some("news_title".into()),
        ..cityai_services::knowledge::CsvColumns::default()
    };
    let defaults = cityai_services::knowledge::SourceDefaults {
        kind: cityai_knowledge::SourceKind::Faq,
        classification: cityai_knowledge::Classification::General,
        department: None,
        collection: "taipei".into(),
    };
    let (documents, _) = cityai_services::knowledge::read_csv(
        &data.join("taipei_faq/taipei_faq.csv"),
        &columns,
        &defaults,
    )
    .unwrap();
    cityai_services::knowledge::import_documents(store, dir, &documents, "taipei", "bench")
        .await
        .unwrap();
    cityai_services::knowledge::open_index(store, dir)
        .await
        .unwrap()
}

#[tokio::main]
async fn main() {
    let data = std::env::args()
        .nth(1)
        .expect("usage: bench_pages DATA_DIR (the folder that holds teddy2020/ and taipei_faq/)");
    let data = Path::new(&data);
    let rows: usize = std::env::var("BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let repeats: usize = std::env::var("BENCH_REPEATS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let dir = tempfile::tempdir().unwrap();
    if std::env::var_os("BENCH_KEEP").is_some() {
        eprintln!("keeping the store in {}", dir.path().display());
    }
    let started = Instant::now();
    let store = build_store(dir.path(), data, rows).await;
    let index = import_knowledge(&store, dir.path(), data).await;
    eprintln!("setup took {:.0} s", started.elapsed().as_secs_f64());

    let user = store
        .create_user(
            &NewUser {
                username: "reviewer",
                role: Role::Reviewer,
                department: None,
                password_hash: "$argon2id$not-used-here",
            },
            "bench",
        )
        .await
        .unwrap();
    let token = "bench-session-token";
    store
        .create_session(
            &user,
            &cityai_services::auth::token_hash(token),
            "bench-csrf",
            Utc::now() + chrono::Duration::hours(2),
        )
        .await
        .unwrap();
    let mut state = AppState::new(
        store.clone(),
        Lang::ZhCn,
        cityai_core::time::default_city_offset(),
    );
    state.knowledge = Some(Arc::new(index));
    // The background work of `cityai serve`, timed on its own: indexing the requests for the
    // free-text filter (every 5 s, for the requests stored since).
    let begin = Instant::now();
    let indexed = store.catch_up_request_search().await.unwrap();
    eprintln!(
        "background work: indexing {indexed} requests for search took {:.1} s",
        begin.elapsed().as_secs_f64()
    );
    let dashboard = state.dashboard.clone();
    let offset = state.city_offset;
    let app = router(state);

    // More background work: the dashboard's aggregation
    // (every 20 s) and building the hot-spot index over every stored request (at start).
    let begin = Instant::now();
    dashboard.refresh(&store, offset, None).await.unwrap();
    let dashboard_ms = begin.elapsed().as_secs_f64() * 1000.0;
    let begin = Instant::now();
    let hotspots = app
        .clone()
        .oneshot(
            Request::builder()
                .uri("/api/v1/hotspots")
                .header(header::COOKIE, format!("cityai_session={token}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(hotspots.status(), StatusCode::OK);
    let hotspot_ms = begin.elapsed().as_secs_f64() * 1000.0;
    eprintln!(
        "background work: dashboard aggregation {dashboard_ms:.0} ms, first hot-spot index build {hotspot_ms:.0} ms"
    );

    let triage_id = store.next_in_triage(None, None).await.unwrap().unwrap_or(1);
    let detail = format!("/requests/{}", rows / 2);
    let triage = format!("/triage?id={triage_id}");
    let pages: Vec<(&str, String)> =
        vec![
        ("Dashboard", "/dashboard".to_owned()),
        ("Inbox, first page", "/requests".to_owned()),
        (
            "Inbox, status and category filter",
            "/requests?status=assigned&category=%E5%9F%8E%E4%B9%A1%E5%BB%BA%E8%AE%BE".to_owned(),
        ),
        (
            "Inbox, free-text filter",
            "/requests?q=%E5%99%AA%E9%9F%B3".to_owned(),
        ),
        ("Inbox, page 2,000", "/requests?page=2000".to_owned()),
        ("Triage queue", triage),
        ("Request detail", detail),
        (
            "Knowledge search",
            "/knowledge?q=%E5%A6%82%E4%BD%95%E7%94%B3%E8%AB%8B%E4%BD%8E%E6%94%B6%E5%85%A5%E6%88%B6"
                .to_owned(),
        ),
        ("Hot spots (served from the live index)", "/hotspots".to_owned()),
    ];
    println!("| Page | URL | Median (ms) | p95 (ms) | Max (ms) |");
    println!("|---|---|---:|---:|---:|");
    for (name, path) in pages {
        let mut times = Vec::with_capacity(repeats);
        for i in 0..=repeats {
            let request = Request::builder()
                .uri(&path)
                .header(header::COOKIE, format!("cityai_session={token}"))
                .body(Body::empty())
                .unwrap();
            let begin = Instant::now();
            let response = app.clone().oneshot(request).await.unwrap();
            let status = response.status();
            let body = response.into_body().collect().await.unwrap().to_bytes();
            let elapsed = begin.elapsed();
            assert_eq!(
                status,
                StatusCode::OK,
                "{path}: {}",
                String::from_utf8_lossy(&body)
            );
            // The first request warms caches and is not counted.
            if i > 0 {
                times.push(elapsed);
            }
        }
        times.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let p95 = times[((times.len() as f64 * 0.95).ceil() as usize).saturating_sub(1)];
        println!(
            "| {name} | `{}` | {:.1} | {:.1} | {:.1} |",
            path.split('?').next().unwrap(),
            ms(times[times.len() / 2]),
            ms(p95),
            ms(*times.last().unwrap())
        );
    }
    if std::env::var_os("BENCH_KEEP").is_some() {
        let _ = dir.keep();
    }
}
