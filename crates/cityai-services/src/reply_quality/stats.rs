//! Figures over many checked replies: the distribution of a score, and the agreement of
//! the verdicts with labels people gave.

use serde::Serialize;

use super::{POOR_BELOW, Verdict};

/// The distribution of one score over a set of replies.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Distribution {
    /// How many replies had the score.
    pub scored: usize,
    pub mean: f64,
    /// The first quartile, the median and the third quartile, by linear interpolation
    /// between order statistics (the common "type 7" definition).
    pub q1: f64,
    pub median: f64,
    pub q3: f64,
    /// The share of scores below [`POOR_BELOW`].
    pub share_poor: f64,
}

/// Returns the distribution of `scores`, or `None` when there are none.
pub fn distribution(scores: &[f64]) -> Option<Distribution> {
    if scores.is_empty() {
        return None;
    }
    let mut sorted = scores.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let quantile = |p: f64| {
        let position = p * (n - 1) as f64;
        let low = position.floor() as usize;
        let high = position.ceil() as usize;
        sorted[low] + (sorted[high] - sorted[low]) * (position - low as f64)
    };
    Some(Distribution {
        scored: n,
        mean: sorted.iter().sum::<f64>() / n as f64,
        q1: quantile(0.25),
        median: quantile(0.5),
        q3: quantile(0.75),
        share_poor: sorted.iter().filter(|s| **s < POOR_BELOW).count() as f64 / n as f64,
    })
}

/// The agreement of the check's verdicts with people's labels, with "poor" as the positive
/// class.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Agreement {
    /// Replies with both a label and a verdict.
    pub pairs: usize,
    /// The share of replies where verdict and label agree.
    pub accuracy: f64,
    /// Cohen's kappa: agreement beyond what the two sides' label shares give by chance.
    /// `None` when chance agreement is already 1 (both sides gave one label only).
    pub kappa: Option<f64>,
    /// Of the replies the check called poor, the share people called poor; `None` when the
    /// check called none poor.
    pub precision_poor: Option<f64>,
    /// Of the replies people called poor, the share the check called poor; `None` when
    /// people called none poor.
    pub recall_poor: Option<f64>,
    /// Counts by (label, verdict): poor/poor, poor/good, good/poor, good/good.
    pub poor_poor: usize,
    pub poor_good: usize,
    pub good_poor: usize,
    pub good_good: usize,
}

/// Returns the agreement of (label a person gave, verdict of the check) pairs, or `None` when there are none.
pub fn agreement(pairs: &[(Verdict, Verdict)]) -> Option<Agreement> {
    if pairs.is_empty() {
        return None;
    }
    let count = |label: Verdict, verdict: Verdict| {
        pairs
            .iter()
            .filter(|(l, v)| *l == label && *v == verdict)
            .count()
    };
    let poor_poor = count(Verdict::Poor, Verdict::Poor);
    let poor_good = count(Verdict::Poor, Verdict::Good);
    let good_poor = count(Verdict::Good, Verdict::Poor);
    let good_good = count(Verdict::Good, Verdict::Good);
    let n = pairs.len() as f64;

    let observed = (poor_poor + good_good) as f64 / n;
    let label_poor = (poor_poor + poor_good) as f64 / n;
    let verdict_poor = (poor_poor + good_poor) as f64 / n;
    let chance = label_poor * verdict_poor + (1.0 - label_poor) * (1.0 - verdict_poor);
    let kappa = (chance < 1.0).then(|| (observed - chance) / (1.0 - chance));
    let ratio = |numerator: usize, denominator: usize| {
        (denominator > 0).then(|| numerator as f64 / denominator as f64)
    };

    Some(Agreement {
        pairs: pairs.len(),
        accuracy: observed,
        kappa,
        precision_poor: ratio(poor_poor, poor_poor + good_poor),
        recall_poor: ratio(poor_poor, poor_poor + poor_good),
        poor_poor,
        poor_good,
        good_poor,
        good_good,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quartiles_interpolate() {
        let d = distribution(&[0.0, 0.25, 0.5, 1.0]).unwrap();
        assert_eq!(d.scored, 4);
        assert!((d.mean - 0.4375).abs() < 1e-9);
        assert!((d.q1 - 0.1875).abs() < 1e-9);
        assert!((d.median - 0.375).abs() < 1e-9);
        assert!((d.q3 - 0.625).abs() < 1e-9);
        assert!((d.share_poor - 0.5).abs() < 1e-9);
    }

    #[test]
    fn distribution_of_nothing_is_none() {
        assert_eq!(distribution(&[]), None);
    }

    #[test]
    fn kappa_matches_a_worked_example() {
        // 20 pairs: 6 poor/poor, 2 poor/good, 3 good/poor, 9 good/good.
        let mut pairs = Vec::new();
        pairs.extend(std::iter::repeat_n((Verdict::Poor, Verdict::Poor), 6));
        pairs.extend(std::iter::repeat_n((Verdict::Poor, Verdict::Good), 2));
        pairs.extend(std::iter::repeat_n((Verdict::Good, Verdict::Poor), 3));
        pairs.extend(std::iter::repeat_n((Verdict::Good, Verdict::Good), 9));
        let a = agreement(&pairs).unwrap();
        assert_eq!(a.pairs, 20);
        assert!((a.accuracy - 0.75).abs() < 1e-9);
        // Chance: 0.4 × 0.45 + 0.6 × 0.55 = 0.51; kappa = (0.75 − 0.51) / 0.49.
        let kappa = a.kappa.unwrap();
        assert!((kappa - 0.24 / 0.49).abs() < 1e-9, "{kappa}");
        assert_eq!(a.precision_poor, Some(6.0 / 9.0));
        assert_eq!(a.recall_poor, Some(6.0 / 8.0));
    }

    #[test]
    fn kappa_is_none_when_only_one_label_occurs() {
        let pairs = [(Verdict::Good, Verdict::Good); 3];
        let a = agreement(&pairs).unwrap();
        assert_eq!(a.kappa, None);
        assert_eq!(a.precision_poor, None);
        assert_eq!(a.recall_poor, None);
        assert!((a.accuracy - 1.0).abs() < 1e-9);
    }
}
