//! Model administration: `GET/POST /models` (list, upload and install) and
//! `GET/PUT/DELETE /models/routing` (the default routing or a tenant's own).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Multipart, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::api::{ApiError, ErrorBody, check_tenant_id, parse_body, size};
use crate::auth::{ADMIN_MODELS, Caller};
use crate::model_build::Manifest;
use crate::model_store::InstallError;
use crate::routing::{Router, Routing};

/// One installed version, as `GET /models` lists it.
#[derive(Serialize, ToSchema)]
pub struct ModelInfo {
    /// The model's name.
    name: String,
    /// Its version.
    version: String,
    /// The component's sha256 (hex).
    sha256: String,
    /// Its part in the caller's routing: active, split, fallback or installed.
    #[schema(pattern = "^(active|split|fallback|installed)$")]
    state: &'static str,
    /// Whether this host has it loaded.
    loaded: bool,
    /// When it was built (RFC 3339).
    built_at: String,
    /// Trees in the ensemble.
    num_trees: u32,
    /// Features the model reads.
    features: usize,
    /// Tenants whose own routing names it: the caller's tenant only, unless
    /// the caller is the operator.
    routed_for_tenants: Vec<String>,
}

/// `manifest` as `GET /models` lists it; `viewer`: the tenant whose admin
/// asks (`None`: the operator, who sees every tenant that routes to it).
fn model_info(manifest: &Manifest, router: &Router, routing: &Routing, viewer: Option<&str>) -> ModelInfo {
    let v = manifest.version.as_str();
    let state = if routing.active == v && routing.split.is_empty() {
        "active"
    } else if routing.split.iter().any(|w| w.version == v) {
        "split"
    } else if routing.fallback.iter().any(|f| f == v) {
        "fallback"
    } else {
        "installed"
    };
    let routed_for_tenants = router
        .tenants
        .iter()
        .filter(|(t, r)| viewer.is_none_or(|viewer| viewer == t.as_str()) && r.names().any(|n| n == v))
        .map(|(t, _)| t.clone())
        .collect();
    ModelInfo {
        name: manifest.name.clone(),
        version: v.to_string(),
        sha256: manifest.sha256.clone(),
        state,
        loaded: router.components.contains_key(v),
        built_at: manifest.built_at.clone(),
        num_trees: manifest.num_trees,
        features: manifest.features.len(),
        routed_for_tenants,
    }
}

/// The answer of `GET /models`.
#[derive(Serialize, ToSchema)]
pub struct ModelList {
    /// Every installed version.
    models: Vec<ModelInfo>,
    /// The routing that applies to the caller (the default for the operator).
    routing: Routing,
    /// Tenants' own routings the caller may see (the operator sees all).
    tenants: BTreeMap<String, Routing>,
}

/// The tenant whose routing a request is about: `None` is the default
/// routing. The operator's admins may name any tenant (or none: the
/// default); other admins only ever address their own tenant.
pub(super) fn routing_target(
    state: &AppState,
    caller: &Caller,
    tenant: Option<String>,
) -> Result<Option<String>, ApiError> {
    caller.require(ADMIN_MODELS)?;
    if caller.org == state.operator_org {
        if let Some(t) = &tenant {
            check_tenant_id(t)?;
        }
        return Ok(tenant);
    }
    match tenant {
        Some(t) if t != caller.org => Err(ApiError(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("only the operator ({}) may address another tenant's routing", state.operator_org),
        )),
        _ => Ok(Some(caller.org.clone())),
    }
}

/// Installed versions with their state in the caller's routing (`active`,
/// `split`, `fallback` or `installed`), that routing, and the tenants' own
/// routings the caller may see (the operator sees all).
#[utoipa::path(
    get, path = "/models",
    responses((status = 200, body = ModelList), (status = 500, description = "The model store cannot be read", body = ErrorBody))
)]
pub async fn list_models(State(state): State<Arc<AppState>>, caller: Caller) -> Result<Json<ModelList>, ApiError> {
    caller.require(ADMIN_MODELS)?;
    let router = state.router.load();
    let operator = caller.org == state.operator_org;
    let routing = if operator { &router.routing } else { router.routing_for(Some(&caller.org)) };
    let manifests =
        state.store.list().map_err(|e| ApiError(StatusCode::INTERNAL_SERVER_ERROR, "store", e.to_string()))?;
    let viewer = (!operator).then_some(caller.org.as_str());
    let models = manifests.iter().map(|m| model_info(m, &router, routing, viewer)).collect();
    let tenants = router
        .tenants
        .iter()
        .filter(|(t, _)| operator || **t == caller.org)
        .map(|(t, r)| (t.clone(), r.clone()))
        .collect();
    Ok(Json(ModelList { models, routing: routing.clone(), tenants }))
}

/// The upload of `POST /models`.
#[derive(ToSchema)]
#[allow(dead_code)] // describes the multipart form for the OpenAPI document
pub struct InstallForm {
    /// The component (`<name>-<version>.wasm`).
    #[schema(value_type = String, format = Binary)]
    component: Vec<u8>,
    /// Its manifest (`<name>-<version>.manifest.json`).
    manifest: String,
}

/// Checks an uploaded component against its manifest (sha256, world and
/// imports, model-info, golden self-test), installs it and loads it. It
/// serves nothing until a routing names it.
#[utoipa::path(
    post, path = "/models",
    request_body(content = InstallForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Installed and loaded", body = ModelInfo),
        (status = 200, description = "Already installed, identical", body = ModelInfo),
        (status = 400, description = "Malformed upload or manifest, or sha256 mismatch", body = ErrorBody),
        (status = 409, description = "The version is installed with other bytes or another manifest", body = ErrorBody),
        (status = 413, description = "The upload is larger than the limit", body = ErrorBody),
        (status = 422, description = "Not a scorer component, a forbidden import, model-info disagrees, or the self-test failed", body = ErrorBody),
        (status = 500, description = "The model store cannot be written", body = ErrorBody),
        (status = 503, description = "The database stayed unavailable", body = ErrorBody),
    )
)]
pub async fn install_model(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    multipart: Multipart,
) -> Result<(StatusCode, Json<ModelInfo>), ApiError> {
    caller.require(ADMIN_MODELS)?;
    if caller.org != state.operator_org {
        let message =
            format!("models are shared by every tenant: only the operator ({}) installs them", state.operator_org);
        return Err(ApiError(StatusCode::FORBIDDEN, "forbidden", message));
    }
    let (wasm, manifest) = read_upload(multipart, state.max_upload).await?;
    // One install at a time: each compiles on every core.
    let _one_at_a_time = state.installing.lock().await;
    let worker = state.clone();
    let (upload, text) = (wasm.clone(), manifest.clone());
    let installed = tokio::task::spawn_blocking(move || worker.store.install(&upload, &text))
        .await
        .map_err(|e| ApiError(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?
        .map_err(install_error)?;
    // Shared with every host through the database; they load it on the announcement.
    let m = &installed.manifest;
    state
        .stored("saving the model", || state.pipeline.db.save_model(&m.version, &m.name, &m.sha256, &manifest, &wasm))
        .await?;
    let version = installed.manifest.version.clone();
    let component = Arc::new(installed.component);
    state.router.rcu(|current| {
        let mut next = Router::clone(current);
        next.components.entry(version.clone()).or_insert_with(|| component.clone());
        next
    });
    state.pipeline.announce_change().await;
    tracing::info!(version, sha256 = %installed.manifest.sha256, new = installed.new, "model installed");
    let status = if installed.new { StatusCode::CREATED } else { StatusCode::OK };
    let router = state.router.load();
    Ok((status, Json(model_info(&installed.manifest, &router, &router.routing, None))))
}

/// The two parts of an install upload, each exactly once. A part larger
/// than the upload limit is a 413 naming the limit.
async fn read_upload(mut multipart: Multipart, max_upload: usize) -> Result<(Bytes, String), ApiError> {
    let bad = |message: String| ApiError::bad_request("invalid_upload", message);
    let failed = |what: &str, e: axum::extract::multipart::MultipartError| match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the upload is larger than the limit of {}", size(max_upload)),
        ),
        _ => bad(format!("{what}: {}", e.body_text())),
    };
    let (mut wasm, mut manifest) = (None, None);
    while let Some(field) = multipart.next_field().await.map_err(|e| failed("not a multipart form", e))? {
        let name = field.name().unwrap_or_default().to_string();
        let twice = || bad(format!("the field `{name}` appears twice: send each of `component` and `manifest` once"));
        match name.as_str() {
            "component" if wasm.is_some() => return Err(twice()),
            "manifest" if manifest.is_some() => return Err(twice()),
            "component" => wasm = Some(field.bytes().await.map_err(|e| failed("component", e))?),
            "manifest" => manifest = Some(field.text().await.map_err(|e| failed("manifest", e))?),
            "" => return Err(bad("a form field without a name: send `component` and `manifest`".into())),
            other => {
                let shown: String = other.chars().take(100).collect();
                return Err(bad(format!("unexpected field {shown:?}: send `component` and `manifest`")));
            }
        }
    }
    match (wasm, manifest) {
        (Some(wasm), Some(manifest)) => Ok((wasm, manifest)),
        (None, _) => Err(bad("the `component` field (the .wasm file) is missing".into())),
        (_, None) => Err(bad("the `manifest` field (the .manifest.json file) is missing".into())),
    }
}

fn install_error(error: InstallError) -> ApiError {
    let (status, code) = match &error {
        InstallError::Manifest(_) => (StatusCode::BAD_REQUEST, "invalid_manifest"),
        InstallError::Sha256 { .. } => (StatusCode::BAD_REQUEST, "sha256_mismatch"),
        InstallError::Component(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_component"),
        InstallError::Disagrees(_) => (StatusCode::UNPROCESSABLE_ENTITY, "manifest_disagrees"),
        InstallError::SelfTest(_) => (StatusCode::UNPROCESSABLE_ENTITY, "self_test_failed"),
        InstallError::Conflict { .. } | InstallError::ManifestConflict { .. } => {
            (StatusCode::CONFLICT, "version_conflict")
        }
        InstallError::Io(_) => (StatusCode::INTERNAL_SERVER_ERROR, "store"),
    };
    ApiError(status, code, error.to_string())
}

/// Which routing a routing request is about.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RoutingQuery {
    /// A tenant's own routing; without it, the default routing.
    #[param(pattern = "^[A-Za-z0-9._-]{1,64}$")]
    pub(super) tenant: Option<String>,
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
    Ok(Json(state.router.load().routing_for(target.as_deref()).clone()))
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
    // Versions are only ever added, so a routing valid now stays valid.
    routing
        .check(&state.router.load().versions())
        .map_err(|e| ApiError::bad_request("invalid_routing", e.to_string()))?;
    state.stored("saving the routing", || save_routing(&state, target.as_deref(), routing.clone())).await?;
    Ok(Json(routing))
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
    let current = state.router.load().routing_for(target.as_deref()).clone();
    let promoted = current.promoted().ok_or_else(|| {
        ApiError(StatusCode::CONFLICT, "no_shadow", "the routing has no shadow version to promote".into())
    })?;
    state.stored("saving the routing", || save_routing(&state, target.as_deref(), promoted.clone())).await?;
    Ok(Json(promoted))
}

/// Stores a routing (`tenant` None: the default), applies it here and tells
/// the other hosts.
pub(super) async fn save_routing(state: &AppState, tenant: Option<&str>, routing: Routing) -> anyhow::Result<()> {
    state.pipeline.db.save_routing(tenant, Some(&json!(routing))).await?;
    apply_routing(state, tenant, Some(routing.clone()));
    state.pipeline.announce_change().await;
    tracing::info!(tenant = tenant.unwrap_or("(default)"), ?routing, "routing changed");
    Ok(())
}

/// Swaps in a router with a routing changed (`None`: a tenant's removed).
fn apply_routing(state: &AppState, tenant: Option<&str>, routing: Option<Routing>) {
    state.router.rcu(|current| {
        let mut next = Router::clone(current);
        match (tenant, &routing) {
            (Some(tenant), Some(routing)) => {
                next.tenants.insert(tenant.to_string(), routing.clone());
            }
            (Some(tenant), None) => {
                next.tenants.remove(tenant);
            }
            (None, Some(routing)) => next.routing = routing.clone(),
            (None, None) => {}
        }
        next
    });
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
        return Err(ApiError::bad_request(
            "invalid_routing",
            "name the tenant (?tenant=...): the default routing cannot be removed",
        ));
    };
    state.stored("removing the routing", || state.pipeline.db.save_routing(Some(&tenant), None)).await?;
    apply_routing(&state, Some(&tenant), None);
    state.pipeline.announce_change().await;
    tracing::info!(tenant, "tenant routing removed");
    Ok(Json(state.router.load().routing.clone()))
}
