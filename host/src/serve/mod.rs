//! `leadscore serve`: the sync scoring API (`scoring`), the async pipeline's
//! API (`leads`) and workers (`worker`), model administration (`models`),
//! the learning loop's settings, reports and monitor (`learning`),
//! keeping in step with other hosts (`sync`), and the built web UI at `/`.
//!
//! At start every component in `--models` that the store lacks is checked
//! and installed, and every installed version is loaded. Each request takes
//! the router current when it arrives; installs and routing changes build a
//! new router and swap it in atomically, so calls in flight finish on the
//! version they started with and no request ever sees half a change.

mod api;
mod leads;
mod learning;
mod models;
mod openapi;
mod probes;
mod scoring;
mod sync;
mod worker;

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use arc_swap::ArcSwap;
use axum::Router as Http;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;

use crate::auth::Auth;
use crate::component::{Runtime, RuntimeConfig};
use crate::learning::{LearningSettings, TenantLearning};
use crate::metrics::Metrics;
use crate::model_store::ModelStore;
use crate::pipeline::{Backends, Pipeline, PipelineConfig};
use crate::routing::{Router, Routing};

pub use api::TimeBounds;
pub use openapi::ApiDoc;

/// How the service runs.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Where to listen (port 0: any free port).
    pub addr: SocketAddr,
    /// Directory of built components (`*.wasm` with `*.manifest.json`).
    pub models: PathBuf,
    /// The model store the components are installed into.
    pub store: PathBuf,
    /// Sandbox limits.
    pub runtime: RuntimeConfig,
    /// Most leads one batch request may carry.
    pub max_batch: usize,
    /// Largest request body, in bytes.
    pub max_body: usize,
    /// Largest component upload (`POST /models`), in bytes.
    pub max_upload: usize,
    /// How bearer tokens are checked (and whether `--dev` is on).
    pub auth: Arc<Auth>,
    /// The tenant whose admins install models and set the default routing.
    pub operator_org: String,
    /// Postgres and Redis, or the embedded default.
    pub backends: Backends,
    /// Workers, retries, sweeping, caching.
    pub pipeline: PipelineConfig,
    /// The built web UI (`web/dist`), served at `/` when present.
    pub web: Option<PathBuf>,
    /// Lead JSON lines queued for scoring at start for the demo tenant, if
    /// it has no leads yet (`--dev` only: a work queue to look at).
    pub seed_leads: Option<PathBuf>,
    /// The learning settings of tenants that have not saved their own.
    pub learning_defaults: LearningSettings,
    /// How far from now a lead's `as_of` and reported times may lie.
    pub bounds: TimeBounds,
    /// Whether `/metrics` labels the learning loop's figures with tenant ids.
    /// Off by default: `/metrics` needs no token, and tenants' names and
    /// figures are not for everyone who can reach it.
    pub metrics_tenant_labels: bool,
}

/// Shared by every request.
struct AppState {
    router: ArcSwap<Router>,
    store: ModelStore,
    runtime: Arc<Runtime>,
    metrics: Metrics,
    max_batch: usize,
    /// Largest component upload, in bytes (named in the 413).
    max_upload: usize,
    /// Held while a component is installed.
    installing: tokio::sync::Mutex<()>,
    auth: Arc<Auth>,
    operator_org: String,
    pipeline: Pipeline,
    /// Names this host's queue consumers.
    host_id: String,
    /// How long a request waits for an unavailable backend before it fails.
    patience: std::time::Duration,
    /// Scoring calls that may run at once. Requests beyond it wait here:
    /// never more than the instance pool holds (a failed instantiation would
    /// look like a failing version; one slot stays free for installs'
    /// checks), and a few per core, since more threads only thrash.
    scoring_slots: tokio::sync::Semaphore,
    /// Tenants' learning-loop settings (a tenant not here has the defaults).
    learning: ArcSwap<BTreeMap<String, TenantLearning>>,
    learning_defaults: LearningSettings,
    bounds: TimeBounds,
}

impl AppState {
    /// A tenant's learning-loop settings and guardrail state.
    fn learning_of(&self, org: &str) -> TenantLearning {
        let defaults = || TenantLearning { settings: self.learning_defaults.clone(), tripped_at: None };
        self.learning.load().get(org).cloned().unwrap_or_else(defaults)
    }

    /// Replaces a tenant's learning-loop settings and guardrail state here.
    fn set_learning(&self, org: &str, tenant: TenantLearning) {
        self.learning.rcu(|current| {
            let mut next = BTreeMap::clone(current);
            next.insert(org.to_string(), tenant.clone());
            next
        });
    }

    /// A database call that waits out a short outage (`patience`); a
    /// database that stays away is a 503 naming what was being done.
    async fn stored<T, F, Fut>(&self, what: &str, call: F) -> Result<T, api::ApiError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T>>,
    {
        crate::pipeline::with_retry(what, self.patience, call).await.map_err(|e| api::unavailable("database", e))
    }
}

/// The service, bound and ready to run.
pub struct Application {
    listener: TcpListener,
    app: Http,
}

impl Application {
    /// Installs the components in `settings.models`, loads every installed
    /// version, sets the default routing (v12, then v11, then rules-v1, as
    /// far as installed) and binds the address.
    pub async fn build(settings: Settings) -> Result<Application> {
        let runtime = Runtime::new(settings.runtime.clone())?;
        let store = ModelStore::open(&settings.store, runtime.clone())?;
        let pipeline = Pipeline::connect(&settings.backends, &settings.store, settings.pipeline.clone()).await?;
        let mut components = HashMap::new();
        for manifest_path in manifests_in(&settings.models)? {
            let wasm_path = PathBuf::from(manifest_path.to_string_lossy().replace(".manifest.json", ".wasm"));
            let wasm = std::fs::read(&wasm_path).with_context(|| format!("cannot read {}", wasm_path.display()))?;
            let manifest = std::fs::read_to_string(&manifest_path)?;
            let installed =
                store.install(&wasm, &manifest).with_context(|| format!("installing {}", wasm_path.display()))?;
            let m = &installed.manifest;
            pipeline.db.save_model(&m.version, &m.name, &m.sha256, &manifest, &wasm).await?;
            components.insert(m.version.clone(), Arc::new(installed.component));
        }
        // Versions installed earlier (e.g. uploaded with `POST /models`).
        for (manifest, component) in store.load_all()? {
            components.entry(manifest.version).or_insert_with(|| Arc::new(component));
        }
        let routing = default_routing(&components.keys().map(String::as_str).collect::<Vec<_>>());
        let state = Arc::new(AppState {
            router: ArcSwap::from_pointee(Router::new(components, routing)),
            metrics: Metrics::new(settings.runtime.max_instances, settings.metrics_tenant_labels),
            store,
            runtime,
            max_batch: settings.max_batch,
            max_upload: settings.max_upload,
            installing: tokio::sync::Mutex::new(()),
            auth: settings.auth.clone(),
            operator_org: settings.operator_org.clone(),
            pipeline,
            host_id: format!("{}-{}", std::process::id(), &uuid::Uuid::new_v4().simple().to_string()[..8]),
            patience: std::time::Duration::from_secs(30),
            scoring_slots: tokio::sync::Semaphore::new(scoring_slots(&settings.runtime)),
            learning: ArcSwap::from_pointee(BTreeMap::new()),
            learning_defaults: settings.learning_defaults.clone(),
            bounds: settings.bounds.clone(),
        });
        // Other hosts' installs and the stored routing (a restart keeps it).
        sync::from_database(&state).await;
        let router = state.router.load();
        anyhow::ensure!(
            !router.components.is_empty(),
            "no components in {}, {} or the database",
            settings.models.display(),
            settings.store.display()
        );
        tracing::info!(versions = ?router.versions(), active = %router.routing.active, "models loaded");
        worker::spawn(&state);
        tokio::spawn(learning::monitor(state.clone(), state.pipeline.config.monitor_every));
        if let Some(path) = &settings.seed_leads {
            leads::seed(&state, crate::auth::DEV_ORG, path).await?;
        }
        let mut app = Http::new()
            .route("/score-lead", post(scoring::score_lead))
            .route("/score-lead/batch", post(scoring::score_batch))
            .route("/leads/score", post(leads::request_score))
            .route("/leads/score/{request_id}/status", get(leads::request_status))
            .route("/leads", get(leads::work_queue))
            .route("/leads/{lead_id}", get(leads::lead_detail))
            .route("/leads/{lead_id}/score", get(leads::latest_score))
            .route("/leads/{lead_id}/outcome", post(leads::report_outcome))
            .route("/leads/{lead_id}/touch", post(leads::report_touch))
            .route("/learning/settings", get(learning::get_settings).put(learning::set_settings))
            .route("/reports/lift", get(learning::lift_report))
            .route("/reports/shadow", get(learning::shadow_report))
            .route(
                "/models",
                get(models::list_models).post(models::install_model).layer(DefaultBodyLimit::max(settings.max_upload)),
            )
            .route("/models/routing", get(models::get_routing).put(models::set_routing).delete(models::clear_routing))
            .route("/models/routing/promote", post(models::promote_shadow))
            .route("/me", get(api::whoami))
            .route("/healthz", get(probes::healthz))
            .route("/readyz", get(probes::readyz))
            .route("/metrics", get(probes::metrics))
            .route("/openapi.json", get(openapi::openapi_json))
            .layer(DefaultBodyLimit::max(settings.max_body))
            .layer(TraceLayer::new_for_http())
            .with_state(state);
        match &settings.web {
            Some(dir) if dir.join("index.html").exists() => {
                app = app.fallback_service(tower_http::services::ServeDir::new(dir));
            }
            Some(dir) => tracing::warn!(dir = %dir.display(), "no built web UI there (make build builds it)"),
            None => {}
        }
        let limits = api::BodyLimits { json: settings.max_body, upload: settings.max_upload };
        app = app.layer(axum::middleware::from_fn_with_state(limits, api::json_errors));
        let listener =
            TcpListener::bind(settings.addr).await.with_context(|| format!("cannot listen on {}", settings.addr))?;
        Ok(Application { listener, app })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// Serves until the process is stopped.
    pub async fn run_until_stopped(self) -> Result<()> {
        axum::serve(self.listener, self.app).await.context("the server stopped")
    }
}

/// Concurrent scoring calls: 4 per core, within the instance pool.
fn scoring_slots(runtime: &RuntimeConfig) -> usize {
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    (4 * cores).min(runtime.max_instances.saturating_sub(1) as usize).max(1)
}

fn manifests_in(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".manifest.json"))
        .collect();
    found.sort();
    Ok(found)
}

/// v12 active with v11 and rules-v1 behind it, as far as they are installed;
/// otherwise the first installed version.
pub fn default_routing(installed: &[&str]) -> Routing {
    let chain: Vec<String> =
        ["v12", "v11", "rules-v1"].into_iter().filter(|v| installed.contains(v)).map(String::from).collect();
    let mut sorted = installed.to_vec();
    sorted.sort();
    // Nothing installed: no active version, and `Application::build` refuses to start.
    let active = chain.first().cloned().or_else(|| sorted.first().map(|v| v.to_string())).unwrap_or_default();
    Routing { fallback: chain.into_iter().filter(|v| *v != active).collect(), active, split: vec![], shadow: None }
}
