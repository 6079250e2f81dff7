//! `cityai import knowledge`, `cityai ask` and `cityai eval knowledge`.

use std::process::ExitCode;

use anyhow::{Context, anyhow};
use cityai_core::i18n::{t, tf};
use cityai_knowledge::{AnswerOutcome, EvalQuery, SearchOptions};
use cityai_services::knowledge::{self, AskOptions, CsvColumns, SourceDefaults};
use serde_json::json;

use crate::cli::{AskArgs, EvalKnowledgeArgs, GlobalOptions, ImportKnowledgeArgs};
use crate::output;

/// Returns the LLM client when an endpoint is configured.
pub fn llm_client(global: &GlobalOptions) -> anyhow::Result<Option<cityai_llm::LlmClient>> {
    let (Some(base_url), Some(model)) = (&global.llm_base_url, &global.llm_model) else {
        if global.llm_base_url.is_some() || global.llm_model.is_some() {
            return Err(anyhow!(t(global.lang, "knowledge.llm_incomplete")));
        }
        return Ok(None);
    };
    let mut config = cityai_llm::LlmConfig::new(base_url, model);
    config.api_key.clone_from(&global.llm_api_key);
    Ok(Some(cityai_llm::LlmClient::new(config)?))
}

pub async fn import(
    global: &GlobalOptions,
    args: &ImportKnowledgeArgs,
) -> anyhow::Result<ExitCode> {
    let lang = global.lang;
    let file_name = cityai_import::display_name(&args.file);
    let defaults = SourceDefaults {
        kind: args.kind,
        classification: args.classification,
        department: args.department.clone(),
        collection: file_name.clone(),
    };
    let is_csv = args
        .file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let (documents, rejected) = if is_csv {
        let (Some(id), Some(text)) = (&args.id_column, &args.text_column) else {
            return Err(anyhow!(t(lang, "knowledge.csv_columns_required")));
        };
        let columns = CsvColumns {
            id: id.clone(),
            text: text.clone(),
            title: args.title_column.clone(),
            department: args.department_column.clone(),
            status: args.status_column.clone(),
            valid_from: args.valid_from_column.clone(),
            valid_until: args.valid_until_column.clone(),
        };
        knowledge::read_csv(&args.file, &columns, &defaults)?
    } else {
        (
            vec![knowledge::read_document(
                &args.file,
                args.title.clone(),
                &defaults,
            )?],
            Vec::new(),
        )
    };
    let store = super::open_store(global).await?;
    let result = knowledge::import_documents(
        &store,
        &global.data_dir,
        &documents,
        &file_name,
        &super::accounts::cli_actor(),
    )
    .await
    .context(t(lang, "knowledge.import_failed"))?;
    store.close().await;
    if args.json {
        output::json(&json!({
            "file": file_name,
            "added": result.added,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "chunks": result.chunks_written,
            "rejected": rejected,
        }))?;
    } else {
        output::line(&tf(
            lang,
            "knowledge.imported",
            &[
                ("added", &result.added),
                ("updated", &result.updated),
                ("unchanged", &result.unchanged),
                ("chunks", &result.chunks_written),
                ("rejected", &rejected.len()),
            ],
        ));
        for row in rejected.iter().take(20) {
            output::line(&tf(
                lang,
                "knowledge.rejected_row",
                &[("row", &row.row), ("reason", &row.reason)],
            ));
        }
    }
    if !documents.is_empty() || rejected.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        Ok(ExitCode::from(4))
    }
}

pub async fn ask(global: &GlobalOptions, args: &AskArgs) -> anyhow::Result<ExitCode> {
    let lang = global.lang;
    if args.question.trim().is_empty() {
        return Err(anyhow!(t(lang, "knowledge.empty_question")));
    }
    let llm = llm_client(global)?;
    let store = super::open_store(global).await?;
    let index = knowledge::open_index(&store, &global.data_dir).await?;
    let options = AskOptions {
        limit: usize::from(args.limit),
        kinds: args.kinds.clone(),
        department: args.department.clone(),
        valid_only: args.valid_only,
        general_only: false,
    };
    let result =
        knowledge::ask_gated(&store, &index, &args.question, &options, llm.as_ref(), lang).await;
    store.close().await;
    let result = result?;
    if args.json {
        output::json(&result)?;
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(generated) = &result.generated {
        output::line(&format!("【{}】", generated.answer.label));
        output::line(&generated.answer.text);
        output::line("");
    } else if let Some(err) = &result.llm_error {
        output::line(&tf(lang, "knowledge.llm_failed", &[("error", err)]));
    } else if let Some(reason) = &result.llm_disabled {
        output::line(&tf(lang, "knowledge.llm_disabled", &[("reason", reason)]));
    }
    match &result.extractive {
        AnswerOutcome::Answer(answer) => {
            output::line(t(lang, "knowledge.extractive_heading"));
            for sentence in &answer.sentences {
                output::line(&format!("  {} [{}]", sentence.text, sentence.source_id));
            }
        }
        AnswerOutcome::NoAnswer { .. } => output::line(t(lang, "knowledge.no_answer")),
    }
    if result.results.hits.is_empty() {
        output::line(t(lang, "knowledge.no_passages"));
    } else {
        output::line(t(lang, "knowledge.passages_heading"));
    }
    for (rank, hit) in result.results.hits.iter().enumerate() {
        let title = hit
            .chunk
            .source
            .title
            .as_deref()
            .map_or(String::new(), |title| format!(" {title}"));
        output::line(&format!(
            "{}. [{}]{title} ({:.2})",
            rank + 1,
            hit.chunk.source.id,
            hit.score
        ));
        if let Some(explanation) = &hit.explanation {
            let words: Vec<String> = explanation
                .matches
                .iter()
                .take(6)
                .map(|m| {
                    let field = match m.field {
                        cityai_knowledge::MatchField::Title => t(lang, "knowledge.field.title"),
                        cityai_knowledge::MatchField::Body => t(lang, "knowledge.field.body"),
                    };
                    format!("{}({field} {:.2})", m.term, m.contribution)
                })
                .collect();
            output::line(&tf(
                lang,
                "knowledge.matched",
                &[("words", &words.join(" "))],
            ));
            if !explanation.unmatched_words.is_empty() {
                output::line(&tf(
                    lang,
                    "knowledge.unmatched",
                    &[("words", &explanation.unmatched_words.join(" "))],
                ));
            }
        }
        let preview: String = hit.chunk.text.chars().take(120).collect();
        output::line(&format!("   {preview}"));
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn eval(global: &GlobalOptions, args: &EvalKnowledgeArgs) -> anyhow::Result<ExitCode> {
    let lang = global.lang;
    let mut reader = csv::Reader::from_path(&args.queries).with_context(|| {
        tf(
            lang,
            "pii.read_failed",
            &[("file", &args.queries.display())],
        )
    })?;
    let headers = reader.headers()?.clone();
    let (Some(query_at), Some(expected_at)) = (
        headers.iter().position(|h| h.trim() == "query"),
        headers.iter().position(|h| h.trim() == "expected_id"),
    ) else {
        return Err(anyhow!(t(lang, "knowledge.eval_columns")));
    };
    let mut queries = Vec::new();
    for record in reader.records() {
        let record = record?;
        let (Some(query), Some(expected)) = (record.get(query_at), record.get(expected_at)) else {
            continue;
        };
        if query.trim().is_empty() || expected.trim().is_empty() {
            continue;
        }
        queries.push(EvalQuery {
            query: query.to_owned(),
            expected_source_id: expected.trim().to_owned(),
        });
    }
    if queries.is_empty() {
        return Err(anyhow!(t(lang, "knowledge.eval_empty")));
    }
    let store = super::open_store(global).await?;
    let index = knowledge::open_index(&store, &global.data_dir).await?;
    store.close().await;
    let options = SearchOptions {
        limit: 50,
        explain: false,
        ..SearchOptions::default()
    };
    let evaluation = index.evaluate(&queries, &options)?;
    if args.json {
        output::json(&json!({
            "queries": evaluation.queries,
            "recall_at_1": evaluation.recall_at_1,
            "recall_at_5": evaluation.recall_at_5,
            "recall_at_10": evaluation.recall_at_10,
            "mrr": evaluation.mrr,
        }))?;
    } else {
        output::line(&tf(
            lang,
            "knowledge.eval_summary",
            &[
                ("queries", &evaluation.queries),
                ("r1", &format!("{:.3}", evaluation.recall_at_1)),
                ("r5", &format!("{:.3}", evaluation.recall_at_5)),
                ("r10", &format!("{:.3}", evaluation.recall_at_10)),
                ("mrr", &format!("{:.3}", evaluation.mrr)),
            ],
        ));
    }
    Ok(ExitCode::SUCCESS)
}
