//! Turning request text into sparse TF-IDF vectors of character n-grams.
//!
//! Chinese has no spaces between words, and word segmentation errors cost accuracy on short,
//! informal citizen messages, so the router reads character 1- to 3-grams. Each n-gram is
//! packed losslessly into a `u64` (21 bits per Unicode scalar value), so the vocabulary needs
//! no strings and evidence can be turned back into text.
//!
//! A request's title states its subject in a few words, so the n-grams of the title count
//! twice: once in the whole text and once more as title features of their own, marked by the
//! top bit of the key, which no n-gram uses. The model thus learns separate weights for the
//! words of the title.

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

/// The maximum n-gram length, in characters.
pub const MAX_NGRAM: usize = 3;

/// A sparse vector: feature indices in increasing order with their values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SparseVector {
    pub indices: Vec<u32>,
    pub values: Vec<f32>,
}

impl SparseVector {
    /// Returns the dot product with a dense weight vector.
    pub fn dot(&self, weights: &[f32]) -> f32 {
        self.indices
            .iter()
            .zip(&self.values)
            .map(|(&i, &v)| weights[i as usize] * v)
            .sum()
    }

    /// Returns the dot product with another sparse vector.
    pub fn dot_sparse(&self, other: &SparseVector) -> f32 {
        let (mut i, mut j, mut sum) = (0, 0, 0.0);
        while i < self.indices.len() && j < other.indices.len() {
            match self.indices[i].cmp(&other.indices[j]) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    sum += self.values[i] * other.values[j];
                    i += 1;
                    j += 1;
                }
            }
        }
        sum
    }
}

/// Prepares a request's text for the router: title and body, normalised, without whitespace
/// and without the `*` that masking leaves behind, so that exports that strip spaces and
/// exports that keep them give the same features.
pub fn prepare_text(title: Option<&str>, body: &str) -> Vec<char> {
    let mut text = String::new();
    if let Some(title) = non_blank(title) {
        text.push_str(title);
        text.push('。');
    }
    text.push_str(body);
    clean(&text)
}

fn non_blank(title: Option<&str>) -> Option<&str> {
    title.filter(|t| !t.trim().is_empty())
}

fn clean(text: &str) -> Vec<char> {
    cityai_text::normalize(text)
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '*')
        .collect()
}

/// Marks the key of an n-gram counted from the title alone. Keys of characters use the low
/// 63 bits only.
pub const TITLE_FLAG: u64 = 1 << 63;

/// Packs an n-gram of one to three characters into a key, 21 bits a character.
///
/// The text never contains U+0000 (normalisation removes control characters), so a zero slot
/// only ever pads a shorter n-gram and the key is unambiguous.
fn pack(gram: &[char]) -> u64 {
    gram.iter()
        .fold(0u64, |key, &c| (key << 21) | u64::from(u32::from(c)))
}

/// Unpacks a key made by [`pack`] into its characters; the title flag is ignored.
pub fn unpack(key: u64) -> String {
    (0..MAX_NGRAM)
        .rev()
        .map(|slot| ((key >> (21 * slot)) & 0x1F_FFFF) as u32)
        .skip_while(|&code| code == 0)
        .filter_map(char::from_u32)
        .collect()
}

/// The n-grams of one text with their counts, sorted by key.
#[derive(Debug, Clone, Default)]
pub struct NgramCounts(Vec<(u64, u32)>);

impl NgramCounts {
    /// Counts the 1- to 3-grams of `text`.
    pub fn of(text: &[char]) -> Self {
        let mut keys: Vec<u64> = Vec::with_capacity(text.len() * MAX_NGRAM);
        for n in 1..=MAX_NGRAM {
            keys.extend(text.windows(n).map(pack));
        }
        Self::from_keys(keys)
    }

    /// Counts the n-grams of a request: the 1- to 3-grams of [`prepare_text`], and those of
    /// the title alone, marked with [`TITLE_FLAG`].
    pub fn of_request(title: Option<&str>, body: &str) -> Self {
        let text = prepare_text(title, body);
        let title = non_blank(title).map(clean).unwrap_or_default();
        let mut keys: Vec<u64> = Vec::with_capacity((text.len() + title.len()) * MAX_NGRAM);
        for n in 1..=MAX_NGRAM {
            keys.extend(text.windows(n).map(pack));
            keys.extend(title.windows(n).map(|gram| pack(gram) | TITLE_FLAG));
        }
        Self::from_keys(keys)
    }

    fn from_keys(mut keys: Vec<u64>) -> Self {
        keys.sort_unstable();
        let mut counts: Vec<(u64, u32)> = Vec::with_capacity(keys.len());
        for key in keys {
            match counts.last_mut() {
                Some((last, n)) if *last == key => *n += 1,
                _ => counts.push((key, 1)),
            }
        }
        NgramCounts(counts)
    }
}

/// The vocabulary and inverse document frequencies learned from training texts.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Vectorizer {
    /// n-gram key to feature index.
    #[serde(skip)]
    pub(crate) index: FxHashMap<u64, u32>,
    /// n-gram key by feature index.
    pub(crate) keys: Vec<u64>,
    /// Smoothed inverse document frequency by feature index.
    pub(crate) idf: Vec<f32>,
}

impl Vectorizer {
    /// Learns the vocabulary from the n-gram counts of the training documents, keeping
    /// n-grams that occur in at least `min_df` documents.
    pub fn fit(docs: &[&NgramCounts], min_df: u32) -> Self {
        let mut df: FxHashMap<u64, u32> = FxHashMap::default();
        for doc in docs {
            for &(key, _) in &doc.0 {
                *df.entry(key).or_insert(0) += 1;
            }
        }
        let mut kept: Vec<(u64, u32)> = df.into_iter().filter(|&(_, n)| n >= min_df).collect();
        kept.sort_unstable();
        let n_docs = docs.len() as f32;
        let keys: Vec<u64> = kept.iter().map(|&(key, _)| key).collect();
        // The smoothed IDF of scikit-learn: ln((1 + n) / (1 + df)) + 1.
        let idf = kept
            .iter()
            .map(|&(_, df)| ((1.0 + n_docs) / (1.0 + df as f32)).ln() + 1.0)
            .collect();
        let mut vectorizer = Vectorizer {
            index: FxHashMap::default(),
            keys,
            idf,
        };
        vectorizer.rebuild_index();
        vectorizer
    }

    /// Rebuilds the key-to-index map after loading.
    pub(crate) fn rebuild_index(&mut self) {
        self.index = self
            .keys
            .iter()
            .enumerate()
            .map(|(i, &key)| (key, i as u32))
            .collect();
    }

    /// Returns the number of features.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Returns the L2-normalised TF-IDF vector of `text`, with sublinear term frequency
    /// (1 + ln tf). N-grams outside the vocabulary are dropped.
    pub fn transform(&self, text: &[char]) -> SparseVector {
        self.transform_counts(&NgramCounts::of(text))
    }

    /// Returns the TF-IDF vector of a request, title features included, as
    /// `NgramCounts::of_request` counts them.
    pub fn transform_request(&self, title: Option<&str>, body: &str) -> SparseVector {
        self.transform_counts(&NgramCounts::of_request(title, body))
    }

    /// Returns the TF-IDF vector of already counted n-grams, as [`Vectorizer::transform`].
    pub fn transform_counts(&self, counts: &NgramCounts) -> SparseVector {
        let mut entries: Vec<(u32, f32)> = counts
            .0
            .iter()
            .filter_map(|&(key, tf)| {
                let index = *self.index.get(&key)?;
                let weight = (1.0 + (tf as f32).ln()) * self.idf[index as usize];
                Some((index, weight))
            })
            .collect();
        entries.sort_unstable_by_key(|&(index, _)| index);
        let norm = entries.iter().map(|&(_, v)| v * v).sum::<f32>().sqrt();
        let scale = if norm > 0.0 { 1.0 / norm } else { 0.0 };
        SparseVector {
            indices: entries.iter().map(|&(i, _)| i).collect(),
            values: entries.iter().map(|&(_, v)| v * scale).collect(),
        }
    }

    /// Returns the index of the first title feature, or the number of features when there
    /// is none. Title keys sort after all others.
    pub(crate) fn title_start(&self) -> u32 {
        self.keys.partition_point(|&key| key & TITLE_FLAG == 0) as u32
    }

    /// Returns the feature index of an n-gram key, if the vocabulary has it.
    pub(crate) fn index_of(&self, key: u64) -> Option<u32> {
        self.index.get(&key).copied()
    }

    /// Returns the n-gram text of a feature; a title feature reads as its n-gram.
    pub fn feature_text(&self, index: u32) -> String {
        unpack(self.keys[index as usize])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pack_round_trips() {
        for gram in ["路", "路灯", "路灯坏", "A3", "😀a"] {
            let chars: Vec<char> = gram.chars().collect();
            assert_eq!(unpack(pack(&chars)), gram);
        }
    }

    #[test]
    fn title_ngrams_get_their_own_keys() {
        let counts = NgramCounts::of_request(Some("路灯"), "不亮");
        let titled: Vec<String> = counts
            .0
            .iter()
            .filter(|&&(key, _)| key & TITLE_FLAG != 0)
            .map(|&(key, _)| unpack(key))
            .collect();
        assert_eq!(titled.len(), 3, "{titled:?}");
        for gram in ["路", "灯", "路灯"] {
            assert!(titled.iter().any(|t| t == gram), "{titled:?}");
        }
        // The whole text still contains the title's n-grams, without the flag.
        assert!(counts.0.iter().any(|&(key, _)| key == pack(&['路', '灯'])));
        let untitled = NgramCounts::of_request(Some("  "), "路灯不亮");
        assert!(untitled.0.iter().all(|&(key, _)| key & TITLE_FLAG == 0));
        assert_eq!(
            untitled.0,
            NgramCounts::of(&prepare_text(None, "路灯不亮")).0
        );
    }

    #[test]
    fn prepare_text_drops_spaces_and_masks() {
        let text: String = prepare_text(Some("路灯 不亮"), "王** 反映：\n湖滨路")
            .into_iter()
            .collect();
        assert_eq!(text, "路灯不亮。王反映：湖滨路");
    }

    #[test]
    fn transform_is_unit_length_and_sorted() {
        let docs: Vec<Vec<char>> = ["路灯不亮", "路灯坏了", "噪音扰民"]
            .iter()
            .map(|t| t.chars().collect())
            .collect();
        let counts: Vec<NgramCounts> = docs.iter().map(|d| NgramCounts::of(d)).collect();
        let vectorizer = Vectorizer::fit(&counts.iter().collect::<Vec<_>>(), 1);
        let vector = vectorizer.transform(&docs[0]);
        let norm: f32 = vector.values.iter().map(|v| v * v).sum();
        assert!((norm - 1.0).abs() < 1e-5);
        assert!(vector.indices.windows(2).all(|w| w[0] < w[1]));
        assert!(
            vectorizer
                .transform(&"完全无关".chars().collect::<Vec<_>>())
                .indices
                .is_empty()
        );
    }
}
