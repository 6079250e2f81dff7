//! Console pages: the request list.

use axum::Extension;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chrono::FixedOffset;
use cityai_core::i18n::{t, tf};
use cityai_core::{Channel, Lang, Request, RequestStatus};
use cityai_store::{RequestCounts, RequestList};
use maud::{Markup, html};

use crate::AppState;
use crate::auth::Principal;
use crate::filters::ListQuery;
use crate::lang::{negotiate, set_cookie};
use crate::layout::{other, page};

/// Renders the request list with filters, counts and paging.
///
/// Handlers see their own department's requests only, whatever the department filter says.
pub(crate) async fn requests_page(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    query: Result<Query<ListQuery>, QueryRejection>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let (query, rejection) = match query {
        Ok(Query(query)) => (query, None),
        Err(rejection) => {
            // Keep the language choice even when other parameters cannot be read.
            let lang = uri.query().and_then(|q| {
                q.split('&')
                    .find_map(|pair| pair.strip_prefix("lang="))
                    .map(str::to_owned)
            });
            let query = ListQuery {
                lang,
                ..ListQuery::default()
            };
            (query, Some(rejection))
        }
    };
    let (lang, cookie) = negotiate(query.lang.as_deref(), &headers, state.default_lang);
    let heading = t(lang, "requests.heading");
    let switch_href = href_with(&query, &[("lang", other(lang).tag().to_owned())]);

    if rejection.is_some() {
        let options = FilterOptions::load(&state).await;
        let content = html! {
            h1 { (heading) }
            (filter_form(lang, &query, &options, principal.department_scope().is_none()))
            p.error role="alert" { (t(lang, "requests.invalid_query")) }
        };
        let mut response = (
            StatusCode::BAD_REQUEST,
            page(lang, heading, &switch_href, Some(&principal), content),
        )
            .into_response();
        set_cookie(response.headers_mut(), cookie);
        return response;
    }

    let (status, content) = match query.to_filter(state.city_offset) {
        Err(invalid) => {
            let reason = tf(lang, invalid.hint, &[("choices", &invalid.choices)]);
            let message = tf(
                lang,
                "requests.invalid_filter",
                &[("value", &invalid.value), ("reason", &reason)],
            );
            let options = FilterOptions::load(&state).await;
            let content = html! {
                h1 { (heading) }
                (filter_form(lang, &query, &options, principal.department_scope().is_none()))
                p.error role="alert" { (message) }
            };
            (StatusCode::BAD_REQUEST, content)
        }
        Ok((mut filter, page_spec)) => {
            if let Some(department) = principal.department_scope() {
                filter.department = Some(department.to_owned());
            }
            // The counts give the total, so the page itself is read without a second count.
            let loaded = tokio::try_join!(
                state.store.list_request_page(&filter, page_spec),
                state.store.request_counts(&filter),
            );
            match loaded {
                Ok((items, counts)) => {
                    let list = RequestList {
                        items,
                        total: counts.total,
                    };
                    let options = FilterOptions::load(&state).await;
                    let ids: Vec<i64> = list.items.iter().map(|r| r.id).collect();
                    let repeats = state
                        .store
                        .repeated_requests(&ids)
                        .await
                        .unwrap_or_else(|err| {
                            tracing::error!(error = %err, "reading duplicate links failed");
                            std::collections::HashMap::new()
                        });
                    let pages = (list.total as u64)
                        .div_ceil(u64::from(page_spec.size))
                        .max(1);
                    let content = html! {
                        h1 { (heading) }
                        (filter_form(lang, &query, &options, principal.department_scope().is_none()))
                        (counts_bar(lang, &counts, list.total))
                        (request_table(lang, &list, &options, state.city_offset, &repeats))
                        (pager(lang, &query, page_spec.number, pages))
                    };
                    (StatusCode::OK, content)
                }
                Err(err) => {
                    tracing::error!(error = %err, source = ?std::error::Error::source(&err), "listing requests failed");
                    let content = html! { p.error role="alert" { (t(lang, "error.internal")) } };
                    (StatusCode::INTERNAL_SERVER_ERROR, content)
                }
            }
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

/// Renders the 404 page.
pub(crate) async fn not_found(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let (lang, _) = negotiate(None, &headers, state.default_lang);
    let content = html! { p.error role="alert" { (t(lang, "error.not_found")) } };
    let switch_href = format!("/requests?lang={}", other(lang).tag());
    (
        StatusCode::NOT_FOUND,
        page(
            lang,
            t(lang, "error.not_found"),
            &switch_href,
            None,
            content,
        ),
    )
        .into_response()
}

/// Choices for the filter drop-downs.
#[derive(Debug, Default)]
struct FilterOptions {
    categories: Vec<String>,
    departments: Vec<(String, String)>,
}

impl FilterOptions {
    /// Loads the taxonomy and departments; on failure the drop-downs are empty and the error
    /// is logged, because the list itself can still be shown.
    async fn load(state: &AppState) -> Self {
        let categories = match state.store.categories().await {
            Ok(records) => records.into_iter().map(|c| c.path.to_string()).collect(),
            Err(err) => {
                tracing::warn!(error = %err, "loading categories for filters failed");
                Vec::new()
            }
        };
        let departments = match state.store.departments().await {
            Ok(list) => {
                let mut pairs: Vec<(String, String)> =
                    list.into_iter().map(|d| (d.code, d.name)).collect();
                pairs.sort_by(|a, b| a.1.cmp(&b.1));
                pairs
            }
            Err(err) => {
                tracing::warn!(error = %err, "loading departments for filters failed");
                Vec::new()
            }
        };
        Self {
            categories,
            departments,
        }
    }

    fn department_name<'a>(&'a self, code: &'a str) -> &'a str {
        self.departments
            .iter()
            .find(|(c, _)| c == code)
            .map(|(_, name)| name.as_str())
            .unwrap_or(code)
    }
}

/// Renders the filters; `all_departments` is false for handlers, who see one department
/// and get no department choice.
fn filter_form(
    lang: Lang,
    query: &ListQuery,
    options: &FilterOptions,
    all_departments: bool,
) -> Markup {
    let current = |field: &Option<String>| ListQuery::value(field).unwrap_or("").to_owned();
    let any = t(lang, "requests.filter_any");
    html! {
        form.filters method="get" action="/requests" role="search" aria-label=(t(lang, "requests.filter_heading")) {
            label {
                (t(lang, "requests.filter_text"))
                input type="search" name="q" value=(current(&query.q));
            }
            label {
                (t(lang, "requests.filter_status"))
                select name="status" {
                    option value="" { (any) }
                    @for status in RequestStatus::ALL {
                        option value=(status.as_str()) selected[current(&query.status) == status.as_str()] {
                            (status_label(lang, status))
                        }
                    }
                }
            }
            label {
                (t(lang, "requests.filter_category"))
                select name="category" {
                    option value="" { (any) }
                    @for path in &options.categories {
                        option value=(path) selected[&current(&query.category) == path] { (path) }
                    }
                }
            }
            @if all_departments { label {
                (t(lang, "requests.filter_department"))
                select name="department" {
                    option value="" { (any) }
                    @for (code, name) in &options.departments {
                        option value=(code) selected[&current(&query.department) == code] { (name) }
                    }
                }
            } }
            label {
                (t(lang, "requests.filter_channel"))
                select name="channel" {
                    option value="" { (any) }
                    @for channel in Channel::ALL {
                        option value=(channel.as_str()) selected[current(&query.channel) == channel.as_str()] {
                            (channel_label(lang, channel))
                        }
                    }
                }
            }
            label {
                (t(lang, "requests.sort"))
                select name="sort" {
                    option value="newest" { (t(lang, "requests.sort_newest")) }
                    option value="oldest" selected[current(&query.sort) == "oldest"] { (t(lang, "requests.sort_oldest")) }
                }
            }
            label {
                (t(lang, "requests.filter_from"))
                input type="date" name="from" value=(current(&query.from));
            }
            label {
                (t(lang, "requests.filter_to"))
                input type="date" name="to" value=(current(&query.to));
            }
            div.actions {
                button type="submit" { (t(lang, "requests.filter_apply")) }
                a href="/requests" { (t(lang, "requests.filter_reset")) }
            }
        }
    }
}

fn counts_bar(lang: Lang, counts: &RequestCounts, matching: i64) -> Markup {
    html! {
        p.counts aria-live="polite" {
            span { strong { (tf(lang, "requests.total", &[("total", &matching)])) } }
            @for (status, n) in &counts.by_status {
                span { (tf(lang, "requests.status_count", &[("status", &status_label(lang, *status)), ("count", n)])) }
            }
        }
    }
}

fn request_table(
    lang: Lang,
    list: &RequestList,
    options: &FilterOptions,
    city_offset: FixedOffset,
    repeats: &std::collections::HashMap<i64, i64>,
) -> Markup {
    if list.items.is_empty() {
        return html! { p { (t(lang, "requests.empty")) } };
    }
    html! {
        div.table-wrap {
            table {
                thead {
                    tr {
                        th scope="col" { (t(lang, "requests.col_id")) }
                        th scope="col" { (t(lang, "requests.col_title")) }
                        th scope="col" { (t(lang, "requests.col_status")) }
                        th scope="col" { (t(lang, "requests.col_category")) }
                        th scope="col" .optional { (t(lang, "requests.col_department")) }
                        th scope="col" .optional { (t(lang, "requests.col_channel")) }
                        th scope="col" { (t(lang, "requests.col_submitted")) }
                        th scope="col" .optional { (t(lang, "requests.col_votes")) }
                    }
                }
                tbody {
                    @for request in &list.items {
                        (request_row(lang, request, options, city_offset, repeats.get(&request.id).copied()))
                    }
                }
            }
        }
    }
}

/// Renders one row; `repeats` is the earlier request this one probably repeats.
fn request_row(
    lang: Lang,
    request: &Request,
    options: &FilterOptions,
    city_offset: FixedOffset,
    repeats: Option<i64>,
) -> Markup {
    let not_set = t(lang, "requests.not_set");
    html! {
        tr {
            td.num { (request.id) }
            td {
                a href=(format!("/requests/{}", request.id)) { (request.display_title(40)) }
                @if let Some(other) = repeats {
                    " "
                    span.badge.triage title=(t(lang, "requests.repeats_hint")) {
                        (tf(lang, "requests.repeats", &[("id", &other)]))
                    }
                }
            }
            td { span class={"badge " (request.status.as_str())} { (status_label(lang, request.status)) } }
            td {
                @match &request.category {
                    Some(path) => (path),
                    None => span { (not_set) },
                }
            }
            td.optional {
                @match &request.department {
                    Some(code) => (options.department_name(code)),
                    None => span { (not_set) },
                }
            }
            td.optional { (channel_label(lang, request.channel)) }
            td.num {
                @match request.submitted_at {
                    Some(submitted) => time datetime=(cityai_core::time::to_storage(submitted)) {
                        (submitted.with_timezone(&city_offset).format("%Y-%m-%d %H:%M"))
                    },
                    None => span { (t(lang, "requests.time_unknown")) },
                }
            }
            td.num.optional {
                @if request.support_votes.is_some() || request.objection_votes.is_some() {
                    (request.support_votes.unwrap_or(0)) " / " (request.objection_votes.unwrap_or(0))
                }
            }
        }
    }
}

fn pager(lang: Lang, query: &ListQuery, current: u32, pages: u64) -> Markup {
    html! {
        nav.pager aria-label=(tf(lang, "requests.page_of", &[("page", &current), ("pages", &pages)])) {
            @if current > 1 {
                a href=(href_with(query, &[("page", (current - 1).to_string())])) rel="prev" {
                    (t(lang, "requests.page_previous"))
                }
            }
            span { (tf(lang, "requests.page_of", &[("page", &current), ("pages", &pages)])) }
            @if u64::from(current) < pages {
                a href=(href_with(query, &[("page", (current + 1).to_string())])) rel="next" {
                    (t(lang, "requests.page_next"))
                }
            }
        }
    }
}

fn status_label(lang: Lang, status: RequestStatus) -> String {
    t(lang, &format!("status.{}", status.as_str())).to_owned()
}

fn channel_label(lang: Lang, channel: Channel) -> String {
    t(lang, &format!("channel.{}", channel.as_str())).to_owned()
}

/// Returns `/requests` with the current filters and `changes` applied.
fn href_with(query: &ListQuery, changes: &[(&str, String)]) -> String {
    let mut pairs: Vec<(&str, String)> = [
        ("q", &query.q),
        ("status", &query.status),
        ("category", &query.category),
        ("department", &query.department),
        ("channel", &query.channel),
        ("from", &query.from),
        ("to", &query.to),
        ("sort", &query.sort),
        ("size", &query.size),
        ("page", &query.page),
    ]
    .into_iter()
    .filter_map(|(name, value)| ListQuery::value(value).map(|v| (name, v.to_owned())))
    .collect();
    for (name, value) in changes {
        pairs.retain(|(existing, _)| existing != name);
        pairs.push((name, value.clone()));
    }
    let encoded: Vec<String> = pairs
        .iter()
        .map(|(name, value)| format!("{name}={}", percent_encode(value)))
        .collect();
    format!("/requests?{}", encoded.join("&"))
}

fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char);
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}
