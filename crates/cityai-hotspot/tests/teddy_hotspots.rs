//! Hot spots on the 4,326 real TeddyCup 2020 messages: the top five, and incremental
//! refresh against full recomputation.
#![allow(clippy::unwrap_used, clippy::print_stderr)]

mod common;

use cityai_hotspot::{Hotspot, HotspotIndex, HotspotQuery, HotspotRequest, LinkRule};

fn full_index(requests: &[HotspotRequest]) -> HotspotIndex {
    let mut index = HotspotIndex::new(LinkRule::default()).unwrap();
    index.add_batch(requests.to_vec()).unwrap();
    index
}

fn print_table(hotspots: &[Hotspot], requests: &[HotspotRequest]) {
    eprintln!(
        "| Rank | Heat | Requests | Citizens | Votes (+/−) | Time range | Place / group | Summary |"
    );
    eprintln!("|---:|---:|---:|---:|---|---|---|---|");
    for hotspot in hotspots {
        let heat = &hotspot.heat;
        eprintln!(
            "| {} | {:.1} | {} | {} | {}/{} | {} to {} | {} / {} | {} |",
            hotspot.rank,
            heat.heat,
            heat.requests,
            heat.citizens,
            heat.support_votes,
            heat.objection_votes,
            hotspot.first_at.unwrap().format("%Y-%m-%d"),
            hotspot.last_at.unwrap().format("%Y-%m-%d"),
            hotspot.place.as_deref().unwrap_or("-"),
            hotspot.group.as_deref().unwrap_or("-"),
            hotspot.summary
        );
    }
    for hotspot in hotspots {
        eprintln!("rank {} members:", hotspot.rank);
        for id in hotspot.request_ids.iter().take(12) {
            let request = requests.iter().find(|r| r.id == *id).unwrap();
            eprintln!("    {id} {}", request.title.as_deref().unwrap_or_default());
        }
    }
}

#[test]
fn top_five_are_recognisable_problems() {
    let requests = common::load_messages();
    assert_eq!(requests.len(), 4326);
    let index = full_index(&requests);
    let query = HotspotQuery {
        limit: 5,
        ..HotspotQuery::default()
    };
    let hotspots = index.hotspots(&query).unwrap();
    print_table(&hotspots, &requests);

    assert_eq!(hotspots.len(), 5);
    for pair in hotspots.windows(2) {
        assert!(pair[0].heat.heat >= pair[1].heat.heat);
    }
    // The two problems of the data set that dozens of citizens reported, with the
    // recency decay of the default heat index measured from the last message.
    for (rank, expected) in [(1, "丽发新城"), (2, "伊景园滨河苑")] {
        let hotspot = &hotspots[rank - 1];
        assert!(
            hotspot.summary.contains(expected),
            "rank {rank} is not about {expected}: {}",
            hotspot.summary
        );
        assert!(hotspot.heat.citizens >= 40, "{hotspot:?}");
    }
    for hotspot in &hotspots {
        // A hot spot is one problem that several citizens raise, not one writer's series
        // and not a chain through a whole district.
        assert!(
            hotspot.heat.citizens >= 3,
            "rank {} has {} citizens",
            hotspot.rank,
            hotspot.heat.citizens
        );
        assert!(
            hotspot.heat.requests <= 120,
            "rank {} has {} requests",
            hotspot.rank,
            hotspot.heat.requests
        );
    }

    // Nearly every member of the mixing-plant hot spot is about the mixing plant.
    let mixing_plant = hotspots
        .iter()
        .find(|h| h.summary.contains("丽发新城"))
        .unwrap();
    let about_plant = mixing_plant
        .request_ids
        .iter()
        .filter(|id| {
            let request = requests.iter().find(|r| r.id == **id).unwrap();
            let text = format!(
                "{}{}",
                request.title.as_deref().unwrap_or_default(),
                request.body
            );
            text.contains("搅拌")
        })
        .count();
    assert!(
        about_plant * 10 >= mixing_plant.request_ids.len() * 9,
        "{about_plant} of {} members mention the mixing plant",
        mixing_plant.request_ids.len()
    );
}

/// The hot spot that contains the most requests whose title contains `word`.
fn hotspot_about<'a>(
    hotspots: &'a [Hotspot],
    requests: &[HotspotRequest],
    word: &str,
) -> Option<(&'a Hotspot, usize)> {
    hotspots
        .iter()
        .map(|hotspot| {
            let count = hotspot
                .request_ids
                .iter()
                .filter(|id| {
                    let request = requests.iter().find(|r| r.id == **id).unwrap();
                    request.title.as_deref().unwrap_or_default().contains(word)
                })
                .count();
            (hotspot, count)
        })
        .max_by_key(|&(hotspot, count)| (count, std::cmp::Reverse(hotspot.rank)))
}

#[test]
fn chains_split_and_named_problems_found() {
    let requests = common::load_messages();
    let index = full_index(&requests);
    let query = HotspotQuery {
        limit: 1000,
        ..HotspotQuery::default()
    };
    let hotspots = index.hotspots(&query).unwrap();

    // The letters about the 58车贷 case name a case, not a place, and vary in wording.
    let (case, count) = hotspot_about(&hotspots, &requests, "58车贷").unwrap();
    assert!(
        count >= 6,
        "{count} 58车贷 titles in one hot spot: {case:?}"
    );
    assert!(case.heat.citizens >= 6, "{case:?}");

    // "五矿万境K9县" is an estate whose name ends in a masked code.
    let (estate, count) = hotspot_about(&hotspots, &requests, "五矿万境").unwrap();
    assert!(count >= 2, "{estate:?}");
    assert_eq!(estate.place.as_deref(), Some("A5区/五矿万境"));

    // One citizen's series of "请加快…" letters about different schools is no top hot spot.
    let (series, _) = hotspot_about(&hotspots, &requests, "加快").unwrap();
    assert!(series.rank > 10, "{series:?}");

    // The cooking-fume complaints of 魅力之城 no longer pull in other estates.
    let (fumes, _) = hotspot_about(&hotspots, &requests, "魅力之城").unwrap();
    for id in &fumes.request_ids {
        let request = requests.iter().find(|r| r.id == *id).unwrap();
        let text = format!(
            "{}{}",
            request.title.as_deref().unwrap_or_default(),
            request.body
        );
        assert!(text.contains("魅力之城"), "{id} in {fumes:?}");
    }
}

#[test]
fn incremental_batches_equal_full_recomputation() {
    let mut requests = common::load_messages();
    let full = full_index(&requests).clusters();

    // Batches in submission order, as intake would add them, of uneven sizes.
    requests.sort_by_key(|r| (r.submitted_at, r.id));
    let mut incremental = HotspotIndex::new(LinkRule::default()).unwrap();
    let mut rest = requests.as_slice();
    let mut size = 1;
    while !rest.is_empty() {
        let (batch, tail) = rest.split_at(size.min(rest.len()));
        incremental.add_batch(batch.to_vec()).unwrap();
        rest = tail;
        size = size * 3 % 997 + 1;
    }
    let clusters = incremental.clusters();
    let linked = clusters.iter().filter(|c| c.len() > 1).count();
    eprintln!(
        "{} clusters, {linked} with more than one request",
        clusters.len()
    );
    assert!(linked > 100, "only {linked} linked clusters");
    assert_eq!(clusters, full);

    let query = HotspotQuery::default();
    assert_eq!(
        incremental.hotspots(&query).unwrap(),
        full_index(&requests).hotspots(&query).unwrap()
    );
}

#[test]
fn rejects_repeated_id() {
    let requests = common::load_messages();
    let mut index = HotspotIndex::new(LinkRule::default()).unwrap();
    index.add_batch(requests[..10].to_vec()).unwrap();
    let error = index.add_batch(requests[5..6].to_vec()).unwrap_err();
    assert!(error.to_string().contains(&requests[5].id.to_string()));
    assert_eq!(index.len(), 10);
}

#[test]
fn find_duplicates_links_repost_with_reasons() {
    let requests = common::load_messages();
    // 227187 reposts 214725 word for word, on the same day.
    let new = requests.iter().find(|r| r.id == 227187).unwrap();
    let recent: Vec<HotspotRequest> = requests
        .iter()
        .filter(|r| r.id != new.id && r.submitted_at <= new.submitted_at)
        .cloned()
        .collect();
    let links = cityai_hotspot::find_duplicates(new, &recent, &LinkRule::default()).unwrap();
    let repost = links.iter().find(|l| l.other_id == 214725).unwrap();
    assert_eq!(
        repost.reason,
        cityai_hotspot::LinkReason::NearDuplicateWording
    );
    assert!(repost.text_similarity > 0.9, "{repost:?}");
    assert!(repost.gap_days.unwrap() < 1.0, "{repost:?}");
    assert!(links.len() < 10, "{} links for one message", links.len());
}

#[test]
fn extraction_spans_are_valid_on_every_message() {
    for request in common::load_messages() {
        let text = cityai_text::normalize(&request.body);
        let reference = request.submitted_at.map(|t| t.date_naive());
        for place in cityai_hotspot::extract_places(&text) {
            assert_eq!(
                &text[place.start..place.end],
                place.text,
                "message {}",
                request.id
            );
            assert!(!place.key.is_empty(), "message {}", request.id);
        }
        for time in cityai_hotspot::extract_times(&text, reference) {
            assert_eq!(
                &text[time.start..time.end],
                time.text,
                "message {}",
                request.id
            );
            if let Some(range) = time.range {
                assert!(range.start <= range.end, "message {}: {time:?}", request.id);
            }
        }
    }
}
