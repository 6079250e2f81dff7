//! `cityai user`, `cityai apikey` and `cityai audit`.
//!
//! Changes made here are audited with the actor `cli:NAME`, where NAME is the operating
//! system user running the command.

use std::io::BufRead;
use std::process::ExitCode;

use anyhow::Context;
use cityai_core::i18n::{t, tf};
use cityai_services::auth;
use serde_json::json;

use crate::cli::{ApiKeyCommand, AuditCommand, GlobalOptions, UserCommand};
use crate::output;

/// The exit code of `cityai audit verify` when the chain is broken.
pub const EXIT_AUDIT_BROKEN: u8 = 5;

/// Returns the audit actor for commands run from a shell.
pub fn cli_actor() -> String {
    let name = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_default();
    if name.is_empty() {
        "cli".to_owned()
    } else {
        format!("cli:{name}")
    }
}

/// Turns account errors into messages in the user's language that name the value and the
/// fix; other errors pass through.
async fn localize(
    err: impl Into<cityai_services::ServiceError>,
    store: &cityai_store::Store,
    lang: cityai_core::Lang,
) -> anyhow::Error {
    use cityai_services::ServiceError;
    use cityai_services::auth::CredentialError;
    use cityai_store::StoreError;

    let message = match err.into() {
        ServiceError::Store(StoreError::UserExists(user)) => {
            tf(lang, "user.error.exists", &[("user", &user)])
        }
        ServiceError::Store(StoreError::UserNotFound(user)) => {
            tf(lang, "user.error.not_found", &[("user", &user)])
        }
        ServiceError::Store(StoreError::DepartmentRequired(role)) => {
            if role == cityai_core::Role::Handler {
                t(lang, "user.error.department_required").to_owned()
            } else {
                tf(
                    lang,
                    "user.error.department_not_allowed",
                    &[("role", &role)],
                )
            }
        }
        ServiceError::Store(StoreError::UnknownDepartment(code)) => {
            let codes = store
                .departments()
                .await
                .map(|departments| {
                    departments
                        .iter()
                        .map(|d| format!("{} ({})", d.code, d.name))
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            let codes = if codes.is_empty() {
                t(lang, "user.error.no_departments").to_owned()
            } else {
                codes
            };
            tf(
                lang,
                "user.error.unknown_department",
                &[("code", &code), ("codes", &codes)],
            )
        }
        ServiceError::Store(StoreError::ApiKeyNotFound(prefix)) => {
            tf(lang, "apikey.error.not_found", &[("prefix", &prefix)])
        }
        ServiceError::Credential(CredentialError::PasswordTooShort { length }) => tf(
            lang,
            "user.error.password_too_short",
            &[("length", &length), ("min", &auth::MIN_PASSWORD_CHARS)],
        ),
        ServiceError::Credential(CredentialError::InvalidUsername(user)) => {
            tf(lang, "user.error.invalid_username", &[("user", &user)])
        }
        other => return anyhow::Error::new(other),
    };
    anyhow::anyhow!(message)
}

fn read_password_line() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

pub async fn user(global: &GlobalOptions, command: UserCommand) -> anyhow::Result<ExitCode> {
    let store = super::open_store(global).await?;
    let lang = global.lang;
    let actor = cli_actor();
    match command {
        UserCommand::Add {
            username,
            role,
            department,
            password_stdin,
            json,
        } => {
            let password = password_stdin.then(read_password_line).transpose()?;
            let added = match auth::add_user(
                &store,
                &username,
                role,
                department.as_deref(),
                password,
                &actor,
            )
            .await
            {
                Ok(added) => added,
                Err(err) => return Err(localize(err, &store, lang).await),
            };
            if json {
                output::json(&json!({
                    "user": added.user,
                    "generated_password": added.generated_password,
                }))?;
            } else {
                output::line(&tf(
                    lang,
                    "user.added",
                    &[
                        ("user", &added.user.username),
                        ("role", &t(lang, &format!("role.{}", role.as_str()))),
                    ],
                ));
                if let Some(password) = &added.generated_password {
                    output::line(&tf(
                        lang,
                        "user.generated_password",
                        &[("password", password)],
                    ));
                }
            }
        }
        UserCommand::Passwd {
            username,
            password_stdin,
        } => {
            let password = password_stdin.then(read_password_line).transpose()?;
            let generated = match auth::change_password(&store, &username, password, &actor).await {
                Ok(generated) => generated,
                Err(err) => return Err(localize(err, &store, lang).await),
            };
            output::line(&tf(lang, "user.password_changed", &[("user", &username)]));
            if let Some(password) = generated {
                output::line(&tf(
                    lang,
                    "user.generated_password",
                    &[("password", &password)],
                ));
            }
        }
        UserCommand::Disable { username } => {
            if let Err(err) = store.set_user_disabled(&username, true, &actor).await {
                return Err(localize(err, &store, lang).await);
            }
            output::line(&tf(lang, "user.disabled", &[("user", &username)]));
        }
        UserCommand::Enable { username } => {
            if let Err(err) = store.set_user_disabled(&username, false, &actor).await {
                return Err(localize(err, &store, lang).await);
            }
            output::line(&tf(lang, "user.enabled", &[("user", &username)]));
        }
        UserCommand::List { json } => {
            let users = store.users().await?;
            if json {
                output::json(&json!({ "users": users }))?;
            } else if users.is_empty() {
                output::line(t(lang, "user.none"));
            } else {
                for user in users {
                    let state = if user.disabled {
                        t(lang, "user.state_disabled")
                    } else {
                        ""
                    };
                    output::line(&format!(
                        "{}\t{}\t{}\t{}",
                        user.username,
                        user.role,
                        user.department.as_deref().unwrap_or("-"),
                        state
                    ));
                }
            }
        }
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

pub async fn api_key(global: &GlobalOptions, command: ApiKeyCommand) -> anyhow::Result<ExitCode> {
    let store = super::open_store(global).await?;
    let lang = global.lang;
    match command {
        ApiKeyCommand::Create {
            username,
            label,
            json,
        } => {
            let key = match auth::create_api_key(&store, &username, &label, &cli_actor()).await {
                Ok(key) => key,
                Err(err) => return Err(localize(err, &store, lang).await),
            };
            if json {
                output::json(&json!({"key": key.key, "prefix": key.prefix, "user": username}))?;
            } else {
                output::line(&tf(
                    lang,
                    "apikey.created",
                    &[("user", &username), ("prefix", &key.prefix)],
                ));
                output::line(&key.key);
            }
        }
        ApiKeyCommand::Revoke { prefix } => {
            if let Err(err) = store.revoke_api_key(&prefix, &cli_actor()).await {
                return Err(localize(err, &store, lang).await);
            }
            output::line(&tf(lang, "apikey.revoked", &[("prefix", &prefix)]));
        }
        ApiKeyCommand::List { json } => {
            let keys = store.api_keys().await?;
            if json {
                output::json(&json!({ "keys": keys }))?;
            } else {
                for key in keys {
                    let state = if key.revoked {
                        t(lang, "apikey.state_revoked")
                    } else {
                        ""
                    };
                    output::line(&format!(
                        "{}\t{}\t{}\t{}\t{}",
                        key.prefix, key.username, key.label, key.created_at, state
                    ));
                }
            }
        }
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

pub async fn audit(global: &GlobalOptions, command: AuditCommand) -> anyhow::Result<ExitCode> {
    let store = super::open_store(global).await?;
    let lang = global.lang;
    let code = match command {
        AuditCommand::Verify { json } => {
            let verification = store.verify_audit().await?;
            if json {
                output::json(&verification)?;
            } else {
                match &verification.first_broken {
                    None => output::line(&tf(
                        lang,
                        "audit.intact",
                        &[
                            ("count", &verification.checked),
                            ("hash", &verification.head_hash),
                        ],
                    )),
                    Some(broken) => {
                        output::line(&tf(
                            lang,
                            "audit.broken_cli",
                            &[
                                ("seq", &broken.seq),
                                (
                                    "reason",
                                    &t(
                                        lang,
                                        &format!("audit.reason.{}", reason_key(&broken.reason)),
                                    ),
                                ),
                                ("checked", &verification.checked),
                            ],
                        ));
                    }
                }
            }
            if verification.is_intact() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(EXIT_AUDIT_BROKEN)
            }
        }
        AuditCommand::Log { limit, json } => {
            let events = store.audit_events(None, limit.clamp(1, 100_000)).await?;
            if json {
                output::json(&json!({ "events": events }))?;
            } else {
                for event in events.iter().rev() {
                    output::line(&format!(
                        "{}\t{}\t{}\t{}\t{}\t{}",
                        event.seq,
                        event.occurred_at,
                        event.actor,
                        event.action,
                        event.target.as_deref().unwrap_or("-"),
                        event.detail
                    ));
                }
            }
            ExitCode::SUCCESS
        }
    };
    store.close().await;
    Ok(code)
}

fn reason_key(reason: &cityai_store::ChainBreak) -> &'static str {
    match reason {
        cityai_store::ChainBreak::SequenceGap { .. } => "sequence_gap",
        cityai_store::ChainBreak::PreviousHashMismatch => "previous_hash_mismatch",
        cityai_store::ChainBreak::HashMismatch => "hash_mismatch",
        cityai_store::ChainBreak::HeadMismatch { .. } => "head_mismatch",
    }
}
