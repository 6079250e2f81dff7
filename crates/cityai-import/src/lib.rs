//! Reading request and taxonomy files exported by other systems.
//!
//! A file becomes a [`ParsedFile`]: the good rows as [`cityai_core::NewRequest`]s and every
//! bad row as a [`RejectedRow`] with its row number, column and reason. Nothing here touches
//! the store; the caller decides whether to keep the good rows.
//!
//! Supported inputs are CSV (comma, tab or semicolon separated) in UTF-8, UTF-8 with a BOM,
//! UTF-16 with a BOM, or GBK/GB18030, detected from the bytes, and XLSX workbooks.

mod encoding;
mod error;
mod fields;
mod requests;
mod table;
mod taxonomy;

use std::path::Path;

pub use encoding::Encoding;
pub use error::{ImportError, Reason, RejectedRow};
pub use fields::{ColumnMapping, Field};
pub use requests::{ParsedFile, ReadOptions, read_requests, read_requests_file};
pub use table::Format;
pub use taxonomy::{ParsedTaxonomy, read_taxonomy};

/// Returns the file name of `path` without its directory, for messages and records.
pub fn display_name(path: &Path) -> String {
    path.file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}
