//! The learning loop's API: tenants' experiment settings
//! (`/learning/settings`), the lift report with its guardrail and drift
//! (`/reports/lift`), the shadow comparison (`/reports/shadow`), and the
//! monitor that checks every tenant periodically: it keeps `/metrics`
//! current and acts on a tripped guardrail.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use serde::Deserialize;
use utoipa::IntoParams;

use super::AppState;
use super::api::{ApiError, ErrorBody, parse_body};
use super::models::{RoutingQuery, routing_target, save_routing};
use crate::auth::{Caller, READ_LEADS};
use crate::learning::drift::{self, DriftReport};
use crate::learning::lift::{self, LiftReport};
use crate::learning::shadow::{self, ShadowReport};
use crate::learning::{LearningSettings, RULES_VERSION, TenantLearning};
use crate::pipeline::db::now_ms;
use crate::routing::Routing;

const DAY_MS: i64 = 86_400_000;
/// Drift compares the inferences of this many recent days...
const DRIFT_WINDOW_DAYS: u32 = 7;
/// ...at most the newest this many: plenty for ten bins per feature, and
/// parsing the logged features is most of the report's time.
const DRIFT_MAX_LEADS: i64 = 5_000;

/// The tenant a settings or shadow request is about: the caller's own, or
/// for the operator's admins any tenant named with `?tenant=`.
fn tenant_of(state: &AppState, caller: &Caller, tenant: Option<String>) -> Result<String, ApiError> {
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
    Ok(Json(state.learning_of(&org).settings))
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
    settings.check().map_err(|e| ApiError::bad_request("invalid_settings", e))?;
    state.stored("saving the settings", || state.pipeline.db.save_learning_settings(&org, &settings)).await?;
    state.set_learning(&org, TenantLearning { settings: settings.clone(), tripped_at: None });
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
        return Err(ApiError::bad_request("invalid_query", "weeks: 1–104"));
    }
    state.stored("reading the lift report", || report(&state, &caller.org, weeks)).await.map(Json)
}

/// A tenant's report as of now.
async fn report(state: &AppState, org: &str, weeks: usize) -> Result<LiftReport> {
    let tenant = state.learning_of(org);
    let (facts, started) = state.pipeline.db.lead_facts(org).await?;
    let days_running = started.map_or(0.0, |start| (now_ms() - start) as f64 / DAY_MS as f64);
    let mut report = lift::report(org, tenant.settings.clone(), &facts, weeks, days_running);
    report.guardrail.tripped_at = tenant.tripped_at;
    report.guardrail.routed_to_rules =
        tenant.tripped_at.is_some() && state.router.load().routing_for(Some(org)).active == RULES_VERSION;
    report.drift = drift_of(state, org, &tenant.settings).await?;
    Ok(report)
}

/// Drift of the version the tenant's routing shows, when its manifest
/// carries the training distribution.
async fn drift_of(state: &AppState, org: &str, settings: &LearningSettings) -> Result<Option<DriftReport>> {
    let version = state.router.load().routing_for(Some(org)).active.clone();
    // A manifest that cannot be read leaves the report without drift rather
    // than failing it (the caller retries only database errors).
    let manifests = state.store.list().unwrap_or_else(|e| {
        tracing::warn!(error = %e, "cannot read installed manifests: no drift");
        vec![]
    });
    let Some(reference) = manifests.into_iter().find(|m| m.version == version).and_then(|m| m.reference) else {
        return Ok(None);
    };
    let since = now_ms() - i64::from(DRIFT_WINDOW_DAYS) * DAY_MS;
    let recent = state.pipeline.db.recent_inferences(org, &version, since, DRIFT_MAX_LEADS).await?;
    Ok(Some(drift::drift(&reference, &version, DRIFT_WINDOW_DAYS, settings.drift_threshold, &recent)))
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
    let routing = state.router.load().routing_for(Some(&org)).clone();
    let pairs = match &routing.shadow {
        Some(shadow) => {
            let db = &state.pipeline.db;
            state.stored("reading shadow scores", || db.shadow_pairs(&org, &routing.active, shadow)).await?
        }
        None => vec![],
    };
    Ok(Json(shadow::compare(&routing.active, routing.shadow.as_deref(), &pairs)))
}

/// Checks every tenant every `every`: refreshes the learning metrics and
/// trips guardrails.
pub(super) async fn monitor(state: Arc<AppState>, every: Duration) {
    loop {
        tokio::time::sleep(every).await;
        let tenants = match state.pipeline.db.tenants_with_leads().await {
            Ok(tenants) => tenants,
            Err(e) => {
                tracing::warn!(error = %format!("{e:#}"), "learning monitor: database unavailable");
                continue;
            }
        };
        for org in tenants {
            if let Err(e) = check(&state, &org).await {
                tracing::warn!(org, error = %format!("{e:#}"), "learning monitor: check failed");
            }
        }
    }
}

async fn check(state: &AppState, org: &str) -> Result<()> {
    let report = report(state, org, 12).await?;
    state.metrics.learning(&report);
    if report.drift.as_ref().is_some_and(|d| d.alert) {
        tracing::warn!(org, drift = ?report.drift, "drift above the threshold");
    }
    if report.guardrail.status == "alert" && report.guardrail.tripped_at.is_none() {
        trip_guardrail(state, org, &report).await?;
    }
    Ok(())
}

/// Records the trip (once: saving the settings re-arms it) and, when the
/// tenant asked for it, routes the tenant to the rules model, keeping the
/// model it replaces in shadow: its scores stay comparable, and promoting
/// it brings it back.
async fn trip_guardrail(state: &AppState, org: &str, report: &LiftReport) -> Result<()> {
    let tenant = state.learning_of(org);
    let at = now_ms();
    state.pipeline.db.trip_guardrail(org, &tenant.settings, at).await?;
    state.set_learning(org, TenantLearning { tripped_at: Some(at), ..tenant.clone() });
    tracing::warn!(org, message = report.guardrail.message, "guardrail tripped");
    if tenant.settings.guardrail_to_rules {
        let current = state.router.load().routing_for(Some(org)).clone();
        if !state.router.load().components.contains_key(RULES_VERSION) {
            tracing::error!(org, "the guardrail cannot route to {RULES_VERSION}: it is not installed");
        } else if current.active != RULES_VERSION {
            let rules =
                Routing { active: RULES_VERSION.into(), split: vec![], fallback: vec![], shadow: Some(current.active) };
            save_routing(state, Some(org), rules).await?;
            tracing::warn!(org, "guardrail: tenant routed to {RULES_VERSION}");
        }
    }
    state.pipeline.announce_change().await;
    Ok(())
}
