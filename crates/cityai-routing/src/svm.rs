//! Binary linear SVM with squared hinge loss, trained by dual coordinate descent.
//!
//! This is the L2-regularised L2-loss solver of LIBLINEAR (Hsieh et al., "A Dual Coordinate
//! Descent Method for Large-scale Linear SVM", ICML 2008), the solver behind scikit-learn's
//! `LinearSVC`. A constant feature of value 1 serves as the intercept, as LIBLINEAR does.

use crate::features::SparseVector;

/// Training settings.
#[derive(Debug, Clone, Copy)]
pub struct SvmParams {
    /// The inverse regularisation strength.
    pub c: f32,
    /// Stop when the projected gradient spread falls below this.
    pub tolerance: f32,
    pub max_iterations: usize,
}

impl Default for SvmParams {
    fn default() -> Self {
        Self {
            c: 1.0,
            tolerance: 0.1,
            max_iterations: 1000,
        }
    }
}

/// Trains weights for `dimension` features plus a trailing bias weight.
///
/// `scale` multiplies each feature before training (the naive-Bayes ratios of NBSVM);
/// `positive[i]` is true when example `i` is in the class. The order of updates comes from a
/// fixed-seed generator, so training is deterministic.
pub fn train(
    examples: &[SparseVector],
    positive: &[bool],
    scale: &[f32],
    dimension: usize,
    params: SvmParams,
) -> Vec<f32> {
    let diagonal = 0.5 / params.c;
    let mut weights = vec![0.0f32; dimension + 1];
    let mut alpha = vec![0.0f32; examples.len()];
    let sign: Vec<f32> = positive
        .iter()
        .map(|&p| if p { 1.0 } else { -1.0 })
        .collect();
    // Each example's values times the scale, computed once, so that the passes below read
    // them in order and no longer look up the scale of each feature.
    let scaled: Vec<Vec<f32>> = examples
        .iter()
        .map(|x| {
            x.indices
                .iter()
                .zip(&x.values)
                .map(|(&j, &v)| v * scale[j as usize])
                .collect()
        })
        .collect();
    let squared_norms: Vec<f32> = scaled
        .iter()
        .map(|values| values.iter().map(|v| v * v).sum::<f32>() + 1.0 + diagonal)
        .collect();
    // Shrinking, as in LIBLINEAR: an example whose dual variable sits at zero with a gradient
    // above the previous pass's largest projected gradient leaves the active set. When the
    // active set converges, every example comes back for a final check.
    let mut order: Vec<usize> = (0..examples.len()).collect();
    let mut active = examples.len();
    let mut rng = SplitMix64(0x5EED_C17A);
    // The L2 loss has no upper bound on the dual variables, so only the lower bound shrinks.
    let mut pg_max_old = f32::INFINITY;

    for _ in 0..params.max_iterations {
        shuffle(&mut order[..active], &mut rng);
        let (mut pg_max, mut pg_min) = (f32::NEG_INFINITY, f32::INFINITY);
        let mut s = 0;
        while s < active {
            let i = order[s];
            let indices = &examples[i].indices;
            let values = &scaled[i];
            let margin: f32 = indices
                .iter()
                .zip(values)
                .map(|(&j, &v)| weights[j as usize] * v)
                .sum::<f32>()
                + weights[dimension];
            let gradient = sign[i] * margin - 1.0 + diagonal * alpha[i];
            let projected = if alpha[i] == 0.0 {
                if gradient > pg_max_old {
                    active -= 1;
                    order.swap(s, active);
                    continue;
                }
                gradient.min(0.0)
            } else {
                gradient
            };
            pg_max = pg_max.max(projected);
            pg_min = pg_min.min(projected);
            if projected.abs() > 1e-12 {
                let old = alpha[i];
                alpha[i] = (old - gradient / squared_norms[i]).max(0.0);
                let step = (alpha[i] - old) * sign[i];
                for (&j, &v) in indices.iter().zip(values) {
                    weights[j as usize] += step * v;
                }
                weights[dimension] += step;
            }
            s += 1;
        }

        if pg_max - pg_min <= params.tolerance {
            if active == examples.len() {
                break;
            }
            active = examples.len();
            pg_max_old = f32::INFINITY;
            continue;
        }
        pg_max_old = if pg_max <= 0.0 { f32::INFINITY } else { pg_max };
    }
    weights
}

/// A small fixed-seed generator for the update order (SplitMix64).
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

fn shuffle(items: &mut [usize], rng: &mut SplitMix64) {
    for i in (1..items.len()).rev() {
        let j = (rng.next() % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vector(pairs: &[(u32, f32)]) -> SparseVector {
        SparseVector {
            indices: pairs.iter().map(|p| p.0).collect(),
            values: pairs.iter().map(|p| p.1).collect(),
        }
    }

    #[test]
    fn separates_two_clusters() {
        let examples = vec![
            vector(&[(0, 1.0)]),
            vector(&[(0, 0.9), (2, 0.1)]),
            vector(&[(1, 1.0)]),
            vector(&[(1, 0.8), (2, 0.2)]),
        ];
        let positive = [true, true, false, false];
        let weights = train(&examples, &positive, &[1.0; 3], 3, SvmParams::default());
        for (x, &p) in examples.iter().zip(&positive) {
            let score = x.dot(&weights[..3]) + weights[3];
            assert_eq!(score > 0.0, p, "score {score}");
        }
    }
}
