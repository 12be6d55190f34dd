//! The closed loop (issue 17), over real HTTP, with the real trainer
//! (`models/training/train.py`, XGBoost), real components and a clock the
//! test moves (`advance_clock`): two simulated tenants whose markets differ
//! report their outcomes; each one's retrain job trains its own model,
//! passes the offline gate, shadows, and is promoted on the compared
//! outcomes. A tenant whose CRM recorded wrong outcomes gets a candidate
//! that fails the gate and is never routed.
//!
//! One test per binary process clock: the tests here move the service's
//! clock, so they run one after another (a mutex).

mod common;

use std::collections::HashMap;
use std::time::Duration;

use futures_util::StreamExt;
use leadscore::pipeline::db::advance_clock;
use leadscore_sim::simulate::{self, Buyers};
use serde_json::{Value, json};

/// The tests here move the process's clock: one at a time.
static CLOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Leads per tenant to train on, and new leads scored while the candidate shadows.
const HISTORY_LEADS: usize = 8_000;
const SHADOW_LEADS: usize = 2_500;

async fn spawn_app() -> (String, tempfile::TempDir) {
    let store = tempfile::tempdir().unwrap();
    let mut settings =
        common::settings(common::all_versions_dir(), store.path(), leadscore::pipeline::Backends::default(), 2);
    settings.pipeline.import_rate = 5_000;
    settings.pipeline.retrain.check_every = Duration::from_millis(200);
    (common::spawn(settings).await, store)
}

/// A simulated tenant's leads and outcomes (lead id → (won, closed_at)).
fn simulate(buyers: Buyers, leads: usize, seed: u64, prefix: &str) -> (Vec<Value>, HashMap<String, (bool, String)>) {
    let dir = tempfile::tempdir().unwrap();
    simulate::run(simulate::Settings { leads, months: 24, seed, buyers }, dir.path()).unwrap();
    let read = |name: &str| -> Vec<Value> {
        let text = std::fs::read_to_string(dir.path().join(name)).unwrap();
        text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    };
    let rename = |id: &Value| format!("{prefix}-{}", id.as_str().unwrap());
    let mut leads = read("leads.jsonl");
    for lead in &mut leads {
        lead["id"] = json!(rename(&lead["id"]));
    }
    let outcomes = read("outcomes.jsonl")
        .iter()
        .map(|o| (rename(&o["lead_id"]), (o["outcome"] == "won", o["closed_at"].as_str().unwrap().to_string())))
        .collect();
    (leads, outcomes)
}

/// Imports `leads` for the client's tenant and waits until every one is scored.
async fn import(client: &reqwest::Client, url: &str, leads: &[Value]) {
    let body: String = leads.iter().map(|l| l.to_string() + "\n").collect();
    let response = client
        .post(format!("{url}/leads/import?format=lead"))
        .header("content-type", "application/x-ndjson")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let job_id = response.json::<Value>().await.unwrap()["job_id"].as_str().unwrap().to_string();
    for _ in 0..6_000 {
        let job = common::get_json(client, &format!("{url}/jobs/{job_id}")).await;
        if job["state"] == "done" {
            assert_eq!(job["failed"], 0, "{job}");
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("import {job_id} not done within 10 minutes");
}

/// Reports each lead's outcome (`won` decides; closed in the past).
async fn report(client: &reqwest::Client, url: &str, outcomes: Vec<(String, bool, String)>) {
    let latest = chrono::Utc::now() - chrono::Duration::hours(1);
    futures_util::stream::iter(outcomes)
        .map(|(lead_id, won, closed_at)| async move {
            let at = chrono::DateTime::parse_from_rfc3339(&closed_at).unwrap().with_timezone(&chrono::Utc).min(latest);
            let body = json!({"outcome": if won { "won" } else { "lost" }, "at": at.to_rfc3339()});
            let response = client.post(format!("{url}/leads/{lead_id}/outcome")).json(&body).send().await.unwrap();
            assert_eq!(response.status(), 200, "{lead_id}: {}", response.text().await.unwrap());
        })
        .buffer_unordered(16)
        .collect::<Vec<()>>()
        .await;
}

fn policy(enabled: bool) -> Value {
    json!({
        "enabled": enabled, "every_days": 10.0, "min_leads": 1000, "min_wins": 120,
        // The simulated history runs from 2024-10 to 2026-10.
        "window_months": 36, "shadow_days": 7.0, "min_compared_outcomes": 1500,
        "auto_promote": true, "max_auc_drop": 0.03, "confidence": 0.8,
    })
}

async fn put_policy(client: &reqwest::Client, url: &str, enabled: bool) {
    let (status, body) = common::send_json(client.put(format!("{url}/learning/retrain")).json(&policy(enabled))).await;
    assert_eq!((status, &body), (200, &policy(enabled)));
}

/// Polls the tenant's newest job until it is in one of `states` (10 minutes at most).
async fn job_in(client: &reqwest::Client, url: &str, states: &[&str]) -> Value {
    for _ in 0..3_000 {
        let jobs = common::get_json(client, &format!("{url}/learning/retrain/jobs")).await;
        if let Some(job) = jobs["jobs"].as_array().unwrap().first() {
            if states.contains(&job["state"].as_str().unwrap()) {
                return job.clone();
            }
            assert_ne!(job["state"], "failed", "{job}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("no retrain job reached {states:?} within 10 minutes");
}

async fn routing(client: &reqwest::Client, url: &str) -> Value {
    common::get_json(client, &format!("{url}/models/routing")).await
}

/// One tenant through the whole loop; returns its job when promoted.
async fn tenant_through_the_loop(url: &str, org: &str, buyers: Buyers, seed: u64) -> Value {
    let client = common::client_as(org);
    let (history, outcomes) = simulate(buyers, HISTORY_LEADS, seed, org);

    // Cold start: scored leads without outcomes are not enough. (The
    // schedule is off while the outcomes arrive, so that the job trains on all.)
    put_policy(&client, url, false).await;
    import(&client, url, &history).await;
    let jobs = common::get_json(&client, &format!("{url}/learning/retrain/jobs")).await;
    assert_eq!(jobs["shortfall"], "0 of 1,000 leads, 0 of 120 wins (labelled leads in the last 36 months)", "{jobs}");
    let (status, body) = common::send_json(client.post(format!("{url}/learning/retrain/run"))).await;
    assert_eq!((status, body["error"]["code"].as_str()), (422, Some("not_enough_data")), "{body}");

    // The outcomes arrive; the schedule, turned on, makes a job (it never ran).
    report(&client, url, history.iter().map(|l| id_outcome(l, &outcomes)).collect()).await;
    put_policy(&client, url, true).await;
    let started = std::time::Instant::now();
    let job = job_in(&client, url, &["shadowing", "gated_out"]).await;
    println!(
        "{org}: the job took {:.1} s from the policy turned on to its end (export, train, build, gate, install)",
        started.elapsed().as_secs_f64()
    );
    let (auc, active_auc) = (job["metrics"]["auc"].as_f64().unwrap(), job["metrics"]["active_auc"].as_f64().unwrap());
    println!(
        "{org} ({buyers:?} buyers): held-out ROC-AUC {auc:.4} for {} against {active_auc:.4} for {} on {} leads ({} won)",
        job["candidate_version"],
        job["active_version"],
        job["metrics"]["held_out_leads"],
        job["metrics"]["held_out_wins"]
    );
    assert_eq!(job["state"], "shadowing", "{job}");
    let candidate = job["candidate_version"].as_str().unwrap().to_string();
    assert_eq!(candidate, format!("{org}-v1"));
    assert_eq!(routing(&client, url).await["shadow"], candidate);
    let (status, body) = common::send_json(client.post(format!("{url}/learning/retrain/run"))).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("job_open")), "{body}");

    // New leads, scored by both versions, and their outcomes. Not yet: the
    // shadow has run for less than shadow_days.
    let (fresh, fresh_outcomes) = simulate(buyers, SHADOW_LEADS, seed + 1000, &format!("{org}-new"));
    import(&client, url, &fresh).await;
    report(&client, url, fresh.iter().map(|l| id_outcome(l, &fresh_outcomes)).collect()).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(job_in(&client, url, &["shadowing", "promoted", "retired"]).await["state"], "shadowing");

    advance_clock(Duration::from_secs(8 * 86_400));
    let job = job_in(&client, url, &["promoted", "retired"]).await;
    let shadow = &job["metrics"]["shadow"];
    println!(
        "{org}: in shadow, ROC-AUC {:.4} against {:.4} on {} compared outcomes (standard error of the difference {:.4}): {}",
        shadow["auc_b"].as_f64().unwrap(),
        shadow["auc_a"].as_f64().unwrap(),
        shadow["positives"].as_u64().unwrap() + shadow["negatives"].as_u64().unwrap(),
        shadow["se_difference"].as_f64().unwrap(),
        job["message"]
    );
    assert_eq!(job["state"], "promoted", "{job}");
    let routing = routing(&client, url).await;
    assert_eq!((routing["active"].as_str(), routing["shadow"].as_str()), (Some(candidate.as_str()), None));
    assert_eq!(routing["fallback"][0], job["active_version"], "the model it replaced is its first fallback");

    // Every step, with its figures.
    let history = common::get_json(&client, &format!("{url}/learning/retrain/history")).await;
    let steps: Vec<&str> =
        history["steps"].as_array().unwrap().iter().rev().map(|s| s["step"].as_str().unwrap()).collect();
    assert_eq!(steps, ["queued", "started", "shadowing", "promoted"], "{history}");
    job
}

fn id_outcome(lead: &Value, outcomes: &HashMap<String, (bool, String)>) -> (String, bool, String) {
    let id = lead["id"].as_str().unwrap().to_string();
    let (won, at) = outcomes[&id].clone();
    (id, won, at)
}

#[tokio::test(flavor = "multi_thread")]
async fn each_tenants_outcomes_retrain_its_own_model_which_shadows_and_is_promoted() {
    let _clock = CLOCK.lock().await;
    let (url, _store) = spawn_app().await;
    let intent = tenant_through_the_loop(&url, "intentco", Buyers::Intent, 33).await;
    let fit = tenant_through_the_loop(&url, "fitco", Buyers::Fit, 35).await;
    // Where the market differs from the one the global model learned, the
    // tenant's own model is clearly better on its held-out months.
    let gain = |job: &Value| job["metrics"]["auc"].as_f64().unwrap() - job["metrics"]["active_auc"].as_f64().unwrap();
    assert!(gain(&fit) >= 0.03, "fitco's own model gains {:.4} in ROC-AUC over the global model", gain(&fit));
    println!("held-out ROC-AUC gain over the global model: intentco {:+.4}, fitco {:+.4}", gain(&intent), gain(&fit));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_candidate_trained_on_wrong_outcomes_fails_the_gate_and_is_never_routed() {
    let _clock = CLOCK.lock().await;
    let (url, _store) = spawn_app().await;
    let client = common::client_as("mixedup");
    let (leads, outcomes) = simulate(Buyers::Intent, 4_000, 41, "mixedup");
    put_policy(&client, &url, false).await;
    import(&client, &url, &leads).await;
    // A CRM migration marked a third of the deals it moved as won, whatever
    // became of them: every lead but those of the last three months (kept
    // right, and held out by the gate).
    let moved_before = chrono::DateTime::parse_from_rfc3339("2026-07-01T00:00:00Z").unwrap();
    let reported = leads.iter().enumerate().map(|(n, lead)| {
        let (id, won, at) = id_outcome(lead, &outcomes);
        let as_of = chrono::DateTime::parse_from_rfc3339(lead["as_of"].as_str().unwrap()).unwrap();
        (id, if as_of < moved_before { n % 3 == 0 } else { won }, at)
    });
    report(&client, &url, reported.collect()).await;
    let (status, body) = common::send_json(client.post(format!("{url}/learning/retrain/run"))).await;
    assert_eq!(status, 202, "{body}");
    let job = job_in(&client, &url, &["gated_out", "shadowing"]).await;
    println!("mixedup: {}", job["message"]);
    assert_eq!(job["state"], "gated_out", "{job}");
    assert_eq!(job["job_id"], body["job_id"]);
    let failures: Vec<&str> =
        job["metrics"]["failures"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
    assert!(failures.iter().any(|f| f.starts_with("ROC-AUC")), "{failures:?}");
    // Kept for inspection, never routed.
    let models = common::get_json(&client, &format!("{url}/models")).await;
    assert!(models["models"].as_array().unwrap().iter().any(|v| v["version"] == "mixedup-v1"), "{models}");
    let routing = routing(&client, &url).await;
    assert_eq!((routing["active"].as_str(), routing["shadow"].as_str()), (Some("v12"), None), "{routing}");
    // The tenant may try again at once: nothing is open.
    let (status, _) = common::send_json(client.post(format!("{url}/learning/retrain/run"))).await;
    assert_eq!(status, 202);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_host_killed_mid_job_leaves_it_to_another_host_which_runs_it_once() {
    let backends = common::services::shared_backends().await;
    let workspace = common::workspace();
    let path = |p: &str| workspace.join(p).to_str().unwrap().to_string();
    let (python, scripts, source, params) =
        (path(".venv/bin/python"), path("models/training"), path("models/v12"), path("models/training/retrain.toml"));
    let flags = [
        "--retrain-check-ms",
        "200",
        "--retrain-lease-ms",
        "3000",
        "--trainer-python",
        &python,
        "--training-scripts",
        &scripts,
        "--retrain-source",
        &source,
        "--retrain-params",
        &params,
        "--import-rate",
        "5000",
    ];
    let first = common::host::Host::start_with(&backends, &flags);
    let client = common::client_as("restartco");
    let (leads, outcomes) = simulate(Buyers::Fit, 4_000, 43, "restartco");
    put_policy(&client, &first.url, false).await;
    import(&client, &first.url, &leads).await;
    report(&client, &first.url, leads.iter().map(|l| id_outcome(l, &outcomes)).collect()).await;
    let (status, body) = common::send_json(client.post(format!("{}/learning/retrain/run", first.url))).await;
    assert_eq!(status, 202, "{body}");

    // Killed while it runs the job (exporting, training or building).
    job_in(&client, &first.url, &["running"]).await;
    drop(first);
    let second = common::host::Host::start_with(&backends, &flags);
    let job = job_in(&client, &second.url, &["shadowing", "gated_out"]).await;
    assert_eq!((job["job_id"].as_str(), job["attempts"].as_i64()), (body["job_id"].as_str(), Some(2)), "{job}");
    assert_eq!(job["state"], "shadowing", "{job}");
    let jobs = common::get_json(&client, &format!("{}/learning/retrain/jobs", second.url)).await;
    assert_eq!(jobs["jobs"].as_array().unwrap().len(), 1, "{jobs}");
    let models = common::get_json(&client, &format!("{}/models", second.url)).await;
    let ours: Vec<&str> = models["models"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v["version"].as_str())
        .filter(|v| v.starts_with("restartco"))
        .collect();
    assert_eq!(ours, ["restartco-v1"], "one candidate, installed once");
    let history = common::get_json(&client, &format!("{}/learning/retrain/history", second.url)).await;
    let steps: Vec<&str> =
        history["steps"].as_array().unwrap().iter().rev().map(|s| s["step"].as_str().unwrap()).collect();
    assert_eq!(steps, ["queued", "started", "started", "shadowing"], "{history}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_candidate_never_displaces_a_shadow_someone_else_set() {
    let _clock = CLOCK.lock().await;
    let (url, _store) = spawn_app().await;
    let client = common::client_as("busyco");
    let (leads, outcomes) = simulate(Buyers::Fit, 4_000, 45, "busyco");
    put_policy(&client, &url, false).await;
    import(&client, &url, &leads).await;
    report(&client, &url, leads.iter().map(|l| id_outcome(l, &outcomes)).collect()).await;
    // The tenant's ML team is comparing v11 in shadow.
    let routing_set = json!({"active": "v12", "fallback": ["v11", "rules-v1"], "shadow": "v11"});
    let response = client.put(format!("{url}/models/routing")).json(&routing_set).send().await.unwrap();
    assert_eq!(response.status(), 200);

    let (status, body) = common::send_json(client.post(format!("{url}/learning/retrain/run"))).await;
    assert_eq!(status, 202, "{body}");
    let mut job = Value::Null;
    for _ in 0..3_000 {
        job = common::get_json(&client, &format!("{url}/learning/retrain/jobs")).await["jobs"][0].clone();
        if !["queued", "running"].contains(&job["state"].as_str().unwrap()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(job["state"], "failed", "{job}");
    assert!(job["message"].as_str().unwrap().contains("already shadows v11"), "{job}");
    assert!(job["metrics"]["auc"].is_f64(), "the gate's figures are kept: {job}");
    assert_eq!(routing(&client, &url).await["shadow"], "v11");
}
