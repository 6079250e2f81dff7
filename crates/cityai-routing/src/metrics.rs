//! Evaluation measures for the router.

use serde::Serialize;

/// Precision, recall and F1 of one class.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassScores {
    pub label: String,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// Examples of this class in the evaluation data.
    pub support: usize,
}

/// The share of requests assigned automatically when the threshold is set for a precision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AutoAssignShare {
    pub target_precision: f64,
    /// The lowest confidence whose auto-assigned requests reach the target, if any does.
    pub threshold: Option<f64>,
    pub share: f64,
    pub precision: f64,
}

/// The outcome of the model's own auto-assignment threshold on the evaluated data.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ThresholdOutcome {
    /// The threshold the model learned in cross-validation when it was trained.
    pub threshold: f64,
    /// The share of the examples whose confidence reaches it.
    pub share: f64,
    /// The share of those that the model classed correctly; 0 when none reach it.
    pub precision: f64,
}

impl ThresholdOutcome {
    /// Measures `threshold` on `scored`.
    pub fn measure(scored: &[Scored], threshold: f64) -> Self {
        let assigned: Vec<&Scored> = scored
            .iter()
            .filter(|s| s.confidence >= threshold)
            .collect();
        let correct = assigned.iter().filter(|s| s.ranked[0] == s.truth).count();
        ThresholdOutcome {
            threshold,
            share: ratio(assigned.len() as f64, scored.len() as f64),
            precision: ratio(correct as f64, assigned.len() as f64),
        }
    }
}

/// One prediction for evaluation: the true class, the classes ranked by probability, and the
/// top probability.
#[derive(Debug, Clone)]
pub struct Scored {
    pub truth: usize,
    pub ranked: Vec<usize>,
    pub confidence: f64,
}

/// The measures `cityai eval routing` reports.
#[derive(Debug, Clone, Serialize)]
pub struct Evaluation {
    pub examples: usize,
    pub accuracy: f64,
    pub macro_f1: f64,
    pub top3_accuracy: f64,
    pub per_class: Vec<ClassScores>,
    /// Rows are true classes and columns predicted classes, in `labels` order.
    pub confusion: Vec<Vec<usize>>,
    pub labels: Vec<String>,
    /// Expected calibration error over ten equal-width confidence bins.
    pub expected_calibration_error: f64,
    /// Thresholds chosen on the evaluated data itself, one per reported precision.
    pub auto_assign: Vec<AutoAssignShare>,
    /// The model's own threshold measured on the evaluated data, when the model has one.
    pub at_model_threshold: Option<ThresholdOutcome>,
}

/// Computes every measure from scored examples.
pub fn evaluate(labels: &[String], scored: &[Scored], precisions: &[f64]) -> Evaluation {
    let k = labels.len();
    let mut confusion = vec![vec![0usize; k]; k];
    let mut top3 = 0usize;
    for s in scored {
        confusion[s.truth][s.ranked[0]] += 1;
        if s.ranked.iter().take(3).any(|&c| c == s.truth) {
            top3 += 1;
        }
    }
    let n = scored.len().max(1) as f64;
    let correct: usize = (0..k).map(|c| confusion[c][c]).sum();
    let per_class: Vec<ClassScores> = (0..k)
        .map(|c| {
            let tp = confusion[c][c] as f64;
            let predicted: usize = (0..k).map(|t| confusion[t][c]).sum();
            let actual: usize = confusion[c].iter().sum();
            let precision = ratio(tp, predicted as f64);
            let recall = ratio(tp, actual as f64);
            ClassScores {
                label: labels[c].clone(),
                precision,
                recall,
                f1: ratio(2.0 * precision * recall, precision + recall),
                support: actual,
            }
        })
        .collect();
    let present: Vec<&ClassScores> = per_class.iter().filter(|c| c.support > 0).collect();
    let macro_f1 = present.iter().map(|c| c.f1).sum::<f64>() / present.len().max(1) as f64;
    Evaluation {
        examples: scored.len(),
        accuracy: correct as f64 / n,
        macro_f1,
        top3_accuracy: top3 as f64 / n,
        per_class,
        confusion,
        labels: labels.to_vec(),
        expected_calibration_error: calibration_error(scored, 10),
        auto_assign: precisions
            .iter()
            .map(|&p| auto_assign_share(scored, p))
            .collect(),
        at_model_threshold: None,
    }
}

fn ratio(numerator: f64, denominator: f64) -> f64 {
    if denominator > 0.0 {
        numerator / denominator
    } else {
        0.0
    }
}

/// Computes the expected calibration error: the example-weighted mean gap between
/// confidence and accuracy over `bins` equal-width confidence bins.
pub fn calibration_error(scored: &[Scored], bins: usize) -> f64 {
    let mut count = vec![0usize; bins];
    let mut confidence = vec![0f64; bins];
    let mut correct = vec![0f64; bins];
    for s in scored {
        let bin = ((s.confidence * bins as f64) as usize).min(bins - 1);
        count[bin] += 1;
        confidence[bin] += s.confidence;
        if s.ranked[0] == s.truth {
            correct[bin] += 1.0;
        }
    }
    let n = scored.len().max(1) as f64;
    (0..bins)
        .filter(|&b| count[b] > 0)
        .map(|b| (confidence[b] - correct[b]).abs() / n)
        .sum()
}

/// Finds the lowest confidence threshold at which the requests at or above it are correct at
/// least `target` of the time, and the share of requests it assigns.
///
/// Candidates are the observed confidences, from the highest down. The threshold is the
/// lowest one whose set still reaches the target, so the share is as large as the target
/// allows on this data.
pub fn auto_assign_share(scored: &[Scored], target: f64) -> AutoAssignShare {
    let mut by_confidence: Vec<&Scored> = scored.iter().collect();
    by_confidence.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
    let mut best = AutoAssignShare {
        target_precision: target,
        threshold: None,
        share: 0.0,
        precision: 0.0,
    };
    let mut correct = 0usize;
    for (i, s) in by_confidence.iter().enumerate() {
        if s.ranked[0] == s.truth {
            correct += 1;
        }
        let taken = i + 1;
        // Only a cut between distinct confidences is a threshold a deployment can use.
        let at_boundary = by_confidence
            .get(taken)
            .is_none_or(|next| next.confidence < s.confidence);
        let precision = correct as f64 / taken as f64;
        if at_boundary && precision >= target {
            best = AutoAssignShare {
                target_precision: target,
                threshold: Some(s.confidence),
                share: taken as f64 / scored.len() as f64,
                precision,
            };
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scored(truth: usize, predicted: usize, confidence: f64) -> Scored {
        let other = if predicted == 0 { 1 } else { 0 };
        Scored {
            truth,
            ranked: vec![predicted, other],
            confidence,
        }
    }

    #[test]
    fn macro_f1_averages_classes() {
        let labels = vec!["a".to_owned(), "b".to_owned()];
        let data = vec![
            scored(0, 0, 0.9),
            scored(0, 1, 0.6),
            scored(1, 1, 0.8),
            scored(1, 1, 0.7),
        ];
        let eval = evaluate(&labels, &data, &[]);
        assert!((eval.accuracy - 0.75).abs() < 1e-9);
        // a: p=1, r=0.5, f1=2/3; b: p=2/3, r=1, f1=0.8.
        assert!((eval.macro_f1 - (2.0 / 3.0 + 0.8) / 2.0).abs() < 1e-9);
        assert_eq!(eval.confusion, vec![vec![1, 1], vec![0, 2]]);
        assert!((eval.top3_accuracy - 1.0).abs() < 1e-9);
    }

    #[test]
    fn auto_assign_threshold_meets_target() {
        let data = vec![
            scored(0, 0, 0.99),
            scored(0, 0, 0.95),
            scored(0, 0, 0.9),
            scored(0, 1, 0.8),
            scored(0, 0, 0.7),
        ];
        let share = auto_assign_share(&data, 0.97);
        assert_eq!(share.threshold, Some(0.9));
        assert!((share.share - 0.6).abs() < 1e-9);
        let none = auto_assign_share(&[scored(0, 1, 0.9)], 0.97);
        assert_eq!(none.threshold, None);
        assert_eq!(none.share, 0.0);
    }

    #[test]
    fn perfectly_calibrated_has_zero_error() {
        let data = vec![scored(0, 0, 1.0), scored(1, 1, 1.0)];
        assert!(calibration_error(&data, 10) < 1e-12);
    }
}
