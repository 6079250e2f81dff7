//! Persistence for CityAI: requests, taxonomy, departments and import history.
//!
//! Callers talk to [`Store`] and never see SQL. The store runs on sqlx's `Any` driver with
//! runtime-checked queries written in SQL that SQLite and PostgreSQL both accept (`$1`
//! placeholders, `RETURNING`, `ON CONFLICT`), so a PostgreSQL backend needs only its own
//! migrations and URL handling. Times are stored as RFC 3339 UTC text.
//!
//! PostgreSQL differs from SQLite in a few places, each handled where it sits: the write
//! lock (`Store::begin_write`), the free-text index (`search`), day arithmetic on the
//! dashboard and the sort order of missing submission times.
//!
//! This crate does not parse files or route requests; it stores what other crates produce.

mod audit;
mod builder;
mod changes;
mod direct;
mod error;
mod framework;
mod import;
mod knowledge;
mod masking;
mod migrate;
mod reception;
mod register;
mod replies;
mod requests;
mod routing;
mod rows;
mod search;
mod taxonomy;
pub mod testing;
mod transfer;
mod users;

use std::path::Path;
use std::str::FromStr;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor, Row};

pub use audit::{AuditEvent, AuditRecord, AuditVerification, BrokenLink, ChainBreak, GENESIS_HASH};
pub use changes::{CHANGES_CHANNEL, Change, ChangeListener};
pub use cityai_core::ImportRow;
pub use error::StoreError;
pub use framework::{
    ApplicationSummary, ComputeResource, Course, CourseSession, Dataset, DepartmentCoverage,
    Enrolment, Environment, HandlingSample, LevelReach, MeasureCounts, Milestone, MilestoneUpdate,
    Model, NewComputeResource, NewCourse, NewDataset, NewEnvironment, NewMilestone, NewModel,
    NewProgramme, NewSession, Phase, Programme, RoiScenario,
};
pub use import::{ImportFile, ImportResult, RowConflict};
pub use knowledge::{KnowledgeImportResult, NewChunk, NewKnowledgeSource, StoredChunk};
pub use masking::UnmaskedText;
pub use migrate::{LATEST_VERSION, MIGRATIONS, POSTGRES_MIGRATIONS};
pub use reception::{ReceptionConversation, ReceptionExchange, ReceptionTurn};
pub use register::{
    AiApplication, AiCategory, ApplicationFields, ApprovedEntry, CommitteeMember, Conflict,
    Criterion, Decision, DraftingFigures, DueReview, Feedback, FeedbackStatus, Funds, GATE_TTL,
    GateCache, GateClosed, GateStatus, MAX_CODE_CHARS, MAX_FEEDBACK_CHARS, MAX_FIELD_CHARS,
    ModelType, MonitoringRecord, MonitoringSource, NewDecision, Organisation, OrganisationKind,
    ParticipantRole, Participation, PublicationCategory, RankedApplication, ReceptionFigures,
    Review, ReviewDue, ReviewKind, RiskLevel, RoutingFigures, Score, Stage,
};
pub use replies::{
    DashboardFigures, DraftStatus, NewReplyDraft, ReplyDraft, ReplyRecord, TimelineEvent, ai_share,
};
pub use requests::{HotspotRow, Page, RequestCounts, RequestFilter, RequestLink, RequestList};
pub use routing::{
    LabelledRequest, LiveIntake, Placement, RoutingDecision, RoutingOutcome, StoredModelInfo,
    UnroutedRequest,
};
pub use taxonomy::{CategoryRecord, TaxonomySummary};
pub use transfer::{CopyReport, TableCopy};
pub use users::{ApiKeyInfo, NewUser, SessionUser, User};

/// The register codes of CityAI's own AI features, which the store registers on first open.
pub mod ai_features {
    pub use crate::register::builtin::{
        BUILTIN_CODES, LLM_ANSWERS, RECEPTION, REPLY_DRAFTING, ROUTING,
    };
}

/// Shorthand for results of store operations.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The database engine behind a [`Store`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// One embedded SQLite file, for a single node.
    Sqlite,
    /// A PostgreSQL server that several stateless nodes share.
    Postgres,
}

impl Backend {
    /// Returns the backend a database URL selects: `sqlite:` or `postgres://`
    /// (`postgresql://` too).
    ///
    /// # Errors
    ///
    /// [`StoreError::UnsupportedUrl`] for any other scheme.
    pub fn from_url(url: &str) -> Result<Self> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::UnsupportedUrl(redact_url(url)))
        }
    }

    /// Returns the backend of an open connection.
    pub(crate) fn of(conn: &sqlx::AnyConnection) -> Self {
        if conn.backend_name().eq_ignore_ascii_case("sqlite") {
            Backend::Sqlite
        } else {
            Backend::Postgres
        }
    }
}

/// Returns `url` with any password replaced by `***`, for messages and logs.
fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((user_info, host)) => match user_info.split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// A handle to the CityAI database; cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// Queues this process's busiest writers (live intake, duplicate links, search
    /// indexing) in order, so that they wait on each other here instead of in SQLite's busy
    /// handler, which polls with growing sleeps and makes waits long and uneven.
    /// NOTE: the gate is per process, so several processes writing one SQLite file still
    /// wait in the busy handler.
    write_gate: std::sync::Arc<tokio::sync::Mutex<()>>,
    /// Live requests waiting for the next group commit (see [`Store::insert_live_request`]).
    live_queue: std::sync::Arc<std::sync::Mutex<Vec<routing::PendingLive>>>,
    /// The time of the last live group written, which tells whether a group waits for more.
    live_gather: std::sync::Arc<routing::LiveGather>,
    /// The AI register's gate results, cached for a few seconds.
    gates: std::sync::Arc<GateCache>,
    /// API keys' users, cached for a few seconds.
    key_cache: std::sync::Arc<users::ApiKeyCache>,
    /// The URL of a PostgreSQL database, for the connection that listens for changes.
    postgres_url: Option<std::sync::Arc<DatabaseUrl>>,
    /// Plain connections to an SQLite file for the busiest reads (see `direct`); `None` on
    /// PostgreSQL and for in-memory databases.
    direct: Option<std::sync::Arc<direct::DirectReads>>,
}

/// A database URL that may carry a password, which `Debug` hides.
struct DatabaseUrl(String);

impl DatabaseUrl {
    fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&redact_url(&self.0))
    }
}

impl Store {
    /// Opens the database at `url`, creating it and its parent directory on first use, and
    /// applies every pending migration.
    ///
    /// An SQLite database runs in WAL mode with foreign keys enforced and a 5 second busy
    /// timeout.
    ///
    /// # Errors
    ///
    /// [`StoreError::UnsupportedUrl`] for an unknown scheme, [`StoreError::CreateDir`] when the
    /// directory cannot be made, [`StoreError::SchemaTooNew`] when a newer CityAI made the
    /// database, and [`StoreError::Database`] or [`StoreError::Migration`] for database
    /// failures.
    pub async fn open(url: &str) -> Result<Self> {
        Self::open_at_version(url, LATEST_VERSION).await
    }

    /// Opens the database and migrates it up to `version` only.
    ///
    /// For tests and fixtures that need a database as an older CityAI left it.
    ///
    /// # Errors
    ///
    /// As [`Store::open`].
    pub async fn open_at_version(url: &str, version: i64) -> Result<Self> {
        Self::open_with(url, version, true).await
    }

    /// Opens the database and applies every pending migration, but writes no data: no
    /// masking of old rows and no registration of the built-in AI features.
    ///
    /// For the target of [`Store::copy_into`], which must stay empty until the copy.
    ///
    /// # Errors
    ///
    /// As [`Store::open`].
    pub async fn open_schema_only(url: &str) -> Result<Self> {
        Self::open_with(url, LATEST_VERSION, false).await
    }

    async fn open_with(url: &str, version: i64, write_defaults: bool) -> Result<Self> {
        let backend = Backend::from_url(url)?;
        sqlx::any::install_default_drivers();
        let pool = match backend {
            Backend::Sqlite => open_sqlite_pool(url).await?,
            Backend::Postgres => open_postgres_pool(url).await?,
        };
        let store = Store {
            pool,
            backend,
            write_gate: std::sync::Arc::default(),
            live_queue: std::sync::Arc::default(),
            gates: std::sync::Arc::default(),
            key_cache: std::sync::Arc::default(),
            live_gather: std::sync::Arc::default(),
            postgres_url: (backend == Backend::Postgres)
                .then(|| std::sync::Arc::new(DatabaseUrl(url.to_owned()))),
            direct: sqlite_file(url)
                .map(|path| std::sync::Arc::new(direct::DirectReads::new(&path))),
        };
        migrate::run(&store.pool, backend, version).await?;
        if write_defaults && version >= masking::MASKING_VERSION {
            store.mask_legacy_requests().await?;
        }
        if write_defaults && version >= register::REGISTER_VERSION {
            store
                .ensure_builtin_ai_applications(chrono::Utc::now())
                .await?;
        }
        if backend == Backend::Sqlite {
            // Gathers the statistics the query planner needs to choose between the request
            // indexes; cheap when they are fresh. 0x10002 also analyses tables never analysed.
            // PostgreSQL's autovacuum keeps its statistics itself.
            sqlx::raw_sql("PRAGMA optimize = 0x10002;")
                .execute(&store.pool)
                .await?;
        }
        Ok(store)
    }

    /// Returns the database engine this store runs on.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Begins a transaction that will write, holding the write lock from its start.
    ///
    /// On SQLite a plain `BEGIN` reads under a snapshot and requests the write lock only
    /// at the first write, so when another connection committed in between, that write fails at
    /// once with "database is locked" instead of waiting. `BEGIN IMMEDIATE` waits for the
    /// lock up front, within the busy timeout.
    ///
    /// On PostgreSQL the transaction takes a transaction-scoped advisory lock that every
    /// writing transaction of every node takes, so writes run one at a time as on SQLite,
    /// and ids are committed in the order they were drawn. The store's transactions were
    /// written for that order; one lock taken first also rules out deadlocks between them.
    /// NOTE: this caps write throughput at one transaction at a time across all nodes;
    /// reads run in parallel.
    pub(crate) async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        let tx = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => {
                let mut tx = self.pool.begin().await?;
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(WRITE_LOCK_KEY)
                    .execute(&mut *tx)
                    .await?;
                tx
            }
        };
        Ok(tx)
    }

    /// Runs `read` on a direct SQLite connection (see `direct`). Returns `None` when the
    /// store has none or the read failed; the caller then reads through the pool, which
    /// reports any error.
    pub(crate) fn read_directly<T>(
        &self,
        read: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<T>,
    ) -> Option<T> {
        match self.direct.as_ref()?.with(read)? {
            Ok(value) => Some(value),
            Err(err) => {
                tracing::warn!(error = %err, "a direct SQLite read failed; reading through the pool");
                None
            }
        }
    }

    /// Returns how many reads the direct SQLite connections served (see `direct`), or
    /// `None` when this store has none: on PostgreSQL, for an in-memory database, and for
    /// the handle [`Store::through_pool`] returns.
    pub fn direct_reads(&self) -> Option<u64> {
        self.direct.as_ref().map(|direct| direct.served())
    }

    /// Returns a handle to the same database that makes every read through the pool, for
    /// comparing the two ways of reading.
    pub fn through_pool(&self) -> Store {
        Store {
            direct: None,
            ..self.clone()
        }
    }

    /// Waits for this process's turn to write; hold the guard until the transaction ends.
    pub(crate) async fn write_turn(&self) -> tokio::sync::OwnedMutexGuard<()> {
        self.write_gate.clone().lock_owned().await
    }

    /// Recomputes the query planner's statistics of the requests table after a large write.
    ///
    /// A full `ANALYZE` of the table, because the sampled statistics of `PRAGMA optimize`
    /// misjudge the category index and make filtered lists several times slower. It reads
    /// every index once: about 0.1 s per 100,000 requests.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`] when the statement fails.
    pub async fn optimize(&self) -> Result<()> {
        sqlx::raw_sql("ANALYZE requests;")
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Returns the highest migration applied to the database.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`] when the query fails.
    pub async fn schema_version(&self) -> Result<i64> {
        migrate::current_version(&self.pool).await
    }

    /// Checks that the database runs a trivial query, for readiness probes.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`] when it does not.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Closes every connection, checkpointing the SQLite write-ahead log.
    pub async fn close(&self) {
        if let Some(direct) = &self.direct {
            direct.close();
        }
        self.pool.close().await;
    }
}

/// The key of the PostgreSQL advisory lock that [`Store::begin_write`] takes.
const WRITE_LOCK_KEY: i64 = 0x6369_7479_6169_7772;

/// Opens an SQLite pool in WAL mode with foreign keys enforced and a 5 second busy timeout.
///
/// `synchronous = NORMAL` is a per-connection setting, so every connection sets it: in WAL mode a
/// commit then appends to the log without waiting for the disk, and only checkpoints sync.
/// A crash of the process loses nothing; a power cut can lose the last commits. Reads go
/// through a memory map of the database file rather than a copy per connection, so that a
/// connection whose cache another connection's write made stale reads pages without a
/// system call.
async fn open_sqlite_pool(url: &str) -> Result<AnyPool> {
    let url = prepare_sqlite_url(url)?;
    let options = AnyConnectOptions::from_str(&url)?;
    // A connection to a local file does not drop, so the pool hands it out without first
    // checking it with a round trip to its thread.
    let pool = AnyPoolOptions::new()
        .max_connections(8)
        .test_before_acquire(false)
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                conn.execute(
                    "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; \
                     PRAGMA synchronous = NORMAL; PRAGMA mmap_size = 268435456;",
                )
                .await?;
                Ok(())
            })
        })
        .connect_with(options)
        .await?;
    sqlx::raw_sql("PRAGMA journal_mode = WAL;")
        .execute(&pool)
        .await?;
    Ok(pool)
}

/// Opens a PostgreSQL pool and checks that the database compares text by code point.
async fn open_postgres_pool(url: &str) -> Result<AnyPool> {
    let options = AnyConnectOptions::from_str(url)?;
    let pool = AnyPoolOptions::new()
        .max_connections(16)
        .connect_with(options)
        .await?;

    // Category filters select a subtree as the range from `P/` to `P0`, and lists sort
    // text as SQLite does; both need byte order, which only the C collation gives.
    let row = sqlx::query(
        "SELECT CAST(current_database() AS TEXT) AS name, CAST(datcollate AS TEXT) AS collation \
         FROM pg_database WHERE datname = current_database()",
    )
    .fetch_one(&pool)
    .await?;
    let collation: String = row.try_get("collation")?;
    if collation != "C" && collation != "POSIX" {
        return Err(StoreError::UnsupportedCollation {
            database: row.try_get("name")?,
            collation,
        });
    }
    Ok(pool)
}

/// Returns the file of an SQLite URL, or `None` for another scheme or an in-memory database.
fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let rest = url.strip_prefix("sqlite:")?.trim_start_matches("//");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let in_memory =
        path.is_empty() || path == ":memory:" || query.split('&').any(|pair| pair == "mode=memory");
    (!in_memory).then(|| std::path::PathBuf::from(path))
}

/// Creates the directory of an SQLite file and adds `mode=rwc` to the URL, so that sqlx
/// creates the file, unless the URL already sets a mode.
fn prepare_sqlite_url(url: &str) -> Result<String> {
    let rest = url.trim_start_matches("sqlite:").trim_start_matches("//");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let parent = Path::new(path)
        .parent()
        .filter(|p| path != ":memory:" && !p.as_os_str().is_empty());
    if let Some(parent) = parent {
        std::fs::create_dir_all(parent).map_err(|source| StoreError::CreateDir {
            path: parent.display().to_string(),
            source,
        })?;
    }
    if query.split('&').any(|pair| pair.starts_with("mode=")) {
        Ok(url.to_owned())
    } else if query.is_empty() {
        Ok(format!("sqlite://{path}?mode=rwc"))
    } else {
        Ok(format!("sqlite://{path}?{query}&mode=rwc"))
    }
}

/// Returns the SQLite URL of the database file `cityai.db` inside `data_dir`.
pub fn sqlite_url_in(data_dir: &Path) -> String {
    format!("sqlite://{}", data_dir.join("cityai.db").display())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_url_gets_create_mode() {
        let dir = tempfile::tempdir().unwrap();
        let url = sqlite_url_in(&dir.path().join("nested"));
        let prepared = prepare_sqlite_url(&url).unwrap();
        assert!(prepared.ends_with("cityai.db?mode=rwc"), "{prepared}");
        assert!(dir.path().join("nested").is_dir());
    }

    #[test]
    fn sqlite_url_keeps_explicit_mode() {
        let prepared = prepare_sqlite_url("sqlite://x.db?mode=ro").unwrap();
        assert_eq!(prepared, "sqlite://x.db?mode=ro");
    }

    #[tokio::test]
    async fn every_sqlite_connection_syncs_normally() {
        sqlx::any::install_default_drivers();
        let dir = tempfile::tempdir().unwrap();
        let pool = open_sqlite_pool(&sqlite_url_in(dir.path())).await.unwrap();
        // Several connections at once, so that the pool opens more than the first.
        let mut connections = Vec::new();
        for _ in 0..4 {
            connections.push(pool.acquire().await.unwrap());
        }
        for conn in &mut connections {
            let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
                .fetch_one(&mut **conn)
                .await
                .unwrap();
            // 1 is NORMAL. The default, FULL (2), would sync the disk on every commit.
            assert_eq!(synchronous, 1);
            let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
                .fetch_one(&mut **conn)
                .await
                .unwrap();
            assert_eq!(journal, "wal");
        }
    }

    #[test]
    fn unknown_scheme_is_rejected() {
        let err = Backend::from_url("mysql://localhost/cityai").unwrap_err();
        assert!(
            err.to_string().contains("mysql://localhost/cityai"),
            "{err}"
        );
    }
}
