//! The ROI calculator's measured mode: inputs filled from CityAI's own live figures.
//!
//! Three kinds of input come from the store: the yearly volume (requests submitted in the
//! window, scaled to a year), the automated share (routing decisions that assigned the
//! request automatically) and the minutes per item before and after (median handling time
//! of replied requests that went through triage, and of those assigned automatically).
//! Every other input is an assumption, and each input says which it is.
//!
//! NOTE: handling time is elapsed time from submission to the first reply, not staff
//! working time, so it overstates the minutes a person spends; it measures the change the
//! AI makes to the whole path, and the page says so.

use chrono::{DateTime, Duration, Utc};
use cityai_core::framework::roi::{RoiEstimate, RoiInputs, estimate};
use cityai_store::Store;
use serde::Serialize;

use crate::ServiceError;

/// The fewest observations a measured input needs; with fewer it stays assumed.
pub const MIN_SAMPLE: usize = 20;

/// The assumptions measured mode starts from when no saved scenario is given: a
/// mid-sized hotline's staff costs and a small on-premises deployment. They are
/// illustrative defaults, not figures of any city.
pub const DEFAULT_ASSUMPTIONS: RoiInputs = RoiInputs {
    yearly_volume: 100_000.0,
    minutes_before: 10.0,
    minutes_after: 6.0,
    automated_share: 0.5,
    staff_cost_per_hour: 60.0,
    compute_cost: 150_000.0,
    licence_cost: 50_000.0,
    maintenance_cost: 80_000.0,
    initial_cost: 300_000.0,
    adoption_rate: 0.8,
    uncertainty: 0.2,
};

/// Where an input's value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Provenance {
    Measured,
    Assumed,
}

/// One input of the calculator with its provenance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InputSource {
    /// The input's field name in [`RoiInputs`].
    pub field: &'static str,
    pub value: f64,
    pub provenance: Provenance,
    /// The observations behind a measured value, or those found when too few were.
    pub sample: Option<usize>,
}

/// Measured-mode inputs, their provenance and the estimate they give.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MeasuredRoi {
    pub window_days: i64,
    pub inputs: RoiInputs,
    pub sources: Vec<InputSource>,
    pub estimate: RoiEstimate,
}

/// Returns the median of `values`, or `None` when there are none.
pub fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len().is_multiple_of(2) {
        (values[mid - 1] + values[mid]) / 2.0
    } else {
        values[mid]
    })
}

/// Fills the calculator's inputs from the live figures of the `window_days` before `now`,
/// keeping `assumptions` for the rest, and computes the estimate.
///
/// `window_days` is clamped to 1..=3650.
///
/// # Errors
///
/// [`ServiceError::Invalid`] when an assumption is out of range, and the store's errors.
pub async fn measured_roi(
    store: &Store,
    assumptions: &RoiInputs,
    now: DateTime<Utc>,
    window_days: i64,
) -> Result<MeasuredRoi, ServiceError> {
    let window_days = window_days.clamp(1, 3650);
    let since = now - Duration::days(window_days);
    let mut inputs = assumptions.clone();
    let mut sources = Vec::new();
    let mut record = |field: &'static str, value: f64, measured: bool, sample: Option<usize>| {
        sources.push(InputSource {
            field,
            value,
            provenance: if measured {
                Provenance::Measured
            } else {
                Provenance::Assumed
            },
            sample,
        });
    };

    // Volume: requests in the window, scaled to 365 days.
    let requests = store.requests_since(since).await?;
    let requests = usize::try_from(requests).unwrap_or(0);
    if requests > 0 {
        inputs.yearly_volume = requests as f64 * 365.0 / window_days as f64;
    }
    record(
        "yearly_volume",
        inputs.yearly_volume,
        requests > 0,
        Some(requests),
    );

    // Automated share: decisions that assigned the request without a person.
    let (decisions, auto) = store.routing_decisions_since(since).await?;
    let decisions = usize::try_from(decisions).unwrap_or(0);
    let share_measured = decisions >= MIN_SAMPLE;
    if share_measured {
        inputs.automated_share = auto as f64 / decisions as f64;
    }
    record(
        "automated_share",
        inputs.automated_share,
        share_measured,
        Some(decisions),
    );

    // Minutes per item: median handling time without and with automatic assignment.
    let samples = store.handling_samples(since).await?;
    let (mut auto_minutes, mut manual_minutes): (Vec<f64>, Vec<f64>) = (Vec::new(), Vec::new());
    for sample in &samples {
        if sample.auto_assigned {
            auto_minutes.push(sample.minutes);
        } else {
            manual_minutes.push(sample.minutes);
        }
    }
    // Measured minutes are elapsed times, comparable with each other but not with assumed
    // staff minutes, so both sides are measured or both stay assumed.
    let both_measured = manual_minutes.len() >= MIN_SAMPLE && auto_minutes.len() >= MIN_SAMPLE;
    for (field, minutes, target) in [
        (
            "minutes_before",
            &mut manual_minutes,
            &mut inputs.minutes_before,
        ),
        (
            "minutes_after",
            &mut auto_minutes,
            &mut inputs.minutes_after,
        ),
    ] {
        let n = minutes.len();
        if both_measured && let Some(value) = median(minutes) {
            *target = value.min(100_000.0);
        }
        record(field, *target, both_measured, Some(n));
    }

    for (field, value) in [
        ("staff_cost_per_hour", inputs.staff_cost_per_hour),
        ("compute_cost", inputs.compute_cost),
        ("licence_cost", inputs.licence_cost),
        ("maintenance_cost", inputs.maintenance_cost),
        ("initial_cost", inputs.initial_cost),
        ("adoption_rate", inputs.adoption_rate),
        ("uncertainty", inputs.uncertainty),
    ] {
        record(field, value, false, None);
    }

    let estimate = estimate(&inputs).map_err(|err| ServiceError::Invalid(err.to_string()))?;
    Ok(MeasuredRoi {
        window_days,
        inputs,
        sources,
        estimate,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), Some(2.5));
    }
}
