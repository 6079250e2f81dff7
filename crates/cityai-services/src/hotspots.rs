//! Hot spots over the stored requests: a full computation for any window, and
//! [`LiveHotspots`], an index over every stored request that is refreshed incrementally.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use cityai_hotspot::{Hotspot, HotspotIndex, HotspotQuery, HotspotRequest, LinkRule};
use cityai_store::Store;

use crate::ServiceError;

/// The nice value of the threads that link new requests: they yield the processor to
/// request handlers, which run at the default of 0.
const BACKGROUND_NICE: i32 = 10;

/// Runs `work` on a new thread of lower scheduling priority, and the threads it starts at
/// that priority too, so that linking a burst of new requests does not delay the responses
/// to staff and citizens. Where the priority cannot be lowered, `work` runs as it is.
async fn run_in_background<T, F>(work: F) -> Result<T, ServiceError>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let (sender, receiver) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("cityai-linking".to_owned())
        .spawn(move || {
            lower_priority();
            // The receiver is gone only when the caller stopped waiting.
            let _ = sender.send(work());
        })
        .map_err(|err| ServiceError::Task(err.to_string()))?;
    receiver
        .await
        .map_err(|_| ServiceError::Task("the linking thread stopped".to_owned()))
}

/// Lowers the calling thread's priority to [`BACKGROUND_NICE`], unless it is lower
/// already. On Linux the nice value belongs to the thread, and threads it starts inherit it.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        let lowered = rustix::process::getpriority_process(None).and_then(|nice| {
            if nice < BACKGROUND_NICE {
                rustix::process::setpriority_process(None, BACKGROUND_NICE)
            } else {
                Ok(())
            }
        });
        if let Err(err) = lowered {
            tracing::debug!(error = %err, "could not lower the linking thread's priority");
        }
    }
}

/// Converts a stored row into the hot-spot crate's input.
fn hotspot_request(row: cityai_store::HotspotRow) -> HotspotRequest {
    HotspotRequest {
        id: row.id,
        title: row.title,
        body: row.body,
        submitted_at: Some(row.submitted_at),
        citizen_ref: row.citizen_ref,
        support_votes: row.support_votes,
        objection_votes: row.objection_votes,
    }
}

/// Finds the hottest groups of requests submitted in `[from, to]`, optionally only among one
/// department's requests, ranked by the heat index.
///
/// The clusters are recomputed from the stored requests on every call. For the whole store,
/// [`LiveHotspots::hotspots`] gives the same result from an index kept up to date.
///
/// # Errors
///
/// The store's errors, and [`ServiceError::Invalid`] for invalid parameters.
pub async fn hotspots(
    store: &Store,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    department: Option<&str>,
    top: usize,
) -> Result<(Vec<Hotspot>, usize), ServiceError> {
    let rows = store.hotspot_rows(from, to, department).await?;
    let count = rows.len();
    let requests: Vec<HotspotRequest> = rows.into_iter().map(hotspot_request).collect();
    let query = HotspotQuery {
        from,
        to,
        limit: top,
        ..HotspotQuery::default()
    };
    let spots = tokio::task::spawn_blocking(move || -> Result<Vec<Hotspot>, ServiceError> {
        let mut index = HotspotIndex::new(LinkRule::default())
            .map_err(|err| ServiceError::Invalid(err.to_string()))?;
        index
            .add_batch(requests)
            .map_err(|err| ServiceError::Invalid(err.to_string()))?;
        index
            .hotspots(&query)
            .map_err(|err| ServiceError::Invalid(err.to_string()))
    })
    .await
    .map_err(|err| ServiceError::Task(err.to_string()))??;
    Ok((spots, count))
}

/// A hot-spot index over every stored request, refreshed as requests arrive.
///
/// Each refresh adds the requests stored since the last one (those with a greater id) to
/// the index, so a read costs one query for new rows and the links of those rows only. The
/// hot-spot crate guarantees that adding requests in batches gives the same clusters as
/// adding them all at once, so the result equals a full recomputation. The index is built
/// from all stored requests on first use.
///
/// NOTE: the index relies on request ids growing with arrival and on stored requests not
/// changing their text, time or votes afterwards, which holds for intake and imports. A
/// change made to a stored request shows after [`LiveHotspots::reset`] or a restart.
#[derive(Debug, Default)]
pub struct LiveHotspots {
    state: tokio::sync::Mutex<LiveState>,
    /// Woken by intake, so that new requests are linked within seconds.
    arrivals: tokio::sync::Notify,
}

#[derive(Debug, Default)]
struct LiveState {
    /// `None` while cold: before the first refresh, or after a failed one. Shared with a
    /// ranking task while it runs.
    index: Option<Arc<HotspotIndex>>,
    /// The greatest request id in the index.
    last_id: i64,
    /// The last ranking and the `top` it was asked for. The ranking depends on the index
    /// alone (recency counts from the latest request in it), so it is valid until requests
    /// are added.
    ranked: Option<(usize, Vec<Hotspot>)>,
}

impl LiveHotspots {
    /// Tells the background refresh that a request arrived.
    pub fn notify_arrival(&self) {
        self.arrivals.notify_one();
    }

    /// Waits until intake reports an arrival.
    pub async fn arrival(&self) {
        self.arrivals.notified().await;
    }

    /// Adds the requests stored since the last refresh to the index, building it from every
    /// stored request when it is cold. Returns how many requests were added.
    ///
    /// When the index was warm, the duplicate links of the added requests are stored too, so
    /// that requests taken in one at a time are linked like imported ones.
    ///
    /// Calls wait for each other. The linking runs on the blocking thread pool.
    ///
    /// # Errors
    ///
    /// The store's errors. After a failure the index is cold and the next call rebuilds it.
    pub async fn refresh(&self, store: &Store) -> Result<usize, ServiceError> {
        let mut state = self.state.lock().await;
        Self::refresh_locked(&mut state, store).await
    }

    async fn refresh_locked(state: &mut LiveState, store: &Store) -> Result<usize, ServiceError> {
        let (index, after_id) = match state.index.take() {
            // No ranking task holds the index while the lock is held, so this never copies.
            Some(index) => (
                Arc::try_unwrap(index).unwrap_or_else(|shared| (*shared).clone()),
                state.last_id,
            ),
            None => (
                HotspotIndex::new(LinkRule::default())
                    .map_err(|err| ServiceError::Invalid(err.to_string()))?,
                0,
            ),
        };
        let rows = store.hotspot_rows_after(after_id).await?;
        let added = rows.len();
        let last_id = rows.last().map_or(after_id, |row| row.id);
        let requests: Vec<HotspotRequest> = rows.into_iter().map(hotspot_request).collect();
        let index = run_in_background(move || -> Result<HotspotIndex, ServiceError> {
            let mut index = index;
            if !requests.is_empty() {
                index
                    .add_batch(requests)
                    .map_err(|err| ServiceError::Invalid(err.to_string()))?;
            }
            Ok(index)
        })
        .await??;
        if after_id > 0 && added > 0 {
            // Every link the batch found involves a request of the batch.
            let links = stored_links(index.last_links());
            if !links.is_empty() {
                store.record_request_links(&links).await?;
            }
        }
        state.index = Some(Arc::new(index));
        state.last_id = last_id;
        if added > 0 {
            state.ranked = None;
        }
        Ok(added)
    }

    /// Refreshes the index and ranks the hot spots of every stored request, returning the
    /// `top` hottest and the number of requests considered.
    ///
    /// The result equals [`hotspots`] with no window and no department.
    ///
    /// # Errors
    ///
    /// As [`LiveHotspots::refresh`].
    pub async fn hotspots(
        &self,
        store: &Store,
        top: usize,
    ) -> Result<(Vec<Hotspot>, usize), ServiceError> {
        let mut state = self.state.lock().await;
        Self::refresh_locked(&mut state, store).await?;
        let Some(index) = state.index.clone() else {
            return Err(ServiceError::Task("the hot-spot index is cold".to_owned()));
        };
        let count = index.len();
        if let Some((ranked_top, spots)) = &state.ranked
            && *ranked_top >= top
        {
            return Ok((spots.iter().take(top).cloned().collect(), count));
        }
        let query = HotspotQuery {
            limit: top,
            ..HotspotQuery::default()
        };
        let spots = tokio::task::spawn_blocking(move || {
            index
                .hotspots(&query)
                .map_err(|err| ServiceError::Invalid(err.to_string()))
        })
        .await
        .map_err(|err| ServiceError::Task(err.to_string()))??;
        state.ranked = Some((top, spots.clone()));
        Ok((spots, count))
    }

    /// Returns the hot spot of the last ranking that contains request `id`, without waiting:
    /// `None` when the request is in none, when nothing is ranked yet, or while a refresh
    /// has the index locked.
    pub fn ranked_hotspot_of(&self, id: i64) -> Option<Hotspot> {
        let state = self.state.try_lock().ok()?;
        let (_, spots) = state.ranked.as_ref()?;
        spots
            .iter()
            .find(|spot| spot.request_ids.contains(&id))
            .cloned()
    }

    /// Drops the index, so that the next call rebuilds it from the store.
    pub async fn reset(&self) {
        *self.state.lock().await = LiveState::default();
    }
}

/// Finds the earlier requests that request `id` probably duplicates: the same problem at the
/// same place within the link rule's time gap, with the reason for each link. Links are shown
/// to staff and never merge requests.
///
/// # Errors
///
/// [`ServiceError::Store`] for an unknown request or a failed query.
pub async fn duplicates_of(
    store: &Store,
    id: i64,
    department: Option<&str>,
) -> Result<Vec<cityai_hotspot::DuplicateLink>, ServiceError> {
    let rule = LinkRule::default();
    let request = store
        .request(id)
        .await?
        .ok_or(cityai_store::StoreError::RequestNotFound(id))?;
    let at = request.submitted_at.unwrap_or(request.received_at);
    // The rule bounds the gap in days; a whole day more keeps every pair it could link.
    let gap = chrono::Duration::days(rule.max_gap_days.ceil() as i64 + 1);
    let rows = store
        .hotspot_rows(Some(at - gap), Some(at), department)
        .await?;
    let new = HotspotRequest {
        id,
        title: request.title,
        body: request.body,
        submitted_at: Some(at),
        citizen_ref: request.citizen_ref,
        support_votes: request.support_votes,
        objection_votes: request.objection_votes,
    };
    let recent: Vec<HotspotRequest> = rows
        .into_iter()
        .filter(|row| row.id != id)
        .map(hotspot_request)
        .collect();
    tokio::task::spawn_blocking(move || {
        cityai_hotspot::find_duplicates(&new, &recent, &rule)
            .map_err(|err| ServiceError::Invalid(err.to_string()))
    })
    .await
    .map_err(|err| ServiceError::Task(err.to_string()))?
}

/// The largest import whose requests are linked on intake.
pub const MAX_LINKED_IMPORT: usize = 20_000;

/// Links the requests of one import to the earlier requests they probably repeat, and to
/// each other, and stores the links. Returns how many links were added.
///
/// Every request submitted up to the link rule's time gap before the earliest new one is
/// compared, in one pass of the hot-spot index. Imports of more than [`MAX_LINKED_IMPORT`]
/// requests are not linked.
///
/// NOTE: the pass rebuilds the index over the whole window for every import. That suits a
/// city of thousands of requests a day, but far beyond that a persistent index is needed.
///
/// # Errors
///
/// The store's errors.
pub async fn link_import(store: &Store, batch_id: i64) -> Result<usize, ServiceError> {
    let new_ids: std::collections::HashSet<i64> = store
        .request_ids_of_import(batch_id)
        .await?
        .into_iter()
        .collect();
    if new_ids.is_empty() {
        return Ok(0);
    }
    if new_ids.len() > MAX_LINKED_IMPORT {
        // A load of history this large is not intake; linking it would compare many near
        // copies pairwise. `cityai hotspots` still groups it.
        tracing::info!(
            requests = new_ids.len(),
            limit = MAX_LINKED_IMPORT,
            "import too large to link duplicates on intake; skipped"
        );
        return Ok(0);
    }
    let rule = LinkRule::default();
    let all = store.hotspot_rows(None, None, None).await?;
    let earliest_new = all
        .iter()
        .filter(|row| new_ids.contains(&row.id))
        .map(|row| row.submitted_at)
        .min();
    let Some(earliest_new) = earliest_new else {
        return Ok(0);
    };
    let window_start = earliest_new - chrono::Duration::days(rule.max_gap_days.ceil() as i64 + 1);
    let requests: Vec<HotspotRequest> = all
        .into_iter()
        .filter(|row| row.submitted_at >= window_start)
        .map(hotspot_request)
        .collect();
    let links = tokio::task::spawn_blocking(
        move || -> Result<Vec<cityai_store::RequestLink>, ServiceError> {
            let mut index =
                HotspotIndex::new(rule).map_err(|err| ServiceError::Invalid(err.to_string()))?;
            index
                .add_batch(requests)
                .map_err(|err| ServiceError::Invalid(err.to_string()))?;
            Ok(stored_links(index.last_links().iter().filter(|link| {
                new_ids.contains(&link.id) || new_ids.contains(&link.other_id)
            })))
        },
    )
    .await
    .map_err(|err| ServiceError::Task(err.to_string()))??;
    Ok(store.record_request_links(&links).await?)
}

/// The maximum number of links stored for one request to the earlier requests it repeats.
///
/// A problem reported hundreds of times would otherwise store a link from each report to
/// every earlier one, a number that grows with the square of the reports. The hot-spot
/// index still groups all of them; the stored links only show staff which earlier requests
/// a new one repeats.
pub const MAX_STORED_LINKS: usize = 10;

/// Converts `links` to their stored form, keeping at most [`MAX_STORED_LINKS`] for each
/// later request: the link to the earliest request it repeats, then the links with the most
/// similar wording, the more recent request first among equals.
fn stored_links<'a>(
    links: impl IntoIterator<Item = &'a cityai_hotspot::DuplicateLink>,
) -> Vec<cityai_store::RequestLink> {
    let mut by_request: std::collections::BTreeMap<i64, Vec<&cityai_hotspot::DuplicateLink>> =
        std::collections::BTreeMap::new();
    for link in links {
        by_request
            .entry(link.id.max(link.other_id))
            .or_default()
            .push(link);
    }
    let mut stored = Vec::new();
    for (_, mut group) in by_request {
        if group.len() > MAX_STORED_LINKS {
            let earliest = (0..group.len())
                .min_by_key(|&i| group[i].id.min(group[i].other_id))
                .unwrap_or(0);
            group.swap(0, earliest);
            group[1..].sort_by(|a, b| {
                b.text_similarity
                    .total_cmp(&a.text_similarity)
                    .then_with(|| b.id.min(b.other_id).cmp(&a.id.min(a.other_id)))
            });
            group.truncate(MAX_STORED_LINKS);
        }
        stored.extend(group.into_iter().map(stored_link));
    }
    stored
}

/// The stored form of a link: the request stored later links to the one stored earlier.
fn stored_link(link: &cityai_hotspot::DuplicateLink) -> cityai_store::RequestLink {
    let (request_id, other_id) = if link.id > link.other_id {
        (link.id, link.other_id)
    } else {
        (link.other_id, link.id)
    };
    cityai_store::RequestLink {
        request_id,
        other_id,
        reason: serde_json::to_value(link.reason)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        detail: serde_json::to_string(link).unwrap_or_default(),
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[tokio::test]
    async fn linking_threads_run_at_lower_priority() {
        let own = rustix::process::getpriority_process(None).unwrap();
        let (linking, started) = run_in_background(|| {
            let linking = rustix::process::getpriority_process(None).unwrap();
            // Threads that the linking thread starts inherit its priority.
            let started = std::thread::spawn(|| rustix::process::getpriority_process(None))
                .join()
                .unwrap()
                .unwrap();
            (linking, started)
        })
        .await
        .unwrap();
        assert_eq!(linking, BACKGROUND_NICE.max(own));
        assert_eq!(started, linking);
        assert_eq!(
            rustix::process::getpriority_process(None).unwrap(),
            own,
            "the caller's priority is unchanged"
        );
    }
}
