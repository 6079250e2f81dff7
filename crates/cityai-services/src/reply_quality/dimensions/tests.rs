//! Each dimension on hand-written requests and replies, good and bad.

use chrono::TimeZone;

use super::*;
use crate::reply_quality::{ReplyCheck, Verdict, check_reply};

const TITLE: &str = "投诉幸福小区路灯损坏";
const BODY: &str = "幸福小区3栋门前的路灯坏了一个多月，晚上出行很不安全。希望尽快修复路灯。\
                    另外能否在小区路口加装监控？";

/// A reply that answers both points, cites a rule, greets and closes.
const GOOD_REPLY: &str = "网友您好！您的留言已收悉，现回复如下：经市城管局工作人员现场核查，\
    幸福小区3栋门前的路灯因线路老化损坏，维修班组已于12月3日更换电缆并修复路灯。\
    关于在小区路口加装监控，根据《城市道路照明设施管理规定》第十二条，小区内部监控由物业服务企业负责，\
    社区已督促物业在本月底前完成安装。感谢您对我们工作的支持！2019年12月5日";

/// A reply that only says the message was passed on.
const FORWARD_ONLY: &str = "您的留言已收悉，关于您反映的问题，已转相关部门调查处理。";

fn offset() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap()
}

fn at(year: i32, month: u32, day: u32) -> DateTime<Utc> {
    offset()
        .with_ymd_and_hms(year, month, day, 10, 0, 0)
        .unwrap()
        .with_timezone(&Utc)
}

fn request() -> RequestWords {
    RequestWords::of(Some(TITLE), BODY)
}

fn keys(score: &DimensionScore) -> Vec<&'static str> {
    score.reasons.iter().map(|r| r.key).collect()
}

#[test]
fn relevance_is_high_for_an_answer_on_topic() {
    let score = relevance(&request(), &ReplyText::of(GOOD_REPLY));
    assert_eq!(score.score, Some(1.0), "{:?}", score.reasons);
    assert_eq!(
        keys(&score),
        [
            "reply_quality.relevance.words",
            "reply_quality.relevance.title"
        ]
    );
}

#[test]
fn relevance_is_low_for_an_unrelated_reply() {
    let reply = ReplyText::of("您好，本市今年新建了三所公办幼儿园，招生工作将于八月开始。");
    let score = relevance(&request(), &reply).score.unwrap();
    assert!(score < 0.2, "{score}");
}

#[test]
fn relevance_is_not_scored_without_words() {
    let request = RequestWords::of(None, "？？！");
    let score = relevance(&request, &ReplyText::of(GOOD_REPLY));
    assert_eq!(score.score, None);
    assert_eq!(keys(&score), ["reply_quality.relevance.no_words"]);
}

#[test]
fn completeness_is_full_when_every_point_is_answered() {
    let score = completeness(&request(), &ReplyText::of(GOOD_REPLY));
    assert_eq!(score.score, Some(1.0), "{:?}", score.reasons);
    assert_eq!(score.reasons[0].params[0], ("taken_up", "2".to_owned()));
    assert_eq!(score.reasons[0].params[1], ("total", "2".to_owned()));
}

#[test]
fn completeness_is_zero_for_a_forwarding_note() {
    let score = completeness(&request(), &ReplyText::of(FORWARD_ONLY));
    assert_eq!(score.score, Some(0.0));
    assert_eq!(keys(&score), ["reply_quality.completeness.no_substance"]);
}

#[test]
fn completeness_names_the_point_left_out() {
    let reply = ReplyText::of(
        "您好！经现场核查，幸福小区3栋门前的路灯因线路老化损坏，维修班组已于12月3日更换电缆并修复路灯，\
         今后将加强巡查和日常养护。感谢您的监督！",
    );
    let score = completeness(&request(), &reply);
    let value = score.score.unwrap();
    assert!(value > 0.5, "{value}");
    assert!(value < 1.0, "{value}");
    assert_eq!(
        keys(&score),
        [
            "reply_quality.completeness.points",
            "reply_quality.completeness.missed"
        ]
    );
    assert!(score.reasons[1].params[0].1.contains("监控"));
}

#[test]
fn completeness_uses_the_title_when_nothing_is_asked() {
    let request = RequestWords::of(Some("咨询新生儿落户手续"), "孩子刚出生，想给孩子上户口。");
    assert_eq!(request.points.len(), 1);
    assert_eq!(request.points[0].0, "咨询新生儿落户手续");
}

#[test]
fn basis_finds_a_named_document() {
    let score = basis(&ReplyText::of("依据《居民身份证法》办理。"));
    assert_eq!(score.score, Some(1.0));
    assert_eq!(score.reasons[0].params[0].1, "《居民身份证法》");
}

#[test]
fn basis_finds_an_article_and_a_document_number() {
    assert_eq!(
        named_basis("按第三十二条执行"),
        Some("第三十二条".to_owned())
    );
    assert_eq!(
        named_basis("见楚政发〔2016〕29号文"),
        Some("〔2016〕29号".to_owned())
    );
    assert_eq!(
        named_basis("长人防发[2014]7号"),
        Some("[2014]7号".to_owned())
    );
    assert_eq!(
        named_basis("（2008）15号文件"),
        Some("（2008）15号".to_owned())
    );
}

#[test]
fn basis_ignores_empty_titles_and_other_brackets() {
    assert_eq!(named_basis("《》第条"), None);
    assert_eq!(named_basis("电话（0731）12345号码"), None);
    assert_eq!(named_basis("第3栋"), None);
}

#[test]
fn basis_is_half_for_general_words() {
    let score = basis(&ReplyText::of("我们将按照有关规定处理。"));
    assert_eq!(score.score, Some(0.5));
    assert_eq!(keys(&score), ["reply_quality.basis.general"]);
}

#[test]
fn basis_is_zero_without_any_rule() {
    let score = basis(&ReplyText::of("路灯已修好。"));
    assert_eq!(score.score, Some(0.0));
    assert_eq!(keys(&score), ["reply_quality.basis.none"]);
}

#[test]
fn working_days_skip_weekends() {
    // Friday 2019-12-06 to Monday 2019-12-09 is one working day.
    assert_eq!(
        working_days_between(at(2019, 12, 6), at(2019, 12, 9), offset()),
        1
    );
    // Same day: none.
    assert_eq!(
        working_days_between(at(2019, 12, 6), at(2019, 12, 6), offset()),
        0
    );
    // Four full weeks: twenty.
    assert_eq!(
        working_days_between(at(2019, 12, 2), at(2019, 12, 30), offset()),
        20
    );
    // Backwards is negative.
    assert_eq!(
        working_days_between(at(2019, 12, 9), at(2019, 12, 6), offset()),
        -1
    );
}

#[test]
fn working_days_use_the_city_calendar_day() {
    // 23:30 on Friday in the city is 15:30 UTC the same day; 00:30 on Monday in the city is
    // still Sunday in UTC. Counted in city days, this is one working day.
    let friday = offset()
        .with_ymd_and_hms(2019, 12, 6, 23, 30, 0)
        .unwrap()
        .with_timezone(&Utc);
    let monday = offset()
        .with_ymd_and_hms(2019, 12, 9, 0, 30, 0)
        .unwrap()
        .with_timezone(&Utc);
    assert_eq!(working_days_between(friday, monday, offset()), 1);
}

#[test]
fn timeliness_within_the_limit_is_full() {
    let score = timeliness(Some(at(2019, 12, 2)), Some(at(2019, 12, 20)), offset());
    assert_eq!(score.score, Some(1.0));
    assert_eq!(keys(&score), ["reply_quality.timeliness.within"]);
}

#[test]
fn timeliness_falls_after_the_limit() {
    // 2019-12-02 to 2020-01-13 is 30 working days, 15 past the limit.
    let score = timeliness(Some(at(2019, 12, 2)), Some(at(2020, 1, 13)), offset());
    let value = score.score.unwrap();
    assert!((value - (1.0 - 0.5 * 15.0 / 27.0)).abs() < 1e-9, "{value}");
    assert_eq!(keys(&score), ["reply_quality.timeliness.late"]);
}

#[test]
fn timeliness_is_poor_past_the_hard_limit() {
    let score = timeliness(Some(at(2019, 1, 2)), Some(at(2019, 6, 3)), offset());
    assert!(score.score.unwrap() < 0.5);
    assert_eq!(keys(&score), ["reply_quality.timeliness.overdue"]);
}

#[test]
fn timeliness_needs_both_times() {
    let score = timeliness(None, Some(at(2019, 6, 3)), offset());
    assert_eq!(score.score, None);
    assert_eq!(keys(&score), ["reply_quality.timeliness.unknown"]);
    let score = timeliness(Some(at(2019, 6, 3)), Some(at(2019, 6, 1)), offset());
    assert_eq!(score.score, None);
    assert_eq!(keys(&score), ["reply_quality.timeliness.before_request"]);
}

#[test]
fn readability_is_full_for_a_well_formed_reply() {
    let score = readability(&ReplyText::of(GOOD_REPLY));
    assert_eq!(score.score, Some(1.0), "{:?}", score.reasons);
}

#[test]
fn readability_is_zero_with_a_fill_in_field() {
    let score = readability(&ReplyText::of("您好。【请填写处理结果】感谢您的支持。"));
    assert_eq!(score.score, Some(0.0));
    assert_eq!(keys(&score), ["reply_quality.readability.fill_in"]);
}

#[test]
fn readability_is_zero_for_a_fragment() {
    let score = readability(&ReplyText::of("已收悉"));
    assert_eq!(score.score, Some(0.0));
    assert_eq!(keys(&score), ["reply_quality.readability.too_short"]);
}

#[test]
fn readability_notes_missing_greeting_and_closing() {
    let long_sentence = "经查该路段的路灯由于线路老化和去年冬季冰冻造成的电缆破损以及周边施工单位在开挖管沟时多次挖断供电线路等多种原因导致长期无法正常照明而维修单位也因为资金和材料的问题一直未能及时安排人员进行全面的检修和更换";
    // Twice the sentence, without a stop between: over 150 characters.
    let score = readability(&ReplyText::of(&long_sentence.repeat(2)));
    assert_eq!(score.score, Some(0.0));
    assert_eq!(
        keys(&score),
        [
            "reply_quality.readability.sentences",
            "reply_quality.readability.no_greeting",
            "reply_quality.readability.no_closing"
        ]
    );
}

fn check(reply: &str, replied_at: DateTime<Utc>) -> crate::reply_quality::QualityReport {
    check_reply(&ReplyCheck {
        title: Some(TITLE),
        body: BODY,
        submitted_at: Some(at(2019, 12, 2)),
        reply,
        replied_at: Some(replied_at),
        city_offset: offset(),
    })
}

#[test]
fn verdict_is_good_for_a_complete_timely_reply() {
    let report = check(GOOD_REPLY, at(2019, 12, 5));
    assert_eq!(report.verdict, Verdict::Good, "{:?}", report.verdict_reason);
    assert!(report.overall > 0.9, "{}", report.overall);
    assert_eq!(report.verdict_reason.key, "reply_quality.verdict.good");
}

#[test]
fn verdict_is_poor_for_a_forwarding_note() {
    let report = check(FORWARD_ONLY, at(2019, 12, 3));
    assert_eq!(report.verdict, Verdict::Poor);
    assert_eq!(
        report.verdict_reason.key,
        "reply_quality.verdict.poor_completeness"
    );
}

#[test]
fn verdict_poor_when_months_late() {
    let report = check(GOOD_REPLY, at(2020, 4, 1));
    assert_eq!(report.verdict, Verdict::Poor);
    assert_eq!(
        report.verdict_reason.key,
        "reply_quality.verdict.poor_timeliness"
    );
}

#[test]
fn report_lists_dimensions_in_order() {
    let report = check(GOOD_REPLY, at(2019, 12, 5));
    let order: Vec<Dimension> = report.dimensions.iter().map(|d| d.dimension).collect();
    assert_eq!(order, Dimension::ALL);
    assert_eq!(
        report.dimension(Dimension::Basis).dimension,
        Dimension::Basis
    );
}
