//! `cityai train routing`, `cityai route` and `cityai eval routing`.

use std::process::ExitCode;

use anyhow::{Context, anyhow};
use cityai_core::i18n::tf;
use cityai_core::{CategoryPath, Lang};
use cityai_import::{ReadOptions, read_requests_file};
use cityai_routing::{Evaluation, HierarchicalRouter, LabelledText, TrainParams, TrainReport};
use cityai_services::ServiceError;
use cityai_store::{Store, StoreError};
use serde::Serialize;

use crate::cli::{EvalRoutingArgs, GlobalOptions, RouteAction, RouteArgs, TrainRoutingArgs};
use crate::output;

/// The precisions at which `eval routing` reports the share of requests assigned
/// automatically.
const REPORTED_PRECISIONS: [f64; 3] = [0.95, 0.97, 0.99];

pub async fn train(global: &GlobalOptions, args: &TrainRoutingArgs) -> anyhow::Result<ExitCode> {
    let lang = global.lang;
    if !(0.5..=1.0).contains(&args.target_precision) {
        return Err(anyhow!(tf(
            lang,
            "routing.invalid_precision",
            &[("value", &args.target_precision)]
        )));
    }
    let params = TrainParams {
        c: args.c,
        folds: usize::from(args.folds),
        target_precision: args.target_precision,
        ..TrainParams::default()
    };
    let store = super::open_store(global).await?;
    let trained = cityai_services::routing::train_and_activate(&store, params).await;
    store.close().await;
    let (router, reports) = trained.map_err(|err| match err {
        ServiceError::Routing(err) => {
            anyhow!(tf(lang, "routing.train_failed", &[("detail", &err)]))
        }
        other => anyhow::Error::new(other),
    })?;
    let model = router.first_level();
    let report = TrainOutput {
        first_level: &reports[0],
        deeper_levels: &reports[1..],
    };

    if args.json {
        output::json(&report)?;
    } else {
        let cv = &report.first_level.cross_validation;
        output::line(&tf(
            lang,
            "routing.trained",
            &[
                ("version", &model.meta.version),
                ("rows", &model.meta.rows),
                ("labels", &model.meta.labels.len()),
            ],
        ));
        if let Some(cv) = cv {
            print_measures(lang, cv, "routing.measures");
        }
        if router.depth() > 1 {
            output::line(&tf(lang, "routing.levels", &[("depth", &router.depth())]));
        }
        match model.meta.auto_assign_threshold {
            Some(threshold) => output::line(&tf(
                lang,
                "routing.threshold",
                &[
                    ("threshold", &format!("{threshold:.3}")),
                    ("precision", &percent(args.target_precision)),
                ],
            )),
            None => output::line(&tf(
                lang,
                "routing.no_threshold",
                &[("precision", &percent(args.target_precision))],
            )),
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The `--json` report of `train routing`.
#[derive(Debug, Serialize)]
struct TrainOutput<'a> {
    #[serde(flatten)]
    first_level: &'a TrainReport,
    /// Reports of the routers for the second and third levels, when the data has them.
    deeper_levels: &'a [TrainReport],
}

/// Loads the active model, or fails with the command that makes one.
async fn active_model(lang: Lang, store: &Store) -> anyhow::Result<HierarchicalRouter> {
    cityai_services::routing::active_model(store)
        .await
        .context("cannot load the routing model")?
        .ok_or_else(|| anyhow!(tf(lang, "routing.no_model", &[])))
}

#[derive(Debug, Serialize)]
struct RouteOutput {
    #[serde(flatten)]
    prediction: cityai_routing::Prediction,
    /// The deepest category the confidence allows.
    path: String,
    department: Option<String>,
}

pub async fn route(global: &GlobalOptions, args: &RouteArgs) -> anyhow::Result<ExitCode> {
    match (&args.action, &args.text) {
        (Some(action), _) => route_action(global, action).await,
        (None, Some(text)) => route_text(global, text, args.json).await,
        (None, None) => Err(anyhow!("missing text to route")),
    }
}

async fn route_action(global: &GlobalOptions, action: &RouteAction) -> anyhow::Result<ExitCode> {
    let lang = global.lang;
    if let RouteAction::Confirm { actor, .. } | RouteAction::Correct { actor, .. } = action
        && actor.trim().is_empty()
    {
        return Err(anyhow!(tf(lang, "routing.missing_actor", &[])));
    }
    let store = super::open_store(global).await?;
    let result = match action {
        RouteAction::Pending { json } => {
            let model = active_model(lang, &store).await?;
            let summary = cityai_services::routing::route_pending(&store, &model).await?;
            if *json {
                output::json(&summary)?;
            } else {
                output::line(&tf(
                    lang,
                    "routing.routed_pending",
                    &[
                        ("routed", &summary.routed),
                        ("assigned", &summary.outcome.assigned),
                        ("triage", &summary.outcome.triage),
                    ],
                ));
            }
            Ok(ExitCode::SUCCESS)
        }
        RouteAction::Confirm { id, actor } => {
            let request = store
                .confirm_routing(*id, actor)
                .await
                .map_err(|err| feedback_error(lang, *id, err))?;
            print_feedback(lang, "routing.confirmed", &request);
            Ok(ExitCode::SUCCESS)
        }
        RouteAction::Correct {
            id,
            category,
            actor,
        } => {
            let path = CategoryPath::parse(category).map_err(|err| {
                anyhow!(tf(
                    lang,
                    "routing.invalid_category",
                    &[("value", category), ("detail", &err)]
                ))
            })?;
            let request = store
                .correct_routing(*id, &path, actor)
                .await
                .map_err(|err| feedback_error(lang, *id, err))?;
            print_feedback(lang, "routing.corrected", &request);
            Ok(ExitCode::SUCCESS)
        }
    };
    store.close().await;
    result
}

fn feedback_error(lang: Lang, id: i64, err: StoreError) -> anyhow::Error {
    match err {
        StoreError::RequestNotFound(_) => {
            anyhow!(tf(lang, "routing.request_not_found", &[("id", &id)]))
        }
        StoreError::NothingToConfirm(_) => {
            anyhow!(tf(lang, "routing.nothing_to_confirm", &[("id", &id)]))
        }
        other => anyhow::Error::new(other),
    }
}

fn print_feedback(lang: Lang, key: &str, request: &cityai_core::Request) {
    let category = request
        .category
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    output::line(&tf(
        lang,
        key,
        &[("id", &request.id), ("category", &category)],
    ));
}

async fn route_text(global: &GlobalOptions, text: &str, json: bool) -> anyhow::Result<ExitCode> {
    let lang = global.lang;
    if text.trim().is_empty() {
        return Err(anyhow!(tf(lang, "routing.empty_text", &[])));
    }
    let store = super::open_store(global).await?;
    let router = active_model(lang, &store).await?;
    // The model learnt from masked text, and its evidence must not echo personal data.
    let routed = router.predict(None, &cityai_text::pii::mask_text(text));
    let prediction = routed.first_level.clone();
    let categories = store.categories().await?;
    let departments = store.departments().await?;
    store.close().await;
    let department = CategoryPath::parse(&routed.path).ok().and_then(|path| {
        path.self_and_ancestors()
            .find_map(|p| categories.iter().find(|c| c.path == p))
            .and_then(|c| c.department.clone())
    });
    let department_name = department.as_ref().map(|code| {
        departments
            .iter()
            .find(|d| &d.code == code)
            .map_or_else(|| code.clone(), |d| d.name.clone())
    });

    if json {
        let mut prediction = prediction;
        // A category without a department cannot be assigned, whatever the confidence.
        prediction.auto_assign &= department.is_some();
        output::json(&RouteOutput {
            prediction,
            path: routed.path,
            department,
        })?;
        return Ok(ExitCode::SUCCESS);
    }
    for (rank, label) in prediction.top.iter().enumerate() {
        output::line(&format!(
            "{}. {} {}",
            rank + 1,
            label.label,
            percent(label.probability)
        ));
    }
    output::line(&tf(lang, "routing.path", &[("path", &routed.path)]));
    let not_set = cityai_core::i18n::t(lang, "requests.not_set").to_owned();
    output::line(&tf(
        lang,
        "routing.department",
        &[("department", department_name.as_ref().unwrap_or(&not_set))],
    ));
    let decision = match (prediction.auto_assign, &department_name) {
        (true, Some(_)) => "routing.auto_assign",
        (true, None) => "routing.no_department",
        (false, _) => "routing.to_triage",
    };
    output::line(&tf(lang, decision, &[]));
    let evidence: Vec<String> = prediction.evidence.iter().map(|e| e.text.clone()).collect();
    output::line(&tf(
        lang,
        "routing.evidence",
        &[("words", &evidence.join("、"))],
    ));
    for similar in &prediction.similar {
        output::line(&tf(
            lang,
            "routing.similar",
            &[
                ("id", &similar.request_id),
                ("category", &similar.category),
                ("similarity", &format!("{:.2}", similar.similarity)),
            ],
        ));
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn eval(global: &GlobalOptions, args: &EvalRoutingArgs) -> anyhow::Result<ExitCode> {
    let lang = global.lang;
    let options = ReadOptions {
        mappings: args.mappings.clone(),
        city_offset: global.utc_offset,
        ..ReadOptions::default()
    };
    let path = args.data.clone();
    let parsed = tokio::task::spawn_blocking(move || read_requests_file(&path, &options))
        .await?
        .map_err(|err| anyhow!(err.message(lang)))?;
    let data: Vec<LabelledText> = parsed
        .rows
        .iter()
        .filter_map(|row| {
            // Masked like stored requests, so the model sees text as it was trained on.
            Some(LabelledText {
                title: row
                    .request
                    .title
                    .as_deref()
                    .map(cityai_text::pii::mask_text),
                body: cityai_text::pii::mask_text(&row.request.body),
                label: row.request.category.as_ref()?.top().to_string(),
            })
        })
        .collect();
    if data.is_empty() {
        return Err(anyhow!(tf(
            lang,
            "routing.no_labels",
            &[("file", &parsed.file_name)]
        )));
    }

    let store = super::open_store(global).await?;
    let router = active_model(lang, &store).await?;
    store.close().await;
    // NOTE: evaluation scores the first level only, as the reported measures are defined.
    let model = router.first_level();
    let evaluation = model.evaluate(&data, &REPORTED_PRECISIONS);

    if args.json {
        #[derive(Serialize)]
        struct EvalOutput<'a> {
            model_version: &'a str,
            unlabelled_rows_skipped: usize,
            #[serde(flatten)]
            evaluation: &'a Evaluation,
        }
        output::json(&EvalOutput {
            model_version: &model.meta.version,
            unlabelled_rows_skipped: parsed.rows.len() - data.len(),
            evaluation: &evaluation,
        })?;
    } else {
        output::line(&tf(
            lang,
            "routing.evaluated",
            &[("version", &model.meta.version), ("rows", &data.len())],
        ));
        print_measures(lang, &evaluation, "routing.measures_held_out");
        if let Some(outcome) = &evaluation.at_model_threshold {
            output::line(&tf(
                lang,
                "routing.at_model_threshold",
                &[
                    ("threshold", &format!("{:.3}", outcome.threshold)),
                    ("share", &percent(outcome.share)),
                    ("precision", &percent(outcome.precision)),
                ],
            ));
        }
        for class in &evaluation.per_class {
            output::line(&format!(
                "  {}: P {:.3}  R {:.3}  F1 {:.3}  n={}",
                class.label, class.precision, class.recall, class.f1, class.support
            ));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_measures(lang: Lang, evaluation: &Evaluation, key: &str) {
    output::line(&tf(
        lang,
        key,
        &[
            ("accuracy", &format!("{:.4}", evaluation.accuracy)),
            ("macro_f1", &format!("{:.4}", evaluation.macro_f1)),
            ("top3", &format!("{:.4}", evaluation.top3_accuracy)),
            (
                "ece",
                &format!("{:.4}", evaluation.expected_calibration_error),
            ),
        ],
    ));
    for share in &evaluation.auto_assign {
        output::line(&tf(
            lang,
            "routing.auto_share",
            &[
                ("precision", &percent(share.target_precision)),
                ("share", &percent(share.share)),
            ],
        ));
    }
}

fn percent(value: f64) -> String {
    format!("{:.1}%", value * 100.0)
}
