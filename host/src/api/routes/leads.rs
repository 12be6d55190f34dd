//! What reps see and report, read from what the workers recorded: the
//! badge (`GET /leads/{id}/score`), the work queue (`GET /leads`), the lead
//! page (`GET /leads/{id}`), and outcomes and touches. Every read and write
//! is scoped to the caller's tenant.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use utoipa::{IntoParams, ToSchema};

use crate::api::error::{ApiError, ErrorBody};
use crate::api::state::AppState;
use crate::api::validate::{LeadDoc, check_id, check_text, parse_body};
use crate::auth::{Caller, READ_LEADS, WRITE_LEADS};
use crate::learning::trend::Trend;
use crate::pipeline::db::{LeadQuery, LeadRow, OutcomeRow, ScoreRow};

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
        Some(score) if score.control_group.0 => Err(ApiError::ControlGroup(lead_id)),
        Some(score) => Ok(Json(state.banded(&caller.org, score))),
        None => Err(ApiError::NotFound(format!("lead {lead_id:?} has no score for this tenant"))),
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

/// A lead in the work queue, with where its score is going.
#[derive(Serialize, ToSchema)]
pub struct QueueLead {
    /// The lead's latest state.
    #[serde(flatten)]
    lead: LeadRow,
    /// Which way its score is going (null for a control-group lead).
    trend: Option<Trend>,
    /// Its scores over the trend's window, oldest first (empty for a
    /// control-group lead): the sparkline.
    recent_scores: Vec<i64>,
    /// The reason that raised its latest score most (null without one).
    top_reason: Option<String>,
}

/// A page of the work queue.
#[derive(Serialize, ToSchema)]
pub struct WorkQueue {
    /// The leads, hottest first (control-group leads last, without score).
    leads: Vec<QueueLead>,
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
        return Err(ApiError::invalid("invalid_query", format!("band {band:?}: expected hot, warm or cold")));
    }
    let limit = query.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::invalid("invalid_query", "limit: 1–200"));
    }
    let offset = query.offset.unwrap_or(0);
    if offset < 0 {
        return Err(ApiError::invalid("invalid_query", "offset: 0 or more"));
    }
    if let Some(q) = &query.q {
        check_text("q", q, "invalid_query")?;
    }
    let bands = state.bands(&caller.org).map(|b| (b.hot, b.cold));
    let search = query.q.filter(|q| !q.trim().is_empty());
    let filter = LeadQuery { band: query.band, search, limit, offset, bands };
    let db = &state.pipeline.db;
    let (rows, total) = state.stored("reading the work queue", || db.leads(&caller.org, &filter)).await?;
    let trend = state.pipeline.config.trend;
    let shown: Vec<String> = rows.iter().filter(|r| !r.control_group.0).map(|r| r.lead_id.clone()).collect();
    // The window before the newest score on the page covers every lead's.
    let since = rows.iter().filter_map(|r| r.scored_at).max().unwrap_or(0) - trend.window.as_millis() as i64;
    let recent = state.stored("reading recent scores", || db.recent_scores(&caller.org, &shown, since)).await?;
    let leads = rows
        .into_iter()
        .map(|lead| {
            let mine: Vec<_> = recent.iter().filter(|r| r.lead_id == lead.lead_id).collect();
            // The lead's own window: before its latest score.
            let own_since = mine.last().map_or(0, |r| r.timestamp - trend.window.as_millis() as i64);
            let points: Vec<(i64, i64)> =
                mine.iter().filter(|r| r.timestamp >= own_since).map(|r| (r.timestamp, r.score)).collect();
            let top_reason = mine.iter().rev().find_map(|r| r.top_reason());
            match lead.control_group.0 {
                true => QueueLead { lead, trend: None, recent_scores: Vec::new(), top_reason: None },
                false => QueueLead {
                    trend: Some(trend.trend(&points)),
                    recent_scores: points.iter().map(|p| p.1).collect(),
                    top_reason,
                    lead,
                },
            }
        })
        .collect();
    Ok(Json(WorkQueue { leads, total, limit, offset }))
}

/// A lead as `GET /leads/{lead_id}` shows it.
#[derive(Serialize, ToSchema)]
pub struct LeadDetail {
    /// The lead.
    lead_id: String,
    /// Its latest lead JSON (fields and activities), as the CRM sent it.
    #[schema(value_type = LeadDoc)]
    context: Box<RawValue>,
    /// Its latest score; null for a control-group lead.
    score: Option<ScoreRow>,
    /// In the control group: scored, but the score is not shown.
    control_group: bool,
    /// What became of it, if reported.
    outcome: Option<OutcomeRow>,
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
    let lead = state
        .stored("reading the lead", || db.lead(&caller.org, &lead_id))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no lead {lead_id:?} for this tenant")))?;
    let control = lead.control.0;
    let score = match control {
        true => None,
        false => state
            .stored("reading the score", || db.latest_score(&caller.org, &lead_id))
            .await?
            .map(|s| state.banded(&caller.org, s)),
    };
    let outcome = state.stored("reading the outcome", || db.outcome(&caller.org, &lead_id)).await?;
    // Stored by the API as it read it: passed on as it is, never re-read.
    let context = RawValue::from_string(lead.context).unwrap_or_else(|_| RawValue::NULL.to_owned());
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
        return Err(ApiError::invalid("invalid_outcome", message));
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
        .map_err(|e| ApiError::invalid(code, format!("at {text:?}: not an RFC 3339 time: {e}")))?
        .timestamp_millis();
    let now = crate::pipeline::db::now_ms();
    state.bounds.check_not_future(at, now).map_err(|e| ApiError::invalid(code, e))?;
    let db = &state.pipeline.db;
    let arrived = state.stored("reading the lead", || db.lead_arrival(org, lead_id)).await?.ok_or_else(|| {
        ApiError::NotFound(format!("no lead {lead_id:?} for this tenant: {what} are for scored leads"))
    })?;
    state.bounds.check_report(at, arrived, now).map_err(|e| ApiError::invalid(code, e))?;
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
        return Err(ApiError::NotFound(format!("no lead {lead_id:?} for this tenant: touches are for scored leads")));
    }
    Ok(Json(Recorded { lead_id, outcome: None, at }))
}
