//! `cityai pii scan`: personal data in a text or file.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use cityai_core::i18n::{t, tf};
use cityai_text::pii::{self, MaskPolicy};
use serde::Serialize;

use crate::cli::GlobalOptions;
use crate::output;

#[derive(Debug, Serialize)]
struct Report {
    findings: Vec<Finding>,
    masked: String,
}

#[derive(Debug, Serialize)]
struct Finding {
    kind: &'static str,
    start: usize,
    end: usize,
    confidence: f32,
}

/// Scans `input`, a path when such a file exists and the text itself otherwise.
pub fn scan(global: &GlobalOptions, input: &str, json: bool) -> anyhow::Result<ExitCode> {
    let lang = global.lang;
    let path = Path::new(input);
    let text = if path.is_file() {
        let bytes = std::fs::read(path)
            .with_context(|| tf(lang, "pii.read_failed", &[("file", &path.display())]))?;
        String::from_utf8(bytes).map_err(|err| {
            anyhow::anyhow!(tf(
                lang,
                "pii.not_utf8",
                &[
                    ("file", &path.display()),
                    ("offset", &err.utf8_error().valid_up_to())
                ]
            ))
        })?
    } else {
        input.to_owned()
    };
    let text = text.as_str();
    let findings = pii::detect(text);
    let report = Report {
        masked: pii::mask(text, &findings, &MaskPolicy::default()),
        findings: findings
            .iter()
            .map(|f| Finding {
                kind: f.kind.as_str(),
                start: f.span.start,
                end: f.span.end,
                confidence: f.confidence,
            })
            .collect(),
    };
    if json {
        output::json(&report)?;
    } else {
        output::line(&tf(lang, "pii.found", &[("count", &report.findings.len())]));
        for finding in &report.findings {
            output::line(&format!(
                "  {}\t{}..{}\t{:.2}",
                t(lang, &format!("pii.kind.{}", finding.kind)),
                finding.start,
                finding.end,
                finding.confidence
            ));
        }
        output::line(&report.masked);
    }
    Ok(ExitCode::SUCCESS)
}
