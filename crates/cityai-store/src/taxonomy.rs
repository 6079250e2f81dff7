//! The category taxonomy and departments.

use std::collections::HashMap;

use cityai_core::{CategoryPath, Department, TaxonomyEntry};
use serde::Serialize;
use sqlx::any::Any;
use sqlx::{Row, Transaction};

use crate::builder::SqlBuilder;
use crate::{Backend, Result, Store, StoreError};

/// The counts of what a taxonomy import added and updated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct TaxonomySummary {
    pub categories_added: usize,
    pub categories_updated: usize,
    pub departments_added: usize,
}

/// A stored category with the department responsible for it, after inheritance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CategoryRecord {
    pub path: CategoryPath,
    /// The department set on this category itself.
    pub own_department: Option<String>,
    /// The department of this category or its nearest ancestor that has one.
    pub department: Option<String>,
}

impl Store {
    /// Adds departments and categories, updating names and department links that exist.
    ///
    /// Ancestors missing from `entries` are added without a department of their own. A
    /// category whose entry has no department keeps the one it had. Runs in one transaction.
    ///
    /// # Errors
    ///
    /// [`StoreError::UnknownDepartment`] when an entry names a department that is neither in
    /// `departments` nor stored; nothing is written then.
    pub async fn import_taxonomy(
        &self,
        departments: &[Department],
        entries: &[TaxonomyEntry],
    ) -> Result<TaxonomySummary> {
        let mut tx = self.begin_write().await?;
        let mut summary = TaxonomySummary::default();

        for department in departments {
            let existed = sqlx::query("SELECT 1 FROM departments WHERE code = $1")
                .bind(&department.code)
                .fetch_optional(&mut *tx)
                .await?
                .is_some();
            sqlx::query(
                "INSERT INTO departments (code, name) VALUES ($1, $2) \
                 ON CONFLICT (code) DO UPDATE SET name = excluded.name",
            )
            .bind(&department.code)
            .bind(&department.name)
            .execute(&mut *tx)
            .await?;
            if !existed {
                summary.departments_added += 1;
            }
        }

        for entry in entries {
            if let Some(code) = &entry.department {
                let known = sqlx::query("SELECT 1 FROM departments WHERE code = $1")
                    .bind(code)
                    .fetch_optional(&mut *tx)
                    .await?
                    .is_some();
                if !known {
                    return Err(StoreError::UnknownDepartment(code.clone()));
                }
            }
            for ancestor in entry
                .path
                .self_and_ancestors()
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
            {
                if ensure_category(&mut tx, &ancestor).await? {
                    summary.categories_added += 1;
                }
            }
            if let Some(code) = &entry.department {
                let changed = sqlx::query(
                    "UPDATE categories SET department_code = $1 \
                     WHERE path = $2 AND (department_code IS NULL OR department_code <> $1)",
                )
                .bind(code)
                .bind(entry.path.to_string())
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if changed > 0 {
                    summary.categories_updated += 1;
                }
            }
        }

        crate::audit::append(
            &mut tx,
            &crate::AuditEvent::new("system:import", "import.taxonomy").detail(serde_json::json!({
                "departments_added": summary.departments_added,
                "categories_added": summary.categories_added,
                "categories_updated": summary.categories_updated,
            })),
        )
        .await?;
        tx.commit().await?;
        Ok(summary)
    }

    /// Lists every department, ordered by code.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`] when the query fails.
    pub async fn departments(&self) -> Result<Vec<Department>> {
        let rows = sqlx::query("SELECT code, name FROM departments ORDER BY code")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(Department {
                    code: row.try_get("code")?,
                    name: row.try_get("name")?,
                })
            })
            .collect()
    }

    /// Lists every category in path order, with its effective department.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`] when the query fails, and
    /// [`StoreError::InvalidStoredValue`] for a malformed stored path.
    pub async fn categories(&self) -> Result<Vec<CategoryRecord>> {
        let rows = sqlx::query("SELECT path, department_code FROM categories ORDER BY path")
            .fetch_all(&self.pool)
            .await?;
        let mut own: Vec<(CategoryPath, Option<String>)> = Vec::with_capacity(rows.len());
        for row in &rows {
            let path: String = row.try_get("path")?;
            let parsed =
                CategoryPath::parse(&path).map_err(|_| StoreError::InvalidStoredValue {
                    column: "categories.path",
                    value: path.clone(),
                })?;
            own.push((parsed, row.try_get("department_code")?));
        }
        let lookup: HashMap<&CategoryPath, &Option<String>> = own
            .iter()
            .map(|(path, department)| (path, department))
            .collect();
        Ok(own
            .iter()
            .map(|(path, own_department)| CategoryRecord {
                path: path.clone(),
                own_department: own_department.clone(),
                department: path
                    .self_and_ancestors()
                    .find_map(|p| lookup.get(&p).and_then(|d| (*d).clone())),
            })
            .collect())
    }
}

/// Inserts a category row when it is missing; returns whether it was added.
async fn ensure_category(tx: &mut Transaction<'_, Any>, path: &CategoryPath) -> Result<bool> {
    let added = sqlx::query(
        "INSERT INTO categories (path, name, level, parent_path) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (path) DO NOTHING",
    )
    .bind(path.to_string())
    .bind(path.name())
    .bind(path.depth() as i64)
    .bind(path.parent().map(|p| p.to_string()))
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(added > 0)
}

/// Resolves categories to departments inside one transaction, adding categories that the
/// taxonomy lacks.
#[derive(Debug, Default)]
pub(crate) struct DepartmentCache {
    resolved: HashMap<CategoryPath, Option<String>>,
    pub(crate) categories_added: usize,
}

impl DepartmentCache {
    /// Resolves `paths` with one query, for the paths whose category and ancestors are all
    /// in the taxonomy already; [`DepartmentCache::department_for`] handles the rest.
    pub(crate) async fn preload(
        &mut self,
        tx: &mut Transaction<'_, Any>,
        paths: &[&CategoryPath],
    ) -> Result<()> {
        let mut lookup: Vec<String> = paths
            .iter()
            .filter(|path| !self.resolved.contains_key(**path))
            .flat_map(|path| path.self_and_ancestors())
            .map(|path| path.to_string())
            .collect();
        lookup.sort_unstable();
        lookup.dedup();
        if lookup.is_empty() {
            return Ok(());
        }
        let mut select = SqlBuilder::new(
            Backend::of(tx),
            "SELECT path, department_code FROM categories WHERE path IN (",
        );
        select.push_bind_list(lookup).push(")");
        let mut found: HashMap<String, Option<String>> = HashMap::new();
        for row in select.build()?.fetch_all(&mut **tx).await? {
            found.insert(row.try_get("path")?, row.try_get("department_code")?);
        }
        for path in paths {
            let mut department = None;
            let mut complete = true;
            for candidate in path.self_and_ancestors() {
                match found.get(&candidate.to_string()) {
                    Some(code) => {
                        if department.is_none() {
                            department.clone_from(code);
                        }
                    }
                    None => complete = false,
                }
            }
            if complete {
                self.resolved.insert((*path).clone(), department);
            }
        }
        Ok(())
    }

    /// Returns the department responsible for `path`, adding the category and its ancestors
    /// to the taxonomy when they are missing.
    pub(crate) async fn department_for(
        &mut self,
        tx: &mut Transaction<'_, Any>,
        path: &CategoryPath,
    ) -> Result<Option<String>> {
        if let Some(department) = self.resolved.get(path) {
            return Ok(department.clone());
        }
        for ancestor in path
            .self_and_ancestors()
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
        {
            if ensure_category(tx, &ancestor).await? {
                self.categories_added += 1;
            }
        }
        let mut department = None;
        for candidate in path.self_and_ancestors() {
            let row = sqlx::query("SELECT department_code FROM categories WHERE path = $1")
                .bind(candidate.to_string())
                .fetch_optional(&mut **tx)
                .await?;
            if let Some(code) = row
                .map(|r| r.try_get::<Option<String>, _>("department_code"))
                .transpose()?
                .flatten()
            {
                department = Some(code);
                break;
            }
        }
        self.resolved.insert(path.clone(), department.clone());
        Ok(department)
    }
}
