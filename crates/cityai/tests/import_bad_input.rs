//! Imports of damaged and unusual files: every bad row is reported with its row number and
//! reason, good rows are kept, and a killed import leaves nothing behind.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{cityai, counts, import_json, import_ok};
use serde_json::Value;

const HEADER: &str = "留言编号,留言用户,留言主题,留言时间,留言详情,一级标签\n";

fn rejected_rows(summary: &Value) -> Vec<(u64, String)> {
    summary["rejected_rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["row"].as_u64().unwrap(),
                r["reason"]["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Returns a file with each kind of bad row between good ones.
fn damaged_file() -> Vec<u8> {
    let mut bytes = HEADER.as_bytes().to_vec();
    bytes.extend("1,U1,路灯不亮,2019-02-28 11:25:05,湖滨路路灯不亮,城乡建设\n".as_bytes()); // row 2
    bytes.extend("2,U2,日期错误,2019-02-30 10:00:00,日期不存在的一行,城乡建设\n".as_bytes()); // row 3
    bytes.extend("3,U3,没有内容,2019-03-01 10:00:00,,环境保护\n".as_bytes()); // row 4
    bytes.extend("4,U4,好的一行,2019-03-02 10:00:00,\"多行内容\n第二行\",交通运输\n".as_bytes()); // row 5
    bytes.extend("5,U5,引号,2019-03-03 10:00:00,\"引号没有闭合,教育文体\n".as_bytes()); // row 6
    bytes.extend("6,U6,又一行好的,2019-03-04 10:00:00,菜市场噪音,商贸旅游\n".as_bytes()); // row 7
    bytes.extend(b"7,U7,bad bytes,2019-03-05 10:00:00,\xff\xfe broken,\xe5\x8d\xab\xe7\x94\x9f\xe8\xae\xa1\xe7\x94\x9f\n"); // row 8
    bytes.extend("8,U8,列数不对,2019-03-06 10:00:00,多了一列,卫生计生,多余\n".as_bytes()); // row 9
    bytes.extend("9,U9,最后一行,2019/3/7 9:05,最后一条好的,劳动和社会保障\n".as_bytes()); // row 10
    bytes
}

#[test]
fn bad_rows_are_reported_and_good_rows_kept() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("damaged.csv");
    std::fs::write(&file, damaged_file()).unwrap();

    let summary = import_ok(&dir.path().join("data"), &file, &[]);
    assert_eq!(counts(&summary), (4, 0, 5), "{summary}");
    assert_eq!(
        rejected_rows(&summary),
        [
            (3, "invalid_date".to_owned()),
            (4, "empty_body".to_owned()),
            (6, "unbalanced_quote".to_owned()),
            (8, "invalid_utf8".to_owned()),
            (9, "field_count".to_owned()),
        ]
    );
    let rows = summary["rejected_rows"].as_array().unwrap();
    assert_eq!(rows[0]["column"], "留言时间");
    assert!(
        rows[0]["message"].as_str().unwrap().contains("2019-02-30"),
        "{}",
        rows[0]
    );
    assert_eq!(rows[1]["column"], "留言详情");

    // The good rows, including the multi-line one, are stored.
    let again = import_ok(&dir.path().join("data"), &file, &[]);
    assert_eq!(counts(&again), (0, 4, 5), "{again}");
}

#[test]
fn strict_stores_nothing_when_a_row_is_bad() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("damaged.csv");
    std::fs::write(&file, damaged_file()).unwrap();
    let data = dir.path().join("data");

    let (output, summary) = import_json(&data, &file, &["--strict"]);
    assert_eq!(output.status.code(), Some(3));
    let summary = summary.unwrap();
    assert_eq!(counts(&summary), (0, 0, 5), "{summary}");
    assert_eq!(summary["committed"], false);

    // Without --strict the good rows are all new: the strict run stored none of them.
    let relaxed = import_ok(&data, &file, &[]);
    assert_eq!(counts(&relaxed), (4, 0, 5), "{relaxed}");
}

#[test]
fn text_summary_names_rows_and_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("damaged.csv");
    std::fs::write(&file, damaged_file()).unwrap();
    let output = cityai(&dir.path().join("data"))
        .args(["import", "requests"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.contains("Imported 4, duplicates 0, rejected 5."),
        "{text}"
    );
    assert!(
        text.contains("Row 3, 留言时间: date \"2019-02-30 10:00:00\""),
        "{text}"
    );
    assert!(text.contains("Row 6: a quote is not closed"), "{text}");
}

#[test]
fn chinese_messages_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("one.csv");
    std::fs::write(
        &file,
        format!("{HEADER}1,U1,路灯,2019-02-28,路灯不亮,城乡建设\n"),
    )
    .unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_cityai"))
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .arg("--database-url")
        .arg(cityai_store::testing::database_url_in(
            &dir.path().join("data"),
        ))
        .args(["import", "requests"])
        .arg(&file)
        .env_remove("CITYAI_LANG")
        .output()
        .unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("导入 1 条，重复 0 条，拒绝 0 条。"), "{text}");
}

#[test]
fn empty_file_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("empty.csv");
    std::fs::write(&file, b"").unwrap();
    let (output, _) = import_json(&dir.path().join("data"), &file, &[]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("empty.csv is empty"), "{stderr}");
}

#[test]
fn header_only_file_imports_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("header.csv");
    std::fs::write(&file, HEADER).unwrap();
    let summary = import_ok(&dir.path().join("data"), &file, &[]);
    assert_eq!(counts(&summary), (0, 0, 0), "{summary}");
    assert_eq!(summary["rows_total"], 0);
}

#[test]
fn file_without_body_column_names_the_header_and_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("nobody.csv");
    std::fs::write(&file, "编号,时间\n1,2019-01-01\n").unwrap();
    let (output, _) = import_json(&dir.path().join("data"), &file, &[]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("编号, 时间"), "{stderr}");
    assert!(stderr.contains("--map COLUMN=body"), "{stderr}");
}

#[test]
fn map_option_names_the_body_column() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("custom.csv");
    std::fs::write(&file, "编号,反映问题\n1,楼道堆放杂物\n").unwrap();
    let summary = import_ok(&dir.path().join("data"), &file, &["--map", "反映问题=body"]);
    assert_eq!(counts(&summary), (1, 0, 0), "{summary}");
}

#[test]
fn ten_megabyte_field_is_rejected_and_other_rows_kept() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("huge.csv");
    let mut out = std::fs::File::create(&file).unwrap();
    out.write_all(HEADER.as_bytes()).unwrap();
    out.write_all("1,U1,正常,2019-02-28,正常的一行,城乡建设\n".as_bytes())
        .unwrap();
    let huge = "很长的内容".repeat(10 * 1024 * 1024 / "很长的内容".len());
    writeln!(out, "2,U2,超长,2019-02-28,\"{huge}\",城乡建设").unwrap();
    out.write_all("3,U3,正常,2019-02-28,又一行正常的,城乡建设\n".as_bytes())
        .unwrap();
    drop(out);

    let data = dir.path().join("data");
    let summary = import_ok(&data, &file, &[]);
    assert_eq!(counts(&summary), (2, 0, 1), "{summary}");
    let rejected = &summary["rejected_rows"][0];
    assert_eq!(rejected["row"], 3);
    assert_eq!(rejected["reason"]["code"], "field_too_large");
    assert_eq!(rejected["column"], "留言详情");

    // Raising the limit lets the row in.
    let raised = import_ok(&data, &file, &["--max-field-bytes", "20000000"]);
    assert_eq!(counts(&raised), (1, 2, 0), "{raised}");
}

#[test]
fn killed_import_leaves_nothing_and_store_opens() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = dir.path().join("large.csv");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&file).unwrap());
    out.write_all(HEADER.as_bytes()).unwrap();
    for i in 0..200_000 {
        writeln!(out, "{i},U{i},第{i}条,2019-02-28 11:25:05,第{i}条诉求内容：小区路灯不亮，请尽快修理。,城乡建设").unwrap();
    }
    out.into_inner().unwrap().sync_all().unwrap();

    // One good import first, so that the store exists and contains a request to keep.
    let small = dir.path().join("small.csv");
    std::fs::write(
        &small,
        format!("{HEADER}s1,U1,路灯,2019-02-28,路灯不亮,城乡建设\n"),
    )
    .unwrap();
    assert_eq!(counts(&import_ok(&data, &small, &[])), (1, 0, 0));

    let mut child = cityai(&data)
        .env("RUST_LOG", "cityai_store=debug")
        .args(["import", "requests"])
        .arg(&file)
        .arg("--json")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut saw_progress = false;
    for line in BufReader::new(stderr).lines() {
        let line = line.unwrap();
        if line.contains("import progress") && line.contains("rows_written=5000") {
            saw_progress = true;
            break;
        }
        assert!(Instant::now() < deadline, "no import progress within 120 s");
    }
    assert!(saw_progress, "the import ended before it could be killed");
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert!(!status.success());

    // The store opens cleanly and holds only the first file.
    let again = import_ok(&data, &small, &[]);
    assert_eq!(counts(&again), (0, 1, 0), "{again}");
    let list = cityai(&data)
        .args(["import", "requests"])
        .arg(&file)
        .args(["--json", "--strict"])
        .output()
        .unwrap();
    let summary: Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(
        counts(&summary),
        (200_000, 0, 0),
        "nothing of the killed import was kept"
    );
}

#[test]
fn all_rows_rejected_exits_with_four() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad-dates.csv");
    std::fs::write(
        &file,
        format!("{HEADER}1,U1,a,昨天,路灯不亮,城乡建设\n2,U2,b,前天,井盖缺失,城乡建设\n"),
    )
    .unwrap();
    let (output, summary) = import_json(&dir.path().join("data"), &file, &[]);
    assert_eq!(output.status.code(), Some(4));
    assert_eq!(counts(&summary.unwrap()), (0, 0, 2));
}

#[test]
fn field_mapped_twice_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("one.csv");
    std::fs::write(
        &file,
        format!("{HEADER}1,U1,路灯,2019-02-28,路灯不亮,城乡建设\n"),
    )
    .unwrap();
    let (output, _) = import_json(
        &dir.path().join("data"),
        &file,
        &["--map", "留言详情=body", "--map", "留言主题=body"],
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("留言详情, 留言主题"), "{stderr}");
}

#[test]
fn sheet_option_on_csv_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("one.csv");
    std::fs::write(
        &file,
        format!("{HEADER}1,U1,路灯,2019-02-28,路灯不亮,城乡建设\n"),
    )
    .unwrap();
    let (output, _) = import_json(&dir.path().join("data"), &file, &["--sheet", "Sheet1"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("drop --sheet"), "{stderr}");
}
