//! Trains on 80% of the real labelled messages and evaluates on the other 20%, split with a
//! fixed seed. The split is made here, and training never reads the evaluation rows.
#![allow(clippy::unwrap_used, clippy::print_stderr)]

use std::path::Path;

use cityai_routing::{LabelledText, RoutingModel, TrainParams};

fn messages() -> Vec<LabelledText> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/teddy2020/messages_train.csv");
    assert!(path.exists(), "missing real test data {}", path.display());
    let mut reader = csv::Reader::from_path(path).unwrap();
    reader
        .deserialize::<std::collections::HashMap<String, String>>()
        .map(|row| {
            let row = row.unwrap();
            LabelledText {
                title: Some(row["留言主题"].clone()).filter(|t| !t.is_empty()),
                body: row["留言详情"].clone(),
                label: row["一级标签"].clone(),
            }
        })
        .collect()
}

/// Splits by a hash of the row index with a fixed seed: about 20% for evaluation.
fn split(data: Vec<LabelledText>) -> (Vec<LabelledText>, Vec<LabelledText>) {
    let mut train = Vec::new();
    let mut test = Vec::new();
    for (i, row) in data.into_iter().enumerate() {
        let h = (i as u64 ^ 0x2020_7EDD).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32;
        if h.is_multiple_of(5) {
            test.push(row);
        } else {
            train.push(row);
        }
    }
    (train, test)
}

#[test]
fn held_out_split_macro_f1() {
    let (train, test) = split(messages());
    let started = std::time::Instant::now();
    let (model, report) = RoutingModel::train(
        &train,
        &TrainParams::default(),
        "test",
        "2026-12-04T00:00:00Z",
    )
    .unwrap();
    let trained = started.elapsed();
    let eval = model.evaluate(&test, &[0.95, 0.97, 0.99]);
    eprintln!(
        "train {} rows in {:.2?}; held-out {} rows: accuracy {:.4}, macro-F1 {:.4}, top-3 {:.4}, ECE {:.4}; cv macro-F1 {:?}; threshold {:?}; auto {:?}",
        train.len(),
        trained,
        test.len(),
        eval.accuracy,
        eval.macro_f1,
        eval.top3_accuracy,
        eval.expected_calibration_error,
        report.cross_validation.as_ref().map(|cv| cv.macro_f1),
        model.meta.auto_assign_threshold,
        eval.auto_assign
    );
    // A regression floor well under the measured figure, not a target.
    assert!(eval.macro_f1 > 0.88, "macro-F1 {}", eval.macro_f1);
    assert!(eval.top3_accuracy > 0.97, "top-3 {}", eval.top3_accuracy);
    assert!(
        eval.expected_calibration_error < 0.05,
        "ECE {}",
        eval.expected_calibration_error
    );
}
