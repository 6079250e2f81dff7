//! `cityai eval replies`: the reply quality check over a file of requests with their
//! replies, with the agreement with people's labels when a gold file is given.

use std::collections::{BTreeMap, HashMap};
use std::process::ExitCode;

use anyhow::{Context, anyhow};
use cityai_core::Lang;
use cityai_core::i18n::{t, tf};
use cityai_import::{ReadOptions, read_requests_file};
use cityai_services::reply_quality::{
    Agreement, Dimension, Distribution, GoldAgreement, POOR_BELOW, QualityReport, ReplyCheck,
    Verdict, check_reply, compare_with_gold, distribution, read_gold,
};
use serde::Serialize;

use crate::cli::{EvalRepliesArgs, GlobalOptions};
use crate::output;

/// A data row that was not checked, with the reason in the chosen language.
#[derive(Debug, Serialize)]
struct NotChecked {
    row: usize,
    message: String,
}

/// A checked row: its id and the report.
struct Checked {
    id: Option<String>,
    report: QualityReport,
}

#[derive(Serialize)]
struct EvalOutput<'a> {
    file: &'a str,
    rows_total: usize,
    checked: usize,
    not_checked: &'a [NotChecked],
    distribution: BTreeMap<&'static str, Distribution>,
    poor: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    gold: Option<&'a GoldAgreement>,
}

/// Runs the check over the data file and prints the figures.
///
/// # Errors
///
/// The data file or the gold file cannot be read, or no row has both a request and a reply.
pub async fn eval(global: &GlobalOptions, args: &EvalRepliesArgs) -> anyhow::Result<ExitCode> {
    let lang = global.lang;
    let options = ReadOptions {
        mappings: args.mappings.clone(),
        city_offset: global.utc_offset,
        ..ReadOptions::default()
    };
    let path = args.data.clone();
    let parsed = tokio::task::spawn_blocking(move || read_requests_file(&path, &options))
        .await?
        .map_err(|err| anyhow!(err.message(lang)))?;
    let gold = match &args.gold {
        Some(path) => Some(read_gold(path).map_err(|err| anyhow!(err.message(lang)))?),
        None => None,
    };

    // Check every row that has a reply; the others are reported with their row numbers.
    let mut not_checked: Vec<NotChecked> = parsed
        .rejected
        .iter()
        .map(|rejected| NotChecked {
            row: rejected.row,
            message: rejected.message(lang),
        })
        .collect();
    let city_offset = global.utc_offset;
    let rows = parsed.rows;
    let (checked, without_reply) = tokio::task::spawn_blocking(move || {
        let mut checked = Vec::with_capacity(rows.len());
        let mut without_reply = Vec::new();
        for row in rows {
            let request = row.request;
            let Some(reply) = request.reply else {
                without_reply.push(row.row);
                continue;
            };
            let report = check_reply(&ReplyCheck {
                title: request.title.as_deref(),
                body: &request.body,
                submitted_at: request.submitted_at,
                reply: &reply.body,
                replied_at: reply.replied_at,
                city_offset,
            });
            checked.push(Checked {
                id: request.external_id,
                report,
            });
        }
        (checked, without_reply)
    })
    .await?;
    not_checked.extend(without_reply.into_iter().map(|row| NotChecked {
        row,
        message: tf(lang, "reply_quality.eval.no_reply", &[("row", &row)]),
    }));
    not_checked.sort_by_key(|n| n.row);
    if checked.is_empty() {
        for problem in &not_checked {
            output::line(&problem.message);
        }
        return Err(anyhow!(tf(
            lang,
            "reply_quality.eval.no_rows",
            &[("file", &parsed.file_name)]
        )));
    }

    let distributions = distributions(&checked);
    let poor = checked
        .iter()
        .filter(|c| c.report.verdict == Verdict::Poor)
        .count();
    let agreement = gold.as_ref().map(|gold| {
        let by_id: HashMap<String, &QualityReport> = checked
            .iter()
            .filter_map(|c| Some((c.id.clone()?, &c.report)))
            .collect();
        compare_with_gold(&by_id, gold)
    });

    if let Some(out) = &args.out {
        write_rows(lang, out, &checked)?;
    }

    if args.json {
        output::json(&EvalOutput {
            file: &parsed.file_name,
            rows_total: parsed.rows_total,
            checked: checked.len(),
            not_checked: &not_checked,
            distribution: distributions,
            poor,
            gold: agreement.as_ref(),
        })?;
        return Ok(ExitCode::SUCCESS);
    }

    output::line(&tf(
        lang,
        "reply_quality.eval.scored",
        &[("rows", &checked.len()), ("file", &parsed.file_name)],
    ));
    if !not_checked.is_empty() {
        output::line(&tf(
            lang,
            "reply_quality.eval.rejected",
            &[("count", &not_checked.len())],
        ));
        for problem in &not_checked {
            output::line(&format!("  {}", problem.message));
        }
    }
    print_distributions(lang, &distributions);
    output::line(&tf(
        lang,
        "reply_quality.eval.verdicts",
        &[
            ("poor", &poor),
            ("rows", &checked.len()),
            ("share", &percent(poor as f64 / checked.len() as f64)),
        ],
    ));
    if let Some(agreement) = &agreement {
        print_agreement(lang, agreement);
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes one CSV line per checked reply.
fn write_rows(lang: Lang, path: &std::path::Path, checked: &[Checked]) -> anyhow::Result<()> {
    let failed = || {
        tf(
            lang,
            "reply_quality.eval.out_failed",
            &[("file", &path.display())],
        )
    };
    let mut writer = csv::Writer::from_path(path).with_context(failed)?;
    let mut header = vec!["id", "verdict", "overall"];
    header.extend(Dimension::ALL.iter().map(|d| d.as_str()));
    header.push("verdict_reason");
    writer.write_record(&header).with_context(failed)?;
    for row in checked {
        let score = |value: Option<f64>| value.map_or_else(String::new, |v| format!("{v:.3}"));
        let mut record = vec![
            row.id.clone().unwrap_or_default(),
            row.report.verdict.as_str().to_owned(),
            format!("{:.3}", row.report.overall),
        ];
        record.extend(
            Dimension::ALL
                .iter()
                .map(|d| score(row.report.dimension(*d).score)),
        );
        record.push(row.report.verdict_reason.render(lang));
        writer.write_record(&record).with_context(failed)?;
    }
    writer.flush().with_context(failed)?;
    Ok(())
}

/// Returns the distribution of each dimension's score and of the overall score, keyed by
/// the dimension's name and `overall`.
fn distributions(checked: &[Checked]) -> BTreeMap<&'static str, Distribution> {
    let mut out = BTreeMap::new();
    for dimension in Dimension::ALL {
        let scores: Vec<f64> = checked
            .iter()
            .filter_map(|c| c.report.dimension(dimension).score)
            .collect();
        if let Some(d) = distribution(&scores) {
            out.insert(dimension.as_str(), d);
        }
    }
    let overall: Vec<f64> = checked.iter().map(|c| c.report.overall).collect();
    if let Some(d) = distribution(&overall) {
        out.insert("overall", d);
    }
    out
}

fn print_distributions(lang: Lang, distributions: &BTreeMap<&'static str, Distribution>) {
    output::line(&tf(
        lang,
        "reply_quality.eval.distribution",
        &[("threshold", &format!("{POOR_BELOW:.2}"))],
    ));
    output::line(t(lang, "reply_quality.eval.distribution_header"));
    let labelled = Dimension::ALL
        .iter()
        .map(|d| (d.as_str(), d.label(lang).to_owned()))
        .chain(std::iter::once((
            "overall",
            t(lang, "reply_quality.overall_label").to_owned(),
        )));
    for (key, label) in labelled {
        if let Some(d) = distributions.get(key) {
            output::line(&format!(
                "  {label:<15}  {:>6}  {:.3}  {:.2}  {:>6.2}  {:.2}  {}",
                d.scored,
                d.mean,
                d.q1,
                d.median,
                d.q3,
                percent(d.share_poor)
            ));
        }
    }
}

fn print_agreement(lang: Lang, agreement: &GoldAgreement) {
    if let Some(first) = agreement.unmatched.first() {
        output::line(&tf(
            lang,
            "reply_quality.eval.gold_unmatched",
            &[("count", &agreement.unmatched.len()), ("first", first)],
        ));
    }
    if let Some(overall) = &agreement.overall {
        print_agreement_line(lang, overall, "");
    }
    for (stratum, figures) in &agreement.by_stratum {
        let stratum = tf(lang, "reply_quality.eval.stratum", &[("stratum", stratum)]);
        print_agreement_line(lang, figures, &stratum);
    }
}

fn print_agreement_line(lang: Lang, a: &Agreement, stratum: &str) {
    let optional = |value: Option<f64>| value.map_or_else(|| "-".to_owned(), |v| format!("{v:.3}"));
    output::line(&tf(
        lang,
        "reply_quality.eval.agreement",
        &[
            ("pairs", &a.pairs),
            ("stratum", &stratum),
            ("accuracy", &format!("{:.3}", a.accuracy)),
            ("kappa", &optional(a.kappa)),
            ("precision", &optional(a.precision_poor)),
            ("recall", &optional(a.recall_poor)),
        ],
    ));
    output::line(&tf(
        lang,
        "reply_quality.eval.confusion",
        &[
            ("poor_poor", &a.poor_poor),
            ("poor_good", &a.poor_good),
            ("good_poor", &a.good_poor),
            ("good_good", &a.good_good),
        ],
    ));
}

fn percent(value: f64) -> String {
    format!("{:.1}%", value * 100.0)
}
