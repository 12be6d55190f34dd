//! Routing administration: `GET/PUT/DELETE /models/routing` (the default
//! routing, or a tenant's own) and `POST /models/routing/promote`. The
//! registry applies each change here and tells the other hosts.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::api::error::{ApiError, ErrorBody};
use crate::api::state::AppState;
use crate::api::validate::{check_tenant_id, parse_body};
use crate::auth::{ADMIN_MODELS, Caller};
use crate::runtime::routing::Routing;

/// The tenant whose routing a request is about: `None` is the default
/// routing. The operator's admins may name any tenant (or none: the
/// default); other admins only ever address their own tenant.
pub fn routing_target(state: &AppState, caller: &Caller, tenant: Option<String>) -> Result<Option<String>, ApiError> {
    caller.require(ADMIN_MODELS)?;
    if caller.org == state.operator_org {
        if let Some(t) = &tenant {
            check_tenant_id(t)?;
        }
        return Ok(tenant);
    }
    match tenant {
        Some(t) if t != caller.org => Err(ApiError::Forbidden(format!(
            "only the operator ({}) may address another tenant's routing",
            state.operator_org
        ))),
        _ => Ok(Some(caller.org.clone())),
    }
}

/// Which routing a routing request is about.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RoutingQuery {
    /// A tenant's own routing; without it, the default routing.
    #[param(pattern = "^[A-Za-z0-9._-]{1,64}$")]
    pub tenant: Option<String>,
}

/// The routing that applies to a tenant (or the default routing).
#[utoipa::path(
    get, path = "/models/routing", params(RoutingQuery),
    responses((status = 200, body = Routing), (status = 400, description = "Not a tenant id", body = ErrorBody))
)]
pub async fn get_routing(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Query(query): Query<RoutingQuery>,
) -> Result<Json<Routing>, ApiError> {
    let target = routing_target(&state, &caller, query.tenant)?;
    Ok(Json(state.scorer.registry.router().routing_for(target.as_deref()).clone()))
}

/// Replaces the default routing (the operator), or sets a tenant's own.
/// Takes effect for the next request on every host; calls in flight finish
/// on their version.
#[utoipa::path(
    put, path = "/models/routing", params(RoutingQuery), request_body = Routing,
    responses(
        (status = 200, body = Routing),
        (status = 400, description = "Malformed, or names a version not installed", body = ErrorBody),
        (status = 503, description = "The database stayed unavailable", body = ErrorBody),
    )
)]
pub async fn set_routing(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Query(query): Query<RoutingQuery>,
    body: Bytes,
) -> Result<Json<Routing>, ApiError> {
    let target = routing_target(&state, &caller, query.tenant)?;
    let routing: Routing = parse_body(&body, "invalid_routing")?;
    let registry = &state.scorer.registry;
    Ok(Json(registry.set_routing(state.pipeline.as_ref(), target.as_deref(), routing).await?))
}

/// Makes the shadow version active: the old active version goes first in
/// the fallback chain and the shadow is cleared. The ML team promotes once
/// `GET /reports/shadow` shows the candidate does better.
#[utoipa::path(
    post, path = "/models/routing/promote", params(RoutingQuery),
    responses(
        (status = 200, description = "The routing now in effect", body = Routing),
        (status = 409, description = "The routing has no shadow version", body = ErrorBody),
        (status = 503, description = "The database stayed unavailable", body = ErrorBody),
    )
)]
pub async fn promote_shadow(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Query(query): Query<RoutingQuery>,
) -> Result<Json<Routing>, ApiError> {
    let target = routing_target(&state, &caller, query.tenant)?;
    Ok(Json(state.scorer.registry.promote(state.pipeline.as_ref(), target.as_deref()).await?))
}

/// Removes a tenant's own routing: the tenant follows the default again.
#[utoipa::path(
    delete, path = "/models/routing", params(RoutingQuery),
    responses(
        (status = 200, description = "The routing that now applies to the tenant", body = Routing),
        (status = 400, body = ErrorBody),
        (status = 503, description = "The database stayed unavailable", body = ErrorBody),
    )
)]
pub async fn clear_routing(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Query(query): Query<RoutingQuery>,
) -> Result<Json<Routing>, ApiError> {
    let Some(tenant) = routing_target(&state, &caller, query.tenant)? else {
        return Err(ApiError::invalid(
            "invalid_routing",
            "name the tenant (?tenant=...): the default routing cannot be removed",
        ));
    };
    Ok(Json(state.scorer.registry.clear_routing(state.pipeline.as_ref(), &tenant).await?))
}
