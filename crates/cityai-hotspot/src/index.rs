//! The incremental hot-spot index: requests are added batch by batch, duplicate links are
//! found through blocking, and linked requests form clusters by union-find.
//!
//! A cluster is a connected component of the graph whose edges are the pairs that
//! [`LinkRule::link`] accepts, split by its main site when a chain of links joined other
//! places to it. The rule looks only at the two requests of a pair, and the candidates of
//! a request are every earlier request that shares a site key or an LSH band with it. So
//! the edge set, the components and their split do not depend on the order or the batches
//! in which requests arrive: adding requests one batch at a time gives the same clusters
//! as adding them all at once.

use chrono::{DateTime, Utc};
use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};

use crate::duplicate::{DuplicateLink, LinkRule, PreparedRequest};
use crate::heat::{HeatBreakdown, HeatParams};
use crate::place::PlaceKind;
use crate::similarity::{bigram_set, dice};
use crate::{HotspotError, HotspotRequest};

/// Groups of people named in requests, used to describe a hot spot without a place.
const GROUPS: &[&str] = &[
    "业主",
    "居民",
    "村民",
    "学生",
    "家长",
    "教师",
    "老师",
    "职工",
    "员工",
    "商户",
    "司机",
    "乘客",
    "患者",
    "投资人",
    "购房者",
    "农民工",
    "退休",
    "拆迁户",
];

/// The maximum number of earlier members of one site block or LSH bucket that a new request
/// is compared with. They are the most recently added ones.
///
/// Without a bound, a place reported thousands of times makes every new report there cost
/// thousands of comparisons, and the whole index grows with the square of its busiest
/// places. With it, each request costs at most this many comparisons per block. A request
/// that repeats an older one at such a place still joins that cluster when one of the recent
/// reports there repeats it too.
pub const MAX_BLOCK_CANDIDATES: usize = 256;

/// The most members a hot spot's summary compares with each other.
const SUMMARY_CANDIDATES: usize = 200;

/// Requests with their duplicate links and clusters, updated one batch at a time.
#[derive(Debug, Clone)]
pub struct HotspotIndex {
    rule: LinkRule,
    requests: Vec<PreparedRequest>,
    positions: FxHashMap<i64, u32>,
    site_blocks: FxHashMap<String, Vec<u32>>,
    band_buckets: FxHashMap<u64, Vec<u32>>,
    parent: Vec<u32>,
    /// Every link found, as the positions of its two requests; ranking splits components
    /// along them. Eight bytes a link: intake that repeats a few texts at a few places gives
    /// up to a few hundred links per request, where real hot-spot messages give under one.
    edges: Vec<(u32, u32)>,
    /// The links of the last batch with their evidence, for the caller to store.
    last_links: Vec<DuplicateLink>,
}

/// What one call of [`HotspotIndex::add_batch`] changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchReport {
    /// Requests added.
    pub added: usize,
    /// Pairs compared with the link rule.
    pub pairs_compared: usize,
    /// Links found.
    pub links_found: usize,
    /// Clusters in the index after the batch, singletons included.
    pub clusters: usize,
}

/// Which requests a hot-spot list covers and how it is ranked.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HotspotQuery {
    /// The first submission time included; `None` for no lower bound.
    pub from: Option<DateTime<Utc>>,
    /// The last submission time included; `None` for no upper bound.
    pub to: Option<DateTime<Utc>>,
    /// The time recency is measured from. `None` uses `to`, or the latest submission in
    /// the index when `to` is `None` too.
    pub now: Option<DateTime<Utc>>,
    /// The fewest requests that make a hot spot.
    pub min_requests: usize,
    /// The most hot spots returned.
    pub limit: usize,
    /// The heat index weights.
    pub heat: HeatParams,
}

impl Default for HotspotQuery {
    fn default() -> Self {
        Self {
            from: None,
            to: None,
            now: None,
            min_requests: 2,
            limit: 20,
            heat: HeatParams::default(),
        }
    }
}

/// One hot spot: a group of requests about one problem at one place.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hotspot {
    /// The rank by heat, 1 for the hottest.
    pub rank: usize,
    /// The heat index and its terms.
    pub heat: HeatBreakdown,
    /// The first submission time among the members, when any is known.
    pub first_at: Option<DateTime<Utc>>,
    /// The last submission time among the members, when any is known.
    pub last_at: Option<DateTime<Utc>>,
    /// The place concerned: district and the site most members mention, such as
    /// "A2区/丽发新城", when the members name one.
    pub place: Option<String>,
    /// The group of people most members speak for, such as "业主", when one is named.
    pub group: Option<String>,
    /// The most central title among the members, as an extractive summary.
    pub summary: String,
    /// The id of the request whose title is the summary.
    pub summary_id: i64,
    /// Member request ids, ascending.
    pub request_ids: Vec<i64>,
}

impl HotspotIndex {
    /// Creates an empty index that links with `rule`.
    ///
    /// # Errors
    ///
    /// [`HotspotError::InvalidParameter`] when `rule` fails [`LinkRule::validate`].
    pub fn new(rule: LinkRule) -> Result<Self, HotspotError> {
        rule.validate()?;
        Ok(Self {
            rule,
            requests: Vec::new(),
            positions: FxHashMap::default(),
            site_blocks: FxHashMap::default(),
            band_buckets: FxHashMap::default(),
            parent: Vec::new(),
            edges: Vec::new(),
            last_links: Vec::new(),
        })
    }

    /// The number of requests in the index.
    pub fn len(&self) -> usize {
        self.requests.len()
    }

    /// Whether the index has no requests.
    pub fn is_empty(&self) -> bool {
        self.requests.is_empty()
    }

    /// Returns the number of duplicate links found so far.
    pub fn link_count(&self) -> usize {
        self.edges.len()
    }

    /// Returns the duplicate links that the last [`HotspotIndex::add_batch`] found, with their
    /// evidence, each pair once, `id` being the later-added request. Earlier batches' links
    /// are kept only as pairs of requests, which is all that ranking needs.
    pub fn last_links(&self) -> &[DuplicateLink] {
        &self.last_links
    }

    /// Adds a batch of requests, links each to the requests already in the index and to the
    /// earlier ones of the batch, and merges their clusters.
    ///
    /// Preparing the requests and comparing pairs run on all available cores; merging is
    /// sequential. The clusters after any sequence of batches equal those of one batch with
    /// all the requests.
    ///
    /// # Errors
    ///
    /// [`HotspotError::DuplicateId`] when a request id is already in the index or occurs
    /// twice in the batch. The index is then unchanged.
    pub fn add_batch(&mut self, batch: Vec<HotspotRequest>) -> Result<BatchReport, HotspotError> {
        let mut seen = FxHashSet::default();
        for request in &batch {
            if self.positions.contains_key(&request.id) || !seen.insert(request.id) {
                return Err(HotspotError::DuplicateId(request.id));
            }
        }

        // Prepare the new requests and register them in the blocks.
        let first_new = self.requests.len();
        let prepared = parallel_map(batch, PreparedRequest::new);
        for request in prepared {
            let position = self.requests.len() as u32;
            self.positions.insert(request.request.id, position);
            for (key, _) in &request.site_keys {
                self.site_blocks
                    .entry(key.clone())
                    .or_default()
                    .push(position);
            }
            for &band in &request.bands {
                self.band_buckets.entry(band).or_default().push(position);
            }
            self.parent.push(position);
            self.requests.push(request);
        }

        // Compare each new request with every earlier candidate, in parallel.
        let new_positions: Vec<u32> = (first_new as u32..self.requests.len() as u32).collect();
        let found = parallel_map(new_positions, |position| self.links_of(position));
        let mut pairs_compared = 0;
        let mut links_found = 0;
        self.last_links.clear();
        for (compared, links) in found {
            pairs_compared += compared;
            for (other, link) in links {
                let here = self.positions[&link.id];
                self.union(here, other);
                self.edges.push((here, other));
                self.last_links.push(link);
                links_found += 1;
            }
        }

        let clusters = (0..self.parent.len() as u32)
            .filter(|&p| self.find(p) == p)
            .count();
        Ok(BatchReport {
            added: self.requests.len() - first_new,
            pairs_compared,
            links_found,
            clusters,
        })
    }

    /// Compares the request at `position` with every candidate added before it.
    fn links_of(&self, position: u32) -> (usize, Vec<(u32, DuplicateLink)>) {
        let request = &self.requests[position as usize];
        let mut candidates: Vec<u32> = Vec::new();
        let blocks = request
            .site_keys
            .iter()
            .filter_map(|(key, _)| self.site_blocks.get(key));
        let buckets = request
            .bands
            .iter()
            .filter_map(|band| self.band_buckets.get(band));
        for members in blocks.chain(buckets) {
            // Members are in position order, so the earlier ones are a prefix, and the
            // most recent of them end it.
            let earlier = members.partition_point(|&other| other < position);
            let first = earlier.saturating_sub(MAX_BLOCK_CANDIDATES);
            candidates.extend_from_slice(&members[first..earlier]);
        }
        candidates.sort_unstable();
        candidates.dedup();

        let links = candidates
            .iter()
            .filter_map(|&other| {
                let link = self.rule.link(request, &self.requests[other as usize])?;
                Some((other, link))
            })
            .collect();
        (candidates.len(), links)
    }

    fn find(&self, mut position: u32) -> u32 {
        while self.parent[position as usize] != position {
            position = self.parent[position as usize];
        }
        position
    }

    fn union(&mut self, a: u32, b: u32) {
        let (root_a, root_b) = (self.find_compress(a), self.find_compress(b));
        // The smaller position becomes the root, so roots do not depend on link order.
        let (root, child) = (root_a.min(root_b), root_a.max(root_b));
        self.parent[child as usize] = root;
    }

    fn find_compress(&mut self, position: u32) -> u32 {
        let root = self.find(position);
        let mut current = position;
        while self.parent[current as usize] != root {
            let next = self.parent[current as usize];
            self.parent[current as usize] = root;
            current = next;
        }
        root
    }

    /// Returns the clusters as sorted lists of request ids, sorted by their smallest id,
    /// singletons included.
    ///
    /// A cluster is a connected component of the links, split by its main site as in
    /// [`HotspotIndex::hotspots`].
    pub fn clusters(&self) -> Vec<Vec<i64>> {
        let mut groups: FxHashMap<u32, Vec<u32>> = FxHashMap::default();
        for position in 0..self.requests.len() as u32 {
            groups
                .entry(self.find(position))
                .or_default()
                .push(position);
        }
        let adjacency = self.adjacency();
        let mut clusters: Vec<Vec<i64>> = groups
            .into_values()
            .flat_map(|members| self.split_by_site(members, &adjacency))
            .map(|members| {
                let mut ids: Vec<i64> = members
                    .iter()
                    .map(|&p| self.requests[p as usize].request.id)
                    .collect();
                ids.sort_unstable();
                ids
            })
            .collect();
        clusters.sort_unstable_by_key(|ids| ids[0]);
        clusters
    }

    /// Ranks the hot spots among the requests submitted in the query's window.
    ///
    /// A hot spot is the part of a connected component that falls in the window, split by
    /// its main site, the estate, school, company, landmark or case most members name.
    /// Members that name a site of the same class but not the main site form groups of
    /// their own. A hot spot is kept when it has at least `min_requests` requests. Requests without a submission time are in every
    /// window. Hot spots are ordered by heat, then by their smallest request id.
    ///
    /// # Errors
    ///
    /// [`HotspotError::InvalidParameter`] when the heat weights fail
    /// [`HeatParams::validate`] or `from` is after `to`.
    pub fn hotspots(&self, query: &HotspotQuery) -> Result<Vec<Hotspot>, HotspotError> {
        query.heat.validate()?;
        if let (Some(from), Some(to)) = (query.from, query.to)
            && from > to
        {
            return Err(HotspotError::InvalidParameter(format!(
                "the window starts at {from}, after its end {to}"
            )));
        }
        let in_window = |time: Option<DateTime<Utc>>| match time {
            None => true,
            Some(time) => {
                query.from.is_none_or(|from| time >= from) && query.to.is_none_or(|to| time <= to)
            }
        };
        let now = query.now.or(query.to).or_else(|| {
            self.requests
                .iter()
                .filter_map(|r| r.request.submitted_at)
                .max()
        });

        let mut groups: FxHashMap<u32, Vec<u32>> = FxHashMap::default();
        for (position, request) in self.requests.iter().enumerate() {
            if in_window(request.request.submitted_at) {
                groups
                    .entry(self.find(position as u32))
                    .or_default()
                    .push(position as u32);
            }
        }
        let adjacency = self.adjacency();
        let mut hotspots: Vec<Hotspot> = groups
            .into_values()
            .flat_map(|members| self.split_by_site(members, &adjacency))
            .filter(|members| members.len() >= query.min_requests.max(1))
            .map(|members| self.describe(&members, now, &query.heat))
            .collect();
        hotspots.sort_by(|a, b| {
            b.heat
                .heat
                .total_cmp(&a.heat.heat)
                .then(a.request_ids[0].cmp(&b.request_ids[0]))
        });
        hotspots.truncate(query.limit);
        for (index, hotspot) in hotspots.iter_mut().enumerate() {
            hotspot.rank = index + 1;
        }
        Ok(hotspots)
    }

    /// Lists the linked positions of every position that has links.
    fn adjacency(&self) -> FxHashMap<u32, Vec<u32>> {
        let mut adjacency: FxHashMap<u32, Vec<u32>> = FxHashMap::default();
        for &(a, b) in &self.edges {
            adjacency.entry(a).or_default().push(b);
            adjacency.entry(b).or_default().push(a);
        }
        adjacency
    }

    /// Splits a connected component into groups that agree on its main site.
    ///
    /// The main site is the specific place (not a road) that most members name. Members
    /// that name places of the same kind (estates, schools, companies ...) but not the
    /// main site are about another place that a chain of links joined to this one. They
    /// leave the group, and the links among them form new components, which are split in
    /// turn. Members that name no place of that kind stay. The result depends only on the
    /// members and their links, so it is the same however the requests arrived.
    fn split_by_site(
        &self,
        members: Vec<u32>,
        adjacency: &FxHashMap<u32, Vec<u32>>,
    ) -> Vec<Vec<u32>> {
        if members.len() < 3 {
            return vec![members];
        }
        let sites_of = |position: u32| {
            self.requests[position as usize]
                .site_keys
                .iter()
                .filter(|(_, kind)| *kind != PlaceKind::Road)
        };
        let Some((main_key, count)) = most_frequent(
            members
                .iter()
                .map(|&p| sites_of(p).map(|(key, _)| key.as_str()).collect()),
        ) else {
            return vec![members];
        };
        if count < 2 {
            return vec![members];
        }
        let main_class = members
            .iter()
            .flat_map(|&p| sites_of(p))
            .find(|(key, _)| key == main_key)
            .map(|&(_, kind)| site_class(kind));
        // A member stays when it names the main site or no site of the main site's class.
        let (kept, others): (Vec<u32>, Vec<u32>) = members.iter().partition(|&&p| {
            let same_class: Vec<&str> = sites_of(p)
                .filter(|(_, kind)| Some(site_class(*kind)) == main_class)
                .map(|(key, _)| key.as_str())
                .collect();
            same_class.is_empty() || same_class.contains(&main_key)
        });
        if others.is_empty() {
            return vec![members];
        }

        // The members that left form components through the links among themselves.
        let leaving: FxHashSet<u32> = others.iter().copied().collect();
        let mut visited: FxHashSet<u32> = FxHashSet::default();
        let mut groups = vec![kept];
        for &start in &others {
            if !visited.insert(start) {
                continue;
            }
            let mut component = vec![start];
            let mut next = 0;
            while next < component.len() {
                let position = component[next];
                next += 1;
                for &neighbour in adjacency.get(&position).into_iter().flatten() {
                    if leaving.contains(&neighbour) && visited.insert(neighbour) {
                        component.push(neighbour);
                    }
                }
            }
            component.sort_unstable();
            groups.extend(self.split_by_site(component, adjacency));
        }
        groups
    }

    fn describe(&self, members: &[u32], now: Option<DateTime<Utc>>, heat: &HeatParams) -> Hotspot {
        let requests: Vec<&PreparedRequest> = members
            .iter()
            .map(|&p| &self.requests[p as usize])
            .collect();

        // Counts for the heat index: requests and first submission per citizen.
        let mut per_citizen: FxHashMap<&str, (usize, Option<DateTime<Utc>>)> = FxHashMap::default();
        let mut anonymous: Vec<Option<DateTime<Utc>>> = Vec::new();
        for request in &requests {
            let at = request.request.submitted_at;
            match &request.request.citizen_ref {
                Some(citizen) => {
                    let entry = per_citizen.entry(citizen.as_str()).or_insert((0, at));
                    entry.0 += 1;
                    entry.1 = match (entry.1, at) {
                        (Some(first), Some(at)) => Some(first.min(at)),
                        (first, at) => first.or(at),
                    };
                }
                None => anonymous.push(at),
            }
        }
        let mut requests_per_citizen: Vec<usize> =
            per_citizen.values().map(|&(count, _)| count).collect();
        requests_per_citizen.extend(std::iter::repeat_n(1, anonymous.len()));
        let last_citizen_joined = per_citizen
            .values()
            .filter_map(|&(_, first)| first)
            .chain(anonymous.iter().flatten().copied())
            .max();

        let support: i64 = requests
            .iter()
            .filter_map(|r| r.request.support_votes)
            .sum();
        let objection: i64 = requests
            .iter()
            .filter_map(|r| r.request.objection_votes)
            .sum();
        let times: Vec<DateTime<Utc>> = requests
            .iter()
            .filter_map(|r| r.request.submitted_at)
            .collect();
        let first_at = times.iter().min().copied();
        let last_at = times.iter().max().copied();
        let days = |a: DateTime<Utc>, b: DateTime<Utc>| (b - a).num_seconds() as f64 / 86_400.0;
        let span_days = match (first_at, last_citizen_joined) {
            (Some(first), Some(joined)) => days(first, joined),
            _ => 0.0,
        };
        let age_days = match (last_at, now) {
            (Some(last), Some(now)) => days(last, now),
            _ => 0.0,
        };
        let breakdown = heat.heat(
            &requests_per_citizen,
            support,
            objection,
            span_days,
            age_days,
        );

        let (summary_id, summary) = central_title(&requests);
        let mut request_ids: Vec<i64> = requests.iter().map(|r| r.request.id).collect();
        request_ids.sort_unstable();
        Hotspot {
            rank: 0,
            heat: breakdown,
            first_at,
            last_at,
            place: concerned_place(&requests),
            group: concerned_group(&requests),
            summary,
            summary_id,
            request_ids,
        }
    }
}

/// Kinds of site that name the same sort of thing, so that naming one of them and not
/// another shows a different place: estates, communities and villages are all where people
/// live.
fn site_class(kind: PlaceKind) -> u8 {
    match kind {
        PlaceKind::Estate | PlaceKind::Community | PlaceKind::Village => 0,
        PlaceKind::School => 1,
        PlaceKind::Hospital => 2,
        PlaceKind::Company => 3,
        PlaceKind::Landmark => 4,
        PlaceKind::Case => 5,
        _ => 6,
    }
}

/// The most frequent value, counted once per request; ties go to the longer, then the
/// lexicographically smaller value.
fn most_frequent<'a>(values: impl Iterator<Item = Vec<&'a str>>) -> Option<(&'a str, usize)> {
    let mut counts: FxHashMap<&str, usize> = FxHashMap::default();
    for mut per_request in values {
        per_request.sort_unstable();
        per_request.dedup();
        for value in per_request {
            *counts.entry(value).or_default() += 1;
        }
    }
    counts.into_iter().max_by(|(a, count_a), (b, count_b)| {
        count_a
            .cmp(count_b)
            .then(a.chars().count().cmp(&b.chars().count()))
            .then(b.cmp(a))
    })
}

fn concerned_place(requests: &[&PreparedRequest]) -> Option<String> {
    let site = most_frequent(
        requests
            .iter()
            .map(|r| r.path.sites.iter().map(String::as_str).collect()),
    );
    let district = most_frequent(
        requests
            .iter()
            .map(|r| r.path.district.iter().map(String::as_str).collect()),
    );
    match (district, site) {
        (Some((district, _)), Some((site, _))) => Some(format!("{district}/{site}")),
        (None, Some((site, _))) => Some(site.to_string()),
        (Some((district, _)), None) => Some(district.to_string()),
        (None, None) => None,
    }
}

fn concerned_group(requests: &[&PreparedRequest]) -> Option<String> {
    most_frequent(requests.iter().map(|r| {
        let text = format!(
            "{}{}",
            r.request.title.as_deref().unwrap_or_default(),
            r.request.body
        );
        GROUPS
            .iter()
            .copied()
            .filter(|group| text.contains(group))
            .collect()
    }))
    .map(|(group, _)| group.to_string())
}

/// Picks the title (or, without a title, the first sentence of the body) with the highest
/// total bigram Dice similarity to the other members' titles. Ties go to the smaller id.
fn central_title(requests: &[&PreparedRequest]) -> (i64, String) {
    let mut candidates: Vec<(i64, String)> = requests
        .iter()
        .map(|r| {
            let text = match r.request.title.as_deref().filter(|t| !t.trim().is_empty()) {
                Some(title) => title.trim().to_string(),
                None => first_sentence(&r.request.body),
            };
            (r.request.id, text)
        })
        .collect();
    candidates.sort_by_key(|(id, _)| *id);
    candidates.truncate(SUMMARY_CANDIDATES);

    let sets: Vec<Vec<u64>> = candidates.iter().map(|(_, t)| bigram_set(t, &[])).collect();
    let mut best = 0;
    let mut best_score = f64::MIN;
    for (i, set) in sets.iter().enumerate() {
        let score: f64 = sets
            .iter()
            .enumerate()
            .filter(|&(j, _)| j != i)
            .map(|(_, other)| dice(set, other))
            .sum();
        if score > best_score {
            best_score = score;
            best = i;
        }
    }
    candidates.swap_remove(best)
}

fn first_sentence(body: &str) -> String {
    let end = body
        .char_indices()
        .find(|&(_, c)| "。！？!?\n".contains(c))
        .map_or(body.len(), |(i, _)| i);
    body[..end].chars().take(60).collect()
}

/// Maps `items` with `f` on as many threads as there are cores, keeping the order.
fn parallel_map<T, U, F>(items: Vec<T>, f: F) -> Vec<U>
where
    T: Send,
    U: Send,
    F: Fn(T) -> U + Sync,
{
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    if threads == 1 || items.len() < 64 {
        return items.into_iter().map(f).collect();
    }
    let chunk_size = items.len().div_ceil(threads);
    let mut chunks: Vec<Vec<T>> = Vec::with_capacity(threads);
    let mut items = items.into_iter();
    loop {
        let chunk: Vec<T> = items.by_ref().take(chunk_size).collect();
        if chunk.is_empty() {
            break;
        }
        chunks.push(chunk);
    }
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| scope.spawn(move || chunk.into_iter().map(f).collect::<Vec<U>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|handle| match handle.join() {
                Ok(results) => results,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(id: i64, title: &str) -> HotspotRequest {
        HotspotRequest {
            id,
            title: Some(title.to_string()),
            body: format!("{title}，搅拌站日夜施工，噪音粉尘严重，请尽快处理。"),
            submitted_at: None,
            citizen_ref: Some(format!("citizen-{id}")),
            support_votes: None,
            objection_votes: None,
        }
    }

    #[test]
    fn chain_across_estates_splits_by_main_site() {
        let mut index = HotspotIndex::new(LinkRule::default()).unwrap();
        index
            .add_batch(vec![
                request(1, "丽发新城小区旁边建搅拌站"),
                request(2, "丽发新城小区和枫林花园小区旁边建搅拌站"),
                request(3, "枫林花园小区旁边建搅拌站"),
                request(4, "枫林花园小区附近建搅拌站"),
                request(5, "丽发新城小区附近建搅拌站"),
                request(6, "丽发新城附近又建搅拌站"),
            ])
            .unwrap();

        // Every request is linked, and request 2 joins the two estates into one component.
        let linked: FxHashSet<i64> = index
            .last_links()
            .iter()
            .flat_map(|link| [link.id, link.other_id])
            .collect();
        assert_eq!(linked.len(), 6, "{:?}", index.last_links());
        assert_eq!(index.link_count(), index.last_links().len());
        let neighbours_of_2: FxHashSet<i64> = index
            .last_links()
            .iter()
            .filter_map(|link| match (link.id, link.other_id) {
                (2, other) | (other, 2) => Some(other),
                _ => None,
            })
            .collect();
        assert!(neighbours_of_2.contains(&1), "{neighbours_of_2:?}");
        assert!(neighbours_of_2.contains(&3), "{neighbours_of_2:?}");

        // 丽发新城 is named by four requests, 枫林花园 by three; the two that name only
        // 枫林花园 form their own cluster.
        assert_eq!(index.clusters(), [vec![1, 2, 5, 6], vec![3, 4]]);
        let hotspots = index.hotspots(&HotspotQuery::default()).unwrap();
        assert_eq!(hotspots.len(), 2);
        assert_eq!(hotspots[0].request_ids, [1, 2, 5, 6]);
        assert_eq!(hotspots[1].request_ids, [3, 4]);
    }
}
