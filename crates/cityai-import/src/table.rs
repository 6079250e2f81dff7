//! Reading a CSV or XLSX file into a table of text cells, one record per data row.
//!
//! Rows that cannot be split into cells (a broken quote, the wrong number of columns, bytes
//! that are not valid in the file's encoding, an oversized field) become [`RejectedRow`]s,
//! and reading goes on with the next row.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use serde::Serialize;

use crate::encoding::{self, Encoding};
use crate::error::{ImportError, Reason, RejectedRow};

/// The container format of an input file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }

    /// Chooses the format from the file's first bytes (an XLSX file is a ZIP archive) and,
    /// failing that, its extension.
    pub fn detect(file_name: &str, bytes: &[u8]) -> Result<Self, ImportError> {
        if bytes.starts_with(b"PK\x03\x04") {
            return Ok(Format::Xlsx);
        }
        let lower = file_name.to_ascii_lowercase();
        let extension = lower.rsplit_once('.').map(|(_, ext)| ext).unwrap_or("");
        match extension {
            "csv" | "tsv" | "txt" | "" => Ok(Format::Csv),
            _ => Err(ImportError::UnsupportedFormat {
                file: file_name.to_owned(),
            }),
        }
    }
}

/// One data row as text cells.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    /// Row number counting the header as row 1.
    pub row: usize,
    /// Physical line where the row starts (CSV only).
    pub line: Option<u64>,
    pub cells: Vec<String>,
}

/// A file read into header, records and rejected rows.
#[derive(Debug)]
pub(crate) struct Table {
    pub format: Format,
    pub encoding: Option<Encoding>,
    pub headers: Vec<String>,
    pub records: Vec<Record>,
    pub rejected: Vec<RejectedRow>,
}

impl Table {
    /// Data rows in the file, good and bad.
    pub fn rows_total(&self) -> usize {
        self.records.len() + self.rejected.len()
    }
}

/// Reads `bytes` as a table.
pub(crate) fn read_table(
    file_name: &str,
    bytes: &[u8],
    max_field_bytes: usize,
    sheet: Option<&str>,
) -> Result<Table, ImportError> {
    match Format::detect(file_name, bytes)? {
        Format::Csv if sheet.is_some() => Err(ImportError::SheetOnCsv {
            file: file_name.to_owned(),
        }),
        Format::Csv => read_csv(file_name, bytes, max_field_bytes),
        Format::Xlsx => read_xlsx(file_name, bytes, max_field_bytes, sheet),
    }
}

fn read_csv(file_name: &str, bytes: &[u8], max_field_bytes: usize) -> Result<Table, ImportError> {
    let encoding = encoding::detect(bytes);
    let converted;
    let bytes: &[u8] = match encoding {
        Encoding::Utf8Bom => &bytes[3..],
        Encoding::Utf16Le | Encoding::Utf16Be => {
            converted = encoding::utf16_to_utf8(&bytes[2..], encoding);
            &converted
        }
        Encoding::Utf8 | Encoding::Gb18030 => bytes,
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ImportError::EmptyFile {
            file: file_name.to_owned(),
        });
    }

    let delimiter = sniff_delimiter(bytes);
    let mut builder = csv::ReaderBuilder::new();
    builder
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter);

    let mut table = Table {
        format: Format::Csv,
        encoding: Some(encoding),
        headers: Vec::new(),
        records: Vec::new(),
        rejected: Vec::new(),
    };
    let mut have_header = false;
    let mut row = 0usize;
    // Byte offset and line number where the current reader starts. A broken quote restarts
    // the reader on the line after the one where the broken row began.
    let mut base_offset = 0usize;
    let mut base_line = 0u64;

    'restart: loop {
        let mut reader = builder.from_reader(&bytes[base_offset..]);
        let mut record = csv::ByteRecord::new();
        loop {
            let start = reader.position().clone();
            let more = reader
                .read_byte_record(&mut record)
                .map_err(|err| ImportError::Read {
                    file: file_name.to_owned(),
                    source: std::io::Error::other(err.to_string()),
                })?;
            if !more {
                break 'restart;
            }
            if record
                .iter()
                .all(|field| field.iter().all(u8::is_ascii_whitespace))
            {
                continue;
            }
            let line = base_line + start.line();
            row += 1;

            if !have_header {
                table.headers = decode_header(&record, encoding);
                have_header = true;
                continue;
            }

            let raw_start = base_offset + start.byte() as usize;
            let raw_end = base_offset + reader.position().byte() as usize;
            let raw = &bytes[raw_start..raw_end];
            let raw = raw.strip_suffix(b"\n").unwrap_or(raw);
            let spans_lines = raw.contains(&b'\n');
            // A quote that never closes swallows the following lines into this record: either
            // the column count comes out wrong, or the quote runs on to the end of the file.
            // NOTE: a stray quote that happens to close on a later line with the right column
            // count still merges those lines into one row, because nothing in the bytes
            // distinguishes it from a legitimate multi-line field.
            let unterminated_at_end =
                raw_end == bytes.len() && raw.iter().filter(|&&b| b == b'"').count() % 2 == 1;
            let miscounted = record.len() != table.headers.len();
            if spans_lines && (unterminated_at_end || (miscounted && raw.contains(&b'"'))) {
                // Reject the line where the broken row starts and read on from the next one.
                table.rejected.push(RejectedRow {
                    row,
                    line: Some(line),
                    column: None,
                    reason: Reason::UnbalancedQuote,
                });
                let first_newline = raw.iter().position(|&b| b == b'\n').unwrap_or(raw.len());
                base_offset = raw_start + first_newline + 1;
                base_line = line;
                continue 'restart;
            }

            if miscounted {
                table.rejected.push(RejectedRow {
                    row,
                    line: Some(line),
                    column: None,
                    reason: Reason::FieldCount {
                        found: record.len(),
                        expected: table.headers.len(),
                    },
                });
                continue;
            }

            match decode_cells(&record, encoding, max_field_bytes, &table.headers) {
                Ok(cells) => table.records.push(Record {
                    row,
                    line: Some(line),
                    cells,
                }),
                Err((column, reason)) => table.rejected.push(RejectedRow {
                    row,
                    line: Some(line),
                    column: Some(column),
                    reason,
                }),
            }
        }
    }

    if !have_header {
        return Err(ImportError::NoHeader {
            file: file_name.to_owned(),
        });
    }
    Ok(table)
}

/// Picks the delimiter that occurs most often on the first line: comma, tab or semicolon.
fn sniff_delimiter(bytes: &[u8]) -> u8 {
    let first_line = bytes.split(|&b| b == b'\n').next().unwrap_or(bytes);
    [b',', b'\t', b';']
        .into_iter()
        .max_by_key(|d| (first_line.iter().filter(|&b| b == d).count(), *d == b','))
        .unwrap_or(b',')
}

fn decode_header(record: &csv::ByteRecord, encoding: Encoding) -> Vec<String> {
    record
        .iter()
        .map(|field| match encoding::decode_field(field, encoding) {
            Some(text) => text.trim().to_owned(),
            None => String::from_utf8_lossy(field).trim().to_owned(),
        })
        .collect()
}

fn decode_cells(
    record: &csv::ByteRecord,
    encoding: Encoding,
    max_field_bytes: usize,
    headers: &[String],
) -> Result<Vec<String>, (String, Reason)> {
    record
        .iter()
        .zip(headers)
        .map(|(field, header)| {
            if field.len() > max_field_bytes {
                return Err((
                    header.clone(),
                    Reason::FieldTooLarge {
                        bytes: field.len(),
                        limit: max_field_bytes,
                    },
                ));
            }
            encoding::decode_field(field, encoding).ok_or_else(|| {
                let reason = match encoding {
                    Encoding::Gb18030 => Reason::Undecodable {
                        encoding: encoding.label().to_owned(),
                    },
                    _ => Reason::InvalidUtf8,
                };
                (header.clone(), reason)
            })
        })
        .collect()
}

fn read_xlsx(
    file_name: &str,
    bytes: &[u8],
    max_field_bytes: usize,
    sheet: Option<&str>,
) -> Result<Table, ImportError> {
    let xlsx_error = |detail: String| ImportError::Xlsx {
        file: file_name.to_owned(),
        detail,
    };
    let mut workbook: Xlsx<_> =
        Xlsx::new(Cursor::new(bytes)).map_err(|err| xlsx_error(err.to_string()))?;
    let names = workbook.sheet_names();
    let sheet_name = match sheet {
        Some(wanted) => names
            .iter()
            .find(|name| name.as_str() == wanted)
            .cloned()
            .ok_or_else(|| ImportError::SheetNotFound {
                file: file_name.to_owned(),
                sheet: wanted.to_owned(),
                sheets: names.join(", "),
            })?,
        None => names
            .first()
            .cloned()
            .ok_or_else(|| ImportError::EmptyFile {
                file: file_name.to_owned(),
            })?,
    };
    let range = workbook
        .worksheet_range(&sheet_name)
        .map_err(|err| xlsx_error(err.to_string()))?;
    let first_row = range.start().map(|(row, _)| row as usize).unwrap_or(0);

    let mut table = Table {
        format: Format::Xlsx,
        encoding: None,
        headers: Vec::new(),
        records: Vec::new(),
        rejected: Vec::new(),
    };
    let mut have_header = false;
    for (index, cells) in range.rows().enumerate() {
        let row = first_row + index + 1;
        let texts: Vec<String> = cells.iter().map(cell_text).collect();
        if texts.iter().all(|t| t.trim().is_empty()) {
            continue;
        }
        if !have_header {
            table.headers = texts.iter().map(|t| t.trim().to_owned()).collect();
            have_header = true;
            continue;
        }
        let oversized = texts
            .iter()
            .zip(&table.headers)
            .find(|(text, _)| text.len() > max_field_bytes);
        if let Some((text, header)) = oversized {
            table.rejected.push(RejectedRow {
                row,
                line: None,
                column: Some(header.clone()),
                reason: Reason::FieldTooLarge {
                    bytes: text.len(),
                    limit: max_field_bytes,
                },
            });
            continue;
        }
        table.records.push(Record {
            row,
            line: None,
            cells: texts,
        });
    }
    if !have_header {
        return Err(ImportError::EmptyFile {
            file: file_name.to_owned(),
        });
    }
    Ok(table)
}

/// Renders a cell as the text an export would have held: whole numbers without `.0`, and
/// date-times as `YYYY-MM-DD HH:MM:SS`.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(text) => text.clone(),
        Data::Float(value) if value.fract() == 0.0 && value.abs() < 1e15 => {
            format!("{}", *value as i64)
        }
        Data::Float(value) => value.to_string(),
        Data::Int(value) => value.to_string(),
        Data::Bool(value) => value.to_string(),
        Data::DateTime(value) => match value.as_datetime() {
            Some(datetime) => datetime.format("%Y-%m-%d %H:%M:%S").to_string(),
            None => value.as_f64().to_string(),
        },
        Data::DateTimeIso(text) | Data::DurationIso(text) => text.clone(),
        Data::Error(err) => format!("#{err:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv(text: &str) -> Table {
        read_table("t.csv", text.as_bytes(), 1 << 20, None).unwrap()
    }

    #[test]
    fn reads_quoted_newlines() {
        let table = csv("id,body\n1,\"第一行\n第二行\"\n2,路灯\n");
        assert_eq!(table.headers, ["id", "body"]);
        assert_eq!(table.records.len(), 2);
        assert_eq!(table.records[0].cells[1], "第一行\n第二行");
        assert_eq!(table.records[1].row, 3);
        assert_eq!(table.records[1].line, Some(4));
    }

    #[test]
    fn broken_quote_rejects_one_row_and_keeps_the_rest() {
        let table = csv("id,body\n1,ok\n2,\"broken\n3,fine\n4,also fine\n");
        let rows: Vec<usize> = table.records.iter().map(|r| r.row).collect();
        assert_eq!(rows, [2, 4, 5]);
        assert_eq!(table.rejected.len(), 1);
        assert_eq!(table.rejected[0].row, 3);
        assert_eq!(table.rejected[0].reason, Reason::UnbalancedQuote);
        assert_eq!(table.records[1].cells, ["3", "fine"]);
    }

    #[test]
    fn wrong_column_count_is_rejected() {
        let table = csv("id,body\n1,a,extra\n2,b\n");
        assert_eq!(table.records.len(), 1);
        assert_eq!(
            table.rejected[0].reason,
            Reason::FieldCount {
                found: 3,
                expected: 2
            }
        );
    }

    #[test]
    fn sniffs_tab_delimiter() {
        let table = csv("id\tbody\n1\t路灯, 不亮\n");
        assert_eq!(table.records[0].cells, ["1", "路灯, 不亮"]);
    }

    #[test]
    fn blank_lines_are_not_rows() {
        let table = csv("id,body\n\n1,a\n\n\n2,b\n");
        assert_eq!(table.rows_total(), 2);
    }

    #[test]
    fn whitespace_only_file_is_empty() {
        let err = read_table("t.csv", b" \n\n", 100, None).unwrap_err();
        assert!(matches!(err, ImportError::EmptyFile { .. }));
    }

    #[test]
    fn unknown_extension_is_rejected() {
        let err = Format::detect("report.pdf", b"%PDF").unwrap_err();
        assert!(matches!(err, ImportError::UnsupportedFormat { .. }));
    }
}
