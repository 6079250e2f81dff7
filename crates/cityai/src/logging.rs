//! Log set-up: `tracing` to standard error, filtered by `RUST_LOG`.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::cli::{Cli, Command, LogFormat};

/// Installs the global subscriber. The server logs at `info` by default; batch commands log
/// warnings only, so that their output stays readable.
pub fn init(cli: &Cli) {
    let default = match cli.command {
        Command::Serve(_) => "info,sqlx=warn",
        Command::Import(_)
        | Command::Train(_)
        | Command::Route(_)
        | Command::Eval(_)
        | Command::User(_)
        | Command::Apikey(_)
        | Command::Audit(_)
        | Command::Pii(_)
        | Command::Ask(_)
        | Command::Hotspots(_)
        | Command::Migrate(_) => "warn",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    match cli.global.log_format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}
