//! Query parameters of request listings, shared by the console and the JSON API.

use chrono::FixedOffset;
use chrono::{Duration, NaiveDate};
use cityai_core::CategoryPath;
use cityai_core::time::{local_to_utc, parse_datetime};
use cityai_store::{Page, RequestFilter};
use serde::Deserialize;

/// The default number of requests per page.
pub(crate) const DEFAULT_PAGE_SIZE: u32 = 50;

/// Listing parameters as they arrive; empty values mean "not set".
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct ListQuery {
    pub status: Option<String>,
    pub category: Option<String>,
    pub department: Option<String>,
    pub channel: Option<String>,
    /// First day, `YYYY-MM-DD`, inclusive.
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD`, inclusive.
    pub to: Option<String>,
    pub q: Option<String>,
    /// `newest` (the default) or `oldest`.
    pub sort: Option<String>,
    pub page: Option<String>,
    pub size: Option<String>,
    pub lang: Option<String>,
}

/// A parameter value that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InvalidParam {
    pub name: &'static str,
    pub value: String,
    /// The expected form of the value, in English.
    pub expected: String,
    /// The catalogue key of the expected form, for the console's language.
    pub hint: &'static str,
    /// The allowed values or bound that `hint` names, when it has a `{choices}` placeholder.
    pub choices: String,
}

impl ListQuery {
    /// Returns the value of a parameter, treating empty text as absent.
    pub fn value(field: &Option<String>) -> Option<&str> {
        field.as_deref().map(str::trim).filter(|v| !v.is_empty())
    }

    /// Checks every parameter and builds the store filter and page; dates are local days at
    /// `city_offset`.
    pub fn to_filter(
        &self,
        city_offset: FixedOffset,
    ) -> Result<(RequestFilter, Page), InvalidParam> {
        let invalid = |name: &'static str, value: &str, expected: &str| {
            let (hint, choices) = match name {
                "status" | "channel" | "sort" => (
                    "requests.expect_one_of",
                    expected.trim_start_matches("one of ").to_owned(),
                ),
                "category" => ("requests.expect_category", String::new()),
                "from" => ("requests.expect_date", String::new()),
                "to" if expected.contains("from date") => {
                    ("requests.expect_after_from", String::new())
                }
                "to" => ("requests.expect_date", String::new()),
                "page" => ("requests.expect_page", String::new()),
                _ => ("requests.expect_size", Page::MAX_SIZE.to_string()),
            };
            InvalidParam {
                name,
                value: value.to_owned(),
                expected: expected.to_owned(),
                hint,
                choices,
            }
        };
        let mut filter = RequestFilter::default();

        if let Some(value) = Self::value(&self.status) {
            filter.status = Some(value.parse().map_err(
                |e: cityai_core::request::UnknownValue| {
                    invalid("status", value, &format!("one of {}", e.expected))
                },
            )?);
        }
        if let Some(value) = Self::value(&self.channel) {
            filter.channel = Some(value.parse().map_err(
                |e: cityai_core::request::UnknownValue| {
                    invalid("channel", value, &format!("one of {}", e.expected))
                },
            )?);
        }
        if let Some(value) = Self::value(&self.category) {
            filter.category = Some(CategoryPath::parse(value).map_err(|e| {
                invalid(
                    "category",
                    value,
                    &format!("a category path such as 城乡建设/市政设施 ({e})"),
                )
            })?);
        }
        filter.department = Self::value(&self.department).map(str::to_owned);
        filter.text = Self::value(&self.q).map(str::to_owned);
        filter.oldest_first = match Self::value(&self.sort) {
            None | Some("newest") => false,
            Some("oldest") => true,
            Some(value) => return Err(invalid("sort", value, "one of newest, oldest")),
        };

        if let Some(value) = Self::value(&self.from) {
            filter.from = Some(
                parse_datetime(value, city_offset)
                    .ok_or_else(|| invalid("from", value, "a date such as 2026-01-31"))?,
            );
        }
        if let Some(value) = Self::value(&self.to) {
            // A bare date means the whole of that day.
            let end = match NaiveDate::parse_from_str(value, "%Y-%m-%d") {
                Ok(day) => day
                    .and_hms_opt(0, 0, 0)
                    .map(|midnight| midnight + Duration::days(1))
                    .and_then(|next| local_to_utc(next, city_offset)),
                Err(_) => parse_datetime(value, city_offset),
            };
            filter.to = Some(end.ok_or_else(|| invalid("to", value, "a date such as 2026-01-31"))?);
        }
        if let (Some(from), Some(to), Some(value)) = (filter.from, filter.to, Self::value(&self.to))
            && from >= to
        {
            return Err(invalid("to", value, "a day no earlier than the from date"));
        }

        let number = match Self::value(&self.page) {
            Some(value) => value
                .parse::<u32>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| invalid("page", value, "a whole number from 1"))?,
            None => 1,
        };
        let size = match Self::value(&self.size) {
            Some(value) => value
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=Page::MAX_SIZE).contains(n))
                .ok_or_else(|| {
                    invalid(
                        "size",
                        value,
                        &format!("a whole number from 1 to {}", Page::MAX_SIZE),
                    )
                })?,
            None => DEFAULT_PAGE_SIZE,
        };
        Ok((filter, Page::new(number, size)))
    }
}

#[cfg(test)]
mod tests {
    use cityai_core::time::default_city_offset;

    use super::*;

    #[test]
    fn empty_values_are_unset() {
        let query = ListQuery {
            status: Some(String::new()),
            q: Some("  ".into()),
            ..ListQuery::default()
        };
        let (filter, page) = query.to_filter(default_city_offset()).unwrap();
        assert!(filter.status.is_none());
        assert!(filter.text.is_none());
        assert_eq!(page, Page::new(1, DEFAULT_PAGE_SIZE));
    }

    #[test]
    fn to_date_includes_the_whole_day() {
        let query = ListQuery {
            to: Some("2026-01-31".into()),
            ..ListQuery::default()
        };
        let (filter, _) = query.to_filter(default_city_offset()).unwrap();
        let end = filter.to.map(cityai_core::time::to_storage);
        assert_eq!(end.as_deref(), Some("2026-01-31T16:00:00Z"));
    }

    #[test]
    fn invalid_status_names_value_and_choices() {
        let query = ListQuery {
            status: Some("done".into()),
            ..ListQuery::default()
        };
        let err = query.to_filter(default_city_offset()).unwrap_err();
        assert_eq!(err.name, "status");
        assert_eq!(err.value, "done");
        assert!(err.expected.contains("in_progress"), "{}", err.expected);
    }

    #[test]
    fn from_after_to_is_rejected() {
        let query = ListQuery {
            from: Some("2026-02-01".into()),
            to: Some("2026-01-31".into()),
            ..ListQuery::default()
        };
        let err = query.to_filter(default_city_offset()).unwrap_err();
        assert_eq!(err.name, "to");
    }

    #[test]
    fn oversized_page_is_rejected() {
        let query = ListQuery {
            size: Some("100000".into()),
            ..ListQuery::default()
        };
        assert_eq!(
            query.to_filter(default_city_offset()).unwrap_err().name,
            "size"
        );
    }
}
