//! Subcommands. Each opens what it needs, does its work through the library crates, and
//! prints through [`crate::output`].

mod accounts;
mod hotspots;
mod import;
mod knowledge;
mod migrate;
mod pii;
mod reply_quality;
mod routing;
mod serve;

use std::process::ExitCode;

use anyhow::Context;
use cityai_store::Store;

use crate::cli::{Cli, Command, EvalCommand, GlobalOptions, ImportCommand, TrainCommand};

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve(args) => serve::run(&cli.global, &args).await,
        Command::Import(ImportCommand::Requests(args)) => {
            import::requests(&cli.global, &args).await
        }
        Command::Import(ImportCommand::Taxonomy(args)) => {
            import::taxonomy(&cli.global, &args).await
        }
        Command::Import(ImportCommand::Knowledge(args)) => {
            knowledge::import(&cli.global, &args).await
        }
        Command::Ask(args) => knowledge::ask(&cli.global, &args).await,
        Command::Hotspots(args) => hotspots::run(&cli.global, &args).await,
        Command::Eval(EvalCommand::Knowledge(args)) => knowledge::eval(&cli.global, &args).await,
        Command::Train(TrainCommand::Routing(args)) => routing::train(&cli.global, &args).await,
        Command::Route(args) => routing::route(&cli.global, &args).await,
        Command::Eval(EvalCommand::Routing(args)) => routing::eval(&cli.global, &args).await,
        Command::Eval(EvalCommand::Replies(args)) => reply_quality::eval(&cli.global, &args).await,
        Command::User(command) => accounts::user(&cli.global, command).await,
        Command::Apikey(command) => accounts::api_key(&cli.global, command).await,
        Command::Audit(command) => accounts::audit(&cli.global, command).await,
        Command::Migrate(args) => migrate::run(&cli.global, &args).await,
        Command::Pii(crate::cli::PiiCommand::Scan { input, json }) => {
            pii::scan(&cli.global, &input, json)
        }
    }
}

/// Opens the configured database, creating and migrating it when needed.
async fn open_store(global: &GlobalOptions) -> anyhow::Result<Store> {
    let url = global.database_url();
    Store::open(&url).await.with_context(|| {
        cityai_core::i18n::tf(
            global.lang,
            "store.open_failed",
            &[("url", &redact_url(&url))],
        )
    })
}

/// Hides a password in a database URL so that it can be shown in messages.
pub(crate) fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((credentials, host)) => {
            let user = credentials.split(':').next().unwrap_or("");
            format!("{scheme}://{user}:***@{host}")
        }
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_url_hides_password() {
        assert_eq!(
            redact_url("postgres://city:secret@db:5432/cityai"),
            "postgres://city:***@db:5432/cityai"
        );
        assert_eq!(
            redact_url("sqlite:///srv/cityai.db"),
            "sqlite:///srv/cityai.db"
        );
    }
}
