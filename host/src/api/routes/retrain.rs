//! The closed loop's API (`/learning/retrain…`): a tenant's retrain policy,
//! its jobs and their history, starting a job now, and an admin's promote
//! or retire of a shadowing candidate. The jobs themselves run in the
//! pipeline (`pipeline::retrain`).

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Serialize;
use serde_json::json;

use super::learning::tenant_of;
use super::routing::RoutingQuery;
use crate::api::error::{ApiError, ErrorBody};
use crate::api::state::AppState;
use crate::api::validate::parse_body;
use crate::auth::Caller;
use crate::learning::retrain::{JobState, Labelled, RetrainPolicy};
use crate::pipeline::db::retrain::{NewJobError, RetrainJob, RetrainStep};
use crate::pipeline::retrain::{self, DecideError};

/// A tenant's retrain policy (the defaults until saved).
#[utoipa::path(
    get, path = "/learning/retrain", operation_id = "get_retrain_policy", params(RoutingQuery),
    responses((status = 200, body = RetrainPolicy), (status = 403, body = ErrorBody))
)]
pub async fn get_policy(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Query(query): Query<RoutingQuery>,
) -> Result<Json<RetrainPolicy>, ApiError> {
    let org = tenant_of(&state, &caller, query.tenant)?;
    let policy = state.stored("reading the retrain policy", || retrain::policy_of(&state.pipeline, &org)).await?;
    Ok(Json(policy))
}

/// Replaces a tenant's retrain policy.
#[utoipa::path(
    put, path = "/learning/retrain", operation_id = "put_retrain_policy", params(RoutingQuery), request_body = RetrainPolicy,
    responses(
        (status = 200, body = RetrainPolicy),
        (status = 400, description = "A field is missing or out of range (`invalid_policy`)", body = ErrorBody),
        (status = 503, description = "The database stayed unavailable", body = ErrorBody),
    )
)]
pub async fn put_policy(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Query(query): Query<RoutingQuery>,
    body: Bytes,
) -> Result<Json<RetrainPolicy>, ApiError> {
    let org = tenant_of(&state, &caller, query.tenant)?;
    let policy: RetrainPolicy = parse_body(&body, "invalid_policy")?;
    policy.check().map_err(|e| ApiError::invalid("invalid_policy", e))?;
    state.stored("saving the retrain policy", || state.pipeline.db.save_retrain_policy(&org, &policy)).await?;
    tracing::info!(org, ?policy, "retrain policy changed");
    Ok(Json(policy))
}

/// A job made by `POST /learning/retrain/run`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct StartedJob {
    /// Follow it in `GET /learning/retrain/jobs`.
    pub job_id: String,
}

/// Starts a retrain job now (whatever the schedule).
#[utoipa::path(
    post, path = "/learning/retrain/run", operation_id = "run_retrain", params(RoutingQuery),
    responses(
        (status = 202, body = StartedJob),
        (status = 409, description = "A job is queued, running or shadowing (`job_open`)", body = ErrorBody),
        (status = 422, description = "Too few labelled leads or wins (`not_enough_data`), saying how many of how many", body = ErrorBody),
        (status = 503, description = "The database stayed unavailable", body = ErrorBody),
    )
)]
pub async fn run_now(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Query(query): Query<RoutingQuery>,
) -> Result<(StatusCode, Json<StartedJob>), ApiError> {
    let org = tenant_of(&state, &caller, query.tenant)?;
    let (policy, labelled) = readiness(&state, &org).await?;
    if let Some(short) = policy.shortfall(&labelled) {
        return Err(ApiError::Unprocessable { code: "not_enough_data", message: format!("too few to train: {short}") });
    }
    match state.pipeline.db.new_retrain_job(&org, "manual").await {
        Ok(job) => Ok((StatusCode::ACCEPTED, Json(StartedJob { job_id: job.job_id }))),
        Err(NewJobError::Open(job_id)) => Err(ApiError::Conflict {
            code: "job_open",
            message: format!(
                "retrain job {job_id} is still queued, running or shadowing: one job per tenant at a time"
            ),
        }),
        Err(NewJobError::Db(e)) => Err(ApiError::database(e)),
    }
}

async fn readiness(state: &AppState, org: &str) -> Result<(RetrainPolicy, Labelled), ApiError> {
    let policy = state.stored("reading the retrain policy", || retrain::policy_of(&state.pipeline, org)).await?;
    let since = retrain::window_start(&policy);
    let labelled = state.stored("counting labelled leads", || state.pipeline.db.labelled(org, since)).await?;
    Ok((policy, labelled))
}

/// A tenant's retrain jobs and how ready it is for the next.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RetrainJobs {
    /// Newest first (the latest 50).
    pub jobs: Vec<RetrainJob>,
    /// Labelled leads in the policy's window.
    pub labelled: Labelled,
    /// What the tenant lacks to train ("312 of 1,000 leads, 41 of 120 wins
    /// …"); absent when it has enough. Until then it stays on the global model.
    pub shortfall: Option<String>,
}

/// A tenant's retrain jobs, newest first, with their state, figures and log.
#[utoipa::path(
    get, path = "/learning/retrain/jobs", operation_id = "list_retrain_jobs", params(RoutingQuery),
    responses((status = 200, body = RetrainJobs), (status = 403, body = ErrorBody))
)]
pub async fn list_jobs(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Query(query): Query<RoutingQuery>,
) -> Result<Json<RetrainJobs>, ApiError> {
    let org = tenant_of(&state, &caller, query.tenant)?;
    let (policy, labelled) = readiness(&state, &org).await?;
    let jobs = state.stored("reading retrain jobs", || state.pipeline.db.retrain_jobs(&org, 50)).await?;
    Ok(Json(RetrainJobs { jobs, shortfall: policy.shortfall(&labelled), labelled }))
}

/// Every step of a tenant's retrain jobs.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RetrainHistory {
    /// Newest first (the latest 200).
    pub steps: Vec<RetrainStep>,
}

/// Every step the tenant's retrain jobs took, with its figures.
#[utoipa::path(
    get, path = "/learning/retrain/history", operation_id = "retrain_history", params(RoutingQuery),
    responses((status = 200, body = RetrainHistory), (status = 403, body = ErrorBody))
)]
pub async fn history(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Query(query): Query<RoutingQuery>,
) -> Result<Json<RetrainHistory>, ApiError> {
    let org = tenant_of(&state, &caller, query.tenant)?;
    let steps = state.stored("reading retrain history", || state.pipeline.db.retrain_history(&org, 200)).await?;
    Ok(Json(RetrainHistory { steps }))
}

/// Promotes a shadowing candidate by hand: it becomes the tenant's active
/// version, the one it replaces first in its fallback.
#[utoipa::path(
    post, path = "/learning/retrain/jobs/{job_id}/promote", operation_id = "promote_retrain_candidate", params(("job_id" = String, Path), RoutingQuery),
    responses(
        (status = 200, body = RetrainJob),
        (status = 404, description = "The tenant has no such job", body = ErrorBody),
        (status = 409, description = "The job is not shadowing (`not_shadowing`)", body = ErrorBody),
    )
)]
pub async fn promote(
    state: State<Arc<AppState>>,
    caller: Caller,
    job_id: Path<String>,
    query: Query<RoutingQuery>,
) -> Result<Json<RetrainJob>, ApiError> {
    decide_by_hand(state, caller, job_id, query, JobState::Promoted).await
}

/// Retires a shadowing candidate by hand: it leaves the tenant's shadow
/// (it stays installed).
#[utoipa::path(
    post, path = "/learning/retrain/jobs/{job_id}/retire", operation_id = "retire_retrain_candidate", params(("job_id" = String, Path), RoutingQuery),
    responses(
        (status = 200, body = RetrainJob),
        (status = 404, description = "The tenant has no such job", body = ErrorBody),
        (status = 409, description = "The job is not shadowing (`not_shadowing`)", body = ErrorBody),
    )
)]
pub async fn retire(
    state: State<Arc<AppState>>,
    caller: Caller,
    job_id: Path<String>,
    query: Query<RoutingQuery>,
) -> Result<Json<RetrainJob>, ApiError> {
    decide_by_hand(state, caller, job_id, query, JobState::Retired).await
}

async fn decide_by_hand(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(job_id): Path<String>,
    Query(query): Query<RoutingQuery>,
    to: JobState,
) -> Result<Json<RetrainJob>, ApiError> {
    let org = tenant_of(&state, &caller, query.tenant)?;
    let job = state.stored("reading the retrain job", || state.pipeline.db.retrain_job(&job_id)).await?;
    let job =
        job.filter(|j| j.org_id == org).ok_or_else(|| ApiError::NotFound(format!("no retrain job {job_id:?}")))?;
    let message = format!("{} by hand (an admin of {})", to.as_str(), caller.org);
    match retrain::decide(&state.pipeline, &state.scorer, &job, to, &message, json!({"by": caller.org})).await {
        Ok(()) => {}
        Err(DecideError::NotShadowing(_, now)) => {
            return Err(ApiError::Conflict {
                code: "not_shadowing",
                message: format!("job {job_id} is {now}: only a shadowing candidate can be promoted or retired"),
            });
        }
        Err(DecideError::Other(e)) => return Err(ApiError::database(e)),
    }
    let job = state.stored("reading the retrain job", || state.pipeline.db.retrain_job(&job_id)).await?;
    job.map(Json).ok_or_else(|| ApiError::NotFound(format!("no retrain job {job_id:?}")))
}
