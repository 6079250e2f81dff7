//! Repeated cross-validation of the router on the labelled TeddyCup 2020 messages: stratified
//! 5-fold cross-validation with three seeds, plus the two fixed 80/20 splits that the test
//! `teddy_split` and the example `bench_routing` use. Every fold trains with the default
//! settings of `cityai train routing` (its own inner cross-validation included) on the other
//! folds and is scored on rows it never saw. Prints one line per seed and split, then the mean
//! and standard deviation of macro-F1 over the 15 folds.
//!
//! Usage: `cv_routing [FILE.csv]`, where FILE.csv defaults to
//! `../shared/data/teddy2020/messages_train.csv`, relative to the working directory.
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use std::collections::BTreeMap;
use std::error::Error;
use std::path::{Path, PathBuf};
use std::time::Instant;

use cityai_routing::{LabelledText, RoutingModel, TrainParams};

const DEFAULT_CSV: &str = "../shared/data/teddy2020/messages_train.csv";
const FOLDS: usize = 5;
const SEEDS: [u64; 3] = [1, 2, 3];

/// One labelled message with its record id.
struct Row {
    record_id: String,
    text: LabelledText,
}

fn read_rows(path: &Path) -> Result<Vec<Row>, Box<dyn Error>> {
    let mut reader = csv::Reader::from_path(path)
        .map_err(|e| format!("failed to open {}: {e}", path.display()))?;
    let headers = reader.headers()?.clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or(format!("{}: missing column {name}", path.display()))
    };
    let (id, title, body, label) = (
        column("record_id")?,
        column("留言主题")?,
        column("留言详情")?,
        column("一级标签")?,
    );
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record?;
        rows.push(Row {
            record_id: record[id].to_owned(),
            text: LabelledText {
                title: Some(record[title].to_owned()).filter(|t| !t.is_empty()),
                body: record[body].to_owned(),
                label: record[label].to_owned(),
            },
        });
    }
    Ok(rows)
}

/// A SplitMix64 generator, so that the folds are the same on every run.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// Assigns every row to one of `FOLDS` folds, stratified by label. The rows of each label are
/// shuffled with `seed` and dealt out in turn.
fn stratified_folds(rows: &[Row], seed: u64) -> Vec<usize> {
    let mut by_label: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, row) in rows.iter().enumerate() {
        by_label.entry(&row.text.label).or_default().push(i);
    }
    let mut rng = SplitMix64(seed);
    let mut fold_of = vec![0; rows.len()];
    let mut next_fold = 0;
    for members in by_label.values_mut() {
        for i in (1..members.len()).rev() {
            let j = (rng.next() % (i as u64 + 1)) as usize;
            members.swap(i, j);
        }
        for &i in members.iter() {
            fold_of[i] = next_fold % FOLDS;
            next_fold += 1;
        }
    }
    fold_of
}

/// Returns the FNV-1a 64-bit hash of `bytes`.
fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Trains on the rows where `is_test` is false and returns the macro-F1 on the others.
fn score_split(rows: &[Row], is_test: impl Fn(usize) -> bool) -> Result<f64, Box<dyn Error>> {
    let (mut train, mut test) = (Vec::new(), Vec::new());
    for (i, row) in rows.iter().enumerate() {
        if is_test(i) {
            test.push(row.text.clone());
        } else {
            train.push(row.text.clone());
        }
    }
    let (model, _) = RoutingModel::train(&train, &TrainParams::default(), "cv", "cv")?;
    Ok(model.evaluate(&test, &[]).macro_f1)
}

fn mean_and_sd(values: &[f64]) -> (f64, f64) {
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / values.len() as f64;
    (mean, variance.sqrt())
}

fn main() {
    let csv = std::env::args()
        .nth(1)
        .map_or_else(|| PathBuf::from(DEFAULT_CSV), PathBuf::from);
    if let Err(error) = run(&csv) {
        eprintln!("cv_routing: {error}");
        std::process::exit(1);
    }
}

fn run(csv: &Path) -> Result<(), Box<dyn Error>> {
    let started = Instant::now();
    let rows = read_rows(csv)?;
    let mut all_folds = Vec::new();
    for seed in SEEDS {
        let fold_of = stratified_folds(&rows, seed);
        let mut scores = Vec::new();
        for fold in 0..FOLDS {
            scores.push(score_split(&rows, |i| fold_of[i] == fold)?);
        }
        let (mean, sd) = mean_and_sd(&scores);
        println!("seed {seed}: macro-F1 mean {mean:.4}, sd {sd:.4} over {FOLDS} folds");
        all_folds.extend(scores);
    }
    let (mean, sd) = mean_and_sd(&all_folds);
    println!(
        "stratified {FOLDS}-fold x {} seeds: macro-F1 mean {mean:.4}, sd {sd:.4}",
        SEEDS.len()
    );

    // The split of the test `teddy_split`: a hash of the row index.
    let by_index = score_split(&rows, |i| {
        ((i as u64 ^ 0x2020_7EDD).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32).is_multiple_of(5)
    })?;
    println!("row-index split (teddy_split): macro-F1 {by_index:.4}");
    // The split of the example `bench_routing`: a hash of the record id.
    let by_record = score_split(&rows, |i| {
        fnv1a64(rows[i].record_id.as_bytes()).is_multiple_of(5)
    })?;
    println!("record-id split (bench_routing): macro-F1 {by_record:.4}");
    println!(
        "mean of the cross-validation mean and the two splits: {:.4}; {:.0} s",
        (mean + by_index + by_record) / 3.0,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
