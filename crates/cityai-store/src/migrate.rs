//! Versioned schema migrations.
//!
//! Each migration is an SQL file applied once, in order, inside a transaction, and recorded
//! in `schema_migrations`. Applied migrations are never edited; a schema change is a new file.

use chrono::Utc;
use sqlx::{AnyConnection, AnyPool, Connection, Row};

use crate::{Backend, Result, StoreError};

/// One schema step.
#[derive(Debug)]
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

/// Every SQLite migration, in order.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "core",
        sql: include_str!("../migrations/sqlite/0001_core.sql"),
    },
    Migration {
        version: 2,
        name: "votes_and_import_batches",
        sql: include_str!("../migrations/sqlite/0002_votes_and_import_batches.sql"),
    },
    Migration {
        version: 3,
        name: "routing_models",
        sql: include_str!("../migrations/sqlite/0003_routing_models.sql"),
    },
    Migration {
        version: 4,
        name: "routing_decisions",
        sql: include_str!("../migrations/sqlite/0004_routing_decisions.sql"),
    },
    Migration {
        version: 5,
        name: "users_audit",
        sql: include_str!("../migrations/sqlite/0005_users_audit.sql"),
    },
    Migration {
        version: 6,
        name: "restricted_text",
        sql: include_str!("../migrations/sqlite/0006_restricted_text.sql"),
    },
    Migration {
        version: 7,
        name: "knowledge",
        sql: include_str!("../migrations/sqlite/0007_knowledge.sql"),
    },
    Migration {
        version: 8,
        name: "request_links",
        sql: include_str!("../migrations/sqlite/0008_request_links.sql"),
    },
    Migration {
        version: 9,
        name: "reply_drafts",
        sql: include_str!("../migrations/sqlite/0009_reply_drafts.sql"),
    },
    Migration {
        version: 10,
        name: "request_search",
        sql: include_str!("../migrations/sqlite/0010_request_search.sql"),
    },
    Migration {
        version: 11,
        name: "public_tokens",
        sql: include_str!("../migrations/sqlite/0011_public_tokens.sql"),
    },
    Migration {
        version: 12,
        name: "reception",
        sql: include_str!("../migrations/sqlite/0012_reception.sql"),
    },
    Migration {
        version: 13,
        name: "ai_register",
        sql: include_str!("../migrations/sqlite/0013_ai_register.sql"),
    },
    Migration {
        version: 14,
        name: "ai_governance",
        sql: include_str!("../migrations/sqlite/0014_ai_governance.sql"),
    },
    Migration {
        version: 15,
        name: "ai_framework",
        sql: include_str!("../migrations/sqlite/0015_ai_framework.sql"),
    },
    Migration {
        version: 16,
        name: "list_indexes",
        sql: include_str!("../migrations/sqlite/0016_list_indexes.sql"),
    },
    Migration {
        version: 17,
        name: "count_statements",
        sql: include_str!("../migrations/sqlite/0017_count_statements.sql"),
    },
];

/// Every PostgreSQL migration, in order: one per SQLite migration, with the same version
/// and name, producing the same tables and columns.
pub const POSTGRES_MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "core",
        sql: include_str!("../migrations/postgres/0001_core.sql"),
    },
    Migration {
        version: 2,
        name: "votes_and_import_batches",
        sql: include_str!("../migrations/postgres/0002_votes_and_import_batches.sql"),
    },
    Migration {
        version: 3,
        name: "routing_models",
        sql: include_str!("../migrations/postgres/0003_routing_models.sql"),
    },
    Migration {
        version: 4,
        name: "routing_decisions",
        sql: include_str!("../migrations/postgres/0004_routing_decisions.sql"),
    },
    Migration {
        version: 5,
        name: "users_audit",
        sql: include_str!("../migrations/postgres/0005_users_audit.sql"),
    },
    Migration {
        version: 6,
        name: "restricted_text",
        sql: include_str!("../migrations/postgres/0006_restricted_text.sql"),
    },
    Migration {
        version: 7,
        name: "knowledge",
        sql: include_str!("../migrations/postgres/0007_knowledge.sql"),
    },
    Migration {
        version: 8,
        name: "request_links",
        sql: include_str!("../migrations/postgres/0008_request_links.sql"),
    },
    Migration {
        version: 9,
        name: "reply_drafts",
        sql: include_str!("../migrations/postgres/0009_reply_drafts.sql"),
    },
    Migration {
        version: 10,
        name: "request_search",
        sql: include_str!("../migrations/postgres/0010_request_search.sql"),
    },
    Migration {
        version: 11,
        name: "public_tokens",
        sql: include_str!("../migrations/postgres/0011_public_tokens.sql"),
    },
    Migration {
        version: 12,
        name: "reception",
        sql: include_str!("../migrations/postgres/0012_reception.sql"),
    },
    Migration {
        version: 13,
        name: "ai_register",
        sql: include_str!("../migrations/postgres/0013_ai_register.sql"),
    },
    Migration {
        version: 14,
        name: "ai_governance",
        sql: include_str!("../migrations/postgres/0014_ai_governance.sql"),
    },
    Migration {
        version: 15,
        name: "ai_framework",
        sql: include_str!("../migrations/postgres/0015_ai_framework.sql"),
    },
    Migration {
        version: 16,
        name: "list_indexes",
        sql: include_str!("../migrations/postgres/0016_list_indexes.sql"),
    },
    Migration {
        version: 17,
        name: "count_statements",
        sql: include_str!("../migrations/postgres/0017_count_statements.sql"),
    },
];

/// The schema version this build writes.
pub const LATEST_VERSION: i64 = MIGRATIONS[MIGRATIONS.len() - 1].version;

const CREATE_MIGRATIONS_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL
)";

/// The key of the PostgreSQL advisory lock that serialises migrations, so that several nodes
/// starting at once apply each migration once.
const MIGRATION_LOCK_KEY: i64 = 0x6369_7479_6169_6d69;

/// Returns the migrations of `backend`.
pub(crate) fn migrations(backend: Backend) -> &'static [Migration] {
    match backend {
        Backend::Sqlite => MIGRATIONS,
        Backend::Postgres => POSTGRES_MIGRATIONS,
    }
}

/// Applies every migration above the current version up to `target`.
///
/// On PostgreSQL the migrations run under an advisory lock, so a node that starts while
/// another migrates waits and then finds the work done.
pub(crate) async fn run(pool: &AnyPool, backend: Backend, target: i64) -> Result<()> {
    let mut conn = pool.acquire().await?;
    if backend == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(MIGRATION_LOCK_KEY)
            .execute(&mut *conn)
            .await?;
    }
    let result = run_locked(&mut conn, backend, target).await;
    if backend == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(MIGRATION_LOCK_KEY)
            .execute(&mut *conn)
            .await?;
    }
    result
}

async fn run_locked(conn: &mut AnyConnection, backend: Backend, target: i64) -> Result<()> {
    sqlx::query(CREATE_MIGRATIONS_TABLE)
        .execute(&mut *conn)
        .await?;
    let current = current_version(&mut *conn).await?;
    if current > LATEST_VERSION {
        return Err(StoreError::SchemaTooNew {
            found: current,
            supported: LATEST_VERSION,
        });
    }
    for migration in migrations(backend)
        .iter()
        .filter(|m| m.version > current && m.version <= target)
    {
        apply(conn, migration)
            .await
            .map_err(|source| StoreError::Migration {
                version: migration.version,
                name: migration.name,
                source,
            })?;
        tracing::info!(
            version = migration.version,
            name = migration.name,
            "applied migration"
        );
    }
    Ok(())
}

async fn apply(conn: &mut AnyConnection, migration: &Migration) -> Result<(), sqlx::Error> {
    let mut tx = conn.begin().await?;
    sqlx::raw_sql(migration.sql).execute(&mut *tx).await?;
    sqlx::query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)")
        .bind(migration.version)
        .bind(migration.name)
        .bind(cityai_core::time::to_storage(Utc::now()))
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}

pub(crate) async fn current_version<'c, E>(executor: E) -> Result<i64>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let row = sqlx::query("SELECT COALESCE(MAX(version), 0) AS version FROM schema_migrations")
        .fetch_one(executor)
        .await?;
    Ok(row.try_get::<i64, _>("version")?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_increase() {
        assert_eq!(MIGRATIONS[0].version, 1);
        for pair in MIGRATIONS.windows(2) {
            assert_eq!(pair[1].version, pair[0].version + 1, "{}", pair[1].name);
        }
    }

    #[test]
    fn postgres_migrations_match_sqlite() {
        let sqlite: Vec<(i64, &str)> = MIGRATIONS.iter().map(|m| (m.version, m.name)).collect();
        let postgres: Vec<(i64, &str)> = POSTGRES_MIGRATIONS
            .iter()
            .map(|m| (m.version, m.name))
            .collect();
        assert_eq!(sqlite, postgres);
    }
}
