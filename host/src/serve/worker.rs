//! The background side of the pipeline: workers that score queued requests
//! and record the results, the sweeper that re-enqueues requests the queue
//! lost, and the listener that applies other hosts' installs and routing
//! changes.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::Value;

use super::AppState;
use super::scoring::{Plan, route_and_score};
use crate::learning::in_control_group;
use crate::pipeline::db::{Scored, ShadowScored};
use crate::pipeline::{Cache, Delivery, Job, with_retry};
use crate::report::ScoreJson;

/// Leads one worker takes from the queue at a time (and records in one transaction).
const BATCH: usize = 32;
/// How long a read waits for new requests.
const WAIT: Duration = Duration::from_millis(500);
/// The database may be away this long before a worker stops waiting for it
/// (the deliveries stay unacknowledged and are retried).
const RECORD_PATIENCE: Duration = Duration::from_secs(600);

/// Starts the workers, the sweeper and (with Redis) the change listener.
pub fn spawn(state: &Arc<AppState>) {
    for n in 0..state.pipeline.config.workers {
        let consumer = format!("{}-{n}", state.host_id);
        tokio::spawn(work(state.clone(), consumer));
    }
    tokio::spawn(sweep(state.clone()));
    if state.pipeline.redis.is_some() {
        tokio::spawn(listen_for_changes(state.clone()));
    }
}

/// What became of one job.
enum Outcome {
    Scored(Box<Scored>),
    /// Worth another try (every version failed: a trap, a deadline).
    Retry(String),
    /// No retry can help (the component refused the lead).
    Fail(String),
}

/// Records scorings one at a time after their batch was refused: each one
/// the database refuses for good ends FAILED, naming why. Returns the ones
/// left unrecorded (the database went away meanwhile): they are retried.
async fn record_one_by_one(state: &Arc<AppState>, scored: Vec<Scored>) -> Vec<Scored> {
    let db = &state.pipeline.db;
    let mut unrecorded = Vec::new();
    for one in scored {
        let Err(e) =
            with_retry("recording a score", RECORD_PATIENCE, || db.record_scores(std::slice::from_ref(&one))).await
        else {
            continue;
        };
        let why = format!("the score could not be stored: {e:#}");
        let failed = !crate::pipeline::is_transient(&e)
            && with_retry("recording a failure", RECORD_PATIENCE, || db.record_failure(&one.request_id, &why, 0))
                .await
                .is_ok();
        match failed {
            true => tracing::warn!(request_id = one.request_id, why, "request FAILED"),
            false => unrecorded.push(one),
        }
    }
    unrecorded
}

async fn work(state: Arc<AppState>, consumer: String) {
    loop {
        let mut reader = connect_reader(&state, &consumer).await;
        loop {
            let deliveries = match reader.next(BATCH, state.pipeline.config.retry_after, WAIT).await {
                Ok(deliveries) => deliveries,
                Err(e) => {
                    // The reader's own connection may be dead (Redis restarted,
                    // failed over, or dropped it): a new reader gets a new one.
                    tracing::warn!(error = %format!("{e:#}"), "reading the queue failed; reconnecting");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    break;
                }
            };
            if !deliveries.is_empty() {
                handle(&state, deliveries).await;
            }
        }
    }
}

/// A reader for this worker, waiting for the queue to answer.
async fn connect_reader(state: &AppState, consumer: &str) -> crate::pipeline::queue::Reader {
    loop {
        match state.pipeline.queue.reader(consumer).await {
            Ok(reader) => return reader,
            Err(e) => {
                tracing::warn!(error = %format!("{e:#}"), "queue unavailable; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

/// Scores a batch, records the results in one transaction, then
/// acknowledges: a worker that dies before the acknowledgement leaves its
/// deliveries to be claimed by another, and recording twice changes nothing.
async fn handle(state: &Arc<AppState>, deliveries: Vec<Delivery>) {
    let (db, queue, config) = (&state.pipeline.db, &state.pipeline.queue, &state.pipeline.config);
    let mut scored = Vec::new();
    let mut done = Vec::new();
    // The batch's leads are scored concurrently (within the scoring slots):
    // their cache lookups and scoring overlap instead of queueing.
    let outcomes = futures_util::future::join_all(deliveries.iter().map(|d| score_job(state, &d.job))).await;
    for (delivery, outcome) in deliveries.into_iter().zip(outcomes) {
        let (why, max_attempts) = match outcome {
            Outcome::Scored(s) => {
                scored.push(*s);
                done.push(delivery);
                continue;
            }
            Outcome::Retry(why) => (why, config.max_attempts),
            Outcome::Fail(why) => (why, 0),
        };
        let request_id = delivery.job.request_id.clone();
        let recorded =
            with_retry("recording a failure", RECORD_PATIENCE, || db.record_failure(&request_id, &why, max_attempts))
                .await;
        match recorded {
            Ok(true) => {
                tracing::warn!(request_id, why, "request FAILED");
                done.push(delivery);
            }
            Ok(false) => {
                tracing::info!(request_id, why, "attempt failed; retrying later");
                queue.retry_later(delivery, config.retry_after);
            }
            Err(e) => tracing::error!(request_id, error = %format!("{e:#}"), "could not record a failure"),
        }
    }
    if !scored.is_empty()
        && let Err(e) = with_retry("recording scores", RECORD_PATIENCE, || db.record_scores(&scored)).await
    {
        let unrecorded = match crate::pipeline::is_transient(&e) {
            // Unacknowledged: another delivery will record them.
            true => scored,
            // The database refuses something in the batch: one lead's value
            // must not keep the others from being recorded.
            false => record_one_by_one(state, scored).await,
        };
        tracing::error!(error = %format!("{e:#}"), unrecorded = unrecorded.len(), "could not record scores");
        done.retain(|d| !unrecorded.iter().any(|s| s.request_id == d.job.request_id));
    }
    if let Err(e) = queue.ack(&done).await {
        tracing::warn!(error = %format!("{e:#}"), "acknowledging failed; the entries will be delivered again");
    }
}

async fn score_job(state: &Arc<AppState>, job: &Job) -> Outcome {
    let context: Value = match serde_json::from_str(&job.context) {
        Ok(v) => v,
        Err(e) => return Outcome::Fail(format!("context: {e}")),
    };
    let router = state.router.load_full();
    let routing = router.routing_for(Some(&job.org_id));
    let primary = job.model_version.clone().unwrap_or_else(|| routing.primary(&job.lead_id).to_string());
    // A request for a named version is a manual check: no shadow beside it.
    let shadow = routing.shadow.clone().filter(|_| job.model_version.is_none());
    let hit = match router.components.get(&primary) {
        Some(component) if !job.force_refresh => cached(state, component.sha256(), &context).await,
        _ => None,
    };
    let mut record = match hit {
        Some((result, sha256)) => scored(state, job, &context, Inference::cached(result, sha256)),
        None => {
            let plan = Plan::Routed { tenant: Some(job.org_id.clone()), requested: job.model_version.clone() };
            match infer(state, &job.context, &context, plan).await {
                Ok(inference) => scored(state, job, &context, inference),
                Err(outcome) => return outcome,
            }
        }
    };
    let answered = record.result["model_version"].as_str().unwrap_or_default().to_string();
    if let Some(version) = shadow.filter(|v| *v != answered) {
        record.shadow = shadow_inference(state, job, &context, &version).await;
    }
    Outcome::Scored(Box::new(record))
}

/// One version's answer for a job.
struct Inference {
    result: Value,
    sha256: String,
    cache_hit: bool,
    fell_back: bool,
    latency_us: i64,
}

impl Inference {
    fn cached(result: Value, sha256: String) -> Inference {
        Inference { result, sha256, cache_hit: true, fell_back: false, latency_us: 0 }
    }
}

/// A cached result of the component with this sha256 for this lead, and the sha256.
async fn cached(state: &Arc<AppState>, sha256: &str, context: &Value) -> Option<(Value, String)> {
    let hit = state.pipeline.cache.get(&Cache::key(sha256, context)).await;
    state.metrics.cache_lookup(hit.is_some());
    Some((serde_json::from_str(&hit?).ok()?, sha256.to_string()))
}

/// Scores the job's lead as `plan` says and caches the result. `Err`: what
/// becomes of the job (a retry when every version failed; a failure when
/// the lead itself is refused).
async fn infer(state: &Arc<AppState>, text: &str, context: &Value, plan: Plan) -> Result<Inference, Outcome> {
    let lead = crate::leads::parse(text).map_err(|e| Outcome::Fail(format!("context.{e}")))?;
    let started = Instant::now();
    let (routed, router) = route_and_score(state, lead, plan).await.map_err(Outcome::Retry)?;
    let latency_us = started.elapsed().as_micros() as i64;
    let scored_lead = routed.result.map_err(|e| Outcome::Fail(format!("{}: {}", e.field, e.message)))?;
    let sha256 = router.components.get(&routed.version).map(|c| c.sha256().to_string()).unwrap_or_default();
    let result = serde_json::to_value(ScoreJson::from(&scored_lead)).unwrap_or(Value::Null);
    state.pipeline.cache.put(&Cache::key(&sha256, context), result.to_string()).await;
    Ok(Inference { result, sha256, cache_hit: false, fell_back: routed.fell_back, latency_us })
}

/// The shadow version's inference for the job; a shadow that fails is
/// logged and skipped, never failing the request.
async fn shadow_inference(state: &Arc<AppState>, job: &Job, context: &Value, version: &str) -> Option<ShadowScored> {
    let component = state.router.load().components.get(version).cloned()?;
    let inference = match cached(state, component.sha256(), context).await {
        Some((result, sha256)) => Inference::cached(result, sha256),
        None => match infer(state, &job.context, context, Plan::Only(version.to_string())).await {
            Ok(inference) => inference,
            Err(_) => {
                tracing::warn!(request_id = job.request_id, version, "the shadow version could not score the lead");
                return None;
            }
        },
    };
    Some(ShadowScored {
        result: inference.result,
        model_sha256: inference.sha256,
        cache_hit: inference.cache_hit,
        latency_us: inference.latency_us,
    })
}

/// The record of a finished job; `context` is the job's lead JSON, parsed once.
fn scored(state: &AppState, job: &Job, context: &Value, inference: Inference) -> Scored {
    let field = |name: &str| context["fields"][name].as_str().map(String::from);
    let entered_at = context["as_of"]
        .as_str()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map_or_else(crate::pipeline::db::now_ms, |t| t.timestamp_millis());
    let holdout_share = state.learning_of(&job.org_id).settings.holdout_share;
    Scored {
        request_id: job.request_id.clone(),
        org_id: job.org_id.clone(),
        lead_id: job.lead_id.clone(),
        context: job.context.clone(),
        name: field("name"),
        company: field("company"),
        result: inference.result,
        model_sha256: inference.sha256,
        cache_hit: inference.cache_hit,
        fell_back: inference.fell_back,
        latency_us: inference.latency_us,
        control: in_control_group(&job.org_id, &job.lead_id, holdout_share),
        entered_at,
        shadow: None,
    }
}

/// Re-enqueues requests that stayed PENDING untouched: the queue lost them
/// (Redis restarted empty, or was flushed). A request enqueued twice is
/// still recorded once.
async fn sweep(state: Arc<AppState>) {
    let config = &state.pipeline.config;
    let every = (config.sweep_after / 3).max(Duration::from_millis(200));
    loop {
        tokio::time::sleep(every).await;
        let stale = match state.pipeline.db.stale_pending(config.sweep_after, 1000).await {
            Ok(stale) => stale,
            Err(e) => {
                tracing::warn!(error = %format!("{e:#}"), "sweeper: database unavailable");
                continue;
            }
        };
        for row in stale {
            if state.pipeline.queue.enqueue(&super::leads::job_of(&row)).await.is_ok() {
                let _ = state.pipeline.db.touch(&row.request_id).await;
                tracing::info!(request_id = row.request_id, "sweeper re-enqueued a pending request");
            }
        }
    }
}

/// Applies installs and routing changes announced by other hosts.
async fn listen_for_changes(state: Arc<AppState>) {
    let Some(client) = state.pipeline.redis.clone() else { return };
    loop {
        let subscribed = async {
            let mut pubsub = client.get_async_pubsub().await?;
            pubsub.subscribe(&state.pipeline.changes_channel).await?;
            // Whatever changed while we were not listening.
            super::sync::from_database(&state).await;
            let mut messages = pubsub.on_message();
            while messages.next().await.is_some() {
                super::sync::from_database(&state).await;
            }
            Ok::<(), redis::RedisError>(())
        }
        .await;
        if let Err(e) = subscribed {
            tracing::warn!(error = %e, "change listener disconnected; reconnecting");
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
