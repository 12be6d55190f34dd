//! What a CRM tells us between scorings, over real HTTP on both backends:
//! activity events applied once per `event_id` (a redelivered webhook
//! changes nothing), a debounced burst of 20 events causing one rescore,
//! field updates, size limits refusing (nothing stored), and a CRM object
//! scored with the activities its events brought.

mod common;

use std::time::Duration;

use common::Backend;

use serde_json::{Value, json};

/// A service with v12, v11 and rules-v1 and a 700 ms rescore debounce.
async fn spawn_app(backend: Backend) -> (String, tempfile::TempDir) {
    let store = tempfile::tempdir().unwrap();
    let mut settings = common::settings(common::all_versions_dir(), store.path(), backend.backends().await, 2);
    settings.pipeline.rescore_debounce = Duration::from_millis(700);
    settings.lead_limits.max_activities = 300;
    (common::spawn(settings).await, store)
}

fn unique(name: &str) -> String {
    format!("{name}-{}", uuid::Uuid::new_v4().simple())
}

/// A sample lead with an id of its own.
fn lead(n: usize, id: &str) -> Value {
    let mut lead: Value = serde_json::from_str(&common::sample_line("models/sample-leads.jsonl", n)).unwrap();
    lead["id"] = json!(id);
    lead
}

use common::send_json as send;

/// The lead's scorings, oldest first.
async fn history(client: &reqwest::Client, url: &str, id: &str) -> Vec<Value> {
    let (status, history) = send(client.get(format!("{url}/leads/{id}/history"))).await;
    assert!(status == 200 || status == 404, "{history}");
    history["points"].as_array().cloned().unwrap_or_default()
}

/// Waits until the lead has `n` scorings (or 20 s pass); returns them.
async fn scorings(client: &reqwest::Client, url: &str, id: &str, n: usize) -> Vec<Value> {
    for _ in 0..200 {
        let points = history(client, url, id).await;
        if points.len() >= n {
            return points;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    history(client, url, id).await
}

/// Events for the lead's activities: `event_id` is the activity's position.
fn events(activities: &[Value]) -> Vec<Value> {
    activities
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let mut event = a.clone();
            event["event_id"] = json!(format!("evt-{i}"));
            event
        })
        .collect()
}

/// The stored lead as the latest scoring read it (the lead page's context).
async fn scored_context(client: &reqwest::Client, url: &str, id: &str) -> Value {
    common::get_json(client, &format!("{url}/leads/{id}")).await["context"].clone()
}

on_both_backends!(
    redelivered_events_count_once_and_a_rescore_reads_each_once,
    a_burst_of_twenty_events_causes_one_rescore,
    field_updates_and_refusals_that_store_nothing,
    a_crm_object_is_scored_with_the_activities_its_events_brought,
);

async fn redelivered_events_count_once_and_a_rescore_reads_each_once(backend: Backend) {
    let (url, _store) = spawn_app(backend).await;
    let client = common::client_as(&unique("acme"));
    let id = unique("lead");
    let sample = lead(3, &id);
    let activities = sample["activities"].as_array().unwrap().clone();
    assert!(activities.len() > 5);
    let all = events(&activities);

    // Events before the lead was ever scored create its stored lead.
    let body = json!({"activities": all});
    let (status, first) = send(client.post(format!("{url}/leads/{id}/activities")).json(&body)).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!((first["new"].as_u64(), first["duplicates"].as_u64()), (Some(all.len() as u64), Some(0)));
    // Redelivered, all of them and then a few again beside one new event: counted once.
    let (_, again) = send(client.post(format!("{url}/leads/{id}/activities")).json(&body)).await;
    assert_eq!((again["new"].as_u64(), again["duplicates"].as_u64()), (Some(0), Some(all.len() as u64)), "{again}");
    assert_eq!(again["activities"], first["activities"]);
    let at = activities.last().unwrap()["at"].clone();
    let mixed = json!({"activities": [all[0], all[1], {"event_id": "evt-new", "kind": "page_view", "at": at, "page": "/pricing"}], "rescore": true});
    let (_, mixed) = send(client.post(format!("{url}/leads/{id}/activities")).json(&mixed)).await;
    assert_eq!((mixed["new"].as_u64(), mixed["duplicates"].as_u64()), (Some(1), Some(2)), "{mixed}");
    assert!(mixed["rescore_due_at"].is_i64(), "{mixed}");
    assert_eq!(mixed["activities"].as_u64(), Some(all.len() as u64 + 1));

    // The rescore reads each activity once.
    let points = scorings(&client, &url, &id, 1).await;
    assert_eq!(points.len(), 1, "{points:?}");
    let context = scored_context(&client, &url, &id).await;
    let scored = context["activities"].as_array().unwrap();
    assert_eq!(scored.len(), all.len() + 1);
    let mut ids: Vec<&str> = scored.iter().map(|a| a["event_id"].as_str().unwrap()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), all.len() + 1, "no activity twice");
    // And its score is what that lead JSON scores.
    let (status, direct) = send(client.post(format!("{url}/score-lead")).json(&context)).await;
    assert_eq!(status, 200, "{direct}");
    assert_eq!(points[0]["score"], direct["final_score"]);
    assert_eq!(points[0]["margin"], direct["margin"]);
}

async fn a_burst_of_twenty_events_causes_one_rescore(backend: Backend) {
    let (url, _store) = spawn_app(backend).await;
    let client = common::client_as(&unique("acme"));
    let id = unique("lead");
    let sample = lead(1, &id);
    let scored = json!({"lead_id": id, "context": sample});
    let (status, accepted) = send(client.post(format!("{url}/leads/score")).json(&scored)).await;
    assert_eq!(status, 202, "{accepted}");
    common::finished(&client, &url, accepted["request_id"].as_str().unwrap()).await;
    assert_eq!(history(&client, &url, &id).await.len(), 1);

    // 20 webhooks, one event each, as fast as they come, each asking for a rescore.
    let now = chrono::Utc::now();
    for i in 0..20 {
        let at = (now - chrono::Duration::minutes(30 - i)).to_rfc3339();
        let event = json!({"event_id": format!("burst-{i}"), "kind": "page_view", "at": at, "page": "/pricing"});
        let body = json!({"activities": [event], "rescore": true});
        let (status, answer) = send(client.post(format!("{url}/leads/{id}/activities")).json(&body)).await;
        assert_eq!(status, 200, "{answer}");
    }
    let points = scorings(&client, &url, &id, 2).await;
    assert_eq!(points.len(), 2, "the burst was rescored: {points:?}");
    // Well past the debounce window: still one rescore.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(history(&client, &url, &id).await.len(), 2, "one rescore for the burst");
    let context = scored_context(&client, &url, &id).await;
    let burst = context["activities"].as_array().unwrap().iter().filter(|a| a.get("event_id").is_some()).count();
    assert_eq!(burst, 20, "the rescore read every event of the burst");
    // The rescore is as of now: the pricing visits of the last half hour count.
    let as_of = chrono::DateTime::parse_from_rfc3339(context["as_of"].as_str().unwrap()).unwrap();
    assert!(as_of >= now - chrono::Duration::seconds(1), "{as_of} is the time of the rescore");
}

async fn field_updates_and_refusals_that_store_nothing(backend: Backend) {
    let (url, _store) = spawn_app(backend).await;
    let client = common::client_as(&unique("acme"));
    let id = unique("lead");

    // Unknown lead: nothing to update.
    let patch = json!({"fields": {"employees": 5000}});
    let (status, error) = send(client.patch(format!("{url}/leads/{id}")).json(&patch)).await;
    assert_eq!(status, 404, "{error}");

    let sample = lead(2, &id);
    let scored = json!({"lead_id": id, "context": sample});
    let (_, accepted) = send(client.post(format!("{url}/leads/score")).json(&scored)).await;
    common::finished(&client, &url, accepted["request_id"].as_str().unwrap()).await;

    let patch = json!({"fields": {"employees": 5000, "region": null}, "rescore": true});
    let (status, answer) = send(client.patch(format!("{url}/leads/{id}")).json(&patch)).await;
    assert_eq!(status, 200, "{answer}");
    assert!(answer["rescore_due_at"].is_i64());
    scorings(&client, &url, &id, 2).await;
    let context = scored_context(&client, &url, &id).await;
    assert_eq!(context["fields"]["employees"].as_f64(), Some(5000.0));
    assert!(context["fields"].get("region").is_none(), "null removes a field: {context}");
    assert_eq!(context["activities"], sample["activities"], "activities kept");
    // The same update again changes nothing, so it asks for no rescore.
    let same = json!({"fields": {"employees": 5000}, "rescore": true});
    let (_, answer) = send(client.patch(format!("{url}/leads/{id}")).json(&same)).await;
    assert_eq!(answer["rescore_due_at"], Value::Null, "{answer}");

    // Refused, naming what, and nothing stored.
    let (status, error) =
        send(client.patch(format!("{url}/leads/{id}")).json(&json!({"fields": {"employees": {"n": 1}}}))).await;
    assert_eq!(status, 400);
    assert!(error["error"]["message"].as_str().unwrap().contains("fields.employees"), "{error}");
    for (body, names) in [
        (json!({"activities": [{"kind": "page_view", "at": "2026-06-01T00:00:00Z"}]}), "activities[0].event_id"),
        (json!({"activities": [{"event_id": "e", "kind": "page_view", "at": "yesterday"}]}), "activities[0].at"),
        (json!({"activities": [{"event_id": "e", "kind": "page_view", "at": "2999-01-01T00:00:00Z"}]}), "future"),
        (json!({"activities": []}), "activities"),
    ] {
        let (status, error) = send(client.post(format!("{url}/leads/{id}/activities")).json(&body)).await;
        assert_eq!(status, 400, "{body}: {error}");
        assert!(error["error"]["message"].as_str().unwrap().contains(names), "{body}: {error}");
    }
    // Past the lead's activity limit (300 here): refused whole, and the events stay unseen.
    let have = sample["activities"].as_array().unwrap().len();
    let at = chrono::Utc::now().to_rfc3339();
    let many: Vec<Value> =
        (0..(301 - have)).map(|i| json!({"event_id": format!("many-{i}"), "kind": "email_open", "at": at})).collect();
    let (status, error) =
        send(client.post(format!("{url}/leads/{id}/activities")).json(&json!({"activities": many}))).await;
    assert_eq!((status, error["error"]["code"].as_str()), (400, Some("lead_too_large")), "{error}");
    let fewer = &many[..many.len() - 1];
    let (status, answer) =
        send(client.post(format!("{url}/leads/{id}/activities")).json(&json!({"activities": fewer}))).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["new"].as_u64(), Some(fewer.len() as u64), "the refused events were not recorded as seen");
    assert_eq!(answer["activities"].as_u64(), Some(300));
}

async fn a_crm_object_is_scored_with_the_activities_its_events_brought(backend: Backend) {
    let (url, _store) = spawn_app(backend).await;
    let client = common::client_as(&unique("acme"));
    let (status, _) = send(client.put(format!("{url}/integrations/mapping")).json(&json!({"preset": "hubspot"}))).await;
    assert_eq!(status, 200);
    let object: Value = serde_json::from_str(
        &std::fs::read_to_string(common::workspace().join("host/tests/fixtures/crm/hubspot-contact.json")).unwrap(),
    )
    .unwrap();
    let mut lead: Value = serde_json::from_str(
        &std::fs::read_to_string(common::workspace().join("host/tests/fixtures/crm/hubspot-contact.lead.json"))
            .unwrap(),
    )
    .unwrap();
    // The contact's web visits, as events before its updatedAt.
    let visits: Vec<Value> = (1..=4)
        .map(|d| json!({"event_id": format!("hs-{d}"), "kind": "page_view", "at": format!("2026-06-1{d}T09:00:00Z"), "page": "/pricing"}))
        .collect();
    let (status, answer) =
        send(client.post(format!("{url}/leads/51/activities")).json(&json!({"activities": visits}))).await;
    assert_eq!(status, 200, "{answer}");

    let (status, accepted) = send(client.post(format!("{url}/leads/score")).json(&json!({"crm_object": object}))).await;
    assert_eq!(status, 202, "{accepted}");
    let done = common::finished(&client, &url, accepted["request_id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "SUCCESS", "{done}");
    lead["activities"] = json!(visits);
    let (_, direct) = send(client.post(format!("{url}/score-lead")).json(&lead)).await;
    assert_eq!(done["result"]["score"], direct["final_score"], "the object's fields with the events' activities");
    assert_eq!(done["result"]["explanation"]["margin"], direct["margin"]);
    // The sync path reads them too.
    let (_, sync) = send(client.post(format!("{url}/score-lead")).json(&json!({"crm_object": object}))).await;
    assert_eq!(sync, direct);
}
