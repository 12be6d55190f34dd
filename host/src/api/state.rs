//! What every request shares, and who is calling.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use super::error::ApiError;
use super::rate_limit::TenantRateLimit;
use super::validate::{LeadLimits, TimeBounds};
use crate::auth::{Auth, Caller};
use guest_model::model::Bands;

use crate::pipeline::Pipeline;
use crate::pipeline::db::{ScoreRow, StoredExplanation};
use crate::pipeline::monitor::Monitor;
use crate::pipeline::tenants::Tenants;
use crate::runtime::scorer::Scorer;

/// Shared by every request: the layers below and the API's own settings.
pub struct AppState {
    /// The registry, the scoring slots and the metrics.
    pub scorer: Arc<Scorer>,
    /// The backends.
    pub pipeline: Arc<Pipeline>,
    /// The tenants' learning settings.
    pub tenants: Arc<Tenants>,
    /// The lift report and guardrail.
    pub monitor: Monitor,
    /// How bearer tokens are checked.
    pub auth: Arc<Auth>,
    /// The tenant whose admins install models and set the default routing.
    pub operator_org: String,
    /// Most leads one batch request may carry.
    pub max_batch: usize,
    /// Largest component upload, in bytes (named in the 413).
    pub max_upload: usize,
    /// How far from now a lead's `as_of` and reported times may lie.
    pub bounds: TimeBounds,
    /// The largest lead the API takes.
    pub lead_limits: LeadLimits,
    /// Model sources built at once by `POST /models` (one: each build
    /// compiles the scorer template on every core).
    pub builds: Arc<tokio::sync::Semaphore>,
    /// Each tenant's rate limit on the scoring endpoints.
    pub rate_limit: TenantRateLimit,
}

impl AppState {
    /// A database call that waits out a short outage; a database that stays
    /// away is a 503 naming what was being done.
    pub async fn stored<T, F, Fut>(&self, what: &str, call: F) -> Result<T, ApiError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = anyhow::Result<T>>,
    {
        self.pipeline.stored(what, call).await.map_err(ApiError::database)
    }

    /// The tenant's own Hot/Cold thresholds, if it set them in its routing:
    /// the bands its reps see, already-scored leads included.
    pub fn bands(&self, org: &str) -> Option<Bands> {
        self.scorer.registry.router().routing_for(Some(org)).bands
    }

    /// `row` with its band (and its explanation's) read by the tenant's thresholds.
    pub fn banded(&self, org: &str, mut row: ScoreRow) -> ScoreRow {
        if let Some(bands) = self.bands(org) {
            let band = bands.band(row.score.clamp(0, 100) as u8);
            row.band = band.name().to_string();
            if let StoredExplanation::Score(score) = &mut row.explanation {
                score.band = band;
            }
        }
        row
    }
}

impl FromRequestParts<Arc<AppState>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Caller, ApiError> {
        let header = parts.headers.get(AUTHORIZATION).map(|v| v.to_str().unwrap_or("(not text)"));
        Ok(state.auth.caller(header)?)
    }
}
