//! Model administration: `GET /models` lists the installed versions and
//! `POST /models` installs one (through the registry): a built component
//! with its manifest, or a model source that it builds first.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use guest_model::load::{self, LoadOptions, ModelFile, ModelFiles};
use guest_model::model::{Bands, Model};
use serde::Serialize;
use tokio::sync::Semaphore;
use utoipa::ToSchema;

use crate::api::error::{ApiError, ErrorBody, size};
use crate::api::state::AppState;
use crate::auth::{ADMIN_MODELS, Caller};
use crate::learning::drift::Reference;
use crate::runtime::build;
use crate::runtime::manifest::{Manifest, ModelQuality};
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
    /// The model's own Hot/Cold thresholds (a routing's `bands` replace them).
    bands: Bands,
    /// Held-out ROC-AUC and calibration, base rate and training window, when
    /// the model shipped its metrics.
    quality: Option<ModelQuality>,
    /// The features the model leans on most: largest mean |SHAP| on the
    /// training data first (up to 5; empty without the table).
    top_features: Vec<TopFeature>,
}

/// A feature and its share of the model's global importance.
#[derive(Serialize, ToSchema)]
pub struct TopFeature {
    /// The feature.
    feature: String,
    /// Its display name.
    label: String,
    /// Its share of mean |SHAP| on the training data (shares sum to 1).
    share: f64,
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
        bands: Bands { hot: manifest.bands.hot, cold: manifest.bands.cold },
        quality: manifest.quality.clone(),
        top_features: top_features(manifest, 5),
    }
}

/// The `n` features with the largest share of global importance.
fn top_features(manifest: &Manifest, n: usize) -> Vec<TopFeature> {
    let mut features: Vec<TopFeature> = manifest
        .features
        .iter()
        .filter_map(|f| {
            let label = f
                .definition
                .as_ref()
                .map_or_else(|| guest_model::wording::label_of(&f.name), |d| d.wording.label.to_string());
            Some(TopFeature { feature: f.name.clone(), label, share: f.importance? })
        })
        .collect();
    features.sort_by(|a, b| b.share.total_cmp(&a.share));
    features.truncate(n);
    features
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
    /// The caller's tenant's leads by latest score, in ten bins of ten
    /// points (`[0, 10)`, …, `[90, 100]`); control-group leads included.
    score_distribution: Vec<i64>,
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
    let db = &state.pipeline.db;
    let score_distribution =
        state.stored("reading the score distribution", || db.score_distribution(&caller.org)).await?;
    Ok(Json(ModelList { models, routing: routing.clone(), tenants, score_distribution }))
}

/// The multipart form of `POST /models`: either a built component
/// (`component` and `manifest`, as `leadscore model build` wrote them) or a
/// model source for the service to build (`model` or `rules`, `features`,
/// and optionally `calibration` and `reference`). The two kinds of field
/// never mix; one flat form, because API tools cannot generate multipart
/// bodies for a `oneOf` of forms.
#[derive(ToSchema)]
#[allow(dead_code)] // describes the multipart form for the OpenAPI document
pub struct ModelUpload {
    /// A built component (`<name>-<version>.wasm`), with `manifest`.
    #[schema(value_type = Option<String>, format = Binary)]
    component: Option<Vec<u8>>,
    /// Its manifest (`<name>-<version>.manifest.json`).
    manifest: Option<String>,
    /// The XGBoost model file, JSON or UBJSON as `Booster.save_model` wrote
    /// it (`model.json`, `model.ubj`); errors call it by its file name.
    #[schema(value_type = Option<String>, format = Binary)]
    model: Option<Vec<u8>>,
    /// Instead of `model`, a points-per-rule model's `rules.toml`.
    #[schema(value_type = Option<String>, format = Binary)]
    rules: Option<Vec<u8>>,
    /// `features.toml` of a model source: its name and version, features and bands.
    #[schema(value_type = Option<String>, format = Binary)]
    features: Option<Vec<u8>>,
    /// `calibration.json` of a model source, if it has one.
    #[schema(value_type = Option<String>, format = Binary)]
    calibration: Option<Vec<u8>>,
    /// `reference.json` of a model source, if it has one: the training
    /// population's feature distributions (for the drift report).
    #[schema(value_type = Option<String>, format = Binary)]
    reference: Option<Vec<u8>>,
}

/// Installs a model version and loads it; it serves nothing until a routing
/// names it. Either upload a built component with its manifest (`component`,
/// `manifest`: checked for sha256, world and imports, model-info and the
/// golden self-test), or the model source as XGBoost wrote it (`model` or
/// `rules`, `features`, optional `calibration` and `reference`): the
/// service builds the component (one build at a time), then installs it
/// with the same checks. Only the operator installs.
#[utoipa::path(
    post, path = "/models",
    request_body(content = ModelUpload, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Installed and loaded", body = ModelInfo),
        (status = 200, description = "Already installed, identical", body = ModelInfo),
        (status = 400, description = "Malformed upload (a missing, repeated or unknown field, or both kinds of field) or manifest, or sha256 mismatch", body = ErrorBody),
        (status = 409, description = "The version is installed with other bytes or another manifest", body = ErrorBody),
        (status = 413, description = "The upload is larger than the limit", body = ErrorBody),
        (status = 422, description = "A model source that does not load (`invalid_model`) or build (`build_failed`); not a scorer component, a forbidden import, model-info disagrees, or the self-test failed", body = ErrorBody),
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
    let (wasm, manifest) = match read_upload(multipart, state.max_upload).await? {
        Upload::Component { wasm, manifest } => (wasm.to_vec(), manifest),
        Upload::Source(source) => build_source(state.builds.clone(), source).await?,
    };
    let installed = state.scorer.registry.install(state.pipeline.as_ref(), wasm, manifest).await?;
    let status = if installed.new { StatusCode::CREATED } else { StatusCode::OK };
    let router = state.scorer.registry.router();
    Ok((status, Json(model_info(&installed.manifest, &router, &router.routing, None))))
}

/// What an install upload carries.
enum Upload {
    /// A built component and its manifest (JSON text).
    Component { wasm: Bytes, manifest: String },
    /// A model source to build.
    Source(Source),
}

/// A model source's files, as uploaded.
struct Source {
    /// The XGBoost model file and what errors call it, or `rules.toml`.
    model: SourceModel,
    features: Bytes,
    calibration: Option<Bytes>,
    reference: Option<Bytes>,
}

enum SourceModel {
    Xgboost { name: String, bytes: Bytes },
    Rules(Bytes),
}

/// The fields of a built component's upload.
const COMPONENT_FIELDS: [&str; 2] = ["component", "manifest"];
/// The fields of a model source's upload.
const SOURCE_FIELDS: [&str; 5] = ["model", "rules", "features", "calibration", "reference"];
/// What an upload must hold, for messages.
const EXPECTED: &str = "send `component` and `manifest` (a built component), or a model source: `model` (or `rules`), \
                        `features` and optionally `calibration` and `reference`";

/// Reads an install upload: each field at most once, one kind of upload
/// (never both kinds of field), every field it needs. A part larger than
/// the upload limit is a 413 naming the limit.
async fn read_upload(mut multipart: Multipart, max_upload: usize) -> Result<Upload, ApiError> {
    let bad = |message: String| ApiError::invalid("invalid_upload", message);
    let failed = |what: &str, e: axum::extract::multipart::MultipartError| match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::TooLarge {
            code: "payload_too_large",
            message: format!("the upload is larger than the limit of {}", size(max_upload)),
        },
        _ => bad(format!("{what}: {}", e.body_text())),
    };
    let mut seen: Vec<&'static str> = Vec::new();
    let (mut wasm, mut manifest) = (None, None);
    let (mut model, mut rules, mut features, mut calibration, mut reference) = (None, None, None, None, None);
    while let Some(field) = multipart.next_field().await.map_err(|e| failed("not a multipart form", e))? {
        let name = field.name().unwrap_or_default().to_string();
        let Some(known) = COMPONENT_FIELDS.into_iter().chain(SOURCE_FIELDS).find(|f| *f == name) else {
            if name.is_empty() {
                return Err(bad(format!("a form field without a name: {EXPECTED}")));
            }
            let shown: String = name.chars().take(100).collect();
            return Err(bad(format!("unexpected field {shown:?}: {EXPECTED}")));
        };
        if seen.contains(&known) {
            return Err(bad(format!("the field `{known}` appears twice: send each field once")));
        }
        let source = |f: &str| SOURCE_FIELDS.contains(&f);
        if let Some(other) = seen.iter().find(|other| source(other) != source(known)) {
            let kind = |f: &str| if source(f) { "a model source" } else { "a built component" };
            return Err(bad(format!(
                "the field `{known}` belongs to {}, but the form already has `{other}`, which belongs to {}: {EXPECTED}",
                kind(known),
                kind(other)
            )));
        }
        if let Some(other) =
            seen.iter().find(|other| matches!((known, **other), ("model", "rules") | ("rules", "model")))
        {
            return Err(bad(format!("the fields `{other}` and `{known}` are both a model file: send one of them")));
        }
        seen.push(known);
        let file_name = field.file_name().map(str::to_string);
        match known {
            "manifest" => manifest = Some(field.text().await.map_err(|e| failed(known, e))?),
            _ => {
                let bytes = field.bytes().await.map_err(|e| failed(known, e))?;
                match known {
                    "component" => wasm = Some(bytes),
                    "model" => model = Some((bytes, file_name)),
                    "rules" => rules = Some(bytes),
                    "features" => features = Some(bytes),
                    "calibration" => calibration = Some(bytes),
                    _ => reference = Some(bytes),
                }
            }
        }
    }
    if seen.is_empty() {
        return Err(bad(format!("the form has no fields: {EXPECTED}")));
    }
    if !seen.iter().any(|f| SOURCE_FIELDS.contains(f)) {
        return match (wasm, manifest) {
            (Some(wasm), Some(manifest)) => Ok(Upload::Component { wasm, manifest }),
            (None, _) => Err(bad("the `component` field (the .wasm file) is missing".into())),
            (_, None) => Err(bad("the `manifest` field (the .manifest.json file) is missing".into())),
        };
    }
    let model = match (model, rules) {
        (Some((bytes, file_name)), _) => SourceModel::Xgboost { name: model_file_name(file_name.as_deref()), bytes },
        (None, Some(rules)) => SourceModel::Rules(rules),
        (None, None) => {
            return Err(bad(
                "the `model` field (the XGBoost model file, model.json or model.ubj; or `rules` for rules.toml) is missing"
                    .into(),
            ));
        }
    };
    let features = features.ok_or_else(|| bad("the `features` field (features.toml) is missing".into()))?;
    Ok(Upload::Source(Source { model, features, calibration, reference }))
}

/// What errors call an uploaded model file: its file name without any
/// directories (`model.json`, `model.ubj`), or `model` when it has none.
fn model_file_name(file_name: Option<&str>) -> String {
    let base = file_name.and_then(|n| n.rsplit(['/', '\\']).next()).map(str::trim).unwrap_or_default();
    let shown: String = base.chars().filter(|c| !c.is_control()).take(100).collect();
    if shown.is_empty() { "model".into() } else { shown }
}

/// Loads a model source and builds its component and manifest (JSON text),
/// on a blocking thread, one build at a time. A source that does not load is
/// a 422 `invalid_model` naming the file; one that loads but does not build,
/// a 422 `build_failed`.
async fn build_source(builds: Arc<Semaphore>, source: Source) -> Result<(Vec<u8>, String), ApiError> {
    let permit = builds.acquire_owned().await.map_err(|e| ApiError::Internal(format!("building: {e}")))?;
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        // Held until the build ends, even when the client has gone.
        let _one_at_a_time = permit;
        let (model, reference) = source.load()?;
        let package = handle
            .block_on(build::build(&model, build::Sidecars { reference, quality: None }))
            .map_err(|e| ApiError::Unprocessable { code: "build_failed", message: format!("{e:#}") })?;
        let manifest = serde_json::to_string_pretty(&package.manifest)
            .map_err(|e| ApiError::Internal(format!("the built manifest: {e}")))?;
        tracing::info!(version = %package.manifest.version, sha256 = %package.manifest.sha256, "model source built");
        Ok((package.wasm, manifest))
    })
    .await
    .map_err(|e| ApiError::Internal(format!("building the model stopped: {e}")))?
}

impl Source {
    /// The model and its reference distributions, loaded and checked as
    /// `leadscore model build` loads a model directory.
    fn load(&self) -> Result<(Model, Option<Reference>), ApiError> {
        let invalid = |message: String| ApiError::Unprocessable { code: "invalid_model", message };
        let text = |name: &str, bytes: &Bytes| {
            std::str::from_utf8(bytes)
                .map(str::to_string)
                .map_err(|e| invalid(format!("{name}: not UTF-8 text: invalid at byte {}", e.valid_up_to())))
        };
        let features = text("features.toml", &self.features)?;
        let calibration = self.calibration.as_ref().map(|c| text("calibration.json", c)).transpose()?;
        let rules;
        let model = match &self.model {
            SourceModel::Rules(bytes) => {
                rules = text("rules.toml", bytes)?;
                ModelFile::Rules(&rules)
            }
            SourceModel::Xgboost { name, bytes } => ModelFile::Xgboost { name, bytes },
        };
        let files = ModelFiles { model, features: &features, calibration: calibration.as_deref() };
        let model = load::model_files(files, LoadOptions::default()).map_err(|e| invalid(e.to_string()))?;
        let reference = match &self.reference {
            Some(bytes) => Some(
                serde_json::from_str(&text("reference.json", bytes)?)
                    .map_err(|e| invalid(format!("reference.json: {e}")))?,
            ),
            None => None,
        };
        Ok((model, reference))
    }
}
