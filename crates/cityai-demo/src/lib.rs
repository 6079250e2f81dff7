//! The built-in demo data set that `cityai serve --demo` loads into a fresh installation:
//! the departments, the three-level category taxonomy and a few hundred citizen requests
//! of the fictional city 云川市.
//!
//! Every name, place and text here is invented. The requests are generated from
//! hand-written templates with a fixed seed, so two calls with the same `now` return the
//! same data. They include clusters of reports about one problem at one place, for
//! duplicate and hot-spot detection to find.

mod clusters;
mod departments;
mod generate;
mod knowledge;
mod places;
mod replies;
mod scenarios;
mod taxonomy;

use chrono::{DateTime, Utc};
use cityai_core::{Department, NewRequest, TaxonomyEntry};

pub use knowledge::DemoSource;

/// Returns the municipal departments, each with a unique short ASCII code.
pub fn departments() -> Vec<Department> {
    departments::all()
}

/// Returns the category taxonomy, parents before children. Every first-level category sets
/// a department, and deeper entries either set their own or inherit their parent's.
pub fn taxonomy() -> Vec<TaxonomyEntry> {
    taxonomy::all()
}

/// Returns the demo requests, submitted during the 60 days before `now`, ordered by
/// submission time and numbered `DEMO-000001` onwards in that order.
pub fn requests(now: DateTime<Utc>) -> Vec<NewRequest> {
    generate::requests(now)
}

/// Returns the demo knowledge sources: FAQ entries and policy texts of the demo city's
/// departments.
pub fn knowledge() -> &'static [DemoSource] {
    knowledge::SOURCES
}

#[cfg(test)]
mod tests;
