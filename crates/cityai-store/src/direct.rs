//! The busiest reads of an SQLite store, run on plain SQLite connections in the caller's
//! thread.
//!
//! sqlx runs every SQLite connection on a thread of its own. Each query is handed to that
//! thread and its rows are handed back, and the pool (sqlx 0.8) checks a connection with one
//! more round trip to its thread whenever the connection is given back. A read by key takes
//! SQLite microseconds, so these thread switches cost more than the query. [`DirectReads`]
//! serves the reads that staff make all day (one request, a page of a list whose total the
//! triggers keep, the next request in triage) on connections of its own, in the calling
//! thread.
//!
//! Blocking the caller is acceptable here because each of these reads walks an index for a
//! bounded number of rows. In WAL mode a reader does not wait for writers, only for the
//! recovery of the log after a crash. Reads with a cost that grows with the data (counting,
//! searching text, deep pages) stay on the pool.
//!
//! The connections open the same file read and write, set `query_only`, and see every
//! transaction committed before the read starts, as the pool's connections do.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use rusqlite::{Connection, OpenFlags, Statement};

use crate::rows::{Columns, REQUEST_COLUMN_NAMES, REQUEST_COLUMNS, request_from_row};
use crate::{Result, StoreError};
use cityai_core::Request;

/// The maximum number of idle connections kept. More callers at once open more connections,
/// which are closed after use.
const MAX_IDLE: usize = 8;

/// Direct connections to one SQLite file, shared by the clones of a store.
#[derive(Debug)]
pub(crate) struct DirectReads {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    /// Set by [`DirectReads::close`]: no connection opens after it.
    closed: AtomicBool,
    /// The number of reads served, for tests and operators.
    served: AtomicU64,
}

impl DirectReads {
    /// Returns direct reads of the SQLite file at `path`.
    pub(crate) fn new(path: &Path) -> Self {
        Self {
            path: path.to_owned(),
            idle: Mutex::new(Vec::new()),
            closed: AtomicBool::new(false),
            served: AtomicU64::new(0),
        }
    }

    /// Returns the number of reads served so far.
    pub(crate) fn served(&self) -> u64 {
        self.served.load(Ordering::Relaxed)
    }

    /// Closes the idle connections and opens no more, so that the pool's last
    /// connection can checkpoint the write-ahead log when it closes.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.idle.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    /// Runs `read` on an idle connection, or on a new one when none is idle; `None` once the
    /// store is closed.
    pub(crate) fn with<T>(
        &self,
        read: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Option<rusqlite::Result<T>> {
        if self.closed.load(Ordering::Acquire) {
            return None;
        }
        let idle = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let conn = match idle {
            Some(conn) => conn,
            None => match self.open() {
                Ok(conn) => conn,
                Err(err) => return Some(Err(err)),
            },
        };
        let result = read(&conn);
        if result.is_ok() {
            self.served.fetch_add(1, Ordering::Relaxed);
            let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
            if idle.len() < MAX_IDLE && !self.closed.load(Ordering::Acquire) {
                idle.push(conn);
            }
        }
        Some(result)
    }

    fn open(&self) -> rusqlite::Result<Connection> {
        // The file exists: the pool created and migrated it before this opens.
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.execute_batch(
            "PRAGMA query_only = ON; PRAGMA busy_timeout = 5000; \
             PRAGMA mmap_size = 268435456;",
        )?;
        conn.set_prepared_statement_cache_capacity(32);
        Ok(conn)
    }
}

/// Returns the request with `id`, or `None`.
pub(crate) fn request(conn: &Connection, id: i64) -> rusqlite::Result<Option<Result<Request>>> {
    let mut statement = conn.prepare_cached(&format!(
        "SELECT {REQUEST_COLUMNS} FROM requests WHERE id = ?1"
    ))?;
    let mut rows = statement.query([id])?;
    Ok(rows.next()?.map(|row| request_from_row(&DirectRow(row))))
}

/// Runs a list query whose placeholders are named `$1` to `$N`, binding `values[i - 1]` to
/// `$i`, and returns its requests with the value of its column `list_total`, if any.
pub(crate) fn request_page(
    conn: &Connection,
    sql: &str,
    values: &[rusqlite::types::Value],
) -> rusqlite::Result<(Vec<Result<Request>>, Option<i64>)> {
    let mut statement = conn.prepare_cached(sql)?;
    bind_numbered(&mut statement, values)?;
    // The total, when selected, follows the request's columns.
    let total_index = REQUEST_COLUMN_NAMES.len();
    let has_total = statement.column_count() > total_index;
    let mut rows = statement.raw_query();
    let mut items = Vec::new();
    let mut total = None;
    while let Some(row) = rows.next()? {
        if has_total && total.is_none() {
            total = Some(row.get(total_index)?);
        }
        items.push(request_from_row(&DirectRow(row)));
    }
    Ok((items, total))
}

/// Returns the integer in the first column of the first row that `sql` selects, if any.
pub(crate) fn optional_integer(
    conn: &Connection,
    sql: &str,
    values: &[rusqlite::types::Value],
) -> rusqlite::Result<Option<i64>> {
    let mut statement = conn.prepare_cached(sql)?;
    bind_numbered(&mut statement, values)?;
    let mut rows = statement.raw_query();
    rows.next()?.map(|row| row.get(0)).transpose()
}

/// Binds `values[i - 1]` to the parameter `$i` wherever the statement uses it. SQLite takes
/// `$1` for a name, so the position of a value follows the name, not the order of first use.
fn bind_numbered(
    statement: &mut Statement<'_>,
    values: &[rusqlite::types::Value],
) -> rusqlite::Result<()> {
    for (i, value) in values.iter().enumerate() {
        if let Some(index) = statement.parameter_index(&format!("${}", i + 1))? {
            statement.raw_bind_parameter(index, value)?;
        }
    }
    Ok(())
}

/// A row of a direct read whose first columns are [`REQUEST_COLUMNS`]. It finds a column by
/// its place in that list, because rusqlite's lookup by name compares the name with every
/// column's, which took a tenth of the server's time in a profile of list reads.
struct DirectRow<'a>(&'a rusqlite::Row<'a>);

impl DirectRow<'_> {
    fn get<T: rusqlite::types::FromSql>(&self, column: &'static str) -> Result<T> {
        let index = REQUEST_COLUMN_NAMES
            .iter()
            .position(|name| *name == column)
            .ok_or_else(|| {
                read_error(
                    column,
                    rusqlite::Error::InvalidColumnName(column.to_owned()),
                )
            })?;
        self.0.get(index).map_err(|err| read_error(column, err))
    }
}

impl Columns for DirectRow<'_> {
    fn text(&self, column: &'static str) -> Result<Option<String>> {
        self.get(column)
    }

    fn integer(&self, column: &'static str) -> Result<Option<i64>> {
        self.get(column)
    }

    fn real(&self, column: &'static str) -> Result<Option<f64>> {
        self.get(column)
    }
}

fn read_error(column: &'static str, err: rusqlite::Error) -> StoreError {
    StoreError::InvalidStoredValue {
        column,
        value: err.to_string(),
    }
}
