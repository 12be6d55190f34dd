//! The learning loop over real HTTP: the control group is scored but never
//! shown; the lift report recovers a known lift from outcomes posted through
//! the API; the guardrail routes a tenant without lift to rules-v1 and
//! leaves one with lift alone; a shadow version is logged, never shown, and
//! promoted by a routing change.

mod common;

use std::time::Duration;

use leadscore::pipeline::Backends;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

/// A service with v12, v11 and rules-v1, checking tenants every 200 ms.
async fn spawn_app(backends: Backends) -> (String, tempfile::TempDir) {
    let store = tempfile::tempdir().unwrap();
    let mut settings = common::settings(common::all_versions_dir(), store.path(), backends, 2);
    settings.pipeline.monitor_every = Duration::from_millis(200);
    // These tests read each tenant's figures in /metrics (off by default).
    settings.metrics_tenant_labels = true;
    (common::spawn(settings).await, store)
}

/// `count` leads: the sample leads with new ids `<prefix>-<n>`.
fn new_leads(prefix: &str, count: usize) -> Vec<Value> {
    (0..count)
        .map(|n| {
            let mut lead: Value =
                serde_json::from_str(&common::sample_line("models/sample-leads.jsonl", n % 12)).unwrap();
            lead["id"] = json!(format!("{prefix}-{n}"));
            lead
        })
        .collect()
}

/// Queues every (new) lead and waits until the tenant's work queue holds them all.
async fn score_all(client: &reqwest::Client, url: &str, leads: &[Value]) {
    let before = common::get_json(client, &format!("{url}/leads?limit=1")).await["total"].as_u64().unwrap();
    for lead in leads {
        let body = json!({"lead_id": lead["id"], "context": lead});
        let response = client.post(format!("{url}/leads/score")).json(&body).send().await.unwrap();
        assert_eq!(response.status(), 202);
    }
    common::wait_for_queue(client, url, before + leads.len() as u64).await;
}

/// Every lead of the tenant's work queue: (lead id, row).
async fn work_queue(client: &reqwest::Client, url: &str) -> Vec<(String, Value)> {
    let mut rows = Vec::new();
    loop {
        let page = common::get_json(client, &format!("{url}/leads?limit=200&offset={}", rows.len())).await;
        let leads = page["leads"].as_array().unwrap();
        if leads.is_empty() {
            return rows;
        }
        rows.extend(leads.iter().map(|l| (l["lead_id"].as_str().unwrap().to_string(), l.clone())));
    }
}

async fn put_settings(client: &reqwest::Client, url: &str, settings: Value) {
    let response = client.put(format!("{url}/learning/settings")).json(&settings).send().await.unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
}

async fn post_outcome(client: &reqwest::Client, url: &str, lead_id: &str, won: bool) {
    let at = (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339();
    let body = json!({"outcome": if won { "won" } else { "lost" }, "at": at});
    let response = client.post(format!("{url}/leads/{lead_id}/outcome")).json(&body).send().await.unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_control_group_is_hidden_and_the_lift_report_recovers_a_known_lift() {
    let (url, _store) = spawn_app(common::services::shared_backends().await).await;
    let client = common::client_as("acme");
    let settings = json!({
        "holdout_share": 0.3, "lift_floor": 0.05, "guardrail_after_days": 30.0,
        "guardrail_min_outcomes": 50, "guardrail_to_rules": false, "drift_threshold": 0.2,
    });
    put_settings(&client, &url, settings.clone()).await;
    assert_eq!(common::get_json(&client, &format!("{url}/learning/settings")).await, settings);
    let leads = new_leads("lead", 1200);
    score_all(&client, &url, &leads).await;

    // Control leads are listed after the treated ones, without score or band.
    let queue = work_queue(&client, &url).await;
    let control: Vec<&String> = queue.iter().filter(|(_, l)| l["control_group"] == true).map(|(id, _)| id).collect();
    let share = control.len() as f64 / queue.len() as f64;
    assert!((0.25..0.35).contains(&share), "about 30 % held out: {share}");
    let first_control = queue.iter().position(|(_, l)| l["control_group"] == true).unwrap();
    assert!(queue[first_control..].iter().all(|(_, l)| l["control_group"] == true && l["score"].is_null()));
    assert!(queue[..first_control].iter().all(|(_, l)| l["score"].is_i64() && l["band"].is_string()));
    for band in ["hot", "warm", "cold"] {
        let page = common::get_json(&client, &format!("{url}/leads?band={band}&limit=200")).await;
        assert!(page["leads"].as_array().unwrap().iter().all(|l| l["control_group"] == false));
    }
    let badge = client.get(format!("{url}/leads/{}/score", control[0])).send().await.unwrap();
    assert_eq!(badge.status(), 404);
    assert_eq!(badge.json::<Value>().await.unwrap()["error"]["code"], "control_group");
    let detail = common::get_json(&client, &format!("{url}/leads/{}", control[0])).await;
    assert_eq!((detail["control_group"].clone(), detail["score"].clone()), (json!(true), Value::Null));

    // Outcomes with a known effect: scored leads win 1.5 × as often; within
    // each group, higher scores win more often (so the AUC is above 0.5).
    // Lead `lead-n` is sample lead n % 12, so a control lead's hidden score
    // is that of the treated leads with the same sample.
    let sample_of = |id: &str| id.trim_start_matches("lead-").parse::<usize>().unwrap() % 12;
    let score_of: std::collections::HashMap<usize, i64> =
        queue.iter().filter_map(|(id, l)| Some((sample_of(id), l["score"].as_i64()?))).collect();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    for (id, row) in &queue {
        let base = if row["control_group"] == true { 0.2 } else { 0.3 };
        let spread = 0.5 + score_of[&sample_of(id)] as f64 / 100.0;
        post_outcome(&client, &url, id, rng.random::<f64>() < base * spread).await;
    }
    let report = common::get_json(&client, &format!("{url}/reports/lift?weeks=104")).await;
    let overall = &report["overall"];
    assert_eq!(overall["control"]["decided"].as_u64(), Some(control.len() as u64), "{overall}");
    assert_eq!(overall["treated"]["decided"].as_u64(), Some((queue.len() - control.len()) as u64));
    let (lift, lo, hi) = (
        overall["lift"].as_f64().unwrap(),
        overall["lift_ci"][0].as_f64().unwrap(),
        overall["lift_ci"][1].as_f64().unwrap(),
    );
    assert!(lo < 0.5 && 0.5 < hi, "the true lift +50 % lies in the interval {lo:.3}–{hi:.3} (estimate {lift:.3})");
    assert!(lo > 0.0, "1,200 leads show that scoring helps: {lo:.3}–{hi:.3}");
    let weekly: u64 = report["weeks"].as_array().unwrap().iter().map(|w| w["treated"]["leads"].as_u64().unwrap()).sum();
    assert_eq!(weekly, overall["treated"]["leads"].as_u64().unwrap(), "weekly cohorts partition the leads");
    let banded: u64 = report["bands"].as_array().unwrap().iter().map(|b| b["leads"].as_u64().unwrap()).sum();
    assert_eq!(banded, 1200, "bands count control leads too: their scores are kept, only hidden");
    assert!(report["auc"]["value"].as_f64().unwrap() > 0.5, "{}", report["auc"]);
    assert_eq!(report["calibration"]["bins"].as_array().unwrap().len(), 10);
    assert_eq!(report["guardrail"]["status"], "waiting", "30 days have not passed");

    // Drift against v12's training distribution: twelve distinct leads
    // repeated are nothing like the training population.
    let drift = &report["drift"];
    assert_eq!((drift["version"].as_str(), drift["leads"].as_u64()), (Some("v12"), Some(1200)), "{drift}");
    assert_eq!(drift["alert"], true);
    let psi: Vec<f64> = drift["features"].as_array().unwrap().iter().map(|f| f["psi"].as_f64().unwrap()).collect();
    assert!(!psi.is_empty() && psi.windows(2).all(|w| w[0] >= w[1]), "largest PSI first: {psi:?}");

    // Time to first touch, from the lead's arrival.
    let (id, _) = &queue[0];
    let arrived = chrono::DateTime::parse_from_rfc3339(
        leads.iter().find(|l| l["id"] == id.as_str()).unwrap()["as_of"].as_str().unwrap(),
    )
    .unwrap();
    for hours in [5, 2] {
        let at = (arrived + chrono::Duration::hours(hours)).to_rfc3339();
        let response = client.post(format!("{url}/leads/{id}/touch")).json(&json!({"at": at})).send().await.unwrap();
        assert_eq!(response.status(), 200);
    }
    let report = common::get_json(&client, &format!("{url}/reports/lift")).await;
    assert_eq!(report["first_touch"]["treated"]["touched"], 1);
    assert_eq!(report["first_touch"]["treated"]["median_hours"], 2.0, "the earliest touch counts");

    // The monitor publishes the figures.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let metrics = client.get(format!("{url}/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("leadscore_lift{org=\"acme\"}"), "{metrics}");
    assert!(metrics.contains("leadscore_drift_psi{org=\"acme\",version=\"v12\",feature=\"score\"}"));
    assert!(metrics.contains("leadscore_drift_alert{org=\"acme\"} 1"));
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_learning_input_is_refused_with_the_field_named() {
    let (url, _store) = spawn_app(Backends::default()).await;
    let client = common::client_as("acme");
    let defaults = common::get_json(&client, &format!("{url}/learning/settings")).await;
    for (field, value) in [("holdout_share", json!(0.9)), ("lift_floor", json!("high")), ("drift_threshold", json!(0))]
    {
        let mut bad = defaults.clone();
        bad[field] = value;
        let response = client.put(format!("{url}/learning/settings")).json(&bad).send().await.unwrap();
        assert_eq!(response.status(), 400);
        let body: Value = response.json().await.unwrap();
        assert!(body["error"]["message"].as_str().unwrap().contains(field), "{body}");
    }
    let mut unknown = defaults.clone();
    unknown["holdout"] = json!(0.1);
    assert_eq!(client.put(format!("{url}/learning/settings")).json(&unknown).send().await.unwrap().status(), 400);
    assert_eq!(common::get_json(&client, &format!("{url}/learning/settings")).await, defaults, "nothing was saved");
    let rep = common::client_as("acme");
    let reader = reqwest::Client::new();
    let token = common::token("acme", &[leadscore::auth::READ_LEADS]);
    let refused =
        reader.put(format!("{url}/learning/settings")).bearer_auth(&token).json(&defaults).send().await.unwrap();
    assert_eq!(refused.status(), 403, "changing the experiment takes the admin scope");
    assert_eq!(rep.get(format!("{url}/reports/lift?weeks=0")).send().await.unwrap().status(), 400);
    let touch = rep
        .post(format!("{url}/leads/nobody/touch"))
        .json(&json!({"at": "2026-01-01T00:00:00Z"}))
        .send()
        .await
        .unwrap();
    assert_eq!(touch.status(), 404);
    let future = rep
        .post(format!("{url}/leads/nobody/touch"))
        .json(&json!({"at": "2999-01-01T00:00:00Z"}))
        .send()
        .await
        .unwrap();
    assert_eq!(future.status(), 400);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_guardrail_routes_a_tenant_without_lift_to_rules_and_leaves_one_with_lift_alone() {
    let (url, _store) = spawn_app(Backends::default()).await;
    for (org, treated_wins, control_wins) in [("flat", 2, 3), ("lifted", 4, 1)] {
        let client = common::client_as(org);
        let settings = json!({
            "holdout_share": 0.5, "lift_floor": 0.05, "guardrail_after_days": 0.0,
            "guardrail_min_outcomes": 20, "guardrail_to_rules": true, "drift_threshold": 0.2,
        });
        put_settings(&client, &url, settings).await;
        score_all(&client, &url, &new_leads(org, 100)).await;
        // Exact win rates: in tenths of each group's leads.
        let (mut treated, mut control) = (0, 0);
        for (id, row) in work_queue(&client, &url).await {
            let (n, wins) = match row["control_group"] == true {
                true => (&mut control, control_wins),
                false => (&mut treated, treated_wins),
            };
            post_outcome(&client, &url, &id, *n % 10 < wins).await;
            *n += 1;
        }
    }
    let flat = common::client_as("flat");
    let mut routing = Value::Null;
    for _ in 0..100 {
        routing = common::get_json(&flat, &format!("{url}/models/routing")).await;
        if routing["active"] == "rules-v1" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(routing["active"], "rules-v1", "{routing}");
    assert_eq!(routing["shadow"], "v12", "the replaced model keeps scoring in shadow");
    let report = common::get_json(&flat, &format!("{url}/reports/lift")).await;
    assert_eq!(report["guardrail"]["status"], "alert", "{}", report["guardrail"]);
    assert_eq!(report["guardrail"]["routed_to_rules"], true);
    assert!(report["guardrail"]["tripped_at"].is_i64());

    // A treated lead of the flat tenant is now scored by the rules.
    let lead = new_leads("flat-after", 40)
        .into_iter()
        .find(|l| !leadscore::learning::in_control_group("flat", l["id"].as_str().unwrap(), 0.5))
        .unwrap();
    let body = json!({"lead_id": lead["id"], "context": lead});
    flat.post(format!("{url}/leads/score")).json(&body).send().await.unwrap();
    let mut badge = Value::Null;
    for _ in 0..100 {
        let response = flat.get(format!("{url}/leads/{}/score", lead["id"].as_str().unwrap())).send().await.unwrap();
        if response.status() == 200 {
            badge = response.json().await.unwrap();
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(badge["model_version"], "rules-v1", "{badge}");

    let lifted = common::client_as("lifted");
    let report = common::get_json(&lifted, &format!("{url}/reports/lift")).await;
    assert_eq!(report["guardrail"]["status"], "ok", "{}", report["guardrail"]);
    assert_eq!(common::get_json(&lifted, &format!("{url}/models/routing")).await["active"], "v12");
    let metrics = flat.get(format!("{url}/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("leadscore_guardrail_alert{org=\"flat\"} 1"), "{metrics}");
    assert!(metrics.contains("leadscore_guardrail_alert{org=\"lifted\"} 0"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_shadow_version_is_logged_never_shown_and_promoted_by_a_routing_change() {
    let backends = common::services::shared_backends().await;
    let database_url = backends.database_url.clone().unwrap().expose().to_string();
    let (url, _store) = spawn_app(backends).await;
    let client = common::client_as("acme");
    let routing = json!({"active": "v12", "fallback": ["v11", "rules-v1"], "shadow": "v11"});
    let response = client.put(format!("{url}/models/routing")).json(&routing).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let leads = new_leads("lead", 30);
    score_all(&client, &url, &leads).await;
    for lead in &leads {
        let badge = common::get_json(&client, &format!("{url}/leads/{}/score", lead["id"].as_str().unwrap())).await;
        assert_eq!(badge["model_version"], "v12", "reps only ever see the active version");
    }
    let mut db = <sqlx::PgConnection as sqlx::Connection>::connect(&database_url).await.unwrap();
    let shown: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT model_version FROM lead_scores").fetch_all(&mut db).await.unwrap();
    assert_eq!(shown, ["v12"], "shadow results never reach lead_scores");
    let logged: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT model_version, shadow, COUNT(*) FROM lead_scoring_logs GROUP BY model_version, shadow ORDER BY model_version",
    )
    .fetch_all(&mut db)
    .await
    .unwrap();
    assert_eq!(logged, [("v11".to_string(), 1, 30), ("v12".to_string(), 0, 30)]);

    for (n, lead) in leads.iter().enumerate() {
        post_outcome(&client, &url, lead["id"].as_str().unwrap(), n % 3 == 0).await;
    }
    let report = common::get_json(&client, &format!("{url}/reports/shadow")).await;
    assert_eq!((report["active"].as_str(), report["shadow"].as_str()), (Some("v12"), Some("v11")), "{report}");
    assert_eq!((report["leads"].as_u64(), report["decided"].as_u64()), (Some(30), Some(30)));
    assert!(report["shadow_metrics"]["auc"].is_f64() && report["band_agreement"].is_f64());

    let promoted = client.post(format!("{url}/models/routing/promote")).send().await.unwrap();
    assert_eq!(promoted.status(), 200);
    let promoted: Value = promoted.json().await.unwrap();
    assert_eq!(promoted, json!({"active": "v11", "split": [], "fallback": ["v12", "rules-v1"], "shadow": null}));
    let again = client.post(format!("{url}/models/routing/promote")).send().await.unwrap();
    assert_eq!(again.status(), 409);
    let lead = &new_leads("after", 1)[0];
    score_all(&client, &url, std::slice::from_ref(lead)).await;
    let badge = common::get_json(&client, &format!("{url}/leads/{}/score", lead["id"].as_str().unwrap())).await;
    assert_eq!(badge["model_version"], "v11", "the promoted version is shown from the next request");
}
