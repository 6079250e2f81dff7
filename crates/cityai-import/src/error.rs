//! Errors that stop a whole file, and reasons that reject one row.

use cityai_core::Lang;
use cityai_core::i18n::tf;
use serde::Serialize;

/// A problem with one row; the row is rejected and the others are kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Reason {
    EmptyBody,
    InvalidDate {
        value: String,
    },
    InvalidInteger {
        value: String,
    },
    InvalidCoordinate {
        value: String,
    },
    InvalidCategory {
        value: String,
        detail: String,
    },
    InvalidUtf8,
    Undecodable {
        encoding: String,
    },
    UnbalancedQuote,
    FieldCount {
        found: usize,
        expected: usize,
    },
    FieldTooLarge {
        bytes: usize,
        limit: usize,
    },
    ExternalIdConflict {
        value: String,
        existing: i64,
        /// Headers of the columns whose values differ from the stored request.
        fields: String,
    },
}

impl Reason {
    /// Renders the reason in `lang` from the message catalogue.
    pub fn message(&self, lang: Lang) -> String {
        match self {
            Reason::EmptyBody => tf(lang, "import.reason.empty_body", &[]),
            Reason::InvalidDate { value } => {
                tf(lang, "import.reason.invalid_date", &[("value", value)])
            }
            Reason::InvalidInteger { value } => {
                tf(lang, "import.reason.invalid_integer", &[("value", value)])
            }
            Reason::InvalidCoordinate { value } => tf(
                lang,
                "import.reason.invalid_coordinate",
                &[("value", value)],
            ),
            Reason::InvalidCategory { value, detail } => tf(
                lang,
                "import.reason.invalid_category",
                &[("value", value), ("detail", detail)],
            ),
            Reason::InvalidUtf8 => tf(lang, "import.reason.invalid_utf8", &[]),
            Reason::Undecodable { encoding } => {
                tf(lang, "import.reason.undecodable", &[("encoding", encoding)])
            }
            Reason::UnbalancedQuote => tf(lang, "import.reason.unbalanced_quote", &[]),
            Reason::FieldCount { found, expected } => tf(
                lang,
                "import.reason.field_count",
                &[("found", found), ("expected", expected)],
            ),
            Reason::FieldTooLarge { bytes, limit } => tf(
                lang,
                "import.reason.field_too_large",
                &[("bytes", bytes), ("limit", limit)],
            ),
            Reason::ExternalIdConflict {
                value,
                existing,
                fields,
            } => tf(
                lang,
                "import.reason.external_id_conflict",
                &[("value", value), ("existing", existing), ("fields", fields)],
            ),
        }
    }
}

/// A row that was not imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RejectedRow {
    /// The row number, counting the header as row 1 (the row number a spreadsheet shows).
    pub row: usize,
    /// The physical line where the row starts, for CSV files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// The header of the offending column, when one column is at fault.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    pub reason: Reason,
}

impl RejectedRow {
    /// Renders the row, column and reason as one line in `lang`.
    pub fn message(&self, lang: Lang) -> String {
        let reason = self.reason.message(lang);
        match &self.column {
            Some(column) => tf(
                lang,
                "import.rejected_row",
                &[("row", &self.row), ("column", column), ("reason", &reason)],
            ),
            None => tf(
                lang,
                "import.rejected_row_no_column",
                &[("row", &self.row), ("reason", &reason)],
            ),
        }
    }
}

/// A problem that stops a whole file from being read.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("file {file} is empty")]
    EmptyFile { file: String },

    #[error("file {file} has no header row")]
    NoHeader { file: String },

    #[error("file {file} has no request body column (header: {headers})")]
    MissingBodyColumn { file: String, headers: String },

    #[error("--map column {column:?} is not in the header ({headers})")]
    UnknownColumn { column: String, headers: String },

    #[error("--map field {field:?} does not exist")]
    UnknownField { field: String },

    #[error("--map value {value:?} is not COLUMN=FIELD")]
    InvalidMapping { value: String },

    #[error("--map gives field {field} to several columns ({columns})")]
    DuplicateField { field: String, columns: String },

    #[error("--sheet applies to XLSX files, but {file} is CSV")]
    SheetOnCsv { file: String },

    #[error("format of {file} is not recognised")]
    UnsupportedFormat { file: String },

    #[error("cannot read {file}")]
    Read {
        file: String,
        #[source]
        source: std::io::Error,
    },

    #[error("cannot read XLSX file {file}: {detail}")]
    Xlsx { file: String, detail: String },

    #[error("XLSX file {file} has no sheet {sheet:?}")]
    SheetNotFound {
        file: String,
        sheet: String,
        sheets: String,
    },

    #[error("taxonomy file {file} has no first-level column (header: {headers})")]
    TaxonomyColumns { file: String, headers: String },
}

impl ImportError {
    /// Renders the error in `lang` from the message catalogue, with the value and the fix.
    pub fn message(&self, lang: Lang) -> String {
        match self {
            ImportError::EmptyFile { file } => {
                tf(lang, "import.error.empty_file", &[("file", file)])
            }
            ImportError::NoHeader { file } => tf(lang, "import.error.no_header", &[("file", file)]),
            ImportError::MissingBodyColumn { file, headers } => tf(
                lang,
                "import.error.missing_body_column",
                &[("file", file), ("headers", headers)],
            ),
            ImportError::UnknownColumn { column, headers } => tf(
                lang,
                "import.error.unknown_column",
                &[("column", column), ("headers", headers)],
            ),
            ImportError::UnknownField { field } => tf(
                lang,
                "import.error.unknown_field",
                &[
                    ("field", field),
                    ("fields", &crate::fields::Field::names().join(", ")),
                ],
            ),
            ImportError::InvalidMapping { value } => {
                tf(lang, "import.error.invalid_mapping", &[("value", value)])
            }
            ImportError::DuplicateField { field, columns } => tf(
                lang,
                "import.error.duplicate_field",
                &[("field", field), ("columns", columns)],
            ),
            ImportError::SheetOnCsv { file } => {
                tf(lang, "import.error.sheet_on_csv", &[("file", file)])
            }
            ImportError::UnsupportedFormat { file } => {
                tf(lang, "import.error.unsupported_format", &[("file", file)])
            }
            ImportError::Read { file, source } => tf(
                lang,
                "import.error.read_failed",
                &[("file", file), ("detail", source)],
            ),
            ImportError::Xlsx { file, detail } => tf(
                lang,
                "import.error.xlsx_failed",
                &[("file", file), ("detail", detail)],
            ),
            ImportError::SheetNotFound {
                file,
                sheet,
                sheets,
            } => tf(
                lang,
                "import.error.sheet_not_found",
                &[("file", file), ("sheet", sheet), ("sheets", sheets)],
            ),
            ImportError::TaxonomyColumns { file, headers } => tf(
                lang,
                "import.error.taxonomy_columns",
                &[("file", file), ("headers", headers)],
            ),
        }
    }
}
