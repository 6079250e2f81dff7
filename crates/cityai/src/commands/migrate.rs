//! `cityai migrate --from URL --to URL`: moving an installation to another database, such
//! as from a single node's SQLite file to the PostgreSQL database of several nodes.

use std::process::ExitCode;

use anyhow::Context;
use cityai_core::i18n::tf;
use cityai_store::Store;

use super::redact_url;
use crate::cli::{GlobalOptions, MigrateArgs};
use crate::output;

pub async fn run(global: &GlobalOptions, args: &MigrateArgs) -> anyhow::Result<ExitCode> {
    let lang = global.lang;
    let (from, to) = (redact_url(&args.from), redact_url(&args.to));
    if args.from.trim() == args.to.trim() {
        anyhow::bail!(tf(lang, "migrate.same_database", &[("url", &to)]));
    }
    // Opening an SQLite URL creates a missing file, and a mistyped source path would then
    // copy an empty installation and report success.
    if let Some(path) = sqlite_file(&args.from)
        && !std::path::Path::new(path).is_file()
    {
        anyhow::bail!(tf(lang, "migrate.source_missing", &[("path", &path)]));
    }

    let source = Store::open(&args.from)
        .await
        .with_context(|| tf(lang, "migrate.source_failed", &[("url", &from)]))?;
    let target = Store::open_schema_only(&args.to)
        .await
        .with_context(|| tf(lang, "migrate.target_failed", &[("url", &to)]))?;
    let report = source
        .copy_into(&target)
        .await
        .with_context(|| tf(lang, "migrate.copy_failed", &[("from", &from), ("to", &to)]))?;
    source.close().await;
    target.close().await;
    tracing::info!(
        tables = report.tables.len(),
        audit_events = report.audit_events,
        "copied the database"
    );

    if args.json {
        output::json(&report)?;
    } else {
        for table in &report.tables {
            output::line(&tf(
                lang,
                "migrate.table",
                &[("table", &table.table), ("rows", &table.rows)],
            ));
        }
        output::line(&tf(
            lang,
            "migrate.done",
            &[
                ("tables", &report.tables.len()),
                ("url", &to),
                ("events", &report.audit_events),
                ("hash", &report.audit_head_hash),
            ],
        ));
    }
    Ok(ExitCode::SUCCESS)
}

/// Returns the file path of an SQLite URL, or `None` for another scheme or an in-memory
/// database.
fn sqlite_file(url: &str) -> Option<&str> {
    let rest = url.trim().strip_prefix("sqlite:")?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let path = rest.split_once('?').map_or(rest, |(path, _)| path);
    (path != ":memory:" && !path.is_empty()).then_some(path)
}

#[cfg(test)]
mod tests {
    use super::sqlite_file;

    #[test]
    fn sqlite_file_paths() {
        assert_eq!(
            sqlite_file("sqlite:///srv/cityai.db"),
            Some("/srv/cityai.db")
        );
        assert_eq!(
            sqlite_file("sqlite://data/cityai.db?mode=ro"),
            Some("data/cityai.db")
        );
        assert_eq!(sqlite_file("sqlite:cityai.db"), Some("cityai.db"));
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("postgres://db/cityai"), None);
    }
}
