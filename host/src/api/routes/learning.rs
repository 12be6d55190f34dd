//! The learning loop's API: tenants' experiment settings
//! (`/learning/settings`), the lift report with its guardrail and drift
//! (`/reports/lift`) and the shadow comparison (`/reports/shadow`). The
//! monitor that acts on them runs in the pipeline.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use serde::Deserialize;
use utoipa::IntoParams;

use super::routing::{RoutingQuery, routing_target};
use crate::api::error::{ApiError, ErrorBody};
use crate::api::state::AppState;
use crate::api::validate::parse_body;
use crate::auth::{Caller, READ_LEADS};
use crate::learning::lift::LiftReport;
use crate::learning::shadow::{self, ShadowReport};
use crate::learning::{LearningSettings, TenantLearning};

/// The tenant a settings or shadow request is about: the caller's own, or
/// for the operator's admins any tenant named with `?tenant=`.
pub fn tenant_of(state: &AppState, caller: &Caller, tenant: Option<String>) -> Result<String, ApiError> {
    Ok(routing_target(state, caller, tenant)?.unwrap_or_else(|| caller.org.clone()))
}

/// A tenant's experiment settings (the defaults until saved).
#[utoipa::path(
    get, path = "/learning/settings", params(RoutingQuery),
    responses((status = 200, body = LearningSettings), (status = 403, body = ErrorBody))
)]
pub async fn get_settings(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Query(query): Query<RoutingQuery>,
) -> Result<Json<LearningSettings>, ApiError> {
    let org = tenant_of(&state, &caller, query.tenant)?;
    Ok(Json(state.tenants.get(&org).settings))
}

/// Replaces a tenant's experiment settings. A new holdout share applies to
/// leads scored from now on (a lead keeps its group); saving re-arms a
/// tripped guardrail.
#[utoipa::path(
    put, path = "/learning/settings", params(RoutingQuery), request_body = LearningSettings,
    responses(
        (status = 200, body = LearningSettings),
        (status = 400, description = "A field is missing or out of range", body = ErrorBody),
        (status = 503, description = "The database stayed unavailable", body = ErrorBody),
    )
)]
pub async fn set_settings(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Query(query): Query<RoutingQuery>,
    body: Bytes,
) -> Result<Json<LearningSettings>, ApiError> {
    let org = tenant_of(&state, &caller, query.tenant)?;
    let settings: LearningSettings = parse_body(&body, "invalid_settings")?;
    settings.check().map_err(|e| ApiError::invalid("invalid_settings", e))?;
    state.stored("saving the settings", || state.pipeline.db.save_learning_settings(&org, &settings)).await?;
    state.tenants.set(&org, TenantLearning { settings: settings.clone(), tripped_at: None });
    state.pipeline.announce_change().await;
    tracing::info!(org, ?settings, "learning settings changed");
    Ok(Json(settings))
}

/// How many weeks the lift report shows.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LiftQuery {
    /// The last this many weekly cohorts, 1–104 (default 12).
    #[param(minimum = 1, maximum = 104)]
    weeks: Option<usize>,
}

/// Win rate of leads reps saw scores for against the control group, per
/// week and overall, with 95 % intervals; conversion per band; AUC and
/// calibration; time to first touch; the guardrail; drift.
#[utoipa::path(
    get, path = "/reports/lift", params(LiftQuery),
    responses((status = 200, body = LiftReport), (status = 400, body = ErrorBody), (status = 503, description = "The database stayed unavailable", body = ErrorBody))
)]
pub async fn lift_report(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Query(query): Query<LiftQuery>,
) -> Result<Json<LiftReport>, ApiError> {
    caller.require(READ_LEADS)?;
    let weeks = query.weeks.unwrap_or(12);
    if !(1..=104).contains(&weeks) {
        return Err(ApiError::invalid("invalid_query", "weeks: 1–104"));
    }
    state.stored("reading the lift report", || state.monitor.report(&caller.org, weeks)).await.map(Json)
}

/// The shadow version against the active one, on the leads both scored.
#[utoipa::path(
    get, path = "/reports/shadow", params(RoutingQuery),
    responses((status = 200, body = ShadowReport), (status = 503, description = "The database stayed unavailable", body = ErrorBody))
)]
pub async fn shadow_report(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Query(query): Query<RoutingQuery>,
) -> Result<Json<ShadowReport>, ApiError> {
    let org = tenant_of(&state, &caller, query.tenant)?;
    let routing = state.scorer.registry.router().routing_for(Some(&org)).clone();
    let pairs = match &routing.shadow {
        Some(shadow) => {
            let db = &state.pipeline.db;
            state.stored("reading shadow scores", || db.shadow_pairs(&org, &routing.active, shadow)).await?
        }
        None => vec![],
    };
    Ok(Json(shadow::compare(&routing.active, routing.shadow.as_deref(), &pairs)))
}
