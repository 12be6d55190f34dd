//! A lead's score over time (`GET /leads/{lead_id}/history`) and why it
//! moved between two scorings (`GET /leads/{lead_id}/changes`), scoped to
//! the caller's tenant. A control-group lead has neither: its scores are
//! never shown.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::leads::LeadPath;
use crate::api::error::{ApiError, ErrorBody};
use crate::api::state::AppState;
use crate::api::validate::check_id;
use crate::auth::{Caller, READ_LEADS};
use crate::learning::trend::Trend;
use crate::pipeline::db::StoredExplanation;
use crate::pipeline::db::history::Scoring as StoredScoring;
use crate::runtime::changes::{self, Changes};
use crate::runtime::lead::{rfc3339, to_wit};
use crate::runtime::score::Score;
use crate::runtime::scorer::Plan;

/// How many scorings a history shows at most (the latest ones).
const HISTORY_POINTS: i64 = 100;

/// One scoring in a lead's history.
#[derive(Serialize, ToSchema)]
pub struct HistoryPoint {
    /// The request that produced it.
    request_id: String,
    /// The lead's `as_of` (RFC 3339); null for scorings recorded before it was kept.
    #[schema(format = DateTime)]
    as_of: Option<String>,
    /// When it was recorded (RFC 3339).
    #[schema(format = DateTime)]
    scored_at: String,
    /// 0–100.
    score: i64,
    /// The band, by the tenant's thresholds when it has its own.
    #[schema(pattern = "^(hot|warm|cold)$")]
    band: String,
    /// Calibrated probability.
    probability: f64,
    /// Raw model output (margin units); null when it cannot be read back.
    margin: Option<f64>,
    /// The version that answered.
    model_version: String,
}

/// A lead's score history.
#[derive(Serialize, ToSchema)]
pub struct History {
    /// The lead.
    lead_id: String,
    /// Which way its score is going (see `serve --trend-*`).
    trend: Trend,
    /// Its latest scorings (up to 100), oldest first.
    points: Vec<HistoryPoint>,
}

/// The lead's scores over time and its trend.
#[utoipa::path(
    get, path = "/leads/{lead_id}/history", params(LeadPath),
    responses(
        (status = 200, body = History),
        (status = 404, description = "No such lead (code not_found), or it is in the control group (code control_group)", body = ErrorBody),
        (status = 503, description = "The database stayed unavailable", body = ErrorBody),
    )
)]
pub async fn history(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(lead_id): Path<String>,
) -> Result<Json<History>, ApiError> {
    caller.require(READ_LEADS)?;
    check_id("lead_id", &lead_id)?;
    shown_lead(&state, &caller.org, &lead_id).await?;
    let db = &state.pipeline.db;
    let rows = state.stored("reading the history", || db.history(&caller.org, &lead_id, HISTORY_POINTS)).await?;
    let bands = state.bands(&caller.org);
    let trend = state.pipeline.config.trend.trend(&rows.iter().map(|r| (r.timestamp, r.score)).collect::<Vec<_>>());
    let points = rows
        .iter()
        .map(|r| HistoryPoint {
            request_id: r.request_id.clone(),
            as_of: r.as_of.map(rfc3339),
            scored_at: rfc3339(r.timestamp),
            score: r.score,
            band: bands.map_or_else(|| r.band.clone(), |b| b.band(r.score.clamp(0, 100) as u8).name().to_string()),
            probability: r.probability,
            margin: r.margin(),
            model_version: r.model_version.clone(),
        })
        .collect();
    Ok(Json(History { lead_id, trend, points }))
}

/// The two scorings to compare.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChangesQuery {
    /// The earlier scoring's request id (default: the second latest).
    from: Option<String>,
    /// The later scoring's request id (default: the latest).
    to: Option<String>,
}

/// Why the lead's score moved between two scorings, split exactly into
/// parts: for the same version, one per feature (the SHAP differences);
/// across versions, first "the model changed" (the earlier lead scored by
/// the new version minus by the old), then per feature under the new
/// version. `Σ parts[].delta = to.margin − from.margin`.
#[utoipa::path(
    get, path = "/leads/{lead_id}/changes", params(LeadPath, ChangesQuery),
    responses(
        (status = 200, body = Changes),
        (status = 400, description = "A request id that is not one (code invalid_query)", body = ErrorBody),
        (status = 404, description = "No such lead or scoring, fewer than two scorings (code not_found), or a control-group lead (code control_group)", body = ErrorBody),
        (status = 409, description = "A scoring without an explanation, or the later version cannot rescore the earlier lead (code cannot_compare)", body = ErrorBody),
        (status = 503, description = "The database stayed unavailable, or no model could rescore", body = ErrorBody),
    )
)]
pub async fn changes(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(lead_id): Path<String>,
    Query(query): Query<ChangesQuery>,
) -> Result<Json<Changes>, ApiError> {
    caller.require(READ_LEADS)?;
    check_id("lead_id", &lead_id)?;
    for (name, id) in [("from", &query.from), ("to", &query.to)] {
        if let Some(id) = id {
            check_id(name, id).map_err(|_| ApiError::invalid("invalid_query", format!("{name}: not a request id")))?;
        }
    }
    shown_lead(&state, &caller.org, &lead_id).await?;
    let db = &state.pipeline.db;
    let (from_id, to_id) = match (query.from, query.to) {
        (Some(from), Some(to)) => (from, to),
        (from, to) => {
            let latest = state.stored("reading the history", || db.latest_two(&caller.org, &lead_id)).await?;
            let (Some(newest), Some(second)) = (latest.first(), latest.get(1)) else {
                return Err(ApiError::NotFound(format!("lead {lead_id:?} has fewer than two scorings to compare")));
            };
            (from.unwrap_or_else(|| second.clone()), to.unwrap_or_else(|| newest.clone()))
        }
    };
    let read = |id: String| {
        let (state, org, lead_id) = (&state, &caller.org, &lead_id);
        async move {
            let scoring = state.stored("reading a scoring", || db.scoring(org, lead_id, &id)).await?;
            scoring.ok_or_else(|| ApiError::NotFound(format!("lead {lead_id:?} has no scoring {id:?}")))
        }
    };
    let (from, to) = (read(from_id).await?, read(to_id).await?);
    let (from_score, to_score) = (explained(&from)?, explained(&to)?);
    let earlier_by_new = match from_score.model_version == to_score.model_version {
        true => None,
        false => Some(rescore(&state, &caller.org, &from, &to_score.model_version).await?),
    };
    let router = state.scorer.registry.router_arc();
    let definition = |version: &str, feature: &str| router.components.get(version)?.presentation.definition(feature);
    let changes = changes::changes(
        (&from.request_id, from_score),
        (&to.request_id, to_score),
        earlier_by_new.as_ref(),
        definition,
    )
    .map_err(|e| ApiError::Conflict { code: "cannot_compare", message: e.to_string() })?;
    Ok(Json(changes))
}

/// 404 unless the tenant has the lead and shows its scores.
async fn shown_lead(state: &AppState, org: &str, lead_id: &str) -> Result<(), ApiError> {
    let db = &state.pipeline.db;
    match state.stored("reading the lead", || db.lead(org, lead_id)).await? {
        None => Err(ApiError::NotFound(format!("no lead {lead_id:?} for this tenant"))),
        Some(lead) if lead.control.0 => Err(ApiError::ControlGroup(lead_id.to_string())),
        Some(_) => Ok(()),
    }
}

/// A scoring's stored score, or a 409 when it does not read as one.
fn explained(scoring: &StoredScoring) -> Result<&Score, ApiError> {
    match &scoring.explanation {
        StoredExplanation::Score(score) => Ok(score),
        StoredExplanation::Unreadable(_) => Err(ApiError::Conflict {
            code: "cannot_compare",
            message: format!("the stored explanation of {:?} no longer reads", scoring.request_id),
        }),
    }
}

/// The earlier scoring's lead scored by `version` alone.
async fn rescore(state: &AppState, org: &str, earlier: &StoredScoring, version: &str) -> Result<Score, ApiError> {
    let cannot = |why: String| ApiError::Conflict {
        code: "cannot_compare",
        message: format!("version {version} cannot rescore the lead of {:?}: {why}", earlier.request_id),
    };
    if !state.scorer.registry.router().components.contains_key(version) {
        return Err(cannot("it is no longer installed".into()));
    }
    let lead = guest_model::load::lead_json::parse(&earlier.context).map_err(|e| cannot(e.to_string()))?;
    let answer = state.scorer.score(org, to_wit(lead), Plan::Only(version.to_string())).await?;
    answer.result.map_err(|e| cannot(e.to_string()))
}
