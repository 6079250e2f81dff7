//! Who may call which route: one row per route, and everything else is denied.
//!
//! The access middleware looks each request up here by its method and matched route
//! pattern. A route that has no row answers 403 to everyone, so a new route stays closed
//! until someone decides who may use it.

use cityai_core::Role;

/// The HTTP methods that rows distinguish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Get,
    Post,
    /// Any method, for catch-all routes that only answer "not found".
    Any,
}

/// Who may use a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Everyone, signed in or not.
    Public,
    /// Anyone signed in, whatever the role.
    SignedIn,
    /// Signed-in users with one of these roles.
    Roles(&'static [Role]),
}

impl Access {
    /// Returns whether `role` passes; `None` is a visitor who has not signed in.
    pub fn admits(self, role: Option<Role>) -> bool {
        match self {
            Access::Public => true,
            Access::SignedIn => role.is_some(),
            Access::Roles(roles) => role.is_some_and(|role| roles.contains(&role)),
        }
    }
}

/// One row of the route table.
#[derive(Debug, Clone, Copy)]
pub struct RoutePolicy {
    pub verb: Verb,
    /// The route pattern exactly as the router registers it.
    pub path: &'static str,
    pub access: Access,
}

/// Staff who read requests. Auditors read them with personal data masked, like everyone
/// without [`Role::may_view_unmasked`].
const STAFF_READ: &[Role] = &[
    Role::Operator,
    Role::Handler,
    Role::Reviewer,
    Role::Admin,
    Role::Auditor,
];

/// Staff who confirm or correct routing. Handlers only for their own department.
const ROUTING_STAFF: &[Role] = &[Role::Operator, Role::Handler, Role::Reviewer];

/// Staff who may see a request's personal data unmasked; every such view is audited.
const UNMASK: &[Role] = &[Role::Operator, Role::Handler];

/// Who takes requests in through the JSON API: citizens their own, operators for callers.
const INTAKE: &[Role] = &[Role::Citizen, Role::Operator];

/// Staff who take over conversations the reception assistant handed off.
const HANDOFF_READ: &[Role] = &[Role::Operator, Role::Admin];

const AUDIT_READ: &[Role] = &[Role::Auditor, Role::Admin];

/// Staff who draft, edit and approve replies. Handlers only for their own department.
const REPLY_STAFF: &[Role] = &[Role::Handler, Role::Reviewer];

/// Roles that read the AI framework. The AI office keeps it, and administrators, reviewers
/// (the ethics committee's staff) and auditors read it.
const FRAMEWORK_READ: &[Role] = &[Role::AiOffice, Role::Admin, Role::Reviewer, Role::Auditor];

/// Roles that read education programmes and coverage, handlers for their own department.
const EDUCATION_READ: &[Role] = &[
    Role::AiOffice,
    Role::Admin,
    Role::Reviewer,
    Role::Auditor,
    Role::Handler,
];

/// Roles that read the framework overview: every member of staff.
const FRAMEWORK_OVERVIEW: &[Role] = &[
    Role::Operator,
    Role::Handler,
    Role::Reviewer,
    Role::Admin,
    Role::Auditor,
    Role::AiOffice,
];

/// Roles that write the inventory, programmes, ROI scenarios and the roadmap.
const FRAMEWORK_WRITE: &[Role] = &[Role::AiOffice];
/// Staff who read the AI register: reviewers, admins, auditors and the AI office.
const REGISTER_READ: &[Role] = &[Role::Reviewer, Role::Admin, Role::Auditor, Role::AiOffice];

/// Staff who keep the AI register. Committee decisions are recorded by them on the
/// committee's behalf.
const REGISTER_WRITE: &[Role] = &[Role::AiOffice];

const fn row(verb: Verb, path: &'static str, access: Access) -> RoutePolicy {
    RoutePolicy { verb, path, access }
}

/// Every route of the server and who may use it.
pub const ROUTES: &[RoutePolicy] = &[
    row(Verb::Get, "/", Access::Public),
    row(Verb::Get, "/login", Access::Public),
    row(Verb::Post, "/login", Access::Public),
    row(Verb::Post, "/logout", Access::SignedIn),
    row(Verb::Get, "/healthz", Access::Public),
    row(Verb::Get, "/metrics", Access::Public),
    row(Verb::Get, "/readyz", Access::Public),
    row(Verb::Get, "/static/console.css", Access::Public),
    row(Verb::Get, "/static/console.js", Access::Public),
    row(Verb::Get, "/dashboard", Access::Roles(STAFF_READ)),
    row(Verb::Get, "/requests", Access::Roles(STAFF_READ)),
    row(Verb::Get, "/requests/{id}", Access::Roles(STAFF_READ)),
    row(
        Verb::Post,
        "/requests/{id}/reply/draft",
        Access::Roles(REPLY_STAFF),
    ),
    row(
        Verb::Post,
        "/requests/{id}/reply",
        Access::Roles(REPLY_STAFF),
    ),
    row(Verb::Get, "/triage", Access::Roles(ROUTING_STAFF)),
    row(Verb::Post, "/triage/{id}", Access::Roles(ROUTING_STAFF)),
    row(Verb::Get, "/knowledge", Access::Roles(STAFF_READ)),
    row(Verb::Get, "/audit", Access::Roles(AUDIT_READ)),
    row(Verb::Get, "/hotspots", Access::Roles(STAFF_READ)),
    row(Verb::Get, "/api/v1/hotspots", Access::Roles(STAFF_READ)),
    row(Verb::Get, "/api/v1/me", Access::SignedIn),
    // Citizens and visitors search too, but see only general sources and no past replies.
    row(Verb::Get, "/api/v1/knowledge/search", Access::Public),
    row(Verb::Get, "/api/v1/requests", Access::Roles(STAFF_READ)),
    row(Verb::Post, "/api/v1/requests", Access::Roles(INTAKE)),
    row(
        Verb::Get,
        "/api/v1/requests/{id}/timeline",
        Access::Roles(STAFF_READ),
    ),
    row(
        Verb::Get,
        "/api/v1/requests/{id}/routing",
        Access::Roles(STAFF_READ),
    ),
    row(
        Verb::Get,
        "/api/v1/requests/{id}/reply",
        Access::Roles(STAFF_READ),
    ),
    row(
        Verb::Post,
        "/api/v1/requests/{id}/reply",
        Access::Roles(REPLY_STAFF),
    ),
    row(
        Verb::Post,
        "/api/v1/requests/{id}/reply/draft",
        Access::Roles(REPLY_STAFF),
    ),
    row(
        Verb::Get,
        "/api/v1/triage/next",
        Access::Roles(ROUTING_STAFF),
    ),
    row(Verb::Get, "/api/v1/dashboard", Access::Roles(STAFF_READ)),
    row(Verb::Get, "/api/v1/openapi.json", Access::Public),
    row(Verb::Get, "/api/v1/status/{token}", Access::Public),
    row(Verb::Get, "/reception", Access::Public),
    row(Verb::Post, "/reception", Access::Public),
    row(Verb::Post, "/api/v1/reception", Access::Public),
    row(
        Verb::Get,
        "/api/v1/reception/handoffs",
        Access::Roles(HANDOFF_READ),
    ),
    row(
        Verb::Get,
        "/api/v1/requests/{id}",
        Access::Roles(STAFF_READ),
    ),
    row(
        Verb::Get,
        "/api/v1/requests/{id}/duplicates",
        Access::Roles(STAFF_READ),
    ),
    row(
        Verb::Get,
        "/api/v1/requests/{id}/similar-replies",
        Access::Roles(STAFF_READ),
    ),
    row(
        Verb::Get,
        "/api/v1/requests/{id}/unmasked",
        Access::Roles(UNMASK),
    ),
    row(
        Verb::Post,
        "/api/v1/requests/{id}/routing/confirm",
        Access::Roles(ROUTING_STAFF),
    ),
    row(
        Verb::Post,
        "/api/v1/requests/{id}/routing/correct",
        Access::Roles(ROUTING_STAFF),
    ),
    row(
        Verb::Post,
        "/api/v1/replies/quality",
        Access::Roles(REPLY_STAFF),
    ),
    row(Verb::Get, "/api/v1/audit", Access::Roles(AUDIT_READ)),
    row(Verb::Get, "/api/v1/audit/verify", Access::Roles(AUDIT_READ)),
    row(Verb::Get, "/register", Access::Roles(REGISTER_READ)),
    row(Verb::Get, "/register/{code}", Access::Roles(REGISTER_READ)),
    row(
        Verb::Post,
        "/register/{code}/stage",
        Access::Roles(REGISTER_WRITE),
    ),
    row(
        Verb::Post,
        "/register/{code}/monitoring",
        Access::Roles(REGISTER_WRITE),
    ),
    row(
        Verb::Post,
        "/register/feedback/{id}",
        Access::Roles(REGISTER_WRITE),
    ),
    // The public register and its feedback form (double-submit CSRF, like the reception).
    row(Verb::Get, "/ai-register", Access::Public),
    row(Verb::Get, "/ai-register/{code}", Access::Public),
    row(Verb::Post, "/ai-register/{code}/feedback", Access::Public),
    row(
        Verb::Get,
        "/api/v1/register/applications",
        Access::Roles(REGISTER_READ),
    ),
    row(
        Verb::Post,
        "/api/v1/register/applications",
        Access::Roles(REGISTER_WRITE),
    ),
    row(
        Verb::Get,
        "/api/v1/register/applications/{code}",
        Access::Roles(REGISTER_READ),
    ),
    row(
        Verb::Post,
        "/api/v1/register/applications/{code}",
        Access::Roles(REGISTER_WRITE),
    ),
    row(
        Verb::Post,
        "/api/v1/register/applications/{code}/stage",
        Access::Roles(REGISTER_WRITE),
    ),
    row(
        Verb::Post,
        "/api/v1/register/applications/{code}/scores",
        Access::Roles(REGISTER_WRITE),
    ),
    row(
        Verb::Post,
        "/api/v1/register/applications/{code}/reviews",
        Access::Roles(REGISTER_WRITE),
    ),
    row(
        Verb::Post,
        "/api/v1/register/applications/{code}/funds",
        Access::Roles(REGISTER_WRITE),
    ),
    row(
        Verb::Post,
        "/api/v1/register/applications/{code}/monitoring",
        Access::Roles(REGISTER_WRITE),
    ),
    row(
        Verb::Post,
        "/api/v1/register/applications/{code}/participants",
        Access::Roles(REGISTER_WRITE),
    ),
    row(
        Verb::Post,
        "/api/v1/register/reviews/{id}/decision",
        Access::Roles(REGISTER_WRITE),
    ),
    row(
        Verb::Get,
        "/api/v1/register/reviews/due",
        Access::Roles(REGISTER_READ),
    ),
    row(
        Verb::Get,
        "/api/v1/register/ranking",
        Access::Roles(REGISTER_READ),
    ),
    row(
        Verb::Get,
        "/api/v1/register/lists/{year}",
        Access::Roles(REGISTER_READ),
    ),
    row(
        Verb::Post,
        "/api/v1/register/lists/{year}",
        Access::Roles(REGISTER_WRITE),
    ),
    row(
        Verb::Get,
        "/api/v1/register/committee",
        Access::Roles(REGISTER_READ),
    ),
    row(
        Verb::Post,
        "/api/v1/register/committee",
        Access::Roles(REGISTER_WRITE),
    ),
    row(
        Verb::Post,
        "/api/v1/register/committee/{id}/conflicts",
        Access::Roles(REGISTER_WRITE),
    ),
    row(
        Verb::Get,
        "/api/v1/register/organisations",
        Access::Roles(REGISTER_READ),
    ),
    row(
        Verb::Post,
        "/api/v1/register/organisations",
        Access::Roles(REGISTER_WRITE),
    ),
    row(
        Verb::Get,
        "/api/v1/register/criteria",
        Access::Roles(REGISTER_READ),
    ),
    row(
        Verb::Post,
        "/api/v1/register/criteria",
        Access::Roles(REGISTER_WRITE),
    ),
    row(
        Verb::Post,
        "/api/v1/register/categories",
        Access::Roles(REGISTER_WRITE),
    ),
    // Unmoderated feedback may still hold text that moderation rejects.
    row(
        Verb::Get,
        "/api/v1/register/feedback",
        Access::Roles(REGISTER_WRITE),
    ),
    row(
        Verb::Post,
        "/api/v1/register/feedback/{id}",
        Access::Roles(REGISTER_WRITE),
    ),
    row(
        Verb::Get,
        "/api/v1/register/export/{format}",
        Access::Roles(REGISTER_READ),
    ),
    // Open311 GeoReport v2: reading is public as the standard has it. POST checks the
    // standard's api_key in the handler (citizens and operators), and needs no CSRF token
    // because it never acts on a session cookie.
    row(Verb::Get, "/open311/v2/{file}", Access::Public),
    row(Verb::Post, "/open311/v2/{file}", Access::Public),
    row(Verb::Get, "/open311/v2/services/{file}", Access::Public),
    row(Verb::Get, "/open311/v2/requests/{file}", Access::Public),
    row(Verb::Get, "/open311/v2/tokens/{file}", Access::Public),
    row(Verb::Get, "/framework", Access::Roles(FRAMEWORK_OVERVIEW)),
    row(
        Verb::Get,
        "/framework/inventory",
        Access::Roles(FRAMEWORK_READ),
    ),
    row(
        Verb::Get,
        "/framework/education",
        Access::Roles(EDUCATION_READ),
    ),
    row(Verb::Get, "/framework/roi", Access::Roles(FRAMEWORK_READ)),
    row(
        Verb::Get,
        "/framework/roadmap",
        Access::Roles(FRAMEWORK_READ),
    ),
    row(
        Verb::Get,
        "/framework/metrics",
        Access::Roles(FRAMEWORK_READ),
    ),
    row(
        Verb::Get,
        "/framework/export/{file}",
        Access::Roles(FRAMEWORK_READ),
    ),
    row(
        Verb::Get,
        "/api/v1/framework/inventory",
        Access::Roles(FRAMEWORK_READ),
    ),
    row(
        Verb::Get,
        "/api/v1/framework/lineage",
        Access::Roles(FRAMEWORK_READ),
    ),
    row(
        Verb::Post,
        "/api/v1/framework/environments",
        Access::Roles(FRAMEWORK_WRITE),
    ),
    row(
        Verb::Post,
        "/api/v1/framework/compute",
        Access::Roles(FRAMEWORK_WRITE),
    ),
    row(
        Verb::Post,
        "/api/v1/framework/datasets",
        Access::Roles(FRAMEWORK_WRITE),
    ),
    row(
        Verb::Post,
        "/api/v1/framework/models",
        Access::Roles(FRAMEWORK_WRITE),
    ),
    row(
        Verb::Post,
        "/api/v1/framework/models/{id}/datasets",
        Access::Roles(FRAMEWORK_WRITE),
    ),
    row(
        Verb::Post,
        "/api/v1/framework/applications/{id}/models",
        Access::Roles(FRAMEWORK_WRITE),
    ),
    row(
        Verb::Get,
        "/api/v1/framework/education",
        Access::Roles(EDUCATION_READ),
    ),
    row(
        Verb::Post,
        "/api/v1/framework/programmes",
        Access::Roles(FRAMEWORK_WRITE),
    ),
    row(
        Verb::Post,
        "/api/v1/framework/courses",
        Access::Roles(FRAMEWORK_WRITE),
    ),
    row(
        Verb::Post,
        "/api/v1/framework/sessions",
        Access::Roles(FRAMEWORK_WRITE),
    ),
    row(
        Verb::Post,
        "/api/v1/framework/enrolments",
        Access::Roles(FRAMEWORK_WRITE),
    ),
    row(
        Verb::Post,
        "/api/v1/framework/staff",
        Access::Roles(FRAMEWORK_WRITE),
    ),
    row(
        Verb::Post,
        "/api/v1/framework/roi",
        Access::Roles(FRAMEWORK_READ),
    ),
    row(
        Verb::Get,
        "/api/v1/framework/roi/measured",
        Access::Roles(FRAMEWORK_READ),
    ),
    row(
        Verb::Get,
        "/api/v1/framework/roi/scenarios",
        Access::Roles(FRAMEWORK_READ),
    ),
    row(
        Verb::Post,
        "/api/v1/framework/roi/scenarios",
        Access::Roles(FRAMEWORK_WRITE),
    ),
    row(
        Verb::Get,
        "/api/v1/framework/roadmap",
        Access::Roles(FRAMEWORK_READ),
    ),
    row(
        Verb::Post,
        "/api/v1/framework/milestones",
        Access::Roles(FRAMEWORK_WRITE),
    ),
    row(
        Verb::Post,
        "/api/v1/framework/milestones/{id}",
        Access::Roles(FRAMEWORK_WRITE),
    ),
    row(
        Verb::Get,
        "/api/v1/framework/metrics",
        Access::Roles(FRAMEWORK_READ),
    ),
    row(Verb::Any, "/api/{*rest}", Access::Public),
];

/// Returns the access rule for a method and matched route pattern, or `None` when the
/// route has no row and must be denied.
/// Returns the methods that the rules allow on `path`, such as `GET, HEAD`, or `None` when
/// no rule names the path.
pub fn allowed_methods(path: &str) -> Option<String> {
    let mut methods: Vec<&str> = Vec::new();
    for rule in ROUTES.iter().filter(|rule| rule.path == path) {
        match rule.verb {
            Verb::Get => methods.extend(["GET", "HEAD"]),
            Verb::Post => methods.push("POST"),
            Verb::Any => return None,
        }
    }
    (!methods.is_empty()).then(|| methods.join(", "))
}

pub fn lookup(method: &axum::http::Method, path: &str) -> Option<Access> {
    let verb = if method == axum::http::Method::GET || method == axum::http::Method::HEAD {
        Verb::Get
    } else if method == axum::http::Method::POST {
        Verb::Post
    } else {
        Verb::Any
    };
    ROUTES
        .iter()
        .find(|rule| rule.path == path && (rule.verb == verb || rule.verb == Verb::Any))
        .map(|rule| rule.access)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_unique() {
        for (i, a) in ROUTES.iter().enumerate() {
            for b in &ROUTES[i + 1..] {
                assert!(
                    !(a.path == b.path && a.verb == b.verb),
                    "two rows for {:?} {}",
                    a.verb,
                    a.path
                );
            }
        }
    }

    #[test]
    fn unknown_routes_have_no_rule() {
        assert_eq!(lookup(&axum::http::Method::GET, "/admin"), None);
        assert_eq!(lookup(&axum::http::Method::DELETE, "/requests"), None);
    }
}
