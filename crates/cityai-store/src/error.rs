//! The store's error type.

/// A failure to open, migrate, read or write the database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unsupported database URL {0:?}: use sqlite://PATH or postgres://USER@HOST/DATABASE")]
    UnsupportedUrl(String),

    #[error(
        "PostgreSQL database {database:?} uses collation {collation:?}; CityAI needs \"C\": \
         create it with CREATE DATABASE ... TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'"
    )]
    UnsupportedCollation { database: String, collation: String },

    #[error("cannot create the data directory {path}: {source}")]
    CreateDir {
        path: String,
        #[source]
        source: std::io::Error,
    },

    #[error(
        "the database has schema version {found}, newer than this build supports ({supported}); \
         run a newer cityai"
    )]
    SchemaTooNew { found: i64, supported: i64 },

    #[error("migration {version} ({name}) failed")]
    Migration {
        version: i64,
        name: &'static str,
        #[source]
        source: sqlx::Error,
    },

    #[error("invalid value {value:?} stored in column {column}")]
    InvalidStoredValue { column: &'static str, value: String },

    #[error("request {0} not found")]
    RequestNotFound(i64),

    #[error("the write of a live request stopped before it finished; submit the request again")]
    IntakeInterrupted,

    #[error("request {0} has no category to confirm; route it or correct it with a category")]
    NothingToConfirm(i64),

    #[error(
        "category {0:?} is not in the taxonomy; import the taxonomy or choose a listed category"
    )]
    UnknownCategory(String),

    #[error("department {0:?} is not registered")]
    UnknownDepartment(String),

    #[error("user {0:?} already exists; choose another name or change that user's password")]
    UserExists(String),

    #[error("user {0:?} not found; list users with `cityai user list`")]
    UserNotFound(String),

    #[error(
        "role {role} {hint}",
        hint = if *.0 == cityai_core::Role::Handler {
            "needs a department: give --department CODE"
        } else {
            "takes no department: only handlers belong to one"
        },
        role = .0
    )]
    DepartmentRequired(cityai_core::Role),

    #[error("reply draft {0} not found")]
    DraftNotFound(i64),

    #[error(
        "reply draft {0} is no longer open: it was approved or a newer draft replaced it; \
         reload the request"
    )]
    DraftClosed(i64),

    #[error("the reply text is empty; write the reply before approving it")]
    EmptyReply,

    #[error("API key {0:?} not found or already revoked")]
    ApiKeyNotFound(String),

    #[error(
        "the target database is not empty: table {table} has {rows} rows; \
         copy into a new, empty database"
    )]
    TargetNotEmpty { table: &'static str, rows: i64 },

    #[error("copying table {table} failed; the target is unchanged")]
    CopyFailed {
        table: &'static str,
        #[source]
        source: Box<sqlx::Error>,
    },

    #[error(
        "copying table {table} left {target} rows in the target for {expected} in the source; \
         the target is unchanged: stop every CityAI process that writes the source and run \
         the copy again"
    )]
    CopyCountMismatch {
        table: &'static str,
        expected: i64,
        target: i64,
    },

    #[error(
        "the copied audit chain breaks at event {seq}; the target is unchanged: run \
         `cityai audit verify` on the source and resolve the break first"
    )]
    CopyAuditBroken { seq: i64 },

    #[error(
        "the source has table {0:?}, which this build does not know how to copy; \
         run the copy with the CityAI version that created the database"
    )]
    CopyUnknownTable(String),

    #[error("{kind} {key:?} not found; list the existing ones first")]
    FrameworkNotFound { kind: &'static str, key: String },

    #[error("{kind} {key:?} already exists; choose another code")]
    FrameworkDuplicate { kind: &'static str, key: String },
    #[error("invalid {field} {value:?}: use one of {expected}")]
    InvalidValue {
        field: &'static str,
        value: String,
        expected: String,
    },

    #[error("AI application {0:?} not found; list the register to see the codes")]
    AiApplicationNotFound(String),

    #[error("AI application {0:?} is already registered; choose another code or edit that entry")]
    AiApplicationExists(String),

    #[error("application category {0:?} is not configured; add it first or choose a listed one")]
    UnknownAiCategory(String),

    #[error("{code} cannot move from {from} to {to}")]
    StageMove {
        code: String,
        from: &'static str,
        to: &'static str,
    },

    #[error(
        "{code} cannot move to {to} without an approved, unexpired ethical review; record a \
         review decision first"
    )]
    ApprovalRequired { code: String, to: &'static str },

    #[error("{what} {key} not found")]
    NotFound { what: &'static str, key: String },

    #[error("review {0} already has a decision; open a re-review instead")]
    ReviewDecided(i64),

    #[error("{0}")]
    RegisterRule(String),

    #[error("database error")]
    Database(#[from] sqlx::Error),
}
