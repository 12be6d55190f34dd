//! Shared by the host's integration tests: where the repository is, built
//! model components, sample leads.
#![allow(dead_code)] // each test binary uses a different part

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

use leadscore::bindings::Lead;

pub mod host;
pub mod receiver;
pub mod services;

/// The configurations the service's tests run on.
#[derive(Clone, Copy, Debug)]
pub enum Backend {
    /// The embedded default: SQLite, in-process queue and cache.
    Embedded,
    /// The test Postgres and Redis.
    Shared,
}

impl Backend {
    /// The service's backends in this configuration.
    pub async fn backends(self) -> leadscore::pipeline::Backends {
        match self {
            Backend::Embedded => leadscore::pipeline::Backends::default(),
            Backend::Shared => services::shared_backends().await,
        }
    }
}

/// Each named `async fn(Backend)` as a test on both backends: the embedded
/// default (SQLite, in process) and Postgres with Redis.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod embedded {
            $(#[tokio::test(flavor = "multi_thread")]
            async fn $name() { super::$name($crate::common::Backend::Embedded).await })*
        }
        mod postgres_and_redis {
            $(#[tokio::test(flavor = "multi_thread")]
            async fn $name() { super::$name($crate::common::Backend::Shared).await })*
        }
    };
}

/// The repository root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Builds `models/<version>` into `out` (component and manifest).
pub fn build_into(version: &str, out: &Path) -> leadscore::tools::model_build::Built {
    build_dir(&workspace().join("models").join(version), out)
}

/// Builds a model directory into `out`, as `leadscore model build` does
/// (from the scorer template in the binary: about a second, no cargo). On a
/// thread of its own: the build starts a runtime of its own, which it may
/// not do on a thread driving a test's runtime.
pub fn build_dir(model_dir: &Path, out: &Path) -> leadscore::tools::model_build::Built {
    std::thread::scope(|s| s.spawn(|| leadscore::tools::model_build::build(model_dir, out).unwrap()).join())
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// The component of `models/<version>`, built once per test binary.
pub fn component_bytes(version: &str) -> Vec<u8> {
    static BUILT: OnceLock<Mutex<HashMap<String, Vec<u8>>>> = OnceLock::new();
    let mut built = BUILT.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
    built
        .entry(version.to_string())
        .or_insert_with(|| {
            let out = tempfile::tempdir().unwrap();
            std::fs::read(build_into(version, out.path()).wasm).unwrap()
        })
        .clone()
}

/// Line `n` of a sample-leads file (`models/sample-leads.jsonl` or the demo's).
pub fn sample_line(file: &str, n: usize) -> String {
    let text = std::fs::read_to_string(workspace().join(file)).unwrap();
    text.lines().nth(n).unwrap().to_string()
}

/// `copies` leads cycling through a sample-leads file.
pub fn sample_leads(file: &str, copies: usize) -> Vec<Lead> {
    let text = std::fs::read_to_string(workspace().join(file)).unwrap();
    let leads: Vec<Lead> = text.lines().map(|l| leadscore::runtime::lead::parse(l).unwrap()).collect();
    leads.iter().cycle().take(copies).cloned().collect()
}

/// `models/<source>` built as version `version` (a copy whose features.toml
/// says so): a real new version for install and hot-swap tests.
pub fn build_as(source: &str, version: &str, out: &Path) -> leadscore::tools::model_build::Built {
    let copy = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(workspace().join("models").join(source)).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, copy.path().join(path.file_name().unwrap())).unwrap();
    }
    let spec = copy.path().join("features.toml");
    let text = std::fs::read_to_string(&spec).unwrap();
    let renamed = text.replace(&format!("version = \"{source}\""), &format!("version = \"{version}\""));
    assert_ne!(text, renamed, "features.toml of {source} names its version");
    std::fs::write(&spec, renamed).unwrap();
    build_dir(copy.path(), out)
}

/// Builds the hostile component with one misbehaviour enabled.
pub fn hostile(feature: &str) -> Vec<u8> {
    // The builds share one output file: one at a time.
    static BUILDING: Mutex<()> = Mutex::new(());
    let _one_at_a_time = BUILDING.lock().unwrap_or_else(|e| e.into_inner());
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(workspace())
        .args([
            "build",
            "--quiet",
            "-p",
            "hostile",
            "--lib",
            "--release",
            "--target",
            "wasm32-wasip2",
            "--features",
            feature,
        ])
        .status()
        .expect("cargo runs");
    assert!(status.success(), "building the {feature} component");
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| workspace().join("target"), PathBuf::from);
    std::fs::read(target.join("wasm32-wasip2/release/hostile.wasm")).unwrap()
}

/// The token secret of the test services.
/// (At least 32 bytes: `serve` refuses a shorter secret.)
pub const SECRET: &[u8] = b"leadscore-test-secret-of-at-least-32-bytes";
/// The operator tenant of the test services.
pub const OPERATOR: &str = "leadscore";

/// A bearer token for `org` with `scopes`.
pub fn token(org: &str, scopes: &[&str]) -> String {
    leadscore::auth::mint(SECRET, org, scopes, std::time::Duration::from_secs(3600)).unwrap()
}

/// An HTTP client that sends a token for `org` with every scope.
pub fn client_as(org: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    let value = format!("Bearer {}", token(org, &leadscore::auth::ALL_SCOPES));
    headers.insert(reqwest::header::AUTHORIZATION, value.parse().unwrap());
    reqwest::Client::builder().default_headers(headers).build().unwrap()
}

/// An HTTP client of the operator's admins.
pub fn operator() -> reqwest::Client {
    client_as(OPERATOR)
}

/// Settings of a test service: any free port, the test secret and operator,
/// a 2 s deadline, quick retries and sweeps.
pub fn settings(
    models: &Path,
    store: &Path,
    backends: leadscore::pipeline::Backends,
    workers: usize,
) -> leadscore::api::Settings {
    use std::time::Duration;
    leadscore::api::Settings {
        addr: "127.0.0.1:0".parse().unwrap(),
        models: models.to_path_buf(),
        store: store.to_path_buf(),
        runtime: leadscore::runtime::component::RuntimeConfig {
            deadline: Duration::from_secs(2),
            ..leadscore::runtime::component::RuntimeConfig::default()
        },
        max_batch: 5,
        max_body: 1 << 20,
        max_upload: 64 << 20,
        auth: std::sync::Arc::new(leadscore::auth::Auth::hs256(SECRET, false)),
        operator_org: OPERATOR.into(),
        web: None,
        seed_leads: None,
        // No holdout unless a test asks for one: other tests expect every lead's score.
        learning_defaults: leadscore::learning::LearningSettings {
            holdout_share: 0.0,
            ..leadscore::learning::LearningSettings::default()
        },
        bounds: leadscore::api::TimeBounds::default(),
        lead_limits: leadscore::api::LeadLimits::default(),
        // Tests that load the service measure it, not the limit (the fairness test sets one).
        tenant_rate: 0,
        tenant_burst: 0,
        metrics_tenant_labels: false,
        backends,
        pipeline: leadscore::pipeline::PipelineConfig {
            workers,
            retry_after: Duration::from_millis(300),
            sweep_after: Duration::from_secs(3),
            // The closed loop only where a test asks for it (tests/closed_loop.rs):
            // elsewhere tenants report outcomes without expecting a retrain.
            retrain: leadscore::pipeline::retrain::RetrainSettings {
                check_every: Duration::from_secs(365 * 86_400),
                python: workspace().join(".venv/bin/python"),
                scripts: workspace().join("models/training"),
                source: workspace().join("models/v12"),
                params: workspace().join("models/training/retrain.toml"),
                work_dir: store.join(".retrain"),
                ..leadscore::pipeline::PipelineConfig::default().retrain
            },
            ..leadscore::pipeline::PipelineConfig::default()
        },
    }
}

/// GET `url` and its JSON body; fails unless the answer is 200.
pub async fn get_json(client: &reqwest::Client, url: &str) -> serde_json::Value {
    let response = client.get(url).send().await.unwrap();
    assert_eq!(response.status(), 200, "GET {url}");
    response.json().await.unwrap()
}

/// Sends a request; returns its status and JSON body (null when it has none).
pub async fn send_json(request: reqwest::RequestBuilder) -> (u16, serde_json::Value) {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(serde_json::Value::Null))
}

/// Polls a request until it is no longer PENDING; returns its status.
pub async fn finished(client: &reqwest::Client, url: &str, request_id: &str) -> serde_json::Value {
    for _ in 0..300 {
        let status = get_json(client, &format!("{url}/leads/score/{request_id}/status")).await;
        if status["status"] != "PENDING" {
            return status;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("request {request_id} still PENDING after 15 s");
}

/// Waits until the tenant's work queue holds `total` leads (60 s at most).
pub async fn wait_for_queue(client: &reqwest::Client, url: &str, total: u64) {
    for _ in 0..1200 {
        if get_json(client, &format!("{url}/leads?limit=1")).await["total"].as_u64() == Some(total) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the work queue did not reach {total} leads within 60 s");
}

/// Starts a service in this process; returns its base URL.
pub async fn spawn(settings: leadscore::api::Settings) -> String {
    let app = leadscore::api::Application::build(settings).await.unwrap();
    let url = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    url
}

/// v12, v11 and rules-v1 built into one directory (once per test binary):
/// the default routing with its whole fallback chain.
pub fn all_versions_dir() -> &'static Path {
    static BUILT: OnceLock<tempfile::TempDir> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let out = tempfile::tempdir().unwrap();
            for version in ["v12", "v11", "rules-v1"] {
                build_into(version, out.path());
            }
            out
        })
        .path()
}

/// A directory with the v12 component and manifest, built once per test binary.
pub fn v12_dir() -> &'static Path {
    static BUILT: OnceLock<tempfile::TempDir> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let out = tempfile::tempdir().unwrap();
            build_into("v12", out.path());
            out
        })
        .path()
}
