//! Everything the command prints for its user.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::Write;

use serde::Serialize;

/// Prints a line of the command's result to standard output.
///
/// A closed standard output (the reader of a pipe went away) is ignored, as other Unix tools
/// do, so that a server does not fail at shutdown when no process reads its messages.
pub fn line(text: &str) {
    let _ = writeln!(std::io::stdout().lock(), "{text}");
}

/// Prints a value as one line of JSON to standard output.
pub fn json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    line(&serde_json::to_string(value)?);
    Ok(())
}

/// Prints an error and its causes to standard error.
pub fn error(err: &anyhow::Error) {
    eprintln!("error: {err}");
    for cause in err.chain().skip(1) {
        eprintln!("  caused by: {cause}");
    }
}
