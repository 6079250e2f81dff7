//! Service requests in Open311 form: the representation of a stored request, the filters of
//! `GET requests`, and the fields of `POST requests`.

use std::collections::HashMap;

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, SecondsFormat, Utc};
use cityai_core::i18n::{t, tf};
use cityai_core::{CategoryPath, Lang, Request, RequestStatus};
use cityai_store::RequestFilter;
use sha2::{Digest, Sha256};

use super::Params;
use super::catalog::{Catalog, SUBCATEGORY_ATTRIBUTE, UNROUTED_CODE, code_of, service_path};
use super::format::{Field, Open311Error, Record};

/// The maximum date range of one `GET requests` call in days, and the default range.
pub(crate) const MAX_RANGE_DAYS: i64 = 90;

/// The maximum number of requests one call returns, and the default `page_size`.
pub(crate) const MAX_ROWS: u32 = 1000;

/// The maximum description length the standard's schema allows, in characters.
const MAX_DESCRIPTION_CHARS: usize = 4000;

/// Returns whether a request counts as closed in Open311: replied or closed.
fn is_closed(status: RequestStatus) -> bool {
    matches!(status, RequestStatus::Replied | RequestStatus::Closed)
}

/// Formats an instant as ISO 8601 with the city's offset (`2024-05-01T09:30:00+08:00`).
pub(crate) fn iso(instant: DateTime<Utc>, offset: FixedOffset) -> String {
    instant
        .with_timezone(&offset)
        .to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Returns the Open311 representation of a stored request.
///
/// The description is the stored text, whose personal data intake masked; the unmasked text
/// never leaves through this API.
pub(crate) fn request_record(
    request: &Request,
    department_names: &HashMap<String, String>,
    offset: FixedOffset,
    lang: Lang,
) -> Record {
    let service = request.category.as_ref().map(service_path);
    let (service_code, service_name) = match &service {
        Some(path) => (code_of(path), Some(path.name().to_owned())),
        None => (UNROUTED_CODE.to_owned(), None),
    };
    let description = match request.title.as_deref().filter(|t| !t.trim().is_empty()) {
        Some(title) => format!("{title}\n{}", request.body),
        None => request.body.clone(),
    };
    let description: String = description.chars().take(MAX_DESCRIPTION_CHARS).collect();
    let agency = request
        .department
        .as_ref()
        .map(|code| department_names.get(code).unwrap_or(code).clone());
    let status = if is_closed(request.status) {
        "closed"
    } else {
        "open"
    };
    let requested = request.submitted_at.unwrap_or(request.received_at);
    vec![
        ("service_request_id", Field::text(request.id.to_string())),
        ("status", Field::text(status)),
        (
            "status_notes",
            Field::text(t(lang, &format!("status.{}", request.status.as_str()))),
        ),
        ("service_name", Field::opt_text(service_name)),
        ("service_code", Field::text(service_code)),
        ("description", Field::text(description)),
        ("agency_responsible", Field::opt_text(agency)),
        ("service_notice", Field::null()),
        ("requested_datetime", Field::text(iso(requested, offset))),
        (
            "updated_datetime",
            Field::text(iso(request.updated_at, offset)),
        ),
        ("expected_datetime", Field::null()),
        ("address", Field::opt_text(request.place_text.clone())),
        ("address_id", Field::null()),
        ("zipcode", Field::null()),
        ("lat", Field::Number(request.latitude)),
        ("long", Field::Number(request.longitude)),
        ("media_url", Field::null()),
    ]
}

/// The selection of a `GET requests` call.
#[derive(Debug, Clone)]
pub(crate) enum ListQuery {
    /// The requests with these ids, in this order; the standard lets ids override every
    /// other filter.
    Ids(Vec<i64>),
    /// One page of the requests matching a filter, newest first.
    Filtered {
        filter: RequestFilter,
        page: u32,
        page_size: u32,
    },
}

impl ListQuery {
    /// Reads the standard filters and the `page` / `page_size` extension.
    ///
    /// Without dates the range is the last [`MAX_RANGE_DAYS`] days; with one date it is the
    /// [`MAX_RANGE_DAYS`] days after `start_date` or before `end_date`.
    ///
    /// # Errors
    ///
    /// A 400 error naming the first invalid parameter.
    pub(crate) fn parse(
        params: &Params,
        catalog: &Catalog,
        offset: FixedOffset,
        now: DateTime<Utc>,
        lang: Lang,
    ) -> Result<ListQuery, Open311Error> {
        if let Some(ids) = params.get("service_request_id") {
            return parse_ids(ids, lang).map(ListQuery::Ids);
        }

        let mut filter = RequestFilter::default();
        if let Some(codes) = params.get("service_code") {
            for code in codes.split(',').map(str::trim).filter(|c| !c.is_empty()) {
                let service = catalog.by_code(code).ok_or_else(|| {
                    Open311Error::bad_request(tf(
                        lang,
                        "open311.unknown_service",
                        &[("value", &code)],
                    ))
                })?;
                filter.any_category.push(service.path.clone());
            }
        }
        if let Some(statuses) = params.get("status") {
            let (mut open, mut closed) = (false, false);
            for status in statuses.split(',').map(str::trim) {
                match status {
                    "open" => open = true,
                    "closed" => closed = true,
                    other => {
                        return Err(Open311Error::bad_request(tf(
                            lang,
                            "open311.invalid_status",
                            &[("value", &other)],
                        )));
                    }
                }
            }
            // Both or neither mean every status.
            if open != closed {
                filter.any_status = RequestStatus::ALL
                    .into_iter()
                    .filter(|status| is_closed(*status) == closed)
                    .collect();
            }
        }

        let start = parse_date(params, "start_date", offset, false, lang)?;
        let end = parse_date(params, "end_date", offset, true, lang)?;
        let range = Duration::days(MAX_RANGE_DAYS);
        let (from, to) = match (start, end) {
            (Some(start), Some(end)) => {
                if end < start {
                    return Err(Open311Error::bad_request(tf(
                        lang,
                        "open311.date_order",
                        &[
                            ("start", &params.get("start_date").unwrap_or_default()),
                            ("end", &params.get("end_date").unwrap_or_default()),
                        ],
                    )));
                }
                if end - start > range {
                    return Err(Open311Error::bad_request(tf(
                        lang,
                        "open311.range_too_long",
                        &[
                            ("days", &(end - start).num_days()),
                            ("max", &MAX_RANGE_DAYS),
                        ],
                    )));
                }
                (start, Some(end))
            }
            (Some(start), None) => (start, Some(start + range)),
            (None, Some(end)) => (end - range, Some(end)),
            (None, None) => (now - range, None),
        };
        filter.from = Some(from);
        filter.to = to;

        let page = parse_count(params, "page", u32::MAX, lang)?.unwrap_or(1);
        let page_size = parse_count(params, "page_size", MAX_ROWS, lang)?.unwrap_or(MAX_ROWS);
        Ok(ListQuery::Filtered {
            filter,
            page,
            page_size,
        })
    }
}

fn parse_ids(ids: &str, lang: Lang) -> Result<Vec<i64>, Open311Error> {
    let ids: Vec<&str> = ids
        .split(',')
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .collect();
    if ids.len() > MAX_ROWS as usize {
        return Err(Open311Error::bad_request(tf(
            lang,
            "open311.too_many_ids",
            &[("count", &ids.len()), ("max", &MAX_ROWS)],
        )));
    }
    ids.into_iter()
        .map(|id| {
            id.parse::<i64>().ok().filter(|id| *id > 0).ok_or_else(|| {
                Open311Error::bad_request(tf(lang, "open311.invalid_request_id", &[("value", &id)]))
            })
        })
        .collect()
}

/// Reads a date parameter: ISO 8601 with an offset, or a calendar day in the city's time
/// zone. A day given as `end_date` means the end of that day.
fn parse_date(
    params: &Params,
    name: &str,
    offset: FixedOffset,
    end_of_day: bool,
    lang: Lang,
) -> Result<Option<DateTime<Utc>>, Open311Error> {
    let Some(value) = params.get(name) else {
        return Ok(None);
    };
    // An unencoded `+` in a query string decodes as a space, so `…T00:00:00 08:00` is read
    // as the `+08:00` offset the client meant.
    let value_with_offset = value.replace(' ', "+");
    if let Ok(instant) = DateTime::parse_from_rfc3339(&value_with_offset) {
        return Ok(Some(instant.with_timezone(&Utc)));
    }
    let day = NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .ok()
        .map(|day| {
            if end_of_day {
                day.succ_opt()
            } else {
                Some(day)
            }
        })
        .and_then(|day| {
            day?.and_hms_opt(0, 0, 0)?
                .and_local_timezone(offset)
                .single()
        });
    match day {
        Some(instant) => Ok(Some(instant.with_timezone(&Utc))),
        None => Err(Open311Error::bad_request(tf(
            lang,
            "open311.invalid_date",
            &[("field", &name), ("value", &value)],
        ))),
    }
}

fn parse_count(
    params: &Params,
    name: &str,
    max: u32,
    lang: Lang,
) -> Result<Option<u32>, Open311Error> {
    let Some(value) = params.get(name) else {
        return Ok(None);
    };
    match value.parse::<u32>() {
        Ok(n) if (1..=max).contains(&n) => Ok(Some(n)),
        _ => Err(Open311Error::bad_request(tf(
            lang,
            "open311.invalid_count",
            &[("field", &name), ("value", &value), ("max", &max)],
        ))),
    }
}

/// The fields of `POST requests` that intake uses, after checking.
#[derive(Debug, Clone)]
pub(crate) struct PostedRequest {
    /// The service the client chose, or its subcategory when one was given.
    pub requested: CategoryPath,
    pub description: String,
    pub address: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

impl PostedRequest {
    /// Checks the posted fields against the standard and the service's definition.
    ///
    /// `first_name`, `last_name`, `email`, `phone`, `device_id`, `account_id` and
    /// `media_url` are accepted and not stored; see [`citizen_ref`] for the one
    /// pseudonymous use of `email` and `phone`.
    ///
    /// # Errors
    ///
    /// A 400 error naming the first missing or invalid field.
    pub(crate) fn parse(
        params: &Params,
        catalog: &Catalog,
        lang: Lang,
    ) -> Result<PostedRequest, Open311Error> {
        let bad = |key: &str, args: &[(&str, &dyn std::fmt::Display)]| {
            Open311Error::bad_request(tf(lang, key, args))
        };
        let code = params
            .get("service_code")
            .ok_or_else(|| bad("open311.missing_service_code", &[]))?;
        let service = catalog
            .by_code(code)
            .ok_or_else(|| bad("open311.unknown_service", &[("value", &code)]))?;

        // Attributes arrive as `attribute[CODE]=VALUE`; only the subcategory list exists.
        let mut requested = service.path.clone();
        for (name, value) in params.pairs() {
            let Some(attribute) = name
                .strip_prefix("attribute[")
                .and_then(|rest| rest.strip_suffix(']'))
            else {
                continue;
            };
            if attribute != SUBCATEGORY_ATTRIBUTE || service.children.is_empty() {
                return Err(bad(
                    "open311.unknown_attribute",
                    &[("value", &attribute), ("service", &service.code)],
                ));
            }
            if let Some(child) = service.children.iter().find(|c| code_of(c) == value) {
                requested = child.clone();
            } else if !value.is_empty() {
                return Err(bad(
                    "open311.invalid_attribute_value",
                    &[
                        ("code", &attribute),
                        ("value", &value),
                        ("service", &service.code),
                    ],
                ));
            }
        }

        let latitude = parse_coordinate(params, "lat", lang)?;
        let longitude = parse_coordinate(params, "long", lang)?;
        if latitude.is_some() != longitude.is_some() {
            return Err(bad("open311.lat_long_pair", &[]));
        }
        let address = params
            .get("address_string")
            .or_else(|| params.get("address_id"))
            .map(str::to_owned);
        if latitude.is_none() && address.is_none() {
            return Err(bad("open311.missing_location", &[]));
        }
        let description = params
            .get("description")
            .ok_or_else(|| bad("open311.missing_description", &[]))?
            .to_owned();
        Ok(PostedRequest {
            requested,
            description,
            address,
            latitude,
            longitude,
        })
    }
}

fn parse_coordinate(params: &Params, name: &str, lang: Lang) -> Result<Option<f64>, Open311Error> {
    let Some(value) = params.get(name) else {
        return Ok(None);
    };
    match value.parse::<f64>() {
        Ok(number) if number.is_finite() => Ok(Some(number)),
        _ => Err(Open311Error::bad_request(tf(
            lang,
            "open311.invalid_number",
            &[("field", &name), ("value", &value)],
        ))),
    }
}

/// Returns a pseudonymous reference to the person who posted, from `email` or else `phone`,
/// or `None` when neither was sent.
///
/// The reference is `open311:` and 32 hexadecimal digits of the SHA-256 of the client's API
/// key and the normalised contact. The same person posting through the same client gets the
/// same reference. Without the key, which the server stores only as a hash, the reference
/// cannot be turned back into the contact.
pub(crate) fn citizen_ref(params: &Params, api_key: &str) -> Option<String> {
    let contact = params
        .get("email")
        .map(|email| format!("email:{}", email.trim().to_lowercase()))
        .or_else(|| {
            params.get("phone").map(|phone| {
                let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
                format!("phone:{digits}")
            })
        })?;
    let mut hasher = Sha256::new();
    hasher.update(api_key.as_bytes());
    hasher.update([0]);
    hasher.update(contact.as_bytes());
    Some(format!("open311:{}", &hex::encode(hasher.finalize())[..32]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Params {
        Params::from_pairs(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn citizen_ref_hides_the_contact_and_is_stable() {
        let first = citizen_ref(&params(&[("email", "Li.Ming@example.com ")]), "cai_a_b");
        let again = citizen_ref(&params(&[("email", "li.ming@example.com")]), "cai_a_b");
        let other_key = citizen_ref(&params(&[("email", "li.ming@example.com")]), "cai_c_d");
        let first = first.unwrap();
        assert!(first.starts_with("open311:"), "{first}");
        assert!(!first.contains("li.ming"), "{first}");
        assert_eq!(Some(first.clone()), again);
        assert_ne!(Some(first), other_key);
        assert_eq!(citizen_ref(&params(&[("first_name", "李")]), "k"), None);
    }

    #[test]
    fn day_dates_cover_whole_days_in_the_city() {
        let offset = FixedOffset::east_opt(8 * 3600).unwrap();
        let p = params(&[("start_date", "2024-03-01"), ("end_date", "2024-03-01")]);
        let start = parse_date(&p, "start_date", offset, false, Lang::En)
            .unwrap()
            .unwrap();
        let end = parse_date(&p, "end_date", offset, true, Lang::En)
            .unwrap()
            .unwrap();
        assert_eq!(start.to_rfc3339(), "2024-02-29T16:00:00+00:00");
        assert_eq!(end - start, Duration::days(1));
        let bad = parse_date(
            &params(&[("end_date", "01/03/2024")]),
            "end_date",
            offset,
            true,
            Lang::En,
        )
        .unwrap_err();
        assert!(
            bad.description.contains("01/03/2024"),
            "{}",
            bad.description
        );
    }
}
