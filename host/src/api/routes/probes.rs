//! The endpoints anyone may call, without a token: liveness, readiness and
//! the Prometheus metrics.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;

use crate::api::state::AppState;

/// Alive: answers `ok` while the process serves.
#[utoipa::path(get, path = "/healthz", responses((status = 200, description = "`ok`", body = String, content_type = "text/plain")))]
pub async fn healthz() -> &'static str {
    "ok"
}

/// Whether this host can take requests.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Readiness {
    /// Whether it is ready: every check below passes.
    ready: bool,
    /// The default routing's versions are loaded.
    routing_loaded: bool,
    /// Component instances alive now.
    pool_in_use: u32,
    /// The database answers.
    database: bool,
    /// The queue answers.
    queue: bool,
}

/// How long readiness waits for each backend.
const BACKEND_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// Ready when the default routing's versions are loaded, the pool has room,
/// and the database and the queue answer (a host that cannot record or
/// queue a request should not be sent any).
#[utoipa::path(
    get, path = "/readyz",
    responses((status = 200, body = Readiness), (status = 503, description = "Not ready", body = Readiness))
)]
pub async fn readyz(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    let registry = &state.scorer.registry;
    let loaded = {
        let router = registry.router();
        router.routing.check(&router.versions()).is_ok()
    };
    let in_use = registry.runtime().instances_in_use();
    let room = in_use < registry.runtime().config().max_instances;
    let health = state.pipeline.health(BACKEND_WAIT).await;
    let ready = loaded && room && health.database && health.queue;
    let status = if ready { axum::http::StatusCode::OK } else { axum::http::StatusCode::SERVICE_UNAVAILABLE };
    let body = Readiness {
        ready,
        routing_loaded: loaded,
        pool_in_use: in_use,
        database: health.database,
        queue: health.queue,
    };
    (status, Json(body))
}

/// Prometheus metrics (OpenMetrics text): model calls, latency, failures,
/// fallbacks, the instance pool, the score cache and the learning loop.
#[utoipa::path(
    get, path = "/metrics",
    responses((status = 200, description = "OpenMetrics text", body = String, content_type = "application/openmetrics-text"))
)]
pub async fn metrics(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    let text = state.scorer.metrics.render(state.scorer.registry.runtime().instances_in_use());
    ([(CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], text)
}
