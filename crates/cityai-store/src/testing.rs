//! Database URLs for tests, so that one test suite runs on SQLite and on PostgreSQL.
//!
//! Without the environment variable [`POSTGRES_ENV`] every URL names an SQLite file in the
//! test's directory. With it set to a PostgreSQL server URL, such as
//! `postgres://postgres@127.0.0.1:55433/postgres`, each directory gets a database of its
//! own on that server, created with the C collation that [`crate::Store::open`] requires.
//!
//! The databases are left on the server after the tests; their names start with
//! `cityai_test_`, so a throwaway test cluster can be dropped whole.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::Connection;

/// The environment variable that names the PostgreSQL server tests run against.
pub const POSTGRES_ENV: &str = "CITYAI_TEST_POSTGRES";

/// The file in a test directory that records the database created for it.
const URL_FILE: &str = "test-database-url";

/// Returns the PostgreSQL server URL from [`POSTGRES_ENV`], or `None` when it is unset or
/// empty.
pub fn postgres_server() -> Option<String> {
    std::env::var(POSTGRES_ENV)
        .ok()
        .map(|url| url.trim().to_owned())
        .filter(|url| !url.is_empty())
}

/// Returns the database URL a test that keeps its files in `dir` should use.
///
/// Without [`POSTGRES_ENV`] this is [`crate::sqlite_url_in`]. With it, the first call for
/// `dir` creates a new, empty database on that server and records its URL in `dir` (which
/// is created), and later calls for the same `dir` return the same URL, so that a test can
/// run several `cityai` processes on one database. Blocks while creating the database.
///
/// # Panics
///
/// When the directory cannot be written or the database cannot be created: a test must not
/// fall back to SQLite silently.
pub fn database_url_in(dir: &Path) -> String {
    let Some(server) = postgres_server() else {
        return crate::sqlite_url_in(dir);
    };
    let recorded = dir.join(URL_FILE);
    if let Ok(url) = std::fs::read_to_string(&recorded) {
        return url;
    }
    std::fs::create_dir_all(dir)
        .unwrap_or_else(|err| panic!("cannot create test directory {}: {err}", dir.display()));
    let name = unique_database_name();
    create_database(&server, &name);
    let url = with_database(&server, &name);
    std::fs::write(&recorded, &url)
        .unwrap_or_else(|err| panic!("cannot write {}: {err}", recorded.display()));
    url
}

/// Makes `dir` use the database `url`, so that [`database_url_in`] returns it for `dir`;
/// for tests that run several nodes, each with its own directory, on one database.
///
/// # Panics
///
/// When `dir` cannot be created or written.
pub fn share_database(dir: &Path, url: &str) {
    std::fs::create_dir_all(dir)
        .unwrap_or_else(|err| panic!("cannot create test directory {}: {err}", dir.display()));
    let recorded = dir.join(URL_FILE);
    std::fs::write(&recorded, url)
        .unwrap_or_else(|err| panic!("cannot write {}: {err}", recorded.display()));
}

/// Returns a database name no other test process uses.
fn unique_database_name() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.subsec_nanos())
        .unwrap_or_default();
    format!(
        "cityai_test_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        nanos
    )
}

/// Returns `server` with its database name replaced by `name`, keeping any query string.
pub fn with_database(server: &str, name: &str) -> String {
    let (base, query) = match server.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (server, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[authority_start..]
        .find('/')
        .map_or(base.len(), |i| authority_start + i);
    let mut url = format!("{}/{name}", &base[..host_end]);
    if let Some(query) = query {
        url.push('?');
        url.push_str(query);
    }
    url
}

/// Creates database `name` on `server` with the C collation, on a thread of its own so that
/// both plain and async tests can call it.
fn create_database(server: &str, name: &str) {
    let server = server.to_owned();
    let sql = format!(
        "CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8' \
         LC_COLLATE 'C' LC_CTYPE 'C'"
    );
    let result = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|err| err.to_string())?;
        runtime.block_on(async {
            let mut conn = sqlx::PgConnection::connect(&server)
                .await
                .map_err(|err| format!("cannot connect: {err}"))?;
            sqlx::raw_sql(&sql)
                .execute(&mut conn)
                .await
                .map_err(|err| err.to_string())?;
            conn.close().await.map_err(|err| err.to_string())
        })
    })
    .join()
    .unwrap_or_else(|_| Err("the thread creating the database panicked".to_owned()));
    if let Err(err) = result {
        panic!("cannot create test database {name} on the server that {POSTGRES_ENV} names: {err}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_name_replaces_path() {
        assert_eq!(
            with_database("postgres://u@127.0.0.1:5432/postgres", "t1"),
            "postgres://u@127.0.0.1:5432/t1"
        );
        assert_eq!(
            with_database("postgres://u@localhost/postgres?sslmode=disable", "t1"),
            "postgres://u@localhost/t1?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://u@localhost", "t1"),
            "postgres://u@localhost/t1"
        );
    }
}
