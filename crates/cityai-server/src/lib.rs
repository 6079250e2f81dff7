//! The CityAI HTTP server: the web console, the JSON API and health endpoints.
//!
//! Handlers parse and check input, call the store, and render. They hold no business rules.
//! Every response carries an `x-request-id` header, and every request is logged once inside
//! a span that carries the same id.

mod api;
mod audit_view;
mod auth;
mod console;
mod dashboard_view;
mod detail_view;
mod error;
mod filters;
mod framework_api;
mod framework_export;
mod framework_view;
mod hotspots_view;
mod intake_api;
mod knowledge_view;
mod lang;
mod layout;
mod login;
pub mod metrics;
mod open311;
pub mod openapi;
mod openapi_register;
pub mod policy;
mod reception;
mod register_api;
mod register_view;
mod reply_quality_view;
mod triage_view;
mod views;
mod workflow_api;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, Request, header};
use axum::response::Redirect;
use axum::routing::get;
use chrono::FixedOffset;
use cityai_core::Lang;
use cityai_store::Store;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

pub use auth::{Credential, LoginLimiter, Principal};
pub use dashboard_view::DashboardCache;
pub use error::ServerError;
pub use open311::DEFAULT_JURISDICTION as OPEN311_DEFAULT_JURISDICTION;
pub use reception::MessageLimiter;

const REQUEST_ID_HEADER: &str = "x-request-id";

/// The shared state of every handler.
#[derive(Debug, Clone)]
pub struct AppState {
    pub store: Store,
    /// The console language for visitors who have not chosen one.
    pub default_lang: Lang,
    /// The city's UTC offset, for showing times and reading date filters.
    pub city_offset: FixedOffset,
    /// Whether cookies carry `Secure`; set it when clients reach the server over TLS.
    pub secure_cookies: bool,
    /// Failed logins per user name and client address.
    pub limiter: Arc<LoginLimiter>,
    /// The knowledge search index, when the server was started with one.
    pub knowledge: Option<Arc<cityai_knowledge::KnowledgeIndex>>,
    /// The LLM client for grounded answers, when an endpoint is configured.
    pub llm: Option<Arc<cityai_llm::LlmClient>>,
    /// The hot spots of every stored request, refreshed as requests arrive.
    pub hotspots: Arc<cityai_services::hotspots::LiveHotspots>,
    /// The dashboard's figures, computed at most half a minute ago.
    pub dashboard: Arc<DashboardCache>,
    /// The router that routes requests taken in live.
    pub router: Arc<cityai_services::intake::LiveRouter>,
    /// The counters behind `/metrics`.
    pub metrics: Arc<metrics::Metrics>,
    /// Messages to the reception assistant per client address.
    pub reception_limiter: Arc<MessageLimiter>,
    /// The `jurisdiction_id` the Open311 API accepts; other ids get 404. Shared, because
    /// handlers clone the state on every request.
    pub open311_jurisdiction: Arc<str>,
}

impl AppState {
    /// Returns the state with cookies not marked `Secure` and an empty login limiter.
    pub fn new(store: Store, default_lang: Lang, city_offset: FixedOffset) -> Self {
        AppState {
            store,
            default_lang,
            city_offset,
            secure_cookies: false,
            limiter: Arc::default(),
            knowledge: None,
            llm: None,
            hotspots: Arc::default(),
            dashboard: Arc::default(),
            router: Arc::default(),
            metrics: Arc::default(),
            reception_limiter: Arc::default(),
            open311_jurisdiction: Arc::from(OPEN311_DEFAULT_JURISDICTION),
        }
    }
}

/// Builds the application with every route and middleware.
///
/// Every route passes the access middleware, which admits callers by the route's row in
/// [`policy::ROUTES`] and denies routes that have none.
pub fn router(state: AppState) -> Router {
    let request_id = HeaderName::from_static(REQUEST_ID_HEADER);
    Router::new()
        .route("/", get(|| async { Redirect::to("/requests") }))
        .route("/login", get(login::login_page).post(login::login))
        .route("/logout", axum::routing::post(login::logout))
        .route("/requests", get(console::requests_page))
        .route("/requests/{id}", get(detail_view::page_view))
        .route(
            "/requests/{id}/reply/draft",
            axum::routing::post(detail_view::create_draft),
        )
        .route(
            "/requests/{id}/reply",
            axum::routing::post(detail_view::save_reply),
        )
        .route("/triage", get(triage_view::page_view))
        .route("/triage/{id}", axum::routing::post(triage_view::decide))
        .route("/knowledge", get(knowledge_view::page_view))
        .route("/dashboard", get(dashboard_view::page_view))
        .route(layout::STYLESHEET_PATH, get(stylesheet))
        .route(layout::SCRIPT_PATH, get(script))
        .route("/audit", get(audit_view::page_view))
        .route("/hotspots", get(hotspots_view::page_view))
        .route("/api/v1/hotspots", get(hotspots_view::list))
        .route("/api/v1/me", get(api::me))
        .route(
            "/api/v1/replies/quality",
            axum::routing::post(reply_quality_view::check_api),
        )
        .route("/api/v1/knowledge/search", get(api::knowledge_search))
        .route("/api/v1/audit", get(audit_view::list))
        .route("/api/v1/audit/verify", get(audit_view::verify))
        .route("/healthz", get(api::healthz))
        .route("/metrics", get(metrics::metrics))
        .route("/readyz", get(api::readyz))
        .route(
            "/api/v1/requests",
            get(api::list_requests).post(intake_api::submit),
        )
        .route("/api/v1/status/{token}", get(intake_api::status_by_token))
        .route("/api/v1/requests/{id}", get(api::get_request))
        .route("/api/v1/requests/{id}/unmasked", get(api::get_unmasked))
        .route("/api/v1/requests/{id}/duplicates", get(api::get_duplicates))
        .route(
            "/api/v1/requests/{id}/similar-replies",
            get(api::get_similar_replies),
        )
        .route(
            "/api/v1/requests/{id}/routing/confirm",
            axum::routing::post(api::confirm_routing),
        )
        .route(
            "/api/v1/requests/{id}/routing/correct",
            axum::routing::post(api::correct_routing),
        )
        .route(
            "/api/v1/requests/{id}/timeline",
            get(workflow_api::timeline),
        )
        .route("/api/v1/requests/{id}/routing", get(workflow_api::routing))
        .route(
            "/api/v1/requests/{id}/reply",
            get(workflow_api::reply_state).post(workflow_api::save_reply),
        )
        .route(
            "/api/v1/requests/{id}/reply/draft",
            axum::routing::post(workflow_api::create_draft),
        )
        .route("/api/v1/openapi.json", get(openapi::openapi))
        .route("/api/v1/triage/next", get(workflow_api::next_in_triage))
        .route("/api/v1/dashboard", get(workflow_api::dashboard))
        .route(
            "/reception",
            get(reception::page_view).post(reception::page_post),
        )
        .route(
            "/api/v1/reception",
            axum::routing::post(reception::chat_api),
        )
        .route("/api/v1/reception/handoffs", get(reception::handoffs))
        .route(
            "/open311/v2/{file}",
            get(open311::get_top).post(open311::post_top),
        )
        .route("/open311/v2/services/{file}", get(open311::get_service))
        .route("/open311/v2/requests/{file}", get(open311::get_request))
        .route("/open311/v2/tokens/{file}", get(open311::get_token))
        .merge(framework_routes())
        .route("/register", get(register_view::list_page))
        .route("/register/{code}", get(register_view::detail_page))
        .route(
            "/register/{code}/stage",
            axum::routing::post(register_view::stage_post),
        )
        .route(
            "/register/{code}/monitoring",
            axum::routing::post(register_view::monitoring_post),
        )
        .route(
            "/register/feedback/{id}",
            axum::routing::post(register_view::moderate_post),
        )
        .route("/ai-register", get(register_view::public_list))
        .route("/ai-register/{code}", get(register_view::public_entry))
        .route(
            "/ai-register/{code}/feedback",
            axum::routing::post(register_view::public_feedback),
        )
        .route(
            "/api/v1/register/applications",
            get(register_api::list).post(register_api::create),
        )
        .route(
            "/api/v1/register/applications/{code}",
            get(register_api::detail).post(register_api::update),
        )
        .route(
            "/api/v1/register/applications/{code}/stage",
            axum::routing::post(register_api::set_stage),
        )
        .route(
            "/api/v1/register/applications/{code}/scores",
            axum::routing::post(register_api::score),
        )
        .route(
            "/api/v1/register/applications/{code}/reviews",
            axum::routing::post(register_api::open_review),
        )
        .route(
            "/api/v1/register/applications/{code}/funds",
            axum::routing::post(register_api::set_funds),
        )
        .route(
            "/api/v1/register/applications/{code}/monitoring",
            axum::routing::post(register_api::record_monitoring),
        )
        .route(
            "/api/v1/register/applications/{code}/participants",
            axum::routing::post(register_api::add_participant),
        )
        .route(
            "/api/v1/register/reviews/{id}/decision",
            axum::routing::post(register_api::decide),
        )
        .route(
            "/api/v1/register/reviews/due",
            get(register_api::reviews_due),
        )
        .route("/api/v1/register/ranking", get(register_api::ranking))
        .route(
            "/api/v1/register/lists/{year}",
            get(register_api::approved_list).post(register_api::approve_list),
        )
        .route(
            "/api/v1/register/committee",
            get(register_api::committee).post(register_api::add_member),
        )
        .route(
            "/api/v1/register/committee/{id}/conflicts",
            axum::routing::post(register_api::declare_conflict),
        )
        .route(
            "/api/v1/register/organisations",
            get(register_api::organisations).post(register_api::add_organisation),
        )
        .route(
            "/api/v1/register/criteria",
            get(register_api::criteria).post(register_api::upsert_criterion),
        )
        .route(
            "/api/v1/register/categories",
            axum::routing::post(register_api::add_category),
        )
        .route("/api/v1/register/feedback", get(register_api::feedback))
        .route(
            "/api/v1/register/feedback/{id}",
            axum::routing::post(register_api::moderate),
        )
        .route(
            "/api/v1/register/export/{format}",
            get(register_api::export),
        )
        .route("/api/{*rest}", axum::routing::any(api::not_found))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::authorize,
        ))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            error::localize,
        ))
        .fallback(console::not_found)
        .with_state(state)
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(
            TraceLayer::new_for_http()
                .on_response(DefaultOnResponse::new().level(Level::INFO))
                .make_span_with(|request: &Request<_>| {
                    let id = request
                        .headers()
                        .get(REQUEST_ID_HEADER)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    // The path only: query strings can carry search text typed by citizens.
                    tracing::info_span!(
                        "http",
                        request_id = %id,
                        method = %request.method(),
                        path = %request.uri().path(),
                    )
                }),
        )
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
}

/// The AI framework's console pages and JSON API.
fn framework_routes() -> Router<AppState> {
    use axum::routing::post;
    use framework_api as fa;
    use framework_view as fv;
    Router::new()
        .route("/framework", get(fv::overview))
        .route("/framework/inventory", get(fv::inventory))
        .route("/framework/education", get(fv::education))
        .route("/framework/roi", get(fv::roi))
        .route("/framework/roadmap", get(fv::roadmap))
        .route("/framework/metrics", get(fv::metrics))
        .route("/framework/export/{file}", get(fv::export))
        .route("/api/v1/framework/inventory", get(fa::inventory))
        .route("/api/v1/framework/lineage", get(fa::lineage))
        .route(
            "/api/v1/framework/environments",
            post(fa::create_environment),
        )
        .route("/api/v1/framework/compute", post(fa::create_compute))
        .route("/api/v1/framework/datasets", post(fa::create_dataset))
        .route("/api/v1/framework/models", post(fa::create_model))
        .route(
            "/api/v1/framework/models/{id}/datasets",
            post(fa::link_model_dataset),
        )
        .route(
            "/api/v1/framework/applications/{id}/models",
            post(fa::link_application_model),
        )
        .route("/api/v1/framework/education", get(fa::education))
        .route("/api/v1/framework/programmes", post(fa::create_programme))
        .route("/api/v1/framework/courses", post(fa::create_course))
        .route("/api/v1/framework/sessions", post(fa::create_session))
        .route("/api/v1/framework/enrolments", post(fa::record_enrolment))
        .route("/api/v1/framework/staff", post(fa::set_staff))
        .route("/api/v1/framework/roi", post(fa::calculate_roi))
        .route("/api/v1/framework/roi/measured", get(fa::measured_roi))
        .route(
            "/api/v1/framework/roi/scenarios",
            get(fa::roi_scenarios).post(fa::save_roi_scenario),
        )
        .route("/api/v1/framework/roadmap", get(fa::roadmap))
        .route("/api/v1/framework/milestones", post(fa::create_milestone))
        .route(
            "/api/v1/framework/milestones/{id}",
            post(fa::update_milestone),
        )
        .route("/api/v1/framework/metrics", get(fa::metrics))
}

/// Pages load only their own style sheet, script and forms, and may not be framed.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data:; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

async fn stylesheet() -> impl axum::response::IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        layout::STYLESHEET,
    )
}

async fn script() -> impl axum::response::IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        layout::SCRIPT,
    )
}

/// Serves `state` on `listener` until `shutdown` completes, then finishes the requests in
/// flight and returns.
///
/// # Errors
///
/// [`ServerError::Io`] when accepting connections fails.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    let app = router(state);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
    .map_err(ServerError::Io)
}

/// Returns a future that completes on SIGINT (Ctrl-C) or SIGTERM.
///
/// The handlers are installed when this function is called, not when the future is first
/// polled, so a signal that arrives while the server is still starting is not lost. Call it
/// before announcing the listening address.
#[cfg(unix)]
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    use tokio::signal::unix::{SignalKind, signal};

    let interrupt = signal(SignalKind::interrupt());
    let terminate = signal(SignalKind::terminate());
    async move {
        let (mut interrupt, mut terminate) = match (interrupt, terminate) {
            (Ok(interrupt), Ok(terminate)) => (interrupt, terminate),
            (Err(err), _) | (_, Err(err)) => {
                tracing::error!(error = %err, "cannot install signal handlers; stop the server with SIGKILL");
                std::future::pending::<()>().await;
                return;
            }
        };
        tokio::select! {
            _ = interrupt.recv() => tracing::info!("received SIGINT, shutting down"),
            _ = terminate.recv() => tracing::info!("received SIGTERM, shutting down"),
        }
    }
}

/// Returns a future that completes on Ctrl-C.
#[cfg(not(unix))]
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
        tracing::info!("received Ctrl-C, shutting down");
    }
}
