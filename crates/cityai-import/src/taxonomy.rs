//! Reading a category taxonomy file (一级分类, 二级分类, 三级分类, optional 承办部门).

use std::collections::BTreeMap;
use std::path::Path;

use cityai_core::{CategoryPath, Department, TaxonomyEntry};

use crate::error::{ImportError, Reason, RejectedRow};
use crate::table::read_table;

/// A taxonomy file read into departments, entries and rejected rows.
#[derive(Debug, Clone, Default)]
pub struct ParsedTaxonomy {
    /// Departments named in the file; the code is the department code column when present,
    /// the name otherwise.
    pub departments: Vec<Department>,
    pub entries: Vec<TaxonomyEntry>,
    pub rejected: Vec<RejectedRow>,
}

const LEVEL_HEADERS: [&[&str]; 3] = [
    &["一级分类", "一级标签", "level1", "category1", "category"],
    &["二级分类", "二级标签", "level2", "category2"],
    &["三级分类", "三级标签", "level3", "category3"],
];
const DEPARTMENT_HEADERS: &[&str] = &["承办部门", "部门", "department", "departmentname"];
const DEPARTMENT_CODE_HEADERS: &[&str] = &["部门编码", "departmentcode"];

/// Reads a taxonomy CSV or XLSX file.
///
/// # Errors
///
/// [`ImportError::Read`] when the file cannot be read, [`ImportError::TaxonomyColumns`]
/// without a first-level column, and the table errors of a request file.
pub fn read_taxonomy(path: &Path) -> Result<ParsedTaxonomy, ImportError> {
    let file_name = crate::display_name(path);
    let bytes = std::fs::read(path).map_err(|source| ImportError::Read {
        file: file_name.clone(),
        source,
    })?;
    let table = read_table(&file_name, &bytes, 1 << 16, None)?;
    let find = |names: &[&str]| {
        names.iter().find_map(|name| {
            table
                .headers
                .iter()
                .position(|h| h.trim().to_lowercase().replace(['_', ' '], "") == *name)
        })
    };
    let levels: Vec<Option<usize>> = LEVEL_HEADERS.iter().map(|names| find(names)).collect();
    if levels[0].is_none() {
        return Err(ImportError::TaxonomyColumns {
            file: file_name,
            headers: table.headers.join(", "),
        });
    }
    let department_column = find(DEPARTMENT_HEADERS);
    let code_column = find(DEPARTMENT_CODE_HEADERS);

    let mut parsed = ParsedTaxonomy {
        rejected: table.rejected,
        ..ParsedTaxonomy::default()
    };
    let mut departments: BTreeMap<String, String> = BTreeMap::new();
    for record in &table.records {
        let cell = |index: Option<usize>| {
            index
                .and_then(|i| record.cells.get(i))
                .map(|s| s.trim().to_owned())
                .unwrap_or_default()
        };
        let names: Vec<String> = levels.iter().map(|index| cell(*index)).collect();
        let path = match CategoryPath::from_levels(&names) {
            Ok(path) => path,
            Err(err) => {
                parsed.rejected.push(RejectedRow {
                    row: record.row,
                    line: record.line,
                    column: levels[0].map(|i| table.headers[i].clone()),
                    reason: Reason::InvalidCategory {
                        value: names.join("/"),
                        detail: err.to_string(),
                    },
                });
                continue;
            }
        };
        let name = cell(department_column);
        let code = cell(code_column);
        let department = match (code.is_empty(), name.is_empty()) {
            (true, true) => None,
            (true, false) => Some(name.clone()),
            (false, _) => Some(code.clone()),
        };
        if let Some(code) = &department {
            let display = if name.is_empty() { code.clone() } else { name };
            departments.entry(code.clone()).or_insert(display);
        }
        parsed.entries.push(TaxonomyEntry { path, department });
    }
    parsed.departments = departments
        .into_iter()
        .map(|(code, name)| Department { code, name })
        .collect();
    parsed.rejected.sort_by_key(|r| r.row);
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn parse(text: &str) -> ParsedTaxonomy {
        let mut file = tempfile::Builder::new().suffix(".csv").tempfile().unwrap();
        file.write_all(text.as_bytes()).unwrap();
        read_taxonomy(file.path()).unwrap()
    }

    #[test]
    fn reads_three_levels() {
        let parsed =
            parse("一级分类,二级分类,三级分类\n城乡建设,安全生产,事故处理\n城乡建设,市政,\n");
        assert_eq!(parsed.entries.len(), 2);
        assert_eq!(
            parsed.entries[0].path.to_string(),
            "城乡建设/安全生产/事故处理"
        );
        assert_eq!(parsed.entries[1].path.depth(), 2);
        assert!(parsed.departments.is_empty());
    }

    #[test]
    fn reads_departments_by_name_or_code() {
        let parsed = parse(
            "一级分类,二级分类,承办部门,部门编码\n交通运输,,市交通运输局,transport\n环境保护,,市生态环境局,\n",
        );
        assert_eq!(parsed.entries[0].department.as_deref(), Some("transport"));
        assert_eq!(
            parsed.entries[1].department.as_deref(),
            Some("市生态环境局")
        );
        assert_eq!(parsed.departments.len(), 2);
    }

    #[test]
    fn gap_in_levels_is_rejected() {
        let parsed = parse("一级分类,二级分类,三级分类\n城乡建设,,事故处理\n");
        assert!(parsed.entries.is_empty());
        assert_eq!(parsed.rejected[0].row, 2);
    }
}
