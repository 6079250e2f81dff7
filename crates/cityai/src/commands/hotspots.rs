//! `cityai hotspots`: the ranked hot spots of a time window, on screen or exported.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, anyhow};
use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use cityai_core::i18n::{t, tf};
use cityai_hotspot::Hotspot;
use serde_json::json;

use crate::cli::{GlobalOptions, HotspotsArgs};
use crate::output;

/// Returns the UTC instant of a local time of day on `day` at the city's offset.
fn local(global: &GlobalOptions, day: NaiveDate, time: NaiveTime) -> Option<DateTime<Utc>> {
    global
        .utc_offset
        .from_local_datetime(&day.and_time(time))
        .single()
        .map(|t| t.with_timezone(&Utc))
}

pub async fn run(global: &GlobalOptions, args: &HotspotsArgs) -> anyhow::Result<ExitCode> {
    let lang = global.lang;
    let from = args.from.and_then(|d| local(global, d, NaiveTime::MIN));
    let to = args.to.and_then(|d| {
        local(
            global,
            d,
            NaiveTime::from_hms_opt(23, 59, 59).unwrap_or(NaiveTime::MIN),
        )
    });
    if let (Some(from), Some(to)) = (from, to)
        && from > to
    {
        return Err(anyhow!(t(lang, "hotspots.from_after_to")));
    }
    let store = super::open_store(global).await?;
    let (spots, considered) =
        cityai_services::hotspots::hotspots(&store, from, to, None, usize::from(args.top)).await?;
    let titles = member_titles(&store, &spots).await?;
    store.close().await;
    if let Some(path) = &args.export {
        export(path, &spots, &titles, global)?;
        output::line(&tf(lang, "hotspots.exported", &[("file", &path.display())]));
    }
    if args.json {
        output::json(&json!({"requests_considered": considered, "hotspots": spots}))?;
        return Ok(ExitCode::SUCCESS);
    }
    output::line(&tf(
        lang,
        "hotspots.summary",
        &[("count", &spots.len()), ("requests", &considered)],
    ));
    for spot in &spots {
        output::line(&tf(
            lang,
            "hotspots.row",
            &[
                ("rank", &spot.rank),
                ("heat", &format!("{:.1}", spot.heat.heat)),
                ("requests", &spot.heat.requests),
                ("citizens", &spot.heat.citizens),
                ("support", &spot.heat.support_votes),
                ("place", &spot.place.as_deref().unwrap_or("-")),
                ("range", &range(spot, global)),
                ("summary", &spot.summary),
            ],
        ));
    }
    Ok(ExitCode::SUCCESS)
}

fn range(spot: &Hotspot, global: &GlobalOptions) -> String {
    let day = |t: Option<DateTime<Utc>>| {
        t.map(|t| {
            t.with_timezone(&global.utc_offset)
                .format("%Y-%m-%d")
                .to_string()
        })
        .unwrap_or_else(|| "?".to_owned())
    };
    format!("{}～{}", day(spot.first_at), day(spot.last_at))
}

/// Returns the (masked) title of every member request, for the member export.
async fn member_titles(
    store: &cityai_store::Store,
    spots: &[Hotspot],
) -> anyhow::Result<std::collections::HashMap<i64, String>> {
    let mut titles = std::collections::HashMap::new();
    for id in spots.iter().flat_map(|s| &s.request_ids) {
        if let Some(request) = store.request(*id).await? {
            let title = request
                .title
                .unwrap_or_else(|| request.body.chars().take(40).collect());
            titles.insert(*id, title);
        }
    }
    Ok(titles)
}

const TABLE_HEADER: [&str; 10] = [
    "rank",
    "heat",
    "requests",
    "citizens",
    "support_votes",
    "objection_votes",
    "first_at",
    "last_at",
    "place",
    "summary",
];
const MEMBER_HEADER: [&str; 3] = ["rank", "request_id", "title"];

fn table_rows(spots: &[Hotspot], global: &GlobalOptions) -> Vec<[String; 10]> {
    let time = |t: Option<DateTime<Utc>>| {
        t.map(|t| t.with_timezone(&global.utc_offset).to_rfc3339())
            .unwrap_or_default()
    };
    spots
        .iter()
        .map(|s| {
            [
                s.rank.to_string(),
                format!("{:.3}", s.heat.heat),
                s.heat.requests.to_string(),
                s.heat.citizens.to_string(),
                s.heat.support_votes.to_string(),
                s.heat.objection_votes.to_string(),
                time(s.first_at),
                time(s.last_at),
                s.place.clone().unwrap_or_default(),
                s.summary.clone(),
            ]
        })
        .collect()
}

fn member_rows(
    spots: &[Hotspot],
    titles: &std::collections::HashMap<i64, String>,
) -> Vec<[String; 3]> {
    spots
        .iter()
        .flat_map(|s| {
            s.request_ids.iter().map(move |id| {
                [
                    s.rank.to_string(),
                    id.to_string(),
                    titles.get(id).cloned().unwrap_or_default(),
                ]
            })
        })
        .collect()
}

/// Writes the ranked table and the members as CSV (two files) or XLSX (two sheets).
fn export(
    path: &Path,
    spots: &[Hotspot],
    titles: &std::collections::HashMap<i64, String>,
    global: &GlobalOptions,
) -> anyhow::Result<()> {
    let lang = global.lang;
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let table = table_rows(spots, global);
    let members = member_rows(spots, titles);
    let failed = || tf(lang, "hotspots.export_failed", &[("file", &path.display())]);
    match extension.as_str() {
        "csv" => {
            let mut writer = csv::Writer::from_path(path).with_context(failed)?;
            writer.write_record(TABLE_HEADER).with_context(failed)?;
            for row in &table {
                writer.write_record(row).with_context(failed)?;
            }
            writer.flush().with_context(failed)?;
            let stem = path.file_stem().unwrap_or_default().to_string_lossy();
            let members_path = path.with_file_name(format!("{stem}-members.csv"));
            let mut writer = csv::Writer::from_path(&members_path).with_context(failed)?;
            writer.write_record(MEMBER_HEADER).with_context(failed)?;
            for row in &members {
                writer.write_record(row).with_context(failed)?;
            }
            writer.flush().with_context(failed)?;
        }
        "xlsx" => {
            let mut workbook = rust_xlsxwriter::Workbook::new();
            let sheet = workbook.add_worksheet().set_name("hotspots")?;
            write_sheet(sheet, &TABLE_HEADER, &table, &[0, 1, 2, 3, 4, 5])?;
            let sheet = workbook.add_worksheet().set_name("members")?;
            write_sheet(sheet, &MEMBER_HEADER, &members, &[0, 1])?;
            workbook.save(path).with_context(failed)?;
        }
        _ => {
            return Err(anyhow!(tf(
                lang,
                "hotspots.export_format",
                &[("file", &path.display())]
            )));
        }
    }
    Ok(())
}

/// Writes a header and rows; the columns listed in `numeric` are written as numbers.
fn write_sheet<const N: usize>(
    sheet: &mut rust_xlsxwriter::Worksheet,
    header: &[&str; N],
    rows: &[[String; N]],
    numeric: &[usize],
) -> anyhow::Result<()> {
    for (column, name) in header.iter().enumerate() {
        sheet.write_string(0, u16::try_from(column)?, *name)?;
    }
    for (r, row) in rows.iter().enumerate() {
        for (column, value) in row.iter().enumerate() {
            let (r, c) = (u32::try_from(r + 1)?, u16::try_from(column)?);
            match value.parse::<f64>() {
                Ok(number) if numeric.contains(&column) => {
                    sheet.write_number(r, c, number)?;
                }
                _ => {
                    sheet.write_string(r, c, value)?;
                }
            }
        }
    }
    Ok(())
}
