//! The ROI calculator: hours reclaimed, savings, payback period and three-year ROI of an
//! AI application, with a low/high range.
//!
//! The arithmetic, per year:
//!
//! - hours reclaimed = yearly volume × automated share × adoption rate ×
//!   (minutes before − minutes after) / 60
//! - savings = hours reclaimed × staff cost per hour
//! - yearly cost = compute + licences + maintenance
//! - payback period in months = initial cost / (savings − yearly cost) × 12, none when the
//!   yearly net is not positive
//! - three-year ROI = (3 × savings − (initial cost + 3 × yearly cost)) / (initial cost +
//!   3 × yearly cost), none when nothing is spent
//!
//! The range applies the relative `uncertainty` u against the estimate: the low case takes
//! (1 − u) of the minutes saved and of the adoption rate and (1 + u) of every cost, the high
//! case the reverse, with adoption capped at 1. When the AI adds minutes instead of saving
//! them, the low case takes (1 + u) of the minutes and adoption instead. The automated
//! share is not varied, because measured mode reads it from the router's own decisions.

use serde::{Deserialize, Serialize};

/// The calculator's inputs. Money is in one currency throughout, such as yuan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoiInputs {
    /// Items handled per year, such as requests or documents.
    pub yearly_volume: f64,
    /// Staff minutes per item without AI.
    pub minutes_before: f64,
    /// Staff minutes per item the AI handles.
    pub minutes_after: f64,
    /// Share of items the AI handles, 0 to 1.
    pub automated_share: f64,
    /// Staff cost per hour, wages and overheads.
    pub staff_cost_per_hour: f64,
    /// Yearly compute cost.
    pub compute_cost: f64,
    /// Yearly licence cost.
    pub licence_cost: f64,
    /// Yearly maintenance cost.
    pub maintenance_cost: f64,
    /// One-off cost before the first year, such as hardware and integration; 0 by default.
    #[serde(default)]
    pub initial_cost: f64,
    /// Share of staff who use the AI as intended, 0 to 1.
    pub adoption_rate: f64,
    /// Relative uncertainty of the range, 0 to 0.9; 0.2 by default.
    #[serde(default = "default_uncertainty")]
    pub uncertainty: f64,
}

fn default_uncertainty() -> f64 {
    0.2
}

/// An input outside its range.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid {field}: {value} is outside {expected}")]
pub struct RoiInputError {
    pub field: &'static str,
    pub value: f64,
    /// The accepted range, such as "0 to 1".
    pub expected: &'static str,
}

/// The figures of one case of the estimate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoiFigures {
    pub hours_reclaimed: f64,
    pub savings: f64,
    pub yearly_cost: f64,
    /// Savings less yearly cost.
    pub yearly_net: f64,
    /// Months until the initial cost is recovered; `None` when the yearly net is not
    /// positive, so the cost is never recovered.
    pub payback_months: Option<f64>,
    /// Three-year ROI as a fraction (0.5 is 50%); `None` when nothing is spent.
    pub roi_three_years: Option<f64>,
}

/// The expected case and its low/high range.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoiEstimate {
    pub expected: RoiFigures,
    pub low: RoiFigures,
    pub high: RoiFigures,
}

/// The upper limits of volumes, minutes and money, so that sums stay finite.
const MAX_VOLUME: f64 = 1e10;
const MAX_MINUTES: f64 = 100_000.0;
const MAX_MONEY: f64 = 1e13;

impl RoiInputs {
    /// Checks every input against its range.
    ///
    /// # Errors
    ///
    /// [`RoiInputError`] naming the first input out of range.
    pub fn validate(&self) -> Result<(), RoiInputError> {
        let checks: [(&'static str, f64, f64, f64, &'static str); 11] = [
            (
                "yearly_volume",
                self.yearly_volume,
                0.0,
                MAX_VOLUME,
                "0 to 10000000000",
            ),
            (
                "minutes_before",
                self.minutes_before,
                0.0,
                MAX_MINUTES,
                "0 to 100000",
            ),
            (
                "minutes_after",
                self.minutes_after,
                0.0,
                MAX_MINUTES,
                "0 to 100000",
            ),
            ("automated_share", self.automated_share, 0.0, 1.0, "0 to 1"),
            (
                "staff_cost_per_hour",
                self.staff_cost_per_hour,
                0.0,
                MAX_MONEY,
                "0 to 1e13",
            ),
            (
                "compute_cost",
                self.compute_cost,
                0.0,
                MAX_MONEY,
                "0 to 1e13",
            ),
            (
                "licence_cost",
                self.licence_cost,
                0.0,
                MAX_MONEY,
                "0 to 1e13",
            ),
            (
                "maintenance_cost",
                self.maintenance_cost,
                0.0,
                MAX_MONEY,
                "0 to 1e13",
            ),
            (
                "initial_cost",
                self.initial_cost,
                0.0,
                MAX_MONEY,
                "0 to 1e13",
            ),
            ("adoption_rate", self.adoption_rate, 0.0, 1.0, "0 to 1"),
            ("uncertainty", self.uncertainty, 0.0, 0.9, "0 to 0.9"),
        ];
        for (field, value, min, max, expected) in checks {
            // NaN fails both comparisons, so it is rejected too.
            if !(value >= min && value <= max) {
                return Err(RoiInputError {
                    field,
                    value,
                    expected,
                });
            }
        }
        Ok(())
    }
}

/// Computes the estimate and its range from validated inputs.
///
/// # Errors
///
/// [`RoiInputError`] when an input is out of range.
pub fn estimate(inputs: &RoiInputs) -> Result<RoiEstimate, RoiInputError> {
    inputs.validate()?;
    let u = inputs.uncertainty;
    let expected = figures(inputs, 1.0, inputs.adoption_rate, 1.0);
    let less = (1.0 - u, inputs.adoption_rate * (1.0 - u));
    let more = (1.0 + u, (inputs.adoption_rate * (1.0 + u)).min(1.0));
    // When the AI adds minutes, more use loses more, so the unfavourable direction of the
    // minutes and of adoption turns round.
    let (worse, better) = if inputs.minutes_before >= inputs.minutes_after {
        (less, more)
    } else {
        (more, less)
    };
    let low = figures(inputs, worse.0, worse.1, 1.0 + u);
    let high = figures(inputs, better.0, better.1, 1.0 - u);
    Ok(RoiEstimate {
        expected,
        low,
        high,
    })
}

/// Computes one case with the minutes saved and costs scaled by the given factors.
fn figures(inputs: &RoiInputs, saved_factor: f64, adoption: f64, cost_factor: f64) -> RoiFigures {
    let minutes_saved = (inputs.minutes_before - inputs.minutes_after) * saved_factor;
    let hours_reclaimed =
        inputs.yearly_volume * inputs.automated_share * adoption * minutes_saved / 60.0;
    let savings = hours_reclaimed * inputs.staff_cost_per_hour;
    let yearly_cost =
        (inputs.compute_cost + inputs.licence_cost + inputs.maintenance_cost) * cost_factor;
    let initial_cost = inputs.initial_cost * cost_factor;
    let yearly_net = savings - yearly_cost;
    let payback_months = (yearly_net > 0.0).then(|| initial_cost / yearly_net * 12.0);
    let spent = initial_cost + 3.0 * yearly_cost;
    let roi_three_years = (spent > 0.0).then(|| (3.0 * savings - spent) / spent);
    RoiFigures {
        hours_reclaimed,
        savings,
        yearly_cost,
        yearly_net,
        payback_months,
        roi_three_years,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(actual: f64, expected: f64) {
        assert!(
            (actual - expected).abs() < 1e-6 * expected.abs().max(1.0),
            "{actual} != {expected}"
        );
    }

    /// 100,000 items a year, 12 minutes cut to 4, 60% automated, 80% adoption, 80 yuan an
    /// hour, 360,000 yuan of yearly costs and 500,000 up front.
    fn hotline() -> RoiInputs {
        RoiInputs {
            yearly_volume: 100_000.0,
            minutes_before: 12.0,
            minutes_after: 4.0,
            automated_share: 0.6,
            staff_cost_per_hour: 80.0,
            compute_cost: 200_000.0,
            licence_cost: 100_000.0,
            maintenance_cost: 60_000.0,
            initial_cost: 500_000.0,
            adoption_rate: 0.8,
            uncertainty: 0.2,
        }
    }

    #[test]
    fn expected_case_by_hand() {
        let estimate = estimate(&hotline()).unwrap().expected;
        // 100,000 × 0.6 × 0.8 × 8 / 60 = 6,400 hours; × 80 = 512,000 yuan.
        close(estimate.hours_reclaimed, 6_400.0);
        close(estimate.savings, 512_000.0);
        close(estimate.yearly_cost, 360_000.0);
        close(estimate.yearly_net, 152_000.0);
        // 500,000 / 152,000 × 12 = 39.4737 months.
        close(
            estimate.payback_months.unwrap(),
            500_000.0 / 152_000.0 * 12.0,
        );
        // (1,536,000 − 1,580,000) / 1,580,000 = −2.78%.
        close(estimate.roi_three_years.unwrap(), -44_000.0 / 1_580_000.0);
    }

    #[test]
    fn range_by_hand() {
        let estimate = estimate(&hotline()).unwrap();
        // Low: 6.4 minutes saved, adoption 0.64, costs × 1.2.
        close(estimate.low.hours_reclaimed, 4_096.0);
        close(estimate.low.savings, 327_680.0);
        close(estimate.low.yearly_cost, 432_000.0);
        assert_eq!(estimate.low.payback_months, None);
        close(
            estimate.low.roi_three_years.unwrap(),
            (983_040.0 - 1_896_000.0) / 1_896_000.0,
        );
        // High: 9.6 minutes saved, adoption 0.96, costs × 0.8.
        close(estimate.high.hours_reclaimed, 9_216.0);
        close(estimate.high.savings, 737_280.0);
        close(estimate.high.yearly_net, 449_280.0);
        close(
            estimate.high.payback_months.unwrap(),
            400_000.0 / 449_280.0 * 12.0,
        );
        close(
            estimate.high.roi_three_years.unwrap(),
            947_840.0 / 1_264_000.0,
        );
    }

    #[test]
    fn adoption_capped_at_one() {
        let inputs = RoiInputs {
            adoption_rate: 0.95,
            uncertainty: 0.5,
            ..hotline()
        };
        let high = estimate(&inputs).unwrap().high;
        // 100,000 × 0.6 × 1.0 × 12 / 60 = 12,000 hours.
        close(high.hours_reclaimed, 12_000.0);
    }

    #[test]
    fn no_initial_cost_pays_back_at_once() {
        let inputs = RoiInputs {
            initial_cost: 0.0,
            ..hotline()
        };
        let expected = estimate(&inputs).unwrap().expected;
        assert_eq!(expected.payback_months, Some(0.0));
        // (1,536,000 − 1,080,000) / 1,080,000.
        close(expected.roi_three_years.unwrap(), 456_000.0 / 1_080_000.0);
    }

    #[test]
    fn free_ai_has_no_roi() {
        let inputs = RoiInputs {
            compute_cost: 0.0,
            licence_cost: 0.0,
            maintenance_cost: 0.0,
            initial_cost: 0.0,
            ..hotline()
        };
        let expected = estimate(&inputs).unwrap().expected;
        assert_eq!(expected.roi_three_years, None);
        assert_eq!(expected.payback_months, Some(0.0));
    }

    #[test]
    fn slower_ai_swaps_the_range() {
        let inputs = RoiInputs {
            minutes_after: 15.0,
            ..hotline()
        };
        let estimate = estimate(&inputs).unwrap();
        assert!(estimate.expected.hours_reclaimed < 0.0);
        assert!(estimate.low.yearly_net <= estimate.expected.yearly_net);
        assert!(estimate.expected.yearly_net <= estimate.high.yearly_net);
        assert_eq!(estimate.expected.payback_months, None);
    }

    #[test]
    fn out_of_range_inputs_name_the_field() {
        for (inputs, field) in [
            (
                RoiInputs {
                    automated_share: 1.5,
                    ..hotline()
                },
                "automated_share",
            ),
            (
                RoiInputs {
                    yearly_volume: -1.0,
                    ..hotline()
                },
                "yearly_volume",
            ),
            (
                RoiInputs {
                    staff_cost_per_hour: f64::NAN,
                    ..hotline()
                },
                "staff_cost_per_hour",
            ),
            (
                RoiInputs {
                    uncertainty: 0.95,
                    ..hotline()
                },
                "uncertainty",
            ),
        ] {
            let err = estimate(&inputs).unwrap_err();
            assert_eq!(err.field, field);
            assert!(err.to_string().contains(field), "{err}");
        }
    }
}
