//! A scoring request enters the pipeline: recorded PENDING first (so an
//! accepted request is never lost), then queued with its parsed lead.

use std::path::Path;

use anyhow::{Context, Result};
use guest_model::lead::Lead;
use guest_model::load::lead_json::{self, LeadError};

use super::Pipeline;
use super::db::{LeadQuery, NewRequest, RequestRow};
use super::queue::{Job, Lane};

/// A checked request to score a lead.
#[derive(Clone, Debug)]
pub struct CheckedRequest {
    /// The caller's tenant.
    pub org_id: String,
    /// The lead, parsed and checked (its `id` is the lead id).
    pub lead: Lead,
    /// The lead JSON as the CRM sent it (with its `id`), stored for the lead
    /// page and the training export.
    pub context: String,
    /// The caller's `Idempotency-Key`.
    pub idempotency_key: Option<String>,
    /// Score with this installed version first.
    pub model_version: Option<String>,
    /// Skip the score cache.
    pub force_refresh: bool,
    /// The queue lane: live when someone waits for it, bulk for background work.
    pub lane: Lane,
}

/// Records the request and queues it. With an idempotency key the tenant
/// used before, returns the earlier request and queues nothing (`false`:
/// not this one). A queue that stays away leaves the recorded request to
/// the sweeper.
pub async fn enqueue(pipeline: &Pipeline, request: CheckedRequest) -> Result<(RequestRow, bool)> {
    let new = NewRequest {
        request_id: format!("req_{}", uuid::Uuid::new_v4().simple()),
        org_id: request.org_id,
        lead_id: request.lead.id.clone(),
        idempotency_key: request.idempotency_key,
        context: request.context,
        model_version: request.model_version,
        force_refresh: request.force_refresh,
        lane: request.lane,
    };
    let db = &pipeline.db;
    let (row, fresh) = pipeline.stored("recording the request", || db.insert_request(&new)).await?;
    if fresh {
        let job = Job {
            request_id: row.request_id.clone(),
            org_id: row.org_id.clone(),
            lead_id: row.lead_id.clone(),
            lead: request.lead,
            model_version: row.model_version.clone(),
            force_refresh: row.force_refresh.0,
        };
        if let Err(e) = pipeline.stored("queueing the request", || pipeline.queue.enqueue(&job, new.lane)).await {
            tracing::warn!(request_id = row.request_id, error = %format!("{e:#}"), "left for the sweeper");
        }
    }
    Ok((row, fresh))
}

/// A recorded request as queued again (the sweeper's): its stored lead JSON
/// parsed once more. It was checked when it was accepted; an error here
/// means the stored text changed.
pub fn job_of(row: &RequestRow) -> Result<Job, LeadError> {
    Ok(Job {
        request_id: row.request_id.clone(),
        org_id: row.org_id.clone(),
        lead_id: row.lead_id.clone(),
        lead: lead_json::parse(&row.context)?,
        model_version: row.model_version.clone(),
        force_refresh: row.force_refresh.0,
    })
}

/// Queues every lead of a JSON-lines file for `org`, unless the tenant has
/// leads already (a restart does not queue them again).
pub async fn seed(pipeline: &Pipeline, org: &str, path: &Path) -> Result<()> {
    let (_, existing) = pipeline.db.leads(org, &LeadQuery { limit: 1, ..LeadQuery::default() }).await?;
    if existing > 0 {
        return Ok(());
    }
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut queued = 0;
    for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let lead = lead_json::parse(line).map_err(|e| anyhow::anyhow!("{} line {}: {e}", path.display(), n + 1))?;
        let request = CheckedRequest {
            org_id: org.to_string(),
            lead,
            context: line.to_string(),
            idempotency_key: None,
            model_version: None,
            force_refresh: false,
            lane: Lane::Live,
        };
        enqueue(pipeline, request).await?;
        queued += 1;
    }
    tracing::info!(org, queued, "seeded the demo tenant's leads");
    Ok(())
}
