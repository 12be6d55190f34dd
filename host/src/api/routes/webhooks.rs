//! Signed webhooks: a tenant registers endpoints for lead events
//! (`GET/POST/DELETE /integrations/webhooks`), reads each endpoint's
//! delivery log and replays a delivery. Deliveries follow the Standard
//! Webhooks specification (see `pipeline::webhooks`).

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::error::{ApiError, ErrorBody};
use crate::api::state::AppState;
use crate::api::validate::{check_id, parse_body};
use crate::auth::{ADMIN_MODELS, Caller, READ_LEADS};
use crate::pipeline::db::now_ms;
use crate::pipeline::db::webhooks::{DeliveryRow, EndpointRow};
use crate::pipeline::webhooks::events::EVENT_TYPES;
use crate::pipeline::webhooks::{check_url, new_secret};

/// The body of `POST /integrations/webhooks`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEndpoint {
    /// Where deliveries go: https (http, and private or loopback
    /// addresses, only with `serve --webhook-allow-private` or `--dev`).
    #[schema(max_length = 2000)]
    url: String,
    /// lead.scored, lead.band_changed, lead.became_hot, lead.trend_changed.
    #[schema(min_items = 1)]
    events: Vec<String>,
}

/// A registered endpoint (its secret is shown once, when it is registered).
#[derive(Serialize, ToSchema)]
pub struct Endpoint {
    /// `ep_` and 32 hex digits.
    id: String,
    /// Where deliveries go.
    url: String,
    /// The events it receives.
    events: Vec<String>,
    /// When it was registered (ms since the epoch).
    created_at: i64,
    /// Only in the answer to its registration: the key that signs its
    /// deliveries, in Standard Webhooks form (`whsec_` and base64).
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
}

/// The tenant's endpoints.
#[derive(Serialize, ToSchema)]
pub struct Endpoints {
    /// Oldest first.
    endpoints: Vec<Endpoint>,
}

/// An endpoint a path names.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct EndpointPath {
    /// The endpoint's id.
    #[param(max_length = 200)]
    endpoint_id: String,
}

/// A delivery a path names.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct DeliveryPath {
    /// The delivery's id (its `webhook-id`).
    #[param(max_length = 200)]
    delivery_id: String,
}

/// How much of the log.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogQuery {
    /// Deliveries, newest first: 1–500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
}

/// An endpoint's deliveries.
#[derive(Serialize, ToSchema)]
pub struct DeliveryLog {
    /// Newest first.
    deliveries: Vec<DeliveryRow>,
}

fn endpoint(row: EndpointRow, secret: Option<String>) -> Endpoint {
    let events = serde_json::from_str(&row.events).unwrap_or_default();
    Endpoint { id: row.id, url: row.url, events, created_at: row.created_at, secret }
}

/// Registers an endpoint for some lead events; answers its secret, once.
#[utoipa::path(
    post, path = "/integrations/webhooks", request_body = NewEndpoint,
    responses(
        (status = 201, description = "Registered: its id and secret", body = Endpoint),
        (status = 400, description = "Not an allowed URL, or an unknown event (the message says which)", body = ErrorBody),
        (status = 503, description = "The database stayed unavailable", body = ErrorBody),
    )
)]
pub async fn add_endpoint(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    body: Bytes,
) -> Result<(StatusCode, Json<Endpoint>), ApiError> {
    caller.require(ADMIN_MODELS)?;
    let request: NewEndpoint = parse_body(&body, "invalid_webhook")?;
    if request.url.len() > 2000 {
        return Err(ApiError::invalid("invalid_webhook", "url: at most 2000 characters"));
    }
    check_url(&request.url, state.pipeline.config.webhooks.allow_private)
        .map_err(|e| ApiError::invalid("invalid_webhook", e))?;
    if request.events.is_empty() {
        return Err(ApiError::invalid("invalid_webhook", "events: at least one"));
    }
    let mut events = Vec::new();
    for (i, event) in request.events.iter().enumerate() {
        if !EVENT_TYPES.contains(&event.as_str()) {
            let message = format!("events[{i}] {event:?}: expected one of {}", EVENT_TYPES.join(", "));
            return Err(ApiError::invalid("invalid_webhook", message));
        }
        if !events.contains(event) {
            events.push(event.clone());
        }
    }
    let row = EndpointRow {
        id: format!("ep_{}", uuid::Uuid::new_v4().simple()),
        org_id: caller.org.clone(),
        url: request.url,
        events: serde_json::to_string(&events).map_err(|e| ApiError::Internal(e.to_string()))?,
        secret: new_secret(),
        created_at: now_ms(),
    };
    let db = &state.pipeline.db;
    state.stored("registering the endpoint", || db.add_endpoint(&row)).await?;
    let secret = row.secret.clone();
    Ok((StatusCode::CREATED, Json(endpoint(row, Some(secret)))))
}

/// The tenant's endpoints (without their secrets).
#[utoipa::path(
    get, path = "/integrations/webhooks",
    responses(
        (status = 200, body = Endpoints),
        (status = 503, description = "The database stayed unavailable", body = ErrorBody),
    )
)]
pub async fn list_endpoints(State(state): State<Arc<AppState>>, caller: Caller) -> Result<Json<Endpoints>, ApiError> {
    caller.require(READ_LEADS)?;
    let db = &state.pipeline.db;
    let rows = state.stored("reading the endpoints", || db.endpoints(&caller.org)).await?;
    Ok(Json(Endpoints { endpoints: rows.into_iter().map(|r| endpoint(r, None)).collect() }))
}

/// Deletes an endpoint; its pending deliveries are given up.
#[utoipa::path(
    delete, path = "/integrations/webhooks/{endpoint_id}", params(EndpointPath),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "The tenant has no such endpoint", body = ErrorBody),
        (status = 503, description = "The database stayed unavailable", body = ErrorBody),
    )
)]
pub async fn delete_endpoint(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(endpoint_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    caller.require(ADMIN_MODELS)?;
    check_id("endpoint_id", &endpoint_id)?;
    let db = &state.pipeline.db;
    match state.stored("deleting the endpoint", || db.delete_endpoint(&caller.org, &endpoint_id)).await? {
        true => Ok(StatusCode::NO_CONTENT),
        false => Err(ApiError::NotFound(format!("no webhook endpoint {endpoint_id:?} for this tenant"))),
    }
}

/// An endpoint's delivery log: each delivery's state, attempts and last error.
#[utoipa::path(
    get, path = "/integrations/webhooks/{endpoint_id}/deliveries", params(EndpointPath, LogQuery),
    responses(
        (status = 200, body = DeliveryLog),
        (status = 404, description = "The tenant has no such endpoint", body = ErrorBody),
        (status = 503, description = "The database stayed unavailable", body = ErrorBody),
    )
)]
pub async fn delivery_log(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(endpoint_id): Path<String>,
    Query(query): Query<LogQuery>,
) -> Result<Json<DeliveryLog>, ApiError> {
    caller.require(READ_LEADS)?;
    check_id("endpoint_id", &endpoint_id)?;
    let limit = query.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::invalid("invalid_query", "limit: 1–500"));
    }
    let db = &state.pipeline.db;
    let endpoints = state.stored("reading the endpoints", || db.endpoints(&caller.org)).await?;
    if !endpoints.iter().any(|e| e.id == endpoint_id) {
        return Err(ApiError::NotFound(format!("no webhook endpoint {endpoint_id:?} for this tenant")));
    }
    let deliveries = state.stored("reading the deliveries", || db.deliveries(&caller.org, &endpoint_id, limit)).await?;
    Ok(Json(DeliveryLog { deliveries }))
}

/// Sends a delivery again now, with the same `webhook-id` (a receiver
/// that de-duplicates by it ignores it when it already has it).
#[utoipa::path(
    post, path = "/integrations/webhooks/deliveries/{delivery_id}/replay", params(DeliveryPath),
    responses(
        (status = 202, description = "Queued for delivery: the delivery as it now stands", body = DeliveryRow),
        (status = 404, description = "The tenant has no such delivery, or its endpoint was deleted", body = ErrorBody),
        (status = 503, description = "The database stayed unavailable", body = ErrorBody),
    )
)]
pub async fn replay_delivery(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(delivery_id): Path<String>,
) -> Result<(StatusCode, Json<DeliveryRow>), ApiError> {
    caller.require(ADMIN_MODELS)?;
    check_id("delivery_id", &delivery_id)?;
    let db = &state.pipeline.db;
    match state.stored("replaying the delivery", || db.replay_delivery(&caller.org, &delivery_id)).await? {
        Some(row) => Ok((StatusCode::ACCEPTED, Json(row))),
        None => Err(ApiError::NotFound(format!("no delivery {delivery_id:?} to replay for this tenant"))),
    }
}
