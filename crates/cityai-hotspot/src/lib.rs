//! Hot spots (热点): requests about the same problem at the same place, found and ranked.
//!
//! The crate has four parts, each usable alone:
//!
//! - [`extract_places`] and [`extract_times`] find places (from 省 and 市 down to estates,
//!   roads, schools and companies, masked codes such as "A3区" included) and dates or
//!   periods ("2019年3月", "上周", "近两个月") in Chinese text, with byte spans. A
//!   [`PlacePath`] turns the places of a request into a normalised key hierarchy.
//! - [`find_duplicates`] compares a new request with recent ones and returns suggested
//!   links with their reasons: the shared places, the wording similarity and the time gap.
//!   It never merges requests. [`LinkRule`] documents the decision rule.
//! - [`HotspotIndex`] adds requests batch by batch, clusters linked requests with
//!   union-find and splits a cluster that a chain of links joined across places.
//!   Candidates come from blocking on place keys and from MinHash LSH bands
//!   over character bigrams, so the work grows with the number of candidate pairs rather
//!   than with the square of the number of requests. Because each link decision looks only
//!   at its two requests, adding requests in batches gives the same clusters as adding all
//!   of them at once.
//! - [`HotspotIndex::hotspots`] ranks the clusters in a time window by the heat index below
//!   and describes each: rank, heat, time range, place or group concerned, a summary title
//!   and the member ids.
//!
//! # Heat index
//!
//! ```text
//! people      = citizens + 0.5 × Σ over citizens of ln(1 + further requests)
//! votes       = 2 × ln(1 + max(0, support votes − objection votes))
//! persistence = 1 + 0.25 × ln(1 + days from the first request to the last new citizen / 7)
//! recency     = 0.5 ^ (days since the last request / 90)
//! heat        = (people + votes) × persistence × recency
//! ```
//!
//! - **People** is the main term, because a problem that many different citizens report
//!   affects many people. Each further request of one citizen adds less than the one
//!   before (ten requests count as 2.15 people), because one persistent writer, or one
//!   writer's series on different matters, should not outrank a crowd.
//! - **Votes** (点赞数 minus 反对数) show how many others agree without writing. They are
//!   heavy-tailed (one message in the TeddyCup data has 2,097), so they enter through a
//!   logarithm: 10 net votes weigh like 4.8 people, 100 like 9.2, 2,000 like 15.2.
//!   Objections subtract because they are readers who disagree that it is a problem.
//! - **Persistence** rewards a problem that keeps bringing in new citizens, slowly: a
//!   span of a week multiplies the heat by 1.17, a month by 1.41, half a year by 1.82.
//!   The span ends at the first request of the last citizen to join.
//! - **Recency** halves the heat for every 90 days since the last request, so the list
//!   shows what is hot now. Pass a long half-life in [`HeatParams`] to rank a past period
//!   as a whole.
//!
//! All weights are fields of [`HeatParams`], and each [`Hotspot`] carries its
//! [`HeatBreakdown`] so that a person can see why it ranks where it does.
//!
//! This crate does not read the store, does not print and does not call a model. Callers
//! pass requests in and get plain serde types out.
//!
//! ```
//! use cityai_hotspot::{HotspotIndex, HotspotQuery, HotspotRequest, LinkRule};
//!
//! let request = |id: i64, title: &str, body: &str| HotspotRequest {
//!     id,
//!     title: Some(title.to_string()),
//!     body: body.to_string(),
//!     submitted_at: None,
//!     citizen_ref: Some(format!("citizen-{id}")),
//!     support_votes: None,
//!     objection_votes: None,
//! };
//! let mut index = HotspotIndex::new(LinkRule::default()).unwrap();
//! index
//!     .add_batch(vec![
//!         request(1, "丽发新城小区附近搅拌站噪音扰民", "我是丽发新城小区业主，搅拌站日夜施工，噪音粉尘严重。"),
//!         request(2, "丽发新城搅拌站粉尘大", "丽发新城小区旁边建搅拌站，粉尘和噪音污染严重。"),
//!         request(3, "A3区郝家坪小学何时扩建", "郝家坪小学学位紧张，何时扩建？"),
//!     ])
//!     .unwrap();
//! let hotspots = index.hotspots(&HotspotQuery::default()).unwrap();
//! assert_eq!(hotspots.len(), 1);
//! assert_eq!(hotspots[0].request_ids, [1, 2]);
//! ```

mod duplicate;
mod heat;
mod index;
mod place;
mod similarity;
mod time;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use duplicate::{DuplicateLink, LinkReason, LinkRule, PreparedRequest, find_duplicates};
pub use heat::{HeatBreakdown, HeatParams};
pub use index::{BatchReport, Hotspot, HotspotIndex, HotspotQuery, MAX_BLOCK_CANDIDATES};
pub use place::{PlaceKind, PlaceMention, PlacePath, extract_places};
pub use time::{DateRange, TimeKind, TimeMention, extract_times};

/// A citizen's request as the hot-spot functions need it. The text is expected to be
/// masked for personal data already.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HotspotRequest {
    /// The request id, unique within an index.
    pub id: i64,
    /// The title (留言主题), when the channel has one.
    pub title: Option<String>,
    /// The body (留言详情).
    pub body: String,
    /// When the request was submitted.
    pub submitted_at: Option<DateTime<Utc>>,
    /// A stable reference to the citizen (留言用户), used to count distinct citizens.
    pub citizen_ref: Option<String>,
    /// Support votes (点赞数), where the channel has them.
    pub support_votes: Option<i64>,
    /// Objection votes (反对数), where the channel has them.
    pub objection_votes: Option<i64>,
}

/// A failure in the hot-spot functions.
#[derive(Debug, thiserror::Error)]
pub enum HotspotError {
    #[error("request id {0} is already in the hot-spot index; ids must be unique")]
    DuplicateId(i64),

    #[error("invalid hot-spot parameter: {0}")]
    InvalidParameter(String),
}
