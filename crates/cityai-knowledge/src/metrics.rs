//! Retrieval evaluation: recall@k and mean reciprocal rank over queries with one expected
//! source each.
//!
//! Hits are chunks, but a query is answered by a source, so rankings are deduplicated by
//! source id (keeping each source's best rank) before they are scored.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::KnowledgeError;
use crate::index::{KnowledgeIndex, SearchHit, SearchOptions};

/// A query and the id of the source that answers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvalQuery {
    /// The query text.
    pub query: String,
    /// The [`crate::Source::id`] a correct hit belongs to.
    pub expected_source_id: String,
}

/// Retrieval quality over a set of queries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RetrievalEvaluation {
    /// The number of queries.
    pub queries: usize,
    /// The share of queries whose expected source ranks first.
    pub recall_at_1: f64,
    /// The share of queries whose expected source is among the first 5 sources.
    pub recall_at_5: f64,
    /// The share of queries whose expected source is among the first 10 sources.
    pub recall_at_10: f64,
    /// The mean over queries of 1 / rank of the expected source, counting 0 when it was not
    /// retrieved.
    pub mrr: f64,
    /// For each query, in input order, the rank (from 1) of its expected source, if retrieved.
    pub ranks: Vec<Option<usize>>,
}

impl RetrievalEvaluation {
    /// Computes the measures from the rank of each query's expected source.
    pub fn from_ranks(ranks: Vec<Option<usize>>) -> Self {
        let queries = ranks.len();
        let share = |hits: usize| {
            if queries == 0 {
                0.0
            } else {
                hits as f64 / queries as f64
            }
        };
        let within = |k: usize| {
            ranks
                .iter()
                .filter(|rank| rank.is_some_and(|r| r <= k))
                .count()
        };
        let reciprocal_sum: f64 = ranks.iter().flatten().map(|&rank| 1.0 / rank as f64).sum();
        Self {
            queries,
            recall_at_1: share(within(1)),
            recall_at_5: share(within(5)),
            recall_at_10: share(within(10)),
            mrr: if queries == 0 {
                0.0
            } else {
                reciprocal_sum / queries as f64
            },
            ranks,
        }
    }
}

/// Returns the source ids of the hits in rank order, each once.
pub fn dedupe_sources(hits: &[SearchHit]) -> Vec<String> {
    let mut seen = HashSet::new();
    hits.iter()
        .map(|hit| hit.chunk.source.id.clone())
        .filter(|id| seen.insert(id.clone()))
        .collect()
}

/// Returns the rank (from 1) of `expected` in a list of source ids.
pub fn rank_of(ranked_sources: &[String], expected: &str) -> Option<usize> {
    ranked_sources
        .iter()
        .position(|id| id == expected)
        .map(|position| position + 1)
}

impl KnowledgeIndex {
    /// Runs every query and measures where its expected source ranks.
    ///
    /// Each query retrieves `options.limit` chunks (use well over 10, e.g. 50, so that ten
    /// distinct sources remain after deduplication); explanations are skipped.
    ///
    /// # Errors
    ///
    /// As for [`KnowledgeIndex::search`].
    pub fn evaluate(
        &self,
        queries: &[EvalQuery],
        options: &SearchOptions,
    ) -> Result<RetrievalEvaluation, KnowledgeError> {
        let options = SearchOptions {
            explain: false,
            ..options.clone()
        };
        let mut ranks = Vec::with_capacity(queries.len());
        for query in queries {
            let results = self.search(&query.query, &options)?;
            let sources = dedupe_sources(&results.hits);
            ranks.push(rank_of(&sources, &query.expected_source_id));
        }
        Ok(RetrievalEvaluation::from_ranks(ranks))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_from_ranks() {
        let evaluation = RetrievalEvaluation::from_ranks(vec![Some(1), Some(2), Some(7), None]);
        assert_eq!(evaluation.queries, 4);
        assert!((evaluation.recall_at_1 - 0.25).abs() < 1e-12);
        assert!((evaluation.recall_at_5 - 0.5).abs() < 1e-12);
        assert!((evaluation.recall_at_10 - 0.75).abs() < 1e-12);
        let mrr = (1.0 + 0.5 + 1.0 / 7.0) / 4.0;
        assert!((evaluation.mrr - mrr).abs() < 1e-12);
    }

    #[test]
    fn no_queries_measure_zero() {
        let evaluation = RetrievalEvaluation::from_ranks(Vec::new());
        assert_eq!(evaluation.mrr, 0.0);
        assert_eq!(evaluation.recall_at_10, 0.0);
    }

    #[test]
    fn rank_counts_sources_not_chunks() {
        let sources = vec!["a".to_owned(), "b".to_owned(), "c".to_owned()];
        assert_eq!(rank_of(&sources, "c"), Some(3));
        assert_eq!(rank_of(&sources, "d"), None);
    }
}
