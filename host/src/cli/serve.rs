//! `leadscore serve`: the flags (with their environment variables and
//! help, in one place) turned into the service's settings.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use leadscore::api::{Application, LeadLimits, Settings, TimeBounds};
use leadscore::auth;
use leadscore::learning::LearningSettings;
use leadscore::learning::trend::TrendSettings;
use leadscore::pipeline::retrain::RetrainSettings;
use leadscore::pipeline::webhooks::WebhookSettings;
use leadscore::pipeline::{Backends, PipelineConfig};
use leadscore::runtime::component::RuntimeConfig;
use leadscore::secret::Secret;

use super::auth::AuthArgs;

/// Serve the scoring API (`/score-lead`, `/score-lead/batch`), the async
/// pipeline (`/leads/...`), model administration (`/models`,
/// `/models/routing`), `/metrics`, `/openapi.json`, `/healthz` and `/readyz`.
#[derive(clap::Args)]
pub struct Args {
    /// Address to listen on.
    #[arg(long, env = "LEADSCORE_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Directory of built components (`make build` writes target/models).
    #[arg(long, env = "LEADSCORE_MODELS", default_value = "target/models")]
    pub models: PathBuf,
    /// The model store components are installed into.
    #[arg(long, env = "LEADSCORE_STORE", default_value = "target/store")]
    pub store: PathBuf,
    /// Wall-clock time one call into a component may take.
    #[arg(long, env = "LEADSCORE_DEADLINE_MS", default_value_t = 100)]
    pub deadline_ms: u64,
    /// Linear memory one instance may use.
    #[arg(long, env = "LEADSCORE_MEMORY_MIB", default_value_t = 64)]
    pub memory_mib: usize,
    /// Most leads in one batch request.
    #[arg(long, env = "LEADSCORE_MAX_BATCH", default_value_t = 100)]
    pub max_batch: usize,
    /// Largest lead taken, in bytes of JSON; a larger one is refused (400
    /// `lead_too_large`) before it is read. Request bodies may be this large
    /// when it is more than their usual 1 MiB.
    #[arg(long, env = "LEADSCORE_MAX_LEAD_BYTES", default_value_t = 1 << 20,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub max_lead_bytes: usize,
    /// Most activities one lead may have; a lead with more is refused (400
    /// `lead_too_large`).
    #[arg(long, env = "LEADSCORE_MAX_ACTIVITIES", default_value_t = 10_000)]
    pub max_activities: usize,
    #[command(flatten)]
    pub auth: AuthArgs,
    /// With --dev: listen on a non-loopback --addr anyway (development mode
    /// trusts a public secret and lets requests without a token in).
    #[arg(long, requires = "dev")]
    pub dev_allow_remote: bool,
    /// The tenant whose admins install models and set the default routing.
    #[arg(long, env = "LEADSCORE_OPERATOR_ORG", default_value = "leadscore")]
    pub operator_org: String,
    /// Postgres for the pipeline's state; without it, an SQLite file in the store.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<Secret>,
    /// Redis for the queue, the cache and change announcements; without it, in process.
    #[arg(long, env = "REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<Secret>,
    /// Put before every Redis key and channel (several deployments on one Redis).
    #[arg(long, env = "LEADSCORE_REDIS_NAMESPACE", default_value = "")]
    pub redis_namespace: String,
    /// Scoring workers of the async pipeline.
    #[arg(long, env = "LEADSCORE_WORKERS", default_value_t = 4)]
    pub workers: usize,
    /// The built web UI, served at `/` when present.
    #[arg(long, env = "LEADSCORE_WEB", default_value = "web/dist")]
    pub web: PathBuf,
    /// With --dev: lead JSON lines to score for the demo tenant at start (if it has none yet).
    #[arg(long, requires = "dev")]
    pub seed_leads: Option<PathBuf>,
    /// Failed attempts before a request ends FAILED.
    #[arg(long, env = "LEADSCORE_MAX_ATTEMPTS", default_value_t = 3)]
    pub max_attempts: i64,
    /// How long a failed or abandoned delivery (a dead worker's) waits before it is retried.
    #[arg(long, env = "LEADSCORE_RETRY_AFTER_MS", default_value_t = 5000)]
    pub retry_after_ms: u64,
    /// How long a request may stay PENDING untouched before the sweeper re-enqueues it.
    #[arg(long, env = "LEADSCORE_SWEEP_AFTER_MS", default_value_t = 30_000)]
    pub sweep_after_ms: u64,
    /// How often the learning monitor checks every tenant's lift, guardrail and drift.
    #[arg(long, env = "LEADSCORE_MONITOR_EVERY_MS", default_value_t = 60_000)]
    pub monitor_every_ms: u64,
    /// Share of each tenant's leads held out as the control group (reps see
    /// no score), until the tenant sets its own (PUT /learning/settings).
    #[arg(long, env = "LEADSCORE_HOLDOUT_SHARE", default_value_t = 0.1)]
    pub holdout_share: f64,
    /// Oldest `as_of` a lead may have, in days before now.
    #[arg(long, env = "LEADSCORE_AS_OF_MAX_AGE_DAYS", default_value_t = 1826)]
    pub as_of_max_age_days: u64,
    /// How far after now a lead's `as_of` or a reported touch or outcome
    /// may lie, in hours (clocks differ).
    #[arg(long, env = "LEADSCORE_FUTURE_SLACK_HOURS", default_value_t = 24)]
    pub future_slack_hours: u64,
    /// How long before a lead's arrival (the `as_of` it was first scored
    /// with) a touch or outcome may be dated, in hours.
    #[arg(long, env = "LEADSCORE_REPORT_SLACK_HOURS", default_value_t = 24)]
    pub report_slack_hours: u64,
    /// How long each lead's scorings are kept for its history and "why it
    /// changed", in days (its latest score always stays).
    #[arg(long, env = "LEADSCORE_HISTORY_DAYS", default_value_t = 180)]
    pub history_days: u64,
    /// A lead's trend looks at its scorings this many days before its latest.
    #[arg(long, env = "LEADSCORE_TREND_WINDOW_DAYS", default_value_t = 30)]
    pub trend_window_days: u64,
    /// Scorings a trend needs in its window (at least 2; fewer: "not enough history").
    #[arg(long, env = "LEADSCORE_TREND_MIN_POINTS", default_value_t = 2)]
    pub trend_min_points: usize,
    /// Score points up (down) over the window that make a trend improving (declining).
    #[arg(long, env = "LEADSCORE_TREND_MIN_CHANGE", default_value_t = 5)]
    pub trend_min_change: i64,
    /// Activity events and field updates that ask for a rescore: the lead is
    /// rescored this long after the first of a burst (the whole burst
    /// causes one rescore), in milliseconds.
    #[arg(long, env = "LEADSCORE_RESCORE_DEBOUNCE_MS", default_value_t = 5000)]
    pub rescore_debounce_ms: u64,
    /// Scheduled rescoring: a lead whose latest score is older than this many
    /// hours is rescored at as_of = now, for tenants that set no period of
    /// their own (`PUT /integrations/settings`); 0: never.
    #[arg(long, env = "LEADSCORE_RESCORE_EVERY_HOURS", default_value_t = 24.0)]
    pub rescore_every_hours: f64,
    /// At most this many scheduled rescores per second per host.
    #[arg(long, env = "LEADSCORE_RESCORE_RATE", default_value_t = 50)]
    pub rescore_rate: u32,
    /// At most this many imported leads per second per host are fed to the
    /// queue (`POST /leads/import`), and only while no more than a second's
    /// worth waits: a backfill stays below live traffic.
    #[arg(long, env = "LEADSCORE_IMPORT_RATE", default_value_t = 250)]
    pub import_rate: u32,
    /// The most leads (lines) one import may hold; a larger upload is
    /// refused whole (413).
    #[arg(long, env = "LEADSCORE_IMPORT_MAX_LEADS", default_value_t = 1_000_000)]
    pub import_max_leads: u64,
    /// Per-tenant rate limit of the scoring endpoints, in leads per second
    /// per host (a batch counts each lead); beyond it a request is answered
    /// 429 with Retry-After. 0: no limit.
    #[arg(long, env = "LEADSCORE_TENANT_RATE", default_value_t = 500)]
    pub tenant_rate: u32,
    /// Leads a tenant may send at once above its rate (the bucket's size).
    #[arg(long, env = "LEADSCORE_TENANT_BURST", default_value_t = 2000)]
    pub tenant_burst: u32,
    /// Deliver webhooks to private and loopback addresses, and over plain
    /// http (`--dev` implies it).
    #[arg(long, env = "LEADSCORE_WEBHOOK_ALLOW_PRIVATE")]
    pub webhook_allow_private: bool,
    /// A failed webhook delivery's first retry waits this long (each next
    /// one doubles, up to an hour, with jitter), in milliseconds.
    #[arg(long, env = "LEADSCORE_WEBHOOK_RETRY_BASE_MS", default_value_t = 5000)]
    pub webhook_retry_base_ms: u64,
    /// A webhook delivery is retried this long, then given up (replayable), in hours.
    #[arg(long, env = "LEADSCORE_WEBHOOK_RETRY_HOURS", default_value_t = 24)]
    pub webhook_retry_hours: u64,
    /// One webhook attempt's time limit, in milliseconds.
    #[arg(long, env = "LEADSCORE_WEBHOOK_TIMEOUT_MS", default_value_t = 10_000)]
    pub webhook_timeout_ms: u64,
    /// Label the learning loop's figures in /metrics with tenant ids
    /// (/metrics needs no token: off by default).
    #[arg(long, env = "LEADSCORE_METRICS_TENANT_LABELS")]
    pub metrics_tenant_labels: bool,
    /// The closed loop: the Python with the trainer's pinned packages.
    #[arg(long, env = "LEADSCORE_TRAINER_PYTHON", default_value = ".venv/bin/python")]
    pub trainer_python: PathBuf,
    /// ...the training scripts.
    #[arg(long, env = "LEADSCORE_TRAINING_SCRIPTS", default_value = "models/training")]
    pub training_scripts: PathBuf,
    /// ...the model source tenants' models are retrained from (its
    /// features.toml: features, wording, bands).
    #[arg(long, env = "LEADSCORE_RETRAIN_SOURCE", default_value = "models/v12")]
    pub retrain_source: PathBuf,
    /// ...the trainer's settings for a tenant's model.
    #[arg(long, env = "LEADSCORE_RETRAIN_PARAMS", default_value = "models/training/retrain.toml")]
    pub retrain_params: PathBuf,
    /// ...how often each host schedules, runs and judges retrain jobs, in milliseconds.
    #[arg(long, env = "LEADSCORE_RETRAIN_CHECK_MS", default_value_t = 60_000)]
    pub retrain_check_ms: u64,
    /// ...how long a host holds a retrain job without renewing its lease, in milliseconds.
    #[arg(long, env = "LEADSCORE_RETRAIN_LEASE_MS", default_value_t = 120_000)]
    pub retrain_lease_ms: u64,
    /// ...the trainer's time limit, in minutes.
    #[arg(long, env = "LEADSCORE_TRAINER_TIMEOUT_MINUTES", default_value_t = 30)]
    pub trainer_timeout_minutes: u64,
}

impl Args {
    /// The service's settings, and with `--dev` the development token; a
    /// bad secret, a remote `--dev` or a value out of range stops here,
    /// before anything loads.
    fn settings(self) -> Result<(Settings, Option<String>)> {
        if self.auth.dev {
            auth::check_dev_addr(self.addr, self.dev_allow_remote)?;
        }
        let checked_auth = Arc::new(self.auth.auth()?);
        let learning_defaults = LearningSettings { holdout_share: self.holdout_share, ..Default::default() };
        learning_defaults.check().map_err(|e| anyhow::anyhow!("--{}", e.replace('_', "-")))?;
        anyhow::ensure!(self.workers >= 1, "--workers must be at least 1");
        anyhow::ensure!(self.max_attempts >= 1, "--max-attempts must be at least 1");
        anyhow::ensure!(self.history_days >= 1, "--history-days must be at least 1");
        anyhow::ensure!(self.trend_min_points >= 2, "--trend-min-points must be at least 2");
        anyhow::ensure!(self.trend_min_change >= 1, "--trend-min-change must be at least 1");
        anyhow::ensure!(
            self.rescore_every_hours.is_finite() && self.rescore_every_hours >= 0.0,
            "--rescore-every-hours must be 0 (never) or more"
        );
        let dev_token = match self.auth.dev {
            true => Some(self.auth.mint(auth::DEV_ORG, &auth::ALL_SCOPES, Duration::from_secs(30 * 86_400))?),
            false => None,
        };
        // Hidden: the model store lists every other directory in it as a version.
        let retrain_dir = self.store.join(".retrain");
        let settings = Settings {
            addr: self.addr,
            runtime: RuntimeConfig {
                deadline: Duration::from_millis(self.deadline_ms),
                memory_limit: self.memory_mib << 20,
                cache_dir: Some(self.store.join(".compiled")),
                ..RuntimeConfig::default()
            },
            models: self.models,
            store: self.store,
            max_batch: self.max_batch,
            // A body holds at least one lead of the largest size taken.
            max_body: self.max_lead_bytes.max(1 << 20),
            max_upload: 64 << 20,
            auth: checked_auth,
            operator_org: self.operator_org,
            backends: Backends {
                database_url: self.database_url,
                redis_url: self.redis_url,
                redis_namespace: self.redis_namespace,
            },
            pipeline: PipelineConfig {
                workers: self.workers,
                max_attempts: self.max_attempts,
                retry_after: Duration::from_millis(self.retry_after_ms),
                sweep_after: Duration::from_millis(self.sweep_after_ms),
                monitor_every: Duration::from_millis(self.monitor_every_ms.max(100)),
                history: Duration::from_secs(self.history_days.saturating_mul(86_400)),
                trend: TrendSettings {
                    window: Duration::from_secs(self.trend_window_days.saturating_mul(86_400)),
                    min_points: self.trend_min_points,
                    min_change: self.trend_min_change,
                },
                rescore_debounce: Duration::from_millis(self.rescore_debounce_ms),
                rescore_every_hours: self.rescore_every_hours,
                rescore_rate: self.rescore_rate.max(1),
                import_rate: self.import_rate.max(1),
                import_max_leads: self.import_max_leads.max(1),
                webhooks: WebhookSettings {
                    retry_base: Duration::from_millis(self.webhook_retry_base_ms.max(1)),
                    retry_for: Duration::from_secs(self.webhook_retry_hours.saturating_mul(3600)),
                    timeout: Duration::from_millis(self.webhook_timeout_ms.max(1)),
                    allow_private: self.webhook_allow_private || self.auth.dev,
                },
                retrain: RetrainSettings {
                    check_every: Duration::from_millis(self.retrain_check_ms.max(100)),
                    lease: Duration::from_millis(self.retrain_lease_ms.max(300)),
                    python: self.trainer_python,
                    scripts: self.training_scripts,
                    source: self.retrain_source,
                    params: self.retrain_params,
                    work_dir: retrain_dir,
                    timeout: Duration::from_secs(self.trainer_timeout_minutes.max(1).saturating_mul(60)),
                },
                ..Default::default()
            },
            web: Some(self.web),
            seed_leads: self.seed_leads,
            learning_defaults,
            bounds: TimeBounds {
                as_of_max_age: Duration::from_secs(self.as_of_max_age_days.saturating_mul(86_400)),
                future_slack: Duration::from_secs(self.future_slack_hours.saturating_mul(3_600)),
                report_slack: Duration::from_secs(self.report_slack_hours.saturating_mul(3_600)),
            },
            lead_limits: LeadLimits { max_bytes: self.max_lead_bytes, max_activities: self.max_activities },
            tenant_rate: self.tenant_rate,
            tenant_burst: self.tenant_burst,
            metrics_tenant_labels: self.metrics_tenant_labels,
        };
        Ok((settings, dev_token))
    }
}

/// Serves until the process is stopped.
pub fn run(args: Args) -> Result<()> {
    let (settings, dev_token) = args.settings()?;
    super::init_logging();
    let addr = settings.addr;
    tokio::runtime::Runtime::new()?.block_on(async {
        let app = Application::build(settings).await?;
        eprintln!("serving on http://{}:{}", addr.ip(), app.port());
        if let Some(token) = &dev_token {
            eprintln!("development mode: requests without a token act as tenant {:?}", auth::DEV_ORG);
            eprintln!("development token ({}, every scope): {token}", auth::DEV_ORG);
        }
        app.run_until_stopped().await
    })
}
