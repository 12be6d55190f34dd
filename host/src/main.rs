//! `leadscore`: the command line. Parses arguments and calls the library.

use std::io::{self, BufReader};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use leadscore::component::{Runtime, RuntimeConfig};
use leadscore::model_store::ModelStore;
use leadscore::{auth, export_training, features_cmd, model_build, pipeline, rollout, score_cmd, serve, simulate};

/// Lead scoring with explainable XGBoost models compiled to WebAssembly.
#[derive(Parser)]
#[command(version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once, at start
enum Command {
    /// Model components: build them from model directories.
    Model {
        #[command(subcommand)]
        command: ModelCommand,
    },
    /// Score leads (JSON lines) with a model component; one result line per lead.
    Score {
        /// The model component (`<name>-<version>.wasm`).
        #[arg(long)]
        model: PathBuf,
        /// Lead JSON lines; `-` or nothing reads standard input.
        leads: Option<PathBuf>,
        /// Print badges and top reasons for people instead of JSON lines.
        #[arg(long)]
        pretty: bool,
        /// CPU time one call into the component may take (64 leads per call;
        /// offline batches get more room than the service's 100 ms).
        #[arg(long, env = "LEADSCORE_DEADLINE_MS", default_value_t = 1000)]
        deadline_ms: u64,
        /// Linear memory one instance may use.
        #[arg(long, env = "LEADSCORE_MEMORY_MIB", default_value_t = 64)]
        memory_mib: usize,
        /// Keep compiled components here so that the next run does not recompile.
        #[arg(long, env = "LEADSCORE_CACHE_DIR")]
        cache_dir: Option<PathBuf>,
    },
    /// Serve the scoring API (`/score-lead`, `/score-lead/batch`), model
    /// administration (`/models`, `/models/routing`), `/metrics`,
    /// `/openapi.json`, `/healthz` and `/readyz`.
    Serve {
        /// Address to listen on.
        #[arg(long, env = "LEADSCORE_ADDR", default_value = "127.0.0.1:8080")]
        addr: std::net::SocketAddr,
        /// Directory of built components (`make build` writes target/models).
        #[arg(long, env = "LEADSCORE_MODELS", default_value = "target/models")]
        models: PathBuf,
        /// The model store components are installed into.
        #[arg(long, env = "LEADSCORE_STORE", default_value = "target/store")]
        store: PathBuf,
        /// CPU time one call into a component may take.
        #[arg(long, env = "LEADSCORE_DEADLINE_MS", default_value_t = 100)]
        deadline_ms: u64,
        /// Linear memory one instance may use.
        #[arg(long, env = "LEADSCORE_MEMORY_MIB", default_value_t = 64)]
        memory_mib: usize,
        /// Most leads in one batch request.
        #[arg(long, env = "LEADSCORE_MAX_BATCH", default_value_t = 100)]
        max_batch: usize,
        #[command(flatten)]
        auth: AuthArgs,
        /// With --dev: listen on a non-loopback --addr anyway (development mode
        /// trusts a public secret and lets requests without a token in).
        #[arg(long, requires = "dev")]
        dev_allow_remote: bool,
        /// The tenant whose admins install models and set the default routing.
        #[arg(long, env = "LEADSCORE_OPERATOR_ORG", default_value = "leadscore")]
        operator_org: String,
        /// Postgres for the pipeline's state; without it, an SQLite file in the store.
        #[arg(long, env = "DATABASE_URL")]
        database_url: Option<String>,
        /// Redis for the queue, the cache and change announcements; without it, in process.
        #[arg(long, env = "REDIS_URL")]
        redis_url: Option<String>,
        /// Put before every Redis key and channel (several deployments on one Redis).
        #[arg(long, env = "LEADSCORE_REDIS_NAMESPACE", default_value = "")]
        redis_namespace: String,
        /// Scoring workers of the async pipeline.
        #[arg(long, env = "LEADSCORE_WORKERS", default_value_t = 4)]
        workers: usize,
        /// The built web UI, served at `/` when present.
        #[arg(long, env = "LEADSCORE_WEB", default_value = "web/dist")]
        web: PathBuf,
        /// With --dev: lead JSON lines to score for the demo tenant at start (if it has none yet).
        #[arg(long, requires = "dev")]
        seed_leads: Option<PathBuf>,
        /// Failed attempts before a request ends FAILED.
        #[arg(long, env = "LEADSCORE_MAX_ATTEMPTS", default_value_t = 3)]
        max_attempts: i64,
        /// How long a failed or abandoned delivery (a dead worker's) waits before it is retried.
        #[arg(long, env = "LEADSCORE_RETRY_AFTER_MS", default_value_t = 5000)]
        retry_after_ms: u64,
        /// How long a request may stay PENDING untouched before the sweeper re-enqueues it.
        #[arg(long, env = "LEADSCORE_SWEEP_AFTER_MS", default_value_t = 30_000)]
        sweep_after_ms: u64,
        /// How often the learning monitor checks every tenant's lift, guardrail and drift.
        #[arg(long, env = "LEADSCORE_MONITOR_EVERY_MS", default_value_t = 60_000)]
        monitor_every_ms: u64,
        /// Share of each tenant's leads held out as the control group (reps see
        /// no score), until the tenant sets its own (PUT /learning/settings).
        #[arg(long, env = "LEADSCORE_HOLDOUT_SHARE", default_value_t = 0.1)]
        holdout_share: f64,
        /// Oldest `as_of` a lead may have, in days before now.
        #[arg(long, env = "LEADSCORE_AS_OF_MAX_AGE_DAYS", default_value_t = 1826)]
        as_of_max_age_days: u64,
        /// How far after now a lead's `as_of` or a reported touch or outcome
        /// may lie, in hours (clocks differ).
        #[arg(long, env = "LEADSCORE_FUTURE_SLACK_HOURS", default_value_t = 24)]
        future_slack_hours: u64,
        /// How long before a lead's arrival (the `as_of` it was first scored
        /// with) a touch or outcome may be dated, in hours.
        #[arg(long, env = "LEADSCORE_REPORT_SLACK_HOURS", default_value_t = 24)]
        report_slack_hours: u64,
        /// Label the learning loop's figures in /metrics with tenant ids
        /// (/metrics needs no token: off by default).
        #[arg(long, env = "LEADSCORE_METRICS_TENANT_LABELS")]
        metrics_tenant_labels: bool,
    },
    /// Mint a bearer token (HS256, the service's secret) for development and scripts.
    Token {
        /// The tenant.
        #[arg(long)]
        org: String,
        /// Comma-separated scopes: crm.write.leads, crm.read.leads, crm.admin.models.
        #[arg(long, value_delimiter = ',', default_value = "crm.write.leads,crm.read.leads")]
        scopes: Vec<String>,
        /// Days the token is valid, 1–3650.
        #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3650))]
        days: u64,
        #[command(flatten)]
        auth: AuthArgs,
    },
    /// Simulate a CRM: leads with activity histories and their outcomes
    /// (see docs/simulator.md).
    Simulate {
        /// Number of leads.
        #[arg(long, default_value_t = 48_000)]
        leads: usize,
        /// Months of history (the last 6 drift).
        #[arg(long, default_value_t = 24)]
        months: u32,
        /// Random seed: the same seed gives the same files.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Directory for leads.jsonl, outcomes.jsonl and simulation.json.
        #[arg(long)]
        out: PathBuf,
    },
    /// Export the feature matrix (CSV) of lead JSON lines, as a model's
    /// features.toml defines it.
    Features {
        /// The features.toml.
        #[arg(long)]
        spec: PathBuf,
        /// Lead JSON lines; `-` or nothing reads standard input.
        leads: Option<PathBuf>,
        /// Write the CSV here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Replay simulated leads through a running service and compare a team
    /// working its queue in arrival order with one working it by score
    /// (time to first touch, win rate); see docs/simulator.md.
    SimulateRollout {
        #[command(flatten)]
        settings: rollout::RolloutSettings,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Export a tenant's scored leads with known outcomes for retraining:
    /// leads.jsonl, outcomes.jsonl and simulation.json (as `simulate` writes
    /// them), and with --spec the feature CSV.
    ExportTraining {
        /// The tenant.
        #[arg(long)]
        org: String,
        /// Leads scored from this date (YYYY-MM-DD) or RFC 3339 time on.
        #[arg(long)]
        since: String,
        /// The directory to write.
        #[arg(long)]
        out: PathBuf,
        /// Also write features.csv for this features.toml.
        #[arg(long)]
        spec: Option<PathBuf>,
        /// The service's Postgres; without it, the embedded SQLite file in --store.
        #[arg(long, env = "DATABASE_URL")]
        database_url: Option<String>,
        /// The service's model store (where the embedded database lives).
        #[arg(long, env = "LEADSCORE_STORE", default_value = "target/store")]
        store: PathBuf,
    },
}

/// Where token secrets and keys come from, and what tokens must claim.
#[derive(clap::Args)]
struct AuthArgs {
    /// HS256 secret for bearer tokens, at least 32 bytes (`openssl rand -hex 32`).
    #[arg(long, env = "LEADSCORE_JWT_SECRET", hide_env_values = true, conflicts_with = "jwt_public_key")]
    jwt_secret: Option<String>,
    /// RS256 public key (PEM file) for bearer tokens.
    #[arg(long, env = "LEADSCORE_JWT_PUBLIC_KEY")]
    jwt_public_key: Option<PathBuf>,
    /// Accept only tokens whose `aud` claim names one of these (comma-separated).
    /// Without it, a token carrying `aud` is refused.
    #[arg(long, env = "LEADSCORE_JWT_AUDIENCE", value_delimiter = ',')]
    jwt_audience: Vec<String>,
    /// Accept only tokens whose `iss` claim is this issuer.
    #[arg(long, env = "LEADSCORE_JWT_ISSUER")]
    jwt_issuer: Option<String>,
    /// Development: requests without a token act as the demo tenant with
    /// every scope, and the development secret is used if none is given.
    #[arg(long)]
    dev: bool,
}

impl AuthArgs {
    fn secret(&self) -> Result<Vec<u8>> {
        match (&self.jwt_secret, self.dev) {
            (Some(secret), _) => {
                auth::check_secret(secret.as_bytes())?;
                Ok(secret.as_bytes().to_vec())
            }
            (None, true) => Ok(auth::DEV_SECRET.as_bytes().to_vec()),
            (None, false) => anyhow::bail!("no token secret: set --jwt-secret or LEADSCORE_JWT_SECRET (or pass --dev)"),
        }
    }

    fn auth(&self) -> Result<auth::Auth> {
        auth::check_claim_values(&self.jwt_audience, self.jwt_issuer.as_deref())?;
        if let Some(secret) = &self.jwt_secret {
            auth::check_secret(secret.as_bytes())?; // even beside a public key: a bad secret is a mistake
        }
        let auth = match &self.jwt_public_key {
            Some(path) => {
                let pem = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
                auth::Auth::rs256(&pem, self.dev)?
            }
            None => auth::Auth::hs256_checked(&self.secret().context("tokens cannot be checked")?, self.dev)?,
        };
        if auth.is_rs256() && self.jwt_audience.is_empty() {
            eprintln!(
                "warning: RS256 without --jwt-audience: tokens carrying an `aud` claim (every identity provider's) \
                 are refused; set --jwt-audience to this service's audience"
            );
        }
        Ok(auth.with_audience(&self.jwt_audience).with_issuer(self.jwt_issuer.as_deref()))
    }

    /// An HS256 token with the configured secret, audience and issuer.
    fn mint(&self, org: &str, scopes: &[&str], valid_for: Duration) -> Result<String> {
        auth::check_claim_values(&self.jwt_audience, self.jwt_issuer.as_deref())?;
        auth::mint_for(&self.secret()?, org, scopes, valid_for, &self.jwt_audience, self.jwt_issuer.as_deref())
    }
}

#[derive(Subcommand)]
enum ModelCommand {
    /// Build `<model-dir>` (model.json, features.toml, calibration.json) into a
    /// component and its manifest.
    Build {
        /// Directory holding model.json, features.toml and optionally calibration.json.
        model_dir: PathBuf,
        /// Where to write `<name>-<version>.wasm` and `<name>-<version>.manifest.json`.
        #[arg(long)]
        out: PathBuf,
        /// The leadscore source tree (holds guest-model/).
        #[arg(long, env = "LEADSCORE_WORKSPACE", default_value = default_workspace())]
        workspace: PathBuf,
    },
    /// Check a built component against its manifest (sha256, world, model-info,
    /// golden self-test) and install it into a model store.
    Install {
        /// The component.
        wasm: PathBuf,
        /// Its manifest (written by `model build`).
        manifest: PathBuf,
        /// The model store.
        #[arg(long, env = "LEADSCORE_STORE")]
        store: PathBuf,
    },
    /// List the versions installed in a model store.
    List {
        /// The model store.
        #[arg(long, env = "LEADSCORE_STORE")]
        store: PathBuf,
    },
}

/// A file, or standard input for `-` or nothing.
fn open_input(path: Option<PathBuf>) -> Result<Box<dyn io::BufRead>> {
    match path.filter(|p| p.as_os_str() != "-") {
        Some(path) => {
            let file = std::fs::File::open(&path).with_context(|| format!("cannot open {}", path.display()))?;
            Ok(Box::new(BufReader::new(file)))
        }
        None => Ok(Box::new(BufReader::new(io::stdin()))),
    }
}

fn default_workspace() -> &'static str {
    concat!(env!("CARGO_MANIFEST_DIR"), "/..")
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Logs to standard error; `RUST_LOG` chooses what (default: `info`).
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(io::stderr).init();
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Model { command: ModelCommand::Build { model_dir, out, workspace } } => {
            let built = model_build::build(&model_dir, &out, &workspace)?;
            println!("{}", built.wasm.display());
            println!("{}", built.manifest.display());
            Ok(())
        }
        Command::Model { command: ModelCommand::Install { wasm, manifest, store } } => {
            let store = ModelStore::open(&store, Runtime::new(RuntimeConfig::default())?)?;
            let bytes = std::fs::read(&wasm).with_context(|| format!("cannot read {}", wasm.display()))?;
            let text =
                std::fs::read_to_string(&manifest).with_context(|| format!("cannot read {}", manifest.display()))?;
            let installed = store.install(&bytes, &text)?;
            let verb = if installed.new { "installed" } else { "already installed (identical)" };
            println!(
                "{}-{} {verb} in {}",
                installed.manifest.name,
                installed.manifest.version,
                installed.dir.display()
            );
            Ok(())
        }
        Command::Model { command: ModelCommand::List { store } } => {
            let store = ModelStore::open(&store, Runtime::new(RuntimeConfig::default())?)?;
            for m in store.list()? {
                println!("{}-{}\t{}\t{} trees\tbuilt {}", m.name, m.version, m.sha256, m.num_trees, m.built_at);
            }
            Ok(())
        }
        Command::Score { model, leads, pretty, deadline_ms, memory_mib, cache_dir } => {
            let runtime = Runtime::new(RuntimeConfig {
                deadline: Duration::from_millis(deadline_ms),
                memory_limit: memory_mib << 20,
                cache_dir,
                ..RuntimeConfig::default()
            })?;
            let bytes = std::fs::read(&model).with_context(|| format!("cannot read {}", model.display()))?;
            let component = runtime
                .load(&bytes)
                .with_context(|| format!("{} is not a usable scorer component", model.display()))?;
            let format = if pretty { score_cmd::Format::Text } else { score_cmd::Format::Json };
            score_cmd::run(&component, open_input(leads)?, io::stdout().lock(), format)
        }
        Command::Token { org, scopes, days, auth } => {
            let scopes: Vec<&str> = scopes.iter().map(String::as_str).collect();
            println!("{}", auth.mint(&org, &scopes, Duration::from_secs(days * 86_400))?);
            Ok(())
        }
        Command::Serve {
            addr,
            models,
            store,
            deadline_ms,
            memory_mib,
            max_batch,
            auth,
            dev_allow_remote,
            operator_org,
            database_url,
            redis_url,
            redis_namespace,
            workers,
            max_attempts,
            retry_after_ms,
            sweep_after_ms,
            monitor_every_ms,
            holdout_share,
            as_of_max_age_days,
            future_slack_hours,
            report_slack_hours,
            metrics_tenant_labels,
            web,
            seed_leads,
        } => {
            // Auth first: a bad secret or a remote --dev stops here, before anything loads.
            if auth.dev {
                auth::check_dev_addr(addr, dev_allow_remote)?;
            }
            let checked_auth = std::sync::Arc::new(auth.auth()?);
            let learning_defaults = leadscore::learning::LearningSettings { holdout_share, ..Default::default() };
            learning_defaults.check().map_err(|e| anyhow::anyhow!("--{}", e.replace('_', "-")))?;
            let runtime = RuntimeConfig {
                deadline: Duration::from_millis(deadline_ms),
                memory_limit: memory_mib << 20,
                cache_dir: Some(store.join(".compiled")),
                ..RuntimeConfig::default()
            };
            anyhow::ensure!(workers >= 1, "--workers must be at least 1");
            anyhow::ensure!(max_attempts >= 1, "--max-attempts must be at least 1");
            init_logging();
            let dev_token = match auth.dev {
                true => Some(auth.mint(auth::DEV_ORG, &auth::ALL_SCOPES, Duration::from_secs(30 * 86_400))?),
                false => None,
            };
            let settings = serve::Settings {
                addr,
                models,
                store,
                runtime,
                max_batch,
                max_body: 1 << 20,
                max_upload: 64 << 20,
                auth: checked_auth,
                operator_org,
                backends: pipeline::Backends { database_url, redis_url, redis_namespace },
                pipeline: pipeline::PipelineConfig {
                    workers,
                    max_attempts,
                    retry_after: Duration::from_millis(retry_after_ms),
                    sweep_after: Duration::from_millis(sweep_after_ms),
                    monitor_every: Duration::from_millis(monitor_every_ms.max(100)),
                    ..Default::default()
                },
                web: Some(web),
                seed_leads,
                learning_defaults,
                bounds: serve::TimeBounds {
                    as_of_max_age: Duration::from_secs(as_of_max_age_days.saturating_mul(86_400)),
                    future_slack: Duration::from_secs(future_slack_hours.saturating_mul(3_600)),
                    report_slack: Duration::from_secs(report_slack_hours.saturating_mul(3_600)),
                },
                metrics_tenant_labels,
            };
            tokio::runtime::Runtime::new()?.block_on(async {
                let app = serve::Application::build(settings).await?;
                eprintln!("serving on http://{}:{}", addr.ip(), app.port());
                if let Some(token) = &dev_token {
                    eprintln!("development mode: requests without a token act as tenant {:?}", auth::DEV_ORG);
                    eprintln!("development token ({}, every scope): {token}", auth::DEV_ORG);
                }
                app.run_until_stopped().await
            })
        }
        Command::Simulate { leads, months, seed, out } => {
            let summary = simulate::run(simulate::Settings { leads, months, seed }, &out)?;
            eprintln!(
                "{} leads, {} won ({:.2} %), {} activities → {}",
                summary.leads,
                summary.won,
                100.0 * summary.conversion_rate,
                summary.activities,
                out.display()
            );
            Ok(())
        }
        Command::SimulateRollout { settings, json } => {
            let report = tokio::runtime::Runtime::new()?.block_on(rollout::run(&settings))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", rollout::text(&report));
            }
            Ok(())
        }
        Command::ExportTraining { org, since, out, spec, database_url, store } => {
            let since = export_training::parse_since(&since)?;
            let spec = spec.map(|path| read_spec(&path)).transpose()?;
            let url = pipeline::database_url(database_url.as_deref(), &store);
            let exported = tokio::runtime::Runtime::new()?.block_on(export_training::run(
                &url,
                &org,
                since,
                &out,
                spec.as_ref().map(|s| s.features.as_slice()),
            ))?;
            eprintln!(
                "exported {} leads ({} won) spanning {} months into {}",
                exported.leads,
                exported.won,
                exported.months,
                out.display()
            );
            Ok(())
        }
        Command::Features { spec, leads, out } => {
            let spec = read_spec(&spec)?;
            let input = open_input(leads)?;
            match out {
                Some(path) => {
                    let file =
                        std::fs::File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
                    features_cmd::run(&spec.features, input, io::BufWriter::new(file))?;
                }
                None => {
                    features_cmd::run(&spec.features, input, io::stdout().lock())?;
                }
            }
            Ok(())
        }
    }
}

/// A features.toml.
fn read_spec(path: &std::path::Path) -> Result<guest_model::load::spec::Spec> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    guest_model::load::spec::parse_spec(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}
