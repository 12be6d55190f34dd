//! Model administration: `GET /models` lists the installed versions and
//! `POST /models` uploads and installs one (through the registry).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::error::{ApiError, ErrorBody, size};
use crate::api::state::AppState;
use crate::auth::{ADMIN_MODELS, Caller};
use crate::runtime::manifest::Manifest;
use crate::runtime::routing::{Router, Routing};

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

/// Installed versions with their state in the caller's routing (`active`,
/// `split`, `fallback` or `installed`), that routing, and the tenants' own
/// routings the caller may see (the operator sees all).
#[utoipa::path(
    get, path = "/models",
    responses((status = 200, body = ModelList), (status = 500, description = "The model store cannot be read", body = ErrorBody))
)]
pub async fn list_models(State(state): State<Arc<AppState>>, caller: Caller) -> Result<Json<ModelList>, ApiError> {
    caller.require(ADMIN_MODELS)?;
    let router = state.scorer.registry.router();
    let operator = caller.org == state.operator_org;
    let routing = if operator { &router.routing } else { router.routing_for(Some(&caller.org)) };
    let manifests = state.scorer.registry.manifests().map_err(ApiError::Store)?;
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
        return Err(ApiError::Forbidden(message));
    }
    let (wasm, manifest) = read_upload(multipart, state.max_upload).await?;
    let installed = state.scorer.registry.install(state.pipeline.as_ref(), wasm.to_vec(), manifest).await?;
    let status = if installed.new { StatusCode::CREATED } else { StatusCode::OK };
    let router = state.scorer.registry.router();
    Ok((status, Json(model_info(&installed.manifest, &router, &router.routing, None))))
}

/// The two parts of an install upload, each exactly once. A part larger
/// than the upload limit is a 413 naming the limit.
async fn read_upload(mut multipart: Multipart, max_upload: usize) -> Result<(Bytes, String), ApiError> {
    let bad = |message: String| ApiError::invalid("invalid_upload", message);
    let failed = |what: &str, e: axum::extract::multipart::MultipartError| match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::TooLarge {
            code: "payload_too_large",
            message: format!("the upload is larger than the limit of {}", size(max_upload)),
        },
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
