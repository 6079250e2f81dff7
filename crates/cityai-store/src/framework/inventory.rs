//! The technology inventory: deployment environments, compute resources, datasets, models
//! and the lineage links between applications, models and datasets.

use chrono::Utc;
use cityai_core::framework::lineage::{
    ApplicationNode, ComputeNode, DatasetNode, EnvironmentNode, LineageGraph, ModelNode,
};
use cityai_core::framework::{DataClassification, IpOwnerKind, UpdateFrequency};
use cityai_core::time::to_storage;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{flag, stored};
use crate::audit::{self, AuditEvent};
use crate::{Result, Store, StoreError};

/// A deployment environment to store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewEnvironment {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub internet_isolated: bool,
    /// The highest classification of data the environment may process.
    pub approved_classification: DataClassification,
}

/// A stored deployment environment.
pub type Environment = NewEnvironment;

/// A compute resource to store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewComputeResource {
    pub code: String,
    pub site: String,
    /// The accelerator model, such as `Ascend 910B`; `cpu` for CPU-only nodes.
    pub accelerator: String,
    pub accelerator_count: i64,
    /// Peak dense FP16 throughput in PFLOPS.
    pub capacity_pflops: f64,
    /// Average share of capacity in use, 0 to 1.
    pub utilisation: f64,
    pub internet_isolated: bool,
    pub environment_code: String,
}

/// A stored compute resource.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComputeResource {
    pub id: i64,
    #[serde(flatten)]
    pub resource: NewComputeResource,
}

/// A dataset to store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewDataset {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub owner: String,
    pub source: String,
    pub classification: DataClassification,
    pub personal_information: bool,
    /// The legal basis of processing; required with personal information.
    #[serde(default)]
    pub legal_basis: String,
    #[serde(default)]
    pub licence: String,
    pub size_gb: f64,
    pub update_frequency: UpdateFrequency,
}

/// A stored dataset.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dataset {
    pub id: i64,
    #[serde(flatten)]
    pub dataset: NewDataset,
}

/// A model to store, with the datasets it was trained on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewModel {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub base_model: String,
    pub version: String,
    pub ip_owner: String,
    pub ip_owner_kind: IpOwnerKind,
    pub trained_on_public_data: bool,
    pub environment_code: String,
    #[serde(default)]
    pub compute_id: Option<i64>,
    /// Evaluation results: metric name to number.
    #[serde(default)]
    pub evaluation: std::collections::BTreeMap<String, f64>,
    #[serde(default)]
    pub dataset_ids: Vec<i64>,
}

/// A stored model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Model {
    pub id: i64,
    #[serde(flatten)]
    pub model: NewModel,
}

/// A register entry as the inventory shows it, with the models it uses.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApplicationSummary {
    pub id: i64,
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub category: String,
    pub stage: String,
    pub model_ids: Vec<i64>,
}

/// Maps a failed insert to [`StoreError::FrameworkDuplicate`] when the code is taken.
pub(super) fn duplicate_or(err: sqlx::Error, kind: &'static str, code: &str) -> StoreError {
    match &err {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::FrameworkDuplicate {
            kind,
            key: code.to_owned(),
        },
        _ => StoreError::Database(err),
    }
}

fn compute_from_row(row: &AnyRow) -> Result<ComputeResource> {
    Ok(ComputeResource {
        id: row.try_get("id")?,
        resource: NewComputeResource {
            code: row.try_get("code")?,
            site: row.try_get("site")?,
            accelerator: row.try_get("accelerator")?,
            accelerator_count: row.try_get("accelerator_count")?,
            capacity_pflops: row.try_get("capacity_pflops")?,
            utilisation: row.try_get("utilisation")?,
            internet_isolated: flag(row, "internet_isolated")?,
            environment_code: row.try_get("environment_code")?,
        },
    })
}

fn dataset_from_row(row: &AnyRow) -> Result<Dataset> {
    Ok(Dataset {
        id: row.try_get("id")?,
        dataset: NewDataset {
            code: row.try_get("code")?,
            name_zh: row.try_get("name_zh")?,
            name_en: row.try_get("name_en")?,
            owner: row.try_get("owner")?,
            source: row.try_get("source")?,
            classification: stored(row, "classification", DataClassification::parse)?,
            personal_information: flag(row, "personal_information")?,
            legal_basis: row.try_get("legal_basis")?,
            licence: row.try_get("licence")?,
            size_gb: row.try_get("size_gb")?,
            update_frequency: stored(row, "update_frequency", UpdateFrequency::parse)?,
        },
    })
}

impl Store {
    /// Checks that a row with `id` exists in `table`, for the friendlier error.
    pub(crate) async fn framework_exists(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        table: &'static str,
        column: &'static str,
        key: &str,
        kind: &'static str,
    ) -> Result<()> {
        // `table` and `column` are constants of this crate, never input.
        let found = sqlx::query(&format!(
            "SELECT 1 AS found FROM {table} WHERE CAST({column} AS TEXT) = $1"
        ))
        .bind(key)
        .fetch_optional(&mut **tx)
        .await?
        .is_some();
        if found {
            Ok(())
        } else {
            Err(StoreError::FrameworkNotFound {
                kind,
                key: key.to_owned(),
            })
        }
    }

    /// Stores a deployment environment, audited as `framework.environment.create`.
    ///
    /// # Errors
    ///
    /// [`StoreError::FrameworkDuplicate`] when the code is taken, [`StoreError::Database`].
    pub async fn insert_environment(&self, new: &NewEnvironment, actor: &str) -> Result<()> {
        let now = to_storage(Utc::now());
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO ai_environments (code, name_zh, name_en, internet_isolated, \
             approved_classification, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(&new.code)
        .bind(&new.name_zh)
        .bind(&new.name_en)
        .bind(i64::from(new.internet_isolated))
        .bind(new.approved_classification.as_str())
        .bind(&now)
        .execute(&mut *tx)
        .await
        .map_err(|err| duplicate_or(err, "environment", &new.code))?;
        audit::append(
            &mut tx,
            &AuditEvent::new(actor, "framework.environment.create")
                .target(format!("ai_environment:{}", new.code))
                .detail(json!({ "approved_classification": new.approved_classification })),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Returns every deployment environment by code.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`].
    pub async fn environments(&self) -> Result<Vec<Environment>> {
        let rows = sqlx::query(
            "SELECT code, name_zh, name_en, internet_isolated, approved_classification \
             FROM ai_environments ORDER BY code",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Environment {
                    code: row.try_get("code")?,
                    name_zh: row.try_get("name_zh")?,
                    name_en: row.try_get("name_en")?,
                    internet_isolated: flag(row, "internet_isolated")?,
                    approved_classification: stored(
                        row,
                        "approved_classification",
                        DataClassification::parse,
                    )?,
                })
            })
            .collect()
    }

    /// Stores a compute resource and returns its id.
    ///
    /// # Errors
    ///
    /// [`StoreError::FrameworkNotFound`] for an unknown environment,
    /// [`StoreError::FrameworkDuplicate`] when the code is taken, [`StoreError::Database`].
    pub async fn insert_compute_resource(
        &self,
        new: &NewComputeResource,
        actor: &str,
    ) -> Result<i64> {
        let now = to_storage(Utc::now());
        let mut tx = self.begin_write().await?;
        self.framework_exists(
            &mut tx,
            "ai_environments",
            "code",
            &new.environment_code,
            "environment",
        )
        .await?;
        let row = sqlx::query(
            "INSERT INTO ai_compute_resources (code, site, accelerator, accelerator_count, \
             capacity_pflops, utilisation, internet_isolated, environment_code, created_at, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
        )
        .bind(&new.code)
        .bind(&new.site)
        .bind(&new.accelerator)
        .bind(new.accelerator_count)
        .bind(new.capacity_pflops)
        .bind(new.utilisation)
        .bind(i64::from(new.internet_isolated))
        .bind(&new.environment_code)
        .bind(&now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|err| duplicate_or(err, "compute resource", &new.code))?;
        let id: i64 = row.try_get("id")?;
        audit::append(
            &mut tx,
            &AuditEvent::new(actor, "framework.compute.create")
                .target(format!("ai_compute:{id}"))
                .detail(json!({ "code": new.code })),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Returns every compute resource by code.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`].
    pub async fn compute_resources(&self) -> Result<Vec<ComputeResource>> {
        let rows = sqlx::query(
            "SELECT id, code, site, accelerator, accelerator_count, capacity_pflops, utilisation, \
             internet_isolated, environment_code FROM ai_compute_resources ORDER BY code",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(compute_from_row).collect()
    }

    /// Stores a dataset and returns its id.
    ///
    /// # Errors
    ///
    /// [`StoreError::FrameworkDuplicate`] when the code is taken, [`StoreError::Database`].
    pub async fn insert_dataset(&self, new: &NewDataset, actor: &str) -> Result<i64> {
        let now = to_storage(Utc::now());
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "INSERT INTO ai_datasets (code, name_zh, name_en, owner, source, classification, \
             personal_information, legal_basis, licence, size_gb, update_frequency, created_at, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) \
             RETURNING id",
        )
        .bind(&new.code)
        .bind(&new.name_zh)
        .bind(&new.name_en)
        .bind(&new.owner)
        .bind(&new.source)
        .bind(new.classification.as_str())
        .bind(i64::from(new.personal_information))
        .bind(&new.legal_basis)
        .bind(&new.licence)
        .bind(new.size_gb)
        .bind(new.update_frequency.as_str())
        .bind(&now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|err| duplicate_or(err, "dataset", &new.code))?;
        let id: i64 = row.try_get("id")?;
        audit::append(
            &mut tx,
            &AuditEvent::new(actor, "framework.dataset.create")
                .target(format!("ai_dataset:{id}"))
                .detail(json!({ "code": new.code, "classification": new.classification })),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Returns every dataset by code.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`].
    pub async fn datasets(&self) -> Result<Vec<Dataset>> {
        let rows = sqlx::query(
            "SELECT id, code, name_zh, name_en, owner, source, classification, \
             personal_information, legal_basis, licence, size_gb, update_frequency \
             FROM ai_datasets ORDER BY code",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(dataset_from_row).collect()
    }

    /// Stores a model with its training datasets and returns its id.
    ///
    /// The caller checks lineage first; this only stores.
    ///
    /// # Errors
    ///
    /// [`StoreError::FrameworkNotFound`] for an unknown environment, compute resource or
    /// dataset, [`StoreError::FrameworkDuplicate`] when the code is taken,
    /// [`StoreError::Database`].
    pub async fn insert_model(&self, new: &NewModel, actor: &str) -> Result<i64> {
        let now = to_storage(Utc::now());
        let mut tx = self.begin_write().await?;
        self.framework_exists(
            &mut tx,
            "ai_environments",
            "code",
            &new.environment_code,
            "environment",
        )
        .await?;
        if let Some(compute) = new.compute_id {
            self.framework_exists(
                &mut tx,
                "ai_compute_resources",
                "id",
                &compute.to_string(),
                "compute resource",
            )
            .await?;
        }
        for dataset in &new.dataset_ids {
            self.framework_exists(
                &mut tx,
                "ai_datasets",
                "id",
                &dataset.to_string(),
                "dataset",
            )
            .await?;
        }
        let evaluation = serde_json::to_string(&new.evaluation).unwrap_or_else(|_| "{}".into());
        let row = sqlx::query(
            "INSERT INTO ai_models (code, name_zh, name_en, base_model, version, ip_owner, \
             ip_owner_kind, trained_on_public_data, environment_code, compute_id, evaluation, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, \
             $12) RETURNING id",
        )
        .bind(&new.code)
        .bind(&new.name_zh)
        .bind(&new.name_en)
        .bind(&new.base_model)
        .bind(&new.version)
        .bind(&new.ip_owner)
        .bind(new.ip_owner_kind.as_str())
        .bind(i64::from(new.trained_on_public_data))
        .bind(&new.environment_code)
        .bind(new.compute_id)
        .bind(&evaluation)
        .bind(&now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|err| duplicate_or(err, "model", &new.code))?;
        let id: i64 = row.try_get("id")?;
        let mut datasets = new.dataset_ids.clone();
        datasets.sort_unstable();
        datasets.dedup();
        for dataset in &datasets {
            sqlx::query(
                "INSERT INTO ai_model_datasets (model_id, dataset_id, created_at) VALUES ($1, $2, $3)",
            )
            .bind(id)
            .bind(dataset)
            .bind(&now)
            .execute(&mut *tx)
            .await?;
        }
        audit::append(
            &mut tx,
            &AuditEvent::new(actor, "framework.model.create")
                .target(format!("ai_model:{id}"))
                .detail(json!({ "code": new.code, "datasets": datasets })),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Returns every model by code, with its training datasets.
    ///
    /// # Errors
    ///
    /// [`StoreError::InvalidStoredValue`] for a damaged evaluation, [`StoreError::Database`].
    pub async fn models(&self) -> Result<Vec<Model>> {
        let rows = sqlx::query(
            "SELECT id, code, name_zh, name_en, base_model, version, ip_owner, ip_owner_kind, \
             trained_on_public_data, environment_code, compute_id, evaluation FROM ai_models \
             ORDER BY code",
        )
        .fetch_all(&self.pool)
        .await?;
        let links = sqlx::query(
            "SELECT model_id, dataset_id FROM ai_model_datasets ORDER BY model_id, dataset_id",
        )
        .fetch_all(&self.pool)
        .await?;
        let links: Vec<(i64, i64)> = links
            .iter()
            .map(|row| Ok((row.try_get("model_id")?, row.try_get("dataset_id")?)))
            .collect::<Result<_>>()?;
        rows.iter()
            .map(|row| {
                let id: i64 = row.try_get("id")?;
                let evaluation: String = row.try_get("evaluation")?;
                let evaluation = serde_json::from_str(&evaluation).map_err(|_| {
                    StoreError::InvalidStoredValue {
                        column: "evaluation",
                        value: evaluation.clone(),
                    }
                })?;
                Ok(Model {
                    id,
                    model: NewModel {
                        code: row.try_get("code")?,
                        name_zh: row.try_get("name_zh")?,
                        name_en: row.try_get("name_en")?,
                        base_model: row.try_get("base_model")?,
                        version: row.try_get("version")?,
                        ip_owner: row.try_get("ip_owner")?,
                        ip_owner_kind: stored(row, "ip_owner_kind", IpOwnerKind::parse)?,
                        trained_on_public_data: flag(row, "trained_on_public_data")?,
                        environment_code: row.try_get("environment_code")?,
                        compute_id: row.try_get("compute_id")?,
                        evaluation,
                        dataset_ids: links
                            .iter()
                            .filter(|(model, _)| *model == id)
                            .map(|(_, dataset)| *dataset)
                            .collect(),
                    },
                })
            })
            .collect()
    }

    /// Records that a model was trained on a dataset; linking twice changes nothing.
    ///
    /// # Errors
    ///
    /// [`StoreError::FrameworkNotFound`] for an unknown model or dataset,
    /// [`StoreError::Database`].
    pub async fn link_model_dataset(
        &self,
        model_id: i64,
        dataset_id: i64,
        actor: &str,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        self.framework_exists(&mut tx, "ai_models", "id", &model_id.to_string(), "model")
            .await?;
        self.framework_exists(
            &mut tx,
            "ai_datasets",
            "id",
            &dataset_id.to_string(),
            "dataset",
        )
        .await?;
        let inserted = sqlx::query(
            "INSERT INTO ai_model_datasets (model_id, dataset_id, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (model_id, dataset_id) DO NOTHING",
        )
        .bind(model_id)
        .bind(dataset_id)
        .bind(to_storage(Utc::now()))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted > 0 {
            audit::append(
                &mut tx,
                &AuditEvent::new(actor, "framework.lineage.link")
                    .target(format!("ai_model:{model_id}"))
                    .detail(json!({ "dataset_id": dataset_id })),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Records that an application uses a model; linking twice changes nothing.
    ///
    /// # Errors
    ///
    /// [`StoreError::FrameworkNotFound`] for an unknown application or model,
    /// [`StoreError::Database`].
    pub async fn link_application_model(
        &self,
        application_id: i64,
        model_id: i64,
        actor: &str,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        self.framework_exists(
            &mut tx,
            "ai_applications",
            "id",
            &application_id.to_string(),
            "application",
        )
        .await?;
        self.framework_exists(&mut tx, "ai_models", "id", &model_id.to_string(), "model")
            .await?;
        let inserted = sqlx::query(
            "INSERT INTO ai_application_models (application_id, model_id, created_at) \
             VALUES ($1, $2, $3) ON CONFLICT (application_id, model_id) DO NOTHING",
        )
        .bind(application_id)
        .bind(model_id)
        .bind(to_storage(Utc::now()))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted > 0 {
            audit::append(
                &mut tx,
                &AuditEvent::new(actor, "framework.lineage.link")
                    .target(format!("ai_application:{application_id}"))
                    .detail(json!({ "model_id": model_id })),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Adds an entry to the register with only its names, category and stage, and returns
    /// its id; the register's own API records the rest.
    ///
    /// # Errors
    ///
    /// [`StoreError::FrameworkDuplicate`] when the code is taken, [`StoreError::Database`]
    /// (also for a stage outside the register's list).
    pub async fn register_application_minimal(
        &self,
        code: &str,
        name_zh: &str,
        name_en: &str,
        category: &str,
        stage: &str,
        actor: &str,
    ) -> Result<i64> {
        let now = to_storage(Utc::now());
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "INSERT INTO ai_applications (code, name_zh, name_en, category, stage, created_at, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
        )
        .bind(code)
        .bind(name_zh)
        .bind(name_en)
        .bind(category)
        .bind(stage)
        .bind(&now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|err| duplicate_or(err, "application", code))?;
        let id: i64 = row.try_get("id")?;
        audit::append(
            &mut tx,
            &AuditEvent::new(actor, "framework.application.create")
                .target(format!("ai_application:{id}"))
                .detail(json!({ "code": code, "stage": stage })),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Returns every register entry by code, with the models each uses.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`].
    pub async fn framework_applications(&self) -> Result<Vec<ApplicationSummary>> {
        let rows = sqlx::query(
            "SELECT id, code, name_zh, name_en, category, stage FROM ai_applications ORDER BY code",
        )
        .fetch_all(&self.pool)
        .await?;
        let links = sqlx::query(
            "SELECT application_id, model_id FROM ai_application_models \
             ORDER BY application_id, model_id",
        )
        .fetch_all(&self.pool)
        .await?;
        let links: Vec<(i64, i64)> = links
            .iter()
            .map(|row| Ok((row.try_get("application_id")?, row.try_get("model_id")?)))
            .collect::<Result<_>>()?;
        rows.iter()
            .map(|row| {
                let id: i64 = row.try_get("id")?;
                Ok(ApplicationSummary {
                    id,
                    code: row.try_get("code")?,
                    name_zh: row.try_get("name_zh")?,
                    name_en: row.try_get("name_en")?,
                    category: row.try_get("category")?,
                    stage: row.try_get("stage")?,
                    model_ids: links
                        .iter()
                        .filter(|(application, _)| *application == id)
                        .map(|(_, model)| *model)
                        .collect(),
                })
            })
            .collect()
    }

    /// Reads the whole lineage graph for the check.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`] and [`StoreError::InvalidStoredValue`].
    pub async fn lineage_graph(&self) -> Result<LineageGraph> {
        let applications = self.framework_applications().await?;
        let models = self.models().await?;
        let datasets = self.datasets().await?;
        let compute = self.compute_resources().await?;
        let environments = self.environments().await?;
        Ok(LineageGraph {
            applications: applications
                .into_iter()
                .map(|a| ApplicationNode {
                    id: a.id,
                    code: a.code,
                    model_ids: a.model_ids,
                })
                .collect(),
            models: models
                .into_iter()
                .map(|m| ModelNode {
                    id: m.id,
                    code: m.model.code,
                    environment_code: m.model.environment_code,
                    compute_id: m.model.compute_id,
                    dataset_ids: m.model.dataset_ids,
                })
                .collect(),
            datasets: datasets
                .into_iter()
                .map(|d| DatasetNode {
                    id: d.id,
                    code: d.dataset.code,
                    classification: d.dataset.classification,
                })
                .collect(),
            compute: compute
                .into_iter()
                .map(|c| ComputeNode {
                    id: c.id,
                    code: c.resource.code,
                    internet_isolated: c.resource.internet_isolated,
                })
                .collect(),
            environments: environments
                .into_iter()
                .map(|e| EnvironmentNode {
                    code: e.code,
                    approved_classification: e.approved_classification,
                    internet_isolated: e.internet_isolated,
                })
                .collect(),
        })
    }
}
