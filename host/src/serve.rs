//! `leadscore serve`: the synchronous scoring API.
//!
//! Components are loaded once at start from a directory of built components
//! (each checked and installed into the model store first). Every request
//! takes the router current when it arrives, so a routing change never
//! disturbs calls in flight: changes swap the whole router atomically.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use arc_swap::ArcSwap;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router as Http};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::net::TcpListener;

use crate::component::{Runtime, RuntimeConfig};
use crate::model_store::ModelStore;
use crate::report::{self, ScoreJson};
use crate::routing::{Routed, Router, Routing};

/// How the service runs.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Where to listen (port 0: any free port).
    pub addr: SocketAddr,
    /// Directory of built components (`*.wasm` with `*.manifest.json`).
    pub models: PathBuf,
    /// The model store the components are installed into.
    pub store: PathBuf,
    /// Sandbox limits.
    pub runtime: RuntimeConfig,
    /// Most leads one batch request may carry.
    pub max_batch: usize,
    /// Largest request body, in bytes.
    pub max_body: usize,
}

/// Shared by every request.
struct AppState {
    router: ArcSwap<Router>,
    store: ModelStore,
    max_batch: usize,
}

/// The service, bound and ready to run.
pub struct Application {
    listener: TcpListener,
    app: Http,
}

impl Application {
    /// Installs and loads every component in `settings.models`, sets the
    /// default routing (v12, then v11, then rules-v1, as far as installed)
    /// and binds the address.
    pub async fn build(settings: Settings) -> Result<Application> {
        let runtime = Runtime::new(settings.runtime.clone())?;
        let store = ModelStore::open(&settings.store, runtime.clone())?;
        let mut components = HashMap::new();
        for manifest_path in manifests_in(&settings.models)? {
            let wasm_path = PathBuf::from(manifest_path.to_string_lossy().replace(".manifest.json", ".wasm"));
            let wasm = std::fs::read(&wasm_path).with_context(|| format!("cannot read {}", wasm_path.display()))?;
            let manifest = std::fs::read_to_string(&manifest_path)?;
            let installed =
                store.install(&wasm, &manifest).with_context(|| format!("installing {}", wasm_path.display()))?;
            components.insert(installed.manifest.version.clone(), Arc::new(runtime.load(&wasm)?));
        }
        anyhow::ensure!(!components.is_empty(), "no components in {}", settings.models.display());
        let routing = default_routing(&components.keys().map(String::as_str).collect::<Vec<_>>());
        let state = Arc::new(AppState {
            router: ArcSwap::from_pointee(Router { components, routing }),
            store,
            max_batch: settings.max_batch,
        });
        let app = Http::new()
            .route("/score-lead", post(score_lead))
            .route("/score-lead/batch", post(score_batch))
            .route("/models", get(list_models))
            .route("/models/routing", put(set_routing).get(get_routing))
            .route("/healthz", get(|| async { "ok" }))
            .route("/readyz", get(|| async { "ready" }))
            .layer(DefaultBodyLimit::max(settings.max_body))
            .with_state(state);
        let listener =
            TcpListener::bind(settings.addr).await.with_context(|| format!("cannot listen on {}", settings.addr))?;
        Ok(Application { listener, app })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// Serves until the process is stopped.
    pub async fn run_until_stopped(self) -> Result<()> {
        axum::serve(self.listener, self.app).await.context("the server stopped")
    }
}

fn manifests_in(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".manifest.json"))
        .collect();
    found.sort();
    Ok(found)
}

/// v12 active with v11 and rules-v1 behind it, as far as they are installed;
/// otherwise the first installed version.
pub fn default_routing(installed: &[&str]) -> Routing {
    let chain: Vec<String> =
        ["v12", "v11", "rules-v1"].into_iter().filter(|v| installed.contains(v)).map(String::from).collect();
    let mut sorted = installed.to_vec();
    sorted.sort();
    let active = chain.first().cloned().unwrap_or_else(|| sorted[0].to_string());
    Routing { fallback: chain.into_iter().filter(|v| *v != active).collect(), active, split: vec![] }
}

/// An error response: `{"error": {"code", "message"}}` with its status.
struct ApiError(StatusCode, &'static str, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({"error": {"code": self.1, "message": self.2}}))).into_response()
    }
}

#[derive(Deserialize)]
struct ScoreQuery {
    model_version: Option<String>,
}

/// A scored lead with the version that answered.
#[derive(Serialize)]
struct ScoreResponse {
    #[serde(flatten)]
    score: ScoreJson,
    /// Whether an earlier version in the routing plan failed first.
    fell_back: bool,
}

async fn score_lead(State(state): State<Arc<AppState>>, Query(query): Query<ScoreQuery>, body: Bytes) -> Response {
    let text = match std::str::from_utf8(&body) {
        Ok(text) => text.to_string(),
        Err(_) => {
            return ApiError(StatusCode::BAD_REQUEST, "invalid_lead", "the body is not UTF-8".into()).into_response();
        }
    };
    match score_one(&state, text, query.model_version).await {
        Ok(response) => Json(response).into_response(),
        Err(error) => error.into_response(),
    }
}

#[derive(Deserialize)]
struct BatchRequest {
    leads: Vec<Value>,
}

async fn score_batch(State(state): State<Arc<AppState>>, Query(query): Query<ScoreQuery>, body: Bytes) -> Response {
    let request: BatchRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return ApiError(StatusCode::BAD_REQUEST, "invalid_batch", format!("expected {{\"leads\": [...]}}: {e}"))
                .into_response();
        }
    };
    if request.leads.len() > state.max_batch {
        let message = format!("{} leads in one batch; the limit is {}", request.leads.len(), state.max_batch);
        return ApiError(StatusCode::PAYLOAD_TOO_LARGE, "too_many_leads", message).into_response();
    }
    let mut results = Vec::with_capacity(request.leads.len());
    for lead in request.leads {
        results.push(match score_one(&state, lead.to_string(), query.model_version.clone()).await {
            Ok(response) => serde_json::to_value(response).unwrap_or(Value::Null),
            Err(ApiError(_, code, message)) => report::error_json(lead["id"].as_str(), code, &message),
        });
    }
    Json(json!({"results": results})).into_response()
}

/// Parses and scores one lead with the router current at this moment.
async fn score_one(state: &Arc<AppState>, text: String, version: Option<String>) -> Result<ScoreResponse, ApiError> {
    let lead =
        crate::leads::parse(&text).map_err(|e| ApiError(StatusCode::BAD_REQUEST, "invalid_lead", e.to_string()))?;
    let router = state.router.load_full();
    if let Some(v) = &version
        && !router.components.contains_key(v)
    {
        return Err(ApiError(
            StatusCode::BAD_REQUEST,
            "unknown_version",
            format!("model_version {v:?} is not installed"),
        ));
    }
    let routed = tokio::task::spawn_blocking(move || router.score(&lead, version.as_deref()))
        .await
        .map_err(|e| ApiError(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?
        .map_err(|e| ApiError(StatusCode::SERVICE_UNAVAILABLE, "model_unavailable", e.to_string()))?;
    let Routed { result, fell_back, .. } = routed;
    match result {
        Ok(scored) => Ok(ScoreResponse { score: ScoreJson::from(&scored), fell_back }),
        Err(e) => Err(ApiError(StatusCode::BAD_REQUEST, "invalid_field", format!("{}: {}", e.field, e.message))),
    }
}

async fn list_models(State(state): State<Arc<AppState>>) -> Response {
    let router = state.router.load();
    let routing = &router.routing;
    match state.store.list() {
        Ok(manifests) => {
            let models: Vec<Value> = manifests
                .iter()
                .map(|m| {
                    let v = m.version.as_str();
                    let role = if routing.active == v && routing.split.is_empty() {
                        "active"
                    } else if routing.split.iter().any(|w| w.version == v) {
                        "split"
                    } else if routing.fallback.iter().any(|f| f == v) {
                        "fallback"
                    } else {
                        "installed"
                    };
                    json!({"name": m.name, "version": v, "sha256": m.sha256, "state": role, "built_at": m.built_at})
                })
                .collect();
            Json(json!({"models": models, "routing": routing})).into_response()
        }
        Err(e) => ApiError(StatusCode::INTERNAL_SERVER_ERROR, "store", e.to_string()).into_response(),
    }
}

async fn get_routing(State(state): State<Arc<AppState>>) -> Response {
    Json(state.router.load().routing.clone()).into_response()
}

async fn set_routing(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    let routing: Routing = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return ApiError(StatusCode::BAD_REQUEST, "invalid_routing", e.to_string()).into_response(),
    };
    let current = state.router.load_full();
    let installed: Vec<&str> = current.components.keys().map(String::as_str).collect();
    if let Err(e) = routing.check(&installed) {
        return ApiError(StatusCode::BAD_REQUEST, "invalid_routing", e.to_string()).into_response();
    }
    // A new router sharing the loaded components: requests already running
    // keep the one they started with.
    state.router.store(Arc::new(Router { components: current.components.clone(), routing: routing.clone() }));
    Json(routing).into_response()
}
