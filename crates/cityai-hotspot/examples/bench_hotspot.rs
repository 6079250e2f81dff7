//! Benchmark: clusters 100,000 requests built from the real TeddyCup 2020 hot-spot messages
//! and ranks the hot spots, once as one batch and once as 100 batches of 1,000.
//!
//! Usage: `bench_hotspot HOTSPOT_CSV [ROWS]`. The input cycles through the messages. From
//! the second pass on, every place name gets a two-character marker of its pass before its
//! last character ("丽发新城" becomes "丽发新东新城"), and the submission time moves 400
//! days later per pass. Each pass is then a new set of places more than the 365-day
//! maximum gap after the last, so the copies of a message fall in the same LSH buckets
//! (they are compared) but are not linked. Prints one JSON line.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::collections::HashMap;
use std::process::ExitCode;
use std::time::Instant;

use chrono::{Duration, NaiveDateTime, TimeZone, Utc};
use cityai_hotspot::{
    HotspotIndex, HotspotQuery, HotspotRequest, LinkRule, PreparedRequest, extract_places,
};

const MARKS: &str = "东西南北中新老上下前后金银红绿";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.first() else {
        eprintln!("usage: bench_hotspot HOTSPOT_CSV [ROWS]");
        return ExitCode::from(2);
    };
    let rows: usize = match args.get(1).map(|value| value.parse()) {
        None => 100_000,
        Some(Ok(rows)) => rows,
        Some(Err(error)) => {
            eprintln!("invalid ROWS {:?}: {error}", args[1]);
            return ExitCode::from(2);
        }
    };
    let source = match read_messages(path) {
        Ok(source) if !source.is_empty() => source,
        Ok(_) => {
            eprintln!("no messages in {path}");
            return ExitCode::FAILURE;
        }
        Err(error) => {
            eprintln!("failed to read {path}: {error}");
            return ExitCode::FAILURE;
        }
    };
    let requests = build_requests(&source, rows);

    // Feature extraction alone, on one thread, to show its share of the clustering time.
    let started = Instant::now();
    let sample = requests.len().min(10_000);
    for request in &requests[..sample] {
        std::hint::black_box(PreparedRequest::new(request.clone()));
    }
    let prepare_per_10k_one_thread = started.elapsed().as_secs_f64() * 10_000.0 / sample as f64;

    // One batch: what a full recomputation costs.
    let started = Instant::now();
    let mut index = match HotspotIndex::new(LinkRule::default()) {
        Ok(index) => index,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::FAILURE;
        }
    };
    let report = match index.add_batch(requests.clone()) {
        Ok(report) => report,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::FAILURE;
        }
    };
    let cluster_seconds = started.elapsed().as_secs_f64();
    let ranked = Instant::now();
    let hotspots = index.hotspots(&HotspotQuery::default()).unwrap_or_default();
    let rank_seconds = ranked.elapsed().as_secs_f64();

    // 100 batches: the incremental path, which must give the same clusters.
    let started = Instant::now();
    let mut incremental = match HotspotIndex::new(LinkRule::default()) {
        Ok(index) => index,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::FAILURE;
        }
    };
    let batch_size = rows.div_ceil(100).max(1);
    for batch in requests.chunks(batch_size) {
        if let Err(error) = incremental.add_batch(batch.to_vec()) {
            eprintln!("{error}");
            return ExitCode::FAILURE;
        }
    }
    let incremental_seconds = started.elapsed().as_secs_f64();
    let same_clusters = incremental.clusters() == index.clusters();

    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    println!(
        "{{\"rows\":{rows},\"threads_available\":{threads},\"cluster_seconds\":{cluster_seconds:.3},\
         \"rank_seconds\":{rank_seconds:.3},\"prepare_seconds_per_10k_one_thread\":{prepare_per_10k_one_thread:.3},\"incremental_100_batches_seconds\":{incremental_seconds:.3},\
         \"pairs_compared\":{},\"links\":{},\"clusters\":{},\"hotspots_top_heat\":{:.2},\
         \"incremental_equals_full\":{same_clusters}}}",
        report.pairs_compared,
        report.links_found,
        report.clusters,
        hotspots.first().map_or(0.0, |h| h.heat.heat),
    );
    if same_clusters {
        ExitCode::SUCCESS
    } else {
        eprintln!("incremental clusters differ from the full recomputation");
        ExitCode::FAILURE
    }
}

fn read_messages(path: &str) -> Result<Vec<HotspotRequest>, Box<dyn std::error::Error>> {
    let mut reader = csv::Reader::from_path(path)?;
    let mut messages = Vec::new();
    for row in reader.deserialize::<HashMap<String, String>>() {
        let row = row?;
        let field = |name: &str| row.get(name).cloned().unwrap_or_default();
        let submitted = NaiveDateTime::parse_from_str(&field("留言时间"), "%Y-%m-%d %H:%M:%S")?;
        messages.push(HotspotRequest {
            id: field("留言编号").parse()?,
            title: Some(field("留言主题")),
            body: field("留言详情"),
            submitted_at: Some(Utc.from_utc_datetime(&submitted)),
            citizen_ref: Some(field("留言用户")),
            support_votes: field("点赞数").parse().ok(),
            objection_votes: field("反对数").parse().ok(),
        });
    }
    Ok(messages)
}

fn build_requests(source: &[HotspotRequest], rows: usize) -> Vec<HotspotRequest> {
    let marks: Vec<char> = MARKS.chars().collect();
    (0..rows)
        .map(|row| {
            let original = &source[row % source.len()];
            let pass = row / source.len();
            let mut request = original.clone();
            request.id = row as i64 + 1;
            if pass > 0 {
                let mark: String = [
                    marks[pass % marks.len()],
                    marks[(pass / marks.len() + 5) % marks.len()],
                ]
                .iter()
                .collect();
                request.title = request.title.map(|t| mark_places(&t, &mark));
                request.body = mark_places(&request.body, &mark);
                request.submitted_at = request
                    .submitted_at
                    .map(|time| time + Duration::days(400 * pass as i64));
                request.citizen_ref = request.citizen_ref.map(|c| format!("{c}-{pass}"));
            }
            request
        })
        .collect()
}

/// Inserts `mark` before the last character of the key of every place that is not a
/// masked code: "丽发新城小区" becomes "丽发新东新城小区", "联丰路" becomes "联丰东新路".
fn mark_places(text: &str, mark: &str) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    let mut copied = 0;
    for place in extract_places(text) {
        if place.text.starts_with(|c: char| c.is_ascii()) || !place.text.starts_with(&place.key) {
            continue;
        }
        let Some((last_offset, _)) = place.key.char_indices().last() else {
            continue;
        };
        let at = place.start + last_offset;
        out.push_str(&text[copied..at]);
        out.push_str(mark);
        copied = at;
    }
    out.push_str(&text[copied..]);
    out
}
