//! `POST /score-lead` and `POST /score-lead/batch`: synchronous scoring.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::api::{ApiError, ErrorBody, ErrorDetail, LeadDoc, check_id, nul_field, parse_body};
use crate::auth::{Caller, WRITE_LEADS};
use crate::bindings::Lead;
use crate::report::ScoreJson;
use crate::routing::{Routed, Router};

/// Options of a scoring request.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ScoreQuery {
    /// Score with this installed version first (the fallback chain still follows).
    model_version: Option<String>,
}

/// A scored lead, the version that answered, and whether it fell back.
#[derive(Serialize, ToSchema)]
pub struct ScoreResponse {
    #[serde(flatten)]
    score: ScoreJson,
    /// Whether an earlier version in the routing plan failed first.
    fell_back: bool,
}

/// Scores one lead (lead JSON, see the README) with its explanation.
#[utoipa::path(
    post, path = "/score-lead", params(ScoreQuery),
    request_body = LeadDoc,
    responses(
        (status = 200, description = "The score, band, confidence, explanation and version", body = ScoreResponse),
        (status = 400, description = "The lead is malformed (the message names the field)", body = ErrorBody),
        (status = 503, description = "Every version in the routing plan failed", body = ErrorBody),
    )
)]
pub async fn score_lead(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Query(query): Query<ScoreQuery>,
    body: Bytes,
) -> Result<Json<ScoreResponse>, ApiError> {
    caller.require(WRITE_LEADS)?;
    let text =
        std::str::from_utf8(&body).map_err(|_| ApiError::bad_request("invalid_lead", "the body is not UTF-8"))?;
    score_one(&state, text, caller.org, query.model_version).await.map(Json)
}

/// The body of `POST /score-lead/batch`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchRequest {
    /// The leads, at most the service's batch limit (100 by default).
    #[schema(value_type = Vec<LeadDoc>)]
    leads: Vec<Value>,
}

/// The answer to a batch: one result per lead, in order.
#[derive(Serialize, ToSchema)]
pub struct BatchResponse {
    /// A score, or that lead's error.
    results: Vec<BatchResult>,
}

/// One lead's result in a batch.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum BatchResult {
    /// Scored.
    Scored(ScoreResponse),
    /// Not scored: why.
    Failed(LeadError),
}

/// A lead that could not be scored.
#[derive(Serialize, ToSchema)]
pub struct LeadError {
    /// The lead's id, when it has a readable one.
    lead_id: Option<String>,
    /// What was wrong (the message names the field).
    error: ErrorDetail,
}

/// Scores up to the configured number of leads; each result is a score or
/// that lead's error.
#[utoipa::path(
    post, path = "/score-lead/batch", params(ScoreQuery),
    request_body = BatchRequest,
    responses(
        (status = 200, description = "In order: a score or that lead's error", body = BatchResponse),
        (status = 400, description = "Not a batch", body = ErrorBody),
        (status = 413, description = "Too many leads or too large a body", body = ErrorBody),
    )
)]
pub async fn score_batch(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Query(query): Query<ScoreQuery>,
    body: Bytes,
) -> Result<Json<BatchResponse>, ApiError> {
    caller.require(WRITE_LEADS)?;
    let request: BatchRequest = parse_body(&body, "invalid_batch")?;
    if request.leads.len() > state.max_batch {
        let message = format!("{} leads in one batch; the limit is {}", request.leads.len(), state.max_batch);
        return Err(ApiError(StatusCode::PAYLOAD_TOO_LARGE, "too_many_leads", message));
    }
    let mut results = Vec::with_capacity(request.leads.len());
    for lead in request.leads {
        let scored = score_one(&state, &lead.to_string(), caller.org.clone(), query.model_version.clone()).await;
        results.push(match scored {
            Ok(response) => BatchResult::Scored(response),
            Err(ApiError(_, code, message)) => BatchResult::Failed(LeadError {
                lead_id: lead["id"].as_str().map(String::from),
                error: ErrorDetail { code: code.into(), message },
            }),
        });
    }
    Ok(Json(BatchResponse { results }))
}

/// Parses and scores one lead for a tenant.
async fn score_one(
    state: &Arc<AppState>,
    text: &str,
    tenant: String,
    version: Option<String>,
) -> Result<ScoreResponse, ApiError> {
    let lead = crate::leads::parse(text).map_err(|e| ApiError::bad_request("invalid_lead", e.to_string()))?;
    check_id("id", &lead.id)?;
    if let Some(field) = nul_field(&lead) {
        return Err(ApiError::bad_request("invalid_lead", format!("{field}: the character U+0000 is not allowed")));
    }
    state
        .bounds
        .check_as_of(lead.as_of_ms, crate::pipeline::db::now_ms())
        .map_err(|e| ApiError::bad_request("invalid_lead", e))?;
    if let Some(v) = &version
        && !state.router.load().components.contains_key(v)
    {
        return Err(ApiError::bad_request("unknown_version", format!("model_version {v:?} is not installed")));
    }
    let (routed, _) = route_and_score(state, lead, Plan::Routed { tenant: Some(tenant), requested: version })
        .await
        .map_err(|e| ApiError(StatusCode::SERVICE_UNAVAILABLE, "model_unavailable", e))?;
    match routed.result {
        Ok(scored) => Ok(ScoreResponse { score: ScoreJson::from(&scored), fell_back: routed.fell_back }),
        Err(e) => Err(ApiError::bad_request("invalid_field", format!("{}: {}", e.field, e.message))),
    }
}

/// Which versions may answer.
pub(super) enum Plan {
    /// The tenant's routing (with its fallbacks), the requested version first.
    Routed { tenant: Option<String>, requested: Option<String> },
    /// This version alone (a shadow: no fallback answers in its name).
    Only(String),
}

/// Scores a lead with the router current at this moment (returned too: it
/// knows the answering component), within the scoring slots, and records
/// the metrics. `Err`: every version in the plan failed.
pub(super) async fn route_and_score(
    state: &Arc<AppState>,
    lead: Lead,
    plan: Plan,
) -> Result<(Routed, Arc<Router>), String> {
    let router = state.router.load_full();
    let lead_id = lead.id.clone();
    let _slot = state.scoring_slots.acquire().await.map_err(|e| e.to_string())?;
    let worker = router.clone();
    let routed = tokio::task::spawn_blocking(move || match plan {
        Plan::Routed { tenant, requested } => worker.score(&lead, tenant.as_deref(), requested.as_deref()),
        Plan::Only(version) => worker.score_plan(&lead, vec![&version]),
    })
    .await
    .map_err(|e| e.to_string())?;
    match routed {
        Ok(routed) => {
            state.metrics.record(&routed.attempts);
            for failed in routed.attempts.iter().filter(|a| a.failure.is_some()) {
                let (kind, why) = failed.failure.as_ref().map(|(k, w)| (*k, w.as_str())).unwrap_or_default();
                tracing::warn!(lead_id, version = %failed.version, kind, why, "version failed; falling back");
            }
            Ok((routed, router))
        }
        Err(failed) => {
            state.metrics.record(&failed.0);
            tracing::error!(lead_id, error = %failed, "no version could score the lead");
            Err(failed.to_string())
        }
    }
}
