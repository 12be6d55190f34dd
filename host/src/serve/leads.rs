//! The async API of the brief: `POST /leads/score` queues a request and
//! answers 202; `GET /leads/score/{id}/status` polls it; the badge, the work
//! queue and the lead detail read what the workers recorded. Every read and
//! write is scoped to the caller's tenant.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::api::{ApiError, ErrorBody, TimeBounds, check_id, check_text, nul_field, parse_body};
use crate::auth::{Caller, READ_LEADS, WRITE_LEADS};
use crate::pipeline::db::{LeadQuery, LeadRow, NewRequest, RequestRow, ScoreRow};
use crate::pipeline::{Job, with_retry};

/// The body of `POST /leads/score`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoreRequest {
    /// The CRM's lead id: 1–200 characters, no control characters, no
    /// whitespace around it.
    #[schema(
        max_length = 200,
        pattern = r"^[^\s\x00-\x1f\x7f-\x9f](?:[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f])?$"
    )]
    lead_id: String,
    /// The lead JSON (`id` may be left out: it is the lead id).
    #[schema(value_type = Object)]
    context: Value,
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

/// The lead a path names.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)] // documents the path parameter; the handlers take `Path<String>`
pub struct LeadPath {
    /// The CRM's lead id: 1–200 characters, no control characters, no
    /// whitespace around it.
    #[param(
        max_length = 200,
        pattern = r"^[^\s\x00-\x1f\x7f-\x9f](?:[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f])?$"
    )]
    lead_id: String,
}

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
    let request: ScoreRequest = parse_body(&body, "invalid_request")?;
    let idempotency_key = match headers.get(IDEMPOTENCY_KEY) {
        None => None,
        Some(v) => match v.to_str() {
            Ok(key) if (1..=200).contains(&key.len()) => Some(key.to_string()),
            _ => {
                return Err(ApiError::bad_request(
                    "invalid_request",
                    "Idempotency-Key: 1–200 visible ASCII characters",
                ));
            }
        },
    };
    let (lead_id, context) = checked_context(&request, &state.bounds)?;
    let overrides = request.overrides.as_ref().map_or_else(Overrides::default, Overrides::clone);
    if let Some(v) = &overrides.model_version
        && !state.router.load().components.contains_key(v)
    {
        return Err(ApiError::bad_request(
            "unknown_version",
            format!("overrides.model_version {v:?} is not installed"),
        ));
    }
    let new = NewRequest {
        request_id: format!("req_{}", uuid::Uuid::new_v4().simple()),
        org_id: caller.org.clone(),
        lead_id,
        idempotency_key,
        context,
        model_version: overrides.model_version,
        force_refresh: overrides.force_refresh,
    };
    let db = &state.pipeline.db;
    let (row, fresh) = state.stored("recording the request", || db.insert_request(&new)).await?;
    if fresh {
        let job = job_of(&row);
        // Recorded already: if the queue stays away, the sweeper enqueues it later.
        if let Err(e) = with_retry("queueing the request", state.patience, || state.pipeline.queue.enqueue(&job)).await
        {
            tracing::warn!(request_id = row.request_id, error = %format!("{e:#}"), "left for the sweeper");
        }
    }
    let status_url = format!("/leads/score/{}/status", row.request_id);
    Ok((StatusCode::ACCEPTED, Json(Accepted { request_id: row.request_id, status: row.status, status_url })))
}

/// The lead id and the lead JSON to score: a JSON object that parses as a
/// lead, whose `id` (filled in when missing) is the lead id, with its `as_of`
/// within `bounds`. Checked here so that nothing unparsable or unstorable
/// ever reaches the queue.
fn checked_context(request: &ScoreRequest, bounds: &TimeBounds) -> Result<(String, String), ApiError> {
    let lead_id = request.lead_id.as_str();
    check_id("lead_id", lead_id)?;
    let Value::Object(mut context) = request.context.clone() else {
        return Err(ApiError::bad_request("invalid_request", "context: expected the lead JSON object"));
    };
    match context.get("id") {
        None => {
            context.insert("id".into(), json!(lead_id));
        }
        Some(id) if id.as_str() == Some(lead_id) => {}
        Some(id) => {
            return Err(ApiError::bad_request("invalid_lead", format!("context.id {id} is not lead_id {lead_id:?}")));
        }
    }
    let text = Value::Object(context).to_string();
    let lead = crate::leads::parse(&text).map_err(|e| ApiError::bad_request("invalid_lead", format!("context.{e}")))?;
    if let Some(field) = nul_field(&lead) {
        return Err(ApiError::bad_request(
            "invalid_lead",
            format!("context.{field}: the character U+0000 is not allowed"),
        ));
    }
    bounds
        .check_as_of(lead.as_of_ms, crate::pipeline::db::now_ms())
        .map_err(|e| ApiError::bad_request("invalid_lead", format!("context.{e}")))?;
    Ok((lead_id.to_string(), text))
}

/// A request as queued.
pub(super) fn job_of(row: &RequestRow) -> Job {
    Job {
        request_id: row.request_id.clone(),
        org_id: row.org_id.clone(),
        lead_id: row.lead_id.clone(),
        context: row.context.clone(),
        model_version: row.model_version.clone(),
        force_refresh: row.force_refresh,
    }
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
        .ok_or_else(|| not_found(format!("no request {request_id:?} for this tenant")))?;
    let mut body = RequestStatus {
        request_id: row.request_id,
        lead_id: row.lead_id,
        status: row.status,
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
            let control = score.as_ref().is_some_and(|s| s.control_group);
            body.control_group = Some(control);
            body.result = score.filter(|_| !control);
        }
        "FAILED" => body.error = row.error,
        _ => {}
    }
    Ok(Json(body))
}

/// The lead's latest score: what the badge shows.
#[utoipa::path(
    get, path = "/leads/{lead_id}/score", params(LeadPath),
    responses(
        (status = 200, description = "The latest score with its explanation", body = ScoreRow),
        (status = 404, description = "No such lead (code not_found), or it is in the control group (code control_group)", body = ErrorBody),
        (status = 503, description = "The database stayed unavailable", body = ErrorBody),
    )
)]
pub async fn latest_score(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(lead_id): Path<String>,
) -> Result<Json<ScoreRow>, ApiError> {
    caller.require(READ_LEADS)?;
    check_id("lead_id", &lead_id)?;
    let db = &state.pipeline.db;
    match state.stored("reading the score", || db.latest_score(&caller.org, &lead_id)).await? {
        Some(score) if score.control_group => Err(control_group(&lead_id)),
        Some(score) => Ok(Json(score)),
        None => Err(not_found(format!("lead {lead_id:?} has no score for this tenant"))),
    }
}

/// Filters and page of the work queue.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    /// hot, warm or cold.
    #[param(pattern = "^(hot|warm|cold)$")]
    band: Option<String>,
    /// Name or company contains this (no control characters).
    q: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// Leads to skip.
    #[param(minimum = 0)]
    offset: Option<i64>,
}

/// A page of the work queue.
#[derive(Serialize, ToSchema)]
pub struct WorkQueue {
    /// The leads, hottest first (control-group leads last, without score).
    leads: Vec<LeadRow>,
    /// Leads matching the filters, on every page.
    total: i64,
    /// The page size.
    limit: i64,
    /// Leads skipped.
    offset: i64,
}

/// The tenant's scored leads, hottest first.
#[utoipa::path(
    get, path = "/leads", params(QueueQuery),
    responses(
        (status = 200, body = WorkQueue),
        (status = 503, description = "The database stayed unavailable", body = ErrorBody),
    )
)]
pub async fn work_queue(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Query(query): Query<QueueQuery>,
) -> Result<Json<WorkQueue>, ApiError> {
    caller.require(READ_LEADS)?;
    if let Some(band) = &query.band
        && !["hot", "warm", "cold"].contains(&band.as_str())
    {
        return Err(ApiError::bad_request("invalid_query", format!("band {band:?}: expected hot, warm or cold")));
    }
    let limit = query.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::bad_request("invalid_query", "limit: 1–200"));
    }
    let offset = query.offset.unwrap_or(0);
    if offset < 0 {
        return Err(ApiError::bad_request("invalid_query", "offset: 0 or more"));
    }
    if let Some(q) = &query.q {
        check_text("q", q, "invalid_query")?;
    }
    let filter = LeadQuery { band: query.band, search: query.q.filter(|q| !q.trim().is_empty()), limit, offset };
    let db = &state.pipeline.db;
    let (leads, total) = state.stored("reading the work queue", || db.leads(&caller.org, &filter)).await?;
    Ok(Json(WorkQueue { leads, total, limit, offset }))
}

/// A lead as `GET /leads/{lead_id}` shows it.
#[derive(Serialize, ToSchema)]
pub struct LeadDetail {
    /// The lead.
    lead_id: String,
    /// Its latest lead JSON (fields and activities).
    #[schema(value_type = Object)]
    context: Value,
    /// Its latest score; null for a control-group lead.
    score: Option<ScoreRow>,
    /// In the control group: scored, but the score is not shown.
    control_group: bool,
    /// What became of it, if reported.
    outcome: Option<Outcome>,
}

/// A reported outcome.
#[derive(Serialize, ToSchema)]
pub struct Outcome {
    /// won, lost or disqualified.
    #[schema(pattern = "^(won|lost|disqualified)$")]
    outcome: String,
    /// When it happened (ms since the epoch).
    at: i64,
}

/// A lead's latest context (fields and activity) and score.
#[utoipa::path(
    get, path = "/leads/{lead_id}", params(LeadPath),
    responses(
        (status = 200, body = LeadDetail),
        (status = 404, body = ErrorBody),
        (status = 503, description = "The database stayed unavailable", body = ErrorBody),
    )
)]
pub async fn lead_detail(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(lead_id): Path<String>,
) -> Result<Json<LeadDetail>, ApiError> {
    caller.require(READ_LEADS)?;
    check_id("lead_id", &lead_id)?;
    let db = &state.pipeline.db;
    let (context, control) = state
        .stored("reading the lead", || db.lead(&caller.org, &lead_id))
        .await?
        .ok_or_else(|| not_found(format!("no lead {lead_id:?} for this tenant")))?;
    let score = match control {
        true => None,
        false => state.stored("reading the score", || db.latest_score(&caller.org, &lead_id)).await?,
    };
    let outcome = state
        .stored("reading the outcome", || db.outcome(&caller.org, &lead_id))
        .await?
        .map(|(outcome, at)| Outcome { outcome, at });
    Ok(Json(LeadDetail { lead_id, context, score, control_group: control, outcome }))
}

/// The body of `POST /leads/{lead_id}/outcome`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OutcomeReport {
    /// won, lost or disqualified.
    #[schema(pattern = "^(won|lost|disqualified)$")]
    outcome: String,
    /// When it happened (RFC 3339): not in the future, nor (beyond the
    /// report slack) before the lead arrived.
    #[schema(format = DateTime)]
    at: String,
}

/// A recorded outcome or touch.
#[derive(Serialize, ToSchema)]
pub struct Recorded {
    /// The lead.
    lead_id: String,
    /// The outcome (absent for a touch).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^(won|lost|disqualified)$")]
    outcome: Option<String>,
    /// When it happened (ms since the epoch).
    at: i64,
}

const OUTCOMES: [&str; 3] = ["won", "lost", "disqualified"];

/// Reports what became of a scored lead: the labels the learning loop
/// measures lift and retrains on. A later report replaces an earlier one.
#[utoipa::path(
    post, path = "/leads/{lead_id}/outcome", params(LeadPath), request_body = OutcomeReport,
    responses(
        (status = 200, body = Recorded),
        (status = 400, description = "Unknown outcome, or a time that is not RFC 3339, lies in the future or before the lead arrived", body = ErrorBody),
        (status = 404, description = "The tenant has no such lead", body = ErrorBody),
        (status = 503, description = "The database stayed unavailable", body = ErrorBody),
    )
)]
pub async fn report_outcome(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(lead_id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<Recorded>, ApiError> {
    caller.require(WRITE_LEADS)?;
    let report: OutcomeReport = parse_body(&body, "invalid_outcome")?;
    if !OUTCOMES.contains(&report.outcome.as_str()) {
        let message = format!("outcome {:?}: expected one of {}", report.outcome, OUTCOMES.join(", "));
        return Err(ApiError::bad_request("invalid_outcome", message));
    }
    check_id("lead_id", &lead_id)?;
    let at = reported_time(&state, &caller.org, &lead_id, &report.at, "invalid_outcome", "outcomes").await?;
    let db = &state.pipeline.db;
    state.stored("recording the outcome", || db.record_outcome(&caller.org, &lead_id, &report.outcome, at)).await?;
    Ok(Json(Recorded { lead_id, outcome: Some(report.outcome), at }))
}

/// An RFC 3339 time reported by the CRM for a scored lead, in ms: not in
/// the future (beyond the clocks' slack) and not before the lead arrived
/// (beyond the report slack). A 404 when the tenant has no such lead
/// (`what`: outcomes or touches, for the message).
async fn reported_time(
    state: &AppState,
    org: &str,
    lead_id: &str,
    text: &str,
    code: &'static str,
    what: &str,
) -> Result<i64, ApiError> {
    let at = chrono::DateTime::parse_from_rfc3339(text)
        .map_err(|e| ApiError::bad_request(code, format!("at {text:?}: not an RFC 3339 time: {e}")))?
        .timestamp_millis();
    let now = crate::pipeline::db::now_ms();
    state.bounds.check_not_future(at, now).map_err(|e| ApiError::bad_request(code, e))?;
    let db = &state.pipeline.db;
    let arrived = state
        .stored("reading the lead", || db.lead_arrival(org, lead_id))
        .await?
        .ok_or_else(|| not_found(format!("no lead {lead_id:?} for this tenant: {what} are for scored leads")))?;
    state.bounds.check_report(at, arrived, now).map_err(|e| ApiError::bad_request(code, e))?;
    Ok(at)
}

/// The body of `POST /leads/{lead_id}/touch`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TouchReport {
    /// When a rep touched the lead (RFC 3339): not in the future, nor
    /// (beyond the report slack) before the lead arrived.
    #[schema(format = DateTime)]
    at: String,
}

/// Reports that a rep touched (called, mailed, met) a lead; the earliest
/// touch counts. The lift report measures time to first touch from it.
#[utoipa::path(
    post, path = "/leads/{lead_id}/touch", params(LeadPath), request_body = TouchReport,
    responses(
        (status = 200, body = Recorded),
        (status = 400, description = "A time that is not RFC 3339, lies in the future or before the lead arrived", body = ErrorBody),
        (status = 404, description = "The tenant has no such lead", body = ErrorBody),
        (status = 503, description = "The database stayed unavailable", body = ErrorBody),
    )
)]
pub async fn report_touch(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(lead_id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<Recorded>, ApiError> {
    caller.require(WRITE_LEADS)?;
    let report: TouchReport = parse_body(&body, "invalid_touch")?;
    check_id("lead_id", &lead_id)?;
    let at = reported_time(&state, &caller.org, &lead_id, &report.at, "invalid_touch", "touches").await?;
    let db = &state.pipeline.db;
    if !state.stored("recording the touch", || db.record_touch(&caller.org, &lead_id, at)).await? {
        return Err(not_found(format!("no lead {lead_id:?} for this tenant: touches are for scored leads")));
    }
    Ok(Json(Recorded { lead_id, outcome: None, at }))
}

fn control_group(lead_id: &str) -> ApiError {
    let message = format!("lead {lead_id:?} is in the control group: it is scored, but its score is not shown");
    ApiError(StatusCode::NOT_FOUND, "control_group", message)
}

fn not_found(message: String) -> ApiError {
    ApiError(StatusCode::NOT_FOUND, "not_found", message)
}

/// Queues every lead of a JSON-lines file for `org`, unless the tenant has
/// leads already (a restart does not queue them again).
pub(super) async fn seed(state: &Arc<AppState>, org: &str, path: &std::path::Path) -> anyhow::Result<()> {
    use anyhow::Context;
    let db = &state.pipeline.db;
    let (_, existing) = db.leads(org, &LeadQuery { limit: 1, ..LeadQuery::default() }).await?;
    if existing > 0 {
        return Ok(());
    }
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut queued = 0;
    for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        crate::leads::parse(line).map_err(|e| anyhow::anyhow!("{} line {}: {e}", path.display(), n + 1))?;
        let lead: Value = serde_json::from_str(line)?;
        let new = NewRequest {
            request_id: format!("req_{}", uuid::Uuid::new_v4().simple()),
            org_id: org.to_string(),
            lead_id: lead["id"].as_str().unwrap_or_default().to_string(),
            idempotency_key: None,
            context: line.to_string(),
            model_version: None,
            force_refresh: false,
        };
        let (row, _) = db.insert_request(&new).await?;
        state.pipeline.queue.enqueue(&job_of(&row)).await?;
        queued += 1;
    }
    tracing::info!(org, queued, "seeded the demo tenant's leads");
    Ok(())
}
