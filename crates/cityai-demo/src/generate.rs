//! Deterministic generation of the demo requests from the scenario templates and clusters.

use chrono::{DateTime, TimeDelta, Utc};
use cityai_core::time::CHINA_STANDARD_TIME_SECONDS;
use cityai_core::{Channel, ImportedReply, NewRequest};

use crate::places::{
    BUS_ROUTES, COMPANIES, DISTRICTS, DURATIONS, District, SHOPS, TRAINING_SCHOOLS,
};
use crate::scenarios::{self, Scenario};
use crate::{clusters, departments, replies, taxonomy};

/// Seed of the generator, so that every installation gets the same demo data.
const SEED: u64 = 0x5955_4e43_4855_414e;

/// Requests are submitted between 1 and this many whole days before local midnight today.
const MAX_DAYS_BACK: usize = 59;

/// Share of requests, in percent, that carry a final category.
const CATEGORISED_PERCENT: usize = 70;

/// Share of categorised requests, in percent, that get an official reply (when old enough).
const REPLIED_PERCENT: usize = 27;

/// Local hours of day (UTC+8) at which citizens submit. Repeated hours are more likely.
const SUBMISSION_HOURS: &[i64] = &[
    0, 7, 8, 8, 9, 9, 9, 10, 10, 10, 11, 11, 12, 13, 14, 14, 15, 15, 16, 16, 17, 19, 20, 20, 21,
    21, 22, 22, 23,
];

/// Citizens who write in far more often than the rest.
const FREQUENT_CITIZENS: &[usize] = &[8, 21, 57, 133, 164, 190];

/// Ordinary citizens are numbered from 1 to this.
const CITIZEN_POOL: usize = 320;

/// Citizens in clusters are numbered from here, so that each report in a cluster has its
/// own author.
const CLUSTER_CITIZEN_BASE: usize = 400;

const OPENERS: &[&str] = &[
    "",
    "",
    "",
    "",
    "",
    "你好，",
    "您好！",
    "领导好，",
    "你好，我想反映个问题。",
];

const CLOSERS: &[&str] = &[
    "",
    "",
    "",
    "",
    "",
    "谢谢！",
    "联系电话见登记信息。",
    "麻烦尽快处理，谢谢。",
    "希望能得到答复。",
];

/// Maximum number of sentences in a body, counting an added opener and closer.
pub(crate) const MAX_SENTENCES: usize = 6;

/// A small linear congruential generator with Knuth's MMIX constants: enough to spread the
/// demo data, and the same sequence on every platform.
#[derive(Debug)]
struct Lcg(u64);

impl Lcg {
    /// Returns a number in `0..bound`.
    fn below(&mut self, bound: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % bound as u64) as usize
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// A request before channel, time, category and reply are decided.
#[derive(Debug)]
struct Draft {
    category: &'static [&'static str],
    title: String,
    body: String,
    /// The department's findings and actions, for the official reply.
    reply_action: String,
    place_text: Option<String>,
    district: &'static str,
    /// Centre (latitude, longitude) and spread in degrees for a coordinate.
    anchor: ((f64, f64), f64),
    coordinate_percent: usize,
    /// Whole days before local midnight today.
    days_back: i64,
    citizen: usize,
}

pub(crate) fn requests(now: DateTime<Utc>) -> Vec<NewRequest> {
    let mut rng = Lcg(SEED);
    let mut drafts = scenario_drafts(&mut rng);
    drafts.extend(cluster_drafts(&mut rng));

    let mut requests: Vec<NewRequest> = drafts
        .into_iter()
        .map(|draft| finish(draft, now, &mut rng))
        .collect();
    requests.sort_by_key(|request| request.submitted_at);
    for (index, request) in requests.iter_mut().enumerate() {
        request.external_id = Some(format!("DEMO-{:06}", index + 1));
    }
    requests
}

/// Instantiates every scenario two or three times, each time in a different district.
fn scenario_drafts(rng: &mut Lcg) -> Vec<Draft> {
    let mut drafts = Vec::new();
    for (group_index, group) in scenarios::ALL.iter().enumerate() {
        for (index, scenario) in group.iter().enumerate() {
            let copies = 2 + (group_index + index) % 2;
            let first_district = rng.below(DISTRICTS.len());
            for copy in 0..copies {
                let district = district_for(scenario, first_district + copy);
                drafts.push(scenario_draft(scenario, district, rng));
            }
        }
    }
    drafts
}

/// Returns the district for the `n`th copy. Scenarios about villages stay in rural districts.
fn district_for(scenario: &Scenario, n: usize) -> &'static District {
    let needs_village = scenario.title.contains("{village}") || scenario.body.contains("{village}");
    let eligible: Vec<&'static District> = DISTRICTS
        .iter()
        .filter(|district| !needs_village || !district.villages.is_empty())
        .collect();
    eligible[n % eligible.len()]
}

fn scenario_draft(scenario: &Scenario, district: &'static District, rng: &mut Lcg) -> Draft {
    let slots = Slots::pick(district, rng);
    Draft {
        category: scenario.category,
        title: slots.fill(scenario.title),
        body: decorate(slots.fill(scenario.body), rng),
        reply_action: slots.fill(scenario.reply),
        place_text: slots.place_text(scenario.body),
        district: district.name,
        anchor: (district.center, 0.02),
        coordinate_percent: 33,
        days_back: 1 + rng.below(MAX_DAYS_BACK) as i64,
        citizen: pick_citizen(rng),
    }
}

/// Turns each cluster report into a draft by its own citizen, all within four days.
fn cluster_drafts(rng: &mut Lcg) -> Vec<Draft> {
    let mut drafts = Vec::new();
    for cluster in clusters::ALL {
        let count = cluster.reports.len();
        for (index, report) in cluster.reports.iter().enumerate() {
            let citizen = CLUSTER_CITIZEN_BASE + drafts.len();
            drafts.push(Draft {
                category: report.category,
                title: report.title.to_owned(),
                body: decorate(report.body.to_owned(), rng),
                reply_action: cluster.reply.to_owned(),
                place_text: Some(cluster.place_text.to_owned()),
                district: cluster.district,
                anchor: (cluster.location, 0.0008),
                coordinate_percent: 50,
                days_back: cluster.first_day - (index * 4 / count) as i64,
                citizen,
            });
        }
    }
    drafts
}

fn pick_citizen(rng: &mut Lcg) -> usize {
    if rng.chance(10) {
        FREQUENT_CITIZENS[rng.below(FREQUENT_CITIZENS.len())]
    } else {
        1 + rng.below(CITIZEN_POOL)
    }
}

/// Adds a greeting and a closing line the way callers and web users often do, as long as
/// the body stays within [`MAX_SENTENCES`].
fn decorate(body: String, rng: &mut Lcg) -> String {
    let opener = rng.pick(OPENERS);
    let closer = rng.pick(CLOSERS);
    let mut text = body;
    if sentence_count(opener) + sentence_count(&text) <= MAX_SENTENCES {
        text = format!("{opener}{text}");
    }
    if sentence_count(&text) + sentence_count(closer) <= MAX_SENTENCES {
        text.push_str(closer);
    }
    text
}

/// Counts sentences by their closing punctuation (。！？).
pub(crate) fn sentence_count(text: &str) -> usize {
    text.chars()
        .filter(|c| matches!(c, '。' | '！' | '？'))
        .count()
}

/// Decides channel, time, citizen, coordinate, category, votes and reply.
fn finish(draft: Draft, now: DateTime<Utc>, rng: &mut Lcg) -> NewRequest {
    let channel = pick_channel(rng);
    let submitted_at = submission_time(now, draft.days_back, rng);
    let mut request = NewRequest::new(channel, draft.body.clone());
    request.title = Some(draft.title.clone());
    request.submitted_at = Some(submitted_at);
    request.place_text = draft.place_text.clone();

    let anonymous = channel == Channel::Open311 && rng.chance(40);
    if !anonymous {
        request.citizen_ref = Some(format!("C{:05}", draft.citizen));
    }
    if request.place_text.is_some() && rng.chance(draft.coordinate_percent) {
        let (latitude, longitude) = jitter(draft.anchor, rng);
        request.latitude = Some(latitude);
        request.longitude = Some(longitude);
    }
    if channel == Channel::Web {
        let (support, objection) = votes(rng);
        request.support_votes = Some(support);
        request.objection_votes = Some(objection);
    }
    if rng.chance(CATEGORISED_PERCENT) {
        request.category = Some(taxonomy::path(draft.category));
        if rng.chance(REPLIED_PERCENT) {
            request.reply = reply(&draft, submitted_at, now, rng);
        }
    }
    request
}

fn pick_channel(rng: &mut Lcg) -> Channel {
    match rng.below(100) {
        0..45 => Channel::Hotline,
        45..80 => Channel::Web,
        80..90 => Channel::Open311,
        _ => Channel::Reception,
    }
}

/// Returns a time `days_back` days before local midnight today, at a typical local hour.
///
/// For `days_back` from 1 to [`MAX_DAYS_BACK`] the result lies before `now` and less than
/// sixty days before it.
fn submission_time(now: DateTime<Utc>, days_back: i64, rng: &mut Lcg) -> DateTime<Utc> {
    let since_local_midnight =
        (now.timestamp() + i64::from(CHINA_STANDARD_TIME_SECONDS)).rem_euclid(86_400);
    let local_midnight = now
        - TimeDelta::seconds(since_local_midnight)
        - TimeDelta::nanoseconds(i64::from(now.timestamp_subsec_nanos()));
    let hour = SUBMISSION_HOURS[rng.below(SUBMISSION_HOURS.len())];
    let seconds_into_day = hour * 3600 + rng.below(3600) as i64;
    local_midnight - TimeDelta::days(days_back) + TimeDelta::seconds(seconds_into_day)
}

/// Returns a coordinate near `anchor`'s centre, rounded to six decimals (about 0.1 m).
fn jitter(anchor: ((f64, f64), f64), rng: &mut Lcg) -> (f64, f64) {
    let ((latitude, longitude), spread) = anchor;
    let mut offset = || (rng.below(2001) as f64 - 1000.0) / 1000.0 * spread;
    let latitude = latitude + offset();
    let longitude = longitude + offset() * 1.2;
    (round6(latitude), round6(longitude))
}

fn round6(degrees: f64) -> f64 {
    (degrees * 1e6).round() / 1e6
}

/// Returns (support, objection) votes: many zero, most small, a few large.
fn votes(rng: &mut Lcg) -> (i64, i64) {
    let support = match rng.below(100) {
        0..25 => 0,
        25..94 => 1 + rng.below(35),
        _ => 150 + rng.below(1850),
    };
    let objection = match rng.below(100) {
        0..55 => 0,
        55..97 => 1 + rng.below(8),
        _ => 20 + rng.below(80),
    };
    (support as i64, objection as i64)
}

/// Writes the official reply, dated 18 hours to about 13 days after submission but no
/// later than one hour before `now`. Returns `None` when the request is too recent.
fn reply(
    draft: &Draft,
    submitted_at: DateTime<Utc>,
    now: DateTime<Utc>,
    rng: &mut Lcg,
) -> Option<ImportedReply> {
    // Both draws happen before the early return, so that `now` never shifts the sequence
    // and the other requests come out the same for any `now`.
    let lag = TimeDelta::hours(18 + rng.below(24 * 12) as i64);
    let variant = rng.below(9);
    let available = TimeDelta::seconds((now - submitted_at).num_seconds()) - TimeDelta::hours(1);
    if available < TimeDelta::hours(2) {
        return None;
    }
    let department = taxonomy::department_of(draft.category).unwrap_or("government_office");
    let body = replies::write(&replies::ReplyParts {
        title: &draft.title,
        department_name: departments::name(department),
        district: draft.place_text.as_ref().map(|_| draft.district),
        action: &draft.reply_action,
        variant,
    });
    Some(ImportedReply {
        body,
        replied_at: Some(submitted_at + lag.min(available)),
    })
}

/// The place names chosen for one request, all in one district.
#[derive(Debug)]
struct Slots {
    district: &'static District,
    road: &'static str,
    road2: &'static str,
    estate: &'static str,
    school: &'static str,
    market: &'static str,
    hospital: &'static str,
    park: &'static str,
    village: &'static str,
    company: &'static str,
    shop: &'static str,
    training: &'static str,
    bus: &'static str,
    since: &'static str,
}

impl Slots {
    fn pick(district: &'static District, rng: &mut Lcg) -> Self {
        let road_index = rng.below(district.roads.len());
        let other_road =
            (road_index + 1 + rng.below(district.roads.len() - 1)) % district.roads.len();
        let village = if district.villages.is_empty() {
            ""
        } else {
            rng.pick(district.villages)
        };
        Self {
            district,
            road: district.roads[road_index],
            road2: district.roads[other_road],
            estate: rng.pick(district.estates),
            school: rng.pick(district.schools),
            market: rng.pick(district.markets),
            hospital: rng.pick(district.hospitals),
            park: rng.pick(district.parks),
            village,
            company: rng.pick(COMPANIES),
            shop: rng.pick(SHOPS),
            training: rng.pick(TRAINING_SCHOOLS),
            bus: rng.pick(BUS_ROUTES),
            since: rng.pick(DURATIONS),
        }
    }

    /// Placeholders that name a place, with the chosen names.
    fn places(&self) -> [(&'static str, &'static str); 7] {
        [
            ("{road}", self.road),
            ("{estate}", self.estate),
            ("{school}", self.school),
            ("{market}", self.market),
            ("{hospital}", self.hospital),
            ("{park}", self.park),
            ("{village}", self.village),
        ]
    }

    /// Replaces every placeholder in `template`.
    fn fill(&self, template: &str) -> String {
        let mut text = template.to_owned();
        for (placeholder, value) in self.places() {
            text = text.replace(placeholder, value);
        }
        let others = [
            ("{road2}", self.road2),
            ("{company}", self.company),
            ("{shop}", self.shop),
            ("{training}", self.training),
            ("{bus}", self.bus),
            ("{since}", self.since),
            ("{district}", self.district.name),
        ];
        for (placeholder, value) in others {
            text = text.replace(placeholder, value);
        }
        self.without_doubled_district(text)
    }

    /// Returns the district and the place the body names first, or the district alone when
    /// the body names no smaller place, or `None` when it names none at all.
    fn place_text(&self, body_template: &str) -> Option<String> {
        let first_place = self
            .places()
            .into_iter()
            .filter_map(|(placeholder, value)| {
                body_template
                    .find(placeholder)
                    .map(|position| (position, value))
            })
            .min_by_key(|&(position, _)| position);
        match first_place {
            Some((_, value)) => {
                Some(self.without_doubled_district(format!("{}{value}", self.district.name)))
            }
            None if body_template.contains("{district}") => Some(self.district.name.to_owned()),
            None => None,
        }
    }

    /// Collapses "东湖区东湖区人民医院" into "东湖区人民医院" where a place name starts with
    /// its district's name.
    fn without_doubled_district(&self, text: String) -> String {
        let name = self.district.name;
        text.replace(&format!("{name}{name}"), name)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn draft() -> Draft {
        Draft {
            category: &["水务", "供水服务", "停水"],
            title: "龙泉山庄停水没有提前通知".to_owned(),
            body: "今天早上小区突然停水，请尽快恢复供水。".to_owned(),
            reply_action: "供水企业已抢修并恢复供水。".to_owned(),
            place_text: Some("北山区龙泉山庄".to_owned()),
            district: "北山区",
            anchor: ((30.68, 114.28), 0.02),
            coordinate_percent: 33,
            days_back: 1,
            citizen: 1,
        }
    }

    #[test]
    fn reply_draws_same_for_any_now() {
        let submitted = Utc
            .with_ymd_and_hms(2025, 6, 14, 15, 0, 0)
            .single()
            .expect("fixed test time is valid");
        let mut recent_rng = Lcg(7);
        let mut old_rng = Lcg(7);

        let recent = reply(
            &draft(),
            submitted,
            submitted + TimeDelta::hours(1),
            &mut recent_rng,
        );
        let old = reply(
            &draft(),
            submitted,
            submitted + TimeDelta::days(30),
            &mut old_rng,
        );

        assert!(recent.is_none());
        assert!(old.is_some());
        assert_eq!(recent_rng.0, old_rng.0);
    }
}
