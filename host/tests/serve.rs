//! The sync API over real HTTP: scoring with the version that answered,
//! clear errors, routing changes that take effect at once, and no failed
//! request while routing flips under load.

mod common;

use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use leadscore::component::RuntimeConfig;
use leadscore::serve::{Application, Settings};
use serde_json::{Value, json};

/// v12, v11 and rules-v1 built once into one directory.
fn models_dir() -> &'static Path {
    static BUILT: OnceLock<tempfile::TempDir> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let out = tempfile::tempdir().unwrap();
            for version in ["v12", "v11", "rules-v1"] {
                common::build_into(version, out.path());
            }
            out
        })
        .path()
}

/// A running service on a free port, with its own store; returns its base URL.
async fn spawn_app() -> (String, tempfile::TempDir) {
    let store = tempfile::tempdir().unwrap();
    let settings = Settings {
        addr: "127.0.0.1:0".parse().unwrap(),
        models: models_dir().to_path_buf(),
        store: store.path().to_path_buf(),
        runtime: RuntimeConfig { deadline: Duration::from_secs(2), ..RuntimeConfig::default() },
        max_batch: 5,
        max_body: 1 << 20,
    };
    let app = Application::build(settings).await.unwrap();
    let url = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    (url, store)
}

fn sample_lead(n: usize) -> Value {
    serde_json::from_str(&common::sample_line("models/sample-leads.jsonl", n)).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lead_is_scored_by_the_active_version_with_its_explanation() {
    let (url, _store) = spawn_app().await;
    let client = reqwest::Client::new();
    let response = client.post(format!("{url}/score-lead")).json(&sample_lead(0)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["model_version"], "v12");
    assert_eq!(body["fell_back"], false);
    assert!(body["final_score"].is_u64() && body["reasons"].as_array().is_some_and(|r| !r.is_empty()), "{body}");

    let response = client
        .post(format!("{url}/score-lead"))
        .query(&[("model_version", "rules-v1")])
        .json(&sample_lead(0))
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["model_version"], "rules-v1");

    let models: Value = client.get(format!("{url}/models")).send().await.unwrap().json().await.unwrap();
    let states: Vec<(String, String)> = models["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["version"].as_str().unwrap().to_string(), m["state"].as_str().unwrap().to_string()))
        .collect();
    assert!(
        states.contains(&("v12".into(), "active".into())) && states.contains(&("v11".into(), "fallback".into())),
        "{states:?}"
    );
    assert_eq!(client.get(format!("{url}/healthz")).send().await.unwrap().status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_requests_get_json_errors_that_say_what_is_wrong() {
    let (url, _store) = spawn_app().await;
    let client = reqwest::Client::new();
    let error = |body: Value| body["error"].clone();

    let response =
        client.post(format!("{url}/score-lead")).json(&json!({"id": "x", "as_of": "soon"})).send().await.unwrap();
    assert_eq!(response.status(), 400);
    let e = error(response.json().await.unwrap());
    assert_eq!(e["code"], "invalid_lead");
    assert!(e["message"].as_str().unwrap().starts_with("as_of:"), "{e}");

    let mut lead = sample_lead(1);
    lead["fields"]["employees"] = json!("lots");
    let response = client.post(format!("{url}/score-lead")).json(&lead).send().await.unwrap();
    assert_eq!(response.status(), 400);
    assert!(error(response.json().await.unwrap())["message"].as_str().unwrap().starts_with("fields.employees"));

    let response = client
        .post(format!("{url}/score-lead"))
        .query(&[("model_version", "v99")])
        .json(&sample_lead(0))
        .send()
        .await
        .unwrap();
    assert_eq!(
        (response.status().as_u16(), error(response.json().await.unwrap())["code"].clone()),
        (400, json!("unknown_version"))
    );

    let leads: Vec<Value> = (0..6).map(|i| sample_lead(i % 3)).collect();
    let response = client.post(format!("{url}/score-lead/batch")).json(&json!({"leads": leads})).send().await.unwrap();
    assert_eq!(response.status(), 413);
    assert_eq!(error(response.json().await.unwrap())["code"], "too_many_leads");

    let response =
        client.post(format!("{url}/score-lead/batch")).json(&json!({"leads": leads[..3]})).send().await.unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["results"].as_array().unwrap().len(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn routing_changes_take_effect_at_once_and_bad_ones_change_nothing() {
    let (url, _store) = spawn_app().await;
    let client = reqwest::Client::new();
    let v11 = json!({"active": "v11", "fallback": ["rules-v1"]});
    assert_eq!(client.put(format!("{url}/models/routing")).json(&v11).send().await.unwrap().status(), 200);
    let body: Value =
        client.post(format!("{url}/score-lead")).json(&sample_lead(0)).send().await.unwrap().json().await.unwrap();
    assert_eq!(body["model_version"], "v11");

    let bad = json!({"active": "v13"});
    let response = client.put(format!("{url}/models/routing")).json(&bad).send().await.unwrap();
    assert_eq!(response.status(), 400);
    let routing: Value = client.get(format!("{url}/models/routing")).send().await.unwrap().json().await.unwrap();
    assert_eq!(routing["active"], "v11", "a refused routing leaves the old one in place");
}

#[tokio::test(flavor = "multi_thread")]
async fn no_request_fails_while_routing_flips_under_load() {
    let (url, _store) = spawn_app().await;
    let client = reqwest::Client::new();
    let mut load = Vec::new();
    for worker in 0..8 {
        let (client, url) = (client.clone(), url.clone());
        load.push(tokio::spawn(async move {
            let mut versions = Vec::new();
            for i in 0..40 {
                let response = client
                    .post(format!("{url}/score-lead"))
                    .json(&sample_lead((worker + i) % 12))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 200, "request {i} of worker {worker}");
                let body: Value = response.json().await.unwrap();
                versions.push(body["model_version"].as_str().unwrap().to_string());
            }
            versions
        }));
    }
    for flip in 0..20 {
        let active = if flip % 2 == 0 { "v11" } else { "v12" };
        let routing = json!({"active": active, "fallback": ["rules-v1"]});
        assert_eq!(client.put(format!("{url}/models/routing")).json(&routing).send().await.unwrap().status(), 200);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let mut seen = std::collections::HashSet::new();
    for worker in load {
        seen.extend(worker.await.unwrap());
    }
    assert!(seen.iter().all(|v| v == "v11" || v == "v12"), "only routable versions answered: {seen:?}");
}
