//! Duplicate links between requests: the features of a pair and the rule that decides
//! whether two requests are about the same problem at the same place.
//!
//! A link is a suggestion shown to a person, never a merge: both requests stay as they are.
//! The rule is documented on [`LinkRule`].

use std::hash::{Hash, Hasher};

use chrono::{DateTime, Utc};
use rustc_hash::FxHasher;
use serde::{Deserialize, Serialize};

use crate::place::{PlaceKind, PlaceMention, PlacePath, extract_places};
use crate::similarity::{bigram_set, dice, jaccard, jaccard_upper_bound, lsh_bands};
use crate::{HotspotError, HotspotRequest};

/// A request with the features that linking and clustering need, computed once.
#[derive(Debug, Clone)]
pub struct PreparedRequest {
    /// The request as given.
    pub request: HotspotRequest,
    /// Places in the normalised title followed by "。" and the normalised body.
    pub places: Vec<PlaceMention>,
    /// The place hierarchy built from `places`.
    pub path: PlacePath,
    /// Site keys used for blocking: every site key, and for an estate also its last four
    /// characters, so that "万科魅力之城" matches "魅力之城", with the kind of the place.
    pub(crate) site_keys: Vec<(String, PlaceKind)>,
    /// Hashes of `site_keys`, in the same order, for fast comparison.
    pub(crate) site_hashes: Vec<u64>,
    /// Bigrams of title and body with the place mentions left out.
    pub(crate) wording: Vec<u64>,
    /// Bigrams of the title with the place mentions left out.
    pub(crate) title_wording: Vec<u64>,
    /// LSH band hashes of `wording`.
    pub(crate) bands: Vec<u64>,
}

impl PreparedRequest {
    /// Normalises the text of `request` and extracts its places and wording features.
    pub fn new(request: HotspotRequest) -> Self {
        let title = request
            .title
            .as_deref()
            .map(cityai_text::normalize)
            .unwrap_or_default();
        let body = cityai_text::normalize(&request.body);
        let text = format!("{title}。{body}");
        let places = extract_places(&text);
        let path = PlacePath::from_mentions(&places);

        let mut site_keys: Vec<(String, PlaceKind)> = Vec::new();
        for mention in &places {
            if !path.sites.contains(&mention.key) {
                continue;
            }
            let mut candidates = vec![mention.key.clone()];
            if mention.kind == PlaceKind::Estate {
                let chars: Vec<char> = mention.key.chars().collect();
                candidates.push(chars[chars.len().saturating_sub(4)..].iter().collect());
            }
            for candidate in candidates {
                if !site_keys.iter().any(|(key, _)| *key == candidate) {
                    site_keys.push((candidate, mention.kind));
                }
            }
        }

        let site_hashes = site_keys
            .iter()
            .map(|(key, _)| {
                let mut hasher = FxHasher::default();
                key.hash(&mut hasher);
                hasher.finish()
            })
            .collect();
        let spans: Vec<(usize, usize)> = places.iter().map(|p| (p.start, p.end)).collect();
        let wording = bigram_set(&text, &spans);
        let title_spans: Vec<(usize, usize)> = spans
            .iter()
            .copied()
            .filter(|&(_, end)| end <= title.len())
            .collect();
        let title_wording = bigram_set(&title, &title_spans);
        let bands = lsh_bands(&wording);
        Self {
            request,
            places,
            path,
            site_keys,
            site_hashes,
            wording,
            title_wording,
            bands,
        }
    }
}

/// The rule branch that linked two requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkReason {
    /// Nearly the same wording, with or without a shared place: a repost or a copy.
    NearDuplicateWording,
    /// A shared specific place and similar wording of the problem.
    SamePlaceSimilarWording,
    /// A shared named case ("58车贷案"), whatever the wording.
    SameNamedCase,
}

/// A suggested link between two requests: probably the same problem at the same place.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DuplicateLink {
    /// The request the link was computed for.
    pub id: i64,
    /// The earlier or existing request it is linked to.
    pub other_id: i64,
    /// The rule branch that linked them.
    pub reason: LinkReason,
    /// Site keys both requests mention (estates, roads, schools, companies ...).
    pub shared_places: Vec<String>,
    /// Whether every shared place is a road, which doubles the wording thresholds.
    pub shared_roads_only: bool,
    /// Whether both requests name specific places and share none of them, which raises the
    /// bar for a link by wording alone.
    pub distinct_places: bool,
    /// Jaccard similarity of the character bigrams of title and body, places left out.
    pub text_similarity: f64,
    /// Dice similarity of the character bigrams of the titles, places left out.
    pub title_similarity: f64,
    /// Days between the two submissions, when both times are known.
    pub gap_days: Option<f64>,
}

/// The rule that decides whether two requests are about the same problem at the same place.
///
/// Two requests are linked when their submissions are at most `max_gap_days` apart (a pair
/// with an unknown time passes this check) and one of these holds:
///
/// 1. **Near-duplicate wording.** The bigram Jaccard similarity of title and body, place
///    names left out, is at least `near_duplicate`, and the two MinHash signatures share an
///    LSH band. Reposts and copied letters are linked even when the place was written
///    differently or not at all. When both requests name specific places and share none of
///    them, the bar is `near_duplicate_other_places` instead: a letter template reused for
///    two estates stays two problems, while a repost with identical text is still linked.
/// 2. **Same place, similar wording.** The two share a specific place (an estate, road,
///    school, company, landmark, community or village, not just a district or city), and
///    either the text similarity is at least `same_place_text` or the title similarity
///    (Dice, places left out) is at least `same_place_title`. When the only shared places
///    are roads, both thresholds double, because a road carries many unrelated problems.
///    The shared place carries most of the evidence, so the bar for the wording is low, but
///    it is above zero. Two different problems in one estate (cracked walls and cooking
///    fumes) stay apart.
/// 3. **Same named case.** The two name the same case ("58车贷案"). A case is one matter
///    by its name, so its parties' letters are linked however they are worded.
///
/// The defaults were chosen on the tuning half of the hand-labelled gold set
/// (`tests/gold/`), and the quality test reports precision and recall on the other half.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LinkRule {
    /// The minimum text similarity for a link by wording alone.
    pub near_duplicate: f64,
    /// The minimum text similarity for a link by wording alone when both requests name
    /// specific places and share none of them.
    pub near_duplicate_other_places: f64,
    /// The minimum text similarity for a link through a shared place.
    pub same_place_text: f64,
    /// The minimum title similarity for a link through a shared place.
    pub same_place_title: f64,
    /// The largest time gap between linked requests, in days.
    pub max_gap_days: f64,
}

impl Default for LinkRule {
    fn default() -> Self {
        Self {
            near_duplicate: 0.45,
            near_duplicate_other_places: 0.9,
            same_place_text: 0.12,
            same_place_title: 0.2,
            max_gap_days: 365.0,
        }
    }
}

impl LinkRule {
    /// Checks that the thresholds are in range.
    ///
    /// # Errors
    ///
    /// [`HotspotError::InvalidParameter`] when a similarity threshold is outside 0 to 1 or
    /// the time gap is negative or not a number.
    pub fn validate(&self) -> Result<(), HotspotError> {
        for (name, value) in [
            ("near_duplicate", self.near_duplicate),
            (
                "near_duplicate_other_places",
                self.near_duplicate_other_places,
            ),
            ("same_place_text", self.same_place_text),
            ("same_place_title", self.same_place_title),
        ] {
            if !(0.0..=1.0).contains(&value) {
                return Err(HotspotError::InvalidParameter(format!(
                    "{name} must be between 0 and 1, got {value}"
                )));
            }
        }
        if self.max_gap_days.is_nan() || self.max_gap_days < 0.0 {
            return Err(HotspotError::InvalidParameter(format!(
                "max_gap_days must be 0 or more, got {}",
                self.max_gap_days
            )));
        }
        Ok(())
    }

    /// Applies the rule to a pair, returning the link when they are the same problem.
    pub fn link(&self, new: &PreparedRequest, other: &PreparedRequest) -> Option<DuplicateLink> {
        let gap_days = gap_days(new.request.submitted_at, other.request.submitted_at);
        if gap_days.is_some_and(|gap| gap > self.max_gap_days) {
            return None;
        }

        // Most pairs are rejected below, so the shared places are only summarised here,
        // without collecting them; a link collects them at the end.
        let shared_of = || {
            new.site_keys
                .iter()
                .zip(&new.site_hashes)
                .filter(|(_, hash)| other.site_hashes.contains(hash))
                .map(|(key, _)| key)
        };
        let (mut any_shared, mut only_roads, mut shares_case) = (false, true, false);
        for (_, kind) in shared_of() {
            any_shared = true;
            // A road is long and carries many unrelated problems, so a pair that shares
            // only roads needs twice the wording similarity.
            only_roads &= *kind == PlaceKind::Road;
            shares_case |= *kind == PlaceKind::Case;
        }
        let place_factor = if only_roads { 2.0 } else { 1.0 };
        let place_text = (self.same_place_text * place_factor).min(1.0);
        let place_title = (self.same_place_title * place_factor).min(1.0);
        let shares_band = new.bands.iter().zip(&other.bands).any(|(a, b)| a == b);

        if !any_shared && !shares_band {
            return None;
        }

        // Two requests that each name specific places, none of them shared, are about
        // different places, so wording alone needs to be nearly identical.
        let places_conflict =
            !any_shared && !new.site_keys.is_empty() && !other.site_keys.is_empty();
        let near_duplicate = if places_conflict {
            self.near_duplicate_other_places
        } else {
            self.near_duplicate
        };

        // The cheap checks first: the size bound rules out most pairs before the bigrams
        // are compared, and without a shared place only the wording route is open.
        let bound = jaccard_upper_bound(new.wording.len(), other.wording.len());
        let text_needed = match (!any_shared, shares_band) {
            (true, _) => near_duplicate,
            (false, true) => near_duplicate.min(place_text),
            (false, false) => place_text,
        };
        if !any_shared && bound < text_needed {
            return None;
        }
        let text_similarity = if bound >= text_needed {
            jaccard(&new.wording, &other.wording)
        } else {
            0.0
        };
        if !any_shared && text_similarity < near_duplicate {
            return None;
        }
        let title_similarity = dice(&new.title_wording, &other.title_wording);

        // A named case is one matter by its name, so the letters of its many parties are
        // linked however differently they are worded.
        let reason = if shares_case {
            LinkReason::SameNamedCase
        } else if shares_band && text_similarity >= near_duplicate {
            LinkReason::NearDuplicateWording
        } else if any_shared && (text_similarity >= place_text || title_similarity >= place_title) {
            LinkReason::SamePlaceSimilarWording
        } else {
            return None;
        };
        let shared_places = shared_of().map(|(key, _)| key.clone()).collect();
        Some(DuplicateLink {
            id: new.request.id,
            other_id: other.request.id,
            reason,
            shared_places,
            shared_roads_only: only_roads,
            distinct_places: places_conflict,
            text_similarity,
            title_similarity,
            gap_days,
        })
    }
}

fn gap_days(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<f64> {
    let (a, b) = (a?, b?);
    Some((a - b).num_seconds().unsigned_abs() as f64 / 86_400.0)
}

/// Finds the requests in `recent` that `new` probably duplicates, best first.
///
/// Compares `new` with every request in `recent` (which should be the requests of the last
/// `rule.max_gap_days` days), and returns the links ordered by text similarity, then by the
/// other request's id. A request is never linked to itself or to a request with its own id.
///
/// # Errors
///
/// [`HotspotError::InvalidParameter`] when `rule` fails [`LinkRule::validate`].
pub fn find_duplicates(
    new: &HotspotRequest,
    recent: &[HotspotRequest],
    rule: &LinkRule,
) -> Result<Vec<DuplicateLink>, HotspotError> {
    rule.validate()?;
    let new = PreparedRequest::new(new.clone());
    let mut links: Vec<DuplicateLink> = recent
        .iter()
        .filter(|other| other.id != new.request.id)
        .filter_map(|other| rule.link(&new, &PreparedRequest::new(other.clone())))
        .collect();
    links.sort_by(|a, b| {
        b.text_similarity
            .total_cmp(&a.text_similarity)
            .then(a.other_id.cmp(&b.other_id))
    });
    Ok(links)
}
