//! Reading and writing citizen requests.

use chrono::{DateTime, Utc};
use cityai_core::time::to_storage;
use cityai_core::{CategoryPath, Channel, ImportRow, NewRequest, Request, RequestStatus};
use serde::Serialize;
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use sqlx::{Any, Row};

use crate::builder::SqlBuilder;
use crate::import::{ChunkContext, Inserted, StoredKeys, insert_chunk};
use crate::rows::{REQUEST_COLUMNS, request_from_row};
use crate::taxonomy::DepartmentCache;
use crate::{Backend, Result, Store, StoreError};

/// Criteria for listing requests; every set field must match.
#[derive(Debug, Clone, Default)]
pub struct RequestFilter {
    pub status: Option<RequestStatus>,
    /// When not empty, the status must be one of these.
    pub any_status: Vec<RequestStatus>,
    /// Matches this category and every category below it.
    pub category: Option<CategoryPath>,
    /// When not empty, the category must be one of these or below one of them.
    pub any_category: Vec<CategoryPath>,
    pub department: Option<String>,
    pub channel: Option<Channel>,
    /// Submitted at or after this instant. Requests without a submission time never match a
    /// time filter.
    pub from: Option<DateTime<Utc>>,
    /// Submitted before this instant.
    pub to: Option<DateTime<Utc>>,
    /// Text that must occur in the title or body.
    pub text: Option<String>,
    /// Lists the oldest submissions first instead of the newest.
    pub oldest_first: bool,
}

/// A page of a listing, counted from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub number: u32,
    pub size: u32,
}

impl Page {
    /// The largest page size a caller may ask for.
    pub const MAX_SIZE: u32 = 500;

    /// Builds a page, clamping the number to at least 1 and the size to 1..=[`Page::MAX_SIZE`].
    pub fn new(number: u32, size: u32) -> Self {
        Self {
            number: number.max(1),
            size: size.clamp(1, Self::MAX_SIZE),
        }
    }

    fn offset(self) -> i64 {
        i64::from(self.number - 1) * i64::from(self.size)
    }
}

/// One page of requests and the number of requests matching the filter.
#[derive(Debug, Clone, Serialize)]
pub struct RequestList {
    pub items: Vec<Request>,
    pub total: i64,
}

/// Request counts by status.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RequestCounts {
    pub total: i64,
    pub by_status: Vec<(RequestStatus, i64)>,
}

/// The maximum number of duplicate links one transaction of
/// [`Store::record_request_links`] writes: a few milliseconds of write lock.
const LINKS_PER_TRANSACTION: usize = 1_000;

/// Links per multi-row `INSERT`, five values each.
const LINKS_PER_INSERT: usize = 200;

/// Newest submissions first; requests whose source gave no submission time come last.
///
/// SQLite sorts NULL below every value, so `DESC` puts them last, and the order can walk
/// the `submitted_at` index (which carries the id) instead of sorting every match.
const LIST_ORDER: &str = "submitted_at DESC, id DESC";

/// [`LIST_ORDER`] for PostgreSQL, which sorts NULL above every value.
const LIST_ORDER_POSTGRES: &str = "submitted_at DESC NULLS LAST, id DESC";

/// Oldest submissions first; requests without a submission time still come last.
const LIST_ORDER_OLDEST: &str = "submitted_at IS NULL, submitted_at, id";

/// The deepest list page, in rows skipped, that a direct SQLite read serves. Skipping rows
/// walks the index one entry at a time, so deeper pages go through the pool.
const MAX_DIRECT_OFFSET: i64 = 10_000;

impl Store {
    /// Stores one request from a live channel (web, hotline, Open311, reception) and returns
    /// its id. A request without a submission time is taken as submitted now. When a request
    /// with the same dedup key exists, returns that request's id.
    ///
    /// # Errors
    ///
    /// [`crate::StoreError::Database`] when the insert fails.
    pub async fn insert_request(&self, request: &NewRequest) -> Result<i64> {
        let now = Utc::now();
        let mut request = request.clone();
        request.submitted_at.get_or_insert(now);
        let source = request.channel.as_str();
        let rows = [ImportRow { row: 1, request }];
        let context = ChunkContext {
            source,
            batch_id: None,
            now,
            masked: None,
            live: None,
        };

        let mut tx = self.begin_write().await?;
        let mut cache = DepartmentCache::default();
        let mut stored = StoredKeys::default();
        let outcomes = insert_chunk(&mut tx, &mut cache, &mut stored, &rows, &context).await?;
        crate::changes::announce(&mut tx, self.backend, crate::Change::Requests).await?;
        tx.commit().await?;
        match outcomes.first() {
            Some(Inserted::New(id) | Inserted::Existing { id, .. }) => Ok(*id),
            None => Err(sqlx::Error::RowNotFound.into()),
        }
    }

    /// Returns the request with `id`, or `None`.
    ///
    /// # Errors
    ///
    /// [`crate::StoreError::Database`] when the query fails.
    pub async fn request(&self, id: i64) -> Result<Option<Request>> {
        if let Some(found) = self.read_directly(|conn| crate::direct::request(conn, id)) {
            return found.transpose();
        }
        let sql = format!("SELECT {REQUEST_COLUMNS} FROM requests WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(request_from_row).transpose()
    }

    /// Lists requests matching `filter`, newest first, one page at a time.
    ///
    /// # Errors
    ///
    /// [`crate::StoreError::Database`] when the query fails.
    pub async fn list_requests(&self, filter: &RequestFilter, page: Page) -> Result<RequestList> {
        let (where_clause, params) = where_clause(filter, self.backend);
        // Lists filtered by status and department only read their total from the counts the
        // triggers keep: their conditions name columns that `request_counts` has too.
        let kept = counts_are_kept(filter);
        let total_sql = if kept {
            format!("SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM request_counts{where_clause}")
        } else {
            format!("SELECT COUNT(*) FROM requests{where_clause}")
        };
        // The total comes with the page as a subquery, which the database runs once, so a
        // list costs one statement. A page past the end has no row to carry it.
        // Lists whose total is kept and whose page is near the start read a bounded number of
        // index entries, so on SQLite they run directly (see `crate::direct`).
        if kept
            && page.offset() <= MAX_DIRECT_OFFSET
            && let Some(list) = self.direct_page(filter, page, &where_clause, &params, &total_sql)
        {
            return list;
        }
        let rows = self
            .request_page_rows(filter, page, &where_clause, &params, Some(&total_sql))
            .await?;
        let total = match rows.first() {
            Some(row) => row.try_get("list_total")?,
            None => bind_all(sqlx::query(&total_sql), &params)
                .fetch_one(&self.pool)
                .await?
                .try_get(0)?,
        };
        let items = rows.iter().map(request_from_row).collect::<Result<_>>()?;
        Ok(RequestList { items, total })
    }

    /// Reads a list page and its total on a direct SQLite connection, or returns `None`
    /// when the store has none or the read failed.
    fn direct_page(
        &self,
        filter: &RequestFilter,
        page: Page,
        where_clause: &str,
        params: &[Param],
        total_sql: &str,
    ) -> Option<Result<RequestList>> {
        use rusqlite::types::Value;
        let list_sql = self.page_sql(filter, where_clause, params.len(), Some(total_sql));
        let mut values: Vec<Value> = params
            .iter()
            .map(|Param::Text(text)| Value::Text(text.clone()))
            .collect();
        values.extend([
            Value::Integer(i64::from(page.size)),
            Value::Integer(page.offset()),
        ]);
        self.read_directly(|conn| {
            let (items, total) = crate::direct::request_page(conn, &list_sql, &values)?;
            // The limit and offset follow the filter's values, and the total does not use them.
            let total = match total {
                Some(total) => total,
                None => crate::direct::optional_integer(conn, total_sql, &values)?.unwrap_or(0),
            };
            Ok((items, total))
        })
        .map(|(items, total)| {
            Ok(RequestList {
                items: items.into_iter().collect::<Result<_>>()?,
                total,
            })
        })
    }

    /// Returns one page of the requests matching `filter`, newest first, without counting
    /// them all; pair it with [`Store::request_counts`] for the total.
    ///
    /// # Errors
    ///
    /// [`crate::StoreError::Database`] when the query fails.
    pub async fn list_request_page(
        &self,
        filter: &RequestFilter,
        page: Page,
    ) -> Result<Vec<Request>> {
        let (where_clause, params) = where_clause(filter, self.backend);
        let rows = self
            .request_page_rows(filter, page, &where_clause, &params, None)
            .await?;
        rows.iter().map(request_from_row).collect()
    }

    /// Reads one page of the requests that `where_clause` selects, in the filter's order,
    /// with the value of `total_sql` as the column `list_total` of every row when given.
    async fn request_page_rows(
        &self,
        filter: &RequestFilter,
        page: Page,
        where_clause: &str,
        params: &[Param],
        total_sql: Option<&str>,
    ) -> Result<Vec<AnyRow>> {
        let list_sql = self.page_sql(filter, where_clause, params.len(), total_sql);
        Ok(bind_all(sqlx::query(&list_sql), params)
            .bind(i64::from(page.size))
            .bind(page.offset())
            .fetch_all(&self.pool)
            .await?)
    }

    /// Returns the query of one page of the requests that `where_clause` (with `params`
    /// placeholders) selects, in the filter's order. When `total_sql` is given, its value is
    /// the column `list_total`. The limit and offset are the two placeholders after the
    /// filter's.
    fn page_sql(
        &self,
        filter: &RequestFilter,
        where_clause: &str,
        params: usize,
        total_sql: Option<&str>,
    ) -> String {
        let order = match (filter.oldest_first, self.backend) {
            (true, _) => LIST_ORDER_OLDEST,
            (false, Backend::Sqlite) => LIST_ORDER,
            (false, Backend::Postgres) => LIST_ORDER_POSTGRES,
        };
        let total_column = total_sql
            .map(|sql| format!(", ({sql}) AS list_total"))
            .unwrap_or_default();
        let limit_index = params + 1;
        format!(
            "SELECT {REQUEST_COLUMNS}{total_column} FROM requests{where_clause} \
             ORDER BY {order} LIMIT ${limit_index} OFFSET ${}",
            limit_index + 1
        )
    }

    /// Counts the requests matching `filter`, in all and by status.
    ///
    /// # Errors
    ///
    /// [`crate::StoreError::Database`] when the query fails.
    pub async fn request_counts(&self, filter: &RequestFilter) -> Result<RequestCounts> {
        let (where_clause, params) = where_clause(filter, self.backend);
        let sql =
            format!("SELECT status, COUNT(*) AS n FROM requests{where_clause} GROUP BY status");
        let rows = bind_all(sqlx::query(&sql), &params)
            .fetch_all(&self.pool)
            .await?;
        let mut counts = RequestCounts::default();
        for row in rows {
            let status: String = row.try_get("status")?;
            let n: i64 = row.try_get("n")?;
            if let Ok(status) = status.parse() {
                counts.by_status.push((status, n));
            }
            counts.total += n;
        }
        counts
            .by_status
            .sort_by_key(|(status, _)| RequestStatus::ALL.iter().position(|s| s == status));
        Ok(counts)
    }
}

/// Returns whether the counts that the triggers keep (`request_counts`) give the total of
/// `filter`, which is the case when it needs no more than statuses and a department.
fn counts_are_kept(filter: &RequestFilter) -> bool {
    let RequestFilter {
        status: _,
        any_status: _,
        category: None,
        any_category,
        department,
        channel: None,
        from: None,
        to: None,
        text,
        oldest_first: _,
    } = filter
    else {
        return false;
    };
    // Requests without a department are kept under '', which no department filter names.
    any_category.is_empty()
        && text.as_deref().is_none_or(|t| t.trim().is_empty())
        && department.as_deref() != Some("")
}

/// A bound parameter of a dynamically built query.
#[derive(Debug, Clone)]
enum Param {
    Text(String),
}

/// Returns the condition that a request's category is one of `categories` or below one of
/// them, with its values in placeholder order.
fn category_condition(categories: &[CategoryPath]) -> (String, Vec<String>) {
    let mut alternatives = Vec::with_capacity(categories.len());
    let mut values = Vec::with_capacity(categories.len() * 3);
    for category in categories {
        let path = category.to_string();
        // The category or anything below it: paths under `P` sort from `P/` up to `P0`,
        // since '0' follows '/', and a range can use the index where LIKE cannot.
        alternatives.push("(category_path = $? OR (category_path >= $? AND category_path < $?))");
        values.extend([path.clone(), format!("{path}/"), format!("{path}0")]);
    }
    (format!("({})", alternatives.join(" OR ")), values)
}

fn where_clause(filter: &RequestFilter, backend: Backend) -> (String, Vec<Param>) {
    let mut conditions: Vec<String> = Vec::new();
    let mut params: Vec<Param> = Vec::new();
    let mut push = |condition: &str, values: Vec<String>| {
        let mut text = condition.to_owned();
        for value in values {
            params.push(Param::Text(value));
            text = text.replacen("$?", &format!("${}", params.len()), 1);
        }
        conditions.push(text);
    };

    if let Some(status) = filter.status {
        push("status = $?", vec![status.as_str().to_owned()]);
    }
    if !filter.any_status.is_empty() {
        let placeholders = vec!["$?"; filter.any_status.len()].join(", ");
        push(
            &format!("status IN ({placeholders})"),
            filter
                .any_status
                .iter()
                .map(|status| status.as_str().to_owned())
                .collect(),
        );
    }
    if let Some(category) = &filter.category {
        let (condition, values) = category_condition(std::slice::from_ref(category));
        push(&condition, values);
    }
    if !filter.any_category.is_empty() {
        let (condition, values) = category_condition(&filter.any_category);
        push(&condition, values);
    }
    if let Some(department) = &filter.department {
        push("department_code = $?", vec![department.clone()]);
    }
    if let Some(channel) = filter.channel {
        push("channel = $?", vec![channel.as_str().to_owned()]);
    }
    if let Some(from) = filter.from {
        push("submitted_at >= $?", vec![to_storage(from)]);
    }
    if let Some(to) = filter.to {
        push("submitted_at < $?", vec![to_storage(to)]);
    }
    if let Some(text) = filter
        .text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let pattern = format!("%{}%", escape_like(text));
        match backend {
            Backend::Sqlite => {
                push(
                    "(title LIKE $? ESCAPE '\\' OR body LIKE $? ESCAPE '\\')",
                    vec![pattern.clone(), pattern],
                );
                // The search index narrows the scan to candidates; requests stored after its
                // watermark are not in it yet and are scanned.
                if let Some(query) = crate::search::match_query(text) {
                    push(
                        "(id > (SELECT indexed_through FROM request_search_state WHERE id = 1) \
                         OR id IN (SELECT rowid FROM request_search WHERE request_search MATCH $?))",
                        vec![query],
                    );
                }
            }
            Backend::Postgres => {
                // ILIKE with the C collation folds ASCII letters only, as SQLite's LIKE does.
                push(
                    "(title ILIKE $? ESCAPE '\\' OR body ILIKE $? ESCAPE '\\')",
                    vec![pattern.clone(), pattern],
                );
                // Requests not indexed yet have NULL terms and are scanned.
                if let Some(terms) = crate::search::array_query(text) {
                    push(
                        "(search_terms IS NULL OR search_terms @> string_to_array($?, ' '))",
                        vec![terms],
                    );
                }
            }
        }
    }

    if conditions.is_empty() {
        (String::new(), params)
    } else {
        (format!(" WHERE {}", conditions.join(" AND ")), params)
    }
}

/// Escapes `%`, `_` and `\` for a LIKE pattern that uses `ESCAPE '\'`.
fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn bind_all<'q>(
    mut query: Query<'q, Any, AnyArguments<'q>>,
    params: &'q [Param],
) -> Query<'q, Any, AnyArguments<'q>> {
    for param in params {
        match param {
            Param::Text(text) => query = query.bind(text.as_str()),
        }
    }
    query
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn where_clause_numbers_placeholders_in_order() {
        let filter = RequestFilter {
            status: Some(RequestStatus::Triage),
            text: Some("路灯".into()),
            ..RequestFilter::default()
        };
        let (sql, params) = where_clause(&filter, Backend::Sqlite);
        assert!(
            sql.starts_with(
                " WHERE status = $1 AND (title LIKE $2 ESCAPE '\\' OR body LIKE $3 ESCAPE '\\')"
            ),
            "{sql}"
        );
        assert!(sql.ends_with("request_search MATCH $4))"), "{sql}");
        assert_eq!(params.len(), 4);
    }

    #[test]
    fn postgres_text_filter_uses_term_array() {
        let filter = RequestFilter {
            text: Some("路灯坏了".into()),
            ..RequestFilter::default()
        };
        let (sql, params) = where_clause(&filter, Backend::Postgres);
        assert!(
            sql.starts_with(" WHERE (title ILIKE $1 ESCAPE '\\' OR body ILIKE $2 ESCAPE '\\')"),
            "{sql}"
        );
        assert!(
            sql.ends_with("(search_terms IS NULL OR search_terms @> string_to_array($3, ' '))"),
            "{sql}"
        );
        let Param::Text(terms) = &params[2];
        assert_eq!(terms, "坏了 灯坏 路灯");
    }

    #[test]
    fn where_clause_matches_any_of_listed_statuses_and_categories() {
        let filter = RequestFilter {
            any_status: vec![RequestStatus::Replied, RequestStatus::Closed],
            any_category: vec![
                CategoryPath::parse("城乡建设/市政设施").unwrap(),
                CategoryPath::parse("环境保护").unwrap(),
            ],
            ..RequestFilter::default()
        };
        let (sql, params) = where_clause(&filter, Backend::Sqlite);
        assert!(
            sql.starts_with(" WHERE status IN ($1, $2) AND ((category_path = $3 OR "),
            "{sql}"
        );
        assert!(
            sql.ends_with(
                " OR (category_path = $6 OR (category_path >= $7 AND category_path < $8)))"
            ),
            "{sql}"
        );
        assert_eq!(params.len(), 8);
    }

    #[test]
    fn escape_like_escapes_wildcards() {
        assert_eq!(escape_like("100%_a\\b"), "100\\%\\_a\\\\b");
    }

    #[test]
    fn page_clamps_number_and_size() {
        assert_eq!(Page::new(0, 0), Page { number: 1, size: 1 });
        assert_eq!(Page::new(3, 10_000).size, Page::MAX_SIZE);
        assert_eq!(Page::new(3, 20).offset(), 40);
    }
}

/// A request as hot-spot discovery reads it: masked text, time, citizen and votes.
#[derive(Debug, Clone, PartialEq)]
pub struct HotspotRow {
    pub id: i64,
    pub title: Option<String>,
    pub body: String,
    /// The submission time, or the time CityAI received the request when none is known.
    pub submitted_at: DateTime<Utc>,
    pub citizen_ref: Option<String>,
    pub support_votes: Option<i64>,
    pub objection_votes: Option<i64>,
}

impl Store {
    /// Returns the requests submitted in `[from, to]`, optionally of one department, in id
    /// order, for hot-spot discovery.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`] when the query fails, and
    /// [`StoreError::InvalidStoredValue`] for a malformed stored time.
    pub async fn hotspot_rows(
        &self,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        department: Option<&str>,
    ) -> Result<Vec<HotspotRow>> {
        let rows = sqlx::query(
            "SELECT id, title, body, COALESCE(submitted_at, received_at) AS at, citizen_ref, \
             support_votes, objection_votes FROM requests \
             WHERE COALESCE(submitted_at, received_at) >= $1 \
             AND COALESCE(submitted_at, received_at) <= $2 \
             AND ($3 = '' OR department_code = $3) ORDER BY id",
        )
        .bind(from.map_or_else(|| "0000".to_owned(), to_storage))
        .bind(to.map_or_else(|| "9999".to_owned(), to_storage))
        .bind(department.unwrap_or(""))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(hotspot_row).collect()
    }

    /// Returns the requests whose id is greater than `after_id`, in id order, for keeping a
    /// hot-spot index up to date.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`] when the query fails, and
    /// [`StoreError::InvalidStoredValue`] for a malformed stored time.
    pub async fn hotspot_rows_after(&self, after_id: i64) -> Result<Vec<HotspotRow>> {
        let rows = sqlx::query(
            "SELECT id, title, body, COALESCE(submitted_at, received_at) AS at, citizen_ref, \
             support_votes, objection_votes FROM requests WHERE id > $1 ORDER BY id",
        )
        .bind(after_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(hotspot_row).collect()
    }
}

fn hotspot_row(row: &AnyRow) -> Result<HotspotRow> {
    let at: String = row.try_get("at")?;
    Ok(HotspotRow {
        id: row.try_get("id")?,
        title: row.try_get("title")?,
        body: row.try_get("body")?,
        submitted_at: cityai_core::time::from_storage(&at).ok_or_else(|| {
            StoreError::InvalidStoredValue {
                column: "requests.submitted_at",
                value: at.clone(),
            }
        })?,
        citizen_ref: row.try_get("citizen_ref")?,
        support_votes: row.try_get("support_votes")?,
        objection_votes: row.try_get("objection_votes")?,
    })
}

/// A suggested duplicate link: `request_id` probably repeats `other_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequestLink {
    pub request_id: i64,
    pub other_id: i64,
    pub reason: String,
    /// Shared places, similarities and the time gap, as JSON text.
    pub detail: String,
}

impl Store {
    /// Returns the ids of the requests stored by one import.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`] when the query fails.
    pub async fn request_ids_of_import(&self, batch_id: i64) -> Result<Vec<i64>> {
        let rows = sqlx::query("SELECT id FROM requests WHERE import_batch_id = $1 ORDER BY id")
            .bind(batch_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| Ok(row.try_get::<i64, _>("id")?))
            .collect()
    }

    /// Stores suggested duplicate links and audits how many were added; a link already
    /// stored is kept as it was.
    ///
    /// The links are written in transactions of at most 1,000 links, each with one audit
    /// event. The write lock is released between them, so live intake waits behind at most
    /// one short transaction of a large batch of links.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`] when a statement fails. Transactions committed before the
    /// failure stay; storing the same links again adds only the missing ones.
    pub async fn record_request_links(&self, links: &[RequestLink]) -> Result<usize> {
        let mut added = 0;
        for batch in links.chunks(LINKS_PER_TRANSACTION) {
            let _turn = self.write_turn().await;
            let mut tx = self.begin_write().await?;
            let now = to_storage(Utc::now());
            let mut batch_added = 0;
            for rows in batch.chunks(LINKS_PER_INSERT) {
                let mut insert = SqlBuilder::new(
                    self.backend,
                    "INSERT INTO request_links (request_id, other_id, reason, detail, \
                     created_at) ",
                );
                insert.push_values(rows, |mut values, link| {
                    values
                        .push_bind(link.request_id)
                        .push_bind(link.other_id)
                        .push_bind(link.reason.clone())
                        .push_bind(link.detail.clone())
                        .push_bind(now.clone());
                });
                insert.push(" ON CONFLICT (request_id, other_id) DO NOTHING");
                batch_added += insert.build()?.execute(&mut *tx).await?.rows_affected() as usize;
            }
            if batch_added > 0 {
                crate::audit::append(
                    &mut tx,
                    &crate::AuditEvent::new("system", "requests.link_duplicates")
                        .detail(serde_json::json!({"links": batch_added})),
                )
                .await?;
            }
            tx.commit().await?;
            added += batch_added;
        }
        Ok(added)
    }

    /// Returns the stored links from or to a request.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`] when the query fails.
    pub async fn request_links(&self, id: i64) -> Result<Vec<RequestLink>> {
        let rows = sqlx::query(
            "SELECT request_id, other_id, reason, detail FROM request_links \
             WHERE request_id = $1 OR other_id = $1 ORDER BY request_id, other_id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(RequestLink {
                    request_id: row.try_get("request_id")?,
                    other_id: row.try_get("other_id")?,
                    reason: row.try_get("reason")?,
                    detail: row.try_get("detail")?,
                })
            })
            .collect()
    }

    /// Returns, for each of `ids` that repeats an earlier request, the earliest such request.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`] when the query fails.
    pub async fn repeated_requests(
        &self,
        ids: &[i64],
    ) -> Result<std::collections::HashMap<i64, i64>> {
        if ids.is_empty() {
            return Ok(std::collections::HashMap::new());
        }
        let mut query = SqlBuilder::new(
            self.backend,
            "SELECT request_id, MIN(other_id) AS other FROM request_links WHERE request_id IN (",
        );
        query
            .push_bind_list(ids.iter().copied())
            .push(") GROUP BY request_id");
        let rows = query.build()?.fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| Ok((row.try_get("request_id")?, row.try_get("other")?)))
            .collect()
    }
}
