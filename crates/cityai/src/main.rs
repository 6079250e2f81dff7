//! The `cityai` command. Parses arguments, sets up logging and runs one subcommand.
//!
//! Exit codes: 0 success; 1 failure (the message names the value and the fix); 2 invalid
//! arguments; 3 an import with `--strict` found bad rows and stored nothing; 4 every data row
//! of an imported file was rejected.

use std::process::ExitCode;

use clap::Parser;

mod cli;
mod commands;
mod logging;
mod output;

/// mimalloc instead of the system allocator: the server allocates many small, short-lived
/// buffers per request on every thread, where glibc's allocator spent a tenth of the CPU
/// time under load (see docs/benchmarks.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
