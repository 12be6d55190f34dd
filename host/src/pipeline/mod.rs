//! The async scoring pipeline's backends: the database (Postgres, or an
//! embedded SQLite file), the queue (a Redis stream, or in process) and the
//! score cache (Redis, or in process); with Redis, a channel that tells
//! every host about installs and routing changes.

pub mod cache;
pub mod db;
pub mod queue;

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};

pub use cache::Cache;
pub use db::Db;
pub use queue::{Delivery, Job, Queue};

/// The channel installs and routing changes are announced on (after the namespace).
pub const CHANGES_CHANNEL: &str = "leadscore:changes";

/// Where the pipeline keeps its state.
#[derive(Clone, Debug, Default)]
pub struct Backends {
    /// `postgres://...`; `None`: an SQLite file in the model store.
    pub database_url: Option<String>,
    /// `redis://...`; `None`: in-process queue and cache.
    pub redis_url: Option<String>,
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
pub fn database_url(url: Option<&str>, store: &Path) -> String {
    url.map_or_else(|| format!("sqlite://{}", store.join("leadscore.db").display()), String::from)
}

impl Pipeline {
    /// Connects to the configured backends, or sets up the embedded ones
    /// (`<store>/leadscore.db`, in-process queue and cache).
    pub async fn connect(backends: &Backends, store: &Path, config: PipelineConfig) -> Result<Pipeline> {
        let db = Db::connect(&database_url(backends.database_url.as_deref(), store)).await?;
        let (queue, cache, redis) = match &backends.redis_url {
            Some(url) => (
                Queue::redis(url, &backends.redis_namespace).await?,
                Cache::redis(url, config.cache_ttl, &backends.redis_namespace).await?,
                Some(redis::Client::open(url.as_str()).context("bad Redis URL")?),
            ),
            None => (Queue::local(), Cache::local(100_000, config.cache_ttl), None),
        };
        let changes_channel = format!("{}{CHANGES_CHANNEL}", backends.redis_namespace);
        Ok(Pipeline { db, queue, cache, redis, changes_channel, config })
    }

    /// Tells every host that models or routing changed.
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
}

/// Runs `attempt` until it succeeds or `patience` runs out, backing off
/// between tries: the database or Redis being away for a few seconds makes
/// callers wait, not fail. Only a [transient](is_transient) error is tried
/// again: a permanent one (a value the database refuses, a constraint) would
/// fail the same way every time, so it is returned at once.
pub async fn with_retry<T, F, Fut>(what: &str, patience: Duration, mut attempt: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    let started = std::time::Instant::now();
    let mut pause = Duration::from_millis(50);
    loop {
        match attempt().await {
            Ok(value) => return Ok(value),
            Err(e) if !is_transient(&e) => return Err(e.context(format!("{what}: failed"))),
            Err(e) if started.elapsed() + pause < patience => {
                tracing::warn!(error = %format!("{e:#}"), what, "retrying");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(1));
            }
            Err(e) => return Err(e.context(format!("{what}: gave up after {:?}", started.elapsed()))),
        }
    }
}

/// Whether an error may go away if the same call is made again: the
/// connection to the database or Redis failed, timed out or was closed, the
/// server is starting or shutting down, or a transaction lost a race
/// (serialization failure, deadlock, SQLite busy). Anything else — a value
/// the database refuses (Postgres cannot store U+0000 in text), a violated
/// constraint, a bug in a query — is permanent.
pub fn is_transient(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        if let Some(e) = cause.downcast_ref::<sqlx::Error>() {
            return sql_is_transient(e);
        }
        if let Some(e) = cause.downcast_ref::<redis::RedisError>() {
            return e.is_io_error()
                || e.is_connection_dropped()
                || e.is_connection_refusal()
                || e.is_timeout()
                || matches!(e.code(), Some("LOADING" | "TRYAGAIN" | "BUSY" | "MASTERDOWN"));
        }
        cause.downcast_ref::<std::io::Error>().is_some()
    })
}

fn sql_is_transient(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(e) => {
            let code = e.code().unwrap_or_default();
            if e.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
                // SQLite result codes: 5 SQLITE_BUSY, 6 SQLITE_LOCKED, and their
                // extended codes, whose low byte is the primary code.
                code.parse::<u32>().is_ok_and(|n| matches!(n & 0xff, 5 | 6))
            } else {
                // Postgres SQLSTATE (appendix A of its manual): class 08
                // connection exception, 53 insufficient resources, 40001
                // serialization failure, 40P01 deadlock, 57P0x shutting down
                // or cannot connect now.
                code.starts_with("08")
                    || code.starts_with("53")
                    || matches!(code.as_ref(), "40001" | "40P01" | "57P01" | "57P02" | "57P03")
            }
        }
        _ => false,
    }
}
