//! Turning table records into validated requests.

use std::path::Path;

use chrono::{DateTime, FixedOffset, Utc};
use cityai_core::time::{default_city_offset, parse_datetime};
use cityai_core::{CategoryPath, Channel, ImportRow, ImportedReply, NewRequest};
use cityai_text::normalize;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::{ImportError, Reason, RejectedRow};
use crate::fields::{ColumnMapping, Field};
use crate::table::{Format, Record, read_table};

/// How to read a request file.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// `COLUMN=FIELD` overrides of the header matching.
    pub mappings: Vec<String>,
    /// The largest field accepted, in bytes; larger fields reject their row.
    pub max_field_bytes: usize,
    /// The UTC offset of times that carry no zone.
    pub city_offset: FixedOffset,
    /// The channel recorded on every request of the file.
    pub channel: Channel,
    /// The XLSX sheet to read; the first sheet when `None`.
    pub sheet: Option<String>,
}

impl Default for ReadOptions {
    fn default() -> Self {
        Self {
            mappings: Vec::new(),
            max_field_bytes: Self::DEFAULT_MAX_FIELD_BYTES,
            city_offset: default_city_offset(),
            channel: Channel::Import,
            sheet: None,
        }
    }
}

impl ReadOptions {
    /// 1 MiB: fifty times the longest message in real hotline and message-board exports, and
    /// small enough that one runaway field cannot fill the store.
    pub const DEFAULT_MAX_FIELD_BYTES: usize = 1 << 20;
}

/// A request file read into good rows and rejected rows.
#[derive(Debug, Clone, Serialize)]
pub struct ParsedFile {
    pub file_name: String,
    pub file_sha256: String,
    pub format: Format,
    /// The character encoding of a CSV file, or `"XLSX"`.
    pub encoding: String,
    pub mapping: ColumnMapping,
    #[serde(skip)]
    pub rows: Vec<ImportRow>,
    pub rejected: Vec<RejectedRow>,
    /// Data rows in the file, good and bad.
    pub rows_total: usize,
}

/// Reads the request file at `path`.
///
/// # Errors
///
/// [`ImportError::Read`] when the file cannot be read, and the errors of [`read_requests`].
pub fn read_requests_file(path: &Path, options: &ReadOptions) -> Result<ParsedFile, ImportError> {
    let file_name = crate::display_name(path);
    let bytes = std::fs::read(path).map_err(|source| ImportError::Read {
        file: file_name.clone(),
        source,
    })?;
    read_requests(&file_name, bytes, options)
}

/// Reads a request file from memory, releasing `bytes` once they are split into cells.
///
/// # Errors
///
/// [`ImportError::EmptyFile`] or [`ImportError::NoHeader`] when there is nothing to read,
/// [`ImportError::MissingBodyColumn`] when no column contains the request text, mapping errors
/// from [`ColumnMapping::build`], and [`ImportError::Xlsx`] for an unreadable workbook.
/// Problems confined to one row reject that row instead.
pub fn read_requests(
    file_name: &str,
    bytes: Vec<u8>,
    options: &ReadOptions,
) -> Result<ParsedFile, ImportError> {
    let file_sha256 = hex::encode(Sha256::digest(&bytes));
    let table = read_table(
        file_name,
        &bytes,
        options.max_field_bytes,
        options.sheet.as_deref(),
    )?;
    drop(bytes);
    let mapping = ColumnMapping::build(&table.headers, &options.mappings)?;
    if mapping.column_of(Field::Body).is_none() {
        return Err(ImportError::MissingBodyColumn {
            file: file_name.to_owned(),
            headers: table.headers.join(", "),
        });
    }

    let rows_total = table.rows_total();
    let mut rejected = table.rejected;
    let mut rows = Vec::with_capacity(table.records.len());
    // Consuming the records frees each row's cells as soon as its request is built.
    for record in table.records {
        match to_request(&record, &mapping, &table.headers, options) {
            Ok(request) => rows.push(ImportRow {
                row: record.row,
                request,
            }),
            Err((column, reason)) => rejected.push(RejectedRow {
                row: record.row,
                line: record.line,
                column,
                reason,
            }),
        }
    }
    rejected.sort_by_key(|r| r.row);

    Ok(ParsedFile {
        file_name: file_name.to_owned(),
        file_sha256,
        format: table.format,
        encoding: table
            .encoding
            .map(|e| e.label().to_owned())
            .unwrap_or_else(|| "XLSX".to_owned()),
        mapping,
        rows,
        rejected,
        rows_total,
    })
}

type RowResult<T> = Result<T, (Option<String>, Reason)>;

/// Builds one request, or returns the column and reason that reject the row.
fn to_request(
    record: &Record,
    mapping: &ColumnMapping,
    headers: &[String],
    options: &ReadOptions,
) -> RowResult<NewRequest> {
    let cell = |field: Field| -> Option<(&str, &str)> {
        let index = mapping.column_of(field)?;
        let value = record.cells.get(index).map(|s| s.trim()).unwrap_or("");
        Some((headers[index].as_str(), value))
    };
    let text = |field: Field| -> Option<String> {
        cell(field)
            .map(|(_, value)| normalize(value))
            .filter(|value| !value.is_empty())
    };

    let body = text(Field::Body).ok_or_else(|| {
        let column = cell(Field::Body).map(|(header, _)| header.to_owned());
        (column, Reason::EmptyBody)
    })?;
    let mut request = NewRequest::new(options.channel, body);
    request.external_id = text(Field::ExternalId);
    request.title = text(Field::Title);
    request.citizen_ref = text(Field::CitizenRef);
    request.place_text = text(Field::Place);
    request.submitted_at = time_cell(cell(Field::SubmittedAt), options.city_offset)?;
    request.support_votes = count_cell(cell(Field::SupportVotes))?;
    request.objection_votes = count_cell(cell(Field::ObjectionVotes))?;
    request.category = category(&cell)?;
    (request.latitude, request.longitude) =
        coordinates(cell(Field::Latitude), cell(Field::Longitude))?;

    if let Some(reply_body) = text(Field::Reply) {
        request.reply = Some(ImportedReply {
            body: reply_body,
            replied_at: time_cell(cell(Field::RepliedAt), options.city_offset)?,
        });
    }
    Ok(request)
}

fn time_cell(
    cell: Option<(&str, &str)>,
    city_offset: FixedOffset,
) -> RowResult<Option<DateTime<Utc>>> {
    match cell {
        Some((_, "")) | None => Ok(None),
        Some((header, value)) => parse_datetime(value, city_offset).map(Some).ok_or_else(|| {
            (
                Some(header.to_owned()),
                Reason::InvalidDate {
                    value: value.to_owned(),
                },
            )
        }),
    }
}

fn count_cell(cell: Option<(&str, &str)>) -> RowResult<Option<i64>> {
    match cell {
        Some((_, "")) | None => Ok(None),
        Some((header, value)) => value
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .map(Some)
            .ok_or_else(|| {
                (
                    Some(header.to_owned()),
                    Reason::InvalidInteger {
                        value: value.to_owned(),
                    },
                )
            }),
    }
}

/// Reads the category from a path column (`城乡建设/安全生产`) or from level columns.
fn category<'a>(
    cell: &impl Fn(Field) -> Option<(&'a str, &'a str)>,
) -> RowResult<Option<CategoryPath>> {
    let levels: Vec<(&str, &str)> = [Field::Category, Field::Category2, Field::Category3]
        .into_iter()
        .filter_map(cell)
        .collect();
    let Some(&(first_header, first_value)) = levels.first() else {
        return Ok(None);
    };
    if levels.iter().all(|(_, value)| value.is_empty()) {
        return Ok(None);
    }
    let names: Vec<String> = if levels.len() == 1 {
        first_value
            .split(['/', '>', '＞', '／'])
            .map(str::to_owned)
            .collect()
    } else {
        levels.iter().map(|(_, value)| value.to_string()).collect()
    };
    CategoryPath::from_levels(&names).map(Some).map_err(|err| {
        (
            Some(first_header.to_owned()),
            Reason::InvalidCategory {
                value: names.join("/"),
                detail: err.to_string(),
            },
        )
    })
}

type Coordinates = (Option<f64>, Option<f64>);

fn coordinates(
    latitude: Option<(&str, &str)>,
    longitude: Option<(&str, &str)>,
) -> RowResult<Coordinates> {
    let parse = |cell: Option<(&str, &str)>, limit: f64| -> RowResult<Option<f64>> {
        match cell {
            Some((_, "")) | None => Ok(None),
            Some((header, value)) => value
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && v.abs() <= limit)
                .map(Some)
                .ok_or_else(|| {
                    (
                        Some(header.to_owned()),
                        Reason::InvalidCoordinate {
                            value: value.to_owned(),
                        },
                    )
                }),
        }
    };
    let lat = parse(latitude, 90.0)?;
    let lon = parse(longitude, 180.0)?;
    match (lat, lon) {
        (Some(_), None) | (None, Some(_)) => {
            let (header, value) = latitude
                .filter(|(_, v)| v.is_empty())
                .or(longitude)
                .unwrap_or(("", ""));
            Err((
                Some(header.to_owned()),
                Reason::InvalidCoordinate {
                    value: value.to_owned(),
                },
            ))
        }
        pair => Ok(pair),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> ParsedFile {
        read_requests("t.csv", text.as_bytes().to_vec(), &ReadOptions::default()).unwrap()
    }

    #[test]
    fn reads_teddy_cup_row() {
        let file = read(
            "留言编号,留言用户,留言主题,留言时间,留言详情,一级标签\n\
             188006,A000102948,路灯不亮,2019-02-28 11:25:05,小区门口路灯坏了,城乡建设\n",
        );
        assert!(file.rejected.is_empty(), "{:?}", file.rejected);
        let request = &file.rows[0].request;
        assert_eq!(request.external_id.as_deref(), Some("188006"));
        assert_eq!(request.citizen_ref.as_deref(), Some("A000102948"));
        assert_eq!(
            request
                .category
                .as_ref()
                .map(ToString::to_string)
                .as_deref(),
            Some("城乡建设")
        );
        assert_eq!(
            request
                .submitted_at
                .map(cityai_core::time::to_storage)
                .as_deref(),
            Some("2019-02-28T03:25:05Z")
        );
    }

    #[test]
    fn bad_date_rejects_row_and_names_column() {
        let file = read("留言时间,留言详情\n2019-02-30,路灯\n2019-02-28,井盖\n");
        assert_eq!(file.rows.len(), 1);
        assert_eq!(file.rejected[0].row, 2);
        assert_eq!(file.rejected[0].column.as_deref(), Some("留言时间"));
        assert_eq!(
            file.rejected[0].reason,
            Reason::InvalidDate {
                value: "2019-02-30".into()
            }
        );
    }

    #[test]
    fn empty_body_is_rejected() {
        let file = read("留言主题,留言详情\n只有标题,\n有内容,路灯\n");
        assert_eq!(file.rows.len(), 1);
        assert_eq!(file.rejected[0].reason, Reason::EmptyBody);
        assert_eq!(file.rejected[0].column.as_deref(), Some("留言详情"));
    }

    #[test]
    fn reads_votes_and_reply() {
        let file =
            read("留言详情,点赞数,反对数,答复意见,答复时间\n噪音,12,0,已处理,2019/3/1 9:00:00\n");
        let request = &file.rows[0].request;
        assert_eq!(request.support_votes, Some(12));
        assert_eq!(request.objection_votes, Some(0));
        assert_eq!(
            request.reply.as_ref().map(|r| r.body.as_str()),
            Some("已处理")
        );
        assert!(
            request
                .reply
                .as_ref()
                .is_some_and(|r| r.replied_at.is_some())
        );
    }

    #[test]
    fn negative_votes_are_rejected() {
        let file = read("留言详情,点赞数\n噪音,-3\n");
        assert_eq!(
            file.rejected[0].reason,
            Reason::InvalidInteger { value: "-3".into() }
        );
    }

    #[test]
    fn category_levels_form_a_path() {
        let file = read("内容,一级分类,二级分类,三级分类\n路灯,城乡建设,市政设施,路灯照明\n");
        let path = file.rows[0]
            .request
            .category
            .as_ref()
            .map(ToString::to_string);
        assert_eq!(path.as_deref(), Some("城乡建设/市政设施/路灯照明"));
    }

    #[test]
    fn half_coordinates_are_rejected() {
        let file = read("description,lat,lon\npothole,42.3,\n");
        assert!(matches!(
            file.rejected[0].reason,
            Reason::InvalidCoordinate { .. }
        ));
        let file = read("description,lat,lon\npothole,142.3,10\n");
        assert_eq!(
            file.rejected[0].reason,
            Reason::InvalidCoordinate {
                value: "142.3".into()
            }
        );
    }

    #[test]
    fn missing_body_column_is_an_error() {
        let err = read_requests(
            "t.csv",
            b"id,when\n1,2020-01-01\n".to_vec(),
            &ReadOptions::default(),
        )
        .unwrap_err();
        assert!(
            matches!(err, ImportError::MissingBodyColumn { headers, .. } if headers == "id, when")
        );
    }

    #[test]
    fn header_only_file_has_no_rows() {
        let file = read("留言编号,留言详情\n");
        assert_eq!(file.rows_total, 0);
        assert!(file.rows.is_empty());
    }
}
