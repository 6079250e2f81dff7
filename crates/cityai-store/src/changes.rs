//! Change notices between the nodes that share one PostgreSQL database.
//!
//! A node keeps some state in memory (the routing model for intake, the hot-spot index), and
//! those follow changes that other nodes write. On PostgreSQL every write that such state
//! depends on sends a notice on the channel [`CHANGES_CHANNEL`] inside its transaction, so
//! the notice arrives with the commit, and [`Store::listen_changes`] delivers them.
//! Listeners still poll on a timer as well, because a notice sent while a listener
//! reconnects is lost.
//!
//! SQLite has no notices: there one process serves, and the timers alone pick up what
//! command-line processes write.

use sqlx::AnyConnection;

use crate::{Backend, Result, Store};

/// The PostgreSQL notification channel of CityAI's change notices.
pub const CHANGES_CHANNEL: &str = "cityai_changes";

/// What changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Requests were stored (live intake or an import).
    Requests,
    /// A routing model became active.
    RoutingModel,
}

impl Change {
    fn as_payload(self) -> &'static str {
        match self {
            Change::Requests => "requests",
            Change::RoutingModel => "routing_model",
        }
    }

    fn from_payload(payload: &str) -> Option<Self> {
        match payload {
            "requests" => Some(Change::Requests),
            "routing_model" => Some(Change::RoutingModel),
            _ => None,
        }
    }
}

/// Sends `change` inside the caller's transaction on PostgreSQL, so that it reaches the
/// other nodes when the transaction commits; does nothing on SQLite.
pub(crate) async fn announce(
    conn: &mut AnyConnection,
    backend: Backend,
    change: Change,
) -> Result<()> {
    if backend == Backend::Postgres {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANGES_CHANNEL)
            .bind(change.as_payload())
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// A subscription to the change notices of all nodes.
pub struct ChangeListener {
    listener: sqlx::postgres::PgListener,
}

impl std::fmt::Debug for ChangeListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChangeListener").finish_non_exhaustive()
    }
}

impl ChangeListener {
    /// Waits for the next change notice.
    ///
    /// After a lost connection the listener reconnects by itself, and notices sent in
    /// between are lost.
    ///
    /// # Errors
    ///
    /// [`crate::StoreError::Database`] when reconnecting fails.
    pub async fn next(&mut self) -> Result<Change> {
        loop {
            let notification = self.listener.recv().await?;
            if let Some(change) = Change::from_payload(notification.payload()) {
                return Ok(change);
            }
            tracing::debug!(
                payload = notification.payload(),
                "ignored an unknown change notice"
            );
        }
    }
}

impl Store {
    /// Subscribes to the change notices of every node on the same PostgreSQL database, or
    /// returns `None` on SQLite, which has none.
    ///
    /// # Errors
    ///
    /// [`crate::StoreError::Database`] when the listening connection cannot be opened.
    pub async fn listen_changes(&self) -> Result<Option<ChangeListener>> {
        let Some(url) = &self.postgres_url else {
            return Ok(None);
        };
        let mut listener = sqlx::postgres::PgListener::connect(url.expose()).await?;
        listener.listen(CHANGES_CHANNEL).await?;
        Ok(Some(ChangeListener { listener }))
    }
}
