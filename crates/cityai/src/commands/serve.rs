//! `cityai serve`: the web console and API.

use std::process::ExitCode;

use anyhow::Context;
use cityai_core::i18n::tf;
use cityai_server::{AppState, serve, shutdown_signal};
use cityai_store::{ImportFile, ImportRow, RequestFilter, Store};

use crate::cli::{GlobalOptions, ServeArgs};
use crate::output;

pub async fn run(global: &GlobalOptions, args: &ServeArgs) -> anyhow::Result<ExitCode> {
    let store = open_store_logged(global).await?;
    if args.demo {
        load_demo(global, &store).await?;
    }
    create_first_admin(global, &store).await?;

    let listener = tokio::net::TcpListener::bind(global.listen.as_str())
        .await
        .with_context(|| {
            tf(
                global.lang,
                "serve.listen_failed",
                &[("addr", &global.listen)],
            )
        })?;
    let shutdown = shutdown_signal();
    let addr = listener
        .local_addr()
        .context("cannot read the listening address")?;
    tracing::info!(%addr, "listening");
    output::line(&tf(global.lang, "serve.listening", &[("addr", &addr)]));

    let mut state = AppState::new(store.clone(), global.lang, global.utc_offset);
    state.secure_cookies = args.secure_cookies;
    state.open311_jurisdiction = std::sync::Arc::from(args.open311_jurisdiction.as_str());
    state.llm = super::knowledge::llm_client(global)?.map(std::sync::Arc::new);
    match cityai_services::knowledge::open_index(&store, &global.data_dir).await {
        Ok(index) => {
            tracing::info!(chunks = index.num_chunks(), "knowledge index ready");
            state.knowledge = Some(std::sync::Arc::new(index));
        }
        Err(err) => tracing::warn!(error = %err, "knowledge search is unavailable"),
    }
    if let Err(err) = state.router.reload_if_changed(&store).await {
        tracing::warn!(error = %err, "loading the routing model failed; intake stores requests unrouted");
    }
    spawn_router_reload(state.router.clone(), store.clone());
    spawn_hotspot_refresh(state.hotspots.clone(), store.clone());
    spawn_dashboard_refresh(state.dashboard.clone(), store.clone(), global.utc_offset);
    spawn_search_indexing(store.clone(), state.metrics.clone());
    spawn_change_listener(store.clone(), state.router.clone(), state.hotspots.clone()).await;
    serve(listener, state, shutdown).await?;
    store.close().await;
    tracing::info!("stopped");
    output::line(&tf(global.lang, "serve.stopped", &[]));
    Ok(ExitCode::SUCCESS)
}

/// How many hot spots the background refresh ranks, for request pages to look up.
const HOTSPOTS_RANKED: usize = 200;

/// How often the server adds newly stored requests to its hot-spot index.
const HOTSPOT_REFRESH_INTERVAL: std::time::Duration = std::time::Duration::from_secs(60);

/// How long after an arrival the server links new requests, so that requests arriving
/// together are linked in one pass.
const ARRIVAL_LINK_DELAY: std::time::Duration = std::time::Duration::from_secs(2);

/// Builds the hot-spot index in the background, links requests taken in live within
/// seconds of their arrival, and adds the requests that arrive by other ways (imports by
/// other processes) and ranks the hot spots once a minute, so that a page view seldom has
/// to wait for linking. A view refreshes the index itself as well.
fn spawn_hotspot_refresh(
    live: std::sync::Arc<cityai_services::hotspots::LiveHotspots>,
    store: Store,
) {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(HOTSPOT_REFRESH_INTERVAL);
        loop {
            let rank = tokio::select! {
                _ = interval.tick() => true,
                () = live.arrival() => {
                    tokio::time::sleep(ARRIVAL_LINK_DELAY).await;
                    false
                }
            };
            match live.refresh(&store).await {
                Ok(0) => {}
                Ok(added) => tracing::info!(requests = added, "hot-spot index refreshed"),
                Err(err) => tracing::warn!(error = %err, "refreshing the hot-spot index failed"),
            }
            // Ranks ahead of time, so that request pages can name their hot spot at once.
            if rank && let Err(err) = live.hotspots(&store, HOTSPOTS_RANKED).await {
                tracing::warn!(error = %err, "ranking hot spots failed");
            }
        }
    });
}

/// How often the server checks whether a newer routing model became active.
const ROUTER_RELOAD_INTERVAL: std::time::Duration = std::time::Duration::from_secs(30);

/// Loads the active routing model for intake, and a newer one whenever training (in this
/// process or another) activates it.
fn spawn_router_reload(router: std::sync::Arc<cityai_services::intake::LiveRouter>, store: Store) {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(ROUTER_RELOAD_INTERVAL);
        loop {
            interval.tick().await;
            if let Err(err) = router.reload_if_changed(&store).await {
                tracing::warn!(error = %err, "loading the routing model failed");
            }
        }
    });
}

/// How long the change listener waits before it subscribes again after an error.
const CHANGE_LISTEN_RETRY: std::time::Duration = std::time::Duration::from_secs(5);

/// Follows the changes other nodes write to a shared PostgreSQL database: a new routing
/// model is loaded at once, and new requests wake the hot-spot refresh as local arrivals do.
/// The timers above still run, and they alone serve an SQLite store.
async fn spawn_change_listener(
    store: Store,
    router: std::sync::Arc<cityai_services::intake::LiveRouter>,
    hotspots: std::sync::Arc<cityai_services::hotspots::LiveHotspots>,
) {
    let mut listener = match store.listen_changes().await {
        Ok(Some(listener)) => listener,
        Ok(None) => return,
        Err(err) => {
            tracing::warn!(error = %err, "listening for other nodes' changes failed; polling only");
            return;
        }
    };
    tracing::info!("listening for other nodes' changes");
    tokio::spawn(async move {
        loop {
            match listener.next().await {
                Ok(cityai_store::Change::Requests) => hotspots.notify_arrival(),
                Ok(cityai_store::Change::RoutingModel) => {
                    if let Err(err) = router.reload_if_changed(&store).await {
                        tracing::warn!(error = %err, "loading the routing model failed");
                    }
                }
                Err(err) => {
                    tracing::warn!(error = %err, "receiving change notices failed; retrying");
                    tokio::time::sleep(CHANGE_LISTEN_RETRY).await;
                }
            }
        }
    });
}

/// Recomputes the dashboard's figures for all departments in the background, so that a
/// page view reads figures that are never older than the cache allows.
fn spawn_dashboard_refresh(
    cache: std::sync::Arc<cityai_server::DashboardCache>,
    store: Store,
    city_offset: chrono::FixedOffset,
) {
    tokio::spawn(async move {
        let period = cityai_server::DashboardCache::MAX_AGE
            .to_std()
            .unwrap_or(std::time::Duration::from_secs(30))
            * 2
            / 3;
        let mut interval = tokio::time::interval(period);
        loop {
            interval.tick().await;
            if let Err(err) = cache.refresh(&store, city_offset, None).await {
                tracing::warn!(error = %err, "refreshing the dashboard failed");
            }
        }
    });
}

/// How often the server adds newly stored requests to the free-text search index.
const SEARCH_INDEX_INTERVAL: std::time::Duration = std::time::Duration::from_secs(5);

/// The pause between two batches of search indexing: a batch holds the write lock for
/// about 0.1 s, so the lock is free most of the time, and 100,000 requests take minutes.
const SEARCH_BATCH_PAUSE: std::time::Duration = std::time::Duration::from_millis(250);

/// The search indexing batch while requests are being taken in: about 20 ms of write lock.
const SEARCH_BATCH_BUSY: i64 = 20;

/// Keeps the request search index caught up in the background. Until a request is
/// indexed, the free-text filter finds it by scanning, so results are never stale.
fn spawn_search_indexing(store: Store, metrics: std::sync::Arc<cityai_server::metrics::Metrics>) {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(SEARCH_INDEX_INTERVAL);
        loop {
            interval.tick().await;
            let mut total = 0;
            let mut intake_seen = metrics.intake_total();
            let mut batch = Store::SEARCH_BATCH;
            loop {
                match store.index_request_search(batch).await {
                    Ok(0) => break,
                    Ok(added) => total += added,
                    Err(err) => {
                        tracing::warn!(error = %err, "indexing requests for search failed");
                        break;
                    }
                }
                // Leaves the write lock free most of the time for requests and staff actions.
                tokio::time::sleep(SEARCH_BATCH_PAUSE).await;
                // While requests are being taken in, index in small batches, so that none
                // of them waits long behind a batch; the backlog is caught up afterwards.
                let intake_now = metrics.intake_total();
                batch = if intake_now == intake_seen {
                    Store::SEARCH_BATCH
                } else {
                    SEARCH_BATCH_BUSY
                };
                intake_seen = intake_now;
            }
            if total > 0 {
                tracing::info!(requests = total, "indexed requests for search");
            }
        }
    });
}

async fn open_store_logged(global: &GlobalOptions) -> anyhow::Result<Store> {
    let store = super::open_store(global).await?;
    tracing::info!(
        schema_version = store.schema_version().await?,
        "database ready"
    );
    // Say at start which AI features the register lets run; the features log again when used.
    for code in cityai_store::ai_features::BUILTIN_CODES {
        let gate = store.ai_gate(code).await?;
        match &gate.closed {
            None => {
                tracing::info!(feature = code, valid_until = ?gate.valid_until, "AI feature approved")
            }
            Some(reason) => {
                tracing::warn!(feature = code, reason = %reason, "AI feature switched off by the AI register")
            }
        }
    }
    Ok(store)
}

/// Creates the administrator `admin` with a random password on a database without users,
/// and prints the password once on standard output, never in the log.
async fn create_first_admin(global: &GlobalOptions, store: &Store) -> anyhow::Result<()> {
    if store.user_count().await? > 0 {
        return Ok(());
    }
    let added = cityai_services::auth::add_user(
        store,
        FIRST_ADMIN,
        cityai_core::Role::Admin,
        None,
        None,
        "system:first-start",
    )
    .await
    .context("cannot create the first administrator")?;
    tracing::info!(user = FIRST_ADMIN, "created the first administrator");
    if let Some(password) = added.generated_password {
        output::line(&tf(
            global.lang,
            "user.first_admin",
            &[("user", &FIRST_ADMIN), ("password", &password)],
        ));
    }
    Ok(())
}

/// The name of the administrator created at first start.
const FIRST_ADMIN: &str = "admin";

/// Loads the built-in demo data into an empty database; leaves a non-empty one alone.
async fn load_demo(global: &GlobalOptions, store: &Store) -> anyhow::Result<()> {
    let existing = store.request_counts(&RequestFilter::default()).await?.total;
    if existing > 0 {
        output::line(&tf(
            global.lang,
            "serve.demo_not_empty",
            &[("count", &existing)],
        ));
        return Ok(());
    }

    let departments = cityai_demo::departments();
    let taxonomy = cityai_demo::taxonomy();
    store
        .import_taxonomy(&departments, &taxonomy)
        .await
        .context("cannot load the demo taxonomy")?;

    let requests = cityai_demo::requests(chrono::Utc::now());
    let documents = demo_knowledge(&requests, &taxonomy);
    let rows: Vec<ImportRow> = requests
        .into_iter()
        .enumerate()
        .map(|(i, request)| ImportRow {
            row: i + 1,
            request,
        })
        .collect();
    let file = ImportFile {
        file_name: "built-in demo data".to_owned(),
        file_sha256: String::new(),
        format: "builtin".to_owned(),
        encoding: "UTF-8".to_owned(),
        source: "demo".to_owned(),
        rows_total: rows.len(),
        rows_rejected: 0,
    };
    let result = store
        .import_requests(&file, &rows, false, &mut |_| {})
        .await
        .context("cannot load the demo requests")?;
    tracing::info!(requests = result.imported, "loaded demo data");
    let knowledge = cityai_services::knowledge::import_documents(
        store,
        &global.data_dir,
        &documents,
        "demo",
        "system:demo",
    )
    .await
    .context("cannot load the demo knowledge")?;
    tracing::info!(sources = knowledge.added, "loaded demo knowledge");
    let links = cityai_services::hotspots::link_import(store, result.batch_id).await?;
    tracing::info!(links, "linked demo requests that repeat each other");

    // Train the router on the demo history and route the demo requests that came without a
    // category, so that the console shows the triage queue and routing results.
    let (router, _) =
        cityai_services::routing::train_and_activate(store, cityai_routing::TrainParams::default())
            .await
            .context("cannot train the demo routing model")?;
    let routed = cityai_services::routing::route_pending(store, &router).await?;
    output::line(&tf(
        global.lang,
        "serve.demo_loaded",
        &[
            ("requests", &result.imported),
            ("categories", &taxonomy.len()),
            ("departments", &departments.len()),
        ],
    ));
    output::line(&tf(
        global.lang,
        "serve.demo_routed",
        &[
            ("assigned", &routed.outcome.assigned),
            ("triage", &routed.outcome.triage),
        ],
    ));
    Ok(())
}

/// Returns the demo knowledge: the FAQ entries and policies, and the official replies of
/// the demo requests as past replies for drafting.
fn demo_knowledge(
    requests: &[cityai_core::NewRequest],
    taxonomy: &[cityai_core::TaxonomyEntry],
) -> Vec<cityai_knowledge::SourceDocument> {
    use cityai_knowledge::{Block, BlockKind, Source, SourceDocument, SourceKind};

    let mut documents = Vec::new();
    for demo in cityai_demo::knowledge() {
        let kind = if demo.kind == "policy" {
            SourceKind::Policy
        } else {
            SourceKind::Faq
        };
        let mut source = Source::new(demo.id, kind);
        source.title = Some(demo.title.to_owned());
        source.department = Some(demo.department.to_owned());
        let blocks = demo
            .text
            .split("\n\n")
            .enumerate()
            .map(|(i, paragraph)| match kind {
                SourceKind::Faq if i == 0 => Block::new(BlockKind::Question, paragraph),
                SourceKind::Faq => Block::new(BlockKind::Answer, paragraph),
                _ if paragraph.starts_with('第') && paragraph.contains('章') => {
                    Block::heading(1, paragraph)
                }
                _ => Block::paragraph(paragraph),
            })
            .collect();
        documents.push(SourceDocument { source, blocks });
    }
    for request in requests {
        let (Some(reply), Some(id)) = (&request.reply, &request.external_id) else {
            continue;
        };
        let mut source = Source::new(format!("{id}-reply"), SourceKind::Reply);
        source.title = request.title.clone();
        source.department = request.category.as_ref().and_then(|category| {
            taxonomy
                .iter()
                .find(|entry| entry.path.levels()[0] == category.levels()[0])
                .and_then(|entry| entry.department.clone())
        });
        documents.push(SourceDocument {
            source,
            blocks: vec![Block::paragraph(&reply.body)],
        });
    }
    documents
}
