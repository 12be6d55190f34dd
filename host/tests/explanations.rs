//! What a rep reads about a score, over real HTTP on both backends: each
//! lead's history and trend, "why it changed" split exactly (the parts sum
//! to the change in margin to 1e-9, within a version and across one), the
//! contributions' labels and values, the chance to close against the
//! average lead, data notes, and a tenant's own Hot/Cold thresholds moving
//! the badge of an already-scored lead.

mod common;

use common::Backend;

use serde_json::{Value, json};

/// A service with v12, v11 and rules-v1; returns its URL (and the store, kept alive).
async fn spawn_app(backend: Backend) -> (String, tempfile::TempDir) {
    let store = tempfile::tempdir().unwrap();
    let settings = common::settings(common::all_versions_dir(), store.path(), backend.backends().await, 2);
    (common::spawn(settings).await, store)
}

/// A sample lead with an id of its own (the shared backends outlive a test).
fn lead(n: usize, id: &str) -> Value {
    let mut lead: Value = serde_json::from_str(&common::sample_line("models/sample-leads.jsonl", n)).unwrap();
    lead["id"] = json!(id);
    lead
}

/// Scores `lead` (with `version` first, if given) and waits; returns the request id and the result.
async fn score(client: &reqwest::Client, url: &str, lead: &Value, version: Option<&str>) -> (String, Value) {
    let body = json!({"lead_id": lead["id"], "context": lead, "overrides": {"model_version": version}});
    let response = client.post(format!("{url}/leads/score")).json(&body).send().await.unwrap();
    assert_eq!(response.status(), 202);
    let accepted: Value = response.json().await.unwrap();
    let request_id = accepted["request_id"].as_str().unwrap().to_string();
    let status = common::finished(client, url, &request_id).await;
    assert_eq!(status["status"], "SUCCESS", "{status}");
    (request_id, status["result"].clone())
}

async fn get(client: &reqwest::Client, url: &str) -> (u16, Value) {
    let response = client.get(url).send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

/// The float32 rounding part (0 without one) and the other parts.
fn split_rounding(parts: &[Value]) -> (f64, Vec<&Value>) {
    let is_rounding = |p: &&Value| p["text"].as_str().is_some_and(|t| t.starts_with("Float32 rounding"));
    let rounding = parts.iter().filter(is_rounding).map(|p| p["delta"].as_f64().unwrap()).sum();
    (rounding, parts.iter().filter(|p| !is_rounding(p)).collect())
}

fn unique(name: &str) -> String {
    format!("{name}-{}", uuid::Uuid::new_v4().simple())
}

on_both_backends!(
    history_and_changes_add_up_exactly_within_and_across_versions,
    a_score_carries_labels_its_chance_against_the_average_and_data_notes,
    a_tenants_thresholds_move_the_badge_of_an_already_scored_lead,
);

async fn history_and_changes_add_up_exactly_within_and_across_versions(backend: Backend) {
    let (url, _store) = spawn_app(backend).await;
    let client = common::client_as(&unique("acme"));
    let id = unique("lead");
    let before = lead(0, &id);
    // The same lead later: three more pricing-page visits just before its as_of.
    let mut after = before.clone();
    let as_of = chrono::DateTime::parse_from_rfc3339(after["as_of"].as_str().unwrap()).unwrap();
    for hours in 1..=3 {
        let at = (as_of - chrono::Duration::hours(hours)).to_rfc3339();
        after["activities"].as_array_mut().unwrap().push(json!({"at": at, "kind": "page_view", "page": "/pricing"}));
    }
    let (first, by_v11) = score(&client, &url, &before, Some("v11")).await;
    let (second, by_v12) = score(&client, &url, &before, Some("v12")).await;
    let (third, later) = score(&client, &url, &after, Some("v12")).await;
    let margin = |result: &Value| result["explanation"]["margin"].as_f64().unwrap();

    let (status, history) = get(&client, &format!("{url}/leads/{id}/history")).await;
    assert_eq!(status, 200, "{history}");
    let points = history["points"].as_array().unwrap();
    let ids: Vec<&str> = points.iter().map(|p| p["request_id"].as_str().unwrap()).collect();
    assert_eq!(ids, [first.as_str(), second.as_str(), third.as_str()], "oldest first");
    assert_eq!(points[0]["model_version"], "v11");
    assert_eq!(points[2]["margin"].as_f64(), Some(margin(&later)));
    assert_eq!(points[2]["score"], later["score"]);
    assert_eq!(points[2]["as_of"].as_str().map(|t| t.starts_with(&after["as_of"].as_str().unwrap()[..19])), Some(true));
    let expected = match later["score"].as_i64().unwrap() - by_v11["score"].as_i64().unwrap() {
        d if d >= 5 => "improving",
        d if d <= -5 => "declining",
        _ => "steady",
    };
    assert_eq!(history["trend"], expected, "{history}");

    // Same version, the lead changed: one part per feature, summing exactly.
    let (status, changes) = get(&client, &format!("{url}/leads/{id}/changes")).await;
    assert_eq!(status, 200, "{changes}");
    assert_eq!(
        (changes["from"]["request_id"].as_str(), changes["to"]["request_id"].as_str()),
        (Some(&*second), Some(&*third))
    );
    let parts = changes["parts"].as_array().unwrap();
    let (rounding, parts) = split_rounding(parts);
    assert!(parts.iter().all(|p| p["kind"] == "feature"), "{changes}");
    assert!(rounding.abs() < 1e-5, "XGBoost's f32 rounding, nothing more: {rounding}");
    let sum: f64 = rounding + parts.iter().map(|p| p["delta"].as_f64().unwrap()).sum::<f64>();
    assert!((sum - (margin(&later) - margin(&by_v12))).abs() < 1e-9, "{sum} vs {}", margin(&later) - margin(&by_v12));
    let pricing =
        parts.iter().find(|p| p["feature"] == "pricing_views_7d").expect("the pricing visits moved the score");
    assert!(pricing["text"].as_str().unwrap().contains("(+3)"), "{pricing}");

    // Across versions: the model's part first, then the lead's under v12.
    let (status, changes) = get(&client, &format!("{url}/leads/{id}/changes?from={first}&to={third}")).await;
    assert_eq!(status, 200, "{changes}");
    let parts = changes["parts"].as_array().unwrap();
    assert_eq!((&parts[0]["kind"], &parts[0]["text"]), (&json!("model"), &json!("Model v11 → v12")));
    let model_part = parts[0]["delta"].as_f64().unwrap();
    assert!((model_part - (margin(&by_v12) - margin(&by_v11))).abs() < 1e-9, "the v12 score of the same lead");
    let sum: f64 = parts.iter().map(|p| p["delta"].as_f64().unwrap()).sum();
    assert!((sum - (margin(&later) - margin(&by_v11))).abs() < 1e-9);
    let (rounding, features) = split_rounding(&parts[1..]);
    assert!(rounding.abs() < 1e-5, "{rounding}");
    assert!(features.iter().all(|p| p["kind"] == "feature" && p["text"].as_str().is_some_and(|t| !t.is_empty())));

    // The model alone changed: one part, the whole change.
    let (_, changes) = get(&client, &format!("{url}/leads/{id}/changes?from={first}&to={second}")).await;
    let parts = changes["parts"].as_array().unwrap();
    assert_eq!(parts.len(), 1, "the same lead: no feature part, and no rounding between identical scorings: {changes}");
    assert!((parts[0]["delta"].as_f64().unwrap() - (margin(&by_v12) - margin(&by_v11))).abs() < 1e-9);

    for (query, status) in [("?from=nope", 404), ("?from=%20x", 400), (&*format!("?to={first}&from=also-nope"), 404)] {
        let (got, body) = get(&client, &format!("{url}/leads/{id}/changes{query}")).await;
        assert_eq!(got, status, "{query}: {body}");
    }
    let (status, _) = get(&common::client_as(&unique("globex")), &format!("{url}/leads/{id}/history")).await;
    assert_eq!(status, 404, "another tenant's lead");
    let single = unique("single");
    score(&client, &url, &lead(1, &single), None).await;
    let (status, history) = get(&client, &format!("{url}/leads/{single}/history")).await;
    assert_eq!((status, &history["trend"]), (200, &json!("not_enough_history")));
    assert_eq!(get(&client, &format!("{url}/leads/{single}/changes")).await.0, 404, "one scoring: nothing to compare");
    let queue = common::get_json(&client, &format!("{url}/leads")).await;
    let row = queue["leads"].as_array().unwrap().iter().find(|l| l["lead_id"] == id.as_str()).unwrap().clone();
    assert_eq!(row["trend"], expected);
    assert_eq!(row["recent_scores"].as_array().unwrap().len(), 3, "{row}");
    assert!(row["top_reason"].as_str().is_some_and(|r| !r.is_empty()), "{row}");
}

async fn a_score_carries_labels_its_chance_against_the_average_and_data_notes(backend: Backend) {
    let (url, _store) = spawn_app(backend).await;
    let client = common::client_as(&unique("acme"));
    let mut odd = lead(2, &unique("odd"));
    odd["fields"]["industry"] = json!("Sofware");
    let as_of = chrono::DateTime::parse_from_rfc3339(odd["as_of"].as_str().unwrap()).unwrap();
    let later = (as_of + chrono::Duration::hours(2)).to_rfc3339();
    odd["activities"].as_array_mut().unwrap().push(json!({"at": later, "kind": "page_view", "page": "/pricing"}));
    let (_, result) = score(&client, &url, &odd, Some("v12")).await;
    let e = &result["explanation"];
    let industry = e["contributions"].as_array().unwrap().iter().find(|c| c["feature"] == "industry").unwrap();
    assert_eq!((&industry["label"], &industry["display"]), (&json!("Industry"), &json!("Unknown")));
    assert_eq!(industry["field"], "industry", "the lead details find the field's label and value by it");
    let pricing = e["contributions"].as_array().unwrap().iter().find(|c| c["feature"] == "pricing_views_7d").unwrap();
    assert!(pricing.get("field").is_none(), "an aggregate over activities reads no field: {pricing}");
    assert_eq!(e["data_completeness"], e["confidence"]);
    let (p, base) = (e["probability"].as_f64().unwrap(), e["base_rate"].as_f64().unwrap());
    assert!((e["vs_base_rate"].as_f64().unwrap() - p / base).abs() < 1e-12 && base > 0.0 && base < 1.0);
    let notes = e["notes"].as_array().unwrap();
    let unseen = notes.iter().find(|n| n["kind"] == "unseen_category").expect("the unknown industry is noted");
    assert_eq!((&unseen["field"], &unseen["value"]), (&json!("industry"), &json!("Sofware")));
    assert!(unseen["text"].as_str().unwrap().contains("“Sofware”"), "{unseen}");
    let after = notes.iter().find(|n| n["kind"] == "activities_after_as_of").expect("the later activity is noted");
    assert_eq!(after["value"], "1");
    let metrics = reqwest::get(format!("{url}/metrics")).await.unwrap().text().await.unwrap();
    assert!(
        metrics.lines().any(|l| l.starts_with("leadscore_data_notes_total{")
            && l.contains("kind=\"unseen_category\"")
            && l.contains("feature=\"industry\"")),
        "{metrics}"
    );
}

async fn a_tenants_thresholds_move_the_badge_of_an_already_scored_lead(backend: Backend) {
    let (url, _store) = spawn_app(backend).await;
    let client = common::client_as(&unique("acme"));
    let id = unique("lead");
    let (_, result) = score(&client, &url, &lead(3, &id), None).await;
    let score_now = result["score"].as_i64().unwrap();
    // Thresholds that put this very score in each band in turn.
    let cases = [
        (json!({"hot": score_now - 1, "cold": 0}), "hot"),
        (json!({"hot": 100, "cold": score_now + 1}), "cold"),
        (json!({"hot": score_now, "cold": score_now}), "warm"),
    ];
    for (bands, band) in cases {
        if bands["hot"].as_i64().is_some_and(|h| h < 0) || bands["cold"].as_i64().is_some_and(|c| c > 100) {
            continue;
        }
        let mut routing = common::get_json(&client, &format!("{url}/models/routing")).await;
        routing["bands"] = bands.clone();
        let put = client.put(format!("{url}/models/routing")).json(&routing).send().await.unwrap();
        assert_eq!(put.status(), 200, "{bands}");
        let (_, badge) = get(&client, &format!("{url}/leads/{id}/score")).await;
        assert_eq!((&badge["band"], &badge["explanation"]["band"]), (&json!(band), &json!(band)), "{bands}");
        let queue = common::get_json(&client, &format!("{url}/leads?band={band}")).await;
        assert!(queue["leads"].as_array().unwrap().iter().any(|l| l["lead_id"] == id.as_str()), "{bands}: {queue}");
        let history = common::get_json(&client, &format!("{url}/leads/{id}/history")).await;
        assert_eq!(history["points"][0]["band"], band);
    }
    let mut routing = common::get_json(&client, &format!("{url}/models/routing")).await;
    routing["bands"] = json!({"hot": 30, "cold": 60});
    let refused = client.put(format!("{url}/models/routing")).json(&routing).send().await.unwrap();
    assert_eq!(refused.status(), 400);
    let error: Value = refused.json().await.unwrap();
    assert!(error["error"]["message"].as_str().unwrap().contains("bands"), "{error}");
}
