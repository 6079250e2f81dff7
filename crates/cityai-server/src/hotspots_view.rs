//! Hot spots: `GET /api/v1/hotspots` and the console page.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use cityai_core::i18n::{t, tf};
use cityai_hotspot::Hotspot;
use maud::html;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, Text};
use crate::lang::{negotiate, set_cookie};
use crate::layout::{other, page};

#[derive(Debug, Default, Deserialize)]
pub(crate) struct HotspotParams {
    /// First day, `YYYY-MM-DD` in the city's time zone.
    from: Option<String>,
    /// Last day, included.
    to: Option<String>,
    /// A whole number from 1 to 500, read as text so that a bad value gets a message naming it.
    top: Option<String>,
    lang: Option<String>,
}

#[derive(Debug, Serialize)]
pub(crate) struct HotspotList {
    requests_considered: usize,
    hotspots: Vec<Hotspot>,
}

fn day(
    state: &AppState,
    name: &'static str,
    value: Option<&str>,
    time: NaiveTime,
) -> Result<Option<DateTime<Utc>>, ApiError> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let invalid = || ApiError::BadRequest {
        code: "invalid_parameter",
        message: Text::new("invalid_date_parameter")
            .arg("value", value)
            .arg("name", name),
    };
    let date = NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| invalid())?;
    state
        .city_offset
        .from_local_datetime(&date.and_time(time))
        .single()
        .map(|t| Some(t.with_timezone(&Utc)))
        .ok_or_else(invalid)
}

async fn load(
    state: &AppState,
    principal: &Principal,
    params: &HotspotParams,
) -> Result<HotspotList, ApiError> {
    let from = day(state, "from", params.from.as_deref(), NaiveTime::MIN)?;
    let end_of_day = NaiveTime::from_hms_opt(23, 59, 59).unwrap_or(NaiveTime::MIN);
    let to = day(state, "to", params.to.as_deref(), end_of_day)?;
    let top = ApiError::whole_number("top", params.top.as_deref(), 20, (1, 500))?;
    // Handlers rank only their own department's requests. The default view, every request
    // of every department, comes from the live index, and any other view is computed in full.
    let department = principal.department_scope();
    let result = if from.is_none() && to.is_none() && department.is_none() {
        state.hotspots.hotspots(&state.store, top).await
    } else {
        cityai_services::hotspots::hotspots(&state.store, from, to, department, top).await
    };
    let (hotspots, requests_considered) = result.map_err(|err| match err {
        cityai_services::ServiceError::Invalid(reason) => ApiError::BadRequest {
            code: "invalid_parameter",
            message: Text::new("invalid_input").arg("reason", reason),
        },
        other => {
            tracing::error!(error = %other, "ranking hot spots failed");
            ApiError::Unavailable {
                code: "hotspots_failed",
                message: Text::new("hotspots_failed"),
            }
        }
    })?;
    Ok(HotspotList {
        requests_considered,
        hotspots,
    })
}

/// Returns the ranked hot spots of a window as JSON.
pub(crate) async fn list(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    params: Result<Query<HotspotParams>, QueryRejection>,
) -> Result<Json<HotspotList>, ApiError> {
    let Query(params) = params.map_err(crate::api::invalid_query)?;
    load(&state, &principal, &params).await.map(Json)
}

/// Renders the ranked hot spots.
pub(crate) async fn page_view(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Query(params): Query<HotspotParams>,
    headers: HeaderMap,
) -> Response {
    let (lang, cookie) = negotiate(params.lang.as_deref(), &headers, state.default_lang);
    let heading = t(lang, "hotspots.heading");
    let switch_href = format!("/hotspots?lang={}", other(lang).tag());
    let day = |time: Option<DateTime<Utc>>| {
        time.map(|t| {
            t.with_timezone(&state.city_offset)
                .format("%Y-%m-%d")
                .to_string()
        })
        .unwrap_or_else(|| t(lang, "requests.time_unknown").to_owned())
    };
    let (status, content) = match load(&state, &principal, &params).await {
        Ok(list) => (
            StatusCode::OK,
            html! {
                h1 { (heading) }
                form.filters method="get" action="/hotspots" {
                    label { (t(lang, "requests.filter_from")) input type="date" name="from" value=(params.from.as_deref().unwrap_or("")); }
                    label { (t(lang, "requests.filter_to")) input type="date" name="to" value=(params.to.as_deref().unwrap_or("")); }
                    div.actions { button type="submit" { (t(lang, "requests.filter_apply")) } }
                }
                p.counts { (tf(lang, "hotspots.summary", &[("count", &list.hotspots.len()), ("requests", &list.requests_considered)])) }
                div.table-wrap { table {
                    thead { tr {
                        th { (t(lang, "hotspots.col_rank")) }
                        th { (t(lang, "hotspots.col_heat")) }
                        th { (t(lang, "hotspots.col_requests")) }
                        th { (t(lang, "hotspots.col_citizens")) }
                        th.optional { (t(lang, "hotspots.col_votes")) }
                        th { (t(lang, "hotspots.col_place")) }
                        th.optional { (t(lang, "hotspots.col_range")) }
                        th { (t(lang, "hotspots.col_summary")) }
                    } }
                    tbody { @for spot in &list.hotspots { tr {
                        td.num { (spot.rank) }
                        td.num { (format!("{:.1}", spot.heat.heat)) }
                        td.num { (spot.heat.requests) }
                        td.num { (spot.heat.citizens) }
                        td.num.optional { (spot.heat.support_votes) " / " (spot.heat.objection_votes) }
                        td { (spot.place.as_deref().unwrap_or("-")) }
                        td.num.optional { (day(spot.first_at)) " ～ " (day(spot.last_at)) }
                        td { (spot.summary) }
                    } } }
                } }
            },
        ),
        Err(err) => {
            let message = match &err {
                ApiError::BadRequest { message, .. } => message.render(lang),
                _ => t(lang, "error.internal").to_owned(),
            };
            (
                StatusCode::BAD_REQUEST,
                html! { h1 { (heading) } p.error role="alert" { (message) } },
            )
        }
    };
    let mut response = (
        status,
        page(lang, heading, &switch_href, Some(&principal), content),
    )
        .into_response();
    set_cookie(response.headers_mut(), cookie);
    response
}
