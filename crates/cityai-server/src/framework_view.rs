//! The AI framework's console pages: the overview, the technology inventory with its
//! lineage, education coverage, the ROI calculator, the roadmap and the key metrics, and
//! their CSV/XLSX exports. Pages read; writes go through the JSON API.

use axum::Extension;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use cityai_core::framework::roi::{RoiEstimate, RoiFigures, RoiInputs, estimate};
use cityai_core::i18n::{t, tf};
use cityai_core::{Lang, Role};
use cityai_services::framework as services;
use maud::{Markup, html};
use serde::Deserialize;

use crate::AppState;
use crate::auth::Principal;
use crate::framework_api::MEASURED_WINDOW_DAYS;
use crate::views::{PageLang, error_content, internal, percent};

#[derive(Debug, Default, Deserialize)]
pub(crate) struct LangParam {
    lang: Option<String>,
}

/// Renders a page, or the error page when `content` failed.
fn respond(
    page_lang: PageLang,
    heading: &str,
    path: &str,
    principal: &Principal,
    content: Result<Markup, String>,
) -> Response {
    match content {
        Ok(content) => page_lang.respond(StatusCode::OK, heading, path, principal, content),
        Err(message) => page_lang.respond(
            StatusCode::INTERNAL_SERVER_ERROR,
            heading,
            path,
            principal,
            error_content(heading, &message),
        ),
    }
}

/// The sub-navigation of the framework pages the viewer may open.
fn subnav(lang: Lang, principal: &Principal) -> Markup {
    let reader = matches!(
        principal.role(),
        Role::AiOffice | Role::Admin | Role::Reviewer | Role::Auditor
    );
    html! {
        nav.subnav aria-label=(t(lang, "framework.nav")) {
            a href="/framework" { (t(lang, "framework.overview.heading")) }
            @if reader {
                a href="/framework/inventory" { (t(lang, "framework.inventory.heading")) }
            }
            @if reader || principal.role() == Role::Handler {
                a href="/framework/education" { (t(lang, "framework.education.heading")) }
            }
            @if reader {
                a href="/framework/roi" { (t(lang, "framework.roi.heading")) }
                a href="/framework/roadmap" { (t(lang, "framework.roadmap.heading")) }
                a href="/framework/metrics" { (t(lang, "framework.metrics.heading")) }
            }
        }
    }
}

fn yes_no(lang: Lang, value: bool) -> &'static str {
    t(
        lang,
        if value {
            "framework.yes"
        } else {
            "framework.no"
        },
    )
}

/// Renders the overview: the four pillars, the development path and what the LLM era
/// changes.
pub(crate) async fn overview(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Query(params): Query<LangParam>,
    headers: HeaderMap,
) -> Response {
    let page_lang = PageLang::new(&state, params.lang.as_deref(), &headers);
    let lang = page_lang.lang;
    let heading = t(lang, "framework.overview.heading");
    let content = html! {
        h1 { (heading) }
        (subnav(lang, &principal))
        p { (t(lang, "framework.overview.intro")) }
        h2 { (t(lang, "framework.overview.pillars")) }
        ul.pillars {
            @for pillar in ["technology", "scenarios", "education", "governance"] {
                li {
                    strong { (t(lang, &format!("framework.pillar.{pillar}"))) }
                    " — " (t(lang, &format!("framework.pillar.{pillar}_text")))
                }
            }
        }
        h2 { (t(lang, "framework.overview.path")) }
        ol {
            @for phase in cityai_core::framework::RoadmapPhase::ALL {
                li {
                    strong { (t(lang, &format!("framework.phase.{}", phase.as_str()))) }
                    " — " (t(lang, &format!("framework.path.{}", phase.as_str())))
                }
            }
        }
        h2 { (t(lang, "framework.overview.llm")) }
        table {
            thead { tr {
                th scope="col" { (t(lang, "framework.llm.aspect")) }
                th scope="col" { (t(lang, "framework.llm.before")) }
                th scope="col" { (t(lang, "framework.llm.now")) }
            } }
            tbody {
                @for aspect in ["scope", "development", "function", "decision"] {
                    tr {
                        th scope="row" { (t(lang, &format!("framework.llm.{aspect}"))) }
                        td { (t(lang, &format!("framework.llm.{aspect}_before"))) }
                        td { (t(lang, &format!("framework.llm.{aspect}_now"))) }
                    }
                }
            }
        }
    };
    respond(page_lang, heading, "/framework", &principal, Ok(content))
}

/// Renders the inventory and the lineage graph as nested lists with its violations.
pub(crate) async fn inventory(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Query(params): Query<LangParam>,
    headers: HeaderMap,
) -> Response {
    let page_lang = PageLang::new(&state, params.lang.as_deref(), &headers);
    let lang = page_lang.lang;
    let heading = t(lang, "framework.inventory.heading");
    let content = inventory_content(&state, lang, &principal).await;
    respond(
        page_lang,
        heading,
        "/framework/inventory",
        &principal,
        content,
    )
}

async fn inventory_content(
    state: &AppState,
    lang: Lang,
    principal: &Principal,
) -> Result<Markup, String> {
    let store = &state.store;
    let failed = |err: cityai_store::StoreError| internal(lang, &err, "reading the inventory");
    let environments = store.environments().await.map_err(failed)?;
    let compute = store.compute_resources().await.map_err(failed)?;
    let datasets = store.datasets().await.map_err(failed)?;
    let models = store.models().await.map_err(failed)?;
    let applications = store.framework_applications().await.map_err(failed)?;
    let violations = services::lineage_violations(store)
        .await
        .map_err(|err| internal(lang, &err, "checking lineage"))?;
    let class = |c: cityai_core::framework::DataClassification| {
        t(lang, &format!("framework.class.{}", c.as_str())).to_owned()
    };
    Ok(html! {
        h1 { (t(lang, "framework.inventory.heading")) }
        (subnav(lang, principal))
        p.exports {
            (t(lang, "framework.export")) " "
            @for name in ["compute", "datasets", "models", "lineage"] {
                a href=(format!("/framework/export/{name}.csv")) { (name) ".csv" } " "
            }
            a href="/framework/export/inventory.xlsx" { "inventory.xlsx" }
        }
        section aria-labelledby="lineage-heading" {
            h2 #lineage-heading { (t(lang, "framework.lineage.heading")) }
            @if violations.is_empty() {
                p.ok #lineage-status { (t(lang, "framework.lineage.clean")) }
            } @else {
                div.alert #lineage-status role="alert" {
                    p { (tf(lang, "framework.lineage.violations", &[("count", &violations.len())])) }
                    ul {
                        @for v in &violations {
                            li { (tf(lang, &format!("framework.rule.{}", v.rule.as_str()), &[
                                ("application", &v.application), ("model", &v.model),
                                ("dataset", &v.dataset), ("classification", &class(v.classification)),
                                ("environment", &v.environment),
                            ])) }
                        }
                    }
                }
            }
            ul.lineage {
                @for application in &applications {
                    li {
                        strong { (application.code) } " " (if lang == Lang::ZhCn { &application.name_zh } else { &application.name_en })
                        ul {
                            @for model in models.iter().filter(|m| application.model_ids.contains(&m.id)) {
                                li {
                                    (t(lang, "framework.lineage.model")) " " strong { (model.model.code) }
                                    " · " (model.model.base_model) " " (model.model.version)
                                    " · " (t(lang, "framework.lineage.environment")) " " (model.model.environment_code)
                                    @if let Some(node) = model.model.compute_id.and_then(|id| compute.iter().find(|c| c.id == id)) {
                                        " · " (t(lang, "framework.lineage.compute")) " " (node.resource.code)
                                    }
                                    ul {
                                        @for dataset in datasets.iter().filter(|d| model.model.dataset_ids.contains(&d.id)) {
                                            li { (t(lang, "framework.lineage.dataset")) " " (dataset.dataset.code) " · " (class(dataset.dataset.classification)) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 { (t(lang, "framework.environments")) }
        table {
            thead { tr { th { (t(lang, "framework.col.code")) } th { (t(lang, "framework.col.name")) } th { (t(lang, "framework.col.isolated")) } th { (t(lang, "framework.col.approved")) } } }
            tbody { @for e in &environments { tr {
                td { (e.code) } td { (if lang == Lang::ZhCn { &e.name_zh } else { &e.name_en }) }
                td { (yes_no(lang, e.internet_isolated)) } td { (class(e.approved_classification)) }
            } } }
        }
        h2 { (t(lang, "framework.compute")) }
        table {
            thead { tr { th { (t(lang, "framework.col.code")) } th { (t(lang, "framework.col.site")) } th { (t(lang, "framework.col.accelerator")) } th { (t(lang, "framework.col.capacity")) } th { (t(lang, "framework.col.utilisation")) } th { (t(lang, "framework.col.isolated")) } } }
            tbody { @for c in &compute { tr {
                td { (c.resource.code) } td { (c.resource.site) }
                td { (c.resource.accelerator) " × " (c.resource.accelerator_count) }
                td.num { (format!("{:.1}", c.resource.capacity_pflops)) }
                td.num { (percent(c.resource.utilisation)) }
                td { (yes_no(lang, c.resource.internet_isolated)) }
            } } }
        }
        h2 { (t(lang, "framework.datasets")) }
        table {
            thead { tr { th { (t(lang, "framework.col.code")) } th { (t(lang, "framework.col.owner")) } th { (t(lang, "framework.col.classification")) } th { (t(lang, "framework.col.personal")) } th { (t(lang, "framework.col.legal_basis")) } th { (t(lang, "framework.col.licence")) } th { (t(lang, "framework.col.size")) } th { (t(lang, "framework.col.frequency")) } } }
            tbody { @for d in &datasets { tr {
                td { (d.dataset.code) } td { (d.dataset.owner) } td { (class(d.dataset.classification)) }
                td { (yes_no(lang, d.dataset.personal_information)) } td { (d.dataset.legal_basis) }
                td { (d.dataset.licence) } td.num { (format!("{:.1}", d.dataset.size_gb)) }
                td { (t(lang, &format!("framework.frequency.{}", d.dataset.update_frequency.as_str()))) }
            } } }
        }
        h2 { (t(lang, "framework.models")) }
        table {
            thead { tr { th { (t(lang, "framework.col.code")) } th { (t(lang, "framework.col.base_model")) } th { (t(lang, "framework.col.ip_owner")) } th { (t(lang, "framework.col.environment")) } th { (t(lang, "framework.col.evaluation")) } } }
            tbody { @for m in &models { tr {
                td { (m.model.code) } td { (m.model.base_model) " " (m.model.version) }
                td { (m.model.ip_owner) " (" (t(lang, &format!("framework.ip.{}", m.model.ip_owner_kind.as_str()))) ")" }
                td { (m.model.environment_code) }
                td { @for (metric, value) in &m.model.evaluation { (metric) " " (format!("{value:.3}")) " " } }
            } } }
        }
    })
}

/// Renders programme reach per level and coverage per department; handlers see their own
/// department.
pub(crate) async fn education(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Query(params): Query<LangParam>,
    headers: HeaderMap,
) -> Response {
    let page_lang = PageLang::new(&state, params.lang.as_deref(), &headers);
    let lang = page_lang.lang;
    let heading = t(lang, "framework.education.heading");
    let content = async {
        let failed = |err: cityai_store::StoreError| internal(lang, &err, "reading education");
        let reach = state.store.programme_reach().await.map_err(failed)?;
        let programmes = state.store.programmes().await.map_err(failed)?;
        let coverage = state
            .store
            .education_coverage(principal.department_scope())
            .await
            .map_err(failed)?;
        Ok(html! {
            h1 { (heading) }
            (subnav(lang, &principal))
            p.exports { (t(lang, "framework.export")) " "
                a href="/framework/export/coverage.csv" { "coverage.csv" } " "
                a href="/framework/export/programmes.csv" { "programmes.csv" } }
            h2 { (t(lang, "framework.education.reach")) }
            table {
                thead { tr { th { (t(lang, "framework.col.level")) } th { (t(lang, "framework.col.programmes")) } th { (t(lang, "framework.col.courses")) } th { (t(lang, "framework.col.sessions")) } th { (t(lang, "framework.col.enrolled")) } th { (t(lang, "framework.col.completed")) } } }
                tbody { @for r in &reach { tr {
                    td { (t(lang, &format!("framework.level.{}", r.level.as_str()))) }
                    td.num { (r.programmes) } td.num { (r.courses) } td.num { (r.sessions) }
                    td.num { (r.enrolled) } td.num { (r.completed) }
                } } }
            }
            (coverage_table(lang, &coverage))
            h2 { (t(lang, "framework.education.programmes")) }
            ul { @for p in &programmes { li {
                strong { (p.programme.code) } " " (if lang == Lang::ZhCn { &p.programme.name_zh } else { &p.programme.name_en })
                " · " (t(lang, &format!("framework.level.{}", p.programme.level.as_str())))
                @if !p.programme.partner.is_empty() { " · " (p.programme.partner) }
            } } }
        })
    }
    .await;
    respond(
        page_lang,
        heading,
        "/framework/education",
        &principal,
        content,
    )
}

/// Renders training coverage per department, shared with the dashboard.
pub(crate) fn coverage_table(lang: Lang, coverage: &[cityai_store::DepartmentCoverage]) -> Markup {
    html! {
        section aria-labelledby="coverage-heading" {
            h2 #coverage-heading { (t(lang, "framework.education.coverage")) }
            @if coverage.is_empty() {
                p.muted { (t(lang, "framework.education.no_coverage")) }
            } @else {
                table.coverage {
                    thead { tr { th { (t(lang, "framework.col.department")) } th { (t(lang, "framework.col.staff")) } th { (t(lang, "framework.col.enrolled")) } th { (t(lang, "framework.col.completed")) } th { (t(lang, "framework.col.coverage")) } } }
                    tbody { @for c in coverage { tr {
                        td { (c.department_name) }
                        td.num { (c.staff.map(|s| s.to_string()).unwrap_or_else(|| "—".into())) }
                        td.num { (c.enrolled) } td.num { (c.completed) }
                        td.num { (c.coverage.map(percent).unwrap_or_else(|| "—".into())) }
                    } } }
                }
                p.muted { (t(lang, "framework.education.coverage_note")) }
            }
        }
    }
}

/// The calculator form's fields; absent fields take the default assumptions.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RoiForm {
    lang: Option<String>,
    scenario: Option<i64>,
    yearly_volume: Option<f64>,
    minutes_before: Option<f64>,
    minutes_after: Option<f64>,
    automated_share: Option<f64>,
    staff_cost_per_hour: Option<f64>,
    compute_cost: Option<f64>,
    licence_cost: Option<f64>,
    maintenance_cost: Option<f64>,
    initial_cost: Option<f64>,
    adoption_rate: Option<f64>,
    uncertainty: Option<f64>,
}

impl RoiForm {
    fn inputs(&self, base: &RoiInputs) -> RoiInputs {
        RoiInputs {
            yearly_volume: self.yearly_volume.unwrap_or(base.yearly_volume),
            minutes_before: self.minutes_before.unwrap_or(base.minutes_before),
            minutes_after: self.minutes_after.unwrap_or(base.minutes_after),
            automated_share: self.automated_share.unwrap_or(base.automated_share),
            staff_cost_per_hour: self.staff_cost_per_hour.unwrap_or(base.staff_cost_per_hour),
            compute_cost: self.compute_cost.unwrap_or(base.compute_cost),
            licence_cost: self.licence_cost.unwrap_or(base.licence_cost),
            maintenance_cost: self.maintenance_cost.unwrap_or(base.maintenance_cost),
            initial_cost: self.initial_cost.unwrap_or(base.initial_cost),
            adoption_rate: self.adoption_rate.unwrap_or(base.adoption_rate),
            uncertainty: self.uncertainty.unwrap_or(base.uncertainty),
        }
    }
}

/// The calculator's fields in form order.
const ROI_FIELDS: [&str; 11] = [
    "yearly_volume",
    "minutes_before",
    "minutes_after",
    "automated_share",
    "staff_cost_per_hour",
    "compute_cost",
    "licence_cost",
    "maintenance_cost",
    "initial_cost",
    "adoption_rate",
    "uncertainty",
];

fn field_value(inputs: &RoiInputs, field: &str) -> f64 {
    match field {
        "yearly_volume" => inputs.yearly_volume,
        "minutes_before" => inputs.minutes_before,
        "minutes_after" => inputs.minutes_after,
        "automated_share" => inputs.automated_share,
        "staff_cost_per_hour" => inputs.staff_cost_per_hour,
        "compute_cost" => inputs.compute_cost,
        "licence_cost" => inputs.licence_cost,
        "maintenance_cost" => inputs.maintenance_cost,
        "initial_cost" => inputs.initial_cost,
        "adoption_rate" => inputs.adoption_rate,
        _ => inputs.uncertainty,
    }
}

/// Renders the ROI calculator (inputs from the query string) and measured mode.
pub(crate) async fn roi(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    form: Result<Query<RoiForm>, QueryRejection>,
    headers: HeaderMap,
) -> Response {
    let (form, form_error) = match form {
        Ok(Query(form)) => (form, None),
        Err(rejection) => (RoiForm::default(), Some(rejection.body_text())),
    };
    let page_lang = PageLang::new(&state, form.lang.as_deref(), &headers);
    let lang = page_lang.lang;
    let heading = t(lang, "framework.roi.heading");
    let base = crate::framework_api::assumptions(&state, form.scenario)
        .await
        .unwrap_or(services::DEFAULT_ASSUMPTIONS);
    let inputs = form.inputs(&base);
    let calculated = estimate(&inputs);
    let measured = services::measured_roi(&state.store, &base, Utc::now(), MEASURED_WINDOW_DAYS)
        .await
        .map_err(|err| internal(lang, &err, "measuring ROI"));
    let content = measured.map(|measured| {
        html! {
            h1 { (heading) }
            (subnav(lang, &principal))
            p { (t(lang, "framework.roi.intro")) }
            form.roi method="get" action="/framework/roi" {
                @for field in ROI_FIELDS {
                    label {
                        span { (t(lang, &format!("framework.roi.field.{field}"))) }
                        input type="number" step="any" min="0" name=(field) value=(field_value(&inputs, field));
                    }
                }
                button type="submit" { (t(lang, "framework.roi.calculate")) }
            }
            @if let Some(error) = &form_error {
                p.alert role="alert" { (t(lang, "framework.roi.invalid")) " " (error) }
            }
            @match &calculated {
                Ok(result) => (estimate_table(lang, result, "roi-result")),
                Err(err) => p.alert role="alert" #roi-result { (tf(lang, "framework.roi.out_of_range", &[("field", &err.field), ("expected", &err.expected)])) },
            }
            h2 { (t(lang, "framework.roi.measured")) }
            p { (tf(lang, "framework.roi.measured_intro", &[("days", &measured.window_days)])) }
            table #measured-inputs {
                thead { tr { th { (t(lang, "framework.roi.input")) } th { (t(lang, "framework.roi.value")) } th { (t(lang, "framework.roi.provenance")) } th { (t(lang, "framework.roi.sample")) } } }
                tbody { @for source in &measured.sources { tr {
                    td { (t(lang, &format!("framework.roi.field.{}", source.field))) }
                    td.num { (format!("{:.2}", source.value)) }
                    td { (t(lang, match source.provenance { services::Provenance::Measured => "framework.roi.measured_value", services::Provenance::Assumed => "framework.roi.assumed_value" })) }
                    td.num { (source.sample.map(|n| n.to_string()).unwrap_or_else(|| "—".into())) }
                } } }
            }
            p.muted { (tf(lang, "framework.roi.handling_note", &[("min", &services::MIN_SAMPLE)])) }
            (estimate_table(lang, &measured.estimate, "measured-result"))
        }
    });
    respond(page_lang, heading, "/framework/roi", &principal, content)
}

fn money(value: f64) -> String {
    format!("{value:.0}")
}

fn figures_row(lang: Lang, label: &str, f: &RoiFigures) -> Markup {
    let never = t(lang, "framework.roi.never");
    html! {
        tr {
            th scope="row" { (label) }
            td.num { (format!("{:.0}", f.hours_reclaimed)) }
            td.num { (money(f.savings)) }
            td.num { (money(f.yearly_cost)) }
            td.num { (f.payback_months.map(|m| format!("{m:.1}")).unwrap_or_else(|| never.to_owned())) }
            td.num { (f.roi_three_years.map(percent).unwrap_or_else(|| "—".to_owned())) }
        }
    }
}

/// Renders an estimate with its range.
fn estimate_table(lang: Lang, result: &RoiEstimate, id: &str) -> Markup {
    html! {
        table.roi id=(id) {
            thead { tr {
                th { }
                th { (t(lang, "framework.roi.hours")) }
                th { (t(lang, "framework.roi.savings")) }
                th { (t(lang, "framework.roi.yearly_cost")) }
                th { (t(lang, "framework.roi.payback")) }
                th { (t(lang, "framework.roi.roi3")) }
            } }
            tbody {
                (figures_row(lang, t(lang, "framework.roi.low"), &result.low))
                (figures_row(lang, t(lang, "framework.roi.expected"), &result.expected))
                (figures_row(lang, t(lang, "framework.roi.high"), &result.high))
            }
        }
    }
}

/// Renders the roadmap's phases and milestones with computed progress.
pub(crate) async fn roadmap(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Query(params): Query<LangParam>,
    headers: HeaderMap,
) -> Response {
    let page_lang = PageLang::new(&state, params.lang.as_deref(), &headers);
    let lang = page_lang.lang;
    let heading = t(lang, "framework.roadmap.heading");
    let today = Utc::now().with_timezone(&state.city_offset).date_naive();
    let content = services::roadmap(&state.store, today)
        .await
        .map_err(|err| internal(lang, &err, "computing the roadmap"))
        .map(|roadmap| html! {
            h1 { (heading) }
            (subnav(lang, &principal))
            p #roadmap-progress { (t(lang, "framework.roadmap.overall")) " "
                (roadmap.progress.map(percent).unwrap_or_else(|| t(lang, "framework.roadmap.no_milestones").to_owned())) }
            p.exports { (t(lang, "framework.export")) " " a href="/framework/export/milestones.csv" { "milestones.csv" } " " a href="/framework/export/milestones.xlsx" { "milestones.xlsx" } }
            @for phase in &roadmap.phases {
                section.phase {
                    h2 { (phase.phase.ordinal) ". " (if lang == Lang::ZhCn { &phase.phase.name_zh } else { &phase.phase.name_en })
                        " · " (phase.progress.map(percent).unwrap_or_else(|| "—".into())) }
                    @if phase.milestones.is_empty() {
                        p.muted { (t(lang, "framework.roadmap.no_milestones")) }
                    } @else {
                        table { thead { tr { th { (t(lang, "framework.col.milestone")) } th { (t(lang, "framework.col.owner")) } th { (t(lang, "framework.col.due")) } th { (t(lang, "framework.col.status")) } th { (t(lang, "framework.col.progress")) } } }
                            tbody { @for m in &phase.milestones { tr {
                                td { (if lang == Lang::ZhCn { &m.milestone.milestone.title_zh } else { &m.milestone.milestone.title_en }) }
                                td { (m.milestone.milestone.owner) }
                                td { (m.milestone.milestone.due_on.format("%Y-%m-%d")) @if m.overdue { " " span.alert { (t(lang, "framework.roadmap.overdue")) } } }
                                td { (t(lang, &format!("framework.status.{}", m.milestone.milestone.status.as_str()))) }
                                td { progress max="1" value=(format!("{:.3}", m.progress)) { (percent(m.progress)) } " " (percent(m.progress))
                                    @if m.milestone.milestone.measure != cityai_core::framework::MilestoneMeasure::Manual {
                                        " (" (tf(lang, &format!("framework.measure.{}", m.milestone.milestone.measure.as_str()), &[("count", &m.counted), ("target", &m.milestone.milestone.target.unwrap_or(0))])) ")"
                                    }
                                }
                            } } }
                        }
                    }
                }
            }
        });
    respond(
        page_lang,
        heading,
        "/framework/roadmap",
        &principal,
        content,
    )
}

/// Renders the key metrics.
pub(crate) async fn metrics(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Query(params): Query<LangParam>,
    headers: HeaderMap,
) -> Response {
    let page_lang = PageLang::new(&state, params.lang.as_deref(), &headers);
    let lang = page_lang.lang;
    let heading = t(lang, "framework.metrics.heading");
    let content = services::key_metrics(&state.store, Utc::now(), MEASURED_WINDOW_DAYS)
        .await
        .map_err(|err| internal(lang, &err, "computing key metrics"))
        .map(|m| {
            let reach_enrolled: i64 = m.reach.iter().map(|r| r.enrolled).sum();
            let reach_completed: i64 = m.reach.iter().map(|r| r.completed).sum();
            let expected = &m.measured_roi.estimate.expected;
            html! {
                h1 { (heading) }
                (subnav(lang, &principal))
                ul.tiles {
                    li #stakeholders { span.label { (t(lang, "framework.metrics.stakeholders")) } span.value { (m.stakeholders.len()) } }
                    li { span.label { (t(lang, "framework.metrics.applications")) } span.value { (m.applications.iter().map(|a| a.count).sum::<i64>()) } }
                    li { span.label { (t(lang, "framework.metrics.reach")) } span.value { (reach_completed) }
                        span.note { (tf(lang, "framework.metrics.reach_note", &[("enrolled", &reach_enrolled)])) } }
                    li { span.label { (t(lang, "framework.metrics.roi")) } span.value { (expected.roi_three_years.map(percent).unwrap_or_else(|| "—".into())) }
                        span.note { (tf(lang, "framework.metrics.hours_note", &[("hours", &format!("{:.0}", expected.hours_reclaimed))])) } }
                    li { span.label { (t(lang, "framework.metrics.violations")) } span.value { (m.lineage_violations) } }
                }
                h2 { (t(lang, "framework.metrics.by_category")) }
                table { thead { tr { th { (t(lang, "framework.col.category")) } th { (t(lang, "framework.col.stage")) } th { (t(lang, "framework.col.count")) } } }
                    tbody { @for a in &m.applications { tr { td { (a.category) } td { (a.stage) } td.num { (a.count) } } } } }
                h2 { (t(lang, "framework.metrics.stakeholder_list")) }
                ul { @for name in &m.stakeholders { li { (name) } } }
            }
        });
    respond(
        page_lang,
        heading,
        "/framework/metrics",
        &principal,
        content,
    )
}

/// Serves a CSV (UTF-8 with a byte-order mark, so spreadsheet programs read Chinese) or
/// XLSX export of one inventory, education or roadmap table.
pub(crate) async fn export(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let Some((name, extension)) = file.rsplit_once('.') else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let table = match crate::framework_export::table(&state, name).await {
        Ok(Some(table)) => table,
        Ok(None) => return StatusCode::NOT_FOUND.into_response(),
        Err(err) => {
            tracing::error!(error = %err, "exporting a framework table failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let (content_type, bytes) = match extension {
        "csv" => ("text/csv; charset=utf-8", table.to_csv()),
        "xlsx" => (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            table.to_xlsx(),
        ),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    match bytes {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, content_type.to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}.{extension}\""),
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(err) => {
            tracing::error!(error = %err, "writing a framework export failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
