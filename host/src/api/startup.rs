//! `leadscore serve`: builds the layers bottom up — the runtime (the
//! registry of model versions and the scorer), the pipeline (backends,
//! workers, sweeper, change listener, learning monitor) and the API on top —
//! and binds the address. The built web UI is served at `/`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use axum::Router as Http;
use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, post};
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;

use super::error::{BodyLimits, json_errors};
use super::openapi::openapi_json;
use super::rate_limit::TenantRateLimit;
use super::routes::{
    activities, history, imports, integrations, leads, learning, me, models, probes, requests, retrain, routing, score,
    webhooks,
};
use super::state::AppState;
use super::validate::{LeadLimits, TimeBounds};
use crate::auth::Auth;
use crate::learning::LearningSettings;
use crate::pipeline::monitor::Monitor;
use crate::pipeline::tenants::Tenants;
use crate::pipeline::worker::Worker;
use crate::pipeline::{Backends, Pipeline, PipelineConfig, enqueue, sweeper};
use crate::runtime::component::{Runtime, RuntimeConfig};
use crate::runtime::metrics::Metrics;
use crate::runtime::registry::Registry;
use crate::runtime::scorer::Scorer;

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
    /// The largest lead (bytes of JSON, activities) the API takes.
    pub lead_limits: LeadLimits,
    /// Leads a second each tenant may send to the scoring endpoints, per
    /// host (0: no limit).
    pub tenant_rate: u32,
    /// Leads a tenant may send at once above that rate.
    pub tenant_burst: u32,
    /// Whether `/metrics` labels the learning loop's figures with tenant ids.
    /// Off by default: `/metrics` needs no token, and tenants' names and
    /// figures are not for everyone who can reach it.
    pub metrics_tenant_labels: bool,
}

/// The service, bound and ready to run.
pub struct Application {
    listener: TcpListener,
    app: Http,
}

impl Application {
    /// Connects the backends, installs the components in `settings.models`,
    /// loads every installed version, starts the background tasks and binds
    /// the address.
    pub async fn build(settings: Settings) -> Result<Application> {
        let runtime = Runtime::new(settings.runtime.clone())?;
        let pipeline =
            Arc::new(Pipeline::connect(&settings.backends, &settings.store, settings.pipeline.clone()).await?);
        let registry = Registry::open(runtime, &settings.store, &settings.models, pipeline.as_ref()).await?;
        let metrics = Metrics::new(settings.runtime.max_instances, settings.metrics_tenant_labels);
        let scorer = Arc::new(Scorer::new(registry, metrics, &settings.runtime));
        let tenants = Arc::new(Tenants::new(settings.learning_defaults.clone()));
        tenants.sync(&pipeline.db).await;
        let monitor = Monitor { pipeline: pipeline.clone(), scorer: scorer.clone(), tenants: tenants.clone() };
        let host_id = format!("{}-{}", std::process::id(), &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let worker = Worker { pipeline: pipeline.clone(), scorer: scorer.clone(), tenants: tenants.clone() };
        worker.spawn(&host_id, pipeline.config.workers);
        tokio::spawn(sweeper::sweep(pipeline.clone()));
        tokio::spawn(sweeper::prune_history(pipeline.clone()));
        tokio::spawn(sweeper::rescore_due(pipeline.clone()));
        tokio::spawn(sweeper::rescore_stale(pipeline.clone()));
        tokio::spawn(crate::pipeline::imports::feed_imports(pipeline.clone()));
        tokio::spawn(crate::pipeline::webhooks::deliver(pipeline.clone()));
        tokio::spawn(sweeper::listen_for_changes(pipeline.clone(), scorer.clone(), tenants.clone()));
        tokio::spawn(monitor.clone().run(pipeline.config.monitor_every));
        tokio::spawn(crate::pipeline::retrain::run(pipeline.clone(), scorer.clone(), host_id.clone()));
        if let Some(path) = &settings.seed_leads {
            enqueue::seed(&pipeline, crate::auth::DEV_ORG, path).await?;
        }
        let state = Arc::new(AppState {
            scorer,
            pipeline,
            tenants,
            monitor,
            auth: settings.auth.clone(),
            operator_org: settings.operator_org.clone(),
            max_batch: settings.max_batch,
            max_upload: settings.max_upload,
            bounds: settings.bounds.clone(),
            lead_limits: settings.lead_limits,
            builds: Arc::new(tokio::sync::Semaphore::new(1)),
            rate_limit: TenantRateLimit::new(settings.tenant_rate, settings.tenant_burst),
        });
        let mut app = Http::new()
            .route("/score-lead", post(score::score_lead))
            .route("/score-lead/batch", post(score::score_batch))
            .route("/leads/score", post(requests::request_score))
            .route("/leads/score/{request_id}/status", get(requests::request_status))
            // Streamed and read line by line: no body limit but the import's own.
            .route("/leads/import", post(imports::import_leads).layer(DefaultBodyLimit::disable()))
            .route("/jobs", get(imports::list_jobs))
            .route("/jobs/{job_id}", get(imports::get_job))
            .route("/leads", get(leads::work_queue))
            .route("/leads/{lead_id}", get(leads::lead_detail).patch(activities::patch_lead))
            .route("/leads/{lead_id}/activities", post(activities::append_activities))
            .route("/leads/{lead_id}/score", get(leads::latest_score))
            .route("/leads/{lead_id}/history", get(history::history))
            .route("/leads/{lead_id}/changes", get(history::changes))
            .route("/integrations/mapping", get(integrations::get_mapping).put(integrations::put_mapping))
            .route(
                "/integrations/settings",
                get(integrations::get_integration_settings).put(integrations::put_integration_settings),
            )
            .route("/integrations/webhooks", get(webhooks::list_endpoints).post(webhooks::add_endpoint))
            .route("/integrations/webhooks/{endpoint_id}", delete(webhooks::delete_endpoint))
            .route("/integrations/webhooks/{endpoint_id}/deliveries", get(webhooks::delivery_log))
            .route("/integrations/webhooks/deliveries/{delivery_id}/replay", post(webhooks::replay_delivery))
            .route("/leads/{lead_id}/outcome", post(leads::report_outcome))
            .route("/leads/{lead_id}/touch", post(leads::report_touch))
            .route("/learning/settings", get(learning::get_settings).put(learning::set_settings))
            .route("/learning/retrain", get(retrain::get_policy).put(retrain::put_policy))
            .route("/learning/retrain/run", post(retrain::run_now))
            .route("/learning/retrain/jobs", get(retrain::list_jobs))
            .route("/learning/retrain/history", get(retrain::history))
            .route("/learning/retrain/jobs/{job_id}/promote", post(retrain::promote))
            .route("/learning/retrain/jobs/{job_id}/retire", post(retrain::retire))
            .route("/reports/lift", get(learning::lift_report))
            .route("/reports/shadow", get(learning::shadow_report))
            .route(
                "/models",
                get(models::list_models).post(models::install_model).layer(DefaultBodyLimit::max(settings.max_upload)),
            )
            .route(
                "/models/routing",
                get(routing::get_routing).put(routing::set_routing).delete(routing::clear_routing),
            )
            .route("/models/routing/promote", post(routing::promote_shadow))
            .route("/me", get(me::whoami))
            .route("/healthz", get(probes::healthz))
            .route("/readyz", get(probes::readyz))
            .route("/metrics", get(probes::metrics))
            .route("/openapi.json", get(openapi_json))
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
        let limits = BodyLimits { json: settings.max_body, upload: settings.max_upload };
        app = app.layer(axum::middleware::from_fn_with_state(limits, json_errors));
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
