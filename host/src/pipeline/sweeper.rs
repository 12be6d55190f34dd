//! Keeping the pipeline whole: the sweeper re-enqueues requests the queue
//! lost, and the change listener applies what other hosts announce
//! (installs, routing changes, learning settings).

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;

use guest_model::load::lead_json::{self, LeadError};

use super::Pipeline;
use super::enqueue::{CheckedRequest, enqueue, job_of};
use super::queue::Lane;
use super::tenants::Tenants;
use crate::runtime::lead::rfc3339;
use crate::runtime::scorer::Scorer;

/// Re-enqueues requests that stayed PENDING untouched: the queue lost them
/// (Redis restarted empty, or was flushed). A request enqueued twice is
/// still recorded once.
pub async fn sweep(pipeline: Arc<Pipeline>) {
    let config = &pipeline.config;
    let every = (config.sweep_after / 3).max(Duration::from_millis(200));
    loop {
        tokio::time::sleep(every).await;
        let stale = match pipeline.db.stale_pending(config.sweep_after, 1000).await {
            Ok(stale) => stale,
            Err(e) => {
                tracing::warn!(error = %format!("{e:#}"), "sweeper: database unavailable");
                continue;
            }
        };
        for row in stale {
            let job = match job_of(&row) {
                Ok(job) => job,
                Err(e) => {
                    let why = format!("the stored lead no longer reads: context.{e}");
                    if pipeline.db.record_failure(&row.request_id, &why, 0).await.is_ok() {
                        tracing::warn!(request_id = row.request_id, why, "request FAILED");
                    }
                    continue;
                }
            };
            if pipeline.queue.enqueue(&job, Lane::parse(&row.lane)).await.is_ok() {
                let _ = pipeline.db.touch(&row.request_id).await;
                tracing::info!(request_id = row.request_id, "sweeper re-enqueued a pending request");
            }
        }
    }
}

/// Rescores stored leads whose debounced rescore is due, at `as_of` = now
/// from the stored lead, through the queue. Every host runs it; each due
/// rescore is claimed by exactly one (the claim clears the due time it
/// read). A host that stops between its claim and the request being
/// recorded loses that rescore (the lead's next change asks again).
pub async fn rescore_due(pipeline: Arc<Pipeline>) {
    let every = (pipeline.config.rescore_debounce / 4).clamp(Duration::from_millis(50), Duration::from_secs(1));
    loop {
        tokio::time::sleep(every).await;
        let due = match pipeline.db.due_rescores(100).await {
            Ok(due) => due,
            Err(e) => {
                tracing::warn!(error = %format!("{e:#}"), "rescore: database unavailable");
                continue;
            }
        };
        for lead in due {
            if !pipeline.db.claim_rescore(&lead).await.unwrap_or(false) {
                continue; // another host has it
            }
            // Someone just changed the lead: live.
            queue_rescore(&pipeline, &lead.org_id, &lead.lead_id, &lead.context, Lane::Live).await;
        }
    }
}

/// Rescores leads whose latest score is older than their tenant's period
/// (scheduled rescoring: windowed features decay, and the trend shows it),
/// from the stored lead at as_of = now, through the queue, at most
/// `rescore_rate` a second. Every host runs it; each lead is claimed by one.
pub async fn rescore_stale(pipeline: Arc<Pipeline>) {
    let config = &pipeline.config;
    let every = config.rescore_scan_every.max(Duration::from_millis(50));
    // A scan's share of the rate, at least one lead.
    let batch = ((f64::from(config.rescore_rate) * every.as_secs_f64()).ceil() as i64).max(1);
    loop {
        tokio::time::sleep(every).await;
        let stale = match pipeline.db.stale_leads(config.rescore_every_hours, batch).await {
            Ok(stale) => stale,
            Err(e) => {
                tracing::warn!(error = %format!("{e:#}"), "scheduled rescoring: database unavailable");
                continue;
            }
        };
        for (org, lead_id) in stale {
            if !pipeline.db.claim_scheduled_rescore(&org, &lead_id).await.unwrap_or(false) {
                continue; // another host has it
            }
            let context = match pipeline.db.stored_lead(&org, &lead_id).await {
                Ok(Some(context)) => context,
                Ok(None) => continue,
                Err(e) => {
                    tracing::warn!(error = %format!("{e:#}"), "scheduled rescoring: database unavailable");
                    continue;
                }
            };
            queue_rescore(&pipeline, &org, &lead_id, &context, Lane::Bulk).await;
        }
    }
}

/// Queues a rescore of a stored lead (`context`) at as_of = now in `lane`; a lead
/// that does not read, or a queue that stays away, is logged and skipped.
async fn queue_rescore(pipeline: &Pipeline, org: &str, lead_id: &str, context: &str, lane: Lane) {
    let request = match rescore_request(org, context, super::db::now_ms(), lane) {
        Ok(request) => request,
        Err(e) => return tracing::warn!(org, lead_id, error = %e, "rescore: the stored lead does not read"),
    };
    match enqueue(pipeline, request).await {
        Ok((row, _)) => tracing::debug!(request_id = row.request_id, lead_id, "rescore queued"),
        Err(e) => tracing::warn!(lead_id, error = %format!("{e:#}"), "rescore: not queued"),
    }
}

/// A request to score a stored lead (`context`, lead JSON) as of `now` (ms),
/// in `lane`.
pub fn rescore_request(org: &str, context: &str, now: i64, lane: Lane) -> Result<CheckedRequest, LeadError> {
    let mut json: serde_json::Value =
        serde_json::from_str(context).map_err(|e| LeadError { field: String::new(), message: e.to_string() })?;
    json["as_of"] = serde_json::Value::String(rfc3339(now));
    let lead = lead_json::from_json(&json)?;
    Ok(CheckedRequest {
        org_id: org.to_string(),
        lead,
        context: json.to_string(),
        idempotency_key: None,
        model_version: None,
        force_refresh: false,
        lane,
    })
}

/// Forgets scorings older than the history's retention, once an hour
/// (each lead keeps its latest). Every host may run it: deleting twice is
/// harmless.
pub async fn prune_history(pipeline: Arc<Pipeline>) {
    loop {
        let before = super::db::now_ms() - pipeline.config.history.as_millis() as i64;
        match pipeline.db.prune_history(before).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(scorings = n, "history: forgot scorings past the retention"),
            Err(e) => tracing::warn!(error = %format!("{e:#}"), "history: database unavailable"),
        }
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
}

/// Applies installs, routing and learning-settings changes announced by
/// other hosts (with Redis; without it there are no other hosts).
pub async fn listen_for_changes(pipeline: Arc<Pipeline>, scorer: Arc<Scorer>, tenants: Arc<Tenants>) {
    let Some(client) = pipeline.redis.clone() else { return };
    let catch_up = || async {
        tenants.sync(&pipeline.db).await;
        scorer.registry.sync(pipeline.as_ref()).await;
    };
    loop {
        let subscribed = async {
            let mut pubsub = client.get_async_pubsub().await?;
            pubsub.subscribe(&pipeline.changes_channel).await?;
            // Whatever changed while we were not listening.
            catch_up().await;
            let mut messages = pubsub.on_message();
            while messages.next().await.is_some() {
                catch_up().await;
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
