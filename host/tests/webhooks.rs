//! Signed webhooks, over real HTTP on both backends, received by
//! `scripts/webhook-receiver`, which verifies every delivery with the
//! official Standard Webhooks Python package: correct signatures arrive,
//! a tampered body and a stale timestamp are refused; lead.scored,
//! lead.became_hot and lead.trend_changed fire when they should; with the
//! receiver down for 10 s, every event still arrives, none twice per
//! webhook-id; registration refuses what it cannot deliver to.

mod common;

use std::time::Duration;

use common::Backend;
use common::receiver::{Receiver, free_port};

use serde_json::{Value, json};

/// A service with v12, v11 and rules-v1 whose webhooks may go to loopback,
/// retried from 200 ms.
async fn spawn_app(backend: Backend) -> (String, tempfile::TempDir) {
    let store = tempfile::tempdir().unwrap();
    let mut settings = common::settings(common::all_versions_dir(), store.path(), backend.backends().await, 2);
    settings.pipeline.webhooks.allow_private = true;
    settings.pipeline.webhooks.retry_base = Duration::from_millis(200);
    (common::spawn(settings).await, store)
}

fn unique(name: &str) -> String {
    format!("{name}-{}", uuid::Uuid::new_v4().simple())
}

use common::send_json as send;

/// A sample lead with an id of its own.
fn lead(n: usize, id: &str) -> Value {
    let mut lead: Value = serde_json::from_str(&common::sample_line("models/sample-leads.jsonl", n)).unwrap();
    lead["id"] = json!(id);
    lead
}

/// Scores through the async path and waits for SUCCESS.
async fn score(client: &reqwest::Client, url: &str, lead: &Value) -> Value {
    let body = json!({"lead_id": lead["id"], "context": lead});
    let (status, accepted) = send(client.post(format!("{url}/leads/score")).json(&body)).await;
    assert_eq!(status, 202, "{accepted}");
    let done = common::finished(client, url, accepted["request_id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "SUCCESS", "{done}");
    done["result"].clone()
}

/// Registers an endpoint for every event; returns its id and secret.
async fn register(client: &reqwest::Client, url: &str, target: &str) -> (String, String) {
    let events = ["lead.scored", "lead.band_changed", "lead.became_hot", "lead.trend_changed"];
    let body = json!({"url": target, "events": events});
    let (status, endpoint) = send(client.post(format!("{url}/integrations/webhooks")).json(&body)).await;
    assert_eq!(status, 201, "{endpoint}");
    let secret = endpoint["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_"), "{secret}");
    (endpoint["id"].as_str().unwrap().to_string(), secret)
}

async fn log(client: &reqwest::Client, url: &str, endpoint: &str) -> Vec<Value> {
    let log = common::get_json(client, &format!("{url}/integrations/webhooks/{endpoint}/deliveries?limit=500")).await;
    log["deliveries"].as_array().unwrap().clone()
}

/// The delivery log once `count` deliveries are in it and none is pending, or as it is
/// after ten seconds (the caller's assertions then say what is wrong).
async fn delivered_log(client: &reqwest::Client, url: &str, endpoint: &str, count: usize) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let deliveries = log(client, url, endpoint).await;
        let settled = deliveries.len() >= count && deliveries.iter().all(|d| d["status"] != "pending");
        if settled || tokio::time::Instant::now() > deadline {
            return deliveries;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

on_both_backends!(
    deliveries_are_signed_verified_and_tampering_is_refused,
    with_the_receiver_down_ten_seconds_every_event_arrives_once,
    registration_refuses_what_it_cannot_deliver_to,
);

async fn deliveries_are_signed_verified_and_tampering_is_refused(backend: Backend) {
    let (url, _store) = spawn_app(backend).await;
    let client = common::client_as(&unique("acme"));
    let port = free_port();
    let (endpoint, secret) = register(&client, &url, &format!("http://127.0.0.1:{port}/")).await;
    let receiver = Receiver::start(port, &secret);

    // A lead that scores Hot: its first scoring is lead.scored and lead.became_hot.
    let mut hot = None;
    for n in 0..12 {
        let candidate = lead(n, &unique("lead"));
        let (_, sync) = send(client.post(format!("{url}/score-lead")).json(&candidate)).await;
        if sync["band"] == "hot" {
            hot = Some(candidate);
            break;
        }
    }
    let hot = hot.expect("a hot lead among the samples");
    let id = hot["id"].as_str().unwrap();
    score(&client, &url, &hot).await;
    let seen = receiver.wait_for(2).await;
    let types: Vec<&str> =
        seen["verified"].as_array().unwrap().iter().map(|d| d["body"]["type"].as_str().unwrap()).collect();
    assert_eq!(types.len(), 2, "{seen}");
    assert!(types.contains(&"lead.scored") && types.contains(&"lead.became_hot"), "{types:?}");
    let first = &seen["verified"][0];
    assert_eq!(first["body"]["data"]["lead_id"], id);
    assert_eq!(first["body"]["data"]["band"], "hot");
    assert_eq!(first["body"]["data"]["previous_band"], Value::Null);

    // Scored again: a second point makes a trend (lead.trend_changed), the band stays (no became_hot).
    score(&client, &url, &hot).await;
    let seen = receiver.wait_for(4).await;
    let later: Vec<&str> =
        seen["verified"].as_array().unwrap()[2..].iter().map(|d| d["body"]["type"].as_str().unwrap()).collect();
    assert_eq!(later.len(), 2, "{seen}");
    assert!(later.contains(&"lead.scored") && later.contains(&"lead.trend_changed"), "{later:?}");
    assert_eq!(seen["refused"], json!([]), "every delivery verified");

    // The log agrees: every delivery delivered on its first attempt. The host records a
    // delivery after the receiver has answered, so the log may lag the receiver briefly.
    let deliveries = delivered_log(&client, &url, &endpoint, 4).await;
    assert_eq!(deliveries.len(), 4);
    assert!(deliveries.iter().all(|d| d["status"] == "delivered" && d["attempts"] == 1), "{deliveries:?}");

    // The receiver refuses a tampered body, and a stale timestamp even when correctly signed.
    let genuine = &seen["verified"][0];
    let post = |body: String, timestamp: i64, signature: String| {
        client
            .post(receiver.url())
            .header("webhook-id", genuine["webhook_id"].as_str().unwrap())
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body)
            .send()
    };
    let raw = genuine["raw"].as_str().unwrap().to_string();
    let timestamp = genuine["timestamp"].as_i64().unwrap();
    let signature = genuine["signature"].as_str().unwrap().to_string();
    let tampered = raw.replace("\"hot\"", "\"cold\"");
    assert_ne!(tampered, raw);
    assert_eq!(post(tampered, timestamp, signature.clone()).await.unwrap().status(), 400);
    let stale = chrono::Utc::now().timestamp() - 600;
    let resigned =
        leadscore::pipeline::webhooks::sign(&secret, genuine["webhook_id"].as_str().unwrap(), stale, &raw).unwrap();
    assert_eq!(post(raw.clone(), stale, resigned).await.unwrap().status(), 400);
    let seen = receiver.seen().await;
    assert_eq!(seen["refused"].as_array().unwrap().len(), 2, "{seen}");

    // A replay sends the same webhook-id again.
    let replayed = deliveries[0]["delivery_id"].as_str().unwrap();
    let (status, _) = send(client.post(format!("{url}/integrations/webhooks/deliveries/{replayed}/replay"))).await;
    assert_eq!(status, 202);
    let seen = receiver.wait_for(5).await;
    assert_eq!(seen["verified"][4]["webhook_id"], replayed);
}

async fn with_the_receiver_down_ten_seconds_every_event_arrives_once(backend: Backend) {
    let (url, _store) = spawn_app(backend).await;
    let client = common::client_as(&unique("acme"));
    let port = free_port();
    let (endpoint, secret) = register(&client, &url, &format!("http://127.0.0.1:{port}/")).await;
    for n in 0..4 {
        score(&client, &url, &lead(n, &unique("lead"))).await;
    }
    // Nobody listens: every delivery fails and waits for its retry.
    tokio::time::sleep(Duration::from_secs(10)).await;
    let pending = log(&client, &url, &endpoint).await;
    assert!(pending.len() >= 4, "{pending:?}");
    assert!(pending.iter().all(|d| d["status"] == "pending" && d["attempts"].as_i64() >= Some(1)), "{pending:?}");
    assert!(pending.iter().all(|d| d["last_error"].is_string()), "{pending:?}");

    let receiver = Receiver::start(port, &secret);
    let seen = receiver.wait_for(pending.len()).await;
    // Past the arrivals, so that a second delivery of any would have come.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let seen_later = receiver.seen().await;
    assert_eq!(seen_later["verified"], seen["verified"], "nothing more arrived");
    let mut ids: Vec<&str> =
        seen["verified"].as_array().unwrap().iter().map(|d| d["webhook_id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), pending.len(), "every event arrived");
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), pending.len(), "none twice");
    let delivered = delivered_log(&client, &url, &endpoint, pending.len()).await;
    assert!(delivered.iter().all(|d| d["status"] == "delivered"), "{delivered:?}");
}

async fn registration_refuses_what_it_cannot_deliver_to(backend: Backend) {
    let (url, _store) = spawn_app(backend).await;
    let client = common::client_as(&unique("acme"));
    for (body, says) in [
        (json!({"url": "ftp://example.com/", "events": ["lead.scored"]}), "http"),
        (json!({"url": "not a url", "events": ["lead.scored"]}), "url"),
        (json!({"url": "https://example.com/", "events": ["lead.won"]}), "events[0]"),
        (json!({"url": "https://example.com/", "events": []}), "events"),
    ] {
        let (status, error) = send(client.post(format!("{url}/integrations/webhooks")).json(&body)).await;
        assert_eq!(status, 400, "{body}: {error}");
        assert!(error["error"]["message"].as_str().unwrap().contains(says), "{body}: {error}");
    }
    let (endpoint, _) = register(&client, &url, "https://hooks.example.com/leadscore").await;
    let listed = common::get_json(&client, &format!("{url}/integrations/webhooks")).await;
    assert_eq!(listed["endpoints"][0]["id"], endpoint.as_str());
    assert!(listed["endpoints"][0].get("secret").is_none(), "the secret is shown once: {listed}");
    // Another tenant sees none of it.
    let other = common::client_as(&unique("other"));
    let theirs = common::get_json(&other, &format!("{url}/integrations/webhooks")).await;
    assert_eq!(theirs["endpoints"], json!([]));
    let (status, _) = send(other.delete(format!("{url}/integrations/webhooks/{endpoint}"))).await;
    assert_eq!(status, 404);
    let (status, _) = send(client.delete(format!("{url}/integrations/webhooks/{endpoint}"))).await;
    assert_eq!(status, 204);
    let (status, _) = send(client.delete(format!("{url}/integrations/webhooks/{endpoint}"))).await;
    assert_eq!(status, 404);
}
