//! The heat index that ranks hot spots. The formula and the reasons for each term are in
//! the crate documentation and on [`HeatParams`].

use serde::{Deserialize, Serialize};

use crate::HotspotError;

/// The weights of the heat index.
///
/// ```text
/// people      = citizens + repeat_weight × Σ over citizens of ln(1 + further requests)
/// votes       = vote_weight × ln(1 + max(0, support_votes − objection_votes))
/// persistence = 1 + persistence_weight × ln(1 + span_days / 7)
/// recency     = 0.5 ^ (age_days / recency_half_life_days)
/// heat        = (people + votes) × persistence × recency
/// ```
///
/// `citizens` counts distinct `citizen_ref` values; a request without one counts as its own
/// citizen. A citizen's further requests are those after their first. `span_days` is the
/// time from the first request of the hot spot to the first request of the last citizen
/// to join it, so that only new citizens extend it, and `age_days` the time from the last
/// request to the reference time, 0 when the last request is later.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HeatParams {
    /// Weight of the logarithm of a citizen's further requests (0 to 1).
    pub repeat_weight: f64,
    /// Weight of the logarithm of the net support votes.
    pub vote_weight: f64,
    /// Weight of the logarithm of the span in weeks.
    pub persistence_weight: f64,
    /// Days after which the recency factor halves. Infinity turns recency off.
    pub recency_half_life_days: f64,
}

impl Default for HeatParams {
    fn default() -> Self {
        Self {
            repeat_weight: 0.5,
            vote_weight: 2.0,
            persistence_weight: 0.25,
            recency_half_life_days: 90.0,
        }
    }
}

/// The terms of one hot spot's heat, kept so that a person can see why it ranks where it
/// does.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HeatBreakdown {
    /// The number of requests.
    pub requests: usize,
    /// The number of distinct citizens.
    pub citizens: usize,
    /// The sum of support votes (点赞数).
    pub support_votes: i64,
    /// The sum of objection votes (反对数).
    pub objection_votes: i64,
    /// Days from the first request to the first request of the last citizen to join.
    pub span_days: f64,
    /// Days from the last request to the reference time.
    pub age_days: f64,
    /// The people term.
    pub people: f64,
    /// The votes term.
    pub votes: f64,
    /// The persistence factor.
    pub persistence: f64,
    /// The recency factor.
    pub recency: f64,
    /// The heat index: (people + votes) × persistence × recency.
    pub heat: f64,
}

impl HeatParams {
    /// Checks that the weights are in range.
    ///
    /// # Errors
    ///
    /// [`HotspotError::InvalidParameter`] when `repeat_weight` is outside 0 to 1, a weight
    /// is negative or not a number, or the half-life is not positive.
    pub fn validate(&self) -> Result<(), HotspotError> {
        if !(0.0..=1.0).contains(&self.repeat_weight) {
            return Err(HotspotError::InvalidParameter(format!(
                "repeat_weight must be between 0 and 1, got {}",
                self.repeat_weight
            )));
        }
        for (name, value) in [
            ("vote_weight", self.vote_weight),
            ("persistence_weight", self.persistence_weight),
        ] {
            if value.is_nan() || value < 0.0 {
                return Err(HotspotError::InvalidParameter(format!(
                    "{name} must be 0 or more, got {value}"
                )));
            }
        }
        if self.recency_half_life_days.is_nan() || self.recency_half_life_days <= 0.0 {
            return Err(HotspotError::InvalidParameter(format!(
                "recency_half_life_days must be more than 0, got {}",
                self.recency_half_life_days
            )));
        }
        Ok(())
    }

    /// Computes the heat of a hot spot from its counts.
    ///
    /// `requests_per_citizen` has one entry per distinct citizen, the number of requests
    /// of that citizen (entries of 0 are ignored). `support_votes` and `objection_votes`
    /// are sums over the requests; negative sums count as 0. `span_days` and `age_days`
    /// below 0 count as 0.
    pub fn heat(
        &self,
        requests_per_citizen: &[usize],
        support_votes: i64,
        objection_votes: i64,
        span_days: f64,
        age_days: f64,
    ) -> HeatBreakdown {
        let requests: usize = requests_per_citizen.iter().sum();
        let citizens = requests_per_citizen.iter().filter(|&&n| n > 0).count();
        let span_days = span_days.max(0.0);
        let age_days = age_days.max(0.0);
        let net_votes = (support_votes.max(0) - objection_votes.max(0)).max(0);

        // Each further request of one citizen adds less than the one before, so a series
        // of letters from one writer stays close to one person.
        let repeats: f64 = requests_per_citizen
            .iter()
            .filter(|&&n| n > 1)
            .map(|&n| ((n - 1) as f64).ln_1p())
            .sum();
        let people = citizens as f64 + self.repeat_weight * repeats;
        let votes = self.vote_weight * (net_votes as f64).ln_1p();
        let persistence = 1.0 + self.persistence_weight * (span_days / 7.0).ln_1p();
        let recency = 0.5_f64.powf(age_days / self.recency_half_life_days);
        HeatBreakdown {
            requests,
            citizens,
            support_votes,
            objection_votes,
            span_days,
            age_days,
            people,
            votes,
            persistence,
            recency,
            heat: (people + votes) * persistence * recency,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinct_citizens_outweigh_repeats() {
        let params = HeatParams::default();
        let five_people = params.heat(&[1, 1, 1, 1, 1], 0, 0, 0.0, 0.0);
        let one_person_five_times = params.heat(&[5], 0, 0, 0.0, 0.0);
        assert_eq!(five_people.people, 5.0);
        assert!((one_person_five_times.people - (1.0 + 0.5 * 5f64.ln())).abs() < 1e-12);
        assert!(five_people.heat > one_person_five_times.heat);
    }

    #[test]
    fn repeats_add_less_and_less() {
        let params = HeatParams::default();
        let people = |n: usize| params.heat(&[n], 0, 0, 0.0, 0.0).people;
        assert!(people(2) > people(1));
        assert!(people(3) - people(2) < people(2) - people(1));
        // Ten letters from one citizen weigh less than three citizens.
        assert!(people(10) < 3.0, "{}", people(10));
    }

    #[test]
    fn objections_cancel_support() {
        let params = HeatParams::default();
        let contested = params.heat(&[1], 10, 10, 0.0, 0.0);
        assert_eq!(contested.votes, 0.0);
        let supported = params.heat(&[1], 10, 0, 0.0, 0.0);
        assert!((supported.votes - 2.0 * 11f64.ln()).abs() < 1e-12);
    }

    #[test]
    fn recency_halves_per_half_life() {
        let params = HeatParams::default();
        let now = params.heat(&[1, 1], 0, 0, 0.0, 0.0);
        let old = params.heat(&[1, 1], 0, 0, 0.0, 90.0);
        assert!((old.heat - now.heat / 2.0).abs() < 1e-12);
    }

    #[test]
    fn persistence_grows_slowly() {
        let params = HeatParams::default();
        let week = params.heat(&[1, 1], 0, 0, 7.0, 0.0).persistence;
        let half_year = params.heat(&[1, 1], 0, 0, 182.0, 0.0).persistence;
        assert!((week - (1.0 + 0.25 * 2f64.ln())).abs() < 1e-12);
        assert!(half_year < 2.0 && half_year > week);
    }

    #[test]
    fn rejects_bad_weights() {
        let params = HeatParams {
            repeat_weight: 1.5,
            ..HeatParams::default()
        };
        assert!(params.validate().is_err());
        let params = HeatParams {
            recency_half_life_days: 0.0,
            ..HeatParams::default()
        };
        assert!(params.validate().is_err());
    }
}
