//! Wording similarity between requests: character-bigram sets, Jaccard and Dice
//! coefficients, and MinHash signatures cut into LSH bands.
//!
//! Everything here depends only on the two texts compared, never on corpus statistics such
//! as document frequencies. That keeps a link decision the same whichever other requests
//! are in the index, which incremental clustering relies on.

use rustc_hash::FxHasher;
use std::hash::{Hash, Hasher};
use std::sync::OnceLock;

/// The number of MinHash values in a signature.
pub(crate) const MINHASH_VALUES: usize = 60;
/// Values per LSH band. With 20 bands of 3, two texts with bigram Jaccard similarity 0.5
/// share at least one band with probability about 1 - (1 - 0.5^3)^20 = 0.93, at 0.6 about
/// 0.99, and at 0.2 about 0.15 (one-permutation hashing makes these approximate).
pub(crate) const BAND_ROWS: usize = 3;

/// Bigrams so frequent in citizens' requests that they carry no information about the problem.
const STOP_BIGRAMS: &[&str] = &[
    "我们", "问题", "希望", "相关", "部门", "政府", "领导", "尊敬", "您好", "你好", "反映", "解决",
    "请问", "投诉", "一个", "没有", "已经", "情况", "现在", "目前", "进行", "要求", "严重", "影响",
    "可以", "什么", "这个", "时间", "工作", "谢谢", "市民", "群众", "百姓", "书记", "处理", "能够",
    "是否", "如何", "为什", "以上", "关于", "请求",
];

fn is_kept(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c) || c.is_ascii_alphanumeric()
}

fn bigram_hash(a: char, b: char) -> u64 {
    let mut hasher = FxHasher::default();
    (a, b).hash(&mut hasher);
    hasher.finish()
}

/// Returns the sorted, distinct hashes of the character bigrams of `text`, leaving out the
/// byte ranges in `skip` (place mentions), bigrams across punctuation or spaces, and the
/// stop bigrams.
pub(crate) fn bigram_set(text: &str, skip: &[(usize, usize)]) -> Vec<u64> {
    static STOP: OnceLock<Vec<u64>> = OnceLock::new();
    let stop = STOP.get_or_init(|| {
        let mut hashes: Vec<u64> = STOP_BIGRAMS
            .iter()
            .filter_map(|word| {
                let mut chars = word.chars();
                Some(bigram_hash(chars.next()?, chars.next()?))
            })
            .collect();
        hashes.sort_unstable();
        hashes
    });
    let mut set = Vec::with_capacity(text.len() / 3);
    let mut previous: Option<char> = None;
    for (byte, c) in text.char_indices() {
        let skipped = skip.iter().any(|&(start, end)| byte >= start && byte < end);
        if skipped || !is_kept(c) {
            previous = None;
            continue;
        }
        if let Some(p) = previous {
            let hash = bigram_hash(p, c);
            if stop.binary_search(&hash).is_err() {
                set.push(hash);
            }
        }
        previous = Some(c);
    }
    set.sort_unstable();
    set.dedup();
    set
}

/// Counts the elements common to two sorted, distinct slices.
fn intersection(a: &[u64], b: &[u64]) -> usize {
    let (mut i, mut j, mut common) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    common
}

/// The Jaccard coefficient |A ∩ B| / |A ∪ B| of two sorted, distinct sets; 0 when both are
/// empty.
pub(crate) fn jaccard(a: &[u64], b: &[u64]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let common = intersection(a, b);
    common as f64 / (a.len() + b.len() - common) as f64
}

/// The Dice coefficient 2|A ∩ B| / (|A| + |B|) of two sorted, distinct sets; 0 when either
/// is empty.
pub(crate) fn dice(a: &[u64], b: &[u64]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    2.0 * intersection(a, b) as f64 / (a.len() + b.len()) as f64
}

/// The largest Jaccard coefficient two sets of these sizes can have.
pub(crate) fn jaccard_upper_bound(a: usize, b: usize) -> f64 {
    if a == 0 || b == 0 {
        return 0.0;
    }
    a.min(b) as f64 / a.max(b) as f64
}

fn mix(mut x: u64) -> u64 {
    // SplitMix64 finaliser.
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// Returns one hash per LSH band of the MinHash signature of `set`, each tagged with its
/// band number, or nothing for an empty set.
///
/// The signature is a one-permutation MinHash (Li, Owen and Zhang, "One Permutation
/// Hashing", NIPS 2012): each element is hashed once into one of `MINHASH_VALUES` bins and
/// each bin keeps its minimum. An empty bin takes the value of the next non-empty bin,
/// mixed with its own number (rotation densification, Shrivastava and Li, ICML 2014), so
/// that two sets still agree on a bin with probability close to their Jaccard similarity.
/// This costs one hash per element instead of one per element and value.
pub(crate) fn lsh_bands(set: &[u64]) -> Vec<u64> {
    if set.is_empty() {
        return Vec::new();
    }
    let mut bins = [u64::MAX; MINHASH_VALUES];
    for &element in set {
        let hash = mix(element);
        // Multiply-shift maps the high 32 bits to a bin without a division.
        let bin = (((hash >> 32) * MINHASH_VALUES as u64) >> 32) as usize;
        let value = hash & 0xffff_ffff;
        if value < bins[bin] {
            bins[bin] = value;
        }
    }
    let mut signature = [0u64; MINHASH_VALUES];
    for (bin, slot) in signature.iter_mut().enumerate() {
        let mut offset = 0;
        while bins[(bin + offset) % MINHASH_VALUES] == u64::MAX {
            offset += 1;
        }
        let value = bins[(bin + offset) % MINHASH_VALUES];
        *slot = if offset == 0 {
            value
        } else {
            mix(value ^ ((offset as u64) << 40))
        };
    }
    signature
        .chunks(BAND_ROWS)
        .enumerate()
        .map(|(band, rows)| {
            let mut hasher = FxHasher::default();
            band.hash(&mut hasher);
            rows.hash(&mut hasher);
            hasher.finish()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_texts_score_one() {
        let a = bigram_set("搅拌站噪音扰民", &[]);
        assert_eq!(jaccard(&a, &a), 1.0);
        assert_eq!(dice(&a, &a), 1.0);
        assert_eq!(lsh_bands(&a), lsh_bands(&a));
    }

    #[test]
    fn skipped_ranges_and_stop_bigrams_are_left_out() {
        let text = "丽发新城搅拌站";
        let with_place = bigram_set(text, &[]);
        let without_place = bigram_set(text, &[(0, "丽发新城".len())]);
        assert_eq!(with_place.len(), 6);
        assert_eq!(without_place.len(), 2);
        assert!(bigram_set("我们", &[]).is_empty());
    }

    #[test]
    fn different_texts_share_few_bands() {
        let a = bigram_set("小区门口夜宵摊烧烤油烟扰民严重", &[]);
        let b = bigram_set("地铁站施工到凌晨噪音很大无法入睡", &[]);
        assert_eq!(jaccard(&a, &b), 0.0);
        let shared = lsh_bands(&a)
            .iter()
            .zip(lsh_bands(&b))
            .filter(|(x, y)| **x == *y)
            .count();
        assert_eq!(shared, 0);
    }
}
