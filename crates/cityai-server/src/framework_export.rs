//! Tables of the AI framework for CSV and XLSX export.

use crate::AppState;

/// A named table: header and rows of text.
#[derive(Debug)]
pub(crate) struct ExportTable {
    pub name: &'static str,
    pub header: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
}

/// A failure to build or write an export.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ExportError {
    #[error("reading the table failed")]
    Store(#[from] cityai_store::StoreError),
    #[error("writing CSV failed")]
    Csv(#[from] csv::Error),
    #[error("writing XLSX failed")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("checking lineage failed")]
    Service(#[from] cityai_services::ServiceError),
}

impl ExportTable {
    /// Writes the table as UTF-8 CSV with a byte-order mark.
    pub(crate) fn to_csv(&self) -> Result<Vec<u8>, ExportError> {
        let mut writer = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
        writer.write_record(&self.header)?;
        for row in &self.rows {
            writer.write_record(row)?;
        }
        writer
            .into_inner()
            .map_err(|err| ExportError::Csv(err.into_error().into()))
    }

    /// Writes the table as one XLSX worksheet.
    pub(crate) fn to_xlsx(&self) -> Result<Vec<u8>, ExportError> {
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let sheet = workbook.add_worksheet();
        sheet.set_name(self.name)?;
        for (column, title) in self.header.iter().enumerate() {
            sheet.write_string(0, column as u16, *title)?;
        }
        for (row, values) in self.rows.iter().enumerate() {
            for (column, value) in values.iter().enumerate() {
                sheet.write_string(row as u32 + 1, column as u16, value)?;
            }
        }
        Ok(workbook.save_to_buffer()?)
    }
}

/// Builds the table `name`, or `None` when there is no such table.
pub(crate) async fn table(
    state: &AppState,
    name: &str,
) -> Result<Option<ExportTable>, ExportError> {
    let store = &state.store;
    let table = match name {
        "compute" => ExportTable {
            name: "compute",
            header: vec![
                "code",
                "site",
                "accelerator",
                "accelerator_count",
                "capacity_pflops",
                "utilisation",
                "internet_isolated",
                "environment_code",
            ],
            rows: store
                .compute_resources()
                .await?
                .into_iter()
                .map(|c| {
                    let r = c.resource;
                    vec![
                        r.code,
                        r.site,
                        r.accelerator,
                        r.accelerator_count.to_string(),
                        r.capacity_pflops.to_string(),
                        r.utilisation.to_string(),
                        r.internet_isolated.to_string(),
                        r.environment_code,
                    ]
                })
                .collect(),
        },
        "datasets" => ExportTable {
            name: "datasets",
            header: vec![
                "code",
                "name_zh",
                "name_en",
                "owner",
                "source",
                "classification",
                "personal_information",
                "legal_basis",
                "licence",
                "size_gb",
                "update_frequency",
            ],
            rows: store
                .datasets()
                .await?
                .into_iter()
                .map(|d| {
                    let d = d.dataset;
                    vec![
                        d.code,
                        d.name_zh,
                        d.name_en,
                        d.owner,
                        d.source,
                        d.classification.as_str().to_owned(),
                        d.personal_information.to_string(),
                        d.legal_basis,
                        d.licence,
                        d.size_gb.to_string(),
                        d.update_frequency.as_str().to_owned(),
                    ]
                })
                .collect(),
        },
        "models" => ExportTable {
            name: "models",
            header: vec![
                "code",
                "name_zh",
                "name_en",
                "base_model",
                "version",
                "ip_owner",
                "ip_owner_kind",
                "trained_on_public_data",
                "environment_code",
                "evaluation",
            ],
            rows: store
                .models()
                .await?
                .into_iter()
                .map(|m| {
                    let m = m.model;
                    let evaluation = serde_json::to_string(&m.evaluation).unwrap_or_default();
                    vec![
                        m.code,
                        m.name_zh,
                        m.name_en,
                        m.base_model,
                        m.version,
                        m.ip_owner,
                        m.ip_owner_kind.as_str().to_owned(),
                        m.trained_on_public_data.to_string(),
                        m.environment_code,
                        evaluation,
                    ]
                })
                .collect(),
        },
        "lineage" => {
            let violations = cityai_services::framework::lineage_violations(store).await?;
            ExportTable {
                name: "lineage",
                header: vec![
                    "rule",
                    "application",
                    "model",
                    "dataset",
                    "classification",
                    "environment",
                    "compute",
                ],
                rows: violations
                    .into_iter()
                    .map(|v| {
                        vec![
                            v.rule.as_str().to_owned(),
                            v.application,
                            v.model,
                            v.dataset,
                            v.classification.as_str().to_owned(),
                            v.environment,
                            v.compute.unwrap_or_default(),
                        ]
                    })
                    .collect(),
            }
        }
        "programmes" => ExportTable {
            name: "programmes",
            header: vec!["code", "name_zh", "name_en", "level", "partner"],
            rows: store
                .programmes()
                .await?
                .into_iter()
                .map(|p| {
                    let p = p.programme;
                    vec![
                        p.code,
                        p.name_zh,
                        p.name_en,
                        p.level.as_str().to_owned(),
                        p.partner,
                    ]
                })
                .collect(),
        },
        "coverage" => ExportTable {
            name: "coverage",
            header: vec![
                "department_code",
                "department_name",
                "staff",
                "enrolled",
                "completed",
                "coverage",
            ],
            rows: store
                .education_coverage(None)
                .await?
                .into_iter()
                .map(|c| {
                    vec![
                        c.department_code,
                        c.department_name,
                        c.staff.map(|s| s.to_string()).unwrap_or_default(),
                        c.enrolled.to_string(),
                        c.completed.to_string(),
                        c.coverage.map(|v| format!("{v:.4}")).unwrap_or_default(),
                    ]
                })
                .collect(),
        },
        "milestones" => ExportTable {
            name: "milestones",
            header: vec![
                "id", "phase", "title_zh", "title_en", "owner", "due_on", "status", "measure",
                "target",
            ],
            rows: store
                .milestones()
                .await?
                .into_iter()
                .map(|m| {
                    let id = m.id;
                    let m = m.milestone;
                    vec![
                        id.to_string(),
                        m.phase.as_str().to_owned(),
                        m.title_zh,
                        m.title_en,
                        m.owner,
                        m.due_on.to_string(),
                        m.status.as_str().to_owned(),
                        m.measure.as_str().to_owned(),
                        m.target.map(|t| t.to_string()).unwrap_or_default(),
                    ]
                })
                .collect(),
        },
        "inventory" => {
            // The workbook export covers datasets, the inventory's central table.
            return Box::pin(table(state, "datasets")).await;
        }
        _ => return Ok(None),
    };
    Ok(Some(table))
}
