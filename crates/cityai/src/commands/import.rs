//! `cityai import requests|taxonomy`.

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::anyhow;
use cityai_core::Lang;
use cityai_core::i18n::tf;
use cityai_import::{
    Field, Format, ParsedFile, ReadOptions, Reason, RejectedRow, read_requests_file, read_taxonomy,
};
use cityai_services::routing::RoutingSummary;
use cityai_store::{ImportFile, ImportResult};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use crate::cli::{GlobalOptions, ImportRequestsArgs, ImportTaxonomyArgs};
use crate::output;

/// Exit code when `--strict` met a bad row and nothing was stored.
const EXIT_STRICT_REJECTED: u8 = 3;

/// Exit code when the file had data rows and every one of them was rejected.
const EXIT_ALL_REJECTED: u8 = 4;

/// How many rejected rows the text summary lists; `--json` lists them all.
const REJECTED_SHOWN: usize = 20;

/// The `--json` summary of `import requests`.
#[derive(Debug, Serialize)]
struct RequestsSummary<'a> {
    imported: usize,
    duplicates: usize,
    rejected: usize,
    committed: bool,
    file: &'a str,
    format: &'a str,
    encoding: &'a str,
    rows_total: usize,
    categories_added: usize,
    /// The routing counts of the new requests, when a routing model is active.
    #[serde(skip_serializing_if = "Option::is_none")]
    routing: Option<RoutingSummary>,
    /// Suggested links from new requests to requests they probably repeat.
    duplicate_links: usize,
    #[serde(flatten)]
    mapping: &'a cityai_import::ColumnMapping,
    rejected_rows: Vec<RejectedRowReport>,
}

#[derive(Debug, Serialize)]
struct RejectedRowReport {
    #[serde(flatten)]
    row: RejectedRow,
    message: String,
}

pub async fn requests(
    global: &GlobalOptions,
    args: &ImportRequestsArgs,
) -> anyhow::Result<ExitCode> {
    let lang = global.lang;
    let options = ReadOptions {
        mappings: args.mappings.clone(),
        max_field_bytes: args.max_field_bytes,
        channel: args.channel,
        sheet: args.sheet.clone(),
        city_offset: global.utc_offset,
    };
    let path = args.file.clone();
    let parsed = tokio::task::spawn_blocking(move || read_requests_file(&path, &options))
        .await?
        .map_err(|err| anyhow!(err.message(lang)))?;

    let mut rejected = parsed.rejected.clone();
    let strict_failed = args.strict && !rejected.is_empty();
    let (result, routing, duplicate_links) = if strict_failed {
        (ImportResult::default(), None, 0)
    } else {
        write_rows(global, args, &parsed).await?
    };
    let external_id_column = header_of(&parsed, Field::ExternalId);
    let store = if result.conflicts.is_empty() {
        None
    } else {
        Some(super::open_store(global).await?)
    };
    for conflict in &result.conflicts {
        let fields = match &store {
            Some(store) => differing_fields(store, &parsed, conflict).await?,
            None => String::new(),
        };
        rejected.push(RejectedRow {
            row: conflict.row,
            line: None,
            column: external_id_column.clone(),
            reason: Reason::ExternalIdConflict {
                value: conflict.external_id.clone(),
                existing: conflict.existing_id,
                fields,
            },
        });
    }
    if let Some(store) = store {
        store.close().await;
    }
    rejected.sort_by_key(|r| r.row);
    let nothing_stored = args.strict && !result.committed;

    if args.json {
        output::json(&RequestsSummary {
            imported: if result.committed { result.imported } else { 0 },
            duplicates: if result.committed {
                result.duplicates
            } else {
                0
            },
            rejected: rejected.len(),
            committed: result.committed,
            file: &parsed.file_name,
            format: parsed.format.as_str(),
            encoding: &parsed.encoding,
            rows_total: parsed.rows_total,
            categories_added: result.categories_added,
            routing,
            duplicate_links,
            mapping: &parsed.mapping,
            rejected_rows: rejected
                .iter()
                .map(|row| RejectedRowReport {
                    message: row.message(lang),
                    row: row.clone(),
                })
                .collect(),
        })?;
    } else {
        print_text_summary(lang, &parsed, &result, &rejected, nothing_stored);
        if duplicate_links > 0 {
            output::line(&tf(
                lang,
                "import.duplicate_links",
                &[("links", &duplicate_links)],
            ));
        }
        if let Some(routing) = routing.filter(|r| r.routed > 0) {
            output::line(&tf(
                lang,
                "routing.imported_routed",
                &[
                    ("assigned", &routing.outcome.assigned),
                    ("triage", &routing.outcome.triage),
                ],
            ));
        }
    }

    let all_rejected = parsed.rows_total > 0 && rejected.len() == parsed.rows_total;
    Ok(if nothing_stored {
        ExitCode::from(EXIT_STRICT_REJECTED)
    } else if all_rejected {
        ExitCode::from(EXIT_ALL_REJECTED)
    } else {
        ExitCode::SUCCESS
    })
}

/// Returns the header of the column that fills `field`.
fn header_of(parsed: &ParsedFile, field: Field) -> Option<String> {
    parsed
        .mapping
        .columns
        .iter()
        .find(|(_, f)| **f == field)
        .map(|(header, _)| header.clone())
}

/// Names the columns whose values differ between a conflicting row and the stored request,
/// so that the user can tell a re-export with edited fields from an id collision.
async fn differing_fields(
    store: &cityai_store::Store,
    parsed: &ParsedFile,
    conflict: &cityai_store::RowConflict,
) -> anyhow::Result<String> {
    // The good rows are in file order, so their row numbers ascend.
    let Ok(index) = parsed.rows.binary_search_by_key(&conflict.row, |r| r.row) else {
        return Ok(String::new());
    };
    let row = &parsed.rows[index];
    let Some(stored) = store.request(conflict.existing_id).await? else {
        return Ok(String::new());
    };
    let incoming = &row.request;
    let checks = [
        (Field::Title, incoming.title != stored.title),
        (Field::Body, incoming.body != stored.body),
        (
            Field::SubmittedAt,
            incoming.submitted_at != stored.submitted_at,
        ),
        (
            Field::CitizenRef,
            incoming.citizen_ref != stored.citizen_ref,
        ),
    ];
    let names: Vec<String> = checks
        .into_iter()
        .filter(|(_, differs)| *differs)
        .map(|(field, _)| header_of(parsed, field).unwrap_or_else(|| field.as_str().to_owned()))
        .collect();
    Ok(names.join(", "))
}

/// Stores the good rows, routes the new requests that came without a category when a
/// routing model is active, and links new requests to the ones they probably repeat.
async fn write_rows(
    global: &GlobalOptions,
    args: &ImportRequestsArgs,
    parsed: &ParsedFile,
) -> anyhow::Result<(ImportResult, Option<RoutingSummary>, usize)> {
    let store = super::open_store(global).await?;
    let file = ImportFile {
        file_name: parsed.file_name.clone(),
        file_sha256: parsed.file_sha256.clone(),
        format: parsed.format.as_str().to_owned(),
        encoding: parsed.encoding.clone(),
        source: args.source.clone(),
        rows_total: parsed.rows_total,
        rows_rejected: parsed.rejected.len(),
    };

    let bar = progress_bar(global.lang, parsed.rows.len(), args.json);
    let result = store
        .import_requests(&file, &parsed.rows, args.strict, &mut |done| {
            bar.set_position(done as u64)
        })
        .await;
    bar.finish_and_clear();
    let result = result?;

    let mut routing = None;
    if result.committed
        && result.imported > 0
        && let Some(model) = cityai_services::routing::active_model(&store).await?
    {
        routing = Some(cityai_services::routing::route_pending(&store, &model).await?);
    }
    // Links are suggestions: failing to find them must not fail an import already stored.
    let duplicate_links = if result.committed && result.imported > 0 {
        match cityai_services::hotspots::link_import(&store, result.batch_id).await {
            Ok(links) => links,
            Err(err) => {
                tracing::warn!(error = %err, "linking duplicate requests failed");
                0
            }
        }
    } else {
        0
    };
    store.close().await;
    Ok((result, routing, duplicate_links))
}

/// Returns a progress bar on an interactive terminal, and a hidden one otherwise.
fn progress_bar(lang: Lang, len: usize, json: bool) -> ProgressBar {
    if json || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len as u64);
    let template = format!(
        "{} {{bar:40}} {{pos}}/{{len}} ({{eta}})",
        cityai_core::i18n::t(lang, "import.progress")
    );
    if let Ok(style) = ProgressStyle::with_template(&template) {
        bar.set_style(style);
    }
    bar
}

fn print_text_summary(
    lang: Lang,
    parsed: &ParsedFile,
    result: &ImportResult,
    rejected: &[RejectedRow],
    nothing_stored: bool,
) {
    let file_info = match parsed.format {
        Format::Csv => tf(
            lang,
            "import.file_info",
            &[
                ("file", &parsed.file_name),
                ("encoding", &parsed.encoding),
                ("rows", &parsed.rows_total),
            ],
        ),
        Format::Xlsx => tf(
            lang,
            "import.file_info_xlsx",
            &[("file", &parsed.file_name), ("rows", &parsed.rows_total)],
        ),
    };
    output::line(&file_info);
    if !parsed.mapping.unused.is_empty() {
        output::line(&tf(
            lang,
            "import.unused_columns",
            &[("columns", &parsed.mapping.unused.join(", "))],
        ));
    }
    let (imported, duplicates) = if result.committed {
        (result.imported, result.duplicates)
    } else {
        (0, 0)
    };
    output::line(&tf(
        lang,
        "import.summary",
        &[
            ("imported", &imported),
            ("duplicates", &duplicates),
            ("rejected", &rejected.len()),
        ],
    ));
    if result.categories_added > 0 {
        output::line(&tf(
            lang,
            "import.categories_added",
            &[("count", &result.categories_added)],
        ));
    }
    if !rejected.is_empty() {
        output::line(&tf(lang, "import.rejected_heading", &[]));
        for row in rejected.iter().take(REJECTED_SHOWN) {
            output::line(&format!("  {}", row.message(lang)));
        }
        if rejected.len() > REJECTED_SHOWN {
            output::line(&tf(
                lang,
                "import.rejected_more",
                &[("count", &(rejected.len() - REJECTED_SHOWN))],
            ));
        }
    }
    if nothing_stored {
        output::line(&tf(lang, "import.strict_rejected", &[]));
    }
}

pub async fn taxonomy(
    global: &GlobalOptions,
    args: &ImportTaxonomyArgs,
) -> anyhow::Result<ExitCode> {
    let lang = global.lang;
    let path = args.file.clone();
    let parsed = tokio::task::spawn_blocking(move || read_taxonomy(&path))
        .await?
        .map_err(|err| anyhow!(err.message(lang)))?;
    let store = super::open_store(global).await?;
    let summary = store
        .import_taxonomy(&parsed.departments, &parsed.entries)
        .await?;
    store.close().await;

    if args.json {
        #[derive(Serialize)]
        struct TaxonomyReport<'a> {
            #[serde(flatten)]
            summary: cityai_store::TaxonomySummary,
            entries: usize,
            rejected: usize,
            rejected_rows: &'a [RejectedRow],
        }
        output::json(&TaxonomyReport {
            summary,
            entries: parsed.entries.len(),
            rejected: parsed.rejected.len(),
            rejected_rows: &parsed.rejected,
        })?;
    } else {
        output::line(&tf(
            lang,
            "import.taxonomy_summary",
            &[
                ("added", &summary.categories_added),
                ("updated", &summary.categories_updated),
                ("departments", &summary.departments_added),
            ],
        ));
        for row in &parsed.rejected {
            output::line(&format!("  {}", row.message(lang)));
        }
    }
    Ok(ExitCode::SUCCESS)
}
