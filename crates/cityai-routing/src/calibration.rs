//! Turning per-category scores into probabilities.

/// Returns softmax(`scores` / `temperature`).
pub(crate) fn softmax(scores: &[f32], temperature: f64) -> Vec<f64> {
    let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
    let exps: Vec<f64> = scores
        .iter()
        .map(|&s| ((s as f64 - max) / temperature).exp())
        .collect();
    let sum: f64 = exps.iter().sum();
    exps.into_iter().map(|e| e / sum).collect()
}

/// Fits the softmax temperature that minimises the negative log-likelihood of the true
/// categories, by golden-section search over ln(temperature) in [-6, 3].
pub(crate) fn fit_temperature(scores: &[Vec<f32>], truths: &[usize]) -> f64 {
    let nll = |log_t: f64| -> f64 {
        let t = log_t.exp();
        scores
            .iter()
            .zip(truths)
            .map(|(s, &truth)| -softmax(s, t)[truth].max(1e-12).ln())
            .sum()
    };
    let (mut low, mut high) = (-6.0f64, 3.0f64);
    let ratio = (5f64.sqrt() - 1.0) / 2.0;
    let mut a = high - ratio * (high - low);
    let mut b = low + ratio * (high - low);
    let (mut fa, mut fb) = (nll(a), nll(b));
    for _ in 0..60 {
        if fa < fb {
            high = b;
            b = a;
            fb = fa;
            a = high - ratio * (high - low);
            fa = nll(a);
        } else {
            low = a;
            a = b;
            fa = fb;
            b = low + ratio * (high - low);
            fb = nll(b);
        }
    }
    ((low + high) / 2.0).exp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn softmax_sums_to_one() {
        let p = softmax(&[1.0, 0.0, -1.0], 0.5);
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!(p[0] > p[1]);
        assert!(p[1] > p[2]);
    }

    #[test]
    fn sharper_scores_get_higher_temperature() {
        // Scores that are always right and far apart deserve confident probabilities: a low
        // temperature. Scores that are often wrong deserve a high one.
        let right: Vec<Vec<f32>> = (0..50).map(|_| vec![1.0, -1.0]).collect();
        let t_right = fit_temperature(&right, &vec![0; 50]);
        let truths: Vec<usize> = (0..50).map(|i| usize::from(i % 3 == 0)).collect();
        let t_mixed = fit_temperature(&right, &truths);
        assert!(t_right < t_mixed, "{t_right} vs {t_mixed}");
    }
}
