//! The municipal departments (承办部门) of the fictional city 云川市.

use cityai_core::Department;

/// Department codes and display names.
const DEPARTMENTS: &[(&str, &str)] = &[
    ("housing", "云川市住房和城乡建设局"),
    ("urban_management", "云川市城市管理执法局"),
    ("ecology", "云川市生态环境局"),
    ("transport", "云川市交通运输局"),
    ("public_security", "云川市公安局"),
    ("education", "云川市教育局"),
    ("culture_tourism", "云川市文化和旅游局"),
    ("hrss", "云川市人力资源和社会保障局"),
    ("commerce", "云川市商务局"),
    ("health", "云川市卫生健康委员会"),
    ("agriculture", "云川市农业农村局"),
    ("civil_affairs", "云川市民政局"),
    ("justice", "云川市司法局"),
    ("natural_resources", "云川市自然资源和规划局"),
    ("market_regulation", "云川市市场监督管理局"),
    ("water", "云川市水务局"),
    ("government_office", "云川市人民政府办公室"),
];

pub(crate) fn all() -> Vec<Department> {
    DEPARTMENTS
        .iter()
        .map(|&(code, name)| Department {
            code: code.to_owned(),
            name: name.to_owned(),
        })
        .collect()
}

/// Returns the display name for `code`, or the code itself when it is unknown.
pub(crate) fn name(code: &str) -> &str {
    DEPARTMENTS
        .iter()
        .find(|&&(c, _)| c == code)
        .map_or(code, |&(_, name)| name)
}
