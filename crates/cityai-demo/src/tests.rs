use std::collections::{BTreeMap, BTreeSet, HashSet};

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use cityai_core::{CategoryPath, Channel, NewRequest};

use super::*;
use crate::generate::{MAX_SENTENCES, sentence_count};

fn fixed_now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 15, 2, 30, 0)
        .single()
        .expect("fixed test time is valid")
}

fn demo_requests() -> Vec<NewRequest> {
    requests(fixed_now())
}

fn percent(part: usize, whole: usize) -> usize {
    part * 100 / whole
}

#[test]
fn request_count_in_range() {
    let count = demo_requests().len();
    assert!((300..=400).contains(&count), "{count} requests");
}

#[test]
fn every_top_category_has_ten_requests() {
    let mut per_top: BTreeMap<CategoryPath, usize> = BTreeMap::new();
    for request in demo_requests() {
        if let Some(category) = &request.category {
            *per_top.entry(category.top()).or_default() += 1;
        }
    }
    for entry in taxonomy().iter().filter(|e| e.path.depth() == 1) {
        let count = per_top.get(&entry.path).copied().unwrap_or(0);
        assert!(count >= 10, "{} has only {count} requests", entry.path);
    }
}

#[test]
fn many_deeper_categories_are_used() {
    let used: BTreeSet<CategoryPath> = demo_requests()
        .into_iter()
        .filter_map(|r| r.category)
        .filter(|c| c.depth() > 1)
        .collect();
    assert!(
        used.len() >= 60,
        "only {} deeper categories used",
        used.len()
    );
}

#[test]
fn request_categories_exist_in_taxonomy() {
    let paths: HashSet<CategoryPath> = taxonomy().into_iter().map(|e| e.path).collect();
    for request in demo_requests() {
        if let Some(category) = &request.category {
            assert!(
                paths.contains(category),
                "{category} is not in the taxonomy"
            );
        }
    }
}

#[test]
fn taxonomy_departments_exist() {
    let codes: HashSet<String> = departments().into_iter().map(|d| d.code).collect();
    for entry in taxonomy() {
        if let Some(code) = &entry.department {
            assert!(
                codes.contains(code),
                "{}: unknown department {code}",
                entry.path
            );
        }
    }
}

#[test]
fn department_codes_unique_and_ascii() {
    let departments = departments();
    let codes: HashSet<&str> = departments.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes.len(), departments.len());
    for code in codes {
        assert!(
            code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
            "code {code:?}"
        );
    }
}

#[test]
fn taxonomy_paths_unique() {
    let entries = taxonomy();
    let paths: HashSet<&CategoryPath> = entries.iter().map(|e| &e.path).collect();
    assert_eq!(paths.len(), entries.len());
}

#[test]
fn taxonomy_size_in_range() {
    let entries = taxonomy();
    let tops = entries.iter().filter(|e| e.path.depth() == 1).count();
    assert!(
        (80..=150).contains(&entries.len()),
        "{} entries",
        entries.len()
    );
    assert!((12..=15).contains(&tops), "{tops} first-level categories");
}

#[test]
fn top_level_entries_have_department() {
    for entry in taxonomy().iter().filter(|e| e.path.depth() == 1) {
        assert!(
            entry.department.is_some(),
            "{} has no department",
            entry.path
        );
    }
}

#[test]
fn taxonomy_parents_listed_first() {
    let mut seen: HashSet<CategoryPath> = HashSet::new();
    for entry in taxonomy() {
        if let Some(parent) = entry.path.parent() {
            assert!(
                seen.contains(&parent),
                "{} comes before its parent",
                entry.path
            );
        }
        seen.insert(entry.path);
    }
}

#[test]
fn requests_are_deterministic() {
    assert_eq!(demo_requests(), demo_requests());
}

#[test]
fn times_within_sixty_days() {
    let now = fixed_now();
    for request in demo_requests() {
        let submitted = request.submitted_at.expect("every demo request has a time");
        assert!(submitted < now, "{submitted} is not before {now}");
        assert!(
            now - submitted < TimeDelta::days(60),
            "{submitted} is too old"
        );
        if let Some(reply) = &request.reply {
            let replied = reply.replied_at.expect("every demo reply has a time");
            assert!(replied > submitted, "reply {replied} before {submitted}");
            assert!(replied <= now, "reply {replied} after {now}");
        }
    }
}

#[test]
fn times_hold_for_any_now() {
    let base = fixed_now() + TimeDelta::nanoseconds(123_456_789);
    for minutes in [0, 1, 59, 60 * 15, 60 * 16, 60 * 23 + 59] {
        let now = base + TimeDelta::minutes(minutes);
        for request in requests(now) {
            let submitted = request.submitted_at.expect("every demo request has a time");
            assert!(submitted < now, "{submitted} is not before {now}");
            assert!(
                now - submitted < TimeDelta::days(60),
                "{submitted} is too old"
            );
            assert_eq!(submitted.timestamp_subsec_nanos(), 0, "{submitted}");
            if let Some(replied) = request.reply.and_then(|r| r.replied_at) {
                assert!(replied > submitted, "reply {replied} before {submitted}");
                assert!(replied <= now, "reply {replied} after {now}");
                assert_eq!(replied.timestamp_subsec_nanos(), 0, "{replied}");
            }
        }
    }
}

#[test]
fn submission_hours_vary() {
    let hours: HashSet<u32> = demo_requests()
        .iter()
        .filter_map(|r| r.submitted_at)
        .map(|t| (t + TimeDelta::hours(8)).format("%H").to_string())
        .filter_map(|h| h.parse().ok())
        .collect();
    assert!(hours.len() >= 15, "only {} distinct hours", hours.len());
}

#[test]
fn bodies_non_empty_and_distinct() {
    let requests = demo_requests();
    let mut seen = HashSet::new();
    for request in &requests {
        assert!(!request.body.trim().is_empty());
        assert!(
            seen.insert(request.body.as_str()),
            "duplicate body: {}",
            request.body
        );
    }
}

#[test]
fn bodies_have_two_to_six_sentences() {
    for request in demo_requests() {
        let count = sentence_count(&request.body);
        assert!(
            (2..=MAX_SENTENCES).contains(&count),
            "{count} sentences: {}",
            request.body
        );
    }
}

#[test]
fn titles_are_ten_to_thirty_characters() {
    for request in demo_requests() {
        let title = request.title.expect("every demo request has a title");
        let length = title.chars().count();
        assert!((10..=30).contains(&length), "{length} characters: {title}");
    }
}

#[test]
fn placeholders_all_filled() {
    for request in demo_requests() {
        let texts = [
            request.title.unwrap_or_default(),
            request.body,
            request.place_text.unwrap_or_default(),
            request.reply.map(|r| r.body).unwrap_or_default(),
        ];
        for text in texts {
            assert!(!text.contains(['{', '}']), "unfilled placeholder: {text}");
        }
    }
}

#[test]
fn no_district_name_doubled() {
    let names = ["东湖区", "西岭区", "南江区", "北山区", "高新区", "临港新区"];
    for request in demo_requests() {
        let text = format!("{}{}", request.body, request.place_text.unwrap_or_default());
        for name in names {
            assert!(!text.contains(&format!("{name}{name}")), "{text}");
        }
    }
}

#[test]
fn no_phone_or_id_numbers() {
    for request in demo_requests() {
        let mut run = 0;
        for c in request.body.chars() {
            run = if c.is_ascii_digit() { run + 1 } else { 0 };
            assert!(run < 7, "long digit run in: {}", request.body);
        }
    }
}

#[test]
fn external_ids_unique_and_ordered() {
    let requests = demo_requests();
    let ids: Vec<&str> = requests
        .iter()
        .map(|r| {
            r.external_id
                .as_deref()
                .expect("every demo request has an id")
        })
        .collect();
    let unique: HashSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len());
    assert_eq!(ids.first().copied(), Some("DEMO-000001"));
    assert!(
        requests
            .windows(2)
            .all(|w| w[0].submitted_at <= w[1].submitted_at)
    );
}

#[test]
fn shares_match_the_design() {
    let requests = demo_requests();
    let total = requests.len();
    let categorised = requests.iter().filter(|r| r.category.is_some()).count();
    let replied = requests.iter().filter(|r| r.reply.is_some()).count();
    let located = requests.iter().filter(|r| r.latitude.is_some()).count();
    assert!(
        (60..=80).contains(&percent(categorised, total)),
        "{categorised}/{total} categorised"
    );
    assert!(
        (15..=35).contains(&percent(replied, categorised)),
        "{replied}/{categorised} replied"
    );
    assert!(
        (25..=45).contains(&percent(located, total)),
        "{located}/{total} located"
    );
}

#[test]
fn replies_only_on_categorised_requests() {
    for request in demo_requests() {
        if let Some(reply) = &request.reply {
            assert!(request.category.is_some());
            assert!(reply.body.starts_with("您好！您反映的"), "{}", reply.body);
            assert!(reply.body.contains("感谢"), "{}", reply.body);
        }
    }
}

#[test]
fn channels_mixed_with_hotline_and_web_most() {
    let requests = demo_requests();
    let count = |channel: Channel| requests.iter().filter(|r| r.channel == channel).count();
    let main = count(Channel::Hotline) + count(Channel::Web);
    assert!(percent(main, requests.len()) >= 70);
    assert!(count(Channel::Open311) > 0);
    assert!(count(Channel::Reception) > 0);
    assert_eq!(count(Channel::Import), 0);
}

#[test]
fn votes_only_on_web_requests() {
    let requests = demo_requests();
    for request in &requests {
        let is_web = request.channel == Channel::Web;
        assert_eq!(request.support_votes.is_some(), is_web);
        assert_eq!(request.objection_votes.is_some(), is_web);
    }
    let support: Vec<i64> = requests.iter().filter_map(|r| r.support_votes).collect();
    assert!(support.contains(&0), "no web request without votes");
    assert!(
        support.iter().any(|&v| v >= 150),
        "no web request with many votes"
    );
}

#[test]
fn coordinates_near_the_city() {
    for request in demo_requests() {
        assert_eq!(request.latitude.is_some(), request.longitude.is_some());
        if let (Some(latitude), Some(longitude)) = (request.latitude, request.longitude) {
            assert!((30.4..30.75).contains(&latitude), "latitude {latitude}");
            assert!(
                (114.1..114.55).contains(&longitude),
                "longitude {longitude}"
            );
            assert!(request.place_text.is_some());
        }
    }
}

#[test]
fn some_citizens_write_several_times() {
    let mut per_citizen: BTreeMap<String, usize> = BTreeMap::new();
    for request in demo_requests() {
        if let Some(citizen) = request.citizen_ref {
            assert!(citizen.starts_with('C'), "{citizen}");
            assert_eq!(citizen.len(), 6, "{citizen}");
            *per_citizen.entry(citizen).or_default() += 1;
        }
    }
    let repeat_writers = per_citizen.values().filter(|&&n| n >= 3).count();
    assert!(
        repeat_writers >= 5,
        "only {repeat_writers} citizens wrote 3 or more times"
    );
}

#[test]
fn clusters_come_from_different_citizens_within_days() {
    let requests = demo_requests();
    for cluster in clusters::ALL {
        let titles: HashSet<&str> = cluster.reports.iter().map(|r| r.title).collect();
        let members: Vec<&NewRequest> = requests
            .iter()
            .filter(|r| r.title.as_deref().is_some_and(|t| titles.contains(t)))
            .collect();
        assert_eq!(
            members.len(),
            cluster.reports.len(),
            "{}",
            cluster.place_text
        );
        assert!((4..=10).contains(&members.len()), "{}", cluster.place_text);
        for member in &members {
            assert_eq!(member.place_text.as_deref(), Some(cluster.place_text));
        }

        let citizens: HashSet<&str> = members
            .iter()
            .filter_map(|r| r.citizen_ref.as_deref())
            .collect();
        let named = members.iter().filter(|r| r.citizen_ref.is_some()).count();
        assert_eq!(
            citizens.len(),
            named,
            "{}: a citizen repeats",
            cluster.place_text
        );

        let times: Vec<DateTime<Utc>> = members.iter().filter_map(|r| r.submitted_at).collect();
        let first = times.iter().min().expect("cluster has members");
        let last = times.iter().max().expect("cluster has members");
        assert!(
            *last - *first < TimeDelta::days(4),
            "{} spans too long",
            cluster.place_text
        );
    }
}
