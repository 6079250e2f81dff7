//! The full-text index behind the request list's free-text filter.
//!
//! A free-text filter matches requests whose masked title or text contains the query
//! (SQL `LIKE`). Scanning every text costs hundreds of milliseconds at 100,000 requests,
//! so an FTS5 table contains each request's search terms: every pair of adjacent characters
//! within a run of letters and digits (Chinese characters included), lowercased. Every
//! substring of a text at least two characters long has its pairs among the text's
//! terms, so the index finds a superset of the matches, and `LIKE` on those few
//! candidates keeps the result exact. Queries with no pair (one character) scan.
//!
//! The index is filled in the background, in id order, up to a watermark; requests
//! stored after the watermark are scanned, so results never miss a new request.
//!
//! PostgreSQL keeps the same terms in the `search_terms` array column of `requests` with a
//! GIN index, and the filter selects the rows whose array contains the query's terms. There a
//! NULL marks a request not indexed yet instead of a watermark, because ids drawn by
//! several nodes need not commit in id order.

use std::collections::BTreeSet;

use sqlx::Row;

use crate::builder::SqlBuilder;
use crate::{Backend, Result, Store};

/// The maximum number of query terms sent to the index, because more add cost and hardly
/// narrow the candidates.
const MAX_QUERY_TERMS: usize = 24;

/// Returns the distinct search terms of `text`: the lowercased pairs of adjacent
/// characters within each run of letters and digits.
pub(crate) fn search_terms(text: &str) -> BTreeSet<String> {
    let mut terms = BTreeSet::new();
    let mut previous: Option<char> = None;
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            if let Some(p) = previous {
                terms.insert([p, c].iter().collect());
            }
            previous = Some(c);
        } else {
            previous = None;
        }
    }
    terms
}

/// Returns the FTS5 query that finds every request containing `text`, or `None` when the
/// text has no term (a single character), in which case the caller scans.
pub(crate) fn match_query(text: &str) -> Option<String> {
    let terms = search_terms(text);
    if terms.is_empty() {
        return None;
    }
    // Terms hold letters and digits only, so quoting needs no escapes.
    let quoted: Vec<String> = terms
        .iter()
        .take(MAX_QUERY_TERMS)
        .map(|term| format!("\"{term}\""))
        .collect();
    Some(quoted.join(" "))
}

/// Returns the query's terms separated by spaces, for PostgreSQL's
/// `search_terms @> string_to_array($1, ' ')`, or `None` when the text has no term.
pub(crate) fn array_query(text: &str) -> Option<String> {
    let terms = search_terms(text);
    if terms.is_empty() {
        return None;
    }
    let terms: Vec<&str> = terms
        .iter()
        .take(MAX_QUERY_TERMS)
        .map(String::as_str)
        .collect();
    Some(terms.join(" "))
}

/// Returns the search terms of a request's title and text.
fn request_terms(title: Option<&str>, body: &str) -> Vec<String> {
    let mut terms = search_terms(body);
    if let Some(title) = title {
        terms.extend(search_terms(title));
    }
    terms.into_iter().collect()
}

impl Store {
    /// Requests indexed per write transaction: about 0.1 s of holding the write lock.
    pub const SEARCH_BATCH: i64 = 100;

    /// Adds up to `batch` requests stored after the watermark to the search index and
    /// returns how many were added. Call it until it returns 0 to catch up.
    ///
    /// The terms are computed before the write transaction, which holds the write lock
    /// only for the inserts. When another process moved the watermark meanwhile, nothing is
    /// written and 0 is returned.
    ///
    /// # Errors
    ///
    /// [`crate::StoreError::Database`] when a statement fails; nothing is changed then.
    pub async fn index_request_search(&self, batch: i64) -> Result<usize> {
        if self.backend == Backend::Postgres {
            return self.index_request_search_postgres(batch).await;
        }
        let through: i64 =
            sqlx::query("SELECT indexed_through FROM request_search_state WHERE id = 1")
                .fetch_one(&self.pool)
                .await?
                .try_get("indexed_through")?;
        let rows =
            sqlx::query("SELECT id, title, body FROM requests WHERE id > $1 ORDER BY id LIMIT $2")
                .bind(through)
                .bind(batch)
                .fetch_all(&self.pool)
                .await?;
        let mut entries = Vec::with_capacity(rows.len());
        for row in &rows {
            let title: Option<String> = row.try_get("title")?;
            let body: String = row.try_get("body")?;
            let terms = request_terms(title.as_deref(), &body);
            entries.push((row.try_get::<i64, _>("id")?, terms.join(" ")));
        }
        let Some(&(last_id, _)) = entries.last() else {
            return Ok(0);
        };

        let _turn = self.write_turn().await;
        let mut tx = self.begin_write().await?;
        let moved = sqlx::query(
            "UPDATE request_search_state SET indexed_through = $1 \
             WHERE id = 1 AND indexed_through = $2",
        )
        .bind(last_id)
        .bind(through)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if moved == 0 {
            return Ok(0);
        }
        for (id, terms) in &entries {
            sqlx::query("INSERT INTO request_search (rowid, terms) VALUES ($1, $2)")
                .bind(id)
                .bind(terms)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(entries.len())
    }

    /// [`Store::index_request_search`] on PostgreSQL: fills `search_terms` of up to `batch`
    /// requests that have none. A request another node indexed meanwhile is skipped and
    /// not counted.
    async fn index_request_search_postgres(&self, batch: i64) -> Result<usize> {
        let rows = sqlx::query(
            "SELECT id, title, body FROM requests WHERE search_terms IS NULL ORDER BY id LIMIT $1",
        )
        .bind(batch)
        .fetch_all(&self.pool)
        .await?;
        let mut entries = Vec::with_capacity(rows.len());
        for row in &rows {
            let title: Option<String> = row.try_get("title")?;
            let body: String = row.try_get("body")?;
            let terms = request_terms(title.as_deref(), &body);
            entries.push((row.try_get::<i64, _>("id")?, terms.join(" ")));
        }
        if entries.is_empty() {
            return Ok(0);
        }

        // One statement for the whole batch: a round trip per request kept the server busy
        // long after a burst of new requests.
        // string_to_array('', ' ') is an empty array, so a text without terms still counts
        // as indexed.
        let mut update = SqlBuilder::new(
            Backend::Postgres,
            "UPDATE requests AS r SET search_terms = string_to_array(v.terms, ' ') FROM (",
        );
        update
            .push_values(&entries, |mut values, (id, terms)| {
                values.push_bind(*id).push_bind(terms.as_str());
            })
            .push(") AS v (id, terms) WHERE r.id = v.id AND r.search_terms IS NULL");
        let _turn = self.write_turn().await;
        let mut tx = self.begin_write().await?;
        let added = update.build()?.execute(&mut *tx).await?.rows_affected();
        tx.commit().await?;
        Ok(usize::try_from(added).unwrap_or(usize::MAX))
    }

    /// Indexes every request stored after the watermark, in batches of
    /// [`Store::SEARCH_BATCH`], and returns how many were added. A long-running server
    /// should rather call [`Store::index_request_search`] itself with a pause between
    /// batches, so that other writers get the write lock in between.
    ///
    /// # Errors
    ///
    /// As [`Store::index_request_search`]; batches already written stay.
    pub async fn catch_up_request_search(&self) -> Result<usize> {
        let mut total = 0;
        loop {
            let added = self.index_request_search(Self::SEARCH_BATCH).await?;
            if added == 0 {
                return Ok(total);
            }
            total += added;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_are_pairs_within_runs() {
        let terms = search_terms("A3区噪音扰民，100%");
        let expected: BTreeSet<String> = ["a3", "3区", "区噪", "噪音", "音扰", "扰民", "10", "00"]
            .into_iter()
            .map(str::to_owned)
            .collect();
        assert_eq!(terms, expected);
    }

    #[test]
    fn every_substring_has_its_terms_in_the_text() {
        let text = "湖滨路的路灯坏了三天，编号LD-2024。";
        let all = search_terms(text);
        let chars: Vec<char> = text.chars().collect();
        for start in 0..chars.len() {
            for end in start + 2..=chars.len() {
                let query: String = chars[start..end].iter().collect();
                assert!(search_terms(&query).is_subset(&all), "{query}");
            }
        }
    }

    #[test]
    fn one_character_has_no_query() {
        assert_eq!(match_query("灯"), None);
        assert_eq!(match_query("，"), None);
        assert_eq!(match_query("路灯").as_deref(), Some("\"路灯\""));
    }
}
