//! Routing benchmark: trains the router on 80% of the labelled TeddyCup 2020 messages, routes
//! the other 20% and prints one JSON line with the times and measures. `bench/routing/run.sh`
//! runs it beside the scikit-learn reference in `bench/routing/sklearn_baseline.py`, which
//! makes the same split from the same file.
//!
//! The split: a row goes to the test part when the FNV-1a 64-bit hash of the UTF-8 bytes of
//! its `record_id` is divisible by 5, and to the training part otherwise.
//!
//! Usage: `bench_routing [--fit-predict-only] [--route-seconds S] [FILE.csv]`, where FILE.csv
//! defaults to `../shared/data/teddy2020/messages_train.csv`, relative to the working
//! directory.
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use std::error::Error;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use cityai_routing::{LabelledText, RoutingModel, TrainParams, prepare_text};

const DEFAULT_CSV: &str = "../shared/data/teddy2020/messages_train.csv";
const USAGE: &str = "usage: bench_routing [--fit-predict-only] [--route-seconds S] [FILE.csv]";

/// Command-line settings.
struct Options {
    csv: PathBuf,
    /// Skips the calibrated training and the routing loop, for runs pinned to one core.
    fit_predict_only: bool,
    /// The minimum time the routing loop runs, in seconds.
    route_seconds: f64,
}

fn parse_options() -> Result<Options, String> {
    let mut options = Options {
        csv: PathBuf::from(DEFAULT_CSV),
        fit_predict_only: false,
        route_seconds: 2.0,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--fit-predict-only" => options.fit_predict_only = true,
            "--route-seconds" => {
                let value = args
                    .next()
                    .ok_or(format!("--route-seconds needs a value\n{USAGE}"))?;
                options.route_seconds =
                    value
                        .parse()
                        .ok()
                        .filter(|s: &f64| *s > 0.0)
                        .ok_or(format!(
                            "invalid --route-seconds {value:?}: expected seconds > 0"
                        ))?;
            }
            "-h" | "--help" => return Err(USAGE.to_owned()),
            flag if flag.starts_with('-') => return Err(format!("unknown option {flag}\n{USAGE}")),
            path => options.csv = PathBuf::from(path),
        }
    }
    Ok(options)
}

/// Returns the FNV-1a 64-bit hash of `bytes`.
fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Reads the labelled messages and splits them into training and test parts by record id.
fn read_split(path: &Path) -> Result<(Vec<LabelledText>, Vec<LabelledText>), Box<dyn Error>> {
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

    let (mut train, mut test) = (Vec::new(), Vec::new());
    for record in reader.records() {
        let record = record?;
        let row = LabelledText {
            title: Some(record[title].to_owned()).filter(|t| !t.is_empty()),
            body: record[body].to_owned(),
            label: record[label].to_owned(),
        };
        if fnv1a64(record[id].as_bytes()).is_multiple_of(5) {
            test.push(row);
        } else {
            train.push(row);
        }
    }
    Ok((train, test))
}

/// Returns the FNV-1a 64-bit hash of every prepared text, training part first, each followed
/// by a newline. The scikit-learn script prints the same hash, so `run.sh` can check that both
/// sides read the same texts.
fn text_hash(train: &[LabelledText], test: &[LabelledText]) -> String {
    let mut joined = Vec::new();
    for row in train.iter().chain(test) {
        let text: String = prepare_text(row.title.as_deref(), &row.body)
            .into_iter()
            .collect();
        joined.extend_from_slice(text.as_bytes());
        joined.push(b'\n');
    }
    format!("{:016x}", fnv1a64(&joined))
}

/// Returns the index of the largest value.
fn argmax(values: &[f64]) -> usize {
    let mut best = 0;
    for (i, value) in values.iter().enumerate() {
        if *value > values[best] {
            best = i;
        }
    }
    best
}

/// Returns accuracy and macro-F1 as scikit-learn's `f1_score(average="macro")` computes them:
/// the mean F1 over every label that occurs in the truths or the predictions.
fn accuracy_macro_f1(truths: &[&str], predicted: &[&str]) -> (f64, f64) {
    let mut labels: Vec<&str> = truths.iter().chain(predicted).copied().collect();
    labels.sort_unstable();
    labels.dedup();
    let correct = truths.iter().zip(predicted).filter(|(t, p)| t == p).count();
    let f1_sum: f64 = labels
        .iter()
        .map(|label| {
            let true_positive = truths
                .iter()
                .zip(predicted)
                .filter(|(t, p)| *t == label && *p == label)
                .count() as f64;
            let actual = truths.iter().filter(|t| *t == label).count() as f64;
            let guessed = predicted.iter().filter(|p| *p == label).count() as f64;
            if actual + guessed > 0.0 {
                2.0 * true_positive / (actual + guessed)
            } else {
                0.0
            }
        })
        .sum();
    (
        correct as f64 / truths.len().max(1) as f64,
        f1_sum / labels.len().max(1) as f64,
    )
}

/// Routes the test rows with `predict` (top 3 and evidence), pass after pass, until at least
/// `min_seconds` have passed. Returns the number of requests routed and the elapsed time.
fn route_repeatedly(
    model: &RoutingModel,
    test: &[LabelledText],
    min_seconds: f64,
) -> (usize, Duration) {
    let started = Instant::now();
    let mut routed = 0;
    while started.elapsed().as_secs_f64() < min_seconds {
        for row in test {
            black_box(model.predict(black_box(row.title.as_deref()), black_box(&row.body)));
        }
        routed += test.len();
    }
    (routed, started.elapsed())
}

fn main() {
    let options = match parse_options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    if let Err(error) = run(&options) {
        eprintln!("bench_routing: {error}");
        std::process::exit(1);
    }
}

fn run(options: &Options) -> Result<(), Box<dyn Error>> {
    let (train, test) = read_split(&options.csv)?;
    if test.is_empty() {
        return Err(format!("{}: the split left no test rows", options.csv.display()).into());
    }
    let truths: Vec<&str> = test.iter().map(|row| row.label.as_str()).collect();
    let mut report = serde_json::json!({
        "implementation": "cityai NBSVM",
        "train_rows": train.len(),
        "test_rows": test.len(),
        "text_fnv1a64": text_hash(&train, &test),
        "threads_available": std::thread::available_parallelism().map_or(1, usize::from),
    });

    // The same work as the scikit-learn pipeline: one fit without cross-validation, then
    // the argmax of the probabilities of every test row.
    let uncalibrated = TrainParams {
        folds: 0,
        ..TrainParams::default()
    };
    let started = Instant::now();
    let (model, _) = RoutingModel::train(&train, &uncalibrated, "bench", "bench")?;
    let predicted: Vec<&str> = test
        .iter()
        .map(|row| {
            let probabilities = model.probabilities(row.title.as_deref(), &row.body);
            model.meta.labels[argmax(&probabilities)].as_str()
        })
        .collect();
    let fit_predict_seconds = started.elapsed().as_secs_f64();
    let (accuracy, macro_f1) = accuracy_macro_f1(&truths, &predicted);
    report["fit_predict_seconds"] = fit_predict_seconds.into();
    report["accuracy"] = accuracy.into();
    report["macro_f1"] = macro_f1.into();

    if !options.fit_predict_only {
        // Training with the default settings, as `cityai train routing` uses them: 5-fold
        // cross-validation to calibrate, then the final fit.
        let started = Instant::now();
        let (calibrated, train_report) =
            RoutingModel::train(&train, &TrainParams::default(), "bench", "bench")?;
        report["train_calibrated_seconds"] = started.elapsed().as_secs_f64().into();
        let evaluation = calibrated.evaluate(&test, &[]);
        report["calibrated_accuracy"] = evaluation.accuracy.into();
        report["calibrated_macro_f1"] = evaluation.macro_f1.into();
        report["calibrated_cv_macro_f1"] =
            train_report.cross_validation.map(|cv| cv.macro_f1).into();

        // Routing with the calibrated model, on the main thread only.
        let (routed, elapsed) = route_repeatedly(&calibrated, &test, options.route_seconds);
        report["route_requests"] = routed.into();
        report["route_seconds"] = elapsed.as_secs_f64().into();
        report["route_per_second_one_core"] = (routed as f64 / elapsed.as_secs_f64()).into();
    }

    println!("{report}");
    Ok(())
}
