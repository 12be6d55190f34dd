//! The async API of the brief: `POST /leads/score` records and queues a
//! request and answers 202; `GET /leads/score/{id}/status` polls it. Every
//! read and write is scoped to the caller's tenant.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use guest_model::lead::Lead;
use guest_model::load::lead_json;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};

use crate::api::error::{ApiError, ErrorBody};
use crate::api::routes::integrations::{crm_lead, store_crm_fields, with_stored_activities};
use crate::api::state::AppState;
use crate::api::validate::{LeadLimits, TimeBounds, check_id, check_lead, parse_body};
use crate::auth::{Caller, READ_LEADS, WRITE_LEADS};
use crate::pipeline::db::ScoreRow;
use crate::pipeline::enqueue::{CheckedRequest, enqueue};
use crate::pipeline::queue::Lane;

/// The body of `POST /leads/score`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoreRequest {
    /// The CRM's lead id: 1–200 characters, no control characters, no
    /// whitespace around it. Required with `context`; with `crm_object`,
    /// the tenant's mapping finds it in the object when it is left out.
    #[schema(
        max_length = 200,
        pattern = r"^[^\s\x00-\x1f\x7f-\x9f](?:[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f])?$"
    )]
    lead_id: Option<String>,
    /// The lead JSON (`id` may be left out: it is the lead id). Give this
    /// or `crm_object`.
    #[schema(value_type = Option<Object>)]
    context: Option<Value>,
    /// The CRM's own object (a HubSpot contact, a Salesforce Lead), read
    /// through the tenant's mapping (`PUT /integrations/mapping`) into the
    /// lead JSON that is stored and scored.
    #[schema(value_type = Option<Object>)]
    crm_object: Option<Value>,
    /// Per-request options (null or left out: none).
    #[serde(default)]
    overrides: Option<Overrides>,
}

/// Options of one scoring request.
#[derive(Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Overrides {
    /// Score with this installed version first.
    model_version: Option<String>,
    /// Skip the score cache.
    #[serde(default)]
    force_refresh: bool,
}

const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// The request a path names.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)] // documents the path parameter; the handler takes `Path<String>`
pub struct RequestPath {
    /// The request id `POST /leads/score` answered with.
    #[param(
        max_length = 200,
        pattern = r"^[^\s\x00-\x1f\x7f-\x9f](?:[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f])?$"
    )]
    request_id: String,
}

/// The answer to `POST /leads/score`: where to poll.
#[derive(Serialize, ToSchema)]
pub struct Accepted {
    /// The request (`req_` and 32 hex digits).
    request_id: String,
    /// PENDING, or what an earlier request with the same Idempotency-Key became.
    #[schema(pattern = "^(PENDING|SUCCESS|FAILED)$")]
    status: String,
    /// `/leads/score/{request_id}/status`.
    status_url: String,
}

/// Queues a lead for scoring. The request is recorded before the answer, so
/// an accepted request is never lost; with an `Idempotency-Key` a retried
/// call returns the first request.
#[utoipa::path(
    post, path = "/leads/score", request_body = ScoreRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Returns the earlier request for a repeated key")),
    responses(
        (status = 202, description = "Recorded and queued", body = Accepted),
        (status = 400, description = "Malformed request or lead (the message names the field)", body = ErrorBody),
        (status = 429, description = "The tenant's rate limit: wait Retry-After seconds", body = ErrorBody),
        (status = 503, description = "The database stayed unavailable", body = ErrorBody),
    )
)]
pub async fn request_score(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<Accepted>), ApiError> {
    caller.require(WRITE_LEADS)?;
    state.rate_limit.check(&caller.org, 1)?;
    let request: ScoreRequest = parse_body(&body, "invalid_request")?;
    let idempotency_key = match headers.get(IDEMPOTENCY_KEY) {
        None => None,
        Some(v) => match v.to_str() {
            Ok(key) if (1..=200).contains(&key.len()) => Some(key.to_string()),
            _ => {
                return Err(ApiError::invalid("invalid_request", "Idempotency-Key: 1–200 visible ASCII characters"));
            }
        },
    };
    // With a CRM object, its fields go to the stored lead too (once the lead is checked).
    let mut crm_fields = None;
    let (lead_id, context) = match (request.lead_id, request.context, request.crm_object) {
        (Some(lead_id), Some(context), None) => (lead_id, context),
        (None, Some(_), None) => return Err(ApiError::invalid("invalid_request", "lead_id: required with context")),
        (lead_id, None, Some(object)) => {
            if let Some(id) = &lead_id {
                check_id("lead_id", id)?;
            }
            let lead = crm_lead(&state, &caller.org, lead_id.as_deref(), &object).await?;
            let id = lead.get("id").and_then(Value::as_str).unwrap_or_default().to_string();
            crm_fields = Some(lead.clone());
            (id, Value::Object(with_stored_activities(&state, &caller.org, lead).await?))
        }
        (_, Some(_), Some(_)) => {
            return Err(ApiError::invalid("invalid_request", "give context or crm_object, not both"));
        }
        (_, None, None) => return Err(ApiError::invalid("invalid_request", "context or crm_object: one is required")),
    };
    let (lead, context) = checked_context(lead_id, context, &state.bounds, &state.lead_limits)?;
    let db = &state.pipeline.db;
    match &crm_fields {
        Some(fields) => store_crm_fields(&state, &caller.org, fields).await?,
        // A whole lead replaces the stored one, if the lead has one.
        None => state.stored("storing the lead", || db.replace_stored_lead(&caller.org, &lead.id, &context)).await?,
    }
    let overrides = request.overrides.unwrap_or_default();
    if let Some(v) = &overrides.model_version
        && !state.scorer.registry.router().components.contains_key(v)
    {
        return Err(ApiError::invalid("unknown_version", format!("overrides.model_version {v:?} is not installed")));
    }
    let request = CheckedRequest {
        org_id: caller.org,
        lead,
        context,
        idempotency_key,
        model_version: overrides.model_version,
        force_refresh: overrides.force_refresh,
        lane: Lane::Live,
    };
    let (row, _) = enqueue(&state.pipeline, request).await.map_err(ApiError::database)?;
    let status_url = format!("/leads/score/{}/status", row.request_id);
    Ok((StatusCode::ACCEPTED, Json(Accepted { request_id: row.request_id, status: row.status, status_url })))
}

/// The lead to score and its lead JSON (stored as the CRM sent it): a JSON
/// object that reads as a lead, whose `id` (filled in when missing) is the
/// lead id, checked here so that nothing unreadable, unstorable or larger
/// than `limits` ever reaches the queue. The body's JSON is read once, into
/// the typed lead.
fn checked_context(
    lead_id: String,
    context: Value,
    bounds: &TimeBounds,
    limits: &LeadLimits,
) -> Result<(Lead, String), ApiError> {
    check_id("lead_id", &lead_id)?;
    let Value::Object(mut context) = context else {
        return Err(ApiError::invalid("invalid_request", "context: expected the lead JSON object"));
    };
    match context.get("id") {
        None => {
            context.insert("id".into(), json!(lead_id));
        }
        Some(id) if id.as_str() == Some(lead_id.as_str()) => {}
        Some(id) => {
            return Err(ApiError::invalid("invalid_lead", format!("context.id {id} is not lead_id {lead_id:?}")));
        }
    }
    let context = Value::Object(context);
    let text = context.to_string();
    limits.check_bytes(text.len(), "context.")?;
    limits.check_activities(context.get("activities").and_then(Value::as_array).map_or(0, Vec::len), "context.")?;
    let lead = lead_json::from_json(&context).map_err(|e| ApiError::invalid("invalid_lead", format!("context.{e}")))?;
    let lead = check_lead(lead, "context.", bounds, limits)?;
    Ok((lead, text))
}

/// A request as `GET /leads/score/{request_id}/status` shows it.
#[derive(Serialize, ToSchema)]
pub struct RequestStatus {
    /// The request.
    request_id: String,
    /// Its lead.
    lead_id: String,
    /// PENDING, SUCCESS or FAILED.
    #[schema(pattern = "^(PENDING|SUCCESS|FAILED)$")]
    status: String,
    /// Delivery attempts that failed so far.
    attempts: i64,
    /// When it was accepted (ms since the epoch).
    created_at: i64,
    /// When it last changed (ms since the epoch).
    updated_at: i64,
    /// SUCCESS only: whether the lead is in the control group (its result is withheld).
    #[serde(skip_serializing_if = "Option::is_none")]
    control_group: Option<bool>,
    /// SUCCESS outside the control group: the score.
    #[serde(skip_serializing_if = "Option::is_none")]
    result: Option<ScoreRow>,
    /// FAILED: why.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// A request's status: PENDING, SUCCESS with the result, or FAILED with the reason.
#[utoipa::path(
    get, path = "/leads/score/{request_id}/status", params(RequestPath),
    responses(
        (status = 200, body = RequestStatus),
        (status = 404, body = ErrorBody),
        (status = 503, description = "The database stayed unavailable", body = ErrorBody),
    )
)]
pub async fn request_status(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(request_id): Path<String>,
) -> Result<Json<RequestStatus>, ApiError> {
    caller.require(READ_LEADS)?;
    check_id("request_id", &request_id)?;
    let db = &state.pipeline.db;
    let row = state
        .stored("reading the request", || db.request(&caller.org, &request_id))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no request {request_id:?} for this tenant")))?;
    let mut body = RequestStatus {
        request_id: row.request_id,
        lead_id: row.lead_id,
        // An imported lead not yet fed to the queue waits like any other.
        status: if row.status == "WAITING" { "PENDING".into() } else { row.status },
        attempts: row.attempts,
        created_at: row.created_at,
        updated_at: row.updated_at,
        control_group: None,
        result: None,
        error: None,
    };
    match body.status.as_str() {
        "SUCCESS" => {
            let score = state.stored("reading the score", || db.score_of_request(&caller.org, &request_id)).await?;
            // A control lead's score is withheld from everything reps see.
            let control = score.as_ref().is_some_and(|s| s.control_group.0);
            body.control_group = Some(control);
            body.result = score.filter(|_| !control).map(|s| state.banded(&caller.org, s));
        }
        "FAILED" => body.error = row.error,
        _ => {}
    }
    Ok(Json(body))
}
