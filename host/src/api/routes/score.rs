//! `POST /score-lead` and `POST /score-lead/batch`: synchronous scoring.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use guest_model::lead::Lead;
use guest_model::load::lead_json;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use utoipa::{IntoParams, ToSchema};

use crate::api::error::{ApiError, ErrorBody, ErrorDetail};
use crate::api::routes::integrations::crm_lead_with_activities;
use crate::api::state::AppState;
use crate::api::validate::{LeadDoc, check_lead, parse_body};
use crate::auth::{Caller, WRITE_LEADS};
use crate::runtime::lead::{locate, to_wit};
use crate::runtime::score::Score;
use crate::runtime::scorer::Plan;

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
    score: Score,
    /// Whether an earlier version in the routing plan failed first.
    fell_back: bool,
}

/// Scores one lead (lead JSON, see the README) with its explanation.
#[utoipa::path(
    post, path = "/score-lead", params(ScoreQuery),
    request_body = LeadInput,
    responses(
        (status = 200, description = "The score, band, confidence, explanation and version", body = ScoreResponse),
        (status = 400, description = "The lead is malformed (the message names the field)", body = ErrorBody),
        (status = 429, description = "The tenant's rate limit: wait Retry-After seconds", body = ErrorBody),
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
    state.rate_limit.check(&caller.org, 1)?;
    state.lead_limits.check_bytes(body.len(), "")?;
    let text = std::str::from_utf8(&body).map_err(|_| ApiError::invalid("invalid_lead", "the body is not UTF-8"))?;
    let lead = read_lead(&state, &caller.org, text).await?;
    score_one(&state, lead, caller.org, query.model_version).await.map(Json)
}

/// A CRM object instead of lead JSON: `{"crm_object": {…}}`, read through
/// the tenant's mapping (`lead_id` optional, as in `POST /leads/score`).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CrmLead {
    /// The lead id, when the CRM object does not hold it.
    pub lead_id: Option<String>,
    /// The CRM's own object (a HubSpot contact, a Salesforce Lead).
    #[schema(value_type = Object)]
    pub crm_object: serde_json::Value,
}

/// What a sync request scores: lead JSON, or a CRM object (for the OpenAPI
/// document; [`read_lead`] reads it).
#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum LeadInput {
    /// Lead JSON.
    Lead(LeadDoc),
    /// A CRM object, read through the tenant's mapping.
    Crm(CrmLead),
}

/// Reads one lead of a sync request: lead JSON, or a [`CrmLead`].
async fn read_lead(state: &AppState, org: &str, text: &str) -> Result<Lead, ApiError> {
    // Only a body that names `crm_object` is tried as one: lead JSON is read once.
    if text.contains("\"crm_object\"")
        && let Ok(crm) = serde_json::from_str::<CrmLead>(text)
    {
        let (lead, _) = crm_lead_with_activities(state, org, crm.lead_id.as_deref(), &crm.crm_object).await?;
        return Ok(lead);
    }
    lead_json::parse(text).map_err(|e| ApiError::invalid("invalid_lead", e.to_string()))
}

/// The body of `POST /score-lead/batch`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchRequest {
    /// The leads, at most the service's batch limit (100 by default).
    // Each is kept as its JSON text and read on its own: a lead that does
    // not read (a lone surrogate escape, a number beyond range) or is too
    // large is that lead's error, not the batch's.
    #[schema(value_type = Vec<LeadInput>)]
    leads: Vec<Box<RawValue>>,
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
        (status = 429, description = "The tenant's rate limit (each lead counts): wait Retry-After seconds", body = ErrorBody),
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
        return Err(ApiError::TooLarge { code: "too_many_leads", message });
    }
    state.rate_limit.check(&caller.org, request.leads.len())?;
    let mut results = Vec::with_capacity(request.leads.len());
    for raw in request.leads {
        let text = raw.get();
        // Each lead is checked for size, then read from its text: parsed once
        // into the typed lead. Each is scored in a model call of its own
        // (`score_one`), so a lead that fails its call (memory cap, deadline)
        // fails alone.
        let read = match state.lead_limits.check_bytes(text.len(), "") {
            Ok(()) => read_lead(&state, &caller.org, text).await,
            Err(e) => Err(e),
        };
        let (lead_id, scored) = match read {
            Ok(lead) => {
                let id = lead.id.clone();
                (Some(id), score_one(&state, lead, caller.org.clone(), query.model_version.clone()).await)
            }
            Err(e) => (locate::lead_id(text.as_bytes()), Err(e)),
        };
        results.push(match scored {
            Ok(response) => BatchResult::Scored(response),
            Err(e) => BatchResult::Failed(LeadError { lead_id, error: ErrorDetail::from(&e) }),
        });
    }
    Ok(Json(BatchResponse { results }))
}

/// Checks and scores one lead for a tenant.
async fn score_one(
    state: &AppState,
    lead: Lead,
    tenant: String,
    version: Option<String>,
) -> Result<ScoreResponse, ApiError> {
    let lead = check_lead(lead, "", &state.bounds, &state.lead_limits)?;
    if let Some(v) = &version
        && !state.scorer.registry.router().components.contains_key(v)
    {
        return Err(ApiError::invalid("unknown_version", format!("model_version {v:?} is not installed")));
    }
    let plan = Plan::Routed { tenant: Some(tenant.clone()), requested: version };
    let answer = state.scorer.score(&tenant, to_wit(lead), plan).await?;
    match answer.result {
        Ok(score) => Ok(ScoreResponse { score, fell_back: answer.fell_back }),
        Err(refused) => Err(ApiError::invalid("invalid_field", refused.to_string())),
    }
}
