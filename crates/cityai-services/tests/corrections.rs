//! Shows that staff corrections teach the router: a category the history barely covers is
//! routed badly, operators correct the new requests of that category, and the next training
//! routes held-out requests of it far better.
#![allow(clippy::unwrap_used, clippy::print_stderr)]

use std::collections::HashMap;
use std::path::Path;

use cityai_core::{CategoryPath, Channel, ImportRow, NewRequest};
use cityai_routing::{HierarchicalRouter, LabelledText, RoutingModel, TrainParams};
use cityai_services::routing::route_pending;
use cityai_store::testing::database_url_in;
use cityai_store::{ImportFile, Store};

/// The category that the starting history covers with only a handful of examples.
const SCARCE: &str = "交通运输";
const SCARCE_KEPT: usize = 15;

struct Message {
    id: String,
    title: Option<String>,
    body: String,
    label: String,
}

fn messages() -> Vec<Message> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/teddy2020/messages_train.csv");
    assert!(path.exists(), "missing real test data {}", path.display());
    let mut reader = csv::Reader::from_path(path).unwrap();
    reader
        .deserialize::<HashMap<String, String>>()
        .map(|row| {
            let row = row.unwrap();
            Message {
                id: row["record_id"].clone(),
                title: Some(row["留言主题"].clone()).filter(|t| !t.is_empty()),
                body: row["留言详情"].clone(),
                label: row["一级标签"].clone(),
            }
        })
        .collect()
}

fn is_held_out(id: &str) -> bool {
    let hash = id.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    hash.is_multiple_of(5)
}

fn import_file(rows: usize) -> ImportFile {
    ImportFile {
        file_name: "history.csv".into(),
        file_sha256: String::new(),
        format: "csv".into(),
        encoding: "UTF-8".into(),
        source: "test".into(),
        rows_total: rows,
        rows_rejected: 0,
    }
}

async fn train_from_store(store: &Store, version: &str) -> RoutingModel {
    let data: Vec<LabelledText> = store
        .labelled_requests()
        .await
        .unwrap()
        .into_iter()
        .map(|r| LabelledText {
            title: r.title,
            body: r.body,
            label: r.category.top().to_string(),
        })
        .collect();
    let params = TrainParams {
        folds: 3,
        ..TrainParams::default()
    };
    RoutingModel::train(&data, &params, version, "2026-12-04T00:00:00Z")
        .unwrap()
        .0
}

fn scarce_recall_and_macro_f1(model: &RoutingModel, held_out: &[LabelledText]) -> (f64, f64) {
    let evaluation = model.evaluate(held_out, &[]);
    let recall = evaluation
        .per_class
        .iter()
        .find(|c| c.label == SCARCE)
        .map(|c| c.recall)
        .unwrap();
    (recall, evaluation.macro_f1)
}

#[tokio::test]
async fn corrections_improve_routing_of_a_scarce_category() {
    let all = messages();
    let (held_out, train): (Vec<&Message>, Vec<&Message>) =
        all.iter().partition(|m| is_held_out(&m.id));
    let held_out: Vec<LabelledText> = held_out
        .iter()
        .map(|m| LabelledText {
            title: m.title.clone(),
            body: m.body.clone(),
            label: m.label.clone(),
        })
        .collect();

    // History: every category labelled, except that the scarce one keeps only a few labels;
    // its other requests arrive later as new, unlabelled intake.
    let mut scarce_seen = 0;
    let mut rows = Vec::new();
    let mut truth: HashMap<String, String> = HashMap::new();
    for m in &train {
        let mut request = NewRequest::new(Channel::Import, m.body.clone());
        request.external_id = Some(m.id.clone());
        request.title = m.title.clone();
        let labelled = m.label != SCARCE || {
            scarce_seen += 1;
            scarce_seen <= SCARCE_KEPT
        };
        if labelled {
            request.category = Some(CategoryPath::parse(&m.label).unwrap());
        } else {
            truth.insert(m.id.clone(), m.label.clone());
        }
        rows.push(ImportRow {
            row: rows.len() + 2,
            request,
        });
    }
    assert!(
        truth.len() > 200,
        "the scarce category needs new requests to correct"
    );

    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&database_url_in(dir.path())).await.unwrap();
    store
        .import_requests(&import_file(rows.len()), &rows, false, &mut |_| {})
        .await
        .unwrap();

    let before = train_from_store(&store, "before").await;
    let (recall_before, f1_before) = scarce_recall_and_macro_f1(&before, &held_out);

    // The router routes the new requests; operators confirm the right ones and correct the
    // wrong ones.
    let router = HierarchicalRouter::from_bytes(&{
        let mut bytes = Vec::new();
        before.write_to(&mut bytes).unwrap();
        bytes
    })
    .unwrap();
    let summary = route_pending(&store, &router).await.unwrap();
    assert_eq!(summary.routed, truth.len());
    let mut corrected = 0;
    for page in 1.. {
        let list = store
            .list_requests(
                &cityai_store::RequestFilter::default(),
                cityai_store::Page::new(page, cityai_store::Page::MAX_SIZE),
            )
            .await
            .unwrap();
        if list.items.is_empty() {
            break;
        }
        for request in list.items {
            let Some(label) = request.external_id.as_ref().and_then(|id| truth.get(id)) else {
                continue;
            };
            let suggested = request.category.as_ref().map(|c| c.top().to_string());
            if suggested.as_deref() == Some(label.as_str()) {
                store
                    .confirm_routing(request.id, "operator-7")
                    .await
                    .unwrap();
            } else {
                let category = CategoryPath::parse(label).unwrap();
                store
                    .correct_routing(request.id, &category, "operator-7")
                    .await
                    .unwrap();
                corrected += 1;
            }
        }
    }
    assert!(
        corrected > 0,
        "the first model should get some of the scarce category wrong"
    );
    let (confirmed, corrections) = store.routing_feedback_counts().await.unwrap();
    assert_eq!(corrections, corrected);
    assert_eq!(confirmed + corrections, truth.len() as i64);

    let after = train_from_store(&store, "after").await;
    let (recall_after, f1_after) = scarce_recall_and_macro_f1(&after, &held_out);
    eprintln!(
        "{SCARCE} recall {recall_before:.3} -> {recall_after:.3}, macro-F1 {f1_before:.4} -> \
         {f1_after:.4}, after {corrected} corrections and {confirmed} confirmations"
    );
    assert!(
        recall_after > recall_before + 0.2,
        "recall of {SCARCE}: {recall_before:.3} before corrections, {recall_after:.3} after"
    );
    assert!(
        f1_after > f1_before + 0.02,
        "macro-F1: {f1_before:.4} before corrections, {f1_after:.4} after"
    );
}
