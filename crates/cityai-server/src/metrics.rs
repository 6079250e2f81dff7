//! Operational metrics in the Prometheus text format at `/metrics`: HTTP requests and their
//! latencies by route, intake and routing outcomes, and the size of each request queue.
//!
//! Series are labelled by the matched route pattern (`/api/v1/requests/{id}`), never by the
//! raw path or query, so they carry no personal data and their number stays bounded.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppState;

/// The upper bounds of the latency histogram's buckets, in seconds.
const LATENCY_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// The counters of one process; cheap to update from every request.
#[derive(Debug, Default)]
pub struct Metrics {
    http: Mutex<BTreeMap<HttpKey, HttpSeries>>,
    intake_assigned: AtomicU64,
    intake_triage: AtomicU64,
    intake_unrouted: AtomicU64,
    intake_repeated: AtomicU64,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct HttpKey {
    method: String,
    route: String,
    status: u16,
}

#[derive(Debug, Default)]
struct HttpSeries {
    count: u64,
    sum_seconds: f64,
    /// Counts per bucket (not cumulative); the last slot counts what exceeds every bound.
    buckets: [u64; LATENCY_BUCKETS.len() + 1],
}

/// The outcome of intake for one request, for [`Metrics::record_intake`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntakeOutcome {
    Assigned,
    Triage,
    /// Stored without routing: no model was trained yet.
    Unrouted,
    /// The submission repeated a stored request.
    Repeated,
}

impl Metrics {
    fn record_http(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let key = HttpKey {
            method: method.to_owned(),
            route: route.to_owned(),
            status,
        };
        let bucket = LATENCY_BUCKETS
            .iter()
            .position(|bound| seconds <= *bound)
            .unwrap_or(LATENCY_BUCKETS.len());
        let mut http = self
            .http
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let series = http.entry(key).or_default();
        series.count += 1;
        series.sum_seconds += seconds;
        series.buckets[bucket] += 1;
    }

    /// Counts one request taken in.
    pub fn record_intake(&self, outcome: IntakeOutcome) {
        let counter = match outcome {
            IntakeOutcome::Assigned => &self.intake_assigned,
            IntakeOutcome::Triage => &self.intake_triage,
            IntakeOutcome::Unrouted => &self.intake_unrouted,
            IntakeOutcome::Repeated => &self.intake_repeated,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Returns how many requests were taken in live since the process started.
    pub fn intake_total(&self) -> u64 {
        [
            &self.intake_assigned,
            &self.intake_triage,
            &self.intake_unrouted,
            &self.intake_repeated,
        ]
        .iter()
        .map(|counter| counter.load(Ordering::Relaxed))
        .sum()
    }

    /// Writes the process's series in the Prometheus text format.
    fn render(&self, out: &mut String) {
        out.push_str(
            "# HELP cityai_http_requests_total HTTP requests answered, by method, route and status.\n\
             # TYPE cityai_http_requests_total counter\n",
        );
        let http = self
            .http
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for (key, series) in http.iter() {
            let _ = writeln!(
                out,
                "cityai_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{}\"}} {}",
                key.method,
                escape(&key.route),
                key.status,
                series.count
            );
        }
        out.push_str(
            "# HELP cityai_http_request_duration_seconds Time to answer HTTP requests, by method and route.\n\
             # TYPE cityai_http_request_duration_seconds histogram\n",
        );
        // The histogram is kept per status too; merge statuses per method and route.
        let mut merged: BTreeMap<(&str, &str), HttpSeries> = BTreeMap::new();
        for (key, series) in http.iter() {
            let entry = merged
                .entry((key.method.as_str(), key.route.as_str()))
                .or_default();
            entry.count += series.count;
            entry.sum_seconds += series.sum_seconds;
            for (total, count) in entry.buckets.iter_mut().zip(series.buckets) {
                *total += count;
            }
        }
        for ((method, route), series) in &merged {
            let route = escape(route);
            let mut cumulative = 0;
            for (bound, count) in LATENCY_BUCKETS.iter().zip(series.buckets) {
                cumulative += count;
                let _ = writeln!(
                    out,
                    "cityai_http_request_duration_seconds_bucket{{method=\"{method}\",route=\"{route}\",le=\"{bound}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "cityai_http_request_duration_seconds_bucket{{method=\"{method}\",route=\"{route}\",le=\"+Inf\"}} {}\n\
                 cityai_http_request_duration_seconds_sum{{method=\"{method}\",route=\"{route}\"}} {}\n\
                 cityai_http_request_duration_seconds_count{{method=\"{method}\",route=\"{route}\"}} {}",
                series.count, series.sum_seconds, series.count
            );
        }
        drop(http);
        out.push_str(
            "# HELP cityai_intake_requests_total Requests taken in live, by where intake sent them.\n\
             # TYPE cityai_intake_requests_total counter\n",
        );
        for (outcome, counter) in [
            ("assigned", &self.intake_assigned),
            ("triage", &self.intake_triage),
            ("unrouted", &self.intake_unrouted),
            ("repeated", &self.intake_repeated),
        ] {
            let _ = writeln!(
                out,
                "cityai_intake_requests_total{{outcome=\"{outcome}\"}} {}",
                counter.load(Ordering::Relaxed)
            );
        }
    }
}

/// Escapes a label value as the text format requires.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Counts every request and its latency under its matched route. It runs for matched
/// routes only, so paths that match none (scanners) cannot grow the number of series.
pub(crate) async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let response = next.run(request).await;
    state.metrics.record_http(
        &method,
        &route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

/// Serves `/metrics`: the process's counters and the store's queue sizes.
pub(crate) async fn metrics(State(state): State<AppState>) -> Response {
    let mut out = String::with_capacity(8 * 1024);
    state.metrics.render(&mut out);
    match state.store.request_counts(&Default::default()).await {
        Ok(counts) => {
            out.push_str(
                "# HELP cityai_requests Stored requests, by status; triage is the queue waiting for an operator.\n\
                 # TYPE cityai_requests gauge\n",
            );
            for status in cityai_core::RequestStatus::ALL {
                let count = counts
                    .by_status
                    .iter()
                    .find(|(s, _)| *s == status)
                    .map_or(0, |(_, n)| *n);
                let _ = writeln!(
                    out,
                    "cityai_requests{{status=\"{}\"}} {count}",
                    status.as_str()
                );
            }
            out.push_str(
                "# HELP cityai_store_up Whether the store answered the last scrape.\n\
                 # TYPE cityai_store_up gauge\ncityai_store_up 1\n",
            );
        }
        Err(err) => {
            tracing::warn!(error = %err, "reading queue sizes for metrics failed");
            out.push_str(
                "# HELP cityai_store_up Whether the store answered the last scrape.\n\
                 # TYPE cityai_store_up gauge\ncityai_store_up 0\n",
            );
        }
    }
    let model = state.router.version();
    out.push_str(
        "# HELP cityai_routing_model_loaded Whether a routing model routes live requests.\n\
         # TYPE cityai_routing_model_loaded gauge\n",
    );
    let _ = writeln!(
        out,
        "cityai_routing_model_loaded {}",
        u8::from(model.is_some())
    );
    if let Some(served) = state.store.direct_reads() {
        out.push_str(
            "# HELP cityai_store_direct_reads_total Reads served by direct SQLite connections \
             instead of the connection pool.\n\
             # TYPE cityai_store_direct_reads_total counter\n",
        );
        let _ = writeln!(out, "cityai_store_direct_reads_total {served}");
    }
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
        .into_response()
}
