//! Imports the real Teddy Cup message file as CSV (UTF-8 and GB18030) and as XLSX.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use common::{counts, import_ok, shared_data};

const MESSAGES: &str = "teddy2020/messages_train.csv";
const MESSAGE_ROWS: u64 = 6_718;

#[test]
fn real_file_imports_once_then_only_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let file = shared_data(MESSAGES);

    let first = import_ok(dir.path(), &file, &[]);
    assert_eq!(counts(&first), (MESSAGE_ROWS, 0, 0), "{first}");
    assert_eq!(first["encoding"], "UTF-8");
    assert_eq!(first["columns"]["留言详情"], "body");
    assert_eq!(first["columns"]["一级标签"], "category");

    let second = import_ok(dir.path(), &file, &[]);
    assert_eq!(counts(&second), (0, MESSAGE_ROWS, 0), "{second}");
}

#[test]
fn gb18030_copy_imports_identically() {
    let dir = tempfile::tempdir().unwrap();
    let utf8 = std::fs::read_to_string(shared_data(MESSAGES)).unwrap();
    let (encoded, _, unmappable) = encoding_rs::GB18030.encode(&utf8);
    assert!(!unmappable, "GB18030 covers all of Unicode");
    let gb_file = dir.path().join("messages_gb18030.csv");
    std::fs::write(&gb_file, &encoded).unwrap();

    let fresh = dir.path().join("fresh");
    let from_gb = import_ok(&fresh, &gb_file, &[]);
    assert_eq!(counts(&from_gb), (MESSAGE_ROWS, 0, 0), "{from_gb}");
    assert_eq!(from_gb["encoding"], "GB18030");

    // The same messages arrive again in UTF-8: every row is a duplicate.
    let from_utf8 = import_ok(&fresh, &shared_data(MESSAGES), &[]);
    assert_eq!(counts(&from_utf8), (0, MESSAGE_ROWS, 0), "{from_utf8}");
}

#[test]
fn utf8_bom_copy_imports_identically() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = vec![0xEF, 0xBB, 0xBF];
    bytes.extend(std::fs::read(shared_data(MESSAGES)).unwrap());
    let bom_file = dir.path().join("messages_bom.csv");
    std::fs::write(&bom_file, bytes).unwrap();

    let summary = import_ok(&dir.path().join("data"), &bom_file, &[]);
    assert_eq!(counts(&summary), (MESSAGE_ROWS, 0, 0), "{summary}");
    assert_eq!(summary["columns"]["留言编号"], "external_id");
}

#[test]
fn xlsx_copy_imports_identically() {
    let dir = tempfile::tempdir().unwrap();
    let xlsx_file = dir.path().join("messages.xlsx");
    write_xlsx_copy(&shared_data(MESSAGES), &xlsx_file);

    let data = dir.path().join("data");
    let from_xlsx = import_ok(&data, &xlsx_file, &[]);
    assert_eq!(counts(&from_xlsx), (MESSAGE_ROWS, 0, 0), "{from_xlsx}");
    assert_eq!(from_xlsx["format"], "xlsx");

    let from_csv = import_ok(&data, &shared_data(MESSAGES), &[]);
    assert_eq!(counts(&from_csv), (0, MESSAGE_ROWS, 0), "{from_csv}");
}

/// Writes every cell of a CSV file to the first sheet of a workbook, as Excel would hold an
/// export: ids as numbers, times as real date-time cells, the rest as text.
fn write_xlsx_copy(csv_path: &Path, xlsx_path: &Path) {
    let mut reader = csv::Reader::from_path(csv_path).unwrap();
    let headers = reader.headers().unwrap().clone();
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    let date_format = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    for (col, header) in headers.iter().enumerate() {
        sheet.write_string(0, col as u16, header).unwrap();
    }
    for (index, record) in reader.records().enumerate() {
        let record = record.unwrap();
        let row = index as u32 + 1;
        for (col, value) in record.iter().enumerate() {
            let col = col as u16;
            if value.is_empty() {
                continue;
            }
            match headers.get(col as usize) {
                Some("留言编号") => {
                    sheet
                        .write_number(row, col, value.parse::<f64>().unwrap())
                        .unwrap();
                }
                Some("留言时间") => {
                    let datetime = rust_xlsxwriter::ExcelDateTime::parse_from_str(value).unwrap();
                    sheet
                        .write_datetime_with_format(row, col, &datetime, &date_format)
                        .unwrap();
                }
                _ => {
                    sheet.write_string(row, col, value).unwrap();
                }
            }
        }
    }
    workbook.save(xlsx_path).unwrap();
}

#[test]
fn boston_311_export_imports_with_us_dates() {
    let dir = tempfile::tempdir().unwrap();
    let file = shared_data("us311_samples/boston311_2015_sample5000.csv");
    let summary = import_ok(
        dir.path(),
        &file,
        &[
            "--map",
            "CASE_TITLE=body",
            "--source",
            "boston",
            "--utc-offset",
            "-05:00",
        ],
    );
    let (imported, duplicates, rejected) = counts(&summary);
    assert_eq!(imported + rejected, 5_000, "{summary}");
    assert_eq!(duplicates, 0);
    assert!(imported >= 4_990, "{summary}");
    assert_eq!(summary["columns"]["OPEN_DT"], "submitted_at");
    assert_eq!(summary["columns"]["LATITUDE"], "latitude");
    for row in summary["rejected_rows"].as_array().unwrap() {
        assert_eq!(row["reason"]["code"], "empty_body", "{row}");
    }
}

#[test]
fn message_with_other_citizen_id_is_a_named_conflict() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    import_ok(&data, &shared_data(MESSAGES), &[]);
    // The reply file repeats some messages under the same id with another user pseudonym.
    let summary = import_ok(&data, &shared_data("teddy2020/replies_train.csv"), &[]);
    let conflicts: Vec<&serde_json::Value> = summary["rejected_rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|row| row["reason"]["code"] == "external_id_conflict")
        .collect();
    assert!(!conflicts.is_empty(), "{summary}");
    for conflict in conflicts {
        assert_eq!(conflict["column"], "留言编号");
        let fields = conflict["reason"]["fields"].as_str().unwrap();
        assert!(!fields.is_empty(), "{conflict}");
        assert!(
            conflict["message"].as_str().unwrap().contains(fields),
            "{conflict}"
        );
    }
}
