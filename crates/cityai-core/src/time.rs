//! Date and time parsing for the formats that government exports use, and the city's clock.
//!
//! Exports rarely carry a time zone, so a time without one is read as local time at the
//! city's UTC offset. The store keeps UTC.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};

/// The UTC offset of China Standard Time, the default city clock.
pub const CHINA_STANDARD_TIME_SECONDS: i32 = 8 * 3600;

/// Returns the default city clock, UTC+08:00.
pub fn default_city_offset() -> FixedOffset {
    FixedOffset::east_opt(CHINA_STANDARD_TIME_SECONDS).expect("UTC+08:00 is a valid offset")
}

/// Date-time layouts tried in order for a time without a zone.
const DATE_TIME_LAYOUTS: &[&str] = &[
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y.%m.%d %H:%M:%S",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日%H:%M:%S",
    "%Y年%m月%d日%H:%M",
    // US exports (311 systems) write month first, often with a 12-hour clock.
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
];

/// Date-only layouts; the time is taken as midnight local time.
const DATE_LAYOUTS: &[&str] = &[
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%Y%m%d",
    "%Y年%m月%d日",
    "%m/%d/%Y",
];

/// Parses a date or date-time as exports write it.
///
/// Accepted forms: RFC 3339 with a zone (`2019-02-28T11:25:05+08:00`, `...Z`), and without a
/// zone `2019-02-28 11:25:05`, `2019/2/28 11:25`, `2019-02-28`, `20190228`,
/// `2019年2月28日 11:25`, the US month-first `01/31/2015 12:20:09 AM`, and their near
/// variants. A slash date that does not start with a year is read month first. A value without a zone is local time at
/// `city_offset`. Returns `None` when the value matches no accepted form or is not a real date.
pub fn parse_datetime(value: &str, city_offset: FixedOffset) -> Option<DateTime<Utc>> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    if let Ok(with_zone) = DateTime::parse_from_rfc3339(value) {
        return Some(with_zone.with_timezone(&Utc));
    }
    let naive = DATE_TIME_LAYOUTS
        .iter()
        .find_map(|layout| NaiveDateTime::parse_from_str(value, layout).ok())
        .or_else(|| {
            DATE_LAYOUTS
                .iter()
                .find_map(|layout| NaiveDate::parse_from_str(value, layout).ok())
                .and_then(|date| date.and_hms_opt(0, 0, 0))
        })?;
    local_to_utc(naive, city_offset)
}

/// Parses a UTC offset written as `+08:00`, `-05:00` or `Z`.
pub fn parse_utc_offset(value: &str) -> Option<FixedOffset> {
    let value = value.trim();
    if value.eq_ignore_ascii_case("z") {
        return FixedOffset::east_opt(0);
    }
    let (sign, rest) = match value.as_bytes().first()? {
        b'+' => (1, &value[1..]),
        b'-' => (-1, &value[1..]),
        _ => return None,
    };
    let (hours, minutes) = rest.split_once(':')?;
    if hours.len() != 2 || minutes.len() != 2 {
        return None;
    }
    let hours: i32 = hours.parse().ok()?;
    let minutes: i32 = minutes.parse().ok()?;
    if hours > 14 || minutes > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60))
}

/// Converts a local time at `city_offset` to UTC.
pub fn local_to_utc(naive: NaiveDateTime, city_offset: FixedOffset) -> Option<DateTime<Utc>> {
    city_offset
        .from_local_datetime(&naive)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

/// Formats a UTC instant for storage: RFC 3339 in UTC with whole seconds, so that stored
/// values sort as text in time order.
pub fn to_storage(instant: DateTime<Utc>) -> String {
    instant.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Parses a value written by [`to_storage`].
pub fn from_storage(value: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(value)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cst(value: &str) -> Option<String> {
        parse_datetime(value, default_city_offset()).map(to_storage)
    }

    #[test]
    fn parses_export_layouts_as_local_time() {
        let expected = Some("2019-02-28T03:25:05Z".to_owned());
        assert_eq!(cst("2019-02-28 11:25:05"), expected);
        assert_eq!(cst("2019/2/28 11:25:05"), expected);
        assert_eq!(cst("2019年2月28日 11:25:05"), expected);
        assert_eq!(cst("2019-02-28T11:25:05+08:00"), expected);
        assert_eq!(cst("2019-02-28T03:25:05Z"), expected);
    }

    #[test]
    fn parses_us_month_first_dates() {
        let utc = FixedOffset::east_opt(0).unwrap();
        let parse = |value| parse_datetime(value, utc).map(to_storage);
        assert_eq!(
            parse("01/31/2015 12:20:09 AM"),
            Some("2015-01-31T00:20:09Z".to_owned())
        );
        assert_eq!(
            parse("01/31/2015 01:05 PM"),
            Some("2015-01-31T13:05:00Z".to_owned())
        );
        assert_eq!(parse("03/04/2015"), Some("2015-03-04T00:00:00Z".to_owned()));
        assert_eq!(
            parse("2012-11-20T07:50:59.000"),
            Some("2012-11-20T07:50:59Z".to_owned())
        );
    }

    #[test]
    fn parses_utc_offset_option() {
        assert_eq!(parse_utc_offset("+08:00"), Some(default_city_offset()));
        assert_eq!(
            parse_utc_offset("-05:00").map(|o| o.local_minus_utc()),
            Some(-5 * 3600)
        );
        assert_eq!(parse_utc_offset("Z").map(|o| o.local_minus_utc()), Some(0));
        assert_eq!(parse_utc_offset("+8"), None);
        assert_eq!(parse_utc_offset("+25:00"), None);
    }

    #[test]
    fn parses_date_only_as_local_midnight() {
        assert_eq!(cst("2019-02-28"), Some("2019-02-27T16:00:00Z".to_owned()));
        assert_eq!(cst("20190228"), Some("2019-02-27T16:00:00Z".to_owned()));
    }

    #[test]
    fn rejects_impossible_dates() {
        assert_eq!(cst("2019-02-30 10:00:00"), None);
        assert_eq!(cst("2019-13-01"), None);
        assert_eq!(cst("昨天下午"), None);
        assert_eq!(cst(""), None);
    }

    #[test]
    fn storage_format_round_trips() {
        let t = parse_datetime("2020-01-26 08:00:00", default_city_offset()).unwrap();
        assert_eq!(from_storage(&to_storage(t)), Some(t));
    }
}
