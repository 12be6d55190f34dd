//! Backfill over real HTTP on both backends: `POST /leads/import` streams
//! NDJSON (lead JSON, `{"crm_object"}` lines, or raw CRM objects) into a
//! job that scores every lead exactly as a single request would; a line
//! that cannot be used is refused on its own, naming its line and field;
//! an upload that cannot be taken (wrong media type, no leads, more leads
//! than allowed) is refused whole and leaves nothing behind.

mod common;

use common::Backend;

use serde_json::{Value, json};

async fn spawn_app(backend: Backend, max_leads: u64) -> (String, tempfile::TempDir) {
    let store = tempfile::tempdir().unwrap();
    let mut settings = common::settings(common::all_versions_dir(), store.path(), backend.backends().await, 2);
    settings.pipeline.import_max_leads = max_leads;
    (common::spawn(settings).await, store)
}

fn unique(name: &str) -> String {
    format!("{name}-{}", uuid::Uuid::new_v4().simple())
}

fn fixture(name: &str) -> Value {
    let path = common::workspace().join("host/tests/fixtures/crm").join(name);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

async fn import(client: &reqwest::Client, url: &str, format: &str, body: String) -> (u16, Option<String>, Value) {
    let response = client
        .post(format!("{url}/leads/import?format={format}"))
        .header("content-type", "application/x-ndjson")
        .body(body)
        .send()
        .await
        .unwrap();
    let location = response.headers().get("location").map(|v| v.to_str().unwrap().to_string());
    (response.status().as_u16(), location, response.json().await.unwrap())
}

/// Polls a job until it is done (60 s at most).
async fn done(client: &reqwest::Client, url: &str, job_id: &str) -> Value {
    for _ in 0..600 {
        let job = common::get_json(client, &format!("{url}/jobs/{job_id}")).await;
        if job["state"] == "done" {
            return job;
        }
        assert_eq!(job["state"], "running", "{job}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("import {job_id} not done within 60 s");
}

on_both_backends!(
    an_import_scores_every_lead_as_a_single_request_would_and_names_each_refused_line,
    raw_crm_objects_import_through_the_tenants_mapping,
    an_upload_that_cannot_be_taken_is_refused_whole,
);

async fn an_import_scores_every_lead_as_a_single_request_would_and_names_each_refused_line(backend: Backend) {
    let (url, _store) = spawn_app(backend, 1_000).await;
    let client = common::client_as(&unique("acme"));
    let (status, _) =
        common::send_json(client.put(format!("{url}/integrations/mapping")).json(&json!({"preset": "hubspot"}))).await;
    assert_eq!(status, 200);
    let mut leads: Vec<Value> = (0..40)
        .map(|n| {
            let mut lead: Value =
                serde_json::from_str(&common::sample_line("models/sample-leads.jsonl", n % 12)).unwrap();
            lead["id"] = json!(format!("imported-{n}"));
            lead
        })
        .collect();
    let mut lines: Vec<String> = leads.iter().map(Value::to_string).collect();
    lines.insert(5, String::new()); // line 6: blank, not a lead
    let mut bad = leads[0].clone();
    (bad["id"], bad["fields"]["employees"]) = (json!("bad-1"), json!("many"));
    lines.insert(10, bad.to_string()); // line 11
    let mut object = fixture("hubspot-contact.json");
    (object["id"], object["properties"]["hs_object_id"]) = (json!("from-crm"), json!("from-crm"));
    lines.push(json!({"crm_object": object}).to_string()); // line 43
    lines.push("{\"id\": \"broken\", ".into()); // line 44: not JSON
    let (status, location, job) = import(&client, &url, "lead", lines.join("\n") + "\n").await;
    assert_eq!(status, 202, "{job}");
    let job_id = job["job_id"].as_str().unwrap().to_string();
    assert_eq!(location.as_deref(), Some(format!("/jobs/{job_id}").as_str()));
    assert_eq!((job["kind"].as_str(), job["format"].as_str()), (Some("import"), Some("lead")));
    assert_eq!(job["total"], 43, "non-blank lines: {job}");
    assert_eq!(job["failed"], 1, "the line that is not JSON is refused on arrival: {job}");
    assert_eq!(job["done"].as_i64().unwrap() + job["pending"].as_i64().unwrap(), 42, "{job}");
    assert_eq!(job["errors"].as_array().unwrap().len(), 1, "{job}");
    assert_eq!((job["errors"][0]["line"].as_u64(), job["errors"][0]["lead_id"].as_str()), (Some(44), Some("broken")));

    let finished = done(&client, &url, &job_id).await;
    assert_eq!((finished["done"].as_i64(), finished["failed"].as_i64()), (Some(41), Some(2)), "{finished}");
    // The lead whose employees the model cannot read fails its scoring, named by line and field.
    let errors = finished["errors"].as_array().unwrap();
    assert_eq!(errors.iter().map(|e| e["line"].as_u64().unwrap()).collect::<Vec<_>>(), [11, 44], "{finished}");
    assert_eq!(errors[0]["lead_id"], "bad-1");
    assert!(errors[0]["message"].as_str().unwrap().contains("employees"), "{}", errors[0]);
    assert_eq!(finished["pending"], 0);
    assert!(finished["eta_seconds"].is_null() && finished["finished_at"].is_string(), "{finished}");
    assert!(finished["rate_per_second"].as_f64().unwrap() > 0.0, "{finished}");
    let listed = common::get_json(&client, &format!("{url}/jobs")).await;
    assert_eq!(listed["jobs"][0]["job_id"], job_id.as_str());

    // Each imported lead carries the score a single request gives it.
    leads.push({
        let mut lead = fixture("hubspot-contact.lead.json");
        lead["id"] = json!("from-crm");
        lead
    });
    for lead in [&leads[0], &leads[17], &leads[40]] {
        let id = lead["id"].as_str().unwrap();
        let stored = common::get_json(&client, &format!("{url}/leads/{id}/score")).await;
        let (status, single) = common::send_json(client.post(format!("{url}/score-lead")).json(lead)).await;
        assert_eq!(status, 200, "{single}");
        assert_eq!(stored["score"], single["final_score"], "{id}: {stored}");
        assert_eq!(stored["model_version"], single["model_version"], "{id}");
    }
}

async fn raw_crm_objects_import_through_the_tenants_mapping(backend: Backend) {
    let (url, _store) = spawn_app(backend, 1_000).await;
    let client = common::client_as(&unique("acme"));
    let object = fixture("hubspot-contact.json");
    let line = |id: &str| {
        let mut object = object.clone();
        object["id"] = json!(id);
        object["properties"]["hs_object_id"] = json!(id);
        object.to_string()
    };
    let body = format!("{}\n{}\n", line("51"), line("52"));
    // No mapping yet: each line is refused naming why, nothing is scored.
    let (status, _, job) = import(&client, &url, "crm", body.clone()).await;
    assert_eq!(status, 202, "{job}");
    assert_eq!((job["state"].as_str(), job["failed"].as_i64()), (Some("done"), Some(2)), "{job}");
    assert!(job["errors"][0]["message"].as_str().unwrap().contains("PUT /integrations/mapping"), "{job}");

    let (status, _) =
        common::send_json(client.put(format!("{url}/integrations/mapping")).json(&json!({"preset": "hubspot"}))).await;
    assert_eq!(status, 200);
    let (status, _, job) = import(&client, &url, "crm", body).await;
    assert_eq!(status, 202, "{job}");
    let finished = done(&client, &url, job["job_id"].as_str().unwrap()).await;
    assert_eq!((finished["done"].as_i64(), finished["failed"].as_i64()), (Some(2), Some(0)), "{finished}");
    let lead = fixture("hubspot-contact.lead.json");
    let (status, single) = common::send_json(client.post(format!("{url}/score-lead")).json(&lead)).await;
    assert_eq!(status, 200);
    let stored = common::get_json(&client, &format!("{url}/leads/{}/score", lead["id"].as_str().unwrap())).await;
    assert_eq!(stored["score"], single["final_score"], "{stored}");
}

async fn an_upload_that_cannot_be_taken_is_refused_whole(backend: Backend) {
    let (url, _store) = spawn_app(backend, 5).await;
    let org = unique("acme");
    let client = common::client_as(&org);
    let lead = common::sample_line("models/sample-leads.jsonl", 0);

    let response = client.post(format!("{url}/leads/import")).body(lead.clone()).send().await.unwrap();
    assert_eq!(response.status(), 415);
    let body: Value = response.json().await.unwrap();
    assert!(body["error"]["message"].as_str().unwrap().contains("application/x-ndjson"), "{body}");

    let (status, _, body) = import(&client, &url, "lead", "\n\n".into()).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("invalid_request")), "{body}");
    let (status, _, body) = import(&client, &url, "xml", lead.clone()).await;
    assert_eq!(status, 400, "{body}");

    // Six leads where five may be imported: nothing is kept.
    let (status, _, body) = import(&client, &url, "lead", [lead.as_str(); 6].join("\n")).await;
    assert_eq!((status, body["error"]["code"].as_str()), (413, Some("too_many_leads")), "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("more than 5 leads"), "{body}");
    assert_eq!(common::get_json(&client, &format!("{url}/jobs")).await["jobs"], json!([]));
    assert_eq!(common::get_json(&client, &format!("{url}/leads?limit=1")).await["total"], 0, "no lead was scored");

    // Five may; another tenant cannot see the job.
    let (status, _, job) = import(&client, &url, "lead", [lead.as_str(); 5].join("\n")).await;
    assert_eq!(status, 202, "{job}");
    let other = common::client_as(&unique("other"));
    let response = other.get(format!("{url}/jobs/{}", job["job_id"].as_str().unwrap())).send().await.unwrap();
    assert_eq!(response.status(), 404);
}

/// A bulk load outgrows the planner's statistics: on Postgres, the upload
/// refreshes them, so that live lookups by primary key keep their index
/// instead of plans made for the empty table (measured in
/// docs/benchmarks.md: 100–470 ms per lookup during a 100,000-lead import).
/// 40 leads stay below autovacuum's own threshold (50 rows), so only the
/// upload can have taken these statistics.
#[tokio::test(flavor = "multi_thread")]
async fn on_postgres_an_upload_leaves_the_planner_statistics_of_what_it_stored() {
    use sqlx::Connection;
    let backends = common::services::shared_backends().await;
    let database = backends.database_url.as_ref().unwrap().expose().to_string();
    let store = tempfile::tempdir().unwrap();
    let url = common::spawn(common::settings(common::all_versions_dir(), store.path(), backends, 2)).await;
    let mut postgres = sqlx::PgConnection::connect(&database).await.unwrap();
    let estimated = "SELECT reltuples::float8 FROM pg_class WHERE relname = 'score_requests'";
    let before: f64 = sqlx::query_scalar(estimated).fetch_one(&mut postgres).await.unwrap();
    assert!(before < 1.0, "a new table has no statistics yet: {before}");

    let client = common::client_as(&unique("acme"));
    let lines: Vec<String> = (0..40)
        .map(|n| {
            let mut lead: Value =
                serde_json::from_str(&common::sample_line("models/sample-leads.jsonl", n % 12)).unwrap();
            lead["id"] = json!(format!("analyzed-{n}"));
            lead.to_string()
        })
        .collect();
    let (status, _, job) = import(&client, &url, "lead", lines.join("\n")).await;
    assert_eq!(status, 202, "{job}");
    let after: f64 = sqlx::query_scalar(estimated).fetch_one(&mut postgres).await.unwrap();
    assert!(after >= 40.0, "the planner knows the 40 stored leads: {after}");
}
