//! Knowledge search benchmark: index build rate and single-thread query latency over
//! 100,000 chunks built from the Taipei FAQ answers and the Hebei policy documents.
//!
//! Usage: `bench_knowledge SHARED_DATA_DIR [--chunks N] [--index-dir DIR] [--export FILE]`.
//! Prints one JSON line. `--export` writes the chunk texts and the queries as JSON lines
//! for the reference implementation in `bench/knowledge/`.
//!
//! The chunks cycle through the real texts. From the second pass on, each chunk gets a new
//! source id and a pass marker at the end of its text, so no two chunks are identical. The
//! queries are the Taipei FAQ question titles. With `--index-dir` the index is written
//! there (memory-mapped files); otherwise it lives in RAM.

use std::error::Error;
use std::path::{Path, PathBuf};
use std::time::Instant;

use cityai_knowledge::formats::parse_plain_text;
use cityai_knowledge::{
    Chunk, ChunkParams, KnowledgeIndex, SearchOptions, Source, SourceDocument, SourceKind,
    chunk_document,
};

fn read_csv(path: &Path, columns: &[&str]) -> Result<Vec<Vec<String>>, Box<dyn Error>> {
    let mut reader = csv::Reader::from_path(path)
        .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
    let headers = reader.headers()?.clone();
    let positions: Vec<usize> = columns
        .iter()
        .map(|name| {
            headers
                .iter()
                .position(|header| header == *name)
                .ok_or_else(|| format!("column {name} missing in {}", path.display()))
        })
        .collect::<Result<_, _>>()?;
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record?;
        rows.push(positions.iter().map(|&i| record[i].to_owned()).collect());
    }
    Ok(rows)
}

fn base_chunks(data: &Path) -> Result<(Vec<Chunk>, Vec<String>), Box<dyn Error>> {
    let taipei = read_csv(
        &data.join("taipei_faq/taipei_faq.csv"),
        &["data_id", "deptName", "news_title", "news_content_text"],
    )?;
    let hebei = read_csv(
        &data.join("hebei_policy_docs/policy_docs.csv"),
        &["标题", "内容"],
    )?;
    let params = ChunkParams::default();
    let mut chunks = Vec::new();
    let mut queries = Vec::new();
    for row in &taipei {
        let mut source = Source::new(&row[0], SourceKind::Faq);
        source.department = Some(row[1].clone());
        let document = SourceDocument {
            source,
            blocks: parse_plain_text(&row[3]),
        };
        chunks.extend(chunk_document(&document, &params)?);
        queries.push(row[2].clone());
    }
    for (number, row) in hebei.iter().enumerate() {
        let mut source = Source::new(format!("hebei-{number}"), SourceKind::Policy);
        source.title = Some(row[0].clone());
        let document = SourceDocument {
            source,
            blocks: parse_plain_text(&row[1]),
        };
        chunks.extend(chunk_document(&document, &params)?);
    }
    Ok((chunks, queries))
}

/// Writes one JSON line per chunk (`{"id", "text"}`) and then one per query
/// (`{"query"}`).
fn write_export(path: &Path, chunks: &[Chunk], queries: &[String]) -> Result<(), Box<dyn Error>> {
    use std::io::Write;
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    for chunk in chunks {
        let line = serde_json::json!({ "id": chunk.id(), "text": chunk.text });
        writeln!(out, "{line}")?;
    }
    for query in queries {
        writeln!(out, "{}", serde_json::json!({ "query": query }))?;
    }
    out.flush()?;
    Ok(())
}

fn percentile(sorted: &[f64], share: f64) -> f64 {
    let position = ((sorted.len() - 1) as f64 * share).round() as usize;
    sorted[position]
}

/// Runs every query once, single-threaded, and returns (median, p95) latency in ms.
fn measure(
    index: &KnowledgeIndex,
    queries: &[String],
    options: &SearchOptions,
) -> Result<(f64, f64), Box<dyn Error>> {
    let mut latencies = Vec::with_capacity(queries.len());
    for query in queries {
        let start = Instant::now();
        let results = index.search(query, options)?;
        latencies.push(start.elapsed().as_secs_f64() * 1000.0);
        std::hint::black_box(results);
    }
    latencies.sort_by(f64::total_cmp);
    Ok((percentile(&latencies, 0.5), percentile(&latencies, 0.95)))
}

fn main() -> Result<(), Box<dyn Error>> {
    let usage =
        "usage: bench_knowledge SHARED_DATA_DIR [--chunks N] [--index-dir DIR] [--export FILE]";
    let mut args = std::env::args().skip(1);
    let data = PathBuf::from(args.next().ok_or(usage)?);
    let mut target: usize = 100_000;
    let mut index_dir: Option<PathBuf> = None;
    let mut export: Option<PathBuf> = None;
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(usage)?;
        match flag.as_str() {
            "--chunks" => {
                target = value
                    .parse()
                    .map_err(|_| format!("invalid --chunks {value:?}: expected a count"))?;
            }
            "--index-dir" => index_dir = Some(PathBuf::from(value)),
            "--export" => export = Some(PathBuf::from(value)),
            _ => return Err(format!("unknown option {flag:?}; {usage}").into()),
        }
    }

    // Build the chunks, cycling through the real texts with a pass marker.
    let (base, queries) = base_chunks(&data)?;
    let mut chunks = Vec::with_capacity(target);
    for pass in 0.. {
        for chunk in &base {
            if chunks.len() == target {
                break;
            }
            let mut chunk = chunk.clone();
            if pass > 0 {
                chunk.source.id = format!("{}-p{pass}", chunk.source.id);
                chunk.text = format!("{}（第{pass}版）", chunk.text);
            }
            chunks.push(chunk);
        }
        if chunks.len() == target {
            break;
        }
    }

    if let Some(path) = &export {
        write_export(path, &chunks, &queries)?;
    }

    // Index build: one writer thread, including the commit.
    let index = match &index_dir {
        Some(path) => KnowledgeIndex::open_or_create(path)?,
        None => KnowledgeIndex::create_in_ram()?,
    };
    let start = Instant::now();
    let indexed = index.writer()?.rebuild(&chunks)?;
    let build_seconds = start.elapsed().as_secs_f64();

    // Warm up once, then measure with and without explanations.
    measure(
        &index,
        &queries[..100.min(queries.len())],
        &SearchOptions::default(),
    )?;
    let explained = measure(&index, &queries, &SearchOptions::default())?;
    let plain = measure(
        &index,
        &queries,
        &SearchOptions {
            explain: false,
            ..SearchOptions::default()
        },
    )?;

    let report = serde_json::json!({
        "chunks": indexed,
        "base_chunks": base.len(),
        "storage": if index_dir.is_some() { "directory" } else { "ram" },
        "build_seconds": build_seconds,
        "chunks_per_second": indexed as f64 / build_seconds,
        "queries": queries.len(),
        "median_ms_explained": explained.0,
        "p95_ms_explained": explained.1,
        "median_ms": plain.0,
        "p95_ms": plain.1,
    });
    #[allow(clippy::print_stdout)]
    {
        println!("{report}");
    }
    Ok(())
}
