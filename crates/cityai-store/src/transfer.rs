//! Copying a whole CityAI database to another one, such as a single node's SQLite file to
//! the PostgreSQL database of several nodes.
//!
//! [`Store::copy_into`] reads the source in one read transaction and writes every table of
//! the target in one write transaction, in foreign-key order. Before it commits, it checks
//! that each table holds as many rows as the source and that the audit chain verifies on
//! the target, so any failure leaves the target's tables as they were. Columns that only
//! the target has (PostgreSQL's `search_terms`) stay NULL and are filled by the search
//! indexer later; tables that only SQLite has (its FTS5 search index) are not copied.
//!
//! It does not stop writers: the source must not change while it is copied.

use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::builder::SqlBuilder;

use crate::{Backend, Result, Store, StoreError};

/// A table to copy and the order its rows are read in.
struct TableSpec {
    name: &'static str,
    order_by: &'static str,
    /// Whether `id` is an identity column whose sequence must follow the copied ids.
    identity_id: bool,
    /// Whether a migration fills the table with defaults, which the copy replaces with the
    /// source's rows.
    seeded: bool,
}

/// Every table of the schema except `schema_migrations`, `audit_head` and the search
/// index, parents before children.
const TABLES: &[TableSpec] = &[
    TableSpec {
        name: "departments",
        order_by: "code",
        identity_id: false,
        seeded: false,
    },
    // A parent category has a lower level than its children.
    TableSpec {
        name: "categories",
        order_by: "level, path",
        identity_id: false,
        seeded: false,
    },
    TableSpec {
        name: "import_batches",
        order_by: "id",
        identity_id: true,
        seeded: false,
    },
    TableSpec {
        name: "requests",
        order_by: "id",
        identity_id: true,
        seeded: false,
    },
    TableSpec {
        name: "reply_drafts",
        order_by: "id",
        identity_id: true,
        seeded: false,
    },
    TableSpec {
        name: "replies",
        order_by: "id",
        identity_id: true,
        seeded: false,
    },
    TableSpec {
        name: "routing_models",
        order_by: "version",
        identity_id: false,
        seeded: false,
    },
    TableSpec {
        name: "routing_decisions",
        order_by: "id",
        identity_id: true,
        seeded: false,
    },
    TableSpec {
        name: "routing_feedback",
        order_by: "id",
        identity_id: true,
        seeded: false,
    },
    TableSpec {
        name: "users",
        order_by: "id",
        identity_id: true,
        seeded: false,
    },
    TableSpec {
        name: "sessions",
        order_by: "token_hash",
        identity_id: false,
        seeded: false,
    },
    TableSpec {
        name: "api_keys",
        order_by: "id",
        identity_id: true,
        seeded: false,
    },
    TableSpec {
        name: "knowledge_sources",
        order_by: "id",
        identity_id: true,
        seeded: false,
    },
    TableSpec {
        name: "knowledge_chunks",
        order_by: "id",
        identity_id: true,
        seeded: false,
    },
    TableSpec {
        name: "request_links",
        order_by: "request_id, other_id",
        identity_id: false,
        seeded: false,
    },
    TableSpec {
        name: "reception_conversations",
        order_by: "id",
        identity_id: false,
        seeded: false,
    },
    TableSpec {
        name: "reception_turns",
        order_by: "id",
        identity_id: true,
        seeded: false,
    },
    TableSpec {
        name: "ai_applications",
        order_by: "id",
        identity_id: true,
        seeded: false,
    },
    TableSpec {
        name: "ai_categories",
        order_by: "code",
        identity_id: false,
        seeded: true,
    },
    TableSpec {
        name: "ai_criteria",
        order_by: "code",
        identity_id: false,
        seeded: true,
    },
    TableSpec {
        name: "ai_scores",
        order_by: "application_id, criterion_code, scorer",
        identity_id: false,
        seeded: false,
    },
    TableSpec {
        name: "ai_approved_lists",
        order_by: "year, application_id",
        identity_id: false,
        seeded: false,
    },
    TableSpec {
        name: "ai_committee_members",
        order_by: "id",
        identity_id: true,
        seeded: false,
    },
    TableSpec {
        name: "ai_member_conflicts",
        order_by: "member_id, application_id",
        identity_id: false,
        seeded: false,
    },
    TableSpec {
        name: "ai_reviews",
        order_by: "id",
        identity_id: true,
        seeded: false,
    },
    TableSpec {
        name: "ai_funds",
        order_by: "application_id, year",
        identity_id: false,
        seeded: false,
    },
    TableSpec {
        name: "ai_monitoring",
        order_by: "id",
        identity_id: true,
        seeded: false,
    },
    TableSpec {
        name: "ai_organisations",
        order_by: "id",
        identity_id: true,
        seeded: false,
    },
    TableSpec {
        name: "ai_application_roles",
        order_by: "application_id, organisation_id, role",
        identity_id: false,
        seeded: false,
    },
    TableSpec {
        name: "ai_feedback",
        order_by: "id",
        identity_id: true,
        seeded: false,
    },
    TableSpec {
        name: "ai_environments",
        order_by: "code",
        identity_id: false,
        seeded: false,
    },
    TableSpec {
        name: "ai_compute_resources",
        order_by: "id",
        identity_id: true,
        seeded: false,
    },
    TableSpec {
        name: "ai_datasets",
        order_by: "id",
        identity_id: true,
        seeded: false,
    },
    TableSpec {
        name: "ai_models",
        order_by: "id",
        identity_id: true,
        seeded: false,
    },
    TableSpec {
        name: "ai_model_datasets",
        order_by: "model_id, dataset_id",
        identity_id: false,
        seeded: false,
    },
    TableSpec {
        name: "ai_application_models",
        order_by: "application_id, model_id",
        identity_id: false,
        seeded: false,
    },
    TableSpec {
        name: "ai_programmes",
        order_by: "id",
        identity_id: true,
        seeded: false,
    },
    TableSpec {
        name: "ai_courses",
        order_by: "id",
        identity_id: true,
        seeded: false,
    },
    TableSpec {
        name: "ai_course_sessions",
        order_by: "id",
        identity_id: true,
        seeded: false,
    },
    TableSpec {
        name: "ai_enrolments",
        order_by: "session_id, department_code",
        identity_id: false,
        seeded: false,
    },
    TableSpec {
        name: "ai_department_staff",
        order_by: "department_code",
        identity_id: false,
        seeded: false,
    },
    TableSpec {
        name: "ai_roi_scenarios",
        order_by: "id",
        identity_id: true,
        seeded: false,
    },
    TableSpec {
        name: "ai_roadmap_phases",
        order_by: "code",
        identity_id: false,
        seeded: true,
    },
    TableSpec {
        name: "ai_milestones",
        order_by: "id",
        identity_id: true,
        seeded: false,
    },
    TableSpec {
        name: "audit_events",
        order_by: "seq",
        identity_id: false,
        seeded: false,
    },
];

/// Tables that are not copied: the migration record and the audit head, which every
/// migrated database has, SQLite's search index with its FTS5 shadow tables, which the
/// indexer rebuilds, and the request counts, which the target's triggers keep as the
/// requests are copied.
fn is_skipped(table: &str) -> bool {
    matches!(table, "schema_migrations" | "audit_head" | "request_counts")
        || table.starts_with("request_search")
}

/// Rows read from the source per query.
const READ_PAGE: i64 = 2_000;

/// The maximum number of bound values in one INSERT, below the limits of SQLite (32,766) and
/// PostgreSQL (65,535).
const MAX_BOUND_VALUES: usize = 30_000;

/// The rows copied into one table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableCopy {
    pub table: &'static str,
    pub rows: i64,
}

/// What [`Store::copy_into`] copied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CopyReport {
    pub tables: Vec<TableCopy>,
    /// The audit events verified on the target.
    pub audit_events: i64,
    /// The hash of the newest audit event, as on the source.
    pub audit_head_hash: String,
}

/// The storage class of a column, as far as copying needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ColumnKind {
    Integer,
    Real,
    Text,
    Bytes,
    /// A type only one backend has (PostgreSQL's arrays): never copied.
    Other,
}

impl ColumnKind {
    fn from_declared(declared: &str) -> Self {
        let declared = declared.to_ascii_uppercase();
        if declared.contains("ARRAY") || declared.ends_with("[]") {
            ColumnKind::Other
        } else if declared.contains("INT") {
            ColumnKind::Integer
        } else if declared.contains("REAL") || declared.contains("DOUBLE") {
            ColumnKind::Real
        } else if declared.contains("BLOB") || declared.contains("BYTEA") {
            ColumnKind::Bytes
        } else {
            ColumnKind::Text
        }
    }
}

/// One value read from the source, typed as the target column is.
#[derive(Debug, Clone)]
enum Value {
    Integer(Option<i64>),
    Real(Option<f64>),
    Text(Option<String>),
    Bytes(Option<Vec<u8>>),
}

impl Store {
    /// Copies every row of this store into `target`, which must be empty, and returns the
    /// rows copied per table.
    ///
    /// Both stores must be at the same schema version. Open the target with
    /// [`Store::open_schema_only`], because [`Store::open`] registers the built-in AI
    /// features, which makes the target non-empty. Defaults that migrations wrote (such as
    /// the AI application categories) are replaced by the source's rows. All
    /// writes happen in one transaction on the target, committed only after the row counts
    /// match and the target's audit chain verifies.
    ///
    /// # Errors
    ///
    /// [`StoreError::TargetNotEmpty`] when a table of the target has rows,
    /// [`StoreError::CopyFailed`] naming the table whose copy failed,
    /// [`StoreError::CopyCountMismatch`] and [`StoreError::CopyAuditBroken`] when the
    /// checks fail, and [`StoreError::Database`] for other database failures. The target's
    /// tables are unchanged after any error.
    pub async fn copy_into(&self, target: &Store) -> Result<CopyReport> {
        let mut source = self.pool.begin().await?;
        let mut tx = target.begin_write().await?;

        // A table this list does not know would be left behind silently.
        for table in table_names(&mut source, self.backend).await? {
            if !is_skipped(&table) && !TABLES.iter().any(|known| known.name == table) {
                return Err(StoreError::CopyUnknownTable(table));
            }
        }

        // Refuse a target with data, before anything is written.
        for table in TABLES.iter().filter(|table| !table.seeded) {
            let rows = count_rows(&mut tx, table.name).await?;
            if rows > 0 {
                return Err(StoreError::TargetNotEmpty {
                    table: table.name,
                    rows,
                });
            }
        }

        let mut tables = Vec::with_capacity(TABLES.len());
        for table in TABLES {
            if table.seeded {
                sqlx::query(&format!("DELETE FROM {}", table.name))
                    .execute(&mut *tx)
                    .await?;
            }
            let copied = copy_table(&mut source, self.backend, &mut tx, target.backend, table)
                .await
                .map_err(|source| StoreError::CopyFailed {
                    table: table.name,
                    source: Box::new(source),
                })?;
            let expected = count_rows(&mut source, table.name).await?;
            let found = count_rows(&mut tx, table.name).await?;
            if copied != expected || found != expected {
                return Err(StoreError::CopyCountMismatch {
                    table: table.name,
                    expected,
                    target: found,
                });
            }
            if table.identity_id && target.backend == Backend::Postgres {
                restart_identity(&mut tx, table.name).await?;
            }
            tables.push(TableCopy {
                table: table.name,
                rows: found,
            });
        }

        // The head row exists in every migrated database; it takes the source's link.
        let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_one(&mut *source)
            .await?;
        let head_seq: i64 = head.try_get("seq")?;
        let head_hash: String = head.try_get("hash")?;
        sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
            .bind(head_seq)
            .bind(&head_hash)
            .execute(&mut *tx)
            .await?;

        let verification = crate::audit::verify_chain(&mut tx).await?;
        if let Some(broken) = verification.first_broken {
            return Err(StoreError::CopyAuditBroken { seq: broken.seq });
        }
        tx.commit().await?;
        source.rollback().await?;
        Ok(CopyReport {
            tables,
            audit_events: verification.checked,
            audit_head_hash: head_hash,
        })
    }
}

async fn count_rows(conn: &mut AnyConnection, table: &str) -> Result<i64> {
    let row = sqlx::query(&format!("SELECT COUNT(*) AS n FROM {table}"))
        .fetch_one(conn)
        .await?;
    Ok(row.try_get("n")?)
}

/// Returns the names of the tables in the database's schema.
async fn table_names(conn: &mut AnyConnection, backend: Backend) -> Result<Vec<String>> {
    let sql = match backend {
        Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        }
        Backend::Postgres => {
            "SELECT CAST(table_name AS TEXT) AS name FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
        }
    };
    let rows = sqlx::query(sql).fetch_all(conn).await?;
    Ok(rows
        .iter()
        .map(|row| row.try_get("name"))
        .collect::<Result<_, _>>()?)
}

/// Returns the columns of `table` with their kinds, in table order.
async fn columns(
    conn: &mut AnyConnection,
    backend: Backend,
    table: &str,
) -> Result<Vec<(String, ColumnKind)>, sqlx::Error> {
    let sql = match backend {
        Backend::Sqlite => {
            "SELECT name AS column_name, type AS data_type FROM pragma_table_info($1) ORDER BY cid"
        }
        Backend::Postgres => {
            "SELECT CAST(column_name AS TEXT) AS column_name, CAST(data_type AS TEXT) AS data_type \
             FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position"
        }
    };
    let rows = sqlx::query(sql).bind(table).fetch_all(conn).await?;
    rows.iter()
        .map(|row| {
            let name: String = row.try_get("column_name")?;
            let declared: String = row.try_get("data_type")?;
            Ok((name, ColumnKind::from_declared(&declared)))
        })
        .collect()
}

/// Copies one table page by page and returns the number of rows written.
async fn copy_table(
    source: &mut AnyConnection,
    source_backend: Backend,
    target: &mut AnyConnection,
    target_backend: Backend,
    table: &TableSpec,
) -> Result<i64, sqlx::Error> {
    // The columns both sides have, typed as the target declares them.
    let source_columns = columns(source, source_backend, table.name).await?;
    let shared: Vec<(String, ColumnKind)> = columns(target, target_backend, table.name)
        .await?
        .into_iter()
        .filter(|(name, kind)| {
            *kind != ColumnKind::Other && source_columns.iter().any(|(other, _)| other == name)
        })
        .collect();
    let names: Vec<&str> = shared.iter().map(|(name, _)| name.as_str()).collect();
    let column_list = names.join(", ");
    let rows_per_insert = (MAX_BOUND_VALUES / shared.len().max(1)).max(1);

    let mut copied = 0;
    let mut offset = 0;
    loop {
        let rows = sqlx::query(&format!(
            "SELECT {column_list} FROM {} ORDER BY {} LIMIT $1 OFFSET $2",
            table.name, table.order_by
        ))
        .bind(READ_PAGE)
        .bind(offset)
        .fetch_all(&mut *source)
        .await?;
        if rows.is_empty() {
            return Ok(copied);
        }
        offset += rows.len() as i64;

        let values: Vec<Vec<Value>> = rows
            .iter()
            .map(|row| read_row(row, &shared))
            .collect::<Result<_, _>>()?;
        for chunk in values.chunks(rows_per_insert) {
            let mut insert = SqlBuilder::new(
                Backend::of(target),
                format!("INSERT INTO {} ({column_list}) ", table.name),
            );
            insert.push_values(chunk, |mut builder, row| {
                for value in row {
                    match value {
                        Value::Integer(v) => builder.push_bind(v.to_owned()),
                        Value::Real(v) => builder.push_bind(v.to_owned()),
                        Value::Text(v) => builder.push_bind(v.clone()),
                        Value::Bytes(v) => builder.push_bind(v.clone()),
                    };
                }
            });
            let written = insert.build()?.execute(&mut *target).await?.rows_affected();
            copied += i64::try_from(written).unwrap_or(i64::MAX);
        }
    }
}

fn read_row(row: &AnyRow, columns: &[(String, ColumnKind)]) -> Result<Vec<Value>, sqlx::Error> {
    columns
        .iter()
        .map(|(name, kind)| {
            let name = name.as_str();
            Ok(match kind {
                ColumnKind::Integer => Value::Integer(row.try_get(name)?),
                ColumnKind::Real => Value::Real(row.try_get(name)?),
                ColumnKind::Bytes => Value::Bytes(row.try_get(name)?),
                ColumnKind::Text | ColumnKind::Other => Value::Text(row.try_get(name)?),
            })
        })
        .collect()
}

/// Moves the identity sequence of `table`'s `id` past the copied ids, so that new rows do
/// not collide with them.
async fn restart_identity(conn: &mut AnyConnection, table: &str) -> Result<()> {
    sqlx::query(&format!(
        "SELECT CAST(setval(pg_get_serial_sequence('{table}', 'id'), \
         COALESCE(MAX(id), 0) + 1, false) AS BIGINT) AS next FROM {table}"
    ))
    .fetch_one(conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_types_map_to_kinds() {
        assert_eq!(ColumnKind::from_declared("INTEGER"), ColumnKind::Integer);
        assert_eq!(ColumnKind::from_declared("bigint"), ColumnKind::Integer);
        assert_eq!(ColumnKind::from_declared("REAL"), ColumnKind::Real);
        assert_eq!(
            ColumnKind::from_declared("double precision"),
            ColumnKind::Real
        );
        assert_eq!(ColumnKind::from_declared("BLOB"), ColumnKind::Bytes);
        assert_eq!(ColumnKind::from_declared("bytea"), ColumnKind::Bytes);
        assert_eq!(ColumnKind::from_declared("TEXT"), ColumnKind::Text);
        assert_eq!(ColumnKind::from_declared("ARRAY"), ColumnKind::Other);
    }

    #[test]
    fn every_table_is_listed_once() {
        let mut names: Vec<&str> = TABLES.iter().map(|t| t.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), TABLES.len());
    }
}
