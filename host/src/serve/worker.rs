//! The background side of the pipeline: workers that score queued requests
//! and record the results, the sweeper that re-enqueues requests the queue
//! lost, and the listener that applies other hosts' installs and routing
//! changes.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::Value;

use super::AppState;
use super::scoring::route_and_score;
use crate::pipeline::db::Scored;
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

async fn work(state: Arc<AppState>, consumer: String) {
    let queue = &state.pipeline.queue;
    let mut reader = loop {
        match queue.reader(&consumer).await {
            Ok(reader) => break reader,
            Err(e) => {
                tracing::warn!(error = %format!("{e:#}"), "queue unavailable; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    };
    loop {
        let deliveries = match reader.next(BATCH, state.pipeline.config.retry_after, WAIT).await {
            Ok(deliveries) => deliveries,
            Err(e) => {
                tracing::warn!(error = %format!("{e:#}"), "reading the queue failed; retrying");
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
        };
        if !deliveries.is_empty() {
            handle(&state, deliveries).await;
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
        // Unacknowledged: another delivery will record them.
        tracing::error!(error = %format!("{e:#}"), "could not record scores");
        done.retain(|d| !scored.iter().any(|s| s.request_id == d.job.request_id));
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
    let primary = match &job.model_version {
        Some(v) => v.clone(),
        None => router.routing_for(Some(&job.org_id)).primary(&job.lead_id).to_string(),
    };
    if !job.force_refresh
        && let Some(component) = router.components.get(&primary)
        && let Some(hit) = state.pipeline.cache.get(&Cache::key(component.sha256(), &context)).await
        && let Ok(result) = serde_json::from_str::<Value>(&hit)
    {
        state.metrics.cache_lookup(true);
        return Outcome::Scored(Box::new(scored(job, &context, result, component.sha256(), true, false, 0)));
    }
    if !job.force_refresh {
        state.metrics.cache_lookup(false);
    }
    let lead = match crate::leads::parse(&job.context) {
        Ok(lead) => lead,
        Err(e) => return Outcome::Fail(format!("context.{e}")),
    };
    let started = Instant::now();
    let (routed, router) = match route_and_score(state, lead, Some(job.org_id.clone()), job.model_version.clone()).await
    {
        Ok(answer) => answer,
        Err(why) => return Outcome::Retry(why),
    };
    let latency_us = started.elapsed().as_micros() as i64;
    let scored_lead = match routed.result {
        Ok(s) => s,
        Err(e) => return Outcome::Fail(format!("{}: {}", e.field, e.message)),
    };
    let sha256 = router.components.get(&routed.version).map(|c| c.sha256().to_string()).unwrap_or_default();
    let result = serde_json::to_value(ScoreJson::from(&scored_lead)).unwrap_or(Value::Null);
    state.pipeline.cache.put(&Cache::key(&sha256, &context), result.to_string()).await;
    Outcome::Scored(Box::new(scored(job, &context, result, &sha256, false, routed.fell_back, latency_us)))
}

/// The record of a finished job; `context` is the job's lead JSON, parsed once.
fn scored(
    job: &Job,
    context: &Value,
    result: Value,
    sha256: &str,
    cache_hit: bool,
    fell_back: bool,
    latency_us: i64,
) -> Scored {
    let field = |name: &str| context["fields"][name].as_str().map(String::from);
    Scored {
        request_id: job.request_id.clone(),
        org_id: job.org_id.clone(),
        lead_id: job.lead_id.clone(),
        context: job.context.clone(),
        name: field("name"),
        company: field("company"),
        result,
        model_sha256: sha256.to_string(),
        cache_hit,
        fell_back,
        latency_us,
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
