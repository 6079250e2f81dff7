//! The AI register's pages: the console's register for staff (`/register`), and the public
//! register with moderated feedback (`/ai-register`), which needs no sign-in.
//!
//! The console shows every entry with its gate, the reviews that are due and the feedback
//! awaiting moderation; AI-office staff change stages, record measured monitoring and
//! moderate feedback here. Everything else is done through the JSON API.

use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form, RequestExt};
use chrono::Utc;
use cityai_core::i18n::{t, tf};
use cityai_core::{Lang, Role};
use cityai_services::register::{self as register_service, export};
use cityai_store::{
    AiApplication, AiCategory, FeedbackStatus, GateClosed, GateStatus, Review, ReviewDue, Stage,
};
use cityai_text::pii::mask_text;
use maud::{Markup, html};
use serde::Deserialize;

use crate::AppState;
use crate::auth::{CSRF_FIELD, LOGIN_CSRF_COOKIE, Principal, append_cookie, cookie, cookie_header};
use crate::lang::{negotiate, set_cookie};
use crate::layout::{other, page};
use crate::register_api::{DUE_HORIZON_DAYS, LIVE_PERIOD_DAYS, count_by_stage};
use crate::views::{PageLang, actor_name, csrf_field, error_content, internal, local_stored_time};

/// Returns a gate's reason in the reader's language.
pub(crate) fn gate_reason(lang: Lang, reason: &GateClosed) -> String {
    match reason {
        GateClosed::NotRegistered { code } => {
            tf(lang, "register.gate.not_registered", &[("code", code)])
        }
        GateClosed::Stage { code, stage } => tf(
            lang,
            "register.gate.stage",
            &[("code", code), ("stage", &stage_name(lang, *stage))],
        ),
        GateClosed::NoApproval { code } => tf(lang, "register.gate.no_approval", &[("code", code)]),
        GateClosed::Rejected { code, on } => tf(
            lang,
            "register.gate.rejected",
            &[("code", code), ("on", on)],
        ),
        GateClosed::Expired { code, on } => tf(
            lang,
            "register.gate.expired",
            &[("code", code), ("on", &day(on))],
        ),
        GateClosed::NotYetValid { code, on } => tf(
            lang,
            "register.gate.not_yet_valid",
            &[("code", code), ("on", &day(on))],
        ),
    }
}

/// Returns the date part of a stored time.
fn day(at: &str) -> String {
    at.get(..10).unwrap_or(at).to_owned()
}

fn stage_name(lang: Lang, stage: Stage) -> String {
    t(lang, &format!("register.stage.{}", stage.as_str())).to_owned()
}

fn name(lang: Lang, application: &AiApplication) -> &str {
    match lang {
        Lang::ZhCn => &application.fields.name_zh,
        Lang::En => &application.fields.name_en,
    }
}

fn category_name<'a>(lang: Lang, categories: &'a [AiCategory], code: &'a str) -> &'a str {
    categories
        .iter()
        .find(|c| c.code == code)
        .map_or(code, |c| match lang {
            Lang::ZhCn => c.name_zh.as_str(),
            Lang::En => c.name_en.as_str(),
        })
}

fn gate_cell(lang: Lang, gate: &GateStatus) -> Markup {
    html! {
        @match &gate.closed {
            None => span.badge.gate-open { (t(lang, "register.gate_open")) },
            Some(reason) => span.badge.gate-closed { (tf(lang, "register.gate_closed", &[("reason", &gate_reason(lang, reason))])) },
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct PageQuery {
    lang: Option<String>,
    done: Option<String>,
}

/// Renders the register for staff: entries with their gates, due reviews and feedback
/// awaiting moderation.
pub(crate) async fn list_page(
    State(state): State<AppState>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
    Extension(principal): Extension<Principal>,
) -> Response {
    let page_lang = PageLang::new(&state, query.lang.as_deref(), &headers);
    let lang = page_lang.lang;
    let heading = t(lang, "register.heading");
    let loaded = load_list(&state).await;
    let (applications, gates, categories, due, pending) = match loaded {
        Ok(loaded) => loaded,
        Err(err) => {
            let message = internal(lang, &err, "reading the AI register");
            return page_lang.respond(
                StatusCode::INTERNAL_SERVER_ERROR,
                heading,
                "/register",
                &principal,
                error_content(heading, &message),
            );
        }
    };
    let office = principal.role() == Role::AiOffice;
    let counts = count_by_stage(&applications);
    let count = |stage: Stage| counts.get(&stage).copied().unwrap_or(0);
    let content = html! {
        h1 { (heading) }
        p { (t(lang, "register.intro")) }
        @if query.done.as_deref() == Some("moderated") {
            p.notice role="status" { (t(lang, "register.moderated")) }
        }
        p role="status" { (tf(lang, "register.summary", &[
            ("total", &applications.len()),
            ("running", &(count(Stage::Pilot) + count(Stage::InUse))),
            ("suspended", &count(Stage::Suspended)),
            ("retired", &count(Stage::Retired)),
        ])) }
        section aria-labelledby="applications-heading" {
            h2 #applications-heading { (t(lang, "register.applications")) }
            div.table-wrap { table #register-table {
                thead { tr {
                    th { (t(lang, "register.col_code")) }
                    th { (t(lang, "register.col_name")) }
                    th { (t(lang, "register.col_category")) }
                    th { (t(lang, "register.col_stage")) }
                    th { (t(lang, "register.col_risk")) }
                    th { (t(lang, "register.col_gate")) }
                    th { (t(lang, "register.col_valid_until")) }
                } }
                tbody {
                    @for (application, gate) in applications.iter().zip(&gates) {
                        tr data-code=(application.code) {
                            td { a href=(format!("/register/{}", application.code)) { code { (application.code) } } }
                            td {
                                (name(lang, application))
                                @if application.fields.priority { " " span.badge { (t(lang, "register.priority_mark")) } }
                            }
                            td { (category_name(lang, &categories, &application.fields.category)) }
                            td { (stage_name(lang, application.stage)) }
                            td { (t(lang, &format!("register.risk.{}", application.fields.risk_level.as_str()))) }
                            td.gate { (gate_cell(lang, gate)) }
                            td.num { (gate.valid_until.as_deref().map(|v| local_stored_time(v, state.city_offset)).unwrap_or_default()) }
                        }
                    }
                }
            } }
        }
        section aria-labelledby="due-heading" {
            h2 #due-heading { (t(lang, "register.due_heading")) }
            @if due.is_empty() {
                p.muted { (tf(lang, "register.due_none", &[("days", &DUE_HORIZON_DAYS)])) }
            } @else {
                div.table-wrap { table #due-table {
                    thead { tr {
                        th { (t(lang, "register.col_code")) }
                        th { (t(lang, "register.col_state")) }
                        th { (t(lang, "register.col_re_review")) }
                        th { (t(lang, "register.col_valid_until")) }
                    } }
                    tbody { @for entry in &due {
                        tr data-code=(entry.code) {
                            td { a href=(format!("/register/{}", entry.code)) { code { (entry.code) } } }
                            td { @if entry.state == ReviewDue::Overdue { (t(lang, "register.due_state_overdue")) } @else { (t(lang, "register.due_state_due")) } }
                            td.num { (entry.re_review_on.as_deref().unwrap_or("")) }
                            td.num { (entry.valid_until.as_deref().map(|v| local_stored_time(v, state.city_offset)).unwrap_or_default()) }
                        }
                    } }
                } }
            }
        }
        @if office {
            section aria-labelledby="feedback-heading" {
                h2 #feedback-heading { (t(lang, "register.feedback_heading")) }
                @if pending.is_empty() {
                    p.muted { (t(lang, "register.feedback_none")) }
                } @else {
                    ul.feedback-queue { @for feedback in &pending {
                        li data-feedback=(feedback.id) {
                            p { code { (feedback.application) } " · " (local_stored_time(&feedback.created_at, state.city_offset)) }
                            p.body { (feedback.body) }
                            form.inline method="post" action=(format!("/register/feedback/{}", feedback.id)) {
                                (csrf_field(&principal))
                                button type="submit" name="publish" value="true" { (t(lang, "register.publish")) }
                                " "
                                button type="submit" name="publish" value="false" { (t(lang, "register.reject")) }
                            }
                        }
                    } }
                }
            }
        }
        section aria-labelledby="exports-heading" {
            h2 #exports-heading { (t(lang, "register.exports")) }
            ul {
                li { a href="/api/v1/register/export/register.json" { (t(lang, "register.export_json")) } }
                li { a href="/api/v1/register/export/atrs.csv" { (t(lang, "register.export_atrs")) } }
                li { a href="/api/v1/register/export/algoritmeregister.json" { (t(lang, "register.export_dutch")) } }
            }
        }
    };
    page_lang.respond(StatusCode::OK, heading, "/register", &principal, content)
}

type ListData = (
    Vec<AiApplication>,
    Vec<GateStatus>,
    Vec<AiCategory>,
    Vec<cityai_store::DueReview>,
    Vec<cityai_store::Feedback>,
);

async fn load_list(state: &AppState) -> Result<ListData, cityai_store::StoreError> {
    let store = &state.store;
    let applications = store.ai_applications().await?;
    let mut gates = Vec::with_capacity(applications.len());
    for application in &applications {
        gates.push(store.ai_gate(&application.code).await?);
    }
    let categories = store.ai_categories().await?;
    let due = store.reviews_due(Utc::now(), DUE_HORIZON_DAYS).await?;
    let pending = store
        .ai_feedback(None, Some(FeedbackStatus::Pending), 100)
        .await?;
    Ok((applications, gates, categories, due, pending))
}

/// Renders one register entry for staff, with the stage form and the monitoring button for
/// the AI office.
pub(crate) async fn detail_page(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
    Extension(principal): Extension<Principal>,
) -> Response {
    let page_lang = PageLang::new(&state, query.lang.as_deref(), &headers);
    let lang = page_lang.lang;
    let self_path = format!("/register/{code}");
    let heading = t(lang, "register.heading");
    let loaded = load_detail(&state, &code).await;
    let detail = match loaded {
        Ok(Some(detail)) => detail,
        Ok(None) => {
            return page_lang.respond(
                StatusCode::NOT_FOUND,
                heading,
                &self_path,
                &principal,
                error_content(heading, t(lang, "register.not_found")),
            );
        }
        Err(err) => {
            let message = internal(lang, &err, "reading a register entry");
            return page_lang.respond(
                StatusCode::INTERNAL_SERVER_ERROR,
                heading,
                &self_path,
                &principal,
                error_content(heading, &message),
            );
        }
    };
    let office = principal.role() == Role::AiOffice;
    let application = &detail.application;
    let title = name(lang, application).to_owned();
    let done = match query.done.as_deref() {
        Some("stage") => Some(t(lang, "register.stage_changed")),
        Some("monitoring") => Some(t(lang, "register.recorded")),
        _ => None,
    };
    let content = html! {
        p { a href="/register" { (t(lang, "register.back")) } }
        h1 { (title) " " code { (application.code) } }
        @if let Some(done) = done { p.notice role="status" { (done) } }
        (gate_section(lang, &detail.gate, state.city_offset))
        p.muted { (supervision_line(lang, application)) }
        (fields_section(lang, application, &detail.categories))
        (reviews_section(lang, &detail.reviews, state.city_offset))
        (monitoring_section(lang, &detail, state.city_offset))
        (participation_section(lang, &detail))
        @if office {
            (stage_form(lang, &principal, application))
        }
    };
    page_lang.respond(StatusCode::OK, &title, &self_path, &principal, content)
}

struct Detail {
    application: AiApplication,
    gate: GateStatus,
    categories: Vec<AiCategory>,
    reviews: Vec<Review>,
    scores: Vec<cityai_store::Score>,
    funds: Vec<cityai_store::Funds>,
    monitoring: Vec<cityai_store::MonitoringRecord>,
    live: Option<serde_json::Map<String, serde_json::Value>>,
    participants: Vec<cityai_store::Participation>,
}

async fn load_detail(
    state: &AppState,
    code: &str,
) -> Result<Option<Detail>, cityai_services::ServiceError> {
    let store = &state.store;
    let Some(application) = store.ai_application(code).await? else {
        return Ok(None);
    };
    let now = Utc::now();
    Ok(Some(Detail {
        gate: store.ai_gate(code).await?,
        categories: store.ai_categories().await?,
        reviews: store.ai_reviews(code).await?,
        scores: store.ai_scores(code).await?,
        funds: store.ai_funds(code).await?,
        monitoring: store.ai_monitoring(code).await?,
        live: register_service::measured_figures(
            store,
            code,
            now - chrono::Duration::days(LIVE_PERIOD_DAYS),
            now,
        )
        .await?,
        participants: store.ai_participations(code).await?,
        application,
    }))
}

fn gate_section(lang: Lang, gate: &GateStatus, offset: chrono::FixedOffset) -> Markup {
    html! {
        section aria-labelledby="gate-heading" {
            h2 #gate-heading { (t(lang, "register.gate_heading")) }
            @match &gate.closed {
                None => {
                    p.notice #gate-state data-open="true" {
                        (tf(lang, "register.gate_open_detail", &[("until", &gate.valid_until.as_deref().map(|v| local_stored_time(v, offset)).unwrap_or_default())]))
                    }
                    @if !gate.conditions.is_empty() {
                        p { (tf(lang, "register.gate_conditions", &[("conditions", &gate.conditions)])) }
                    }
                }
                Some(reason) => {
                    p.error #gate-state data-open="false" role="alert" {
                        (tf(lang, "register.gate_closed", &[("reason", &gate_reason(lang, reason))]))
                    }
                }
            }
        }
    }
}

fn supervision_line(lang: Lang, application: &AiApplication) -> String {
    let supervision = register_service::supervision(application.fields.risk_level);
    tf(
        lang,
        "register.supervision",
        &[
            (
                "risk",
                &t(
                    lang,
                    &format!("register.risk.{}", application.fields.risk_level.as_str()),
                ),
            ),
            ("months", &supervision.monitoring_interval_months),
            (
                "committee",
                &t(
                    lang,
                    if supervision.committee_review_required {
                        "register.yes"
                    } else {
                        "register.no"
                    },
                ),
            ),
        ],
    )
}

/// Renders the register fields as a definition list, the same on the staff and public pages.
fn fields_section(lang: Lang, application: &AiApplication, categories: &[AiCategory]) -> Markup {
    let fields = &application.fields;
    let label = |key: &str| t(lang, &format!("register.field.{key}")).to_owned();
    let rows: Vec<(&str, String)> = vec![
        (
            "category",
            category_name(lang, categories, &fields.category).to_owned(),
        ),
        ("stage", stage_name(lang, application.stage)),
        (
            "risk_level",
            t(
                lang,
                &format!("register.risk.{}", fields.risk_level.as_str()),
            )
            .to_owned(),
        ),
        (
            "model_type",
            t(
                lang,
                &format!("register.model.{}", fields.model_type.as_str()),
            )
            .to_owned(),
        ),
        (
            "publication_category",
            t(
                lang,
                &format!(
                    "register.publication.{}",
                    fields.publication_category.as_str()
                ),
            )
            .to_owned(),
        ),
        // Entries are public records: personal data typed into free text is masked as
        // request text is. The contact is published on purpose, so it stays as written.
        ("description", mask_text(&fields.description)),
        ("rationale", mask_text(&fields.rationale)),
        ("owner", fields.owner.clone()),
        ("lead_department", fields.lead_department.clone()),
        ("contact", fields.contact.clone()),
        ("human_oversight", mask_text(&fields.human_oversight)),
        ("decision_process", mask_text(&fields.decision_process)),
        ("data_description", mask_text(&fields.data_description)),
        ("risks", mask_text(&fields.risks)),
        ("impact_assessments", mask_text(&fields.impact_assessments)),
        ("legal_basis", fields.legal_basis.clone()),
        ("supplier", fields.supplier.clone()),
        (
            "genai_filing",
            fields.genai_filing.clone().unwrap_or_default(),
        ),
        (
            "priority",
            t(
                lang,
                if fields.priority {
                    "register.yes"
                } else {
                    "register.no"
                },
            )
            .to_owned(),
        ),
    ];
    html! {
        section aria-labelledby="fields-heading" {
            h2 #fields-heading { (t(lang, "register.fields_heading")) }
            dl.register-fields {
                @for (key, value) in rows.iter().filter(|(_, value)| !value.is_empty()) {
                    dt { (label(key)) }
                    dd data-field=(key) { (value) }
                }
            }
        }
    }
}

fn reviews_section(lang: Lang, reviews: &[Review], offset: chrono::FixedOffset) -> Markup {
    html! {
        section aria-labelledby="reviews-heading" {
            h2 #reviews-heading { (t(lang, "register.reviews_heading")) }
            @if reviews.is_empty() {
                p.muted { (t(lang, "register.none")) }
            } @else {
                div.table-wrap { table #reviews-table {
                    thead { tr {
                        th { (t(lang, "register.col_kind")) }
                        th { (t(lang, "register.col_decision")) }
                        th { (t(lang, "register.col_conditions")) }
                        th { (t(lang, "register.col_decided")) }
                        th { (t(lang, "register.col_decided_by")) }
                        th { (t(lang, "register.col_valid_until")) }
                        th { (t(lang, "register.col_re_review")) }
                    } }
                    tbody { @for review in reviews {
                        tr {
                            td { (t(lang, &format!("register.kind.{}", review.kind.as_str()))) }
                            td { @match review.decision {
                                Some(decision) => (t(lang, &format!("register.decision.{}", decision.as_str()))),
                                None => (t(lang, "register.review_open")),
                            } }
                            td { (review.conditions) }
                            td.num { (review.decided_at.as_deref().map(|v| local_stored_time(v, offset)).unwrap_or_default()) }
                            td { (review.decided_by.as_deref().map(actor_name).unwrap_or("")) }
                            td.num { (review.valid_until.as_deref().map(|v| local_stored_time(v, offset)).unwrap_or_default()) }
                            td.num { (review.re_review_on.as_deref().unwrap_or("")) }
                        }
                    } }
                } }
            }
        }
    }
}

/// Formats a figure: shares as percentages, counts as whole numbers, missing as a dash.
fn figure(name: &str, value: &serde_json::Value) -> String {
    match value.as_f64() {
        None => "–".to_owned(),
        Some(share) if is_share(name) => crate::views::percent(share),
        Some(number) if number.fract() == 0.0 => format!("{number:.0}"),
        Some(number) => format!("{number:.2}"),
    }
}

fn figures_list(figures: &serde_json::Map<String, serde_json::Value>) -> Markup {
    html! {
        ul.chips { @for (name, value) in figures {
            li data-figure=(name) { (name) ": " (figure(name, value)) }
        } }
    }
}

/// Returns whether a figure is a share from 0 to 1, shown as a percentage.
fn is_share(name: &str) -> bool {
    name.ends_with("_share") || name.ends_with("_rate") || name == "accuracy"
}

/// Draws one line per share figure across the monitoring records, oldest first, when there
/// are at least two records. The table above holds the same values for screen readers.
fn trend_chart(lang: Lang, records: &[cityai_store::MonitoringRecord]) -> Markup {
    let mut names: Vec<&String> = records
        .iter()
        .flat_map(|record| record.figures.keys())
        .filter(|name| is_share(name))
        .collect();
    names.sort();
    names.dedup();
    let (width, height, pad) = (480.0_f64, 120.0_f64, 8.0_f64);
    let step = (width - 2.0 * pad) / (records.len().max(2) - 1) as f64;
    let colours = ["#0b5cad", "#b3541e", "#2e7d32", "#6a1b9a", "#5b6775"];
    html! {
        @if records.len() >= 2 && !names.is_empty() {
            h3 #trend-chart-heading { (t(lang, "register.trend_chart")) }
            svg.chart #trend-chart viewBox=(format!("0 0 {width} {height}")) role="img" aria-labelledby="trend-chart-heading" {
                line x1=(pad) y1=(height - pad) x2=(width - pad) y2=(height - pad) stroke="#8895a3" {}
                @for (i, name) in names.iter().enumerate() {
                    @let points: Vec<String> = records.iter().enumerate().filter_map(|(j, record)| {
                        let value = record.figures.get(*name)?.as_f64()?;
                        Some(format!("{:.1},{:.1}", pad + j as f64 * step, height - pad - value.clamp(0.0, 1.0) * (height - 2.0 * pad)))
                    }).collect();
                    polyline points=(points.join(" ")) fill="none" stroke=(colours[i % colours.len()]) stroke-width="2" {
                        title { (name) }
                    }
                }
            }
            ul.chips { @for (i, name) in names.iter().enumerate() {
                li {
                    // A swatch drawn in SVG, because the page's policy rejects inline styles.
                    svg width="12" height="12" aria-hidden="true" { rect width="12" height="12" fill=(colours[i % colours.len()]) {} }
                    " " (name)
                }
            } }
        }
    }
}

fn monitoring_section(lang: Lang, detail: &Detail, offset: chrono::FixedOffset) -> Markup {
    html! {
        section aria-labelledby="monitoring-heading" {
            h2 #monitoring-heading { (t(lang, "register.monitoring_heading")) }
            h3 { (tf(lang, "register.live_heading", &[("days", &LIVE_PERIOD_DAYS)])) }
            @match &detail.live {
                Some(figures) => div #live-figures { (figures_list(figures)) },
                None => p.muted { (t(lang, "register.live_none")) },
            }
            h3 { (t(lang, "register.trend_heading")) }
            @if detail.monitoring.is_empty() {
                p.muted { (t(lang, "register.none")) }
            } @else {
                div.table-wrap { table #monitoring-table {
                    thead { tr {
                        th { (t(lang, "register.col_period")) }
                        th { (t(lang, "register.col_source")) }
                        th { (t(lang, "register.col_figures")) }
                    } }
                    tbody { @for record in &detail.monitoring {
                        tr {
                            td.num { (local_stored_time(&record.period_start, offset)) " – " (local_stored_time(&record.period_end, offset)) }
                            td { (t(lang, &format!("register.source_{}", record.source.as_str()))) }
                            td { (figures_list(&record.figures)) }
                        }
                    } }
                } }
                (trend_chart(lang, &detail.monitoring))
            }
            h3 { (t(lang, "register.scores_heading")) }
            @if detail.scores.is_empty() {
                p.muted { (t(lang, "register.none")) }
            } @else {
                div.table-wrap { table {
                    thead { tr {
                        th { (t(lang, "register.col_criterion")) }
                        th { (t(lang, "register.col_scorer")) }
                        th { (t(lang, "register.col_score")) }
                    } }
                    tbody { @for score in &detail.scores {
                        tr { td { code { (score.criterion) } } td { (actor_name(&score.scorer)) } td.num { (format!("{:.1}", score.score)) } }
                    } }
                } }
            }
            h3 { (t(lang, "register.funds_heading")) }
            @if detail.funds.is_empty() {
                p.muted { (t(lang, "register.none")) }
            } @else {
                div.table-wrap { table {
                    thead { tr {
                        th { (t(lang, "register.col_year")) }
                        th { (t(lang, "register.col_budgeted")) }
                        th { (t(lang, "register.col_allocated")) }
                        th { (t(lang, "register.col_spent")) }
                    } }
                    tbody { @for funds in &detail.funds {
                        tr { td.num { (funds.year) } td.num { (funds.budgeted) } td.num { (funds.allocated) } td.num { (funds.spent) } }
                    } }
                } }
            }
        }
    }
}

fn participation_section(lang: Lang, detail: &Detail) -> Markup {
    html! {
        section aria-labelledby="participants-heading" {
            h2 #participants-heading { (t(lang, "register.participants_heading")) }
            @if detail.participants.is_empty() {
                p.muted { (t(lang, "register.none")) }
            } @else {
                ul { @for participant in &detail.participants {
                    li {
                        (participant.name) " · "
                        (t(lang, &format!("register.org_kind.{}", participant.kind.as_str()))) " · "
                        (t(lang, &format!("register.role.{}", participant.role.as_str())))
                    }
                } }
            }
        }
    }
}

fn stage_form(lang: Lang, principal: &Principal, application: &AiApplication) -> Markup {
    let targets: Vec<Stage> = Stage::ALL
        .iter()
        .copied()
        .filter(|stage| application.stage.may_move_to(*stage))
        .collect();
    html! {
        section aria-labelledby="stage-heading" {
            h2 #stage-heading { (t(lang, "register.stage_heading")) }
            @if !targets.is_empty() {
                form #stage-form method="post" action=(format!("/register/{}/stage", application.code)) {
                    (csrf_field(principal))
                    label for="stage" { (t(lang, "register.stage_label")) }
                    select #stage name="stage" {
                        @for stage in &targets { option value=(stage.as_str()) { (stage_name(lang, *stage)) } }
                    }
                    label for="stage-reason" { (t(lang, "register.reason_label")) }
                    input #stage-reason type="text" name="reason" required maxlength="500";
                    button type="submit" { (t(lang, "register.stage_submit")) }
                }
            }
            form #monitoring-form method="post" action=(format!("/register/{}/monitoring", application.code)) {
                (csrf_field(principal))
                button type="submit" { (tf(lang, "register.record_now", &[("days", &LIVE_PERIOD_DAYS)])) }
            }
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct StageForm {
    stage: String,
    #[serde(default)]
    reason: String,
}

/// Changes an application's stage from the console form.
pub(crate) async fn stage_post(
    State(state): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
    Extension(principal): Extension<Principal>,
    Form(form): Form<StageForm>,
) -> Response {
    let page_lang = PageLang::new(&state, None, &headers);
    let lang = page_lang.lang;
    let heading = t(lang, "register.stage_heading");
    let result = match Stage::parse(&form.stage) {
        Ok(_) if form.reason.trim().is_empty() => {
            Err(t(lang, "register.reason_missing").to_owned())
        }
        Ok(stage) => state
            .store
            .set_ai_stage(&code, stage, form.reason.trim(), &principal.actor())
            .await
            .map(|_| ())
            .map_err(|err| err.to_string()),
        Err(err) => Err(err.to_string()),
    };
    match result {
        Ok(()) => Redirect::to(&format!("/register/{code}?done=stage")).into_response(),
        Err(message) => page_lang.respond(
            StatusCode::BAD_REQUEST,
            heading,
            &format!("/register/{code}"),
            &principal,
            error_content(heading, &message),
        ),
    }
}

/// Stores the last days of live figures as a measured monitoring record.
pub(crate) async fn monitoring_post(
    State(state): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
    Extension(principal): Extension<Principal>,
) -> Response {
    let page_lang = PageLang::new(&state, None, &headers);
    let lang = page_lang.lang;
    let heading = t(lang, "register.monitoring_heading");
    let now = Utc::now();
    let from = now - chrono::Duration::days(LIVE_PERIOD_DAYS);
    match register_service::record_measured(&state.store, &code, from, now, &principal.actor())
        .await
    {
        Ok(_) => Redirect::to(&format!("/register/{code}?done=monitoring")).into_response(),
        Err(err) => page_lang.respond(
            StatusCode::BAD_REQUEST,
            heading,
            &format!("/register/{code}"),
            &principal,
            error_content(heading, &err.to_string()),
        ),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct ModerationForm {
    publish: String,
}

/// Publishes or rejects a feedback from the console.
pub(crate) async fn moderate_post(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    Extension(principal): Extension<Principal>,
    Form(form): Form<ModerationForm>,
) -> Response {
    let page_lang = PageLang::new(&state, None, &headers);
    let lang = page_lang.lang;
    let heading = t(lang, "register.feedback_heading");
    match state
        .store
        .moderate_ai_feedback(id, form.publish == "true", &principal.actor())
        .await
    {
        Ok(()) => Redirect::to("/register?done=moderated").into_response(),
        Err(err) => page_lang.respond(
            StatusCode::BAD_REQUEST,
            heading,
            "/register",
            &principal,
            error_content(heading, &err.to_string()),
        ),
    }
}

/// Returns the double-submit CSRF value of a public form: the cookie's, or a new one.
fn csrf_value(headers: &HeaderMap) -> String {
    cookie(headers, LOGIN_CSRF_COOKIE)
        .filter(|value| value.len() == 64)
        .map_or_else(cityai_services::auth::random_token, str::to_owned)
}

/// Renders the public register: every entry past the proposal, in the visitor's language.
pub(crate) async fn public_list(
    State(state): State<AppState>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
) -> Response {
    let (lang, lang_cookie) = negotiate(query.lang.as_deref(), &headers, state.default_lang);
    let heading = t(lang, "register.public_heading");
    let switch_href = format!("/ai-register?lang={}", other(lang).tag());
    let loaded = async {
        let applications: Vec<AiApplication> = state
            .store
            .ai_applications()
            .await?
            .into_iter()
            .filter(export::is_public)
            .collect();
        let mut gates = Vec::with_capacity(applications.len());
        for application in &applications {
            gates.push(state.store.ai_gate(&application.code).await?);
        }
        Ok::<_, cityai_store::StoreError>((applications, gates, state.store.ai_categories().await?))
    }
    .await;
    let (status, content) = match loaded {
        Ok((applications, gates, categories)) => (
            StatusCode::OK,
            html! {
                h1 { (heading) }
                p { (t(lang, "register.public_intro")) }
                @if applications.is_empty() {
                    p.muted { (t(lang, "register.public_none")) }
                } @else {
                    div.table-wrap { table #public-register {
                        thead { tr {
                            th { (t(lang, "register.col_name")) }
                            th { (t(lang, "register.col_category")) }
                            th { (t(lang, "register.col_stage")) }
                            th { (t(lang, "register.col_risk")) }
                            th { (t(lang, "register.col_gate")) }
                        } }
                        tbody { @for (application, gate) in applications.iter().zip(&gates) {
                            tr data-code=(application.code) {
                                td { a href=(format!("/ai-register/{}", application.code)) { (name(lang, application)) } }
                                td { (category_name(lang, &categories, &application.fields.category)) }
                                td { (stage_name(lang, application.stage)) }
                                td { (t(lang, &format!("register.risk.{}", application.fields.risk_level.as_str()))) }
                                td { (gate_cell(lang, gate)) }
                            }
                        } }
                    } }
                }
            },
        ),
        Err(err) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            error_content(
                heading,
                &internal(lang, &err, "reading the public register"),
            ),
        ),
    };
    let mut response = (status, page(lang, heading, &switch_href, None, content)).into_response();
    set_cookie(response.headers_mut(), lang_cookie);
    response
}

/// Renders one public entry with its published feedback and the feedback form.
pub(crate) async fn public_entry(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
) -> Response {
    let (lang, lang_cookie) = negotiate(query.lang.as_deref(), &headers, state.default_lang);
    let csrf = csrf_value(&headers);
    let (status, body) = public_entry_page(&state, &code, lang, &csrf, None).await;
    let mut response = (status, body).into_response();
    set_cookie(response.headers_mut(), lang_cookie);
    append_cookie(
        &mut response,
        cookie_header(&state, &headers, LOGIN_CSRF_COOKIE, &csrf, None),
    );
    response
}

/// A notice shown above the feedback form after a submission.
enum FeedbackNotice {
    Thanks,
    Invalid,
}

async fn public_entry_page(
    state: &AppState,
    code: &str,
    lang: Lang,
    csrf: &str,
    notice: Option<FeedbackNotice>,
) -> (StatusCode, Markup) {
    let heading = t(lang, "register.public_heading");
    let switch_href = format!("/ai-register/{code}?lang={}", other(lang).tag());
    let loaded = async {
        let application = state
            .store
            .ai_application(code)
            .await?
            .filter(export::is_public);
        let Some(application) = application else {
            return Ok(None);
        };
        Ok::<_, cityai_store::StoreError>(Some((
            state.store.ai_gate(code).await?,
            state
                .store
                .ai_feedback(Some(code), Some(FeedbackStatus::Published), 100)
                .await?,
            state.store.ai_categories().await?,
            application,
        )))
    }
    .await;
    let (status, content) = match loaded {
        Ok(None) => (
            StatusCode::NOT_FOUND,
            error_content(heading, t(lang, "register.not_found")),
        ),
        Err(err) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            error_content(
                heading,
                &internal(lang, &err, "reading a public register entry"),
            ),
        ),
        Ok(Some((gate, feedback, categories, application))) => {
            let approval = match &gate.closed {
                None => tf(
                    lang,
                    "register.public_approval_valid",
                    &[(
                        "until",
                        &gate
                            .valid_until
                            .as_deref()
                            .map(|v| local_stored_time(v, state.city_offset))
                            .unwrap_or_default(),
                    )],
                ),
                Some(reason) => tf(
                    lang,
                    "register.public_approval_closed",
                    &[("reason", &gate_reason(lang, reason))],
                ),
            };
            let status = match notice {
                Some(FeedbackNotice::Invalid) => StatusCode::BAD_REQUEST,
                _ => StatusCode::OK,
            };
            (
                status,
                html! {
                    p { a href="/ai-register" { (t(lang, "register.public_back")) } }
                    h1 { (name(lang, &application)) }
                    p #approval-state data-open=(gate.is_open()) { (approval) }
                    @if !gate.conditions.is_empty() {
                        p { (tf(lang, "register.gate_conditions", &[("conditions", &gate.conditions)])) }
                    }
                    (fields_section(lang, &application, &categories))
                    section aria-labelledby="public-feedback-heading" {
                        h2 #public-feedback-heading { (t(lang, "register.public_feedback_heading")) }
                        @if feedback.is_empty() {
                            p.muted { (t(lang, "register.public_feedback_none")) }
                        } @else {
                            ul #published-feedback { @for item in &feedback {
                                li { p.body { (item.body) } p.muted { (local_stored_time(&item.created_at, state.city_offset)) } }
                            } }
                        }
                        @match notice {
                            Some(FeedbackNotice::Thanks) => p.notice #feedback-notice role="status" { (t(lang, "register.public_feedback_thanks")) },
                            Some(FeedbackNotice::Invalid) => p.error #feedback-notice role="alert" { (tf(lang, "register.public_feedback_invalid", &[("max", &cityai_store::MAX_FEEDBACK_CHARS)])) },
                            None => {},
                        }
                        form #feedback-form method="post" action=(format!("/ai-register/{code}/feedback")) {
                            input type="hidden" name=(CSRF_FIELD) value=(csrf);
                            input type="hidden" name="lang" value=(lang.tag());
                            label for="feedback-body" { (t(lang, "register.public_feedback_label")) }
                            textarea #feedback-body name="body" rows="4" maxlength=(cityai_store::MAX_FEEDBACK_CHARS) required {}
                            p.hint { (t(lang, "register.public_feedback_hint")) }
                            button type="submit" { (t(lang, "register.public_feedback_submit")) }
                        }
                    }
                },
            )
        }
    };
    (status, page(lang, heading, &switch_href, None, content))
}

#[derive(Debug, Deserialize)]
pub(crate) struct FeedbackForm {
    #[serde(default)]
    body: String,
    #[serde(default)]
    lang: Option<String>,
}

/// Stores a citizen's feedback, masked and awaiting moderation, and renders the entry with
/// a thank-you notice.
///
/// The access middleware has already checked the form's CSRF token against the
/// `cityai_csrf` cookie.
pub(crate) async fn public_feedback(
    State(state): State<AppState>,
    Path(code): Path<String>,
    request: Request,
) -> Response {
    let headers = request.headers().clone();
    let csrf = csrf_value(&headers);
    let (negotiated, _) = negotiate(None, &headers, state.default_lang);
    let form = request.extract::<Form<FeedbackForm>, _>().await;
    let (lang, body) = match form {
        Ok(Form(form)) => (
            form.lang
                .as_deref()
                .and_then(|tag| tag.parse().ok())
                .unwrap_or(negotiated),
            form.body,
        ),
        Err(_) => (negotiated, String::new()),
    };
    // Only entries on the public register take feedback.
    let public = match state.store.ai_application(&code).await {
        Ok(application) => application.is_some_and(|a| export::is_public(&a)),
        Err(err) => {
            tracing::error!(error = %err, "reading a register entry failed");
            false
        }
    };
    if !public {
        let (status, body) = public_entry_page(&state, &code, lang, &csrf, None).await;
        return (status, body).into_response();
    }
    let notice = match state.store.add_ai_feedback(&code, &body, lang.tag()).await {
        Ok(id) => {
            tracing::info!(code = %code, feedback_id = id, "register feedback received");
            FeedbackNotice::Thanks
        }
        Err(cityai_store::StoreError::RegisterRule(_)) => FeedbackNotice::Invalid,
        Err(cityai_store::StoreError::AiApplicationNotFound(_)) => {
            let (status, body) = public_entry_page(&state, &code, lang, &csrf, None).await;
            return (status, body).into_response();
        }
        Err(err) => {
            tracing::error!(error = %err, "storing register feedback failed");
            let heading = t(lang, "register.public_heading");
            let content = error_content(heading, t(lang, "error.internal"));
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                page(lang, heading, "/ai-register", None, content),
            )
                .into_response();
        }
    };
    let (status, body) = public_entry_page(&state, &code, lang, &csrf, Some(notice)).await;
    (status, body).into_response()
}
