//! Personal-data benchmark: detects and masks personal data in the TeddyCup 2020 messages with
//! planted values, on one thread, and prints one JSON line with the throughput.
//! `bench/pii/run.sh` runs it beside the Python reference in `bench/pii/baseline.py`.
//!
//! The input is the corpus of `tests/pii_corpus.rs`: every message of `messages_train.csv`
//! with generated personal data and look-alikes planted at random places, from the same seed.
//! Each run passes over all messages once, calling `detect` and then `mask` with the default
//! policy. The figures are the median of the runs. Throughput counts the UTF-8 bytes of the
//! messages, in MB of 10^6 bytes.
//!
//! Usage: `bench_pii [--runs N] [--write-corpus OUT.csv] [FILE.csv]`, where FILE.csv defaults
//! to `../shared/data/teddy2020/messages_train.csv`, relative to the working directory.
//! `--write-corpus` also writes the planted messages to OUT.csv (one column, `text`), so that
//! the reference reads exactly the same input.
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

#[path = "../tests/support/plant.rs"]
mod plant;

use std::collections::BTreeMap;
use std::error::Error;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::Instant;

use cityai_text::pii::{MaskPolicy, PiiKind, detect, mask};

const DEFAULT_CSV: &str = "../shared/data/teddy2020/messages_train.csv";
const USAGE: &str = "usage: bench_pii [--runs N] [--write-corpus OUT.csv] [FILE.csv]";
/// The seed of the corpus test, so that both measure the same text.
const SEED: u64 = 0x5EED_2020_C17A;

/// Command-line settings.
struct Options {
    csv: PathBuf,
    runs: usize,
    write_corpus: Option<PathBuf>,
}

fn parse_options() -> Result<Options, String> {
    let mut options = Options {
        csv: PathBuf::from(DEFAULT_CSV),
        runs: 7,
        write_corpus: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--runs" => {
                let value = args
                    .next()
                    .ok_or(format!("--runs needs a value\n{USAGE}"))?;
                options.runs = value
                    .parse()
                    .ok()
                    .filter(|runs: &usize| *runs > 0)
                    .ok_or(format!("invalid --runs {value:?}: expected a number > 0"))?;
            }
            "--write-corpus" => {
                let value = args
                    .next()
                    .ok_or(format!("--write-corpus needs a path\n{USAGE}"))?;
                options.write_corpus = Some(PathBuf::from(value));
            }
            "-h" | "--help" => return Err(USAGE.to_owned()),
            flag if flag.starts_with('-') => return Err(format!("unknown option {flag}\n{USAGE}")),
            path => options.csv = PathBuf::from(path),
        }
    }
    Ok(options)
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
        eprintln!("bench_pii: {error}");
        std::process::exit(1);
    }
}

fn run(options: &Options) -> Result<(), Box<dyn Error>> {
    // Build the corpus before the clock starts.
    let messages = plant::read_messages(&options.csv)
        .map_err(|error| format!("failed to read {}: {error}", options.csv.display()))?;
    let texts: Vec<String> = plant::plant_corpus(&messages, SEED)
        .into_iter()
        .map(|message| message.text)
        .collect();
    if let Some(path) = &options.write_corpus {
        let mut writer = csv::Writer::from_path(path)?;
        writer.write_record(["text"])?;
        for text in &texts {
            writer.write_record([text])?;
        }
        writer.flush()?;
    }
    let bytes: usize = texts.iter().map(String::len).sum();
    let policy = MaskPolicy::default();

    // Detect only, then detect and mask, each over every message once per run.
    let mut detect_seconds = Vec::with_capacity(options.runs);
    let mut total_seconds = Vec::with_capacity(options.runs);
    for _ in 0..options.runs {
        let start = Instant::now();
        for text in &texts {
            black_box(detect(black_box(text)));
        }
        detect_seconds.push(start.elapsed().as_secs_f64());

        let start = Instant::now();
        for text in &texts {
            let findings = detect(black_box(text));
            black_box(mask(text, &findings, &policy));
        }
        total_seconds.push(start.elapsed().as_secs_f64());
    }

    // Count the findings once, outside the timed runs.
    let mut counts: BTreeMap<&str, usize> = PiiKind::ALL.iter().map(|k| (k.as_str(), 0)).collect();
    for text in &texts {
        for finding in detect(text) {
            *counts.entry(finding.kind.as_str()).or_default() += 1;
        }
    }

    let detect_median = median(&mut detect_seconds);
    let total_median = median(&mut total_seconds);
    let counts_json: Vec<String> = counts
        .iter()
        .map(|(kind, count)| format!("\"{kind}\":{count}"))
        .collect();
    let runs_json: Vec<String> = total_seconds.iter().map(|s| format!("{s:.4}")).collect();
    println!(
        "{{\"implementation\":\"cityai\",\"messages\":{},\"bytes\":{bytes},\"runs\":{},\
         \"detect_seconds\":{detect_median:.4},\"detect_mb_per_s\":{:.1},\
         \"detect_mask_seconds\":{total_median:.4},\"detect_mask_mb_per_s\":{:.1},\
         \"detect_mask_messages_per_s\":{:.0},\"detect_mask_runs\":[{}],\"findings\":{{{}}}}}",
        texts.len(),
        options.runs,
        bytes as f64 / 1e6 / detect_median,
        bytes as f64 / 1e6 / total_median,
        texts.len() as f64 / total_median,
        runs_json.join(","),
        counts_json.join(",")
    );
    Ok(())
}

fn median(samples: &mut [f64]) -> f64 {
    samples.sort_by(f64::total_cmp);
    let middle = samples.len() / 2;
    if samples.len() % 2 == 1 {
        samples[middle]
    } else {
        (samples[middle - 1] + samples[middle]) / 2.0
    }
}
