//! Dates and periods mentioned in Chinese request text: "2019年3月", "3月5日", "2019-03-05",
//! "上周", "去年", "近两个月", "三天前", "已有二年".
//!
//! Each mention is resolved to an inclusive date range when a reference date (the day the
//! request was submitted) is known, or when the mention is absolute. A month or day without
//! a year takes the year of the reference date, or the year before when that would put it
//! after the reference date. The extractor does not parse clock times ("晚上十点") or
//! weekdays ("周一"), and "最近" or "近期" without a number stays unresolved.

use chrono::{Datelike, Days, Months, NaiveDate};
use serde::{Deserialize, Serialize};

/// The kind of a time mention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeKind {
    /// A calendar day: "2019年3月5日", "3月5号", "2019-03-05".
    Date,
    /// A calendar month: "2019年3月", "3月".
    Month,
    /// A calendar year: "2019年".
    Year,
    /// A day or period named relative to the reference date: "昨天", "上周", "去年",
    /// "近两个月", "三天前".
    Relative,
    /// How long something has lasted up to the reference date: "已有二年", "半年多了".
    Duration,
}

/// An inclusive range of days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DateRange {
    /// The first day.
    pub start: NaiveDate,
    /// The last day, inclusive.
    pub end: NaiveDate,
}

/// One date or period found in a text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeMention {
    /// The text of the mention.
    pub text: String,
    /// The kind of mention.
    pub kind: TimeKind,
    /// The start, a byte offset into the searched text.
    pub start: usize,
    /// The end (exclusive), a byte offset into the searched text.
    pub end: usize,
    /// The days it refers to, when they can be resolved.
    pub range: Option<DateRange>,
}

/// Words for a day or period relative to the reference date, with their offset rule.
const RELATIVE_WORDS: &[(&str, Relative)] = &[
    ("上个星期", Relative::Weeks(-1)),
    ("上个礼拜", Relative::Weeks(-1)),
    ("上星期", Relative::Weeks(-1)),
    ("这个星期", Relative::Weeks(0)),
    ("这个月", Relative::Months(0)),
    ("上个月", Relative::Months(-1)),
    ("今天", Relative::Days(0)),
    ("今日", Relative::Days(0)),
    ("昨天", Relative::Days(-1)),
    ("昨日", Relative::Days(-1)),
    ("前天", Relative::Days(-2)),
    ("本周", Relative::Weeks(0)),
    ("这周", Relative::Weeks(0)),
    ("上周", Relative::Weeks(-1)),
    ("本月", Relative::Months(0)),
    ("上月", Relative::Months(-1)),
    ("今年", Relative::Years(0)),
    ("去年", Relative::Years(-1)),
    ("前年", Relative::Years(-2)),
];

#[derive(Debug, Clone, Copy)]
enum Relative {
    Days(i64),
    Weeks(i64),
    Months(i32),
    Years(i32),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Day,
    Week,
    Month,
    Year,
}

/// Finds the dates and periods mentioned in `text`, in text order.
///
/// `reference` is the day the text was written, used to resolve relative mentions and
/// dates without a year. Offsets are byte offsets into `text`.
///
/// ```
/// use chrono::NaiveDate;
/// use cityai_hotspot::{TimeKind, extract_times};
///
/// let submitted = NaiveDate::from_ymd_opt(2019, 5, 20);
/// let times = extract_times("2019年3月起，近两个月每晚施工", submitted);
/// assert_eq!(times[0].kind, TimeKind::Month);
/// assert_eq!(times[1].text, "近两个月");
/// let range = times[1].range.unwrap();
/// assert_eq!(range.start, NaiveDate::from_ymd_opt(2019, 3, 20).unwrap());
/// ```
pub fn extract_times(text: &str, reference: Option<NaiveDate>) -> Vec<TimeMention> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let byte_at = |index: usize| chars.get(index).map_or(text.len(), |&(byte, _)| byte);
    let mut mentions = Vec::new();
    let mut i = 0;

    while i < chars.len() {
        // Digits glued to a preceding digit or letter belong to another number.
        let glued = i > 0 && chars[i - 1].1.is_ascii_alphanumeric();
        let found = if glued {
            None
        } else {
            absolute_at(&chars, i, reference)
                .or_else(|| relative_word_at(&chars, i, reference))
                .or_else(|| counted_period_at(&chars, i, reference))
        };
        match found {
            Some((end, kind, range)) => {
                mentions.push(TimeMention {
                    text: text[byte_at(i)..byte_at(end)].to_string(),
                    kind,
                    start: byte_at(i),
                    end: byte_at(end),
                    range,
                });
                i = end;
            }
            None => i += 1,
        }
    }
    mentions
}

type Found = (usize, TimeKind, Option<DateRange>);

/// Reads ASCII digits at `i`: returns the value and the index after them.
fn digits_at(chars: &[(usize, char)], i: usize, max_len: usize) -> Option<(u32, usize)> {
    let mut j = i;
    let mut value = 0u32;
    while j < chars.len() && j - i < max_len && chars[j].1.is_ascii_digit() {
        value = value * 10 + chars[j].1.to_digit(10).unwrap_or(0);
        j += 1;
    }
    let followed_by_digit = chars.get(j).is_some_and(|&(_, c)| c.is_ascii_digit());
    (j > i && !followed_by_digit).then_some((value, j))
}

fn char_is(chars: &[(usize, char)], i: usize, options: &str) -> bool {
    chars.get(i).is_some_and(|&(_, c)| options.contains(c))
}

/// "2019年3月5日", "2019年3月", "2019年", "2019-03-05", "3月5日", "3月".
fn absolute_at(chars: &[(usize, char)], i: usize, reference: Option<NaiveDate>) -> Option<Found> {
    let (first, after_first) = digits_at(chars, i, 4)?;
    let first_len = after_first - i;

    // Year first: 2019年..., 2019-03-05, 2019/3/5, 2019.3.5.
    if first_len == 4 && (1990..=2100).contains(&first) {
        let year = i32::try_from(first).ok()?;
        if char_is(chars, after_first, "-/.")
            && let Some((month, after_month)) = digits_at(chars, after_first + 1, 2)
            && char_is(chars, after_month, "-/.")
            && let Some((day, after_day)) = digits_at(chars, after_month + 1, 2)
            && let Some(date) = NaiveDate::from_ymd_opt(year, month, day)
        {
            return Some((after_day, TimeKind::Date, Some(day_range(date))));
        }
        if !char_is(chars, after_first, "年") {
            return None;
        }
        let after_year = after_first + 1;
        if let Some((month, end, day)) = month_day_at(chars, after_year) {
            return resolved_month_day(year, month, day, end);
        }
        let range = year_range(year);
        return Some((after_year, TimeKind::Year, range));
    }

    // Month first, year from the reference date.
    let (month, end, day) = month_day_at(chars, i)?;
    let reference = reference?;
    let mut year = reference.year();
    let month_start = NaiveDate::from_ymd_opt(year, month, day.unwrap_or(1))?;
    if month_start > reference {
        year -= 1;
    }
    resolved_month_day(year, month, day, end)
}

/// "3月5日", "3月5号", "3月" at `i`: month, end index and optional day.
fn month_day_at(chars: &[(usize, char)], i: usize) -> Option<(u32, usize, Option<u32>)> {
    let (month, after_month) = digits_at(chars, i, 2)?;
    if !(1..=12).contains(&month) || !char_is(chars, after_month, "月") {
        return None;
    }
    let after_month = after_month + 1;
    if let Some((day, after_day)) = digits_at(chars, after_month, 2)
        && (1..=31).contains(&day)
        && char_is(chars, after_day, "日号")
    {
        return Some((month, after_day + 1, Some(day)));
    }
    Some((month, after_month, None))
}

fn resolved_month_day(year: i32, month: u32, day: Option<u32>, end: usize) -> Option<Found> {
    match day {
        Some(day) => {
            let date = NaiveDate::from_ymd_opt(year, month, day)?;
            Some((end, TimeKind::Date, Some(day_range(date))))
        }
        None => {
            let start = NaiveDate::from_ymd_opt(year, month, 1)?;
            let last = start.checked_add_months(Months::new(1))?.pred_opt()?;
            Some((end, TimeKind::Month, Some(DateRange { start, end: last })))
        }
    }
}

fn day_range(date: NaiveDate) -> DateRange {
    DateRange {
        start: date,
        end: date,
    }
}

fn year_range(year: i32) -> Option<DateRange> {
    Some(DateRange {
        start: NaiveDate::from_ymd_opt(year, 1, 1)?,
        end: NaiveDate::from_ymd_opt(year, 12, 31)?,
    })
}

fn starts_with_at(chars: &[(usize, char)], i: usize, word: &str) -> bool {
    word.chars()
        .enumerate()
        .all(|(offset, c)| chars.get(i + offset).is_some_and(|&(_, have)| have == c))
}

/// "上周", "去年", "昨天" ...
fn relative_word_at(
    chars: &[(usize, char)],
    i: usize,
    reference: Option<NaiveDate>,
) -> Option<Found> {
    let (word, relative) = RELATIVE_WORDS
        .iter()
        .find(|(word, _)| starts_with_at(chars, i, word))?;
    let end = i + word.chars().count();
    let range = reference.and_then(|reference| resolve_relative(*relative, reference));
    Some((end, TimeKind::Relative, range))
}

fn resolve_relative(relative: Relative, reference: NaiveDate) -> Option<DateRange> {
    match relative {
        Relative::Days(offset) => {
            let day = shift_days(reference, offset)?;
            Some(day_range(day))
        }
        Relative::Weeks(offset) => {
            let monday = reference.checked_sub_days(Days::new(u64::from(
                reference.weekday().num_days_from_monday(),
            )))?;
            let start = shift_days(monday, offset * 7)?;
            Some(DateRange {
                start,
                end: start.checked_add_days(Days::new(6))?,
            })
        }
        Relative::Months(offset) => {
            let first = NaiveDate::from_ymd_opt(reference.year(), reference.month(), 1)?;
            let start = if offset < 0 {
                first.checked_sub_months(Months::new(offset.unsigned_abs()))?
            } else {
                first
            };
            let end = start.checked_add_months(Months::new(1))?.pred_opt()?;
            Some(DateRange { start, end })
        }
        Relative::Years(offset) => year_range(reference.year() + offset),
    }
}

fn shift_days(date: NaiveDate, offset: i64) -> Option<NaiveDate> {
    if offset < 0 {
        date.checked_sub_days(Days::new(offset.unsigned_abs()))
    } else {
        date.checked_add_days(Days::new(offset.unsigned_abs()))
    }
}

/// "近两个月", "最近3天", "三天前", "已有二年", "半年多了", "两年来".
fn counted_period_at(
    chars: &[(usize, char)],
    i: usize,
    reference: Option<NaiveDate>,
) -> Option<Found> {
    const RECENT: &[&str] = &["最近", "近", "过去", "这"];
    const LASTED: &[&str] = &["长达", "已经有", "已有", "已经", "持续", "将近", "快"];

    let (prefix_kind, after_prefix) =
        if let Some(word) = RECENT.iter().find(|word| starts_with_at(chars, i, word)) {
            (Some(TimeKind::Relative), i + word.chars().count())
        } else if let Some(word) = LASTED.iter().find(|word| starts_with_at(chars, i, word)) {
            (Some(TimeKind::Duration), i + word.chars().count())
        } else {
            (None, i)
        };

    let (amount, after_amount) = amount_at(chars, after_prefix)?;
    let (unit, mut end) = unit_at(chars, after_amount)?;
    if char_is(chars, end, "多") {
        end += 1;
    }

    // Without a prefix, only "N天前" or "N年了/来/之久" mark a period, so that "3年级" or
    // "两个月的工资" are not taken as one.
    let kind = match prefix_kind {
        Some(kind) => kind,
        None if char_is(chars, end, "前") => {
            end += 1;
            let range = reference.and_then(|reference| {
                let day = back_from(reference, amount, unit)?;
                Some(day_range(day))
            });
            return Some((end, TimeKind::Relative, range));
        }
        None if char_is(chars, end, "了来") => TimeKind::Duration,
        None if starts_with_at(chars, end, "之久") => TimeKind::Duration,
        None => return None,
    };
    if starts_with_at(chars, end, "之久") {
        end += 2;
    } else if char_is(chars, end, "了来") {
        end += 1;
    }

    let range = reference.and_then(|reference| {
        Some(DateRange {
            start: back_from(reference, amount, unit)?,
            end: reference,
        })
    });
    Some((end, kind, range))
}

/// An amount in ASCII digits or Chinese numerals, in halves: "两" is 4, "半" is 1.
fn amount_at(chars: &[(usize, char)], i: usize) -> Option<(u32, usize)> {
    if let Some((value, end)) = digits_at(chars, i, 3) {
        return Some((value * 2, end));
    }
    let digit = |c: char| "零一二三四五六七八九".find(c).map(|byte| (byte / 3) as u32);
    let mut j = i;
    let mut value = 0u32;
    let mut current = 0u32;
    while let Some(&(_, c)) = chars.get(j) {
        if c == '十' {
            value += current.max(1) * 10;
            current = 0;
        } else if c == '两' {
            current = 2;
        } else if c == '半' {
            // "半年" is half a year; "一年半" adds a half after the unit, which is not read.
            return (j == i).then_some((1, j + 1));
        } else if let Some(d) = digit(c) {
            current = d;
        } else {
            break;
        }
        j += 1;
    }
    (j > i).then_some(((value + current) * 2, j))
}

fn unit_at(chars: &[(usize, char)], i: usize) -> Option<(Unit, usize)> {
    const UNITS: &[(&str, Unit)] = &[
        ("个星期", Unit::Week),
        ("个礼拜", Unit::Week),
        ("个多月", Unit::Month),
        ("个月", Unit::Month),
        ("星期", Unit::Week),
        ("周", Unit::Week),
        ("天", Unit::Day),
        ("日", Unit::Day),
        ("年", Unit::Year),
    ];
    UNITS
        .iter()
        .find(|(word, _)| starts_with_at(chars, i, word))
        .map(|&(word, unit)| (unit, i + word.chars().count()))
}

/// The day `halves / 2` units before `reference`.
fn back_from(reference: NaiveDate, halves: u32, unit: Unit) -> Option<NaiveDate> {
    let days = match unit {
        Unit::Day => u64::from(halves) / 2,
        Unit::Week => u64::from(halves) * 7 / 2,
        Unit::Month => {
            let whole = reference.checked_sub_months(Months::new(halves / 2))?;
            let extra = if halves % 2 == 1 { 15 } else { 0 };
            return whole.checked_sub_days(Days::new(extra));
        }
        Unit::Year => {
            return reference.checked_sub_months(Months::new(halves * 6));
        }
    };
    reference.checked_sub_days(Days::new(days))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn absolute_forms() {
        let times = extract_times("2019年3月5日、2019年4月、2018年、2019-07-03", None);
        let kinds: Vec<TimeKind> = times.iter().map(|t| t.kind).collect();
        assert_eq!(
            kinds,
            [
                TimeKind::Date,
                TimeKind::Month,
                TimeKind::Year,
                TimeKind::Date
            ]
        );
        assert_eq!(times[1].range.unwrap().end, date(2019, 4, 30));
        assert_eq!(times[3].range.unwrap().start, date(2019, 7, 3));
    }

    #[test]
    fn month_day_takes_reference_year() {
        let times = extract_times("3月5号晚上", Some(date(2019, 5, 1)));
        assert_eq!(times[0].range.unwrap().start, date(2019, 3, 5));
        let times = extract_times("12月5号晚上", Some(date(2019, 5, 1)));
        assert_eq!(times[0].range.unwrap().start, date(2018, 12, 5));
    }

    #[test]
    fn relative_words() {
        let reference = Some(date(2019, 5, 15)); // a Wednesday
        let times = extract_times("上周和上个月，去年也是", reference);
        assert_eq!(times[0].range.unwrap().start, date(2019, 5, 6));
        assert_eq!(times[1].range.unwrap().start, date(2019, 4, 1));
        assert_eq!(times[1].range.unwrap().end, date(2019, 4, 30));
        assert_eq!(times[2].range.unwrap().start, date(2018, 1, 1));
    }

    #[test]
    fn counted_periods_and_durations() {
        let reference = Some(date(2019, 6, 30));
        let times = extract_times("三天前报过，已有二年之久，半年多了", reference);
        assert_eq!(times[0].text, "三天前");
        assert_eq!(times[0].range.unwrap().start, date(2019, 6, 27));
        assert_eq!(times[1].text, "已有二年之久");
        assert_eq!(times[1].kind, TimeKind::Duration);
        assert_eq!(times[1].range.unwrap().start, date(2017, 6, 30));
        assert_eq!(times[2].text, "半年多了");
        assert_eq!(times[2].range.unwrap().start, date(2018, 12, 30));
    }

    #[test]
    fn ignores_grades_and_ids() {
        assert!(extract_times("3年级学生，编号A2019年", None).is_empty());
        assert!(extract_times("两个月的工资", Some(date(2019, 1, 1))).is_empty());
    }
}
