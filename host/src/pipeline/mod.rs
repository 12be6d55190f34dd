//! The pipeline layer: the async path of a scoring request and the work
//! that runs beside the API.
//!
//! - [`enqueue`]: a request recorded PENDING and queued (the API's 202);
//! - [`worker`]: workers score queued jobs and record the results;
//! - [`imports`]: feeds imported leads into the bulk lane at a throttled rate;
//! - [`sweeper`]: re-enqueues requests the queue lost, rescores stored leads
//!   whose debounced rescore is due, and applies other hosts' changes;
//! - [`monitor`]: the learning loop's monitor and guardrail, and the lift report;
//! - [`tenants`]: the tenants' learning settings;
//! - [`retrain`]: the closed loop — each tenant's own model retrained from
//!   its outcomes ([`training`] data), gated offline, shadowed, promoted;
//! - [`webhooks`]: the events a scoring causes and their signed deliveries;
//! - its backends: the database ([`db`], Postgres or an embedded SQLite
//!   file), the [`queue`] (a Redis stream or in process) and the score
//!   [`cache`] (Redis or in process); with Redis, a channel that tells every
//!   host about installs and routing changes.
//!
//! It scores through the runtime layer and imports nothing from the API.

pub mod cache;
pub mod db;
pub mod enqueue;
pub mod imports;
pub mod monitor;
pub mod queue;
pub mod retrain;
pub mod retry;
pub mod sweeper;
pub mod tenants;
pub mod training;
pub mod webhooks;
pub mod worker;

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};

pub use cache::Cache;
pub use db::Db;
pub use queue::{Delivery, Job, Queue};
pub use retry::{is_transient, with_retry};

use crate::learning::trend::TrendSettings;
use crate::runtime::registry::{Catalog, StoredModel};
use crate::runtime::routing::Routing;
use crate::secret::Secret;
use retrain::RetrainSettings;
use webhooks::WebhookSettings;

/// The channel installs and routing changes are announced on (after the namespace).
pub const CHANGES_CHANNEL: &str = "leadscore:changes";

/// Where the pipeline keeps its state.
#[derive(Clone, Debug, Default)]
pub struct Backends {
    /// `postgres://...`; `None`: an SQLite file in the model store.
    pub database_url: Option<Secret>,
    /// `redis://...`; `None`: in-process queue and cache.
    pub redis_url: Option<Secret>,
    /// Put before every Redis key and channel, so that several deployments
    /// (or test runs) can share one Redis; empty by default.
    pub redis_namespace: String,
}

/// How the pipeline behaves.
#[derive(Clone, Debug)]
pub struct PipelineConfig {
    /// Worker tasks per host.
    pub workers: usize,
    /// Failed attempts before a request ends FAILED.
    pub max_attempts: i64,
    /// How long a failed or abandoned delivery waits before it is retried.
    pub retry_after: Duration,
    /// How long a request may stay PENDING untouched before the sweeper re-enqueues it.
    pub sweep_after: Duration,
    /// How long a cached score lives.
    pub cache_ttl: Duration,
    /// How often the learning monitor checks lift, the guardrail and drift.
    pub monitor_every: Duration,
    /// How long a call waits for an unavailable backend before it fails.
    pub patience: Duration,
    /// How long a lead's scorings are kept (its latest always is).
    pub history: Duration,
    /// How a lead's trend is read from its scorings.
    pub trend: TrendSettings,
    /// How long after the first of a burst of changes to a stored lead
    /// (activity events, field updates asking for a rescore) it is rescored:
    /// the whole burst causes one rescore.
    pub rescore_debounce: Duration,
    /// How webhook deliveries are sent and retried.
    pub webhooks: WebhookSettings,
    /// Scheduled rescoring: a lead whose latest score is older than this
    /// (a tenant's `rescore_every_hours`, else this default; 0: never) is
    /// rescored at as_of = now.
    pub rescore_every_hours: f64,
    /// How often each host looks for such leads.
    pub rescore_scan_every: Duration,
    /// At most this many scheduled rescores per second per host, so that
    /// they stay below live traffic.
    pub rescore_rate: u32,
    /// At most this many imported leads per second per host are fed to the
    /// queue's bulk lane.
    pub import_rate: u32,
    /// The most leads one import may hold.
    pub import_max_leads: u64,
    /// How the closed loop's retrain jobs run.
    pub retrain: RetrainSettings,
}

impl Default for PipelineConfig {
    fn default() -> PipelineConfig {
        PipelineConfig {
            workers: 4,
            max_attempts: 3,
            retry_after: Duration::from_secs(5),
            sweep_after: Duration::from_secs(30),
            cache_ttl: Duration::from_secs(24 * 3600),
            monitor_every: Duration::from_secs(60),
            patience: Duration::from_secs(30),
            history: Duration::from_secs(180 * 86_400),
            trend: TrendSettings::default(),
            rescore_debounce: Duration::from_secs(5),
            webhooks: WebhookSettings::default(),
            rescore_every_hours: 24.0,
            rescore_scan_every: Duration::from_secs(30),
            rescore_rate: 50,
            import_rate: 250,
            import_max_leads: 1_000_000,
            retrain: RetrainSettings {
                check_every: Duration::from_secs(60),
                lease: Duration::from_secs(120),
                python: ".venv/bin/python".into(),
                scripts: "models/training".into(),
                source: "models/v12".into(),
                params: "models/training/retrain.toml".into(),
                work_dir: std::env::temp_dir().join("leadscore-retrain"),
                timeout: Duration::from_secs(30 * 60),
            },
        }
    }
}

/// The connected backends.
#[derive(Clone)]
pub struct Pipeline {
    /// The database.
    pub db: Db,
    /// The queue.
    pub queue: Queue,
    /// The score cache.
    pub cache: Cache,
    /// Redis, when the backends are shared between hosts.
    pub redis: Option<redis::Client>,
    /// The channel changes are announced on (namespaced).
    pub changes_channel: String,
    /// Its behaviour.
    pub config: PipelineConfig,
}

/// The database to use: `url`, or the embedded SQLite file in the store.
pub fn database_url(url: Option<&Secret>, store: &Path) -> Secret {
    url.cloned().unwrap_or_else(|| Secret::new(format!("sqlite://{}", store.join("leadscore.db").display())))
}

impl Pipeline {
    /// Connects to the configured backends, or sets up the embedded ones
    /// (`<store>/leadscore.db`, in-process queue and cache).
    pub async fn connect(backends: &Backends, store: &Path, config: PipelineConfig) -> Result<Pipeline> {
        if backends.database_url.is_none() {
            // The embedded database lives in the store, which may not exist yet.
            std::fs::create_dir_all(store).with_context(|| format!("cannot create {}", store.display()))?;
        }
        let db = Db::connect(database_url(backends.database_url.as_ref(), store).expose()).await?;
        let (queue, cache, redis) = match &backends.redis_url {
            Some(url) => (
                Queue::redis(url.expose(), &backends.redis_namespace).await?,
                Cache::redis(url.expose(), config.cache_ttl, &backends.redis_namespace).await?,
                Some(redis::Client::open(url.expose()).context("bad Redis URL")?),
            ),
            None => (Queue::local(), Cache::local(100_000, config.cache_ttl), None),
        };
        let changes_channel = format!("{}{CHANGES_CHANNEL}", backends.redis_namespace);
        Ok(Pipeline { db, queue, cache, redis, changes_channel, config })
    }

    /// A database call that waits out a short outage (the configured patience).
    pub async fn stored<T, F, Fut>(&self, what: &str, call: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T>>,
    {
        with_retry(what, self.config.patience, call).await
    }

    /// Tells every host that models, routing or learning settings changed.
    pub async fn announce_change(&self) {
        if let Some(client) = &self.redis {
            let published: redis::RedisResult<i64> = async {
                let mut conn = client.get_multiplexed_async_connection().await?;
                redis::cmd("PUBLISH").arg(&self.changes_channel).arg("changed").query_async(&mut conn).await
            }
            .await;
            if let Err(e) = published {
                tracing::warn!(error = %e, "could not announce a change; other hosts pick it up at their next sync");
            }
        }
    }

    /// Whether the database and the queue answer, each within `within`.
    pub async fn health(&self, within: Duration) -> Health {
        let (database, queue) =
            tokio::join!(tokio::time::timeout(within, self.db.ping()), tokio::time::timeout(within, self.queue.ping()));
        Health { database: database.unwrap_or(false), queue: queue.unwrap_or(false) }
    }
}

/// Whether the backends answer.
#[derive(Clone, Copy, Debug)]
pub struct Health {
    /// The database answered.
    pub database: bool,
    /// The queue answered.
    pub queue: bool,
}

/// The database is where hosts share installed versions and routings; a
/// short outage is waited out.
impl Catalog for Pipeline {
    async fn save_model(&self, model: &StoredModel<'_>) -> Result<()> {
        let m = model.manifest;
        self.stored("saving the model", || {
            self.db.save_model(&m.version, &m.name, &m.sha256, model.manifest_json, model.wasm)
        })
        .await
    }

    async fn models_except(&self, known: &[String]) -> Result<Vec<(String, Vec<u8>)>> {
        self.db.models_except(known).await
    }

    async fn save_routing(&self, tenant: Option<&str>, routing: Option<&Routing>) -> Result<()> {
        self.stored("saving the routing", || self.db.save_routing(tenant, routing)).await
    }

    async fn routings(&self) -> Result<Vec<(String, Option<Routing>)>> {
        self.db.routings().await
    }

    async fn announce(&self) {
        self.announce_change().await
    }
}
