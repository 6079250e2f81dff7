//! Intake of live requests: every channel that takes requests one at a time (the web form,
//! the hotline, Open311 clients, the reception assistant) stores and routes them here.
//!
//! One transaction stores the request with its personal data masked and its public token,
//! and applies the router's decision, so a request is never left stored but unrouted by a
//! crash. Duplicate linking follows within seconds in the background: see
//! [`crate::hotspots::LiveHotspots::refresh`].

use std::sync::{Arc, RwLock};

use cityai_core::{CategoryPath, Channel, NewRequest, RequestStatus};
use cityai_routing::HierarchicalRouter;
use cityai_store::{RoutingDecision, Store};
use serde::Serialize;

use crate::ServiceError;
use crate::routing::decide;

/// The maximum length of a request text, in characters.
pub const MAX_BODY_CHARS: usize = 10_000;

/// The maximum length of a title, in characters.
pub const MAX_TITLE_CHARS: usize = 200;

/// The router that routes live requests, kept in memory and swapped when a newer model
/// becomes active.
#[derive(Debug, Default)]
pub struct LiveRouter {
    current: RwLock<Option<Arc<HierarchicalRouter>>>,
}

impl LiveRouter {
    /// Returns the router in use, or `None` before the first training.
    pub fn get(&self) -> Option<Arc<HierarchicalRouter>> {
        self.current
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Returns the version of the router in use.
    pub fn version(&self) -> Option<String> {
        self.get()
            .map(|router| router.first_level().meta.version.clone())
    }

    /// Puts `router` in use.
    pub fn set(&self, router: HierarchicalRouter) {
        *self
            .current
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Arc::new(router));
    }

    /// Loads the active model from the store when its version differs from the one in use.
    /// Returns whether the router changed.
    ///
    /// # Errors
    ///
    /// As [`crate::routing::active_model`].
    pub async fn reload_if_changed(&self, store: &Store) -> Result<bool, ServiceError> {
        let active = store.active_routing_version().await?;
        if active.is_none() || active == self.version() {
            return Ok(false);
        }
        match crate::routing::active_model(store).await? {
            Some(router) => {
                tracing::info!(version = %router.first_level().meta.version, "routing model loaded for intake");
                self.set(router);
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

/// A request as a live channel hands it in.
#[derive(Debug, Clone)]
pub struct Submission {
    pub channel: Channel,
    pub title: Option<String>,
    pub body: String,
    /// A pseudonymous reference to the citizen (account, caller reference), never a name.
    pub citizen_ref: Option<String>,
    pub place_text: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// The client's own id for the request, which makes a resubmission return the stored
    /// request instead of a second copy.
    pub external_id: Option<String>,
    /// The category the client chose, such as an Open311 service. It weighs as the router's
    /// prior (see [`weigh_requested`]) and is kept with the routing decision for the staff
    /// who check it in triage.
    pub requested_category: Option<CategoryPath>,
}

impl Submission {
    /// Returns a submission with only a channel and text.
    pub fn new(channel: Channel, body: impl Into<String>) -> Self {
        Submission {
            channel,
            title: None,
            body: body.into(),
            citizen_ref: None,
            place_text: None,
            latitude: None,
            longitude: None,
            external_id: None,
            requested_category: None,
        }
    }
}

/// A fault in a submission, named so that clients can show the fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubmissionError {
    #[error("the request text is empty: describe the problem, the place and the time")]
    EmptyBody,
    #[error(
        "the request text has {0} characters, more than the {MAX_BODY_CHARS} allowed: shorten it"
    )]
    BodyTooLong(usize),
    #[error("the title has {0} characters, more than the {MAX_TITLE_CHARS} allowed: shorten it")]
    TitleTooLong(usize),
    #[error("latitude {0} is outside -90..90")]
    Latitude(String),
    #[error("longitude {0} is outside -180..180")]
    Longitude(String),
    #[error("latitude and longitude come together: send both or neither")]
    HalfCoordinates,
}

impl Submission {
    /// Checks the submission's fields.
    ///
    /// # Errors
    ///
    /// The first fault found.
    pub fn validate(&self) -> Result<(), SubmissionError> {
        if self.body.trim().is_empty() {
            return Err(SubmissionError::EmptyBody);
        }
        let body_chars = self.body.chars().count();
        if body_chars > MAX_BODY_CHARS {
            return Err(SubmissionError::BodyTooLong(body_chars));
        }
        if let Some(title) = &self.title {
            let chars = title.chars().count();
            if chars > MAX_TITLE_CHARS {
                return Err(SubmissionError::TitleTooLong(chars));
            }
        }
        if self.latitude.is_some() != self.longitude.is_some() {
            return Err(SubmissionError::HalfCoordinates);
        }
        if let Some(lat) = self.latitude
            && !(lat.is_finite() && (-90.0..=90.0).contains(&lat))
        {
            return Err(SubmissionError::Latitude(lat.to_string()));
        }
        if let Some(long) = self.longitude
            && !(long.is_finite() && (-180.0..=180.0).contains(&long))
        {
            return Err(SubmissionError::Longitude(long.to_string()));
        }
        Ok(())
    }
}

/// Weighs the category the client chose against the router's decision.
///
/// When both agree on the first level, the request takes the client's category, because it
/// names the service more exactly than the router's deeper levels. The router's category
/// stays when it lies below the client's. The router's confidence and auto-assignment stand.
/// When they disagree, the client's category is kept, but the request goes to triage
/// whatever the router's confidence, so that a person settles it. The details record the
/// client's category, whether the two agreed and the router's own category.
pub fn weigh_requested(decision: &mut RoutingDecision, requested: &CategoryPath) {
    let routed = decision.category.clone();
    let agrees = routed.top() == requested.top();
    if !(agrees && routed.self_and_ancestors().any(|level| &level == requested)) {
        decision.category = requested.clone();
    }
    if !agrees {
        decision.auto_assign = false;
    }
    if let Ok(mut details) = serde_json::from_str::<serde_json::Value>(&decision.details_json) {
        details["requested"] = serde_json::Value::String(requested.to_string());
        details["requested_agrees"] = serde_json::Value::Bool(agrees);
        details["routed"] = serde_json::Value::String(routed.to_string());
        decision.details_json = details.to_string();
    }
}

/// The outcome of intake for one submission.
#[derive(Debug, Clone, Serialize)]
pub struct Receipt {
    pub id: i64,
    /// The token the citizen or client follows the request with. `None` only when the
    /// submission repeated a stored request that predates tokens.
    pub token: Option<String>,
    pub status: RequestStatus,
    /// The routed (or already final) category.
    pub category: Option<CategoryPath>,
    pub department_code: Option<String>,
    /// The router's confidence in the first-level category.
    pub confidence: Option<f64>,
    pub model_version: Option<String>,
    /// The submission repeated a request already stored (same client id).
    pub existing: bool,
}

/// Stores `submission`, routes it with `router` when one is in use, and returns the receipt.
///
/// While the register's gate of automatic routing is closed, the request goes to triage.
///
/// # Errors
///
/// [`ServiceError::Invalid`] for a submission that fails [`Submission::validate`], and the
/// store's errors; nothing is stored then.
pub async fn submit(
    store: &Store,
    router: Option<&HierarchicalRouter>,
    submission: Submission,
) -> Result<Receipt, ServiceError> {
    submission
        .validate()
        .map_err(|err| ServiceError::Invalid(err.to_string()))?;
    let request = NewRequest {
        external_id: submission.external_id,
        channel: submission.channel,
        title: submission
            .title
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty()),
        body: submission.body.trim().to_owned(),
        submitted_at: None,
        // A reference is meant to be a pseudonym; personal data typed into it is masked.
        citizen_ref: submission
            .citizen_ref
            .map(|reference| cityai_text::pii::mask_text(reference.trim()))
            .filter(|reference| !reference.is_empty()),
        place_text: submission.place_text,
        latitude: submission.latitude,
        longitude: submission.longitude,
        category: None,
        support_votes: None,
        objection_votes: None,
        reply: None,
    };
    let requested_category = submission.requested_category;
    let token = hex::encode(crate::auth::random_bytes::<16>());
    let closed = match router {
        Some(_) => crate::register::feature_gate(store, crate::register::ROUTING).await?,
        None => None,
    };
    let intake = store
        .insert_live_request(&request, &token, |title, body| {
            let mut decision = router.and_then(|router| decide(router, 0, title, body))?;
            if let Some(reason) = &closed {
                crate::register::hold_for_triage(&mut decision, reason);
            }
            if let Some(requested) = &requested_category {
                weigh_requested(&mut decision, requested);
            }
            Some(decision)
        })
        .await?;
    // A new request's placement comes back from the write; a repeated one is read.
    let placed = match intake.placed.clone() {
        Some(placed) => placed,
        None => {
            let stored = store
                .request(intake.id)
                .await?
                .ok_or(cityai_store::StoreError::RequestNotFound(intake.id))?;
            cityai_store::Placement {
                status: stored.status,
                category: stored.category,
                department: stored.department,
            }
        }
    };
    let token = if intake.existing {
        store.public_token(intake.id).await?
    } else {
        Some(token)
    };
    Ok(Receipt {
        id: intake.id,
        token,
        status: placed.status,
        category: placed.category,
        department_code: placed.department,
        confidence: intake.decision.as_ref().map(|d| d.confidence),
        model_version: intake.decision.map(|d| d.model_version),
        existing: intake.existing,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decision(category: &str, auto_assign: bool) -> RoutingDecision {
        RoutingDecision {
            request_id: 0,
            model_version: "v1".into(),
            category: CategoryPath::parse(category).unwrap(),
            confidence: 0.95,
            auto_assign,
            details_json: "{}".into(),
        }
    }

    fn details(decision: &RoutingDecision) -> serde_json::Value {
        serde_json::from_str(&decision.details_json).unwrap()
    }

    fn path(text: &str) -> CategoryPath {
        CategoryPath::parse(text).unwrap()
    }

    #[test]
    fn agreeing_choice_names_the_service() {
        let mut routed = decision("城乡建设/住房保障", true);
        weigh_requested(&mut routed, &path("城乡建设/市政设施/路灯照明"));
        assert_eq!(routed.category.to_string(), "城乡建设/市政设施/路灯照明");
        assert!(routed.auto_assign);
        assert_eq!(details(&routed)["requested_agrees"], true);
        assert_eq!(details(&routed)["routed"], "城乡建设/住房保障");
    }

    #[test]
    fn deeper_routing_under_the_choice_stays() {
        let mut routed = decision("城乡建设/市政设施/路灯照明", true);
        weigh_requested(&mut routed, &path("城乡建设"));
        assert_eq!(routed.category.to_string(), "城乡建设/市政设施/路灯照明");
        assert!(routed.auto_assign);
    }

    #[test]
    fn disagreement_goes_to_a_person() {
        let mut routed = decision("交通运输/道路管理", true);
        weigh_requested(&mut routed, &path("城乡建设/市政设施/路灯照明"));
        assert_eq!(routed.category.to_string(), "城乡建设/市政设施/路灯照明");
        assert!(!routed.auto_assign);
        let details = details(&routed);
        assert_eq!(details["requested"], "城乡建设/市政设施/路灯照明");
        assert_eq!(details["requested_agrees"], false);
        assert_eq!(details["routed"], "交通运输/道路管理");
    }
}
