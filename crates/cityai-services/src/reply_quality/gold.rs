//! Comparing the check with people's labels: reading a gold file and measuring agreement,
//! overall and per stratum.
//!
//! A gold file is a UTF-8 CSV with an id column (`留言编号` or `id`), a `label` column of
//! `good` or `poor`, and optionally a `stratum` column when the labelled rows were drawn in
//! strata. Other columns, such as a reason, are ignored.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use cityai_core::Lang;
use cityai_core::i18n::tf;
use serde::Serialize;

use super::{Agreement, QualityReport, Verdict, agreement};

/// One labelled reply of a gold file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoldRow {
    pub id: String,
    pub label: Verdict,
    pub stratum: Option<String>,
}

/// A gold file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum GoldError {
    #[error("cannot read the gold file {file}: {error}")]
    Read { file: String, error: String },

    #[error("the gold file {file} has no id or label column; found: {headers}")]
    MissingColumns { file: String, headers: String },

    #[error("invalid gold file {file}, row {row}: {problem}")]
    Invalid {
        file: String,
        row: usize,
        problem: String,
    },
}

impl GoldError {
    /// Renders the error in `lang`.
    pub fn message(&self, lang: Lang) -> String {
        match self {
            GoldError::Read { file, error } => tf(
                lang,
                "reply_quality.eval.gold_read_failed",
                &[("file", file), ("error", error)],
            ),
            GoldError::MissingColumns { file, headers } => tf(
                lang,
                "reply_quality.eval.gold_missing_columns",
                &[("file", file), ("headers", headers)],
            ),
            GoldError::Invalid { file, row, problem } => tf(
                lang,
                "reply_quality.eval.gold_invalid",
                &[("file", file), ("row", row), ("problem", problem)],
            ),
        }
    }
}

/// Reads a gold file.
///
/// # Errors
///
/// [`GoldError::Read`] when the file cannot be read or is not CSV,
/// [`GoldError::MissingColumns`] without an id or label column, and [`GoldError::Invalid`]
/// for a row with an empty id, a label other than good or poor, or an id seen before.
pub fn read_gold(path: &Path) -> Result<Vec<GoldRow>, GoldError> {
    let file = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let read_error = |error: String| GoldError::Read {
        file: file.clone(),
        error,
    };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_path(path)
        .map_err(|err| read_error(err.to_string()))?;
    let headers: Vec<String> = reader
        .headers()
        .map_err(|err| read_error(err.to_string()))?
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_owned())
        .collect();
    let column = |names: &[&str]| {
        headers
            .iter()
            .position(|h| names.iter().any(|n| h.eq_ignore_ascii_case(n)))
    };
    let (Some(id_column), Some(label_column)) = (column(&["留言编号", "id"]), column(&["label"]))
    else {
        return Err(GoldError::MissingColumns {
            file,
            headers: headers.join(", "),
        });
    };
    let stratum_column = column(&["stratum"]);

    let mut rows = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (index, record) in reader.records().enumerate() {
        // The header is row 1, as a spreadsheet numbers it.
        let row = index + 2;
        let record = record.map_err(|err| read_error(err.to_string()))?;
        let invalid = |problem: String| GoldError::Invalid {
            file: file.clone(),
            row,
            problem,
        };
        let id = record.get(id_column).unwrap_or("").trim().to_owned();
        if id.is_empty() {
            return Err(invalid("the id is empty".to_owned()));
        }
        let label = match record.get(label_column).unwrap_or("").trim() {
            l if l.eq_ignore_ascii_case("good") => Verdict::Good,
            l if l.eq_ignore_ascii_case("poor") => Verdict::Poor,
            other => return Err(invalid(format!("the label {other:?} is not good or poor"))),
        };
        if let Some(first) = seen.insert(id.clone(), row) {
            return Err(invalid(format!(
                "the id {id} already appears on row {first}"
            )));
        }
        let stratum = stratum_column
            .and_then(|c| record.get(c))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        rows.push(GoldRow { id, label, stratum });
    }
    Ok(rows)
}

/// The agreement of the check with a gold file.
#[derive(Debug, Clone, Serialize)]
pub struct GoldAgreement {
    /// Over every gold row that has a checked reply.
    pub overall: Option<Agreement>,
    /// Per stratum, when the gold file has strata.
    pub by_stratum: BTreeMap<String, Agreement>,
    /// Gold ids with no checked reply in the data.
    pub unmatched: Vec<String>,
}

/// Compares the verdicts of checked replies, keyed by id, with the gold labels.
pub fn compare_with_gold(
    checked: &HashMap<String, &QualityReport>,
    gold: &[GoldRow],
) -> GoldAgreement {
    let mut pairs = Vec::new();
    let mut strata: BTreeMap<String, Vec<(Verdict, Verdict)>> = BTreeMap::new();
    let mut unmatched = Vec::new();
    for row in gold {
        match checked.get(&row.id) {
            Some(report) => {
                let pair = (row.label, report.verdict);
                pairs.push(pair);
                if let Some(stratum) = &row.stratum {
                    strata.entry(stratum.clone()).or_default().push(pair);
                }
            }
            None => unmatched.push(row.id.clone()),
        }
    }
    GoldAgreement {
        overall: agreement(&pairs),
        by_stratum: strata
            .into_iter()
            .filter_map(|(stratum, pairs)| Some((stratum, agreement(&pairs)?)))
            .collect(),
        unmatched,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(contents: &str) -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), contents).unwrap();
        file
    }

    #[test]
    fn gold_rows_are_read_with_strata() {
        let file = write("留言编号,label,stratum,reason\n1,good,random,fine\n2,POOR,risk,late\n");
        let rows = read_gold(file.path()).unwrap();
        assert_eq!(
            rows,
            [
                GoldRow {
                    id: "1".into(),
                    label: Verdict::Good,
                    stratum: Some("random".into())
                },
                GoldRow {
                    id: "2".into(),
                    label: Verdict::Poor,
                    stratum: Some("risk".into())
                },
            ]
        );
    }

    #[test]
    fn gold_label_must_be_good_or_poor() {
        let file = write("id,label\n1,good\n2,bad\n");
        let err = read_gold(file.path()).unwrap_err();
        let message = err.message(Lang::En);
        assert!(message.contains("row 3"), "{message}");
        assert!(message.contains("\"bad\""), "{message}");
    }

    #[test]
    fn gold_ids_must_be_unique() {
        let file = write("id,label\n7,good\n7,poor\n");
        let message = read_gold(file.path()).unwrap_err().message(Lang::En);
        assert!(message.contains("already appears on row 2"), "{message}");
    }

    #[test]
    fn gold_needs_id_and_label_columns() {
        let file = write("编号,结论\n1,good\n");
        let message = read_gold(file.path()).unwrap_err().message(Lang::En);
        assert!(message.contains("编号, 结论"), "{message}");
    }
}
