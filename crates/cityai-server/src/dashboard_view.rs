//! The dashboard: volumes by day and category, routing accuracy from staff feedback, the
//! share assigned automatically, the triage backlog and overdue replies. Charts are SVG
//! drawn here, so the page needs no script.

use axum::Extension;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use cityai_core::Lang;
use cityai_core::i18n::{t, tf};
use cityai_store::DashboardFigures;
use maud::{Markup, html};
use serde::Deserialize;

use crate::AppState;
use crate::auth::Principal;
use crate::views::{PageLang, error_content, internal, local_stored_time, percent};

/// The days the charts cover.
const WINDOW_DAYS: i64 = 30;

/// Days after which an open request without a reply counts as overdue. Chinese hotline
/// rules commonly give departments 15 working days; 15 calendar days is the stricter reading.
pub(crate) const REPLY_DUE_DAYS: i64 = 15;

#[derive(Debug, Default, Deserialize)]
pub(crate) struct DashboardParams {
    lang: Option<String>,
}

/// Renders the dashboard.
pub(crate) async fn page_view(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Query(params): Query<DashboardParams>,
    headers: HeaderMap,
) -> Response {
    let page_lang = PageLang::new(&state, params.lang.as_deref(), &headers);
    let lang = page_lang.lang;
    let heading = t(lang, "dashboard.heading");
    let now = Utc::now();
    let figures = state
        .dashboard
        .figures(
            &state.store,
            state.city_offset,
            principal.department_scope(),
        )
        .await;
    let (figures, computed_at) = match figures {
        Ok(figures) => figures,
        Err(err) => {
            let message = internal(lang, &err, "computing the dashboard");
            return page_lang.respond(
                StatusCode::INTERNAL_SERVER_ERROR,
                heading,
                "/dashboard",
                &principal,
                error_content(heading, &message),
            );
        }
    };
    let days = fill_days(&figures, now, &state);
    // Training coverage per department, in the same department scope as the figures. A
    // failure hides only this section, because the routing figures above stand on their own.
    let coverage = match state
        .store
        .education_coverage(principal.department_scope())
        .await
    {
        Ok(coverage) => Some(coverage),
        Err(err) => {
            tracing::warn!(error = %err, "reading training coverage for the dashboard failed");
            None
        }
    };
    let content = html! {
        h1 { (heading) }
        p.muted { (tf(lang, "dashboard.updated", &[("time", &computed_at.with_timezone(&state.city_offset).format("%H:%M:%S"))])) }
        (tiles(lang, &figures, &state))
        section.chart aria-labelledby="per-day-heading" {
            h2 #per-day-heading { (tf(lang, "dashboard.per_day", &[("days", &WINDOW_DAYS)])) }
            (day_chart(lang, &days))
        }
        section.chart aria-labelledby="per-category-heading" {
            h2 #per-category-heading { (tf(lang, "dashboard.per_category", &[("days", &WINDOW_DAYS)])) }
            (category_chart(lang, &figures))
        }
        @if let Some(coverage) = &coverage {
            (crate::framework_view::coverage_table(lang, coverage))
        }
    };
    page_lang.respond(StatusCode::OK, heading, "/dashboard", &principal, content)
}

/// Dashboard figures computed at most [`DashboardCache::MAX_AGE`] ago, per department
/// scope, so that a page view reads them instead of aggregating the whole store.
///
/// NOTE: the cache lives in one server process. Several nodes each keep their own, so a
/// node may show figures up to [`DashboardCache::MAX_AGE`] older than another.
#[derive(Debug, Default)]
pub struct DashboardCache {
    entries: Mutex<HashMap<Option<String>, CachedFigures>>,
}

/// Figures and when they were computed.
type CachedFigures = (DateTime<Utc>, Arc<DashboardFigures>);

impl DashboardCache {
    /// The maximum age of cached figures before a view computes them again.
    pub const MAX_AGE: Duration = Duration::seconds(30);

    /// Returns the figures for `department` (all departments for `None`) and when they
    /// were computed, computing them when the cached ones are too old.
    ///
    /// # Errors
    ///
    /// The store's errors.
    pub async fn figures(
        &self,
        store: &cityai_store::Store,
        city_offset: chrono::FixedOffset,
        department: Option<&str>,
    ) -> Result<(Arc<DashboardFigures>, DateTime<Utc>), cityai_store::StoreError> {
        let key = department.map(str::to_owned);
        if let Some((at, figures)) = self.lock().get(&key)
            && Utc::now() - *at < Self::MAX_AGE
        {
            return Ok((figures.clone(), *at));
        }
        self.refresh(store, city_offset, department).await
    }

    /// Computes the figures now and keeps them.
    ///
    /// # Errors
    ///
    /// The store's errors.
    pub async fn refresh(
        &self,
        store: &cityai_store::Store,
        city_offset: chrono::FixedOffset,
        department: Option<&str>,
    ) -> Result<(Arc<DashboardFigures>, DateTime<Utc>), cityai_store::StoreError> {
        let now = Utc::now();
        let since = cityai_core::time::to_storage(now - Duration::days(WINDOW_DAYS));
        let overdue_before = cityai_core::time::to_storage(now - Duration::days(REPLY_DUE_DAYS));
        let offset_minutes = city_offset.local_minus_utc() / 60;
        let figures = Arc::new(
            store
                .dashboard_figures(&since, offset_minutes, &overdue_before, department)
                .await?,
        );
        self.lock()
            .insert(department.map(str::to_owned), (now, figures.clone()));
        Ok((figures, now))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Option<String>, CachedFigures>> {
        // A panic while holding the lock leaves plain data behind; keep using it.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Returns one entry per day of the window, with zero for days without requests.
fn fill_days(
    figures: &DashboardFigures,
    now: DateTime<Utc>,
    state: &AppState,
) -> Vec<(String, i64)> {
    let today = now.with_timezone(&state.city_offset).date_naive();
    (0..WINDOW_DAYS)
        .rev()
        .map(|back| {
            let day = (today - Duration::days(back))
                .format("%Y-%m-%d")
                .to_string();
            let n = figures
                .per_day
                .iter()
                .find(|(d, _)| *d == day)
                .map_or(0, |(_, n)| *n);
            (day, n)
        })
        .collect()
}

fn tiles(lang: Lang, figures: &DashboardFigures, state: &AppState) -> Markup {
    let reviewed = figures.confirmed + figures.corrected;
    let accuracy = (reviewed > 0).then(|| figures.confirmed as f64 / reviewed as f64);
    let auto_share =
        (figures.decisions > 0).then(|| figures.auto_assigned as f64 / figures.decisions as f64);
    let age = figures
        .triage_oldest
        .as_deref()
        .and_then(cityai_core::time::from_storage)
        .map(|oldest| {
            let hours = (Utc::now() - oldest).num_hours().max(0);
            if hours >= 48 {
                tf(lang, "dashboard.age_days", &[("days", &(hours / 24))])
            } else {
                tf(lang, "dashboard.age_hours", &[("hours", &hours)])
            }
        });
    let na = t(lang, "dashboard.not_available");
    html! {
        ul.tiles {
            li {
                span.label { (t(lang, "dashboard.accuracy")) }
                span.value { (accuracy.map(percent).unwrap_or_else(|| na.to_owned())) }
                span.note { (tf(lang, "dashboard.accuracy_note", &[("confirmed", &figures.confirmed), ("corrected", &figures.corrected)])) }
            }
            li {
                span.label { (t(lang, "dashboard.auto_share")) }
                span.value { (auto_share.map(percent).unwrap_or_else(|| na.to_owned())) }
                span.note { (tf(lang, "dashboard.auto_note", &[("auto", &figures.auto_assigned), ("decisions", &figures.decisions), ("days", &WINDOW_DAYS)])) }
            }
            li {
                span.label { (t(lang, "dashboard.backlog")) }
                span.value { a href="/triage" { (figures.triage_backlog) } }
                span.note {
                    @match (&age, &figures.triage_oldest) {
                        (Some(age), Some(oldest)) => (tf(lang, "dashboard.backlog_note", &[("age", age), ("since", &local_stored_time(oldest, state.city_offset))])),
                        _ => (t(lang, "dashboard.backlog_empty")),
                    }
                }
            }
            li {
                span.label { (t(lang, "dashboard.overdue")) }
                span.value { (figures.overdue) }
                span.note { (tf(lang, "dashboard.overdue_note", &[("days", &REPLY_DUE_DAYS)])) }
            }
        }
    }
}

/// Renders a bar chart of requests per day, with a table of the same figures for screen
/// readers.
fn day_chart(lang: Lang, days: &[(String, i64)]) -> Markup {
    let max = days.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    let (width, height, left, bottom) = (720.0_f64, 200.0_f64, 36.0_f64, 24.0_f64);
    let slot = (width - left) / days.len().max(1) as f64;
    let scale = (height - bottom - 10.0) / max as f64;
    html! {
        svg.chart viewBox=(format!("0 0 {width} {height}")) role="img" aria-labelledby="per-day-heading" preserveAspectRatio="xMidYMid meet" {
            line x1=(left) y1=(height - bottom) x2=(width) y2=(height - bottom) stroke="#8895a3" {}
            text x=(left - 6.0) y=(12) text-anchor="end" font-size="11" fill="#5b6775" { (max) }
            text x=(left - 6.0) y=(height - bottom) text-anchor="end" font-size="11" fill="#5b6775" { "0" }
            @for (i, (day, n)) in days.iter().enumerate() {
                @let h = *n as f64 * scale;
                @let x = left + i as f64 * slot + slot * 0.15;
                rect x=(format!("{x:.1}")) y=(format!("{:.1}", height - bottom - h)) width=(format!("{:.1}", slot * 0.7)) height=(format!("{h:.1}")) fill="#0b5cad" {
                    title { (day) ": " (n) }
                }
                @if i % 5 == 0 || i + 1 == days.len() {
                    text x=(format!("{:.1}", x + slot * 0.35)) y=(height - 6.0) text-anchor="middle" font-size="10" fill="#5b6775" { (&day[5..]) }
                }
            }
        }
        details {
            summary { (t(lang, "dashboard.show_table")) }
            table {
                thead { tr { th scope="col" { (t(lang, "dashboard.day")) } th scope="col" { (t(lang, "dashboard.requests")) } } }
                tbody { @for (day, n) in days { tr { td { (day) } td.num { (n) } } } }
            }
        }
    }
}

/// Horizontal bars of requests per first-level category.
fn category_chart(lang: Lang, figures: &DashboardFigures) -> Markup {
    let rows: Vec<(String, i64)> = figures
        .per_category
        .iter()
        .take(12)
        .map(|(c, n)| {
            (
                c.clone()
                    .unwrap_or_else(|| t(lang, "requests.not_set").to_owned()),
                *n,
            )
        })
        .collect();
    if rows.is_empty() {
        return html! { p.muted { (t(lang, "dashboard.no_requests")) } };
    }
    let max = rows.iter().map(|(_, n)| *n).max().unwrap_or(1).max(1) as f64;
    let (width, row_height, label_width) = (720.0_f64, 24.0_f64, 170.0_f64);
    let height = row_height * rows.len() as f64 + 4.0;
    let bar_space = width - label_width - 60.0;
    html! {
        svg.chart viewBox=(format!("0 0 {width} {height}")) role="img" aria-labelledby="per-category-heading" {
            @for (i, (category, n)) in rows.iter().enumerate() {
                @let y = i as f64 * row_height + 2.0;
                @let w = (*n as f64 / max) * bar_space;
                text x=(label_width - 8.0) y=(format!("{:.1}", y + 16.0)) text-anchor="end" font-size="12" fill="#1d2733" { (category) }
                rect x=(label_width) y=(format!("{y:.1}")) width=(format!("{w:.1}")) height=(row_height - 6.0) fill="#3a86c8" {
                    title { (category) ": " (n) }
                }
                text x=(format!("{:.1}", label_width + w + 6.0)) y=(format!("{:.1}", y + 16.0)) font-size="12" fill="#1d2733" { (n) }
            }
        }
    }
}
