//! The `cityai` command. Parses arguments, sets up logging and runs one subcommand.
//!
//! Exit codes: 0 success; 1 failure (the message says what and how to fix it); 2 invalid
//! arguments; 3 an import with `--strict` found bad rows and stored nothing.

use std::process::ExitCode;

use clap::Parser;

mod cli;
mod commands;
mod logging;
mod output;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    logging::init(&cli);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(err) => {
            output::error(&anyhow::Error::new(err).context("cannot start the async runtime"));
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(code) => code,
        Err(err) => {
            output::error(&err);
            ExitCode::FAILURE
        }
    }
}
